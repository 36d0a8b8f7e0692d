/* The JSON writer (src/common/json_writer.c) prints what json_dumps(JSON_COMPACT) prints for the same document:
 * the agenda's answer, written with it, must read the same as every other answer built with jansson. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_writer.h"

/* Whether the writer's text equals jansson's compact dump of EXPECTED (stolen). */
static bool same_as(struct jw *w, json_t *expected) {
  size_t len = 0;
  char *got = jw_finish(w, &len);
  char *want = json_dumps(expected, JSON_COMPACT | JSON_ENCODE_ANY);
  bool same = got != NULL && want != NULL && strlen(got) == len && strcmp(got, want) == 0;
  if (!same)
    fprintf(stderr, "writer: %s\njansson: %s\n", got ? got : "(null)", want ? want : "(null)");
  free(got);
  free(want);
  json_decref(expected);
  return same;
}

int main(void) {
  /* every escape jansson makes, UTF-8 passed through, and the control characters it writes as \uXXXX */
  static const char *const strings[] = {"", "plain", "quote \" and backslash \\", "lines\nand\ttabs\r",
                                        "\b\f", "\x01\x1f\x7f", "slash / stays", "Éloïse Lefèvre — 12 €",
                                        "emoji \xf0\x9f\x8f\xa0"};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
    struct jw w;
    jw_init(&w, 1); /* the smallest buffer: every write grows it */
    jw_object_begin(&w);
    jw_key(&w, strings[i]);
    jw_string(&w, strings[i]);
    jw_object_end(&w);
    CHECK(same_as(&w, json_pack("{s:s}", strings[i], strings[i])));
  }

  /* long strings, read eight bytes at a time: each character that needs an escape (and the ones around the
   * boundaries: space, DEL, UTF-8 bytes) at every position of strings of 1 to 24 bytes of ASCII or of UTF-8 */
  static const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '/'};
  static const char *const fills[] = {"a", "\xc3\xa9"};
  for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
    for (size_t n = 1; n <= 24; n++) {
      for (size_t at = 0; at < n; at++) {
        for (size_t k = 0; k < sizeof specials; k++) {
          char text[64] = "";
          size_t len = 0, fill = strlen(fills[f]);
          for (size_t i = 0; i < n && len + fill < sizeof text - 1; i++) {
            if (i == at)
              text[len++] = specials[k];
            else
              for (size_t b = 0; b < fill; b++)
                text[len++] = fills[f][b];
          }
          text[len] = '\0';
          struct jw sw;
          jw_init(&sw, 8);
          jw_string(&sw, text);
          CHECK(same_as(&sw, json_string(text)));
        }
      }
    }
  }

  /* nesting: objects in arrays in objects, empty containers, every kind of value, null from SQL NULL */
  struct jw w;
  jw_init(&w, 16);
  jw_object_begin(&w);
  jw_key(&w, "items");
  jw_array_begin(&w);
  for (int i = 0; i < 3; i++) {
    jw_object_begin(&w);
    jw_key(&w, "n");
    jw_int(&w, i == 0 ? "-42" : i == 1 ? "9007199254740993" : NULL);
    jw_key(&w, "ok");
    jw_bool(&w, i == 0 ? "t" : i == 1 ? "f" : NULL);
    jw_key(&w, "towns");
    jw_raw_json(&w, i == 0 ? "[\"Lyon\",\"Bron\"]" : NULL);
    jw_key(&w, "none");
    jw_string(&w, NULL);
    jw_object_end(&w);
  }
  jw_array_end(&w);
  jw_key(&w, "empty");
  jw_array_begin(&w);
  jw_array_end(&w);
  jw_key(&w, "nothing");
  jw_object_begin(&w);
  jw_object_end(&w);
  jw_key(&w, "value");
  json_t *v = json_pack("{s:i, s:[s, n]}", "a", 1, "b", "x", NULL);
  jw_value(&w, v);
  json_decref(v);
  jw_object_end(&w);
  json_t *expected = json_pack(
      "{s:[{s:I, s:b, s:[s, s], s:n}, {s:I, s:b, s:n, s:n}, {s:n, s:n, s:n, s:n}], s:[], s:{}, s:{s:i, s:[s, n]}}",
      "items", "n", (json_int_t)-42, "ok", 1, "towns", "Lyon", "Bron", "none", "n", (json_int_t)9007199254740993LL,
      "ok", 0, "towns", "none", "n", "ok", "towns", "none", "empty", "nothing", "value", "a", 1, "b", "x");
  CHECK(same_as(&w, expected));

  /* timestamps as PostgreSQL writes them (ISO, UTC) become RFC 3339 with milliseconds, the fraction cut (as
   * to_char's MS); NULL is null; any other text stays as it is (tests/db compares with to_char itself) */
  static const char *const stamps[][2] = {
    {"2026-07-26 11:00:00+00", "2026-07-26T11:00:00.000Z"}, {"2026-07-26 11:00:00.5+00", "2026-07-26T11:00:00.500Z"},
    {"2026-07-26 11:00:00.05+00", "2026-07-26T11:00:00.050Z"},
    {"2026-07-26 11:00:00.123+00", "2026-07-26T11:00:00.123Z"},
    {"2026-07-26 11:00:00.1239+00", "2026-07-26T11:00:00.123Z"},
    {"1999-12-31 23:59:59.999999+00", "1999-12-31T23:59:59.999Z"},
    {"2026-07-26 11:00:00+02", "2026-07-26 11:00:00+02"}, {"2026-07-26 11:00:00.+00", "2026-07-26 11:00:00.+00"},
    {"2026-07-26 11:00:00.1234567+00", "2026-07-26 11:00:00.1234567+00"},
    {"26/07/2026 11:00:00 UTC", "26/07/2026 11:00:00 UTC"}, {"infinity", "infinity"}, {"", ""},
    {"12026-07-26 11:00:00+00", "12026-07-26 11:00:00+00"}, {"2026-07-26T11:00:00+00", "2026-07-26T11:00:00+00"}};
  for (size_t i = 0; i < sizeof stamps / sizeof *stamps; i++) {
    jw_init(&w, 1);
    jw_object_begin(&w);
    jw_key_timestamp(&w, "at", stamps[i][0]);
    jw_object_end(&w);
    CHECK(same_as(&w, json_pack("{s:s}", "at", stamps[i][1])));
  }
  jw_init(&w, 1);
  jw_timestamp(&w, NULL);
  CHECK(same_as(&w, json_null()));

  /* text[] as PostgreSQL writes it (tests/db compares with to_json itself); a malformed one fails the writer */
  static const char *const arrays[][2] = {
    {"{}", "[]"}, {"{a}", "[\"a\"]"}, {"{Lille,Roubaix}", "[\"Lille\",\"Roubaix\"]"},
    {"{\"a b\",\"c\\\"d\",\"e\\\\f\",\"\"}", "[\"a b\",\"c\\\"d\",\"e\\\\f\",\"\"]"},
    {"{NULL,\"NULL\",null}", "[null,\"NULL\",null]"}, {"{Éloïse}", "[\"Éloïse\"]"}};
  for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
    jw_init(&w, 1);
    jw_text_array(&w, arrays[i][0]);
    size_t n;
    char *got = jw_finish(&w, &n);
    CHECK(got != NULL && strcmp(got, arrays[i][1]) == 0);
    if (got == NULL || strcmp(got, arrays[i][1]) != 0)
      fprintf(stderr, "array %s: %s, want %s\n", arrays[i][0], got ? got : "(failed)", arrays[i][1]);
    free(got);
  }
  static const char *const malformed[] = {"", "a", "{", "{a", "{a,", "{\"a}", "{a}x", "[0:1]={a,b}", "{{a},{b}}",
                                          "{,}", "{a,,b}", "{\"a\"b}"};
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
    jw_init(&w, 1);
    jw_text_array(&w, malformed[i]);
    size_t n;
    char *got = jw_finish(&w, &n);
    CHECK(got == NULL);
    if (got != NULL)
      fprintf(stderr, "malformed array %s written %s\n", malformed[i], got);
    free(got);
  }
  jw_init(&w, 1);
  jw_text_array(&w, NULL);
  CHECK(same_as(&w, json_null()));

  /* a failed writer gives no text, and every later call is harmless */
  jw_init(&w, 8);
  w.failed = true;
  jw_string(&w, "ignored");
  size_t len = 99;
  CHECK(jw_finish(&w, &len) == NULL);
  return check_exit();
}
