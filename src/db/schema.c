/* The applied schema version (commissionctl migrate records it in schema_migrations). */
#include <stdlib.h>

#include "queries.h"

DB_STATEMENT(versions_table, {
  "schema_versions_table", "SELECT to_regclass('schema_migrations') IS NOT NULL", .nparams = 0});

/* Prepared only once the table is known to exist: PostgreSQL resolves table names when it parses. */
DB_STATEMENT(schema_version, {
  "schema_version", "SELECT coalesce(max(version), 0) FROM schema_migrations", .nparams = 0});

enum db_status db_schema_version(struct db *db, int *version) {
  PGresult *res;
  enum db_status s = db_exec(db, &versions_table, NULL, &res);
  bool exists = s == DB_ROW && PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  if (s < 0)
    return s;
  *version = 0;
  if (!exists)
    return DB_ROW;
  s = db_exec(db, &schema_version, NULL, &res);
  if (s == DB_ROW)
    *version = atoi(PQgetvalue(res, 0, 0));
  PQclear(res);
  return s;
}
