/* Calendar arithmetic (see include/dates.h); days_from_civil after H. Hinnant's public-domain algorithm. */
#include <stdio.h>
#include <time.h>

#include "dates.h"
#include "validate.h"

bool date_parse(const char *text, struct date *out) {
  if (!valid_date(text))
    return false;
  out->year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
  out->month = (text[5] - '0') * 10 + (text[6] - '0');
  out->day = (text[8] - '0') * 10 + (text[9] - '0');
  return true;
}

void date_format(struct date d, char *out, size_t n) {
  snprintf(out, n, "%04d-%02d-%02d", d.year, d.month, d.day);
}

long date_days(struct date d) {
  long y = d.year - (d.month <= 2);
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int month_length(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return days[month - 1] + (month == 2 && leap ? 1 : 0);
}

struct date date_add_months(struct date d, int months) {
  int index = d.year * 12 + (d.month - 1) + months;
  struct date r = {index / 12, index % 12 + 1, d.day};
  int max = month_length(r.year, r.month);
  if (r.day > max)
    r.day = max;
  return r;
}

int date_compare(struct date a, struct date b) {
  long x = date_days(a), y = date_days(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

struct date date_today(void) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  struct date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
  return d;
}
