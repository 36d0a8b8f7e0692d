/* The curator's status check: the person's row and its status row (person_status, kept by the writes: migration
 * 0022) read by primary key, with the placement's deposit totals (deposit_totals, kept by the ledger: 0023) and,
 * after an exit, its account (PERSON_STATUS_ROW; person_status_account(), migrations/0028, so that the account's
 * plan starts only for a placement that ended): no aggregate over the ledger. The deposit's status is the account's
 * own (a payment reversed is no payment). */
#include "queries.h"

#define PERSON_STATUS(P) P(commission_id) P(person_id) P(scope) P(org)
DB_STATEMENT(status, {
  "person_status",
  "SELECT " DB_COLUMNS(PERSON_STATUS_ROW) " FROM people p "
  "LEFT JOIN person_status ps ON ps.commission_id = p.commission_id AND ps.person_id = p.id "
  "LEFT JOIN LATERAL (SELECT coalesce(sum(t.balance_cents), 0) AS balance, coalesce(sum(t.paid_cents), 0) AS paid "
  "FROM deposit_totals t WHERE t.commission_id = ps.commission_id AND t.placement_id = ps.placement_id) dep ON true "
  "LEFT JOIN LATERAL person_status_account(ps.commission_id, ps.placement_id, ps.exit_date) da ON true "
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
