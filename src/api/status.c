/* GET /v1/people/{id}/status: in one call, what a curator checks — the person's application state, last
 * decision, placement, deposit balance, rent arrears, open incidents and next review date. Nothing
 * care-confidential: no situation text, care notes or care follow-up; a curator sees no hospitalisation. */
#include <stdio.h>
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

/* TEXT, a JSON array kept by the writes (person_status), parsed; NULL when it does not parse. */
static json_t *kept_array(const char *text) {
  json_t *v = json_loads(text, 0, NULL);
  if (v != NULL && !json_is_array(v)) {
    json_decref(v);
    v = NULL;
  }
  return v;
}

static bool member_is(const json_t *o, const char *key, const char *text) {
  const char *v = json_string_value(json_object_get(o, key));
  return v != NULL && strcmp(v, text) == 0;
}

/* The open incidents of status row R as READER may see them, into W: a curator sees no hospitalisation, and a rent
 * arrears incident is shown while its placement RUNS. */
static bool write_open_incidents(struct jw *w, const struct person_status_row *r, enum role reader, bool runs) {
  jw_key(w, "open_incidents");
  jw_array_begin(w);
  if (r->open_incidents != NULL && strcmp(r->open_incidents, "[]") != 0) {
    json_t *list = kept_array(r->open_incidents);
    if (list == NULL)
      return false;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      if ((reader == ROLE_CURATOR && member_is(e, "kind", "hospitalisation")) ||
          (!runs && member_is(e, "kind", "rent_arrears")))
        continue;
      jw_value(w, e);
    }
    json_decref(list);
  }
  jw_array_end(w);
  return true;
}

/* A kept plan's member KEY into W (null when absent). */
static void write_plan_member(struct jw *w, const json_t *plan, const char *key) {
  jw_key(w, key);
  const json_t *v = json_object_get(plan, key);
  if (v != NULL)
    jw_value(w, v);
  else
    jw_null(w);
}

/* The arrears plans of status row R while its placement RUNS, each with its state as of TODAY (paid_off once
 * paid in full, late past an instalment's due date, else on_track), into W. */
static bool write_arrears_plans(struct jw *w, const struct person_status_row *r, bool runs, struct date today) {
  jw_key(w, "arrears_plans");
  jw_array_begin(w);
  if (runs && r->arrears_plans != NULL && strcmp(r->arrears_plans, "[]") != 0) {
    json_t *list = kept_array(r->arrears_plans);
    if (list == NULL)
      return false;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      struct date due;
      const char *state = "on_track";
      if (json_integer_value(json_object_get(e, "paid_cents")) >= json_integer_value(json_object_get(e, "total_cents")))
        state = "paid_off";
      else if (date_parse(json_string_value(json_object_get(e, "next_due_on")), &due) &&
               date_compare(due, today) < 0)
        state = "late";
      jw_object_begin(w);
      write_plan_member(w, e, "incident_id");
      jw_key_string(w, "state", state);
      write_plan_member(w, e, "total_cents");
      write_plan_member(w, e, "paid_cents");
      write_plan_member(w, e, "next_due_on");
      write_plan_member(w, e, "next_due_cents");
      jw_object_end(w);
    }
    json_decref(list);
  }
  jw_array_end(w);
  return true;
}

static int64_t cents_of(const char *text) { return text != NULL ? strtoll(text, NULL, 10) : 0; }

/* The deposit account of status row R as deposit_accounts computes it (migrations/0023), on TODAY, and whether
 * the placement runs (moved in or not, not yet left). Dates as YYYY-MM-DD, empty when none. */
struct status_account {
  bool exited, runs;
  int64_t balance, provision, received, waived;
  const char *status; /* held, settled, not_paid, outstanding, overdue */
  char refund_due_on[11], settled_on[11], provision_due_on[11], first_part_until[11];
};

/* Whether the account of status row R needs the day its balance fell to the provision, which only the ledger says
 * (PERSON_STATUS_ROW_FIRST_PART): an ended account of a co-owned building down to its provision. */
static bool status_needs_first_part(const struct person_status_row *r) {
  int64_t provision = cents_of(r->provision_cents);
  return r->exit_date != NULL && provision > 0 && cents_of(r->balance_cents) <= provision;
}

static void status_account(const struct person_status_row *r, struct date today, struct status_account *a) {
  memset(a, 0, sizeof *a);
  struct date exit, due = {0, 0, 0}, approved, provision_due_day = {0, 0, 0}, moved;
  a->exited = date_parse(r->exit_date, &exit);
  a->runs = !a->exited || date_compare(exit, today) > 0;
  a->balance = cents_of(r->balance_cents);
  int64_t paid = cents_of(r->paid_cents);
  bool provision_due = false;
  if (a->exited) {
    /* the refund's due date (art. 22: one month after the exit when the inspections match, else two), the
     * provision's (a month after the accounts are approved), and the day the balance reached 0 */
    a->provision = cents_of(r->provision_cents);
    a->received = cents_of(r->penalty_received_cents);
    a->waived = cents_of(r->penalty_waived_cents);
    due = deposit_refund_due(exit, r->exit_inspection_matches != NULL && strcmp(r->exit_inspection_matches, "t") == 0);
    date_format(due, a->refund_due_on, sizeof a->refund_due_on);
    provision_due = date_parse(r->accounts_approved_on, &approved);
    if (provision_due) {
      provision_due_day = deposit_provision_due(approved);
      date_format(provision_due_day, a->provision_due_on, sizeof a->provision_due_on);
    }
    if (a->balance == 0) {
      bool later = date_parse(r->last_moved_on, &moved) && date_compare(moved, exit) > 0;
      date_format(later ? moved : exit, a->settled_on, sizeof a->settled_on);
    }
    /* the money beyond the provision is late until the balance fell to it */
    if (a->provision == 0 && a->balance == 0)
      memcpy(a->first_part_until, a->settled_on, sizeof a->settled_on);
    else if (a->provision == 0 || a->balance > a->provision)
      date_format(today, a->first_part_until, sizeof a->first_part_until);
    else if (r->first_part_until != NULL)
      snprintf(a->first_part_until, sizeof a->first_part_until, "%s", r->first_part_until);
  }
  if (a->runs)
    a->status = a->balance > 0 ? "held" : paid > 0 ? "settled" : "not_paid";
  else if (a->balance == 0)
    a->status = "settled";
  else if ((a->balance > a->provision && date_compare(today, due) > 0) ||
           (provision_due && date_compare(today, provision_due_day) > 0))
    a->status = "overdue";
  else
    a->status = "outstanding";
}

static const char *or_null(const char *text) { return text[0] != '\0' ? text : NULL; }

/* The placement of status row R and its deposit account A, into W. */
static void write_placement_and_deposit(struct jw *w, const struct person_status_row *r,
                                        const struct status_account *a, struct date today) {
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
  char provision[24];
  snprintf(provision, sizeof provision, "%lld", (long long)a->provision);
  struct deposit_penalty_texts t = {r->unit_rent_cents,         or_null(a->refund_due_on),
                                    or_null(a->first_part_until), a->exited ? provision : NULL,
                                    or_null(a->provision_due_on), or_null(a->settled_on)};
  struct deposit_penalty pen = deposit_penalty_of_texts(&t, today);
  int64_t unpaid = pen.penalty_cents - a->received - a->waived;
  jw_key(w, "deposit");
  jw_object_begin(w);
  jw_key_integer(w, "balance_cents", a->balance);
  jw_key_string(w, "currency", "EUR");
  jw_key_string(w, "status", a->status);
  jw_key_string(w, "refund_due_on", or_null(a->refund_due_on));
  jw_key_integer(w, "months_late", pen.months_late);
  jw_key_integer(w, "penalty_cents", pen.penalty_cents);
  jw_key_integer(w, "penalty_unpaid_cents", unpaid > 0 ? unpaid : 0);
  /* the second due date of a co-owned building's provision, once the accounts are approved */
  jw_key_integer(w, "provision_cents", a->provision);
  jw_key_string(w, "provision_due_on", a->provision > 0 ? or_null(a->provision_due_on) : NULL);
  jw_object_end(w);
}

/* Row I of RES (the status row) as the API's PersonStatus, written into W. */
static bool status_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)version;
  struct person_status_row r;
  if (!db_row(res, i, &r))
    return false;
  struct date today = date_today();
  struct status_account account;
  status_account(&r, today, &account);
  if (!account.runs) /* an ended placement's rent, review and sliding step no longer show */
    r.rent_status = r.arrears_cents = r.rent_as_of = r.next_review_on = r.last_tripartite_on =
        r.tripartite_review_on = r.prefect_notice_due_on = r.prefect_notice_sent_on = NULL;
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
    jw_key_timestamp(w, "submitted_at", r.submitted_at);
    jw_object_end(w);
  }
  jw_key(w, "last_decision");
  if (r.outcome == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    jw_key_string(w, "outcome", r.outcome);
    jw_key_string(w, "refusal_reason", r.refusal_reason);
    jw_key_timestamp(w, "decided_at", r.decided_at);
    jw_key_string(w, "session_date", r.session_date);
    jw_object_end(w);
  }
  if (r.placement_id != NULL) {
    write_placement_and_deposit(w, &r, &account, today);
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
  if (!write_open_incidents(w, &r, reader, account.runs))
    return false;
  jw_key_string(w, "next_review_on", r.next_review_on);
  if (!write_arrears_plans(w, &r, account.runs, today))
    return false;
  jw_object_end(w);
  return true;
}

enum MHD_Result api_people_status(struct request *rq) {
  PGresult *res;
  enum db_status s = db_person_status(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, false, &res);
  struct person_status_row r;
  if (s == DB_ROW && db_row(res, 0, &r) && status_needs_first_part(&r)) {
    PQclear(res);
    s = db_person_status(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, true, &res);
  }
  return reply_read_of(rq, s, res, "No such person.", status_write);
}
