/* Least privilege in one place: what a principal may do with a kind of resource. Handlers ask here; queries
 * receive the answer as parameters ($commission, $scope, $org), so no handler builds its own predicate. */
#ifndef COMMISSIOND_ACCESS_H
#define COMMISSIOND_ACCESS_H

#include "principal.h"

enum resource {
  RES_ORGANISATION, /* partners: not personal data */
  RES_TOKEN,
  RES_PERSON,       /* identity, care team, protection measure */
  RES_CARE_NOTE,    /* care-confidential */
  RES_UNIT,         /* not personal data; landlords see their own */
  RES_AGREEMENT,
  RES_APPLICATION,
  RES_SITUATION,    /* an application's situation text: care-confidential */
  RES_SESSION,      /* date, place, chair: not personal data */
  RES_SESSION_WORK, /* agenda, attendance, decisions: changes are the coordinator's */
  RES_AGENDA,       /* a session's agenda and minutes: each line shown as far as the reader may see it */
  RES_PLACEMENT,    /* who lives where since when; landlords see those in their units, without health data */
  RES_DEPOSIT,      /* the deposit ledger of a placement */
  RES_REVIEW,       /* quarterly reviews; each part readable and writable by the roles it concerns */
  RES_INCIDENT,     /* incidents on a placement; reported by those who see it, handled by the coordinator */
  RES_REPORT,       /* aggregate figures, no personal data */
  RES_AUDIT,        /* the audit trail and a person's export (right of access): the coordinator's */
  RES_DUPLICATE,    /* the duplicates queue, links of two files and distinct marks: the coordinator's */
  RES_WEBHOOK,      /* webhook subscriptions and their delivery logs: the coordinator's */
  RES_ARREARS_PLAN, /* rent arrears repayment plans: money, not health; the person's curator, the unit's landlord */
  RES_CALENDAR,     /* the calendar feed of sessions: read with a calendar token only, never another's */
  RES_IMPORT,       /* imports of a spreadsheet and exports of the lists as CSV: the coordinator's */
};

enum action {
  ACT_READ,
  ACT_CREATE,
  ACT_UPDATE,
  ACT_FORCE, /* override a rule, with a reason (coordinator only) */
};

enum access_kind {
  ACCESS_DENY,       /* the role may never do this: 403 on collections */
  ACCESS_COMMISSION, /* everything of the principal's commission */
  ACCESS_ORG,        /* only what relates to the principal's organisation */
};

/* For ACCESS_ORG: which relation of the object to the organisation grants access. */
enum access_relation {
  REL_NONE,
  REL_CARE_TEAM, /* the person is followed by the organisation's care team */
  REL_CURATOR,   /* the person is protected by the organisation's curator service */
  REL_LANDLORD,  /* the unit (or agreement) belongs to the organisation */
};

struct access {
  enum access_kind kind;
  enum access_relation relation;
  const char *commission_id;
  const char *org_id; /* NULL unless ACCESS_ORG */
};

/* Decides what PRINCIPAL may do on RESOURCE with ACTION. Never fails. */
struct access access_decide(const struct principal *principal, enum resource resource, enum action action);
/* The scope parameter queries take: "all" for the whole commission, else the relation ("care_team",
 * "curator", "landlord"), or "none" when denied; queries compare it with their own columns. */
const char *access_scope_param(const struct access *access);
/* The organisation parameter queries take (NULL unless ACCESS_ORG). */
const char *access_org_param(const struct access *access);

#endif
