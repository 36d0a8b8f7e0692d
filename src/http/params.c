/* Shared request-input parsing and row-to-JSON conversions (see include/params.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "params.h"
#include "validate.h"

const char *param_path_uuid(struct request *rq, size_t index, const char *name, enum MHD_Result *ret) {
  const char *v = rq->args[index];
  if (v != NULL && valid_uuid(v))
    return v;
  char field[64];
  snprintf(field, sizeof field, "path:%s", name);
  *ret = reply_field_problem(rq, ERR_INVALID_ID, field, "must be a UUID");
  return NULL;
}

char *page_cursor_encode(const char *const *keys, size_t n) {
  json_t *key = json_array();
  bool ok = key != NULL;
  for (size_t i = 0; ok && i < n; i++)
    ok = json_array_append_new(key, keys[i] != NULL ? json_string(keys[i]) : json_null()) == 0;
  char *text = ok ? json_dumps(key, JSON_COMPACT) : NULL;
  json_decref(key);
  if (text == NULL)
    return NULL;
  size_t len = strlen(text);
  size_t out_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = malloc(out_len);
  if (out != NULL)
    sodium_bin2base64(out, out_len, (const unsigned char *)text, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  free(text);
  return out;
}

/* The longest text key a cursor may hold, in characters; and the longest cursor the server issues: PAGE_MAX_KEYS
 * such keys, each character written by json_dumps() in at most 6 bytes (a control character's \u escape), with
 * their quotes and commas, then in base64. A cursor is decoded whenever it could be one of ours. */
#define CURSOR_TEXT_MAX 500
#define CURSOR_JSON_MAX (2 + PAGE_MAX_KEYS * (3 + 6 * CURSOR_TEXT_MAX))
#define CURSOR_MAX (CURSOR_JSON_MAX / 3 * 4 + 4)

static json_t *cursor_decode(const char *cursor) {
  size_t n = strlen(cursor);
  if (n == 0 || n > CURSOR_MAX)
    return NULL;
  unsigned char *raw = malloc(CURSOR_JSON_MAX);
  size_t raw_len;
  if (raw == NULL || sodium_base642bin(raw, CURSOR_JSON_MAX, cursor, n, NULL, &raw_len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    free(raw);
    return NULL;
  }
  json_t *key = json_loadb((const char *)raw, raw_len, 0, NULL);
  free(raw);
  if (key != NULL && !json_is_array(key)) {
    json_decref(key);
    return NULL;
  }
  return key;
}

/* "2026-11-23T17:01:01.277123", with or without a final Z: the microsecond UTC timestamps lists page by. */
static bool valid_cursor_timestamp(const char *s) {
  size_t n = strlen(s);
  if ((n != 26 && !(n == 27 && s[26] == 'Z')) || !valid_date_time(s) || s[19] != '.')
    return false;
  for (size_t i = 20; i < 26; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static bool cursor_key_valid(const char *key, enum cursor_key kind) {
  if (key == NULL)
    return false;
  switch (kind) {
  case KEY_UUID: return valid_uuid(key);
  case KEY_DATE: return valid_date(key);
  case KEY_TIMESTAMP: return valid_cursor_timestamp(key);
  case KEY_INT: {
    size_t n = strlen(key);
    if (n == 0 || n > 18)
      return false;
    for (size_t i = 0; i < n; i++)
      if (key[i] < '0' || key[i] > '9')
        return false;
    return true;
  }
  default: return utf8_length(key) <= CURSOR_TEXT_MAX;
  }
}

bool page_parse(struct page *page, const char *limit, const char *cursor, size_t n, const enum cursor_key *kinds,
                const char **field, const char **reason) {
  memset(page, 0, sizeof *page);
  long value = PAGE_DEFAULT;
  if (limit != NULL) {
    char *end;
    value = strtol(limit, &end, 10);
    if (*limit == '\0' || *end != '\0' || value < 1) {
      *field = "query:limit";
      *reason = "must be a positive integer";
      return false;
    }
    if (value > PAGE_MAX)
      value = PAGE_MAX; /* clamped: a client asking for more gets the largest page */
  }
  snprintf(page->limit, sizeof page->limit, "%ld", value);
  if (cursor == NULL)
    return true;
  page->cursor = cursor_decode(cursor);
  bool ok = page->cursor != NULL && json_array_size(page->cursor) == n && n <= PAGE_MAX_KEYS;
  for (size_t i = 0; ok && i < n; i++) {
    page->after[i] = json_string_value(json_array_get(page->cursor, i));
    ok = cursor_key_valid(page->after[i], kinds[i]);
  }
  if (!ok) {
    page_free(page);
    *field = "query:cursor";
    *reason = "is not a cursor this server issued";
    return false;
  }
  return true;
}

bool param_page(struct request *rq, struct page *page, size_t n, const enum cursor_key *kinds, enum MHD_Result *ret) {
  const char *field, *reason;
  if (page_parse(page, request_query(rq, "limit"), request_query(rq, "cursor"), n, kinds, &field, &reason))
    return true;
  *ret = reply_field_problem(rq, ERR_INVALID_QUERY, field, reason);
  return false;
}

void page_free(struct page *page) {
  json_decref(page->cursor);
  memset(page, 0, sizeof *page);
}

json_t *items_append(json_t *items, json_t *item) {
  if (items == NULL || item == NULL || json_array_append_new(items, item) != 0) {
    json_decref(items);
    return NULL;
  }
  return items;
}

bool page_next(const struct page *page, int rows, const char *const *keys, size_t n, char **next) {
  *next = NULL;
  if (rows == 0 || rows != atoi(page->limit))
    return true;
  *next = page_cursor_encode(keys, n);
  return *next != NULL;
}

enum MHD_Result reply_page_after(struct request *rq, struct page *page, int rows, json_t *items,
                                 const char *const *keys, size_t n) {
  char *c;
  /* Without its cursor the reply cannot be built (500): better than a list that seems to end here. */
  bool ok = page_next(page, rows, keys, n, &c);
  page_free(page);
  json_t *next = c != NULL ? json_string(c) : ok ? json_null() : NULL;
  free(c);
  if (items == NULL || next == NULL) {
    json_decref(items);
    json_decref(next);
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  }
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "items", items, "next_cursor", next), NULL);
}

/* Reads the entity-tag at *P (RFC 9110 8.8.3: optional W/, then a quoted opaque tag), moving *P past it. *WEAK says
 * whether it was weak, *VERSION is the version it names when it is one of ours ("v<n>"), else -1. */
static bool etag_read(const char **p, bool *weak, long *version) {
  const char *s = *p;
  *weak = s[0] == 'W' && s[1] == '/';
  if (*weak)
    s += 2;
  if (*s != '"')
    return false;
  const char *open = ++s;
  while (*s != '"') {
    unsigned char c = (unsigned char)*s;
    if (c == '\0' || c < 0x21 || c == 0x7f) /* etagc: %x21 / %x23-7E / obs-text */
      return false;
    s++;
  }
  size_t n = (size_t)(s - open);
  *version = -1;
  if (n >= 2 && n <= 10 && open[0] == 'v') {
    long v = 0;
    size_t i = 1;
    while (i < n && open[i] >= '0' && open[i] <= '9')
      v = v * 10 + (open[i++] - '0');
    if (i == n)
      *version = v;
  }
  *p = s + 1;
  return true;
}

/* True when the If-Match value H is "*" or lists the strong ETag of version CURRENT. *VALID says whether H is
 * well-formed ("*" or a list of entity-tags), *ANY whether it is "*", *COULD_MATCH whether it names any version
 * of ours strongly (or is "*"). */
static bool if_match_scan(const char *h, long current, bool *valid, bool *any, bool *could_match) {
  *valid = *any = *could_match = false;
  while (*h == ' ' || *h == '\t')
    h++;
  if (h[0] == '*') {
    const char *rest = h + 1;
    while (*rest == ' ' || *rest == '\t')
      rest++;
    *valid = *rest == '\0';
    *any = *could_match = *valid;
    return *valid;
  }
  bool matched = false;
  for (;;) {
    while (*h == ' ' || *h == '\t' || *h == ',')
      h++;
    if (*h == '\0')
      break;
    bool weak;
    long version;
    if (!etag_read(&h, &weak, &version))
      return false;
    if (*h != '\0' && *h != ',' && *h != ' ' && *h != '\t')
      return false;
    /* If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches. */
    if (!weak && version >= 0) {
      *could_match = true;
      matched = matched || version == current;
    }
    *valid = true;
  }
  return *valid && matched;
}

long param_if_match(struct request *rq) {
  const char *h = request_header(rq, MHD_HTTP_HEADER_IF_MATCH);
  if (h == NULL)
    return -1;
  bool valid, any, could_match;
  if_match_scan(h, -1, &valid, &any, &could_match);
  return valid && could_match ? 0 : -2;
}

bool if_match_holds(struct request *rq, long version) {
  const char *h = request_header(rq, MHD_HTTP_HEADER_IF_MATCH);
  bool valid, any, could_match;
  return h != NULL && if_match_scan(h, version, &valid, &any, &could_match);
}

enum MHD_Result reply_if_match_problem(struct request *rq, long if_match) {
  if (if_match == -1)
    return reply_field_problem(rq, ERR_PRECONDITION_REQUIRED, "header:If-Match",
                               "is required: send the ETag of the version you edited");
  return reply_field_problem(rq, ERR_PRECONDITION_FAILED, "header:If-Match", "is not an ETag of this record");
}

enum MHD_Result reply_stale(struct request *rq, const char *what) {
  char reason[160];
  snprintf(reason, sizeof reason,
           "is not the current ETag: the %s changed since you read it; fetch it again and reapply your change", what);
  return reply_field_problem(rq, ERR_PRECONDITION_FAILED, "header:If-Match", reason);
}

void etag_format(long version, char *out, size_t n) { snprintf(out, n, "\"v%ld\"", version); }

enum MHD_Result reply_versioned(struct request *rq, unsigned int status, json_t *body, long version,
                                const char *location) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (text == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The response could not be built.");
  return reply_versioned_text(rq, status, text, strlen(text), version, location);
}

enum MHD_Result reply_versioned_text(struct request *rq, unsigned int status, char *text, size_t len, long version,
                                     const char *location) {
  char etag[24];
  etag_format(version, etag, sizeof etag);
  const char *headers[] = {MHD_HTTP_HEADER_ETAG, etag, location ? MHD_HTTP_HEADER_LOCATION : NULL, location, NULL};
  return reply_json_text(rq, status, text, len, headers);
}
