/* Unit tests of the audit checkpoint's signed text (src/common/checkpoint.c). */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "checkpoint.h"

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static unsigned char other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];

static int sign(struct checkpoint *cp, const unsigned char *key, char *text) {
  return checkpoint_format(cp, key, text, CHECKPOINT_TEXT_MAX);
}

static void test_round_trip(void) {
  struct checkpoint cp = {.position = 1234, .time = "2026-11-24T03:00:00Z"};
  memset(cp.hash, 'a', 64);
  char text[CHECKPOINT_TEXT_MAX];
  int len = sign(&cp, sk, text);
  CHECK(len > 0 && (size_t)len == strlen(text));
  static const char start[] = "commissiond audit checkpoint 1\nposition 1234\nhash aaaa";
  CHECK(strncmp(text, start, sizeof start - 1) == 0);
  CHECK(memcmp(cp.public_key, pk, sizeof pk) == 0);
  struct checkpoint got;
  const char *why;
  CHECK(checkpoint_parse(text, (size_t)len, pk, &got, &why) == CHECKPOINT_OK);
  CHECK(got.position == 1234 && strcmp(got.hash, cp.hash) == 0 && strcmp(got.time, cp.time) == 0);
  CHECK(checkpoint_parse(text, (size_t)len, NULL, &got, &why) == CHECKPOINT_OK); /* with the key it names */

  /* An empty chain. */
  struct checkpoint empty = {.position = 0, .time = "2026-01-01T00:00:00Z"};
  len = sign(&empty, sk, text);
  CHECK(len > 0 && strstr(text, "\nposition 0\nhash none\n") != NULL);
  CHECK(checkpoint_parse(text, (size_t)len, pk, &got, &why) == CHECKPOINT_OK && got.position == 0 &&
        got.hash[0] == '\0');

  /* Not a head: refused before signing. */
  struct checkpoint bad = {.position = 5, .time = "2026-01-01T00:00:00Z"}; /* no hash */
  CHECK(sign(&bad, sk, text) == -1);
  bad = (struct checkpoint){.position = 0, .time = "2026-13-01T00:00:00Z"};
  CHECK(sign(&bad, sk, text) == -1);
}

static void test_tampering(void) {
  struct checkpoint cp = {.position = 42, .time = "2026-11-24T03:00:00Z"};
  memset(cp.hash, '7', 64);
  char text[CHECKPOINT_TEXT_MAX], copy[CHECKPOINT_TEXT_MAX];
  int len = sign(&cp, sk, text);
  struct checkpoint got;
  const char *why;

  /* An earlier position, as someone who deleted the newest entries would like it to say. */
  memcpy(copy, text, (size_t)len + 1);
  char *p = strstr(copy, "position 42");
  p[10] = '1';
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_BAD_SIGNATURE);
  CHECK(checkpoint_parse(copy, (size_t)len, NULL, &got, &why) == CHECKPOINT_BAD_SIGNATURE);
  /* Another hash, another time. */
  memcpy(copy, text, (size_t)len + 1);
  strstr(copy, "hash 7")[5] = '8';
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_BAD_SIGNATURE);
  memcpy(copy, text, (size_t)len + 1);
  strstr(copy, "time 2026")[8] = '5';
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_BAD_SIGNATURE);

  /* Forged: signed by another key. Its own key vouches for it; the trusted one does not. */
  len = sign(&cp, other_sk, text);
  CHECK(checkpoint_parse(text, (size_t)len, NULL, &got, &why) == CHECKPOINT_OK);
  CHECK(checkpoint_parse(text, (size_t)len, pk, &got, &why) == CHECKPOINT_OTHER_KEY);
  /* Forged and then given our public key's name: the signature does not hold. */
  char ours[2 * crypto_sign_PUBLICKEYBYTES + 1], theirs[2 * crypto_sign_PUBLICKEYBYTES + 1];
  sodium_bin2hex(ours, sizeof ours, pk, sizeof pk);
  sodium_bin2hex(theirs, sizeof theirs, other_pk, sizeof other_pk);
  memcpy(strstr(text, theirs), ours, 64);
  CHECK(checkpoint_parse(text, (size_t)len, pk, &got, &why) == CHECKPOINT_BAD_SIGNATURE);
  CHECK(checkpoint_parse(text, (size_t)len, NULL, &got, &why) == CHECKPOINT_BAD_SIGNATURE);
}

static void test_malformed(void) {
  struct checkpoint cp = {.position = 7, .time = "2026-11-24T03:00:00Z"};
  memset(cp.hash, 'b', 64);
  char text[CHECKPOINT_TEXT_MAX], copy[CHECKPOINT_TEXT_MAX + 8];
  int len = sign(&cp, sk, text);
  struct checkpoint got;
  const char *why = NULL;
  CHECK(checkpoint_parse("", 0, pk, &got, &why) == CHECKPOINT_MALFORMED && why != NULL);
  CHECK(checkpoint_parse(text, (size_t)len - 1, pk, &got, &why) == CHECKPOINT_MALFORMED); /* no last newline */
  memcpy(copy, text, (size_t)len);
  memcpy(copy + len, "more\n", 5);
  CHECK(checkpoint_parse(copy, (size_t)len + 5, pk, &got, &why) == CHECKPOINT_MALFORMED);
  memcpy(copy, text, (size_t)len + 1);
  strstr(copy, "position 7")[9] = '0'; /* "position 0" with a hash */
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_MALFORMED);
  memcpy(copy, text, (size_t)len + 1);
  strstr(copy, "hash b")[5] = 'B'; /* upper case: not the text that was signed */
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_MALFORMED);
  memcpy(copy, text, (size_t)len + 1);
  strstr(copy, "time ")[16] = '6'; /* 26:00 */
  CHECK(checkpoint_parse(copy, (size_t)len, pk, &got, &why) == CHECKPOINT_MALFORMED);
}

static void test_public_key(void) {
  char hex[2 * crypto_sign_PUBLICKEYBYTES + 8];
  sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
  unsigned char key[crypto_sign_PUBLICKEYBYTES];
  CHECK(checkpoint_public_key_parse(hex, strlen(hex), key) && memcmp(key, pk, sizeof pk) == 0);
  strcat(hex, " \n");
  CHECK(checkpoint_public_key_parse(hex, strlen(hex), key));
  CHECK(!checkpoint_public_key_parse(hex, 63, key));
  CHECK(!checkpoint_public_key_parse("zz", 2, key));
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  unsigned char seed[crypto_sign_SEEDBYTES] = {7};
  crypto_sign_seed_keypair(pk, sk, seed);
  seed[0] = 8;
  crypto_sign_seed_keypair(other_pk, other_sk, seed);
  test_round_trip();
  test_tampering();
  test_malformed();
  test_public_key();
  return check_exit();
}
