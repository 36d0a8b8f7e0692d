/* libFuzzer target: content negotiation on the Accept header (accept_choose() of src/http/accept.c), with the
 * offers of the reports (JSON or CSV) and of the minutes (JSON or HTML). */
#include <ctype.h>
#include <string.h>

#include "accept.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static const char *const reports[] = {"application/json", "text/csv"};
static const char *const minutes[] = {"application/json", "text/html"};
static const char *const swapped[] = {"text/csv", "application/json"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A header value, as MHD hands it over: up to its first NUL. */
  char *accept = malloc(size + 1), *lower = malloc(size + 1);
  FUZZ_CHECK(accept != NULL && lower != NULL, "out of memory");
  memcpy(accept, data, size);
  accept[size] = '\0';
  for (size_t i = 0; i <= size; i++)
    lower[i] = (char)tolower((unsigned char)accept[i]);

  int r = accept_choose(accept, reports, 2), m = accept_choose(accept, minutes, 2);
  FUZZ_CHECK(r >= -1 && r < 2 && m >= -1 && m < 2, "chose %d and %d", r, m);
  if (accept[strspn(accept, " \t")] == '\0')
    FUZZ_CHECK(r == 0 && m == 0, "a blank Accept is not the default");
  /* Media types and parameter names are case-insensitive; q values are digits. */
  FUZZ_CHECK(accept_choose(lower, reports, 2) == r && accept_choose(lower, minutes, 2) == m,
             "the choice depends on case: %s", accept);
  /* The order of the offers only breaks ties: JSON, acceptable and not refused, wins one way or the other. */
  int s = accept_choose(accept, swapped, 2);
  FUZZ_CHECK((r == -1) == (s == -1), "acceptable in one order only: %s", accept);
  /* JSON alone is acceptable exactly when it is acceptable among others. */
  static const char *const json[] = {"application/json"};
  int j = accept_choose(accept, json, 1);
  if (r == 0 || m == 0 || s == 1)
    FUZZ_CHECK(j == 0, "JSON chosen among others but refused alone: %s", accept);
  if (j == 0)
    FUZZ_CHECK(r != -1 && m != -1, "JSON acceptable alone but nothing among others: %s", accept);
  free(lower);
  free(accept);
  return 0;
}
