/* Leases as signed (CCH L442-8-3 for sliding leases), pure: when a sliding lease's tripartite review and the
 * notice to the prefect fall due, and which step comes next. */
#ifndef COMMISSIOND_LEASE_H
#define COMMISSIOND_LEASE_H

#include <stdbool.h>

#include "dates.h"

/* The tripartite review (landlord, association, sub-tenant) every six months, counted from the last one or from
 * the lease's start; the association tells the prefect whether it proposes the lease two months before that
 * period ends. */
#define LEASE_REVIEW_MONTHS 6
#define LEASE_NOTICE_MONTHS_BEFORE 2
struct date lease_tripartite_due(struct date last_tripartite_or_start);
struct date lease_notice_due(struct date tripartite_due);

/* How a due date stands on TODAY: "overdue" after it, "due" within 30 days (or on it), else "scheduled" (as
 * quarterly reviews). */
const char *lease_due_status(struct date due_on, struct date today);

/* The next step of a sliding lease that has not slid: the earliest of the notice to the prefect (NOTICE_DUE,
 * unless NOTICE_SENT), the tripartite review (REVIEW_DUE) and the planned slide (PLANNED_SLIDE, NULL: none).
 * STEP: "prefect_notice", "tripartite_review" or "slide". */
struct lease_step {
  const char *step;
  struct date due_on;
  const char *status;
};
struct lease_step lease_next_step(struct date notice_due, bool notice_sent, struct date review_due,
                                  const struct date *planned_slide, struct date today);

#endif
