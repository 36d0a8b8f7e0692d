/* /v1/units: the apartments and places the commission allocates (logements, places), with their status history.
 * The coordinator manages them; caregivers and curators read them all (no personal data); a landlord reads its
 * own units only. A withdrawn unit stays readable, and its status is final. */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

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
  F_CO_OWNED,
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
  [F_CO_OWNED] = {"co_owned", FIELD_BOOL, 0, 0, 0, NULL},
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
  [F_CO_OWNED] = {"co_owned", FIELD_BOOL, 0, 0, 0, NULL},
  [F_REASON] = {"status_reason", FIELD_TEXT, FIELD_NULLABLE, 0, 1000, NULL},
};

/* A unit row as the API's Unit, with the places taken and free today. */
static bool unit_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)reader; /* every reader of a unit sees all of it */
  struct unit_row r;
  if (!db_row(res, i, &r))
    return false;
  long places = long_of_text(r.places), occupied = long_of_text(r.occupied);
  jw_object_begin(w);
  jw_key_string(w, "id", r.id);
  jw_key_string(w, "kind", r.kind);
  jw_key_string(w, "label", r.label);
  jw_key_string(w, "address", r.address);
  jw_key_string(w, "town", r.town);
  jw_key_string(w, "landlord_org_id", r.landlord_org_id);
  jw_key_int(w, "places", r.places);
  jw_key_int(w, "rent_cents", r.rent_cents);
  jw_key_int(w, "charges_cents", r.charges_cents);
  jw_key_int(w, "deposit_cents", r.deposit_cents);
  jw_key_string(w, "currency", r.currency);
  jw_key_string(w, "status", r.status);
  jw_key_int(w, "version", r.version);
  jw_key_timestamp(w, "created_at", r.created_at);
  jw_key_timestamp(w, "updated_at", r.updated_at);
  jw_key_integer(w, "occupied_places", occupied);
  jw_key_bool(w, "co_owned", r.co_owned);
  jw_key_integer(w, "vacant_places", places > occupied ? places - occupied : 0);
  jw_object_end(w);
  *version = long_of_text(r.version);
  return true;
}

/* Row I of RES into OUT (a write's answer). */
static bool unit_out(const PGresult *res, int i, struct write_out *out) {
  return write_out_of(res, i, out, unit_write);
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
  const struct access *a = &rq->access;
  if (!request_query_only(rq, query, &ret))
    return ret;
  struct unit_filters f = {request_query(rq, "status"), request_query(rq, "kind"), request_query(rq, "town"),
                           request_query(rq, "landlord_org_id")};
  if (f.status != NULL && !in_list(statuses, f.status) && strcmp(f.status, "vacant") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                               "must be one of available, occupied, out_of_service, withdrawn, or vacant (in "
                               "service with a free place today)");
  if (f.kind != NULL && !in_list(kinds, f.kind))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:kind",
                               "must be one of hlm_apartment, foyer_place, transitional_place, residence_place");
  if (f.town != NULL && (utf8_length(f.town) < 1 || utf8_length(f.town) > 100 || !valid_text(f.town, false)))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:town", "must be 1 to 100 characters long");
  if (f.landlord_org_id != NULL && !valid_uuid(f.landlord_org_id))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:landlord_org_id", "must be a UUID");
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_TEXT, KEY_UUID};
  struct page page;
  if (!param_page(rq, &page, 3, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_unit_list(rq->db, rq->principal.commission_id, access_scope_param(a), access_org_param(a),
                                  &f, page.after, page.limit, &res);
  return reply_list_of(rq, &page, s, res, unit_write, (const char *const[]){"town", "label", "id"}, 3);
}

/* Is ORG_ID an organisation of the commission that can own units (a landlord or a residence)? */
static enum db_status landlord_ok(struct db *db, const char *commission_id, const char *org_id, bool *ok) {
  char kind[32];
  enum db_status s = db_organisation_kind(db, commission_id, org_id, kind);
  *ok = s == DB_ROW && (strcmp(kind, "landlord") == 0 || strcmp(kind, "residence") == 0);
  if (s < 0)
    return s;
  return DB_ROW;
}

const struct body_spec unit_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec unit_update_body = {update_spec, FIELDS_COUNT(update_spec)};

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = rq->fields;
  (void)cls;
  bool ok;
  enum db_status s = landlord_ok(db, rq->principal.commission_id, v[F_LANDLORD].s, &ok);
  if (s < 0)
    return s;
  if (!ok)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/landlord_org_id",
                              "must be a landlord or residence organisation of this commission");
  char numbers[4][24];
  struct unit_fields f = {.kind = v[F_KIND].s, .label = v[F_LABEL].s, .address = v[F_ADDRESS].s, .town = v[F_TOWN].s,
                          .landlord_org_id = v[F_LANDLORD].s,
                          .places = patch_pick_int(&v[F_PLACES], NULL, numbers[0]),
                          .rent_cents = patch_pick_int(&v[F_RENT], NULL, numbers[1]),
                          .charges_cents = patch_pick_int(&v[F_CHARGES], NULL, numbers[2]),
                          .deposit_cents = patch_pick_int(&v[F_DEPOSIT], NULL, numbers[3]),
                          .currency = patch_pick(&v[F_CURRENCY], NULL), .status = patch_pick(&v[F_STATUS], NULL),
                          .co_owned = patch_pick_bool(&v[F_CO_OWNED], "f")};
  PGresult *res;
  s = db_unit_insert(db, rq->principal.commission_id, &f, rq->principal.token_id, &res);
  if (s < 0)
    return s;
  struct unit_row r;
  ok = db_row(res, 0, &r) && unit_out(res, 0, out);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/units/%s", r.id);
    audit_created(rq, "units", r.id);
  }
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_units_create(struct request *rq) { return creation_run(rq, create_body, NULL); }

enum MHD_Result api_units_get(struct request *rq) {
  const struct access *a = &rq->access;
  PGresult *res;
  enum db_status s = db_unit_get(rq->db, rq->principal.commission_id, access_scope_param(a), access_org_param(a),
                                 rq->args[0], false, &res);
  return reply_read_of(rq, s, res, "No such unit.", unit_write);
}

enum MHD_Result api_units_history(struct request *rq) {
  const struct access *a = &rq->access;
  PGresult *res;
  enum db_status s = db_unit_history(rq->db, rq->principal.commission_id, access_scope_param(a),
                                     access_org_param(a), rq->args[0], &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such unit.");
  }
  json_t *items = json_array();
  for (int i = 0, n = PQntuples(res); items != NULL && i < n; i++) {
    struct unit_change_row c;
    if (!db_row(res, i, &c)) {
      json_decref(items);
      items = NULL;
    } else if (c.to_status != NULL) { /* a unit without any change is one row of NULLs */
      items = items_append(items, json_pack("{s:o, s:o, s:o, s:o}", "from_status", json_of_text(c.from_status),
                                            "to_status", json_of_text(c.to_status), "reason", json_of_text(c.reason),
                                            "at", json_of_text(c.at)));
    }
  }
  PQclear(res);
  if (items == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

struct update_tx {
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_unit_get(db, rq->principal.commission_id, access_scope_param(&rq->access),
                                 access_org_param(&rq->access), rq->args[0], true, &u->current);
  return patch_locked(s, u->current, version);
}

/* The database refused fewer places than the people housed (migrations/0009): its DETAIL gives how many and
 * on which day, "occupied_places=N on=YYYY-MM-DD". */
static enum db_status places_refused(struct db *db, struct write_out *out) {
  long long housed = 0;
  char day[11] = "";
  if (sscanf(db_error_detail(db), "occupied_places=%lld on=%10s", &housed, day) != 2)
    return DB_HARD_ERROR;
  char detail[160];
  snprintf(detail, sizeof detail, "The unit houses %lld people on %s: its places cannot be fewer.", housed, day);
  return write_refuse_with(out, ERR_CONFLICT, detail,
                           json_pack("{s:I, s:s, s:[{s:s, s:s}]}", "occupied_places", (json_int_t)housed, "on", day,
                                     "errors", "field", "/places", "reason",
                                     "must not be fewer than the people housed today or on a later day"));
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  const struct field_value *v = rq->fields;
  const char *commission = rq->principal.commission_id;
  struct unit_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  const struct field_value *st = &v[F_STATUS];
  bool status_change = st->present && strcmp(st->s, cur.status) != 0;
  if (status_change && strcmp(cur.status, "withdrawn") == 0)
    return write_refuse_with(out, ERR_INVALID_STATE, "The unit is withdrawn: its status cannot change any more.",
                             json_pack("{s:s, s:[{s:s, s:s}]}", "current_status", cur.status, "errors", "field",
                                       "/status", "reason", "cannot change: the unit is withdrawn"));
  /* Merge: a field sent replaces the stored one; the others stay. */
  char numbers[4][24];
  struct unit_fields f = {.label = patch_pick(&v[F_LABEL], cur.label),
                          .address = patch_pick(&v[F_ADDRESS], cur.address),
                          .town = patch_pick(&v[F_TOWN], cur.town),
                          .places = patch_pick_int(&v[F_PLACES], cur.places, numbers[0]),
                          .rent_cents = patch_pick_int(&v[F_RENT], cur.rent_cents, numbers[1]),
                          .charges_cents = patch_pick_int(&v[F_CHARGES], cur.charges_cents, numbers[2]),
                          .deposit_cents = patch_pick_int(&v[F_DEPOSIT], cur.deposit_cents, numbers[3]),
                          .status = patch_pick(st, cur.status),
                          .co_owned = patch_pick_bool(&v[F_CO_OWNED], cur.co_owned)};
  enum db_status s;
  if (status_change &&
      (s = db_unit_status_change(db, commission, rq->args[0], cur.status, st->s, patch_pick(&v[F_REASON], NULL),
                                 rq->principal.token_id)) < 0)
    return s;
  PGresult *res;
  s = db_unit_update(db, commission, rq->args[0], &f, &res);
  if (s < 0 && strcmp(db_sqlstate(db), "23514") == 0 &&
      strcmp(db_constraint(db), "units_places_cover_occupancy") == 0)
    return places_refused(db, out);
  if (s < 0)
    return s;
  bool ok = s == DB_ROW && unit_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_units_update(struct request *rq) {
  static const struct patch patch = {"unit", "No such unit.", update_lock, update_write};
  const struct field_value *v = rq->fields;
  if (v[F_REASON].present && !v[F_STATUS].present)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/status_reason", "is only allowed with a new status");
  struct update_tx u = {NULL};
  enum MHD_Result ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  return ret;
}
