/* /v1/sessions: the quarterly commission sessions (date, town, chair), their life (planned → open → closed) and
 * attendance. Everyone of the commission reads sessions; only the coordinator runs them (the route table says
 * so). A closed session is frozen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dates.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "minutes.h"
#include "params.h"
#include "session_rules.h"
#include "sessions.h"
#include "write.h"

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

static const struct field_spec close_spec[] = {{"defer_undecided", FIELD_BOOL, 0, 0, 0, NULL}};

/* The list itself is checked by api_sessions_attendance(), attendee by attendee. */
static const struct field_spec attendance_spec[] = {{"attendees", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL}};

const struct body_spec session_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec session_update_body = {update_spec, FIELDS_COUNT(update_spec)};
const struct body_spec session_close_body = {close_spec, FIELDS_COUNT(close_spec)};
const struct body_spec session_attendance_body = {attendance_spec, FIELDS_COUNT(attendance_spec)};

json_t *session_json(const struct session_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id),
                   "session_date", json_of_text(r->session_date), "town", json_of_text(r->town), "place",
                   json_of_text(r->place), "chair_name", json_of_text(r->chair_name), "chair_title",
                   json_of_text(r->chair_title), "status", json_of_text(r->status), "opened_at",
                   json_of_text(r->opened_at), "closed_at", json_of_text(r->closed_at), "version",
                   json_of_int(r->version), "created_at", json_of_text(r->created_at), "updated_at",
                   json_of_text(r->updated_at));
}

bool session_out(const PGresult *res, int i, struct write_out *out) {
  struct session_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = session_json(&r);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

/* The end of a write that returned the session: S, and OUT filled from RES (cleared here). */
static enum db_status session_written(enum db_status s, PGresult *res, struct write_out *out) {
  bool ok = s == DB_ROW && session_out(res, 0, out);
  PQclear(res);
  return s < 0 ? s : ok ? DB_ROW : DB_HARD_ERROR;
}

json_t *attendees_json(const PGresult *res) {
  json_t *list = json_array();
  struct attendee_row a;
  for (int i = 0; list != NULL && i < PQntuples(res); i++)
    list = items_append(list, !db_row(res, i, &a)
                                  ? NULL
                                  : json_pack("{s:o, s:o, s:o}", "group", json_of_text(a.attendee_group), "name",
                                              json_of_text(a.name), "organisation", json_of_text(a.organisation)));
  return list;
}

enum db_status session_lock(struct db *db, struct request *rq, const char *id, enum db_lock lock,
                            enum session_work work, const char *refused, struct write_out *out, PGresult **row) {
  *row = NULL;
  enum db_status s = db_session_get(db, rq->principal.commission_id, id, lock, row);
  struct session_row r;
  if (s == DB_NO_ROW)
    s = write_refuse(out, ERR_NOT_FOUND, "No such session.");
  else if (s == DB_ROW && !db_row(*row, 0, &r))
    s = DB_HARD_ERROR;
  else if (s == DB_ROW && !session_allows(session_status_parse(r.status), work))
    s = write_refuse_with(out, ERR_INVALID_STATE, refused, json_pack("{s:s}", "current_status", r.status));
  if (s != DB_ROW) {
    PQclear(*row);
    *row = NULL;
  }
  return s;
}

enum MHD_Result api_sessions_list(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && session_status_parse(status) == SESSION_INVALID)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be planned, open, closed or cancelled");
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
  struct session_row r = {0};
  for (int i = 0; items != NULL && i < PQntuples(res); i++)
    items = items_append(items, db_row(res, i, &r) ? session_json(&r) : NULL);
  ret = reply_page_after(rq, &page, PQntuples(res), items, (const char *const[]){r.session_date, r.id}, 2);
  PQclear(res);
  return ret;
}

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = cls;
  struct session_fields f = {.session_date = v[F_DATE].s, .town = v[F_TOWN].s,
                             .place = patch_pick(&v[F_PLACE], NULL), .chair_name = v[F_CHAIR].s,
                             .chair_title = patch_pick(&v[F_CHAIR_TITLE], NULL)};
  PGresult *res;
  enum db_status s = db_session_insert(db, rq->principal.commission_id, &f, &res);
  if (s < 0)
    return s;
  struct session_row r;
  bool ok = db_row(res, 0, &r) && session_out(res, 0, out);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/sessions/%s", r.id);
    audit_created(rq, "sessions", r.id);
  }
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_sessions_create(struct request *rq) { return creation_run(rq, create_body, rq->fields); }

/* The session of row ROW with its attendance into OUT (body and version). */
static enum db_status session_document(struct db *db, struct request *rq, const PGresult *row,
                                       struct write_out *out) {
  struct session_row r;
  if (!db_row(row, 0, &r))
    return DB_HARD_ERROR;
  PGresult *att;
  enum db_status s = db_session_attendees(db, rq->principal.commission_id, r.id, &att);
  if (s < 0)
    return s;
  out->body = session_json(&r);
  out->version = long_of_text(r.version);
  json_t *attendees = attendees_json(att);
  PQclear(att);
  if (out->body == NULL || attendees == NULL || json_object_set_new(out->body, "attendees", attendees) != 0) {
    json_decref(out->body);
    out->body = NULL;
    return DB_HARD_ERROR;
  }
  return DB_ROW;
}

/* GET /v1/sessions/{id}: the session with its attendance. */
enum MHD_Result api_sessions_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, rq->args[0], LOCK_NONE, &res);
  struct write_out out = {.body = NULL};
  if (s == DB_ROW)
    s = session_document(rq->db, rq, res, &out);
  PQclear(res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  return reply_versioned(rq, MHD_HTTP_OK, out.body, out.version, NULL);
}

/* An update: the stored row (read for update), then the merge of what the client sent. */
struct update_tx {
  const struct field_value *v;
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_session_get(db, rq->principal.commission_id, rq->args[0], LOCK_UPDATE, &u->current);
  struct session_row cur;
  if (s == DB_ROW && !db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  if (s == DB_ROW)
    *version = long_of_text(cur.version);
  return s;
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  struct session_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  if (!session_allows(session_status_parse(cur.status), WORK_EDIT))
    return write_refuse_with(out, ERR_INVALID_STATE, "A closed session is frozen.",
                             json_pack("{s:s}", "current_status", cur.status));
  /* Merge: a field sent replaces the stored one (null clears it); the others stay. */
  const struct field_value *v = u->v;
  if (!session_date_changeable(session_status_parse(cur.status), cur.session_date, patch_pick(&v[F_DATE], NULL)))
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/session_date",
                              "is fixed once the session is opened: its decisions carry it");
  struct session_fields f = {.session_date = patch_pick(&v[F_DATE], cur.session_date),
                             .town = patch_pick(&v[F_TOWN], cur.town), .place = patch_pick(&v[F_PLACE], cur.place),
                             .chair_name = patch_pick(&v[F_CHAIR], cur.chair_name),
                             .chair_title = patch_pick(&v[F_CHAIR_TITLE], cur.chair_title)};
  PGresult *res;
  enum db_status s = db_session_update(db, rq->principal.commission_id, rq->args[0], &f, &res);
  return session_written(s, res, out);
}

enum MHD_Result api_sessions_update(struct request *rq) {
  static const struct patch patch = {"session", "No such session.", update_lock, update_write};
  struct update_tx u = {.v = rq->fields};
  enum MHD_Result ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  return ret;
}

/* Closing without deferring: refuses in OUT when items are undecided, naming each ("/items/<id>"). */
static enum db_status undecided_refusal(struct db *db, struct request *rq, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_session_undecided(db, rq->principal.commission_id, rq->args[0], &res);
  if (s < 0)
    return s;
  json_t *errors = json_array();
  struct undecided_row u;
  for (int i = 0; errors != NULL && i < PQntuples(res); i++) {
    if (!db_row(res, i, &u)) {
      json_decref(errors);
      errors = NULL;
      break;
    }
    char field[64], reason[96];
    snprintf(field, sizeof field, "/items/%s", u.item_id);
    snprintf(reason, sizeof reason, "agenda item n° %s has no decision", u.position);
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason", reason));
  }
  int n = PQntuples(res);
  PQclear(res);
  if (errors == NULL)
    return DB_HARD_ERROR;
  if (n == 0) {
    json_decref(errors);
    return DB_ROW;
  }
  return write_refuse_with(out, ERR_INVALID_STATE,
                           "Some agenda items have no decision: decide them, or close with "
                           "{\"defer_undecided\": true} to defer them to the next session.",
                           json_pack("{s:s, s:i, s:o}", "current_status", "open", "undecided_items", n, "errors",
                                     errors));
}

/* Opening or closing. */
struct status_change {
  enum session_work work;
  const char *to;
  const char *refused;
};

static enum db_status status_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct status_change *c = cls;
  const struct principal *p = &rq->principal;
  PGresult *res;
  enum db_status s = session_lock(db, rq, rq->args[0], LOCK_UPDATE, c->work, c->refused, out, &res);
  struct session_row r;
  if (s == DB_ROW && c->work == WORK_OPEN && db_row(res, 0, &r)) {
    char today[11];
    date_format(date_today(), today, sizeof today);
    if (!session_opens_on(r.session_date, today))
      s = write_refuse_with(out, ERR_INVALID_STATE, "A session cannot be opened before its date.",
                            json_pack("{s:s, s:s, s:s}", "current_status", r.status, "session_date",
                                      r.session_date, "today", today));
  }
  PQclear(res);
  if (s != DB_ROW)
    return s;
  if (c->work == WORK_CANCEL) {
    s = db_agenda_release(db, p->commission_id, rq->args[0], p->token_id, role_name(p->role));
    if (s != DB_ROW)
      return s;
  }
  if (c->work == WORK_CLOSE) {
    bool defer = rq->fields != NULL && rq->fields[0].present && rq->fields[0].b;
    if (defer)
      s = db_decisions_defer_undecided(db, p->commission_id, rq->args[0], p->token_id, role_name(p->role));
    else
      s = undecided_refusal(db, rq, out);
    if (s != DB_ROW)
      return s;
  }
  s = db_session_set_status(db, p->commission_id, rq->args[0], c->to, &res);
  struct session_row closed;
  if (s == DB_ROW && c->work == WORK_CLOSE) /* the procès-verbal is sealed as the session closes */
    s = db_row(res, 0, &closed) ? minutes_seal(db, rq, &closed) : DB_HARD_ERROR;
  return session_written(s, res, out);
}

enum MHD_Result api_sessions_open(struct request *rq) {
  static const struct status_change open = {WORK_OPEN, "open", "Only a planned session can be opened."};
  return write_run(rq, MHD_HTTP_OK, status_body, (void *)&open);
}

enum MHD_Result api_sessions_close(struct request *rq) {
  static const struct status_change close = {WORK_CLOSE, "closed", "Only an open session can be closed."};
  return write_run(rq, MHD_HTTP_OK, status_body, (void *)&close);
}

/* POST /v1/sessions/{id}/cancel: a planned session will not be held; its agenda's applications wait again. */
enum MHD_Result api_sessions_cancel(struct request *rq) {
  static const struct status_change cancel = {WORK_CANCEL, "cancelled", "Only a planned session can be cancelled."};
  return write_run(rq, MHD_HTTP_OK, status_body, (void *)&cancel);
}

static const char *const attendee_groups[] = {"elected_officials", "landlords", "care_team", "curators",
                                              "user_family_associations", "association", "other", NULL};

static enum db_status attendance_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  PGresult *row;
  enum db_status s = session_lock(db, rq, rq->args[0], LOCK_UPDATE, WORK_EDIT, "A closed session is frozen.", out,
                                  &row);
  if (s == DB_ROW)
    s = db_session_attendees_replace(db, rq->principal.commission_id, rq->args[0], cls);
  if (s == DB_ROW)
    s = session_document(db, rq, row, out);
  PQclear(row);
  return s;
}

/* The attendees of the body as the rows to store ([{attendee_group, name, organisation}]); NULL when some are
 * invalid (each named in ERRORS) or out of memory. */
static json_t *attendee_rows(json_t *list, json_t *errors) {
  static const struct field_spec attendee_spec[] = {
    {"group", FIELD_ENUM, FIELD_REQUIRED, 0, 0, attendee_groups},
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"organisation", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
  };
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
                                            "organisation", patch_pick(&av[2], NULL)));
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
  if (json_array_size(errors) > 0 || rows == NULL || json_array_size(rows) != json_array_size(list)) {
    json_decref(rows);
    return NULL;
  }
  return rows;
}

/* PUT /v1/sessions/{id}/attendance {"attendees": [{group, name, organisation}]}: replaces the list. */
enum MHD_Result api_sessions_attendance(struct request *rq) {
  json_t *list = json_object_get(rq->json, "attendees");
  if (!json_is_array(list) || json_array_size(list) > 200)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/attendees", "must be an array of at most 200 attendees");
  json_t *errors = json_array();
  if (errors == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  json_t *rows = attendee_rows(list, errors);
  if (json_array_size(errors) > 0)
    return reply_validation(rq, errors);
  json_decref(errors);
  char *attendees = rows != NULL ? json_dumps(rows, JSON_COMPACT) : NULL;
  json_decref(rows);
  if (attendees == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  enum MHD_Result ret = write_run(rq, MHD_HTTP_OK, attendance_body, attendees);
  free(attendees);
  return ret;
}
