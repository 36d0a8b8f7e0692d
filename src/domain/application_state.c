/* The application state machine (see include/application_state.h). */
#include <stdio.h>
#include <string.h>

#include "application_state.h"

static const char *const names[] = {
  [APP_DRAFT] = "draft",       [APP_SUBMITTED] = "submitted", [APP_SCHEDULED] = "scheduled",
  [APP_APPROVED] = "approved", [APP_REFUSED] = "refused",     [APP_DEFERRED] = "deferred",
  [APP_PLACED] = "placed",     [APP_WITHDRAWN] = "withdrawn", [APP_LAPSED] = "lapsed",
};
#define N_STATUS ((int)(sizeof names / sizeof *names))

enum app_status app_status_parse(const char *name) {
  for (int i = 0; name != NULL && i < N_STATUS; i++)
    if (strcmp(name, names[i]) == 0)
      return (enum app_status)i;
  return APP_INVALID;
}

bool app_status_list_parse(const char *text, char *out, size_t n) {
  bool wanted[N_STATUS] = {false};
  const char *s = text;
  if (s == NULL || n < 3)
    return false;
  for (;;) {
    const char *end = strchr(s, ',');
    size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
    char item[16];
    if (len == 0 || len >= sizeof item)
      return false;
    memcpy(item, s, len);
    item[len] = '\0';
    if (strcmp(item, "waiting") == 0) {
      wanted[APP_SUBMITTED] = wanted[APP_DEFERRED] = true;
    } else {
      enum app_status st = app_status_parse(item);
      if (st == APP_INVALID)
        return false;
      wanted[st] = true;
    }
    if (end == NULL)
      break;
    s = end + 1;
  }
  size_t used = 0;
  out[used++] = '{';
  for (int i = 0; i < N_STATUS; i++) {
    if (!wanted[i])
      continue;
    int w = snprintf(out + used, n - used, "%s%s", used > 1 ? "," : "", names[i]);
    if (w < 0 || (size_t)w >= n - used)
      return false;
    used += (size_t)w;
  }
  if (used + 2 > n)
    return false;
  out[used++] = '}';
  out[used] = '\0';
  return true;
}

const char *app_status_name(enum app_status status) {
  return status >= 0 && (int)status < N_STATUS ? names[status] : "invalid";
}

bool app_status_open(enum app_status s) {
  return s == APP_DRAFT || s == APP_SUBMITTED || s == APP_SCHEDULED || s == APP_DEFERRED || s == APP_APPROVED;
}

bool app_transition_legal(enum app_status from, enum app_status to, enum app_path path) {
  switch (path) {
  case PATH_CLIENT:
    return (from == APP_DRAFT && to == APP_SUBMITTED) || (to == APP_WITHDRAWN && app_status_open(from));
  case PATH_AGENDA:
    return ((from == APP_SUBMITTED || from == APP_DEFERRED) && to == APP_SCHEDULED) ||
           (from == APP_SCHEDULED && to == APP_SUBMITTED);
  case PATH_DECISION:
    return from == APP_SCHEDULED && (to == APP_APPROVED || to == APP_REFUSED || to == APP_DEFERRED);
  case PATH_PLACEMENT:
    return from == APP_APPROVED && to == APP_PLACED;
  case PATH_DELAY:
    return from == APP_APPROVED && to == APP_LAPSED;
  }
  return false;
}

enum app_status app_status_after_decision(const char *outcome) {
  if (outcome == NULL)
    return APP_INVALID;
  if (strcmp(outcome, "approve") == 0)
    return APP_APPROVED;
  if (strcmp(outcome, "refuse") == 0)
    return APP_REFUSED;
  if (strcmp(outcome, "defer") == 0)
    return APP_DEFERRED;
  return APP_INVALID;
}
