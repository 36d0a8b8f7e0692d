/* The application state machine (see include/application_state.h). */
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
