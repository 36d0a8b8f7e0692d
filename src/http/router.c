/* Matches a request's path against the route table: literal segments, and "{name}" segments that capture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

size_t http_route_count(void) {
  size_t n = 0;
  while (http_routes[n].method != NULL)
    n++;
  return n;
}

size_t http_route_index(const struct route *route) { return (size_t)(route - http_routes); }

/* Does PATTERN match URL? Reads URL only (every route is tried against the same path, so nothing is copied per
 * route); the offsets of its captured segments go to ARGS, their number to *NARGS. */
static bool pattern_match(const char *pattern, const char *url, size_t args[ROUTE_MAX_ARGS], size_t *nargs) {
  const char *p = pattern;
  const char *u = url;
  *nargs = 0;
  while (*p != '\0' && *u != '\0') {
    if (*p != '/' || *u != '/')
      return false;
    p++;
    u++;
    size_t plen = (size_t)(strchrnul(p, '/') - p);
    size_t ulen = (size_t)(strchrnul(u, '/') - u);
    if (plen > 1 && p[0] == '{') {
      if (ulen == 0 || *nargs == ROUTE_MAX_ARGS)
        return false;
      args[(*nargs)++] = (size_t)(u - url);
    } else if (plen != ulen || memcmp(p, u, plen) != 0) {
      return false;
    }
    p += plen;
    u += ulen;
  }
  return *p == '\0' && *u == '\0';
}

const struct route *router_find(const char *method, const char *url) {
  if (strlen(url) > URL_MAX)
    return NULL;
  size_t args[ROUTE_MAX_ARGS], nargs;
  for (const struct route *r = http_routes; r->method != NULL; r++)
    if (strcmp(r->method, method) == 0 && pattern_match(r->pattern, url, args, &nargs))
      return r;
  return NULL;
}

const struct route *router_match(struct request *rq, bool *path_known) {
  size_t len = strlen(rq->url);
  *path_known = false;
  rq->allow[0] = '\0';
  if (len > URL_MAX)
    return NULL;
  const struct route *found = NULL;
  size_t args[ROUTE_MAX_ARGS], nargs = 0;
  for (const struct route *r = http_routes; r->method != NULL; r++) {
    if (!pattern_match(r->pattern, rq->url, args, &nargs))
      continue;
    *path_known = true;
    if (strcmp(r->method, rq->method) == 0) {
      found = r;
      break;
    }
    size_t used = strlen(rq->allow);
    snprintf(rq->allow + used, sizeof rq->allow - used, "%s%s%s", used ? ", " : "", r->method,
             strcmp(r->method, "GET") == 0 ? ", HEAD" : ""); /* HEAD is served wherever GET is */
  }
  if (found == NULL)
    return NULL;
  rq->url_copy = malloc(len + 1);
  if (rq->url_copy == NULL)
    return NULL;
  memcpy(rq->url_copy, rq->url, len + 1);
  /* each captured segment, terminated in the request's own copy of the path */
  memset(rq->args, 0, sizeof rq->args);
  for (size_t i = 0; i < nargs; i++) {
    char *segment = rq->url_copy + args[i];
    segment[strcspn(segment, "/")] = '\0';
    rq->args[i] = segment;
  }
  return found;
}
