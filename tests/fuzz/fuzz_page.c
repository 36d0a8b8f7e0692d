/* libFuzzer target: a list's `limit` and `cursor` query parameters (page_parse(), the pure part of param_page() in
 * src/http/params.c), and the round trip of a cursor the server issues (page_cursor_encode()) through page_parse().
 *
 * Input: lines. The first gives the cursor's key kinds, one letter each (t text, u uuid, d date, s timestamp, i
 * integer; at most PAGE_MAX_KEYS). Then tagged lines: "l..." the limit, "c..." the cursor (each absent unless
 * given), "k..." the material of one key of a server-issued cursor, in order. */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "fuzz.h"
#include "params.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0)
    abort();
  return 0;
}

/* A copy of [P, P+N) with a terminating NUL (a query value, as MHD hands it over: up to its first NUL). */
static char *text_of(const uint8_t *p, size_t n) {
  char *s = malloc(n + 1);
  FUZZ_CHECK(s != NULL, "out of memory");
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* A key of KIND made from the material M (a NUL-terminated line) that is valid for its kind, as the database's
 * columns would give it; NULL when M cannot make one (text that is not UTF-8, or too long). Malloc'ed. */
static char *key_of(enum cursor_key kind, const char *m) {
  size_t n = strlen(m);
  unsigned char h[16];
  crypto_generichash(h, sizeof h, (const unsigned char *)m, n, NULL, 0);
  char *k = malloc(40);
  FUZZ_CHECK(k != NULL, "out of memory");
  switch (kind) {
  case KEY_UUID:
    snprintf(k, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3],
             h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
    return k;
  case KEY_DATE:
    snprintf(k, 40, "%04d-%02d-%02d", 1900 + h[0] % 300, 1 + h[1] % 12, 1 + h[2] % 28);
    return k;
  case KEY_TIMESTAMP:
    snprintf(k, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06d%s", 1900 + h[0] % 300, 1 + h[1] % 12, 1 + h[2] % 28,
             h[3] % 24, h[4] % 60, h[5] % 60, (h[6] << 8 | h[7]) % 1000000, h[8] & 1 ? "Z" : "");
    return k;
  case KEY_INT:
    snprintf(k, 40, "%llu", (unsigned long long)(h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16 |
                                                 (uint64_t)h[3] << 24 | (uint64_t)h[4] << 32));
    return k;
  default: {
    free(k);
    json_t *probe = json_string(m); /* NULL unless valid UTF-8: a database's text always is */
    if (probe == NULL || utf8_length(m) > 500)
      k = NULL;
    else
      k = text_of((const uint8_t *)m, n);
    json_decref(probe);
    return k;
  }
  }
}

static void check_page(const struct page *page, bool ok, bool has_cursor, size_t n, const char *field,
                       const char *reason) {
  if (!ok) {
    FUZZ_CHECK(strcmp(field, "query:limit") == 0 || strcmp(field, "query:cursor") == 0, "field %s", field);
    FUZZ_CHECK(reason != NULL && reason[0] != '\0', "no reason");
    FUZZ_CHECK(page->cursor == NULL, "a refused page holds a cursor");
    return;
  }
  char *end;
  long limit = strtol(page->limit, &end, 10);
  FUZZ_CHECK(*end == '\0' && limit >= 1 && limit <= PAGE_MAX, "limit \"%s\"", page->limit);
  FUZZ_CHECK((page->cursor != NULL) == has_cursor, "cursor");
  for (size_t i = 0; i < PAGE_MAX_KEYS; i++)
    FUZZ_CHECK((page->after[i] != NULL) == (has_cursor && i < n), "key %zu", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  enum cursor_key kinds[PAGE_MAX_KEYS];
  size_t n = 0, pos = 0;
  while (pos < size && data[pos] != '\n' && n < PAGE_MAX_KEYS) {
    const char *letters = "tudsi", *at = memchr(letters, data[pos], 5);
    kinds[n++] = at != NULL ? (enum cursor_key[]){KEY_TEXT, KEY_UUID, KEY_DATE, KEY_TIMESTAMP, KEY_INT}[at - letters]
                            : KEY_TEXT;
    pos++;
  }
  while (pos < size && data[pos] != '\n')
    pos++;
  char *limit = NULL, *cursor = NULL, *material[PAGE_MAX_KEYS] = {NULL};
  size_t keys = 0;
  while (pos < size) {
    pos++; /* the newline */
    size_t end = pos;
    while (end < size && data[end] != '\n')
      end++;
    if (end > pos) {
      char **slot = data[pos] == 'l' ? &limit : data[pos] == 'c' ? &cursor
                    : data[pos] == 'k' && keys < PAGE_MAX_KEYS ? &material[keys++] : NULL;
      if (slot != NULL) {
        free(*slot);
        *slot = text_of(data + pos + 1, end - pos - 1);
      }
    }
    pos = end;
  }

  struct page page;
  const char *field = NULL, *reason = NULL;
  bool ok = page_parse(&page, limit, cursor, n, kinds, &field, &reason);
  check_page(&page, ok, cursor != NULL, n, field, reason);
  if (ok)
    page_free(&page);

  /* Every cursor the server issues for keys its database can hold comes back as those keys. */
  if (keys == n) {
    char *key[PAGE_MAX_KEYS] = {NULL};
    bool made = true;
    for (size_t i = 0; i < n; i++)
      made = (key[i] = key_of(kinds[i], material[i])) != NULL && made;
    if (made) {
      char *issued = page_cursor_encode((const char *const *)key, n);
      FUZZ_CHECK(issued != NULL, "no cursor for valid keys");
      ok = page_parse(&page, NULL, issued, n, kinds, &field, &reason);
      FUZZ_CHECK(ok, "a cursor the server issued is refused (%zu bytes): %s", strlen(issued),
                 ok ? "" : reason);
      if (ok) {
        for (size_t i = 0; i < n; i++)
          FUZZ_CHECK(page.after[i] != NULL && strcmp(page.after[i], key[i]) == 0, "key %zu came back changed", i);
        page_free(&page);
      }
      free(issued);
    }
    for (size_t i = 0; i < n; i++)
      free(key[i]);
  }
  for (size_t i = 0; i < PAGE_MAX_KEYS; i++)
    free(material[i]);
  free(limit);
  free(cursor);
  return 0;
}
