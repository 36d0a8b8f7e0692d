/* The printable pages' building blocks (see include/html_doc.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_doc.h"

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

char *html_done(struct html *h, size_t *len) {
  if (h->failed) {
    free(h->buf);
    return NULL;
  }
  *len = h->len;
  return h->buf;
}

const char *html_fr(enum label_kind kind, const char *code) {
  const char *words = label_fr(kind, code);
  return words != NULL ? words : code;
}

void html_long_date(struct html *h, const char *date, bool weekday) {
  char day[11], out[64];
  struct date d;
  snprintf(day, sizeof day, "%s", date != NULL ? date : "");
  if (date_parse(day, &d) && date_long_fr(d, weekday, out, sizeof out))
    html_text(h, out);
}
