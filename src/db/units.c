/* Queries on the commission's units (apartments and places) and their status history. Reads take the scope
 * ($scope, $org: access_scope_param() / access_org_param()): a landlord's token sees its own units only. */
#include "queries.h"

#define UNIT_COLS                                                                                              \
  "u.id, u.kind, u.label, u.address, u.town, u.landlord_org_id, u.places, u.rent_cents, u.charges_cents, "   \
  "u.deposit_cents, u.currency, u.status, u.version, " SQL_TS("u.created_at") ", " SQL_TS("u.updated_at")

/* Places taken on the current day (UTC): placements that have moved in and not yet left. */
#define UNIT_OCCUPIED                                                                                          \
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id "       \
  "AND pl.move_in_date <= current_date AND (pl.exit_date IS NULL OR pl.exit_date > current_date))"

/* The unit and its first status, recorded in the same statement. */
DB_STATEMENT(insert, {
  "unit_insert",
  "WITH u AS (INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, "
  "charges_cents, deposit_cents, currency, status) VALUES ($1, $2, $3, $4, $5, $6::uuid, $7::integer, $8::bigint, "
  "$9::bigint, $10::bigint, coalesce($11, 'EUR'), coalesce($12, 'available')) RETURNING *), "
  "h AS (INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, token_id) "
  "SELECT commission_id, id, NULL, status, $13::uuid FROM u) "
  "SELECT " UNIT_COLS ", 0 FROM u",
  13, NULL
});

DB_STATEMENT(get, {
  "unit_get",
  "SELECT " UNIT_COLS ", " UNIT_OCCUPIED " FROM units u WHERE u.commission_id = $1 AND u.id = $2 AND "
  SQL_LANDLORD_SCOPE("u.landlord_org_id", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "unit_get_for_update",
  "SELECT " UNIT_COLS ", " UNIT_OCCUPIED " FROM units u WHERE u.commission_id = $1 AND u.id = $2 AND "
  SQL_LANDLORD_SCOPE("u.landlord_org_id", "$3", "$4") " FOR UPDATE",
  4, NULL
});

DB_STATEMENT(update, {
  "unit_update",
  "UPDATE units u SET label = $3, address = $4, town = $5, places = $6::integer, rent_cents = $7::bigint, "
  "charges_cents = $8::bigint, deposit_cents = $9::bigint, status = $10, version = version + 1, "
  "updated_at = now() WHERE u.commission_id = $1 AND u.id = $2 RETURNING " UNIT_COLS ", " UNIT_OCCUPIED,
  10, NULL
});

DB_STATEMENT(status_change, {
  "unit_status_change_insert",
  "INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, reason, token_id) "
  "VALUES ($1, $2, $3, $4, $5, $6::uuid)",
  6, NULL
});

DB_STATEMENT(list, {
  "unit_list",
  "SELECT " UNIT_COLS ", " UNIT_OCCUPIED " FROM units u WHERE u.commission_id = $1 AND "
  SQL_LANDLORD_SCOPE("u.landlord_org_id", "$2", "$3") " AND ($4::text IS NULL OR u.status = $4 OR ($4 = 'vacant' "
  "AND u.status IN ('available', 'occupied') AND " UNIT_OCCUPIED " < u.places)) "
  "AND ($5::text IS NULL OR u.kind = $5) AND ($6::text IS NULL OR u.town = $6) "
  "AND ($7::uuid IS NULL OR u.landlord_org_id = $7::uuid) "
  "AND ($8::text IS NULL OR (u.town, u.label, u.id) > ($8, $9, $10::uuid)) "
  "ORDER BY u.town, u.label, u.id LIMIT $11::integer",
  11, NULL
});

/* The unit (in scope) joined with its changes, oldest first; no row when the unit is not visible. */
DB_STATEMENT(history, {
  "unit_history",
  "SELECT c.from_status, c.to_status, c.reason, " SQL_TS("c.at") " FROM units u "
  "LEFT JOIN unit_status_changes c ON c.commission_id = u.commission_id AND c.unit_id = u.id "
  "WHERE u.commission_id = $1 AND u.id = $2 AND " SQL_LANDLORD_SCOPE("u.landlord_org_id", "$3", "$4")
  " ORDER BY c.at, c.id",
  4, NULL
});

enum db_status db_unit_insert(struct db *db, const char *commission_id, const char *const f[11],
                              const char *token_id, PGresult **res) {
  const char *params[] = {commission_id, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], token_id};
  return db_exec(db, &insert, params, res);
}

enum db_status db_unit_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                           const char *id, bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, scope, org};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_unit_update(struct db *db, const char *commission_id, const char *id, const char *const f[8],
                              PGresult **res) {
  const char *params[] = {commission_id, id, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
  return db_exec(db, &update, params, res);
}

enum db_status db_unit_status_change(struct db *db, const char *commission_id, const char *unit_id,
                                     const char *from, const char *to, const char *reason, const char *token_id) {
  const char *params[] = {commission_id, unit_id, from, to, reason, token_id};
  PGresult *res;
  enum db_status s = db_exec(db, &status_change, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_unit_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                            const char *const filters[4], const char *const after[3], const char *limit,
                            PGresult **res) {
  const char *params[] = {commission_id, scope,    org,      filters[0], filters[1], filters[2],
                          filters[3],    after[0], after[1], after[2],   limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_unit_history(struct db *db, const char *commission_id, const char *scope, const char *org,
                               const char *id, PGresult **res) {
  const char *params[] = {commission_id, id, scope, org};
  return db_exec(db, &history, params, res);
}
