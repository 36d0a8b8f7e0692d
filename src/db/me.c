/* Who a token is: its commission and, for scoped roles, its organisation. */
#include "queries.h"

#define TOKEN_DESCRIBE(P) P(token_id)
DB_STATEMENT(token_describe, {"token_describe",
                              "SELECT " DB_COLUMNS(ME_ROW) " FROM tokens t JOIN commissions c ON c.id = t.commission_id "
                              "LEFT JOIN organisations o ON o.id = t.scope_org_id "
                              "AND o.commission_id = t.commission_id WHERE t.id = :token_id",
                              DB_PARAMS(TOKEN_DESCRIBE)});
DB_PARAMS_STRUCT(token_describe_params, TOKEN_DESCRIBE);

enum db_status db_token_describe(struct db *db, const char *token_id, PGresult **res) {
  struct token_describe_params p = {.token_id = token_id};
  return db_run(db, &token_describe, &p, res);
}
