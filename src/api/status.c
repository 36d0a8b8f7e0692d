/* GET /v1/people/{id}/status: in one call, what a curator checks — the person's application state, last
 * decision, placement, deposit balance, rent arrears, open incidents and next review date. Nothing
 * care-confidential: no situation text, care notes or care follow-up; a curator sees no hospitalisation. */
#include <stdlib.h>

#include "access.h"
#include "api.h"
#include "dates.h"
#include "deposit.h"
#include "json_text.h"
#include "params.h"
#include "placements.h"
#include "queries.h"

/* The status row as the API's PersonStatus; NULL when it cannot be built. */
static json_t *status_json(const struct person_status_row *r) {
  json_t *application = r->application_id == NULL
                            ? json_null()
                            : json_pack("{s:o, s:o, s:o}", "id", json_of_text(r->application_id), "status",
                                        json_of_text(r->application_status), "submitted_at",
                                        json_of_text(r->submitted_at));
  json_t *decision = r->outcome == NULL
                         ? json_null()
                         : json_pack("{s:o, s:o, s:o, s:o}", "outcome", json_of_text(r->outcome), "refusal_reason",
                                     json_of_text(r->refusal_reason), "decided_at", json_of_text(r->decided_at),
                                     "session_date", json_of_text(r->session_date));
  json_t *placement = json_null(), *deposit = json_null();
  if (r->placement_id != NULL) {
    json_decref(placement);
    json_decref(deposit);
    /* the lease as signed, and a running sliding lease's next step (include/lease.h) */
    struct sliding_dates d = {r->sliding_start_date, r->planned_slide_on,     r->slid_on,
                              r->last_tripartite_on, r->tripartite_review_on, r->prefect_notice_due_on,
                              r->prefect_notice_sent_on};
    json_t *sliding = r->sliding_start_date != NULL ? sliding_json(&d) : json_null();
    placement = json_pack("{s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:s, s:o, s:o}", "id", json_of_text(r->placement_id),
                          "move_in_date", json_of_text(r->move_in_date), "lease", json_of_text(r->lease), "exit_date",
                          json_of_text(r->exit_date), "unit", "label", json_of_text(r->unit_label), "town",
                          json_of_text(r->unit_town), "lease_holder", lease_holder(r->lease, r->slid_on),
                          "refund_to_association", json_of_bool(r->refund_to_association), "sliding", sliding);
    /* the deposit's due date and its late-refund penalty, as the account shows them (src/domain/deposit.c) */
    struct date due, settled, first, prov_due;
    struct deposit_penalty pen = {0, 0};
    int64_t received = r->penalty_received_cents ? strtoll(r->penalty_received_cents, NULL, 10) : 0;
    int64_t waived = r->penalty_waived_cents ? strtoll(r->penalty_waived_cents, NULL, 10) : 0;
    int64_t provision = r->deposit_provision_cents ? strtoll(r->deposit_provision_cents, NULL, 10) : 0;
    bool has_prov = provision > 0 && r->deposit_provision_due_on != NULL &&
                    date_parse(r->deposit_provision_due_on, &prov_due);
    if (r->deposit_refund_due_on != NULL && date_parse(r->deposit_refund_due_on, &due)) {
      bool is_settled = r->deposit_settled_on != NULL && date_parse(r->deposit_settled_on, &settled);
      bool has_first = r->deposit_first_part_until != NULL && date_parse(r->deposit_first_part_until, &first);
      pen = deposit_penalty_two_parts(r->unit_rent_cents ? strtoll(r->unit_rent_cents, NULL, 10) : 0, due,
                                      has_first ? &first : NULL, has_prov ? &prov_due : NULL,
                                      is_settled ? &settled : NULL, date_today());
    }
    int64_t unpaid = pen.penalty_cents - received - waived;
    deposit = json_pack("{s:o, s:s, s:o, s:o, s:i, s:I, s:I}", "balance_cents", json_of_int(r->deposit_balance),
                        "currency", "EUR", "status", json_of_text(r->deposit_status), "refund_due_on",
                        json_of_text(r->deposit_refund_due_on), "months_late", pen.months_late, "penalty_cents",
                        (json_int_t)pen.penalty_cents, "penalty_unpaid_cents", (json_int_t)(unpaid > 0 ? unpaid : 0));
    /* the second due date of a co-owned building's provision, once the accounts are approved */
    if (deposit != NULL &&
        (json_object_set_new(deposit, "provision_cents", json_integer(provision)) != 0 ||
         json_object_set_new(deposit, "provision_due_on",
                             json_of_text(provision > 0 ? r->deposit_provision_due_on : NULL)) != 0)) {
      json_decref(deposit);
      deposit = NULL;
    }
  }
  json_t *rent = r->rent_status == NULL
                     ? json_null()
                     : json_pack("{s:o, s:o, s:s, s:o}", "status", json_of_text(r->rent_status), "arrears_cents",
                                 json_of_int(r->arrears_cents), "currency", "EUR", "as_of", json_of_text(r->rent_as_of));
  json_t *incidents = r->open_incidents != NULL ? json_loads(r->open_incidents, 0, NULL) : NULL;
  json_t *plans = r->arrears_plans != NULL ? json_loads(r->arrears_plans, 0, NULL) : NULL;
  return json_pack("{s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "person", "id",
                   json_of_text(r->id),
                   "family_name", json_of_text(r->family_name), "given_names", json_of_text(r->given_names),
                   "protection", json_of_text(r->protection), "application", application, "last_decision", decision,
                   "placement", placement, "deposit", deposit, "rent", rent, "open_incidents",
                   incidents ? incidents : json_array(), "next_review_on", json_of_text(r->next_review_on),
                   "arrears_plans", plans ? plans : json_array());
}

enum MHD_Result api_people_status(struct request *rq) {
  PGresult *res;
  enum db_status s = db_person_status(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  struct person_status_row r;
  json_t *body = db_row(res, 0, &r) ? status_json(&r) : NULL;
  PQclear(res);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_json(rq, MHD_HTTP_OK, body, NULL);
}
