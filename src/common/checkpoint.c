/* Signed checkpoints of the audit chain's head (see include/checkpoint.h). */
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "validate.h"

#define MAGIC "commissiond audit checkpoint 1\n"

static bool lower_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* YYYY-MM-DDTHH:MM:SSZ, a real date and time of day. */
static bool valid_time(const char *s) {
  return strlen(s) == 20 && s[19] == 'Z' && valid_date_time(s);
}

static bool head_valid(const struct checkpoint *cp) {
  if (cp->position < 0 || !valid_time(cp->time))
    return false;
  if (cp->position == 0)
    return cp->hash[0] == '\0';
  return strlen(cp->hash) == 2 * AUDIT_HASH_BYTES && lower_hex(cp->hash, 2 * AUDIT_HASH_BYTES);
}

/* The signed part of CP's text into OUT (size N); its length, or -1 when it does not fit. */
static int signed_text(const struct checkpoint *cp, char *out, size_t n) {
  char key[2 * crypto_sign_PUBLICKEYBYTES + 1];
  sodium_bin2hex(key, sizeof key, cp->public_key, sizeof cp->public_key);
  int len = snprintf(out, n, MAGIC "position %lld\nhash %s\ntime %s\nkey %s\n", (long long)cp->position,
                     cp->position == 0 ? "none" : cp->hash, cp->time, key);
  return len < 0 || (size_t)len >= n ? -1 : len;
}

int checkpoint_format(struct checkpoint *cp, const unsigned char secret_key[crypto_sign_SECRETKEYBYTES], char *out,
                      size_t n) {
  if (!head_valid(cp) || crypto_sign_ed25519_sk_to_pk(cp->public_key, secret_key) != 0)
    return -1;
  int len = signed_text(cp, out, n);
  if (len < 0)
    return -1;
  unsigned char sig[crypto_sign_BYTES];
  char sig_hex[2 * crypto_sign_BYTES + 1];
  if (crypto_sign_detached(sig, NULL, (const unsigned char *)out, (unsigned long long)len, secret_key) != 0)
    return -1;
  sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
  int more = snprintf(out + len, n - (size_t)len, "signature %s\n", sig_hex);
  if (more < 0 || (size_t)more >= n - (size_t)len)
    return -1;
  return len + more;
}

/* The value of the line at *P that starts with NAME and a space, up to its newline (which must be there) in
 * [VALUE, VALUE+*VLEN); *P moves past the line. False when the line is another. */
static bool line(const char **p, const char *end, const char *name, const char **value, size_t *vlen) {
  size_t nlen = strlen(name);
  if ((size_t)(end - *p) < nlen + 1 || memcmp(*p, name, nlen) != 0 || (*p)[nlen] != ' ')
    return false;
  *value = *p + nlen + 1;
  const char *nl = memchr(*value, '\n', (size_t)(end - *value));
  if (nl == NULL)
    return false;
  *vlen = (size_t)(nl - *value);
  *p = nl + 1;
  return true;
}

enum checkpoint_status checkpoint_parse(const char *text, size_t len,
                                        const unsigned char trusted[crypto_sign_PUBLICKEYBYTES], struct checkpoint *cp,
                                        const char **why) {
  memset(cp, 0, sizeof *cp);
  const char *p = text, *end = text + len, *v;
  size_t vlen;
  *why = "it does not begin with \"" "commissiond audit checkpoint 1" "\"";
  if (len >= CHECKPOINT_TEXT_MAX) {
    *why = "it is too long";
    return CHECKPOINT_MALFORMED;
  }
  if (len < sizeof MAGIC - 1 || memcmp(text, MAGIC, sizeof MAGIC - 1) != 0)
    return CHECKPOINT_MALFORMED;
  p += sizeof MAGIC - 1;

  *why = "no valid position line";
  if (!line(&p, end, "position", &v, &vlen) || vlen == 0 || vlen > 18 || (v[0] == '0' && vlen > 1))
    return CHECKPOINT_MALFORMED;
  for (size_t i = 0; i < vlen; i++) {
    if (v[i] < '0' || v[i] > '9')
      return CHECKPOINT_MALFORMED;
    cp->position = cp->position * 10 + (v[i] - '0');
  }
  *why = "no valid hash line";
  if (!line(&p, end, "hash", &v, &vlen))
    return CHECKPOINT_MALFORMED;
  if (cp->position == 0 ? !(vlen == 4 && memcmp(v, "none", 4) == 0)
                        : !(vlen == 2 * AUDIT_HASH_BYTES && lower_hex(v, vlen)))
    return CHECKPOINT_MALFORMED;
  if (cp->position != 0)
    memcpy(cp->hash, v, vlen);
  *why = "no valid time line";
  if (!line(&p, end, "time", &v, &vlen) || vlen != sizeof cp->time - 1)
    return CHECKPOINT_MALFORMED;
  memcpy(cp->time, v, vlen);
  if (!valid_time(cp->time))
    return CHECKPOINT_MALFORMED;
  *why = "no valid key line";
  if (!line(&p, end, "key", &v, &vlen) || vlen != 2 * crypto_sign_PUBLICKEYBYTES || !lower_hex(v, vlen) ||
      sodium_hex2bin(cp->public_key, sizeof cp->public_key, v, vlen, NULL, NULL, NULL) != 0)
    return CHECKPOINT_MALFORMED;
  size_t signed_len = (size_t)(p - text);
  unsigned char sig[crypto_sign_BYTES];
  *why = "no valid signature line";
  if (!line(&p, end, "signature", &v, &vlen) || vlen != 2 * crypto_sign_BYTES || !lower_hex(v, vlen) ||
      sodium_hex2bin(sig, sizeof sig, v, vlen, NULL, NULL, NULL) != 0)
    return CHECKPOINT_MALFORMED;
  *why = "text follows the signature";
  if (p != end)
    return CHECKPOINT_MALFORMED;
  *why = NULL;

  const unsigned char *key = trusted != NULL ? trusted : cp->public_key;
  if (crypto_sign_verify_detached(sig, (const unsigned char *)text, signed_len, key) == 0)
    return CHECKPOINT_OK;
  if (trusted != NULL && sodium_memcmp(trusted, cp->public_key, sizeof cp->public_key) != 0 &&
      crypto_sign_verify_detached(sig, (const unsigned char *)text, signed_len, cp->public_key) == 0)
    return CHECKPOINT_OTHER_KEY;
  return CHECKPOINT_BAD_SIGNATURE;
}

bool checkpoint_public_key_parse(const char *text, size_t len, unsigned char key[crypto_sign_PUBLICKEYBYTES]) {
  while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')) {
    text++;
    len--;
  }
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' ||
                     text[len - 1] == '\r'))
    len--;
  size_t bin_len;
  return len == 2 * crypto_sign_PUBLICKEYBYTES &&
         sodium_hex2bin(key, crypto_sign_PUBLICKEYBYTES, text, len, NULL, &bin_len, NULL) == 0 &&
         bin_len == crypto_sign_PUBLICKEYBYTES;
}
