/* The security deposit (caution) rules, pure: the balance a ledger leaves, when the landlord must refund after
 * an exit, and the penalty a late refund earns (loi du 6 juillet 1989, art. 22: one month when the exit
 * inspection matches the entry inspection, two months otherwise; then 10% of the monthly rent excluding charges
 * for each started month of delay). Money is integer cents. */
#ifndef COMMISSIOND_DEPOSIT_H
#define COMMISSIOND_DEPOSIT_H

#include <stdbool.h>
#include <stdint.h>

#include "dates.h"

enum deposit_entry_kind {
  DEPOSIT_PAID,        /* the association paid the landlord: money held by the landlord grows */
  DEPOSIT_REFUNDED,    /* the landlord paid back */
  DEPOSIT_DEDUCTED,    /* the landlord kept part, with a justification */
  DEPOSIT_WRITTEN_OFF, /* the association gave up on the rest */
  DEPOSIT_REVERSAL,    /* cancels the entry it points at */
};

/* Parses "paid", "refunded", "deducted", "written_off", "reversal"; -1 when unknown. */
int deposit_entry_kind_parse(const char *name);
/* What an entry of KIND and AMOUNT (> 0) does to the money the landlord holds (a reversal: the opposite of
 * what the reversed entry of REVERSED_KIND did). */
int64_t deposit_effect(enum deposit_entry_kind kind, int64_t amount_cents, enum deposit_entry_kind reversed_kind);
/* The day the refund is due after an exit on EXIT: one month later when the inspections match, else two. */
struct date deposit_refund_due(struct date exit, bool inspections_match);
/* Started months of delay on TODAY for a refund due on DUE (0 when not late). */
int deposit_months_late(struct date due, struct date today);
/* The penalty the landlord owes: 10% of RENT_CENTS (excluding charges) per started month late, rounded down to
 * the cent. */
int64_t deposit_penalty_cents(int64_t rent_cents, int months_late);

#endif
