/* Stored first responses of creations, keyed by (token, Idempotency-Key). The claim inserts the key's row and
 * the record fills it in the same transaction, by an INSERT ... ON CONFLICT DO UPDATE on the same key: the primary
 * key's index finds the claimed row (the arbiter's probe, which no plan chooses). An UPDATE found its row by a plan:
 * by (token, key), the generic plan of a connection's first calls on a table analyzed empty (a fresh install, a
 * quiet day's purge) was a sequential scan, whose cost grew with every key written until autovacuum analyzed the
 * table again (bench/run's deposit writes: 329 us a record, 546 pages read); by the claimed row's ctid, the same
 * once the emptied table had also lost its pages to a truncation or a vacuum (a sequential scan of an empty
 * relation costs less than one TID fetch): 497 us and 970 pages a record. */

#include "queries.h"

DB_STATEMENT(claim, {
  "idempotency_claim",
  "INSERT INTO idempotency_keys (token_id, key, commission_id, request_hash) "
  "VALUES ($1, $2, $3, decode($4, 'hex')) ON CONFLICT DO NOTHING RETURNING true",
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
  "INSERT INTO idempotency_keys (token_id, key, commission_id, request_hash, status, location, body) "
  "VALUES ($1, $2, $3, decode($4, 'hex'), $5::integer, $6, $7) ON CONFLICT (token_id, key) DO UPDATE "
  "SET status = EXCLUDED.status, location = EXCLUDED.location, body = EXCLUDED.body",
  .nparams = 7
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
  /* The key exists (committed by an earlier or concurrent request we waited for): read its response, by its key's
   * index. On a table analyzed empty, or of a page or two, a sequential scan costs PostgreSQL less, and a plan
   * cached then would stay as the keys grow (http-write-plans' emptied keys: one in two CI runs took it); only
   * this transaction, which ends with the replay, runs without sequential scans. */
  s = db_simple(db, "SET LOCAL enable_seqscan = off");
  if (s >= 0)
    s = db_exec(db, &previous, params, prev);
  if (s == DB_NO_ROW) {
    PQclear(*prev);
    *prev = NULL;
    return DB_SOFT_ERROR; /* it vanished between the two statements: retry the transaction */
  }
  return s == DB_ROW ? DB_NO_ROW : s;
}

enum db_status db_idempotency_claim_ahead(struct db *db, const char *token_id, const char *key,
                                          const char *commission_id, const char *hash_hex, enum db_status *claimed) {
  const char *params[] = {token_id, key, commission_id, hash_hex};
  return db_exec_ahead(db, &claim, params, 4, claimed);
}

enum db_status db_idempotency_record(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                     const char *hash_hex, const char *status, const char *location,
                                     const char *body) {
  const char *params[] = {token_id, key, commission_id, hash_hex, status, location, body};
  return db_exec_at_commit(db, &record, params, 7, NULL); /* with the COMMIT: nothing needs its result before */
}
