/* Rent arrears repayment plans: a rent arrears incident may carry one plan (a total in integer cents, instalments
 * with due dates summing exactly to it), and the payments the landlord, the curator or the coordinator record.
 * Its state is computed by date (the arrears_plan_states view of migrations/0014): paid_off once the payments
 * reach the total, late when an instalment due before today is not covered, else on_track; a late plan goes on
 * the next session's agenda. Not health data: the coordinator, the person's curator and the unit's landlord see
 * it (RES_ARREARS_PLAN); caregivers and observers do not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "dates.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "write.h"

#define MONEY_MAX 100000000
#define INSTALMENTS_MAX 120

/* A plan as the API's ArrearsPlan; NULL when it cannot be built. */
static json_t *plan_json(const struct arrears_plan_row *r) {
  json_t *instalments = r->instalments != NULL ? json_loads(r->instalments, 0, NULL) : json_array();
  json_t *payments = r->payments != NULL ? json_loads(r->payments, 0, NULL) : json_array();
  if (instalments == NULL || payments == NULL) {
    json_decref(instalments);
    json_decref(payments);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                   "s:o}",
                   "id", json_of_text(r->id), "incident_id", json_of_text(r->incident_id), "placement_id",
                   json_of_text(r->placement_id), "person", "family_name", json_of_text(r->family_name),
                   "given_names", json_of_text(r->given_names), "unit", "label", json_of_text(r->unit_label), "town",
                   json_of_text(r->unit_town), "currency", "EUR", "total_cents", json_of_int(r->total_cents),
                   "paid_cents", json_of_int(r->paid_cents), "due_cents", json_of_int(r->due_cents), "state",
                   json_of_text(r->state), "next_due_on", json_of_text(r->next_due_on), "next_due_cents",
                   json_of_int(r->next_due_cents), "instalments", instalments, "payments", payments,
                   "created_by_role", json_of_text(r->created_by_role), "created_at", json_of_text(r->created_at));
}

static bool plan_out(const PGresult *res, int i, struct write_out *out) {
  struct arrears_plan_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = plan_json(&r);
  return out->body != NULL;
}

/* The incident's plan as the caller sees it, into OUT, with its Location. */
static enum db_status plan_read(struct db *db, struct request *rq, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_arrears_plan_get(db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  bool ok = s == DB_ROW && plan_out(res, 0, out);
  PQclear(res);
  if (!ok)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(out->location, sizeof out->location, "/v1/incidents/%s/arrears-plan", rq->args[0]);
  return DB_ROW;
}

/* The incident of the path, locked, in the caller's scope: DB_ROW with its kind and plan id, or a refusal. */
static enum db_status incident_locked(struct db *db, struct request *rq, struct write_out *out, char kind[32],
                                      char plan_id[UUID_STR_LEN]) {
  PGresult *res;
  enum db_status s = db_arrears_incident(db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  struct arrears_incident_row r;
  if (s == DB_ROW && (!db_row(res, 0, &r) || r.kind == NULL))
    s = DB_HARD_ERROR;
  if (s == DB_ROW) {
    snprintf(kind, 32, "%s", r.kind);
    snprintf(plan_id, UUID_STR_LEN, "%s", r.plan_id != NULL ? r.plan_id : "");
  }
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such incident.");
  return s;
}

enum { F_TOTAL, F_INSTALMENTS };

static const struct field_spec plan_spec[] = {
  [F_TOTAL] = {"total_cents", FIELD_INT, FIELD_REQUIRED, 1, MONEY_MAX, NULL},
  [F_INSTALMENTS] = {"instalments", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL}, /* checked by instalments_parse() */
};

const struct body_spec arrears_plan_create_body = {plan_spec, FIELDS_COUNT(plan_spec)};

/* The instalments as array literals (DUE_DATES, AMOUNTS: malloc'ed), each checked: 1 to 120 objects {due_on,
 * amount_cents}, amounts summing exactly to TOTAL. False with the 422 queued (*RET) otherwise. */
struct instalments {
  char *due_dates, *amounts;
};

static bool instalments_parse(struct request *rq, json_t *list, long long total, struct instalments *out,
                              enum MHD_Result *ret) {
  out->due_dates = out->amounts = NULL;
  size_t n = json_is_array(list) ? json_array_size(list) : 0;
  if (n < 1 || n > INSTALMENTS_MAX) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/instalments",
                               "must be an array of 1 to 120 instalments {due_on, amount_cents}");
    return false;
  }
  out->due_dates = malloc(n * 11 + 3);
  out->amounts = malloc(n * 21 + 3);
  if (out->due_dates == NULL || out->amounts == NULL) {
    free(out->due_dates);
    free(out->amounts);
    out->due_dates = out->amounts = NULL;
    *ret = reply_problem(rq, ERR_INTERNAL, NULL);
    return false;
  }
  size_t dl = 0, al = 0;
  long long sum = 0;
  out->due_dates[dl++] = '{';
  out->amounts[al++] = '{';
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_array_get(list, i);
    json_t *due = json_object_get(it, "due_on"), *amount = json_object_get(it, "amount_cents");
    struct date d;
    char field[48];
    const char *why = NULL;
    if (!json_is_object(it) || json_object_size(it) != 2 || !json_is_string(due) || !json_is_integer(amount))
      why = "must be an object {due_on, amount_cents} and nothing else";
    else if (!date_parse(json_string_value(due), &d))
      why = "due_on must be a date YYYY-MM-DD";
    else if (json_integer_value(amount) < 1 || json_integer_value(amount) > MONEY_MAX)
      why = "amount_cents must be 1 to 100000000";
    if (why != NULL) {
      free(out->due_dates);
      free(out->amounts);
      out->due_dates = out->amounts = NULL;
      snprintf(field, sizeof field, "/instalments/%zu", i);
      *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, field, why);
      return false;
    }
    sum += json_integer_value(amount);
    char text[11];
    date_format(d, text, sizeof text);
    dl += (size_t)snprintf(out->due_dates + dl, 12, "%s%s", i ? "," : "", text);
    al += (size_t)snprintf(out->amounts + al, 22, "%s%lld", i ? "," : "", (long long)json_integer_value(amount));
  }
  out->due_dates[dl++] = '}';
  out->due_dates[dl] = '\0';
  out->amounts[al++] = '}';
  out->amounts[al] = '\0';
  if (sum != total) {
    free(out->due_dates);
    free(out->amounts);
    out->due_dates = out->amounts = NULL;
    char reason[120];
    snprintf(reason, sizeof reason, "the amounts sum to %lld cents, not total_cents (%lld)", sum, total);
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/instalments", reason);
    return false;
  }
  return true;
}

struct plan_create {
  char total[24];
  struct instalments inst;
};

static enum db_status plan_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct plan_create *c = cls;
  const struct principal *p = &rq->principal;
  char kind[32], plan_id[UUID_STR_LEN];
  enum db_status s = incident_locked(db, rq, out, kind, plan_id);
  if (s != DB_ROW)
    return s;
  if (strcmp(kind, "rent_arrears") != 0)
    return write_refuse_with(out, ERR_INVALID_STATE, "Only a rent arrears incident carries a repayment plan.",
                             json_pack("{s:s}", "kind", kind));
  if (plan_id[0] != '\0')
    return write_refuse_with(out, ERR_CONFLICT, "The incident already has a repayment plan.",
                             json_pack("{s:s}", "plan_id", plan_id));
  struct arrears_plan_fields f = {.total_cents = c->total, .due_dates = c->inst.due_dates,
                                  .amounts = c->inst.amounts};
  s = db_arrears_plan_insert(db, p->commission_id, rq->args[0], &f, p->token_id, role_name(p->role), plan_id);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  return plan_read(db, rq, out);
}

/* POST /v1/incidents/{id}/arrears-plan: the plan of a rent arrears incident (Idempotency-Key). */
enum MHD_Result api_arrears_plan_create(struct request *rq) {
  const struct field_value *v = rq->fields;
  struct plan_create c;
  enum MHD_Result ret;
  snprintf(c.total, sizeof c.total, "%lld", v[F_TOTAL].i);
  if (!instalments_parse(rq, json_object_get(rq->json, "instalments"), v[F_TOTAL].i, &c.inst, &ret))
    return ret;
  ret = creation_run(rq, plan_body, &c);
  free(c.inst.due_dates);
  free(c.inst.amounts);
  return ret;
}

enum MHD_Result api_arrears_plan_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_arrears_plan_get(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  if (s < 0)
    return reply_db_error(rq);
  struct write_out out = {0};
  bool built = s == DB_ROW && plan_out(res, 0, &out);
  PQclear(res);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such incident, or it has no repayment plan.");
  out.version = -1;
  return write_out_reply(rq, MHD_HTTP_OK, &out, built, NULL);
}

enum { P_DATE, P_AMOUNT };

static const struct field_spec payment_spec[] = {
  [P_DATE] = {"paid_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [P_AMOUNT] = {"amount_cents", FIELD_INT, FIELD_REQUIRED, 1, MONEY_MAX, NULL},
};

const struct body_spec arrears_payment_create_body = {payment_spec, FIELDS_COUNT(payment_spec)};

/* A payment on the plan (the incident locked: payments on one plan are serialized); never past the total. */
static enum db_status payment_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  char kind[32], plan_id[UUID_STR_LEN];
  enum db_status s = incident_locked(db, rq, out, kind, plan_id);
  if (s != DB_ROW)
    return s;
  if (plan_id[0] == '\0')
    return write_refuse(out, ERR_NOT_FOUND, "The incident has no repayment plan.");
  PGresult *res;
  s = db_arrears_plan_get(db, p->commission_id, rq->args[0], &rq->access, &res);
  struct arrears_plan_row r;
  if (s == DB_ROW && !db_row(res, 0, &r))
    s = DB_HARD_ERROR;
  long long total = s == DB_ROW ? strtoll(r.total_cents, NULL, 10) : 0;
  long long paid = s == DB_ROW ? strtoll(r.paid_cents, NULL, 10) : 0;
  PQclear(res);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  if (paid + v[P_AMOUNT].i > total)
    return write_refuse_with(out, ERR_CONFLICT, "This payment would pay more than the plan's total.",
                             json_pack("{s:I, s:I, s:[{s:s, s:s}]}", "total_cents", (json_int_t)total, "paid_cents",
                                       (json_int_t)paid, "errors", "field", "/amount_cents", "reason",
                                       "must not exceed what remains to pay"));
  char amount[24], id[UUID_STR_LEN];
  snprintf(amount, sizeof amount, "%lld", v[P_AMOUNT].i);
  s = db_arrears_payment_insert(db, p->commission_id, plan_id, v[P_DATE].s, amount, p->token_id, role_name(p->role),
                                id);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  return plan_read(db, rq, out);
}

/* POST /v1/incidents/{id}/arrears-plan/payments: a payment recorded by the landlord, the curator or the
 * coordinator; an Idempotency-Key is required, so that a retry never counts a payment twice. */
enum MHD_Result api_arrears_payment_create(struct request *rq) {
  struct date d;
  if (!date_parse(rq->fields[P_DATE].s, &d) || date_compare(d, date_today()) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/paid_on", "must not be in the future");
  if (request_header(rq, "Idempotency-Key") == NULL)
    return reply_field_problem(rq, ERR_PRECONDITION_REQUIRED, "header:Idempotency-Key",
                               "is required to record a payment, so that a retry never counts it twice");
  return creation_run(rq, payment_body, NULL);
}

/* GET /v1/arrears-plans?state=on_track|late|paid_off: the plans the caller sees, oldest first. */
enum MHD_Result api_arrears_plans_list(struct request *rq) {
  static const char *const query[] = {"state", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *state = request_query(rq, "state");
  if (state != NULL && strcmp(state, "on_track") != 0 && strcmp(state, "late") != 0 &&
      strcmp(state, "paid_off") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:state", "must be on_track, late or paid_off");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_arrears_plan_list(rq->db, rq->principal.commission_id, &rq->access, state, page.after[0],
                                          page.after[1], page.limit, &res);
  return reply_list(rq, &page, s, res, plan_out, (const char *const[]){"cursor_at", "id"}, 2);
}
