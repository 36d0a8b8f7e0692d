/* /v1/people: the people (usagers) the commission follows (their care notes: care_notes.c).
 * The coordinator sees the whole commission; a caregiver the people its care team follows; a curator the people
 * its service protects. Landlords and observers never see a person (the route table answers their 403). A person
 * outside the caller's scope answers 404 exactly like one that does not exist. The rules a record obeys are
 * src/domain/person.c's. */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "duplicates.h"
#include "fields.h"
#include "json_text.h"
#include "log.h"
#include "params.h"
#include "person.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

static const char *const protections[] = {"none",    "sauvegarde_de_justice", "curatelle_simple", "curatelle_renforcee",
                                          "tutelle", NULL};

/* The body's members, in the specs' order. */
enum {
  F_FAMILY,
  F_GIVEN,
  F_BIRTH,
  F_PHONE,
  F_EMAIL,
  F_ADDRESS,
  F_CARE_TEAM,
  F_PROTECTION,
  F_CURATOR,
  F_START,
  F_END,
  F_CONFIRM, /* creation only */
};

static const struct field_spec create_spec[] = {
  [F_FAMILY] = {"family_name", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_GIVEN] = {"given_names", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_BIRTH] = {"birth_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_CARE_TEAM] = {"care_team_id", FIELD_UUID, 0, 0, 0, NULL},
  [F_PROTECTION] = {"protection", FIELD_ENUM, 0, 0, 0, protections},
  [F_CURATOR] = {"curator_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_START] = {"protection_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_END] = {"protection_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_CONFIRM] = {"confirm_duplicate", FIELD_BOOL, 0, 0, 0, NULL},
};

static const struct field_spec update_spec[] = {
  [F_FAMILY] = {"family_name", FIELD_STRING, 0, 1, 100, NULL},
  [F_GIVEN] = {"given_names", FIELD_STRING, 0, 1, 100, NULL},
  [F_BIRTH] = {"birth_date", FIELD_DATE, 0, 0, 0, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_CARE_TEAM] = {"care_team_id", FIELD_UUID, 0, 0, 0, NULL},
  [F_PROTECTION] = {"protection", FIELD_ENUM, 0, 0, 0, protections},
  [F_CURATOR] = {"curator_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_START] = {"protection_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_END] = {"protection_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

const struct body_spec person_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec person_update_body = {update_spec, FIELDS_COUNT(update_spec)};

/* A person row as the API's Person; NULL when it cannot be built. */
static json_t *person_json(const struct person_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                   json_of_text(r->id), "family_name", json_of_text(r->family_name), "given_names",
                   json_of_text(r->given_names), "birth_date", json_of_text(r->birth_date), "phone",
                   json_of_text(r->phone), "email", json_of_text(r->email), "address", json_of_text(r->address),
                   "care_team_id", json_of_text(r->care_team_id), "protection", json_of_text(r->protection),
                   "curator_org_id", json_of_text(r->curator_org_id), "protection_start",
                   json_of_text(r->protection_start), "protection_end", json_of_text(r->protection_end), "version",
                   json_of_int(r->version), "created_at", json_of_text(r->created_at), "updated_at",
                   json_of_text(r->updated_at));
}

/* Row I of RES into OUT: the JSON of the person and its version. */
static bool person_out(const PGresult *res, int i, struct write_out *out) {
  struct person_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = person_json(&r);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

/* The values V sent, merged over CURRENT (NULL: none stored, a creation): a member sent replaces the stored one
 * (null clears it); the others stay. */
static struct person_fields fields_merge(const struct field_value *v, const struct person_fields *current) {
  static const struct person_fields none = {0};
  const struct person_fields *c = current != NULL ? current : &none;
  return (struct person_fields){
    .family_name = patch_pick(&v[F_FAMILY], c->family_name), .given_names = patch_pick(&v[F_GIVEN], c->given_names),
    .birth_date = patch_pick(&v[F_BIRTH], c->birth_date), .phone = patch_pick(&v[F_PHONE], c->phone),
    .email = patch_pick(&v[F_EMAIL], c->email), .address = patch_pick(&v[F_ADDRESS], c->address),
    .care_team_id = patch_pick(&v[F_CARE_TEAM], c->care_team_id),
    .protection = patch_pick(&v[F_PROTECTION], c->protection),
    .curator_org_id = patch_pick(&v[F_CURATOR], c->curator_org_id),
    .protection_start = patch_pick(&v[F_START], c->protection_start),
    .protection_end = patch_pick(&v[F_END], c->protection_end)};
}

static struct person_sent fields_sent(const struct field_value *v) {
  return (struct person_sent){
    .family_name = v[F_FAMILY].present, .given_names = v[F_GIVEN].present, .birth_date = v[F_BIRTH].present,
    .phone = v[F_PHONE].present, .email = v[F_EMAIL].present, .address = v[F_ADDRESS].present,
    .care_team_id = v[F_CARE_TEAM].present, .protection = v[F_PROTECTION].present,
    .curator_org_id = v[F_CURATOR].present, .protection_start = v[F_START].present,
    .protection_end = v[F_END].present};
}

/* The stored values of a person row. */
static struct person_fields fields_of_row(const struct person_row *r) {
  return (struct person_fields){
    .family_name = r->family_name, .given_names = r->given_names, .birth_date = r->birth_date, .phone = r->phone,
    .email = r->email, .address = r->address, .care_team_id = r->care_team_id, .protection = r->protection,
    .curator_org_id = r->curator_org_id, .protection_start = r->protection_start,
    .protection_end = r->protection_end};
}

/* The rules' findings as the errors of a 422 ([{field, reason}]); NULL when out of memory. */
static json_t *errors_json(const struct person_errors *e) {
  json_t *errors = json_array();
  for (size_t i = 0; errors != NULL && i < e->count; i++)
    errors = items_append(errors, json_pack("{s:s, s:s}", "field", e->at[i].field, "reason", e->at[i].reason));
  return errors;
}

/* In the open transaction: the organisation ID must be of KIND in the commission; else a finding naming FIELD. */
static enum db_status check_org(struct db *db, const char *commission_id, const char *id, const char *kind,
                                const char *field, const char *reason, struct person_errors *errors) {
  char found[32];
  enum db_status s = db_organisation_kind(db, commission_id, id, found);
  if (s < 0)
    return s;
  if ((s == DB_NO_ROW || strcmp(found, kind) != 0) && errors->count < PERSON_ERRORS_MAX) {
    errors->at[errors->count].field = field;
    errors->at[errors->count].reason = reason;
    errors->count++;
  }
  return DB_ROW;
}

/* The organisations V names that the request sent (all of them on a creation) are a care team and a curator
 * service of the commission: DB_ROW, or the refusal naming each one that is not. */
static enum db_status check_orgs(struct db *db, const char *commission_id, const struct person_fields *v,
                                 const struct person_sent *sent, bool creating, struct write_out *out) {
  struct person_errors errors = {0};
  enum db_status s = DB_ROW;
  if ((creating || sent->care_team_id) && v->care_team_id != NULL)
    s = check_org(db, commission_id, v->care_team_id, "care_team", "/care_team_id",
                  "must be a care team (kind care_team) of this commission", &errors);
  if (s >= 0 && (creating || sent->curator_org_id) && v->curator_org_id != NULL)
    s = check_org(db, commission_id, v->curator_org_id, "curator_service", "/curator_org_id",
                  "must be a curator service (kind curator_service) of this commission", &errors);
  if (s < 0)
    return s; /* the database failed: no refusal to report */
  return errors.count > 0 ? write_refuse_errors(out, errors_json(&errors)) : DB_ROW;
}

/* A failed write refused by a constraint of the data (23514 check, 23503 reference): the client's mistake,
 * answered 422 naming the field; anything else (S) is the database's. */
static enum db_status constraint_refused(struct db *db, enum db_status s, struct write_out *out) {
  const char *state = db_sqlstate(db);
  if (strcmp(state, "23514") != 0 && strcmp(state, "23503") != 0)
    return s;
  return write_refuse_field(out, ERR_VALIDATION_FAILED, person_constraint_field(db_constraint(db)),
                            "is not consistent with the rest of the record");
}

/* Well-formed UTF-8 (query parameters arrive percent-decoded, unchecked). */
static bool valid_utf8(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  while (*u != '\0') {
    int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || (n == 1 && *u < 0xC2) || (n == 3 && *u > 0xF4))
      return false;
    unsigned int cp = *u & (0x7F >> n);
    for (int i = 1; i <= n; i++) {
      if ((u[i] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (u[i] & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    u += n + 1;
  }
  return true;
}

/* ---- GET /v1/people */

enum MHD_Result api_people_list(struct request *rq) {
  static const char *const query[] = {"q", "care_team_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_TEXT, KEY_UUID};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *q = request_query(rq, "q");
  if (q != NULL) {
    size_t n = valid_utf8(q) ? utf8_length(q) : 0;
    if (n < 1 || n > 100 || !valid_text(q, false))
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:q", "must be 1 to 100 characters of one line");
  }
  const char *team = request_query(rq, "care_team_id");
  if (team != NULL && !valid_uuid(team))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:care_team_id", "must be a UUID");
  struct page page;
  if (!param_page(rq, &page, 3, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_person_list(rq->db, rq->principal.commission_id, access_scope_param(&rq->access),
                                    access_org_param(&rq->access), q, team, page.after, page.limit, &res);
  return reply_list(rq, &page, s, res, person_out, (const char *const[]){"family_name", "given_names", "id"}, 3);
}

/* ---- POST /v1/people */

struct create_tx {
  struct person_fields values;
  struct person_sent sent;
  bool confirm;
  size_t hidden; /* matches of the last attempt the caller may not see */
};

/* Before the Idempotency-Key: the references (a replay passes them too), so that validation-failed comes before
 * idempotency-key-reused. */
static enum db_status create_check(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct create_tx *c = cls;
  return check_orgs(db, rq->principal.commission_id, &c->values, &c->sent, true, out);
}

/* The matches of a possible duplicate the caller may see, counting in *HIDDEN those it may not; NULL when out of
 * memory. */
static json_t *duplicate_candidates(const PGresult *res, size_t *hidden) {
  json_t *candidates = json_array();
  *hidden = 0;
  for (int i = 0; candidates != NULL && i < PQntuples(res); i++) {
    struct person_duplicate_row d;
    if (!db_row(res, i, &d)) {
      json_decref(candidates);
      return NULL;
    }
    if (!person_duplicate_shown(d.in_scope != NULL && d.in_scope[0] == 't')) {
      (*hidden)++;
      continue;
    }
    candidates = items_append(candidates, json_pack("{s:o, s:o, s:o, s:o}", "id", json_of_text(d.id), "family_name",
                                                    json_of_text(d.family_name), "given_names",
                                                    json_of_text(d.given_names), "birth_date",
                                                    json_of_text(d.birth_date)));
  }
  return candidates;
}

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct create_tx *c = cls;
  const char *commission = rq->principal.commission_id;
  PGresult *res;
  enum db_status s;
  c->hidden = 0;
  if (!c->confirm) {
    s = db_person_duplicates(db, commission, c->values.family_name, c->values.given_names, c->values.birth_date,
                             access_scope_param(&rq->access), access_org_param(&rq->access), &res);
    if (s < 0)
      return s;
    size_t hidden;
    json_t *candidates = duplicate_candidates(res, &hidden);
    PQclear(res);
    if (candidates == NULL)
      return DB_HARD_ERROR;
    size_t shown = json_array_size(candidates);
    if (person_duplicate_refuses(shown, hidden, c->confirm)) {
      c->hidden = hidden;
      return write_refuse_with(out, ERR_POSSIBLE_DUPLICATE, person_duplicate_detail(shown),
                               json_pack("{s:o}", "candidates", candidates));
    }
    json_decref(candidates);
  }
  s = db_person_insert(db, commission, &c->values, &res);
  if (s < 0)
    return constraint_refused(db, s, out);
  struct person_row r;
  bool ok = db_row(res, 0, &r) && person_out(res, 0, out);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/people/%s", r.id);
    audit_created(rq, "people", r.id);
  }
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

/* After a refusal with matches the caller may not see, in a transaction of its own (the refusal rolled the
 * creation's back): the request, for the coordinator's duplicates queue. Reports DB_NO_ROW so that it commits
 * without a write's audit entry: the request's own entry is the refusal's. */
static enum db_status record_request(struct db *db, void *cls) {
  struct request *rq = ((void **)cls)[0];
  const struct create_tx *c = ((void **)cls)[1];
  struct duplicate_request_fields f = {
    .commission_id = rq->principal.commission_id, .family_name = c->values.family_name,
    .given_names = c->values.given_names, .birth_date = c->values.birth_date,
    .scope = access_scope_param(&rq->access), .org = access_org_param(&rq->access),
    .role = role_name(rq->principal.role), .token_id = rq->principal.token_id};
  enum db_status s = db_duplicate_request_record(db, &f);
  return s < 0 ? s : DB_NO_ROW;
}

enum MHD_Result api_people_create(struct request *rq) {
  const struct field_value *v = rq->fields;
  struct create_tx c = {.values = fields_merge(v, NULL), .sent = fields_sent(v),
                        .confirm = v[F_CONFIRM].present && v[F_CONFIRM].b};
  person_complete_new(&rq->principal, &c.values);
  char today[11];
  date_format(date_today(), today, sizeof today);
  struct person_errors errors = {0};
  person_check(&rq->principal, today, &c.values, NULL, &c.sent, &errors);
  if (errors.count > 0)
    return reply_validation(rq, errors_json(&errors));
  enum MHD_Result ret = creation_run_checked(rq, create_check, create_body, &c);
  if (c.hidden > 0 && rq->status == 409) {
    void *cls[2] = {rq, &c};
    if (db_transaction(rq->db, record_request, cls) < 0)
      log_event(LOG_ERROR, "duplicate request not recorded", ",\"request_id\":\"%s\"", rq->request_id);
  }
  return ret;
}

/* ---- GET /v1/people/{id} */

/* A person not found: the 404, with a pointer to the file it was linked into when the caller sees that one. */
static enum MHD_Result person_missing(struct request *rq) {
  PGresult *res;
  enum db_status s = db_person_merged_into(rq->db, rq->principal.commission_id, rq->args[0],
                                           access_scope_param(&rq->access), access_org_param(&rq->access), &res);
  if (s < 0)
    return reply_db_error(rq);
  struct person_merged_row m;
  json_t *members = s == DB_ROW && db_row(res, 0, &m) ? json_pack("{s:o}", "merged_into", json_of_text(m.into_id))
                                                      : NULL;
  PQclear(res);
  if (members == NULL)
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  return reply_problem_with(rq, ERR_NOT_FOUND,
                            "This file was linked into another one, which holds everything it held: see "
                            "merged_into.",
                            members);
}

enum MHD_Result api_people_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_person_get(rq->db, rq->principal.commission_id, rq->args[0], access_scope_param(&rq->access),
                                   access_org_param(&rq->access), false, &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return person_missing(rq);
  }
  return reply_read(rq, s, res, "No such person.", person_out);
}

/* ---- PATCH /v1/people/{id} */

/* An update: the stored row (read for update), then the merge of what the client sent. */
struct update_tx {
  const struct field_value *v;
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_person_get(db, rq->principal.commission_id, rq->args[0], access_scope_param(&rq->access),
                                   access_org_param(&rq->access), true, &u->current);
  return patch_locked(s, u->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  struct person_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  const char *commission = rq->principal.commission_id;
  struct person_fields stored = fields_of_row(&cur), merged = fields_merge(u->v, &stored);
  struct person_sent sent = fields_sent(u->v);
  char today[11];
  date_format(date_today(), today, sizeof today);
  struct person_errors errors = {0};
  person_check(&rq->principal, today, &merged, &stored, &sent, &errors);
  if (errors.count > 0)
    return write_refuse_errors(out, errors_json(&errors));
  enum db_status s = check_orgs(db, commission, &merged, &sent, false, out);
  if (s < 0)
    return s;
  PGresult *res;
  s = db_person_update(db, commission, rq->args[0], &merged, &res);
  if (s < 0)
    return constraint_refused(db, s, out);
  bool ok = s == DB_ROW && person_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_people_update(struct request *rq) {
  static const struct patch patch = {"person's record", "No such person.", update_lock, update_write};
  const struct field_value *v = rq->fields;
  struct person_fields sent_values = fields_merge(v, NULL);
  struct person_sent sent = fields_sent(v);
  char today[11];
  date_format(date_today(), today, sizeof today);
  struct person_errors errors = {0};
  person_check_change(&rq->principal, today, &sent_values, &sent, &errors);
  if (errors.count > 0)
    return reply_validation(rq, errors_json(&errors));
  struct update_tx u = {.v = v};
  enum MHD_Result ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  return ret;
}
