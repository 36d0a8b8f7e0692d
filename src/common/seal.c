/* The seal of a session's minutes (see include/seal.h). */
#include <string.h>

#include <sodium.h>

#include "seal.h"

void seal_hash(const char *model, const char *document, char hex[SEAL_HEX_LEN]) {
  unsigned char hash[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, sizeof hash);
  crypto_generichash_update(&st, (const unsigned char *)model, strlen(model) + 1); /* with its NUL: the 0x00 */
  crypto_generichash_update(&st, (const unsigned char *)document, strlen(document));
  crypto_generichash_final(&st, hash, sizeof hash);
  sodium_bin2hex(hex, SEAL_HEX_LEN, hash, sizeof hash);
}
