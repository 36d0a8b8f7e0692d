/* Queries of the aggregate reports: the activity of a period (for the yearly assembly and the housing sub-group)
 * and the occupancy of the units on a day. Each is one aggregate statement; none returns a person. */
#include "queries.h"

/* The bounds of the period :from..:to (dates, both included) as UTC instants: [start of :from, start of
 * :to + 1). */
#define PERIOD_START "((:from::date)::timestamp AT TIME ZONE 'UTC')"
#define PERIOD_END "(((:to::date) + 1)::timestamp AT TIME ZONE 'UTC')"

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
  "WHERE d.commission_id = :commission_id AND d.decided_on >= (" PERIOD_START ")::date AND d.decided_on < (" PERIOD_END ")::date "   \
  "AND NOT EXISTS (SELECT 1 FROM decisions c WHERE c.commission_id = d.commission_id "                          \
  "AND c.corrects_decision_id = d.id))"

/* The figures of REPORT_ACTIVITY_ROW, named in the derived table f. Reviews overdue: the active placements whose
 * next review, by the review_schedule view, is before today. */
#define REPORT_ACTIVITY(P) P(commission_id) P(from) P(to) P(today)
DB_STATEMENT(activity, {
  "report_activity",
  "WITH " STANDING_DECISIONS ", "
  "exits AS (SELECT pl.exit_reason, count(*) AS n FROM placements pl WHERE pl.commission_id = :commission_id "
  "AND pl.exit_date BETWEEN :from::date AND :to::date GROUP BY pl.exit_reason) "
  "SELECT " DB_COLUMNS(REPORT_ACTIVITY_ROW) " FROM (SELECT "
  "(SELECT count(*) FROM applications a WHERE a.commission_id = :commission_id AND a.submitted_at >= " PERIOD_START
  " AND a.submitted_at < " PERIOD_END ") AS received, "
  "(SELECT count(*) FROM standing WHERE outcome = 'approve') AS approve, "
  "(SELECT count(*) FROM standing WHERE outcome = 'refuse') AS refuse, "
  "(SELECT count(*) FROM standing WHERE outcome = 'defer') AS defer, "
  "(SELECT round(avg(waited), 1) FROM standing WHERE outcome IN ('approve', 'refuse')) AS average_waiting_days, "
  "(SELECT json_object_agg(k.key, (SELECT count(*) FROM standing s WHERE s.outcome = 'refuse' "
  "AND s.refusal_reason = k.key) ORDER BY k.ord) FROM " REFUSAL_REASONS ") AS refusal_reasons, "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = :commission_id "
  "AND pl.move_in_date BETWEEN :from::date AND :to::date) AS admissions, "
  "(SELECT json_object_agg(k.key, coalesce(e.n, 0) ORDER BY k.ord) FROM " EXIT_REASONS
  " LEFT JOIN exits e ON e.exit_reason = k.key) AS exits, "
  "(SELECT coalesce(sum(n), 0) FROM exits WHERE exit_reason = 'lease_transferred') AS lease_transfers, "
  "da.paid AS deposits_paid, da.held AS deposits_held, da.refunded AS deposits_refunded, "
  "da.deducted AS deposits_deducted, da.written_off AS deposits_written_off, da.overdue AS overdue_accounts, "
  "(SELECT count(*) FROM reviews r WHERE r.commission_id = :commission_id "
  "AND r.review_date BETWEEN :from::date AND :to::date) AS reviews_done, "
  "(SELECT count(*) FROM review_schedule rs WHERE rs.commission_id = :commission_id "
  "AND rs.move_in_date <= :today::date AND rs.next_review_on < :today::date) AS reviews_overdue, "
  "(SELECT count(*) FROM agreements g WHERE g.commission_id = :commission_id "
  "AND g.end_date <= :to::date + 90) AS agreements_to_renew, "
  "(SELECT count(*) FROM sessions s WHERE s.commission_id = :commission_id "
  "AND s.session_date BETWEEN :from::date AND :to::date AND s.status <> 'cancelled') AS sessions "
  "FROM (SELECT coalesce(sum(paid_cents), 0) AS paid, coalesce(sum(balance_cents), 0) AS held, "
  "coalesce(sum(refunded_cents), 0) AS refunded, coalesce(sum(deducted_cents), 0) AS deducted, "
  "coalesce(sum(written_off_cents), 0) AS written_off, count(*) FILTER (WHERE status = 'overdue') AS overdue "
  "FROM deposit_accounts WHERE commission_id = :commission_id) da) f",
  DB_PARAMS(REPORT_ACTIVITY)
});
DB_PARAMS_STRUCT(report_activity_params, REPORT_ACTIVITY);

/* REPORT_OCCUPANCY_ROW per unit kind (in the schema's order), then the one for all (kind NULL). As of the end of
 * day :date: a unit's status is the last one its history recorded by then (for a unit recorded later, the status
 * it was created with); withdrawn units are left out; occupied counts the placements whose stay covers :date (the
 * exit day frees the place); vacant the free places of the units in service; out of service the places of units
 * out of service. */
#define REPORT_OCCUPANCY(P) P(commission_id) P(date)
DB_STATEMENT(occupancy, {
  "report_occupancy",
  "WITH u AS (SELECT u.kind, u.places, coalesce("
  "(SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id AND c.unit_id = u.id "
  "AND c.at < ((:date::date) + 1)::timestamp AT TIME ZONE 'UTC' ORDER BY c.at DESC, c.id DESC LIMIT 1), "
  "(SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id AND c.unit_id = u.id "
  "ORDER BY c.at, c.id LIMIT 1), u.status) AS status, "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id "
  "AND pl.move_in_date <= :date::date AND (pl.exit_date IS NULL OR pl.exit_date > :date::date)) AS occupied "
  "FROM units u WHERE u.commission_id = :commission_id) "
  "SELECT " DB_COLUMNS(REPORT_OCCUPANCY_ROW) " "
  "FROM (VALUES (1, 'hlm_apartment'), (2, 'foyer_place'), (3, 'transitional_place'), (4, 'residence_place')) "
  "k(ord, key) LEFT JOIN u ON u.kind = k.key AND u.status <> 'withdrawn' "
  "GROUP BY GROUPING SETS ((k.ord, k.key), ()) ORDER BY k.ord NULLS LAST",
  DB_PARAMS(REPORT_OCCUPANCY)
});
DB_PARAMS_STRUCT(report_occupancy_params, REPORT_OCCUPANCY);

enum db_status db_report_activity(struct db *db, const char *commission_id, const char *from, const char *to,
                                  const char *today, PGresult **res) {
  struct report_activity_params p = {.commission_id = commission_id, .from = from, .to = to, .today = today};
  return db_run(db, &activity, &p, res);
}

enum db_status db_report_occupancy(struct db *db, const char *commission_id, const char *date, PGresult **res) {
  struct report_occupancy_params p = {.commission_id = commission_id, .date = date};
  return db_run(db, &occupancy, &p, res);
}
