/* What the placement handlers share with others. */
#ifndef COMMISSIOND_PLACEMENTS_H
#define COMMISSIOND_PLACEMENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "principal.h"

/* A sliding lease's dates (texts YYYY-MM-DD or NULL): its start, planned and actual slide, and while it runs unslid
 * its last and next tripartite review and the notice to the prefect (due, sent). */
struct sliding_dates {
  const char *start_date, *planned_slide_on, *slid_on, *last_tripartite_on, *tripartite_review_on,
      *prefect_notice_due_on, *prefect_notice_sent_on;
};
/* The member "sliding" into W: D as the API's SlidingLease, with a running lease's review status and next step
 * (include/lease.h), or null when D has no start date. */
struct jw;
void write_sliding(struct jw *w, const struct sliding_dates *d);
/* The opening of a line naming a placement (the review schedule's, the running sliding leases'), into W: the
 * object begun, "placement_id", "person" {family_name, given_names} and "unit" {id, label, town}; the caller
 * adds its members and ends the object. */
void write_placement_line_open(struct jw *w, const char *placement_id, const char *family_name,
                               const char *given_names, const char *unit_id, const char *unit_label,
                               const char *unit_town);
/* Who holds the lease of kind LEASE, slid (SLID_ON not NULL) or not: "association" or "tenant". */
const char *lease_holder(const char *lease, const char *slid_on);

#endif
