/* The queries each resource runs, one function per statement (src/db/<resource>.c). Every query that touches
 * a commission's data takes the commission id; results are returned as PGresult (caller PQclear()s). */
#ifndef COMMISSIOND_QUERIES_H
#define COMMISSIOND_QUERIES_H

#include "db.h"

/* RFC 3339 UTC text of a timestamptz column, as every query returns timestamps. */
#define SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The scope predicate on a person row ALIAS, given the $-parameters SCOPE (access_scope_param()) and ORG
 * (access_org_param()): the one place that says which people a scoped token sees. */
#define SQL_PERSON_SCOPE(alias, scope, org)                                                                    \
  "(" scope " = 'all' OR (" scope " = 'care_team' AND " alias ".care_team_id = " org "::uuid) OR (" scope  \
  " = 'curator' AND " alias ".curator_org_id = " org "::uuid))"
/* The same for a unit (or an agreement: its org_id column) and a landlord's token. */
#define SQL_LANDLORD_SCOPE(column, scope, org) "(" scope " = 'all' OR (" scope " = 'landlord' AND " column " = " org "::uuid))"

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
enum db_status db_token_revoke(struct db *db, const char *commission_id, const char *id, PGresult **res);

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

#endif
