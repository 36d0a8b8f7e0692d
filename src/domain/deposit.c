/* Deposit arithmetic and legal delays (see include/deposit.h). */
#include <string.h>

#include "deposit.h"

int deposit_entry_kind_parse(const char *name) {
  static const char *const names[] = {"paid", "refunded", "deducted", "written_off", "reversal"};
  for (int i = 0; name != NULL && i < 5; i++)
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
