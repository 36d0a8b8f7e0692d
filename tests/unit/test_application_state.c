/* Unit tests of the application state machine: every (from, to, path) triple against the documented table. */
#include <string.h>

#include "application_state.h"
#include "check.h"

/* The legal transitions, written out independently of the implementation. */
static const struct { enum app_status from, to; enum app_path path; } legal[] = {
  {APP_DRAFT, APP_SUBMITTED, PATH_CLIENT},
  {APP_DRAFT, APP_WITHDRAWN, PATH_CLIENT},
  {APP_SUBMITTED, APP_WITHDRAWN, PATH_CLIENT},
  {APP_SCHEDULED, APP_WITHDRAWN, PATH_CLIENT},
  {APP_DEFERRED, APP_WITHDRAWN, PATH_CLIENT},
  {APP_APPROVED, APP_WITHDRAWN, PATH_CLIENT},
  {APP_SUBMITTED, APP_SCHEDULED, PATH_AGENDA},
  {APP_DEFERRED, APP_SCHEDULED, PATH_AGENDA},
  {APP_SCHEDULED, APP_SUBMITTED, PATH_AGENDA},
  {APP_SCHEDULED, APP_APPROVED, PATH_DECISION},
  {APP_SCHEDULED, APP_REFUSED, PATH_DECISION},
  {APP_SCHEDULED, APP_DEFERRED, PATH_DECISION},
  {APP_APPROVED, APP_PLACED, PATH_PLACEMENT},
  {APP_APPROVED, APP_LAPSED, PATH_DELAY},
};

static bool in_table(enum app_status from, enum app_status to, enum app_path path) {
  for (size_t i = 0; i < sizeof legal / sizeof *legal; i++)
    if (legal[i].from == from && legal[i].to == to && legal[i].path == path)
      return true;
  return false;
}

int main(void) {
  int checked = 0;
  for (int from = APP_DRAFT; from <= APP_LAPSED; from++)
    for (int to = APP_DRAFT; to <= APP_LAPSED; to++)
      for (int path = PATH_CLIENT; path <= PATH_DELAY; path++) {
        bool expected = in_table((enum app_status)from, (enum app_status)to, (enum app_path)path);
        bool actual = app_transition_legal((enum app_status)from, (enum app_status)to, (enum app_path)path);
        CHECK(expected == actual);
        if (expected != actual)
          fprintf(stderr, "  %s -> %s by path %d\n", app_status_name((enum app_status)from),
                  app_status_name((enum app_status)to), path);
        checked++;
      }
  CHECK(checked == 9 * 9 * 5);
  /* Terminal states have no way out but forcing. */
  CHECK(!app_status_open(APP_REFUSED) && !app_status_open(APP_PLACED) && !app_status_open(APP_WITHDRAWN) &&
        !app_status_open(APP_LAPSED));
  CHECK(app_status_parse("deferred") == APP_DEFERRED);
  CHECK(app_status_parse("DEFERRED") == APP_INVALID);
  CHECK(app_status_parse(NULL) == APP_INVALID);
  CHECK(strcmp(app_status_name(APP_LAPSED), "lapsed") == 0);
  CHECK(app_status_after_decision("approve") == APP_APPROVED);
  CHECK(app_status_after_decision("refuse") == APP_REFUSED);
  CHECK(app_status_after_decision("defer") == APP_DEFERRED);
  CHECK(app_status_after_decision("postpone") == APP_INVALID);
  /* Status filters: several values, each once, in the machine's order; "waiting" is submitted and deferred. */
  static const struct { const char *text, *literal; } lists[] = {
    {"submitted", "{submitted}"},
    {"deferred,submitted", "{submitted,deferred}"},
    {"waiting", "{submitted,deferred}"},
    {"waiting,submitted,draft", "{draft,submitted,deferred}"},
    {"lapsed,withdrawn,placed,deferred,refused,approved,scheduled,submitted,draft",
     "{draft,submitted,scheduled,approved,refused,deferred,placed,withdrawn,lapsed}"},
    {"", NULL}, {",", NULL}, {"submitted,", NULL}, {",submitted", NULL}, {"submitted,,deferred", NULL},
    {"SUBMITTED", NULL}, {"submitted,bogus", NULL}, {"waitinglist", NULL}, {"submitted ", NULL},
  };
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    char out[128] = "";
    bool ok = app_status_list_parse(lists[i].text, out, sizeof out);
    CHECK(ok == (lists[i].literal != NULL));
    if (ok && lists[i].literal != NULL)
      CHECK(strcmp(out, lists[i].literal) == 0);
    if (ok != (lists[i].literal != NULL) || (ok && strcmp(out, lists[i].literal) != 0))
      fprintf(stderr, "  status list %s -> %s\n", lists[i].text, ok ? out : "(refused)");
  }
  char small[8];
  CHECK(!app_status_list_parse("submitted,deferred", small, sizeof small));
  CHECK(!app_status_list_parse(NULL, small, sizeof small));
  return check_exit();
}
