/* The curator's status check: the person's row and its status row (person_status, kept by the writes: migrations
 * 0022, 0050) read by primary key, with the placement's deposit totals (deposit_totals, kept by the ledger: 0023):
 * three index look-ups, their columns as stored, no aggregate and no expression to build at each call (the
 * account's status and due dates are computed by src/api/status.c). The deposit's status is the account's own (a
 * payment reversed is no payment). */
#include "queries.h"

#define PERSON_STATUS(P) P(commission_id) P(person_id) P(scope) P(org)
#define PERSON_STATUS_FROM                                                                                     \
  " FROM people p LEFT JOIN person_status ps ON ps.commission_id = p.commission_id AND ps.person_id = p.id "     \
  "LEFT JOIN deposit_totals t ON t.commission_id = ps.commission_id AND t.placement_id = ps.placement_id "        \
  "WHERE p.commission_id = :commission_id AND p.id = :person_id AND " SQL_PERSON_SCOPE("p", ":scope", ":org")
DB_STATEMENT(status, {"person_status", "SELECT " DB_COLUMNS(PERSON_STATUS_ROW) PERSON_STATUS_FROM,
                      DB_PARAMS(PERSON_STATUS)});
DB_STATEMENT(status_first_part, {"person_status_first_part",
                                 "SELECT " DB_COLUMNS(PERSON_STATUS_ROW_FIRST_PART) PERSON_STATUS_FROM,
                                 DB_PARAMS(PERSON_STATUS)});
DB_PARAMS_STRUCT(person_status_params, PERSON_STATUS);

enum db_status db_person_status(struct db *db, const char *commission_id, const char *person_id,
                                const struct access *scope, bool first_part, PGresult **res) {
  struct person_status_params p = {.commission_id = commission_id, .person_id = person_id,
                                   .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, first_part ? &status_first_part : &status, &p, res);
}
