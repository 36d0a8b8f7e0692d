/* Queries on tokens: issuing, listing and revoking (the daemon's /v1/tokens and commissionctl share them). */
#include "queries.h"

#define TOKEN_COLS \
  "t.id, t.label, t.role, t.scope_org_id, " SQL_TS("t.created_at") ", " SQL_TS("t.expires_at") ", " \
  SQL_TS("t.last_used_at") ", " SQL_TS("t.revoked_at") ", CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' " \
  "WHEN t.expires_at <= now() THEN 'expired' ELSE 'active' END, " \
  "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The scope must be an organisation of the same commission and of the kind the role is bound to; the
 * expiry defaults to the commission's token lifetime (one year unless configured) and must lie in the future.
 * No row when either rule fails. */
DB_STATEMENT(insert, {
  "token_insert",
  "INSERT INTO tokens AS t (commission_id, role, scope_org_id, label, selector, hash, expires_at) "
  "SELECT $1, $2, $3::uuid, $4, $5, decode($6, 'hex'), "
  "coalesce(($7::date + 1)::timestamp AT TIME ZONE 'UTC', now() + make_interval(days => c.token_lifetime_days)) "
  "FROM commissions c WHERE c.id = $1 "
  "AND coalesce(($7::date + 1)::timestamp AT TIME ZONE 'UTC', now() + make_interval(days => c.token_lifetime_days)) "
  "> now() "
  "AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM organisations o WHERE o.commission_id = $1 AND o.id = $3::uuid "
  "AND o.kind = $8)) RETURNING " TOKEN_COLS,
  8, NULL
});

DB_STATEMENT(list, {
  "token_list",
  "SELECT " TOKEN_COLS " FROM tokens t WHERE t.commission_id = $1 "
  "AND ($2::text IS NULL OR (t.created_at, t.id) > ($2::timestamptz, $3::uuid)) "
  "ORDER BY t.created_at, t.id LIMIT $4::integer",
  4, NULL
});

DB_STATEMENT(get, {
  "token_get", "SELECT " TOKEN_COLS " FROM tokens t WHERE t.commission_id = $1 AND t.id = $2", 2, NULL});

DB_STATEMENT(revoke, {
  "token_revoke",
  "UPDATE tokens AS t SET revoked_at = coalesce(t.revoked_at, now()) WHERE t.commission_id = $1 AND t.id = $2 "
  "RETURNING " TOKEN_COLS,
  2, NULL
});

enum db_status db_token_insert(struct db *db, const char *commission_id, const char *role, const char *scope_org_id,
                               const char *scope_kind, const char *label, const char *selector, const char *hash_hex,
                               const char *expires_on, PGresult **res) {
  const char *params[] = {commission_id, role, scope_org_id, label, selector, hash_hex, expires_on, scope_kind};
  return db_exec(db, &insert, params, res);
}

enum db_status db_token_list(struct db *db, const char *commission_id, const char *after_created,
                             const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, after_created, after_id, limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_token_revoke(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  const char *params[] = {commission_id, id};
  return db_exec(db, &revoke, params, res);
}

enum db_status db_token_get(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  const char *params[] = {commission_id, id};
  return db_exec(db, &get, params, res);
}
