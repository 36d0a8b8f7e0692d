/* Prometheus metrics: requests by route and status, a latency histogram per route, database errors and
 * connections, requests in flight and open connections, the audit backlog, the build, and the process (CPU,
 * memory, descriptors, start time: read from /proc when rendered). Relaxed atomic counters: no lock on the request
 * path. */
#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "build_config.h"
#include "db.h"
#include "http_internal.h"
#include "webhooks.h"
#include "schema.h"

#define MAX_ROUTES 128
static const unsigned int tracked_status[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 406, 409,
                                              412, 413, 414, 415, 422, 428, 429, 500, 503, 0 /* other */};
#define N_STATUS (sizeof tracked_status / sizeof *tracked_status)
static const double bucket_seconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define N_BUCKETS (sizeof bucket_seconds / sizeof *bucket_seconds)

struct route_metrics {
  atomic_ulong by_status[N_STATUS];
  atomic_ulong buckets[N_BUCKETS]; /* non-cumulative; summed when rendered */
  atomic_ulong count;
  atomic_ulong sum_ns;
};

static struct route_metrics metrics[MAX_ROUTES + 1]; /* last slot: unmatched */

static size_t status_slot(unsigned int status) {
  for (size_t i = 0; i + 1 < N_STATUS; i++)
    if (tracked_status[i] == status)
      return i;
  return N_STATUS - 1;
}

void metrics_record(size_t route_index, unsigned int status, uint64_t duration_ns) {
  if (route_index >= http_route_count() || route_index > MAX_ROUTES)
    route_index = MAX_ROUTES; /* unmatched requests have their own row */
  struct route_metrics *m = &metrics[route_index];
  atomic_fetch_add_explicit(&m->by_status[status_slot(status)], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->sum_ns, duration_ns, memory_order_relaxed);
  double seconds = (double)duration_ns / 1e9;
  for (size_t b = 0; b < N_BUCKETS; b++)
    if (seconds <= bucket_seconds[b]) {
      atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
      break;
    }
}

struct text {
  char *buf;
  size_t len, cap;
  bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...) {
  if (t->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = true;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap * 2 + (size_t)n;
    char *grown = realloc(t->buf, cap);
    if (grown == NULL) {
      t->failed = true;
      return;
    }
    t->buf = grown;
    t->cap = cap;
  }
}

static void route_label(size_t i, size_t n_routes, const char **method, const char **route) {
  if (i < n_routes) {
    *method = http_routes[i].method;
    *route = http_routes[i].pattern;
  } else {
    *method = "";
    *route = "unmatched";
  }
}

static struct timespec started;

__attribute__((constructor)) static void note_start(void) { clock_gettime(CLOCK_REALTIME, &started); }

/* The process's figures, as the Prometheus client libraries name them; a figure /proc does not give is left out. */
static void put_process(struct text *t) {
  long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  FILE *f = fopen("/proc/self/stat", "r");
  char line[1024];
  bool have_stat = false;
  unsigned long utime = 0, stime = 0, vsize = 0;
  long rss = 0;
  if (f != NULL) {
    if (fgets(line, sizeof line, f) != NULL) {
      const char *after = strrchr(line, ')'); /* the command name may hold spaces and parentheses */
      /* From field 3 (state): utime is field 14, stime 15, vsize 23, rss 24. */
      have_stat = after != NULL && ticks > 0 &&
                  sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
                                    "%*u %lu %ld", &utime, &stime, &vsize, &rss) == 4;
    }
    fclose(f);
  }
  if (have_stat) {
    put(t, "# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.\n"
           "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
           "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
           "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n"
           "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
           "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %lu\n",
        (double)(utime + stime) / (double)ticks, rss * page, vsize);
  }
  /* Taken when the program started rather than from /proc/stat's boot time, which a hardened unit hides. */
  put(t, "# HELP process_start_time_seconds Start time of the process since the Unix epoch, in seconds.\n"
         "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
      (double)started.tv_sec + (double)started.tv_nsec / 1e9);
  DIR *fds = opendir("/proc/self/fd");
  if (fds != NULL) {
    long open_fds = 0;
    struct dirent *e;
    while ((e = readdir(fds)) != NULL)
      if (e->d_name[0] != '.')
        open_fds++;
    closedir(fds);
    put(t, "# HELP process_open_fds Number of open file descriptors.\n"
           "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n", open_fds - 1 /* the directory's own */);
  }
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    put(t, "# HELP process_max_fds Maximum number of open file descriptors.\n"
           "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n", (unsigned long long)limit.rlim_cur);
}

int metrics_render(char **out, size_t *len) {
  struct text t = {malloc(16384), 0, 16384, false};
  if (t.buf == NULL)
    return -1;
  size_t n_routes = http_route_count();
  if (n_routes > MAX_ROUTES)
    n_routes = MAX_ROUTES;
  put(&t, "# HELP commissiond_http_requests_total HTTP requests by route and status.\n"
          "# TYPE commissiond_http_requests_total counter\n");
  for (size_t i = 0; i <= n_routes; i++) {
    size_t slot = i < n_routes ? i : MAX_ROUTES;
    const char *method, *route;
    route_label(i, n_routes, &method, &route);
    for (size_t s = 0; s < N_STATUS; s++) {
      unsigned long v = atomic_load_explicit(&metrics[slot].by_status[s], memory_order_relaxed);
      if (v == 0)
        continue;
      char status[16];
      if (tracked_status[s] == 0)
        snprintf(status, sizeof status, "other");
      else
        snprintf(status, sizeof status, "%u", tracked_status[s]);
      put(&t, "commissiond_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %lu\n", method, route,
          status, v);
    }
  }
  put(&t, "# HELP commissiond_http_request_duration_seconds Request latency by route.\n"
          "# TYPE commissiond_http_request_duration_seconds histogram\n");
  for (size_t i = 0; i <= n_routes; i++) {
    size_t slot = i < n_routes ? i : MAX_ROUTES;
    unsigned long count = atomic_load_explicit(&metrics[slot].count, memory_order_relaxed);
    if (count == 0)
      continue;
    const char *method, *route;
    route_label(i, n_routes, &method, &route);
    unsigned long cumulative = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
      cumulative += atomic_load_explicit(&metrics[slot].buckets[b], memory_order_relaxed);
      put(&t, "commissiond_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %lu\n",
          method, route, bucket_seconds[b], cumulative);
    }
    put(&t, "commissiond_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %lu\n",
        method, route, count);
    put(&t, "commissiond_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", method, route,
        (double)atomic_load_explicit(&metrics[slot].sum_ns, memory_order_relaxed) / 1e9);
    put(&t, "commissiond_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n", method, route,
        count);
  }
  put(&t,
      "# HELP commissiond_db_errors_total Database errors (connection losses, failed statements).\n"
      "# TYPE commissiond_db_errors_total counter\ncommissiond_db_errors_total %ld\n"
      "# HELP commissiond_db_connections Open database connections (one per worker thread, plus the listener).\n"
      "# TYPE commissiond_db_connections gauge\ncommissiond_db_connections %ld\n"
      "# HELP commissiond_db_pool_size Worker threads, each with at most one database connection.\n"
      "# TYPE commissiond_db_pool_size gauge\ncommissiond_db_pool_size %u\n"
      "# HELP commissiond_http_requests_in_flight Requests being served.\n"
      "# TYPE commissiond_http_requests_in_flight gauge\ncommissiond_http_requests_in_flight %ld\n",
      db_metric_errors(), db_metric_connections(), http_config.threads, http_in_flight());
  put(&t,
      "# HELP commissiond_audit_queued Audit entries answered and not yet written (lost if the daemon crashed now).\n"
      "# TYPE commissiond_audit_queued gauge\ncommissiond_audit_queued %ld\n"
      "# HELP commissiond_audit_lag_max_seconds Longest time since start between an answer and the commit of its\n"
      "# queued audit entry.\n"
      "# TYPE commissiond_audit_lag_max_seconds gauge\ncommissiond_audit_lag_max_seconds %.6f\n"
      "# HELP commissiond_http_connections_timed_out_total Connections closed for not sending their request line\n"
      "# and headers (or body) in time.\n"
      "# TYPE commissiond_http_connections_timed_out_total counter\ncommissiond_http_connections_timed_out_total %lu\n"
      "# HELP commissiond_http_connections_refused_total Connections past --max-connections or\n"
      "# --per-ip-connections, answered 503.\n"
      "# TYPE commissiond_http_connections_refused_total counter\ncommissiond_http_connections_refused_total %lu\n",
      audit_queue_pending(), (double)audit_queue_lag_max_us() / 1e6, http_connections_timed_out(),
      http_connections_refused());
  struct webhook_metrics w;
  webhook_metrics_read(&w);
  put(&t,
      "# HELP commissiond_webhook_attempts_total Webhook delivery attempts by outcome (delivered; retried: failed,\n"
      "# to be tried again; failed: the last try, after three days).\n"
      "# TYPE commissiond_webhook_attempts_total counter\n"
      "commissiond_webhook_attempts_total{outcome=\"delivered\"} %lu\n"
      "commissiond_webhook_attempts_total{outcome=\"retried\"} %lu\n"
      "commissiond_webhook_attempts_total{outcome=\"failed\"} %lu\n"
      "# HELP commissiond_webhook_outbox_pending Deliveries due now and not yet sent (all instances).\n"
      "# TYPE commissiond_webhook_outbox_pending gauge\ncommissiond_webhook_outbox_pending %ld\n"
      "# HELP commissiond_webhook_outbox_oldest_seconds How long the oldest delivery due now has waited.\n"
      "# TYPE commissiond_webhook_outbox_oldest_seconds gauge\ncommissiond_webhook_outbox_oldest_seconds %ld\n",
      w.delivered, w.retried, w.failed, w.pending, w.oldest_seconds);
  put(&t,
      "# HELP commissiond_http_connections_open HTTP connections open now (those answered 503 past a limit excepted).\n"
      "# TYPE commissiond_http_connections_open gauge\ncommissiond_http_connections_open %lu\n"
      "# HELP commissiond_build_info The version of commissiond and the schema version it serves.\n"
      "# TYPE commissiond_build_info gauge\ncommissiond_build_info{version=\"%s\",schema=\"%d\"} 1\n",
      http_connections_open(), COMMISSIOND_VERSION, SCHEMA_VERSION);
  put_process(&t);
  if (t.failed) {
    free(t.buf);
    return -1;
  }
  *out = t.buf;
  *len = t.len;
  return 0;
}
