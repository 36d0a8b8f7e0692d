/* The documents that leave a session for its readers: decision letters (what each applicant is told), the agenda
 * pack and the calendar feed of sessions. Their row shapes and queries (src/db/letters.c), and their pure
 * renderers (src/api/decision_letter_html.c, src/api/agenda_html.c, src/api/calendar_ics.c). */
#ifndef COMMISSIOND_LETTERS_H
#define COMMISSIOND_LETTERS_H

#include <stddef.h>

#include <jansson.h>

#include "access.h"
#include "queries.h"

/* What a decision letter says about application A: its person (p), their care team and curator service, the
 * decision the session voted (v: the application's latest session decision that corrects none, at session s), the
 * decision that stands on that item (st: v itself, or its latest correction) with its unit (u) and that unit's
 * landlord, and the next planned session after s (nx). Every decision column is NULL when the application has no
 * session decision yet. */
#define LETTER_ROW(FIRST, NEXT)                                                                                  \
  FIRST(application_id, "a.id") NEXT(application_status, "a.status") NEXT(family_name, "p.family_name")         \
  NEXT(given_names, "p.given_names") NEXT(person_address, "p.address") NEXT(commission_name, "c.name")          \
  NEXT(lapse_days, "c.lapse_days") NEXT(team_name, "team.name") NEXT(team_address, "team.address")              \
  NEXT(team_town, "team.town") NEXT(team_phone, "team.phone") NEXT(team_email, "team.email")                    \
  NEXT(curator_name, "cur.name") NEXT(curator_phone, "cur.phone") NEXT(curator_email, "cur.email")              \
  NEXT(session_id, "s.id") NEXT(session_date, "s.session_date") NEXT(session_town, "s.town")                    \
  NEXT(session_place, "s.place") NEXT(chair_name, "s.chair_name") NEXT(chair_title, "s.chair_title")            \
  NEXT(voted_id, "v.id") NEXT(voted_outcome, "v.outcome") NEXT(voted_reason, "v.refusal_reason")                \
  NEXT(voted_unit_label, "vu.label") NEXT(voted_unit_town, "vu.town") NEXT(standing_id, "st.id")                \
  NEXT(outcome, "st.outcome") NEXT(refusal_reason, "st.refusal_reason") NEXT(comment, "st.comment")             \
  NEXT(corrected_at, "CASE WHEN st.id <> v.id THEN " SQL_TS("st.decided_at") " END")                            \
  NEXT(unit_kind, "u.kind") NEXT(unit_label, "u.label") NEXT(unit_address, "u.address")                         \
  NEXT(unit_town, "u.town") NEXT(rent_cents, "u.rent_cents") NEXT(charges_cents, "u.charges_cents")             \
  NEXT(deposit_cents, "u.deposit_cents") NEXT(landlord_name, "ll.name")                                         \
  NEXT(valid_until, "s.session_date + c.lapse_days") NEXT(next_date, "nx.session_date")                         \
  NEXT(next_town, "nx.town") NEXT(next_place, "nx.place")
DB_ROW_STRUCT(letter_row, LETTER_ROW);
/* LETTER_ROW of application ID when SCOPE (the reader's access to applications) sees its person; no row
 * otherwise. */
enum db_status db_decision_letter(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, PGresult **res);

/* The decision letter of ROW (a decided application): a standalone French HTML page, malloc'ed, *LEN its length;
 * NULL when out of memory. */
char *decision_letter_html(const struct letter_row *row, size_t *len);

/* The agenda pack of AGENDA (the agenda document as its reader receives it, agenda_document()) of the commission
 * named COMMISSION: a French HTML page with a cover page, A4 print style. Malloc'ed, *LEN its length; NULL when
 * out of memory. */
char *agenda_pack_html(const char *commission, json_t *agenda, size_t *len);

/* One session of the calendar feed, in date order. */
#define CALENDAR_ROW(FIRST, NEXT)                                                                                \
  FIRST(id, "s.id") NEXT(start_day, "to_char(s.session_date, 'YYYYMMDD')")                                    \
  NEXT(end_day, "to_char(s.session_date + 1, 'YYYYMMDD')") NEXT(town, "s.town") NEXT(place, "s.place")          \
  NEXT(chair_name, "s.chair_name") NEXT(chair_title, "s.chair_title") NEXT(status, "s.status")                  \
  NEXT(sequence, "s.version - 1")                                                                               \
  NEXT(stamp, "to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')")
DB_ROW_STRUCT(calendar_row, CALENDAR_ROW);
/* CALENDAR_ROW of every session of the commission, by date. */
enum db_status db_calendar_sessions(struct db *db, const char *commission_id, PGresult **res);

/* The iCalendar text (RFC 5545) of SESSIONS (CALENDAR_ROW rows) for the commission named NAME: CRLF line ends,
 * lines folded at 75 octets on UTF-8 boundaries, TEXT values escaped. Malloc'ed, *LEN its length; NULL when out
 * of memory. */
char *calendar_ics(const char *name, const PGresult *sessions, size_t *len);

/* The TEXT value S escaped as RFC 5545 3.3.11 says (backslash, comma, semicolon, newline) into OUT (N bytes);
 * false when it does not fit. */
bool ics_text_escape(const char *s, char *out, size_t n);
/* Appends the content line LINE (without its CRLF) to OUT (*LEN bytes used of *CAP), folded so that no line
 * exceeds 75 octets and no UTF-8 sequence is split, then CRLF; false when out of memory. */
bool ics_line(char **out, size_t *len, size_t *cap, const char *line);

#endif
