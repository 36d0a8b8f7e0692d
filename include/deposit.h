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
  DEPOSIT_PENALTY_CLAIMED,  /* the association claimed the late-refund penalty from the landlord */
  DEPOSIT_PENALTY_RECEIVED, /* the landlord paid (part of) the penalty */
  DEPOSIT_PENALTY_WAIVED,   /* the association gave (part of) it up, with the reason */
};

/* Parses "paid", "refunded", "deducted", "written_off", "reversal", "penalty_claimed", "penalty_received",
 * "penalty_waived"; -1 when unknown. */
int deposit_entry_kind_parse(const char *name);
/* What an entry of KIND and AMOUNT (> 0) does to the money the landlord holds (a reversal: the opposite of
 * what the reversed entry of REVERSED_KIND did). Penalty entries move no deposit money: 0. */
int64_t deposit_effect(enum deposit_entry_kind kind, int64_t amount_cents, enum deposit_entry_kind reversed_kind);
/* The day the refund is due after an exit on EXIT: one month later when the inspections match, else two. */
struct date deposit_refund_due(struct date exit, bool inspections_match);
/* Started months of delay on TODAY for a refund due on DUE (0 when not late). */
int deposit_months_late(struct date due, struct date today);
/* The penalty the landlord owes: 10% of RENT_CENTS (excluding charges) per started month late, rounded down to
 * the cent. */
int64_t deposit_penalty_cents(int64_t rent_cents, int months_late);

/* The penalty of a refund due on DUE as it stands on TODAY: it runs until SETTLED_ON (the day the balance
 * reached 0 after the exit; NULL while money is still held: until TODAY), so that an account settled late keeps
 * what it owed. MONTHS_LATE: started months of delay; PENALTY_CENTS: 10% of RENT_CENTS per month. */
struct deposit_penalty {
  int months_late;
  int64_t penalty_cents;
};
struct deposit_penalty deposit_penalty_accrued(int64_t rent_cents, struct date due, const struct date *settled_on,
                                               struct date today);

/* In a co-owned building (art. 22) the landlord may keep a provision of at most 20 % of the deposit until the
 * building's accounts are approved, and settles it within the month after: a second due date. The provision
 * allowed on a deposit of PAID_CENTS (rounded down to the cent); the provision's due date after the accounts
 * were approved on APPROVED. */
int64_t deposit_provision_max(int64_t paid_cents);
struct date deposit_provision_due(struct date approved);
/* The penalty of a refund in two parts: the money beyond the provision, due on DUE, late until FIRST_PART_ON
 * (the day the balance fell to the provision; NULL: not yet, until TODAY); the provision, due on PROVISION_DUE
 * (NULL: no provision, or the accounts not yet approved: not late), late until SETTLED_ON (NULL: until TODAY).
 * Each part's started months add up; 10 % of RENT_CENTS per month. Without a provision, FIRST_PART_ON is the
 * settlement day and this is deposit_penalty_accrued(). */
struct deposit_penalty deposit_penalty_two_parts(int64_t rent_cents, struct date due, const struct date *first_part_on,
                                                 const struct date *provision_due, const struct date *settled_on,
                                                 struct date today);
/* deposit_penalty_two_parts() of an account read from the database: its columns as texts (NULL for SQL NULL).
 * No refund due date: no penalty. The provision counts only when PROVISION_CENTS is positive and its due date
 * known. The account (GET /deposit) and the status check show the same figures through it. */
struct deposit_penalty_texts {
  const char *rent_cents, *refund_due_on, *first_part_until, *provision_cents, *provision_due_on, *settled_on;
};
struct deposit_penalty deposit_penalty_of_texts(const struct deposit_penalty_texts *t, struct date today);

struct deposit_refusal;
/* The penalty figures of an account, and an entry about them: a penalty entry needs a penalty accrued; what is
 * claimed never passes what accrued, nor what is received and waived together. */
struct deposit_penalty_figures {
  int64_t accrued, claimed, received, waived;
};
bool deposit_penalty_entry_allowed(enum deposit_entry_kind kind, int64_t amount_cents,
                                   const struct deposit_penalty_figures *f, struct deposit_refusal *why);

/* An entry as a client asks to record it, before the database sees it. */
struct deposit_entry_request {
  int kind;            /* deposit_entry_kind_parse() of the kind sent; -1 when unknown */
  bool has_amount;     /* amount_cents was sent */
  int64_t amount_cents;
  bool justified;      /* a justification was sent (not null) */
  bool reverses;       /* reverses_entry_id was sent (not null) */
  struct date entry_date;
};

/* Why an entry is refused: the field concerned (a JSON pointer) and the reason, both static text. */
struct deposit_refusal {
  const char *field, *reason;
};

/* The entry rules that need no ledger: a landlord (BY_LANDLORD) records refunds and deductions only; every kind
 * but a reversal needs an amount; a deduction, a penalty waiver (its reason) and a reversal need a justification; a reversal, and only a
 * reversal, names the entry it reverses; no entry is dated after TODAY. True when E passes; else false with WHY
 * (the first rule broken, in that order). */
bool deposit_entry_allowed(const struct deposit_entry_request *e, bool by_landlord, struct date today,
                           struct deposit_refusal *why);
/* A reversal of an entry of REVERSED_KIND for REVERSED_AMOUNT: a reversal is not reversed (the original is
 * recorded again instead), and an amount sent must be the reversed one. True with *AMOUNT the amount to record;
 * else false with WHY. */
bool deposit_reversal_allowed(const struct deposit_entry_request *e, enum deposit_entry_kind reversed_kind,
                              int64_t reversed_amount, int64_t *amount, struct deposit_refusal *why);

#endif
