/* Unit tests of the pure request-input functions: content negotiation (src/http/accept.c). */
#include <string.h>

#include <sodium.h>

#include "accept.h"
#include "check.h"

static const char *const reports[] = {"application/json", "text/csv"};
static const char *const minutes[] = {"application/json", "text/html"};

static void test_accept(void) {
  struct {
    const char *accept;
    int report, minute;
  } cases[] = {
    {NULL, 0, 0},
    {"", 0, 0},
    {" \t", 0, 0},
    {"*/*", 0, 0},
    {"application/json", 0, 0},
    {"text/csv", 1, -1},
    {"text/html", -1, 1},
    {"text/*", 1, 1},
    {"TEXT/CSV", 1, -1},
    {"text/csv; charset=utf-8", 1, -1},
    {"application/json, text/csv", 0, 0},           /* a tie: the default */
    {"application/json;q=0.5, text/csv", 1, 0},
    {"text/csv;q=0.5, application/json", 0, 0},
    {"text/*, application/json", 0, 0},             /* same weight: the more specific range wins */
    {"text/html, */*;q=0.8", 0, 1},
    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 0, 1}, /* a browser */
    {"text/csv;q=0, application/json;q=0", -1, -1},
    {"*/*;q=0", -1, -1},
    {"text/csv;q=0, */*", 0, 0},                    /* text/csv refused by name; any type still admits JSON */
    {"text/csv;q=2", -1, -1},                       /* a malformed weight refuses the range */
    {"text/csv;q=0.0001", -1, -1},
    {"text/csv;Q=1.000", 1, -1},
    {"text/csv;a=\"x;q=0,y\";q=0.5", 1, -1},        /* a quoted parameter is not a weight */
    {"image/png, text/plain", -1, -1},
    {" , ,text/csv;;q=0.3 ,", 1, -1},
    {"application/problem+json", -1, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int r = accept_choose(cases[i].accept, reports, 2), m = accept_choose(cases[i].accept, minutes, 2);
    CHECK(r == cases[i].report);
    CHECK(m == cases[i].minute);
    if (r != cases[i].report || m != cases[i].minute)
      fprintf(stderr, "  Accept: %s -> %d %d\n", cases[i].accept ? cases[i].accept : "(none)", r, m);
  }
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  test_accept();
  return check_exit();
}
