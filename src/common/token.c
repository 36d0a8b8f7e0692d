/* Token generation, shape check and hashing (see include/token.h). */
#include <string.h>

#include <sodium.h>

#include "token.h"

static bool is_b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

void token_generate(char *token, char *selector) {
  unsigned char sel[12], secret[32];
  randombytes_buf(sel, sizeof sel);
  randombytes_buf(secret, sizeof secret);
  memcpy(token, TOKEN_PREFIX, 3);
  sodium_bin2base64(token + 3, TOKEN_SELECTOR_LEN + 1, sel, sizeof sel, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_bin2base64(token + 3 + TOKEN_SELECTOR_LEN, TOKEN_SECRET_LEN + 1, secret, sizeof secret,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  memcpy(selector, token + 3, TOKEN_SELECTOR_LEN);
  selector[TOKEN_SELECTOR_LEN] = '\0';
  sodium_memzero(secret, sizeof secret);
}

bool token_parse(const char *token, size_t len, char *selector) {
  if (len != TOKEN_LEN || memcmp(token, TOKEN_PREFIX, 3) != 0)
    return false;
  for (size_t i = 3; i < len; i++)
    if (!is_b64url(token[i]))
      return false;
  memcpy(selector, token + 3, TOKEN_SELECTOR_LEN);
  selector[TOKEN_SELECTOR_LEN] = '\0';
  return true;
}

void token_hash(const char *token, size_t len, unsigned char *hash) {
  crypto_generichash(hash, TOKEN_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}
