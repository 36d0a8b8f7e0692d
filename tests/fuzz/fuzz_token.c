/* libFuzzer target: the bearer token's shape check (token_parse() of src/common/token.c) and its hash, on the
 * token as the Authorization header carries it after "Bearer ". */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0)
    abort();
  /* A token the server makes always passes. */
  char token[TOKEN_LEN + 1], selector[TOKEN_SELECTOR_LEN + 1], parsed[TOKEN_SELECTOR_LEN + 1];
  for (int i = 0; i < 1000; i++) {
    token_generate(token, selector);
    FUZZ_CHECK(strlen(token) == TOKEN_LEN && token_parse(token, TOKEN_LEN, parsed) && strcmp(parsed, selector) == 0,
               "a generated token is refused: %s", token);
  }
  return 0;
}

static bool b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *token = (const char *)data;
  char selector[TOKEN_SELECTOR_LEN + 2];
  memset(selector, 'X', sizeof selector);
  bool ok = token_parse(token, size, selector);
  if (!ok) {
    FUZZ_CHECK(selector[0] == 'X', "a refused token wrote its selector");
    return 0;
  }
  FUZZ_CHECK(size == TOKEN_LEN && memcmp(token, TOKEN_PREFIX, 3) == 0, "accepted a token of %zu bytes", size);
  for (size_t i = 3; i < size; i++)
    FUZZ_CHECK(b64url(token[i]), "accepted byte 0x%02x at %zu", (unsigned char)token[i], i);
  FUZZ_CHECK(memcmp(selector, token + 3, TOKEN_SELECTOR_LEN) == 0 && selector[TOKEN_SELECTOR_LEN] == '\0' &&
                 selector[TOKEN_SELECTOR_LEN + 1] == 'X',
             "the selector is not the token's");
  unsigned char hash[TOKEN_HASH_BYTES], again[TOKEN_HASH_BYTES];
  token_hash(token, size, hash);
  token_hash(token, size, again);
  FUZZ_CHECK(memcmp(hash, again, sizeof hash) == 0, "the hash is not a function of the token");
  return 0;
}
