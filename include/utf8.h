/* UTF-8 checks for what clients send outside JSON bodies (query strings, headers), which no parser has vetted. */
#ifndef COMMISSIOND_UTF8_H
#define COMMISSIOND_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the N bytes of S are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF). */
bool utf8_valid(const char *s, size_t n);
/* Copies the NUL-terminated S into OUT (size N > 0) as valid UTF-8: each byte that starts no well-formed
 * character becomes U+FFFD; cut at a character boundary when OUT is too small. Returns OUT. */
char *utf8_sanitize(const char *s, char *out, size_t n);

#endif
