/* Queries on tokens: issuing, listing and revoking (the daemon's /v1/tokens and commissionctl share them); and
 * the tokens' last use, noted by the request path and written by the audit thread. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
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

/* What the principal needs, only while the token is neither revoked nor expired. A read: the token's use is noted
 * (token_used()) and written by the audit thread, so that authentication works on a read-only database. */
#define TOKEN_LOOKUP(P) P(selector)
DB_STATEMENT(lookup, {"token_lookup",
                      "SELECT " DB_COLUMNS(TOKEN_LOOKUP_ROW) " FROM tokens t WHERE t.selector = :selector "
                      "AND t.revoked_at IS NULL AND t.expires_at > now()",
                      DB_PARAMS(TOKEN_LOOKUP)});
DB_PARAMS_STRUCT(token_lookup_params, TOKEN_LOOKUP);

enum db_status db_token_lookup(struct db *db, const char *selector, PGresult **res) {
  struct token_lookup_params p = {.selector = selector};
  return db_run(db, &lookup, &p, res);
}

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

/* Tokens used since last_used_at was last written: a set of ids, filled by the workers (each notes a token at most
 * once a minute, from its token cache) and emptied by token_used_flush(). Bounded: while the database cannot be
 * written, the newest uses past TOKEN_USED_MAX distinct tokens are not kept (last_used_at is a hint, not a trail). */
#define TOKEN_USED_MAX 4096

static pthread_mutex_t used_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*used_ids)[UUID_STR_LEN];
static size_t used_n;
static bool used_overflow_logged;

DB_STATEMENT(mark_used, {
  "token_mark_used", "UPDATE tokens SET last_used_at = now() WHERE id = ANY($1::uuid[])", .nparams = 1});

void token_used(const char *token_id) {
  if (strlen(token_id) != UUID_STR_LEN - 1)
    return;
  pthread_mutex_lock(&used_lock);
  if (used_ids == NULL)
    used_ids = malloc(TOKEN_USED_MAX * sizeof *used_ids);
  bool known = used_ids == NULL;
  for (size_t i = 0; !known && i < used_n; i++)
    known = memcmp(used_ids[i], token_id, UUID_STR_LEN) == 0;
  if (!known && used_n < TOKEN_USED_MAX)
    memcpy(used_ids[used_n++], token_id, UUID_STR_LEN);
  else if (!known && !used_overflow_logged) {
    used_overflow_logged = true;
    log_event(LOG_WARN, "token uses not recorded: too many tokens waiting for last_used_at", NULL);
  }
  pthread_mutex_unlock(&used_lock);
}

long token_used_flush(struct db *db) {
  pthread_mutex_lock(&used_lock);
  size_t n = used_n;
  /* "{id,id,...}": 37 bytes an id, and the braces. */
  char *array = n > 0 ? malloc(n * UUID_STR_LEN + 3) : NULL;
  if (array != NULL) {
    size_t o = 0;
    array[o++] = '{';
    for (size_t i = 0; i < n; i++) {
      if (i > 0)
        array[o++] = ',';
      memcpy(array + o, used_ids[i], UUID_STR_LEN - 1);
      o += UUID_STR_LEN - 1;
    }
    array[o++] = '}';
    array[o] = '\0';
  }
  pthread_mutex_unlock(&used_lock);
  if (n == 0)
    return 0;
  if (array == NULL)
    return -1;
  const char *params[] = {array};
  PGresult *res;
  enum db_status s = db_exec(db, &mark_used, params, &res);
  PQclear(res);
  free(array);
  if (s < 0)
    return -1; /* the ids stay, for the next pass */
  /* Forget the N written; uses noted meanwhile came after them in the array. */
  pthread_mutex_lock(&used_lock);
  memmove(used_ids, used_ids + n, (used_n - n) * sizeof *used_ids);
  used_n -= n;
  used_overflow_logged = false;
  pthread_mutex_unlock(&used_lock);
  return (long)n;
}

void token_used_shutdown(void) {
  pthread_mutex_lock(&used_lock);
  free(used_ids);
  used_ids = NULL;
  used_n = 0;
  pthread_mutex_unlock(&used_lock);
}
