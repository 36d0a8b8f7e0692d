/* Queries on quarterly sessions: the session itself, its attendance, its agenda and its decisions. */
#include <stdio.h>

#include "json_text.h"
#include "sessions.h"

#define SESSION_INSERT(P) P(commission_id) P(session_date) P(town) P(place) P(chair_name) P(chair_title)
DB_STATEMENT(insert, {"session_insert",
                      "INSERT INTO sessions AS s (commission_id, session_date, town, place, chair_name, chair_title) "
                      "VALUES (:commission_id, :session_date, :town, :place, :chair_name, :chair_title) "
                      "RETURNING " DB_COLUMNS(SESSION_ROW),
                      DB_PARAMS(SESSION_INSERT)});
DB_PARAMS_STRUCT(session_insert_params, SESSION_INSERT);

#define SESSION_GET(P) P(commission_id) P(id)
#define SESSION_GET_SQL                                                                                          \
  "SELECT " DB_COLUMNS(SESSION_ROW) " FROM sessions s WHERE s.commission_id = :commission_id AND s.id = :id"
DB_STATEMENT(get, {"session_get", SESSION_GET_SQL, DB_PARAMS(SESSION_GET)});
DB_STATEMENT(get_for_update, {"session_get_for_update", SESSION_GET_SQL " FOR UPDATE", DB_PARAMS(SESSION_GET)});
/* Decisions take a shared lock: several at once, but never while the session closes. */
DB_STATEMENT(get_for_share, {"session_get_for_share", SESSION_GET_SQL " FOR SHARE", DB_PARAMS(SESSION_GET)});
DB_PARAMS_STRUCT(session_get_params, SESSION_GET);

#define SESSION_LIST(P) P(commission_id) P(status) P(after_date) P(after_id) P(limit)
DB_STATEMENT(list, {"session_list",
                    "SELECT " DB_COLUMNS(SESSION_ROW) " FROM sessions s WHERE s.commission_id = :commission_id "
                    "AND (:status::text IS NULL OR s.status = :status) "
                    "AND (:after_date::date IS NULL OR (s.session_date, s.id) > (:after_date::date, :after_id::uuid)) "
                    "ORDER BY s.session_date, s.id LIMIT :limit::integer",
                    DB_PARAMS(SESSION_LIST)});
DB_PARAMS_STRUCT(session_list_params, SESSION_LIST);

#define SESSION_UPDATE(P) P(commission_id) P(id) P(session_date) P(town) P(place) P(chair_name) P(chair_title)
DB_STATEMENT(update, {"session_update",
                      "UPDATE sessions s SET session_date = :session_date, town = :town, place = :place, "
                      "chair_name = :chair_name, chair_title = :chair_title, version = s.version + 1, "
                      "updated_at = now() WHERE s.commission_id = :commission_id AND s.id = :id "
                      "RETURNING " DB_COLUMNS(SESSION_ROW),
                      DB_PARAMS(SESSION_UPDATE)});
DB_PARAMS_STRUCT(session_update_params, SESSION_UPDATE);

#define SESSION_SET_STATUS(P) P(commission_id) P(id) P(status)
DB_STATEMENT(set_status, {"session_set_status",
                          "UPDATE sessions s SET status = :status, "
                          "opened_at = CASE WHEN :status = 'open' THEN now() ELSE s.opened_at END, "
                          "closed_at = CASE WHEN :status = 'closed' THEN now() ELSE s.closed_at END, "
                          "version = s.version + 1, updated_at = now() "
                          "WHERE s.commission_id = :commission_id AND s.id = :id RETURNING " DB_COLUMNS(SESSION_ROW),
                          DB_PARAMS(SESSION_SET_STATUS)});
DB_PARAMS_STRUCT(session_set_status_params, SESSION_SET_STATUS);

#define ATTENDEES_REPLACE(P) P(commission_id) P(session_id) P(attendees)
DB_STATEMENT(attendees_replace, {
  "session_attendees_replace",
  "WITH gone AS (DELETE FROM session_attendees WHERE commission_id = :commission_id AND session_id = :session_id) "
  "INSERT INTO session_attendees (commission_id, session_id, attendee_group, name, organisation, position) "
  "SELECT :commission_id, :session_id, x.attendee_group, x.name, x.organisation, x.n "
  "FROM ROWS FROM (jsonb_to_recordset(:attendees::jsonb) AS (attendee_group text, name text, organisation text)) "
  "WITH ORDINALITY AS x(attendee_group, name, organisation, n)",
  DB_PARAMS(ATTENDEES_REPLACE)});
DB_PARAMS_STRUCT(attendees_replace_params, ATTENDEES_REPLACE);

/* The session's own statements take (commission_id, session_id). */
#define SESSION_OF(P) P(commission_id) P(session_id)
DB_PARAMS_STRUCT(session_of_params, SESSION_OF);
DB_STATEMENT(attendees, {"session_attendees",
                         "SELECT " DB_COLUMNS(ATTENDEE_ROW) " FROM session_attendees "
                         "WHERE commission_id = :commission_id AND session_id = :session_id ORDER BY position",
                         DB_PARAMS(SESSION_OF)});

/* Schedules every submitted or deferred application not yet on this agenda (urgent first, then by waiting time),
 * moving each to 'scheduled' with its event; then adds the placements whose review falls due by the session's
 * date and the incidents still open, or closed with a late rent arrears repayment plan (migrations/0014) — all in
 * one statement. */
#define AGENDA_BUILT_ROW(FIRST, NEXT)                                                                            \
  FIRST(applications, "(SELECT count(*) FROM items)") NEXT(events, "(SELECT count(*) FROM events)")             \
  NEXT(reviews, "(SELECT count(*) FROM reviews)") NEXT(incidents, "(SELECT count(*) FROM incident_items)")
#define AGENDA_BUILD(P) P(commission_id) P(session_id) P(token_id) P(role)
DB_STATEMENT(agenda_build, {
  "agenda_build",
  "WITH moved AS (UPDATE applications a SET status = 'scheduled', version = a.version + 1, updated_at = now() "
  "FROM (SELECT id, status FROM applications c WHERE c.commission_id = :commission_id "
  "AND c.status IN ('submitted', 'deferred') "
  "AND NOT EXISTS (SELECT 1 FROM agenda_items i WHERE i.session_id = :session_id AND i.application_id = c.id) "
  "FOR UPDATE) old "
  "WHERE a.id = old.id RETURNING a.id, a.commission_id, old.status AS from_status, a.urgency, "
  "coalesce(a.submitted_at, a.created_at) AS since), "
  "base AS (SELECT coalesce(max(position), 0) AS p FROM agenda_items WHERE commission_id = :commission_id "
  "AND session_id = :session_id), "
  "items AS (INSERT INTO agenda_items (commission_id, session_id, kind, application_id, position) "
  "SELECT m.commission_id, :session_id, 'application', m.id, base.p + row_number() OVER (ORDER BY CASE m.urgency "
  "WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, m.since, m.id) FROM moved m, base RETURNING 1), "
  "events AS (INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, "
  "session_id, token_id, role) SELECT commission_id, id, from_status, 'scheduled', 'put on the agenda', "
  ":session_id, :token_id, :role FROM moved RETURNING 1), "
  "due AS (SELECT rs.placement_id, rs.next_review_on FROM review_schedule rs JOIN sessions s ON s.id = :session_id "
  "WHERE rs.commission_id = :commission_id AND rs.next_review_on <= s.session_date "
  "AND NOT EXISTS (SELECT 1 FROM agenda_items i "
  "WHERE i.session_id = :session_id AND i.placement_id = rs.placement_id)), "
  "reviews AS (INSERT INTO agenda_items (commission_id, session_id, kind, placement_id, position) "
  "SELECT :commission_id, :session_id, 'review', due.placement_id, base.p + (SELECT count(*) FROM moved) "
  "+ row_number() OVER (ORDER BY due.next_review_on, due.placement_id) FROM due, base RETURNING 1), "
  "open_incidents AS (SELECT x.id, x.created_at FROM incidents x WHERE x.commission_id = :commission_id "
  "AND (x.status <> 'closed' OR EXISTS (SELECT 1 FROM arrears_plan_states ps WHERE ps.commission_id = "
  "x.commission_id AND ps.incident_id = x.id AND ps.state = 'late')) "
  "AND NOT EXISTS (SELECT 1 FROM agenda_items i WHERE i.session_id = :session_id AND i.incident_id = x.id)), "
  "incident_items AS (INSERT INTO agenda_items (commission_id, session_id, kind, incident_id, position) "
  "SELECT :commission_id, :session_id, 'incident', o.id, base.p + (SELECT count(*) FROM moved) "
  "+ (SELECT count(*) FROM due) + row_number() OVER (ORDER BY o.created_at, o.id) FROM open_incidents o, base "
  "RETURNING 1) "
  "SELECT " DB_COLUMNS(AGENDA_BUILT_ROW),
  DB_PARAMS(AGENDA_BUILD)});
DB_PARAMS_STRUCT(agenda_build_params, AGENDA_BUILD);

#define AGENDA_ADDED_ROW(FIRST, NEXT) FIRST(id, "id")
#define AGENDA_ADD(P) P(commission_id) P(session_id) P(application_id) P(note)
DB_STATEMENT(agenda_add, {
  "agenda_add",
  "INSERT INTO agenda_items (commission_id, session_id, kind, application_id, position, note) "
  "SELECT :commission_id, :session_id, 'application', :application_id, coalesce(max(position), 0) + 1, :note "
  "FROM agenda_items WHERE commission_id = :commission_id AND session_id = :session_id "
  "RETURNING " DB_COLUMNS(AGENDA_ADDED_ROW),
  DB_PARAMS(AGENDA_ADD)});
DB_PARAMS_STRUCT(agenda_add_params, AGENDA_ADD);

#define AGENDA_ITEM(P) P(commission_id) P(session_id) P(item_id)
DB_PARAMS_STRUCT(agenda_item_params, AGENDA_ITEM);
DB_STATEMENT(agenda_item, {
  "agenda_item",
  "SELECT " DB_COLUMNS(AGENDA_ITEM_ROW) " FROM agenda_items i LEFT JOIN applications a "
  "ON a.commission_id = i.commission_id AND a.id = i.application_id "
  "WHERE i.commission_id = :commission_id AND i.session_id = :session_id AND i.id = :item_id FOR UPDATE OF i",
  DB_PARAMS(AGENDA_ITEM)});

DB_STATEMENT(agenda_delete, {
  "agenda_delete",
  "DELETE FROM agenda_items WHERE commission_id = :commission_id AND session_id = :session_id AND id = :item_id",
  DB_PARAMS(AGENDA_ITEM)});

/* A cancelled session's agenda goes: its items are deleted, and each application still scheduled there waits
 * again (scheduled → submitted, an event naming the session), as when an item is taken off an agenda. */
#define AGENDA_RELEASE(P) P(commission_id) P(session_id) P(token_id) P(role)
DB_STATEMENT(agenda_release, {
  "agenda_release",
  "WITH gone AS (DELETE FROM agenda_items i WHERE i.commission_id = :commission_id AND i.session_id = :session_id "
  "RETURNING i.application_id), "
  "moved AS (UPDATE applications a SET status = 'submitted', version = a.version + 1, updated_at = now() "
  "FROM gone WHERE a.commission_id = :commission_id AND a.id = gone.application_id AND a.status = 'scheduled' "
  "RETURNING a.id) "
  "INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, session_id, "
  "token_id, role) SELECT :commission_id, m.id, 'scheduled', 'submitted', 'session cancelled', :session_id, "
  ":token_id, :role FROM moved m",
  DB_PARAMS(AGENDA_RELEASE)});
DB_PARAMS_STRUCT(agenda_release_params, AGENDA_RELEASE);

enum db_status db_agenda_release(struct db *db, const char *commission_id, const char *session_id,
                                 const char *token_id, const char *role) {
  struct agenda_release_params p = {.commission_id = commission_id, .session_id = session_id, .token_id = token_id,
                                    .role = role};
  PGresult *res;
  enum db_status s = db_run(db, &agenda_release, &p, &res);
  PQclear(res);
  return s < 0 ? s : DB_ROW;
}

#define AGENDA_UPDATE(P) P(commission_id) P(session_id) P(item_id) P(position) P(set_note) P(note)
DB_STATEMENT(agenda_update, {
  "agenda_update",
  "UPDATE agenda_items SET position = coalesce(:position::integer, position), "
  "note = CASE WHEN :set_note::boolean THEN :note ELSE note END "
  "WHERE commission_id = :commission_id AND session_id = :session_id AND id = :item_id",
  DB_PARAMS(AGENDA_UPDATE)});
DB_PARAMS_STRUCT(agenda_update_params, AGENDA_UPDATE);

/* The agenda, each item with its application (or the placement to review, or the incident), its person (and
 * whether the reader may see them, from the scope parameters), and its standing decision (the latest
 * correction, if any): the kept lines (migrations/0046), one range of agenda_lines_order_idx. INC names the
 * line's incident columns as SQL_INCIDENT_SCOPE reads them (a subquery without FROM, pulled up into the scan). */
#define AGENDA(P)                                                                                                \
  P(commission_id) P(session_id) P(person_scope) P(person_org) P(placement_scope) P(placement_org)               \
  P(incident_scope) P(incident_org)
DB_STATEMENT(agenda, {
  "agenda",
  "SELECT " DB_COLUMNS(AGENDA_ROW) " "
  "FROM agenda_lines l CROSS JOIN LATERAL (SELECT l.incident_kind AS kind, l.reported_by_role) inc "
  "WHERE l.commission_id = :commission_id AND l.session_id = :session_id ORDER BY l.position, l.created_at, "
  "l.item_id",
  DB_PARAMS(AGENDA)});
DB_PARAMS_STRUCT(agenda_params, AGENDA);

/* The id is the daemon's (a random UUID): the statements that follow are sent with the insert. */
#define DECISION_INSERT(P)                                                                                       \
  P(id) P(commission_id) P(session_id) P(agenda_item_id) P(application_id) P(outcome) P(unit_id)                 \
  P(refusal_reason) P(comment) P(corrects) P(token_id)
DB_STATEMENT(decision_insert, {
  "decision_insert",
  "INSERT INTO decisions (id, commission_id, session_id, agenda_item_id, application_id, outcome, unit_id, "
  "refusal_reason, comment, corrects_decision_id, token_id, decided_on) SELECT :id::uuid, :commission_id, "
  ":session_id, :agenda_item_id, :application_id, :outcome, :unit_id, :refusal_reason, :comment, :corrects, "
  ":token_id, s.session_date FROM sessions s WHERE s.commission_id = :commission_id AND s.id = :session_id",
  DB_PARAMS(DECISION_INSERT)});
DB_PARAMS_STRUCT(decision_insert_params, DECISION_INSERT);

#define DECISION_GET(P) P(commission_id) P(session_id) P(decision_id)
DB_STATEMENT(decision_get, {
  "decision_get",
  "SELECT " DB_COLUMNS(DECISION_ROW) " FROM decisions d JOIN applications a "
  "ON a.commission_id = d.commission_id AND a.id = d.application_id "
  "WHERE d.commission_id = :commission_id AND d.session_id = :session_id AND d.id = :decision_id FOR UPDATE OF a",
  DB_PARAMS(DECISION_GET)});
DB_PARAMS_STRUCT(decision_get_params, DECISION_GET);

/* Defers every undecided item of a closing session, recording the decisions and the moves. */
#define DEFERRED_ROW(FIRST, NEXT) FIRST(events, "count(*)")
#define DEFER_UNDECIDED(P) P(commission_id) P(session_id) P(token_id) P(role)
DB_STATEMENT(defer_undecided, {
  "decisions_defer_undecided",
  "WITH open_items AS (SELECT i.id, i.application_id FROM agenda_items i JOIN applications a "
  "ON a.commission_id = i.commission_id AND a.id = i.application_id WHERE i.commission_id = :commission_id "
  "AND i.session_id = :session_id AND a.status = 'scheduled' "
  "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.agenda_item_id = i.id) FOR UPDATE OF a), "
  "decided AS (INSERT INTO decisions (commission_id, session_id, agenda_item_id, application_id, outcome, comment, "
  "token_id, decided_on) SELECT :commission_id, :session_id, o.id, o.application_id, 'defer', "
  "'not examined at this session', :token_id, s.session_date FROM open_items o JOIN sessions s "
  "ON s.commission_id = :commission_id AND s.id = :session_id RETURNING application_id, decided_on), "
  "moved AS (UPDATE applications a SET status = 'deferred', decided_at = now(), decided_on = decided.decided_on, "
  "version = a.version + 1, updated_at = now() FROM decided WHERE a.id = decided.application_id RETURNING a.id), "
  "events AS (INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, "
  "session_id, token_id, role) SELECT :commission_id, id, 'scheduled', 'deferred', 'not examined at this session', "
  ":session_id, :token_id, :role FROM moved RETURNING 1) SELECT " DB_COLUMNS(DEFERRED_ROW) " FROM events",
  DB_PARAMS(DEFER_UNDECIDED)});
DB_PARAMS_STRUCT(defer_undecided_params, DEFER_UNDECIDED);

DB_STATEMENT(undecided, {
  "session_undecided",
  "SELECT " DB_COLUMNS(UNDECIDED_ROW) " FROM agenda_items i JOIN applications a "
  "ON a.commission_id = i.commission_id AND a.id = i.application_id WHERE i.commission_id = :commission_id "
  "AND i.session_id = :session_id AND a.status = 'scheduled' "
  "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.agenda_item_id = i.id) ORDER BY i.position, i.created_at, i.id",
  DB_PARAMS(SESSION_OF)});

#define COMMISSION_GET(P) P(commission_id)
DB_STATEMENT(commission_get, {"session_commission",
                              "SELECT " DB_COLUMNS(COMMISSION_ROW) " FROM commissions c WHERE c.id = :commission_id",
                              DB_PARAMS(COMMISSION_GET)});
DB_PARAMS_STRUCT(commission_get_params, COMMISSION_GET);

#define MINUTES_SEAL(P) P(commission_id) P(session_id) P(model) P(document) P(hash)
DB_STATEMENT(minutes_seal, {"session_minutes_seal",
                            "INSERT INTO session_minutes (commission_id, session_id, model, document, hash) "
                            "VALUES (:commission_id, :session_id, :model, :document, :hash)",
                            DB_PARAMS(MINUTES_SEAL)});
DB_PARAMS_STRUCT(minutes_seal_params, MINUTES_SEAL);
DB_STATEMENT(minutes_sealed, {"session_minutes_sealed",
                              "SELECT " DB_COLUMNS(SEALED_MINUTES_ROW) " FROM session_minutes m "
                              "WHERE m.commission_id = :commission_id AND m.session_id = :session_id",
                              DB_PARAMS(SESSION_OF)});

#define UNIT_STATUS(P) P(commission_id) P(id)
DB_STATEMENT(unit_status, {
  "decision_unit_status",
  "SELECT " DB_COLUMNS(UNIT_STATUS_ROW) " FROM units WHERE commission_id = :commission_id AND id = :id",
  DB_PARAMS(UNIT_STATUS)});
DB_PARAMS_STRUCT(unit_status_params, UNIT_STATUS);

/* S, once RES (a result nothing is read from) is cleared. */
static enum db_status cleared(enum db_status s, PGresult **res) {
  PQclear(*res);
  return s;
}

enum db_status db_session_insert(struct db *db, const char *commission_id, const struct session_fields *f,
                                 PGresult **res) {
  struct session_insert_params p = {.commission_id = commission_id, .session_date = f->session_date,
                                    .town = f->town, .place = f->place, .chair_name = f->chair_name,
                                    .chair_title = f->chair_title};
  return db_run(db, &insert, &p, res);
}

enum db_status db_session_get(struct db *db, const char *commission_id, const char *id, enum db_lock lock,
                              PGresult **res) {
  struct session_get_params p = {.commission_id = commission_id, .id = id};
  const struct db_statement *st = lock == LOCK_UPDATE ? &get_for_update : lock == LOCK_SHARE ? &get_for_share : &get;
  return db_run(db, st, &p, res);
}

enum db_status db_session_list(struct db *db, const char *commission_id, const char *status, const char *after_date,
                               const char *after_id, const char *limit, PGresult **res) {
  struct session_list_params p = {.commission_id = commission_id, .status = status, .after_date = after_date,
                                  .after_id = after_id, .limit = limit};
  return db_run(db, &list, &p, res);
}

enum db_status db_session_update(struct db *db, const char *commission_id, const char *id,
                                 const struct session_fields *f, PGresult **res) {
  struct session_update_params p = {.commission_id = commission_id, .id = id, .session_date = f->session_date,
                                    .town = f->town, .place = f->place, .chair_name = f->chair_name,
                                    .chair_title = f->chair_title};
  return db_run(db, &update, &p, res);
}

enum db_status db_session_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                     PGresult **res) {
  struct session_set_status_params p = {.commission_id = commission_id, .id = id, .status = status};
  return db_run(db, &set_status, &p, res);
}

enum db_status db_session_attendees_replace(struct db *db, const char *commission_id, const char *id,
                                            const char *attendees_json) {
  struct attendees_replace_params p = {.commission_id = commission_id, .session_id = id,
                                       .attendees = attendees_json};
  PGresult *res;
  enum db_status s = cleared(db_run(db, &attendees_replace, &p, &res), &res);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_session_attendees(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  struct session_of_params p = {.commission_id = commission_id, .session_id = id};
  return db_run(db, &attendees, &p, res);
}

enum db_status db_agenda_build(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                               const char *role) {
  enum db_status s = db_applications_lapse(db, commission_id);
  if (s < 0)
    return s;
  struct agenda_build_params p = {.commission_id = commission_id, .session_id = session_id, .token_id = token_id,
                                  .role = role};
  PGresult *res;
  return cleared(db_run(db, &agenda_build, &p, &res), &res);
}

enum db_status db_agenda_add(struct db *db, const char *commission_id, const char *session_id,
                             const char *application_id, const char *note) {
  struct agenda_add_params p = {.commission_id = commission_id, .session_id = session_id,
                                .application_id = application_id, .note = note};
  PGresult *res;
  return cleared(db_run(db, &agenda_add, &p, &res), &res);
}

enum db_status db_agenda_item(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                              PGresult **res) {
  struct agenda_item_params p = {.commission_id = commission_id, .session_id = session_id, .item_id = item_id};
  return db_run(db, &agenda_item, &p, res);
}

enum db_status db_agenda_delete(struct db *db, const char *commission_id, const char *session_id,
                                const char *item_id) {
  struct agenda_item_params p = {.commission_id = commission_id, .session_id = session_id, .item_id = item_id};
  PGresult *res;
  return cleared(db_run(db, &agenda_delete, &p, &res), &res);
}

enum db_status db_agenda_update(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                                const char *position, bool set_note, const char *note) {
  struct agenda_update_params p = {.commission_id = commission_id, .session_id = session_id, .item_id = item_id,
                                   .position = position, .set_note = set_note ? "t" : "f", .note = note};
  PGresult *res;
  return cleared(db_run(db, &agenda_update, &p, &res), &res);
}

enum db_status db_agenda(struct db *db, const char *commission_id, const char *session_id,
                         const struct access *person_scope, const struct access *placement_scope,
                         const struct access *incident_scope, PGresult **res) {
  struct agenda_params p = {.commission_id = commission_id,
                            .session_id = session_id,
                            .person_scope = access_scope_param(person_scope),
                            .person_org = access_org_param(person_scope),
                            .placement_scope = access_scope_param(placement_scope),
                            .placement_org = access_org_param(placement_scope),
                            .incident_scope = access_scope_param(incident_scope),
                            .incident_org = access_org_param(incident_scope)};
  return db_run(db, &agenda, &p, res);
}

enum db_status db_decision_insert_ahead(struct db *db, const char *commission_id, const char *id,
                                        const struct decision_fields *f, enum db_status *inserted) {
  struct decision_insert_params p = {.id = id, .commission_id = commission_id, .session_id = f->session_id,
                                     .agenda_item_id = f->agenda_item_id, .application_id = f->application_id,
                                     .outcome = f->outcome, .unit_id = f->unit_id,
                                     .refusal_reason = f->refusal_reason, .comment = f->comment,
                                     .corrects = f->corrects, .token_id = f->token_id};
  return db_run_ahead(db, &decision_insert, &p, inserted);
}

enum db_status db_decision_get(struct db *db, const char *commission_id, const char *session_id,
                               const char *decision_id, PGresult **res) {
  struct decision_get_params p = {.commission_id = commission_id, .session_id = session_id,
                                  .decision_id = decision_id};
  return db_run(db, &decision_get, &p, res);
}

enum db_status db_decisions_defer_undecided(struct db *db, const char *commission_id, const char *session_id,
                                            const char *token_id, const char *role) {
  struct defer_undecided_params p = {.commission_id = commission_id, .session_id = session_id,
                                     .token_id = token_id, .role = role};
  PGresult *res;
  return cleared(db_run(db, &defer_undecided, &p, &res), &res);
}

enum db_status db_session_undecided(struct db *db, const char *commission_id, const char *session_id,
                                    PGresult **res) {
  struct session_of_params p = {.commission_id = commission_id, .session_id = session_id};
  return db_run(db, &undecided, &p, res);
}

enum db_status db_unit_status(struct db *db, const char *commission_id, const char *unit_id, PGresult **res) {
  struct unit_status_params p = {.commission_id = commission_id, .id = unit_id};
  return db_run(db, &unit_status, &p, res);
}

enum db_status db_session_commission(struct db *db, const char *commission_id, PGresult **res) {
  struct commission_get_params p = {.commission_id = commission_id};
  return db_run(db, &commission_get, &p, res);
}

enum db_status db_minutes_seal(struct db *db, const char *commission_id, const char *session_id, const char *model,
                               const char *document, const char *hash) {
  struct minutes_seal_params p = {.commission_id = commission_id, .session_id = session_id, .model = model,
                                  .document = document, .hash = hash};
  PGresult *res;
  return cleared(db_run(db, &minutes_seal, &p, &res), &res);
}

enum db_status db_minutes_sealed(struct db *db, const char *commission_id, const char *session_id, PGresult **res) {
  struct session_of_params p = {.commission_id = commission_id, .session_id = session_id};
  return db_run(db, &minutes_sealed, &p, res);
}
