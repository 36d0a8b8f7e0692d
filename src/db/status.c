/* The curator's status check: one statement gathering, for one person, the latest application and decision,
 * the current placement, its deposit balance, the last rent report, open incidents and the next review date
 * (PERSON_STATUS_ROW). */
#include "queries.h"

#define PERSON_STATUS(P) P(commission_id) P(person_id) P(scope) P(org)
DB_STATEMENT(status, {
  "person_status",
  "SELECT " DB_COLUMNS(PERSON_STATUS_ROW) " FROM people p "
  "LEFT JOIN LATERAL (SELECT * FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id "
  "ORDER BY a.created_at DESC LIMIT 1) app ON true "
  "LEFT JOIN LATERAL (SELECT * FROM decisions d WHERE d.commission_id = p.commission_id "
  "AND d.application_id = app.id ORDER BY d.decided_at DESC LIMIT 1) dec ON true "
  "LEFT JOIN sessions s ON s.commission_id = dec.commission_id AND s.id = dec.session_id "
  "LEFT JOIN LATERAL (SELECT * FROM placements x WHERE x.commission_id = p.commission_id AND x.person_id = p.id "
  "ORDER BY x.move_in_date DESC LIMIT 1) pl ON true "
  "LEFT JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "
  "LEFT JOIN LATERAL (SELECT * FROM sliding_schedule x WHERE x.commission_id = pl.commission_id "
  "AND x.placement_id = pl.id OFFSET 0) ss ON true "
  "LEFT JOIN LATERAL (SELECT coalesce(sum(e.effect_cents), 0) AS balance, count(*) FILTER (WHERE e.kind = 'paid') "
  "AS paid FROM deposit_entries e "
  "WHERE e.commission_id = pl.commission_id AND e.placement_id = pl.id) dep ON true "
  "LEFT JOIN LATERAL (SELECT a.refund_due_on, a.settled_on, a.penalty_received_cents, a.penalty_waived_cents, "
  "a.status, a.provision_cents, a.provision_due_on, a.first_part_until "
  "FROM deposit_accounts a WHERE a.commission_id = pl.commission_id AND a.placement_id = pl.id "
  "AND pl.exit_date IS NOT NULL OFFSET 0) da ON true "
  /* rent arrears are those of the placement running today: after the exit they are not the person's rent any
   * more */
  "LEFT JOIN LATERAL (SELECT r.rent_status, r.arrears_cents, r.review_date FROM reviews r "
  "WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id AND r.rent_status IS NOT NULL "
  "AND (pl.exit_date IS NULL OR pl.exit_date > current_date) "
  "ORDER BY r.review_date DESC, r.rent_at DESC LIMIT 1) rv ON true "
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
