/* The hash that seals a session's minutes, shared by commissiond (at closing) and commissionctl minutes verify. */
#ifndef COMMISSIOND_SEAL_H
#define COMMISSIOND_SEAL_H

#define SEAL_HEX_LEN 65 /* 64 hex digits and the NUL */

/* HEX = BLAKE2b-256(MODEL || 0x00 || DOCUMENT) in lower-case hex. */
void seal_hash(const char *model, const char *document, char hex[SEAL_HEX_LEN]);

#endif
