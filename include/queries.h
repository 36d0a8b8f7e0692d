/* The queries each resource runs, one function per statement (src/db/<resource>.c). Every query that touches
 * a commission's data takes the commission id; results are returned as PGresult (caller PQclear()s). */
#ifndef COMMISSIOND_QUERIES_H
#define COMMISSIOND_QUERIES_H

#include "access.h"
#include "db.h"

/* RFC 3339 UTC text of a timestamptz column, as every query returns timestamps. */
#define SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

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

/* schema.c: highest applied migration; 0 when none (or no versions table). */
enum db_status db_schema_version(struct db *db, int *version);

/* me.c: id, label, role, created_at, expires_at, commission id, commission name, scope id, kind, name. */
enum db_status db_token_describe(struct db *db, const char *token_id, PGresult **res);

/* tokens.c. Rows: id, label, role, scope_org_id, created_at, expires_at, last_used_at, revoked_at, status,
 * created_at with microseconds (for cursors). */
/* Issues a token; no row when the scope is not a SCOPE_KIND organisation of the commission or EXPIRES_ON
 * (YYYY-MM-DD, NULL: one year) is past. */
enum db_status db_token_insert(struct db *db, const char *commission_id, const char *role, const char *scope_org_id,
                               const char *scope_kind, const char *label, const char *selector, const char *hash_hex,
                               const char *expires_on, PGresult **res);
enum db_status db_token_list(struct db *db, const char *commission_id, const char *after_created,
                             const char *after_id, const char *limit, PGresult **res);
enum db_status db_token_get(struct db *db, const char *commission_id, const char *id, PGresult **res);
enum db_status db_token_revoke(struct db *db, const char *commission_id, const char *id, PGresult **res);
/* Notes that TOKEN_ID authenticated a request: its last_used_at is written by the next token_used_flush(), off the
 * request path, so that a read-only database still serves reads. */
void token_used(const char *token_id);
/* Writes last_used_at = now() for every token noted since the last flush, in one statement; the number written, or
 * -1 (the tokens stay noted for the next flush). */
long token_used_flush(struct db *db);
/* Frees the set, once no thread notes or flushes any more. */
void token_used_shutdown(void);

/* idempotency.c: claims KEY for TOKEN in the open transaction (DB_ROW: new). DB_NO_ROW: it existed; *PREV
 * then has request hash (hex), status, location, body. */
enum db_status db_idempotency_claim(struct db *db, const char *token_id, const char *key, const char *commission_id,
                                    const char *hash_hex, PGresult **prev);
enum db_status db_idempotency_record(struct db *db, const char *token_id, const char *key, const char *status,
                                     const char *location, const char *body);

/* organisations.c. Rows: id, kind, name, town, address, email, phone, archived, version, created_at,
 * updated_at. */
enum db_status db_organisation_insert(struct db *db, const char *commission_id, const char *const fields[6],
                                      PGresult **res);
enum db_status db_organisation_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                                   PGresult **res);
/* FIELDS: name, town, address, email, phone, archived ("t"/"f"). */
enum db_status db_organisation_update(struct db *db, const char *commission_id, const char *id,
                                      const char *const fields[6], PGresult **res);
/* KIND and the AFTER_* keyset position may be NULL. */
enum db_status db_organisation_list(struct db *db, const char *commission_id, const char *kind,
                                    const char *after_name, const char *after_id, const char *limit, PGresult **res);

/* applications.c. Rows: id, person_id, situation, wished_unit_kinds (JSON), wished_towns (JSON), urgency,
 * referent_name, status, submitted_at, decided_at, waiting_days, created_by_role, version, created_at, updated_at,
 * family_name, given_names, birth_date, pagination key. SCOPE decides which people's applications are seen. */
enum db_status db_application_insert(struct db *db, const char *commission_id, const char *person_id,
                                     const struct access *scope, const char *const fields[6], const char *token_id,
                                     const char *role, PGresult **res);
enum db_status db_application_created(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *token_id, const char *role);
enum db_status db_application_get(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, bool for_update, PGresult **res);
enum db_status db_application_list(struct db *db, const char *commission_id, const struct access *scope,
                                   const char *status, const char *person_id, const char *after_key,
                                   const char *after_id, const char *limit, PGresult **res);
/* FIELDS: situation, wished_unit_kinds (JSON), wished_towns (JSON), urgency, referent_name. */
enum db_status db_application_update(struct db *db, const char *commission_id, const char *id,
                                     const char *const fields[5]);
/* DB_NO_ROW when the application was no longer in FROM. */
enum db_status db_application_move(struct db *db, const char *commission_id, const char *id, const char *from,
                                   const char *to, const char *reason, bool forced, const char *session_id,
                                   const char *token_id, const char *role);
enum db_status db_application_events(struct db *db, const char *commission_id, const char *id, PGresult **res);
enum db_status db_applications_lapse(struct db *db, const char *commission_id);

/* people.c. SCOPE and ORG are access_scope_param() / access_org_param() of the caller's access: a person
 * outside them is no row. Person rows: id, family_name, given_names, birth_date, phone, email, address,
 * care_team_id, protection, curator_org_id, protection_start, protection_end, version, created_at, updated_at
 * (dates YYYY-MM-DD). FIELDS: family_name .. protection_end, in that order. */
enum db_status db_person_insert(struct db *db, const char *commission_id, const char *const fields[11],
                                PGresult **res);
enum db_status db_person_get(struct db *db, const char *commission_id, const char *id, const char *scope,
                             const char *org, bool for_update, PGresult **res);
enum db_status db_person_update(struct db *db, const char *commission_id, const char *id,
                                const char *const fields[11], PGresult **res);
/* Q (family name prefix, any case), CARE_TEAM_ID and AFTER (family_name, given_names, id) may be NULL. */
enum db_status db_person_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                              const char *q, const char *care_team_id, const char *const after[3], const char *limit,
                              PGresult **res);
/* In the creating transaction: the people of the commission with these names (any case) and birth date, after
 * a lock that serialises such creations. Rows: id, family_name, given_names, birth_date, in scope ("t"/"f"). */
enum db_status db_person_duplicates(struct db *db, const char *commission_id, const char *family_name,
                                    const char *given_names, const char *birth_date, const char *scope,
                                    const char *org, PGresult **res);
/* Care notes. Rows: id, person_id, body, author_role, created_at, created_at with microseconds (cursor). The
 * insert has no row when the person is not in scope; the list is newest first, before the BEFORE_* key. */
enum db_status db_care_note_insert(struct db *db, const char *commission_id, const char *person_id,
                                   const char *scope, const char *org, const char *body, const char *token_id,
                                   const char *role, PGresult **res);
enum db_status db_care_note_list(struct db *db, const char *commission_id, const char *person_id,
                                 const char *before_created, const char *before_id, const char *limit,
                                 PGresult **res);

/* sessions.c. Session rows: id, session_date, town, place, chair_name, chair_title, status, opened_at,
 * closed_at, version, created_at, updated_at. */
enum db_lock { LOCK_NONE, LOCK_SHARE, LOCK_UPDATE };
/* F: session_date, town, place, chair_name, chair_title. */
enum db_status db_session_insert(struct db *db, const char *commission_id, const char *const f[5], PGresult **res);
enum db_status db_session_get(struct db *db, const char *commission_id, const char *id, enum db_lock lock,
                              PGresult **res);
enum db_status db_session_list(struct db *db, const char *commission_id, const char *status, const char *after_date,
                               const char *after_id, const char *limit, PGresult **res);
enum db_status db_session_update(struct db *db, const char *commission_id, const char *id, const char *const f[5],
                                 PGresult **res);
enum db_status db_session_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                     PGresult **res);
/* ATTENDEES_JSON: [{attendee_group, name, organisation}] in order. */
enum db_status db_session_attendees_replace(struct db *db, const char *commission_id, const char *id,
                                            const char *attendees_json);
/* Rows: attendee_group, name, organisation. */
enum db_status db_session_attendees(struct db *db, const char *commission_id, const char *id, PGresult **res);
/* Lapses overdue approvals, then schedules every submitted or deferred application on the session's agenda. */
enum db_status db_agenda_build(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                               const char *role);
enum db_status db_agenda_add(struct db *db, const char *commission_id, const char *session_id,
                             const char *application_id, const char *note, PGresult **res);
/* Locks the item. Row: id, application_id, application status, number of decisions. */
enum db_status db_agenda_item(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                              PGresult **res);
enum db_status db_agenda_delete(struct db *db, const char *commission_id, const char *session_id,
                                const char *item_id);
enum db_status db_agenda_update(struct db *db, const char *commission_id, const char *session_id, const char *item_id,
                                const char *position, bool set_note, const char *note);
/* Rows: item id, position, kind, note, application id, status, urgency, wished kinds (JSON), wished towns (JSON),
 * submitted_at, waiting_days, person id, family_name, given_names, birth_date, person visible (t/f), situation,
 * decision id, outcome, unit_id, refusal_reason, comment, decided_at, corrects_decision_id, decided unit label,
 * decided unit town, placement id, placement's unit label, town, move_in_date, next review date (review items),
 * incident id, kind, status, occurred_on, placement visible (t/f), incident visible (t/f). The scopes (the
 * reader's access to RES_PERSON, RES_PLACEMENT, RES_INCIDENT) decide the visible columns. */
enum db_status db_agenda(struct db *db, const char *commission_id, const char *session_id,
                         const struct access *person_scope, const struct access *placement_scope,
                         const struct access *incident_scope, PGresult **res);
/* F: commission, session, agenda item, application, outcome, unit, refusal_reason, comment, corrects, token. */
enum db_status db_decision_insert(struct db *db, const char *const f[10], PGresult **res);
/* Locks the application. Row: id, agenda_item_id, application_id, outcome, application status, standing (t/f:
 * not yet corrected). */
enum db_status db_decision_get(struct db *db, const char *commission_id, const char *session_id,
                               const char *decision_id, PGresult **res);
enum db_status db_decisions_defer_undecided(struct db *db, const char *commission_id, const char *session_id,
                                            const char *token_id, const char *role);
enum db_status db_session_undecided(struct db *db, const char *commission_id, const char *session_id, long *count);
/* Row: status. */
enum db_status db_unit_status(struct db *db, const char *commission_id, const char *unit_id, PGresult **res);

/* units.c. Rows: id, kind, label, address, town, landlord_org_id, places, rent_cents, charges_cents,
 * deposit_cents, currency, status, version, created_at, updated_at. SCOPE and ORG: access_scope_param() and
 * access_org_param() (a landlord sees its own units). */
/* FIELDS: kind, label, address, town, landlord_org_id, places, rent, charges, deposit, currency (NULL: EUR),
 * status (NULL: available); records the first status with TOKEN_ID. */
enum db_status db_unit_insert(struct db *db, const char *commission_id, const char *const fields[11],
                              const char *token_id, PGresult **res);
enum db_status db_unit_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                           const char *id, bool for_update, PGresult **res);
/* FIELDS: label, address, town, places, rent, charges, deposit, status. */
enum db_status db_unit_update(struct db *db, const char *commission_id, const char *id, const char *const fields[8],
                              PGresult **res);
enum db_status db_unit_status_change(struct db *db, const char *commission_id, const char *unit_id,
                                     const char *from, const char *to, const char *reason, const char *token_id);
/* FILTERS: status, kind, town, landlord_org_id; AFTER: town, label, id (keyset position); each may be NULL. */
enum db_status db_unit_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                            const char *const filters[4], const char *const after[3], const char *limit,
                            PGresult **res);
/* Rows: from_status, to_status, reason, at, oldest first; no row when the unit is not visible, one row of
 * NULLs when it has no change. */
enum db_status db_unit_history(struct db *db, const char *commission_id, const char *scope, const char *org,
                               const char *id, PGresult **res);

/* agreements.c. Rows: id, org_id, reference, signatory, start_date, end_date, status, days_to_end, notes,
 * version, created_at, updated_at, unit ids (JSON array text), renewals (JSON array text). UNIT_IDS are
 * PostgreSQL array literals of UUIDs ("{...}"). */
/* FIELDS: org_id, reference, signatory, start_date, end_date, notes. Row: id. */
enum db_status db_agreement_insert(struct db *db, const char *commission_id, const char *const fields[6],
                                   PGresult **res);
enum db_status db_agreement_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                                const char *id, bool for_update, PGresult **res);
enum db_status db_agreement_update(struct db *db, const char *commission_id, const char *id, const char *signatory,
                                   const char *notes);
/* Rows: the 1-based positions in UNIT_IDS of the ids that are not units of the commission owned by ORG_ID. */
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

/* placements.c. Rows: id, application_id, person_id, family_name, given_names, birth_date, unit_id, unit label,
 * address, town, unit kind, landlord_org_id, session_id, move_in_date, lease, exit_date, exit_reason,
 * exit_comment, exit_inspection_matches, version, created_at, updated_at. */
/* No row when the application does not exist. Capacity and overlap violations: SQLSTATE 23P01. */
enum db_status db_placement_insert(struct db *db, const char *commission_id, const char *application_id,
                                   const char *unit_id, const char *move_in, const char *lease, PGresult **res);
enum db_status db_placement_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                                bool for_update, PGresult **res);
/* ACTIVE ("t"/"f"), UNIT_ID, PERSON_ID and the keyset position may be NULL. */
enum db_status db_placement_list(struct db *db, const char *commission_id, const struct access *scope,
                                 const char *active, const char *unit_id, const char *person_id,
                                 const char *after_date, const char *after_id, const char *limit, PGresult **res);
/* DB_NO_ROW when the placement had already ended. */
enum db_status db_placement_exit(struct db *db, const char *commission_id, const char *id, const char *exit_date,
                                 const char *reason, const char *comment, const char *inspection_matches);

/* deposits.c. Account rows: placement_id, unit_id, landlord_org_id, exit_date, exit_inspection_matches,
 * rent_cents, expected_cents, balance_cents, paid_cents, refunded_cents, deducted_cents, written_off_cents,
 * refund_due_on, status, family_name, given_names, move_in_date. SCOPE as for placements. */
enum db_status db_deposit_account(struct db *db, const char *commission_id, const char *placement_id,
                                  const struct access *scope, PGresult **res);
/* Rows: id, kind, amount_cents, effect_cents, entry_date, justification, reverses_entry_id, role, created_at. */
enum db_status db_deposit_entries(struct db *db, const char *commission_id, const char *placement_id,
                                  PGresult **res);
/* Row: kind, amount_cents. */
enum db_status db_deposit_entry(struct db *db, const char *commission_id, const char *placement_id,
                                const char *entry_id, PGresult **res);
/* F: commission, placement, kind, amount, effect, entry_date, justification, reverses, token, role. A negative
 * balance: SQLSTATE 23514 (deposit_balance_not_negative); a second reversal of one entry: 23505. */
enum db_status db_deposit_entry_insert(struct db *db, const char *const f[10], PGresult **res);
enum db_status db_deposit_account_list(struct db *db, const char *commission_id, const struct access *scope,
                                       const char *status, const char *landlord_id, const char *after_id,
                                       const char *limit, PGresult **res);
/* Rows: landlord_org_id (NULL: all), name, accounts, paid, held, refunded, deducted, written_off, overdue
 * accounts, overdue held, outstanding accounts. */
enum db_status db_deposit_report(struct db *db, const char *commission_id, PGresult **res);

/* reviews.c. Review rows: id, placement_id, review_date, care_followup, care_by_role, care_at, rent_status,
 * arrears_cents, rent_by_role, rent_at, housing, housing_by_role, housing_at, autonomy, autonomy_by_role,
 * autonomy_at, outcome, outcome_by_role, outcome_at, version, created_at, updated_at. SCOPE as for placements. */
enum db_status db_review_insert(struct db *db, const char *commission_id, const char *placement_id,
                                const char *review_date, PGresult **res);
enum db_status db_review_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                             bool for_update, PGresult **res);
enum db_status db_review_list(struct db *db, const char *commission_id, const char *placement_id,
                              const struct access *scope, PGresult **res);
/* PARTS: for care, rent, housing, autonomy, outcome in turn a "t"/"f" flag (write it?) and its value(s):
 * care_set, care, rent_set, rent_status, arrears_cents, housing_set, housing, autonomy_set, autonomy,
 * outcome_set, outcome. */
enum db_status db_review_update(struct db *db, const char *commission_id, const char *id,
                                const char *const parts[11], const char *token_id, const char *role);
/* Rows: placement_id, family_name, given_names, unit_id, unit label, town, move_in_date, last_review_date,
 * next_review_on, status (overdue, due, scheduled). STATUS filters (NULL: all active placements). */
enum db_status db_review_schedule(struct db *db, const char *commission_id, const struct access *scope,
                                  const char *status, const char *after_date, const char *after_id,
                                  const char *limit, PGresult **res);

/* incidents.c. Rows: id, placement_id, kind, description, arrears_cents, occurred_on, status, reported_by_role,
 * acknowledged_at, closed_at, closing_note, version, created_at, updated_at, family_name, given_names, unit label,
 * unit town, pagination key. SCOPE as for placements, narrowed by SQL_INCIDENT_SCOPE. */
/* F: commission, placement, kind, description, arrears_cents, occurred_on, role, token. */
enum db_status db_incident_insert(struct db *db, const char *const f[8], PGresult **res);
enum db_status db_incident_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                               bool for_update, PGresult **res);
enum db_status db_incident_list(struct db *db, const char *commission_id, const struct access *scope,
                                const char *status, const char *placement_id, const char *after_key,
                                const char *after_id, const char *limit, PGresult **res);
enum db_status db_incident_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *note);

/* status.c. One row: person id, family_name, given_names, protection, application id, status, submitted_at,
 * decision outcome, refusal_reason, decided_at, session_date, placement id, move_in_date, lease, exit_date,
 * unit label, unit town, deposit balance, deposit status, rent_status, arrears_cents, rent as of, next review
 * date, open incidents (JSON array). SCOPE: access to RES_PERSON. */
enum db_status db_person_status(struct db *db, const char *commission_id, const char *person_id,
                                const struct access *scope, PGresult **res);

/* reports.c: aggregate figures, never a person. FROM, TO, TODAY and DATE are YYYY-MM-DD (UTC days). */
/* One row: received, approve, refuse, defer, average waiting days (NULL when none), refusal reasons (JSON
 * object), admissions, exits by reason (JSON object), lease transfers, deposits paid, held, refunded, deducted,
 * written off, overdue accounts, reviews done, reviews overdue (as of TODAY), agreements to renew, sessions. */
enum db_status db_report_activity(struct db *db, const char *commission_id, const char *from, const char *to,
                                  const char *today, PGresult **res);
/* Rows per unit kind, then one with kind NULL for all: kind, units, places, occupied, vacant, out of service,
 * as of DATE. */
enum db_status db_report_occupancy(struct db *db, const char *commission_id, const char *date, PGresult **res);

/* audit.c. F: commission, token, role, action, method, route, object_type, object_id, request_id, status: a
 * write's entry inside its transaction, recorded only if the transaction wrote something (DB_ROW; DB_NO_ROW:
 * nothing recorded). */
enum db_status db_audit_insert(struct db *db, const char *const f[10]);
/* Rows: id, at, token_id, role, action, method, route, object_type, object_id, person_id, request_id, status,
 * chained (t/f), at with microseconds (the cursor); newest first. OBJECT matches the object or the person
 * concerned. */
enum db_status db_audit_list(struct db *db, const char *commission_id, const char *object_id, const char *token_id,
                             const char *from, const char *to, const char *before_at, const char *before_id,
                             const char *limit, PGresult **res);

/* export.c. One row, one column: the person's whole file as a JSON document. */
enum db_status db_person_export(struct db *db, const char *commission_id, const char *person_id, PGresult **res);

#endif
