/* The audit trail, its database half: the queue of entries the workers hand over, the audit thread that writes and
 * chains them, and the chain's verification (src/db/audit_queue.c, src/db/audit_chain.c). No HTTP here. */
#ifndef COMMISSIOND_AUDIT_DB_H
#define COMMISSIOND_AUDIT_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "audit_hash.h"
#include "db.h"

#define AUDIT_REQUEST_ID_MAX 64
/* An entry's values as a request gives them, in this order: commission_id, token_id, role, action, method, route,
 * object_type, object_id, request_id, status, client_address (NULL when unknown). */
#define AUDIT_FIELDS 11

/* One queued entry: the columns of audit_log a request knows ("" for NULL). */
struct audit_queued {
  int64_t at_us; /* microseconds since the epoch */
  int status;    /* 0: none */
  char commission_id[37], token_id[37], role[16], action[12], method[12], route[96], object_type[32],
      object_id[37], request_id[AUDIT_REQUEST_ID_MAX + 1], client_address[46];
};

/* A write's entry inside its transaction (src/db/audit.c), sent with the COMMIT (db_exec_at_commit()) and
 * recorded only if the transaction wrote something: *DONE then gets DB_ROW (DB_NO_ROW: nothing recorded, or an
 * error when the transaction did not commit). */
enum db_status db_audit_insert(struct db *db, const char *const f[AUDIT_FIELDS], enum db_status *done);

/* The queue of asynchronous entries (src/db/audit_queue.c). F as for db_audit_insert(); false when the entry
 * could not be queued: this worker's buffer holds --audit-backlog unwritten entries and the audit thread did not
 * make room within 2 s (or cannot write at all): the request must not be answered as if it were recorded. */
bool audit_queue_push(const char *const f[AUDIT_FIELDS]);
/* Inserts every queued entry on DB (a session past row-level security); the number inserted, or -1. Entries leave
 * the queue only once committed: after a failure they are written by a later call, once (a COMMIT whose answer
 * was lost is checked before writing again). DB NULL says the audit thread has no connection: nothing is written,
 * and workers no longer wait for a flush. */
long audit_queue_flush(struct db *db);
/* Inserts one entry (F as for audit_queue_push()) now, on DB in its own implicit transaction: committed when this
 * returns DB_ROW. Chained later by the audit thread, as writes' entries are. */
enum db_status audit_record_now(struct db *db, const char *const f[AUDIT_FIELDS]);
/* Entries queued and not yet written, over every worker. */
long audit_queue_pending(void);
/* The longest time an entry waited between its answer and its commit, since start (microseconds). */
long long audit_queue_lag_max_us(void);
/* Entries a worker's buffer may hold before the worker waits for the audit thread (--audit-backlog). */
extern unsigned int audit_queue_backlog;
/* The audit thread's pause between flushes: MS milliseconds, or less when a worker's queue is full. */
void audit_queue_wait(long ms);
/* Frees the queues, once no worker thread runs and the last flush is done. */
void audit_queue_shutdown(void);

/* The audit thread (src/db/audit_chain.c): writes the queued entries every 100 ms, hashes new entries into the
 * chain about once a second, and writes the tokens' last use (token_used_flush()) as often. One instance at a time chains (an advisory lock); each writes its own queue. Stopping
 * it writes what is still queued. */
int audit_chainer_start(const char *conninfo);
void audit_chainer_stop(void);
/* Chains every pending entry now on DB (used by the chainer and commissionctl). Returns how many were chained, or
 * -1 on error. */
long audit_chain_pending(struct db *db);
/* The first entry of a batch: the id and chain position it was given (0 when the transaction did not get that far). */
struct audit_first {
  int64_t id, pos;
};
/* Inserts the N queued entries of BATCH (in order of time) on DB already chained, after chaining what writes
 * recorded unchained; one transaction. Returns how many were inserted, or -1 on error; *FIRST is BATCH[0]'s id and
 * position, to tell later whether a failed COMMIT took place. */
long audit_chain_write(struct db *db, const struct audit_queued *batch, size_t n, struct audit_first *first);
/* Creates the audit thread's staging table (a temporary table of DB's session) if it is missing: the statements
 * of audit_chain_write() name it, so a session preparing them first needs it. */
enum db_status audit_stage_ensure(struct db *db);
/* The chain's head on DB: its newest *POSITION (0 when nothing is chained) and that entry's hash into HASH_HEX
 * (2 * AUDIT_HASH_BYTES + 1 bytes; "" at position 0). DB_ROW, DB_NO_ROW (empty chain) or an error. */
enum db_status audit_chain_head(struct db *db, int64_t *position, char *hash_hex);
/* A position of the chain recorded outside the database (a signed checkpoint): entry POSITION had hash HASH (hex).
 * LABEL names it in audit_verify()'s words ("the checkpoint of 2026-11-24T03:00:00Z"). */
struct audit_anchor {
  int64_t position;
  const char *hash;
  const char *label;
};
/* Walks the chain on DB: 0 when intact (*CHAINED, *PENDING counted), else the chain position of the first broken
 * link (> 0) or -1 on error; *WHY says what is wrong. With ANCHOR (else NULL) the chain must also reach its position
 * with its hash there: a chain that ends before it lost its newest entries, one that differs there was rewritten. */
int64_t audit_verify(struct db *db, const struct audit_anchor *anchor, long *chained, long *pending, char *why,
                     size_t why_len);

#endif
