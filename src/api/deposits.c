/* Deposits (cautions): each placement's account is an append-only ledger in integer cents — paid to the
 * landlord, refunded, deducted (with a justification), written off, or a reversal pointing at the entry it
 * cancels. The balance is derived, never negative (the database checks it). After an exit the refund is due
 * within the legal delay; once overdue, the landlord's penalty is computed (src/domain/deposit.c). Posting an
 * entry requires an Idempotency-Key, so a retried request never pays twice. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "deposit.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

enum {
  A_PLACEMENT, A_UNIT, A_LANDLORD, A_EXIT, A_INSPECTION, A_RENT, A_EXPECTED, A_BALANCE, A_PAID, A_REFUNDED,
  A_DEDUCTED, A_WRITTEN_OFF, A_DUE, A_STATUS, A_FAMILY, A_GIVEN, A_MOVE_IN,
};

/* Row ROW of an account result, with ENTRIES (a ledger result, may be NULL), as the API's DepositAccount. */
static json_t *account_json(const PGresult *res, int row, const PGresult *entries) {
  int months_late = 0;
  int64_t penalty = 0;
  struct date due;
  if (!PQgetisnull(res, row, A_DUE) && strcmp(PQgetvalue(res, row, A_STATUS), "overdue") == 0 &&
      date_parse(PQgetvalue(res, row, A_DUE), &due)) {
    months_late = deposit_months_late(due, date_today());
    penalty = deposit_penalty_cents(strtoll(PQgetvalue(res, row, A_RENT), NULL, 10), months_late);
  }
  json_t *a = json_pack(
      "{s:o, s:{s:o, s:o}, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:I}",
      "placement_id", row_string(res, row, A_PLACEMENT), "person", "family_name", row_string(res, row, A_FAMILY),
      "given_names", row_string(res, row, A_GIVEN), "unit_id", row_string(res, row, A_UNIT), "landlord_org_id",
      row_string(res, row, A_LANDLORD), "currency", "EUR", "expected_cents", row_int(res, row, A_EXPECTED),
      "balance_cents", row_int(res, row, A_BALANCE), "paid_cents", row_int(res, row, A_PAID), "refunded_cents",
      row_int(res, row, A_REFUNDED), "deducted_cents", row_int(res, row, A_DEDUCTED), "written_off_cents",
      row_int(res, row, A_WRITTEN_OFF), "status", row_string(res, row, A_STATUS), "move_in_date",
      row_string(res, row, A_MOVE_IN), "exit_date", row_string(res, row, A_EXIT), "exit_inspection_matches",
      row_bool(res, row, A_INSPECTION), "refund_due_on", row_string(res, row, A_DUE), "months_late", months_late,
      "penalty_cents", (json_int_t)penalty);
  if (a != NULL && entries != NULL) {
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(entries); i++)
      json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                                            row_string(entries, i, 0), "kind", row_string(entries, i, 1),
                                            "amount_cents", row_int(entries, i, 2), "effect_cents",
                                            row_int(entries, i, 3), "entry_date", row_string(entries, i, 4),
                                            "justification", row_string(entries, i, 5), "reverses_entry_id",
                                            row_string(entries, i, 6), "recorded_by_role", row_string(entries, i, 7),
                                            "created_at", row_string(entries, i, 8)));
    json_object_set_new(a, "entries", list);
  }
  return a;
}

static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_DEPOSIT, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "This role has no access to deposits.");
  return false;
}

/* The account of PLACEMENT with its ledger, as JSON, into *OUT; DB_NO_ROW when it is out of SCOPE. */
static enum db_status load_account(struct db *db, const char *commission_id, const char *placement,
                                   const struct access *scope, json_t **out) {
  PGresult *res, *entries;
  *out = NULL;
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
  *out = account_json(res, 0, entries);
  PQclear(res);
  PQclear(entries);
  return *out ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_deposit_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  json_t *account;
  enum db_status s = load_account(rq->db, rq->principal.commission_id, id, &a, &account);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  return reply_json(rq, MHD_HTTP_OK, account, NULL);
}

static const char *const kinds[] = {"paid", "refunded", "deducted", "written_off", "reversal", NULL};

enum { F_KIND, F_AMOUNT, F_DATE, F_JUSTIFICATION, F_REVERSES };

enum refusal { REFUSE_NONE, REFUSE_NOT_FOUND, REFUSE_NEGATIVE, REFUSE_REVERSED_UNKNOWN, REFUSE_REVERSED_TWICE,
               REFUSE_REVERSAL_OF_REVERSAL, REFUSE_AMOUNT };

struct entry_tx {
  struct request *rq;
  struct access scope;
  const char *placement;
  struct field_value *v;
  struct idempotency idem;
  enum refusal refusal;
  json_t *account;
  char location[96];
};

static enum db_status entry_body(struct db *db, void *cls) {
  struct entry_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  json_decref(t->account);
  t->account = NULL;
  t->refusal = REFUSE_NONE;
  enum db_status s = idempotency_claim(t->rq, &t->idem);
  if (s < 0 || t->idem.replay || t->idem.mismatch)
    return s;
  PGresult *acc; /* the placement, in the caller's scope (the same as its deposit's) */
  s = db_placement_get(db, p->commission_id, t->placement, &t->scope, false, &acc);
  PQclear(acc);
  if (s <= 0) {
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s < 0 ? s : DB_REFUSED;
  }
  enum deposit_entry_kind kind = (enum deposit_entry_kind)deposit_entry_kind_parse(t->v[F_KIND].s);
  enum deposit_entry_kind reversed_kind = DEPOSIT_PAID;
  long long amount = t->v[F_AMOUNT].present ? t->v[F_AMOUNT].i : 0;
  const char *reverses = t->v[F_REVERSES].present && !t->v[F_REVERSES].null ? t->v[F_REVERSES].s : NULL;
  if (kind == DEPOSIT_REVERSAL) {
    PGresult *e;
    s = db_deposit_entry(db, p->commission_id, t->placement, reverses, &e);
    if (s <= 0) {
      PQclear(e);
      t->refusal = s == DB_NO_ROW ? REFUSE_REVERSED_UNKNOWN : REFUSE_NONE;
      return s < 0 ? s : DB_REFUSED;
    }
    reversed_kind = (enum deposit_entry_kind)deposit_entry_kind_parse(PQgetvalue(e, 0, 0));
    long long reversed_amount = strtoll(PQgetvalue(e, 0, 1), NULL, 10);
    PQclear(e);
    if (reversed_kind == DEPOSIT_REVERSAL) {
      t->refusal = REFUSE_REVERSAL_OF_REVERSAL;
      return DB_REFUSED;
    }
    if (t->v[F_AMOUNT].present && amount != reversed_amount) {
      t->refusal = REFUSE_AMOUNT;
      return DB_REFUSED;
    }
    amount = reversed_amount;
  }
  char amount_text[24], effect_text[24];
  snprintf(amount_text, sizeof amount_text, "%lld", amount);
  snprintf(effect_text, sizeof effect_text, "%lld", (long long)deposit_effect(kind, amount, reversed_kind));
  const char *f[10] = {p->commission_id, t->placement, t->v[F_KIND].s, amount_text, effect_text, t->v[F_DATE].s,
                       t->v[F_JUSTIFICATION].present && !t->v[F_JUSTIFICATION].null ? t->v[F_JUSTIFICATION].s : NULL,
                       reverses, p->token_id, role_name(p->role)};
  PGresult *res;
  s = db_deposit_entry_insert(db, f, &res);
  if (s == DB_ROW)
    audit_created(t->rq, "deposit_entries", PQgetvalue(res, 0, 0));
  PQclear(res);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23514") == 0 && strcmp(db_constraint(db), "deposit_balance_not_negative") == 0) {
      t->refusal = REFUSE_NEGATIVE;
      return DB_REFUSED;
    }
    if (strcmp(db_sqlstate(db), "23505") == 0) {
      t->refusal = REFUSE_REVERSED_TWICE;
      return DB_REFUSED;
    }
    return s;
  }
  s = load_account(db, p->commission_id, t->placement, &t->scope, &t->account);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(t->location, sizeof t->location, "/v1/placements/%s/deposit", t->placement);
  return idempotency_record(t->rq, &t->idem, MHD_HTTP_CREATED, t->location, t->account);
}

/* POST /v1/placements/{id}/deposit/entries. The coordinator records any entry; a landlord, on its units'
 * placements, records refunds and deductions. */
enum MHD_Result api_deposit_entry_create(struct request *rq) {
  static const struct field_spec spec[] = {
    [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
    [F_AMOUNT] = {"amount_cents", FIELD_INT, 0, 1, 100000000, NULL},
    [F_DATE] = {"entry_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
    [F_JUSTIFICATION] = {"justification", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
    [F_REVERSES] = {"reverses_entry_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  };
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(spec)];
  struct entry_tx t = {.rq = rq, .v = v};
  t.placement = param_path_uuid(rq, 0, "id", &ret);
  if (t.placement == NULL || !allowed(rq, ACT_CREATE, &t.scope, &ret) ||
      !request_fields(rq, spec, FIELDS_COUNT(spec), v, &ret))
    return ret;
  int kind = deposit_entry_kind_parse(v[F_KIND].s);
  bool justified = v[F_JUSTIFICATION].present && !v[F_JUSTIFICATION].null;
  bool reverses = v[F_REVERSES].present && !v[F_REVERSES].null;
  char today[16];
  date_format(date_today(), today, sizeof today);
  if (rq->principal.role == ROLE_LANDLORD && kind != DEPOSIT_REFUNDED && kind != DEPOSIT_DEDUCTED)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/kind", "a landlord records refunds and deductions only");
  if (kind != DEPOSIT_REVERSAL && !v[F_AMOUNT].present)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/amount_cents", "is required");
  if ((kind == DEPOSIT_DEDUCTED || kind == DEPOSIT_REVERSAL) && !justified)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/justification", "is required for this kind of entry");
  if ((kind == DEPOSIT_REVERSAL) != reverses)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/reverses_entry_id",
                               kind == DEPOSIT_REVERSAL ? "is required for a reversal" : "is only for a reversal");
  if (strcmp(v[F_DATE].s, today) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/entry_date", "must not be in the future");
  if (request_header(rq, "Idempotency-Key") == NULL)
    return reply_field_problem(rq, ERR_PRECONDITION_REQUIRED, "header:Idempotency-Key",
                               "is required to post a deposit entry, so that a retry never pays twice");
  if (!idempotency_init(rq, &t.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, entry_body, &t);
  if (s < 0 && s != DB_REFUSED) {
    ret = reply_db_error(rq);
  } else if (t.idem.replay || t.idem.mismatch) {
    ret = idempotency_reply(rq, &t.idem);
  } else {
    switch (t.refusal) {
    case REFUSE_NOT_FOUND:
      ret = reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
      break;
    case REFUSE_NEGATIVE:
      ret = reply_problem(rq, ERR_CONFLICT, "This entry would make the deposit balance negative.");
      break;
    case REFUSE_REVERSED_UNKNOWN:
      ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/reverses_entry_id", "is not an entry of this deposit");
      break;
    case REFUSE_REVERSED_TWICE:
      ret = reply_problem(rq, ERR_CONFLICT, "This entry has already been reversed.");
      break;
    case REFUSE_REVERSAL_OF_REVERSAL:
      ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/reverses_entry_id",
                                "is a reversal: record the original entry again instead");
      break;
    case REFUSE_AMOUNT:
      ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/amount_cents",
                                "must equal the amount of the entry reversed (or be omitted)");
      break;
    default: {
      const char *headers[] = {MHD_HTTP_HEADER_LOCATION, t.location, NULL};
      ret = reply_json(rq, MHD_HTTP_CREATED, t.account, headers);
      t.account = NULL;
    }
    }
  }
  json_decref(t.account);
  idempotency_free(&t.idem);
  return ret;
}

/* GET /v1/deposits?status=...: the accounts the caller may see, by status (held, not_paid, outstanding,
 * overdue, settled), without their ledgers. */
enum MHD_Result api_deposits_list(struct request *rq) {
  static const char *const query[] = {"status", "landlord_org_id", "limit", "cursor", NULL};
  static const char *const statuses[] = {"not_paid", "held", "outstanding", "overdue", "settled", NULL};
  static const enum cursor_key keys[] = {KEY_UUID};
  enum MHD_Result ret;
  struct access a;
  struct page page;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL) {
    size_t i = 0;
    while (statuses[i] != NULL && strcmp(statuses[i], status) != 0)
      i++;
    if (statuses[i] == NULL)
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status",
                                 "must be one of not_paid, held, outstanding, overdue, settled");
  }
  const char *landlord = request_query(rq, "landlord_org_id");
  if (landlord != NULL && !valid_uuid(landlord))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:landlord_org_id", "must be a UUID");
  if (!param_page(rq, &page, 1, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_deposit_account_list(rq->db, rq->principal.commission_id, &a, status, landlord,
                                             page.after[0], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, account_json(res, i, NULL));
  return reply_page(rq, &page, res, items, (const int[]){A_PLACEMENT}, 1);
}

/* GET /v1/reports/deposits: totals per landlord and in all, for the coordinator and observers. */
enum MHD_Result api_report_deposits(struct request *rq) {
  if (access_decide(&rq->principal, RES_REPORT, ACT_READ).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "Reports are for the coordinator and observers.");
  PGresult *res;
  enum db_status s = db_deposit_report(rq->db, rq->principal.commission_id, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *landlords = json_array(), *total = NULL;
  for (int i = 0; i < PQntuples(res); i++) {
    json_t *row = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "accounts", row_int(res, i, 2),
                            "paid_cents", row_int(res, i, 3), "held_cents", row_int(res, i, 4), "refunded_cents",
                            row_int(res, i, 5), "deducted_cents", row_int(res, i, 6), "written_off_cents",
                            row_int(res, i, 7), "overdue_accounts", row_int(res, i, 8), "overdue_held_cents",
                            row_int(res, i, 9), "outstanding_accounts", row_int(res, i, 10), "currency",
                            json_string("EUR"));
    if (PQgetisnull(res, i, 0) && total == NULL) {
      total = row;
    } else {
      json_object_set_new(row, "landlord_org_id", row_string(res, i, 0));
      json_object_set_new(row, "landlord_name", row_string(res, i, 1));
      json_array_append_new(landlords, row);
    }
  }
  PQclear(res);
  if (total == NULL)
    total = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "accounts", 0, "paid_cents", 0,
                      "held_cents", 0, "refunded_cents", 0, "deducted_cents", 0, "written_off_cents", 0,
                      "overdue_accounts", 0, "overdue_held_cents", 0, "outstanding_accounts", 0, "currency", "EUR");
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "landlords", landlords, "total", total), NULL);
}
