/* The decision letters' and agenda packs' additions to include/html_doc.h (src/api/html_page.c). */
#ifndef COMMISSIOND_HTML_PAGE_H
#define COMMISSIOND_HTML_PAGE_H

#include <jansson.h>

#include "html_doc.h"

/* CENTS as euros in French ("1 234,50 €"), escaped. */
void html_euros(struct html *h, long long cents);
/* The string member KEY of OBJ, "" when absent or not a string. */
const char *html_str(json_t *obj, const char *key);
/* The print style of letters and packs (A4, margins, serif type, tables), without the <style> element. */
extern const char *const HTML_PRINT_STYLE;

#endif
