/* Queries on tokens: issuing, listing and revoking (the daemon's /v1/tokens and commissionctl share them). */
#include "queries.h"

/* The scope must be an organisation of the same commission and of the kind the role is bound to; the expiry
 * (the end of the day EXPIRES_ON, UTC) defaults to the commission's token lifetime (one year unless configured)
 * and must lie in the future. No row when either rule fails. */
#define TOKEN_INSERT(P) \
  P(commission_id) P(role) P(scope_org_id) P(scope_kind) P(label) P(selector) P(hash_hex) P(expires_on)
DB_STATEMENT(insert, {"token_insert",
                      "INSERT INTO tokens AS t (commission_id, role, scope_org_id, label, selector, hash, expires_at) "
                      "SELECT :commission_id, :role, :scope_org_id::uuid, :label, :selector, decode(:hash_hex, 'hex'), "
                      "coalesce((:expires_on::date + 1)::timestamp AT TIME ZONE 'UTC', "
                      "now() + make_interval(days => c.token_lifetime_days)) "
                      "FROM commissions c WHERE c.id = :commission_id "
                      "AND coalesce((:expires_on::date + 1)::timestamp AT TIME ZONE 'UTC', "
                      "now() + make_interval(days => c.token_lifetime_days)) > now() "
                      "AND (:scope_org_id::uuid IS NULL OR EXISTS (SELECT 1 FROM organisations o "
                      "WHERE o.commission_id = :commission_id AND o.id = :scope_org_id::uuid AND (o.kind = :scope_kind "
                      /* residences and foyers are the landlords of their places */
                      "OR (:scope_kind = 'landlord' AND o.kind = 'residence')))) "
                      "RETURNING " DB_COLUMNS(TOKEN_ROW),
                      DB_PARAMS(TOKEN_INSERT)});
DB_PARAMS_STRUCT(token_insert_params, TOKEN_INSERT);

#define TOKEN_LIST(P) P(commission_id) P(after_created) P(after_id) P(limit)
DB_STATEMENT(list, {"token_list",
                    "SELECT " DB_COLUMNS(TOKEN_ROW) " FROM tokens t WHERE t.commission_id = :commission_id "
                    "AND (:after_created::text IS NULL OR (t.created_at, t.id) > (:after_created::timestamptz, "
                    ":after_id::uuid)) ORDER BY t.created_at, t.id LIMIT :limit::integer",
                    DB_PARAMS(TOKEN_LIST)});
DB_PARAMS_STRUCT(token_list_params, TOKEN_LIST);

#define TOKEN_ONE(P) P(commission_id) P(id)
DB_STATEMENT(get, {"token_get",
                   "SELECT " DB_COLUMNS(TOKEN_ROW) " FROM tokens t WHERE t.commission_id = :commission_id "
                   "AND t.id = :id",
                   DB_PARAMS(TOKEN_ONE)});
DB_STATEMENT(revoke, {"token_revoke",
                      "UPDATE tokens AS t SET revoked_at = coalesce(t.revoked_at, now()) "
                      "WHERE t.commission_id = :commission_id AND t.id = :id RETURNING " DB_COLUMNS(TOKEN_ROW),
                      DB_PARAMS(TOKEN_ONE)});
DB_PARAMS_STRUCT(token_one_params, TOKEN_ONE);

enum db_status db_token_insert(struct db *db, const struct token_fields *f, PGresult **res) {
  struct token_insert_params p = {.commission_id = f->commission_id, .role = f->role, .scope_org_id = f->scope_org_id,
                                  .scope_kind = f->scope_kind, .label = f->label, .selector = f->selector,
                                  .hash_hex = f->hash_hex, .expires_on = f->expires_on};
  return db_run(db, &insert, &p, res);
}

enum db_status db_token_list(struct db *db, const char *commission_id, const char *after_created,
                             const char *after_id, const char *limit, PGresult **res) {
  struct token_list_params p = {.commission_id = commission_id, .after_created = after_created,
                                .after_id = after_id, .limit = limit};
  return db_run(db, &list, &p, res);
}

enum db_status db_token_revoke(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  struct token_one_params p = {.commission_id = commission_id, .id = id};
  return db_run(db, &revoke, &p, res);
}

enum db_status db_token_get(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  struct token_one_params p = {.commission_id = commission_id, .id = id};
  return db_run(db, &get, &p, res);
}
