/* Queries on the audit trail: recording a write's entry in its own transaction, and reading the trail for the
 * coordinator. Other entries go through the queue (audit_queue.c). */
#include "audit_db.h"
#include "queries.h"

/* at: the moment of the insert (not of the transaction's start), so that entries' times follow their order. */
#define AUDIT_INSERT                                                                                             \
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "   \
  "person_id, request_id, status, client_address) SELECT clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, "       \
  "$8::uuid, " AUDIT_PERSON("$1", "$7", "$8") ", $9, $10::integer, $11::inet"

/* A write's entry, in the write's transaction: only when the transaction did write (has a transaction id), so
 * that a refusal which changed nothing is recorded by the completed request instead, with its real status. */
DB_STATEMENT(insert_if_written, {
  "audit_insert_if_written", AUDIT_INSERT " WHERE pg_current_xact_id_if_assigned() IS NOT NULL", .nparams = 11});

#define AUDIT_LIST(P)                                                                                            \
  P(commission_id) P(object_id) P(token_id) P(from) P(to) P(before_at) P(before_id) P(limit)
DB_STATEMENT(list, {
  "audit_list",
  "SELECT " DB_COLUMNS(AUDIT_ENTRY_ROW) " FROM audit_log e WHERE e.commission_id = :commission_id "
  "AND (:object_id::uuid IS NULL OR " SQL_AUDIT_ABOUT("e", ":object_id::uuid") ") "
  "AND (:token_id::uuid IS NULL OR e.token_id = :token_id::uuid) AND (:from::date IS NULL OR e.at >= :from::date) "
  "AND (:to::date IS NULL OR e.at < :to::date + 1) "
  "AND (:before_at::text IS NULL OR (e.at, e.id) < (:before_at::timestamp AT TIME ZONE 'UTC', :before_id::bigint)) "
  "ORDER BY e.at DESC, e.id DESC LIMIT :limit::integer",
  DB_PARAMS(AUDIT_LIST)
});
DB_PARAMS_STRUCT(audit_list_params, AUDIT_LIST);

enum db_status db_audit_insert(struct db *db, const char *const f[AUDIT_FIELDS], enum db_status *done) {
  return db_exec_at_commit(db, &insert_if_written, f, AUDIT_FIELDS, done);
}

enum db_status db_audit_list(struct db *db, const char *commission_id, const char *object_id, const char *token_id,
                             const char *from, const char *to, const char *before_at, const char *before_id,
                             const char *limit, PGresult **res) {
  struct audit_list_params p = {.commission_id = commission_id, .object_id = object_id, .token_id = token_id,
                                .from = from, .to = to, .before_at = before_at, .before_id = before_id,
                                .limit = limit};
  return db_run(db, &list, &p, res);
}
