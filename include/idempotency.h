/* Idempotency-Key on creations: inside the creating transaction, claim the key; a retry with the same key and
 * the same request replays the first response, a different request under the same key is refused (409). */
#ifndef COMMISSIOND_IDEMPOTENCY_H
#define COMMISSIOND_IDEMPOTENCY_H

#include "db.h"
#include "http.h"

struct idempotency {
  const char *key;    /* NULL when the client sent none */
  char hash_hex[65];  /* of method, path and canonical body */
  bool replay;        /* the key was used before with this request: reply with the stored response */
  bool mismatch;      /* the key was used before with another request */
  bool taken;         /* a claim sent ahead found the key there: the transaction's next attempt claims it alone */
  enum db_status claimed; /* the status of a claim sent ahead */
  unsigned int status;
  char *location;
  char *body;
};

/* Reads and checks the Idempotency-Key header. On a malformed key queues 422 and returns false. */
bool idempotency_init(struct request *rq, struct idempotency *idem, enum MHD_Result *ret);
/* In the open transaction: claims the key (no-op without a key). After it, check replay / mismatch. */
enum db_status idempotency_claim(struct request *rq, struct idempotency *idem);
/* The claim sent with the transaction's next statement (one round trip less), for a body that runs one: its
 * outcome is read after it with idempotency_claimed(). Once a claim sent ahead found the key taken (idem->taken),
 * a claim made alone, as idempotency_claim(). */
enum db_status idempotency_claim_ahead(struct request *rq, struct idempotency *idem);
/* After the statements that followed idempotency_claim_ahead(): DB_ROW when the key is this request's (or there
 * is none), DB_SOFT_ERROR when it was taken (the transaction is to be rolled back, whatever its statements did,
 * and made again: idem->taken), or the claim's failure. */
enum db_status idempotency_claimed(struct request *rq, struct idempotency *idem);
/* In the same transaction: stores the response the creation produced (no-op without a key). */
enum db_status idempotency_record(struct request *rq, struct idempotency *idem, unsigned int status,
                                  const char *location, json_t *body);
/* idempotency_record() of a body already written as JSON TEXT. */
enum db_status idempotency_record_text(struct request *rq, struct idempotency *idem, unsigned int status,
                                       const char *location, const char *text);
/* Queues the stored response (replay) or the 409 (mismatch). */
enum MHD_Result idempotency_reply(struct request *rq, struct idempotency *idem);
void idempotency_free(struct idempotency *idem);

#endif
