/* The webhook delivery workers: --webhook-workers threads, each with a database connection of its own (past
 * row-level security: it serves every commission), claim due deliveries (FOR UPDATE SKIP LOCKED, leased so that
 * another instance does not send them at the same time), post each signed (Standard Webhooks) with bounded
 * timeouts, and record the outcome: delivered on a 2xx, retried with a growing delay otherwise, failed after three
 * days. They never touch a request worker: a slow receiver slows only them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "log.h"
#include "netaddr.h"
#include "webhook_sender.h"
#include "webhook_sign.h"
#include "webhooks.h"

#define MAX_WORKERS 16
#define CLAIM_BATCH 4
#define GIVE_UP_SECONDS (3 * 86400) /* retried for three days, then failed */
#define ERROR_MAX 300

static pthread_t workers[MAX_WORKERS];
static unsigned int started;
static atomic_bool stopping;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static char *conninfo;

/* The delay before attempt N+1 after N failed ones: base × 1, 6, 24, 60, 180, 360, 720, 1440, then 2880 (with
 * the default base of 5 s: 5 s, 30 s, 2 min, 5 min, 15 min, 30 min, 1 h, 2 h, then every 4 h). */
long webhook_retry_delay(long attempts, long base) {
  static const long factor[] = {1, 6, 24, 60, 180, 360, 720, 1440, 2880};
  size_t n = sizeof factor / sizeof *factor;
  size_t i = attempts < 1 ? 0 : (size_t)attempts - 1 < n ? (size_t)attempts - 1 : n - 1;
  return base * factor[i];
}

/* libcurl's socket opener: refuses an address that is not public unless private ranges are allowed, so that a
 * host name resolving to the server's own network (or rebinding to it) is never reached. */
static curl_socket_t open_checked(void *cls, curlsocktype purpose, struct curl_sockaddr *a) {
  (void)cls;
  (void)purpose;
  if (!webhook_config.allow_private && !address_is_public(&a->addr))
    return CURL_SOCKET_BAD;
  return socket(a->family, a->socktype, a->protocol);
}

static size_t discard(char *data, size_t size, size_t n, void *cls) {
  (void)data;
  (void)cls;
  return size * n; /* the receiver's body is not kept */
}

static bool open_box(const char *hex, unsigned char raw[WEBHOOK_SECRET_BYTES]) {
  unsigned char box[WEBHOOK_BOX_BYTES];
  size_t len = 0;
  if (hex == NULL || sodium_hex2bin(box, sizeof box, hex, strlen(hex), NULL, &len, NULL) != 0)
    return false;
  return webhook_secret_open(webhook_config.key, box, len, raw);
}

/* Sends one claimed delivery and records its outcome. */
static void deliver(struct db *db, CURL *curl, const struct webhook_claim_row *d) {
  unsigned char secret[WEBHOOK_SECRET_BYTES];
  char error[ERROR_MAX] = "";
  long status = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long long now = (long long)time(NULL);
  if (!open_box(d->secret_box, secret)) {
    snprintf(error, sizeof error, "the subscription's secret cannot be opened with this server's webhook key");
  } else {
    char signature[2 * WEBHOOK_SIGNATURE_LEN + 2], previous[WEBHOOK_SIGNATURE_LEN];
    size_t body_len = strlen(d->payload);
    webhook_sign(secret, d->event_id, now, d->payload, body_len, signature);
    if (d->previous_box != NULL && open_box(d->previous_box, secret)) { /* a rotation's overlap: both sign */
      webhook_sign(secret, d->event_id, now, d->payload, body_len, previous);
      strcat(signature, " ");
      strcat(signature, previous);
    }
    sodium_memzero(secret, sizeof secret);
    char h_id[80], h_ts[64], h_sig[160];
    snprintf(h_id, sizeof h_id, "webhook-id: %s", d->event_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", now);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", signature);
    struct curl_slist *headers = NULL, *h;
    const char *lines[] = {"Content-Type: application/json", h_id, h_ts, h_sig, "Expect:", NULL};
    for (size_t i = 0; lines[i] != NULL; i++) {
      h = curl_slist_append(headers, lines[i]);
      if (h == NULL)
        break;
      headers = h;
    }
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_reset(curl);
    bool set = curl_easy_setopt(curl, CURLOPT_URL, d->url) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_POSTFIELDS, d->payload) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_USERAGENT, "commissiond-webhooks/1") == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)webhook_config.timeout_seconds) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, webhook_config.allow_http ? "http,https" : "https") ==
                 CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_checked) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error) == CURLE_OK &&
               curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, 1048576L) == CURLE_OK;
    CURLcode rc = set ? curl_easy_perform(curl) : CURLE_FAILED_INIT;
    if (rc == CURLE_OK)
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else if (rc == CURLE_COULDNT_CONNECT && !webhook_config.allow_private && curl_error[0] == '\0')
      snprintf(error, sizeof error, "could not connect");
    else
      snprintf(error, sizeof error, "%s", curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc));
    curl_slist_free_all(headers);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long latency = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  bool delivered = status >= 200 && status < 300;
  if (!delivered && status != 0)
    snprintf(error, sizeof error, "the receiver answered %ld", status);
  long age = (long)(now - strtoll(d->created_at_epoch, NULL, 10));
  bool failed = !delivered && age >= GIVE_UP_SECONDS;
  long next_in = webhook_retry_delay(strtol(d->attempts, NULL, 10), webhook_config.retry_base_seconds);
  char code[16];
  snprintf(code, sizeof code, "%ld", status);
  if (db_webhook_attempted(db, d->commission_id, d->id, status != 0 ? code : NULL, error[0] ? error : NULL, latency,
                           delivered, failed, next_in) < 0)
    log_event(LOG_WARN, "webhook outcome not recorded", ",\"delivery\":\"%s\"", d->id); /* the lease runs out */
  webhook_metric_attempt(delivered, failed);
  log_event(delivered ? LOG_DEBUG : LOG_INFO, delivered ? "webhook delivered" : "webhook attempt failed",
            ",\"delivery\":\"%s\",\"event\":\"%s\",\"status\":%ld,\"latency_ms\":%ld,\"attempts\":%s", d->id,
            d->event_id, status, latency, d->attempts);
}

static struct db *worker_connect(struct db *db) {
  if (db != NULL && db_lost(db)) {
    db_close(db);
    db = NULL;
  }
  if (db != NULL)
    return db;
  db = db_open(conninfo);
  if (db != NULL && db_simple(db, "SET commissiond.scope = 'all'") < 0) {
    db_close(db);
    db = NULL;
  }
  return db;
}

static void idle(long ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += ms * 1000000;
  until.tv_sec += until.tv_nsec / 1000000000;
  until.tv_nsec %= 1000000000;
  pthread_mutex_lock(&wake_lock);
  if (!atomic_load(&stopping))
    pthread_cond_timedwait(&wake, &wake_lock, &until);
  pthread_mutex_unlock(&wake_lock);
}

static void *worker_main(void *arg) {
  unsigned int index = (unsigned int)(uintptr_t)arg;
  CURL *curl = curl_easy_init();
  struct db *db = NULL;
  time_t backlog_at = 0;
  while (curl != NULL && !atomic_load(&stopping)) {
    db = worker_connect(db);
    if (db == NULL) {
      idle(1000);
      continue;
    }
    if (index == 0 && time(NULL) != backlog_at) { /* the outbox's age, for /metrics, once a second */
      long oldest = 0, pending = 0;
      backlog_at = time(NULL);
      if (db_webhook_backlog(db, &oldest, &pending) == DB_ROW)
        webhook_metric_backlog(oldest, pending);
    }
    PGresult *res = NULL;
    enum db_status s = db_webhook_claim(db, CLAIM_BATCH, (long)webhook_config.timeout_seconds + 30, &res);
    if (s != DB_ROW) {
      PQclear(res);
      idle(s < 0 ? 1000 : 500);
      continue;
    }
    for (int i = 0; i < PQntuples(res) && !atomic_load(&stopping); i++) {
      struct webhook_claim_row d;
      if (db_row(res, i, &d))
        deliver(db, curl, &d);
    }
    PQclear(res);
  }
  if (curl == NULL)
    log_event(LOG_ERROR, "webhook worker cannot start libcurl", NULL);
  curl_easy_cleanup(curl);
  db_close(db);
  return NULL;
}

int webhook_sender_start(const char *db_conninfo) {
  if (!webhook_config.enabled || webhook_config.workers == 0)
    return 0;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    log_event(LOG_ERROR, "cannot initialise libcurl", NULL);
    return -1;
  }
  conninfo = strdup(db_conninfo);
  if (conninfo == NULL)
    return -1;
  atomic_store(&stopping, false);
  unsigned int n = webhook_config.workers < MAX_WORKERS ? webhook_config.workers : MAX_WORKERS;
  for (started = 0; started < n; started++)
    if (pthread_create(&workers[started], NULL, worker_main, (void *)(uintptr_t)started) != 0) {
      webhook_sender_stop();
      return -1;
    }
  return 0;
}

void webhook_sender_stop(void) {
  pthread_mutex_lock(&wake_lock);
  atomic_store(&stopping, true);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&wake_lock);
  for (unsigned int i = 0; i < started; i++)
    pthread_join(workers[i], NULL);
  if (started > 0 || conninfo != NULL)
    curl_global_cleanup();
  started = 0;
  free(conninfo);
  conninfo = NULL;
}
