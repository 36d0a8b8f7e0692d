/* Queries of the decision letters and of the calendar feed (see include/letters.h). */
#include "letters.h"

#define LETTER_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(letter, {
  "decision_letter",
  "SELECT " DB_COLUMNS(LETTER_ROW) " FROM applications a "
  "JOIN people p ON p.commission_id = a.commission_id AND p.id = a.person_id "
  "JOIN commissions c ON c.id = a.commission_id "
  "JOIN organisations team ON team.commission_id = p.commission_id AND team.id = p.care_team_id "
  "LEFT JOIN organisations cur ON cur.commission_id = p.commission_id AND cur.id = p.curator_org_id "
  /* the decision voted at the latest session that decided the application */
  "LEFT JOIN LATERAL (SELECT d.* FROM decisions d WHERE d.commission_id = a.commission_id "
  "AND d.application_id = a.id AND d.corrects_decision_id IS NULL ORDER BY d.decided_on DESC, d.decided_at DESC "
  "LIMIT 1) v ON true "
  /* what stands on its item: corrections only ever correct the standing decision, so it is the latest */
  "LEFT JOIN LATERAL (SELECT d.* FROM decisions d WHERE d.agenda_item_id = v.agenda_item_id "
  "AND d.commission_id = v.commission_id ORDER BY d.decided_at DESC LIMIT 1) st ON true "
  "LEFT JOIN sessions s ON s.commission_id = v.commission_id AND s.id = v.session_id "
  "LEFT JOIN units vu ON vu.commission_id = v.commission_id AND vu.id = v.unit_id "
  "LEFT JOIN units u ON u.commission_id = st.commission_id AND u.id = st.unit_id "
  "LEFT JOIN organisations ll ON ll.commission_id = u.commission_id AND ll.id = u.landlord_org_id "
  "LEFT JOIN LATERAL (SELECT n.session_date, n.town, n.place FROM sessions n WHERE n.commission_id = a.commission_id "
  "AND n.status = 'planned' AND n.session_date > s.session_date AND n.session_date >= current_date "
  "ORDER BY n.session_date, n.id LIMIT 1) nx ON true "
  "WHERE a.commission_id = :commission_id AND a.id = :id AND " SQL_PERSON_SCOPE("p", ":scope", ":org"),
  DB_PARAMS(LETTER_GET)
});
DB_PARAMS_STRUCT(letter_get_params, LETTER_GET);

enum db_status db_decision_letter(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, PGresult **res) {
  struct letter_get_params p = {.commission_id = commission_id, .id = id, .scope = access_scope_param(scope),
                                .org = access_org_param(scope)};
  return db_run(db, &letter, &p, res);
}

#define CALENDAR_GET(P) P(commission_id)
DB_STATEMENT(calendar, {
  "calendar_sessions",
  "SELECT " DB_COLUMNS(CALENDAR_ROW) " FROM sessions s WHERE s.commission_id = :commission_id "
  "ORDER BY s.session_date, s.id",
  DB_PARAMS(CALENDAR_GET)
});
DB_PARAMS_STRUCT(calendar_get_params, CALENDAR_GET);

enum db_status db_calendar_sessions(struct db *db, const char *commission_id, PGresult **res) {
  struct calendar_get_params p = {.commission_id = commission_id};
  return db_run(db, &calendar, &p, res);
}
