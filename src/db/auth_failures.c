/* The failed-authentication counters every instance shares (migrations/0017): one upsert per failure. */
#include "db.h"
#include "queries.h"

#define AUTH_FAILURE_ADD(P) P(address_key) P(token_key)
DB_PARAMS_STRUCT(auth_failure_add_params, AUTH_FAILURE_ADD);
/* Older minutes of the same keys go in the same statement (commissionctl maintenance forgets the others). */
DB_STATEMENT(failure_add, {"auth_failure_add",
  "WITH keys AS (SELECT k FROM unnest(ARRAY[:address_key::text, :token_key::text]) AS k WHERE k IS NOT NULL), "
  "old AS (DELETE FROM auth_failures WHERE key IN (SELECT k FROM keys) AND minute < date_trunc('minute', now())) "
  "INSERT INTO auth_failures AS f (key, minute, failures) "
  "SELECT k, date_trunc('minute', now()), 1 FROM keys "
  "ON CONFLICT (key, minute) DO UPDATE SET failures = f.failures + 1 "
  "RETURNING " DB_COLUMNS(AUTH_FAILURE_ROW),
  DB_PARAMS(AUTH_FAILURE_ADD)});

enum db_status db_auth_failure_add(struct db *db, const char *address_key, const char *token_key, PGresult **res) {
  struct auth_failure_add_params p = {.address_key = address_key, .token_key = token_key};
  return db_run(db, &failure_add, &p, res);
}
