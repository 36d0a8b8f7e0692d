/* Idempotency keys for creations (see include/idempotency.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

bool idempotency_init(struct request *rq, struct idempotency *idem, enum MHD_Result *ret) {
  memset(idem, 0, sizeof *idem);
  idem->key = request_header(rq, "Idempotency-Key");
  if (idem->key == NULL)
    return true;
  if (!valid_idempotency_key(idem->key)) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "header:Idempotency-Key",
                               "must be 1 to 200 printable ASCII characters");
    return false;
  }
  char *canonical = json_dumps(rq->json, JSON_COMPACT | JSON_SORT_KEYS);
  if (canonical == NULL) {
    *ret = MHD_NO;
    return false;
  }
  crypto_generichash_state st;
  unsigned char hash[32];
  crypto_generichash_init(&st, NULL, 0, sizeof hash);
  crypto_generichash_update(&st, (const unsigned char *)rq->method, strlen(rq->method) + 1);
  crypto_generichash_update(&st, (const unsigned char *)rq->url, strlen(rq->url) + 1);
  crypto_generichash_update(&st, (const unsigned char *)canonical, strlen(canonical));
  crypto_generichash_final(&st, hash, sizeof hash);
  free(canonical);
  sodium_bin2hex(idem->hash_hex, sizeof idem->hash_hex, hash, sizeof hash);
  return true;
}

static char *dup_or_null(const PGresult *res, int col) {
  return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

enum db_status idempotency_claim(struct request *rq, struct idempotency *idem) {
  idem->replay = idem->mismatch = false;
  if (idem->key == NULL)
    return DB_ROW;
  PGresult *prev;
  enum db_status s = db_idempotency_claim(rq->db, rq->principal.token_id, idem->key, rq->principal.commission_id,
                                          idem->hash_hex, &prev);
  if (s != DB_NO_ROW)
    return s;
  if (strcmp(PQgetvalue(prev, 0, 0), idem->hash_hex) != 0) {
    idem->mismatch = true;
  } else {
    idem->replay = true;
    idem->status = (unsigned int)atoi(PQgetvalue(prev, 0, 1));
    free(idem->location);
    free(idem->body);
    idem->location = dup_or_null(prev, 2);
    idem->body = dup_or_null(prev, 3);
  }
  PQclear(prev);
  return DB_ROW;
}

enum db_status idempotency_claim_ahead(struct request *rq, struct idempotency *idem) {
  idem->claimed = DB_ROW;
  if (idem->taken || idem->key == NULL)
    return idempotency_claim(rq, idem);
  idem->replay = idem->mismatch = false;
  return db_idempotency_claim_ahead(rq->db, rq->principal.token_id, idem->key, rq->principal.commission_id,
                                    idem->hash_hex, &idem->claimed);
}

enum db_status idempotency_claimed(struct request *rq, struct idempotency *idem) {
  enum db_status s = db_read_ahead(rq->db);
  if (idem->claimed == DB_NO_ROW) {
    idem->taken = true;
    return DB_SOFT_ERROR;
  }
  return idem->claimed < 0 ? idem->claimed : s;
}

enum db_status idempotency_record_text(struct request *rq, struct idempotency *idem, unsigned int status,
                                       const char *location, const char *text) {
  if (idem->key == NULL)
    return DB_ROW;
  char status_text[8];
  snprintf(status_text, sizeof status_text, "%u", status);
  return db_idempotency_record(rq->db, rq->principal.token_id, idem->key, rq->principal.commission_id, idem->hash_hex,
                               status_text, location, text);
}

enum db_status idempotency_record(struct request *rq, struct idempotency *idem, unsigned int status,
                                  const char *location, json_t *body) {
  if (idem->key == NULL)
    return DB_ROW;
  char *text = json_dumps(body, JSON_COMPACT);
  if (text == NULL)
    return DB_HARD_ERROR;
  enum db_status s = idempotency_record_text(rq, idem, status, location, text);
  free(text);
  return s;
}

enum MHD_Result idempotency_reply(struct request *rq, struct idempotency *idem) {
  if (idem->mismatch || idem->body == NULL)
    return reply_field_problem(rq, ERR_IDEMPOTENCY_KEY_REUSED, "header:Idempotency-Key",
                               "was already used for a different request");
  json_t *body = json_loads(idem->body, 0, NULL);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  /* The same headers as the first response: Location, and the ETag of a versioned record. */
  const char *headers[7] = {"Idempotent-Replayed", "true"};
  size_t h = 2;
  char etag[24];
  if (idem->location != NULL) {
    headers[h++] = MHD_HTTP_HEADER_LOCATION;
    headers[h++] = idem->location;
  }
  if (json_is_integer(json_object_get(body, "version"))) {
    etag_format((long)json_integer_value(json_object_get(body, "version")), etag, sizeof etag);
    headers[h++] = MHD_HTTP_HEADER_ETAG;
    headers[h++] = etag;
  }
  return reply_json(rq, idem->status, body, headers);
}

void idempotency_free(struct idempotency *idem) {
  free(idem->location);
  free(idem->body);
  idem->location = idem->body = NULL;
}
