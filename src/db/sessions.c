/* Queries on quarterly sessions: the session itself, its attendance, its agenda and its decisions. */
#include <stdlib.h>

#include "queries.h"

#define SESSION_COLS                                                                                             \
  "s.id, s.session_date, s.town, s.place, s.chair_name, s.chair_title, s.status, " SQL_TS("s.opened_at") ", "    \
  SQL_TS("s.closed_at") ", s.version, " SQL_TS("s.created_at") ", " SQL_TS("s.updated_at")

DB_STATEMENT(insert, {
  "session_insert",
  "INSERT INTO sessions AS s (commission_id, session_date, town, place, chair_name, chair_title) "
  "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " SESSION_COLS,
  6, NULL
});

DB_STATEMENT(get, {
  "session_get", "SELECT " SESSION_COLS " FROM sessions s WHERE s.commission_id = $1 AND s.id = $2", 2, NULL});

DB_STATEMENT(get_for_update, {
  "session_get_for_update",
  "SELECT " SESSION_COLS " FROM sessions s WHERE s.commission_id = $1 AND s.id = $2 FOR UPDATE", 2, NULL});

/* Decisions take a shared lock: several at once, but never while the session closes. */
DB_STATEMENT(get_for_share, {
  "session_get_for_share",
  "SELECT " SESSION_COLS " FROM sessions s WHERE s.commission_id = $1 AND s.id = $2 FOR SHARE", 2, NULL});

DB_STATEMENT(list, {
  "session_list",
  "SELECT " SESSION_COLS " FROM sessions s WHERE s.commission_id = $1 AND ($2::text IS NULL OR s.status = $2) "
  "AND ($3::date IS NULL OR (s.session_date, s.id) > ($3::date, $4::uuid)) ORDER BY s.session_date, s.id "
  "LIMIT $5::integer",
  5, NULL
});

DB_STATEMENT(update, {
  "session_update",
  "UPDATE sessions s SET session_date = $3, town = $4, place = $5, chair_name = $6, chair_title = $7, "
  "version = s.version + 1, updated_at = now() WHERE s.commission_id = $1 AND s.id = $2 RETURNING " SESSION_COLS,
  7, NULL
});

DB_STATEMENT(set_status, {
  "session_set_status",
  "UPDATE sessions s SET status = $3, opened_at = CASE WHEN $3 = 'open' THEN now() ELSE s.opened_at END, "
  "closed_at = CASE WHEN $3 = 'closed' THEN now() ELSE s.closed_at END, version = s.version + 1, "
  "updated_at = now() WHERE s.commission_id = $1 AND s.id = $2 RETURNING " SESSION_COLS,
  3, NULL
});

DB_STATEMENT(attendees_replace, {
  "session_attendees_replace",
  "WITH gone AS (DELETE FROM session_attendees WHERE commission_id = $1 AND session_id = $2) "
  "INSERT INTO session_attendees (commission_id, session_id, attendee_group, name, organisation, position) "
  "SELECT $1, $2, x.attendee_group, x.name, x.organisation, x.n FROM ROWS FROM (jsonb_to_recordset($3::jsonb) "
  "AS (attendee_group text, name text, organisation text)) WITH ORDINALITY AS x(attendee_group, name, "
  "organisation, n)",
  3, NULL
});

DB_STATEMENT(attendees, {
  "session_attendees",
  "SELECT attendee_group, name, organisation FROM session_attendees WHERE commission_id = $1 AND session_id = $2 "
  "ORDER BY position",
  2, NULL
});

/* Schedules every submitted or deferred application not yet on this agenda (urgent first, then by waiting time),
 * moving each to 'scheduled' with its event; then adds the placements whose review falls due by the session's
 * date and the incidents still open — all in one statement. */
DB_STATEMENT(agenda_build, {
  "agenda_build",
  "WITH moved AS (UPDATE applications a SET status = 'scheduled', version = a.version + 1, updated_at = now() "
  "FROM (SELECT id, status FROM applications c WHERE c.commission_id = $1 AND c.status IN ('submitted', 'deferred') "
  "AND NOT EXISTS (SELECT 1 FROM agenda_items i WHERE i.session_id = $2 AND i.application_id = c.id) FOR UPDATE) old "
  "WHERE a.id = old.id RETURNING a.id, a.commission_id, old.status AS from_status, a.urgency, "
  "coalesce(a.submitted_at, a.created_at) AS since), "
  "base AS (SELECT coalesce(max(position), 0) AS p FROM agenda_items WHERE commission_id = $1 AND session_id = $2), "
  "items AS (INSERT INTO agenda_items (commission_id, session_id, kind, application_id, position) "
  "SELECT m.commission_id, $2, 'application', m.id, base.p + row_number() OVER (ORDER BY CASE m.urgency "
  "WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, m.since, m.id) FROM moved m, base RETURNING 1), "
  "events AS (INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, "
  "session_id, token_id, role) SELECT commission_id, id, from_status, 'scheduled', 'put on the agenda', $2, $3, $4 "
  "FROM moved RETURNING 1), "
  "due AS (SELECT rs.placement_id, rs.next_review_on FROM review_schedule rs JOIN sessions s ON s.id = $2 "
  "WHERE rs.commission_id = $1 AND rs.next_review_on <= s.session_date AND NOT EXISTS (SELECT 1 FROM agenda_items i "
  "WHERE i.session_id = $2 AND i.placement_id = rs.placement_id)), "
  "reviews AS (INSERT INTO agenda_items (commission_id, session_id, kind, placement_id, position) "
  "SELECT $1, $2, 'review', due.placement_id, base.p + (SELECT count(*) FROM moved) + row_number() OVER (ORDER BY "
  "due.next_review_on, due.placement_id) FROM due, base RETURNING 1), "
  "open_incidents AS (SELECT x.id, x.created_at FROM incidents x WHERE x.commission_id = $1 AND x.status <> 'closed' "
  "AND NOT EXISTS (SELECT 1 FROM agenda_items i WHERE i.session_id = $2 AND i.incident_id = x.id)), "
  "incident_items AS (INSERT INTO agenda_items (commission_id, session_id, kind, incident_id, position) "
  "SELECT $1, $2, 'incident', o.id, base.p + (SELECT count(*) FROM moved) + (SELECT count(*) FROM due) + "
  "row_number() OVER (ORDER BY o.created_at, o.id) FROM open_incidents o, base RETURNING 1) "
  "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM events), (SELECT count(*) FROM reviews), "
  "(SELECT count(*) FROM incident_items)",
  4, NULL
});

DB_STATEMENT(agenda_add, {
  "agenda_add",
  "INSERT INTO agenda_items (commission_id, session_id, kind, application_id, position, note) "
  "SELECT $1, $2, 'application', $3, coalesce(max(position), 0) + 1, $4 FROM agenda_items "
  "WHERE commission_id = $1 AND session_id = $2 RETURNING id",
  4, NULL
});

DB_STATEMENT(agenda_item, {
  "agenda_item",
  "SELECT i.id, i.application_id, a.status, (SELECT count(*) FROM decisions d WHERE d.agenda_item_id = i.id) "
  "FROM agenda_items i LEFT JOIN applications a ON a.commission_id = i.commission_id AND a.id = i.application_id "
  "WHERE i.commission_id = $1 AND i.session_id = $2 AND i.id = $3 FOR UPDATE OF i",
  3, NULL
});

DB_STATEMENT(agenda_delete, {
  "agenda_delete", "DELETE FROM agenda_items WHERE commission_id = $1 AND session_id = $2 AND id = $3", 3, NULL});

DB_STATEMENT(agenda_update, {
  "agenda_update",
  "UPDATE agenda_items SET position = coalesce($4::integer, position), note = CASE WHEN $5::boolean THEN $6 "
  "ELSE note END WHERE commission_id = $1 AND session_id = $2 AND id = $3",
  6, NULL
});

/* The agenda, each item with its application (or the placement to review, or the incident), its person (and
 * whether the reader may see them, from the scope parameters), and its standing decision (the latest
 * correction, if any). */
/* One row of TABLE by its id, looked up for each agenda line: a join the planner cannot turn into a scan of the
 * commission's whole table (each line costs index look-ups, whatever the size of the commission). Row-level
 * security lets only leakproof expressions into an index condition: CASE is, coalesce() is not. */
#define BY_ID(table, id) "SELECT * FROM " table " WHERE commission_id = i.commission_id AND id = " id " OFFSET 0"

DB_STATEMENT(agenda, {
  "agenda",
  "SELECT i.id, i.position, i.kind, i.note, a.id, a.status, a.urgency, to_json(a.wished_unit_kinds), "
  "to_json(a.wished_towns), " SQL_TS("a.submitted_at") ", "
  "CASE WHEN a.submitted_at IS NULL THEN NULL ELSE current_date - (a.submitted_at AT TIME ZONE 'UTC')::date END, "
  "p.id, p.family_name, p.given_names, p.birth_date, " SQL_PERSON_SCOPE("p", "$3", "$4") ", a.situation, "
  "d.id, d.outcome, d.unit_id, d.refusal_reason, d.comment, " SQL_TS("d.decided_at") ", d.corrects_decision_id, "
  "du.label, du.town, pl.id, pu.label, pu.town, pl.move_in_date, "
  "CASE WHEN i.kind = 'review' THEN (coalesce((SELECT max(r.review_date) FROM reviews r WHERE r.commission_id = "
  "pl.commission_id AND r.placement_id = pl.id), pl.move_in_date) + interval '3 months')::date END, "
  "inc.id, inc.kind, inc.status, inc.occurred_on, "
  "pl.id IS NOT NULL AND " SQL_PLACEMENT_SCOPE("p", "pu", "$5", "$6") ", "
  "inc.id IS NOT NULL AND " SQL_INCIDENT_SCOPE("inc", "p", "pu", "$7", "$8") " "
  "FROM agenda_items i "
  "LEFT JOIN LATERAL (" BY_ID("applications", "i.application_id") ") a ON true "
  "LEFT JOIN LATERAL (" BY_ID("incidents", "i.incident_id") ") inc ON true "
  "LEFT JOIN LATERAL (" BY_ID("placements", "CASE WHEN i.placement_id IS NULL THEN inc.placement_id ELSE i.placement_id END") ") pl ON true "
  "LEFT JOIN LATERAL (" BY_ID("units", "pl.unit_id") ") pu ON true "
  "LEFT JOIN LATERAL (" BY_ID("people", "CASE WHEN a.person_id IS NULL THEN pl.person_id ELSE a.person_id END") ") p ON true "
  "LEFT JOIN LATERAL (SELECT * FROM decisions x WHERE x.agenda_item_id = i.id ORDER BY x.decided_at DESC, "
  "x.corrects_decision_id IS NULL LIMIT 1) d ON true "
  "LEFT JOIN LATERAL (" BY_ID("units", "d.unit_id") ") du ON true "
  "WHERE i.commission_id = $1 AND i.session_id = $2 ORDER BY i.position, i.created_at, i.id",
  8, NULL
});

DB_STATEMENT(decision_insert, {
  "decision_insert",
  "INSERT INTO decisions (commission_id, session_id, agenda_item_id, application_id, outcome, unit_id, "
  "refusal_reason, comment, corrects_decision_id, token_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
  "RETURNING id",
  10, NULL
});

DB_STATEMENT(decision_get, {
  "decision_get",
  "SELECT d.id, d.agenda_item_id, d.application_id, d.outcome, a.status, "
  "NOT EXISTS (SELECT 1 FROM decisions c WHERE c.corrects_decision_id = d.id) "
  "FROM decisions d JOIN applications a ON a.commission_id = d.commission_id AND a.id = d.application_id "
  "WHERE d.commission_id = $1 AND d.session_id = $2 AND d.id = $3 FOR UPDATE OF a",
  3, NULL
});

/* Defers every undecided item of a closing session, recording the decisions and the moves. */
DB_STATEMENT(defer_undecided, {
  "decisions_defer_undecided",
  "WITH open_items AS (SELECT i.id, i.application_id FROM agenda_items i JOIN applications a "
  "ON a.commission_id = i.commission_id AND a.id = i.application_id WHERE i.commission_id = $1 AND i.session_id = $2 "
  "AND a.status = 'scheduled' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.agenda_item_id = i.id) "
  "FOR UPDATE OF a), "
  "decided AS (INSERT INTO decisions (commission_id, session_id, agenda_item_id, application_id, outcome, comment, "
  "token_id) SELECT $1, $2, id, application_id, 'defer', 'not examined at this session', $3 FROM open_items "
  "RETURNING application_id), "
  "moved AS (UPDATE applications a SET status = 'deferred', decided_at = now(), version = a.version + 1, "
  "updated_at = now() FROM decided WHERE a.id = decided.application_id RETURNING a.id), "
  "events AS (INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, "
  "session_id, token_id, role) SELECT $1, id, 'scheduled', 'deferred', 'not examined at this session', $2, $3, $4 "
  "FROM moved RETURNING 1) SELECT count(*) FROM events",
  4, NULL
});

DB_STATEMENT(undecided, {
  "session_undecided",
  "SELECT count(*) FROM agenda_items i JOIN applications a ON a.commission_id = i.commission_id "
  "AND a.id = i.application_id WHERE i.commission_id = $1 AND i.session_id = $2 AND a.status = 'scheduled' "
  "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.agenda_item_id = i.id)",
  2, NULL
});

DB_STATEMENT(unit_status, {
  "decision_unit_status", "SELECT status FROM units WHERE commission_id = $1 AND id = $2", 2, NULL});

enum db_status db_session_insert(struct db *db, const char *commission_id, const char *const f[5], PGresult **res) {
  const char *params[] = {commission_id, f[0], f[1], f[2], f[3], f[4]};
  return db_exec(db, &insert, params, res);
}

enum db_status db_session_get(struct db *db, const char *commission_id, const char *id, enum db_lock lock,
                              PGresult **res) {
  const char *params[] = {commission_id, id};
  const struct db_statement *st = lock == LOCK_UPDATE ? &get_for_update : lock == LOCK_SHARE ? &get_for_share : &get;
  return db_exec(db, st, params, res);
}

enum db_status db_session_list(struct db *db, const char *commission_id, const char *status, const char *after_date,
                               const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, status, after_date, after_id, limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_session_update(struct db *db, const char *commission_id, const char *id, const char *const f[5],
                                 PGresult **res) {
  const char *params[] = {commission_id, id, f[0], f[1], f[2], f[3], f[4]};
  return db_exec(db, &update, params, res);
}

enum db_status db_session_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                     PGresult **res) {
  const char *params[] = {commission_id, id, status};
  return db_exec(db, &set_status, params, res);
}

enum db_status db_session_attendees_replace(struct db *db, const char *commission_id, const char *id,
                                            const char *attendees_json) {
  const char *params[] = {commission_id, id, attendees_json};
  PGresult *res;
  enum db_status s = db_exec(db, &attendees_replace, params, &res);
  PQclear(res);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_session_attendees(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  const char *params[] = {commission_id, id};
  return db_exec(db, &attendees, params, res);
}

enum db_status db_agenda_build(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                               const char *role) {
  enum db_status s = db_applications_lapse(db, commission_id);
  if (s < 0)
    return s;
  const char *params[] = {commission_id, session_id, token_id, role};
  PGresult *res;
  s = db_exec(db, &agenda_build, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_agenda_add(struct db *db, const char *commission_id, const char *session_id,
                             const char *application_id, const char *note, PGresult **res) {
  const char *params[] = {commission_id, session_id, application_id, note};
  return db_exec(db, &agenda_add, params, res);
}

enum db_status db_agenda_item(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                              PGresult **res) {
  const char *params[] = {commission_id, session_id, item_id};
  return db_exec(db, &agenda_item, params, res);
}

enum db_status db_agenda_delete(struct db *db, const char *commission_id, const char *session_id,
                                const char *item_id) {
  const char *params[] = {commission_id, session_id, item_id};
  PGresult *res;
  enum db_status s = db_exec(db, &agenda_delete, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_agenda_update(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                                const char *position, bool set_note, const char *note) {
  const char *params[] = {commission_id, session_id, item_id, position, set_note ? "t" : "f", note};
  PGresult *res;
  enum db_status s = db_exec(db, &agenda_update, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_agenda(struct db *db, const char *commission_id, const char *session_id,
                         const struct access *person_scope, const struct access *placement_scope,
                         const struct access *incident_scope, PGresult **res) {
  const char *params[] = {commission_id,
                          session_id,
                          access_scope_param(person_scope),
                          access_org_param(person_scope),
                          access_scope_param(placement_scope),
                          access_org_param(placement_scope),
                          access_scope_param(incident_scope),
                          access_org_param(incident_scope)};
  return db_exec(db, &agenda, params, res);
}

enum db_status db_decision_insert(struct db *db, const char *const f[10], PGresult **res) {
  return db_exec(db, &decision_insert, f, res);
}

enum db_status db_decision_get(struct db *db, const char *commission_id, const char *session_id,
                               const char *decision_id, PGresult **res) {
  const char *params[] = {commission_id, session_id, decision_id};
  return db_exec(db, &decision_get, params, res);
}

enum db_status db_decisions_defer_undecided(struct db *db, const char *commission_id, const char *session_id,
                                            const char *token_id, const char *role) {
  const char *params[] = {commission_id, session_id, token_id, role};
  PGresult *res;
  enum db_status s = db_exec(db, &defer_undecided, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_session_undecided(struct db *db, const char *commission_id, const char *session_id, long *count) {
  const char *params[] = {commission_id, session_id};
  PGresult *res;
  enum db_status s = db_exec(db, &undecided, params, &res);
  if (s == DB_ROW)
    *count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return s;
}

enum db_status db_unit_status(struct db *db, const char *commission_id, const char *unit_id, PGresult **res) {
  const char *params[] = {commission_id, unit_id};
  return db_exec(db, &unit_status, params, res);
}
