/* Who a request acts as: the token's commission, role and scope, available to every handler. */
#ifndef COMMISSIOND_PRINCIPAL_H
#define COMMISSIOND_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STR_LEN 37 /* 36 chars + NUL */

enum role {
  ROLE_NONE = 0,
  ROLE_COORDINATOR,
  ROLE_CAREGIVER,
  ROLE_CURATOR,
  ROLE_LANDLORD,
  ROLE_OBSERVER,
  ROLE_CALENDAR, /* reads the calendar feed of sessions only, with its token in the feed's URL */
};

struct principal {
  char token_id[UUID_STR_LEN];
  char commission_id[UUID_STR_LEN];
  char scope_org_id[UUID_STR_LEN]; /* "" for roles bound to the whole commission */
  enum role role;
  int64_t expires_at; /* unix seconds */
};

/* Parses a role name ("coordinator", ...); ROLE_NONE when unknown. */
enum role role_parse(const char *name);
/* The role's name; "none" for ROLE_NONE. */
const char *role_name(enum role role);
/* True when ROLE must be bound to an organisation (caregiver, curator, landlord). */
bool role_needs_scope(enum role role);
/* The organisation kind a scoped role is bound to ("care_team", ...); NULL for unscoped roles. */
const char *role_scope_kind(enum role role);

#endif
