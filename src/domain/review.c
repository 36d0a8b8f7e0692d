/* Who writes and reads which part of a review (see include/review.h). */
#include <string.h>

#include "review.h"

bool review_may_write(enum role role, enum review_part part) {
  switch (part) {
  case REVIEW_CARE:
  case REVIEW_AUTONOMY:
  case REVIEW_OUTCOME: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER;
  case REVIEW_RENT: return role == ROLE_COORDINATOR || role == ROLE_CURATOR || role == ROLE_LANDLORD;
  case REVIEW_HOUSING: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER || role == ROLE_LANDLORD;
  case REVIEW_PARTS: break;
  }
  return false;
}

bool review_may_read(enum role role, enum review_part part) {
  switch (part) {
  case REVIEW_CARE: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER;
  case REVIEW_AUTONOMY: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER || role == ROLE_CURATOR;
  case REVIEW_RENT:
  case REVIEW_HOUSING:
  case REVIEW_OUTCOME: return true;
  case REVIEW_PARTS: break;
  }
  return false;
}

const char *review_rent_problem(const char *rent_status, const long long *arrears_cents) {
  bool in_arrears = rent_status != NULL && strcmp(rent_status, "arrears") == 0;
  bool amount = arrears_cents != NULL && *arrears_cents > 0;
  if (in_arrears == amount)
    return NULL;
  return in_arrears ? "must be a positive amount when the rent is in arrears"
                    : "must be absent or 0 unless rent_status is arrears";
}
