/* Unit tests of the deposit rules and the calendar arithmetic they stand on. */
#include <string.h>

#include "dates.h"
#include "deposit.h"
#include "check.h"

static struct date d(const char *text) {
  struct date out = {0, 0, 0};
  CHECK(date_parse(text, &out));
  return out;
}

static void test_dates(void) {
  char buf[16];
  CHECK(date_days(d("1970-01-01")) == 0);
  CHECK(date_days(d("1970-01-02")) == 1);
  CHECK(date_days(d("2000-03-01")) - date_days(d("2000-02-28")) == 2); /* 2000 is a leap year */
  CHECK(date_days(d("1900-03-01")) - date_days(d("1900-02-28")) == 1); /* 1900 is not */
  CHECK(date_days(d("1969-12-31")) == -1);
  date_format(date_add_months(d("2026-01-31"), 1), buf, sizeof buf);
  CHECK(strcmp(buf, "2026-02-28") == 0);
  date_format(date_add_months(d("2024-01-31"), 1), buf, sizeof buf);
  CHECK(strcmp(buf, "2024-02-29") == 0);
  date_format(date_add_months(d("2026-11-15"), 3), buf, sizeof buf);
  CHECK(strcmp(buf, "2027-02-15") == 0);
  date_format(date_add_months(d("2026-03-31"), -1), buf, sizeof buf);
  CHECK(strcmp(buf, "2026-02-28") == 0);
  CHECK(date_compare(d("2026-01-01"), d("2026-01-02")) < 0);
  CHECK(date_compare(d("2026-01-02"), d("2026-01-02")) == 0);
  struct date bad;
  CHECK(!date_parse("2026-02-30", &bad));
}

static void test_refund_due(void) {
  char buf[16];
  date_format(deposit_refund_due(d("2026-03-15"), true), buf, sizeof buf);
  CHECK(strcmp(buf, "2026-04-15") == 0);
  date_format(deposit_refund_due(d("2026-03-15"), false), buf, sizeof buf);
  CHECK(strcmp(buf, "2026-05-15") == 0);
  date_format(deposit_refund_due(d("2026-12-31"), false), buf, sizeof buf);
  CHECK(strcmp(buf, "2027-02-28") == 0);
}

static void test_penalty(void) {
  struct date due = d("2026-04-15");
  CHECK(deposit_months_late(due, d("2026-04-10")) == 0);
  CHECK(deposit_months_late(due, d("2026-04-15")) == 0); /* due today: not late */
  CHECK(deposit_months_late(due, d("2026-04-16")) == 1); /* one day late: a month begun */
  CHECK(deposit_months_late(due, d("2026-05-15")) == 1); /* exactly one month */
  CHECK(deposit_months_late(due, d("2026-05-16")) == 2);
  CHECK(deposit_months_late(due, d("2027-04-15")) == 12);
  CHECK(deposit_months_late(d("2026-01-31"), d("2026-02-28")) == 1);
  CHECK(deposit_months_late(d("2026-01-31"), d("2026-03-01")) == 2);
  /* 10% of a 420.00 € rent per started month, charges excluded. */
  CHECK(deposit_penalty_cents(42000, 1) == 4200);
  CHECK(deposit_penalty_cents(42000, 3) == 12600);
  CHECK(deposit_penalty_cents(42005, 1) == 4200); /* rounded down to the cent */
  CHECK(deposit_penalty_cents(42000, 0) == 0);
}

static void test_effects(void) {
  CHECK(deposit_entry_kind_parse("paid") == DEPOSIT_PAID);
  CHECK(deposit_entry_kind_parse("written_off") == DEPOSIT_WRITTEN_OFF);
  CHECK(deposit_entry_kind_parse("gift") == -1);
  CHECK(deposit_effect(DEPOSIT_PAID, 50000, DEPOSIT_PAID) == 50000);
  CHECK(deposit_effect(DEPOSIT_REFUNDED, 30000, DEPOSIT_PAID) == -30000);
  CHECK(deposit_effect(DEPOSIT_DEDUCTED, 20000, DEPOSIT_PAID) == -20000);
  CHECK(deposit_effect(DEPOSIT_REVERSAL, 30000, DEPOSIT_REFUNDED) == 30000); /* undoing a refund */
  CHECK(deposit_effect(DEPOSIT_REVERSAL, 50000, DEPOSIT_PAID) == -50000);
  CHECK(deposit_effect(DEPOSIT_REVERSAL, 50000, DEPOSIT_REVERSAL) == 0);
}

int main(void) {
  test_dates();
  test_refund_due();
  test_penalty();
  test_effects();
  return check_exit();
}
