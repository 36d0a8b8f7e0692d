/* The queue of asynchronous audit entries (reads, refused writes). A worker thread appends its entry to a buffer
 * of its own — guarded by a mutex only the audit thread ever contends for, never another worker — and the audit
 * thread (audit_chain.c) inserts every buffer's entries, already chained, in one transaction every 100 ms, and
 * when the daemon stops. An entry leaves its buffer only once that transaction committed: a failed write (the
 * database restarting) keeps it for the next pass, so that nothing answered is dropped while the database lives.
 * A buffer holds at most --audit-backlog entries: past it, the worker waits for the audit thread and, when that
 * does not help, its request is answered 503 rather than unaudited. A crash of the daemon loses what is in the
 * buffers (README: Data protection). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_db.h"
#include "log.h"
#include "queries.h"

#define QUEUE_KEEP 1024   /* entries a buffer keeps room for between flushes */
#define QUEUE_WAIT_MS 2000 /* the longest a worker waits for the audit thread */

unsigned int audit_queue_backlog = 1024;

struct audit_queue {
  pthread_mutex_t lock;
  pthread_cond_t taken; /* signalled when the audit thread wrote entries (room was made) */
  struct audit_queued *entries;
  size_t n, cap;
  size_t flushing;  /* the first FLUSHING entries are being written by the audit thread */
  size_t uncertain; /* the first UNCERTAIN entries were in a write whose COMMIT may have succeeded unseen */
  struct audit_queue *next;
};

static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER;
static struct audit_queue *queues;
static _Thread_local struct audit_queue *my_queue;

/* The audit thread's wake-up: every 100 ms, or at once when a buffer reaches audit_queue_backlog. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool wake_now;
static atomic_bool writing = true; /* the last flush succeeded: waiting for the next one is worth it */
/* The first entry of the last batch whose write failed, if it got that far: its COMMIT may have succeeded with
 * the answer lost (the connection dropped), in which case the entries are in the database and must not be written
 * twice. Only the audit thread reads and writes it. */
static struct audit_first uncertain_first;
/* The longest time an entry waited between its answer and the commit that wrote it (microseconds), for /metrics. */
static atomic_llong lag_max_us;

long long audit_queue_lag_max_us(void) { return atomic_load_explicit(&lag_max_us, memory_order_relaxed); }

void audit_queue_wait(long ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += ms * 1000000;
  until.tv_sec += until.tv_nsec / 1000000000;
  until.tv_nsec %= 1000000000;
  pthread_mutex_lock(&wake_lock);
  while (!wake_now && pthread_cond_timedwait(&wake, &wake_lock, &until) == 0)
    ;
  wake_now = false;
  pthread_mutex_unlock(&wake_lock);
}

static void wake_audit_thread(void) {
  pthread_mutex_lock(&wake_lock);
  wake_now = true;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&wake_lock);
}

static struct audit_queue *queue_of_this_thread(void) {
  if (my_queue != NULL)
    return my_queue;
  struct audit_queue *q = calloc(1, sizeof *q);
  if (q == NULL || pthread_mutex_init(&q->lock, NULL) != 0) {
    free(q);
    return NULL;
  }
  if (pthread_cond_init(&q->taken, NULL) != 0) {
    pthread_mutex_destroy(&q->lock);
    free(q);
    return NULL;
  }
  pthread_mutex_lock(&queues_lock); /* once per thread */
  q->next = queues;
  queues = q;
  pthread_mutex_unlock(&queues_lock);
  my_queue = q;
  return q;
}

/* Copies VALUE into the field DST of SIZE bytes; false when it does not fit (the entry is then not queued: a
 * truncated value would record something else than what happened). */
static bool field(char *dst, size_t size, const char *value) {
  if (value == NULL) {
    dst[0] = '\0';
    return true;
  }
  size_t n = strlen(value);
  if (n >= size)
    return false;
  memcpy(dst, value, n + 1);
  return true;
}

bool audit_queue_push(const char *const f[AUDIT_FIELDS]) {
  struct audit_queued e;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  e.at_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
  e.status = f[9] != NULL ? atoi(f[9]) : 0;
  if (!field(e.commission_id, sizeof e.commission_id, f[0]) || !field(e.token_id, sizeof e.token_id, f[1]) ||
      !field(e.role, sizeof e.role, f[2]) || !field(e.action, sizeof e.action, f[3]) ||
      !field(e.method, sizeof e.method, f[4]) || !field(e.route, sizeof e.route, f[5]) ||
      !field(e.object_type, sizeof e.object_type, f[6]) || !field(e.object_id, sizeof e.object_id, f[7]) ||
      !field(e.request_id, sizeof e.request_id, f[8]) ||
      !field(e.client_address, sizeof e.client_address, f[10]))
    return false;
  struct audit_queue *q = queue_of_this_thread();
  if (q == NULL)
    return false;
  bool ok = true;
  pthread_mutex_lock(&q->lock);
  if (q->n >= audit_queue_backlog && atomic_load(&writing)) {
    /* Backpressure: the audit thread is behind. Waiting here slows this worker's requests to the pace at which
     * the trail is written, instead of letting the buffer (memory, and what a crash would lose) grow. */
    wake_audit_thread();
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += QUEUE_WAIT_MS / 1000;
    while (q->n >= audit_queue_backlog && pthread_cond_timedwait(&q->taken, &q->lock, &until) == 0)
      ;
  }
  if (q->n >= audit_queue_backlog) {
    ok = false; /* still full (the database is away or too slow): the request is not answered as if audited */
  } else if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    if (cap > audit_queue_backlog)
      cap = audit_queue_backlog;
    struct audit_queued *grown = realloc(q->entries, cap * sizeof *grown);
    if (grown == NULL) {
      ok = false;
    } else {
      q->entries = grown;
      q->cap = cap;
    }
  }
  if (ok)
    q->entries[q->n++] = e;
  bool half = q->n == audit_queue_backlog / 2 + 1; /* half full: the audit thread starts early, to spare a wait */
  pthread_mutex_unlock(&q->lock);
  if (half)
    wake_audit_thread();
  return ok;
}

static int by_time(const void *a, const void *b) {
  const struct audit_queued *x = a, *y = b;
  return (x->at_us > y->at_us) - (x->at_us < y->at_us);
}

/* Copies every buffer's entries into *BATCH (malloc'ed, in order of time; NULL when there is none), *N of them,
 * marking them as being flushed; they stay in their buffers until flush_done(). */
static bool take_all(struct audit_queued **batch, size_t *n) {
  *batch = NULL;
  *n = 0;
  size_t cap = 0;
  bool ok = true;
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    q->flushing = 0;
    if (ok && q->n > 0 && *n + q->n > cap) {
      size_t c = cap ? cap * 2 : 1024;
      while (c < *n + q->n)
        c *= 2;
      struct audit_queued *grown = realloc(*batch, c * sizeof *grown);
      if (grown == NULL) {
        ok = false;
      } else {
        *batch = grown;
        cap = c;
      }
    }
    if (ok && q->n > 0) {
      memcpy(*batch + *n, q->entries, q->n * sizeof *q->entries);
      *n += q->n;
      q->flushing = q->n;
    }
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
  if (*n > 1)
    qsort(*batch, *n, sizeof **batch, by_time);
  return ok;
}

/* How a flush ended, for the entries it took from the buffers. */
enum flush_outcome {
  FLUSH_WRITTEN,   /* committed: they leave their buffers, and the workers waiting for room are woken */
  FLUSH_FAILED,    /* not written: they stay, for the next pass */
  FLUSH_UNCERTAIN, /* they stay, but the COMMIT may have succeeded with its answer lost: remembered as uncertain */
};

static void buffer_drop(struct audit_queue *q, size_t n) {
  memmove(q->entries, q->entries + n, (q->n - n) * sizeof *q->entries);
  q->n -= n;
  if (q->n == 0 && q->cap > QUEUE_KEEP) { /* a burst's buffer is given back */
    free(q->entries);
    q->entries = NULL;
    q->cap = 0;
  }
  pthread_cond_broadcast(&q->taken);
}

static void flush_done(enum flush_outcome outcome) {
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    if (outcome == FLUSH_WRITTEN && q->flushing > 0)
      buffer_drop(q, q->flushing);
    q->uncertain = outcome == FLUSH_UNCERTAIN ? q->flushing : 0;
    q->flushing = 0;
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
}

/* Settles the entries of an uncertain write: COMMITTED says they are in the database (they leave their buffers, a
 * prefix of each, since workers only append) or not (they stay, to be written). */
static void uncertain_settle(bool committed) {
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    if (committed && q->uncertain > 0)
      buffer_drop(q, q->uncertain);
    q->uncertain = 0;
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
}

/* By its chain position (a unique index), and its id: another instance may have chained a different entry there. */
DB_STATEMENT(entry_exists, {
  "audit_entry_exists", "SELECT 1 FROM audit_log WHERE chain_pos = $1::bigint AND id = $2::bigint", .nparams = 2});

long audit_queue_flush(struct db *db) {
  if (db == NULL) { /* no connection: the entries stay queued, and workers stop waiting for a flush */
    atomic_store(&writing, false);
    return -1;
  }
  if (uncertain_first.id > 0) {
    /* Did the last failed write commit after all? Its first entry says. */
    char pos[24], id[24];
    snprintf(pos, sizeof pos, "%lld", (long long)uncertain_first.pos);
    snprintf(id, sizeof id, "%lld", (long long)uncertain_first.id);
    const char *params[] = {pos, id};
    PGresult *res;
    enum db_status s = db_exec(db, &entry_exists, params, &res);
    PQclear(res);
    if (s < 0) {
      atomic_store(&writing, false);
      return -1;
    }
    uncertain_first = (struct audit_first){0};
    if (s == DB_ROW)
      log_event(LOG_WARN, "audit entries were written by a commit whose answer was lost: not written again", NULL);
    uncertain_settle(s == DB_ROW);
  }
  struct audit_queued *batch;
  size_t n;
  bool ok = take_all(&batch, &n);
  if (!ok || n == 0) {
    flush_done(FLUSH_FAILED);
    free(batch);
    return ok ? 0 : -1;
  }
  struct audit_first first;
  long written = audit_chain_write(db, batch, n, &first);
  atomic_store(&writing, written >= 0);
  if (written >= 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long lag = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - batch[0].at_us;
    if (lag > atomic_load_explicit(&lag_max_us, memory_order_relaxed))
      atomic_store_explicit(&lag_max_us, lag, memory_order_relaxed);
    flush_done(FLUSH_WRITTEN);
  } else {
    uncertain_first = first;
    log_event(LOG_WARN, "audit entries not written yet: kept for the next attempt", ",\"entries\":%zu", n);
    flush_done(first.id > 0 ? FLUSH_UNCERTAIN : FLUSH_FAILED);
  }
  free(batch);
  return written;
}

/* As the write's entry in db/audit.c, unconditionally: outside a transaction, committed at once, and durably
 * (synchronous_commit on for this statement's own transaction, whatever the server's setting): the answer that
 * follows may rely on it even if PostgreSQL crashes next. */
DB_STATEMENT(record_now, {
  "audit_record_now",
  "WITH durable AS (SELECT set_config('synchronous_commit', 'on', true)) "
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "
  "person_id, request_id, status, client_address) SELECT clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, "
  "$8::uuid, " AUDIT_PERSON("$1", "$7", "$8") ", $9, $10::integer, $11::inet FROM durable",
  .nparams = AUDIT_FIELDS
});

enum db_status audit_record_now(struct db *db, const char *const f[AUDIT_FIELDS]) {
  PGresult *res;
  enum db_status s = db_exec(db, &record_now, f, &res);
  PQclear(res);
  return s;
}

long audit_queue_pending(void) {
  long n = 0;
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    n += (long)q->n;
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
  return n;
}

void audit_queue_shutdown(void) {
  pthread_mutex_lock(&queues_lock);
  struct audit_queue *q = queues;
  queues = NULL;
  pthread_mutex_unlock(&queues_lock);
  while (q != NULL) {
    struct audit_queue *next = q->next;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->taken);
    free(q->entries);
    free(q);
    q = next;
  }
}
