/* Replies: JSON, text and problem+json (RFC 9457), each carrying X-Request-Id. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "http_internal.h"
#include "log.h"
#include "utf8.h"

/* The web front's headers: no inline script or style, nothing framed, no referrer; see README "Web front". */
#define WEB_CSP                                                                                                  \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "        \
  "base-uri 'none'; form-action 'self'"

/* Queues STATUS with DATA (LEN bytes; freed here unless PERSISTENT), CONTENT_TYPE (NULL: none, a 304), the common
 * headers, CACHE_CONTROL and HEADERS (NULL or name, value pairs ending with NULL). */
static enum MHD_Result queue_response(struct request *rq, unsigned int status, const char *content_type, void *data,
                                      size_t len, bool persistent, const char *cache_control,
                                      const char *const *headers) {
  rq->status = status;
  if (!audit_reply(rq)) { /* never an answer whose audit entry could not be recorded */
    if (!persistent)
      free(data);
    return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The audit trail cannot record this request now; retry later.");
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, data, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    if (!persistent)
      free(data);
    return MHD_NO;
  }
  bool ok = (content_type == NULL ||
             MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES) &&
            MHD_add_response_header(resp, "X-Request-Id", rq->request_id) == MHD_YES &&
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES &&
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control) == MHD_YES;
  for (size_t i = 0; ok && headers != NULL && headers[i] != NULL; i += 2)
    ok = MHD_add_response_header(resp, headers[i], headers[i + 1]) == MHD_YES;
  if (ok && rq->route != NULL && (rq->via_share || (rq->route->flags & ROUTE_CAPABILITY)))
    ok = MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES; /* the link is the secret */
  /* A web session opened or ended by this request (a success), or found ended (its 401): never another refusal. */
  if (ok && rq->set_cookie[0] != '\0' && (status < 300 || status == MHD_HTTP_UNAUTHORIZED))
    ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rq->set_cookie) == MHD_YES;
  if (ok && rq->close_connection)
    ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
  enum MHD_Result ret = ok ? MHD_queue_response(rq->connection, status, resp) : MHD_NO;
  MHD_destroy_response(resp);
  rq->status = status;
  return ret;
}

static enum MHD_Result queue(struct request *rq, unsigned int status, const char *content_type, char *data,
                             size_t len, const char *const *headers) {
  return queue_response(rq, status, content_type, data, len, false, "no-store", headers);
}

enum MHD_Result reply_static(struct request *rq, unsigned int status, const char *content_type, const void *data,
                             size_t len, const char *etag) {
  const char *headers[] = {"Content-Security-Policy", WEB_CSP, "Referrer-Policy", "no-referrer",
                           "X-Frame-Options", "DENY", "Cross-Origin-Opener-Policy", "same-origin",
                           MHD_HTTP_HEADER_ETAG, etag, NULL};
  /* Revalidated at each load (a 304 when unchanged): a new build's files are seen at once. */
  return queue_response(rq, status, status == MHD_HTTP_NOT_MODIFIED ? NULL : content_type, (void *)data,
                        status == MHD_HTTP_NOT_MODIFIED ? 0 : len, true, "no-cache", headers);
}

enum MHD_Result reply_json(struct request *rq, unsigned int status, json_t *body, const char *const *headers) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  return reply_json_text(rq, status, text, text != NULL ? strlen(text) : 0, headers);
}

enum MHD_Result reply_json_text(struct request *rq, unsigned int status, char *text, size_t len,
                                const char *const *headers) {
  if (text == NULL) /* the body could not be built (out of memory): a 500 the client can read, not a dropped line */
    return reply_problem(rq, ERR_INTERNAL, "The response could not be built.");
  return queue(rq, status, "application/json", text, len, headers);
}

enum MHD_Result reply_text(struct request *rq, unsigned int status, const char *content_type, char *text,
                           size_t len) {
  return queue(rq, status, content_type, text, len, NULL);
}

/* The problem+json document for CODE; ERRORS (stolen) may be NULL; so may MEMBERS (stolen), merged in. */
static enum MHD_Result problem_doc(struct request *rq, enum error_code code, const char *detail, json_t *errors,
                                   json_t *members) {
  const struct error_info *e = error_info(code);
  char type[96];
  snprintf(type, sizeof type, "urn:commissiond:problem:%s", e->name);
  json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type", type, "title", e->title, "status",
                          (int)e->http_status, "detail", detail ? detail : e->title, "code", e->name,
                          "request_id", rq->request_id);
  if (doc == NULL) {
    json_decref(errors);
    json_decref(members);
    return MHD_NO;
  }
  if (errors != NULL && json_object_set_new(doc, "errors", errors) != 0) {
    json_decref(doc);
    json_decref(members);
    return MHD_NO;
  }
  if (members != NULL) {
    json_object_update_missing(doc, members); /* never overrides the standard members */
    json_decref(members);
  }
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (text == NULL)
    return MHD_NO;
  const char *headers[5] = {NULL};
  char retry[16];
  if (code == ERR_METHOD_NOT_ALLOWED) {
    headers[0] = MHD_HTTP_HEADER_ALLOW;
    headers[1] = rq->allow;
  } else if (code == ERR_UNAUTHORIZED) {
    headers[0] = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
    headers[1] = "Bearer realm=\"commissiond\"";
  } else if (code == ERR_SERVICE_UNAVAILABLE) {
    headers[0] = MHD_HTTP_HEADER_RETRY_AFTER;
    headers[1] = "1";
  } else if (code == ERR_READ_ONLY) { /* a fail-over, or maintenance: not over in a second */
    headers[0] = MHD_HTTP_HEADER_RETRY_AFTER;
    headers[1] = "10";
  } else if (code == ERR_TOO_MANY_REQUESTS) {
    snprintf(retry, sizeof retry, "%u", rq->retry_after ? rq->retry_after : 1);
    headers[0] = MHD_HTTP_HEADER_RETRY_AFTER;
    headers[1] = retry;
  }
  return queue(rq, e->http_status, "application/problem+json", text, strlen(text), headers);
}

static enum MHD_Result problem(struct request *rq, enum error_code code, const char *detail, json_t *errors) {
  return problem_doc(rq, code, detail, errors, NULL);
}

enum MHD_Result reply_problem(struct request *rq, enum error_code code, const char *detail) {
  return problem(rq, code, detail, NULL);
}

enum MHD_Result reply_problem_with(struct request *rq, enum error_code code, const char *detail, json_t *members) {
  return problem_doc(rq, code, detail, NULL, members);
}

enum MHD_Result reply_field_problem(struct request *rq, enum error_code code, const char *field, const char *reason) {
  json_t *errors = json_pack("[{s:s, s:s}]", "field", field, "reason", reason);
  char detail[256];
  if (field[0] == '\0') /* the body itself */
    snprintf(detail, sizeof detail, "%s", reason);
  else
    snprintf(detail, sizeof detail, "%s: %s", field, reason);
  return problem(rq, code, detail, errors);
}

enum MHD_Result reply_validation(struct request *rq, json_t *errors) {
  char detail[256];
  json_t *first = json_array_get(errors, 0);
  snprintf(detail, sizeof detail, "%s: %s%s", json_string_value(json_object_get(first, "field")),
           json_string_value(json_object_get(first, "reason")),
           json_array_size(errors) > 1 ? " (and more, see errors)" : "");
  return problem(rq, ERR_VALIDATION_FAILED, detail, errors);
}

enum MHD_Result reply_db_error(struct request *rq) {
  if (rq->db == NULL || db_unavailable(rq->db))
    return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database is unavailable; retry later.");
  if (db_timed_out(rq->db))
    return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database did not answer in time; retry later.");
  const char *state = db_sqlstate(rq->db);
  if (strcmp(state, "25006") == 0) /* read_only_sql_transaction: a standby, or default_transaction_read_only */
    return reply_problem(rq, ERR_READ_ONLY, "The database is read-only: reads are served, writes are not; retry later.");
  if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
    return reply_problem(rq, ERR_CONFLICT, "A concurrent change kept this request from completing; retry.");
  return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
}

const char *request_header(struct request *rq, const char *name) {
  return MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND, name);
}

const char *request_query(struct request *rq, const char *name) {
  return MHD_lookup_connection_value(rq->connection, MHD_GET_ARGUMENT_KIND, name);
}

struct query_check {
  const char *const *allowed;
  const char *unknown;
};

static enum MHD_Result query_check_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  (void)value;
  struct query_check *qc = cls;
  for (size_t i = 0; qc->allowed[i] != NULL; i++)
    if (strcmp(key, qc->allowed[i]) == 0)
      return MHD_YES;
  qc->unknown = key;
  return MHD_NO;
}

/* "query:NAME" for a parameter's NAME, cut and made valid UTF-8 so that it can be named in a problem. */
static void query_field(const char *name, char *field, size_t n) {
  char clean[64];
  snprintf(field, n, "query:%s", utf8_sanitize(name, clean, sizeof clean));
}

bool request_query_only(struct request *rq, const char *const *allowed, enum MHD_Result *ret) {
  struct query_check qc = {allowed, NULL};
  MHD_get_connection_values(rq->connection, MHD_GET_ARGUMENT_KIND, query_check_one, &qc);
  if (qc.unknown == NULL)
    return true;
  char field[80];
  query_field(qc.unknown, field, sizeof field);
  *ret = reply_field_problem(rq, ERR_INVALID_QUERY, field, "unknown query parameter");
  return false;
}

static enum MHD_Result query_utf8_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  const char **bad = cls;
  if (utf8_valid(key, strlen(key)) && (value == NULL || utf8_valid(value, strlen(value))))
    return MHD_YES;
  *bad = key;
  return MHD_NO;
}

bool request_query_utf8(struct request *rq, enum MHD_Result *ret) {
  const char *bad = NULL;
  MHD_get_connection_values(rq->connection, MHD_GET_ARGUMENT_KIND, query_utf8_one, &bad);
  if (bad == NULL)
    return true;
  char field[80];
  query_field(bad, field, sizeof field);
  *ret = reply_field_problem(rq, ERR_INVALID_QUERY, field, "must be valid UTF-8 (percent-encoded)");
  return false;
}
