/* Queries on webhook subscriptions and deliveries (see include/webhooks.h and migrations/0019). */
#include <stdatomic.h>
#include <stdio.h>

#include "json_text.h"
#include "webhooks.h"

const char *const webhook_event_types[] = {
  "application.submitted", "application.decided", "session.planned", "session.closed", "placement.started",
  "placement.ended", "deposit.paid", "deposit.refund_due", "deposit.refund_overdue", "deposit.penalty_accruing",
  "review.due", "review.overdue", "incident.reported", "incident.handled", "agreement.expiring", "token.expiring",
  NULL};

#define WEBHOOK_INSERT(P)                                                                                      \
  P(commission_id) P(org_id) P(url) P(event_types) P(description) P(active) P(secret_box) P(token_id)
DB_STATEMENT(insert, {"webhook_insert",
                      "INSERT INTO webhook_subscriptions AS w (commission_id, org_id, url, event_types, description, "
                      "active, secret_box, created_by_token) SELECT :commission_id, :org_id::uuid, :url, "
                      "ARRAY(SELECT jsonb_array_elements_text(:event_types::jsonb)), :description, "
                      "coalesce(:active::boolean, true), decode(:secret_box, 'hex'), :token_id::uuid "
                      "RETURNING " DB_COLUMNS(WEBHOOK_ROW),
                      DB_PARAMS(WEBHOOK_INSERT)});
DB_PARAMS_STRUCT(webhook_insert_params, WEBHOOK_INSERT);

#define WEBHOOK_GET(P) P(commission_id) P(id)
DB_STATEMENT(get, {"webhook_get",
                   "SELECT " DB_COLUMNS(WEBHOOK_ROW) " FROM webhook_subscriptions w "
                   "WHERE w.commission_id = :commission_id AND w.id = :id",
                   DB_PARAMS(WEBHOOK_GET)});
DB_STATEMENT(get_for_update, {"webhook_get_for_update",
                              "SELECT " DB_COLUMNS(WEBHOOK_ROW) " FROM webhook_subscriptions w "
                              "WHERE w.commission_id = :commission_id AND w.id = :id FOR UPDATE",
                              DB_PARAMS(WEBHOOK_GET)});
DB_STATEMENT(delete, {"webhook_delete",
                      "DELETE FROM webhook_subscriptions WHERE commission_id = :commission_id AND id = :id",
                      DB_PARAMS(WEBHOOK_GET)});
DB_PARAMS_STRUCT(webhook_get_params, WEBHOOK_GET);

#define WEBHOOK_LIST(P) P(commission_id) P(after_at) P(after_id) P(limit)
DB_STATEMENT(list, {"webhook_list",
                    "SELECT " DB_COLUMNS(WEBHOOK_ROW) " FROM webhook_subscriptions w WHERE w.commission_id = :commission_id "
                    "AND (:after_at::timestamptz IS NULL OR (w.created_at, w.id) > (:after_at::timestamptz, "
                    ":after_id::uuid)) ORDER BY w.created_at, w.id LIMIT :limit::integer",
                    DB_PARAMS(WEBHOOK_LIST)});
DB_PARAMS_STRUCT(webhook_list_params, WEBHOOK_LIST);

#define WEBHOOK_UPDATE(P) P(commission_id) P(id) P(url) P(event_types) P(description) P(active)
DB_STATEMENT(update, {"webhook_update",
                      "UPDATE webhook_subscriptions w SET url = :url, "
                      "event_types = ARRAY(SELECT jsonb_array_elements_text(:event_types::jsonb)), "
                      "description = :description, active = :active::boolean, version = version + 1, "
                      "updated_at = now() WHERE w.commission_id = :commission_id AND w.id = :id "
                      "RETURNING " DB_COLUMNS(WEBHOOK_ROW),
                      DB_PARAMS(WEBHOOK_UPDATE)});
DB_PARAMS_STRUCT(webhook_update_params, WEBHOOK_UPDATE);

#define WEBHOOK_ROTATE(P) P(commission_id) P(id) P(secret_box) P(overlap)
DB_STATEMENT(rotate, {"webhook_rotate",
                      "UPDATE webhook_subscriptions w SET previous_secret_box = w.secret_box, "
                      "previous_until = now() + make_interval(secs => :overlap::integer), "
                      "secret_box = decode(:secret_box, 'hex'), version = version + 1, updated_at = now() "
                      "WHERE w.commission_id = :commission_id AND w.id = :id RETURNING " DB_COLUMNS(WEBHOOK_ROW),
                      DB_PARAMS(WEBHOOK_ROTATE)});
DB_PARAMS_STRUCT(webhook_rotate_params, WEBHOOK_ROTATE);

#define WEBHOOK_DELIVERIES(P) P(commission_id) P(subscription_id) P(status) P(after_at) P(after_id) P(limit)
DB_STATEMENT(deliveries, {"webhook_deliveries",
                          "SELECT " DB_COLUMNS(WEBHOOK_DELIVERY_ROW) " FROM webhook_deliveries d "
                          "JOIN webhook_events e ON e.commission_id = d.commission_id AND e.id = d.event_id "
                          "WHERE d.commission_id = :commission_id AND d.subscription_id = :subscription_id "
                          "AND (:status::text IS NULL OR d.status = :status) "
                          "AND (:after_at::timestamptz IS NULL OR (d.created_at, d.id) < (:after_at::timestamptz, "
                          ":after_id::uuid)) ORDER BY d.created_at DESC, d.id DESC LIMIT :limit::integer",
                          DB_PARAMS(WEBHOOK_DELIVERIES)});
DB_PARAMS_STRUCT(webhook_deliveries_params, WEBHOOK_DELIVERIES);

#define WEBHOOK_RETRY(P) P(commission_id) P(subscription_id) P(id)
DB_STATEMENT(retry, {"webhook_retry",
                     "WITH d AS (UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now() "
                     "WHERE d.commission_id = :commission_id AND d.subscription_id = :subscription_id "
                     "AND d.id = :id RETURNING d.*) "
                     "SELECT " DB_COLUMNS(WEBHOOK_DELIVERY_ROW) " FROM d "
                     "JOIN webhook_events e ON e.commission_id = d.commission_id AND e.id = d.event_id",
                     DB_PARAMS(WEBHOOK_RETRY)});
DB_PARAMS_STRUCT(webhook_retry_params, WEBHOOK_RETRY);

#define WEBHOOK_CLAIM(P) P(limit) P(lease)
DB_STATEMENT(claim, {"webhook_claim",
                     "UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => "
                     ":lease::integer), attempts = d.attempts + 1, last_attempt_at = now() "
                     "FROM webhook_subscriptions w, webhook_events e "
                     "WHERE d.id IN (SELECT c.id FROM webhook_deliveries c JOIN webhook_subscriptions s "
                     "ON s.id = c.subscription_id AND s.active WHERE c.status = 'pending' "
                     "AND c.next_attempt_at <= now() ORDER BY c.next_attempt_at LIMIT :limit::integer "
                     "FOR UPDATE OF c SKIP LOCKED) "
                     "AND w.id = d.subscription_id AND e.commission_id = d.commission_id AND e.id = d.event_id "
                     "RETURNING " DB_COLUMNS(WEBHOOK_CLAIM_ROW),
                     DB_PARAMS(WEBHOOK_CLAIM)});
DB_PARAMS_STRUCT(webhook_claim_params, WEBHOOK_CLAIM);

#define WEBHOOK_ATTEMPTED(P)                                                                                   \
  P(commission_id) P(id) P(status_code) P(error) P(latency) P(outcome) P(next_in)
DB_STATEMENT(attempted, {"webhook_attempted",
                         "WITH a AS (INSERT INTO webhook_attempts (commission_id, delivery_id, status_code, "
                         "latency_ms, error) VALUES (:commission_id, :id, :status_code::integer, "
                         ":latency::integer, :error)) "
                         "UPDATE webhook_deliveries SET status = :outcome, last_status_code = :status_code::integer, "
                         "last_error = :error, last_latency_ms = :latency::integer, "
                         "delivered_at = CASE WHEN :outcome = 'delivered' THEN now() END, "
                         "next_attempt_at = now() + make_interval(secs => :next_in::integer) "
                         "WHERE commission_id = :commission_id AND id = :id",
                         DB_PARAMS(WEBHOOK_ATTEMPTED)});
DB_PARAMS_STRUCT(webhook_attempted_params, WEBHOOK_ATTEMPTED);

#define WEBHOOK_BACKLOG_ROW(FIRST, NEXT)                                                                       \
  FIRST(oldest, "coalesce(extract(epoch FROM now() - min(next_attempt_at))::bigint, 0)")                       \
  NEXT(pending, "count(*)")
DB_ROW_STRUCT(webhook_backlog_row, WEBHOOK_BACKLOG_ROW);
DB_STATEMENT(backlog, {"webhook_backlog",
                       "SELECT " DB_COLUMNS(WEBHOOK_BACKLOG_ROW) " FROM webhook_deliveries "
                       "WHERE status = 'pending' AND next_attempt_at <= now()",
                       .nparams = 0});

enum db_status db_webhook_insert(struct db *db, const char *commission_id, const struct webhook_fields *f,
                                 const char *secret_box_hex, const char *token_id, PGresult **res) {
  struct webhook_insert_params p = {.commission_id = commission_id, .org_id = f->org_id, .url = f->url,
                                    .event_types = f->event_types, .description = f->description,
                                    .active = f->active, .secret_box = secret_box_hex, .token_id = token_id};
  return db_run(db, &insert, &p, res);
}

enum db_status db_webhook_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                              PGresult **res) {
  struct webhook_get_params p = {.commission_id = commission_id, .id = id};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_webhook_list(struct db *db, const char *commission_id, const char *after_at, const char *after_id,
                               const char *limit, PGresult **res) {
  struct webhook_list_params p = {.commission_id = commission_id, .after_at = after_at, .after_id = after_id,
                                  .limit = limit};
  return db_run(db, &list, &p, res);
}

enum db_status db_webhook_update(struct db *db, const char *commission_id, const char *id,
                                 const struct webhook_fields *f, PGresult **res) {
  struct webhook_update_params p = {.commission_id = commission_id, .id = id, .url = f->url,
                                    .event_types = f->event_types, .description = f->description,
                                    .active = f->active};
  return db_run(db, &update, &p, res);
}

enum db_status db_webhook_delete(struct db *db, const char *commission_id, const char *id) {
  struct webhook_get_params p = {.commission_id = commission_id, .id = id};
  return db_run_discard(db, &delete, &p);
}

enum db_status db_webhook_rotate(struct db *db, const char *commission_id, const char *id, const char *secret_box_hex,
                                 long overlap_seconds, PGresult **res) {
  char overlap[24];
  snprintf(overlap, sizeof overlap, "%ld", overlap_seconds);
  struct webhook_rotate_params p = {.commission_id = commission_id, .id = id, .secret_box = secret_box_hex,
                                    .overlap = overlap};
  return db_run(db, &rotate, &p, res);
}

enum db_status db_webhook_deliveries(struct db *db, const char *commission_id, const char *subscription_id,
                                     const char *status, const char *after_at, const char *after_id, const char *limit,
                                     PGresult **res) {
  struct webhook_deliveries_params p = {.commission_id = commission_id, .subscription_id = subscription_id,
                                        .status = status, .after_at = after_at, .after_id = after_id,
                                        .limit = limit};
  return db_run(db, &deliveries, &p, res);
}

enum db_status db_webhook_retry(struct db *db, const char *commission_id, const char *subscription_id,
                                const char *delivery_id, PGresult **res) {
  struct webhook_retry_params p = {.commission_id = commission_id, .subscription_id = subscription_id,
                                   .id = delivery_id};
  return db_run(db, &retry, &p, res);
}

enum db_status db_webhook_claim(struct db *db, long limit, long lease_seconds, PGresult **res) {
  char lim[24], lease[24];
  snprintf(lim, sizeof lim, "%ld", limit);
  snprintf(lease, sizeof lease, "%ld", lease_seconds);
  struct webhook_claim_params p = {.limit = lim, .lease = lease};
  return db_run(db, &claim, &p, res);
}

enum db_status db_webhook_attempted(struct db *db, const char *commission_id, const char *delivery_id,
                                    const char *status_code, const char *error, long latency_ms, bool delivered,
                                    bool failed, long next_in_seconds) {
  char latency[24], next_in[24];
  snprintf(latency, sizeof latency, "%ld", latency_ms);
  snprintf(next_in, sizeof next_in, "%ld", delivered || failed ? 0 : next_in_seconds);
  struct webhook_attempted_params p = {.commission_id = commission_id, .id = delivery_id,
                                       .status_code = status_code, .error = error, .latency = latency,
                                       .outcome = delivered ? "delivered" : failed ? "failed" : "pending",
                                       .next_in = next_in};
  return db_run_discard(db, &attempted, &p);
}

enum db_status db_webhook_backlog(struct db *db, long *oldest_seconds, long *pending) {
  PGresult *res;
  enum db_status s = db_exec(db, &backlog, NULL, &res);
  if (s < 0)
    return s;
  struct webhook_backlog_row r;
  bool ok = db_row(res, 0, &r);
  if (ok) {
    *oldest_seconds = long_of_text(r.oldest);
    *pending = long_of_text(r.pending);
  }
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

static atomic_ulong metric_delivered, metric_retried, metric_failed;
static atomic_long metric_oldest, metric_pending;

void webhook_metric_attempt(bool delivered, bool failed) {
  atomic_fetch_add_explicit(delivered ? &metric_delivered : failed ? &metric_failed : &metric_retried, 1,
                            memory_order_relaxed);
}

void webhook_metric_backlog(long oldest_seconds, long pending) {
  atomic_store_explicit(&metric_oldest, oldest_seconds, memory_order_relaxed);
  atomic_store_explicit(&metric_pending, pending, memory_order_relaxed);
}

void webhook_metrics_read(struct webhook_metrics *m) {
  m->delivered = atomic_load_explicit(&metric_delivered, memory_order_relaxed);
  m->retried = atomic_load_explicit(&metric_retried, memory_order_relaxed);
  m->failed = atomic_load_explicit(&metric_failed, memory_order_relaxed);
  m->oldest_seconds = atomic_load_explicit(&metric_oldest, memory_order_relaxed);
  m->pending = atomic_load_explicit(&metric_pending, memory_order_relaxed);
}
