/* JSON text written into one buffer (include/json_writer.h). */
#include "json_writer.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void jw_init(struct jw *w, size_t initial) {
  *w = (struct jw){.first = true};
  w->buf = malloc(initial > 0 ? initial : 256);
  if (w->buf == NULL)
    w->failed = true;
  else
    w->cap = initial > 0 ? initial : 256;
}

/* Room for N more bytes (and the final NUL). */
static bool reserve(struct jw *w, size_t n) {
  if (w->failed)
    return false;
  if (w->len + n + 1 <= w->cap)
    return true;
  size_t cap = w->cap;
  while (cap < w->len + n + 1)
    cap *= 2;
  char *buf = realloc(w->buf, cap);
  if (buf == NULL) {
    w->failed = true;
    return false;
  }
  w->buf = buf;
  w->cap = cap;
  return true;
}

static void put(struct jw *w, const char *s, size_t n) {
  if (reserve(w, n)) {
    memcpy(w->buf + w->len, s, n);
    w->len += n;
  }
}

static void put_char(struct jw *w, char c) {
  if (reserve(w, 1))
    w->buf[w->len++] = c;
}

/* The separator before a value or a member: none after a key or first in its container, else a comma. */
static void separate(struct jw *w) {
  if (w->after_key)
    w->after_key = false;
  else if (!w->first)
    put_char(w, ',');
  w->first = false;
}

void jw_object_begin(struct jw *w) {
  separate(w);
  put_char(w, '{');
  w->first = true;
}

void jw_object_end(struct jw *w) {
  put_char(w, '}');
  w->first = false;
}

void jw_array_begin(struct jw *w) {
  separate(w);
  put_char(w, '[');
  w->first = true;
}

void jw_array_end(struct jw *w) {
  put_char(w, ']');
  w->first = false;
}

/* Whether one of the eight bytes of V needs an escape: a control character (below 0x20), the quote or the
 * backslash. Each test is exact for "some byte" (bytes from 0x80, UTF-8's, never match). */
#define BYTES_OF(b) (UINT64_C(0x0101010101010101) * (b))
static bool word_needs_escape(uint64_t v) {
  uint64_t quote = v ^ BYTES_OF(0x22), backslash = v ^ BYTES_OF(0x5c);
  uint64_t control = (v - BYTES_OF(0x20)) & ~v;
  uint64_t zero = ((quote - BYTES_OF(0x01)) & ~quote) | ((backslash - BYTES_OF(0x01)) & ~backslash);
  return ((control | zero) & BYTES_OF(0x80)) != 0;
}

static bool byte_needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

/* The first byte from P on (before END) that needs an escape, or END: eight bytes at a time while none does. */
static const char *next_escape(const char *p, const char *end) {
  uint64_t v;
  while (end - p >= 8 && (memcpy(&v, p, sizeof v), !word_needs_escape(v)))
    p += 8;
  while (p < end && !byte_needs_escape((unsigned char)*p))
    p++;
  return p;
}

/* TEXT quoted and escaped as jansson does by default: the quote, the backslash and control characters escaped;
 * everything else (UTF-8 included) as it is. Read eight bytes at a time while none needs an escape (a 300-line
 * agenda is 190 KB of text, its situations' free text most of it: byte by byte, a quarter of the daemon's time);
 * a string with nothing to escape, as most are, is copied at once. */
static void quoted(struct jw *w, const char *text) {
  size_t n = strlen(text);
  const char *end = text + n, *p = next_escape(text, end);
  if (p == end) {
    if (reserve(w, n + 2)) {
      w->buf[w->len++] = '"';
      memcpy(w->buf + w->len, text, n);
      w->len += n;
      w->buf[w->len++] = '"';
    }
    return;
  }
  put_char(w, '"');
  const char *run = text;
  for (; p < end; p = next_escape(p, end)) {
    unsigned char c = (unsigned char)*p;
    put(w, run, (size_t)(p - run));
    char seq[8];
    switch (c) {
    case '"': put(w, "\\\"", 2); break;
    case '\\': put(w, "\\\\", 2); break;
    case '\b': put(w, "\\b", 2); break;
    case '\f': put(w, "\\f", 2); break;
    case '\n': put(w, "\\n", 2); break;
    case '\r': put(w, "\\r", 2); break;
    case '\t': put(w, "\\t", 2); break;
    default:
      snprintf(seq, sizeof seq, "\\u%04X", c);
      put(w, seq, 6);
    }
    run = ++p;
  }
  put(w, run, (size_t)(end - run));
  put_char(w, '"');
}

void jw_key(struct jw *w, const char *key) {
  separate(w);
  quoted(w, key);
  put_char(w, ':');
  w->after_key = true;
}

void jw_null(struct jw *w) {
  separate(w);
  put(w, "null", 4);
}

void jw_string(struct jw *w, const char *text) {
  if (text == NULL) {
    jw_null(w);
    return;
  }
  separate(w);
  quoted(w, text);
}

bool jw_timestamp_text(const char *pg, char out[25]) {
  static const char shape[] = "dddd-dd-dd dd:dd:dd";
  size_t n = strlen(pg);
  if (n < sizeof shape - 1 + 3 || strcmp(pg + n - 3, "+00") != 0)
    return false;
  for (size_t i = 0; i < sizeof shape - 1; i++)
    if (shape[i] == 'd' ? !isdigit((unsigned char)pg[i]) : pg[i] != shape[i])
      return false;
  const char *fraction = pg + sizeof shape - 1, *end = pg + n - 3;
  if (fraction < end) {
    if (*fraction != '.' || end - fraction < 2 || end - fraction > 7)
      return false;
    for (const char *c = fraction + 1; c < end; c++)
      if (!isdigit((unsigned char)*c))
        return false;
    fraction++;
  }
  memcpy(out, pg, 19);
  out[10] = 'T';
  out[19] = '.';
  for (int i = 0; i < 3; i++)
    out[20 + i] = fraction + i < end ? fraction[i] : '0';
  out[23] = 'Z';
  out[24] = '\0';
  return true;
}

void jw_timestamp(struct jw *w, const char *pg) {
  char rfc3339[25];
  jw_string(w, pg != NULL && jw_timestamp_text(pg, rfc3339) ? rfc3339 : pg);
}

/* The next element of a text[] output at *P (after '{' or ','), unescaped into OUT (at least strlen(*P) + 1
 * bytes); *P then at the ',' or '}' after it. False when malformed; *IS_NULL for an unquoted NULL. */
static bool array_element(const char **p, char *out, bool *is_null) {
  const char *s = *p;
  size_t n = 0;
  *is_null = false;
  if (*s == '"') {
    for (s++; *s != '"'; s++) {
      if (*s == '\\')
        s++;
      if (*s == '\0')
        return false;
      out[n++] = *s;
    }
    s++;
  } else {
    for (; *s != ',' && *s != '}'; s++) {
      if (*s == '\0' || *s == '"' || *s == '{' || *s == '\\')
        return false;
      out[n++] = *s;
    }
    if (n == 0)
      return false;
    *is_null = n == 4 && strncasecmp(out, "NULL", 4) == 0;
  }
  out[n] = '\0';
  *p = s;
  return *s == ',' || *s == '}';
}

void jw_text_array(struct jw *w, const char *pg) {
  if (pg == NULL) {
    jw_null(w);
    return;
  }
  if (w->failed)
    return;
  size_t n = strlen(pg);
  char small[256], *element = n < sizeof small ? small : malloc(n + 1);
  bool ok = element != NULL && *pg == '{';
  jw_array_begin(w);
  const char *p = pg + 1;
  if (ok && *p == '}')
    p++;
  else
    while (ok) {
      bool is_null;
      ok = array_element(&p, element, &is_null);
      if (ok)
        jw_string(w, is_null ? NULL : element);
      if (ok && *p++ == '}')
        break;
    }
  jw_array_end(w);
  if (!ok || *p != '\0')
    w->failed = true;
  if (element != small)
    free(element);
}

static void integer(struct jw *w, long long value) {
  separate(w);
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", value);
  put(w, digits, (size_t)n);
}

void jw_int(struct jw *w, const char *text) {
  if (text == NULL)
    jw_null(w);
  else
    integer(w, strtoll(text, NULL, 10));
}

void jw_bool(struct jw *w, const char *text) {
  if (text == NULL) {
    jw_null(w);
    return;
  }
  separate(w);
  if (text[0] == 't')
    put(w, "true", 4);
  else
    put(w, "false", 5);
}

void jw_raw_json(struct jw *w, const char *text) {
  if (text == NULL) {
    jw_null(w);
    return;
  }
  separate(w);
  put(w, text, strlen(text));
}

void jw_value(struct jw *w, const json_t *value) {
  char *text = value != NULL ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  if (text == NULL) {
    w->failed = true;
    return;
  }
  jw_raw_json(w, text);
  free(text);
}

void jw_key_string(struct jw *w, const char *key, const char *text) {
  jw_key(w, key);
  jw_string(w, text);
}

void jw_key_text_array(struct jw *w, const char *key, const char *pg) {
  jw_key(w, key);
  jw_text_array(w, pg);
}

void jw_key_timestamp(struct jw *w, const char *key, const char *pg) {
  jw_key(w, key);
  jw_timestamp(w, pg);
}

void jw_key_int(struct jw *w, const char *key, const char *text) {
  jw_key(w, key);
  jw_int(w, text);
}

void jw_key_bool(struct jw *w, const char *key, const char *text) {
  jw_key(w, key);
  jw_bool(w, text);
}

void jw_key_raw_json(struct jw *w, const char *key, const char *text) {
  jw_key(w, key);
  jw_raw_json(w, text);
}

void jw_key_integer(struct jw *w, const char *key, long long value) {
  jw_key(w, key);
  integer(w, value);
}

char *jw_finish(struct jw *w, size_t *len) {
  char *text = NULL;
  if (!w->failed && reserve(w, 0)) {
    w->buf[w->len] = '\0';
    text = w->buf;
    *len = w->len;
  } else {
    free(w->buf);
  }
  *w = (struct jw){.first = true, .failed = true};
  return text;
}
