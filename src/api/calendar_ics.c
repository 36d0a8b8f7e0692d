/* The iCalendar text of the commission's sessions (RFC 5545), for members' phone calendars: one all-day VEVENT
 * per session with its date, place and chair, nothing about the people whose files it examines. Pure: rendered
 * from the session rows only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "letters.h"

#define ICS_LINE_OCTETS 75 /* RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the CRLF */

bool ics_text_escape(const char *s, char *out, size_t n) {
  size_t o = 0;
  for (; s != NULL && *s != '\0'; s++) {
    char pair[3] = {'\\', 0, 0};
    const char *put = pair;
    switch (*s) {
    case '\\': pair[1] = '\\'; break;
    case ',': pair[1] = ','; break;
    case ';': pair[1] = ';'; break;
    case '\n': pair[1] = 'n'; break;
    case '\r': put = ""; break; /* a CRLF typed in a text is one line break, written \n */
    default: pair[0] = *s; break;
    }
    size_t k = strlen(put);
    if (o + k + 1 > n)
      return false;
    memcpy(out + o, put, k);
    o += k;
  }
  if (o + 1 > n)
    return false;
  out[o] = '\0';
  return true;
}

static bool grow(char **out, size_t *len, size_t *cap, size_t more) {
  if (*len + more + 1 <= *cap)
    return true;
  size_t c = (*cap ? *cap * 2 : 4096) + more;
  char *g = realloc(*out, c);
  if (g == NULL)
    return false;
  *out = g;
  *cap = c;
  return true;
}

bool ics_line(char **out, size_t *len, size_t *cap, const char *line) {
  size_t n = strlen(line), at = 0;
  bool first = true;
  while (first || at < n) {
    size_t room = first ? ICS_LINE_OCTETS : ICS_LINE_OCTETS - 1; /* a continuation starts with one space */
    size_t take = n - at < room ? n - at : room;
    /* never between the bytes of one UTF-8 character: back off to the start of the one that would be cut */
    while (take > 0 && at + take < n && ((unsigned char)line[at + take] & 0xC0) == 0x80)
      take--;
    if (!grow(out, len, cap, take + 3))
      return false;
    if (!first)
      (*out)[(*len)++] = ' ';
    memcpy(*out + *len, line + at, take);
    *len += take;
    memcpy(*out + *len, "\r\n", 3);
    *len += 2;
    at += take;
    first = false;
  }
  return true;
}

/* Appends the property NAME with the TEXT value VALUE (escaped), folded. */
static bool text_property(char **out, size_t *len, size_t *cap, const char *name, const char *value) {
  size_t need = strlen(name) + 2 * strlen(value) + 2;
  char *line = malloc(need);
  bool ok = line != NULL;
  if (ok) {
    size_t k = (size_t)snprintf(line, need, "%s:", name);
    ok = ics_text_escape(value, line + k, need - k) && ics_line(out, len, cap, line);
  }
  free(line);
  return ok;
}

/* Appends NAME:VALUE (VALUE a date, number or identifier: nothing to escape). */
static bool plain_property(char **out, size_t *len, size_t *cap, const char *name, const char *value) {
  char line[256];
  snprintf(line, sizeof line, "%s:%s", name, value != NULL ? value : "");
  return ics_line(out, len, cap, line);
}

static bool event(char **out, size_t *len, size_t *cap, const struct calendar_row *r) {
  char uid[64], place[2048], chair[2048];
  snprintf(uid, sizeof uid, "%s@commissiond", r->id);
  if (r->place != NULL && *r->place != '\0')
    snprintf(place, sizeof place, "%s, %s", r->place, r->town);
  else
    snprintf(place, sizeof place, "%s", r->town);
  if (r->chair_title != NULL && *r->chair_title != '\0')
    snprintf(chair, sizeof chair, "Présidence de séance : %s, %s", r->chair_name, r->chair_title);
  else
    snprintf(chair, sizeof chair, "Présidence de séance : %s", r->chair_name);
  return plain_property(out, len, cap, "BEGIN", "VEVENT") && plain_property(out, len, cap, "UID", uid) &&
         plain_property(out, len, cap, "DTSTAMP", r->stamp) &&
         plain_property(out, len, cap, "LAST-MODIFIED", r->stamp) &&
         plain_property(out, len, cap, "SEQUENCE", r->sequence) &&
         plain_property(out, len, cap, "DTSTART;VALUE=DATE", r->start_day) &&
         plain_property(out, len, cap, "DTEND;VALUE=DATE", r->end_day) &&
         text_property(out, len, cap, "SUMMARY", "Commission appartement") &&
         text_property(out, len, cap, "LOCATION", place) && text_property(out, len, cap, "DESCRIPTION", chair) &&
         plain_property(out, len, cap, "STATUS", strcmp(r->status, "cancelled") == 0 ? "CANCELLED" : "CONFIRMED") &&
         plain_property(out, len, cap, "TRANSP", "TRANSPARENT") && plain_property(out, len, cap, "END", "VEVENT");
}

char *calendar_ics(const char *name, const PGresult *sessions, size_t *len) {
  char *out = NULL;
  size_t cap = 0;
  *len = 0;
  bool ok = plain_property(&out, len, &cap, "BEGIN", "VCALENDAR") &&
            plain_property(&out, len, &cap, "VERSION", "2.0") &&
            plain_property(&out, len, &cap, "PRODID", "-//commissiond//Commission appartement//FR") &&
            plain_property(&out, len, &cap, "CALSCALE", "GREGORIAN") &&
            plain_property(&out, len, &cap, "METHOD", "PUBLISH") &&
            text_property(&out, len, &cap, "NAME", name) && text_property(&out, len, &cap, "X-WR-CALNAME", name) &&
            /* how often subscribed calendars fetch it again (RFC 7986, and the older name phones read) */
            plain_property(&out, len, &cap, "REFRESH-INTERVAL;VALUE=DURATION", "PT6H") &&
            plain_property(&out, len, &cap, "X-PUBLISHED-TTL", "PT6H");
  struct calendar_row r;
  for (int i = 0; ok && i < PQntuples(sessions); i++)
    ok = db_row(sessions, i, &r) && event(&out, len, &cap, &r);
  ok = ok && plain_property(&out, len, &cap, "END", "VCALENDAR");
  if (!ok) {
    free(out);
    return NULL;
  }
  return out;
}
