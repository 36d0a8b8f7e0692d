/* The audit trail, its HTTP half: every write and every read of a person's data is recorded, chained by hashes so
 * that an edit or a deletion shows. */
#ifndef COMMISSIOND_AUDIT_H
#define COMMISSIOND_AUDIT_H

#include "audit_db.h"
#include "http.h"

/* The database half (the queue, the audit thread, the chain) is audit_db.h, which src/db includes without http.h. */
_Static_assert(AUDIT_REQUEST_ID_MAX == REQUEST_ID_MAX, "an audit entry holds any request id");

/* HTTP side (src/http/audit.c). At dispatch: arranges for a write to be recorded inside its own transaction. */
void audit_request_start(struct request *rq);
/* Just before a reply with status rq->status is queued (reply.c does it for every reply): records what was not
 * recorded in a transaction (reads, refused writes), once. False when the entry could not be recorded (the audit
 * backlog is full and the audit thread cannot make room, or in sync mode the insert failed): the caller answers
 * 503 instead, never an unaudited answer. */
bool audit_reply(struct request *rq);
/* Once the handler returned, and at completion: forgets the write's hook, rolls back what a handler left open. */
void audit_request_end(struct request *rq);
/* --audit-reads sync: a read's (or refusal's) entry is committed on the worker's connection before its reply. */
extern bool audit_reads_sync;
/* Names the object a creation made, for its audit entry, with its TYPE (the table: "people", "reviews", ...; the
 * audit resolves the person concerned from it); call inside the creating transaction. */
void audit_created(struct request *rq, const char *type, const char *object_id);

#endif
