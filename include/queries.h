/* The queries each resource runs, one function per statement (src/db/<resource>.c). Every query that touches
 * a commission's data takes the commission id; results are returned as PGresult (caller PQclear()s). */
#ifndef COMMISSIOND_QUERIES_H
#define COMMISSIOND_QUERIES_H

#include "access.h"
#include "db.h"
#include "person.h"

/* RFC 3339 UTC text of a timestamptz column, as the API writes timestamps. */
#define SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* A timestamptz column as PostgreSQL writes it in the daemon's sessions (ISO, UTC: src/db/conn.c), for a row the
 * daemon writes with jw_key_timestamp(), which gives SQL_TS's text: applications, placements, incidents, units,
 * agenda lines, where to_char() at every row was a fifth of the backend's samples during pages of the waiting
 * list. */
#define SQL_TS_RAW(col) col

/* The cursor of a list's first page: a key below every row's, so that a list's statement always starts its walk
 * at a cursor (an index condition even in a generic plan) instead of testing "no cursor OR after it" on each row. */
#define DB_FIRST_DATE "-infinity"
#define DB_FIRST_TIMESTAMP "-infinity"
#define DB_FIRST_ID "00000000-0000-0000-0000-000000000000"
#define DB_FIRST_TEXT "" /* below any text of length 1 or more, in every collation */

/* A list's page: ROWS is the statement of the rows after the cursor in the list's order (ORDER BY its key: the
 * columns of an index after its leading equalities); the page is its first LIMIT rows, one descent of that index
 * and a scan the LIMIT stops, so that a page costs O(limit + log n). A list's statement runs its generic plan
 * without bitmap scans and without sorts (struct db_statement.generic_plan): a generic plan guesses a tenth of the
 * rows for a LIMIT given as a parameter, and the row-level security predicate and the cursor's comparison shrink
 * its estimates further, so that, left free, it planned a bitmap scan and a sort of the whole commission's
 * matching rows; without them the ordered index scan is the plan. One person's, unit's or placement's rows (a
 * few) are listed under the session's defaults, which may sort them. */
#define SQL_KEYSET_PAGE(ROWS) "(" ROWS " LIMIT :limit::integer)"
/* A page and a few rows merged: the first LIMIT rows, in the order KEY (of m.*), of ROWS' page and of FEW (a
 * statement of a few rows after the cursor, in no order, read through an index of their own condition: the
 * placements whose exit date is ahead, which no index keeps in the list's order; sorting these few and the page
 * is the statement's one sort). */
#define SQL_KEYSET_PAGE_AND(ROWS, FEW, KEY)                                                                   \
  "(SELECT * FROM (" SQL_KEYSET_PAGE(ROWS) " UNION ALL (" FEW " OFFSET 0)) m ORDER BY " KEY                   \
  " LIMIT :limit::integer)"
/* A condition the planner estimates as keeping (nearly) every row: for a list's filters on parameters
 * ("status = ANY ($n)", a scope), whose generic estimates are so small that a plan would rather sort every
 * matching row than read the ordered index; the condition itself is unchanged (true exactly when COND is). */
#define SQL_UNESTIMATED(cond) "(((" cond ") OR NULL) IS NOT NULL)"

/* A list's join to the row TABLE (as ALIAS) of id COLUMN of its page's row: a look-up by key per page row (a
 * lateral subquery is a nested loop), so that a list never hashes a whole table to join its page. */
#define SQL_PAGE_JOIN(table, alias, page, column)                                                             \
  " JOIN LATERAL (SELECT * FROM " table " x WHERE x.commission_id = " page ".commission_id AND x.id = " page "."  \
  column " OFFSET 0) " alias " ON true "

/* The scope predicate on a person row ALIAS, given the $-parameters SCOPE (access_scope_param()) and ORG
 * (access_org_param()): the one place that says which people a scoped token sees. */
#define SQL_PERSON_SCOPE(alias, scope, org)                                                                    \
  "(" scope " = 'all' OR (" scope " = 'care_team' AND " alias ".care_team_id = " org "::uuid) OR (" scope  \
  " = 'curator' AND " alias ".curator_org_id = " org "::uuid))"
/* The scope predicate on a placement: through its person (care team, curator) or its unit (landlord). */
#define SQL_PLACEMENT_SCOPE(person, unit, scope, org)                                                          \
  "(" SQL_PERSON_SCOPE(person, scope, org) " OR (" scope " = 'landlord' AND " unit ".landlord_org_id = " org  \
  "::uuid))"
/* Incidents as a scoped token sees them: a curator not the hospitalisations, a landlord those landlords
 * reported. */
#define SQL_INCIDENT_SCOPE(incident, person, unit, scope, org)                                                 \
  "(" SQL_PLACEMENT_SCOPE(person, unit, scope, org) " AND (" scope " <> 'curator' OR " incident ".kind <> "    \
  "'hospitalisation') AND (" scope " <> 'landlord' OR " incident ".reported_by_role = 'landlord'))"
/* The same for a unit (or an agreement: its org_id column) and a landlord's token. */
#define SQL_LANDLORD_SCOPE(column, scope, org) "(" scope " = 'all' OR (" scope " = 'landlord' AND " column " = " org "::uuid))"

/* The person an object belongs to (migrations/0006: audit_person), so that "who saw or changed this person's file"
 * finds every entry; looked up only within the entry's commission, so another commission's object never names its
 * person in this commission's trail. */
#define AUDIT_PERSON(commission, type, id) "audit_person(" commission "::uuid, " type ", " id "::uuid)"
/* The same mapping as one expression over columns, for the audit thread's batch (src/db/audit_chain.c): a CASE of
 * index look-ups costs ~3 µs an entry where a call of the PL/pgSQL audit_person() costs ~10 (a SQL function with
 * subqueries is never inlined). audit_person() keeps it for the write's own entry (0005: there the CASE made the
 * planner plan every write anew). tests/db checks that both give the same person for every object type. */
#define SQL_AUDIT_PERSON_CASE(c, t, o)                                                                            \
  "CASE " t " WHEN 'people' THEN (SELECT p.id FROM people p WHERE p.commission_id = " c " AND p.id = " o ") "      \
  "WHEN 'applications' THEN (SELECT a.person_id FROM applications a WHERE a.commission_id = " c " AND a.id = " o  \
  ") WHEN 'placements' THEN (SELECT pl.person_id FROM placements pl WHERE pl.commission_id = " c " AND pl.id = "    \
  o ") WHEN 'reviews' THEN (SELECT pl.person_id FROM reviews r JOIN placements pl ON pl.id = r.placement_id "       \
  "WHERE r.id = " o " AND r.commission_id = " c " AND pl.commission_id = " c ") "                                   \
  "WHEN 'incidents' THEN (SELECT pl.person_id FROM incidents i JOIN placements pl ON pl.id = i.placement_id "       \
  "WHERE i.id = " o " AND i.commission_id = " c " AND pl.commission_id = " c ") "                                   \
  "WHEN 'care_notes' THEN (SELECT n.person_id FROM care_notes n WHERE n.id = " o " AND n.commission_id = " c ") "   \
  "WHEN 'decisions' THEN (SELECT a.person_id FROM decisions d JOIN applications a ON a.id = d.application_id "     \
  "WHERE d.id = " o " AND d.commission_id = " c " AND a.commission_id = " c ") "                                    \
  "WHEN 'deposit_entries' THEN (SELECT pl.person_id FROM deposit_entries e JOIN placements pl "                    \
  "ON pl.id = e.placement_id WHERE e.id = " o " AND e.commission_id = " c " AND pl.commission_id = " c ") END"

/* The entries of the audit trail (alias A) about object or person ID: those naming it as their person, and those
 * naming it as their object and someone else (or no one) as their person. The same entries as "object or person
 * is ID", written so that the object index, which leaves out the entries whose object is their person (migrations/
 * 0052), serves the second half. */
#define SQL_AUDIT_ABOUT(a, id)                                                                                    \
  "(" a ".person_id = " id " OR (" a ".object_id = " id " AND " a ".person_id IS DISTINCT FROM " a ".object_id))"

/* schema.c: highest applied migration; 0 when none (or no versions table). */
enum db_status db_schema_version(struct db *db, int *version);

/* me.c: who a token is (GET /v1/me): the token, its commission, and its organisation (NULL for unscoped roles). */
#define ME_ROW(FIRST, NEXT)                                                                                    \
  FIRST(token_id, "t.id") NEXT(label, "t.label") NEXT(role, "t.role") NEXT(created_at, SQL_TS("t.created_at")) \
  NEXT(expires_at, SQL_TS("t.expires_at")) NEXT(commission_id, "c.id") NEXT(commission_name, "c.name")        \
  NEXT(scope_id, "o.id") NEXT(scope_kind, "o.kind") NEXT(scope_name, "o.name")
DB_ROW_STRUCT(me_row, ME_ROW);
enum db_status db_token_describe(struct db *db, const char *token_id, PGresult **res);

/* tokens.c. A row of the API's Token (without its secret); CURSOR_AT is created_at with microseconds. */
#define TOKEN_ROW(FIRST, NEXT)                                                                                 \
  FIRST(id, "t.id") NEXT(label, "t.label") NEXT(role, "t.role") NEXT(scope_org_id, "t.scope_org_id")          \
  NEXT(created_at, SQL_TS("t.created_at")) NEXT(expires_at, SQL_TS("t.expires_at"))                           \
  NEXT(last_used_at, SQL_TS("t.last_used_at")) NEXT(revoked_at, SQL_TS("t.revoked_at"))                       \
  NEXT(status, "CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= now() THEN 'expired' "  \
               "ELSE 'active' END")                                                                            \
  NEXT(cursor_at, "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
DB_ROW_STRUCT(token_row, TOKEN_ROW);
/* A token to issue: SCOPE_ORG_ID of kind SCOPE_KIND (both NULL for unscoped roles), the selector and hash of its
 * secret, EXPIRES_ON (YYYY-MM-DD, valid through that day; NULL: the commission's token lifetime). */
struct token_fields {
  const char *commission_id, *role, *scope_org_id, *scope_kind, *label, *selector, *hash_hex, *expires_on;
};
/* The principal of a valid token (neither revoked nor expired) by its selector, with the hash to compare in
 * constant time. */
#define TOKEN_LOOKUP_ROW(FIRST, NEXT)                                                                          \
  FIRST(id, "t.id") NEXT(commission_id, "t.commission_id") NEXT(role, "t.role")                               \
  NEXT(scope_org_id, "t.scope_org_id") NEXT(expires_epoch, "extract(epoch FROM t.expires_at)::bigint")         \
  NEXT(hash_hex, "encode(t.hash, 'hex')")
DB_ROW_STRUCT(token_lookup_row, TOKEN_LOOKUP_ROW);
enum db_status db_token_lookup(struct db *db, const char *selector, PGresult **res);
/* Counts one failed authentication, shared by every instance, for the client address key ADDRESS_KEY and (when
 * not NULL) the token selector key TOKEN_KEY: one row per key with its failures in the current minute and the
 * seconds left in it. */
#define AUTH_FAILURE_ROW(FIRST, NEXT)                                                                          \
  FIRST(key, "f.key") NEXT(failures, "f.failures")                                                            \
  NEXT(seconds_left, "(60 - floor(extract(epoch FROM now() - f.minute)))::int")
DB_ROW_STRUCT(auth_failure_row, AUTH_FAILURE_ROW);
enum db_status db_auth_failure_add(struct db *db, const char *address_key, const char *token_key, PGresult **res);
/* Issues a token; no row when the scope is not a SCOPE_KIND organisation of the commission or the expiry is past. */
enum db_status db_token_insert(struct db *db, const struct token_fields *f, PGresult **res);
enum db_status db_token_list(struct db *db, const char *commission_id, const char *after_created,
                             const char *after_id, const char *limit, PGresult **res);
enum db_status db_token_get(struct db *db, const char *commission_id, const char *id, PGresult **res);
enum db_status db_token_revoke(struct db *db, const char *commission_id, const char *id, PGresult **res);
/* Web front sessions (src/db/web_sessions.c), named by the hex BLAKE2b-256 hash of their random id. Open: for a
 * valid token, expiring with it (its expiry in unix seconds into EXPIRES_EPOCH); no row when the token is revoked or
 * expired. Use: the principal of a session still valid (not idle past IDLE_SECONDS, token valid), its last use
 * moved to now. End: forgets the session. */
#define WEB_SESSION_ROW(FIRST, NEXT)                                                                           \
  FIRST(id, "t.id") NEXT(commission_id, "t.commission_id") NEXT(role, "t.role")                               \
  NEXT(scope_org_id, "t.scope_org_id") NEXT(expires_epoch, "extract(epoch FROM s.expires_at)::bigint")
DB_ROW_STRUCT(web_session_row, WEB_SESSION_ROW);
enum db_status db_web_session_open(struct db *db, const char *hash_hex, const char *token_id, const char *idle_seconds,
                                   char *expires_epoch, size_t n);
enum db_status db_web_session_use(struct db *db, const char *hash_hex, const char *idle_seconds, PGresult **res);
enum db_status db_web_session_end(struct db *db, const char *hash_hex);
/* Sign-in links (one use, a quarter of an hour): made for a valid token of COMMISSION_ID (its expiry, RFC 3339, into
 * EXPIRES_AT; no row for an unknown, revoked or expired token); used once, giving the token's principal. */
#define WEB_LINK_ROW(FIRST, NEXT)                                                                              \
  FIRST(id, "t.id") NEXT(commission_id, "t.commission_id") NEXT(role, "t.role")                               \
  NEXT(scope_org_id, "t.scope_org_id") NEXT(expires_epoch, "extract(epoch FROM t.expires_at)::bigint")
DB_ROW_STRUCT(web_link_row, WEB_LINK_ROW);
enum db_status db_web_link_create(struct db *db, const char *hash_hex, const char *commission_id,
                                  const char *token_id, char *expires_at, size_t n);
enum db_status db_web_link_use(struct db *db, const char *hash_hex, PGresult **res);
/* Notes that TOKEN_ID authenticated a request: its last_used_at is written by the next token_used_flush(), off the
 * request path, so that a read-only database still serves reads. */
void token_used(const char *token_id);
/* Writes last_used_at = now() for every token noted since the last flush, in one statement; the number written, or
 * -1 (the tokens stay noted for the next flush). */
long token_used_flush(struct db *db);
/* Frees the set, once no thread notes or flushes any more. */
void token_used_shutdown(void);

/* idempotency.c: claims KEY for TOKEN in the open transaction (DB_ROW: new). DB_NO_ROW: it existed; *PREV then
 * has request hash (hex), status, location, body. */
enum db_status db_idempotency_claim(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                    const char *hash_hex, PGresult **prev);
/* The same claim sent ahead of the transaction's next statement (db_exec_ahead()): *CLAIMED gets DB_ROW (new) or
 * DB_NO_ROW (it existed: nothing is read of it) once that statement's round trip is read. */
enum db_status db_idempotency_claim_ahead(struct db *db, const char *token_id, const char *key,
                                          const char *commission_id, const char *hash_hex, enum db_status *claimed);
/* Records the response of KEY's request in the row its claim inserted (found by the key's unique index, whatever
 * the table's statistics; COMMISSION_ID and HASH_HEX as claimed), sent with the transaction's COMMIT
 * (db_exec_at_commit()). */
enum db_status db_idempotency_record(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                     const char *hash_hex, const char *status, const char *location,
                                     const char *body);

/* organisations.c. A row of the API's Organisation. */
#define ORGANISATION_ROW(FIRST, NEXT)                                                                         \
  FIRST(id, "id") NEXT(kind, "kind") NEXT(name, "name") NEXT(town, "town") NEXT(address, "address")           \
  NEXT(email, "email") NEXT(phone, "phone") NEXT(archived, "archived") NEXT(version, "version")                \
  NEXT(created_at, SQL_TS("created_at")) NEXT(updated_at, SQL_TS("updated_at"))
DB_ROW_STRUCT(organisation_row, ORGANISATION_ROW);
/* What a client writes (NULL: SQL NULL; KIND is fixed once created, ARCHIVED "t"/"f" is for updates). */
struct organisation_fields {
  const char *kind, *name, *town, *address, *email, *phone, *archived;
};
enum db_status db_organisation_insert(struct db *db, const char *commission_id, const struct organisation_fields *f,
                                      PGresult **res);
enum db_status db_organisation_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                                   PGresult **res);
enum db_status db_organisation_update(struct db *db, const char *commission_id, const char *id,
                                      const struct organisation_fields *f, PGresult **res);
/* The kind of organisation ID of the commission into KIND (DB_NO_ROW: none such). */
enum db_status db_organisation_kind(struct db *db, const char *commission_id, const char *id, char kind[32]);
/* KIND and the AFTER_* keyset position may be NULL. */
enum db_status db_organisation_list(struct db *db, const char *commission_id, const char *kind,
                                    const char *after_name, const char *after_id, const char *limit, PGresult **res);

/* Dates of date columns as every query returns them: YYYY-MM-DD. */
#define SQL_DATE(col) "to_char(" col ", 'YYYY-MM-DD')"

/* applications.c. A row of the API's Application (the situation shown only to those who may read it), with the
 * person it is for and its key in the waiting list (submitted or created, with microseconds). SCOPE decides which
 * people's applications are seen. */
#define APPLICATION_ROW(FIRST, NEXT)                                                                          \
  FIRST(id, "a.id") NEXT(person_id, "a.person_id") NEXT(situation, "a.situation")                              \
  NEXT(wished_unit_kinds, "a.wished_unit_kinds") NEXT(wished_towns, "a.wished_towns")                          \
  NEXT(urgency, "a.urgency") NEXT(referent_name, "a.referent_name") NEXT(status, "a.status")                    \
  NEXT(submitted_at, SQL_TS_RAW("a.submitted_at")) NEXT(decided_at, SQL_TS_RAW("a.decided_at"))                \
  NEXT(waiting_days, "CASE WHEN a.submitted_at IS NULL THEN NULL "                                              \
                     "ELSE current_date - (a.submitted_at AT TIME ZONE 'UTC')::date END")                       \
  NEXT(created_by_role, "a.created_by_role") NEXT(version, "a.version")                                        \
  NEXT(created_at, SQL_TS_RAW("a.created_at")) NEXT(updated_at, SQL_TS_RAW("a.updated_at"))                     \
  NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") NEXT(birth_date, "p.birth_date")        \
  NEXT(list_key, "to_char(coalesce(a.submitted_at, a.created_at) AT TIME ZONE 'UTC', "                          \
                 "'YYYY-MM-DD\"T\"HH24:MI:SS.US')")                                                            \
  NEXT(decided_on, "a.decided_on")
DB_ROW_STRUCT(application_row, APPLICATION_ROW);
/* One move of an application's history. */
#define APPLICATION_EVENT_ROW(FIRST, NEXT)                                                                    \
  FIRST(id, "e.id") NEXT(from_status, "e.from_status") NEXT(to_status, "e.to_status") NEXT(reason, "e.reason")  \
  NEXT(forced, "e.forced") NEXT(session_id, "e.session_id") NEXT(role, "e.role") NEXT(at, SQL_TS("e.at"))
DB_ROW_STRUCT(application_event_row, APPLICATION_EVENT_ROW);
/* The id of a created row. */
#define CREATED_ID_ROW(FIRST, NEXT) FIRST(id, "id")
DB_ROW_STRUCT(created_id_row, CREATED_ID_ROW);
/* What a client writes (NULL: SQL NULL). WISHED_*: JSON arrays of text; STATUS (creation only): draft or
 * submitted. */
struct application_fields {
  const char *situation, *wished_unit_kinds, *wished_towns, *urgency, *referent_name, *status;
};
/* Row: CREATED_ID_ROW; no row when the person is not one SCOPE sees. */
enum db_status db_application_insert(struct db *db, const char *commission_id, const char *person_id,
                                     const struct access *scope, const struct application_fields *f,
                                     const char *token_id, const char *role, PGresult **res);
enum db_status db_application_created(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *token_id, const char *role);
enum db_status db_application_get(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, bool for_update, PGresult **res);
/* List filters, each NULL or a value: STATUSES an array literal of statuses ("{submitted,deferred}"), REFERENT a
 * part of the referent's name (any case), UNIT_KIND a kind wished, TOWN a town wished (any case). */
struct application_filters {
  const char *statuses, *person_id, *referent, *unit_kind, *town;
};
enum db_status db_application_list(struct db *db, const char *commission_id, const struct access *scope,
                                   const struct application_filters *f, const char *after_key,
                                   const char *after_id, const char *limit, PGresult **res);
/* Writes F's situation, wishes (each a JSON array, or NULL to keep the stored one), urgency and referent. */
enum db_status db_application_update(struct db *db, const char *commission_id, const char *id,
                                     const struct application_fields *f);
/* DB_NO_ROW when the application was no longer in FROM. */
enum db_status db_application_move(struct db *db, const char *commission_id, const char *id, const char *from,
                                   const char *to, const char *reason, bool forced, const char *session_id,
                                   const char *token_id, const char *role);
/* The same move sent ahead of the next statement (db_exec_ahead()): *MOVED is DB_NO_ROW when the application was
 * no longer in FROM. */
enum db_status db_application_move_ahead(struct db *db, const char *commission_id, const char *id, const char *from,
                                         const char *to, const char *reason, bool forced, const char *session_id,
                                         const char *token_id, const char *role, enum db_status *moved);
/* Rows: APPLICATION_EVENT_ROW, oldest first. */
enum db_status db_application_events(struct db *db, const char *commission_id, const char *id, PGresult **res);
enum db_status db_applications_lapse(struct db *db, const char *commission_id);

/* people.c. SCOPE and ORG are access_scope_param() / access_org_param() of the caller's access: a person
 * outside them is no row. A row of the API's Person; struct person_fields (person.h) is what a client writes. */
#define PERSON_ROW(FIRST, NEXT)                                                                               \
  FIRST(id, "p.id") NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names")                      \
  NEXT(birth_date, SQL_DATE("p.birth_date")) NEXT(phone, "p.phone") NEXT(email, "p.email")                     \
  NEXT(address, "p.address") NEXT(care_team_id, "p.care_team_id") NEXT(protection, "p.protection")             \
  NEXT(curator_org_id, "p.curator_org_id") NEXT(protection_start, SQL_DATE("p.protection_start"))              \
  NEXT(protection_end, SQL_DATE("p.protection_end")) NEXT(version, "p.version")                                \
  NEXT(created_at, SQL_TS("p.created_at")) NEXT(updated_at, SQL_TS("p.updated_at"))
DB_ROW_STRUCT(person_row, PERSON_ROW);
enum db_status db_person_insert(struct db *db, const char *commission_id, const struct person_fields *f,
                                PGresult **res);
enum db_status db_person_get(struct db *db, const char *commission_id, const char *id, const char *scope,
                             const char *org, bool for_update, PGresult **res);
enum db_status db_person_update(struct db *db, const char *commission_id, const char *id,
                                const struct person_fields *f, PGresult **res);
/* Q (family name prefix, any case), CARE_TEAM_ID and AFTER (family_name, given_names, id) may be NULL. */
enum db_status db_person_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                              const char *q, const char *care_team_id, const char *const after[3], const char *limit,
                              PGresult **res);
/* A possible duplicate of a new person, and whether the caller's scope sees it ("t"/"f"). */
#define PERSON_DUPLICATE_ROW(FIRST, NEXT)                                                                     \
  FIRST(id, "p.id") NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names")                      \
  NEXT(birth_date, SQL_DATE("p.birth_date")) NEXT(in_scope, SQL_PERSON_SCOPE("p", ":scope", ":org"))
DB_ROW_STRUCT(person_duplicate_row, PERSON_DUPLICATE_ROW);
/* In the creating transaction: the people of the commission with these names (any case) and birth date, after
 * a lock that serialises such creations. Rows: PERSON_DUPLICATE_ROW. */
enum db_status db_person_duplicates(struct db *db, const char *commission_id, const char *family_name,
                                    const char *given_names, const char *birth_date, const char *scope,
                                    const char *org, PGresult **res);
/* Care notes: a row of the API's CareNote, and its list key (created_at with microseconds). The insert has no
 * row when the person is not in scope; the list is newest first, before the BEFORE_* key. */
#define CARE_NOTE_ROW(FIRST, NEXT)                                                                            \
  FIRST(id, "n.id") NEXT(person_id, "n.person_id") NEXT(body, "n.body") NEXT(author_role, "n.author_role")      \
  NEXT(created_at, SQL_TS("n.created_at"))                                                                      \
  NEXT(list_key, "to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
DB_ROW_STRUCT(care_note_row, CARE_NOTE_ROW);
enum db_status db_care_note_insert(struct db *db, const char *commission_id, const char *person_id,
                                   const char *scope, const char *org, const char *body, const char *token_id,
                                   const char *role, PGresult **res);
enum db_status db_care_note_list(struct db *db, const char *commission_id, const char *person_id,
                                 const char *before_created, const char *before_id, const char *limit,
                                 PGresult **res);

/* sessions.c (its other queries: sessions.h). A unit's status. */
#define UNIT_STATUS_ROW(FIRST, NEXT) FIRST(status, "status")
DB_ROW_STRUCT(unit_status_row, UNIT_STATUS_ROW);
enum db_status db_unit_status(struct db *db, const char *commission_id, const char *unit_id, PGresult **res);

/* units.c. SCOPE and ORG: access_scope_param() and access_org_param() (a landlord sees its own units). A row of the
 * API's Unit, with the places taken today (placements moved in and not yet left, UTC). */
#define UNIT_OCCUPIED                                                                                          \
  "(SELECT count(*) FROM placements pl WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id "       \
  "AND pl.move_in_date <= current_date AND (pl.exit_date IS NULL OR pl.exit_date > current_date))"
#define UNIT_ROW(FIRST, NEXT)                                                                                  \
  FIRST(id, "u.id") NEXT(kind, "u.kind") NEXT(label, "u.label") NEXT(address, "u.address") NEXT(town, "u.town") \
  NEXT(landlord_org_id, "u.landlord_org_id") NEXT(places, "u.places") NEXT(rent_cents, "u.rent_cents")         \
  NEXT(charges_cents, "u.charges_cents") NEXT(deposit_cents, "u.deposit_cents") NEXT(currency, "u.currency")   \
  NEXT(status, "u.status") NEXT(version, "u.version") NEXT(created_at, SQL_TS_RAW("u.created_at"))            \
  NEXT(updated_at, SQL_TS_RAW("u.updated_at")) NEXT(occupied, UNIT_OCCUPIED) NEXT(co_owned, "u.co_owned")
DB_ROW_STRUCT(unit_row, UNIT_ROW);
/* A status change of the history; every column NULL for a unit without any change. */
#define UNIT_CHANGE_ROW(FIRST, NEXT) \
  FIRST(from_status, "c.from_status") NEXT(to_status, "c.to_status") NEXT(reason, "c.reason") NEXT(at, SQL_TS("c.at"))
DB_ROW_STRUCT(unit_change_row, UNIT_CHANGE_ROW);
/* What a client writes (numbers as text). A creation takes all but uses CURRENCY NULL as EUR and STATUS NULL as
 * available; an update writes LABEL .. DEPOSIT_CENTS and STATUS. */
struct unit_fields {
  const char *kind, *label, *address, *town, *landlord_org_id, *places, *rent_cents, *charges_cents, *deposit_cents,
      *currency, *status, *co_owned; /* CO_OWNED "t"/"f": in a co-owned building (deposit provision, art. 22) */
};
/* List filters, each NULL or a value. */
struct unit_filters {
  const char *status, *kind, *town, *landlord_org_id;
};
/* Records the first status with TOKEN_ID. */
enum db_status db_unit_insert(struct db *db, const char *commission_id, const struct unit_fields *f,
                              const char *token_id, PGresult **res);
enum db_status db_unit_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                           const char *id, bool for_update, PGresult **res);
enum db_status db_unit_update(struct db *db, const char *commission_id, const char *id, const struct unit_fields *f,
                              PGresult **res);
enum db_status db_unit_status_change(struct db *db, const char *commission_id, const char *unit_id,
                                     const char *from, const char *to, const char *reason, const char *token_id);
/* AFTER: town, label, id (keyset position), or NULLs. */
enum db_status db_unit_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                            const struct unit_filters *f, const char *const after[3], const char *limit,
                            PGresult **res);
/* UNIT_CHANGE_ROWs, oldest first; no row when the unit is not visible, one row of NULLs when it has no change. */
enum db_status db_unit_history(struct db *db, const char *commission_id, const char *scope, const char *org,
                               const char *id, PGresult **res);

/* agreements.c. A row of the API's Agreement; its unit ids and renewals come as JSON arrays (text) from
 * subqueries on their indexes, so that a whole page is one query. "Today" is the UTC date, as every date of the
 * API. UNIT_IDS are PostgreSQL array literals of UUIDs ("{...}"). */
#define SQL_TODAY "(now() AT TIME ZONE 'UTC')::date"
#define SQL_DATE(col) "to_char(" col ", 'YYYY-MM-DD')"
#define AGREEMENT_ROW(FIRST, NEXT)                                                                             \
  FIRST(id, "a.id") NEXT(org_id, "a.org_id") NEXT(reference, "a.reference") NEXT(signatory, "a.signatory")    \
  NEXT(start_date, SQL_DATE("a.start_date")) NEXT(end_date, SQL_DATE("a.end_date"))                           \
  NEXT(status, "CASE WHEN a.end_date >= " SQL_TODAY " THEN 'active' ELSE 'expired' END")                       \
  NEXT(days_to_end, "a.end_date - " SQL_TODAY) NEXT(notes, "a.notes") NEXT(version, "a.version")              \
  NEXT(created_at, SQL_TS("a.created_at")) NEXT(updated_at, SQL_TS("a.updated_at"))                           \
  NEXT(unit_ids, "(SELECT coalesce(json_agg(au.unit_id ORDER BY au.unit_id), '[]'::json) FROM agreement_units " \
                 "au WHERE au.agreement_id = a.id AND au.commission_id = a.commission_id)::text")              \
  NEXT(renewals, "(SELECT coalesce(json_agg(json_build_object('id', r.id, 'previous_end_date', "              \
                 SQL_DATE("r.previous_end_date") ", 'new_end_date', " SQL_DATE("r.new_end_date") ", "          \
                 "'signatory', r.signatory, 'renewed_at', " SQL_TS("r.renewed_at") ") ORDER BY r.renewed_at, "  \
                 "r.new_end_date), '[]'::json) FROM agreement_renewals r WHERE r.commission_id = a.commission_id " \
                 "AND r.agreement_id = a.id)::text")
DB_ROW_STRUCT(agreement_row, AGREEMENT_ROW);
/* What a creation returns: the new id. */
#define ID_ROW(FIRST, NEXT) FIRST(id, "id")
DB_ROW_STRUCT(id_row, ID_ROW);
/* A unit id of a request that is not the agreement organisation's unit: its 1-based position in UNIT_IDS. */
#define AGREEMENT_UNIT_POSITION_ROW(FIRST, NEXT) FIRST(position, "x.ord")
DB_ROW_STRUCT(agreement_unit_position_row, AGREEMENT_UNIT_POSITION_ROW);
struct agreement_fields {
  const char *org_id, *reference, *signatory, *start_date, *end_date, *notes;
};
/* Row: id. */
enum db_status db_agreement_insert(struct db *db, const char *commission_id, const struct agreement_fields *f,
                                   PGresult **res);
enum db_status db_agreement_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                                const char *id, bool for_update, PGresult **res);
enum db_status db_agreement_update(struct db *db, const char *commission_id, const char *id, const char *signatory,
                                   const char *notes);
/* AGREEMENT_UNIT_POSITION_ROWs: the ids of UNIT_IDS that are not units of the commission owned by ORG_ID. */
enum db_status db_agreement_units_check(struct db *db, const char *commission_id, const char *unit_ids,
                                        const char *org_id, PGresult **res);
/* Adds UNIT_IDS to the agreement; with REPLACE, removes its other units first. */
enum db_status db_agreement_units_set(struct db *db, const char *commission_id, const char *id,
                                      const char *unit_ids, bool replace);
/* Records a renewal (previous end date, NEW_END_DATE, SIGNATORY, TOKEN_ID) and moves the end date. */
enum db_status db_agreement_renew(struct db *db, const char *commission_id, const char *id,
                                  const char *new_end_date, const char *signatory, const char *token_id);
/* ORG_ID, WITHIN_DAYS (end_date <= today + days) and the AFTER_* keyset position may be NULL. */
enum db_status db_agreement_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                                 const char *org_id, const char *within_days, const char *after_end,
                                 const char *after_id, const char *limit, PGresult **res);

/* placements.c. A row of the API's Placement (the person and the unit joined, and a running sliding lease's
 * schedule, SQL_SLIDING_RUNS); SCOPE decides which placements a token sees
 * (SQL_PLACEMENT_SCOPE). */
/* A placement's sliding-lease schedule, as the sliding_schedule view (migrations/0014) computes it, from the last
 * tripartite review and the current period's notice to the prefect its placement keeps (0049, 0051): COL while
 * its sliding lease runs and has not slid, else NULL. */
#define SQL_SLIDING_RUNS(col)                                                                                   \
  "CASE WHEN pl.lease = 'sliding_lease' AND pl.slid_on IS NULL AND " SQL_PLACEMENT_RUNS("pl") " THEN " col " END"
#define SQL_TRIPARTITE_REVIEW_ON "(coalesce(pl.last_tripartite_on, pl.sliding_start_date) + interval '6 months')::date"
#define PLACEMENT_ROW(FIRST, NEXT)                                                                            \
  FIRST(id, "pl.id") NEXT(application_id, "pl.application_id") NEXT(person_id, "pl.person_id")                \
  NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") NEXT(birth_date, "p.birth_date")       \
  NEXT(unit_id, "pl.unit_id") NEXT(unit_label, "u.label") NEXT(unit_address, "u.address")                       \
  NEXT(unit_town, "u.town") NEXT(unit_kind, "u.kind") NEXT(landlord_org_id, "u.landlord_org_id")               \
  NEXT(session_id, "pl.session_id") NEXT(move_in_date, "pl.move_in_date") NEXT(lease, "pl.lease")              \
  NEXT(exit_date, "pl.exit_date") NEXT(exit_reason, "pl.exit_reason") NEXT(exit_comment, "pl.exit_comment")    \
  NEXT(exit_inspection_matches, "pl.exit_inspection_matches") NEXT(version, "pl.version")                      \
  NEXT(created_at, SQL_TS_RAW("pl.created_at")) NEXT(updated_at, SQL_TS_RAW("pl.updated_at"))                 \
  NEXT(refund_to_association, "pl.refund_to_association") NEXT(sliding_start_date, "pl.sliding_start_date")    \
  NEXT(planned_slide_on, "pl.planned_slide_on") NEXT(slid_on, "pl.slid_on")                                    \
  NEXT(last_tripartite_on, SQL_SLIDING_RUNS("pl.last_tripartite_on"))                                          \
  NEXT(tripartite_review_on, SQL_SLIDING_RUNS(SQL_TRIPARTITE_REVIEW_ON))                                        \
  NEXT(prefect_notice_due_on, SQL_SLIDING_RUNS("(" SQL_TRIPARTITE_REVIEW_ON " - interval '2 months')::date"))    \
  NEXT(prefect_notice_sent_on, SQL_SLIDING_RUNS("pl.prefect_notice_sent_on"))
DB_ROW_STRUCT(placement_row, PLACEMENT_ROW);
/* What starts a placement (the person comes from the application, the deciding session from its approval). */
struct placement_fields {
  const char *application_id, *unit_id, *move_in_date, *lease;
  const char *refund_to_association;             /* "t"/"f", NULL: not recorded */
  const char *sliding_start_date, *planned_slide_on; /* sliding leases only; NULL: the move-in, none */
};
/* What ends one (INSPECTION_MATCHES "t"/"f"; COMMENT may be NULL). */
struct placement_exit_fields {
  const char *exit_date, *exit_reason, *exit_comment, *inspection_matches;
};
/* The application a placement starts from, locked: its STATUS and the UTC day it was decided on (DECIDED_ON, ""
 * when never), with UNIT_STATUS, the status of UNIT_ID, the unit it would be in ("" when not a unit of the
 * commission): one look-up. DB_NO_ROW when it is not an application of the commission. */
enum db_status db_placement_application(struct db *db, const char *commission_id, const char *application_id,
                                        const char *unit_id, char status[16], char decided_on[11],
                                        char unit_status[32]);
/* Inserts placement ID (a new random UUID), sent ahead of the next statement (db_exec_ahead()): *INSERTED is
 * DB_NO_ROW when the application does not exist; capacity and overlap violations fail it with SQLSTATE 23P01. */
enum db_status db_placement_insert_ahead(struct db *db, const char *commission_id, const char *id,
                                         const struct placement_fields *f, enum db_status *inserted);
enum db_status db_placement_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                                bool for_update, PGresult **res);
/* ACTIVE ("t"/"f"), UNIT_ID, PERSON_ID, LANDLORD_ORG_ID (the unit's landlord) and the keyset position may be
 * NULL. */
enum db_status db_placement_list(struct db *db, const char *commission_id, const struct access *scope,
                                 const char *active, const char *unit_id, const char *person_id,
                                 const char *landlord_org_id, const char *after_date, const char *after_id,
                                 const char *limit, PGresult **res);
/* Writes the lease's deposit clause ("t"/"f"/NULL) and planned slide (NULL: none). */
enum db_status db_placement_lease_update(struct db *db, const char *commission_id, const char *id,
                                         const char *refund_to_association, const char *planned_slide_on);
/* Records the slide of a sliding lease on SLID_ON; DB_NO_ROW when it is not a sliding lease or has slid. */
enum db_status db_placement_slide(struct db *db, const char *commission_id, const char *id, const char *slid_on);
/* The notice to the prefect for the review period ending PERIOD_END (PROPOSES_LEASE "t"/"f", COMMENT may be
 * NULL); the new id into ID. A second notice for one period: SQLSTATE 23505. */
struct prefect_notice_fields {
  const char *period_end, *sent_on, *proposes_lease, *comment;
};
enum db_status db_prefect_notice_insert(struct db *db, const char *commission_id, const char *placement_id,
                                        const struct prefect_notice_fields *f, const char *token_id, const char *role,
                                        char id[UUID_STR_LEN]);
/* A running sliding lease (the sliding_schedule view) with its tenant's names and unit, and the date of its next
 * step (NEXT_ON, the list's key). */
#define SLIDING_LEASE_ROW(FIRST, NEXT)                                                                         \
  FIRST(placement_id, "ss.placement_id") NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") \
  NEXT(unit_id, "u.id") NEXT(unit_label, "u.label") NEXT(unit_town, "u.town")                                 \
  NEXT(sliding_start_date, "ss.sliding_start_date") NEXT(planned_slide_on, "ss.planned_slide_on")              \
  NEXT(last_tripartite_on, "ss.last_tripartite_on") NEXT(tripartite_review_on, "ss.tripartite_review_on")      \
  NEXT(prefect_notice_due_on, "ss.prefect_notice_due_on")                                                     \
  NEXT(prefect_notice_sent_on, "ss.prefect_notice_sent_on") NEXT(next_on, SLIDING_NEXT_ON)
DB_ROW_STRUCT(sliding_lease_row, SLIDING_LEASE_ROW);
#define SLIDING_NEXT_ON                                                                                          \
  "least(CASE WHEN ss.prefect_notice_sent_on IS NULL THEN ss.prefect_notice_due_on END, ss.tripartite_review_on, " \
  "ss.planned_slide_on)"
/* STATUS: NULL, notice_due, review_due or slide_due; AFTER_*: the keyset position (next_on, placement id). */
enum db_status db_sliding_lease_list(struct db *db, const char *commission_id, const struct access *scope,
                                     const char *status, const char *after_date, const char *after_id,
                                     const char *limit, PGresult **res);
/* DB_NO_ROW when the placement had already ended. */
enum db_status db_placement_exit(struct db *db, const char *commission_id, const char *id,
                                 const struct placement_exit_fields *f);

/* deposits.c. A placement's account as the API's DepositAccount (the deposit_accounts view of migrations/0010,
 * with the person's names). SCOPE as for placements. */
#define DEPOSIT_ACCOUNT_ROW(FIRST, NEXT)                                                                      \
  FIRST(placement_id, "da.placement_id") NEXT(unit_id, "da.unit_id")                                           \
  NEXT(landlord_org_id, "da.landlord_org_id") NEXT(exit_date, "da.exit_date")                                   \
  NEXT(exit_inspection_matches, "da.exit_inspection_matches") NEXT(rent_cents, "da.rent_cents")                \
  NEXT(expected_cents, "da.expected_cents") NEXT(balance_cents, "da.balance_cents")                            \
  NEXT(paid_cents, "da.paid_cents") NEXT(refunded_cents, "da.refunded_cents")                                  \
  NEXT(deducted_cents, "da.deducted_cents") NEXT(written_off_cents, "da.written_off_cents")                    \
  NEXT(refund_due_on, "da.refund_due_on") NEXT(status, "da.status") NEXT(family_name, "p.family_name")          \
  NEXT(given_names, "p.given_names") NEXT(move_in_date, "da.move_in_date") NEXT(settled_on, "da.settled_on")  \
  NEXT(penalty_claimed_cents, "da.penalty_claimed_cents")                                                    \
  NEXT(penalty_received_cents, "da.penalty_received_cents")                                                  \
  NEXT(penalty_waived_cents, "da.penalty_waived_cents") NEXT(co_owned, "da.co_owned")                       \
  NEXT(provision_cents, "da.provision_cents") NEXT(provision_justification, "da.provision_justification")       \
  NEXT(accounts_approved_on, "da.accounts_approved_on") NEXT(provision_due_on, "da.provision_due_on")           \
  NEXT(first_part_until, "da.first_part_until") NEXT(lease, "da.lease")                                       \
  NEXT(refund_to_association, "da.refund_to_association")
DB_ROW_STRUCT(deposit_account_row, DEPOSIT_ACCOUNT_ROW);
/* One entry of an account's ledger. */
#define DEPOSIT_ENTRY_ROW(FIRST, NEXT)                                                                        \
  FIRST(id, "id") NEXT(kind, "kind") NEXT(amount_cents, "amount_cents") NEXT(effect_cents, "effect_cents")     \
  NEXT(entry_date, "entry_date") NEXT(justification, "justification")                                          \
  NEXT(reverses_entry_id, "reverses_entry_id") NEXT(role, "role") NEXT(created_at, SQL_TS("created_at"))
DB_ROW_STRUCT(deposit_entry_row, DEPOSIT_ENTRY_ROW);
/* The deposit report's figures of one landlord (LANDLORD_ORG_ID NULL: all landlords). */
#define DEPOSIT_REPORT_ROW(FIRST, NEXT)                                                                       \
  FIRST(landlord_org_id, "da.landlord_org_id") NEXT(landlord_name, "o.name") NEXT(accounts, "count(*)")        \
  NEXT(paid_cents, "coalesce(sum(da.paid_cents), 0)") NEXT(held_cents, "coalesce(sum(da.balance_cents), 0)")   \
  NEXT(refunded_cents, "coalesce(sum(da.refunded_cents), 0)")                                                  \
  NEXT(deducted_cents, "coalesce(sum(da.deducted_cents), 0)")                                                  \
  NEXT(written_off_cents, "coalesce(sum(da.written_off_cents), 0)")                                            \
  NEXT(overdue_accounts, "count(*) FILTER (WHERE da.status = 'overdue')")                                      \
  NEXT(overdue_held_cents, "coalesce(sum(da.balance_cents) FILTER (WHERE da.status = 'overdue'), 0)")          \
  NEXT(outstanding_accounts, "count(*) FILTER (WHERE da.status = 'outstanding')")                            \
  NEXT(penalty_accrued_cents, "coalesce(sum(da.penalty_cents), 0)")                                           \
  NEXT(penalty_claimed_cents, "coalesce(sum(da.penalty_claimed_cents), 0)")                                   \
  NEXT(penalty_received_cents, "coalesce(sum(da.penalty_received_cents), 0)")                                 \
  NEXT(penalty_waived_cents, "coalesce(sum(da.penalty_waived_cents), 0)")                                     \
  NEXT(penalty_unpaid_cents, "coalesce(sum(da.penalty_unpaid_cents), 0)")                                     \
  NEXT(penalty_unpaid_accounts, "count(*) FILTER (WHERE da.penalty_unpaid_cents > 0)")
DB_ROW_STRUCT(deposit_report_row, DEPOSIT_REPORT_ROW);
/* A new ledger entry (amounts and effect in integer cents, as text; JUSTIFICATION and REVERSES_ENTRY_ID may be
 * NULL). */
struct deposit_entry_fields {
  const char *kind, *amount_cents, *effect_cents, *entry_date, *justification, *reverses_entry_id;
};
enum db_status db_deposit_account(struct db *db, const char *commission_id, const char *placement_id,
                                  const struct access *scope, PGresult **res);
/* The ledger, oldest first: DEPOSIT_ENTRY_ROW. */
enum db_status db_deposit_entries(struct db *db, const char *commission_id, const char *placement_id,
                                  PGresult **res);
/* The kind (into KIND) and amount of entry ENTRY_ID of the placement's ledger; DB_NO_ROW when there is none. */
enum db_status db_deposit_entry(struct db *db, const char *commission_id, const char *placement_id,
                                const char *entry_id, char kind[16], long long *amount_cents);
/* Records F by TOKEN_ID in ROLE; the new entry's id into ID. A negative balance: SQLSTATE 23514
 * (deposit_balance_not_negative); a second reversal of one entry: 23505. */
enum db_status db_deposit_entry_insert(struct db *db, const char *commission_id, const char *placement_id,
                                       const struct deposit_entry_fields *f, const char *token_id, const char *role,
                                       char id[UUID_STR_LEN]);
/* Records F by TOKEN_ID in ROLE on the placement when it is in SCOPE, and returns the account as it now stands with
 * its ledger, oldest first: the account on the first row, then one row per entry, read with
 * db_deposit_posted_row(); DB_NO_ROW (nothing recorded) when the placement is out of SCOPE. Errors as
 * db_deposit_entry_insert(). One statement: one round trip. */
enum db_status db_deposit_entry_post(struct db *db, const char *commission_id, const char *placement_id,
                                     const struct access *scope, const struct deposit_entry_fields *f,
                                     const char *token_id, const char *role, PGresult **res);
/* Row I of db_deposit_entry_post()'s result: on row 0 the account and the id of the entry just recorded (into
 * *POSTED_ID), the entry's columns null; on each later row one entry of the ledger, the account's columns null. */
bool db_deposit_posted_row(const PGresult *res, int i, struct deposit_account_row *account,
                           struct deposit_entry_row *entry, const char **posted_id);
enum db_status db_deposit_account_list(struct db *db, const char *commission_id, const struct access *scope,
                                       const char *status, const char *landlord_id, const char *after_id,
                                       const char *limit, PGresult **res);
/* The provision the landlord of a co-owned building keeps (AMOUNT_CENTS, JUSTIFICATION, ACCOUNTS_APPROVED_ON may
 * be NULL), recorded by TOKEN_ID in ROLE; replaces the one recorded before. */
struct deposit_provision_fields {
  const char *amount_cents, *justification, *accounts_approved_on;
};
enum db_status db_deposit_provision_put(struct db *db, const char *commission_id, const char *placement_id,
                                        const struct deposit_provision_fields *f, const char *token_id,
                                        const char *role);
/* DEPOSIT_REPORT_ROW per landlord, then (landlord NULL) for all. */
enum db_status db_deposit_report(struct db *db, const char *commission_id, PGresult **res);

/* reviews.c. A row of the API's Review: each part's value(s), the role that wrote it and when. SCOPE as for
 * placements. */
#define REVIEW_ROW(FIRST, NEXT)                                                                               \
  FIRST(id, "r.id") NEXT(placement_id, "r.placement_id") NEXT(review_date, "r.review_date")                    \
  NEXT(care_followup, "r.care_followup") NEXT(care_by_role, "r.care_by_role")                                  \
  NEXT(care_at, SQL_TS("r.care_at")) NEXT(rent_status, "r.rent_status") NEXT(arrears_cents, "r.arrears_cents") \
  NEXT(rent_by_role, "r.rent_by_role") NEXT(rent_at, SQL_TS("r.rent_at")) NEXT(housing, "r.housing")           \
  NEXT(housing_by_role, "r.housing_by_role") NEXT(housing_at, SQL_TS("r.housing_at"))                          \
  NEXT(autonomy, "r.autonomy") NEXT(autonomy_by_role, "r.autonomy_by_role")                                    \
  NEXT(autonomy_at, SQL_TS("r.autonomy_at")) NEXT(outcome, "r.outcome") NEXT(outcome_by_role, "r.outcome_by_role") \
  NEXT(outcome_at, SQL_TS("r.outcome_at")) NEXT(version, "r.version") NEXT(created_at, SQL_TS("r.created_at"))  \
  NEXT(updated_at, SQL_TS("r.updated_at")) NEXT(tripartite, "r.tripartite")
DB_ROW_STRUCT(review_row, REVIEW_ROW);
/* A line of the review schedule (the review_schedule view); STATUS is overdue, due or scheduled. */
#define REVIEW_SCHEDULE_ROW(FIRST, NEXT)                                                                      \
  FIRST(placement_id, "rs.placement_id") NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") \
  NEXT(unit_id, "u.id") NEXT(unit_label, "u.label") NEXT(unit_town, "u.town")                                  \
  NEXT(move_in_date, "rs.move_in_date") NEXT(last_review_date, "rs.last_review_date")                          \
  NEXT(next_review_on, "rs.next_review_on")                                                                    \
  NEXT(status, "CASE WHEN rs.next_review_on < current_date THEN 'overdue' "                                    \
               "WHEN rs.next_review_on <= current_date + 30 THEN 'due' ELSE 'scheduled' END")                  \
  NEXT(tripartite_review_on, "rs.tripartite_review_on")
DB_ROW_STRUCT(review_schedule_row, REVIEW_SCHEDULE_ROW);
/* The parts a review write sets: for each, a "t"/"f" flag (write it?) and its value(s), NULL for SQL NULL. */
struct review_parts {
  const char *care_set, *care_followup;
  const char *rent_set, *rent_status, *arrears_cents;
  const char *housing_set, *housing;
  const char *autonomy_set, *autonomy;
  const char *outcome_set, *outcome;
  const char *tripartite; /* "t"/"f": the sliding lease's tripartite examination or not; NULL: unchanged */
};
/* Inserts review ID (a new random UUID), sent ahead of the next statement (db_exec_ahead()): *INSERTED is DB_ROW
 * once inserted. */
enum db_status db_review_insert_ahead(struct db *db, const char *commission_id, const char *placement_id,
                                      const char *review_date, const char *id, enum db_status *inserted);
enum db_status db_review_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                             bool for_update, PGresult **res);
enum db_status db_review_list(struct db *db, const char *commission_id, const char *placement_id,
                              const struct access *scope, PGresult **res);
/* Writes the PARTS flagged, each recording TOKEN_ID and ROLE, sent ahead of the next statement (db_exec_ahead()):
 * its status into *UPDATED once read. */
enum db_status db_review_update_ahead(struct db *db, const char *commission_id, const char *id,
                                      const struct review_parts *parts, const char *token_id, const char *role,
                                      enum db_status *updated);
/* REVIEW_SCHEDULE_ROW of the active placements. STATUS filters (NULL: all). */
enum db_status db_review_schedule(struct db *db, const char *commission_id, const struct access *scope,
                                  const char *status, const char *after_date, const char *after_id,
                                  const char *limit, PGresult **res);

/* incidents.c. A row of the API's Incident, with the person's names, the unit and the pagination key
 * (CURSOR_AT). SCOPE as for placements, narrowed by SQL_INCIDENT_SCOPE. */
#define INCIDENT_ROW(FIRST, NEXT)                                                                             \
  FIRST(id, "i.id") NEXT(placement_id, "i.placement_id") NEXT(kind, "i.kind") NEXT(description, "i.description") \
  NEXT(arrears_cents, "i.arrears_cents") NEXT(occurred_on, "i.occurred_on") NEXT(status, "i.status")           \
  NEXT(reported_by_role, "i.reported_by_role") NEXT(acknowledged_at, SQL_TS_RAW("i.acknowledged_at"))          \
  NEXT(closed_at, SQL_TS_RAW("i.closed_at")) NEXT(closing_note, "i.closing_note") NEXT(version, "i.version")   \
  NEXT(created_at, SQL_TS_RAW("i.created_at")) NEXT(updated_at, SQL_TS_RAW("i.updated_at"))                    \
  NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") NEXT(unit_label, "u.label")            \
  NEXT(unit_town, "u.town")                                                                                    \
  NEXT(cursor_at, "to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
DB_ROW_STRUCT(incident_row, INCIDENT_ROW);
/* What a report says (ARREARS_CENTS may be NULL). */
struct incident_fields {
  const char *kind, *description, *arrears_cents, *occurred_on;
};
/* Records F, reported by TOKEN_ID in ROLE; the new incident's id into ID. */
enum db_status db_incident_insert(struct db *db, const char *commission_id, const char *placement_id,
                                  const struct incident_fields *f, const char *role, const char *token_id,
                                  char id[UUID_STR_LEN]);
enum db_status db_incident_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                               bool for_update, PGresult **res);
enum db_status db_incident_list(struct db *db, const char *commission_id, const struct access *scope,
                                const char *status, const char *placement_id, const char *after_key,
                                const char *after_id, const char *limit, PGresult **res);
enum db_status db_incident_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *note);

/* arrears.c. Rent arrears repayment plans (migrations/0014); SCOPE: access to RES_ARREARS_PLAN, through the
 * placement (SQL_PLACEMENT_SCOPE). The incident a plan is for, locked: its kind and its plan's id (NULL: none). */
#define ARREARS_INCIDENT_ROW(FIRST, NEXT) FIRST(kind, "i.kind") NEXT(plan_id, "ap.id")
DB_ROW_STRUCT(arrears_incident_row, ARREARS_INCIDENT_ROW);
/* A plan as the API's ArrearsPlan: its state on today (arrears_plan_states), instalments and payments as JSON
 * arrays (text); CURSOR_AT is created_at with microseconds (the list's key). */
#define ARREARS_PLAN_ROW(FIRST, NEXT)                                                                          \
  FIRST(id, "ap.id") NEXT(incident_id, "ap.incident_id") NEXT(placement_id, "i.placement_id")                  \
  NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names") NEXT(unit_label, "u.label")            \
  NEXT(unit_town, "u.town") NEXT(total_cents, "ap.total_cents") NEXT(paid_cents, "s.paid_cents")               \
  NEXT(due_cents, "s.due_cents") NEXT(state, "s.state") NEXT(next_due_on, "s.next_due_on")                    \
  NEXT(next_due_cents, "s.next_due_cents") NEXT(created_by_role, "ap.created_by_role")                        \
  NEXT(created_at, SQL_TS("ap.created_at"))                                                                   \
  NEXT(instalments, "(SELECT json_agg(json_build_object('due_on', x.due_on, 'amount_cents', x.amount_cents) "  \
                    "ORDER BY x.due_on, x.position) FROM arrears_instalments x WHERE x.commission_id = "      \
                    "ap.commission_id AND x.plan_id = ap.id)::text")                                          \
  NEXT(payments, "(SELECT coalesce(json_agg(json_build_object('id', y.id, 'paid_on', y.paid_on, 'amount_cents', " \
                 "y.amount_cents, 'recorded_by_role', y.role, 'created_at', " SQL_TS("y.created_at") ") ORDER BY " \
                 "y.paid_on, y.created_at, y.id), '[]') FROM arrears_payments y WHERE y.commission_id = "      \
                 "ap.commission_id AND y.plan_id = ap.id)::text")                                             \
  NEXT(cursor_at, "to_char(ap.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
DB_ROW_STRUCT(arrears_plan_row, ARREARS_PLAN_ROW);
/* A plan to record: TOTAL_CENTS, and its instalments as array literals of the same length (DUE_DATES of
 * YYYY-MM-DD, AMOUNTS of cents). */
struct arrears_plan_fields {
  const char *total_cents, *due_dates, *amounts;
};
/* ARREARS_INCIDENT_ROW of the incident, locked; no row when out of SCOPE. */
enum db_status db_arrears_incident(struct db *db, const char *commission_id, const char *incident_id,
                                   const struct access *scope, PGresult **res);
/* The plan and its instalments; the new id into ID. The instalments' sum is checked at commit (23514). */
enum db_status db_arrears_plan_insert(struct db *db, const char *commission_id, const char *incident_id,
                                      const struct arrears_plan_fields *f, const char *token_id, const char *role,
                                      char id[UUID_STR_LEN]);
enum db_status db_arrears_payment_insert(struct db *db, const char *commission_id, const char *plan_id,
                                         const char *paid_on, const char *amount_cents, const char *token_id,
                                         const char *role, char id[UUID_STR_LEN]);
/* ARREARS_PLAN_ROW of the incident's plan; no row when none or out of SCOPE. */
enum db_status db_arrears_plan_get(struct db *db, const char *commission_id, const char *incident_id,
                                   const struct access *scope, PGresult **res);
/* STATE (on_track, late, paid_off) and the AFTER_* keyset position may be NULL. */
enum db_status db_arrears_plan_list(struct db *db, const char *commission_id, const struct access *scope,
                                    const char *state, const char *after_at, const char *after_id, const char *limit,
                                    PGresult **res);

/* The placement ALIAS runs today (moved in or not, not yet left). */
#define SQL_PLACEMENT_RUNS(alias) "(" alias ".exit_date IS NULL OR " alias ".exit_date > current_date)"
/* status.c. One row: what a curator checks about a person, read from the person (p) and the person's status row
 * (ps, migration 0022: the latest application, its last decision and session, the latest placement, its unit, exit
 * inspection and provision (0050), the last rent report, the next review, the open incidents and arrears plans,
 * kept by the writes), with the placement's deposit totals (t, kept by the ledger: 0023), each read by primary key
 * and returned as stored: what depends on the date (whether the placement runs: its rent, review, sliding step and
 * rent-arrears incidents show; the account's status and due dates, as deposit_accounts computes them) and on the
 * reader is decided by the daemon (src/api/status.c). FIRST_PART: the day the balance fell to a co-owned
 * building's provision, which only an ended account down to its provision needs (a walk of its ledger: the
 * statement with it is run for that account alone; the other says NULL). A part the person has none of is NULL.
 * SCOPE: access to RES_PERSON. */
#define PERSON_STATUS_COLUMNS(FIRST, NEXT, FIRST_PART)                                                        \
  FIRST(id, "p.id") NEXT(family_name, "p.family_name") NEXT(given_names, "p.given_names")                      \
  NEXT(protection, "p.protection") NEXT(application_id, "ps.application_id")                                  \
  NEXT(application_status, "ps.application_status") NEXT(submitted_at, SQL_TS_RAW("ps.submitted_at"))             \
  NEXT(outcome, "ps.outcome") NEXT(refusal_reason, "ps.refusal_reason") NEXT(decided_at, SQL_TS_RAW("ps.decided_at")) \
  NEXT(session_date, "ps.session_date") NEXT(placement_id, "ps.placement_id") NEXT(move_in_date, "ps.move_in_date") \
  NEXT(lease, "ps.lease") NEXT(exit_date, "ps.exit_date") NEXT(unit_label, "ps.unit_label")                   \
  NEXT(unit_town, "ps.unit_town") NEXT(balance_cents, "t.balance_cents") NEXT(paid_cents, "t.paid_cents")     \
  NEXT(last_moved_on, "t.last_moved_on") NEXT(penalty_received_cents, "t.penalty_received_cents")             \
  NEXT(penalty_waived_cents, "t.penalty_waived_cents")                                                        \
  NEXT(exit_inspection_matches, "ps.exit_inspection_matches") NEXT(provision_cents, "ps.provision_cents")     \
  NEXT(accounts_approved_on, "ps.accounts_approved_on") NEXT(first_part_until, FIRST_PART)                    \
  NEXT(unit_rent_cents, "ps.unit_rent_cents") NEXT(rent_status, "ps.rent_status")                             \
  NEXT(arrears_cents, "ps.arrears_cents") NEXT(rent_as_of, "ps.rent_as_of") NEXT(next_review_on, "ps.next_review_on") \
  NEXT(open_incidents, "ps.open_incidents") NEXT(refund_to_association, "ps.refund_to_association")           \
  NEXT(sliding_start_date, "ps.sliding_start_date") NEXT(planned_slide_on, "ps.planned_slide_on")             \
  NEXT(slid_on, "ps.slid_on") NEXT(last_tripartite_on, "ps.last_tripartite_on")                               \
  NEXT(tripartite_review_on, "ps.tripartite_review_on") NEXT(prefect_notice_due_on, "ps.prefect_notice_due_on") \
  NEXT(prefect_notice_sent_on, "ps.prefect_notice_sent_on") NEXT(arrears_plans, "ps.arrears_plans")
#define PERSON_STATUS_ROW(FIRST, NEXT) PERSON_STATUS_COLUMNS(FIRST, NEXT, "NULL::date")
#define PERSON_STATUS_ROW_FIRST_PART(FIRST, NEXT)                                                             \
  PERSON_STATUS_COLUMNS(FIRST, NEXT, "deposit_first_part_until(ps.commission_id, ps.placement_id, ps.exit_date, " \
                                     "ps.provision_cents)")
DB_ROW_STRUCT(person_status_row, PERSON_STATUS_ROW);
/* FIRST_PART: with the day the balance fell to the provision (PERSON_STATUS_ROW_FIRST_PART's column). */
enum db_status db_person_status(struct db *db, const char *commission_id, const char *person_id,
                                const struct access *scope, bool first_part, PGresult **res);

/* reports.c: aggregate figures, never a person. FROM, TO, TODAY and DATE are YYYY-MM-DD (UTC days). */
/* The activity of a period: applications received, standing decisions by outcome, the average waiting days
 * (1 decimal, NULL when none), refusal reasons (JSON object), admissions, exits by reason (JSON object), lease
 * transfers, deposits paid, held, refunded, deducted, written off, overdue accounts, reviews done, reviews
 * overdue (as of TODAY), agreements to renew, sessions. */
#define REPORT_ACTIVITY_ROW(FIRST, NEXT)                                                                      \
  FIRST(received, "f.received") NEXT(approve, "f.approve") NEXT(refuse, "f.refuse") NEXT(defer, "f.defer")     \
  NEXT(average_waiting_days, "f.average_waiting_days") NEXT(refusal_reasons, "f.refusal_reasons")              \
  NEXT(admissions, "f.admissions") NEXT(exits, "f.exits") NEXT(lease_transfers, "f.lease_transfers")           \
  NEXT(deposits_paid, "f.deposits_paid") NEXT(deposits_held, "f.deposits_held")                                \
  NEXT(deposits_refunded, "f.deposits_refunded") NEXT(deposits_deducted, "f.deposits_deducted")                \
  NEXT(deposits_written_off, "f.deposits_written_off") NEXT(overdue_accounts, "f.overdue_accounts")            \
  NEXT(reviews_done, "f.reviews_done") NEXT(reviews_overdue, "f.reviews_overdue")                              \
  NEXT(agreements_to_renew, "f.agreements_to_renew") NEXT(sessions, "f.sessions") NEXT(slides, "f.slides")
DB_ROW_STRUCT(report_activity_row, REPORT_ACTIVITY_ROW);
/* The occupancy of one unit kind (KIND NULL: all kinds) as of DATE. */
#define REPORT_OCCUPANCY_ROW(FIRST, NEXT)                                                                     \
  FIRST(kind, "k.key") NEXT(units, "count(u.kind)") NEXT(places, "coalesce(sum(u.places), 0)")                 \
  NEXT(occupied, "coalesce(sum(u.occupied), 0)")                                                               \
  NEXT(vacant, "coalesce(sum(greatest(u.places - u.occupied, 0)) FILTER (WHERE u.status <> 'out_of_service'), 0)") \
  NEXT(out_of_service, "coalesce(sum(u.places) FILTER (WHERE u.status = 'out_of_service'), 0)")
DB_ROW_STRUCT(report_occupancy_row, REPORT_OCCUPANCY_ROW);
/* One REPORT_ACTIVITY_ROW. */
enum db_status db_report_activity(struct db *db, const char *commission_id, const char *from, const char *to,
                                  const char *today, PGresult **res);
/* REPORT_OCCUPANCY_ROW per unit kind (in the schema's order), then the one for all. */
enum db_status db_report_occupancy(struct db *db, const char *commission_id, const char *date, PGresult **res);
/* The yearly assembly's figures of FROM..TO (see api/openapi.yaml, AssemblyReport, for every counting rule):
 * exit_reasons and incidents are JSON objects of counts; the wait figures NULL when there is none. */
#define REPORT_ASSEMBLY_ROW(FIRST, NEXT)                                                                      \
  FIRST(commission_name, "f.commission_name") NEXT(received, "f.received") NEXT(examined, "f.examined")        \
  NEXT(approve, "f.approve") NEXT(refuse, "f.refuse") NEXT(defer, "f.defer") NEXT(withdrawn, "f.withdrawn")    \
  NEXT(lapsed, "f.lapsed") NEXT(housed_at_start, "f.housed_at_start") NEXT(housed_at_end, "f.housed_at_end")   \
  NEXT(housed_during, "f.housed_during") NEXT(move_ins, "f.move_ins") NEXT(exits, "f.exits")                   \
  NEXT(exit_reasons, "f.exit_reasons") NEXT(decision_wait_count, "f.decision_wait_count")                       \
  NEXT(decision_wait_median, "f.decision_wait_median") NEXT(decision_wait_mean, "f.decision_wait_mean")        \
  NEXT(decision_wait_max, "f.decision_wait_max") NEXT(move_in_wait_count, "f.move_in_wait_count")              \
  NEXT(move_in_wait_median, "f.move_in_wait_median") NEXT(move_in_wait_mean, "f.move_in_wait_mean")            \
  NEXT(move_in_wait_max, "f.move_in_wait_max") NEXT(reviews_held, "f.reviews_held")                            \
  NEXT(incidents, "f.incidents") NEXT(sessions, "f.sessions") NEXT(paid, "f.paid") NEXT(refunded, "f.refunded") \
  NEXT(deducted, "f.deducted") NEXT(written_off, "f.written_off") NEXT(penalty_claimed, "f.penalty_claimed")   \
  NEXT(penalty_received, "f.penalty_received") NEXT(penalty_waived, "f.penalty_waived")
DB_ROW_STRUCT(report_assembly_row, REPORT_ASSEMBLY_ROW);
/* The places of one unit kind, one town or all (BREAKDOWN unit_kind, town or total; KEY the kind or the town). */
#define REPORT_PLACES_ROW(FIRST, NEXT)                                                                        \
  FIRST(breakdown, "CASE WHEN GROUPING(k.ord) = 0 THEN 'unit_kind' WHEN GROUPING(u.town) = 0 THEN 'town' "     \
                   "ELSE 'total' END")                                                                         \
  NEXT(key, "CASE WHEN GROUPING(k.ord) = 0 THEN k.key WHEN GROUPING(u.town) = 0 THEN u.town END")              \
  NEXT(units, "count(u.kind) FILTER (WHERE u.status <> 'withdrawn')")                                          \
  NEXT(places, "coalesce(sum(u.places) FILTER (WHERE u.status <> 'withdrawn'), 0)")                            \
  NEXT(occupied, "coalesce(sum(u.occupied) FILTER (WHERE u.status <> 'withdrawn'), 0)")                        \
  NEXT(vacant, "coalesce(sum(greatest(u.places - u.occupied, 0)) "                                             \
               "FILTER (WHERE u.status NOT IN ('withdrawn', 'out_of_service')), 0)")                           \
  NEXT(out_of_service, "coalesce(sum(u.places) FILTER (WHERE u.status = 'out_of_service'), 0)")                \
  NEXT(move_ins, "coalesce(sum(u.move_ins), 0)") NEXT(exits, "coalesce(sum(u.exits), 0)")
DB_ROW_STRUCT(report_places_row, REPORT_PLACES_ROW);
/* One REPORT_ASSEMBLY_ROW. */
enum db_status db_report_assembly(struct db *db, const char *commission_id, const char *from, const char *to,
                                  PGresult **res);
/* REPORT_PLACES_ROW per unit kind, per town (by name), then for all. */
enum db_status db_report_assembly_places(struct db *db, const char *commission_id, const char *from,
                                         const char *to, PGresult **res);

/* audit.c: db_audit_insert() is declared in audit_db.h. */
/* An entry of the trail as the API's AuditEntry, and its list key (at with microseconds). */
#define AUDIT_ENTRY_ROW(FIRST, NEXT)                                                                          \
  FIRST(id, "e.id") NEXT(at, SQL_TS("e.at")) NEXT(token_id, "e.token_id") NEXT(role, "e.role")                  \
  NEXT(action, "e.action") NEXT(method, "e.method") NEXT(route, "e.route") NEXT(object_type, "e.object_type")  \
  NEXT(object_id, "e.object_id") NEXT(person_id, "e.person_id") NEXT(request_id, "e.request_id")                \
  NEXT(status, "e.status") NEXT(client_address, "host(e.client_address)")                                       \
  NEXT(chained, "e.chain_pos IS NOT NULL")                                                                      \
  NEXT(list_key, "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
DB_ROW_STRUCT(audit_entry_row, AUDIT_ENTRY_ROW);
/* Rows: AUDIT_ENTRY_ROW, newest first. OBJECT matches the object or the person concerned. */
enum db_status db_audit_list(struct db *db, const char *commission_id, const char *object_id, const char *token_id,
                             const char *from, const char *to, const char *before_at, const char *before_id,
                             const char *limit, PGresult **res);

/* export.c. One row: the person's whole file as one JSON document (PERSON_EXPORT_DOCUMENT, the json_build_object
 * of src/db/export.c). */
#define PERSON_EXPORT_ROW(FIRST, NEXT) FIRST(document, PERSON_EXPORT_DOCUMENT)
DB_ROW_STRUCT(person_export_row, PERSON_EXPORT_ROW);
enum db_status db_person_export(struct db *db, const char *commission_id, const char *person_id, PGresult **res);

#endif
