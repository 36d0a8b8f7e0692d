/* A minimal test harness: CHECK records a failure with file and line and goes on; main returns check_exit(). */
#ifndef COMMISSIOND_TEST_CHECK_H
#define COMMISSIOND_TEST_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    check_count++;                                                                                                \
    if (!(cond)) {                                                                                                \
      check_failures++;                                                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                    \
    }                                                                                                             \
  } while (0)

static inline int check_exit(void) {
  printf("%d checks, %d failed\n", check_count, check_failures);
  return check_failures ? 1 : 0;
}

#endif
