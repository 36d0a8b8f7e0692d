/* Unit tests of content negotiation (src/http/accept.c) and of list cursors (page_parse(), page_cursor_encode()
 * of src/http/params.c): pure functions that the fuzz suite also runs. */
#include <string.h>

#include <sodium.h>

#include "accept.h"
#include "check.h"
#include "params.h"

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

static void test_cursor(void) {
  static const enum cursor_key kinds[] = {KEY_TEXT, KEY_TEXT, KEY_UUID};
  struct page page;
  const char *field, *reason;
  CHECK(page_parse(&page, NULL, NULL, 3, kinds, &field, &reason) && strcmp(page.limit, "50") == 0);
  page_free(&page);
  CHECK(page_parse(&page, "1000", NULL, 3, kinds, &field, &reason) && strcmp(page.limit, "200") == 0);
  page_free(&page);
  CHECK(!page_parse(&page, "0", NULL, 3, kinds, &field, &reason) && strcmp(field, "query:limit") == 0);
  CHECK(!page_parse(&page, "", NULL, 3, kinds, &field, &reason) && strcmp(field, "query:limit") == 0);
  CHECK(!page_parse(&page, NULL, "bm9wZQ", 3, kinds, &field, &reason) && strcmp(field, "query:cursor") == 0);

  /* The cursor of a person whose names are 100 characters of four bytes each (found by fuzz-page: such cursors
   * were longer than the decoder's buffer, and the next page answered 400). */
  char family[401] = "", given[401] = "";
  for (int i = 0; i < 100; i++) {
    strcat(family, "\xF0\x9F\x8F\xA0"); /* U+1F3E0 */
    strcat(given, "\xF0\x9F\x8F\xA1");
  }
  const char *keys[] = {family, given, "0f8fad5b-d9cb-469f-a165-70867728950e"};
  char *cursor = page_cursor_encode(keys, 3);
  CHECK(cursor != NULL);
  CHECK(cursor != NULL && page_parse(&page, "20", cursor, 3, kinds, &field, &reason));
  if (page.cursor != NULL) {
    CHECK(strcmp(page.after[0], family) == 0 && strcmp(page.after[1], given) == 0 &&
          strcmp(page.after[2], keys[2]) == 0);
    page_free(&page);
  }
  free(cursor);
  /* Control characters are written as \u escapes, six bytes each: the longest text key still comes back. */
  char controls[501];
  memset(controls, 0x1b, 500);
  controls[500] = '\0';
  const char *texts[] = {controls, controls, controls, controls};
  static const enum cursor_key four[] = {KEY_TEXT, KEY_TEXT, KEY_TEXT, KEY_TEXT};
  cursor = page_cursor_encode(texts, 4);
  CHECK(cursor != NULL && page_parse(&page, NULL, cursor, 4, four, &field, &reason));
  page_free(&page);
  free(cursor);
  /* One character more is not a key this server issues. */
  char longer[502];
  memset(longer, 'x', 501);
  longer[501] = '\0';
  const char *too_long[] = {longer, "0f8fad5b-d9cb-469f-a165-70867728950e"};
  static const enum cursor_key two[] = {KEY_TEXT, KEY_UUID};
  cursor = page_cursor_encode(too_long, 2);
  CHECK(cursor != NULL && !page_parse(&page, NULL, cursor, 2, two, &field, &reason));
  free(cursor);
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  test_accept();
  test_cursor();
  return check_exit();
}
