/* The curator's status check: the person's row and its status row (person_status, kept by the writes: migration
 * 0022) read by primary key, with the placement's deposit totals (deposit_totals, kept by the ledger: 0023) and,
 * once the placement has an exit date, its provision and exit inspection, each by primary key (PERSON_STATUS_ROW
 * computes the account's columns from them: migrations/0048): no aggregate, no function per call. The deposit's
 * status is the account's own (a payment reversed is no payment). */
#include "queries.h"

#define PERSON_STATUS(P) P(commission_id) P(person_id) P(scope) P(org)
DB_STATEMENT(status, {
  "person_status",
  "SELECT " DB_COLUMNS(PERSON_STATUS_ROW) " FROM people p "
  "LEFT JOIN person_status ps ON ps.commission_id = p.commission_id AND ps.person_id = p.id "
  "LEFT JOIN deposit_totals t ON t.commission_id = ps.commission_id AND t.placement_id = ps.placement_id "
  "LEFT JOIN placements pl ON ps.exit_date IS NOT NULL AND pl.commission_id = ps.commission_id "
  "AND pl.id = ps.placement_id "
  "LEFT JOIN deposit_provisions dp ON ps.exit_date IS NOT NULL AND dp.commission_id = ps.commission_id "
  "AND dp.placement_id = ps.placement_id "
  "WHERE p.commission_id = :commission_id AND p.id = :person_id AND " SQL_PERSON_SCOPE("p", ":scope", ":org"),
  DB_PARAMS(PERSON_STATUS)
});
DB_PARAMS_STRUCT(person_status_params, PERSON_STATUS);

enum db_status db_person_status(struct db *db, const char *commission_id, const char *person_id,
                                const struct access *scope, PGresult **res) {
  struct person_status_params p = {.commission_id = commission_id, .person_id = person_id,
                                   .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, &status, &p, res);
}
