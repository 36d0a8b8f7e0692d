/* Recording requests in the audit trail. A write is recorded inside its own transaction, just before COMMIT
 * (db_before_commit), so a committed write always has its entry. A read of a person's data, or a refused write, is
 * recorded as its reply is queued (audit_reply(), called by every reply): with --audit-reads async (the default)
 * queued and written by the audit thread within about 100 ms — the read path costs no database round trip, and a
 * crash of the daemon can lose the entries not yet written (README: Data protection) —; with sync, committed on
 * the worker's own connection before the reply is queued. An entry that cannot be recorded turns the reply into a
 * 503: no answer leaves unaudited. */
#include <string.h>

#include "audit.h"
#include "log.h"
#include "queries.h"
#include "validate.h"

bool audit_reads_sync;

static const char *action_of(const struct request *rq, bool committed_write) {
  if (strcmp(rq->method, "GET") == 0)
    return (rq->route->flags & ROUTE_EXPORT) ? "export" : "read";
  if (strcmp(rq->method, "POST") != 0)
    return "update";
  if (rq->audit_object[0] != '\0' || (!committed_write && rq->status == MHD_HTTP_CREATED))
    return "create";
  return "action";
}

static enum db_status record(struct request *rq, struct db *db, bool in_transaction) {
  rq->audit_in_transaction = DB_NO_ROW;
  char type[32], status[8];
  /* The route table names the object type; a creation may name the type of what it made. */
  snprintf(type, sizeof type, "%s",
           rq->audit_type != NULL && rq->audit_object[0] != '\0' ? rq->audit_type
           : rq->route->audit_type != NULL                       ? rq->route->audit_type
                                                                  : "-");
  const char *object = rq->audit_object[0] != '\0' ? rq->audit_object
                       : (rq->args[0] != NULL && valid_uuid(rq->args[0])) ? rq->args[0]
                                                                           : NULL;
  /* Inside the transaction the reply is not made yet: a committed creation answers 201, other writes 200. */
  unsigned int code = in_transaction ? (rq->audit_object[0] != '\0' ? MHD_HTTP_CREATED : MHD_HTTP_OK) : rq->status;
  snprintf(status, sizeof status, "%u", code);
  const struct principal *p = &rq->principal;
  char route[96]; /* an opening through a share link: "/s/{capability}" before the document's route */
  snprintf(route, sizeof route, "%s%s", rq->via_share ? "/s/{capability}" : "", rq->route->pattern);
  const char *f[AUDIT_FIELDS] = {p->commission_id, p->token_id, role_name(p->role), action_of(rq, in_transaction),
                                 rq->head ? MHD_HTTP_METHOD_HEAD : rq->method, route, type, object,
                                 rq->request_id, status, rq->client_known ? rq->client : NULL};
  if (in_transaction)
    return db_audit_insert(db, f, &rq->audit_in_transaction);
  if (db != NULL)
    return audit_record_now(db, f);
  return audit_queue_push(f) ? DB_ROW : DB_HARD_ERROR;
}

static enum db_status record_in_transaction(struct db *db, void *cls) {
  return record(cls, db, true);
}

static bool audited_route(const struct request *rq) {
  return rq->route != NULL && !(rq->route->flags & ROUTE_PUBLIC) && rq->principal.token_id[0] != '\0' &&
         (strcmp(rq->method, "GET") != 0 || !(rq->route->flags & ROUTE_NO_AUDIT) || rq->via_share);
}

void audit_request_start(struct request *rq) {
  if (rq->db != NULL && audited_route(rq) && strcmp(rq->method, "GET") != 0)
    db_before_commit(rq->db, record_in_transaction, rq);
}

void audit_created(struct request *rq, const char *type, const char *object_id) {
  rq->audit_type = type;
  snprintf(rq->audit_object, sizeof rq->audit_object, "%s", object_id);
}

bool audit_reply(struct request *rq) {
  if (rq->audit_in_transaction == DB_ROW) /* the write committed with its entry */
    rq->audited = true;
  if (!audited_route(rq) || rq->audited)
    return true;
  rq->audited = true; /* once, whatever happens: the 503 that may replace this reply is not recorded again */
  struct db *db = NULL;
  if (audit_reads_sync) {
    db = rq->db != NULL ? rq->db : db_thread();
    if (db == NULL)
      return false;
    db_before_commit(db, NULL, NULL);
    db_rollback(db); /* never record inside a transaction a handler left open */
  }
  if (record(rq, db, false) >= 0)
    return true;
  log_event(LOG_ERROR, "audit entry not recorded: answered 503", ",\"request_id\":\"%s\",\"route\":\"%s\",\"status\":%u",
            rq->request_id, rq->route->pattern, rq->status);
  return false;
}

void audit_request_end(struct request *rq) {
  if (rq->db != NULL) {
    db_before_commit(rq->db, NULL, NULL);
    db_rollback(rq->db); /* never record inside a transaction a handler left open */
  }
}
