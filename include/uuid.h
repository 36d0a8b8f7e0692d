/* Random identifiers made by the daemon, for a row whose id the statements that follow its insert need before the
 * insert's answer is back (they are sent in the same round trip). */
#ifndef COMMISSIOND_UUID_H
#define COMMISSIOND_UUID_H

#include "principal.h" /* UUID_STR_LEN */

/* A new random UUID (version 4, RFC 9562), lower case, into OUT. libsodium must be initialised. */
void uuid_random(char out[UUID_STR_LEN]);

#endif
