/* Queries on the audit trail: recording an entry (in a write's own transaction, or alone with an asynchronous
 * commit for reads), and reading the trail for the coordinator. */
#include "queries.h"

/* The person an object belongs to, so that "who saw or changed this person's file" finds every entry. */
#define AUDIT_PERSON(type, id)                                                                                  \
  "CASE " type " WHEN 'people' THEN " id "::uuid "                                                              \
  "WHEN 'applications' THEN (SELECT a.person_id FROM applications a WHERE a.id = " id "::uuid) "                \
  "WHEN 'placements' THEN (SELECT pl.person_id FROM placements pl WHERE pl.id = " id "::uuid) "                 \
  "WHEN 'reviews' THEN (SELECT pl.person_id FROM reviews r JOIN placements pl ON pl.id = r.placement_id "       \
  "WHERE r.id = " id "::uuid) "                                                                                 \
  "WHEN 'incidents' THEN (SELECT pl.person_id FROM incidents i JOIN placements pl ON pl.id = i.placement_id "   \
  "WHERE i.id = " id "::uuid) "                                                                                 \
  "WHEN 'care_notes' THEN (SELECT c.person_id FROM care_notes c WHERE c.id = " id "::uuid) "                    \
  "WHEN 'decisions' THEN (SELECT a.person_id FROM decisions d JOIN applications a ON a.id = d.application_id "  \
  "WHERE d.id = " id "::uuid) "                                                                                 \
  "WHEN 'deposit_entries' THEN (SELECT pl.person_id FROM deposit_entries e JOIN placements pl "                  \
  "ON pl.id = e.placement_id WHERE e.id = " id "::uuid) END"

/* at: the moment of the insert (not of the transaction's start), so that entries' times follow their order. */
#define AUDIT_INSERT                                                                                             \
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "   \
  "person_id, request_id, status) SELECT clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, $8::uuid, "             \
  AUDIT_PERSON("$7", "$8") ", $9, $10::integer"

/* A write's entry, in the write's transaction: only when the transaction did write (has a transaction id), so
 * that a refusal which changed nothing is recorded by the completed request instead, with its real status. */
static const struct db_statement insert_if_written = {
  "audit_insert_if_written", AUDIT_INSERT " WHERE pg_current_xact_id_if_assigned() IS NOT NULL", 10};

/* A read's entry: committed without waiting for the disk (see README: what a crash can lose). */
static const struct db_statement insert_async = {
  "audit_insert_async",
  "WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) " AUDIT_INSERT " FROM async",
  10,
};

static const struct db_statement list = {
  "audit_list",
  "SELECT e.id, " SQL_TS("e.at") ", e.token_id, e.role, e.action, e.method, e.route, e.object_type, e.object_id, "
  "e.person_id, e.request_id, e.status, e.chain_pos IS NOT NULL FROM audit_log e WHERE e.commission_id = $1 "
  "AND ($2::uuid IS NULL OR e.object_id = $2::uuid OR e.person_id = $2::uuid) "
  "AND ($3::uuid IS NULL OR e.token_id = $3::uuid) AND ($4::date IS NULL OR e.at >= $4::date) "
  "AND ($5::date IS NULL OR e.at < $5::date + 1) AND ($6::bigint IS NULL OR e.id < $6::bigint) "
  "ORDER BY e.id DESC LIMIT $7::integer",
  7,
};

enum db_status db_audit_insert(struct db *db, const char *const f[10], bool async) {
  PGresult *res;
  enum db_status s = db_exec(db, async ? &insert_async : &insert_if_written, f, &res);
  PQclear(res);
  return s;
}

enum db_status db_audit_list(struct db *db, const char *commission_id, const char *object_id, const char *token_id,
                             const char *from, const char *to, const char *before_id, const char *limit,
                             PGresult **res) {
  const char *params[] = {commission_id, object_id, token_id, from, to, before_id, limit};
  return db_exec(db, &list, params, res);
}
