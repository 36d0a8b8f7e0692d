/* /v1/applications: requests for a place (demandes), the waiting list, and their state machine. Created by a
 * caregiver (for the people its team follows), a curator (for the people it protects) or the coordinator.
 * The situation text is care-confidential: only the coordinator and the care team receive it. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "application_state.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

static const char *const urgencies[] = {"normal", "high", "urgent", NULL};
static const char *const unit_kinds[] = {"hlm_apartment", "foyer_place", "transitional_place", "residence_place",
                                         NULL};

enum { F_PERSON, F_SITUATION, F_KINDS, F_TOWNS, F_URGENCY, F_REFERENT, F_SUBMIT };

/* Arrays are checked by check_wishes(); the spec only says they may be present. */
static const struct field_spec create_spec[] = {
  [F_PERSON] = {"person_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_SITUATION] = {"situation", FIELD_TEXT, FIELD_REQUIRED, 1, 20000, NULL},
  [F_KINDS] = {"wished_unit_kinds", FIELD_ANY, 0, 0, 0, NULL},
  [F_TOWNS] = {"wished_towns", FIELD_ANY, 0, 0, 0, NULL},
  [F_URGENCY] = {"urgency", FIELD_ENUM, 0, 0, 0, urgencies},
  [F_REFERENT] = {"referent_name", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
  [F_SUBMIT] = {"submit", FIELD_BOOL, 0, 0, 0, NULL},
};

static const struct field_spec update_spec[] = {
  [F_PERSON] = {"person_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
  [F_SITUATION] = {"situation", FIELD_TEXT, 0, 1, 20000, NULL},
  [F_KINDS] = {"wished_unit_kinds", FIELD_ANY, 0, 0, 0, NULL},
  [F_TOWNS] = {"wished_towns", FIELD_ANY, 0, 0, 0, NULL},
  [F_URGENCY] = {"urgency", FIELD_ENUM, 0, 0, 0, urgencies},
  [F_REFERENT] = {"referent_name", FIELD_STRING, FIELD_NULLABLE, 0, 200, NULL},
};

static const struct field_spec transition_spec[] = {
  {"to", FIELD_ENUM, FIELD_REQUIRED, 0, 0,
   (const char *const[]){"draft", "submitted", "scheduled", "approved", "refused", "deferred", "placed", "withdrawn",
                         "lapsed", NULL}},
  {"reason", FIELD_TEXT, FIELD_NULLABLE, 1, 2000, NULL},
  {"force", FIELD_BOOL, 0, 0, 0, NULL},
};

/* Checks the wish arrays of the body (at most 10 unit kinds from the list, 20 towns of 1..100 characters) and
 * writes them as JSON text into *KINDS / *TOWNS (malloc'ed; "[]" when absent). */
static bool check_wishes(struct request *rq, char **kinds, char **towns, enum MHD_Result *ret) {
  json_t *errors = json_array();
  *kinds = *towns = NULL;
  static const struct { const char *name; size_t max_items; const char *const *values; } arrays[2] = {
    {"wished_unit_kinds", 10, unit_kinds}, {"wished_towns", 20, NULL}};
  char **out[2] = {kinds, towns};
  for (int a = 0; a < 2; a++) {
    json_t *arr = json_object_get(rq->json, arrays[a].name);
    char field[64];
    if (arr == NULL || json_is_null(arr)) {
      *out[a] = strdup("[]");
      continue;
    }
    snprintf(field, sizeof field, "/%s", arrays[a].name);
    if (!json_is_array(arr) || json_array_size(arr) > arrays[a].max_items) {
      char reason[64];
      snprintf(reason, sizeof reason, "must be an array of at most %zu strings", arrays[a].max_items);
      json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason", reason));
      continue;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
      const char *s = json_string_value(v);
      bool ok = s != NULL && utf8_length(s) >= 1 && utf8_length(s) <= 100 && valid_text(s, false);
      if (ok && arrays[a].values != NULL) {
        ok = false;
        for (size_t k = 0; arrays[a].values[k] != NULL; k++)
          ok |= strcmp(s, arrays[a].values[k]) == 0;
      }
      if (!ok) {
        snprintf(field, sizeof field, "/%s/%zu", arrays[a].name, i);
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason",
                                                arrays[a].values ? "must be a unit kind: hlm_apartment, "
                                                                   "foyer_place, transitional_place, residence_place"
                                                                 : "must be a town name of 1 to 100 characters"));
      }
    }
    *out[a] = json_dumps(arr, JSON_COMPACT);
  }
  if (json_array_size(errors) == 0 && *kinds != NULL && *towns != NULL) {
    json_decref(errors);
    return true;
  }
  free(*kinds);
  free(*towns);
  *kinds = *towns = NULL;
  *ret = json_array_size(errors) ? reply_validation(rq, errors) : (json_decref(errors), MHD_NO);
  return false;
}

/* Row ROW of RES as the API's Application; the situation only when SHOW_SITUATION. */
static json_t *application_json(const PGresult *res, int row, bool show_situation) {
  json_t *kinds = json_loads(PQgetvalue(res, row, 3), 0, NULL);
  json_t *towns = json_loads(PQgetvalue(res, row, 4), 0, NULL);
  json_t *app = json_pack(
      "{s:o, s:{s:o, s:o, s:o, s:o}, s:o*, s:o*, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
      row_string(res, row, 0), "person", "id", row_string(res, row, 1), "family_name", row_string(res, row, 15),
      "given_names", row_string(res, row, 16), "birth_date", row_string(res, row, 17), "wished_unit_kinds", kinds,
      "wished_towns", towns, "urgency", row_string(res, row, 5), "referent_name", row_string(res, row, 6), "status",
      row_string(res, row, 7), "submitted_at", row_string(res, row, 8), "decided_at", row_string(res, row, 9),
      "waiting_days", row_int(res, row, 10), "created_by_role", row_string(res, row, 11), "version",
      row_int(res, row, 12), "created_at", row_string(res, row, 13), "updated_at", row_string(res, row, 14));
  if (app != NULL && show_situation)
    json_object_set_new(app, "situation", row_string(res, row, 2));
  return app;
}

static bool may_see_situation(struct request *rq) {
  return access_decide(&rq->principal, RES_SITUATION, ACT_READ).kind != ACCESS_DENY;
}

static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_APPLICATION, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "This role has no access to applications.");
  return false;
}

static enum MHD_Result reply_application(struct request *rq, unsigned int status, const PGresult *res,
                                         const char *location) {
  return reply_versioned(rq, status, application_json(res, 0, may_see_situation(rq)),
                         strtol(PQgetvalue(res, 0, 12), NULL, 10), location);
}

enum MHD_Result api_applications_list(struct request *rq) {
  static const char *const query[] = {"status", "person_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct access a;
  struct page page;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && app_status_parse(status) == APP_INVALID)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                               "must be one of draft, submitted, scheduled, approved, refused, deferred, placed, "
                               "withdrawn, lapsed");
  const char *person = request_query(rq, "person_id");
  if (person != NULL && !valid_uuid(person))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:person_id", "must be a UUID");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_application_list(rq->db, rq->principal.commission_id, &a, status, person, page.after[0],
                                         page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  bool situation = may_see_situation(rq);
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, application_json(res, i, situation));
  return reply_page(rq, &page, res, items, (const int[]){18, 0}, 2);
}

struct create_tx {
  struct request *rq;
  struct access scope;
  const char *fields[6];
  const char *person_id;
  struct idempotency idem;
  PGresult *row; /* the created application, read back */
  bool person_unknown;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  PQclear(c->row);
  c->row = NULL;
  c->person_unknown = false;
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  const struct principal *p = &c->rq->principal;
  PGresult *res;
  s = db_application_insert(db, p->commission_id, c->person_id, &c->scope, c->fields, p->token_id,
                            role_name(p->role), &res);
  if (s <= 0) {
    PQclear(res);
    c->person_unknown = s == DB_NO_ROW;
    return s == DB_NO_ROW ? DB_REFUSED : s;
  }
  char id[UUID_STR_LEN];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  s = db_application_created(db, p->commission_id, id, c->fields[5], p->token_id, role_name(p->role));
  if (s < 0)
    return s;
  s = db_application_get(db, p->commission_id, id, &c->scope, false, &c->row);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(c->location, sizeof c->location, "/v1/applications/%s", id);
  audit_created(c->rq, "applications", id);
  json_t *body = application_json(c->row, 0, may_see_situation(c->rq));
  s = idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, body);
  json_decref(body);
  return s;
}

enum MHD_Result api_applications_create(struct request *rq) {
  enum MHD_Result ret;
  struct create_tx c = {.rq = rq};
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!allowed(rq, ACT_CREATE, &c.scope, &ret) ||
      !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  char *kinds, *towns;
  if (!check_wishes(rq, &kinds, &towns, &ret))
    return ret;
  c.person_id = v[F_PERSON].s;
  c.fields[0] = v[F_SITUATION].s;
  c.fields[1] = kinds;
  c.fields[2] = towns;
  c.fields[3] = v[F_URGENCY].present ? v[F_URGENCY].s : "normal";
  c.fields[4] = v[F_REFERENT].present && !v[F_REFERENT].null ? v[F_REFERENT].s : NULL;
  c.fields[5] = v[F_SUBMIT].present && v[F_SUBMIT].b ? "submitted" : "draft";
  if (!idempotency_init(rq, &c.idem, &ret)) {
    free(kinds);
    free(towns);
    return ret;
  }
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (s < 0 && s != DB_REFUSED)
    ret = reply_db_error(rq);
  else if (c.idem.replay || c.idem.mismatch)
    ret = idempotency_reply(rq, &c.idem);
  else if (c.person_unknown)
    ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/person_id", "is not a person you follow");
  else
    ret = reply_application(rq, MHD_HTTP_CREATED, c.row, c.location);
  PQclear(c.row);
  free(kinds);
  free(towns);
  idempotency_free(&c.idem);
  return ret;
}

enum MHD_Result api_applications_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_application_get(rq->db, rq->principal.commission_id, id, &a, false, &res);
  return reply_row(rq, s, res, "No such application.", reply_application);
}

enum MHD_Result api_applications_history(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_application_get(rq->db, rq->principal.commission_id, id, &a, false, &res);
  PQclear(res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such application.");
  s = db_application_events(rq->db, rq->principal.commission_id, id, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "from_status",
                                           row_string(res, i, 1), "to_status", row_string(res, i, 2), "reason",
                                           row_string(res, i, 3), "forced", row_bool(res, i, 4), "session_id",
                                           row_string(res, i, 5), "role", row_string(res, i, 6), "at",
                                           row_string(res, i, 7)));
  PQclear(res);
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

/* What a transaction found that refuses the request, when not a database error. */
enum refusal { REFUSE_NONE, REFUSE_NOT_FOUND, REFUSE_STALE, REFUSE_STATE };

struct update_tx {
  struct request *rq;
  struct access scope;
  const char *id;
  struct field_value *v;
  const char *kinds, *towns; /* NULL when not sent */
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
  const char *commission = u->rq->principal.commission_id;
  PGresult *cur;
  enum db_status s = db_application_get(db, commission, u->id, &u->scope, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    u->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  snprintf(u->current, sizeof u->current, "%s", PQgetvalue(cur, 0, 7));
  enum app_status status = app_status_parse(u->current);
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, 12), NULL, 10)))
    u->refusal = REFUSE_STALE;
  else if (status != APP_DRAFT && status != APP_SUBMITTED && status != APP_DEFERRED)
    u->refusal = REFUSE_STATE;
  if (u->refusal != REFUSE_NONE) {
    PQclear(cur);
    return DB_NO_ROW;
  }
  const char *fields[5] = {
    u->v[F_SITUATION].present ? u->v[F_SITUATION].s : PQgetvalue(cur, 0, 2),
    u->kinds ? u->kinds : PQgetvalue(cur, 0, 3),
    u->towns ? u->towns : PQgetvalue(cur, 0, 4),
    u->v[F_URGENCY].present ? u->v[F_URGENCY].s : PQgetvalue(cur, 0, 5),
    u->v[F_REFERENT].present ? (u->v[F_REFERENT].null ? NULL : u->v[F_REFERENT].s)
                             : (PQgetisnull(cur, 0, 6) ? NULL : PQgetvalue(cur, 0, 6)),
  };
  s = db_application_update(db, commission, u->id, fields);
  PQclear(cur);
  if (s < 0)
    return s;
  return db_application_get(db, commission, u->id, &u->scope, false, &u->row);
}

static enum MHD_Result reply_refusal(struct request *rq, enum refusal refusal, const char *current,
                                     const char *detail) {
  switch (refusal) {
  case REFUSE_NOT_FOUND:
    return reply_problem(rq, ERR_NOT_FOUND, "No such application.");
  case REFUSE_STALE:
    return reply_stale(rq, "application");
  default:
    return reply_problem_with(rq, ERR_INVALID_STATE, detail, json_pack("{s:s}", "current_status", current));
  }
}

enum MHD_Result api_applications_update(struct request *rq) {
  enum MHD_Result ret;
  struct update_tx u = {.rq = rq};
  struct field_value v[FIELDS_COUNT(update_spec)];
  u.id = param_path_uuid(rq, 0, "id", &ret);
  if (u.id == NULL || !allowed(rq, ACT_UPDATE, &u.scope, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret))
    return ret;
  if (rq->principal.role == ROLE_CURATOR && v[F_SITUATION].present)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/situation",
                               "is care-confidential: only the care team and the coordinator change it");
  char *kinds = NULL, *towns = NULL;
  if (!check_wishes(rq, &kinds, &towns, &ret))
    return ret;
  u.if_match = param_if_match(rq);
  if (u.if_match < 0) {
    free(kinds);
    free(towns);
    return reply_if_match_problem(rq, u.if_match);
  }
  u.v = v;
  u.kinds = json_object_get(rq->json, "wished_unit_kinds") ? kinds : NULL;
  u.towns = json_object_get(rq->json, "wished_towns") ? towns : NULL;
  enum db_status s = db_transaction(rq->db, update_body, &u);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (u.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, u.refusal, u.current, "Only draft, submitted or deferred applications can be edited.");
  else if (u.row == NULL)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such application.");
  else
    ret = reply_application(rq, MHD_HTTP_OK, u.row, NULL);
  PQclear(u.row);
  free(kinds);
  free(towns);
  return ret;
}

struct transition_tx {
  struct request *rq;
  struct access scope;
  const char *id;
  enum app_status to;
  const char *reason;
  bool force;
  enum refusal refusal;
  char current[16];
  PGresult *row;
};

static enum db_status transition_body(struct db *db, void *cls) {
  struct transition_tx *t = cls;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  const struct principal *p = &t->rq->principal;
  PGresult *cur;
  enum db_status s = db_application_get(db, p->commission_id, t->id, &t->scope, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(cur, 0, 7));
  PQclear(cur);
  enum app_status from = app_status_parse(t->current);
  bool legal = t->force ? from != t->to : app_transition_legal(from, t->to, PATH_CLIENT);
  if (!legal) {
    t->refusal = REFUSE_STATE;
    return DB_NO_ROW;
  }
  s = db_application_move(db, p->commission_id, t->id, t->current, app_status_name(t->to), t->reason, t->force,
                          NULL, p->token_id, role_name(p->role));
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR; /* moved under us despite the row lock: retry */
  return db_application_get(db, p->commission_id, t->id, &t->scope, false, &t->row);
}

enum MHD_Result api_applications_transition(struct request *rq) {
  enum MHD_Result ret;
  struct transition_tx t = {.rq = rq};
  struct field_value v[FIELDS_COUNT(transition_spec)];
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !allowed(rq, ACT_UPDATE, &t.scope, &ret) ||
      !request_fields(rq, transition_spec, FIELDS_COUNT(transition_spec), v, &ret))
    return ret;
  t.to = app_status_parse(v[0].s);
  t.reason = v[1].present && !v[1].null ? v[1].s : NULL;
  t.force = v[2].present && v[2].b;
  if (t.force && access_decide(&rq->principal, RES_APPLICATION, ACT_FORCE).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator can force a transition.");
  if (t.force && t.reason == NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/reason", "is required to force a transition");
  enum db_status s = db_transaction(rq->db, transition_body, &t);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (t.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, t.refusal, t.current,
                        "This transition is not allowed from the current status (sessions schedule and decide; "
                        "the coordinator can force with a reason).");
  else
    ret = reply_application(rq, MHD_HTTP_OK, t.row, NULL);
  PQclear(t.row);
  return ret;
}
