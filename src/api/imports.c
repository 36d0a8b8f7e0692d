/* Imports and exports of a commission's lists as CSV, for the coordinator (RES_IMPORT): POST /v1/imports?kind=K
 * checks a file and keeps the dry run (nothing else changes), POST /v1/imports/{id}/commit writes what was checked
 * in one transaction, or refuses when the file or the data it depends on changed; GET /v1/exports?kind=K gives the
 * list in the same format. The work is src/db/imports.c's, shared with commissionctl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "import_db.h"
#include "write.h"

#define COMMIT_ROUTE "/v1/imports/{id}/commit"

/* The kind named by ?kind= into *KIND; else queues a 400 and returns false. */
static bool query_kind(struct request *rq, int *kind, enum MHD_Result *ret) {
  static const char *const allowed[] = {"kind", NULL};
  if (!request_query_only(rq, allowed, ret))
    return false;
  *kind = import_kind_parse(request_query(rq, "kind"));
  if (*kind < 0) {
    *ret = reply_field_problem(rq, ERR_INVALID_QUERY, "query:kind",
                               "must be one of organisations, units, people, applications, placements, deposits");
    return false;
  }
  return true;
}

struct import_call {
  int kind;
};

static struct import_actor actor_of(struct request *rq, const char *route) {
  return (struct import_actor){.token_id = rq->principal.token_id, .role = role_name(rq->principal.role),
                               .method = "POST", .route = route, .request_id = rq->request_id};
}

/* The file's problem as the answer: 413 past the limits, 422 otherwise, each naming the line and column. */
static enum db_status refuse_file(struct write_out *out, struct import_outcome *o) {
  json_t *members = json_pack("{s:o}", "errors", o->problem_errors ? o->problem_errors : json_array());
  o->problem_errors = NULL;
  return write_refuse_with(out, o->problem_status == 413 ? ERR_BODY_TOO_LARGE : ERR_VALIDATION_FAILED, o->detail,
                           members);
}

static enum db_status check_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct import_call *call = cls;
  struct import_actor who = actor_of(rq, "/v1/imports");
  struct import_outcome o;
  enum db_status s = import_run(db, rq->principal.commission_id, (enum import_kind)call->kind,
                                rq->body ? rq->body : "", rq->body_len, &who, true, &o);
  if (s == DB_REFUSED) {
    s = refuse_file(out, &o);
    import_outcome_free(&o);
    return s;
  }
  if (s < 0) {
    import_outcome_free(&o);
    return s;
  }
  char id[UUID_STR_LEN];
  s = import_store(db, rq->principal.commission_id, (enum import_kind)call->kind, rq->body ? rq->body : "",
                   rq->body_len, &o, rq->principal.token_id, id);
  if (s != DB_ROW) {
    import_outcome_free(&o);
    return s < 0 ? s : DB_HARD_ERROR;
  }
  json_object_set_new(o.report, "id", json_string(id));
  json_object_set_new(o.report, "status", json_string("checked"));
  out->body = o.report;
  o.report = NULL;
  out->version = -1;
  snprintf(out->location, sizeof out->location, "/v1/imports/%s", id);
  audit_created(rq, "imports", id);
  import_outcome_free(&o);
  return DB_ROW;
}

enum MHD_Result api_imports_create(struct request *rq) {
  struct import_call call;
  enum MHD_Result ret;
  if (!query_kind(rq, &call.kind, &ret))
    return ret;
  return creation_run(rq, check_body, &call);
}

static enum db_status commit_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const char *id = rq->args[0];
  struct import_stored st;
  enum db_status s = import_lock(db, rq->principal.commission_id, id, &st);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such import.");
  if (s < 0)
    return s;
  if (st.committed) { /* a repeated commit: nothing more to do, and it says so */
    out->body = st.result ? json_deep_copy(st.result) : json_object();
    json_object_set_new(out->body, "already_committed", json_true());
    out->version = -1;
    import_stored_free(&st);
    return DB_ROW;
  }
  if (st.error_count > 0) {
    char detail[200];
    snprintf(detail, sizeof detail, "The dry run found %ld rows in error: correct the file and check it again.",
             st.error_count);
    json_t *members = json_pack("{s:s, s:I}", "current_status", "checked", "error_count", (json_int_t)st.error_count);
    import_stored_free(&st);
    return write_refuse_with(out, ERR_INVALID_STATE, detail, members);
  }
  char hash[65], now[64];
  import_file_hash(st.file, st.len, hash);
  if (strcmp(hash, st.file_hash) != 0) {
    import_stored_free(&st);
    return write_refuse_with(out, ERR_CONFLICT, "The file changed since it was checked: check it again.",
                             json_pack("{s:s}", "changed", "file"));
  }
  s = import_fingerprint(db, rq->principal.commission_id, (enum import_kind)st.kind, now);
  if (s < 0) {
    import_stored_free(&st);
    return s;
  }
  if (strcmp(now, st.fingerprint) != 0) {
    import_stored_free(&st);
    return write_refuse_with(out, ERR_CONFLICT, "The commission's data this import depends on changed since the "
                             "dry run: check the file again.", json_pack("{s:s}", "changed", "data"));
  }
  struct import_actor who = actor_of(rq, COMMIT_ROUTE);
  struct import_outcome o;
  enum import_kind kind = (enum import_kind)st.kind;
  s = import_run(db, rq->principal.commission_id, kind, st.file, st.len, &who, false, &o);
  import_stored_free(&st);
  if (s < 0 || s == DB_REFUSED) {
    import_outcome_free(&o);
    return s == DB_REFUSED ? write_refuse(out, ERR_CONFLICT, "The stored file no longer reads: check it again.") : s;
  }
  if (o.errors > 0) { /* only a change the fingerprint does not cover can get here: nothing stays */
    json_t *members = json_pack("{s:O}", "report", o.report);
    import_outcome_free(&o);
    return write_refuse_with(out, ERR_CONFLICT, "Rows failed at commit; nothing was imported.", members);
  }
  s = import_audit_objects(db, rq->principal.commission_id, import_object_type(kind), &who, o.written, 200);
  json_t *result = s < 0 ? NULL : json_pack("{s:s, s:s, s:s, s:O, s:b}", "id", id, "kind",
                                             import_kind_def(kind)->name, "status",
                                             "committed", "counts", json_object_get(o.report, "counts"),
                                             "already_committed", 0);
  import_outcome_free(&o);
  if (s < 0)
    return s;
  if (!result)
    return DB_HARD_ERROR;
  s = import_mark_committed(db, rq->principal.commission_id, id, rq->principal.token_id, result);
  if (s < 0) {
    json_decref(result);
    return s;
  }
  out->body = result;
  out->version = -1;
  return DB_ROW;
}

enum MHD_Result api_imports_commit(struct request *rq) { return write_run(rq, MHD_HTTP_OK, commit_body, NULL); }

enum MHD_Result api_exports_get(struct request *rq) {
  int kind;
  enum MHD_Result ret;
  if (!query_kind(rq, &kind, &ret))
    return ret;
  char *csv;
  size_t len;
  enum db_status s = import_export(rq->db, rq->principal.commission_id, (enum import_kind)kind, &csv, &len);
  if (s < 0)
    return reply_db_error(rq);
  return reply_text(rq, MHD_HTTP_OK, "text/csv; charset=utf-8", csv, len);
}
