/* What the placement handlers share with others. */
#ifndef COMMISSIOND_PLACEMENTS_H
#define COMMISSIOND_PLACEMENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "principal.h"

/* A sliding lease's dates as the API's SlidingLease (texts YYYY-MM-DD or NULL): its start, planned and actual
 * slide, and while it runs unslid its last and next tripartite review, the notice to the prefect (due, sent) and
 * the next step (include/lease.h). NULL when it cannot be built. */
struct sliding_dates {
  const char *start_date, *planned_slide_on, *slid_on, *last_tripartite_on, *tripartite_review_on,
      *prefect_notice_due_on, *prefect_notice_sent_on;
};
json_t *sliding_json(const struct sliding_dates *d);
/* The member "sliding" into W: D's lease as sliding_json() gives it, or null when D has no start date; false when
 * it cannot be built. */
struct jw;
bool write_sliding(struct jw *w, const struct sliding_dates *d);
/* Who holds the lease of kind LEASE, slid (SLID_ON not NULL) or not: "association" or "tenant". */
const char *lease_holder(const char *lease, const char *slid_on);

#endif
