/* GET /v1/me: who the caller's token is. The document is cached with the token (see auth_cached_me): an
 * authenticated request that hits the cache costs no database round trip. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"

enum MHD_Result api_me_get(struct request *rq) {
  const char *cached = auth_cached_me(rq);
  if (cached != NULL) {
    size_t len = strlen(cached);
    char *copy = malloc(len + 1);
    if (copy == NULL)
      return reply_problem(rq, ERR_INTERNAL, NULL);
    memcpy(copy, cached, len + 1);
    return reply_text(rq, MHD_HTTP_OK, "application/json", copy, len);
  }
  if (rq->db == NULL && (rq->db = db_thread()) == NULL)
    return reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database is unavailable; retry later.");
  if (db_use_commission(rq->db, rq->principal.commission_id) < 0)
    return reply_db_error(rq);
  PGresult *res;
  enum db_status s = db_token_describe(rq->db, rq->principal.token_id, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_UNAUTHORIZED, "The token is unknown, expired or revoked.");
  }
  struct me_row r;
  json_t *body = NULL;
  if (db_row(res, 0, &r)) {
    json_t *scope = r.scope_id == NULL ? json_null()
                                       : json_pack("{s:o, s:o, s:o}", "id", json_of_text(r.scope_id), "kind",
                                                   json_of_text(r.scope_kind), "name", json_of_text(r.scope_name));
    body = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:o}", "token_id", json_of_text(r.token_id), "label",
                     json_of_text(r.label), "role", json_of_text(r.role), "created_at", json_of_text(r.created_at),
                     "expires_at", json_of_text(r.expires_at), "commission", "id", json_of_text(r.commission_id),
                     "name", json_of_text(r.commission_name), "scope", scope);
  }
  PQclear(res);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (text == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  auth_cache_me(rq, text);
  return reply_text(rq, MHD_HTTP_OK, "application/json", text, strlen(text));
}
