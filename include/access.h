/* Least privilege in one place: what a principal may do with a kind of resource. Handlers ask here; queries
 * receive the answer as parameters ($commission, $scope, $org), so no handler builds its own predicate. */
#ifndef COMMISSIOND_ACCESS_H
#define COMMISSIOND_ACCESS_H

#include "principal.h"

enum resource {
  RES_ORGANISATION,
  RES_TOKEN,
};

enum action {
  ACT_READ,
  ACT_CREATE,
  ACT_UPDATE,
};

enum access_kind {
  ACCESS_DENY,       /* the role may never do this: 403 on collections */
  ACCESS_COMMISSION, /* everything of the principal's commission */
  ACCESS_ORG,        /* only what relates to the principal's organisation */
};

struct access {
  enum access_kind kind;
  const char *commission_id;
  const char *org_id; /* NULL unless ACCESS_ORG */
};

/* Decides what PRINCIPAL may do on RESOURCE with ACTION. Never fails. */
struct access access_decide(const struct principal *principal, enum resource resource, enum action action);
/* The scope parameter queries take: "commission" or "org". */
const char *access_scope_param(const struct access *access);

#endif
