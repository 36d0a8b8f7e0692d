/* Bearer tokens: "cd_" + selector (16 base64url chars) + secret (43 base64url chars). The database keeps the
 * selector and a BLAKE2b-256 hash of the whole token, never the token itself. */
#ifndef COMMISSIOND_TOKEN_H
#define COMMISSIOND_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_PREFIX "cd_"
#define TOKEN_SELECTOR_LEN 16
#define TOKEN_SECRET_LEN 43
#define TOKEN_LEN (3 + TOKEN_SELECTOR_LEN + TOKEN_SECRET_LEN)
#define TOKEN_HASH_BYTES 32

/* Fills TOKEN (TOKEN_LEN + 1 bytes) with a fresh random token (256 secret bits) and SELECTOR
 * (TOKEN_SELECTOR_LEN + 1 bytes). libsodium must be initialised. */
void token_generate(char *token, char *selector);
/* Checks TOKEN's shape (length LEN, prefix, alphabet) and copies its selector out; false when malformed. */
bool token_parse(const char *token, size_t len, char *selector);
/* HASH (TOKEN_HASH_BYTES) = BLAKE2b-256 of the token's LEN bytes. */
void token_hash(const char *token, size_t len, unsigned char *hash);

#endif
