/* Queries of the minutes' seals (include/minutes_seal.h). */
#include "minutes_seal.h"

#define SEAL_AUDIT(P)                                                                                            \
  P(commission_id) P(token_id) P(role) P(method) P(route) P(object_type) P(object_id) P(request_id) P(hash)
DB_STATEMENT(seal_audit, {
  "minutes_seal_audit",
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "
  "request_id, document_hash) VALUES (clock_timestamp(), :commission_id, :token_id::uuid, :role, 'create', :method, "
  ":route, :object_type, :object_id::uuid, :request_id, :hash)",
  DB_PARAMS(SEAL_AUDIT)});
DB_PARAMS_STRUCT(seal_audit_params, SEAL_AUDIT);

#define ANNEX_NEXT(P) P(commission_id) P(session_id) P(token_id)
DB_STATEMENT(annex_next, {
  "minutes_annex_next",
  "SELECT (SELECT coalesce(max(x.number), 0) + 1 FROM minutes_annexes x WHERE x.commission_id = m.commission_id "
  "AND x.session_id = m.session_id) AS number, (SELECT t.label FROM tokens t WHERE t.id = :token_id::uuid) AS "
  "by_label FROM session_minutes m WHERE m.commission_id = :commission_id AND m.session_id = :session_id "
  "FOR UPDATE OF m",
  DB_PARAMS(ANNEX_NEXT)});
DB_PARAMS_STRUCT(annex_next_params, ANNEX_NEXT);

#define ANNEX_INSERT(P) P(commission_id) P(session_id) P(number) P(decision_id) P(model) P(document) P(hash)
DB_STATEMENT(annex_insert, {
  "minutes_annex_insert",
  "INSERT INTO minutes_annexes (commission_id, session_id, number, decision_id, model, document, hash) VALUES "
  "(:commission_id, :session_id, :number::integer, :decision_id, :model, :document, :hash)",
  DB_PARAMS(ANNEX_INSERT)});
DB_PARAMS_STRUCT(annex_insert_params, ANNEX_INSERT);

#define ANNEXES(P) P(commission_id) P(session_id)
DB_STATEMENT(annexes, {
  "minutes_annexes",
  "SELECT " DB_COLUMNS(ANNEX_ROW) " FROM minutes_annexes x WHERE x.commission_id = :commission_id "
  "AND x.session_id = :session_id ORDER BY x.number",
  DB_PARAMS(ANNEXES)});
DB_PARAMS_STRUCT(annexes_params, ANNEXES);

enum db_status db_seal_audit(struct db *db, const struct seal_author *by, const char *object_type,
                             const char *object_id, const char *hash) {
  struct seal_audit_params p = {.commission_id = by->commission_id, .token_id = by->token_id, .role = by->role,
                                .method = by->method, .route = by->route, .object_type = object_type,
                                .object_id = object_id, .request_id = by->request_id, .hash = hash};
  enum db_status s = db_run_discard(db, &seal_audit, &p);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_annex_next(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                             PGresult **res) {
  struct annex_next_params p = {.commission_id = commission_id, .session_id = session_id, .token_id = token_id};
  return db_run(db, &annex_next, &p, res);
}

enum db_status db_annex_insert(struct db *db, const char *commission_id, const char *session_id, const char *number,
                               const char *decision_id, const char *model, const char *document, const char *hash) {
  struct annex_insert_params p = {.commission_id = commission_id, .session_id = session_id, .number = number,
                                  .decision_id = decision_id, .model = model, .document = document, .hash = hash};
  enum db_status s = db_run_discard(db, &annex_insert, &p);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_annexes(struct db *db, const char *commission_id, const char *session_id, PGresult **res) {
  struct annexes_params p = {.commission_id = commission_id, .session_id = session_id};
  return db_run(db, &annexes, &p, res);
}
