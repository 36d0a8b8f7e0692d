/* Shape checks on client values (see include/validate.h). */
#include <ctype.h>
#include <string.h>

#include "validate.h"

bool valid_uuid(const char *s) {
  if (s == NULL || strlen(s) != 36)
    return false;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
    } else if (!isxdigit((unsigned char)s[i])) {
      return false;
    }
  }
  return true;
}

bool valid_date(const char *s) {
  if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (size_t i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
      return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
    return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max = days[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

bool valid_date_time(const char *s) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < sizeof shape - 1; i++)
    if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
      return false; /* also stops at the end of a shorter S */
  char day[11];
  memcpy(day, s, 10);
  day[10] = '\0';
  int hour = (s[11] - '0') * 10 + (s[12] - '0'), minute = (s[14] - '0') * 10 + (s[15] - '0');
  int second = (s[17] - '0') * 10 + (s[18] - '0');
  return valid_date(day) && hour < 24 && minute < 60 && second < 60;
}

size_t utf8_length(const char *s) {
  size_t n = 0;
  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

bool valid_text(const char *s, bool multiline) {
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f) {
      if (!(multiline && (c == '\n' || c == '\t' || c == '\r')))
        return false;
    }
  }
  return true;
}

bool valid_idempotency_key(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 200)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x21 || s[i] > 0x7e)
      return false;
  return true;
}

bool valid_email(const char *s) {
  const char *at = strchr(s, '@');
  if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
    return false;
  for (; *s != '\0'; s++)
    if (isspace((unsigned char)*s) || (unsigned char)*s < 0x20)
      return false;
  return true;
}
