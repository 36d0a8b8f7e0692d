/* Queries on the people (usagers) a commission follows, and their care notes. Every query that reads or
 * changes a person takes the scope parameters of access_scope_param() / access_org_param(), so that a scoped
 * token never reaches a person outside its care team or curator service (SQL_PERSON_SCOPE). */
#include "duplicates.h"
#include "queries.h"

#define PERSON_INSERT(P)                                                                                         \
  P(commission_id) P(family_name) P(given_names) P(birth_date) P(phone) P(email) P(address) P(care_team_id)       \
  P(protection) P(curator_org_id) P(protection_start) P(protection_end)
DB_STATEMENT(insert, {
  "person_insert",
  "INSERT INTO people AS p (commission_id, family_name, given_names, birth_date, phone, email, address, "
  "care_team_id, protection, curator_org_id, protection_start, protection_end) "
  "VALUES (:commission_id, :family_name, :given_names, :birth_date::date, :phone, :email, :address, "
  ":care_team_id::uuid, :protection, :curator_org_id::uuid, :protection_start::date, :protection_end::date) "
  "RETURNING " DB_COLUMNS(PERSON_ROW),
  DB_PARAMS(PERSON_INSERT)
});
DB_PARAMS_STRUCT(person_insert_params, PERSON_INSERT);

#define PERSON_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {
  "person_get",
  "SELECT " DB_COLUMNS(PERSON_ROW) " FROM people p WHERE p.commission_id = :commission_id AND p.id = :id AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org"),
  DB_PARAMS(PERSON_GET)
});
DB_STATEMENT(get_for_update, {
  "person_get_for_update",
  "SELECT " DB_COLUMNS(PERSON_ROW) " FROM people p WHERE p.commission_id = :commission_id AND p.id = :id AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org") " FOR UPDATE",
  DB_PARAMS(PERSON_GET)
});
DB_PARAMS_STRUCT(person_get_params, PERSON_GET);

#define PERSON_UPDATE(P)                                                                                         \
  P(commission_id) P(id) P(family_name) P(given_names) P(birth_date) P(phone) P(email) P(address) P(care_team_id) \
  P(protection) P(curator_org_id) P(protection_start) P(protection_end)
DB_STATEMENT(update, {
  "person_update",
  "UPDATE people AS p SET family_name = :family_name, given_names = :given_names, birth_date = :birth_date::date, "
  "phone = :phone, email = :email, address = :address, care_team_id = :care_team_id::uuid, "
  "protection = :protection, curator_org_id = :curator_org_id::uuid, "
  "protection_start = :protection_start::date, protection_end = :protection_end::date, version = p.version + 1, "
  "updated_at = now() WHERE p.commission_id = :commission_id AND p.id = :id RETURNING " DB_COLUMNS(PERSON_ROW),
  DB_PARAMS(PERSON_UPDATE)
});
DB_PARAMS_STRUCT(person_update_params, PERSON_UPDATE);

#define PERSON_LIST(P)                                                                                           \
  P(commission_id) P(scope) P(org) P(q) P(care_team_id) P(after_family) P(after_given) P(after_id) P(limit)
DB_STATEMENT(list, {
  "person_list",
  "SELECT " DB_COLUMNS(PERSON_ROW) " FROM people p WHERE p.commission_id = :commission_id AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org")
  " AND (:q::text IS NULL OR starts_with(lower(p.family_name), lower(:q))) "
  "AND (:care_team_id::uuid IS NULL OR p.care_team_id = :care_team_id::uuid) "
  "AND (:after_family::text IS NULL OR (p.family_name, p.given_names, p.id) > (:after_family, :after_given, "
  ":after_id::uuid)) ORDER BY p.family_name, p.given_names, p.id LIMIT :limit::integer",
  DB_PARAMS(PERSON_LIST)
});
DB_PARAMS_STRUCT(person_list_params, PERSON_LIST);

/* Two creations of the same person at once: the second waits for the first, then sees it as a duplicate. The
 * lock is per birth date, since the names may be written differently (or swapped). */
#define PERSON_DUPLICATE_LOCK(P) P(commission_id) P(birth_date)
DB_STATEMENT(duplicate_lock, {
  "person_duplicate_lock",
  "SELECT pg_advisory_xact_lock(hashtext('commissiond.people'), "
  "hashtext(:commission_id || '/' || :birth_date::date::text))",
  DB_PARAMS(PERSON_DUPLICATE_LOCK)
});
DB_PARAMS_STRUCT(person_duplicate_lock_params, PERSON_DUPLICATE_LOCK);

#define PERSON_DUPLICATES(P) P(commission_id) P(birth_date) P(family_name) P(given_names) P(scope) P(org)
DB_STATEMENT(duplicates, {
  "person_duplicates",
  "SELECT " DB_COLUMNS(PERSON_DUPLICATE_ROW) " FROM "
  SQL_PERSON_CANDIDATES("p", ":commission_id::uuid", ":family_name", ":given_names", ":birth_date::date")
  " ORDER BY p.family_name, p.given_names, p.id LIMIT 50",
  DB_PARAMS(PERSON_DUPLICATES)
});
DB_PARAMS_STRUCT(person_duplicates_params, PERSON_DUPLICATES);

/* The person must exist and be in scope: no row otherwise. */
#define CARE_NOTE_INSERT(P) P(commission_id) P(person_id) P(scope) P(org) P(body) P(token_id) P(role)
DB_STATEMENT(note_insert, {
  "care_note_insert",
  "INSERT INTO care_notes AS n (commission_id, person_id, body, author_token_id, author_role) "
  "SELECT p.commission_id, p.id, :body, :token_id::uuid, :role FROM people p WHERE p.commission_id = "
  ":commission_id AND p.id = :person_id AND " SQL_PERSON_SCOPE("p", ":scope", ":org")
  " RETURNING " DB_COLUMNS(CARE_NOTE_ROW),
  DB_PARAMS(CARE_NOTE_INSERT)
});
DB_PARAMS_STRUCT(care_note_insert_params, CARE_NOTE_INSERT);

#define CARE_NOTE_LIST(P) P(commission_id) P(person_id) P(before_created) P(before_id) P(limit)
DB_STATEMENT(note_list, {
  "care_note_list",
  "SELECT " DB_COLUMNS(CARE_NOTE_ROW) " FROM care_notes n WHERE n.commission_id = :commission_id "
  "AND n.person_id = :person_id AND (:before_created::text IS NULL OR (n.created_at, n.id) < "
  "(:before_created::timestamptz, :before_id::uuid)) ORDER BY n.created_at DESC, n.id DESC LIMIT :limit::integer",
  DB_PARAMS(CARE_NOTE_LIST)
});
DB_PARAMS_STRUCT(care_note_list_params, CARE_NOTE_LIST);

enum db_status db_person_insert(struct db *db, const char *commission_id, const struct person_fields *f,
                                PGresult **res) {
  struct person_insert_params p = {
    .commission_id = commission_id, .family_name = f->family_name, .given_names = f->given_names,
    .birth_date = f->birth_date, .phone = f->phone, .email = f->email, .address = f->address,
    .care_team_id = f->care_team_id, .protection = f->protection, .curator_org_id = f->curator_org_id,
    .protection_start = f->protection_start, .protection_end = f->protection_end};
  return db_run(db, &insert, &p, res);
}

enum db_status db_person_get(struct db *db, const char *commission_id, const char *id, const char *scope,
                             const char *org, bool for_update, PGresult **res) {
  struct person_get_params p = {.commission_id = commission_id, .id = id, .scope = scope, .org = org};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_person_update(struct db *db, const char *commission_id, const char *id,
                                const struct person_fields *f, PGresult **res) {
  struct person_update_params p = {
    .commission_id = commission_id, .id = id, .family_name = f->family_name, .given_names = f->given_names,
    .birth_date = f->birth_date, .phone = f->phone, .email = f->email, .address = f->address,
    .care_team_id = f->care_team_id, .protection = f->protection, .curator_org_id = f->curator_org_id,
    .protection_start = f->protection_start, .protection_end = f->protection_end};
  return db_run(db, &update, &p, res);
}

enum db_status db_person_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                              const char *q, const char *care_team_id, const char *const after[3], const char *limit,
                              PGresult **res) {
  struct person_list_params p = {.commission_id = commission_id, .scope = scope, .org = org, .q = q,
                                 .care_team_id = care_team_id, .after_family = after[0], .after_given = after[1],
                                 .after_id = after[2], .limit = limit};
  return db_run(db, &list, &p, res);
}

enum db_status db_person_duplicates(struct db *db, const char *commission_id, const char *family_name,
                                    const char *given_names, const char *birth_date, const char *scope,
                                    const char *org, PGresult **res) {
  struct person_duplicate_lock_params lp = {.commission_id = commission_id, .birth_date = birth_date};
  PGresult *lock;
  *res = NULL;
  enum db_status s = db_run(db, &duplicate_lock, &lp, &lock);
  PQclear(lock);
  if (s < 0)
    return s;
  struct person_duplicates_params p = {.commission_id = commission_id, .birth_date = birth_date,
                                       .family_name = family_name, .given_names = given_names, .scope = scope,
                                       .org = org};
  return db_run(db, &duplicates, &p, res);
}

enum db_status db_care_note_insert(struct db *db, const char *commission_id, const char *person_id,
                                   const char *scope, const char *org, const char *body, const char *token_id,
                                   const char *role, PGresult **res) {
  struct care_note_insert_params p = {.commission_id = commission_id, .person_id = person_id, .scope = scope,
                                      .org = org, .body = body, .token_id = token_id, .role = role};
  return db_run(db, &note_insert, &p, res);
}

enum db_status db_care_note_list(struct db *db, const char *commission_id, const char *person_id,
                                 const char *before_created, const char *before_id, const char *limit,
                                 PGresult **res) {
  struct care_note_list_params p = {.commission_id = commission_id, .person_id = person_id,
                                    .before_created = before_created, .before_id = before_id, .limit = limit};
  return db_run(db, &note_list, &p, res);
}
