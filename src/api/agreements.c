/* /v1/agreements: the agreements (conventions) with landlords and residences, the units they cover and their
 * renewals. The coordinator manages them; a landlord reads its own; the other roles never see them. An
 * agreement's end date moves only through a renewal, which is recorded. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

#define UNIT_IDS_MAX 500
#define UNIT_IDS "unit_ids" /* the one array member: checked here, not by the field specs */
#define REFERENCE_CONSTRAINT "agreements_commission_id_reference_key"

enum { F_ORG, F_REFERENCE, F_SIGNATORY, F_START, F_END, F_NOTES, F_UNITS };

static const struct field_spec create_spec[] = {
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_REFERENCE] = {"reference", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_SIGNATORY] = {"signatory", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_START] = {"start_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_END] = {"end_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_NOTES] = {"notes", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
  [F_UNITS] = {UNIT_IDS, FIELD_ANY, FIELD_NULLABLE, 0, 0, NULL}, /* checked by unit_ids_check() */
};

static const struct field_spec update_spec[] = {
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
  [F_REFERENCE] = {"reference", FIELD_STRING, FIELD_FIXED, 1, 100, NULL},
  [F_SIGNATORY] = {"signatory", FIELD_STRING, 0, 1, 200, NULL},
  [F_START] = {"start_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_END] = {"end_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_NOTES] = {"notes", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
  [F_UNITS] = {UNIT_IDS, FIELD_ANY, FIELD_NULLABLE, 0, 0, NULL},
};

enum { R_NEW_END, R_SIGNATORY };

static const struct field_spec renew_spec[] = {
  [R_NEW_END] = {"new_end_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [R_SIGNATORY] = {"signatory", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
};

/* An agreement row as the API's Agreement; NULL when it cannot be built. */
static json_t *agreement_json(const struct agreement_row *r) {
  json_t *units = json_of_json(r->unit_ids), *renewals = json_of_json(r->renewals);
  if (!json_is_array(units) || !json_is_array(renewals)) {
    json_decref(units);
    json_decref(renewals);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                   json_of_text(r->id), "org_id", json_of_text(r->org_id), "reference", json_of_text(r->reference),
                   "signatory", json_of_text(r->signatory), "start_date", json_of_text(r->start_date), "end_date",
                   json_of_text(r->end_date), "status", json_of_text(r->status), "days_to_end",
                   json_of_int(r->days_to_end), "notes", json_of_text(r->notes), "unit_ids", units, "renewals",
                   renewals, "version", json_of_int(r->version), "created_at", json_of_text(r->created_at),
                   "updated_at", json_of_text(r->updated_at));
}

/* Row I of RES into OUT: the JSON of the agreement and its version. */
static bool agreement_out(const PGresult *res, int i, struct write_out *out) {
  struct agreement_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = agreement_json(&r);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

static void add_error(json_t *errors, const char *field, const char *reason) {
  json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason", reason));
}

/* The body's unit ids, checked by hand (the field specs have no arrays): an array of at most UNIT_IDS_MAX
 * distinct UUIDs. Problems go to ERRORS; *LITERAL gets them as a PostgreSQL array literal (malloc'ed) when the
 * member is present and valid, else NULL. */
static void unit_ids_check(json_t *body, json_t *errors, char **literal) {
  *literal = NULL;
  json_t *ids = json_object_get(body, UNIT_IDS);
  if (ids == NULL)
    return;
  if (!json_is_array(ids)) {
    add_error(errors, "/" UNIT_IDS, "must be an array of unit ids");
    return;
  }
  size_t n = json_array_size(ids);
  if (n > UNIT_IDS_MAX) {
    add_error(errors, "/" UNIT_IDS, "must hold at most 500 unit ids");
    return;
  }
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    const char *id = json_string_value(json_array_get(ids, i));
    char field[32];
    snprintf(field, sizeof field, "/" UNIT_IDS "/%zu", i);
    if (id == NULL || !valid_uuid(id)) {
      add_error(errors, field, "must be a UUID");
      ok = false;
      continue;
    }
    for (size_t j = 0; j < i; j++) {
      const char *other = json_string_value(json_array_get(ids, j));
      if (other != NULL && strcasecmp(id, other) == 0) {
        add_error(errors, field, "is listed twice");
        ok = false;
        break;
      }
    }
  }
  if (!ok)
    return;
  char *s = malloc(n * (UUID_STR_LEN) + 3);
  if (s == NULL)
    return;
  size_t used = 0;
  s[used++] = '{';
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      s[used++] = ',';
    memcpy(s + used, json_string_value(json_array_get(ids, i)), 36);
    used += 36;
  }
  s[used++] = '}';
  s[used] = '\0';
  *literal = s;
}

/* Checks the body against SPEC and its unit_ids, and the dates of a creation; on a problem queues the 422 with
 * every field at fault and returns false. *UNIT_IDS: see unit_ids_check(). */
static bool body_check(struct request *rq, const struct field_spec *spec, size_t n, struct field_value *v,
                       char **unit_ids, enum MHD_Result *ret) {
  *unit_ids = NULL;
  json_t *errors = json_array();
  if (errors == NULL) {
    *ret = reply_problem(rq, ERR_INTERNAL, NULL);
    return false;
  }
  fields_check(rq->json, spec, n, v, errors);
  unit_ids_check(rq->json, errors, unit_ids);
  if (spec == create_spec && v[F_START].s != NULL && v[F_END].s != NULL && valid_date(v[F_START].s) &&
      valid_date(v[F_END].s) && strcmp(v[F_END].s, v[F_START].s) <= 0)
    add_error(errors, "/end_date", "must be after start_date");
  if (json_array_size(errors) > 0) {
    free(*unit_ids);
    *unit_ids = NULL;
    *ret = reply_validation(rq, errors);
    return false;
  }
  json_decref(errors);
  if (json_object_get(rq->json, UNIT_IDS) != NULL && *unit_ids == NULL) {
    *ret = reply_problem(rq, ERR_INTERNAL, NULL); /* out of memory */
    return false;
  }
  return true;
}

/* Checks that every id of UNIT_IDS (a literal) is a unit of the commission owned by ORG_ID; the positions at
 * fault go to *BAD as {field, reason} (NULL when none). */
static enum db_status units_owned(struct db *db, const char *commission_id, const char *unit_ids,
                                  const char *org_id, json_t **bad) {
  *bad = NULL;
  PGresult *res;
  enum db_status s = db_agreement_units_check(db, commission_id, unit_ids, org_id, &res);
  if (s < 0)
    return s;
  int n = PQntuples(res);
  if (n > 0)
    *bad = json_array();
  for (int i = 0; *bad != NULL && i < n; i++) {
    struct agreement_unit_position_row r;
    char field[32];
    if (!db_row(res, i, &r)) {
      PQclear(res);
      return DB_HARD_ERROR;
    }
    snprintf(field, sizeof field, "/" UNIT_IDS "/%ld", long_of_text(r.position) - 1);
    add_error(*bad, field, "must be a unit of this commission owned by the agreement's organisation");
  }
  PQclear(res);
  return n > 0 && *bad == NULL ? DB_HARD_ERROR : DB_ROW;
}

enum MHD_Result api_agreements_list(struct request *rq) {
  static const char *const query[] = {"org_id", "expiring_within", "limit", "cursor", NULL};
  enum MHD_Result ret;
  const struct access *a = &rq->access;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *org_id = request_query(rq, "org_id");
  if (org_id != NULL && !valid_uuid(org_id))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:org_id", "must be a UUID");
  const char *within = request_query(rq, "expiring_within");
  char days[8];
  if (within != NULL) {
    size_t len = strlen(within);
    long d = 0;
    bool ok = len >= 2 && len <= 5 && within[len - 1] == 'd';
    for (size_t i = 0; ok && i + 1 < len; i++) {
      ok = within[i] >= '0' && within[i] <= '9';
      d = d * 10 + (within[i] - '0');
    }
    if (!ok || d < 1 || d > 3650)
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:expiring_within",
                                 "must be a number of days from 1 to 3650 followed by d, such as 90d");
    snprintf(days, sizeof days, "%ld", d);
  }
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  struct page page;
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_agreement_list(rq->db, rq->principal.commission_id, access_scope_param(a),
                                       access_org_param(a), org_id, within != NULL ? days : NULL, page.after[0],
                                       page.after[1], page.limit, &res);
  return reply_list(rq, &page, s, res, agreement_out, (const char *const[]){"end_date", "id"}, 2);
}

/* Reads agreement ID back (after a write, in the transaction) into OUT. */
static enum db_status read_back(struct db *db, const char *commission_id, const char *id, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_agreement_get(db, commission_id, "all", NULL, id, false, &res);
  bool ok = s == DB_ROW && agreement_out(res, 0, out);
  PQclear(res);
  return s < 0 ? s : ok ? DB_ROW : DB_HARD_ERROR;
}

const struct body_spec agreement_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec agreement_update_body = {update_spec, FIELDS_COUNT(update_spec)};
const struct body_spec agreement_renew_body = {renew_spec, FIELDS_COUNT(renew_spec)};

/* A creation or an update: the body's values and its unit ids (a literal, or NULL). */
struct agreement_tx {
  const struct field_value *v;
  const char *unit_ids;
  PGresult *current; /* an update's stored row */
};

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct agreement_tx *c = cls;
  const char *commission = rq->principal.commission_id;
  const char *org_id = c->v[F_ORG].s;
  char kind[32];
  enum db_status s = db_organisation_kind(db, commission, org_id, kind);
  if (s < 0)
    return s;
  if (s != DB_ROW || (strcmp(kind, "landlord") != 0 && strcmp(kind, "residence") != 0))
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/org_id",
                              "must be a landlord or residence organisation of this commission");
  if (c->unit_ids != NULL) {
    json_t *bad;
    if ((s = units_owned(db, commission, c->unit_ids, org_id, &bad)) < 0)
      return s;
    if (bad != NULL)
      return write_refuse_errors(out, bad);
  }
  struct agreement_fields f = {.org_id = org_id, .reference = c->v[F_REFERENCE].s, .signatory = c->v[F_SIGNATORY].s,
                               .start_date = c->v[F_START].s, .end_date = c->v[F_END].s,
                               .notes = patch_pick(&c->v[F_NOTES], NULL)};
  PGresult *res;
  s = db_agreement_insert(db, commission, &f, &res);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23505") == 0 && strcmp(db_constraint(db), REFERENCE_CONSTRAINT) == 0)
      return write_refuse_field(out, ERR_CONFLICT, "/reference",
                                "is already the reference of another agreement of this commission");
    return s;
  }
  char id[UUID_STR_LEN];
  struct id_row row;
  bool ok = db_row(res, 0, &row);
  snprintf(id, sizeof id, "%s", ok ? row.id : "");
  PQclear(res);
  if (!ok)
    return DB_HARD_ERROR;
  if (c->unit_ids != NULL && (s = db_agreement_units_set(db, commission, id, c->unit_ids, false)) < 0)
    return s;
  if ((s = read_back(db, commission, id, out)) < 0)
    return s;
  snprintf(out->location, sizeof out->location, "/v1/agreements/%s", id);
  audit_created(rq, "agreements", id);
  return DB_ROW;
}

enum MHD_Result api_agreements_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(create_spec)];
  char *unit_ids;
  if (!body_check(rq, create_spec, FIELDS_COUNT(create_spec), v, &unit_ids, &ret))
    return ret;
  struct agreement_tx c = {.v = v, .unit_ids = unit_ids};
  ret = creation_run(rq, create_body, &c);
  free(unit_ids);
  return ret;
}

enum MHD_Result api_agreements_get(struct request *rq) {
  const struct access *a = &rq->access;
  PGresult *res;
  enum db_status s = db_agreement_get(rq->db, rq->principal.commission_id, access_scope_param(a),
                                      access_org_param(a), rq->args[0], false, &res);
  return reply_read(rq, s, res, "No such agreement.", agreement_out);
}

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct agreement_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_agreement_get(db, rq->principal.commission_id, access_scope_param(&rq->access),
                                      access_org_param(&rq->access), rq->args[0], true, &u->current);
  return patch_locked(s, u->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct agreement_tx *u = cls;
  const char *commission = rq->principal.commission_id, *id = rq->args[0];
  struct agreement_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  enum db_status s;
  if (u->unit_ids != NULL) {
    json_t *bad;
    if ((s = units_owned(db, commission, u->unit_ids, cur.org_id, &bad)) < 0)
      return s;
    if (bad != NULL)
      return write_refuse_errors(out, bad);
  }
  s = db_agreement_update(db, commission, id, patch_pick(&u->v[F_SIGNATORY], cur.signatory),
                          patch_pick(&u->v[F_NOTES], cur.notes));
  if (s < 0)
    return s;
  if (u->unit_ids != NULL && (s = db_agreement_units_set(db, commission, id, u->unit_ids, true)) < 0)
    return s;
  return read_back(db, commission, id, out);
}

enum MHD_Result api_agreements_update(struct request *rq) {
  static const struct patch patch = {"agreement", "No such agreement.", update_lock, update_write};
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(update_spec)];
  char *unit_ids;
  if (!body_check(rq, update_spec, FIELDS_COUNT(update_spec), v, &unit_ids, &ret))
    return ret;
  struct agreement_tx u = {.v = v, .unit_ids = unit_ids};
  ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  free(unit_ids);
  return ret;
}

static enum db_status renew_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = rq->fields;
  const char *commission = rq->principal.commission_id, *id = rq->args[0];
  (void)cls;
  PGresult *cur;
  enum db_status s = db_agreement_get(db, commission, access_scope_param(&rq->access), access_org_param(&rq->access),
                                      id, true, &cur);
  if (s == DB_NO_ROW) {
    PQclear(cur);
    return write_refuse(out, ERR_NOT_FOUND, "No such agreement.");
  }
  if (s < 0)
    return s;
  struct agreement_row row;
  bool ok = db_row(cur, 0, &row);
  bool later = ok && strcmp(v[R_NEW_END].s, row.end_date) > 0;
  PQclear(cur);
  if (!ok)
    return DB_HARD_ERROR;
  if (!later)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/new_end_date",
                              "must be after the agreement's current end_date");
  s = db_agreement_renew(db, commission, id, v[R_NEW_END].s, v[R_SIGNATORY].s, rq->principal.token_id);
  if (s < 0 || (s = read_back(db, commission, id, out)) < 0)
    return s;
  snprintf(out->location, sizeof out->location, "/v1/agreements/%s", id);
  return DB_ROW;
}

enum MHD_Result api_agreements_renew(struct request *rq) { return creation_run(rq, renew_body, NULL); }
