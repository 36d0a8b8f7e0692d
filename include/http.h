/* The HTTP layer's view of a request, and the replies handlers queue. Handlers get a struct request whose
 * body is complete, whose route matched, and (for authenticated routes) whose principal is set. */
#ifndef COMMISSIOND_HTTP_H
#define COMMISSIOND_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <microhttpd.h>

#include "access.h"
#include "db.h"
#include "errors.h"
#include "principal.h"
#include "proxy.h"

#define ROUTE_MAX_ARGS 4
#define REQUEST_ID_MAX 64

struct route;
struct db;

struct request {
  struct MHD_Connection *connection;
  const char *method; /* "GET" for a HEAD request, served as its GET without the body (`head`) */
  bool head;
  const char *url;
  char client[CLIENT_ADDRESS_MAX]; /* the client's address: the peer's, or from a trusted proxy's header */
  bool client_known;               /* false: client is "unknown" (no IP peer), recorded as NULL */
  const struct route *route;
  const char *args[ROUTE_MAX_ARGS]; /* path parameters, in pattern order */
  char *url_copy;                   /* storage for args */
  char request_id[REQUEST_ID_MAX + 1];
  char allow[96]; /* methods the path serves, for a 405 */
  unsigned int retry_after; /* seconds, for a 429 */
  bool close_connection;    /* answered with Connection: close (a connection past a limit) */
  char *body;
  size_t body_len, body_cap;
  size_t body_limit; /* http_config.max_body, or max_import_body for a route that takes a CSV file */
  bool body_too_large;
  json_t *json; /* the parsed body (an object), for routes that take one */
  struct field_value *fields; /* the body's values, for a route with a body spec (in its spec's order) */
  struct principal principal;
  struct access access; /* what the route's access decided for this principal (scope included) */
  unsigned char token_hash[32];    /* of the bearer token, the cache's key */
  bool web_session;                /* authenticated by the web front's session cookie, not a bearer token */
  unsigned char web_session_id[32]; /* that session's random id (the cookie's value, decoded) */
  char set_cookie[200];            /* a Set-Cookie header for a successful reply, or "" */
  char audit_object[UUID_STR_LEN]; /* the object a creation made (audit_created) */
  const char *audit_type;           /* its type, when audit_object is set */
  bool audited;                    /* recorded (inside the write's transaction, or as the reply was queued) */
  enum db_status audit_in_transaction; /* DB_ROW once the write's transaction committed with its entry */
  uint64_t db_round_trips;         /* to the database while the request was handled (its log line) */
  bool via_share;                  /* opened through a share link (src/api/shares.c): served as its issuer */
  struct db *db;
  uint64_t start_ns;
  unsigned int status; /* of the queued reply, for the log and metrics */
};

typedef enum MHD_Result (*route_handler)(struct request *rq);

enum route_flags {
  ROUTE_PUBLIC = 1,    /* no token needed */
  ROUTE_JSON_BODY = 2, /* takes a JSON object body */
  ROUTE_NO_DB = 4,     /* never touches the database */
  ROUTE_JSON_OPTIONAL = 8, /* takes a JSON object body, or none (rq->json stays NULL) */
  ROUTE_NO_AUDIT = 16,     /* a read of no personal data: not in the audit trail (writes always are) */
  ROUTE_EXPORT = 32,       /* a read recorded as an export */
  ROUTE_BODY_BY_HANDLER = 64, /* the handler checks the body against the route's spec itself, together with rules
                                 across fields, so that one 422 names every offending field */
  ROUTE_CAPABILITY = 128,     /* its one {name} is a capability, not a UUID: the handler checks it */
  ROUTE_TOKEN_IN_QUERY = 256, /* the token is the query's `token` (a calendar app cannot send headers), and only a
                                 calendar token authenticates there; a calendar token authenticates nowhere else */
  ROUTE_CSV_BODY = 512,       /* takes a text/csv body (any bytes: the handler reads its encoding), up to
                                 --max-import-body rather than --max-body */
  ROUTE_PATH_NAMES = 1024,   /* its {name} segments are file names of the web front (src/web), not UUIDs */
  ROUTE_TOKEN_IN_BODY = 2048, /* authenticated by the token of its JSON body (signing in to the web front) */
  ROUTE_WEB_NAVIGABLE = 4096, /* a GET a browser may open with the web session cookie alone, without X-CSRF-Token
                                (a printable document, the session's own description) */
};

/* Who may call a route: dispatch asks access_decide(principal, RESOURCE, ACTION) and answers 403 with FORBIDDEN
 * when the role may never do this (after authentication and the path's ids, before the body's fields). The
 * decision, with its scope, is the request's `access`. FORBIDDEN NULL: any authenticated role (or a public route). */
struct route_access {
  enum resource resource;
  enum action action;
  const char *forbidden;
};

/* A JSON body's fields (fields.h): dispatch checks the body against them (422 naming every offending field)
 * before the handler, which reads the values in the request's `fields`. */
struct field_spec;
struct body_spec {
  const struct field_spec *fields;
  size_t count;
};
#define BODY_SPEC(spec) (&(const struct body_spec){(spec), sizeof(spec) / sizeof *(spec)})

/* One line of the route table says everything about a route; `commissiond --describe` prints it, and tests/spec
 * checks it against api/openapi.yaml and tests/http/access_matrix.tsv. */
struct route {
  const char *method;
  const char *pattern; /* "/v1/organisations/{id}": every {name} is a UUID */
  route_handler handler;
  unsigned int flags;
  struct route_access access;
  const struct body_spec *body; /* NULL: no body, or one the handler checks itself */
  const char *audit_type;       /* the object type of the route's audit entries: "people" for /v1/people/{id} */
};

/* Prints the route table as JSON on OUT (src/http/describe.c: `commissiond --describe`); 0, or -1 on failure. */
int http_describe(FILE *out);

/* The route table (src/http/routes.c), terminated by a NULL method. */
extern const struct route http_routes[];
size_t http_route_count(void);
size_t http_route_index(const struct route *route);

/* Replies. Each queues a response on RQ's connection and returns what the MHD access handler must return.
 * BODY is stolen (decref'd) in every case. HEADERS is NULL or a NULL-terminated list of name, value pairs. */
enum MHD_Result reply_json(struct request *rq, unsigned int status, json_t *body, const char *const *headers);
/* reply_json() of a body already written as JSON TEXT (LEN bytes, malloc'ed, taken; NULL: a 500). */
enum MHD_Result reply_json_text(struct request *rq, unsigned int status, char *text, size_t len,
                                const char *const *headers);
enum MHD_Result reply_text(struct request *rq, unsigned int status, const char *content_type, char *text,
                           size_t len);
/* A file of the web front (src/web, embedded at build time): STATUS with DATA (LEN bytes, static, not copied)
 * and the front's security headers (Content-Security-Policy, Referrer-Policy, ...), revalidated by ETAG. */
enum MHD_Result reply_static(struct request *rq, unsigned int status, const char *content_type, const void *data,
                             size_t len, const char *etag);
/* A problem+json reply for CODE with DETAIL (may be NULL: the registry's title is used). */
enum MHD_Result reply_problem(struct request *rq, enum error_code code, const char *detail);
/* A problem with extra members MEMBERS (an object, stolen, may be NULL), e.g. the current state of a record
 * or duplicate candidates. */
enum MHD_Result reply_problem_with(struct request *rq, enum error_code code, const char *detail, json_t *members);
/* A validation problem naming FIELD and REASON (422 validation-failed unless CODE says otherwise). */
enum MHD_Result reply_field_problem(struct request *rq, enum error_code code, const char *field, const char *reason);
/* A validation problem with ERRORS, an array of {field, reason} (stolen). */
enum MHD_Result reply_validation(struct request *rq, json_t *errors);
/* The reply for a failed database status: 503 when the connection is gone or a statement or lock wait outlived
 * its timeout (service-unavailable) or the database refuses writes (read-only), 409 for a concurrent change that
 * outlived its retries, 500 otherwise. */
enum MHD_Result reply_db_error(struct request *rq);

/* A request header, or NULL. */
const char *request_header(struct request *rq, const char *name);
/* A query parameter, or NULL. */
const char *request_query(struct request *rq, const char *name);
/* Refuses (400 invalid-query naming query:<name>, already queued: returns false) a query parameter whose name or
 * value is not valid UTF-8: no handler ever sees one. */
bool request_query_utf8(struct request *rq, enum MHD_Result *ret);
/* Refuses (400 invalid-query, already queued: returns false) a query parameter not in ALLOWED (NULL-terminated). */
bool request_query_only(struct request *rq, const char *const *allowed, enum MHD_Result *ret);

/* GET /v1/me's document for RQ's token, kept in this thread's token cache (emptied with it on any revocation,
 * expiry change, or renaming of a commission or organisation); NULL when not cached. */
const char *auth_cached_me(const struct request *rq);
/* Empties every thread's token cache, as a revocation notification does: called once this process committed a
 * revocation, so that its own next request already refuses the token (other processes learn it by NOTIFY). */
void auth_revocation_seen(void);
void auth_cache_me(const struct request *rq, const char *document);

/* The daemon's configuration as the HTTP layer needs it. */
struct http_config {
  size_t max_body;
  size_t max_import_body; /* for the routes that take a CSV file (ROUTE_CSV_BODY) */
  unsigned int threads;
  unsigned int connection_timeout; /* idle, libmicrohttpd's */
  unsigned int header_timeout;     /* in all, for a request line and its headers */
  unsigned int body_timeout;       /* in all, for a body once its headers arrived */
  unsigned int max_connections;
  unsigned int per_ip_connections;
  unsigned int auth_failure_limit; /* failed authentications per client address and minute before 429 */
  unsigned int web_idle_timeout;   /* seconds a web front session may stay unused */
  bool web_secure_cookie;          /* mark the session cookie Secure whatever the request (a TLS proxy that does not
                                      send X-Forwarded-Proto) */
};
extern struct http_config http_config;

/* The MHD callbacks (src/http/context.c). */
enum MHD_Result http_access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                    const char *method, const char *version, const char *upload_data,
                                    size_t *upload_data_size, void **req_cls);
void http_request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                            enum MHD_RequestTerminationCode toe);
/* Number of requests between their first byte and their completion (for graceful shutdown). */
long http_in_flight(void);

#endif
