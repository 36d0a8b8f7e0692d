/* Pieces of the HTTP layer that only the layer itself uses. */
#ifndef COMMISSIOND_HTTP_INTERNAL_H
#define COMMISSIOND_HTTP_INTERNAL_H

#include "http.h"

#define URL_MAX 2048

/* Finds the route for RQ's method and URL, filling RQ->args. NULL when none: *PATH_KNOWN tells whether another
 * method serves the path (405, with rq->allow listing them) or none does (404). */
const struct route *router_match(struct request *rq, bool *path_known);
/* The route serving METHOD on URL, or NULL; no allocation (for the first call, before the body arrives). */
const struct route *router_find(const char *method, const char *url);

/* Authenticates RQ from its Authorization header, filling rq->principal. On failure a 401 (or 503) is queued
 * and false returned with *RET set. */
bool auth_authenticate(struct request *rq, enum MHD_Result *ret);
/* Authenticates a sign-in (POST /v1/web/session) by the token of its JSON body's "token" member, with the same
 * checks and throttle as a bearer token, or by the sign-in link of its "link" member. */
bool auth_body_token(struct request *rq, enum MHD_Result *ret);
/* Fills P from a token's row (its id, commission, role name, scope or NULL, expiry in unix seconds). */
void principal_fill(struct principal *p, const char *token_id, const char *commission_id, const char *role,
                    const char *scope_org_id, const char *expires_epoch);
/* A failed authentication (counted by the per-address throttle): the 401 with DETAIL queued, false returned. */
bool auth_web_failure(struct request *rq, const char *detail, enum MHD_Result *ret);

/* The web front's session cookie (src/http/web_session.c). */
#define WEB_SESSION_COOKIE "commissiond_session"
/* Authenticates RQ by the session cookie COOKIE: a session still valid whose token is valid, and for every call but
 * the CSRF-exempt reads (ROUTE_WEB_NAVIGABLE), the X-CSRF-Token header of this session; a state-changing request
 * must also come from this origin (Origin, Sec-Fetch-Site). Fills rq->principal; false with *RET queued else. */
bool web_session_authenticate(struct request *rq, const char *cookie, enum MHD_Result *ret);

/* Authenticates a sign-in by a sign-in link's secret LINK (used up here: one use); false with *RET queued else. */
bool web_link_authenticate(struct request *rq, const char *link, enum MHD_Result *ret);

/* Starts the revocation listener thread on CONNINFO; 0 on success. */
int auth_listener_start(const char *conninfo);
void auth_listener_stop(void);

/* Records one finished request: ROUTE_INDEX (http_route_count() for unmatched), STATUS and duration. */
void metrics_record(size_t route_index, unsigned int status, uint64_t duration_ns);
/* Renders the Prometheus text; *TEXT is malloc'ed (caller frees). 0 on success. */
int metrics_render(char **text, size_t *len);

uint64_t now_ns(void);

/* A 64-bit FNV-1a of the client's address (not its port), the key of per-address limits; 0 when unknown. */
uint64_t http_client_address_key(struct MHD_Connection *connection);
/* Connections (src/http/connections.c). Whether a connection may be served, or was accepted past a limit only to
 * be answered 503. */
enum connection_refusal { CONNECTION_ACCEPTED, CONNECTION_OVER_LIMIT, CONNECTION_OVER_ADDRESS_LIMIT };
/* MHD_OPTION_NOTIFY_CONNECTION: registers a connection (deadline for its request line and headers, and whether it is
 * past --max-connections or --per-ip-connections) and forgets it before libmicrohttpd closes its socket. */
void http_connection_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);
/* The request's headers arrived: its body has --body-timeout from now. Returns whether to serve it. */
enum connection_refusal http_connection_headers_received(struct MHD_Connection *connection);
/* The request is complete and handled: no deadline while the handler works. */
void http_connection_handling(struct MHD_Connection *connection);
/* The response was sent: the next request on this connection has --header-timeout from now. */
void http_connection_request_done(struct MHD_Connection *connection);
/* The thread that shuts down connections past their deadline (every 200 ms); 0 on success. */
int http_watchdog_start(void);
void http_watchdog_stop(void);
/* Counters for /metrics. */
unsigned long http_connections_timed_out(void);
unsigned long http_connections_refused(void);
/* Connections open now, those answered 503 past a limit excepted. */
unsigned long http_connections_open(void);

/* The JSON pointer (RFC 6901) of the member being parsed at byte POSITION of the LEN bytes of TEXT, a body
 * jansson refused there: "/name", "/items/2", or "" for the document itself. Written into OUT (size N). */
void json_error_pointer(const char *text, size_t len, size_t position, char *out, size_t n);

#endif
