/* Queries on placements: starting one from an approved application, reading them within the caller's scope,
 * and the exit. The capacity and one-home-at-a-time rules are the database's (migrations/0003). */
#include "queries.h"

#define PLACEMENT_COLS                                                                                           \
  "pl.id, pl.application_id, pl.person_id, p.family_name, p.given_names, p.birth_date, pl.unit_id, u.label, "   \
  "u.address, u.town, u.kind, u.landlord_org_id, pl.session_id, pl.move_in_date, pl.lease, pl.exit_date, "       \
  "pl.exit_reason, pl.exit_comment, pl.exit_inspection_matches, pl.version, " SQL_TS("pl.created_at") ", "       \
  SQL_TS("pl.updated_at")

#define PLACEMENT_FROM                                                                                           \
  " FROM placements pl JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "            \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

/* The person comes from the application; the deciding session from its latest approval. */
DB_STATEMENT(insert, {
  "placement_insert",
  "INSERT INTO placements (commission_id, application_id, person_id, unit_id, session_id, move_in_date, lease) "
  "SELECT $1, a.id, a.person_id, $3, (SELECT d.session_id FROM decisions d WHERE d.commission_id = a.commission_id "
  "AND d.application_id = a.id AND d.outcome = 'approve' ORDER BY d.decided_at DESC LIMIT 1), $4, $5 "
  "FROM applications a WHERE a.commission_id = $1 AND a.id = $2 RETURNING id",
  5, NULL
});

DB_STATEMENT(get, {
  "placement_get",
  "SELECT " PLACEMENT_COLS PLACEMENT_FROM "WHERE pl.commission_id = $1 AND pl.id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "placement_get_for_update",
  "SELECT " PLACEMENT_COLS PLACEMENT_FROM "WHERE pl.commission_id = $1 AND pl.id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4") " FOR UPDATE OF pl",
  4, NULL
});

DB_STATEMENT(list, {
  "placement_list",
  "SELECT " PLACEMENT_COLS PLACEMENT_FROM "WHERE pl.commission_id = $1 AND " SQL_PLACEMENT_SCOPE("p", "u", "$2", "$3")
  " AND ($4::boolean IS NULL OR (pl.exit_date IS NULL OR pl.exit_date > current_date) = $4::boolean) "
  "AND ($5::uuid IS NULL OR pl.unit_id = $5::uuid) AND ($6::uuid IS NULL OR pl.person_id = $6::uuid) "
  "AND ($7::date IS NULL OR (pl.move_in_date, pl.id) > ($7::date, $8::uuid)) "
  "AND ($10::uuid IS NULL OR u.landlord_org_id = $10::uuid) ORDER BY pl.move_in_date, pl.id "
  "LIMIT $9::integer",
  10, NULL
});

DB_STATEMENT(exit_placement, {
  "placement_exit",
  "UPDATE placements SET exit_date = $3, exit_reason = $4, exit_comment = $5, exit_inspection_matches = $6, "
  "version = version + 1, updated_at = now() WHERE commission_id = $1 AND id = $2 AND exit_date IS NULL",
  6, NULL
});

enum db_status db_placement_insert(struct db *db, const char *commission_id, const char *application_id,
                                   const char *unit_id, const char *move_in, const char *lease, PGresult **res) {
  const char *params[] = {commission_id, application_id, unit_id, move_in, lease};
  return db_exec(db, &insert, params, res);
}

enum db_status db_placement_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                                bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_placement_list(struct db *db, const char *commission_id, const struct access *scope,
                                 const char *active, const char *unit_id, const char *person_id,
                                 const char *landlord_org_id, const char *after_date, const char *after_id,
                                 const char *limit, PGresult **res) {
  const char *params[] = {commission_id, access_scope_param(scope), access_org_param(scope), active, unit_id,
                          person_id, after_date, after_id, limit, landlord_org_id};
  return db_exec(db, &list, params, res);
}

enum db_status db_placement_exit(struct db *db, const char *commission_id, const char *id, const char *exit_date,
                                 const char *reason, const char *comment, const char *inspection_matches) {
  const char *params[] = {commission_id, id, exit_date, reason, comment, inspection_matches};
  PGresult *res;
  enum db_status s = db_exec(db, &exit_placement, params, &res);
  PQclear(res);
  return s;
}
