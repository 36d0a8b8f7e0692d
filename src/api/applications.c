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
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

static const char *const urgencies[] = {"normal", "high", "urgent", NULL};
static const char *const unit_kinds[] = {"hlm_apartment", "foyer_place", "transitional_place", "residence_place",
                                         NULL};

enum { F_PERSON, F_SITUATION, F_KINDS, F_TOWNS, F_URGENCY, F_REFERENT, F_SUBMIT };

/* Arrays are checked by check_wishes(); the spec only says they may be present. */
static const struct field_spec create_spec[] = {
  [F_PERSON] = {"person_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  /* required except from a curator (api_applications_create) */
  [F_SITUATION] = {"situation", FIELD_TEXT, 0, 1, 20000, NULL},
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

enum { T_TO, T_REASON, T_FORCE };

static const struct field_spec transition_spec[] = {
  [T_TO] = {"to", FIELD_ENUM, FIELD_REQUIRED, 0, 0,
            (const char *const[]){"draft", "submitted", "scheduled", "approved", "refused", "deferred", "placed",
                                  "withdrawn", "lapsed", NULL}},
  [T_REASON] = {"reason", FIELD_TEXT, FIELD_NULLABLE, 1, 2000, NULL},
  [T_FORCE] = {"force", FIELD_BOOL, 0, 0, 0, NULL},
};

/* The route table checks these members; check_wishes() the arrays the specs take as FIELD_ANY. */
const struct body_spec application_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec application_update_body = {update_spec, FIELDS_COUNT(update_spec)};
const struct body_spec application_transition_body = {transition_spec, FIELDS_COUNT(transition_spec)};

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

/* Whether ROLE reads the situation text (whether access is denied depends on the role alone). */
static bool may_see_situation(enum role role) {
  const struct principal p = {.role = role};
  return access_decide(&p, RES_SITUATION, ACT_READ).kind != ACCESS_DENY;
}

/* Row I of RES as the API's Application, as READER sees it (the situation only for a role that reads it), and its
 * version. */
static bool application_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  struct application_row r;
  if (!db_row(res, i, &r))
    return false;
  jw_object_begin(w);
  jw_key_string(w, "id", r.id);
  jw_key(w, "person");
  jw_object_begin(w);
  jw_key_string(w, "id", r.person_id);
  jw_key_string(w, "family_name", r.family_name);
  jw_key_string(w, "given_names", r.given_names);
  jw_key_string(w, "birth_date", r.birth_date);
  jw_object_end(w);
  if (r.wished_unit_kinds != NULL)
    jw_key_text_array(w, "wished_unit_kinds", r.wished_unit_kinds);
  if (r.wished_towns != NULL)
    jw_key_text_array(w, "wished_towns", r.wished_towns);
  jw_key_string(w, "urgency", r.urgency);
  jw_key_string(w, "referent_name", r.referent_name);
  jw_key_string(w, "status", r.status);
  jw_key_timestamp(w, "submitted_at", r.submitted_at);
  jw_key_timestamp(w, "decided_at", r.decided_at);
  jw_key_string(w, "decided_on", r.decided_on);
  jw_key_int(w, "waiting_days", r.waiting_days);
  jw_key_string(w, "created_by_role", r.created_by_role);
  jw_key_int(w, "version", r.version);
  jw_key_timestamp(w, "created_at", r.created_at);
  jw_key_timestamp(w, "updated_at", r.updated_at);
  if (may_see_situation(reader))
    jw_key_string(w, "situation", r.situation);
  jw_object_end(w);
  *version = long_of_text(r.version);
  return true;
}

/* Row I of RES into OUT (a write's answer). */
static bool application_out(const PGresult *res, int i, struct write_out *out) {
  return write_out_of(res, i, out, application_write);
}

/* In a write's transaction, after it: the application ID read back as the caller sees it, into OUT. */
static enum db_status application_read_back(struct db *db, struct request *rq, const char *id,
                                            struct write_out *out) {
  PGresult *res;
  enum db_status s = db_application_get(db, rq->principal.commission_id, id, &rq->access, false, &res);
  if (s < 0)
    return s;
  bool ok = s == DB_ROW && application_out(res, 0, out);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such application.");
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_applications_list(struct request *rq) {
  static const char *const query[] = {"status", "person_id", "referent", "unit_kind", "town", "limit", "cursor",
                                      NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  struct application_filters f = {.person_id = request_query(rq, "person_id"),
                                  .referent = request_query(rq, "referent"),
                                  .unit_kind = request_query(rq, "unit_kind"), .town = request_query(rq, "town")};
  const char *status = request_query(rq, "status");
  char statuses[128];
  if (status != NULL && !app_status_list_parse(status, statuses, sizeof statuses))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                               "must be one or more of draft, submitted, scheduled, approved, refused, deferred, "
                               "placed, withdrawn, lapsed, separated by commas; waiting is submitted and deferred");
  f.statuses = status != NULL ? statuses : NULL;
  if (f.person_id != NULL && !valid_uuid(f.person_id))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:person_id", "must be a UUID");
  if (f.referent != NULL && (utf8_length(f.referent) < 1 || utf8_length(f.referent) > 200 ||
                             !valid_text(f.referent, false)))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:referent", "must be 1 to 200 characters of one line");
  bool kind_ok = f.unit_kind == NULL;
  for (size_t i = 0; !kind_ok && unit_kinds[i] != NULL; i++)
    kind_ok = strcmp(f.unit_kind, unit_kinds[i]) == 0;
  if (!kind_ok)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:unit_kind",
                               "must be hlm_apartment, foyer_place, transitional_place or residence_place");
  if (f.town != NULL && (utf8_length(f.town) < 1 || utf8_length(f.town) > 100 || !valid_text(f.town, false)))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:town", "must be 1 to 100 characters of one line");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_application_list(rq->db, rq->principal.commission_id, &rq->access, &f, page.after[0],
                                         page.after[1], page.limit, &res);
  return reply_list_of(rq, &page, s, res, application_write, (const char *const[]){"list_key", "id"}, 2);
}

/* ---- POST /v1/applications */

struct create_tx {
  const char *person_id;
  struct application_fields f;
};

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct create_tx *c = cls;
  const struct principal *p = &rq->principal;
  PGresult *res;
  enum db_status s = db_application_insert(db, p->commission_id, c->person_id, &rq->access, &c->f, p->token_id,
                                           role_name(p->role), &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/person_id", "is not a person you follow");
  }
  if (s < 0)
    return s;
  struct created_id_row row;
  char id[UUID_STR_LEN] = "";
  if (db_row(res, 0, &row) && row.id != NULL)
    snprintf(id, sizeof id, "%s", row.id);
  PQclear(res);
  if (id[0] == '\0')
    return DB_HARD_ERROR;
  s = db_application_created(db, p->commission_id, id, c->f.status, p->token_id, role_name(p->role));
  if (s < 0)
    return s;
  s = application_read_back(db, rq, id, out);
  if (s == DB_REFUSED)
    return DB_HARD_ERROR; /* created but not readable: cannot be */
  if (s < 0)
    return s;
  snprintf(out->location, sizeof out->location, "/v1/applications/%s", id);
  audit_created(rq, "applications", id);
  return DB_ROW;
}

enum MHD_Result api_applications_create(struct request *rq) {
  enum MHD_Result ret;
  /* The route table leaves this body to the handler (ROUTE_BODY_BY_HANDLER), so that one 422 names every field:
   * the spec's, and the situation text, which a curator may leave out (care-confidential and never its to read
   * back: the care team completes it later) and everyone else writes. */
  struct field_value v[FIELDS_COUNT(create_spec)];
  memset(v, 0, sizeof v);
  json_t *errors = json_array();
  if (errors == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  fields_check(rq->json, create_spec, FIELDS_COUNT(create_spec), v, errors);
  if (json_is_object(rq->json) && json_object_get(rq->json, "situation") == NULL &&
      rq->principal.role != ROLE_CURATOR)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "/situation", "reason", "is required"));
  if (json_array_size(errors) > 0)
    return reply_validation(rq, errors);
  json_decref(errors);
  char *kinds, *towns;
  if (!check_wishes(rq, &kinds, &towns, &ret))
    return ret;
  struct create_tx c = {.person_id = v[F_PERSON].s,
                        .f = {.situation = v[F_SITUATION].present ? v[F_SITUATION].s : NULL, .wished_unit_kinds = kinds, .wished_towns = towns,
                              .urgency = v[F_URGENCY].present ? v[F_URGENCY].s : "normal",
                              .referent_name = patch_pick(&v[F_REFERENT], NULL),
                              .status = v[F_SUBMIT].present && v[F_SUBMIT].b ? "submitted" : "draft"}};
  ret = creation_run(rq, create_body, &c);
  free(kinds);
  free(towns);
  return ret;
}

enum MHD_Result api_applications_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_application_get(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, false, &res);
  return reply_read_of(rq, s, res, "No such application.", application_write);
}

enum MHD_Result api_applications_history(struct request *rq) {
  const char *id = rq->args[0];
  PGresult *res;
  enum db_status s = db_application_get(rq->db, rq->principal.commission_id, id, &rq->access, false, &res);
  PQclear(res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such application.");
  s = db_application_events(rq->db, rq->principal.commission_id, id, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *items = json_array();
  for (int i = 0; items != NULL && i < PQntuples(res); i++) {
    struct application_event_row e;
    items = items_append(items, !db_row(res, i, &e)
                                    ? NULL
                                    : json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "from_status",
                                                json_of_text(e.from_status), "to_status", json_of_text(e.to_status),
                                                "reason", json_of_text(e.reason), "forced", json_of_bool(e.forced),
                                                "session_id", json_of_text(e.session_id), "role",
                                                json_of_text(e.role), "at", json_of_text(e.at)));
  }
  PQclear(res);
  if (items == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

/* The refusal of a move or an edit the application's status CURRENT does not allow. */
static enum db_status refuse_state(struct write_out *out, const char *current, const char *detail) {
  return write_refuse_with(out, ERR_INVALID_STATE, detail, json_pack("{s:s}", "current_status", current));
}

/* ---- PATCH /v1/applications/{id} */

/* An update: the stored row (read for update), then the merge of what the client sent. */
struct update_tx {
  const struct field_value *v;
  const char *kinds, *towns; /* NULL when not sent */
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_application_get(db, rq->principal.commission_id, rq->args[0], &rq->access, true, &u->current);
  return patch_locked(s, u->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  struct application_row cur;
  if (!db_row(u->current, 0, &cur) || cur.status == NULL)
    return DB_HARD_ERROR;
  enum app_status status = app_status_parse(cur.status);
  if (status != APP_DRAFT && status != APP_SUBMITTED && status != APP_DEFERRED)
    return refuse_state(out, cur.status, "Only draft, submitted or deferred applications can be edited.");
  const struct field_value *v = u->v;
  struct application_fields f = {.situation = patch_pick(&v[F_SITUATION], cur.situation),
                                 .wished_unit_kinds = u->kinds, .wished_towns = u->towns, /* NULL: as they are */
                                 .urgency = patch_pick(&v[F_URGENCY], cur.urgency),
                                 .referent_name = patch_pick(&v[F_REFERENT], cur.referent_name)};
  enum db_status s = db_application_update(db, rq->principal.commission_id, rq->args[0], &f);
  if (s < 0)
    return s;
  return application_read_back(db, rq, rq->args[0], out);
}

enum MHD_Result api_applications_update(struct request *rq) {
  static const struct patch patch = {"application", "No such application.", update_lock, update_write};
  enum MHD_Result ret;
  const struct field_value *v = rq->fields;
  if (rq->principal.role == ROLE_CURATOR && v[F_SITUATION].present)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/situation",
                               "is care-confidential: only the care team and the coordinator change it");
  char *kinds = NULL, *towns = NULL;
  if (!check_wishes(rq, &kinds, &towns, &ret))
    return ret;
  struct update_tx u = {.v = v, .kinds = json_object_get(rq->json, "wished_unit_kinds") ? kinds : NULL,
                        .towns = json_object_get(rq->json, "wished_towns") ? towns : NULL};
  ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  free(kinds);
  free(towns);
  return ret;
}

/* ---- POST /v1/applications/{id}/transitions */

struct transition_tx {
  enum app_status to;
  const char *reason;
  bool force;
};

static enum db_status transition_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct transition_tx *t = cls;
  const struct principal *p = &rq->principal;
  PGresult *cur;
  enum db_status s = db_application_get(db, p->commission_id, rq->args[0], &rq->access, true, &cur);
  if (s == DB_NO_ROW) {
    PQclear(cur);
    return write_refuse(out, ERR_NOT_FOUND, "No such application.");
  }
  if (s < 0)
    return s;
  struct application_row r;
  char current[16] = "";
  if (db_row(cur, 0, &r) && r.status != NULL)
    snprintf(current, sizeof current, "%s", r.status);
  PQclear(cur);
  if (current[0] == '\0')
    return DB_HARD_ERROR;
  enum app_status from = app_status_parse(current);
  bool legal = t->force ? from != t->to : app_transition_legal(from, t->to, PATH_CLIENT);
  if (!legal)
    return refuse_state(out, current,
                        "This transition is not allowed from the current status (sessions schedule and decide; "
                        "the coordinator can force with a reason).");
  s = db_application_move(db, p->commission_id, rq->args[0], current, app_status_name(t->to), t->reason, t->force,
                          NULL, p->token_id, role_name(p->role));
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR; /* moved under us despite the row lock: retry */
  return application_read_back(db, rq, rq->args[0], out);
}

enum MHD_Result api_applications_transition(struct request *rq) {
  const struct field_value *v = rq->fields;
  struct transition_tx t = {.to = app_status_parse(v[T_TO].s), .reason = patch_pick(&v[T_REASON], NULL),
                            .force = v[T_FORCE].present && v[T_FORCE].b};
  if (t.force && access_decide(&rq->principal, RES_APPLICATION, ACT_FORCE).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator can force a transition.");
  if (t.force && t.reason == NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/reason", "is required to force a transition");
  return write_run(rq, MHD_HTTP_OK, transition_body, &t);
}
