/* Webhooks (migrations/0019): subscriptions, their deliveries, and the delivery workers' claims. */
#ifndef COMMISSIOND_WEBHOOKS_H
#define COMMISSIOND_WEBHOOKS_H

#include <stdbool.h>

#include "db.h"
#include "queries.h"
#include "webhook_sign.h"

/* The daemon's webhook settings (its options; src/api/webhooks.c holds them). ENABLED: a webhook key was loaded. */
struct webhook_config {
  bool enabled;
  unsigned char key[WEBHOOK_KEY_BYTES];
  bool allow_http;    /* --webhook-allow-http: plain http endpoints (tests, an internal network) */
  bool allow_private; /* --webhook-allow-private: loopback and private ranges may be reached */
  unsigned int workers;
  unsigned int timeout_seconds;
  long retry_base_seconds;
};
extern struct webhook_config webhook_config;

/* Counters for /metrics, kept by the delivery workers. */
void webhook_metric_attempt(bool delivered, bool failed);
void webhook_metric_backlog(long oldest_seconds, long pending);
struct webhook_metrics {
  unsigned long delivered, retried, failed;
  long oldest_seconds, pending;
};
void webhook_metrics_read(struct webhook_metrics *m);

/* A timestamp as a list cursor holds it (microseconds, UTC). */
#define SQL_CURSOR_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The event types a subscription may ask for (NULL-terminated). */
extern const char *const webhook_event_types[];

/* A subscription as the API shows it (never its secret). */
#define WEBHOOK_ROW(FIRST, NEXT)                                                                               \
  FIRST(id, "w.id") NEXT(org_id, "w.org_id") NEXT(url, "w.url") NEXT(event_types, "to_json(w.event_types)")   \
  NEXT(description, "w.description") NEXT(active, "w.active") NEXT(previous_until, SQL_TS("w.previous_until")) \
  NEXT(version, "w.version") NEXT(created_at, SQL_TS("w.created_at")) NEXT(updated_at, SQL_TS("w.updated_at"))  \
  NEXT(pending, "(SELECT count(*) FROM webhook_deliveries d WHERE d.subscription_id = w.id "                    \
                "AND d.status = 'pending')")                                                                   \
  NEXT(failed, "(SELECT count(*) FROM webhook_deliveries d WHERE d.subscription_id = w.id "                     \
               "AND d.status = 'failed')")                                                                      \
  NEXT(cursor_at, SQL_CURSOR_TS("w.created_at"))
DB_ROW_STRUCT(webhook_row, WEBHOOK_ROW);

struct webhook_fields {
  const char *org_id, *url, *event_types /* JSON array text */, *description, *active;
};

enum db_status db_webhook_insert(struct db *db, const char *commission_id, const struct webhook_fields *f,
                                 const char *secret_box_hex, const char *token_id, PGresult **res);
enum db_status db_webhook_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                              PGresult **res);
enum db_status db_webhook_list(struct db *db, const char *commission_id, const char *after_at, const char *after_id,
                               const char *limit, PGresult **res);
enum db_status db_webhook_update(struct db *db, const char *commission_id, const char *id,
                                 const struct webhook_fields *f, PGresult **res);
enum db_status db_webhook_delete(struct db *db, const char *commission_id, const char *id);
/* A new secret (sealed) in place of the current one, which keeps signing for OVERLAP_SECONDS. */
enum db_status db_webhook_rotate(struct db *db, const char *commission_id, const char *id, const char *secret_box_hex,
                                 long overlap_seconds, PGresult **res);

/* A delivery as its log shows it: the event's type and dates, the attempts' outcome. */
#define WEBHOOK_DELIVERY_ROW(FIRST, NEXT)                                                                      \
  FIRST(id, "d.id") NEXT(event_id, "d.event_id") NEXT(event_type, "e.type")                                    \
  NEXT(occurred_at, SQL_TS("e.occurred_at")) NEXT(status, "d.status") NEXT(attempts, "d.attempts")             \
  NEXT(next_attempt_at, SQL_TS("d.next_attempt_at")) NEXT(last_attempt_at, SQL_TS("d.last_attempt_at"))       \
  NEXT(last_status_code, "d.last_status_code") NEXT(last_error, "d.last_error")                               \
  NEXT(last_latency_ms, "d.last_latency_ms") NEXT(delivered_at, SQL_TS("d.delivered_at"))                     \
  NEXT(created_at, SQL_TS("d.created_at")) NEXT(cursor_at, SQL_CURSOR_TS("d.created_at"))
DB_ROW_STRUCT(webhook_delivery_row, WEBHOOK_DELIVERY_ROW);

enum db_status db_webhook_deliveries(struct db *db, const char *commission_id, const char *subscription_id,
                                     const char *status, const char *after_at, const char *after_id, const char *limit,
                                     PGresult **res);
/* The delivery made pending again, due now (its attempts kept); no row when it is not the subscription's. */
enum db_status db_webhook_retry(struct db *db, const char *commission_id, const char *subscription_id,
                                const char *delivery_id, PGresult **res);

/* The delivery workers (every commission: a connection with commissiond.scope = 'all'). */
#define WEBHOOK_CLAIM_ROW(FIRST, NEXT)                                                                         \
  FIRST(id, "d.id") NEXT(commission_id, "d.commission_id") NEXT(event_id, "d.event_id") NEXT(url, "w.url")    \
  NEXT(secret_box, "encode(w.secret_box, 'hex')")                                                              \
  NEXT(previous_box, "CASE WHEN w.previous_until > now() THEN encode(w.previous_secret_box, 'hex') END")       \
  NEXT(payload, "json_build_object('id', e.id, 'type', e.type, 'timestamp', "                                  \
                "to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "              \
                "'commission_id', e.commission_id, 'data', e.data)::text")                                     \
  NEXT(attempts, "d.attempts") NEXT(created_at_epoch, "extract(epoch FROM d.created_at)::bigint")
DB_ROW_STRUCT(webhook_claim_row, WEBHOOK_CLAIM_ROW);

/* Claims up to LIMIT due deliveries (FOR UPDATE SKIP LOCKED), leasing each for LEASE_SECONDS: another instance
 * does not take them until the lease runs out. */
enum db_status db_webhook_claim(struct db *db, long limit, long lease_seconds, PGresult **res);
/* The outcome of one attempt: delivered (STATUS_CODE 2xx), or pending again at NEXT_IN_SECONDS from now, or failed
 * (FAILED true: three days of retries are over). STATUS_CODE NULL when no answer came (ERROR says why). */
enum db_status db_webhook_attempted(struct db *db, const char *commission_id, const char *delivery_id,
                                    const char *status_code, const char *error, long latency_ms, bool delivered,
                                    bool failed, long next_in_seconds);
/* The age in seconds of the oldest pending delivery due now (0 when none), for /metrics. */
enum db_status db_webhook_backlog(struct db *db, long *oldest_seconds, long *pending);

#endif
