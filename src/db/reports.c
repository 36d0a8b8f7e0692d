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
  "standing AS (SELECT d.application_id, d.outcome, d.refusal_reason, a.submitted_at, "                         \
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
  /* a success: a sliding lease that slid in the period (the person stays: not an exit), or an exit because the
   * lease passed to the tenant (not counted twice when the slide was recorded too) */
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = :commission_id "
  "AND pl.slid_on BETWEEN :from::date AND :to::date) AS slides, "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = :commission_id AND ((pl.slid_on BETWEEN :from::date "
  "AND :to::date) OR (pl.exit_reason = 'lease_transferred' AND pl.exit_date BETWEEN :from::date AND :to::date "
  "AND pl.slid_on IS NULL))) AS lease_transfers, "
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

#define UNIT_KINDS                                                                                               \
  "(VALUES (1, 'hlm_apartment'), (2, 'foyer_place'), (3, 'transitional_place'), (4, 'residence_place')) k(ord, key)"

/* The status of unit u as of the end of day DATE (a parameter's name): the last one its history recorded by then;
 * for a unit recorded later, the status it was created with. */
#define UNIT_STATUS_ON(date)                                                                                     \
  "coalesce((SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id "            \
  "AND c.unit_id = u.id AND c.at < ((" date "::date) + 1)::timestamp AT TIME ZONE 'UTC' "                       \
  "ORDER BY c.at DESC, c.id DESC LIMIT 1), "                                                                    \
  "(SELECT c.to_status FROM unit_status_changes c WHERE c.commission_id = u.commission_id AND c.unit_id = u.id " \
  "ORDER BY c.at, c.id LIMIT 1), u.status)"

/* REPORT_OCCUPANCY_ROW per unit kind (in the schema's order), then the one for all (kind NULL). As of the end of
 * day :date: a unit's status is the last one its history recorded by then (for a unit recorded later, the status
 * it was created with); withdrawn units are left out; occupied counts the placements whose stay covers :date (the
 * exit day frees the place); vacant the free places of the units in service; out of service the places of units
 * out of service. */
#define REPORT_OCCUPANCY(P) P(commission_id) P(date)
DB_STATEMENT(occupancy, {
  "report_occupancy",
  "WITH u AS (SELECT u.kind, u.places, " UNIT_STATUS_ON(":date") " AS status, "
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id "
  "AND pl.move_in_date <= :date::date AND (pl.exit_date IS NULL OR pl.exit_date > :date::date)) AS occupied "
  "FROM units u WHERE u.commission_id = :commission_id) "
  "SELECT " DB_COLUMNS(REPORT_OCCUPANCY_ROW) " "
  "FROM " UNIT_KINDS " LEFT JOIN u ON u.kind = k.key AND u.status <> 'withdrawn' "
  "GROUP BY GROUPING SETS ((k.ord, k.key), ()) ORDER BY k.ord NULLS LAST",
  DB_PARAMS(REPORT_OCCUPANCY)
});
DB_PARAMS_STRUCT(report_occupancy_params, REPORT_OCCUPANCY);

/* The yearly assembly's figures (REPORT_ASSEMBLY_ROW). Exits and incidents are counted in groups that say nothing
 * of anyone's health: hospitalisation and care facility are "care", hospitalisation incidents are "other", a
 * death is an "other" exit. Waits are in calendar days from the UTC day of the submission; applications never
 * submitted are left out of them. Deposit figures are the ledger's entries dated in the period, per kind, a
 * reversal subtracting from the kind it reverses on its own date. */
#define EXIT_GROUPS                                                                                              \
  "(VALUES (1, 'lease_transferred', 'lease_transferred'), (2, 'other_housing', 'other_housing'), "              \
  "(3, 'care', 'hospitalisation'), (3, 'care', 'care_facility'), (4, 'tenancy_ended', 'eviction'), "            \
  "(4, 'tenancy_ended', 'departure_without_notice'), (5, 'other', 'death'), (5, 'other', 'other')) "            \
  "k(ord, key, code)"
#define INCIDENT_GROUPS                                                                                          \
  "(VALUES (1, 'rent_arrears', 'rent_arrears'), (2, 'disturbance', 'disturbance'), (3, 'damage', 'damage'), "  \
  "(4, 'prolonged_absence', 'prolonged_absence'), (5, 'other', 'other'), (5, 'other', 'hospitalisation')) "    \
  "k(ord, key, code)"
/* Median (1 decimal: the mean of the two middle values for an even count), mean (1 decimal) and max of a
 * column `waited`; NULL when there is none. */
#define WAIT_FIGURES(prefix)                                                                                     \
  "count(*) AS " prefix "_count, "                                                                              \
  "round((percentile_cont(0.5) WITHIN GROUP (ORDER BY waited))::numeric, 1) AS " prefix "_median, "            \
  "round(avg(waited), 1) AS " prefix "_mean, max(waited) AS " prefix "_max"
#define REPORT_ASSEMBLY(P) P(commission_id) P(from) P(to)
DB_STATEMENT(assembly, {
  "report_assembly",
  "WITH " STANDING_DECISIONS ", "
  "pl AS (SELECT p.person_id, p.move_in_date, p.exit_date, p.exit_reason, p.application_id FROM placements p "
  "WHERE p.commission_id = :commission_id AND p.move_in_date <= :to::date "
  "AND (p.exit_date IS NULL OR p.exit_date >= :from::date)), "
  "entries AS (SELECT coalesce(r.kind, e.kind) AS kind, "
  "sum(CASE WHEN e.kind = 'reversal' THEN -e.amount_cents ELSE e.amount_cents END) AS cents "
  "FROM deposit_entries e LEFT JOIN deposit_entries r ON r.id = e.reverses_entry_id "
  "WHERE e.commission_id = :commission_id AND e.entry_date BETWEEN :from::date AND :to::date GROUP BY 1) "
  "SELECT " DB_COLUMNS(REPORT_ASSEMBLY_ROW) " FROM (SELECT "
  "(SELECT c.name FROM commissions c WHERE c.id = :commission_id) AS commission_name, "
  "(SELECT count(*) FROM applications a WHERE a.commission_id = :commission_id AND a.submitted_at >= " PERIOD_START
  " AND a.submitted_at < " PERIOD_END ") AS received, "
  "(SELECT count(DISTINCT application_id) FROM standing) AS examined, "
  "(SELECT count(*) FROM standing WHERE outcome = 'approve') AS approve, "
  "(SELECT count(*) FROM standing WHERE outcome = 'refuse') AS refuse, "
  "(SELECT count(*) FROM standing WHERE outcome = 'defer') AS defer, "
  "(SELECT count(DISTINCT ev.application_id) FILTER (WHERE ev.to_status = 'withdrawn') FROM application_events ev "
  "WHERE ev.commission_id = :commission_id AND ev.to_status IN ('withdrawn', 'lapsed') AND ev.at >= " PERIOD_START
  " AND ev.at < " PERIOD_END ") AS withdrawn, "
  "(SELECT count(DISTINCT ev.application_id) FILTER (WHERE ev.to_status = 'lapsed') FROM application_events ev "
  "WHERE ev.commission_id = :commission_id AND ev.to_status IN ('withdrawn', 'lapsed') AND ev.at >= " PERIOD_START
  " AND ev.at < " PERIOD_END ") AS lapsed, "
  "(SELECT count(DISTINCT person_id) FROM pl WHERE move_in_date < :from::date) AS housed_at_start, "
  "(SELECT count(DISTINCT person_id) FROM pl WHERE exit_date IS NULL OR exit_date > :to::date) AS housed_at_end, "
  "(SELECT count(DISTINCT person_id) FROM pl) AS housed_during, "
  "(SELECT count(*) FROM pl WHERE move_in_date >= :from::date) AS move_ins, "
  "(SELECT count(*) FROM pl WHERE exit_date <= :to::date) AS exits, "
  "(SELECT json_object_agg(g.key, g.n ORDER BY g.ord) FROM (SELECT k.ord, k.key, count(pl.exit_reason) AS n FROM "
  EXIT_GROUPS " LEFT JOIN pl ON pl.exit_reason = k.code AND pl.exit_date <= :to::date GROUP BY k.ord, k.key) g) "
  "AS exit_reasons, "
  "dw.*, mw.*, "
  "(SELECT count(*) FROM reviews r WHERE r.commission_id = :commission_id "
  "AND r.review_date BETWEEN :from::date AND :to::date) AS reviews_held, "
  "(SELECT json_object_agg(g.key, g.n ORDER BY g.ord) FROM (SELECT k.ord, k.key, count(i.id) AS n FROM "
  INCIDENT_GROUPS " LEFT JOIN incidents i ON i.commission_id = :commission_id AND i.kind = k.code "
  "AND i.occurred_on BETWEEN :from::date AND :to::date GROUP BY k.ord, k.key) g) AS incidents, "
  "(SELECT count(*) FROM sessions s WHERE s.commission_id = :commission_id "
  "AND s.session_date BETWEEN :from::date AND :to::date) AS sessions, "
  "de.* "
  "FROM (SELECT " WAIT_FIGURES("decision_wait") " FROM (SELECT s.waited FROM standing s "
  "WHERE s.outcome IN ('approve', 'refuse') AND s.submitted_at IS NOT NULL) w) dw, "
  "(SELECT " WAIT_FIGURES("move_in_wait") " FROM (SELECT greatest(p.move_in_date - "
  "(a.submitted_at AT TIME ZONE 'UTC')::date, 0) AS waited FROM pl p JOIN applications a "
  "ON a.commission_id = :commission_id AND a.id = p.application_id "
  "WHERE p.move_in_date >= :from::date AND a.submitted_at IS NOT NULL) w) mw, "
  "(SELECT coalesce(sum(cents) FILTER (WHERE kind = 'paid'), 0) AS paid, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'refunded'), 0) AS refunded, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'deducted'), 0) AS deducted, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'written_off'), 0) AS written_off, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'penalty_claimed'), 0) AS penalty_claimed, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'penalty_received'), 0) AS penalty_received, "
  "coalesce(sum(cents) FILTER (WHERE kind = 'penalty_waived'), 0) AS penalty_waived FROM entries) de) f",
  DB_PARAMS(REPORT_ASSEMBLY)
});
DB_PARAMS_STRUCT(report_assembly_params, REPORT_ASSEMBLY);

/* REPORT_PLACES_ROW per unit kind (in the schema's order), per town (the unit's town; only towns with a unit in
 * service or a move-in or exit in the period), then for all. Units, places and occupancy as of the end of :to,
 * as the occupancy report counts them; move-ins and exits in :from..:to, withdrawn units included. */
#define REPORT_PLACES(P) P(commission_id) P(from) P(to)
DB_STATEMENT(places, {
  "report_assembly_places",
  "WITH u AS (SELECT u.kind, u.town, u.places, " UNIT_STATUS_ON(":to") " AS status, "
  "coalesce(p.occupied, 0) AS occupied, coalesce(p.move_ins, 0) AS move_ins, coalesce(p.exits, 0) AS exits "
  "FROM units u LEFT JOIN (SELECT pl.unit_id, "
  "count(*) FILTER (WHERE pl.move_in_date <= :to::date AND (pl.exit_date IS NULL OR pl.exit_date > :to::date)) "
  "AS occupied, count(*) FILTER (WHERE pl.move_in_date BETWEEN :from::date AND :to::date) AS move_ins, "
  "count(*) FILTER (WHERE pl.exit_date BETWEEN :from::date AND :to::date) AS exits "
  "FROM placements pl WHERE pl.commission_id = :commission_id GROUP BY pl.unit_id) p ON p.unit_id = u.id "
  "WHERE u.commission_id = :commission_id) "
  "SELECT " DB_COLUMNS(REPORT_PLACES_ROW) " FROM " UNIT_KINDS " LEFT JOIN u ON u.kind = k.key "
  "GROUP BY GROUPING SETS ((k.ord, k.key), (u.town), ()) "
  "HAVING GROUPING(u.town) = 1 OR (u.town IS NOT NULL AND (count(*) FILTER (WHERE u.status <> 'withdrawn') > 0 "
  "OR sum(u.move_ins) > 0 OR sum(u.exits) > 0)) "
  "ORDER BY GROUPING(k.ord), GROUPING(u.town), k.ord, u.town",
  DB_PARAMS(REPORT_PLACES)
});
DB_PARAMS_STRUCT(report_places_params, REPORT_PLACES);

enum db_status db_report_assembly(struct db *db, const char *commission_id, const char *from, const char *to,
                                  PGresult **res) {
  struct report_assembly_params p = {.commission_id = commission_id, .from = from, .to = to};
  return db_run(db, &assembly, &p, res);
}

enum db_status db_report_assembly_places(struct db *db, const char *commission_id, const char *from,
                                         const char *to, PGresult **res) {
  struct report_places_params p = {.commission_id = commission_id, .from = from, .to = to};
  return db_run(db, &places, &p, res);
}

enum db_status db_report_activity(struct db *db, const char *commission_id, const char *from, const char *to,
                                  const char *today, PGresult **res) {
  struct report_activity_params p = {.commission_id = commission_id, .from = from, .to = to, .today = today};
  return db_run(db, &activity, &p, res);
}

enum db_status db_report_occupancy(struct db *db, const char *commission_id, const char *date, PGresult **res) {
  struct report_occupancy_params p = {.commission_id = commission_id, .date = date};
  return db_run(db, &occupancy, &p, res);
}
