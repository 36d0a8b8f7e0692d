/* The rules of sessions and decisions (see include/session_rules.h). */
#include <string.h>

#include "session_rules.h"

enum session_status session_status_parse(const char *name) {
  static const char *const names[] = {[SESSION_PLANNED] = "planned", [SESSION_OPEN] = "open",
                                      [SESSION_CLOSED] = "closed", [SESSION_CANCELLED] = "cancelled"};
  for (size_t i = 0; name != NULL && i < sizeof names / sizeof *names; i++)
    if (strcmp(name, names[i]) == 0)
      return (enum session_status)i;
  return SESSION_INVALID;
}

bool session_allows(enum session_status status, enum session_work work) {
  switch (work) {
  case WORK_EDIT:
  case WORK_AGENDA:
    return status == SESSION_PLANNED || status == SESSION_OPEN;
  case WORK_DECIDE:
  case WORK_CLOSE:
    return status == SESSION_OPEN;
  case WORK_CORRECT:
    return status == SESSION_OPEN || status == SESSION_CLOSED;
  case WORK_OPEN:
  case WORK_CANCEL:
    return status == SESSION_PLANNED;
  }
  return false;
}

bool session_opens_on(const char *session_date, const char *today) {
  return session_date != NULL && today != NULL && strcmp(session_date, today) <= 0;
}

bool session_date_changeable(enum session_status status, const char *stored, const char *sent) {
  return status == SESSION_PLANNED || sent == NULL || (stored != NULL && strcmp(stored, sent) == 0);
}

const char *decision_members_check(const char *outcome, bool has_refusal_reason, bool has_unit, const char **reason) {
  bool refuse = outcome != NULL && strcmp(outcome, "refuse") == 0;
  if (refuse != has_refusal_reason) {
    *reason = refuse ? "is required to refuse" : "is only for a refusal";
    return "/refusal_reason";
  }
  if (has_unit && (outcome == NULL || strcmp(outcome, "approve") != 0)) {
    *reason = "is only for an approval";
    return "/unit_id";
  }
  return NULL;
}

bool unit_in_service(const char *status) {
  return status != NULL && (strcmp(status, "available") == 0 || strcmp(status, "occupied") == 0);
}

bool decision_correctable(const char *outcome, bool standing, enum app_status current) {
  return standing && current != APP_INVALID && current == app_status_after_decision(outcome);
}
