/* Sessions, their agenda and decisions: the row shapes and queries of src/db/sessions.c, and what the session
 * handlers (src/api/sessions.c, agenda.c, decisions.c, minutes.c) share. No HTTP here: src/db includes it. */
#ifndef COMMISSIOND_SESSIONS_H
#define COMMISSIOND_SESSIONS_H

#include <stdbool.h>

#include <jansson.h>

#include "access.h"
#include "queries.h"
#include "session_rules.h"

struct request;
struct write_out;

/* A row of the API's Session (the table is aliased s). */
#define SESSION_ROW(FIRST, NEXT)                                                                                 \
  FIRST(id, "s.id") NEXT(session_date, "s.session_date") NEXT(town, "s.town") NEXT(place, "s.place")            \
  NEXT(chair_name, "s.chair_name") NEXT(chair_title, "s.chair_title") NEXT(status, "s.status")                  \
  NEXT(opened_at, SQL_TS("s.opened_at")) NEXT(closed_at, SQL_TS("s.closed_at")) NEXT(version, "s.version")      \
  NEXT(created_at, SQL_TS("s.created_at")) NEXT(updated_at, SQL_TS("s.updated_at"))
DB_ROW_STRUCT(session_row, SESSION_ROW);
/* What a client writes (NULL: SQL NULL). */
struct session_fields {
  const char *session_date, *town, *place, *chair_name, *chair_title;
};

/* One attendee, in the order recorded. */
#define ATTENDEE_ROW(FIRST, NEXT)                                                                                \
  FIRST(attendee_group, "attendee_group") NEXT(name, "name") NEXT(organisation, "organisation")
DB_ROW_STRUCT(attendee_row, ATTENDEE_ROW);

/* One line of the agenda: the item, its application (or the placement to review, or the incident), its person,
 * its standing decision, and what the reader may see of it (PERSON_VISIBLE, PLACEMENT_VISIBLE, INCIDENT_VISIBLE:
 * "t"/"f", from the scopes of the reader's access to RES_PERSON, RES_PLACEMENT, RES_INCIDENT). */
#define AGENDA_ROW(FIRST, NEXT)                                                                                  \
  FIRST(item_id, "l.item_id") NEXT(position, "l.position") NEXT(kind, "l.kind") NEXT(note, "l.note")             \
  NEXT(application_id, "l.application_id") NEXT(application_status, "l.application_status")                      \
  NEXT(urgency, "l.urgency") NEXT(wished_unit_kinds, "l.wished_unit_kinds") NEXT(wished_towns, "l.wished_towns")  \
  NEXT(submitted_at, SQL_TS_RAW("l.submitted_at"))                                                              \
  NEXT(waiting_days, "CASE WHEN l.submitted_at IS NULL THEN NULL "                                              \
                     "ELSE current_date - (l.submitted_at AT TIME ZONE 'UTC')::date END")                       \
  NEXT(person_id, "l.person_id") NEXT(family_name, "l.family_name") NEXT(given_names, "l.given_names")           \
  NEXT(birth_date, "l.birth_date")                                                                              \
  NEXT(person_visible, SQL_PERSON_SCOPE("l", ":person_scope", ":person_org"))                                   \
  NEXT(situation, "l.situation") NEXT(decision_id, "l.decision_id") NEXT(outcome, "l.outcome")                  \
  NEXT(unit_id, "l.unit_id") NEXT(refusal_reason, "l.refusal_reason") NEXT(comment, "l.comment")                \
  NEXT(decided_on, "l.decided_on") NEXT(recorded_at, SQL_TS_RAW("l.decided_at"))                                \
  NEXT(corrects_decision_id, "l.corrects_decision_id") NEXT(unit_label, "l.unit_label")                         \
  NEXT(unit_town, "l.unit_town") NEXT(placement_id, "l.placement_id")                                           \
  NEXT(placement_unit_label, "l.placement_unit_label") NEXT(placement_unit_town, "l.placement_unit_town")       \
  NEXT(move_in_date, "l.move_in_date")                                                                          \
  NEXT(next_review_on, "CASE WHEN l.kind <> 'review' THEN NULL WHEN l.placement_exit_date IS NULL OR "         \
                       "l.placement_exit_date > current_date THEN l.placement_next_review_on "                  \
                       "ELSE l.review_fallback_on END")                                                         \
  NEXT(incident_id, "l.incident_id") NEXT(incident_kind, "l.incident_kind")                                     \
  NEXT(incident_status, "l.incident_status") NEXT(occurred_on, "l.occurred_on")                                 \
  NEXT(arrears_plan_state, "CASE WHEN l.incident_id IS NOT NULL THEN (SELECT ps.state FROM arrears_plan_states " \
                           "ps WHERE ps.commission_id = l.commission_id AND ps.incident_id = l.incident_id) END") \
  NEXT(placement_visible,                                                                                       \
       "l.placement_id IS NOT NULL AND " SQL_PLACEMENT_SCOPE("l", "l", ":placement_scope", ":placement_org"))   \
  NEXT(incident_visible,                                                                                        \
       "l.incident_id IS NOT NULL AND " SQL_INCIDENT_SCOPE("inc", "l", "l", ":incident_scope", ":incident_org"))
DB_ROW_STRUCT(agenda_row, AGENDA_ROW);

/* An agenda item, locked: its application, that application's status, and how many decisions it has. */
#define AGENDA_ITEM_ROW(FIRST, NEXT)                                                                             \
  FIRST(id, "i.id") NEXT(application_id, "i.application_id") NEXT(application_status, "a.status")               \
  NEXT(decisions, "(SELECT count(*) FROM decisions d WHERE d.agenda_item_id = i.id)")
DB_ROW_STRUCT(agenda_item_row, AGENDA_ITEM_ROW);

/* A decision, with its application (locked) and whether it still stands (STANDING "t": not yet corrected). */
#define DECISION_ROW(FIRST, NEXT)                                                                                \
  FIRST(id, "d.id") NEXT(agenda_item_id, "d.agenda_item_id") NEXT(application_id, "d.application_id")           \
  NEXT(outcome, "d.outcome") NEXT(application_status, "a.status")                                               \
  NEXT(standing, "NOT EXISTS (SELECT 1 FROM decisions c WHERE c.corrects_decision_id = d.id)")
DB_ROW_STRUCT(decision_row, DECISION_ROW);

/* A decision to record (NULL: SQL NULL; CORRECTS: the decision it corrects, or NULL). */
struct decision_fields {
  const char *session_id, *agenda_item_id, *application_id, *outcome, *unit_id, *refusal_reason, *comment,
      *corrects, *token_id;
};

/* The commission a document names. */
#define COMMISSION_ROW(FIRST, NEXT) FIRST(id, "c.id") NEXT(name, "c.name")
DB_ROW_STRUCT(commission_row, COMMISSION_ROW);

/* The sealed minutes of a closed session. */
#define SEALED_MINUTES_ROW(FIRST, NEXT)                                                                          \
  FIRST(model, "m.model") NEXT(document, "m.document") NEXT(hash, "m.hash") NEXT(sealed_at, SQL_TS("m.sealed_at"))
DB_ROW_STRUCT(sealed_minutes_row, SEALED_MINUTES_ROW);
/* Stores the sealed minutes of a session (once: a second time is SQLSTATE 23505). */
enum db_status db_minutes_seal(struct db *db, const char *commission_id, const char *session_id, const char *model,
                               const char *document, const char *hash);
/* SEALED_MINUTES_ROW, or no row for a session not sealed. */
enum db_status db_minutes_sealed(struct db *db, const char *commission_id, const char *session_id, PGresult **res);

enum db_lock { LOCK_NONE, LOCK_SHARE, LOCK_UPDATE };
/* COMMISSION_ROW of the commission. */
enum db_status db_session_commission(struct db *db, const char *commission_id, PGresult **res);
enum db_status db_session_insert(struct db *db, const char *commission_id, const struct session_fields *f,
                                 PGresult **res);
/* SESSION_ROW; LOCK_SHARE lets decisions run side by side, never while the session closes. */
enum db_status db_session_get(struct db *db, const char *commission_id, const char *id, enum db_lock lock,
                              PGresult **res);
/* STATUS and the AFTER_* keyset position may be NULL. */
enum db_status db_session_list(struct db *db, const char *commission_id, const char *status, const char *after_date,
                               const char *after_id, const char *limit, PGresult **res);
enum db_status db_session_update(struct db *db, const char *commission_id, const char *id,
                                 const struct session_fields *f, PGresult **res);
enum db_status db_session_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                     PGresult **res);
/* ATTENDEES_JSON: [{attendee_group, name, organisation}] in order. */
enum db_status db_session_attendees_replace(struct db *db, const char *commission_id, const char *id,
                                            const char *attendees_json);
/* ATTENDEE_ROW rows. */
enum db_status db_session_attendees(struct db *db, const char *commission_id, const char *id, PGresult **res);
/* Lapses overdue approvals, then schedules every submitted or deferred application on the session's agenda. */
enum db_status db_agenda_build(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                               const char *role);
enum db_status db_agenda_add(struct db *db, const char *commission_id, const char *session_id,
                             const char *application_id, const char *note);
/* Locks the item: AGENDA_ITEM_ROW. */
enum db_status db_agenda_item(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                              PGresult **res);
enum db_status db_agenda_delete(struct db *db, const char *commission_id, const char *session_id,
                                const char *item_id);
/* Deletes the agenda of a session being cancelled; its scheduled applications wait again (submitted). */
enum db_status db_agenda_release(struct db *db, const char *commission_id, const char *session_id,
                                 const char *token_id, const char *role);
/* POSITION NULL keeps it; the note is written only with SET_NOTE. */
enum db_status db_agenda_update(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                                const char *position, bool set_note, const char *note);
/* AGENDA_ROW rows, in order. The scopes decide the visible columns. */
enum db_status db_agenda(struct db *db, const char *commission_id, const char *session_id,
                         const struct access *person_scope, const struct access *placement_scope,
                         const struct access *incident_scope, PGresult **res);
/* Records decision ID (a new random UUID), sent ahead of the next statement (db_exec_ahead()): *INSERTED is
 * DB_ROW once recorded; a second decision on one item fails it with SQLSTATE 23505. */
enum db_status db_decision_insert_ahead(struct db *db, const char *commission_id, const char *id,
                                        const struct decision_fields *f, enum db_status *inserted);
/* Locks the application: DECISION_ROW. */
enum db_status db_decision_get(struct db *db, const char *commission_id, const char *session_id,
                               const char *decision_id, PGresult **res);
enum db_status db_decisions_defer_undecided(struct db *db, const char *commission_id, const char *session_id,
                                            const char *token_id, const char *role);
/* UNDECIDED_ROW rows: the items whose application is still scheduled and has no decision, in agenda order. */
#define UNDECIDED_ROW(FIRST, NEXT) FIRST(item_id, "i.id") NEXT(position, "i.position")
DB_ROW_STRUCT(undecided_row, UNDECIDED_ROW);
enum db_status db_session_undecided(struct db *db, const char *commission_id, const char *session_id,
                                    PGresult **res);

/* What the handlers share (src/api/sessions.c). */
/* A session row as the API's Session; NULL when it cannot be built. */
json_t *session_json(const struct session_row *r);
/* Row I of RES (SESSION_ROW) into OUT: its JSON and its version. */
bool session_out(const PGresult *res, int i, struct write_out *out);
/* The attendees of RES (ATTENDEE_ROW rows) as the API's list; NULL when it cannot be built. */
json_t *attendees_json(const PGresult *res);
/* In a write's transaction: reads the session ID with LOCK into *ROW (the caller clears it) when it allows WORK;
 * otherwise refuses in OUT: 404 when there is none, 409 invalid-state saying REFUSED with its current_status. */
enum db_status session_lock(struct db *db, struct request *rq, const char *id, enum db_lock lock,
                            enum session_work work, const char *refused, struct write_out *out, PGresult **row);
/* src/api/agenda.c: once a write on the session read in ROW (session_lock()) ended with S, the agenda into OUT
 * (when S is not an error or a refusal); clears ROW. */
enum db_status agenda_written(struct db *db, struct request *rq, enum db_status s, PGresult *row,
                              struct write_out *out);
/* src/api/agenda.c: in a write's transaction, locks the agenda item ITEM_ID of the session of RQ's path and reads
 * its application's id and status (APP_ID, APP_STATUS: "" for an item without application); refuses in OUT an
 * item that does not exist (404) or is already decided (409 conflict). */
enum db_status agenda_item_lock_undecided(struct db *db, struct request *rq, const char *item_id,
                                          struct write_out *out, char app_id[UUID_STR_LEN], char app_status[16]);
/* True for a "t" column (NULL is false). */
static inline bool session_yes(const char *text) { return text != NULL && text[0] == 't'; }

/* src/api/agenda.c: the agenda document of the session whose row is SESSION, as RQ's principal may see it, read
 * on DB (inside a write's transaction, or not); *BODY NULL when it could not be built. */
enum db_status agenda_document(struct db *db, struct request *rq, const struct session_row *session, json_t **body);

#endif
