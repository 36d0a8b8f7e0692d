/* The queue of asynchronous audit entries (reads, refused writes). A worker thread appends its entry to a buffer
 * of its own — guarded by a mutex only the audit thread ever contends for, never another worker — and the audit
 * thread (audit_chain.c) inserts every buffer's entries, already chained, in one transaction every 100 ms, and
 * when the daemon stops. A crash of the daemon can lose the entries of its last 100 ms; README: Data protection. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"

#define QUEUE_LIMIT 65536 /* entries a buffer may hold while the database is away (about 25 MB) */
#define QUEUE_KEEP 1024   /* entries a buffer keeps room for between flushes */
#define QUEUE_WAIT_MS 2000 /* the longest a worker waits for the audit thread */

unsigned int audit_queue_backlog = 1024;

struct audit_queue {
  pthread_mutex_t lock;
  pthread_cond_t taken; /* signalled when the audit thread took the entries */
  struct audit_queued *entries;
  size_t n, cap;
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

bool audit_queue_push(const char *const f[10]) {
  struct audit_queued e;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  e.at_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
  e.status = f[9] != NULL ? atoi(f[9]) : 0;
  if (!field(e.commission_id, sizeof e.commission_id, f[0]) || !field(e.token_id, sizeof e.token_id, f[1]) ||
      !field(e.role, sizeof e.role, f[2]) || !field(e.action, sizeof e.action, f[3]) ||
      !field(e.method, sizeof e.method, f[4]) || !field(e.route, sizeof e.route, f[5]) ||
      !field(e.object_type, sizeof e.object_type, f[6]) || !field(e.object_id, sizeof e.object_id, f[7]) ||
      !field(e.request_id, sizeof e.request_id, f[8]))
    return false;
  struct audit_queue *q = queue_of_this_thread();
  if (q == NULL)
    return false;
  bool ok = true;
  pthread_mutex_lock(&q->lock);
  if (q->n >= audit_queue_backlog && atomic_load(&writing)) {
    /* Backpressure: the audit thread is behind. Waiting here slows this worker's requests to the pace at which
     * the trail is written, instead of letting the queue (memory, and what a crash would lose) grow. When the
     * database is away the wait ends and the buffer grows up to QUEUE_LIMIT. */
    wake_audit_thread();
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += QUEUE_WAIT_MS / 1000;
    while (q->n >= audit_queue_backlog && pthread_cond_timedwait(&q->taken, &q->lock, &until) == 0)
      ;
  }
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct audit_queued *grown = cap <= QUEUE_LIMIT ? realloc(q->entries, cap * sizeof *grown) : NULL;
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

/* Takes every buffer's entries into *BATCH (malloc'ed, in order of time; NULL when there is none), *N of them. */
static bool take_all(struct audit_queued **batch, size_t *n) {
  *batch = NULL;
  *n = 0;
  size_t cap = 0;
  bool ok = true;
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    if (q->n > 0 && *n + q->n > cap) {
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
      q->n = 0;
      if (q->cap > QUEUE_KEEP) { /* a burst's buffer is given back */
        free(q->entries);
        q->entries = NULL;
        q->cap = 0;
      }
      pthread_cond_broadcast(&q->taken);
    }
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
  if (*n > 1)
    qsort(*batch, *n, sizeof **batch, by_time);
  return ok;
}

long audit_queue_flush(struct db *db) {
  if (db == NULL) { /* no connection: the entries stay queued, and workers stop waiting for a flush */
    atomic_store(&writing, false);
    return -1;
  }
  struct audit_queued *batch;
  size_t n;
  bool ok = take_all(&batch, &n);
  if (n == 0) {
    free(batch);
    return ok ? 0 : -1;
  }
  long written = audit_chain_write(db, batch, n);
  atomic_store(&writing, written >= 0);
  if (written < 0)
    log_event(LOG_ERROR, "audit entries not recorded", ",\"entries\":%zu", n);
  free(batch);
  return ok ? written : -1;
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
