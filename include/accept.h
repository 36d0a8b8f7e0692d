/* Content negotiation: which representation an Accept header prefers. Pure, so that it can be fuzzed. */
#ifndef COMMISSIOND_ACCEPT_H
#define COMMISSIOND_ACCEPT_H

#include <stddef.h>

#define ACCEPT_MAX_OFFERS 8

/* Which of OFFERS (N media types "type/subtype", N <= ACCEPT_MAX_OFFERS, the first being the default) the Accept
 * header ACCEPT prefers (RFC 9110, 12.5.1). Each offer takes the weight of the most specific media range that
 * matches it (the exact type and subtype, then the type with any subtype, then anything; case-insensitive); the
 * highest weight wins, then the more specific range, then the earlier offer. A weight of 0 ("q=0") or a malformed
 * one refuses the range. Returns the offer's index; 0 when ACCEPT is NULL or blank; -1 when no offer is acceptable
 * (406). */
int accept_choose(const char *accept, const char *const *offers, size_t n);

#endif
