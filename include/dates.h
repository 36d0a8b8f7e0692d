/* Calendar dates without time zones, for the legal delays and the review cadence. Pure functions. */
#ifndef COMMISSIOND_DATES_H
#define COMMISSIOND_DATES_H

#include <stdbool.h>
#include <stddef.h>

struct date {
  int year, month, day;
};

/* Parses YYYY-MM-DD (as valid_date() accepts); false when NULL (an SQL NULL column) or malformed. */
bool date_parse(const char *text, struct date *out);
/* Writes YYYY-MM-DD into OUT (at least 11 bytes). */
void date_format(struct date d, char *out, size_t n);
/* Days since 1970-01-01 (negative before). */
long date_days(struct date d);
/* D plus MONTHS calendar months; the day is clamped to the end of a shorter month (31 Jan + 1 month = 28/29 Feb). */
struct date date_add_months(struct date d, int months);
/* -1, 0, 1 as A is before, equal to, after B. */
int date_compare(struct date a, struct date b);
/* Today in UTC. */
struct date date_today(void);

#endif
