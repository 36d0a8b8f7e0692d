/* libFuzzer target: the audit checkpoint's text (checkpoint_parse() of src/common/checkpoint.c), which
 * commissionctl audit verify --checkpoint reads from a file; and checkpoints signed here from the input, which
 * must read back as they were written and stop verifying when any one byte changes. */
#include <string.h>

#include <sodium.h>

#include "checkpoint.h"
#include "fuzz.h"

static unsigned char public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  unsigned char seed[crypto_sign_SEEDBYTES] = {1, 2, 3};
  if (sodium_init() < 0 || crypto_sign_seed_keypair(public_key, secret_key, seed) != 0)
    abort();
  return 0;
}

/* The text a parsed checkpoint was made from, up to its signature line. */
static int canonical(const struct checkpoint *cp, char *out, size_t n) {
  char key[2 * crypto_sign_PUBLICKEYBYTES + 1];
  sodium_bin2hex(key, sizeof key, cp->public_key, sizeof cp->public_key);
  return snprintf(out, n, "commissiond audit checkpoint 1\nposition %lld\nhash %s\ntime %s\nkey %s\nsignature ",
                  (long long)cp->position, cp->position == 0 ? "none" : cp->hash, cp->time, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Any text. */
  struct checkpoint cp;
  const char *why;
  enum checkpoint_status s = checkpoint_parse((const char *)data, size, public_key, &cp, &why);
  if (s == CHECKPOINT_MALFORMED) {
    FUZZ_CHECK(why != NULL && why[0] != '\0', "malformed without a reason");
  } else {
    char text[CHECKPOINT_TEXT_MAX];
    int len = canonical(&cp, text, sizeof text);
    FUZZ_CHECK(len > 0 && (size_t)len < size && memcmp(text, data, (size_t)len) == 0,
               "a checkpoint read from text that is not its own");
    FUZZ_CHECK(cp.position >= 0, "position %lld", (long long)cp.position);
  }

  /* A checkpoint signed from the input: it reads back, and no change of one byte passes. */
  unsigned char h[32];
  crypto_generichash(h, sizeof h, data, size, NULL, 0);
  struct checkpoint made = {0};
  made.position = size == 0 ? 0 : (int64_t)((h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16 |
                                             (uint64_t)h[3] << 24 | (uint64_t)h[4] << 32) % 1000000000000000000u);
  if (made.position != 0)
    sodium_bin2hex(made.hash, sizeof made.hash, h, AUDIT_HASH_BYTES);
  snprintf(made.time, sizeof made.time, "%04d-%02d-%02dT%02d:%02d:%02dZ", 1900 + h[5] % 300, 1 + h[6] % 12,
           1 + h[7] % 28, h[8] % 24, h[9] % 60, h[10] % 60);
  char signed_text[CHECKPOINT_TEXT_MAX];
  int len = checkpoint_format(&made, secret_key, signed_text, sizeof signed_text);
  FUZZ_CHECK(len > 0, "could not sign a valid head");
  FUZZ_CHECK(checkpoint_parse(signed_text, (size_t)len, public_key, &cp, &why) == CHECKPOINT_OK &&
                 cp.position == made.position && strcmp(cp.hash, made.hash) == 0 && strcmp(cp.time, made.time) == 0,
             "a signed checkpoint does not read back: %s", signed_text);
  FUZZ_CHECK(checkpoint_parse(signed_text, (size_t)len, NULL, &cp, &why) == CHECKPOINT_OK, "its own key");
  size_t at = (h[11] | (size_t)h[12] << 8) % (size_t)len;
  unsigned char flip = size > 0 ? data[0] : 1;
  if (flip != 0) {
    signed_text[at] = (char)(signed_text[at] ^ flip);
    FUZZ_CHECK(checkpoint_parse(signed_text, (size_t)len, public_key, &cp, &why) != CHECKPOINT_OK,
               "byte %zu changed and the checkpoint still verifies", at);
    FUZZ_CHECK(checkpoint_parse(signed_text, (size_t)len, NULL, &cp, &why) != CHECKPOINT_OK,
               "byte %zu changed and the checkpoint still verifies with its own key", at);
  }
  return 0;
}
