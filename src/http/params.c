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

char *cursor_encode(json_t *key) {
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

bool param_page(struct request *rq, char limit[8], json_t **cursor, enum MHD_Result *ret) {
  *cursor = NULL;
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
  snprintf(limit, 8, "%ld", value);
  const char *c = request_query(rq, "cursor");
  if (c != NULL) {
    *cursor = cursor_decode(c);
    if (*cursor == NULL) {
      *ret = reply_field_problem(rq, ERR_INVALID_QUERY, "query:cursor", "is not a cursor this server issued");
      return false;
    }
  }
  return true;
}

long param_if_match(struct request *rq) {
  const char *h = request_header(rq, MHD_HTTP_HEADER_IF_MATCH);
  if (h == NULL)
    return -1;
  size_t n = strlen(h);
  if (n < 4 || h[0] != '"' || h[1] != 'v' || h[n - 1] != '"')
    return -2;
  long v = 0;
  for (size_t i = 2; i < n - 1; i++) {
    if (h[i] < '0' || h[i] > '9' || v > 100000000)
      return -2;
    v = v * 10 + (h[i] - '0');
  }
  return v;
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

json_t *row_string(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col))
    return json_null();
  return json_string(PQgetvalue(res, row, col));
}

json_t *row_int(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col))
    return json_null();
  return json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

json_t *row_bool(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col))
    return json_null();
  return json_boolean(PQgetvalue(res, row, col)[0] == 't');
}
