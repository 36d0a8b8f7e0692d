/* The one place that turns a role and scope into what a query may return (see include/access.h). */
#include <stddef.h>

#include "access.h"

struct access access_decide(const struct principal *p, enum resource resource, enum action action) {
  struct access a = {ACCESS_DENY, p->commission_id, NULL};
  switch (resource) {
  case RES_ORGANISATION:
    /* The commission's partners are not personal data: every role of the commission may read them. */
    if (action == ACT_READ && p->role != ROLE_NONE)
      a.kind = ACCESS_COMMISSION;
    else if (p->role == ROLE_COORDINATOR)
      a.kind = ACCESS_COMMISSION;
    break;
  case RES_TOKEN:
    if (p->role == ROLE_COORDINATOR)
      a.kind = ACCESS_COMMISSION;
    break;
  }
  if (a.kind == ACCESS_ORG)
    a.org_id = p->scope_org_id;
  return a;
}

const char *access_scope_param(const struct access *a) {
  return a->kind == ACCESS_ORG ? "org" : "commission";
}
