/* Stored first responses of creations, keyed by (token, Idempotency-Key). The claim inserts the key's row and
 * the record fills it in the same transaction, found by its ctid: a TID scan whatever the table's statistics say
 * (the record by (token, key) kept the generic plan of the connection's first calls: on a table analyzed empty,
 * as on a fresh install or after a quiet day's purge, a sequential scan, whose cost grew with every key written
 * until autovacuum analyzed the table again; bench/run's deposit writes: 329 us a record, 546 pages read). */
#include <string.h>

#include "queries.h"

DB_STATEMENT(claim, {
  "idempotency_claim",
  "INSERT INTO idempotency_keys (token_id, key, commission_id, request_hash) "
  "VALUES ($1, $2, $3, decode($4, 'hex')) ON CONFLICT DO NOTHING RETURNING ctid",
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
  "UPDATE idempotency_keys SET status = $4::integer, location = $5, body = $6 WHERE ctid = $3::tid "
  "AND token_id = $1 AND key = $2",
  .nparams = 6
});

enum db_status db_idempotency_claim(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                    const char *hash_hex, char row[DB_CTID_SIZE], PGresult **prev) {
  const char *params[] = {token_id, key, commission_id, hash_hex};
  PGresult *res;
  *prev = NULL;
  row[0] = '\0';
  enum db_status s = db_exec(db, &claim, params, &res);
  if (s == DB_ROW) {
    if (PQgetlength(res, 0, 0) >= DB_CTID_SIZE) {
      PQclear(res);
      return DB_HARD_ERROR;
    }
    memcpy(row, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0) + 1);
  }
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

enum db_status db_idempotency_record(struct db *db, const char *token_id, const char *key, const char *row,
                                     const char *status, const char *location, const char *body) {
  const char *params[] = {token_id, key, row, status, location, body};
  return db_exec_at_commit(db, &record, params, 6, NULL); /* with the COMMIT: nothing needs its result before */
}
