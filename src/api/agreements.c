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
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

#define UNIT_IDS_MAX 500
#define UNIT_IDS "unit_ids" /* the one array member: checked here, not by the field specs */
#define REFERENCE_CONSTRAINT "agreements_commission_id_reference_key"

enum { F_ORG, F_REFERENCE, F_SIGNATORY, F_START, F_END, F_NOTES };

static const struct field_spec create_spec[] = {
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_REFERENCE] = {"reference", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_SIGNATORY] = {"signatory", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_START] = {"start_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_END] = {"end_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_NOTES] = {"notes", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
};

static const struct field_spec update_spec[] = {
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
  [F_REFERENCE] = {"reference", FIELD_STRING, FIELD_FIXED, 1, 100, NULL},
  [F_SIGNATORY] = {"signatory", FIELD_STRING, 0, 1, 200, NULL},
  [F_START] = {"start_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_END] = {"end_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_NOTES] = {"notes", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
};

enum { R_NEW_END, R_SIGNATORY };

static const struct field_spec renew_spec[] = {
  [R_NEW_END] = {"new_end_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [R_SIGNATORY] = {"signatory", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
};

/* Columns of an agreement row (src/db/agreements.c). */
enum { C_ID, C_ORG, C_REFERENCE, C_SIGNATORY, C_START, C_END, C_STATUS, C_DAYS, C_NOTES, C_VERSION, C_CREATED,
       C_UPDATED, C_UNITS, C_RENEWALS };

/* Row ROW of RES as the API's Agreement; *VERSION gets its version. */
static json_t *agreement_json(const PGresult *res, int row, long *version) {
  if (version != NULL)
    *version = strtol(PQgetvalue(res, row, C_VERSION), NULL, 10);
  json_t *units = json_loads(PQgetvalue(res, row, C_UNITS), 0, NULL);
  json_t *renewals = json_loads(PQgetvalue(res, row, C_RENEWALS), 0, NULL);
  if (units == NULL || renewals == NULL) {
    json_decref(units);
    json_decref(renewals);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                   row_string(res, row, C_ID), "org_id", row_string(res, row, C_ORG), "reference",
                   row_string(res, row, C_REFERENCE), "signatory", row_string(res, row, C_SIGNATORY), "start_date",
                   row_string(res, row, C_START), "end_date", row_string(res, row, C_END), "status",
                   row_string(res, row, C_STATUS), "days_to_end", row_int(res, row, C_DAYS), "notes",
                   row_string(res, row, C_NOTES), "unit_ids", units, "renewals", renewals, "version",
                   row_int(res, row, C_VERSION), "created_at", row_string(res, row, C_CREATED), "updated_at",
                   row_string(res, row, C_UPDATED));
}

/* Decides RQ's access for ACTION; refuses (403, queued) a role that may never do it. */
static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_AGREEMENT, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN,
                       action == ACT_READ ? "This role does not read agreements."
                                          : "Only the coordinator manages agreements.");
  return false;
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
  json_t *rest = json_copy(rq->json); /* shallow: the strings V points to stay owned by rq->json */
  if (errors == NULL || rest == NULL) {
    json_decref(errors);
    json_decref(rest);
    *ret = MHD_NO;
    return false;
  }
  json_object_del(rest, UNIT_IDS);
  fields_check(rest, spec, n, v, errors);
  json_decref(rest);
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
    *ret = MHD_NO; /* out of memory */
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
  if (n > 0) {
    *bad = json_array();
    for (int i = 0; i < n; i++) {
      char field[32];
      snprintf(field, sizeof field, "/" UNIT_IDS "/%ld", strtol(PQgetvalue(res, i, 0), NULL, 10) - 1);
      add_error(*bad, field, "must be a unit of this commission owned by the agreement's organisation");
    }
  }
  PQclear(res);
  return DB_ROW;
}

enum MHD_Result api_agreements_list(struct request *rq) {
  static const char *const query[] = {"org_id", "expiring_within", "limit", "cursor", NULL};
  enum MHD_Result ret;
  struct access a;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
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
  enum db_status s = db_agreement_list(rq->db, rq->principal.commission_id, access_scope_param(&a),
                                       access_org_param(&a), org_id, within != NULL ? days : NULL, page.after[0],
                                       page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++) {
    json_t *item = agreement_json(res, i, NULL);
    if (item == NULL || json_array_append_new(items, item) != 0) {
      PQclear(res);
      page_free(&page);
      json_decref(items);
      return reply_problem(rq, ERR_INTERNAL, NULL);
    }
  }
  return reply_page(rq, &page, res, items, (const int[]){C_END, C_ID}, 2);
}

/* Why a write was refused after reading the data (ERR__COUNT: it was not). */
struct refusal {
  enum error_code code;
  const char *field, *reason;
  json_t *errors; /* several fields at fault (unit ids), or NULL */
};

static void refusal_reset(struct refusal *r) {
  json_decref(r->errors);
  memset(r, 0, sizeof *r);
  r->code = ERR__COUNT;
}

static enum MHD_Result refusal_reply(struct request *rq, struct refusal *r, const char *what) {
  json_t *errors = r->errors;
  r->errors = NULL;
  if (errors != NULL)
    return reply_validation(rq, errors);
  if (r->field != NULL)
    return reply_field_problem(rq, r->code, r->field, r->reason);
  return reply_problem(rq, r->code, what);
}

/* Reads agreement ID back (after a write, in the transaction) into *JSON, *VERSION. */
static enum db_status read_back(struct db *db, const char *commission_id, const char *id, json_t **json,
                                long *version) {
  PGresult *res;
  enum db_status s = db_agreement_get(db, commission_id, "all", NULL, id, false, &res);
  if (s <= 0) {
    PQclear(res);
    return s < 0 ? s : DB_HARD_ERROR;
  }
  *json = agreement_json(res, 0, version);
  PQclear(res);
  return *json != NULL ? DB_ROW : DB_HARD_ERROR;
}

struct create_tx {
  struct request *rq;
  struct field_value *v;
  const char *unit_ids; /* literal, or NULL */
  struct idempotency idem;
  struct refusal refusal;
  json_t *agreement;
  long version;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  json_decref(c->agreement);
  c->agreement = NULL;
  refusal_reset(&c->refusal);
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  const char *commission = c->rq->principal.commission_id;
  const char *org_id = c->v[F_ORG].s;
  PGresult *res;
  s = db_organisation_get(db, commission, org_id, false, &res);
  if (s < 0)
    return s;
  bool org_ok = s == DB_ROW && (strcmp(PQgetvalue(res, 0, 1), "landlord") == 0 ||
                                strcmp(PQgetvalue(res, 0, 1), "residence") == 0);
  PQclear(res);
  /* Refusals return DB_HARD_ERROR so that the transaction, and the idempotency claim, roll back. */
  if (!org_ok) {
    c->refusal = (struct refusal){ERR_VALIDATION_FAILED, "/org_id",
                                  "must be a landlord or residence organisation of this commission", NULL};
    return DB_HARD_ERROR;
  }
  if (c->unit_ids != NULL) {
    s = units_owned(db, commission, c->unit_ids, org_id, &c->refusal.errors);
    if (s < 0)
      return s;
    if (c->refusal.errors != NULL) {
      c->refusal.code = ERR_VALIDATION_FAILED;
      return DB_HARD_ERROR;
    }
  }
  const char *fields[6] = {org_id, c->v[F_REFERENCE].s, c->v[F_SIGNATORY].s, c->v[F_START].s, c->v[F_END].s,
                           c->v[F_NOTES].present && !c->v[F_NOTES].null ? c->v[F_NOTES].s : NULL};
  s = db_agreement_insert(db, commission, fields, &res);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23505") == 0 && strcmp(db_constraint(db), REFERENCE_CONSTRAINT) == 0)
      c->refusal = (struct refusal){ERR_CONFLICT, "/reference",
                                    "is already the reference of another agreement of this commission", NULL};
    return s;
  }
  char id[UUID_STR_LEN];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  if (c->unit_ids != NULL && (s = db_agreement_units_set(db, commission, id, c->unit_ids, false)) < 0)
    return s;
  s = read_back(db, commission, id, &c->agreement, &c->version);
  if (s < 0)
    return s;
  snprintf(c->location, sizeof c->location, "/v1/agreements/%s", id);
  audit_created(c->rq, "agreements", id);
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, c->agreement);
}

enum MHD_Result api_agreements_create(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(create_spec)];
  char *unit_ids;
  if (!allowed(rq, ACT_CREATE, &a, &ret) ||
      !body_check(rq, create_spec, FIELDS_COUNT(create_spec), v, &unit_ids, &ret))
    return ret;
  struct create_tx c = {.rq = rq, .v = v, .unit_ids = unit_ids, .refusal = {.code = ERR__COUNT}};
  if (!idempotency_init(rq, &c.idem, &ret)) {
    free(unit_ids);
    return ret;
  }
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (c.refusal.code != ERR__COUNT)
    ret = refusal_reply(rq, &c.refusal, NULL);
  else if (s < 0)
    ret = reply_db_error(rq);
  else if (c.idem.replay || c.idem.mismatch)
    ret = idempotency_reply(rq, &c.idem);
  else {
    ret = reply_versioned(rq, MHD_HTTP_CREATED, c.agreement, c.version, c.location);
    c.agreement = NULL;
  }
  refusal_reset(&c.refusal);
  json_decref(c.agreement);
  idempotency_free(&c.idem);
  free(unit_ids);
  return ret;
}

enum MHD_Result api_agreements_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_agreement_get(rq->db, rq->principal.commission_id, access_scope_param(&a),
                                      access_org_param(&a), id, false, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such agreement.");
  }
  long version;
  json_t *agreement = agreement_json(res, 0, &version);
  PQclear(res);
  if (agreement == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_versioned(rq, MHD_HTTP_OK, agreement, version, NULL);
}

struct update_tx {
  struct request *rq;
  struct access *access;
  const char *id;
  struct field_value *v;
  const char *unit_ids;
  long if_match;
  struct refusal refusal;
  json_t *agreement;
  long version;
};

static enum db_status update_body(struct db *db, void *cls) {
  struct update_tx *u = cls;
  json_decref(u->agreement);
  u->agreement = NULL;
  refusal_reset(&u->refusal);
  const char *commission = u->rq->principal.commission_id;
  PGresult *cur;
  enum db_status s = db_agreement_get(db, commission, access_scope_param(u->access), access_org_param(u->access),
                                      u->id, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW)
      u->refusal.code = ERR_NOT_FOUND;
    return s;
  }
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, C_VERSION), NULL, 10))) {
    PQclear(cur);
    u->refusal.code = ERR_PRECONDITION_FAILED;
    return DB_NO_ROW;
  }
  if (u->unit_ids != NULL) {
    s = units_owned(db, commission, u->unit_ids, PQgetvalue(cur, 0, C_ORG), &u->refusal.errors);
    if (s < 0 || u->refusal.errors != NULL) {
      PQclear(cur);
      if (u->refusal.errors != NULL)
        u->refusal.code = ERR_VALIDATION_FAILED;
      return s < 0 ? s : DB_NO_ROW; /* nothing written yet */
    }
  }
  const struct field_value *sig = &u->v[F_SIGNATORY], *notes = &u->v[F_NOTES];
  const char *signatory = sig->present ? sig->s : PQgetvalue(cur, 0, C_SIGNATORY);
  const char *note = notes->present ? (notes->null ? NULL : notes->s)
                                    : (PQgetisnull(cur, 0, C_NOTES) ? NULL : PQgetvalue(cur, 0, C_NOTES));
  s = db_agreement_update(db, commission, u->id, signatory, note);
  PQclear(cur);
  if (s < 0)
    return s;
  if (u->unit_ids != NULL && (s = db_agreement_units_set(db, commission, u->id, u->unit_ids, true)) < 0)
    return s;
  return read_back(db, commission, u->id, &u->agreement, &u->version);
}

enum MHD_Result api_agreements_update(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  struct field_value v[FIELDS_COUNT(update_spec)];
  char *unit_ids;
  if (id == NULL || !allowed(rq, ACT_UPDATE, &a, &ret) ||
      !body_check(rq, update_spec, FIELDS_COUNT(update_spec), v, &unit_ids, &ret))
    return ret;
  struct update_tx u = {.rq = rq, .access = &a, .id = id, .v = v, .unit_ids = unit_ids,
                        .if_match = param_if_match(rq), .refusal = {.code = ERR__COUNT}};
  if (u.if_match < 0)
    ret = reply_if_match_problem(rq, u.if_match);
  else {
    enum db_status s = db_transaction(rq->db, update_body, &u);
    if (s < 0)
      ret = reply_db_error(rq);
    else if (u.refusal.code == ERR_NOT_FOUND)
      ret = reply_problem(rq, ERR_NOT_FOUND, "No such agreement.");
    else if (u.refusal.code == ERR_PRECONDITION_FAILED)
      ret = reply_stale(rq, "agreement");
    else if (u.refusal.code != ERR__COUNT)
      ret = refusal_reply(rq, &u.refusal, NULL);
    else {
      ret = reply_versioned(rq, MHD_HTTP_OK, u.agreement, u.version, NULL);
      u.agreement = NULL;
    }
  }
  refusal_reset(&u.refusal);
  json_decref(u.agreement);
  free(unit_ids);
  return ret;
}

struct renew_tx {
  struct request *rq;
  struct access *access;
  const char *id;
  struct field_value *v;
  struct idempotency idem;
  struct refusal refusal;
  json_t *agreement;
  long version;
  char location[80];
};

static enum db_status renew_body(struct db *db, void *cls) {
  struct renew_tx *r = cls;
  json_decref(r->agreement);
  r->agreement = NULL;
  refusal_reset(&r->refusal);
  enum db_status s = idempotency_claim(r->rq, &r->idem);
  if (s < 0 || r->idem.replay || r->idem.mismatch)
    return s;
  const char *commission = r->rq->principal.commission_id;
  PGresult *cur;
  s = db_agreement_get(db, commission, access_scope_param(r->access), access_org_param(r->access), r->id, true,
                       &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW) {
      r->refusal.code = ERR_NOT_FOUND;
      return DB_HARD_ERROR; /* roll back the idempotency claim */
    }
    return s;
  }
  bool later = strcmp(r->v[R_NEW_END].s, PQgetvalue(cur, 0, C_END)) > 0;
  PQclear(cur);
  if (!later) {
    r->refusal = (struct refusal){ERR_VALIDATION_FAILED, "/new_end_date",
                                  "must be after the agreement's current end_date", NULL};
    return DB_HARD_ERROR;
  }
  s = db_agreement_renew(db, commission, r->id, r->v[R_NEW_END].s, r->v[R_SIGNATORY].s, r->rq->principal.token_id);
  if (s < 0)
    return s;
  s = read_back(db, commission, r->id, &r->agreement, &r->version);
  if (s < 0)
    return s;
  snprintf(r->location, sizeof r->location, "/v1/agreements/%s", r->id);
  return idempotency_record(r->rq, &r->idem, MHD_HTTP_CREATED, r->location, r->agreement);
}

enum MHD_Result api_agreements_renew(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  struct field_value v[FIELDS_COUNT(renew_spec)];
  if (id == NULL || !allowed(rq, ACT_CREATE, &a, &ret) ||
      !request_fields(rq, renew_spec, FIELDS_COUNT(renew_spec), v, &ret))
    return ret;
  struct renew_tx r = {.rq = rq, .access = &a, .id = id, .v = v, .refusal = {.code = ERR__COUNT}};
  if (!idempotency_init(rq, &r.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, renew_body, &r);
  if (r.refusal.code != ERR__COUNT)
    ret = refusal_reply(rq, &r.refusal, "No such agreement.");
  else if (s < 0)
    ret = reply_db_error(rq);
  else if (r.idem.replay || r.idem.mismatch)
    ret = idempotency_reply(rq, &r.idem);
  else {
    ret = reply_versioned(rq, MHD_HTTP_CREATED, r.agreement, r.version, r.location);
    r.agreement = NULL;
  }
  refusal_reset(&r.refusal);
  json_decref(r.agreement);
  idempotency_free(&r.idem);
  return ret;
}
