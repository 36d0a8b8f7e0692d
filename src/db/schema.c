/* The applied schema version (commissionctl migrate records it in schema_migrations). */
#include <stdlib.h>

#include "queries.h"

static const struct db_statement schema_version = {
  "schema_version",
  "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 "
  "ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END",
  0,
};

enum db_status db_schema_version(struct db *db, int *version) {
  PGresult *res;
  enum db_status s = db_exec(db, &schema_version, NULL, &res);
  if (s == DB_ROW)
    *version = atoi(PQgetvalue(res, 0, 0));
  PQclear(res);
  return s;
}
