/* Queries on applications (demandes) and their history. Every read joins the person, so that the scope
 * predicate on people is the one that decides which applications a token sees. */
#include "queries.h"

#define APP_COLS                                                                                                 \
  "a.id, a.person_id, a.situation, to_json(a.wished_unit_kinds), to_json(a.wished_towns), a.urgency, "           \
  "a.referent_name, a.status, " SQL_TS("a.submitted_at") ", " SQL_TS("a.decided_at") ", "                        \
  "CASE WHEN a.submitted_at IS NULL THEN NULL ELSE current_date - (a.submitted_at AT TIME ZONE 'UTC')::date END, " \
  "a.created_by_role, a.version, " SQL_TS("a.created_at") ", " SQL_TS("a.updated_at") ", p.family_name, "         \
  "p.given_names, p.birth_date, to_char(coalesce(a.submitted_at, a.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

#define APP_FROM                                                                                                 \
  " FROM applications a JOIN people p ON p.commission_id = a.commission_id AND p.id = a.person_id "

DB_STATEMENT(insert, {
  "application_insert",
  "INSERT INTO applications (commission_id, person_id, situation, wished_unit_kinds, wished_towns, urgency, "
  "referent_name, status, submitted_at, created_by_token_id, created_by_role) "
  "SELECT $1, p.id, $5, ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), "
  "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8, $9, $10, "
  "CASE WHEN $10 = 'submitted' THEN now() END, $11, $12 FROM people p WHERE p.commission_id = $1 AND p.id = $2 AND "
  SQL_PERSON_SCOPE("p", "$3", "$4") " RETURNING id",
  12, NULL
});

DB_STATEMENT(get, {
  "application_get",
  "SELECT " APP_COLS APP_FROM "WHERE a.commission_id = $1 AND a.id = $2 AND " SQL_PERSON_SCOPE("p", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "application_get_for_update",
  "SELECT " APP_COLS APP_FROM "WHERE a.commission_id = $1 AND a.id = $2 AND " SQL_PERSON_SCOPE("p", "$3", "$4")
  " FOR UPDATE OF a",
  4, NULL
});

/* The waiting list: oldest submission first. */
DB_STATEMENT(list, {
  "application_list",
  "SELECT " APP_COLS APP_FROM "WHERE a.commission_id = $1 AND " SQL_PERSON_SCOPE("p", "$2", "$3")
  " AND ($4::text IS NULL OR a.status = $4) AND ($5::uuid IS NULL OR a.person_id = $5::uuid) "
  "AND ($6::text IS NULL OR (coalesce(a.submitted_at, a.created_at), a.id) > ($6::timestamp AT TIME ZONE 'UTC', "
  "$7::uuid)) ORDER BY coalesce(a.submitted_at, a.created_at), a.id LIMIT $8::integer",
  8, NULL
});

DB_STATEMENT(update, {
  "application_update",
  "UPDATE applications SET situation = $3, wished_unit_kinds = ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
  "wished_towns = ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), urgency = $6, referent_name = $7, "
  "version = version + 1, updated_at = now() WHERE commission_id = $1 AND id = $2",
  7, NULL
});

/* Moves an application from FROM to TO and records the event, in one statement; no row when it was not in
 * FROM any more (a concurrent change). */
DB_STATEMENT(move, {
  "application_move",
  "WITH moved AS (UPDATE applications SET status = $3, version = version + 1, updated_at = now(), "
  "submitted_at = CASE WHEN $3 = 'submitted' AND submitted_at IS NULL THEN now() ELSE submitted_at END, "
  "decided_at = CASE WHEN $3 IN ('approved', 'refused', 'deferred') THEN now() ELSE decided_at END "
  "WHERE commission_id = $1 AND id = $2 AND status = $4 RETURNING commission_id, id) "
  "INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, forced, "
  "session_id, token_id, role) SELECT commission_id, id, $4, $3, $5, $6::boolean, $7::uuid, $8::uuid, $9 FROM moved "
  "RETURNING application_id",
  9, NULL
});

DB_STATEMENT(created_event, {
  "application_created_event",
  "INSERT INTO application_events (commission_id, application_id, from_status, to_status, token_id, role) "
  "VALUES ($1, $2, NULL, $3, $4, $5)",
  5, NULL
});

DB_STATEMENT(events, {
  "application_events",
  "SELECT e.id, e.from_status, e.to_status, e.reason, e.forced, e.session_id, e.role, " SQL_TS("e.at")
  " FROM application_events e WHERE e.commission_id = $1 AND e.application_id = $2 ORDER BY e.id",
  2, NULL
});

DB_STATEMENT(lapse, {"applications_lapse", "SELECT applications_lapse($1::uuid)", 1, NULL});

enum db_status db_application_insert(struct db *db, const char *commission_id, const char *person_id,
                                     const struct access *scope, const char *const fields[6], const char *token_id,
                                     const char *role, PGresult **res) {
  const char *params[] = {commission_id, person_id, access_scope_param(scope), access_org_param(scope), fields[0],
                          fields[1], fields[2], fields[3], fields[4], fields[5], token_id, role};
  return db_exec(db, &insert, params, res);
}

enum db_status db_application_created(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *token_id, const char *role) {
  const char *params[] = {commission_id, id, status, token_id, role};
  PGresult *res;
  enum db_status s = db_exec(db, &created_event, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_application_get(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_application_list(struct db *db, const char *commission_id, const struct access *scope,
                                   const char *status, const char *person_id, const char *after_key,
                                   const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, access_scope_param(scope), access_org_param(scope), status, person_id,
                          after_key, after_id, limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_application_update(struct db *db, const char *commission_id, const char *id,
                                     const char *const fields[5]) {
  const char *params[] = {commission_id, id, fields[0], fields[1], fields[2], fields[3], fields[4]};
  PGresult *res;
  enum db_status s = db_exec(db, &update, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_application_move(struct db *db, const char *commission_id, const char *id, const char *from,
                                   const char *to, const char *reason, bool forced, const char *session_id,
                                   const char *token_id, const char *role) {
  const char *params[] = {commission_id, id, to, from, reason, forced ? "t" : "f", session_id, token_id, role};
  PGresult *res;
  enum db_status s = db_exec(db, &move, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_application_events(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  const char *params[] = {commission_id, id};
  return db_exec(db, &events, params, res);
}

enum db_status db_applications_lapse(struct db *db, const char *commission_id) {
  const char *params[] = {commission_id};
  PGresult *res;
  enum db_status s = db_exec(db, &lapse, params, &res);
  PQclear(res);
  return s;
}
