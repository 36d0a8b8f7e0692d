/* Stored first responses of creations, keyed by (token, Idempotency-Key). */
#include "queries.h"

DB_STATEMENT(claim, {
  "idempotency_claim",
  "INSERT INTO idempotency_keys (token_id, key, commission_id, request_hash) "
  "VALUES ($1, $2, $3, decode($4, 'hex')) ON CONFLICT DO NOTHING",
  .nparams = 4
});

DB_STATEMENT(previous, {
  "idempotency_previous",
  "SELECT encode(request_hash, 'hex'), status, location, body FROM idempotency_keys "
  "WHERE token_id = $1 AND key = $2",
  .nparams = 2
});

DB_STATEMENT(record, {
  "idempotency_record",
  "UPDATE idempotency_keys SET status = $3::integer, location = $4, body = $5 WHERE token_id = $1 AND key = $2",
  .nparams = 5
});

enum db_status db_idempotency_claim(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                    const char *hash_hex, PGresult **prev) {
  const char *params[] = {token_id, key, commission_id, hash_hex};
  PGresult *res;
  *prev = NULL;
  enum db_status s = db_exec(db, &claim, params, &res);
  PQclear(res);
  if (s != DB_NO_ROW)
    return s;
  /* The key exists (committed by an earlier or concurrent request we waited for): read its response. */
  s = db_exec(db, &previous, params, prev);
  if (s == DB_NO_ROW) {
    PQclear(*prev);
    *prev = NULL;
    return DB_SOFT_ERROR; /* it vanished between the two statements: retry the transaction */
  }
  return s == DB_ROW ? DB_NO_ROW : s;
}

enum db_status db_idempotency_record(struct db *db, const char *token_id, const char *key, const char *status,
                                     const char *location, const char *body) {
  const char *params[] = {token_id, key, status, location, body};
  return db_exec_at_commit(db, &record, params, 5, NULL); /* with the COMMIT: nothing needs its result before */
}
