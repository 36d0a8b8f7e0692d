/* GET /v1/audit: the coordinator's view of the trail — who saw or changed an object or a person's file, what a
 * token did, in a period; and GET /v1/people/{id}/export: everything held about a person (right of access). Only
 * the coordinator (the route table answers the others' 403). */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "json_text.h"
#include "negotiate.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

/* An audit entry row as the API's AuditEntry; NULL when it cannot be built. */
static json_t *entry_json(const struct audit_entry_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_int(r->id),
                   "at", json_of_text(r->at), "token_id", json_of_text(r->token_id), "role", json_of_text(r->role),
                   "action", json_of_text(r->action), "method", json_of_text(r->method), "route",
                   json_of_text(r->route), "object_type", json_of_text(r->object_type), "object_id",
                   json_of_text(r->object_id), "person_id", json_of_text(r->person_id), "request_id",
                   json_of_text(r->request_id), "status", json_of_int(r->status), "client_address",
                   json_of_text(r->client_address), "chained", json_of_bool(r->chained));
}

enum MHD_Result api_audit_list(struct request *rq) {
  static const char *const query[] = {"object", "token", "from", "to", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_INT};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *object = request_query(rq, "object"), *token = request_query(rq, "token");
  const char *from = request_query(rq, "from"), *to = request_query(rq, "to");
  if (object != NULL && !valid_uuid(object))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:object", "must be a UUID (an object or a person)");
  if (token != NULL && !valid_uuid(token))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:token", "must be a token id");
  if (from != NULL && !valid_date(from))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:from", "must be a date YYYY-MM-DD");
  if (to != NULL && !valid_date(to))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:to", "must be a date YYYY-MM-DD");
  if (from != NULL && to != NULL && strcmp(from, to) > 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:to", "must not be before from");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_audit_list(rq->db, rq->principal.commission_id, object, token, from, to, page.after[0],
                                   page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  struct audit_entry_row r = {0};
  for (int i = 0; items != NULL && i < PQntuples(res); i++)
    items = items_append(items, db_row(res, i, &r) ? entry_json(&r) : NULL);
  ret = reply_page_after(rq, &page, PQntuples(res), items, (const char *const[]){r.list_key, r.id}, 2);
  PQclear(res);
  return ret;
}

enum MHD_Result api_people_export(struct request *rq) {
  static const struct representation json_only[] = {{"json", "application/json"}};
  enum MHD_Result ret;
  if (negotiate(rq, json_only, 1, &ret) < 0)
    return ret;
  PGresult *res;
  enum db_status s = db_person_export(rq->db, rq->principal.commission_id, rq->args[0], &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  struct person_export_row r;
  char *text = db_row(res, 0, &r) && r.document != NULL ? strdup(r.document) : NULL;
  PQclear(res);
  if (text == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  return reply_text(rq, MHD_HTTP_OK, "application/json", text, strlen(text));
}
