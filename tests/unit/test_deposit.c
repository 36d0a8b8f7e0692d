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
  CHECK(!date_parse(NULL, &bad)); /* an SQL NULL column: no date */
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

/* An entry request of KIND ("paid", ...) with the fields the test names; the date is TODAY's. */
static struct deposit_entry_request entry(const char *kind, long long amount, bool justified, bool reverses) {
  struct deposit_entry_request e = {.kind = deposit_entry_kind_parse(kind), .has_amount = amount >= 0,
                                    .amount_cents = amount >= 0 ? amount : 0, .justified = justified,
                                    .reverses = reverses, .entry_date = d("2026-04-15")};
  return e;
}

/* True when E is refused about FIELD. */
static bool refused(struct deposit_entry_request e, bool by_landlord, const char *field) {
  struct deposit_refusal why = {NULL, NULL};
  bool ok = deposit_entry_allowed(&e, by_landlord, d("2026-04-15"), &why);
  return !ok && why.field != NULL && strcmp(why.field, field) == 0 && why.reason != NULL;
}

static void test_entry_rules(void) {
  struct deposit_refusal why;
  struct date today = d("2026-04-15");
  struct deposit_entry_request e = entry("paid", 50000, false, false);
  CHECK(deposit_entry_allowed(&e, false, today, &why));
  e = entry("refunded", 100, false, false);
  CHECK(deposit_entry_allowed(&e, true, today, &why)); /* a landlord refunds */
  e = entry("deducted", 100, true, false);
  CHECK(deposit_entry_allowed(&e, true, today, &why)); /* and deducts, with a justification */
  e = entry("reversal", -1, true, true);
  CHECK(deposit_entry_allowed(&e, false, today, &why)); /* a reversal's amount is the reversed one's */
  /* A landlord records refunds and deductions only: that is said first, whatever else is wrong. */
  CHECK(refused(entry("paid", 100, false, false), true, "/kind"));
  CHECK(refused(entry("written_off", -1, false, false), true, "/kind"));
  CHECK(refused(entry("reversal", -1, true, true), true, "/kind"));
  CHECK(refused(entry("paid", -1, false, false), false, "/amount_cents"));
  CHECK(refused(entry("refunded", -1, false, false), true, "/amount_cents"));
  CHECK(refused(entry("deducted", 100, false, false), false, "/justification"));
  CHECK(refused(entry("reversal", -1, false, true), false, "/justification"));
  CHECK(refused(entry("reversal", -1, true, false), false, "/reverses_entry_id"));
  CHECK(refused(entry("paid", 100, false, true), false, "/reverses_entry_id"));
  e = entry("paid", 100, false, false);
  e.entry_date = d("2026-04-16");
  CHECK(!deposit_entry_allowed(&e, false, today, &why) && strcmp(why.field, "/entry_date") == 0);
  e.entry_date = d("2026-04-15"); /* today is not the future */
  CHECK(deposit_entry_allowed(&e, false, today, &why));
}

static void test_reversal_rules(void) {
  struct deposit_refusal why;
  int64_t amount = 0;
  struct deposit_entry_request e = entry("reversal", -1, true, true);
  CHECK(deposit_reversal_allowed(&e, DEPOSIT_PAID, 50000, &amount, &why) && amount == 50000);
  e = entry("reversal", 50000, true, true);
  amount = 0;
  CHECK(deposit_reversal_allowed(&e, DEPOSIT_REFUNDED, 50000, &amount, &why) && amount == 50000);
  CHECK(!deposit_reversal_allowed(&e, DEPOSIT_PAID, 40000, &amount, &why) &&
        strcmp(why.field, "/amount_cents") == 0);
  CHECK(!deposit_reversal_allowed(&e, DEPOSIT_REVERSAL, 50000, &amount, &why) &&
        strcmp(why.field, "/reverses_entry_id") == 0);
}

/* Issue 13's account: keys returned 2026-08-31, inspections matching, refund due 2026-09-30, rent 380.00 €
 * excluding charges. The penalty runs until the account is settled and stays there afterwards. */
static void test_penalty_accrued(void) {
  struct date due = deposit_refund_due(d("2026-08-31"), true);
  CHECK(date_compare(due, d("2026-09-30")) == 0);
  struct date refunded;
  struct deposit_penalty p = deposit_penalty_accrued(38000, due, NULL, d("2026-09-30"));
  CHECK(p.months_late == 0 && p.penalty_cents == 0); /* due today */
  p = deposit_penalty_accrued(38000, due, NULL, d("2026-10-20"));
  CHECK(p.months_late == 1 && p.penalty_cents == 3800); /* one started month */
  p = deposit_penalty_accrued(38000, due, NULL, d("2026-10-30"));
  CHECK(p.months_late == 1 && p.penalty_cents == 3800);
  p = deposit_penalty_accrued(38000, due, NULL, d("2026-10-31"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600); /* the second month begins */
  refunded = d("2026-11-15");                         /* refunded: two started months, for good */
  p = deposit_penalty_accrued(38000, due, &refunded, d("2026-11-15"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  p = deposit_penalty_accrued(38000, due, &refunded, d("2027-06-01"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  refunded = d("2026-12-15"); /* due + 2 months = 2026-11-30 < 12-15: three started months */
  p = deposit_penalty_accrued(38000, due, &refunded, d("2027-01-10"));
  CHECK(p.months_late == 3 && p.penalty_cents == 11400);
  refunded = d("2026-09-20"); /* refunded in time: nothing, ever */
  p = deposit_penalty_accrued(38000, due, &refunded, d("2027-01-10"));
  CHECK(p.months_late == 0 && p.penalty_cents == 0);
  /* two months' delay when the exit inspection differs from the entry one */
  due = deposit_refund_due(d("2026-08-31"), false);
  CHECK(date_compare(due, d("2026-10-31")) == 0);
  p = deposit_penalty_accrued(38000, due, NULL, d("2026-10-31"));
  CHECK(p.months_late == 0);
  p = deposit_penalty_accrued(38005, due, NULL, d("2026-11-01"));
  CHECK(p.months_late == 1 && p.penalty_cents == 3800); /* rounded down to the cent */
}

/* A co-owned building: the provision (20 % at most) is due the month after the accounts' approval; each part of
 * the refund earns its own started months. */
static void test_provision(void) {
  CHECK(deposit_provision_max(80000) == 16000);
  CHECK(deposit_provision_max(80003) == 16000); /* rounded down to the cent */
  CHECK(deposit_provision_max(0) == 0);
  CHECK(date_compare(deposit_provision_due(d("2027-03-31")), d("2027-04-30")) == 0);
  struct date due = d("2026-09-30"), first = d("2026-09-20"), prov_due = d("2027-04-30"), settled;
  /* the part beyond the provision on time, the accounts approved, the provision not yet back */
  struct deposit_penalty p = deposit_penalty_two_parts(38000, due, &first, &prov_due, NULL, d("2027-04-30"));
  CHECK(p.months_late == 0 && p.penalty_cents == 0); /* due today */
  p = deposit_penalty_two_parts(38000, due, &first, &prov_due, NULL, d("2027-05-01"));
  CHECK(p.months_late == 1 && p.penalty_cents == 3800);
  settled = d("2027-06-15"); /* two started months late for the provision */
  p = deposit_penalty_two_parts(38000, due, &first, &prov_due, &settled, d("2027-09-01"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  /* the first part late too (back on 2026-11-10: two started months), the provision on time */
  first = d("2026-11-10");
  settled = d("2027-04-20");
  p = deposit_penalty_two_parts(38000, due, &first, &prov_due, &settled, d("2027-09-01"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  /* accounts not approved yet: the provision is not late, the first part still runs */
  p = deposit_penalty_two_parts(38000, due, NULL, NULL, NULL, d("2026-10-05"));
  CHECK(p.months_late == 1);
  /* without a provision it is deposit_penalty_accrued() */
  settled = d("2026-12-15");
  struct deposit_penalty a = deposit_penalty_accrued(38000, due, &settled, d("2027-01-10"));
  p = deposit_penalty_two_parts(38000, due, &settled, NULL, &settled, d("2027-01-10"));
  CHECK(a.months_late == p.months_late && a.penalty_cents == p.penalty_cents);
  /* the same account read as result columns: the provision counts once positive with its due date known */
  struct deposit_penalty_texts t = {"38000", "2026-09-30", "2026-11-10", "7600", "2027-04-30", "2027-04-20"};
  p = deposit_penalty_of_texts(&t, d("2027-09-01"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  t.settled_on = NULL; /* the provision still held on 2027-06-01: late until today, as deposit_penalty_two_parts() */
  first = d("2026-11-10");
  prov_due = d("2027-04-30");
  a = deposit_penalty_two_parts(38000, due, &first, &prov_due, NULL, d("2027-06-01"));
  p = deposit_penalty_of_texts(&t, d("2027-06-01"));
  CHECK(p.months_late == a.months_late && p.penalty_cents == a.penalty_cents && p.months_late > 2);
  t.provision_cents = "0"; /* no provision: its due date is not one */
  p = deposit_penalty_of_texts(&t, d("2027-06-01"));
  CHECK(p.months_late == 2 && p.penalty_cents == 7600);
  t.refund_due_on = NULL; /* no exit: nothing due */
  p = deposit_penalty_of_texts(&t, d("2027-06-01"));
  CHECK(p.months_late == 0 && p.penalty_cents == 0);
  t = (struct deposit_penalty_texts){NULL, "2026-09-30", NULL, NULL, NULL, NULL}; /* no rent known: no money */
  p = deposit_penalty_of_texts(&t, d("2026-10-05"));
  CHECK(p.months_late == 1 && p.penalty_cents == 0);
}

static void test_penalty_entries(void) {
  CHECK(deposit_entry_kind_parse("penalty_claimed") == DEPOSIT_PENALTY_CLAIMED);
  CHECK(deposit_entry_kind_parse("penalty_received") == DEPOSIT_PENALTY_RECEIVED);
  CHECK(deposit_entry_kind_parse("penalty_waived") == DEPOSIT_PENALTY_WAIVED);
  CHECK(deposit_effect(DEPOSIT_PENALTY_RECEIVED, 3800, DEPOSIT_PAID) == 0); /* moves no deposit money */
  CHECK(deposit_effect(DEPOSIT_REVERSAL, 3800, DEPOSIT_PENALTY_CLAIMED) == 0);
  struct deposit_refusal why;
  struct deposit_penalty_figures none = {0, 0, 0, 0}, owed = {7600, 0, 0, 0};
  CHECK(!deposit_penalty_entry_allowed(DEPOSIT_PENALTY_CLAIMED, 100, &none, &why));
  CHECK(strcmp(why.field, "/kind") == 0);
  CHECK(deposit_penalty_entry_allowed(DEPOSIT_PENALTY_CLAIMED, 7600, &owed, &why));
  CHECK(!deposit_penalty_entry_allowed(DEPOSIT_PENALTY_CLAIMED, 7601, &owed, &why));
  CHECK(strcmp(why.field, "/amount_cents") == 0);
  struct deposit_penalty_figures part = {7600, 7600, 5000, 0};
  CHECK(deposit_penalty_entry_allowed(DEPOSIT_PENALTY_WAIVED, 2600, &part, &why));
  CHECK(!deposit_penalty_entry_allowed(DEPOSIT_PENALTY_RECEIVED, 2601, &part, &why));
  /* a waiver needs its reason; a landlord records no penalty entry */
  struct deposit_entry_request w = {.kind = DEPOSIT_PENALTY_WAIVED, .has_amount = true, .amount_cents = 3800,
                                    .justified = false, .reverses = false, .entry_date = d("2026-04-15")};
  CHECK(!deposit_entry_allowed(&w, false, d("2026-04-15"), &why));
  CHECK(strcmp(why.field, "/justification") == 0);
  w.justified = true;
  CHECK(deposit_entry_allowed(&w, false, d("2026-04-15"), &why));
  CHECK(!deposit_entry_allowed(&w, true, d("2026-04-15"), &why));
  CHECK(strcmp(why.field, "/kind") == 0);
}

int main(void) {
  test_dates();
  test_refund_due();
  test_penalty();
  test_effects();
  test_entry_rules();
  test_reversal_rules();
  test_penalty_accrued();
  test_provision();
  test_penalty_entries();
  return check_exit();
}
