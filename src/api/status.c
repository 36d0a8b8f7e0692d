/* GET /v1/people/{id}/status: in one call, what a curator checks — the person's application state, last
 * decision, placement, deposit balance, rent arrears, open incidents and next review date. Nothing
 * care-confidential: no situation text, care notes or care follow-up; a curator sees no hospitalisation. */
#include "access.h"
#include "api.h"
#include "params.h"
#include "queries.h"

enum { S_ID, S_FAMILY, S_GIVEN, S_PROTECTION, S_APP, S_APP_STATUS, S_SUBMITTED, S_OUTCOME, S_REASON, S_DECIDED,
       S_SESSION_DATE, S_PLACEMENT, S_MOVE_IN, S_LEASE, S_EXIT, S_UNIT_LABEL, S_UNIT_TOWN, S_BALANCE,
       S_DEPOSIT_STATUS, S_RENT, S_ARREARS, S_RENT_AS_OF, S_NEXT_REVIEW, S_INCIDENTS };

enum MHD_Result api_people_status(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL)
    return ret;
  struct access a = access_decide(&rq->principal, RES_PERSON, ACT_READ);
  if (a.kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "This role has no access to people.");
  PGresult *res;
  enum db_status s = db_person_status(rq->db, rq->principal.commission_id, id, &a, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  json_t *application = PQgetisnull(res, 0, S_APP)
                            ? json_null()
                            : json_pack("{s:o, s:o, s:o}", "id", row_string(res, 0, S_APP), "status",
                                        row_string(res, 0, S_APP_STATUS), "submitted_at",
                                        row_string(res, 0, S_SUBMITTED));
  json_t *decision = PQgetisnull(res, 0, S_OUTCOME)
                         ? json_null()
                         : json_pack("{s:o, s:o, s:o, s:o}", "outcome", row_string(res, 0, S_OUTCOME),
                                     "refusal_reason", row_string(res, 0, S_REASON), "decided_at",
                                     row_string(res, 0, S_DECIDED), "session_date", row_string(res, 0, S_SESSION_DATE));
  json_t *placement = json_null(), *deposit = json_null();
  if (!PQgetisnull(res, 0, S_PLACEMENT)) {
    json_decref(placement);
    json_decref(deposit);
    placement = json_pack("{s:o, s:o, s:o, s:o, s:{s:o, s:o}}", "id", row_string(res, 0, S_PLACEMENT), "move_in_date",
                          row_string(res, 0, S_MOVE_IN), "lease", row_string(res, 0, S_LEASE), "exit_date",
                          row_string(res, 0, S_EXIT), "unit", "label", row_string(res, 0, S_UNIT_LABEL), "town",
                          row_string(res, 0, S_UNIT_TOWN));
    deposit = json_pack("{s:o, s:s, s:o}", "balance_cents", row_int(res, 0, S_BALANCE), "currency", "EUR", "status",
                        row_string(res, 0, S_DEPOSIT_STATUS));
  }
  json_t *rent = PQgetisnull(res, 0, S_RENT)
                     ? json_null()
                     : json_pack("{s:o, s:o, s:s, s:o}", "status", row_string(res, 0, S_RENT), "arrears_cents",
                                 row_int(res, 0, S_ARREARS), "currency", "EUR", "as_of", row_string(res, 0, S_RENT_AS_OF));
  json_t *incidents = json_loads(PQgetvalue(res, 0, S_INCIDENTS), 0, NULL);
  json_t *body = json_pack("{s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "person", "id",
                           row_string(res, 0, S_ID), "family_name", row_string(res, 0, S_FAMILY), "given_names",
                           row_string(res, 0, S_GIVEN), "protection", row_string(res, 0, S_PROTECTION),
                           "application", application, "last_decision", decision, "placement", placement, "deposit",
                           deposit, "rent", rent, "open_incidents", incidents ? incidents : json_array(),
                           "next_review_on", row_string(res, 0, S_NEXT_REVIEW));
  PQclear(res);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_json(rq, MHD_HTTP_OK, body, NULL);
}
