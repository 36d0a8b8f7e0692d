/* Queries on deposits: a placement's account (the deposit_accounts view of migrations/0003), its ledger, new
 * entries, the list of accounts by status, and the report per landlord. */
#include "queries.h"

#define ACCOUNT_COLS                                                                                             \
  "da.placement_id, da.unit_id, da.landlord_org_id, da.exit_date, da.exit_inspection_matches, da.rent_cents, "  \
  "da.expected_cents, da.balance_cents, da.paid_cents, da.refunded_cents, da.deducted_cents, "                   \
  "da.written_off_cents, da.refund_due_on, da.status, p.family_name, p.given_names, da.move_in_date"

#define ACCOUNT_FROM                                                                                             \
  " FROM deposit_accounts da JOIN people p ON p.commission_id = da.commission_id AND p.id = da.person_id "      \
  "JOIN units u ON u.commission_id = da.commission_id AND u.id = da.unit_id "

DB_STATEMENT(account, {
  "deposit_account",
  "SELECT " ACCOUNT_COLS ACCOUNT_FROM "WHERE da.commission_id = $1 AND da.placement_id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(entries, {
  "deposit_entries",
  "SELECT id, kind, amount_cents, effect_cents, entry_date, justification, reverses_entry_id, role, "
  SQL_TS("created_at") " FROM deposit_entries WHERE commission_id = $1 AND placement_id = $2 "
  "ORDER BY created_at, id",
  2, NULL
});

DB_STATEMENT(entry, {
  "deposit_entry",
  "SELECT kind, amount_cents FROM deposit_entries WHERE commission_id = $1 AND placement_id = $2 AND id = $3", 3, NULL});

DB_STATEMENT(insert, {
  "deposit_entry_insert",
  "INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, "
  "justification, reverses_entry_id, token_id, role) VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6, $7, $8, $9, "
  "$10) RETURNING id",
  10, NULL
});

DB_STATEMENT(list, {
  "deposit_account_list",
  "SELECT " ACCOUNT_COLS ACCOUNT_FROM "WHERE da.commission_id = $1 AND " SQL_PLACEMENT_SCOPE("p", "u", "$2", "$3")
  " AND ($4::text IS NULL OR da.status = $4) AND ($5::uuid IS NULL OR da.landlord_org_id = $5::uuid) "
  "AND ($6::uuid IS NULL OR da.placement_id > $6::uuid) ORDER BY da.placement_id LIMIT $7::integer",
  7, NULL
});

/* Totals per landlord (and, with landlord NULL, in all): aggregate figures, no person. */
DB_STATEMENT(report, {
  "deposit_report",
  "SELECT da.landlord_org_id, o.name, count(*), coalesce(sum(da.paid_cents), 0), coalesce(sum(da.balance_cents), 0), "
  "coalesce(sum(da.refunded_cents), 0), coalesce(sum(da.deducted_cents), 0), "
  "coalesce(sum(da.written_off_cents), 0), count(*) FILTER (WHERE da.status = 'overdue'), "
  "coalesce(sum(da.balance_cents) FILTER (WHERE da.status = 'overdue'), 0), "
  "count(*) FILTER (WHERE da.status = 'outstanding') "
  "FROM deposit_accounts da LEFT JOIN organisations o ON o.commission_id = da.commission_id "
  "AND o.id = da.landlord_org_id WHERE da.commission_id = $1 "
  "GROUP BY GROUPING SETS ((da.landlord_org_id, o.name), ()) ORDER BY o.name NULLS LAST, da.landlord_org_id",
  1, NULL
});

enum db_status db_deposit_account(struct db *db, const char *commission_id, const char *placement_id,
                                  const struct access *scope, PGresult **res) {
  const char *params[] = {commission_id, placement_id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, &account, params, res);
}

enum db_status db_deposit_entries(struct db *db, const char *commission_id, const char *placement_id,
                                  PGresult **res) {
  const char *params[] = {commission_id, placement_id};
  return db_exec(db, &entries, params, res);
}

enum db_status db_deposit_entry(struct db *db, const char *commission_id, const char *placement_id,
                                const char *entry_id, PGresult **res) {
  const char *params[] = {commission_id, placement_id, entry_id};
  return db_exec(db, &entry, params, res);
}

enum db_status db_deposit_entry_insert(struct db *db, const char *const f[10], PGresult **res) {
  return db_exec(db, &insert, f, res);
}

enum db_status db_deposit_account_list(struct db *db, const char *commission_id, const struct access *scope,
                                       const char *status, const char *landlord_id, const char *after_id,
                                       const char *limit, PGresult **res) {
  const char *params[] = {commission_id, access_scope_param(scope), access_org_param(scope), status, landlord_id,
                          after_id, limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_deposit_report(struct db *db, const char *commission_id, PGresult **res) {
  const char *params[] = {commission_id};
  return db_exec(db, &report, params, res);
}
