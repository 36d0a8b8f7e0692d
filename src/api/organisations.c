/* /v1/organisations: the commission's partners (landlords, residences, curator services, care teams, others).
 * Every role of the commission reads them; only the coordinator creates and changes them. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

static const char *const kinds[] = {"landlord", "residence", "curator_service", "care_team", "partner", NULL};

enum { F_KIND, F_NAME, F_TOWN, F_ADDRESS, F_EMAIL, F_PHONE, F_ARCHIVED };

static const struct field_spec create_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
  [F_NAME] = {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_NULLABLE, 0, 100, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
};

static const struct field_spec update_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_FIXED, 0, 0, kinds},
  [F_NAME] = {"name", FIELD_STRING, 0, 1, 200, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_NULLABLE, 0, 100, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_ARCHIVED] = {"archived", FIELD_BOOL, 0, 0, 0, NULL},
};

/* Row ROW of RES as the API's Organisation; *VERSION gets its version. */
static json_t *organisation_json(const PGresult *res, int row, long *version) {
  if (version != NULL)
    *version = strtol(PQgetvalue(res, row, 8), NULL, 10);
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, 0), "kind",
                   row_string(res, row, 1), "name", row_string(res, row, 2), "town", row_string(res, row, 3),
                   "address", row_string(res, row, 4), "email", row_string(res, row, 5), "phone",
                   row_string(res, row, 6), "archived", row_bool(res, row, 7), "version", row_int(res, row, 8),
                   "created_at", row_string(res, row, 9), "updated_at", row_string(res, row, 10));
}

/* Refuses (403, queued) a role that may not do ACTION; true when it may. */
static bool allowed(struct request *rq, enum action action, enum MHD_Result *ret) {
  struct access a = access_decide(&rq->principal, RES_ORGANISATION, action);
  if (a.kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator manages organisations.");
  return false;
}

enum MHD_Result api_organisations_list(struct request *rq) {
  static const char *const query[] = {"kind", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!allowed(rq, ACT_READ, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *kind = request_query(rq, "kind");
  if (kind != NULL) {
    size_t i = 0;
    while (kinds[i] != NULL && strcmp(kinds[i], kind) != 0)
      i++;
    if (kinds[i] == NULL)
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:kind",
                                 "must be one of landlord, residence, curator_service, care_team, partner");
  }
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_organisation_list(rq->db, rq->principal.commission_id, kind, page.after[0], page.after[1],
                                          page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, organisation_json(res, i, NULL));
  return reply_page(rq, &page, res, items, (const int[]){2, 0}, 2);
}

struct create_tx {
  struct request *rq;
  struct field_value *v;
  struct idempotency idem;
  json_t *org;
  long version;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  json_decref(c->org);
  c->org = NULL;
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  const char *fields[6];
  for (int i = F_KIND; i <= F_PHONE; i++)
    fields[i] = c->v[i].present && !c->v[i].null ? c->v[i].s : NULL;
  PGresult *res;
  s = db_organisation_insert(db, c->rq->principal.commission_id, fields, &res);
  if (s < 0)
    return s;
  c->org = organisation_json(res, 0, &c->version);
  snprintf(c->location, sizeof c->location, "/v1/organisations/%s", PQgetvalue(res, 0, 0));
  audit_created(c->rq, "organisations", PQgetvalue(res, 0, 0));
  PQclear(res);
  if (c->org == NULL)
    return DB_HARD_ERROR;
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, c->org);
}

enum MHD_Result api_organisations_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!allowed(rq, ACT_CREATE, &ret) || !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  struct create_tx c = {.rq = rq, .v = v};
  if (!idempotency_init(rq, &c.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (c.idem.replay || c.idem.mismatch)
    ret = idempotency_reply(rq, &c.idem);
  else {
    ret = reply_versioned(rq, MHD_HTTP_CREATED, c.org, c.version, c.location);
    c.org = NULL;
  }
  json_decref(c.org);
  idempotency_free(&c.idem);
  return ret;
}

enum MHD_Result api_organisations_get(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_organisation_get(rq->db, rq->principal.commission_id, id, false, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such organisation.");
  }
  long version;
  json_t *org = organisation_json(res, 0, &version);
  PQclear(res);
  return reply_versioned(rq, MHD_HTTP_OK, org, version, NULL);
}

struct update_tx {
  struct request *rq;
  const char *id;
  struct field_value *v;
  long if_match;
  enum error_code refusal; /* ERR__COUNT when none */
  json_t *org;
  long version;
};

static enum db_status update_body(struct db *db, void *cls) {
  struct update_tx *u = cls;
  json_decref(u->org);
  u->org = NULL;
  u->refusal = ERR__COUNT;
  PGresult *cur;
  enum db_status s = db_organisation_get(db, u->rq->principal.commission_id, u->id, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW)
      u->refusal = ERR_NOT_FOUND;
    return s;
  }
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, 8), NULL, 10))) {
    PQclear(cur);
    u->refusal = ERR_PRECONDITION_FAILED;
    return DB_NO_ROW;
  }
  /* Merge: a field sent replaces the stored one (null clears it); the others stay. */
  const char *fields[6];
  static const int column[6] = {2, 3, 4, 5, 6, 7};
  for (int i = 0; i < 6; i++) {
    const struct field_value *fv = &u->v[F_NAME + i];
    if (!fv->present)
      fields[i] = PQgetisnull(cur, 0, column[i]) ? NULL : PQgetvalue(cur, 0, column[i]);
    else if (fv->null)
      fields[i] = NULL;
    else if (F_NAME + i == F_ARCHIVED)
      fields[i] = fv->b ? "t" : "f";
    else
      fields[i] = fv->s;
  }
  PGresult *res;
  s = db_organisation_update(db, u->rq->principal.commission_id, u->id, fields, &res);
  PQclear(cur);
  if (s < 0)
    return s;
  u->org = organisation_json(res, 0, &u->version);
  PQclear(res);
  return u->org ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_organisations_update(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  struct field_value v[FIELDS_COUNT(update_spec)];
  if (id == NULL || !allowed(rq, ACT_UPDATE, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret))
    return ret;
  struct update_tx u = {.rq = rq, .id = id, .v = v, .if_match = param_if_match(rq)};
  if (u.if_match < 0)
    return reply_if_match_problem(rq, u.if_match);
  enum db_status s = db_transaction(rq->db, update_body, &u);
  if (s < 0)
    return reply_db_error(rq);
  if (u.refusal == ERR_NOT_FOUND)
    return reply_problem(rq, ERR_NOT_FOUND, "No such organisation.");
  if (u.refusal == ERR_PRECONDITION_FAILED)
    return reply_stale(rq, "organisation");
  return reply_versioned(rq, MHD_HTTP_OK, u.org, u.version, NULL);
}
