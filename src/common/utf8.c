/* UTF-8 well-formedness (see include/utf8.h). */
#include <string.h>

#include "utf8.h"

/* Length of the well-formed character at S (N bytes available), or 0 when S starts none. */
static size_t char_length(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte (Table 3-7 of the Unicode standard) */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* past U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

bool utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  while (n > 0) {
    size_t len = char_length(p, n);
    if (len == 0)
      return false;
    p += len;
    n -= len;
  }
  return true;
}

char *utf8_sanitize(const char *s, char *out, size_t n) {
  static const char replacement[] = "\xEF\xBF\xBD";
  const unsigned char *p = (const unsigned char *)s;
  size_t left = strlen(s), o = 0;
  while (left > 0) {
    size_t len = char_length(p, left);
    const char *piece = len ? (const char *)p : replacement;
    size_t piece_len = len ? len : 3;
    if (o + piece_len + 1 > n)
      break;
    memcpy(out + o, piece, piece_len);
    o += piece_len;
    p += len ? len : 1;
    left -= len ? len : 1;
  }
  out[o] = '\0';
  return out;
}
