/* Unit tests of the review rules: which role writes and reads which part, and the rent part's consistency. */
#include <string.h>

#include "review.h"
#include "check.h"

static void test_writes(void) {
  static const struct {
    enum review_part part;
    bool coordinator, caregiver, curator, landlord, observer;
  } table[] = {
    {REVIEW_CARE, true, true, false, false, false},
    {REVIEW_RENT, true, false, true, true, false},
    {REVIEW_HOUSING, true, true, false, true, false},
    {REVIEW_AUTONOMY, true, true, false, false, false},
    {REVIEW_OUTCOME, true, true, false, false, false},
  };
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    CHECK(review_may_write(ROLE_COORDINATOR, table[i].part) == table[i].coordinator);
    CHECK(review_may_write(ROLE_CAREGIVER, table[i].part) == table[i].caregiver);
    CHECK(review_may_write(ROLE_CURATOR, table[i].part) == table[i].curator);
    CHECK(review_may_write(ROLE_LANDLORD, table[i].part) == table[i].landlord);
    CHECK(review_may_write(ROLE_OBSERVER, table[i].part) == table[i].observer);
    CHECK(!review_may_write(ROLE_NONE, table[i].part));
  }
}

static void test_reads(void) {
  static const enum role roles[] = {ROLE_COORDINATOR, ROLE_CAREGIVER, ROLE_CURATOR, ROLE_LANDLORD, ROLE_OBSERVER};
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++) {
    enum role r = roles[i];
    /* The care follow-up is care-confidential; the autonomy part is also the curator's. */
    CHECK(review_may_read(r, REVIEW_CARE) == (r == ROLE_COORDINATOR || r == ROLE_CAREGIVER));
    CHECK(review_may_read(r, REVIEW_AUTONOMY) == (r == ROLE_COORDINATOR || r == ROLE_CAREGIVER || r == ROLE_CURATOR));
    CHECK(review_may_read(r, REVIEW_RENT));
    CHECK(review_may_read(r, REVIEW_HOUSING));
    CHECK(review_may_read(r, REVIEW_OUTCOME));
  }
}

static void test_rent(void) {
  long long zero = 0, some = 12000;
  CHECK(review_rent_problem("up_to_date", NULL) == NULL);
  CHECK(review_rent_problem("up_to_date", &zero) == NULL); /* 0 is no arrears */
  CHECK(review_rent_problem(NULL, NULL) == NULL);          /* the rent part cleared */
  CHECK(review_rent_problem("arrears", &some) == NULL);
  const char *why = review_rent_problem("arrears", NULL);
  CHECK(why != NULL && strstr(why, "positive") != NULL);
  CHECK(review_rent_problem("arrears", &zero) != NULL);
  why = review_rent_problem("up_to_date", &some);
  CHECK(why != NULL && strstr(why, "unless rent_status is arrears") != NULL);
  CHECK(review_rent_problem(NULL, &some) != NULL);
}

int main(void) {
  test_writes();
  test_reads();
  test_rent();
  return check_exit();
}
