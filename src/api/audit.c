/* GET /v1/audit: the coordinator's view of the trail — who saw or changed an object or a person's file, what a
 * token did, in a period; and GET /v1/people/{id}/export: everything held about a person (right of access). */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

static bool coordinator(struct request *rq, enum MHD_Result *ret) {
  if (rq->principal.role == ROLE_COORDINATOR)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator reads the audit trail and exports files.");
  return false;
}

enum MHD_Result api_audit_list(struct request *rq) {
  static const char *const query[] = {"object", "token", "from", "to", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_INT};
  enum MHD_Result ret;
  struct page page;
  if (!coordinator(rq, &ret) || !request_query_only(rq, query, &ret))
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
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(
        items, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_int(res, i, 0),
                         "at", row_string(res, i, 1), "token_id", row_string(res, i, 2), "role", row_string(res, i, 3),
                         "action", row_string(res, i, 4), "method", row_string(res, i, 5), "route",
                         row_string(res, i, 6), "object_type", row_string(res, i, 7), "object_id",
                         row_string(res, i, 8), "person_id", row_string(res, i, 9), "request_id",
                         row_string(res, i, 10), "status", row_int(res, i, 11), "chained", row_bool(res, i, 12)));
  return reply_page(rq, &page, res, items, (const int[]){13, 0}, 2);
}

enum MHD_Result api_people_export(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !coordinator(rq, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_person_export(rq->db, rq->principal.commission_id, id, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  size_t len = strlen(PQgetvalue(res, 0, 0));
  char *text = malloc(len + 1);
  if (text == NULL) {
    PQclear(res);
    return MHD_NO;
  }
  memcpy(text, PQgetvalue(res, 0, 0), len + 1);
  PQclear(res);
  return reply_text(rq, MHD_HTTP_OK, "application/json", text, len);
}
