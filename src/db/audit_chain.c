/* The audit chain: entries are hashed in order of chaining (chain_pos), each hash covering the previous one, by
 * the audit thread — the request path never waits for it. Queued entries (reads, refusals) are written already
 * chained every 100 ms; a write's entry, written unchained in the write's own transaction, is chained at the next
 * of those writes or within about a second. One chainer at a time across all instances (a transaction-level
 * advisory lock). `commissionctl audit verify` walks the chain. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <sodium.h>

#include "audit_db.h"
#include "log.h"
#include "queries.h"

#define CHAIN_BATCH 1000 /* entries per transaction: keep the LIMIT of audit_chain_pending equal */
#define CHAIN_LOCK_KEY "727327" /* pg_advisory_xact_lock key of the chainer */

DB_STATEMENT(chain_try_lock, {
  "audit_chain_try_lock", "SELECT pg_try_advisory_xact_lock(" CHAIN_LOCK_KEY ")", .nparams = 0});

DB_STATEMENT(chain_wait_lock, {
  "audit_chain_wait_lock", "SELECT pg_advisory_xact_lock(" CHAIN_LOCK_KEY ")", .nparams = 0});

DB_STATEMENT(chain_tail, {
  "audit_chain_tail",
  "SELECT chain_pos, encode(hash, 'hex') FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1",
  .nparams = 0});

DB_STATEMENT(chain_pending, {
  "audit_chain_pending",
  "SELECT e.id, audit_entry_text(e) FROM audit_log e WHERE e.chain_pos IS NULL ORDER BY e.id LIMIT 1000",
  .nparams = 0});

DB_STATEMENT(chain_store, {
  "audit_chain_store",
  "UPDATE audit_log a SET chain_pos = c.pos, prev_hash = decode(c.prev, 'hex'), "
  "hash = decode(c.hash, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS c(id, pos, prev, hash) "
  "WHERE a.id = c.id AND a.chain_pos IS NULL", /* audit_log_unchained_idx */
  .nparams = 4
});

DB_STATEMENT(chain_walk, {
  "audit_chain_walk",
  "SELECT e.chain_pos, encode(e.prev_hash, 'hex'), encode(e.hash, 'hex'), audit_entry_text(e) FROM audit_log e "
  "WHERE e.chain_pos > $1::bigint ORDER BY e.chain_pos LIMIT 5000",
  .nparams = 1
});

DB_STATEMENT(chain_count_pending, {
  "audit_chain_count_pending", "SELECT count(*) FROM audit_log WHERE chain_pos IS NULL", .nparams = 0});

/* A growing PostgreSQL array literal: "{a,b,...}" once closed. */
struct pg_array {
  char *text;
  size_t len, cap;
  int n;
};

/* Appends N bytes of TEXT to A; false when out of memory. */
static bool append(struct pg_array *a, const char *text, size_t n) {
  if (a->len + n + 1 > a->cap) {
    size_t c = (a->cap ? a->cap * 2 : 4096) + n;
    char *grown = realloc(a->text, c);
    if (grown == NULL)
      return false;
    a->text = grown;
    a->cap = c;
  }
  memcpy(a->text + a->len, text, n);
  a->len += n;
  a->text[a->len] = '\0';
  return true;
}

/* Adds VALUE to A as a quoted element (quotes and backslashes escaped), or as NULL when VALUE is "". */
static bool array_add(struct pg_array *a, const char *value) {
  if (!append(a, a->n++ ? "," : "{", 1))
    return false;
  if (value[0] == '\0')
    return append(a, "NULL", 4);
  if (!append(a, "\"", 1))
    return false;
  while (*value != '\0') {
    size_t plain = strcspn(value, "\"\\");
    if (!append(a, value, plain))
      return false;
    value += plain;
    if (*value != '\0') {
      const char escaped[2] = {'\\', *value++};
      if (!append(a, escaped, 2))
        return false;
    }
  }
  return append(a, "\"", 1);
}

static bool array_close(struct pg_array *a) {
  return a->n ? append(a, "}", 1) : append(a, "{}", 2);
}

/* The end of the chain, and the links computed after it in this transaction. */
struct chain {
  int64_t pos;
  bool has_prev;
  unsigned char prev[AUDIT_HASH_BYTES];
  struct pg_array positions, prevs, hashes;
};

static void chain_reset_links(struct chain *c) {
  free(c->positions.text);
  free(c->prevs.text);
  free(c->hashes.text);
  memset(&c->positions, 0, sizeof c->positions);
  memset(&c->prevs, 0, sizeof c->prevs);
  memset(&c->hashes, 0, sizeof c->hashes);
}

/* Reads the chain's last link (under the chainer's lock). */
static enum db_status chain_read_tail(struct db *db, struct chain *c) {
  memset(c, 0, sizeof *c);
  PGresult *res;
  enum db_status s = db_exec(db, &chain_tail, NULL, &res);
  if (s == DB_ROW) {
    c->pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    c->has_prev = sodium_hex2bin(c->prev, sizeof c->prev, PQgetvalue(res, 0, 1), strlen(PQgetvalue(res, 0, 1)),
                                 NULL, NULL, NULL) == 0;
  }
  PQclear(res);
  return s;
}

/* Moves the chain's end past the entry whose canonical text (audit_entry_text) is TEXT: C's position and hash
 * become the entry's, PREV the hash before it (false when the entry is the first of the chain). */
static bool chain_step(struct chain *c, const char *text, unsigned char prev[AUDIT_HASH_BYTES]) {
  bool had_prev = c->has_prev;
  unsigned char hash[AUDIT_HASH_BYTES];
  c->pos++;
  audit_hash(had_prev ? c->prev : NULL, c->pos, text, hash);
  memcpy(prev, c->prev, AUDIT_HASH_BYTES);
  memcpy(c->prev, hash, sizeof c->prev);
  c->has_prev = true;
  return had_prev;
}

/* Links the entry whose canonical text is TEXT after the chain's end, as elements of C's arrays. */
static bool chain_link(struct chain *c, const char *text) {
  unsigned char prev[AUDIT_HASH_BYTES];
  char hex[2 * AUDIT_HASH_BYTES + 1], prev_hex[2 * AUDIT_HASH_BYTES + 1] = "", number[24];
  if (chain_step(c, text, prev))
    sodium_bin2hex(prev_hex, sizeof prev_hex, prev, sizeof prev);
  sodium_bin2hex(hex, sizeof hex, c->prev, sizeof c->prev);
  snprintf(number, sizeof number, "%lld", (long long)c->pos);
  return array_add(&c->positions, number) && array_add(&c->prevs, prev_hex) && array_add(&c->hashes, hex);
}

static bool chain_close_links(struct chain *c) {
  return array_close(&c->positions) && array_close(&c->prevs) && array_close(&c->hashes);
}

/* Chains up to CHAIN_BATCH entries written unchained (a write's entry, in the write's transaction) after C's end;
 * *N says how many. The caller holds the chainer's lock. */
static enum db_status chain_written(struct db *db, struct chain *c, long *n) {
  *n = 0;
  PGresult *pending;
  enum db_status s = db_exec(db, &chain_pending, NULL, &pending);
  if (s <= 0) {
    PQclear(pending);
    return s;
  }
  struct pg_array ids = {0};
  int rows = PQntuples(pending);
  bool ok = true;
  for (int i = 0; ok && i < rows; i++)
    ok = array_add(&ids, PQgetvalue(pending, i, 0)) && chain_link(c, PQgetvalue(pending, i, 1));
  PQclear(pending);
  ok = ok && array_close(&ids) && chain_close_links(c);
  s = DB_HARD_ERROR;
  if (ok) {
    const char *params[] = {ids.text, c->positions.text, c->prevs.text, c->hashes.text};
    PGresult *res;
    s = db_exec(db, &chain_store, params, &res);
    PQclear(res);
    if (s >= 0)
      *n = rows;
  }
  free(ids.text);
  chain_reset_links(c);
  return s < 0 ? s : DB_ROW;
}

/* Takes the chainer's lock for this transaction: waiting for it, or (TRY) not. DB_NO_ROW when TRY and taken. */
static enum db_status chain_lock_take(struct db *db, bool try) {
  PGresult *res;
  enum db_status s = db_exec(db, try ? &chain_try_lock : &chain_wait_lock, NULL, &res);
  bool locked = s == DB_ROW && (!try || PQgetvalue(res, 0, 0)[0] == 't');
  PQclear(res);
  return s < 0 ? s : locked ? DB_ROW : DB_NO_ROW;
}

long audit_chain_pending(struct db *db) {
  long total = 0;
  for (;;) {
    long n = 0;
    struct chain c;
    if (db_begin(db) < 0)
      return -1;
    enum db_status s = chain_lock_take(db, true);
    if (s == DB_ROW && (s = chain_read_tail(db, &c)) >= 0)
      s = chain_written(db, &c, &n);
    if (s < 0) {
      db_rollback(db);
      return -1;
    }
    if (db_commit(db) < 0)
      return -1;
    total += n;
    if (n < CHAIN_BATCH)
      return total;
  }
}

/* The queued entries reach the database by COPY (binary) into a temporary table of the audit thread's session,
 * emptied at each commit: no text to parse, no arrays to unnest (COPY FROM is refused on audit_log itself, which
 * has row-level security). Then one statement gives each entry its id, its person and its canonical text, in the
 * queue's order (the text inlined: migrations/0025; the person a CASE, SQL_AUDIT_PERSON_CASE); the chain is
 * computed here and its links copied likewise (binary) into a second temporary table; one insert moves the staged
 * rows to audit_log with their links. */
#define STAGE_NAMES                                                                                              \
  "at, commission_id, token_id, role, action, method, route, object_type, object_id, request_id, status, "       \
  "client_address"
#define STAGE_FIELDS 13 /* ord, then STAGE_NAMES */
#define STAGE_BEGIN                                                                                              \
  "BEGIN; CREATE TEMPORARY TABLE IF NOT EXISTS audit_stage (ord integer NOT NULL, at timestamptz NOT NULL, "     \
  "commission_id uuid NOT NULL, token_id uuid, role text NOT NULL, action text NOT NULL, method text NOT NULL, "   \
  "route text NOT NULL, object_type text, object_id uuid, request_id text, status integer, client_address inet) " \
  "ON COMMIT DELETE ROWS; CREATE TEMPORARY TABLE IF NOT EXISTS audit_links (ord integer NOT NULL, id bigint "       \
  "NOT NULL, person_id uuid, chain_pos bigint NOT NULL, prev_hash bytea, hash bytea NOT NULL) ON COMMIT DELETE ROWS"
#define LINK_FIELDS 6 /* the columns of audit_links */

enum db_status audit_stage_ensure(struct db *db) {
  enum db_status s = db_simple(db, STAGE_BEGIN);
  if (s >= 0)
    s = db_commit(db);
  else
    db_rollback(db);
  return s;
}

DB_STATEMENT(queued_resolve, {
  "audit_queued_resolve",
  "SELECT y.id, y.person_id, audit_entry_text(y.id, y.at, y.commission_id, y.token_id, y.role, y.action, "
  "y.method, y.route, y.object_type, y.object_id, y.person_id, y.request_id, y.status, y.client_address) "
  "FROM (SELECT nextval('audit_log_id_seq') AS id, "
  SQL_AUDIT_PERSON_CASE("x.commission_id", "x.object_type", "x.object_id") " AS person_id, x.* "
  "FROM (SELECT * FROM pg_temp.audit_stage ORDER BY ord OFFSET 0) x OFFSET 0) y ORDER BY y.ord",
  .nparams = 0
});

DB_STATEMENT(queued_insert, {
  "audit_queued_insert",
  "INSERT INTO audit_log (" STAGE_NAMES ", id, person_id, chain_pos, prev_hash, hash) SELECT " STAGE_NAMES ", "
  "l.id, l.person_id, l.chain_pos, l.prev_hash, l.hash FROM pg_temp.audit_stage s "
  "JOIN pg_temp.audit_links l ON l.ord = s.ord",
  .nparams = 0
});

/* COPY's binary format (PostgreSQL's "Binary Format" of COPY): a header, then each row as its number of fields
 * and each field as its length (-1: NULL) and its bytes in the type's binary form (network byte order). */
struct copy_buf {
  unsigned char *data;
  size_t len, cap;
  bool failed;
};

static void copy_put(struct copy_buf *b, const void *bytes, size_t n) {
  if (b->failed)
    return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *grown = realloc(b->data, cap);
    if (grown == NULL) {
      b->failed = true;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static void copy_be(struct copy_buf *b, uint64_t v, size_t bytes) {
  unsigned char out[8];
  for (size_t i = 0; i < bytes; i++)
    out[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
  copy_put(b, out, bytes);
}

static void copy_null(struct copy_buf *b) { copy_be(b, 0xffffffffu, 4); }

static void copy_int4(struct copy_buf *b, int32_t v) {
  copy_be(b, 4, 4);
  copy_be(b, (uint32_t)v, 4);
}

static void copy_int8(struct copy_buf *b, int64_t v) {
  copy_be(b, 8, 4);
  copy_be(b, (uint64_t)v, 8);
}

static void copy_bytea(struct copy_buf *b, const unsigned char *bytes, size_t n) {
  copy_be(b, n, 4);
  copy_put(b, bytes, n);
}

/* The binary format's header (signature, flags, no extension) and trailer (a field count of -1). */
static void copy_header(struct copy_buf *b) {
  static const unsigned char header[] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  copy_put(b, header, sizeof header);
}

static void copy_trailer(struct copy_buf *b) { copy_be(b, 0xffff, 2); }

/* TEXT ("" for NULL). */
static void copy_text(struct copy_buf *b, const char *text) {
  size_t n = strlen(text);
  if (n == 0) {
    copy_null(b);
    return;
  }
  copy_be(b, n, 4);
  copy_put(b, text, n);
}

/* A UUID's text ("" for NULL; any case, hyphens anywhere): its 16 bytes. Anything else fails the buffer, as the
 * text would have failed its cast. */
static void copy_uuid(struct copy_buf *b, const char *text) {
  if (text[0] == '\0') {
    copy_null(b);
    return;
  }
  unsigned char bytes[16];
  size_t got = 0;
  if (sodium_hex2bin(bytes, sizeof bytes, text, strlen(text), "-", &got, NULL) != 0 || got != sizeof bytes) {
    b->failed = true;
    return;
  }
  copy_be(b, sizeof bytes, 4);
  copy_put(b, bytes, sizeof bytes);
}

/* An inet: PostgreSQL's family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), the mask's bits, not a cidr, the address's
 * length and bytes. An address that does not parse is NULL: the entry is recorded without it. */
static void copy_inet(struct copy_buf *b, const char *text) {
  unsigned char addr[16];
  if (text[0] != '\0' && inet_pton(AF_INET, text, addr) == 1) {
    const unsigned char head[4] = {2, 32, 0, 4};
    copy_be(b, 8, 4);
    copy_put(b, head, sizeof head);
    copy_put(b, addr, 4);
  } else if (text[0] != '\0' && inet_pton(AF_INET6, text, addr) == 1) {
    const unsigned char head[4] = {3, 128, 0, 16};
    copy_be(b, 20, 4);
    copy_put(b, head, sizeof head);
    copy_put(b, addr, 16);
  } else {
    copy_null(b);
  }
}

#define POSTGRES_EPOCH_US INT64_C(946684800000000) /* 2000-01-01T00:00:00Z, timestamptz's zero, in Unix time */

/* The N entries of BATCH as COPY's binary input of audit_stage, ord 1 to N. */
static bool queued_copy(const struct audit_queued *batch, size_t n, struct copy_buf *b) {
  copy_header(b);
  for (size_t i = 0; i < n && !b->failed; i++) {
    const struct audit_queued *e = &batch[i];
    copy_be(b, STAGE_FIELDS, 2);
    copy_int4(b, (int32_t)(i + 1));
    copy_be(b, 8, 4);
    copy_be(b, (uint64_t)(e->at_us - POSTGRES_EPOCH_US), 8);
    copy_uuid(b, e->commission_id);
    copy_uuid(b, e->token_id);
    copy_text(b, e->role);
    copy_text(b, e->action);
    copy_text(b, e->method);
    copy_text(b, e->route);
    copy_text(b, e->object_type);
    copy_uuid(b, e->object_id);
    copy_text(b, e->request_id);
    if (e->status != 0)
      copy_int4(b, e->status);
    else
      copy_null(b);
    copy_inet(b, e->client_address);
  }
  copy_trailer(b);
  return !b->failed;
}

/* The links of the entries RESOLVED gave ids, persons and texts to (audit_queued_resolve, ord 1 to N), chained
 * after C's end, as COPY's binary input of audit_links; *FIRST is the first entry's id and position. */
static bool links_copy(PGresult *resolved, struct chain *c, struct copy_buf *b, struct audit_first *first) {
  copy_header(b);
  int count = PQntuples(resolved);
  for (int i = 0; i < count && !b->failed; i++) {
    char *end;
    const char *id_text = PQgetvalue(resolved, i, 0);
    long long id = strtoll(id_text, &end, 10);
    if (end == id_text || *end != '\0' || id <= 0)
      return false;
    unsigned char prev[AUDIT_HASH_BYTES];
    bool has_prev = chain_step(c, PQgetvalue(resolved, i, 2), prev);
    if (i == 0)
      *first = (struct audit_first){.id = id, .pos = c->pos};
    copy_be(b, LINK_FIELDS, 2);
    copy_int4(b, (int32_t)(i + 1));
    copy_int8(b, id);
    copy_uuid(b, PQgetvalue(resolved, i, 1)); /* a NULL person reads "": NULL again */
    copy_int8(b, c->pos);
    if (has_prev)
      copy_bytea(b, prev, sizeof prev);
    else
      copy_null(b);
    copy_bytea(b, c->prev, sizeof c->prev);
  }
  copy_trailer(b);
  return !b->failed;
}

long audit_chain_write(struct db *db, const struct audit_queued *batch, size_t n, struct audit_first *first) {
  struct chain c = {0};
  struct copy_buf rows = {0}, links = {0};
  *first = (struct audit_first){0};
  long inserted = -1, written;
  PGresult *res = NULL;
  if (!queued_copy(batch, n, &rows))
    goto out;
  if (db_simple(db, STAGE_BEGIN) < 0) {
    db_rollback(db); /* the BEGIN may have run without the rest */
    goto out;
  }
  enum db_status s = chain_lock_take(db, false);
  if (s >= 0)
    s = chain_read_tail(db, &c);
  if (s >= 0)
    s = chain_written(db, &c, &written); /* the writes' entries first, in the order they were written */
  if (s >= 0)
    s = db_copy_in(db, "COPY pg_temp.audit_stage (ord, " STAGE_NAMES ") FROM STDIN (FORMAT binary)",
                   (const char *)rows.data, rows.len);
  if (s >= 0)
    s = db_exec(db, &queued_resolve, NULL, &res);
  if (s >= 0) {
    bool ok = (size_t)PQntuples(res) == n && links_copy(res, &c, &links, first);
    PQclear(res);
    res = NULL;
    s = ok ? db_copy_in(db, "COPY pg_temp.audit_links FROM STDIN (FORMAT binary)", (const char *)links.data,
                        links.len)
           : DB_HARD_ERROR;
  }
  if (s >= 0) {
    s = db_exec(db, &queued_insert, NULL, &res);
    if (s >= 0)
      inserted = strtol(PQcmdTuples(res), NULL, 10);
    if (inserted != (long)n) /* every staged entry has its link: anything else is a fault here */
      inserted = -1;
  }
  PQclear(res);
  if (s < 0 || inserted < 0)
    db_rollback(db);
  else if (db_commit(db) < 0)
    inserted = -1;
out:
  free(rows.data);
  free(links.data);
  chain_reset_links(&c);
  return inserted;
}

enum db_status audit_chain_head(struct db *db, int64_t *position, char *hash_hex) {
  *position = 0;
  hash_hex[0] = '\0';
  PGresult *res;
  enum db_status s = db_exec(db, &chain_tail, NULL, &res);
  if (s == DB_ROW) {
    const char *hex = PQgetvalue(res, 0, 1);
    *position = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (*position <= 0 || strlen(hex) != 2 * AUDIT_HASH_BYTES)
      s = DB_HARD_ERROR; /* a chained entry always has both */
    else
      memcpy(hash_hex, hex, 2 * AUDIT_HASH_BYTES + 1);
  }
  PQclear(res);
  return s;
}

int64_t audit_verify(struct db *db, const struct audit_anchor *anchor, long *chained, long *pending, char *why,
                     size_t why_len) {
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
      if (anchor != NULL && pos == anchor->position && strcmp(hex, anchor->hash) != 0) {
        snprintf(why, why_len, "entry %lld is not the one %s holds: the chain was rewritten up to there",
                 (long long)pos, anchor->label);
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
  if (anchor != NULL && expected - 1 < anchor->position) {
    snprintf(why, why_len, "the chain ends at entry %lld but %s holds entry %lld: entries %lld to %lld were deleted",
             (long long)expected - 1, anchor->label, (long long)anchor->position, (long long)expected,
             (long long)anchor->position);
    return expected;
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

#define STOP_RETRY_SECONDS 5 /* how long a stopping daemon keeps trying to write what is queued */

/* The audit thread's connection: opened (past row-level security, with durable commits) when there is none; NULL
 * while the database cannot be reached. */
static struct db *chainer_connect(struct db *db) {
  if (db != NULL)
    return db;
  db = db_open(chainer_conninfo);
  /* Its commits take answered reads out of memory: durable whatever the server's synchronous_commit, so that a
   * crash of PostgreSQL does not lose them either. */
  if (db != NULL && (db_simple(db, "SET commissiond.scope = 'all'") < 0 ||
                     db_simple(db, "SET synchronous_commit = on") < 0)) {
    db_close(db);
    db = NULL;
  }
  return db;
}

/* Closes DB when its last failure lost the session (the next pass connects again). */
static struct db *chainer_check(struct db *db) {
  if (db != NULL && db_lost(db)) {
    db_close(db);
    db = NULL;
  }
  return db;
}

static void *chainer_main(void *arg) {
  (void)arg;
  struct db *db = NULL;
  struct timespec now, chained = {0, 0}, stop_deadline = {0, 0};
  for (;;) {
    bool stopping = atomic_load(&chainer_stop);
    db = chainer_connect(db);
    /* The queued entries every 100 ms or sooner when a queue fills (and a last time when stopping); the writes'
     * entries left unchained, and the tokens' last use, once a second. A failed write keeps its entries. */
    if (audit_queue_flush(db) < 0)
      db = chainer_check(db);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (db != NULL && (stopping || now.tv_sec != chained.tv_sec)) { /* about once a second, and when stopping */
      chained = now;
      /* The tokens' last use too: written here, never on the request path (a read-only database serves reads). */
      if (token_used_flush(db) < 0)
        db = chainer_check(db);
      if (db != NULL && !stopping && audit_chain_pending(db) < 0)
        db = chainer_check(db);
    }
    if (stopping) {
      long left = audit_queue_pending();
      if (left == 0)
        break;
      if (stop_deadline.tv_sec == 0) {
        stop_deadline = now;
        stop_deadline.tv_sec += STOP_RETRY_SECONDS;
      } else if (now.tv_sec > stop_deadline.tv_sec ||
                 (now.tv_sec == stop_deadline.tv_sec && now.tv_nsec >= stop_deadline.tv_nsec)) {
        log_event(LOG_ERROR, "audit entries lost: the database did not take them before the daemon stopped",
                  ",\"entries\":%ld", left);
        break;
      }
    }
    audit_queue_wait(stopping ? 200 : 100);
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
