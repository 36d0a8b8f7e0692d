/* The MHD access handler: request context, central body buffering (413 before the body arrives), route
 * dispatch, authentication, JSON parsing; and the completion callback that logs, counts and frees. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "db.h"
#include "fields.h"
#include "http_internal.h"
#include "log.h"
#include "validate.h"
#include "utf8.h"

struct http_config http_config = {
  .max_body = 1024 * 1024,
  .max_import_body = 16 * 1024 * 1024,
  .threads = 2,
  .connection_timeout = 30,
  .header_timeout = 10,
  .body_timeout = 30,
  .max_connections = 1024,
  .per_ip_connections = 256,
  .auth_failure_limit = 30,
  .web_idle_timeout = 30 * 60,
};

static atomic_long in_flight;

long http_in_flight(void) { return atomic_load(&in_flight); }

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps a client's X-Request-Id when it is short and plain, else makes one. */
static void request_id_init(struct request *rq) {
  const char *given = MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND, "X-Request-Id");
  if (given != NULL) {
    size_t n = strlen(given);
    bool ok = n > 0 && n <= REQUEST_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
      char c = given[i];
      ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
    }
    if (ok) {
      memcpy(rq->request_id, given, n + 1);
      return;
    }
  }
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(rq->request_id, sizeof rq->request_id, raw, sizeof raw);
}

struct header_lines {
  const char *name;
  char *joined; /* malloc'ed: the lines of NAME, in order, joined with ", " */
  size_t len;
  bool failed;
};

static enum MHD_Result header_line(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  struct header_lines *h = cls;
  if (strcasecmp(key, h->name) != 0 || value == NULL)
    return MHD_YES;
  size_t n = strlen(value);
  char *grown = realloc(h->joined, h->len + n + 3);
  if (grown == NULL) {
    h->failed = true;
    return MHD_NO;
  }
  h->joined = grown;
  if (h->len > 0) {
    memcpy(h->joined + h->len, ", ", 2);
    h->len += 2;
  }
  memcpy(h->joined + h->len, value, n + 1);
  h->len += n;
  return MHD_YES;
}

/* The client's address (include/proxy.h): the peer's, or, from a trusted proxy, what its header says. */
static void client_address_init(struct request *rq) {
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(rq->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *peer = info != NULL ? info->client_addr : NULL;
  char peer_text[CLIENT_ADDRESS_MAX];
  rq->client_known = proxy_address_text(peer, peer_text);
  if (!rq->client_known)
    snprintf(peer_text, sizeof peer_text, "unknown");
  struct header_lines h = {proxy_header_name(), NULL, 0, false};
  bool from_proxy = proxy_peer_trusted(peer);
  if (from_proxy)
    MHD_get_connection_values(rq->connection, MHD_HEADER_KIND, header_line, &h);
  /* A header that could not be read whole is not read at all: the proxy's own address then. */
  proxy_client_address(peer_text, from_proxy && !h.failed, h.joined, proxy_header_used(), rq->client);
  free(h.joined);
}

static bool method_has_body(const char *method) {
  return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

/* application/json, optionally with a charset parameter that must be utf-8. */
static bool content_type_is_json(const char *ct) {
  if (ct == NULL)
    return false;
  size_t n = strlen("application/json");
  if (strncasecmp(ct, "application/json", n) != 0)
    return false;
  const char *rest = ct + n;
  while (*rest == ' ')
    rest++;
  if (*rest == '\0')
    return true;
  if (*rest != ';')
    return false;
  rest++;
  while (*rest == ' ')
    rest++;
  return strncasecmp(rest, "charset=utf-8", 13) == 0 && (rest[13] == '\0' || rest[13] == ' ' || rest[13] == ';');
}

/* TYPE, optionally with parameters (a CSV file's charset is read from its bytes, not from here). */
static bool content_type_is(const char *ct, const char *type) {
  size_t n = strlen(type);
  if (ct == NULL || strncasecmp(ct, type, n) != 0)
    return false;
  return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The largest body the request's route takes: a CSV file's own limit, or the general one. */
static size_t body_limit(const struct request *rq) {
  const struct route *r = router_find(rq->method, rq->url);
  return r != NULL && (r->flags & ROUTE_CSV_BODY) ? http_config.max_import_body : http_config.max_body;
}

/* The 413, saying which limit: an import's file is told its own. */
static enum MHD_Result reply_too_large(struct request *rq) {
  if (rq->body_limit == http_config.max_body || rq->body_limit == 0)
    return reply_problem(rq, ERR_BODY_TOO_LARGE, "The request body exceeds the configured limit.");
  char detail[200];
  snprintf(detail, sizeof detail, "The file exceeds the import limit of %zu bytes (--max-import-body): split it.",
           rq->body_limit);
  return reply_problem(rq, ERR_BODY_TOO_LARGE, detail);
}

/* What the route table says before the handler runs: every {name} of the path is a UUID (400 naming path:name),
 * the role may do this (403), the body has the route's fields (422 naming each). False with *RET queued when not. */
static bool route_admits(struct request *rq, enum MHD_Result *ret) {
  const char *p = (rq->route->flags & ROUTE_PATH_NAMES) ? "" : rq->route->pattern; /* file names: the handler's */
  for (size_t i = 0; i < ROUTE_MAX_ARGS && (p = strchr(p, '{')) != NULL; i++) {
    const char *end = strchr(p, '}');
    if (end == NULL)
      break;
    if (rq->args[i] == NULL || (!valid_uuid(rq->args[i]) && !(rq->route->flags & ROUTE_CAPABILITY))) {
      char field[48];
      snprintf(field, sizeof field, "path:%.*s", (int)(end - p - 1), p + 1);
      *ret = reply_field_problem(rq, ERR_INVALID_ID, field, "must be a UUID");
      return false;
    }
    p = end;
  }
  const struct route_access *a = &rq->route->access;
  if (a->forbidden != NULL) {
    rq->access = access_decide(&rq->principal, a->resource, a->action);
    if (rq->access.kind == ACCESS_DENY) {
      *ret = reply_problem(rq, ERR_FORBIDDEN, a->forbidden);
      return false;
    }
  }
  const struct body_spec *body = rq->route->body;
  if (body != NULL && rq->json != NULL && !(rq->route->flags & ROUTE_BODY_BY_HANDLER)) {
    rq->fields = calloc(body->count, sizeof *rq->fields);
    if (rq->fields == NULL) {
      *ret = reply_problem(rq, ERR_INTERNAL, NULL);
      return false;
    }
    if (!request_fields(rq, body->fields, body->count, rq->fields, ret))
      return false;
  }
  return true;
}

/* The 400 for a body jansson refused, naming the member where it stopped (a \\u0000, a lone surrogate, an integer
 * past 64 bits, a syntax error) in jansson's own words, except where they name its options. */
static enum MHD_Result reply_json_error(struct request *rq, const json_error_t *jerr) {
  char pointer[256], clean[160], reason[200];
  json_error_pointer(rq->body ? rq->body : "", rq->body_len, (size_t)(jerr->position > 0 ? jerr->position : 0),
                     pointer, sizeof pointer);
  if (strstr(jerr->text, "JSON_") != NULL)
    snprintf(reason, sizeof reason, "\\u0000 is not allowed in strings");
  else
    snprintf(reason, sizeof reason, "%s (line %d, column %d)", utf8_sanitize(jerr->text, clean, sizeof clean),
             jerr->line, jerr->column);
  return reply_field_problem(rq, ERR_INVALID_JSON, pointer, reason);
}

static enum MHD_Result dispatch(struct request *rq) {
  if (strlen(rq->url) > URL_MAX)
    return reply_problem(rq, ERR_URI_TOO_LONG, NULL);
  bool path_known = false;
  rq->route = router_match(rq, &path_known);
  if (rq->route == NULL)
    return path_known ? reply_problem(rq, ERR_METHOD_NOT_ALLOWED, "This path does not serve this method.")
                      : reply_problem(rq, ERR_ROUTE_NOT_FOUND, "No route serves this path.");
  if (rq->body_too_large)
    return reply_too_large(rq);
  enum MHD_Result ret;
  if (!(rq->route->flags & (ROUTE_PUBLIC | ROUTE_TOKEN_IN_BODY)) && !auth_authenticate(rq, &ret))
    return ret;
  bool wants_json = (rq->route->flags & ROUTE_JSON_BODY) ||
                    ((rq->route->flags & ROUTE_JSON_OPTIONAL) && rq->body_len > 0);
  if (wants_json) {
    if (!content_type_is_json(request_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE)))
      return reply_problem(rq, ERR_UNSUPPORTED_MEDIA_TYPE, "The body must be application/json (UTF-8).");
    json_error_t jerr;
    rq->json = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (rq->json == NULL)
      return reply_json_error(rq, &jerr);
    if (!json_is_object(rq->json))
      return reply_field_problem(rq, ERR_INVALID_JSON, "", "The body must be a JSON object.");
  } else if (rq->route->flags & ROUTE_CSV_BODY) {
    if (!content_type_is(request_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE), "text/csv"))
      return reply_problem(rq, ERR_UNSUPPORTED_MEDIA_TYPE, "The body must be a CSV file (Content-Type: text/csv).");
  } else if (rq->body_len > 0) {
    return reply_problem(rq, ERR_UNSUPPORTED_MEDIA_TYPE, "This route takes no request body.");
  }
  if ((rq->route->flags & ROUTE_TOKEN_IN_BODY) && !auth_body_token(rq, &ret))
    return ret;
  if (!request_query_utf8(rq, &ret))
    return ret;
  if (!(rq->route->flags & ROUTE_NO_DB) && rq->db == NULL) {
    rq->db = db_thread();
    if (rq->db == NULL)
      return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database is unavailable; retry later.");
  }
  if (!(rq->route->flags & (ROUTE_PUBLIC | ROUTE_NO_DB))) {
    /* The row-level security guard, under every query's own predicate; then the audit of writes. */
    if (db_use_commission(rq->db, rq->principal.commission_id) < 0)
      return reply_db_error(rq);
    audit_request_start(rq);
  }
  enum MHD_Result handled;
  if (!route_admits(rq, &handled)) {
    audit_request_end(rq);
    return handled;
  }
  handled = rq->route->handler(rq);
  audit_request_end(rq); /* the reply recorded its audit entry as it was queued (audit_reply()) */
  return handled;
}

enum MHD_Result http_access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                    const char *method, const char *version, const char *upload_data,
                                    size_t *upload_data_size, void **req_cls) {
  (void)cls;
  (void)version;
  struct request *rq = *req_cls;
  if (rq == NULL) {
    rq = calloc(1, sizeof *rq);
    if (rq == NULL)
      return MHD_NO;
    atomic_fetch_add(&in_flight, 1);
    rq->connection = connection;
    rq->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    rq->method = rq->head ? MHD_HTTP_METHOD_GET : method; /* HEAD is served wherever GET is, without the body */
    rq->url = url;
    rq->start_ns = now_ns();
    *req_cls = rq;
    request_id_init(rq);
    client_address_init(rq);
    enum connection_refusal refusal = http_connection_headers_received(connection);
    if (refusal != CONNECTION_ACCEPTED) { /* accepted past a limit, to be told so rather than left unanswered */
      bool path_known;
      rq->route = router_match(rq, &path_known); /* for the request's log line and metrics only */
      rq->close_connection = true;
      return reply_problem(rq, ERR_SERVICE_UNAVAILABLE,
                           refusal == CONNECTION_OVER_LIMIT
                               ? "The server has reached its connection limit; retry later."
                               : "Too many connections from this address; retry later.");
    }
    rq->body_limit = body_limit(rq);
    /* Refuse an announced oversized body now, before any of it is read. */
    const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
      char *end;
      unsigned long long n = strtoull(cl, &end, 10);
      if (*end != '\0' || n > rq->body_limit) {
        bool path_known;
        rq->route = router_match(rq, &path_known); /* for the request's log line and metrics only */
        return reply_too_large(rq);
      }
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (rq->body_too_large || !method_has_body(method))
      return MHD_YES; /* discard; answered once the upload is complete */
    if (rq->body_len + n > rq->body_limit) {
      rq->body_too_large = true;
      return MHD_YES;
    }
    if (rq->body_len + n > rq->body_cap) {
      size_t cap = rq->body_cap ? rq->body_cap : 1024;
      while (cap < rq->body_len + n)
        cap *= 2;
      if (cap > rq->body_limit)
        cap = rq->body_limit;
      char *grown = realloc(rq->body, cap);
      if (grown == NULL)
        return MHD_NO;
      rq->body = grown;
      rq->body_cap = cap;
    }
    memcpy(rq->body + rq->body_len, upload_data, n);
    rq->body_len += n;
    return MHD_YES;
  }
  if (rq->status != 0)
    return MHD_YES; /* a reply was queued on the first call (413, 503 past a connection limit) */
  http_connection_handling(connection);
  uint64_t trips = db_round_trips_here(); /* the whole handling runs in this call, on this thread */
  enum MHD_Result ret = dispatch(rq);
  rq->db_round_trips += db_round_trips_here() - trips;
  return ret;
}

void http_request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                            enum MHD_RequestTerminationCode toe) {
  (void)cls;
  struct request *rq = *req_cls;
  http_connection_request_done(connection);
  if (rq == NULL)
    return;
  *req_cls = NULL;
  if (rq->db != NULL)
    db_rollback(rq->db); /* a handler that left a transaction open loses it here */
  audit_request_end(rq);
  uint64_t duration = now_ns() - rq->start_ns;
  size_t route_index = rq->route ? http_route_index(rq->route) : http_route_count();
  metrics_record(route_index, rq->status, duration);
  char method[16];
  log_event(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? LOG_INFO : LOG_WARN, "request",
            ",\"request_id\":\"%s\",\"client\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%u,"
            "\"duration_ms\":%.3f,\"db_round_trips\":%llu%s",
            rq->request_id, rq->client,
            log_json_escape(rq->head ? MHD_HTTP_METHOD_HEAD : rq->method, method, sizeof method),
            rq->route ? rq->route->pattern : "unmatched", rq->status, (double)duration / 1e6,
            (unsigned long long)rq->db_round_trips, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"aborted\":true");
  json_decref(rq->json);
  free(rq->fields);
  free(rq->body);
  free(rq->url_copy);
  free(rq);
  atomic_fetch_sub(&in_flight, 1);
}
