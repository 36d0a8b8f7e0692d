/* Who a token is: its commission and, for scoped roles, its organisation. */
#include "queries.h"

DB_STATEMENT(token_describe, {
  "token_describe",
  "SELECT t.id, t.label, t.role, " SQL_TS("t.created_at") ", " SQL_TS("t.expires_at") ", c.id, c.name, "
  "o.id, o.kind, o.name FROM tokens t JOIN commissions c ON c.id = t.commission_id "
  "LEFT JOIN organisations o ON o.id = t.scope_org_id AND o.commission_id = t.commission_id WHERE t.id = $1",
  1, NULL
});

enum db_status db_token_describe(struct db *db, const char *token_id, PGresult **res) {
  const char *params[] = {token_id};
  return db_exec(db, &token_describe, params, res);
}
