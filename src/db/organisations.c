/* Queries on a commission's partner organisations. */
#include "queries.h"

#define ORG_COLS \
  "id, kind, name, town, address, email, phone, archived, version, " SQL_TS("created_at") ", " SQL_TS("updated_at")

DB_STATEMENT(insert, {
  "organisation_insert",
  "INSERT INTO organisations (commission_id, kind, name, town, address, email, phone) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " ORG_COLS,
  7, NULL
});

DB_STATEMENT(get, {
  "organisation_get",
  "SELECT " ORG_COLS " FROM organisations WHERE commission_id = $1 AND id = $2",
  2, NULL
});

DB_STATEMENT(get_for_update, {
  "organisation_get_for_update",
  "SELECT " ORG_COLS " FROM organisations WHERE commission_id = $1 AND id = $2 FOR UPDATE",
  2, NULL
});

DB_STATEMENT(update, {
  "organisation_update",
  "UPDATE organisations SET name = $3, town = $4, address = $5, email = $6, phone = $7, archived = $8, "
  "version = version + 1, updated_at = now() WHERE commission_id = $1 AND id = $2 RETURNING " ORG_COLS,
  8, NULL
});

DB_STATEMENT(list, {
  "organisation_list",
  "SELECT " ORG_COLS " FROM organisations WHERE commission_id = $1 AND ($2::text IS NULL OR kind = $2) "
  "AND ($3::text IS NULL OR (name, id) > ($3, $4::uuid)) ORDER BY name, id LIMIT $5::integer",
  5, NULL
});

enum db_status db_organisation_insert(struct db *db, const char *commission_id, const char *const f[6],
                                      PGresult **res) {
  const char *params[] = {commission_id, f[0], f[1], f[2], f[3], f[4], f[5]};
  return db_exec(db, &insert, params, res);
}

enum db_status db_organisation_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                                   PGresult **res) {
  const char *params[] = {commission_id, id};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_organisation_update(struct db *db, const char *commission_id, const char *id,
                                      const char *const f[6], PGresult **res) {
  const char *params[] = {commission_id, id, f[0], f[1], f[2], f[3], f[4], f[5]};
  return db_exec(db, &update, params, res);
}

enum db_status db_organisation_list(struct db *db, const char *commission_id, const char *kind,
                                    const char *after_name, const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, kind, after_name, after_id, limit};
  return db_exec(db, &list, params, res);
}
