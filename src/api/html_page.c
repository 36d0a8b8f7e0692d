/* The pieces every printed page is made of (see include/html_page.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_page.h"

void html_raw(struct html *h, const char *s) {
  size_t n = strlen(s);
  if (h->failed)
    return;
  if (h->len + n + 1 > h->cap) {
    size_t cap = (h->cap ? h->cap * 2 : 16384) + n;
    char *grown = realloc(h->buf, cap);
    if (grown == NULL) {
      h->failed = true;
      return;
    }
    h->buf = grown;
    h->cap = cap;
  }
  memcpy(h->buf + h->len, s, n + 1);
  h->len += n;
}

void html_text(struct html *h, const char *s) {
  char chunk[256];
  size_t o = 0;
  for (; s != NULL && *s != '\0'; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '&': rep = "&amp;"; break;
    case '"': rep = "&quot;"; break;
    case '\'': rep = "&#39;"; break;
    default: break;
    }
    size_t need = rep ? strlen(rep) : 1;
    if (o + need + 1 > sizeof chunk) {
      chunk[o] = '\0';
      html_raw(h, chunk);
      o = 0;
    }
    if (rep) {
      memcpy(chunk + o, rep, need);
      o += need;
    } else {
      chunk[o++] = *s;
    }
  }
  chunk[o] = '\0';
  html_raw(h, chunk);
}

void html_rawf(struct html *h, const char *fmt, ...) {
  char out[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, sizeof out, fmt, ap);
  va_end(ap);
  html_raw(h, out);
}

void html_pair(struct html *h, const char *a, const char *sep, const char *b) {
  html_text(h, a);
  if (b != NULL && *b != '\0') {
    html_raw(h, sep);
    html_text(h, b);
  }
}

void html_long_date(struct html *h, const char *date, bool weekday) {
  char day[11], out[64];
  struct date d;
  snprintf(day, sizeof day, "%s", date != NULL ? date : "");
  if (date_parse(day, &d) && date_long_fr(d, weekday, out, sizeof out))
    html_text(h, out);
}

void html_euros(struct html *h, long long cents) {
  char digits[32], grouped[48];
  unsigned long long v = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
  int n = snprintf(digits, sizeof digits, "%llu", v / 100);
  size_t o = 0;
  for (int i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0) /* a narrow no-break space between thousands, as French typography wants */
      o += (size_t)snprintf(grouped + o, sizeof grouped - o, "\u202f");
    grouped[o++] = digits[i];
  }
  grouped[o] = '\0';
  html_rawf(h, "%s%s,%02llu\u00a0€", cents < 0 ? "−" : "", grouped, v % 100);
}

char *html_done(struct html *h, size_t *len) {
  if (h->failed) {
    free(h->buf);
    return NULL;
  }
  *len = h->len;
  return h->buf;
}

const char *html_str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s != NULL ? s : "";
}

const char *html_fr(enum label_kind kind, const char *code) {
  const char *words = label_fr(kind, code);
  return words != NULL ? words : code;
}

const char *const HTML_PRINT_STYLE =
  "@page{size:A4;margin:2cm 2cm 2.2cm 2cm}\n"
  "body{font-family:'DejaVu Serif',Georgia,serif;font-size:11pt;line-height:1.4;color:#000;max-width:17cm;"
  "margin:1.5em auto}\n"
  "h1{font-size:16pt;margin:.4em 0 .2em}\n"
  "h2{font-size:12pt;margin:1.2em 0 .4em;border-bottom:1px solid #888;break-after:avoid}\n"
  "table{border-collapse:collapse;width:100%;font-size:10pt}\n"
  "th,td{border:1px solid #444;padding:.25em .4em;text-align:left;vertical-align:top}\n"
  "thead{display:table-header-group}tr{break-inside:avoid}\n"
  ".num{width:2.5em;text-align:right}\n"
  ".signature{margin-top:2em;break-inside:avoid}.signature .space{height:3cm}\n"
  "@media print{body{margin:0;max-width:none}}\n";
