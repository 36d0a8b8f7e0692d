/* The audit chain's hash (see include/audit.h). */
#include <string.h>

#include <sodium.h>

#include "audit_hash.h"

void audit_hash(const unsigned char *prev, int64_t pos, const char *text, unsigned char *hash) {
  crypto_generichash_state st;
  unsigned char position[8];
  for (int i = 0; i < 8; i++)
    position[i] = (unsigned char)((uint64_t)pos >> (56 - 8 * i));
  crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_BYTES);
  if (prev != NULL)
    crypto_generichash_update(&st, prev, AUDIT_HASH_BYTES);
  crypto_generichash_update(&st, position, sizeof position);
  crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
  crypto_generichash_final(&st, hash, AUDIT_HASH_BYTES);
}
