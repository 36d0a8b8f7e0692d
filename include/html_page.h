/* Building the French pages the commission prints (procès-verbal, decision letters, agenda packs): a growing
 * buffer, HTML escaping, long French dates, and the A4 print style they share. src/api/html_page.c. */
#ifndef COMMISSIOND_HTML_PAGE_H
#define COMMISSIOND_HTML_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "labels.h"

/* A page being written. Zero-initialise it; after an allocation failure every call is a no-op and html_done()
 * returns NULL. */
struct html {
  char *buf;
  size_t len, cap;
  bool failed;
};

/* Appends S as is (markup). */
void html_raw(struct html *h, const char *s);
/* Appends S escaped for HTML text and attributes (NULL: nothing). */
void html_text(struct html *h, const char *s);
/* Appends markup formatted by FMT (at most 511 bytes). */
__attribute__((format(printf, 2, 3))) void html_rawf(struct html *h, const char *fmt, ...);
/* A, then SEP and B when B is not empty (a name and its office, a unit and its town), both escaped. */
void html_pair(struct html *h, const char *a, const char *sep, const char *b);
/* DATE (YYYY-MM-DD, or the date part of a timestamp) written out in French, escaped; nothing when not a date. */
void html_long_date(struct html *h, const char *date, bool weekday);
/* CENTS as euros in French ("1 234,50 €"), escaped. */
void html_euros(struct html *h, long long cents);
/* The page: malloc'ed (the caller frees it), *LEN its length; NULL when an allocation failed. */
char *html_done(struct html *h, size_t *len);

/* The string member KEY of OBJ, "" when absent or not a string. */
const char *html_str(json_t *obj, const char *key);
/* The French words of CODE, or CODE itself when the table has none (never for a code the schema allows). */
const char *html_fr(enum label_kind kind, const char *code);

/* The print style every page shares (A4, margins, serif type, tables), without the <style> element. */
extern const char *const HTML_PRINT_STYLE;

#endif
