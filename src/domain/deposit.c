/* Deposit arithmetic and legal delays (see include/deposit.h). */
#include <stdlib.h>
#include <string.h>

#include "deposit.h"

int deposit_entry_kind_parse(const char *name) {
  static const char *const names[] = {"paid",           "refunded",        "deducted",
                                      "written_off",    "reversal",        "penalty_claimed",
                                      "penalty_received", "penalty_waived"};
  for (int i = 0; name != NULL && i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0)
      return i;
  return -1;
}

int64_t deposit_effect(enum deposit_entry_kind kind, int64_t amount, enum deposit_entry_kind reversed_kind) {
  switch (kind) {
  case DEPOSIT_PAID: return amount;
  case DEPOSIT_REFUNDED:
  case DEPOSIT_DEDUCTED:
  case DEPOSIT_WRITTEN_OFF: return -amount;
  case DEPOSIT_REVERSAL:
    return reversed_kind == DEPOSIT_REVERSAL ? 0 : -deposit_effect(reversed_kind, amount, DEPOSIT_REVERSAL);
  case DEPOSIT_PENALTY_CLAIMED:
  case DEPOSIT_PENALTY_RECEIVED:
  case DEPOSIT_PENALTY_WAIVED: return 0;
  }
  return 0;
}

struct date deposit_refund_due(struct date exit, bool inspections_match) {
  return date_add_months(exit, inspections_match ? 1 : 2);
}

int deposit_months_late(struct date due, struct date today) {
  if (date_compare(today, due) <= 0)
    return 0;
  /* The smallest m such that due + m months >= today: each month begun counts. */
  int m = (today.year - due.year) * 12 + (today.month - due.month);
  if (m < 1)
    m = 1;
  while (m > 1 && date_compare(date_add_months(due, m - 1), today) >= 0)
    m--;
  while (date_compare(date_add_months(due, m), today) < 0)
    m++;
  return m;
}

int64_t deposit_penalty_cents(int64_t rent_cents, int months_late) {
  if (months_late <= 0 || rent_cents <= 0)
    return 0;
  return rent_cents * months_late / 10;
}

struct deposit_penalty deposit_penalty_accrued(int64_t rent_cents, struct date due, const struct date *settled_on,
                                               struct date today) {
  struct deposit_penalty p;
  p.months_late = deposit_months_late(due, settled_on != NULL ? *settled_on : today);
  p.penalty_cents = deposit_penalty_cents(rent_cents, p.months_late);
  return p;
}

int64_t deposit_provision_max(int64_t paid_cents) { return paid_cents > 0 ? paid_cents * 20 / 100 : 0; }

struct date deposit_provision_due(struct date approved) { return date_add_months(approved, 1); }

struct deposit_penalty deposit_penalty_two_parts(int64_t rent_cents, struct date due, const struct date *first_part_on,
                                                 const struct date *provision_due, const struct date *settled_on,
                                                 struct date today) {
  struct deposit_penalty p;
  p.months_late = deposit_months_late(due, first_part_on != NULL ? *first_part_on : today);
  if (provision_due != NULL)
    p.months_late += deposit_months_late(*provision_due, settled_on != NULL ? *settled_on : today);
  p.penalty_cents = deposit_penalty_cents(rent_cents, p.months_late);
  return p;
}

static bool refuse(struct deposit_refusal *why, const char *field, const char *reason) {
  why->field = field;
  why->reason = reason;
  return false;
}

bool deposit_entry_allowed(const struct deposit_entry_request *e, bool by_landlord, struct date today,
                           struct deposit_refusal *why) {
  bool reversal = e->kind == DEPOSIT_REVERSAL;
  if (by_landlord && e->kind != DEPOSIT_REFUNDED && e->kind != DEPOSIT_DEDUCTED)
    return refuse(why, "/kind", "a landlord records refunds and deductions only");
  if (!reversal && !e->has_amount)
    return refuse(why, "/amount_cents", "is required");
  if ((e->kind == DEPOSIT_DEDUCTED || e->kind == DEPOSIT_PENALTY_WAIVED || reversal) && !e->justified)
    return refuse(why, "/justification", "is required for this kind of entry");
  if (reversal != e->reverses)
    return refuse(why, "/reverses_entry_id", reversal ? "is required for a reversal" : "is only for a reversal");
  if (date_compare(e->entry_date, today) > 0)
    return refuse(why, "/entry_date", "must not be in the future");
  return true;
}

bool deposit_reversal_allowed(const struct deposit_entry_request *e, enum deposit_entry_kind reversed_kind,
                              int64_t reversed_amount, int64_t *amount, struct deposit_refusal *why) {
  if (reversed_kind == DEPOSIT_REVERSAL)
    return refuse(why, "/reverses_entry_id", "is a reversal: record the original entry again instead");
  if (e->has_amount && e->amount_cents != reversed_amount)
    return refuse(why, "/amount_cents", "must equal the amount of the entry reversed (or be omitted)");
  *amount = reversed_amount;
  return true;
}

bool deposit_penalty_entry_allowed(enum deposit_entry_kind kind, int64_t amount_cents,
                                   const struct deposit_penalty_figures *f, struct deposit_refusal *why) {
  if (f->accrued <= 0)
    return refuse(why, "/kind", "no late-refund penalty has accrued on this deposit");
  if (kind == DEPOSIT_PENALTY_CLAIMED && f->claimed + amount_cents > f->accrued)
    return refuse(why, "/amount_cents", "would claim more than the penalty accrued");
  if ((kind == DEPOSIT_PENALTY_RECEIVED || kind == DEPOSIT_PENALTY_WAIVED) &&
      f->received + f->waived + amount_cents > f->accrued)
    return refuse(why, "/amount_cents", "would receive and waive more than the penalty accrued");
  return true;
}

struct deposit_penalty deposit_penalty_of_texts(const struct deposit_penalty_texts *t, struct date today) {
  struct date due, first, provision_due, settled;
  if (!date_parse(t->refund_due_on, &due))
    return (struct deposit_penalty){0, 0};
  bool has_first = date_parse(t->first_part_until, &first);
  bool has_provision = t->provision_cents != NULL && strtoll(t->provision_cents, NULL, 10) > 0 &&
                       date_parse(t->provision_due_on, &provision_due);
  bool is_settled = date_parse(t->settled_on, &settled);
  return deposit_penalty_two_parts(t->rent_cents != NULL ? strtoll(t->rent_cents, NULL, 10) : 0, due,
                                   has_first ? &first : NULL, has_provision ? &provision_due : NULL,
                                   is_settled ? &settled : NULL, today);
}
