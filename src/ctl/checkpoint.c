/* commissionctl audit keygen | checkpoint | verify: the audit chain's head anchored outside the database. keygen
 * makes the Ed25519 key (a file of its own, mode 600), checkpoint signs the chain's head with it, verify walks the
 * chain and, given a checkpoint, checks that the chain still reaches the checkpoint's entry unchanged. The text of
 * a checkpoint is src/common/checkpoint.c's. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "checkpoint.h"
#include "ctl.h"

#define KEY_DEFAULT "/etc/commissiond/audit-checkpoint.key"
#define KEY_FILE_MAX 4096

/* Reads at most MAX bytes of PATH into BUF (size MAX + 1, NUL-terminated); their count, or -1 (reported) when the
 * file cannot be read or is longer. With PRIVATE, also refuses a file that any user may read, or others than its
 * owner change (a group may read it: systemd's credentials, LoadCredential=, are shown 0440 through their ACL). */
static ssize_t read_small_file(const char *path, char *buf, size_t max, bool private) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "commissionctl: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "commissionctl: %s is not a regular file\n", path);
    close(fd);
    return -1;
  }
  if (private && (st.st_mode & 026) != 0) {
    fprintf(stderr, "commissionctl: %s is open to other users (mode %03o): chmod 600 it\n", path,
            (unsigned)(st.st_mode & 0777));
    close(fd);
    return -1;
  }
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, max + 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "commissionctl: cannot read %s: %s\n", path, strerror(errno));
      close(fd);
      return -1;
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (len > max) {
      fprintf(stderr, "commissionctl: %s is longer than %zu bytes: not what was expected\n", path, max);
      close(fd);
      return -1;
    }
  }
  close(fd);
  buf[len] = '\0';
  return (ssize_t)len;
}

/* The first line of TEXT that is not a comment ("#..."), without its newline, in [*LINE, *LINE + *LEN). */
static bool first_line(const char *text, const char **line, size_t *len) {
  while (*text != '\0') {
    size_t n = strcspn(text, "\n");
    if (text[0] != '#' && n > 0) {
      *line = text;
      *len = n;
      return true;
    }
    text += n + (text[n] == '\n');
  }
  return false;
}

/* Writes LEN bytes of DATA to FD; false (errno set) when it could not. */
static bool write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    len -= (size_t)n;
  }
  return true;
}

/* Reads the signing key file PATH (a comment, then the Ed25519 seed in hex) into SECRET_KEY. */
static bool key_read(const char *path, unsigned char secret_key[crypto_sign_SECRETKEYBYTES]) {
  char buf[KEY_FILE_MAX + 1];
  ssize_t n = read_small_file(path, buf, KEY_FILE_MAX, true);
  if (n < 0)
    return false;
  const char *line;
  size_t len;
  unsigned char seed[crypto_sign_SEEDBYTES], public_key[crypto_sign_PUBLICKEYBYTES];
  size_t seed_len = 0;
  bool ok = first_line(buf, &line, &len) && len == 2 * crypto_sign_SEEDBYTES &&
            sodium_hex2bin(seed, sizeof seed, line, len, NULL, &seed_len, NULL) == 0 &&
            seed_len == sizeof seed && crypto_sign_seed_keypair(public_key, secret_key, seed) == 0;
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(buf, sizeof buf);
  if (!ok)
    fprintf(stderr, "commissionctl: %s is not a key made by commissionctl audit keygen\n", path);
  return ok;
}

int ctl_audit_keygen(int argc, char **argv) {
  const char *v[1] = {NULL};
  named_args(argc, argv, (const char *const[]){"--key", NULL}, v);
  if (v[0] == NULL) {
    fprintf(stderr, "usage: commissionctl audit keygen --key FILE\n");
    return 2;
  }
  unsigned char seed[crypto_sign_SEEDBYTES], public_key[crypto_sign_PUBLICKEYBYTES],
      secret_key[crypto_sign_SECRETKEYBYTES];
  char seed_hex[2 * crypto_sign_SEEDBYTES + 1], public_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
  randombytes_buf(seed, sizeof seed);
  if (crypto_sign_seed_keypair(public_key, secret_key, seed) != 0) {
    fprintf(stderr, "commissionctl: cannot make a key\n");
    return 1;
  }
  sodium_bin2hex(seed_hex, sizeof seed_hex, seed, sizeof seed);
  sodium_bin2hex(public_hex, sizeof public_hex, public_key, sizeof public_key);
  char text[512];
  int len = snprintf(text, sizeof text,
                     "# commissiond audit checkpoint key (Ed25519 seed). Secret: keep it away from the database and\n"
                     "# its backups. Public key: %s\n%s\n",
                     public_hex, seed_hex);
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(secret_key, sizeof secret_key);
  sodium_memzero(seed_hex, sizeof seed_hex);
  int fd = open(v[0], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && fchmod(fd, 0600) == 0 && len > 0 && (size_t)len < sizeof text &&
            write_all(fd, text, (size_t)len) && fsync(fd) == 0;
  int err = errno;
  sodium_memzero(text, sizeof text);
  if (fd >= 0 && close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    fprintf(stderr, "commissionctl: cannot create %s: %s%s\n", v[0], strerror(err),
            err == EEXIST ? " (a key is never overwritten: remove it first if you mean to replace it)" : "");
    if (fd >= 0)
      unlink(v[0]);
    return 1;
  }
  printf("key written to %s (mode 600); its public key, to keep where checkpoints are verified:\n%s\n", v[0],
         public_hex);
  return 0;
}

/* Writes LEN bytes of TEXT to PATH atomically (a temporary file in the same folder, then renamed over PATH). */
static bool write_file_atomic(const char *path, const char *text, size_t len) {
  char *copy = strdup(path);
  if (copy == NULL)
    return false;
  char tmp[4096];
  int n = snprintf(tmp, sizeof tmp, "%s/.checkpoint.XXXXXX", dirname(copy));
  free(copy);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    fprintf(stderr, "commissionctl: %s: path too long\n", path);
    return false;
  }
  int fd = mkstemp(tmp);
  if (fd < 0) {
    fprintf(stderr, "commissionctl: cannot write next to %s: %s\n", path, strerror(errno));
    return false;
  }
  bool ok = fchmod(fd, 0644) == 0 && write_all(fd, text, len) && fsync(fd) == 0;
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    fprintf(stderr, "commissionctl: cannot write %s: %s\n", path, strerror(err));
    unlink(tmp);
  }
  return ok;
}

int ctl_audit_checkpoint(struct db *db, int argc, char **argv) {
  const char *v[2] = {NULL, NULL};
  named_args(argc, argv, (const char *const[]){"--key", "--out", NULL}, v);
  const char *key_path = v[0] ? v[0] : getenv("COMMISSIOND_CHECKPOINT_KEY");
  if (key_path == NULL || key_path[0] == '\0')
    key_path = KEY_DEFAULT;
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  if (!key_read(key_path, secret_key))
    return 1;
  struct checkpoint cp = {0};
  enum db_status s = DB_HARD_ERROR;
  if (audit_chain_pending(db) >= 0)
    s = audit_chain_head(db, &cp.position, cp.hash);
  if (s < 0) {
    sodium_memzero(secret_key, sizeof secret_key);
    fprintf(stderr, "commissionctl: cannot read the audit chain's head: %s", PQerrorMessage(db_pgconn(db)));
    return 1;
  }
  time_t now = time(NULL);
  struct tm utc;
  char text[CHECKPOINT_TEXT_MAX];
  int len = -1;
  if (gmtime_r(&now, &utc) != NULL && strftime(cp.time, sizeof cp.time, "%Y-%m-%dT%H:%M:%SZ", &utc) > 0)
    len = checkpoint_format(&cp, secret_key, text, sizeof text);
  sodium_memzero(secret_key, sizeof secret_key);
  if (len < 0) {
    fprintf(stderr, "commissionctl: cannot sign the checkpoint\n");
    return 1;
  }
  if (v[1] == NULL) {
    if (!write_all(STDOUT_FILENO, text, (size_t)len)) {
      fprintf(stderr, "commissionctl: cannot write the checkpoint: %s\n", strerror(errno));
      return 1;
    }
    return 0;
  }
  if (!write_file_atomic(v[1], text, (size_t)len))
    return 1;
  printf("checkpoint of the audit chain at entry %lld (%s) written to %s\n", (long long)cp.position, cp.time, v[1]);
  return 0;
}

/* The public key KEY names: 64 hex digits, or a file holding them (comment lines "#..." allowed). */
static bool public_key_read(const char *key, unsigned char out[crypto_sign_PUBLICKEYBYTES]) {
  if (checkpoint_public_key_parse(key, strlen(key), out))
    return true;
  char buf[KEY_FILE_MAX + 1];
  const char *line;
  size_t len;
  if (read_small_file(key, buf, KEY_FILE_MAX, false) >= 0 && first_line(buf, &line, &len) &&
      checkpoint_public_key_parse(line, len, out))
    return true;
  fprintf(stderr, "commissionctl: --public-key: \"%s\" is neither a public key (64 hex digits) nor a file holding one\n",
          key);
  return false;
}

int ctl_audit_verify(struct db *db, int argc, char **argv) {
  const char *v[2] = {NULL, NULL};
  named_args(argc, argv, (const char *const[]){"--checkpoint", "--public-key", NULL}, v);
  if (v[1] != NULL && v[0] == NULL) {
    fprintf(stderr, "usage: commissionctl audit verify [--checkpoint FILE [--public-key KEY]]\n");
    return 2;
  }
  struct checkpoint cp;
  struct audit_anchor anchor;
  char label[64];
  if (v[0] != NULL) {
    unsigned char trusted[crypto_sign_PUBLICKEYBYTES];
    if (v[1] != NULL && !public_key_read(v[1], trusted))
      return 2;
    char text[CHECKPOINT_TEXT_MAX + 1];
    ssize_t n = read_small_file(v[0], text, CHECKPOINT_TEXT_MAX, false);
    if (n < 0)
      return 1;
    const char *why;
    switch (checkpoint_parse(text, (size_t)n, v[1] != NULL ? trusted : NULL, &cp, &why)) {
    case CHECKPOINT_OK: break;
    case CHECKPOINT_MALFORMED:
      printf("checkpoint %s REFUSED: it is not an audit checkpoint (%s)\n", v[0], why);
      return 1;
    case CHECKPOINT_BAD_SIGNATURE:
      printf("checkpoint %s REFUSED: bad signature: it was altered or forged after it was signed\n", v[0]);
      return 1;
    case CHECKPOINT_OTHER_KEY:
      printf("checkpoint %s REFUSED: bad signature: it was signed by another key than the one given\n", v[0]);
      return 1;
    }
    if (v[1] == NULL)
      fprintf(stderr, "commissionctl: note: the checkpoint's signature was checked with the key it names; pass "
                      "--public-key to check that it is your key\n");
    snprintf(label, sizeof label, "the checkpoint of %s", cp.time);
    anchor = (struct audit_anchor){cp.position, cp.hash, label};
  }
  long chained, pending;
  char why[320];
  int64_t broken = audit_verify(db, v[0] != NULL ? &anchor : NULL, &chained, &pending, why, sizeof why);
  if (broken < 0) {
    fprintf(stderr, "commissionctl: cannot read the audit trail: %s", PQerrorMessage(db_pgconn(db)));
    return 1;
  }
  if (broken > 0) {
    printf("audit trail BROKEN at entry %lld: %s\n", (long long)broken, why);
    return 1;
  }
  printf("audit trail intact: %ld entries chained, %ld waiting to be chained", chained, pending);
  if (v[0] != NULL)
    printf("; it holds entry %lld of the checkpoint of %s", (long long)cp.position, cp.time);
  printf("\n");
  /* The sealed minutes and annexes must still be what the chain recorded at their sealing. */
  int seals = ctl_seals_verify(db_pgconn(db), NULL, true);
  return seals < 0 || seals == 1 ? 1 : 0;
}
