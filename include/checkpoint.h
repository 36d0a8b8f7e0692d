/* Checkpoints of the audit chain: the chain's head (its newest position and that entry's hash) at a time, signed
 * with an Ed25519 key kept outside the database. The chain alone cannot show that its newest entries were deleted
 * (what remains is still a valid chain); a checkpoint kept elsewhere can. Pure text and signatures here; the key
 * files and the commands are commissionctl's (src/ctl/checkpoint.c).
 *
 * The text, each line ending with a newline; the signature covers every byte of the lines before its own:
 *   commissiond audit checkpoint 1
 *   position 1234                 (0: the chain was empty)
 *   hash <64 hex digits>          (BLAKE2b-256 of entry 1234 in the chain; "none" at position 0)
 *   time 2026-11-24T03:00:00Z     (UTC, when it was taken)
 *   key <64 hex digits>           (the Ed25519 public key that signed it)
 *   signature <128 hex digits>    (Ed25519, detached) */
#ifndef COMMISSIOND_CHECKPOINT_H
#define COMMISSIOND_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "audit_hash.h"

#define CHECKPOINT_TEXT_MAX 512 /* the whole text is shorter than this */

struct checkpoint {
  int64_t position;
  char hash[2 * AUDIT_HASH_BYTES + 1]; /* lowercase hex; "" at position 0 */
  char time[21];                       /* YYYY-MM-DDTHH:MM:SSZ */
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
};

/* Writes CP (its position, hash and time; its public_key is set here from SECRET_KEY) as signed text into OUT
 * (size N >= CHECKPOINT_TEXT_MAX). Returns the text's length, or -1 when CP is not a valid head. */
int checkpoint_format(struct checkpoint *cp, const unsigned char secret_key[crypto_sign_SECRETKEYBYTES], char *out,
                      size_t n);

enum checkpoint_status {
  CHECKPOINT_OK,
  CHECKPOINT_MALFORMED,     /* not a checkpoint's text */
  CHECKPOINT_BAD_SIGNATURE, /* altered after it was signed, or forged */
  CHECKPOINT_OTHER_KEY,     /* well signed, but by another key than the one trusted */
};

/* Reads the checkpoint TEXT (LEN bytes) into *CP and checks its signature: with TRUSTED (the public key the
 * operator keeps) when not NULL, else with the key the text names (which shows an edit, not a forgery). On
 * CHECKPOINT_MALFORMED, *WHY (static) says what is wrong. */
enum checkpoint_status checkpoint_parse(const char *text, size_t len,
                                        const unsigned char trusted[crypto_sign_PUBLICKEYBYTES], struct checkpoint *cp,
                                        const char **why);

/* Reads a public key written as 64 hex digits (surrounding white space allowed) into KEY; false when malformed. */
bool checkpoint_public_key_parse(const char *text, size_t len, unsigned char key[crypto_sign_PUBLICKEYBYTES]);

#endif
