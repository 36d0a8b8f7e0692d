/* The audit trail: every write and every read of a person's data, chained by hashes so that an edit or a
 * deletion shows. */
#ifndef COMMISSIOND_AUDIT_H
#define COMMISSIOND_AUDIT_H

#include <stdint.h>

#include "audit_hash.h"
#include "db.h"
#include "http.h"

/* HTTP side (src/http/audit.c). At dispatch: arranges for a write to be recorded inside its own transaction. */
void audit_request_start(struct request *rq);
/* Once the handler queued its reply (and again at completion, for requests that ended earlier): records what was
 * not recorded in a transaction (reads, refused writes), once. */
void audit_request_end(struct request *rq);
/* Names the object a creation made, for its audit entry, with its TYPE (the table: "people", "reviews", ...; the
 * audit resolves the person concerned from it); call inside the creating transaction. */
void audit_created(struct request *rq, const char *type, const char *object_id);

/* The chainer (src/db/audit_chain.c): a thread hashing new entries about once a second. One instance at a time
 * chains (an advisory lock); the others wait. */
int audit_chainer_start(const char *conninfo);
void audit_chainer_stop(void);
/* Chains every pending entry now on DB (used by the chainer and commissionctl). Returns how many were chained, or
 * -1 on error. */
long audit_chain_pending(struct db *db);
/* Walks the chain on DB: 0 when intact (*CHAINED, *PENDING counted), else the chain position of the first broken
 * link (> 0) or -1 on error; *WHY says what is wrong. */
int64_t audit_verify(struct db *db, long *chained, long *pending, char *why, size_t why_len);

#endif
