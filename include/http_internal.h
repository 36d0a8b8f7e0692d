/* Pieces of the HTTP layer that only the layer itself uses. */
#ifndef COMMISSIOND_HTTP_INTERNAL_H
#define COMMISSIOND_HTTP_INTERNAL_H

#include "http.h"

#define URL_MAX 2048

/* Finds the route for RQ's method and URL, filling RQ->args. NULL when none: *PATH_KNOWN tells whether another
 * method serves the path (405, with rq->allow listing them) or none does (404). */
const struct route *router_match(struct request *rq, bool *path_known);

/* Authenticates RQ from its Authorization header, filling rq->principal. On failure a 401 (or 503) is queued
 * and false returned with *RET set. */
bool auth_authenticate(struct request *rq, enum MHD_Result *ret);
/* Starts the revocation listener thread on CONNINFO; 0 on success. */
int auth_listener_start(const char *conninfo);
void auth_listener_stop(void);

/* Records one finished request: ROUTE_INDEX (http_route_count() for unmatched), STATUS and duration. */
void metrics_record(size_t route_index, unsigned int status, uint64_t duration_ns);
/* Renders the Prometheus text; *TEXT is malloc'ed (caller frees). 0 on success. */
int metrics_render(char **text, size_t *len);

uint64_t now_ns(void);

/* The JSON pointer (RFC 6901) of the member being parsed at byte POSITION of the LEN bytes of TEXT, a body
 * jansson refused there: "/name", "/items/2", or "" for the document itself. Written into OUT (size N). */
void json_error_pointer(const char *text, size_t len, size_t position, char *out, size_t n);

#endif
