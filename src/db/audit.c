/* Queries on the audit trail: recording a write's entry in its own transaction, and reading the trail for the
 * coordinator. Other entries go through the queue (audit_queue.c). */
#include "queries.h"

/* at: the moment of the insert (not of the transaction's start), so that entries' times follow their order. */
#define AUDIT_INSERT                                                                                             \
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "   \
  "person_id, request_id, status) SELECT clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, $8::uuid, "             \
  AUDIT_PERSON("$1", "$7", "$8") ", $9, $10::integer"

/* A write's entry, in the write's transaction: only when the transaction did write (has a transaction id), so
 * that a refusal which changed nothing is recorded by the completed request instead, with its real status. */
DB_STATEMENT(insert_if_written, {
  "audit_insert_if_written", AUDIT_INSERT " WHERE pg_current_xact_id_if_assigned() IS NOT NULL", 10, NULL});

DB_STATEMENT(list, {
  "audit_list",
  "SELECT e.id, " SQL_TS("e.at") ", e.token_id, e.role, e.action, e.method, e.route, e.object_type, e.object_id, "
  "e.person_id, e.request_id, e.status, e.chain_pos IS NOT NULL, "
  "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM audit_log e WHERE e.commission_id = $1 "
  "AND ($2::uuid IS NULL OR e.object_id = $2::uuid OR e.person_id = $2::uuid) "
  "AND ($3::uuid IS NULL OR e.token_id = $3::uuid) AND ($4::date IS NULL OR e.at >= $4::date) "
  "AND ($5::date IS NULL OR e.at < $5::date + 1) "
  "AND ($6::text IS NULL OR (e.at, e.id) < ($6::timestamp AT TIME ZONE 'UTC', $7::bigint)) "
  "ORDER BY e.at DESC, e.id DESC LIMIT $8::integer",
  8, NULL
});

enum db_status db_audit_insert(struct db *db, const char *const f[10]) {
  PGresult *res;
  enum db_status s = db_exec(db, &insert_if_written, f, &res);
  PQclear(res);
  return s;
}

enum db_status db_audit_list(struct db *db, const char *commission_id, const char *object_id, const char *token_id,
                             const char *from, const char *to, const char *before_at, const char *before_id,
                             const char *limit, PGresult **res) {
  const char *params[] = {commission_id, object_id, token_id, from, to, before_at, before_id, limit};
  return db_exec(db, &list, params, res);
}
