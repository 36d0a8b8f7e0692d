/* Matches a request's path against the route table: literal segments, and "{name}" segments that capture. */
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

/* Does PATTERN match URL? Captures go to ARGS (pointers into SCRATCH, a writable copy of URL). */
static bool pattern_match(const char *pattern, char *scratch, const char **args) {
  const char *p = pattern;
  char *u = scratch;
  size_t nargs = 0;
  while (*p != '\0' && *u != '\0') {
    if (*p != '/' || *u != '/')
      return false;
    p++;
    u++;
    const char *pend = strchr(p, '/');
    size_t plen = pend ? (size_t)(pend - p) : strlen(p);
    char *uend = strchr(u, '/');
    size_t ulen = uend ? (size_t)(uend - u) : strlen(u);
    if (plen > 1 && p[0] == '{') {
      if (ulen == 0 || nargs == ROUTE_MAX_ARGS)
        return false;
      args[nargs++] = u;
    } else if (plen != ulen || memcmp(p, u, plen) != 0) {
      return false;
    }
    p += plen;
    u += ulen;
  }
  if (*p != '\0' || *u != '\0')
    return false;
  /* Terminate the captured segments only once the whole pattern matched. */
  for (size_t i = 0; i < nargs; i++) {
    char *slash = strchr((char *)args[i], '/');
    if (slash != NULL)
      *slash = '\0';
  }
  return true;
}

const struct route *router_find(const char *method, const char *url) {
  size_t len = strlen(url);
  char probe[URL_MAX + 1];
  if (len > URL_MAX)
    return NULL;
  for (const struct route *r = http_routes; r->method != NULL; r++) {
    memcpy(probe, url, len + 1);
    const char *args[ROUTE_MAX_ARGS];
    if (strcmp(r->method, method) == 0 && pattern_match(r->pattern, probe, args))
      return r;
  }
  return NULL;
}

const struct route *router_match(struct request *rq, bool *path_known) {
  size_t len = strlen(rq->url);
  char probe[URL_MAX + 1];
  *path_known = false;
  rq->allow[0] = '\0';
  if (len > URL_MAX)
    return NULL;
  const struct route *found = NULL;
  for (const struct route *r = http_routes; r->method != NULL; r++) {
    memcpy(probe, rq->url, len + 1);
    const char *args[ROUTE_MAX_ARGS];
    if (!pattern_match(r->pattern, probe, args))
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
  const char *args[ROUTE_MAX_ARGS] = {NULL};
  pattern_match(found->pattern, rq->url_copy, args);
  memcpy(rq->args, args, sizeof args);
  return found;
}
