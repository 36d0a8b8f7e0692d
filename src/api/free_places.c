/* GET /v1/units/free-places: how many places are free today per unit kind, for those who read units (the
 * coordinator, caregivers and curators: the whole commission; a landlord: its own units). An aggregate: no person
 * and no unit is named, so it is not a read of personal data (not audited, like the units list). */
#include "api.h"
#include "free_places.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"

static json_t *counts_json(const struct free_places_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o}", "units", json_of_int(r->units), "places", json_of_int(r->places),
                   "occupied", json_of_int(r->occupied), "free", json_of_int(r->free));
}

enum MHD_Result api_units_free_places(struct request *rq) {
  static const char *const query[] = {NULL};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_units_free_places(rq->db, rq->principal.commission_id, access_scope_param(&rq->access),
                                          access_org_param(&rq->access), &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *kinds = json_array(), *total = NULL;
  struct free_places_row r = {0};
  for (int i = 0; kinds != NULL && i < PQntuples(res); i++) {
    if (!db_row(res, i, &r)) {
      json_decref(kinds);
      kinds = NULL;
    } else if (r.kind == NULL) {
      total = counts_json(&r);
    } else {
      json_t *k = counts_json(&r);
      if (k != NULL && json_object_set_new(k, "kind", json_of_text(r.kind)) != 0) {
        json_decref(k);
        k = NULL;
      }
      kinds = items_append(kinds, k);
    }
  }
  json_t *body = NULL;
  if (kinds != NULL && total != NULL) /* json_pack takes both, even when it fails */
    body = json_pack("{s:o, s:o, s:o}", "as_of", json_of_text(r.today), "kinds", kinds, "total", total);
  else {
    json_decref(kinds);
    json_decref(total);
  }
  PQclear(res);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  return reply_json(rq, MHD_HTTP_OK, body, NULL);
}
