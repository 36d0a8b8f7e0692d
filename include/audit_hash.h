/* The audit chain's hash, shared by commissiond's chainer and commissionctl audit verify. */
#ifndef COMMISSIOND_AUDIT_HASH_H
#define COMMISSIOND_AUDIT_HASH_H

#include <stdint.h>

#define AUDIT_HASH_BYTES 32

/* HASH = BLAKE2b-256(PREV (AUDIT_HASH_BYTES, or nothing for the first entry) || POS (8 bytes, big-endian) || TEXT),
 * TEXT being the entry's canonical text (SQL audit_entry_text()). */
void audit_hash(const unsigned char *prev, int64_t pos, const char *text, unsigned char *hash);

#endif
