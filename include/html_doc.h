/* Building the printable French pages the server renders (procès-verbal, assembly report): a growing buffer,
 * text escaped for HTML, long French dates, French labels. Pure functions, no locale. */
#ifndef COMMISSIOND_HTML_DOC_H
#define COMMISSIOND_HTML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "labels.h"

/* A page being written; start from {0}. Once an allocation failed, `failed` stays set and nothing is added. */
struct html {
  char *buf;
  size_t len, cap;
  bool failed;
};

/* The print CSS every page starts with (A4, serif, centred header, ruled tables), and the one it ends with: a page's
 * <style> is HTML_PRINT_CSS, its own rules, HTML_PRINT_CSS_END. */
#define HTML_PRINT_CSS                                                                                           \
  "@page{size:A4;margin:2cm 2cm 2.2cm 2cm}\n"                                                                    \
  "body{font-family:'DejaVu Serif',Georgia,serif;font-size:11pt;line-height:1.4;color:#000;max-width:17cm;"     \
  "margin:1.5em auto}\n"                                                                                        \
  "header{text-align:center;border-bottom:1px solid #000;padding-bottom:.6em;margin-bottom:1em}\n"              \
  "header .commission{font-variant:small-caps;font-size:13pt;margin:0}\n"                                       \
  "h1{font-size:16pt;margin:.4em 0 .2em}\n"                                                                     \
  "h2{font-size:12pt;margin:1.2em 0 .4em;border-bottom:1px solid #888;break-after:avoid}\n"                     \
  "table{border-collapse:collapse;width:100%;font-size:10pt}\n"                                                 \
  "th,td{border:1px solid #444;padding:.25em .4em;text-align:left;vertical-align:top}\n"                        \
  "thead{display:table-header-group}tr{break-inside:avoid}\n"
#define HTML_PRINT_CSS_END "@media print{body{margin:0;max-width:none}}\n"

/* Appends S as it is (markup). */
void html_raw(struct html *h, const char *s);
/* Appends S escaped for HTML text and attributes (NULL: nothing). */
void html_text(struct html *h, const char *s);
/* Appends the markup FMT formats (at most 511 bytes). */
__attribute__((format(printf, 2, 3))) void html_rawf(struct html *h, const char *fmt, ...);
/* Appends A, then SEP (markup) and B when B is not empty (a name and its office, a unit and its town), both
 * escaped. */
void html_pair(struct html *h, const char *a, const char *sep, const char *b);
/* Appends DATE (YYYY-MM-DD, or the date part of a timestamp) written out in French ("jeudi 12 mars 2026"; without
 * the weekday when WEEKDAY is false); nothing when it is not a date. */
void html_long_date(struct html *h, const char *date, bool weekday);
/* The French words of CODE, or CODE itself when the table has none (never for a code the schema allows). */
const char *html_fr(enum label_kind kind, const char *code);
/* The page: its buffer (the caller frees it) and *LEN; NULL (the buffer freed) when an allocation failed. */
char *html_done(struct html *h, size_t *len);

#endif
