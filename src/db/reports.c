/* Queries of the aggregate reports: the activity of a period (for the yearly assembly and the housing sub-group)
 * and the occupancy of the units on a day. Each is one aggregate statement; none returns a person. */
#include "queries.h"

/* The bounds of the period $2..$3 (dates, both included) as UTC instants: [start of $2, start of $3 + 1). */
#define PERIOD_START "(($2::date)::timestamp AT TIME ZONE 'UTC')"
#define PERIOD_END "((($3::date) + 1)::timestamp AT TIME ZONE 'UTC')"

/* Every key of a breakdown is listed (zero when nothing), in the order of the schema's CHECK lists. */
#define REFUSAL_REASONS                                                                                          \
  "(VALUES (1, 'no_suitable_unit'), (2, 'care_project_not_ready'), (3, 'incomplete_file'), "                    \
  "(4, 'outside_sector'), (5, 'needs_other_structure'), (6, 'other')) k(ord, key)"
#define EXIT_REASONS                                                                                             \
  "(VALUES (1, 'lease_transferred'), (2, 'other_housing'), (3, 'hospitalisation'), (4, 'care_facility'), "       \
  "(5, 'eviction'), (6, 'departure_without_notice'), (7, 'death'), (8, 'other')) k(ord, key)"

/* The standing decisions (not corrected by a later one; a correction counts by its own outcome) of the
 * sessions held in the period (decided_on: the session's date, whenever they were recorded), with the waiting
 * time of their application in calendar days (none for an application submitted after the session's date). */
#define STANDING_DECISIONS                                                                                       \
  "standing AS (SELECT d.outcome, d.refusal_reason, "                                                           \
  "greatest(d.decided_on - (a.submitted_at AT TIME ZONE 'UTC')::date, 0) AS waited "                          \
  "FROM decisions d JOIN applications a ON a.commission_id = d.commission_id AND a.id = d.application_id "      \
  "WHERE d.commission_id = $1 AND d.decided_on BETWEEN $2::date AND $3::date "                                  \
  "AND NOT EXISTS (SELECT 1 FROM decisions c WHERE c.commission_id = d.commission_id "                          \
  "AND c.corrects_decision_id = d.id))"

/* One row: received, approve, refuse, defer, average waiting days (1 decimal, NULL when none), refusal reasons
 * (JSON object), admissions, exits by reason (JSON object), lease transfers, deposits paid, held, refunded,
 * deducted, written off, overdue accounts, reviews done, reviews overdue (the active placements whose next
 * review, by the review_schedule view, is before today), agreements to renew, sessions.
 * $1 commission, $2 from, $3 to, $4 today. */
DB_STATEMENT(activity, {
  "report_activity",
  "WITH " STANDING_DECISIONS ", "
  "exits AS (SELECT pl.exit_reason, count(*) AS n FROM placements pl WHERE pl.commission_id = $1 "
  "AND pl.exit_date BETWEEN $2::date AND $3::date GROUP BY pl.exit_reason) "
  "SELECT "
  "(SELECT count(*) FROM applications a WHERE a.commission_id = $1 AND a.submitted_at >= " PERIOD_START
  " AND a.submitted_at < " PERIOD_END "), "
  "(SELECT count(*) FROM standing WHERE outcome = 'approve'), "
  "(SELECT count(*) FROM standing WHERE outcome = 'refuse'), "
  "(SELECT count(*) FROM standing WHERE outcome = 'defer'), "
  "(SELECT round(avg(waited), 1) FROM standing WHERE outcome IN ('approve', 'refuse')), "
  "(SELECT json_object_agg(k.key, (SELECT count(*) FROM standing s WHERE s.outcome = 'refuse' "
  "AND s.refusal_reason = k.key) ORDER BY k.ord) FROM " REFUSAL_REASONS "), "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = $1 "
  "AND pl.move_in_date BETWEEN $2::date AND $3::date), "
  "(SELECT json_object_agg(k.key, coalesce(e.n, 0) ORDER BY k.ord) FROM " EXIT_REASONS
  " LEFT JOIN exits e ON e.exit_reason = k.key), "
  "(SELECT coalesce(sum(n), 0) FROM exits WHERE exit_reason = 'lease_transferred'), "
  "da.paid, da.held, da.refunded, da.deducted, da.written_off, da.overdue, "
  "(SELECT count(*) FROM reviews r WHERE r.commission_id = $1 AND r.review_date BETWEEN $2::date AND $3::date), "
  "(SELECT count(*) FROM review_schedule rs WHERE rs.commission_id = $1 AND rs.move_in_date <= $4::date "
  "AND rs.next_review_on < $4::date), "
  "(SELECT count(*) FROM agreements g WHERE g.commission_id = $1 AND g.end_date <= $3::date + 90), "
  "(SELECT count(*) FROM sessions s WHERE s.commission_id = $1 AND s.session_date BETWEEN $2::date AND $3::date) "
  "FROM (SELECT coalesce(sum(paid_cents), 0) AS paid, coalesce(sum(balance_cents), 0) AS held, "
  "coalesce(sum(refunded_cents), 0) AS refunded, coalesce(sum(deducted_cents), 0) AS deducted, "
  "coalesce(sum(written_off_cents), 0) AS written_off, count(*) FILTER (WHERE status = 'overdue') AS overdue "
  "FROM deposit_accounts WHERE commission_id = $1) da",
  4, NULL
});

/* Rows per unit kind (in the schema's order), then one with kind NULL for all: kind, units, places, occupied,
 * vacant, out of service. As of the end of day $2: a unit's status is the last one its history recorded by
 * then (for a unit recorded later, the status it was created with); withdrawn units are left out; occupied
 * counts the placements whose stay covers $2 (the exit day frees the place); vacant the free places of the
 * units in service; out of service the places of units out of service. */
DB_STATEMENT(occupancy, {
  "report_occupancy",
  "WITH u AS (SELECT u.kind, u.places, coalesce("
  "(SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id AND c.unit_id = u.id "
  "AND c.at < (($2::date) + 1)::timestamp AT TIME ZONE 'UTC' ORDER BY c.at DESC, c.id DESC LIMIT 1), "
  "(SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id AND c.unit_id = u.id "
  "ORDER BY c.at, c.id LIMIT 1), u.status) AS status, "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id "
  "AND pl.move_in_date <= $2::date AND (pl.exit_date IS NULL OR pl.exit_date > $2::date)) AS occupied "
  "FROM units u WHERE u.commission_id = $1) "
  "SELECT k.key, count(u.kind), coalesce(sum(u.places), 0), coalesce(sum(u.occupied), 0), "
  "coalesce(sum(greatest(u.places - u.occupied, 0)) FILTER (WHERE u.status <> 'out_of_service'), 0), "
  "coalesce(sum(u.places) FILTER (WHERE u.status = 'out_of_service'), 0) "
  "FROM (VALUES (1, 'hlm_apartment'), (2, 'foyer_place'), (3, 'transitional_place'), (4, 'residence_place')) "
  "k(ord, key) LEFT JOIN u ON u.kind = k.key AND u.status <> 'withdrawn' "
  "GROUP BY GROUPING SETS ((k.ord, k.key), ()) ORDER BY k.ord NULLS LAST",
  2, NULL
});

enum db_status db_report_activity(struct db *db, const char *commission_id, const char *from, const char *to,
                                  const char *today, PGresult **res) {
  const char *params[] = {commission_id, from, to, today};
  return db_exec(db, &activity, params, res);
}

enum db_status db_report_occupancy(struct db *db, const char *commission_id, const char *date, PGresult **res) {
  const char *params[] = {commission_id, date};
  return db_exec(db, &occupancy, params, res);
}
