/* /v1/sessions: the quarterly commission sessions (date, town, chair), their life (planned → open → closed) and
 * attendance. Everyone of the commission reads sessions; only the coordinator runs them. A closed session is
 * frozen. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "sessions.h"
#include "validate.h"

enum { F_DATE, F_TOWN, F_PLACE, F_CHAIR, F_CHAIR_TITLE };

static const struct field_spec create_spec[] = {
  [F_DATE] = {"session_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_PLACE] = {"place", FIELD_STRING, FIELD_NULLABLE, 0, 300, NULL},
  [F_CHAIR] = {"chair_name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_CHAIR_TITLE] = {"chair_title", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
};

static const struct field_spec update_spec[] = {
  [F_DATE] = {"session_date", FIELD_DATE, 0, 0, 0, NULL},
  [F_TOWN] = {"town", FIELD_STRING, 0, 1, 100, NULL},
  [F_PLACE] = {"place", FIELD_STRING, FIELD_NULLABLE, 0, 300, NULL},
  [F_CHAIR] = {"chair_name", FIELD_STRING, 0, 1, 200, NULL},
  [F_CHAIR_TITLE] = {"chair_title", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
};

json_t *session_json(const PGresult *res, int row) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, 0),
                   "session_date", row_string(res, row, 1), "town", row_string(res, row, 2), "place",
                   row_string(res, row, 3), "chair_name", row_string(res, row, 4), "chair_title",
                   row_string(res, row, 5), "status", row_string(res, row, 6), "opened_at", row_string(res, row, 7),
                   "closed_at", row_string(res, row, 8), "version", row_int(res, row, 9), "created_at",
                   row_string(res, row, 10), "updated_at", row_string(res, row, 11));
}

bool session_work_allowed(struct request *rq, enum MHD_Result *ret) {
  if (access_decide(&rq->principal, RES_SESSION_WORK, ACT_UPDATE).kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator runs sessions.");
  return false;
}

static bool read_allowed(struct request *rq, enum MHD_Result *ret) {
  if (access_decide(&rq->principal, RES_SESSION, ACT_READ).kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "This role has no access to sessions.");
  return false;
}

static enum MHD_Result reply_session(struct request *rq, unsigned int status, const PGresult *res,
                                     const char *location) {
  return reply_versioned(rq, status, session_json(res, 0), strtol(PQgetvalue(res, 0, 9), NULL, 10), location);
}

enum MHD_Result api_sessions_list(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!read_allowed(rq, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "planned") != 0 && strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be planned, open or closed");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_session_list(rq->db, rq->principal.commission_id, status, page.after[0], page.after[1],
                                     page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, session_json(res, i));
  return reply_page(rq, &page, res, items, (const int[]){1, 0}, 2);
}

static const char *value_or_null(const struct field_value *v) { return v->present && !v->null ? v->s : NULL; }

struct create_tx {
  struct request *rq;
  const char *fields[5];
  struct idempotency idem;
  PGresult *row;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  PQclear(c->row);
  c->row = NULL;
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  s = db_session_insert(db, c->rq->principal.commission_id, c->fields, &c->row);
  if (s < 0)
    return s;
  snprintf(c->location, sizeof c->location, "/v1/sessions/%s", PQgetvalue(c->row, 0, 0));
  audit_created(c->rq, "sessions", PQgetvalue(c->row, 0, 0));
  json_t *body = session_json(c->row, 0);
  s = idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, body);
  json_decref(body);
  return s;
}

enum MHD_Result api_sessions_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!session_work_allowed(rq, &ret) || !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  struct create_tx c = {.rq = rq};
  for (int i = 0; i < 5; i++)
    c.fields[i] = value_or_null(&v[i]);
  if (!idempotency_init(rq, &c.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (c.idem.replay || c.idem.mismatch)
    ret = idempotency_reply(rq, &c.idem);
  else
    ret = reply_session(rq, MHD_HTTP_CREATED, c.row, c.location);
  PQclear(c.row);
  idempotency_free(&c.idem);
  return ret;
}

/* GET /v1/sessions/{id}: the session with its attendance. */
enum MHD_Result api_sessions_get(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !read_allowed(rq, &ret))
    return ret;
  PGresult *res, *att;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, id, LOCK_NONE, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  }
  s = db_session_attendees(rq->db, rq->principal.commission_id, id, &att);
  if (s < 0) {
    PQclear(res);
    return reply_db_error(rq);
  }
  json_t *body = session_json(res, 0);
  json_t *attendees = json_array();
  for (int i = 0; i < PQntuples(att); i++)
    json_array_append_new(attendees, json_pack("{s:o, s:o, s:o}", "group", row_string(att, i, 0), "name",
                                               row_string(att, i, 1), "organisation", row_string(att, i, 2)));
  json_object_set_new(body, "attendees", attendees);
  long version = strtol(PQgetvalue(res, 0, 9), NULL, 10);
  PQclear(res);
  PQclear(att);
  return reply_versioned(rq, MHD_HTTP_OK, body, version, NULL);
}

enum refusal { REFUSE_NONE, REFUSE_NOT_FOUND, REFUSE_STALE, REFUSE_STATE };

static enum MHD_Result reply_refusal(struct request *rq, enum refusal r, const char *current, const char *detail) {
  if (r == REFUSE_NOT_FOUND)
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  if (r == REFUSE_STALE)
    return reply_stale(rq, "session");
  return reply_problem_with(rq, ERR_INVALID_STATE, detail, json_pack("{s:s}", "current_status", current));
}

struct update_tx {
  struct request *rq;
  const char *id;
  struct field_value *v;
  long if_match;
  enum refusal refusal;
  char current[16];
  PGresult *row;
};

static enum db_status update_body(struct db *db, void *cls) {
  struct update_tx *u = cls;
  PQclear(u->row);
  u->row = NULL;
  u->refusal = REFUSE_NONE;
  PGresult *cur;
  enum db_status s = db_session_get(db, u->rq->principal.commission_id, u->id, LOCK_UPDATE, &cur);
  if (s <= 0) {
    PQclear(cur);
    u->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  snprintf(u->current, sizeof u->current, "%s", PQgetvalue(cur, 0, 6));
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, 9), NULL, 10)))
    u->refusal = REFUSE_STALE;
  else if (strcmp(u->current, "closed") == 0)
    u->refusal = REFUSE_STATE;
  if (u->refusal != REFUSE_NONE) {
    PQclear(cur);
    return DB_NO_ROW;
  }
  const char *fields[5];
  for (int i = 0; i < 5; i++) {
    const struct field_value *fv = &u->v[i];
    fields[i] = fv->present ? (fv->null ? NULL : fv->s) : (PQgetisnull(cur, 0, i + 1) ? NULL : PQgetvalue(cur, 0, i + 1));
  }
  s = db_session_update(db, u->rq->principal.commission_id, u->id, fields, &u->row);
  PQclear(cur);
  return s;
}

enum MHD_Result api_sessions_update(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(update_spec)];
  struct update_tx u = {.rq = rq, .v = v};
  u.id = param_path_uuid(rq, 0, "id", &ret);
  if (u.id == NULL || !session_work_allowed(rq, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret))
    return ret;
  u.if_match = param_if_match(rq);
  if (u.if_match < 0)
    return reply_if_match_problem(rq, u.if_match);
  enum db_status s = db_transaction(rq->db, update_body, &u);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (u.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, u.refusal, u.current, "A closed session is frozen.");
  else
    ret = reply_session(rq, MHD_HTTP_OK, u.row, NULL);
  PQclear(u.row);
  return ret;
}

struct status_tx {
  struct request *rq;
  const char *id;
  const char *from, *to;
  bool defer_undecided;
  enum refusal refusal;
  long undecided;
  char current[16];
  PGresult *row;
};

static enum db_status status_body(struct db *db, void *cls) {
  struct status_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  t->undecided = 0;
  PGresult *cur;
  enum db_status s = db_session_get(db, p->commission_id, t->id, LOCK_UPDATE, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(cur, 0, 6));
  PQclear(cur);
  if (strcmp(t->current, t->from) != 0) {
    t->refusal = REFUSE_STATE;
    return DB_NO_ROW;
  }
  if (strcmp(t->to, "closed") == 0) {
    if (t->defer_undecided)
      s = db_decisions_defer_undecided(db, p->commission_id, t->id, p->token_id, role_name(p->role));
    else
      s = db_session_undecided(db, p->commission_id, t->id, &t->undecided);
    if (s < 0)
      return s;
    if (t->undecided > 0) {
      t->refusal = REFUSE_STATE;
      return DB_NO_ROW;
    }
  }
  return db_session_set_status(db, p->commission_id, t->id, t->to, &t->row);
}

static enum MHD_Result change_status(struct request *rq, const char *from, const char *to) {
  enum MHD_Result ret;
  struct status_tx t = {.rq = rq, .from = from, .to = to};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !session_work_allowed(rq, &ret))
    return ret;
  if (strcmp(to, "closed") == 0 && rq->json != NULL) {
    static const struct field_spec close_spec[] = {{"defer_undecided", FIELD_BOOL, 0, 0, 0, NULL}};
    struct field_value v[1];
    if (!request_fields(rq, close_spec, 1, v, &ret))
      return ret;
    t.defer_undecided = v[0].present && v[0].b;
  }
  enum db_status s = db_transaction(rq->db, status_body, &t);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (t.refusal == REFUSE_STATE && t.undecided > 0)
    ret = reply_problem_with(rq, ERR_INVALID_STATE,
                             "Some agenda items have no decision: decide them, or close with "
                             "{\"defer_undecided\": true} to defer them to the next session.",
                             json_pack("{s:s, s:I}", "current_status", t.current, "undecided_items",
                                       (json_int_t)t.undecided));
  else if (t.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, t.refusal, t.current,
                        strcmp(to, "open") == 0 ? "Only a planned session can be opened."
                                                : "Only an open session can be closed.");
  else
    ret = reply_session(rq, MHD_HTTP_OK, t.row, NULL);
  PQclear(t.row);
  return ret;
}

enum MHD_Result api_sessions_open(struct request *rq) { return change_status(rq, "planned", "open"); }
enum MHD_Result api_sessions_close(struct request *rq) { return change_status(rq, "open", "closed"); }

static const char *const attendee_groups[] = {"elected_officials", "landlords", "care_team", "curators",
                                              "user_family_associations", "association", "other", NULL};

struct attendance_tx {
  struct request *rq;
  const char *id;
  char *attendees;
  enum refusal refusal;
  char current[16];
};

static enum db_status attendance_body(struct db *db, void *cls) {
  struct attendance_tx *t = cls;
  t->refusal = REFUSE_NONE;
  PGresult *cur;
  enum db_status s = db_session_get(db, t->rq->principal.commission_id, t->id, LOCK_UPDATE, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(cur, 0, 6));
  PQclear(cur);
  if (strcmp(t->current, "closed") == 0) {
    t->refusal = REFUSE_STATE;
    return DB_NO_ROW;
  }
  return db_session_attendees_replace(db, t->rq->principal.commission_id, t->id, t->attendees);
}

/* PUT /v1/sessions/{id}/attendance {"attendees": [{group, name, organisation}]}: replaces the list. */
enum MHD_Result api_sessions_attendance(struct request *rq) {
  enum MHD_Result ret;
  struct attendance_tx t = {.rq = rq};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !session_work_allowed(rq, &ret))
    return ret;
  static const struct field_spec spec[] = {{"attendees", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL}};
  static const struct field_spec attendee_spec[] = {
    {"group", FIELD_ENUM, FIELD_REQUIRED, 0, 0, attendee_groups},
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"organisation", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
  };
  struct field_value v[1];
  if (!request_fields(rq, spec, 1, v, &ret))
    return ret;
  json_t *list = json_object_get(rq->json, "attendees");
  if (!json_is_array(list) || json_array_size(list) > 200)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/attendees", "must be an array of at most 200 attendees");
  json_t *errors = json_array();
  json_t *rows = json_array();
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    struct field_value av[3];
    json_t *item_errors = json_array();
    if (!json_is_object(item)) {
      json_array_append_new(item_errors, json_pack("{s:s, s:s}", "field", "", "reason", "must be an object"));
    } else if (fields_check(item, attendee_spec, 3, av, item_errors)) {
      json_array_append_new(rows, json_pack("{s:s, s:s, s:s?}", "attendee_group", av[0].s, "name", av[1].s,
                                            "organisation", av[2].present && !av[2].null ? av[2].s : NULL));
    }
    size_t k;
    json_t *e;
    json_array_foreach(item_errors, k, e) {
      char field[96];
      snprintf(field, sizeof field, "/attendees/%zu%s", i, json_string_value(json_object_get(e, "field")));
      json_array_append_new(errors, json_pack("{s:s, s:O}", "field", field, "reason", json_object_get(e, "reason")));
    }
    json_decref(item_errors);
  }
  if (json_array_size(errors) > 0) {
    json_decref(rows);
    return reply_validation(rq, errors);
  }
  json_decref(errors);
  t.attendees = json_dumps(rows, JSON_COMPACT);
  json_decref(rows);
  if (t.attendees == NULL)
    return MHD_NO;
  enum db_status s = db_transaction(rq->db, attendance_body, &t);
  free(t.attendees);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_refusal(rq, t.refusal, t.current, "A closed session is frozen.");
  return api_sessions_get(rq);
}
