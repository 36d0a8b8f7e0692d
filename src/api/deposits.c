/* Deposits (cautions): each placement's account is an append-only ledger in integer cents — paid to the
 * landlord, refunded, deducted (with a justification), written off, or a reversal pointing at the entry it
 * cancels. The balance is derived, never negative (the database checks it). After an exit the refund is due
 * within the legal delay; once overdue, the landlord's penalty is computed (src/domain/deposit.c). Posting an
 * entry requires an Idempotency-Key, so a retried request never pays twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "deposit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

/* One ledger entry as the API's DepositEntry, into W. */
static void entry_write(struct jw *w, const struct deposit_entry_row *e) {
  jw_object_begin(w);
  jw_key_string(w, "id", e->id);
  jw_key_string(w, "kind", e->kind);
  jw_key_int(w, "amount_cents", e->amount_cents);
  jw_key_int(w, "effect_cents", e->effect_cents);
  jw_key_string(w, "entry_date", e->entry_date);
  jw_key_string(w, "justification", e->justification);
  jw_key_string(w, "reverses_entry_id", e->reverses_entry_id);
  jw_key_string(w, "recorded_by_role", e->role);
  jw_key_string(w, "created_at", e->created_at);
  jw_object_end(w);
}

/* The penalty figures of account R (loi n° 89-462 art. 22, src/domain/deposit.c): accrued from the refund's due
 * date until the money beyond any provision was back (first_part_until: the settlement day without a provision),
 * and from the provision's due date (co-owned building, accounts approved) until the account was settled, or
 * until today while money is still held. */
static struct deposit_penalty_figures account_penalty(const struct deposit_account_row *r, int *months_late) {
  struct deposit_penalty_texts t = {r->rent_cents,      r->refund_due_on,    r->first_part_until,
                                    r->provision_cents, r->provision_due_on, r->settled_on};
  struct deposit_penalty p = deposit_penalty_of_texts(&t, date_today());
  *months_late = p.months_late;
  struct deposit_penalty_figures f = {0, 0, 0, 0};
  f.accrued = p.penalty_cents;
  f.claimed = r->penalty_claimed_cents != NULL ? strtoll(r->penalty_claimed_cents, NULL, 10) : 0;
  f.received = r->penalty_received_cents != NULL ? strtoll(r->penalty_received_cents, NULL, 10) : 0;
  f.waived = r->penalty_waived_cents != NULL ? strtoll(r->penalty_waived_cents, NULL, 10) : 0;
  return f;
}

/* The lease's deposit clause and the provision of account R, into W: who the refund goes to (Cass. 3e civ.,
 * 14 June 2006: the tenant, unless the lease says the association), a warning when the association advanced a
 * deposit whose refund is not recorded to come back to it, and the provision of a co-owned building. */
static void account_lease_and_provision(struct jw *w, const struct deposit_account_row *r) {
  const char *clause = r->refund_to_association;
  int64_t paid = r->paid_cents != NULL ? strtoll(r->paid_cents, NULL, 10) : 0;
  int64_t provision = r->provision_cents != NULL ? strtoll(r->provision_cents, NULL, 10) : 0;
  jw_key_bool(w, "co_owned", r->co_owned);
  jw_key(w, "provision");
  if (provision <= 0) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    jw_key_integer(w, "amount_cents", provision);
    jw_key_integer(w, "max_cents", deposit_provision_max(paid));
    jw_key_string(w, "justification", r->provision_justification);
    jw_key_string(w, "accounts_approved_on", r->accounts_approved_on);
    jw_object_end(w);
  }
  jw_key_string(w, "provision_due_on", provision > 0 ? r->provision_due_on : NULL);
  jw_key_string(w, "lease", r->lease);
  jw_key_bool(w, "refund_to_association", clause);
  jw_key_string(w, "refund_to", clause == NULL ? NULL : strcmp(clause, "t") == 0 ? "association" : "tenant");
  jw_key(w, "warnings");
  jw_array_begin(w);
  const char *code = NULL, *message = NULL;
  if (paid > 0 && clause == NULL) {
    code = "refund_clause_not_recorded";
    message = "The lease's deposit clause is not recorded: without a clause refunding the association, the refund "
              "goes to the tenant.";
  } else if (paid > 0 && strcmp(clause, "f") == 0) {
    code = "refund_goes_to_tenant";
    message = "The lease has no clause refunding the association: the deposit it advanced will be refunded to the "
              "tenant.";
  }
  if (code != NULL) {
    jw_object_begin(w);
    jw_key_string(w, "code", code);
    jw_key_string(w, "message", message);
    jw_object_end(w);
  }
  jw_array_end(w);
}

/* Account R as the API's DepositAccount into W, its object left open for the ledger ("entries") when the account
 * is shown with it: the caller ends it. */
static void account_write_open(struct jw *w, const struct deposit_account_row *r) {
  int months_late;
  struct deposit_penalty_figures pen = account_penalty(r, &months_late);
  int64_t unpaid = pen.accrued - pen.received - pen.waived;
  jw_object_begin(w);
  jw_key_string(w, "placement_id", r->placement_id);
  write_person_names(w, r->family_name, r->given_names);
  jw_key_string(w, "unit_id", r->unit_id);
  jw_key_string(w, "landlord_org_id", r->landlord_org_id);
  jw_key_string(w, "currency", "EUR");
  jw_key_int(w, "expected_cents", r->expected_cents);
  jw_key_int(w, "balance_cents", r->balance_cents);
  jw_key_int(w, "paid_cents", r->paid_cents);
  jw_key_int(w, "refunded_cents", r->refunded_cents);
  jw_key_int(w, "deducted_cents", r->deducted_cents);
  jw_key_int(w, "written_off_cents", r->written_off_cents);
  jw_key_string(w, "status", r->status);
  jw_key_string(w, "move_in_date", r->move_in_date);
  jw_key_string(w, "exit_date", r->exit_date);
  jw_key_bool(w, "exit_inspection_matches", r->exit_inspection_matches);
  jw_key_string(w, "refund_due_on", r->refund_due_on);
  jw_key_integer(w, "months_late", months_late);
  jw_key_integer(w, "penalty_cents", pen.accrued);
  jw_key_string(w, "settled_on", r->settled_on);
  jw_key_integer(w, "penalty_claimed_cents", pen.claimed);
  jw_key_integer(w, "penalty_received_cents", pen.received);
  jw_key_integer(w, "penalty_waived_cents", pen.waived);
  jw_key_integer(w, "penalty_unpaid_cents", unpaid > 0 ? unpaid : 0);
  account_lease_and_provision(w, r);
}

/* Row I of RES (DEPOSIT_ACCOUNT_ROW) as a list's item: the account without its ledger. */
static bool account_item_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)reader;
  (void)version;
  struct deposit_account_row r;
  if (!db_row(res, i, &r))
    return false;
  account_write_open(w, &r);
  jw_object_end(w);
  return true;
}

/* The text W holds into OUT's answer; false when an allocation failed. */
static bool account_out(struct jw *w, struct write_out *out) {
  free(out->text);
  out->text = jw_finish(w, &out->text_len);
  out->version = -1;
  return out->text != NULL;
}

/* The account of PLACEMENT with its ledger, as JSON text, into OUT; DB_NO_ROW when it is out of SCOPE. */
static enum db_status load_account(struct db *db, const char *commission_id, const char *placement,
                                   const struct access *scope, struct write_out *out) {
  PGresult *res, *entries;
  enum db_status s = db_deposit_account(db, commission_id, placement, scope, &res);
  if (s <= 0) {
    PQclear(res);
    return s;
  }
  s = db_deposit_entries(db, commission_id, placement, &entries);
  if (s < 0) {
    PQclear(res);
    return s;
  }
  struct deposit_account_row r;
  struct deposit_entry_row e;
  struct jw w;
  jw_init(&w, 2048);
  bool ok = db_row(res, 0, &r);
  if (ok) {
    account_write_open(&w, &r);
    jw_key(&w, "entries");
    jw_array_begin(&w);
    for (int i = 0; ok && i < PQntuples(entries); i++) {
      ok = db_row(entries, i, &e);
      if (ok)
        entry_write(&w, &e);
    }
    jw_array_end(&w);
    jw_object_end(&w);
  }
  ok = account_out(&w, out) && ok;
  PQclear(res);
  PQclear(entries);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_deposit_get(struct request *rq) {
  struct write_out out = {0};
  enum db_status s = load_account(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, &out);
  if (s < 0) {
    free(out.text);
    return reply_db_error(rq);
  }
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  return write_out_reply(rq, MHD_HTTP_OK, &out, true, NULL);
}

static const char *const kinds[] = {"paid",           "refunded",         "deducted",       "written_off",
                                    "reversal",       "penalty_claimed",  "penalty_received", "penalty_waived",
                                    NULL};

enum { F_KIND, F_AMOUNT, F_DATE, F_JUSTIFICATION, F_REVERSES };

static const struct field_spec entry_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
  [F_AMOUNT] = {"amount_cents", FIELD_INT, 0, 1, 100000000, NULL},
  [F_DATE] = {"entry_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_JUSTIFICATION] = {"justification", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_REVERSES] = {"reverses_entry_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
};

const struct body_spec deposit_entry_create_body = {entry_spec, FIELDS_COUNT(entry_spec)};

/* The answer of a posted entry from RES (db_deposit_entry_post(): the account, then its ledger's rows) into OUT's
 * text, the new entry into *POSTED (the audit's object); false when it cannot be built. */
static bool posted_account(const PGresult *res, struct write_out *out, char posted[UUID_STR_LEN]) {
  struct deposit_account_row r;
  struct deposit_entry_row e;
  const char *id = NULL;
  if (PQntuples(res) < 1 || !db_deposit_posted_row(res, 0, &r, &e, &id) || id == NULL)
    return false;
  snprintf(posted, UUID_STR_LEN, "%s", id);
  struct jw w;
  jw_init(&w, 2048);
  account_write_open(&w, &r);
  jw_key(&w, "entries");
  jw_array_begin(&w);
  bool ok = true;
  struct deposit_account_row none; /* the ledger's rows leave the account's columns null */
  for (int i = 1; ok && i < PQntuples(res); i++) {
    ok = db_deposit_posted_row(res, i, &none, &e, &id);
    if (ok)
      entry_write(&w, &e);
  }
  jw_array_end(&w);
  jw_object_end(&w);
  return account_out(&w, out) && ok;
}

/* Records the entry (CLS: the request, which passed deposit_entry_allowed()) on the placement, in the caller's
 * scope (the same as its deposit's); the body is the account as it now stands. A payment, refund, deduction or
 * write-off is one statement (scope check, insert, the account and its ledger read back: one round trip); a
 * penalty entry reads the account first, a reversal the entry it reverses. */
static enum db_status entry_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct deposit_entry_request *e = cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *placement = rq->args[0];
  bool penalty = e->kind == DEPOSIT_PENALTY_CLAIMED || e->kind == DEPOSIT_PENALTY_RECEIVED ||
                 e->kind == DEPOSIT_PENALTY_WAIVED;
  PGresult *res;
  enum db_status s;
  if (penalty || e->kind == DEPOSIT_REVERSAL) {
    /* A penalty entry is checked against the account: the placement is locked first, so two such entries on one
     * deposit are serialized. */
    s = db_placement_get(db, p->commission_id, placement, &rq->access, penalty, &res);
    PQclear(res);
    if (s == DB_NO_ROW)
      return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
    if (s < 0)
      return s;
  }
  if (penalty) {
    s = db_deposit_account(db, p->commission_id, placement, &rq->access, &res);
    struct deposit_account_row r;
    if (s == DB_ROW && !db_row(res, 0, &r))
      s = DB_HARD_ERROR;
    int months_late;
    struct deposit_penalty_figures figures = {0, 0, 0, 0};
    if (s == DB_ROW)
      figures = account_penalty(&r, &months_late);
    PQclear(res);
    if (s <= 0)
      return s < 0 ? s : DB_HARD_ERROR;
    struct deposit_refusal why;
    if (!deposit_penalty_entry_allowed((enum deposit_entry_kind)e->kind, e->amount_cents, &figures, &why))
      return write_refuse_with(out, ERR_CONFLICT, why.reason,
                               json_pack("{s:I, s:I, s:I, s:I, s:[{s:s, s:s}]}", "penalty_cents",
                                         (json_int_t)figures.accrued, "penalty_claimed_cents",
                                         (json_int_t)figures.claimed, "penalty_received_cents",
                                         (json_int_t)figures.received, "penalty_waived_cents",
                                         (json_int_t)figures.waived, "errors", "field", why.field, "reason",
                                         why.reason));
  }
  enum deposit_entry_kind reversed_kind = DEPOSIT_PAID;
  int64_t amount = e->has_amount ? e->amount_cents : 0;
  const char *reverses = patch_pick(&v[F_REVERSES], NULL);
  if (e->kind == DEPOSIT_REVERSAL) {
    char kind[16];
    long long reversed_amount;
    s = db_deposit_entry(db, p->commission_id, placement, reverses, kind, &reversed_amount);
    if (s == DB_NO_ROW)
      return write_refuse_field(out, ERR_VALIDATION_FAILED, "/reverses_entry_id", "is not an entry of this deposit");
    if (s < 0)
      return s;
    reversed_kind = (enum deposit_entry_kind)deposit_entry_kind_parse(kind);
    struct deposit_refusal why;
    if (!deposit_reversal_allowed(e, reversed_kind, reversed_amount, &amount, &why))
      return write_refuse_field(out, ERR_VALIDATION_FAILED, why.field, why.reason);
  }
  char amount_text[24], effect_text[24], id[UUID_STR_LEN];
  snprintf(amount_text, sizeof amount_text, "%lld", (long long)amount);
  snprintf(effect_text, sizeof effect_text, "%lld",
           (long long)deposit_effect((enum deposit_entry_kind)e->kind, amount, reversed_kind));
  struct deposit_entry_fields f = {.kind = v[F_KIND].s, .amount_cents = amount_text, .effect_cents = effect_text,
                                   .entry_date = v[F_DATE].s, .justification = patch_pick(&v[F_JUSTIFICATION], NULL),
                                   .reverses_entry_id = reverses};
  s = db_deposit_entry_post(db, p->commission_id, placement, &rq->access, &f, p->token_id, role_name(p->role), &res);
  if (s < 0 && strcmp(db_sqlstate(db), "23514") == 0 &&
      strcmp(db_constraint(db), "deposit_balance_not_negative") == 0)
    return write_refuse(out, ERR_CONFLICT, "This entry would make the deposit balance negative.");
  if (s < 0 && strcmp(db_sqlstate(db), "23505") == 0)
    return write_refuse(out, ERR_CONFLICT, "This entry has already been reversed.");
  if (s == DB_NO_ROW) {
    PQclear(res);
    return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
  }
  bool built = s == DB_ROW && posted_account(res, out, id);
  PQclear(res);
  if (s < 0)
    return s;
  if (!built)
    return DB_HARD_ERROR;
  audit_created(rq, "deposit_entries", id);
  snprintf(out->location, sizeof out->location, "/v1/placements/%s/deposit", placement);
  return DB_ROW;
}

/* POST /v1/placements/{id}/deposit/entries. The coordinator records any entry; a landlord, on its units'
 * placements, records refunds and deductions. */
enum MHD_Result api_deposit_entry_create(struct request *rq) {
  const struct field_value *v = rq->fields;
  struct deposit_entry_request e = {
    .kind = deposit_entry_kind_parse(v[F_KIND].s), .has_amount = v[F_AMOUNT].present,
    .amount_cents = v[F_AMOUNT].i, .justified = v[F_JUSTIFICATION].present && !v[F_JUSTIFICATION].null,
    .reverses = v[F_REVERSES].present && !v[F_REVERSES].null};
  struct deposit_refusal why;
  if (!date_parse(v[F_DATE].s, &e.entry_date))
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/entry_date", "must be a date YYYY-MM-DD");
  if (!deposit_entry_allowed(&e, rq->principal.role == ROLE_LANDLORD, date_today(), &why))
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, why.field, why.reason);
  if (request_header(rq, "Idempotency-Key") == NULL)
    return reply_field_problem(rq, ERR_PRECONDITION_REQUIRED, "header:Idempotency-Key",
                               "is required to post a deposit entry, so that a retry never pays twice");
  return creation_run(rq, entry_body, &e);
}

/* GET /v1/deposits?status=...: the accounts the caller may see, by status (held, not_paid, outstanding,
 * overdue, settled) or with a penalty unpaid (penalty_unpaid), without their ledgers. */
enum MHD_Result api_deposits_list(struct request *rq) {
  static const char *const query[] = {"status", "landlord_org_id", "limit", "cursor", NULL};
  /* penalty_unpaid is not a status of its own: the accounts of any status whose late-refund penalty is not
   * paid or waived in full. */
  static const char *const statuses[] = {"not_paid", "held", "outstanding", "overdue", "settled", "penalty_unpaid",
                                         NULL};
  static const enum cursor_key keys[] = {KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL) {
    size_t i = 0;
    while (statuses[i] != NULL && strcmp(statuses[i], status) != 0)
      i++;
    if (statuses[i] == NULL)
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                                 "must be one of not_paid, held, outstanding, overdue, settled, penalty_unpaid");
  }
  const char *landlord = request_query(rq, "landlord_org_id");
  if (landlord != NULL && !valid_uuid(landlord))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:landlord_org_id", "must be a UUID");
  if (!param_page(rq, &page, 1, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_deposit_account_list(rq->db, rq->principal.commission_id, &rq->access, status, landlord,
                                             page.after[0], page.limit, &res);
  static const char *const cursor[] = {"placement_id"};
  return reply_list_of(rq, &page, s, res, account_item_write, cursor, 1);
}

/* One landlord's (or all landlords') figures of the deposit report. */
static json_t *report_json(const struct deposit_report_row *r) {
  json_t *row = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "accounts", json_of_int(r->accounts),
                   "paid_cents", json_of_int(r->paid_cents), "held_cents", json_of_int(r->held_cents),
                   "refunded_cents", json_of_int(r->refunded_cents), "deducted_cents", json_of_int(r->deducted_cents),
                   "written_off_cents", json_of_int(r->written_off_cents), "overdue_accounts",
                   json_of_int(r->overdue_accounts), "overdue_held_cents", json_of_int(r->overdue_held_cents),
                   "outstanding_accounts", json_of_int(r->outstanding_accounts), "currency", "EUR");
  json_t *penalties = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "accrued_cents",
                                json_of_int(r->penalty_accrued_cents), "claimed_cents",
                                json_of_int(r->penalty_claimed_cents), "received_cents",
                                json_of_int(r->penalty_received_cents), "waived_cents",
                                json_of_int(r->penalty_waived_cents), "unpaid_cents", json_of_int(r->penalty_unpaid_cents),
                                "unpaid_accounts", json_of_int(r->penalty_unpaid_accounts));
  if (row == NULL || penalties == NULL || json_object_set_new(row, "penalties", penalties) != 0) {
    json_decref(row);
    return NULL;
  }
  return row;
}

/* GET /v1/reports/deposits: totals per landlord and in all, for the coordinator and observers. */
enum MHD_Result api_report_deposits(struct request *rq) {
  PGresult *res;
  enum db_status s = db_deposit_report(rq->db, rq->principal.commission_id, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *landlords = json_array(), *total = NULL;
  for (int i = 0; landlords != NULL && i < PQntuples(res); i++) {
    struct deposit_report_row r;
    json_t *row = db_row(res, i, &r) ? report_json(&r) : NULL;
    if (row != NULL && r.landlord_org_id == NULL && total == NULL) {
      total = row;
    } else {
      if (row != NULL && (json_object_set_new(row, "landlord_org_id", json_of_text(r.landlord_org_id)) != 0 ||
                          json_object_set_new(row, "landlord_name", json_of_text(r.landlord_name)) != 0)) {
        json_decref(row);
        row = NULL;
      }
      landlords = items_append(landlords, row);
    }
  }
  PQclear(res);
  if (landlords != NULL && total == NULL)
    total = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
                      "accounts", 0, "paid_cents", 0,
                      "held_cents", 0, "refunded_cents", 0, "deducted_cents", 0, "written_off_cents", 0,
                      "overdue_accounts", 0, "overdue_held_cents", 0, "outstanding_accounts", 0, "currency", "EUR",
                      "penalties", "accrued_cents", 0, "claimed_cents", 0, "received_cents", 0, "waived_cents", 0,
                      "unpaid_cents", 0, "unpaid_accounts", 0);
  if (landlords == NULL || total == NULL) {
    json_decref(landlords);
    json_decref(total);
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  }
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "landlords", landlords, "total", total), NULL);
}

enum { V_AMOUNT, V_JUSTIFICATION, V_APPROVED };

static const struct field_spec provision_spec[] = {
  [V_AMOUNT] = {"amount_cents", FIELD_INT, FIELD_REQUIRED, 1, 100000000, NULL},
  [V_JUSTIFICATION] = {"justification", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL},
  [V_APPROVED] = {"accounts_approved_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

const struct body_spec deposit_provision_body = {provision_spec, FIELDS_COUNT(provision_spec)};

/* Records the provision kept on the placement's deposit (the placement locked first, so it is serialized with the
 * ledger's entries): only after the exit, on a unit in a co-owned building, at most 20 % of the deposit paid, the
 * accounts approved (if they were) on or after the exit. The body is the account as it now stands. */
static enum db_status provision_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *placement = rq->args[0];
  PGresult *res;
  enum db_status s = db_placement_get(db, p->commission_id, placement, &rq->access, true, &res);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
  if (s < 0)
    return s;
  s = db_deposit_account(db, p->commission_id, placement, &rq->access, &res);
  struct deposit_account_row r;
  if (s == DB_ROW && !db_row(res, 0, &r))
    s = DB_HARD_ERROR;
  bool ended = s == DB_ROW && r.exit_date != NULL;
  bool co_owned = s == DB_ROW && r.co_owned != NULL && strcmp(r.co_owned, "t") == 0;
  int64_t max = s == DB_ROW && r.paid_cents != NULL ? deposit_provision_max(strtoll(r.paid_cents, NULL, 10)) : 0;
  char exit_date[11] = "";
  if (ended)
    snprintf(exit_date, sizeof exit_date, "%s", r.exit_date);
  PQclear(res);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  if (!co_owned)
    return write_refuse_with(out, ERR_INVALID_STATE,
                             "Only the landlord of a unit in a co-owned building keeps a provision (art. 22).",
                             json_pack("{s:b}", "co_owned", 0));
  if (!ended)
    return write_refuse_with(out, ERR_INVALID_STATE, "A provision is kept at the exit: the placement has not ended.",
                             json_pack("{s:s}", "current_status", "active"));
  if (v[V_AMOUNT].i > max)
    return write_refuse_with(out, ERR_VALIDATION_FAILED, "The provision is at most 20 % of the deposit paid.",
                             json_pack("{s:I, s:[{s:s, s:s}]}", "max_cents", (json_int_t)max, "errors", "field",
                                       "/amount_cents", "reason", "must not exceed 20 % of the deposit paid"));
  const char *approved = patch_pick(&v[V_APPROVED], NULL);
  if (approved != NULL && strcmp(approved, exit_date) < 0)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/accounts_approved_on",
                              "must not be before the exit: the provision is kept until the next approval");
  char amount[24];
  snprintf(amount, sizeof amount, "%lld", v[V_AMOUNT].i);
  struct deposit_provision_fields f = {.amount_cents = amount, .justification = v[V_JUSTIFICATION].s,
                                       .accounts_approved_on = approved};
  s = db_deposit_provision_put(db, p->commission_id, placement, &f, p->token_id, role_name(p->role));
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  s = load_account(db, p->commission_id, placement, &rq->access, out);
  return s <= 0 ? (s < 0 ? s : DB_HARD_ERROR) : DB_ROW;
}

/* PUT /v1/placements/{id}/deposit/provision: the landlord of a unit in a co-owned building (or the coordinator)
 * records the provision kept until the building's accounts are approved, and the day they were; each PUT
 * replaces the record (so a retry changes nothing more). */
enum MHD_Result api_deposit_provision_put(struct request *rq) {
  const struct field_value *v = rq->fields;
  struct date approved;
  if (v[V_APPROVED].present && !v[V_APPROVED].null &&
      (!date_parse(v[V_APPROVED].s, &approved) || date_compare(approved, date_today()) > 0))
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/accounts_approved_on", "must not be in the future");
  return write_run(rq, MHD_HTTP_OK, provision_body, NULL);
}
