/* Content negotiation on the Accept header (see include/accept.h). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "accept.h"

/* The weight "0", "0.5", "1.000"... in thousandths (RFC 9110 qvalue: at most three decimals, never above 1);
 * -1 when malformed. V is LEN bytes, not terminated. */
static int qvalue(const char *v, size_t len) {
  if (len == 0 || (v[0] != '0' && v[0] != '1'))
    return -1;
  int q = (v[0] - '0') * 1000;
  if (len == 1)
    return q;
  if (v[1] != '.' || len > 5)
    return -1;
  int scale = 100;
  for (size_t i = 2; i < len; i++, scale /= 10) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    q += (v[i] - '0') * scale;
  }
  return q > 1000 ? -1 : q;
}

/* How well the media range RANGE (LEN bytes) matches OFFER ("type/subtype"): 2 exactly, 1 by type / *, 0 by * / *,
 * -1 not at all. */
static int range_match(const char *range, size_t len, const char *offer) {
  if (len == 3 && memcmp(range, "*/*", 3) == 0)
    return 0;
  const char *slash = strchr(offer, '/');
  if (slash == NULL)
    return -1;
  size_t tlen = (size_t)(slash - offer);
  if (len < tlen + 2 || strncasecmp(range, offer, tlen) != 0 || range[tlen] != '/')
    return -1;
  const char *sub = range + tlen + 1;
  size_t sublen = len - tlen - 1;
  if (sublen == 1 && sub[0] == '*')
    return 1;
  return sublen == strlen(slash + 1) && strncasecmp(sub, slash + 1, sublen) == 0 ? 2 : -1;
}

/* Skips one parameter value at P: a token, or a quoted string with its backslash escapes. */
static const char *skip_value(const char *p) {
  if (*p != '"')
    return p + strcspn(p, ";, \t");
  for (p++; *p != '\0' && *p != '"'; p++)
    if (*p == '\\' && p[1] != '\0')
      p++;
  return *p == '"' ? p + 1 : p;
}

int accept_choose(const char *accept, const char *const *offers, size_t n) {
  if (n == 0 || n > ACCEPT_MAX_OFFERS)
    return -1;
  if (accept == NULL || accept[strspn(accept, " \t")] == '\0')
    return 0;
  int spec[ACCEPT_MAX_OFFERS], weight[ACCEPT_MAX_OFFERS];
  for (size_t i = 0; i < n; i++) {
    spec[i] = -1;
    weight[i] = 0;
  }
  const char *p = accept;
  for (;;) {
    p += strspn(p, " \t,"); /* empty list elements are allowed */
    if (*p == '\0')
      break;
    const char *range = p;
    size_t len = strcspn(p, ";, \t");
    p += len;
    int q = 1000;
    bool weighed = false;
    for (;;) {
      p += strspn(p, " \t");
      if (*p != ';')
        break;
      p++;
      p += strspn(p, " \t");
      const char *name = p;
      size_t name_len = strcspn(p, "=;, \t");
      p += name_len;
      const char *value = p;
      if (*p == '=') {
        value = ++p;
        p = skip_value(p);
      }
      /* Only the first q counts: what follows it are extension parameters. */
      if (!weighed && name_len == 1 && (name[0] == 'q' || name[0] == 'Q')) {
        weighed = true;
        int v = value < p ? qvalue(value, (size_t)(p - value)) : -1;
        q = v < 0 ? 0 : v;
      }
    }
    p += strcspn(p, ","); /* whatever else up to the next element is ignored */
    for (size_t i = 0; i < n; i++) {
      int m = range_match(range, len, offers[i]);
      if (m > spec[i]) {
        spec[i] = m;
        weight[i] = q;
      }
    }
  }
  int best = -1;
  for (size_t i = 0; i < n; i++)
    if (spec[i] >= 0 && weight[i] > 0 &&
        (best < 0 || weight[i] > weight[best] || (weight[i] == weight[best] && spec[i] > spec[best])))
      best = (int)i;
  return best;
}
