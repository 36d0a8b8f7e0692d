/* The quarterly review's parts and who writes and reads each (src/domain/review.c), pure:
 *
 *   part            writes                           reads
 *   care_followup   coordinator, caregiver           coordinator, caregiver (care-confidential)
 *   rent            coordinator, curator, landlord   everyone who sees the review
 *   housing         coordinator, caregiver, landlord everyone who sees the review
 *   autonomy        coordinator, caregiver           coordinator, caregiver, curator
 *   outcome         coordinator, caregiver           everyone who sees the review
 */
#ifndef COMMISSIOND_REVIEW_H
#define COMMISSIOND_REVIEW_H

#include <stdbool.h>

#include "principal.h"

enum review_part { REVIEW_CARE, REVIEW_RENT, REVIEW_HOUSING, REVIEW_AUTONOMY, REVIEW_OUTCOME, REVIEW_PARTS };

/* Whether ROLE writes PART of a review. */
bool review_may_write(enum role role, enum review_part part);
/* Whether ROLE reads PART of a review it sees. */
bool review_may_read(enum role role, enum review_part part);
/* The rent part's consistency: in arrears (RENT_STATUS "arrears") exactly when ARREARS_CENTS (NULL: none) is a
 * positive amount. NULL when consistent, else the reason about /arrears_cents. */
const char *review_rent_problem(const char *rent_status, const long long *arrears_cents);

#endif
