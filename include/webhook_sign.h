/* Webhook secrets and signatures (Standard Webhooks): a subscription's secret is "whsec_" and the base64 of 32
 * random bytes; a message is signed as HMAC-SHA256(secret, "{id}.{timestamp}.{body}"), sent as "v1,<base64>". The
 * secret is kept in the database only sealed (XSalsa20-Poly1305, libsodium's secretbox) under the daemon's webhook
 * key, which lives in its configuration, never in the database. */
#ifndef COMMISSIOND_WEBHOOK_SIGN_H
#define COMMISSIOND_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define WEBHOOK_SECRET_BYTES 32
#define WEBHOOK_KEY_BYTES 32
#define WEBHOOK_SECRET_TEXT_LEN 52  /* "whsec_" + 44 base64 characters + NUL (with room) */
#define WEBHOOK_SIGNATURE_LEN 52    /* "v1," + 44 base64 characters + NUL (with room) */
/* A sealed secret: nonce (24) || MAC (16) || secret (32). */
#define WEBHOOK_BOX_BYTES (24 + 16 + WEBHOOK_SECRET_BYTES)

/* A new random secret: its raw bytes and its text form. */
void webhook_secret_new(unsigned char raw[WEBHOOK_SECRET_BYTES], char text[WEBHOOK_SECRET_TEXT_LEN]);
/* The text form of RAW. */
void webhook_secret_text(const unsigned char raw[WEBHOOK_SECRET_BYTES], char text[WEBHOOK_SECRET_TEXT_LEN]);
/* RAW sealed under KEY into BOX (a fresh nonce each time). */
void webhook_secret_seal(const unsigned char key[WEBHOOK_KEY_BYTES], const unsigned char raw[WEBHOOK_SECRET_BYTES],
                         unsigned char box[WEBHOOK_BOX_BYTES]);
/* BOX opened under KEY into RAW; false when BOX was not sealed under KEY or was altered. */
bool webhook_secret_open(const unsigned char key[WEBHOOK_KEY_BYTES], const unsigned char *box, size_t len,
                         unsigned char raw[WEBHOOK_SECRET_BYTES]);
/* "v1,<base64 of HMAC-SHA256(SECRET, ID "." TIMESTAMP "." BODY)>" into OUT. */
void webhook_sign(const unsigned char secret[WEBHOOK_SECRET_BYTES], const char *id, long long timestamp,
                  const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_LEN]);
/* The webhook key read from PATH: 64 hex digits (surrounding white space allowed). False, with WHY, when the file
 * cannot be read, holds anything else, or is readable by others than its owner and group. */
bool webhook_key_load(const char *path, unsigned char key[WEBHOOK_KEY_BYTES], char *why, size_t why_len);

#endif
