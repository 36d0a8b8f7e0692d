/* The yearly assembly report's human representations, rendered from its JSON document (the body of
 * GET /v1/reports/assembly) and nothing else. Pure functions: the same document gives the same bytes. */
#ifndef COMMISSIOND_REPORT_ASSEMBLY_H
#define COMMISSIOND_REPORT_ASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The CSV form of REPORT: a UTF-8 byte order mark, then `Rubrique;Indicateur;Valeur` lines (CRLF) with French
 * labels, long French dates and decimal commas, so that a French spreadsheet opens it by double-click. COMMA: `,`
 * between fields and decimal points; ENGLISH: the JSON names (`section;metric;value`, ISO dates, amounts in
 * euros). A text cell that starts with = + - @ or a tab is prefixed with ' (no formula runs). Malloc'ed, *LEN
 * its length; NULL when out of memory. */
char *assembly_csv(json_t *report, bool comma, bool english, size_t *len);

/* The printable page of REPORT (HTML5, French, A4 print CSS). Malloc'ed, *LEN its length; NULL when out of
 * memory. */
char *assembly_html(json_t *report, size_t *len);

#endif
