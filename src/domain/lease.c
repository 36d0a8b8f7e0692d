/* Sliding-lease calendar (see include/lease.h). */
#include "lease.h"

struct date lease_tripartite_due(struct date last_tripartite_or_start) {
  return date_add_months(last_tripartite_or_start, LEASE_REVIEW_MONTHS);
}

struct date lease_notice_due(struct date tripartite_due) {
  return date_add_months(tripartite_due, -LEASE_NOTICE_MONTHS_BEFORE);
}

const char *lease_due_status(struct date due_on, struct date today) {
  long days = date_days(due_on) - date_days(today);
  return days < 0 ? "overdue" : days <= 30 ? "due" : "scheduled";
}

struct lease_step lease_next_step(struct date notice_due, bool notice_sent, struct date review_due,
                                  const struct date *planned_slide, struct date today) {
  /* on the same day, the notice comes before the review, the review before the slide */
  struct lease_step s = {"tripartite_review", review_due, NULL};
  if (!notice_sent && date_compare(notice_due, s.due_on) <= 0) {
    s.step = "prefect_notice";
    s.due_on = notice_due;
  }
  if (planned_slide != NULL && date_compare(*planned_slide, s.due_on) < 0) {
    s.step = "slide";
    s.due_on = *planned_slide;
  }
  s.status = lease_due_status(s.due_on, today);
  return s;
}
