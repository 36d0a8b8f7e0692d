/* The audit chain: new entries are hashed in order of chaining (chain_pos), each hash covering the previous one,
 * by a background thread about once a second — the request path never waits for it. One chainer at a time
 * across all instances (a transaction-level advisory lock). `commissionctl audit verify` walks the chain. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "log.h"

#define CHAIN_BATCH 1000 /* entries per transaction: keep the LIMIT of audit_chain_pending equal */
#define CHAIN_LOCK_KEY "727327" /* pg_advisory_xact_lock key of the chainer */

static const struct db_statement chain_lock = {
  "audit_chain_lock", "SELECT pg_try_advisory_xact_lock(" CHAIN_LOCK_KEY ")", 0};

static const struct db_statement chain_tail = {
  "audit_chain_tail",
  "SELECT chain_pos, encode(hash, 'hex') FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1",
  0};

static const struct db_statement chain_pending = {
  "audit_chain_pending",
  "SELECT e.id, audit_entry_text(e) FROM audit_log e WHERE e.chain_pos IS NULL ORDER BY e.id LIMIT 1000", 0};

static const struct db_statement chain_store = {
  "audit_chain_store",
  "UPDATE audit_log a SET chain_pos = c.pos, prev_hash = decode(nullif(c.prev, ''), 'hex'), "
  "hash = decode(c.hash, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS c(id, pos, prev, hash) "
  "WHERE a.id = c.id",
  4,
};

static const struct db_statement chain_walk = {
  "audit_chain_walk",
  "SELECT e.chain_pos, encode(e.prev_hash, 'hex'), encode(e.hash, 'hex'), audit_entry_text(e) FROM audit_log e "
  "WHERE e.chain_pos > $1::bigint ORDER BY e.chain_pos LIMIT 5000",
  1,
};

static const struct db_statement chain_count_pending = {
  "audit_chain_count_pending", "SELECT count(*) FROM audit_log WHERE chain_pos IS NULL", 0};

/* Appends TEXT to *BUF (a growing string); false when out of memory. */
static bool append(char **buf, size_t *len, size_t *cap, const char *text) {
  size_t n = strlen(text);
  if (*len + n + 1 > *cap) {
    size_t c = (*cap ? *cap * 2 : 4096) + n;
    char *grown = realloc(*buf, c);
    if (grown == NULL)
      return false;
    *buf = grown;
    *cap = c;
  }
  memcpy(*buf + *len, text, n + 1);
  *len += n;
  return true;
}

/* One batch in one transaction: DB_ROW with *N chained, DB_NO_ROW when another chainer holds the lock. */
static enum db_status chain_batch(struct db *db, long *n) {
  *n = 0;
  PGresult *res;
  enum db_status s = db_exec(db, &chain_lock, NULL, &res);
  bool locked = s == DB_ROW && PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  if (s < 0)
    return s;
  if (!locked)
    return DB_NO_ROW;
  unsigned char prev[AUDIT_HASH_BYTES];
  bool has_prev = false;
  int64_t pos = 0;
  s = db_exec(db, &chain_tail, NULL, &res);
  if (s < 0)
    return s;
  if (s == DB_ROW) {
    pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    has_prev = sodium_hex2bin(prev, sizeof prev, PQgetvalue(res, 0, 1), strlen(PQgetvalue(res, 0, 1)), NULL, NULL,
                              NULL) == 0;
  }
  PQclear(res);
  PGresult *pending;
  s = db_exec(db, &chain_pending, NULL, &pending);
  if (s <= 0) {
    PQclear(pending);
    return s < 0 ? s : DB_ROW;
  }
  char *ids = NULL, *positions = NULL, *prevs = NULL, *hashes = NULL;
  size_t li = 0, ci = 0, lp = 0, cp = 0, lv = 0, cv = 0, lh = 0, ch = 0;
  bool ok = append(&ids, &li, &ci, "{") && append(&positions, &lp, &cp, "{") && append(&prevs, &lv, &cv, "{") &&
            append(&hashes, &lh, &ch, "{");
  int rows = PQntuples(pending);
  for (int i = 0; ok && i < rows; i++) {
    unsigned char hash[AUDIT_HASH_BYTES];
    char hex[2 * AUDIT_HASH_BYTES + 1], prev_hex[2 * AUDIT_HASH_BYTES + 1] = "", number[24];
    pos++;
    audit_hash(has_prev ? prev : NULL, pos, PQgetvalue(pending, i, 1), hash);
    if (has_prev)
      sodium_bin2hex(prev_hex, sizeof prev_hex, prev, sizeof prev);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    const char *sep = i ? "," : "";
    snprintf(number, sizeof number, "%s%lld", sep, (long long)pos);
    ok = append(&ids, &li, &ci, sep) && append(&ids, &li, &ci, PQgetvalue(pending, i, 0)) &&
         append(&positions, &lp, &cp, number) && append(&prevs, &lv, &cv, sep) && append(&prevs, &lv, &cv, "\"") &&
         append(&prevs, &lv, &cv, prev_hex) && append(&prevs, &lv, &cv, "\"") && append(&hashes, &lh, &ch, sep) &&
         append(&hashes, &lh, &ch, hex);
    memcpy(prev, hash, sizeof prev);
    has_prev = true;
  }
  PQclear(pending);
  ok = ok && append(&ids, &li, &ci, "}") && append(&positions, &lp, &cp, "}") && append(&prevs, &lv, &cv, "}") &&
       append(&hashes, &lh, &ch, "}");
  if (ok) {
    const char *params[] = {ids, positions, prevs, hashes};
    s = db_exec(db, &chain_store, params, &res);
    PQclear(res);
    if (s >= 0)
      *n = rows;
  } else {
    s = DB_HARD_ERROR;
  }
  free(ids);
  free(positions);
  free(prevs);
  free(hashes);
  return s < 0 ? s : DB_ROW;
}

long audit_chain_pending(struct db *db) {
  long total = 0;
  for (;;) {
    long n = 0;
    if (db_begin(db) < 0)
      return -1;
    enum db_status s = chain_batch(db, &n);
    if (s < 0) {
      db_rollback(db);
      return -1;
    }
    if (db_commit(db) < 0)
      return -1;
    total += n;
    if (s == DB_NO_ROW || n < CHAIN_BATCH)
      return total;
  }
}

int64_t audit_verify(struct db *db, long *chained, long *pending, char *why, size_t why_len) {
  *chained = *pending = 0;
  why[0] = '\0';
  unsigned char prev[AUDIT_HASH_BYTES];
  bool has_prev = false;
  int64_t expected = 1;
  for (;;) {
    char after[24];
    snprintf(after, sizeof after, "%lld", (long long)(expected - 1));
    const char *params[] = {after};
    PGresult *res;
    enum db_status s = db_exec(db, &chain_walk, params, &res);
    if (s < 0)
      return -1;
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
      int64_t pos = strtoll(PQgetvalue(res, i, 0), NULL, 10);
      if (pos != expected) {
        snprintf(why, why_len, "entry %lld is missing (the chain jumps to %lld)", (long long)expected, (long long)pos);
        PQclear(res);
        return expected;
      }
      char prev_hex[2 * AUDIT_HASH_BYTES + 1] = "";
      if (has_prev)
        sodium_bin2hex(prev_hex, sizeof prev_hex, prev, sizeof prev);
      if (strcmp(PQgetvalue(res, i, 1), prev_hex) != 0) {
        snprintf(why, why_len, "entry %lld does not point at the hash of entry %lld", (long long)pos,
                 (long long)pos - 1);
        PQclear(res);
        return pos;
      }
      unsigned char hash[AUDIT_HASH_BYTES];
      char hex[2 * AUDIT_HASH_BYTES + 1];
      audit_hash(has_prev ? prev : NULL, pos, PQgetvalue(res, i, 3), hash);
      sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
      if (strcmp(hex, PQgetvalue(res, i, 2)) != 0) {
        snprintf(why, why_len, "entry %lld was changed after it was chained", (long long)pos);
        PQclear(res);
        return pos;
      }
      memcpy(prev, hash, sizeof prev);
      has_prev = true;
      expected++;
      (*chained)++;
    }
    PQclear(res);
    if (rows == 0)
      break;
  }
  PGresult *res;
  if (db_exec(db, &chain_count_pending, NULL, &res) < 0)
    return -1;
  *pending = strtol(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return 0;
}

static pthread_t chainer_thread;
static bool chainer_running;
static atomic_bool chainer_stop;
static char *chainer_conninfo;

static void *chainer_main(void *arg) {
  (void)arg;
  struct db *db = NULL;
  struct timespec pause = {0, 100 * 1000 * 1000};
  for (unsigned int tick = 0;; tick++) {
    bool stopping = atomic_load(&chainer_stop);
    if (db == NULL) {
      db = db_open(chainer_conninfo);
      if (db != NULL && db_simple(db, "SET commissiond.scope = 'all'") < 0) {
        db_close(db);
        db = NULL;
      }
    }
    /* The queued entries every 100 ms (and a last time when stopping); the chain every second. */
    if (db != NULL && audit_queue_flush(db) < 0 && db_lost(db)) {
      db_close(db);
      db = NULL;
    }
    if (stopping)
      break;
    if (db != NULL && tick % 10 == 0 && audit_chain_pending(db) < 0 && db_lost(db)) {
      db_close(db);
      db = NULL;
    }
    nanosleep(&pause, NULL);
  }
  db_close(db);
  return NULL;
}

int audit_chainer_start(const char *conninfo) {
  chainer_conninfo = strdup(conninfo);
  if (chainer_conninfo == NULL)
    return -1;
  atomic_store(&chainer_stop, false);
  if (pthread_create(&chainer_thread, NULL, chainer_main, NULL) != 0) {
    free(chainer_conninfo);
    chainer_conninfo = NULL;
    return -1;
  }
  chainer_running = true;
  return 0;
}

void audit_chainer_stop(void) {
  if (!chainer_running)
    return;
  atomic_store(&chainer_stop, true);
  pthread_join(chainer_thread, NULL);
  chainer_running = false;
  free(chainer_conninfo);
  chainer_conninfo = NULL;
}
