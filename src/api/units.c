/* /v1/units: the apartments and places the commission allocates (logements, places), with their status history.
 * The coordinator manages them; caregivers and curators read them all (no personal data); a landlord reads its
 * own units only. A withdrawn unit stays readable, and its status is final. */
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

static const char *const kinds[] = {"hlm_apartment", "foyer_place", "transitional_place", "residence_place", NULL};
static const char *const statuses[] = {"available", "occupied", "out_of_service", "withdrawn", NULL};
static const char *const currencies[] = {"EUR", NULL};

#define MONEY_MAX 100000000

enum {
  F_KIND,
  F_LABEL,
  F_ADDRESS,
  F_TOWN,
  F_LANDLORD,
  F_PLACES,
  F_RENT,
  F_CHARGES,
  F_DEPOSIT,
  F_CURRENCY,
  F_STATUS,
  F_REASON,
};

static const struct field_spec create_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
  [F_LABEL] = {"label", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_REQUIRED, 1, 500, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_LANDLORD] = {"landlord_org_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_PLACES] = {"places", FIELD_INT, FIELD_REQUIRED, 1, 500, NULL},
  [F_RENT] = {"rent_cents", FIELD_INT, FIELD_REQUIRED, 0, MONEY_MAX, NULL},
  [F_CHARGES] = {"charges_cents", FIELD_INT, FIELD_REQUIRED, 0, MONEY_MAX, NULL},
  [F_DEPOSIT] = {"deposit_cents", FIELD_INT, FIELD_REQUIRED, 0, MONEY_MAX, NULL},
  [F_CURRENCY] = {"currency", FIELD_ENUM, 0, 0, 0, currencies},
  [F_STATUS] = {"status", FIELD_ENUM, 0, 0, 0, statuses},
};

static const struct field_spec update_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_FIXED, 0, 0, kinds},
  [F_LABEL] = {"label", FIELD_STRING, 0, 1, 200, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, 0, 1, 500, NULL},
  [F_TOWN] = {"town", FIELD_STRING, 0, 1, 100, NULL},
  [F_LANDLORD] = {"landlord_org_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
  [F_PLACES] = {"places", FIELD_INT, 0, 1, 500, NULL},
  [F_RENT] = {"rent_cents", FIELD_INT, 0, 0, MONEY_MAX, NULL},
  [F_CHARGES] = {"charges_cents", FIELD_INT, 0, 0, MONEY_MAX, NULL},
  [F_DEPOSIT] = {"deposit_cents", FIELD_INT, 0, 0, MONEY_MAX, NULL},
  [F_CURRENCY] = {"currency", FIELD_ENUM, FIELD_FIXED, 0, 0, currencies},
  [F_STATUS] = {"status", FIELD_ENUM, 0, 0, 0, statuses},
  [F_REASON] = {"status_reason", FIELD_TEXT, FIELD_NULLABLE, 0, 1000, NULL},
};

/* Columns of a unit row (src/db/units.c). */
enum { C_ID, C_KIND, C_LABEL, C_ADDRESS, C_TOWN, C_LANDLORD, C_PLACES, C_RENT, C_CHARGES, C_DEPOSIT, C_CURRENCY,
       C_STATUS, C_VERSION, C_CREATED, C_UPDATED, C_OCCUPIED };

/* Row ROW of RES as the API's Unit; *VERSION gets its version. */
static json_t *unit_json(const PGresult *res, int row, long *version) {
  if (version != NULL)
    *version = strtol(PQgetvalue(res, row, C_VERSION), NULL, 10);
  json_t *unit = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                   row_string(res, row, C_ID), "kind", row_string(res, row, C_KIND), "label",
                   row_string(res, row, C_LABEL), "address", row_string(res, row, C_ADDRESS), "town",
                   row_string(res, row, C_TOWN), "landlord_org_id", row_string(res, row, C_LANDLORD), "places",
                   row_int(res, row, C_PLACES), "rent_cents", row_int(res, row, C_RENT), "charges_cents",
                   row_int(res, row, C_CHARGES), "deposit_cents", row_int(res, row, C_DEPOSIT), "currency",
                   row_string(res, row, C_CURRENCY), "status", row_string(res, row, C_STATUS), "version",
                   row_int(res, row, C_VERSION), "created_at", row_string(res, row, C_CREATED), "updated_at",
                   row_string(res, row, C_UPDATED));
  /* Reads also say how many places are taken today (placements moved in and not yet left). */
  if (unit != NULL && PQnfields(res) > C_OCCUPIED) {
    long places = strtol(PQgetvalue(res, row, C_PLACES), NULL, 10);
    long occupied = strtol(PQgetvalue(res, row, C_OCCUPIED), NULL, 10);
    json_object_set_new(unit, "occupied_places", json_integer(occupied));
    json_object_set_new(unit, "vacant_places", json_integer(places > occupied ? places - occupied : 0));
  }
  return unit;
}

/* Decides RQ's access for ACTION; refuses (403, queued) a role that may never do it. */
static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_UNIT, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN,
                       action == ACT_READ ? "This role does not read units." : "Only the coordinator manages units.");
  return false;
}

static bool in_list(const char *const *values, const char *s) {
  for (size_t i = 0; values[i] != NULL; i++)
    if (strcmp(values[i], s) == 0)
      return true;
  return false;
}

enum MHD_Result api_units_list(struct request *rq) {
  static const char *const query[] = {"status", "kind", "town", "landlord_org_id", "limit", "cursor", NULL};
  enum MHD_Result ret;
  struct access a;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *filters[4] = {request_query(rq, "status"), request_query(rq, "kind"), request_query(rq, "town"),
                            request_query(rq, "landlord_org_id")};
  if (filters[0] != NULL && !in_list(statuses, filters[0]) && strcmp(filters[0], "vacant") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                               "must be one of available, occupied, out_of_service, withdrawn, or vacant (in "
                               "service with a free place today)");
  if (filters[1] != NULL && !in_list(kinds, filters[1]))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:kind",
                               "must be one of hlm_apartment, foyer_place, transitional_place, residence_place");
  if (filters[2] != NULL && (utf8_length(filters[2]) < 1 || utf8_length(filters[2]) > 100 ||
                             !valid_text(filters[2], false)))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:town", "must be 1 to 100 characters long");
  if (filters[3] != NULL && !valid_uuid(filters[3]))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:landlord_org_id", "must be a UUID");
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_TEXT, KEY_UUID};
  struct page page;
  if (!param_page(rq, &page, 3, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_unit_list(rq->db, rq->principal.commission_id, access_scope_param(&a), access_org_param(&a),
                                  filters, page.after, page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, unit_json(res, i, NULL));
  return reply_page(rq, &page, res, items, (const int[]){C_TOWN, C_LABEL, C_ID}, 3);
}

/* Is ORG_ID an organisation of the commission that can own units (a landlord or a residence)? */
static enum db_status landlord_ok(struct db *db, const char *commission_id, const char *org_id, bool *ok) {
  PGresult *res;
  *ok = false;
  enum db_status s = db_organisation_get(db, commission_id, org_id, false, &res);
  if (s < 0)
    return s;
  if (s == DB_ROW) {
    const char *kind = PQgetvalue(res, 0, 1);
    *ok = strcmp(kind, "landlord") == 0 || strcmp(kind, "residence") == 0;
  }
  PQclear(res);
  return DB_ROW;
}

struct create_tx {
  struct request *rq;
  struct field_value *v;
  struct idempotency idem;
  bool bad_landlord;
  json_t *unit;
  long version;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  json_decref(c->unit);
  c->unit = NULL;
  c->bad_landlord = false;
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  bool ok;
  s = landlord_ok(db, c->rq->principal.commission_id, c->v[F_LANDLORD].s, &ok);
  if (s < 0)
    return s;
  if (!ok) {
    c->bad_landlord = true;
    return DB_HARD_ERROR; /* rolls back the idempotency claim: a refused request leaves no trace */
  }
  char numbers[4][24];
  const char *fields[11];
  for (int i = F_KIND; i <= F_STATUS; i++) {
    const struct field_value *fv = &c->v[i];
    if (!fv->present)
      fields[i] = NULL;
    else if (i >= F_PLACES && i <= F_DEPOSIT) {
      snprintf(numbers[i - F_PLACES], sizeof numbers[0], "%lld", fv->i);
      fields[i] = numbers[i - F_PLACES];
    } else
      fields[i] = fv->s;
  }
  PGresult *res;
  s = db_unit_insert(db, c->rq->principal.commission_id, fields, c->rq->principal.token_id, &res);
  if (s < 0)
    return s;
  c->unit = unit_json(res, 0, &c->version);
  snprintf(c->location, sizeof c->location, "/v1/units/%s", PQgetvalue(res, 0, C_ID));
  audit_created(c->rq, "units", PQgetvalue(res, 0, C_ID));
  PQclear(res);
  if (c->unit == NULL)
    return DB_HARD_ERROR;
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, c->unit);
}

enum MHD_Result api_units_create(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!allowed(rq, ACT_CREATE, &a, &ret) || !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  struct create_tx c = {.rq = rq, .v = v};
  if (!idempotency_init(rq, &c.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (c.bad_landlord)
    ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/landlord_org_id",
                              "must be a landlord or residence organisation of this commission");
  else if (s < 0)
    ret = reply_db_error(rq);
  else if (c.idem.replay || c.idem.mismatch)
    ret = idempotency_reply(rq, &c.idem);
  else {
    ret = reply_versioned(rq, MHD_HTTP_CREATED, c.unit, c.version, c.location);
    c.unit = NULL;
  }
  json_decref(c.unit);
  idempotency_free(&c.idem);
  return ret;
}

enum MHD_Result api_units_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_unit_get(rq->db, rq->principal.commission_id, access_scope_param(&a), access_org_param(&a),
                                 id, false, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such unit.");
  }
  long version;
  json_t *unit = unit_json(res, 0, &version);
  PQclear(res);
  return reply_versioned(rq, MHD_HTTP_OK, unit, version, NULL);
}

enum MHD_Result api_units_history(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_unit_history(rq->db, rq->principal.commission_id, access_scope_param(&a),
                                     access_org_param(&a), id, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such unit.");
  }
  json_t *items = json_array();
  for (int i = 0, n = PQntuples(res); i < n; i++) {
    if (PQgetisnull(res, i, 1))
      continue; /* the unit without any change (the LEFT JOIN's empty side) */
    json_array_append_new(items, json_pack("{s:o, s:o, s:o, s:o}", "from_status", row_string(res, i, 0),
                                           "to_status", row_string(res, i, 1), "reason", row_string(res, i, 2),
                                           "at", row_string(res, i, 3)));
  }
  PQclear(res);
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

struct update_tx {
  struct request *rq;
  struct access *access;
  const char *id;
  struct field_value *v;
  long if_match;
  enum error_code refusal; /* ERR__COUNT when none */
  json_t *current_status;  /* for a refused change of a final status */
  json_t *unit;
  long version;
};

static enum db_status update_body(struct db *db, void *cls) {
  struct update_tx *u = cls;
  json_decref(u->unit);
  json_decref(u->current_status);
  u->unit = u->current_status = NULL;
  u->refusal = ERR__COUNT;
  const char *commission = u->rq->principal.commission_id;
  PGresult *cur;
  enum db_status s = db_unit_get(db, commission, access_scope_param(u->access), access_org_param(u->access), u->id,
                                 true, &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW)
      u->refusal = ERR_NOT_FOUND;
    return s;
  }
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, C_VERSION), NULL, 10))) {
    PQclear(cur);
    u->refusal = ERR_PRECONDITION_FAILED;
    return DB_NO_ROW;
  }
  const char *from = PQgetvalue(cur, 0, C_STATUS);
  const struct field_value *st = &u->v[F_STATUS];
  bool status_change = st->present && strcmp(st->s, from) != 0;
  if (status_change && strcmp(from, "withdrawn") == 0) {
    u->current_status = json_string(from);
    PQclear(cur);
    u->refusal = ERR_INVALID_STATE;
    return DB_NO_ROW;
  }
  /* Merge: a field sent replaces the stored one; the others stay. */
  static const int field[8] = {F_LABEL, F_ADDRESS, F_TOWN, F_PLACES, F_RENT, F_CHARGES, F_DEPOSIT, F_STATUS};
  static const int column[8] = {C_LABEL, C_ADDRESS, C_TOWN, C_PLACES, C_RENT, C_CHARGES, C_DEPOSIT, C_STATUS};
  char numbers[8][24];
  const char *fields[8];
  for (int i = 0; i < 8; i++) {
    const struct field_value *fv = &u->v[field[i]];
    if (!fv->present) {
      fields[i] = PQgetvalue(cur, 0, column[i]);
    } else if (update_spec[field[i]].type == FIELD_INT) {
      snprintf(numbers[i], sizeof numbers[i], "%lld", fv->i);
      fields[i] = numbers[i];
    } else {
      fields[i] = fv->s;
    }
  }
  if (status_change) {
    const struct field_value *reason = &u->v[F_REASON];
    s = db_unit_status_change(db, commission, u->id, from, st->s,
                              reason->present && !reason->null ? reason->s : NULL, u->rq->principal.token_id);
    if (s < 0) {
      PQclear(cur);
      return s;
    }
  }
  PGresult *res;
  s = db_unit_update(db, commission, u->id, fields, &res);
  PQclear(cur);
  if (s < 0)
    return s;
  u->unit = unit_json(res, 0, &u->version);
  PQclear(res);
  return u->unit ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_units_update(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  struct field_value v[FIELDS_COUNT(update_spec)];
  if (id == NULL || !allowed(rq, ACT_UPDATE, &a, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret))
    return ret;
  if (v[F_REASON].present && !v[F_STATUS].present)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/status_reason", "is only allowed with a new status");
  struct update_tx u = {.rq = rq, .access = &a, .id = id, .v = v, .if_match = param_if_match(rq)};
  if (u.if_match < 0)
    return reply_if_match_problem(rq, u.if_match);
  enum db_status s = db_transaction(rq->db, update_body, &u);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (u.refusal == ERR_NOT_FOUND)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such unit.");
  else if (u.refusal == ERR_PRECONDITION_FAILED)
    ret = reply_stale(rq, "unit");
  else if (u.refusal == ERR_INVALID_STATE) {
    ret = reply_problem_with(rq, ERR_INVALID_STATE, "The unit is withdrawn: its status cannot change any more.",
                             json_pack("{s:O, s:[{s:s, s:s}]}", "current_status", u.current_status, "errors",
                                       "field", "/status", "reason", "cannot change: the unit is withdrawn"));
  } else {
    ret = reply_versioned(rq, MHD_HTTP_OK, u.unit, u.version, NULL);
    u.unit = NULL;
  }
  json_decref(u.unit);
  json_decref(u.current_status);
  return ret;
}
