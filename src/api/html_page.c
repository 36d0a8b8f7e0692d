/* What the decision letters and the agenda pack add to the printable pages of html_doc.c: euros, a JSON member as
 * text, and their print style (see include/html_page.h). */
#include <stdio.h>

#include "html_page.h"

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

const char *html_str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s != NULL ? s : "";
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
