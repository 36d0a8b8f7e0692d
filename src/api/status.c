/* GET /v1/people/{id}/status: in one call, what a curator checks — the person's application state, last
 * decision, placement, deposit balance, rent arrears, open incidents and next review date. Nothing
 * care-confidential: no situation text, care notes or care follow-up; a curator sees no hospitalisation. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "dates.h"
#include "deposit.h"
#include "json_writer.h"
#include "params.h"
#include "placements.h"
#include "queries.h"
#include "write.h"

/* A json column's array TEXT (NULL: empty) as jansson would print it: "[]" as is, any other parsed then written
 * compactly (the database's text has spaces); false when it does not parse. */
static bool write_json_array(struct jw *w, const char *key, const char *text) {
  jw_key(w, key);
  if (text == NULL || strcmp(text, "[]") == 0) {
    jw_array_begin(w);
    jw_array_end(w);
    return true;
  }
  json_t *v = json_loads(text, 0, NULL);
  if (v == NULL)
    return false;
  jw_value(w, v);
  json_decref(v);
  return true;
}

/* The placement of status row R and its deposit account, into W. */
static void write_placement_and_deposit(struct jw *w, const struct person_status_row *r) {
  /* the lease as signed, and a running sliding lease's next step (include/lease.h) */
  jw_key(w, "placement");
  jw_object_begin(w);
  jw_key_string(w, "id", r->placement_id);
  jw_key_string(w, "move_in_date", r->move_in_date);
  jw_key_string(w, "lease", r->lease);
  jw_key_string(w, "exit_date", r->exit_date);
  jw_key(w, "unit");
  jw_object_begin(w);
  jw_key_string(w, "label", r->unit_label);
  jw_key_string(w, "town", r->unit_town);
  jw_object_end(w);
  jw_key_string(w, "lease_holder", lease_holder(r->lease, r->slid_on));
  jw_key_bool(w, "refund_to_association", r->refund_to_association);
  struct sliding_dates d = {r->sliding_start_date, r->planned_slide_on,     r->slid_on,
                            r->last_tripartite_on, r->tripartite_review_on, r->prefect_notice_due_on,
                            r->prefect_notice_sent_on};
  write_sliding(w, &d);
  jw_object_end(w);
  /* the deposit's due date and its late-refund penalty, as the account shows them (src/domain/deposit.c) */
  struct deposit_penalty_texts t = {r->unit_rent_cents,         r->deposit_refund_due_on,
                                    r->deposit_first_part_until, r->deposit_provision_cents,
                                    r->deposit_provision_due_on, r->deposit_settled_on};
  struct deposit_penalty pen = deposit_penalty_of_texts(&t, date_today());
  int64_t received = r->penalty_received_cents ? strtoll(r->penalty_received_cents, NULL, 10) : 0;
  int64_t waived = r->penalty_waived_cents ? strtoll(r->penalty_waived_cents, NULL, 10) : 0;
  int64_t provision = r->deposit_provision_cents ? strtoll(r->deposit_provision_cents, NULL, 10) : 0;
  int64_t unpaid = pen.penalty_cents - received - waived;
  jw_key(w, "deposit");
  jw_object_begin(w);
  jw_key_int(w, "balance_cents", r->deposit_balance);
  jw_key_string(w, "currency", "EUR");
  jw_key_string(w, "status", r->deposit_status);
  jw_key_string(w, "refund_due_on", r->deposit_refund_due_on);
  jw_key_integer(w, "months_late", pen.months_late);
  jw_key_integer(w, "penalty_cents", pen.penalty_cents);
  jw_key_integer(w, "penalty_unpaid_cents", unpaid > 0 ? unpaid : 0);
  /* the second due date of a co-owned building's provision, once the accounts are approved */
  jw_key_integer(w, "provision_cents", provision);
  jw_key_string(w, "provision_due_on", provision > 0 ? r->deposit_provision_due_on : NULL);
  jw_object_end(w);
}

/* Row I of RES (the status row) as the API's PersonStatus, written into W. */
static bool status_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)reader;
  (void)version;
  struct person_status_row r;
  if (!db_row(res, i, &r))
    return false;
  jw_object_begin(w);
  jw_key(w, "person");
  jw_object_begin(w);
  jw_key_string(w, "id", r.id);
  jw_key_string(w, "family_name", r.family_name);
  jw_key_string(w, "given_names", r.given_names);
  jw_key_string(w, "protection", r.protection);
  jw_object_end(w);
  jw_key(w, "application");
  if (r.application_id == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    jw_key_string(w, "id", r.application_id);
    jw_key_string(w, "status", r.application_status);
    jw_key_string(w, "submitted_at", r.submitted_at);
    jw_object_end(w);
  }
  jw_key(w, "last_decision");
  if (r.outcome == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    jw_key_string(w, "outcome", r.outcome);
    jw_key_string(w, "refusal_reason", r.refusal_reason);
    jw_key_string(w, "decided_at", r.decided_at);
    jw_key_string(w, "session_date", r.session_date);
    jw_object_end(w);
  }
  if (r.placement_id != NULL) {
    write_placement_and_deposit(w, &r);
  } else {
    jw_key(w, "placement");
    jw_null(w);
    jw_key(w, "deposit");
    jw_null(w);
  }
  jw_key(w, "rent");
  if (r.rent_status == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    jw_key_string(w, "status", r.rent_status);
    jw_key_int(w, "arrears_cents", r.arrears_cents);
    jw_key_string(w, "currency", "EUR");
    jw_key_string(w, "as_of", r.rent_as_of);
    jw_object_end(w);
  }
  if (!write_json_array(w, "open_incidents", r.open_incidents))
    return false;
  jw_key_string(w, "next_review_on", r.next_review_on);
  if (!write_json_array(w, "arrears_plans", r.arrears_plans))
    return false;
  jw_object_end(w);
  return true;
}

enum MHD_Result api_people_status(struct request *rq) {
  PGresult *res;
  enum db_status s = db_person_status(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  return reply_read_of(rq, s, res, "No such person.", status_write);
}
