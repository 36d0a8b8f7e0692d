/* Liveness, readiness and metrics: for orchestrators and monitoring, no token. */
#include <stdio.h>

#include "api.h"
#include "http_internal.h"
#include "queries.h"
#include "schema.h"

enum MHD_Result api_healthz(struct request *rq) {
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"), NULL);
}

enum MHD_Result api_readyz(struct request *rq) {
  int version = -1;
  if (db_schema_version(rq->db, &version) < 0)
    return reply_db_error(rq);
  if (version != SCHEMA_VERSION) {
    char detail[128];
    snprintf(detail, sizeof detail, "Schema version %d, this build expects %d.", version, SCHEMA_VERSION);
    return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, detail);
  }
  bool read_only;
  if (db_read_only(rq->db, &read_only) < 0)
    return reply_db_error(rq);
  if (read_only)
    return reply_problem(rq, ERR_READ_ONLY, "The database is read-only (a standby, or default_transaction_read_only): "
                                            "reads are served, writes answer 503 read-only.");
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:i}", "status", "ready", "schema_version", version), NULL);
}

enum MHD_Result api_metrics(struct request *rq) {
  char *text;
  size_t len;
  if (metrics_render(&text, &len) != 0)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
