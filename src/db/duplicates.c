/* Queries of the duplicates queue: requests recorded for the coordinator, pairs of files that look like one
 * person, distinct marks and links (include/duplicates.h). The coordinator alone reaches them (the route table). */
#include "duplicates.h"
#include "queries.h"

/* A person of the queue as the spec's DuplicatePerson. */
#define SQL_DUPLICATE_PERSON(p)                                                                                \
  "json_build_object('id', " p ".id, 'family_name', " p ".family_name, 'given_names', " p ".given_names, "      \
  "'birth_date', " SQL_DATE(p ".birth_date") ", 'care_team_id', " p ".care_team_id, 'curator_org_id', " p      \
  ".curator_org_id, 'created_at', " SQL_TS(p ".created_at") ")"
#define SQL_LIST_KEY(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

/* Pairs of files (A older than B, so each pair once), not marked distinct; then the open requests. Each enters
 * the queue when its newer part was recorded. */
#define DUPLICATE_QUEUE(P) P(commission_id) P(after_key) P(after_id) P(limit)
DB_STATEMENT(queue, {
  "duplicate_queue",
  "SELECT " DB_COLUMNS(DUPLICATE_ITEM_ROW) " FROM ("
  "SELECT json_build_object('kind', 'files', 'people', json_build_array(" SQL_DUPLICATE_PERSON("a") ", "
  SQL_DUPLICATE_PERSON("b") "), 'evidence', " SQL_DUPLICATE_EVIDENCE("a", "b") ", 'request', NULL)::text AS item, "
  SQL_LIST_KEY("b.created_at") " AS list_key, a.id::text || '/' || b.id::text AS item_key "
  "FROM people a JOIN people b ON b.commission_id = a.commission_id AND (a.created_at, a.id) < (b.created_at, b.id) "
  "AND " SQL_PERSON_MATCHES("b", "a.family_key", "a.given_key", "a.birth_date")
  " WHERE a.commission_id = :commission_id AND NOT EXISTS (SELECT 1 FROM person_distinct_pairs d "
  "WHERE d.commission_id = a.commission_id AND d.person_a = least(a.id, b.id) AND d.person_b = greatest(a.id, b.id)) "
  "UNION ALL "
  "SELECT json_build_object('kind', 'request', 'people', json_build_array(" SQL_DUPLICATE_PERSON("p") "), "
  "'evidence', " SQL_DUPLICATE_EVIDENCE("p", "r") ", 'request', json_build_object('id', r.id, 'family_name', "
  "r.family_name, 'given_names', r.given_names, 'birth_date', " SQL_DATE("r.birth_date") ", 'requested_by_role', "
  "r.requested_by_role, 'requested_by_org_id', r.requested_by_org_id, 'requested_at', " SQL_TS("r.created_at")
  "))::text, " SQL_LIST_KEY("r.created_at") ", r.id::text "
  "FROM person_duplicate_requests r JOIN people p ON p.commission_id = r.commission_id AND p.id = r.person_id "
  "WHERE r.commission_id = :commission_id AND r.resolved_at IS NULL) q "
  "WHERE :after_key::text IS NULL OR (q.list_key, q.item_key) > (:after_key, :after_id) "
  "ORDER BY q.list_key, q.item_key LIMIT :limit::integer",
  DB_PARAMS(DUPLICATE_QUEUE)
});
DB_PARAMS_STRUCT(duplicate_queue_params, DUPLICATE_QUEUE);

#define DUPLICATE_REQUEST_RECORD(P)                                                                              \
  P(commission_id) P(family_name) P(given_names) P(birth_date) P(scope) P(org) P(role) P(token_id)
DB_STATEMENT(request_record, {
  "duplicate_request_record",
  "INSERT INTO person_duplicate_requests (commission_id, person_id, family_name, given_names, birth_date, "
  "requested_by_role, requested_by_org_id, token_id) "
  "SELECT p.commission_id, p.id, :family_name, :given_names, :birth_date::date, :role, :org::uuid, :token_id::uuid "
  "FROM " SQL_PERSON_CANDIDATES("p", ":commission_id::uuid", ":family_name", ":given_names", ":birth_date::date")
  " WHERE NOT coalesce(" SQL_PERSON_SCOPE("p", ":scope", ":org") ", false)",
  DB_PARAMS(DUPLICATE_REQUEST_RECORD)
});
DB_PARAMS_STRUCT(duplicate_request_record_params, DUPLICATE_REQUEST_RECORD);

#define DUPLICATE_FILES_LOCK(P) P(commission_id) P(id) P(other_id)
DB_STATEMENT(files_lock, {
  "duplicate_files_lock",
  "SELECT " DB_COLUMNS(DUPLICATE_FILE_ROW) " FROM people p WHERE p.commission_id = :commission_id "
  "AND p.id IN (:id::uuid, :other_id::uuid) ORDER BY p.id FOR UPDATE",
  DB_PARAMS(DUPLICATE_FILES_LOCK)
});
DB_PARAMS_STRUCT(duplicate_files_lock_params, DUPLICATE_FILES_LOCK);

#define DUPLICATE_REQUEST_LOCK(P) P(commission_id) P(id) P(person_id)
DB_STATEMENT(request_lock, {
  "duplicate_request_lock",
  "SELECT r.id FROM person_duplicate_requests r WHERE r.commission_id = :commission_id AND r.id = :id::uuid "
  "AND r.person_id = :person_id::uuid AND r.resolved_at IS NULL FOR UPDATE",
  DB_PARAMS(DUPLICATE_REQUEST_LOCK)
});
DB_PARAMS_STRUCT(duplicate_request_lock_params, DUPLICATE_REQUEST_LOCK);

#define DUPLICATE_REQUEST_RESOLVE(P) P(commission_id) P(id) P(resolution) P(token_id)
DB_STATEMENT(request_resolve, {
  "duplicate_request_resolve",
  "UPDATE person_duplicate_requests SET resolved_at = now(), resolution = :resolution, "
  "resolved_by_token_id = :token_id::uuid WHERE commission_id = :commission_id AND id = :id::uuid "
  "AND resolved_at IS NULL",
  DB_PARAMS(DUPLICATE_REQUEST_RESOLVE)
});
DB_PARAMS_STRUCT(duplicate_request_resolve_params, DUPLICATE_REQUEST_RESOLVE);

#define DUPLICATE_MARK_DISTINCT(P) P(commission_id) P(id) P(other_id) P(token_id)
DB_STATEMENT(mark_distinct, {
  "duplicate_mark_distinct",
  "INSERT INTO person_distinct_pairs (commission_id, person_a, person_b, token_id) "
  "VALUES (:commission_id, least(:id::uuid, :other_id::uuid), greatest(:id::uuid, :other_id::uuid), "
  ":token_id::uuid) ON CONFLICT DO NOTHING",
  DB_PARAMS(DUPLICATE_MARK_DISTINCT)
});
DB_PARAMS_STRUCT(duplicate_mark_distinct_params, DUPLICATE_MARK_DISTINCT);

#define DUPLICATE_LINK(P) P(commission_id) P(kept_id) P(merged_id) P(token_id)
DB_STATEMENT(link, {
  "duplicate_link",
  "SELECT " DB_COLUMNS(DUPLICATE_LINK_ROW) " FROM person_link(:commission_id::uuid, :kept_id::uuid, "
  ":merged_id::uuid, :token_id::uuid) l",
  DB_PARAMS(DUPLICATE_LINK)
});
DB_PARAMS_STRUCT(duplicate_link_params, DUPLICATE_LINK);

#define PERSON_MERGED_INTO(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(merged_into, {
  "person_merged_into",
  "SELECT " DB_COLUMNS(PERSON_MERGED_ROW) " FROM person_merges m JOIN people p ON p.commission_id = "
  "m.commission_id AND p.id = m.into_id WHERE m.commission_id = :commission_id AND m.merged_id = :id::uuid AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org"),
  DB_PARAMS(PERSON_MERGED_INTO)
});
DB_PARAMS_STRUCT(person_merged_into_params, PERSON_MERGED_INTO);

enum db_status db_duplicate_queue(struct db *db, const char *commission_id, const char *after_key,
                                  const char *after_id, const char *limit, PGresult **res) {
  struct duplicate_queue_params p = {.commission_id = commission_id, .after_key = after_key, .after_id = after_id,
                                     .limit = limit};
  return db_run(db, &queue, &p, res);
}

enum db_status db_duplicate_request_record(struct db *db, const struct duplicate_request_fields *f) {
  struct duplicate_request_record_params p = {
    .commission_id = f->commission_id, .family_name = f->family_name, .given_names = f->given_names,
    .birth_date = f->birth_date, .scope = f->scope, .org = f->org, .role = f->role, .token_id = f->token_id};
  return db_run_discard(db, &request_record, &p);
}

enum db_status db_duplicate_files_lock(struct db *db, const char *commission_id, const char *id,
                                       const char *other_id, PGresult **res) {
  struct duplicate_files_lock_params p = {.commission_id = commission_id, .id = id, .other_id = other_id};
  return db_run(db, &files_lock, &p, res);
}

enum db_status db_duplicate_request_lock(struct db *db, const char *commission_id, const char *request_id,
                                         const char *person_id) {
  struct duplicate_request_lock_params p = {.commission_id = commission_id, .id = request_id,
                                            .person_id = person_id};
  PGresult *res;
  enum db_status s = db_run(db, &request_lock, &p, &res);
  PQclear(res);
  return s;
}

enum db_status db_duplicate_request_resolve(struct db *db, const char *commission_id, const char *request_id,
                                            const char *resolution, const char *token_id) {
  struct duplicate_request_resolve_params p = {.commission_id = commission_id, .id = request_id,
                                               .resolution = resolution, .token_id = token_id};
  return db_run_discard(db, &request_resolve, &p);
}

enum db_status db_duplicate_mark_distinct(struct db *db, const char *commission_id, const char *id,
                                          const char *other_id, const char *token_id) {
  struct duplicate_mark_distinct_params p = {.commission_id = commission_id, .id = id, .other_id = other_id,
                                             .token_id = token_id};
  return db_run_discard(db, &mark_distinct, &p);
}

enum db_status db_duplicate_link(struct db *db, const char *commission_id, const char *kept_id,
                                 const char *merged_id, const char *token_id, PGresult **res) {
  struct duplicate_link_params p = {.commission_id = commission_id, .kept_id = kept_id, .merged_id = merged_id,
                                    .token_id = token_id};
  return db_run(db, &link, &p, res);
}

enum db_status db_person_merged_into(struct db *db, const char *commission_id, const char *id, const char *scope,
                                     const char *org, PGresult **res) {
  struct person_merged_into_params p = {.commission_id = commission_id, .id = id, .scope = scope, .org = org};
  return db_run(db, &merged_into, &p, res);
}
