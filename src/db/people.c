/* Queries on the people (usagers) a commission follows, and their care notes. Every query that reads or
 * changes a person takes the scope parameters of access_scope_param() / access_org_param(), so that a scoped
 * token never reaches a person outside its care team or curator service (SQL_PERSON_SCOPE). */
#include "queries.h"

#define DATE_TEXT(col) "to_char(" col ", 'YYYY-MM-DD')"
#define PERSON_COLS                                                                                              \
  "p.id, p.family_name, p.given_names, " DATE_TEXT("p.birth_date") ", p.phone, p.email, p.address, "            \
  "p.care_team_id, p.protection, p.curator_org_id, " DATE_TEXT("p.protection_start") ", "                       \
  DATE_TEXT("p.protection_end") ", p.version, " SQL_TS("p.created_at") ", " SQL_TS("p.updated_at")
/* Microseconds, for a cursor that must sort exactly as the column does. */
#define NOTE_COLS                                                                                                \
  "n.id, n.person_id, n.body, n.author_role, " SQL_TS("n.created_at") ", "                                       \
  "to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

DB_STATEMENT(insert, {
  "person_insert",
  "INSERT INTO people AS p (commission_id, family_name, given_names, birth_date, phone, email, address, "
  "care_team_id, protection, curator_org_id, protection_start, protection_end) "
  "VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8::uuid, $9, $10::uuid, $11::date, $12::date) RETURNING " PERSON_COLS,
  12, NULL
});

DB_STATEMENT(get, {
  "person_get",
  "SELECT " PERSON_COLS " FROM people p WHERE p.commission_id = $1 AND p.id = $2 AND "
  SQL_PERSON_SCOPE("p", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "person_get_for_update",
  "SELECT " PERSON_COLS " FROM people p WHERE p.commission_id = $1 AND p.id = $2 AND "
  SQL_PERSON_SCOPE("p", "$3", "$4") " FOR UPDATE",
  4, NULL
});

DB_STATEMENT(update, {
  "person_update",
  "UPDATE people AS p SET family_name = $3, given_names = $4, birth_date = $5::date, phone = $6, email = $7, "
  "address = $8, care_team_id = $9::uuid, protection = $10, curator_org_id = $11::uuid, "
  "protection_start = $12::date, protection_end = $13::date, version = p.version + 1, updated_at = now() "
  "WHERE p.commission_id = $1 AND p.id = $2 RETURNING " PERSON_COLS,
  13, NULL
});

DB_STATEMENT(list, {
  "person_list",
  "SELECT " PERSON_COLS " FROM people p WHERE p.commission_id = $1 AND " SQL_PERSON_SCOPE("p", "$2", "$3")
  " AND ($4::text IS NULL OR starts_with(lower(p.family_name), lower($4))) "
  "AND ($5::uuid IS NULL OR p.care_team_id = $5::uuid) "
  "AND ($6::text IS NULL OR (p.family_name, p.given_names, p.id) > ($6, $7, $8::uuid)) "
  "ORDER BY p.family_name, p.given_names, p.id LIMIT $9::integer",
  9, NULL
});

/* Two creations of the same person at once: the second waits for the first, then sees it as a duplicate. */
DB_STATEMENT(duplicate_lock, {
  "person_duplicate_lock",
  "SELECT pg_advisory_xact_lock(hashtext('commissiond.people'), "
  "hashtext($1 || '/' || lower($2) || '/' || $3::date::text))",
  3, NULL
});

DB_STATEMENT(duplicates, {
  "person_duplicates",
  "SELECT p.id, p.family_name, p.given_names, " DATE_TEXT("p.birth_date") ", " SQL_PERSON_SCOPE("p", "$5", "$6")
  " FROM people p WHERE p.commission_id = $1 AND p.birth_date = $2::date AND lower(p.family_name) = lower($3) "
  "AND lower(p.given_names) = lower($4) ORDER BY p.family_name, p.given_names, p.id LIMIT 50",
  6, NULL
});

/* The person must exist and be in scope: no row otherwise. */
DB_STATEMENT(note_insert, {
  "care_note_insert",
  "INSERT INTO care_notes AS n (commission_id, person_id, body, author_token_id, author_role) "
  "SELECT p.commission_id, p.id, $5, $6::uuid, $7 FROM people p WHERE p.commission_id = $1 AND p.id = $2 AND "
  SQL_PERSON_SCOPE("p", "$3", "$4") " RETURNING " NOTE_COLS,
  7, NULL
});

DB_STATEMENT(note_list, {
  "care_note_list",
  "SELECT " NOTE_COLS " FROM care_notes n WHERE n.commission_id = $1 AND n.person_id = $2 "
  "AND ($3::text IS NULL OR (n.created_at, n.id) < ($3::timestamptz, $4::uuid)) "
  "ORDER BY n.created_at DESC, n.id DESC LIMIT $5::integer",
  5, NULL
});

enum db_status db_person_insert(struct db *db, const char *commission_id, const char *const f[11], PGresult **res) {
  const char *params[] = {commission_id, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]};
  return db_exec(db, &insert, params, res);
}

enum db_status db_person_get(struct db *db, const char *commission_id, const char *id, const char *scope,
                             const char *org, bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, scope, org};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_person_update(struct db *db, const char *commission_id, const char *id, const char *const f[11],
                                PGresult **res) {
  const char *params[] = {commission_id, id, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]};
  return db_exec(db, &update, params, res);
}

enum db_status db_person_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                              const char *q, const char *care_team_id, const char *const after[3], const char *limit,
                              PGresult **res) {
  const char *params[] = {commission_id, scope, org, q, care_team_id, after[0], after[1], after[2], limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_person_duplicates(struct db *db, const char *commission_id, const char *family_name,
                                    const char *given_names, const char *birth_date, const char *scope,
                                    const char *org, PGresult **res) {
  const char *lock_params[] = {commission_id, family_name, birth_date};
  PGresult *lock;
  *res = NULL;
  enum db_status s = db_exec(db, &duplicate_lock, lock_params, &lock);
  PQclear(lock);
  if (s < 0)
    return s;
  const char *params[] = {commission_id, birth_date, family_name, given_names, scope, org};
  return db_exec(db, &duplicates, params, res);
}

enum db_status db_care_note_insert(struct db *db, const char *commission_id, const char *person_id,
                                   const char *scope, const char *org, const char *body, const char *token_id,
                                   const char *role, PGresult **res) {
  const char *params[] = {commission_id, person_id, scope, org, body, token_id, role};
  return db_exec(db, &note_insert, params, res);
}

enum db_status db_care_note_list(struct db *db, const char *commission_id, const char *person_id,
                                 const char *before_created, const char *before_id, const char *limit,
                                 PGresult **res) {
  const char *params[] = {commission_id, person_id, before_created, before_id, limit};
  return db_exec(db, &note_list, params, res);
}
