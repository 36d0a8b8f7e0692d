/* Webhook secrets and signatures (see include/webhook_sign.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "webhook_sign.h"

void webhook_secret_text(const unsigned char raw[WEBHOOK_SECRET_BYTES], char text[WEBHOOK_SECRET_TEXT_LEN]) {
  memcpy(text, "whsec_", 6);
  sodium_bin2base64(text + 6, WEBHOOK_SECRET_TEXT_LEN - 6, raw, WEBHOOK_SECRET_BYTES, sodium_base64_VARIANT_ORIGINAL);
}

void webhook_secret_new(unsigned char raw[WEBHOOK_SECRET_BYTES], char text[WEBHOOK_SECRET_TEXT_LEN]) {
  randombytes_buf(raw, WEBHOOK_SECRET_BYTES);
  webhook_secret_text(raw, text);
}

void webhook_secret_seal(const unsigned char key[WEBHOOK_KEY_BYTES], const unsigned char raw[WEBHOOK_SECRET_BYTES],
                         unsigned char box[WEBHOOK_BOX_BYTES]) {
  randombytes_buf(box, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, raw, WEBHOOK_SECRET_BYTES, box, key);
}

bool webhook_secret_open(const unsigned char key[WEBHOOK_KEY_BYTES], const unsigned char *box, size_t len,
                         unsigned char raw[WEBHOOK_SECRET_BYTES]) {
  if (len != WEBHOOK_BOX_BYTES)
    return false;
  return crypto_secretbox_open_easy(raw, box + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES, box,
                                    key) == 0;
}

void webhook_sign(const unsigned char secret[WEBHOOK_SECRET_BYTES], const char *id, long long timestamp,
                  const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_LEN]) {
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char ts[24];
  int n = snprintf(ts, sizeof ts, "%lld", timestamp);
  crypto_auth_hmacsha256_init(&st, secret, WEBHOOK_SECRET_BYTES);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)n);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
  crypto_auth_hmacsha256_final(&st, mac);
  memcpy(out, "v1,", 3);
  sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_LEN - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(&st, sizeof st);
}

bool webhook_key_load(const char *path, unsigned char key[WEBHOOK_KEY_BYTES], char *why, size_t why_len) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || (st.st_mode & S_IROTH) != 0) {
    snprintf(why, why_len, "%s must not be readable by others (chmod 600 or 640)", path);
    fclose(f);
    return false;
  }
  char text[160];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  char *start = text;
  while (isspace((unsigned char)*start))
    start++;
  size_t len = strlen(start);
  while (len > 0 && isspace((unsigned char)start[len - 1]))
    start[--len] = '\0';
  size_t bin_len = 0;
  if (len != 2 * WEBHOOK_KEY_BYTES ||
      sodium_hex2bin(key, WEBHOOK_KEY_BYTES, start, len, NULL, &bin_len, NULL) != 0 || bin_len != WEBHOOK_KEY_BYTES) {
    snprintf(why, why_len, "%s must hold 64 hexadecimal digits (e.g. from `openssl rand -hex 32`)", path);
    sodium_memzero(text, sizeof text);
    return false;
  }
  sodium_memzero(text, sizeof text);
  return true;
}
