/* The queue of asynchronous audit entries (reads, refused writes). A worker thread appends its entry to a buffer
 * of its own — guarded by a mutex only the background writer ever contends for, never another worker — and the
 * audit thread (audit_chain.c) inserts every buffer's entries, already chained, in one transaction every 100 ms,
 * and when the daemon stops. A crash of the daemon can lose the entries of its last 100 ms; README: Data protection. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"
#include "queries.h"

#define QUEUE_LIMIT (16u * 1024 * 1024) /* bytes a buffer may hold while the database is away */
#define QUEUE_KEEP (64u * 1024)         /* bytes a buffer keeps between flushes */

struct audit_queue {
  pthread_mutex_t lock;
  char *buf; /* JSON objects, comma-separated */
  size_t len, cap;
  struct audit_queue *next;
};

static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER;
static struct audit_queue *queues;
static _Thread_local struct audit_queue *my_queue;

static struct audit_queue *queue_of_this_thread(void) {
  if (my_queue != NULL)
    return my_queue;
  struct audit_queue *q = calloc(1, sizeof *q);
  if (q == NULL || pthread_mutex_init(&q->lock, NULL) != 0) {
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

/* Appends N bytes of TEXT to Q's buffer; false when it would pass QUEUE_LIMIT or memory runs out. */
static bool append(struct audit_queue *q, const char *text, size_t n) {
  if (q->len + n + 1 > q->cap) {
    size_t cap = q->cap ? q->cap : 16384;
    while (cap < q->len + n + 1)
      cap *= 2;
    if (cap > QUEUE_LIMIT)
      return false;
    char *grown = realloc(q->buf, cap);
    if (grown == NULL)
      return false;
    q->buf = grown;
    q->cap = cap;
  }
  memcpy(q->buf + q->len, text, n);
  q->len += n;
  q->buf[q->len] = '\0';
  return true;
}

/* Appends ,"KEY":VALUE with VALUE a JSON string (or null). The values are ids, names of roles and routes,
 * request ids: quotes and backslashes are escaped all the same, control characters dropped. */
static bool append_member(struct audit_queue *q, const char *key, const char *value) {
  char text[600];
  size_t o = (size_t)snprintf(text, sizeof text, "\"%s\":", key);
  if (value == NULL) {
    o += (size_t)snprintf(text + o, sizeof text - o, "null");
  } else {
    text[o++] = '"';
    for (; *value != '\0' && o + 4 < sizeof text; value++) {
      if (*value == '"' || *value == '\\')
        text[o++] = '\\';
      if ((unsigned char)*value >= 0x20)
        text[o++] = *value;
    }
    text[o++] = '"';
  }
  return append(q, text, o);
}

bool audit_queue_push(const char *const f[10]) {
  static const char *const names[10] = {"commission_id", "token_id", "role", "action", "method",
                                        "route", "object_type", "object_id", "request_id", "status"};
  struct audit_queue *q = queue_of_this_thread();
  if (q == NULL)
    return false;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char at[96];
  snprintf(at, sizeof at, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
  pthread_mutex_lock(&q->lock);
  size_t before = q->len;
  bool ok = append(q, before ? ",{" : "{", before ? 2 : 1) && append_member(q, "at", at);
  for (int i = 0; ok && i < 10; i++)
    ok = append(q, ",", 1) && append_member(q, names[i], f[i]);
  ok = ok && append(q, "}", 1);
  if (!ok && q->buf != NULL) {
    q->len = before; /* the whole entry, or nothing */
    q->buf[before] = '\0';
  }
  pthread_mutex_unlock(&q->lock);
  return ok;
}

/* Takes every buffer's entries into *BATCH ("[...]", malloc'ed; NULL when there is none). */
static bool take_all(char **batch) {
  *batch = NULL;
  size_t len = 0, cap = 0;
  bool ok = true;
  pthread_mutex_lock(&queues_lock);
  for (struct audit_queue *q = queues; q != NULL; q = q->next) {
    pthread_mutex_lock(&q->lock);
    if (q->len > 0) {
      size_t need = len + q->len + 3;
      if (need > cap) {
        size_t c = cap ? cap * 2 : 65536;
        while (c < need)
          c *= 2;
        char *grown = realloc(*batch, c);
        if (grown == NULL) {
          ok = false;
        } else {
          *batch = grown;
          cap = c;
        }
      }
      if (ok) {
        char separator = len == 0 ? '[' : ',';
        (*batch)[len++] = separator;
        memcpy(*batch + len, q->buf, q->len);
        len += q->len;
        q->len = 0;
        q->buf[0] = '\0';
        if (q->cap > QUEUE_KEEP) { /* a burst's buffer is given back */
          free(q->buf);
          q->buf = NULL;
          q->cap = 0;
        }
      }
    }
    pthread_mutex_unlock(&q->lock);
  }
  pthread_mutex_unlock(&queues_lock);
  if (*batch != NULL) {
    (*batch)[len++] = ']';
    (*batch)[len] = '\0';
  }
  return ok;
}

long audit_queue_flush(struct db *db) {
  char *batch;
  bool ok = take_all(&batch);
  if (batch == NULL)
    return ok ? 0 : -1;
  long n = audit_chain_write(db, batch);
  if (n < 0)
    log_event(LOG_ERROR, "audit entries not recorded", ",\"bytes\":%zu", strlen(batch));
  free(batch);
  return ok ? n : -1;
}

void audit_queue_shutdown(void) {
  pthread_mutex_lock(&queues_lock);
  struct audit_queue *q = queues;
  queues = NULL;
  pthread_mutex_unlock(&queues_lock);
  while (q != NULL) {
    struct audit_queue *next = q->next;
    pthread_mutex_destroy(&q->lock);
    free(q->buf);
    free(q);
    q = next;
  }
}
