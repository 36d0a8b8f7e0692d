/* Shape checks on values clients send, pure functions unit-tested without a database. */
#ifndef COMMISSIOND_VALIDATE_H
#define COMMISSIOND_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* A canonical lowercase or uppercase UUID: 8-4-4-4-12 hex digits. */
bool valid_uuid(const char *s);
/* A real calendar date written YYYY-MM-DD, years 1900..2199. */
bool valid_date(const char *s);
/* S begins with a real date and time of day written YYYY-MM-DDTHH:MM:SS (what follows is the caller's). */
bool valid_date_time(const char *s);
/* Number of code points in the UTF-8 string S (assumed valid UTF-8, as jansson guarantees). */
size_t utf8_length(const char *s);
/* No control characters; with MULTILINE, newline and tab are allowed. */
bool valid_text(const char *s, bool multiline);
/* An Idempotency-Key: 1..200 printable ASCII characters. */
bool valid_idempotency_key(const char *s);
/* A plausible email address: one '@' with text on both sides, no spaces. */
bool valid_email(const char *s);

#endif
