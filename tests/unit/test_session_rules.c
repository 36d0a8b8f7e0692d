/* Unit tests of the session rules: what each status allows, a decision's members, the units a decision may name,
 * which decision may be corrected. */
#include <string.h>

#include "check.h"
#include "session_rules.h"

/* What each status allows, written out independently of the implementation: planned, open, closed, cancelled. */
static const struct { enum session_work work; bool allowed[4]; } table[] = {
  {WORK_EDIT, {true, true, false, false}},     {WORK_AGENDA, {true, true, false, false}},
  {WORK_DECIDE, {false, true, false, false}},  {WORK_CORRECT, {false, true, true, false}},
  {WORK_OPEN, {true, false, false, false}},    {WORK_CLOSE, {false, true, false, false}},
  {WORK_CANCEL, {true, false, false, false}},
};

static bool same(const char *a, const char *b) { return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0); }

int main(void) {
  CHECK(session_status_parse("planned") == SESSION_PLANNED);
  CHECK(session_status_parse("open") == SESSION_OPEN);
  CHECK(session_status_parse("closed") == SESSION_CLOSED);
  CHECK(session_status_parse("cancelled") == SESSION_CANCELLED);
  CHECK(session_status_parse("Open") == SESSION_INVALID);
  CHECK(session_status_parse("") == SESSION_INVALID);
  CHECK(session_status_parse(NULL) == SESSION_INVALID);

  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    for (int s = SESSION_PLANNED; s <= SESSION_CANCELLED; s++)
      CHECK(session_allows((enum session_status)s, table[i].work) == table[i].allowed[s]);
    CHECK(!session_allows(SESSION_INVALID, table[i].work));
  }

  /* A decision's members: the refusal reason goes with refuse, the unit with approve. */
  static const char *const outcomes[] = {"approve", "refuse", "defer"};
  for (size_t o = 0; o < 3; o++)
    for (int reason = 0; reason <= 1; reason++)
      for (int unit = 0; unit <= 1; unit++) {
        const char *why = NULL;
        const char *field = decision_members_check(outcomes[o], reason, unit, &why);
        bool refuse = o == 1, approve = o == 0;
        const char *expected = refuse != (bool)reason ? "/refusal_reason" : unit && !approve ? "/unit_id" : NULL;
        CHECK(same(field, expected));
        CHECK((field == NULL) == (why == NULL));
      }
  const char *why = NULL;
  CHECK(same(decision_members_check("refuse", false, false, &why), "/refusal_reason"));
  CHECK(same(why, "is required to refuse"));
  CHECK(same(decision_members_check("defer", true, false, &why), "/refusal_reason"));
  CHECK(same(why, "is only for a refusal"));
  CHECK(same(decision_members_check("refuse", true, true, &why), "/unit_id"));
  CHECK(same(why, "is only for an approval"));

  CHECK(unit_in_service("available"));
  CHECK(unit_in_service("occupied"));
  CHECK(!unit_in_service("withdrawn"));
  CHECK(!unit_in_service("out_of_service"));
  CHECK(!unit_in_service(NULL));

  /* A decision can be corrected while it stands and its application is where its outcome put it. */
  CHECK(decision_correctable("approve", true, APP_APPROVED));
  CHECK(decision_correctable("refuse", true, APP_REFUSED));
  CHECK(decision_correctable("defer", true, APP_DEFERRED));
  CHECK(!decision_correctable("approve", false, APP_APPROVED));
  CHECK(!decision_correctable("approve", true, APP_PLACED));
  CHECK(!decision_correctable("defer", true, APP_SCHEDULED));
  CHECK(!decision_correctable("unknown", true, APP_INVALID));

  /* A session opens on its date or later, never before. */
  CHECK(session_opens_on("2026-03-12", "2026-03-12"));
  CHECK(session_opens_on("2026-03-12", "2026-12-31"));
  CHECK(!session_opens_on("2027-03-31", "2026-12-04"));
  CHECK(!session_opens_on(NULL, "2026-12-04"));
  /* Its date changes while planned; once open it is fixed (the same date sent is no change). */
  CHECK(session_date_changeable(SESSION_PLANNED, "2026-03-12", "2026-03-19"));
  CHECK(session_date_changeable(SESSION_OPEN, "2026-03-12", NULL));
  CHECK(session_date_changeable(SESSION_OPEN, "2026-03-12", "2026-03-12"));
  CHECK(!session_date_changeable(SESSION_OPEN, "2026-03-12", "2026-03-13"));
  CHECK(!session_date_changeable(SESSION_CLOSED, "2026-03-12", "2026-03-13"));
  return check_exit();
}
