/* The one place that turns a role and scope into what a query may return (see include/access.h).
 *
 *   resource        coordinator  caregiver      curator        landlord       observer
 *   organisation    all (write)  read           read           read           read
 *   token           all          -              -              -              -
 *   person          all          own team       own protected  -              -
 *   care note       all          own team       -              -              -
 *   unit            all (write)  read           read           own units      -
 *   agreement       all (write)  -              -              own            -
 *   application     all          own team       own protected  -              -
 *   situation text  all          own team       -              -              -
 *   session         all (write)  read           read           read           read
 *   session work    all          -              -              -              -
 *   agenda, minutes all          read (***)     read (***)     read (***)     -
 *   placement       all (write)  own team       own protected  own units      -
 *   deposit         all          -              own protected  own units (*)  -
 *   review          all          own team       own protected  own units      -
 *   incident        all          own team       own protected  own units (**) -
 *   report          all          -              -              -              read
 *   audit, export   all          -              -              -              -
 *   duplicates      all          -              -              -              -
 *   arrears plan    all          -              own protected  own units      -
 *   calendar feed   -            -              -              -              -
 *
 * "own team" / "own protected" / "own units" read and write within that relation; other cells read only.
 * (*) a landlord records refunds and deductions on the deposits of its units' placements.
 * (**) incidents: scoped roles report and read, only the coordinator acknowledges and closes; a curator does not
 * see hospitalisations, a landlord sees the incidents landlords reported (see SQL_INCIDENT_SCOPE). Review parts:
 * see src/api/reviews.c.
 * (***) each line of an agenda or minutes shows its person, application, placement or incident only to a reader
 * who may see that object through its own route; otherwise the line stays, anonymous.
 *
 * The calendar role reads the calendar feed and nothing else, and the feed is read with a calendar token only: its
 * token travels in a URL (phone calendars cannot send headers), where no other role's token may ever be put. */
#include <stddef.h>

#include "access.h"

static struct access scoped(const struct principal *p, enum access_relation relation) {
  struct access a = {ACCESS_ORG, relation, p->commission_id, p->scope_org_id};
  return a;
}

struct access access_decide(const struct principal *p, enum resource resource, enum action action) {
  struct access all = {ACCESS_COMMISSION, REL_NONE, p->commission_id, NULL};
  struct access deny = {ACCESS_DENY, REL_NONE, p->commission_id, NULL};
  if (resource == RES_CALENDAR)
    return p->role == ROLE_CALENDAR && action == ACT_READ ? all : deny;
  if (p->role == ROLE_CALENDAR)
    return deny;
  if (p->role == ROLE_COORDINATOR)
    return all;
  if (p->role == ROLE_NONE || action == ACT_FORCE)
    return deny;
  bool read = action == ACT_READ;
  switch (resource) {
  case RES_ORGANISATION:
  case RES_SESSION:
    return read ? all : deny;
  case RES_AGENDA:
    return read && p->role != ROLE_OBSERVER ? all : deny;
  case RES_UNIT:
    if (p->role == ROLE_LANDLORD)
      return read ? scoped(p, REL_LANDLORD) : deny;
    return read && (p->role == ROLE_CAREGIVER || p->role == ROLE_CURATOR) ? all : deny;
  case RES_AGREEMENT:
    return read && p->role == ROLE_LANDLORD ? scoped(p, REL_LANDLORD) : deny;
  case RES_PERSON:
  case RES_APPLICATION:
    if (p->role == ROLE_CAREGIVER)
      return scoped(p, REL_CARE_TEAM);
    if (p->role == ROLE_CURATOR)
      return scoped(p, REL_CURATOR);
    return deny;
  case RES_CARE_NOTE:
  case RES_SITUATION:
    return p->role == ROLE_CAREGIVER ? scoped(p, REL_CARE_TEAM) : deny;
  case RES_PLACEMENT:
    if (!read)
      return deny;
    if (p->role == ROLE_CAREGIVER)
      return scoped(p, REL_CARE_TEAM);
    if (p->role == ROLE_CURATOR)
      return scoped(p, REL_CURATOR);
    return p->role == ROLE_LANDLORD ? scoped(p, REL_LANDLORD) : deny;
  case RES_DEPOSIT:
    if (p->role == ROLE_CURATOR)
      return read ? scoped(p, REL_CURATOR) : deny;
    return p->role == ROLE_LANDLORD ? scoped(p, REL_LANDLORD) : deny;
  case RES_REVIEW:
  case RES_INCIDENT:
    if (resource == RES_INCIDENT && action == ACT_UPDATE)
      return deny;
    if (p->role == ROLE_CAREGIVER)
      return scoped(p, REL_CARE_TEAM);
    if (p->role == ROLE_CURATOR)
      return scoped(p, REL_CURATOR);
    return p->role == ROLE_LANDLORD ? scoped(p, REL_LANDLORD) : deny;
  case RES_REPORT:
    return read && p->role == ROLE_OBSERVER ? all : deny;
  case RES_ARREARS_PLAN:
    if (p->role == ROLE_CURATOR)
      return scoped(p, REL_CURATOR);
    return p->role == ROLE_LANDLORD ? scoped(p, REL_LANDLORD) : deny;
  case RES_TOKEN:
  case RES_SESSION_WORK:
  case RES_AUDIT:
  case RES_DUPLICATE:
  case RES_WEBHOOK:
  case RES_CALENDAR:
  case RES_IMPORT:
    return deny;
  }
  return deny;
}

const char *access_scope_param(const struct access *a) {
  if (a->kind == ACCESS_DENY)
    return "none"; /* matches no row: a denied scope never widens into "all" */
  if (a->kind != ACCESS_ORG)
    return "all";
  switch (a->relation) {
  case REL_CARE_TEAM: return "care_team";
  case REL_CURATOR: return "curator";
  case REL_LANDLORD: return "landlord";
  default: return "none";
  }
}

const char *access_org_param(const struct access *a) { return a->kind == ACCESS_ORG ? a->org_id : NULL; }
