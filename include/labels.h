/* The French words of the documents the commission signs and sends (procès-verbal, letters): one table for every
 * code the API stores (src/domain/labels.c), and long French dates. Pure functions, no locale. */
#ifndef COMMISSIOND_LABELS_H
#define COMMISSIOND_LABELS_H

#include <stddef.h>

#include "dates.h"

/* The kinds of codes that have French words. */
enum label_kind {
  LABEL_OUTCOME,        /* approve, refuse, defer */
  LABEL_REFUSAL_REASON, /* no_suitable_unit, ... */
  LABEL_ATTENDEE_GROUP, /* elected_officials, ... */
  LABEL_INCIDENT_KIND,  /* rent_arrears, ... */
  LABEL_ITEM_KIND,      /* application, review, incident */
  LABEL_COMMENT,        /* the comments the server itself writes ("not examined at this session") */
  LABEL_UNIT_KINDS,     /* hlm_apartment, ... (plural: a heading over a count) */
  LABEL_UNIT_KIND,      /* hlm_apartment, ... */
  LABEL_URGENCY,        /* normal, high, urgent */
  LABEL_INCIDENT_STATUS, /* open, acknowledged, closed */
};

/* The French words for CODE of KIND; NULL when CODE is not one of KIND's codes (or NULL). */
const char *label_fr(enum label_kind kind, const char *code);

/* D as a long French date into OUT: "jeudi 12 mars 2026", "mercredi 1er avril 2026" (WITH_WEEKDAY false: "12 mars
 * 2026"). False when D is not a date or OUT is too small (at least 40 bytes is always enough). */
bool date_long_fr(struct date d, bool with_weekday, char *out, size_t n);

#endif
