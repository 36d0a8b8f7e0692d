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

/* An opaque cursor for KEY (a JSON array, stolen); malloc'ed, NULL on failure. */
static char *cursor_encode(json_t *key) {
  char *text = json_dumps(key, JSON_COMPACT);
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

static json_t *cursor_decode(const char *cursor) {
  size_t n = strlen(cursor);
  if (n == 0 || n > 1024)
    return NULL;
  unsigned char raw[800];
  size_t raw_len;
  if (sodium_base642bin(raw, sizeof raw, cursor, n, NULL, &raw_len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return NULL;
  json_t *key = json_loadb((const char *)raw, raw_len, 0, NULL);
  if (key != NULL && !json_is_array(key)) {
    json_decref(key);
    return NULL;
  }
  return key;
}

/* "2026-11-23T17:01:01.277123", with or without a final Z: the microsecond UTC timestamps lists page by. */
static bool valid_cursor_timestamp(const char *s) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddd";
  size_t n = strlen(s);
  if (n != sizeof shape - 1 && !(n == sizeof shape && s[n - 1] == 'Z'))
    return false;
  for (size_t i = 0; i < sizeof shape - 1; i++)
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
      return false;
  char day[11];
  memcpy(day, s, 10);
  day[10] = '\0';
  int hour = (s[11] - '0') * 10 + (s[12] - '0'), minute = (s[14] - '0') * 10 + (s[15] - '0');
  int second = (s[17] - '0') * 10 + (s[18] - '0');
  return valid_date(day) && hour < 24 && minute < 60 && second < 60;
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
  default: return utf8_length(key) <= 500;
  }
}

bool param_page(struct request *rq, struct page *page, size_t n, const enum cursor_key *kinds, enum MHD_Result *ret) {
  memset(page, 0, sizeof *page);
  const char *l = request_query(rq, "limit");
  long value = PAGE_DEFAULT;
  if (l != NULL) {
    char *end;
    value = strtol(l, &end, 10);
    if (*l == '\0' || *end != '\0' || value < 1) {
      *ret = reply_field_problem(rq, ERR_INVALID_QUERY, "query:limit", "must be a positive integer");
      return false;
    }
    if (value > PAGE_MAX)
      value = PAGE_MAX; /* clamped: a client asking for more gets the largest page */
  }
  snprintf(page->limit, sizeof page->limit, "%ld", value);
  const char *c = request_query(rq, "cursor");
  if (c == NULL)
    return true;
  page->cursor = cursor_decode(c);
  bool ok = page->cursor != NULL && json_array_size(page->cursor) == n && n <= PAGE_MAX_KEYS;
  for (size_t i = 0; ok && i < n; i++) {
    page->after[i] = json_string_value(json_array_get(page->cursor, i));
    ok = cursor_key_valid(page->after[i], kinds[i]);
  }
  if (!ok) {
    page_free(page);
    *ret = reply_field_problem(rq, ERR_INVALID_QUERY, "query:cursor", "is not a cursor this server issued");
    return false;
  }
  return true;
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

enum MHD_Result reply_page_after(struct request *rq, struct page *page, int rows, json_t *items,
                                 const char *const *keys, size_t n) {
  json_t *next = json_null();
  if (items == NULL) {
    page_free(page);
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  }
  if (rows > 0 && rows == atoi(page->limit)) {
    json_t *key = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(key, keys[i] != NULL ? json_string(keys[i]) : json_null());
    char *c = cursor_encode(key);
    if (c != NULL) {
      next = json_string(c);
      free(c);
    }
  }
  page_free(page);
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
  char etag[24];
  etag_format(version, etag, sizeof etag);
  const char *headers[] = {MHD_HTTP_HEADER_ETAG, etag, location ? MHD_HTTP_HEADER_LOCATION : NULL, location, NULL};
  return reply_json(rq, status, body, headers);
}




enum MHD_Result reply_row(struct request *rq, enum db_status s, PGresult *res, const char *missing,
                          enum MHD_Result (*reply)(struct request *rq, unsigned int status, const PGresult *res,
                                                   const char *location)) {
  enum MHD_Result ret = s < 0             ? reply_db_error(rq)
                        : s == DB_NO_ROW ? reply_problem(rq, ERR_NOT_FOUND, missing)
                                         : reply(rq, MHD_HTTP_OK, res, NULL);
  PQclear(res);
  return ret;
}
