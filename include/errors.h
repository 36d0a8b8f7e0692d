/* The error registry: every problem the API can answer, with its stable code, HTTP status and title.
 * Clients switch on the code (problem+json "code" and the tail of "type"), never on the English text. */
#ifndef COMMISSIOND_ERRORS_H
#define COMMISSIOND_ERRORS_H

#define ERROR_REGISTRY(X) \
  X(ERR_ROUTE_NOT_FOUND, "route-not-found", 404, "No such route") \
  X(ERR_NOT_FOUND, "not-found", 404, "Not found") \
  X(ERR_METHOD_NOT_ALLOWED, "method-not-allowed", 405, "Method not allowed") \
  X(ERR_UNAUTHORIZED, "unauthorized", 401, "Authentication required") \
  X(ERR_FORBIDDEN, "forbidden", 403, "Not allowed for this role") \
  X(ERR_INVALID_JSON, "invalid-json", 400, "Malformed JSON body") \
  X(ERR_VALIDATION_FAILED, "validation-failed", 422, "The request is not valid") \
  X(ERR_INVALID_ID, "invalid-id", 400, "Malformed identifier") \
  X(ERR_INVALID_QUERY, "invalid-query", 400, "Invalid query parameter") \
  X(ERR_INVALID_HEADER, "invalid-header", 400, "Invalid request header") \
  X(ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", 415, "Unsupported media type") \
  X(ERR_BODY_TOO_LARGE, "body-too-large", 413, "Request body too large") \
  X(ERR_URI_TOO_LONG, "uri-too-long", 414, "URI too long") \
  X(ERR_PRECONDITION_REQUIRED, "precondition-required", 428, "Precondition required") \
  X(ERR_PRECONDITION_FAILED, "precondition-failed", 412, "The record has changed") \
  X(ERR_IDEMPOTENCY_KEY_REUSED, "idempotency-key-reused", 409, "Idempotency key already used") \
  X(ERR_CONFLICT, "conflict", 409, "Conflict") \
  X(ERR_INVALID_STATE, "invalid-state", 409, "Not allowed in the current state") \
  X(ERR_POSSIBLE_DUPLICATE, "possible-duplicate", 409, "A matching record already exists") \
  X(ERR_NOT_ACCEPTABLE, "not-acceptable", 406, "No acceptable representation") \
  X(ERR_SHARE_GONE, "share-gone", 410, "This link is no longer valid") \
  X(ERR_TOO_MANY_REQUESTS, "too-many-requests", 429, "Too many failed authentications") \
  X(ERR_SERVICE_UNAVAILABLE, "service-unavailable", 503, "Service unavailable") \
  X(ERR_READ_ONLY, "read-only", 503, "The database is read-only") \
  X(ERR_INTERNAL, "internal-error", 500, "Internal error")

enum error_code {
#define X(sym, name, status, title) sym,
  ERROR_REGISTRY(X)
#undef X
  ERR__COUNT
};

struct error_info {
  const char *name;
  unsigned int http_status;
  const char *title;
};

/* Returns the registry entry of CODE; never NULL (an out-of-range code maps to internal-error). */
const struct error_info *error_info(enum error_code code);

#endif
