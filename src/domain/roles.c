/* Roles: names and what each is bound to. */
#include <string.h>

#include "principal.h"

static const char *const role_names[] = {
  [ROLE_NONE] = "none",
  [ROLE_COORDINATOR] = "coordinator",
  [ROLE_CAREGIVER] = "caregiver",
  [ROLE_CURATOR] = "curator",
  [ROLE_LANDLORD] = "landlord",
  [ROLE_OBSERVER] = "observer",
  [ROLE_CALENDAR] = "calendar",
};

enum role role_parse(const char *name) {
  if (name == NULL)
    return ROLE_NONE;
  for (size_t i = ROLE_COORDINATOR; i < sizeof role_names / sizeof *role_names; i++)
    if (strcmp(name, role_names[i]) == 0)
      return (enum role)i;
  return ROLE_NONE;
}

const char *role_name(enum role role) {
  if ((size_t)role >= sizeof role_names / sizeof *role_names)
    return "none";
  return role_names[role];
}

const char *role_scope_kind(enum role role) {
  switch (role) {
  case ROLE_CAREGIVER: return "care_team";
  case ROLE_CURATOR: return "curator_service";
  case ROLE_LANDLORD: return "landlord";
  default: return NULL;
  }
}

bool role_needs_scope(enum role role) {
  return role_scope_kind(role) != NULL;
}
