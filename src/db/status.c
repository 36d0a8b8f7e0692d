/* The curator's status check: one statement gathering, for one person, the latest application and decision,
 * the current placement, its deposit balance, the last rent report, open incidents and the next review date. */
#include "queries.h"

DB_STATEMENT(status, {
  "person_status",
  "SELECT p.id, p.family_name, p.given_names, p.protection, "
  "app.id, app.status, " SQL_TS("app.submitted_at") ", "
  "dec.outcome, dec.refusal_reason, " SQL_TS("dec.decided_at") ", s.session_date, "
  "pl.id, pl.move_in_date, pl.lease, pl.exit_date, u.label, u.town, "
  "dep.balance, CASE WHEN pl.id IS NULL THEN NULL WHEN pl.exit_date IS NULL OR pl.exit_date > current_date "
  "THEN CASE WHEN dep.balance > 0 THEN 'held' WHEN dep.paid > 0 THEN 'settled' ELSE 'not_paid' END "
  "WHEN dep.balance = 0 THEN 'settled' "
  "WHEN current_date > (pl.exit_date + CASE WHEN pl.exit_inspection_matches THEN interval '1 month' "
  "ELSE interval '2 months' END)::date THEN 'overdue' ELSE 'outstanding' END, "
  "rv.rent_status, rv.arrears_cents, rv.review_date, "
  "CASE WHEN pl.id IS NOT NULL AND (pl.exit_date IS NULL OR pl.exit_date > current_date) THEN "
  "(coalesce((SELECT max(r.review_date) FROM reviews r WHERE r.commission_id = pl.commission_id "
  "AND r.placement_id = pl.id), pl.move_in_date) + interval '3 months')::date END, "
  "(SELECT coalesce(json_agg(json_build_object('id', i.id, 'kind', i.kind, 'occurred_on', i.occurred_on, "
  "'status', i.status, 'arrears_cents', i.arrears_cents) ORDER BY i.created_at), '[]') FROM incidents i "
  "WHERE i.commission_id = pl.commission_id AND i.placement_id = pl.id AND i.status <> 'closed' "
  "AND ($3 <> 'curator' OR i.kind <> 'hospitalisation')) "
  "FROM people p "
  "LEFT JOIN LATERAL (SELECT * FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id "
  "ORDER BY a.created_at DESC LIMIT 1) app ON true "
  "LEFT JOIN LATERAL (SELECT * FROM decisions d WHERE d.commission_id = p.commission_id "
  "AND d.application_id = app.id ORDER BY d.decided_at DESC LIMIT 1) dec ON true "
  "LEFT JOIN sessions s ON s.commission_id = dec.commission_id AND s.id = dec.session_id "
  "LEFT JOIN LATERAL (SELECT * FROM placements x WHERE x.commission_id = p.commission_id AND x.person_id = p.id "
  "ORDER BY x.move_in_date DESC LIMIT 1) pl ON true "
  "LEFT JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "
  "LEFT JOIN LATERAL (SELECT coalesce(sum(e.effect_cents), 0) AS balance, count(*) FILTER (WHERE e.kind = 'paid') "
  "AS paid FROM deposit_entries e "
  "WHERE e.commission_id = pl.commission_id AND e.placement_id = pl.id) dep ON true "
  "LEFT JOIN LATERAL (SELECT r.rent_status, r.arrears_cents, r.review_date FROM reviews r "
  "WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id AND r.rent_status IS NOT NULL "
  "ORDER BY r.review_date DESC, r.rent_at DESC LIMIT 1) rv ON true "
  "WHERE p.commission_id = $1 AND p.id = $2 AND " SQL_PERSON_SCOPE("p", "$3", "$4"),
  4, NULL
});

enum db_status db_person_status(struct db *db, const char *commission_id, const char *person_id,
                                const struct access *scope, PGresult **res) {
  const char *params[] = {commission_id, person_id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, &status, params, res);
}
