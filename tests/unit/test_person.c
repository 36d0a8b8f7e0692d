/* Unit tests of the person rules (src/domain/person.c). */
#include <string.h>

#include "check.h"
#include "person.h"

#define TEAM "11111111-1111-1111-1111-111111111111"
#define OTHER_TEAM "22222222-2222-2222-2222-222222222222"
#define SERVICE "33333333-3333-3333-3333-333333333333"
#define OTHER_SERVICE "44444444-4444-4444-4444-444444444444"
#define TODAY "2026-06-15"

static struct principal who(enum role role, const char *org) {
  struct principal p = {.role = role};
  strcpy(p.scope_org_id, org);
  return p;
}

/* True when ERRORS has a finding on FIELD whose reason contains WORDS. */
static bool has(const struct person_errors *e, const char *field, const char *words) {
  for (size_t i = 0; i < e->count; i++)
    if (strcmp(e->at[i].field, field) == 0 && strstr(e->at[i].reason, words) != NULL)
      return true;
  return false;
}

static struct person_fields person(void) {
  return (struct person_fields){.family_name = "Martin", .given_names = "Léa", .birth_date = "1980-02-29",
                                .care_team_id = TEAM, .protection = "none"};
}

static void test_new(void) {
  struct principal coordinator = who(ROLE_COORDINATOR, ""), caregiver = who(ROLE_CAREGIVER, TEAM);
  struct person_sent sent = {.family_name = true, .given_names = true, .birth_date = true};
  struct person_fields v = {.family_name = "Martin", .given_names = "Léa", .birth_date = "1980-02-29"};
  person_complete_new(&coordinator, &v);
  CHECK(strcmp(v.protection, "none") == 0 && v.care_team_id == NULL);
  struct person_errors e = {0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/care_team_id", "is required"));
  /* A caregiver's new person is followed by its own team; another team is refused. */
  v.care_team_id = NULL;
  person_complete_new(&caregiver, &v);
  CHECK(v.care_team_id != NULL && strcmp(v.care_team_id, TEAM) == 0);
  e = (struct person_errors){0};
  person_check(&caregiver, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 0);
  v.care_team_id = OTHER_TEAM;
  e = (struct person_errors){0};
  person_check(&caregiver, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/care_team_id", "own care team"));
  /* Team ids compare in any case. */
  v.care_team_id = "11111111-1111-1111-1111-111111111111";
  struct principal upper = who(ROLE_CAREGIVER, "11111111-1111-1111-1111-111111111111");
  e = (struct person_errors){0};
  person_check(&upper, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 0);
}

static void test_dates_and_protection(void) {
  struct principal coordinator = who(ROLE_COORDINATOR, "");
  struct person_sent sent = {.birth_date = true, .protection_end = true};
  struct person_fields v = person();
  struct person_errors e = {0};
  v.birth_date = "2026-06-16";
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/birth_date", "future"));
  v.birth_date = TODAY; /* today is not the future */
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 0);
  /* A stored future birth date an update does not touch is not refused. */
  v.birth_date = "2030-01-01";
  sent.birth_date = false;
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, &v, &sent, &e);
  CHECK(e.count == 0);
  /* protection_end before protection_start: named by the member sent. */
  v = person();
  v.protection = "tutelle";
  v.curator_org_id = SERVICE;
  v.protection_start = "2026-01-01";
  v.protection_end = "2025-12-31";
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/protection_end", "before"));
  sent.protection_end = false;
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/protection_start", "before"));
  v.protection_end = "2026-01-01"; /* the same day is allowed */
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 0);
  /* A curator service exactly when there is a protection measure. */
  v.curator_org_id = NULL;
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "is required"));
  v.protection = "none";
  v.curator_org_id = SERVICE;
  e = (struct person_errors){0};
  person_check(&coordinator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "must be null"));
}

static void test_curator(void) {
  struct principal curator = who(ROLE_CURATOR, SERVICE);
  struct person_sent sent = {.curator_org_id = true, .care_team_id = true};
  struct person_fields v = person();
  v.protection = "curatelle_simple";
  v.curator_org_id = OTHER_SERVICE;
  struct person_errors e = {0};
  person_check(&curator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "own service"));
  v.curator_org_id = SERVICE;
  e = (struct person_errors){0};
  person_check(&curator, TODAY, &v, NULL, &sent, &e);
  CHECK(e.count == 0);
  /* On an update: neither the care team nor the service changes; the measure stays. */
  struct person_fields stored = v;
  v.care_team_id = OTHER_TEAM;
  v.curator_org_id = OTHER_SERVICE;
  e = (struct person_errors){0};
  person_check(&curator, TODAY, &v, &stored, &sent, &e);
  CHECK(e.count == 2 && has(&e, "/care_team_id", "cannot change the care team") &&
        has(&e, "/curator_org_id", "cannot change the curator service"));
  v = stored;
  v.protection = "none";
  v.curator_org_id = NULL;
  e = (struct person_errors){0};
  person_check(&curator, TODAY, &v, &stored, &sent, &e);
  CHECK(has(&e, "/protection", "protection measure"));
}

static void test_change(void) {
  struct principal coordinator = who(ROLE_COORDINATOR, ""), curator = who(ROLE_CURATOR, SERVICE),
                   caregiver = who(ROLE_CAREGIVER, TEAM);
  struct person_fields v = {0};
  struct person_sent sent = {0};
  struct person_errors e = {0};
  person_check_change(&coordinator, TODAY, &v, &sent, &e);
  CHECK(e.count == 0);
  /* protection sent with a null curator: refused whatever is stored; without the curator: the merge decides. */
  v.protection = "tutelle";
  sent.protection = sent.curator_org_id = true;
  person_check_change(&coordinator, TODAY, &v, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "is required"));
  sent.curator_org_id = false;
  e = (struct person_errors){0};
  person_check_change(&coordinator, TODAY, &v, &sent, &e);
  CHECK(e.count == 0);
  v.protection = "none";
  v.curator_org_id = SERVICE;
  sent.curator_org_id = true;
  e = (struct person_errors){0};
  person_check_change(&coordinator, TODAY, &v, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "must be null"));
  /* A curator cannot lift the measure nor name another service; a caregiver names its own team. */
  e = (struct person_errors){0};
  person_check_change(&curator, TODAY, &v, &sent, &e);
  CHECK(has(&e, "/protection", "protection measure"));
  v = (struct person_fields){.curator_org_id = OTHER_SERVICE};
  sent = (struct person_sent){.curator_org_id = true};
  e = (struct person_errors){0};
  person_check_change(&curator, TODAY, &v, &sent, &e);
  CHECK(e.count == 1 && has(&e, "/curator_org_id", "cannot change"));
  v = (struct person_fields){.care_team_id = OTHER_TEAM, .birth_date = "2099-01-01", .protection_start = "2026-02-01",
                             .protection_end = "2026-01-01"};
  sent = (struct person_sent){.care_team_id = true, .birth_date = true, .protection_start = true,
                              .protection_end = true};
  e = (struct person_errors){0};
  person_check_change(&caregiver, TODAY, &v, &sent, &e);
  CHECK(e.count == 3 && has(&e, "/care_team_id", "own care team") && has(&e, "/birth_date", "future") &&
        has(&e, "/protection_end", "before"));
}

static void test_duplicates_and_constraints(void) {
  CHECK(person_duplicate_shown(true) && !person_duplicate_shown(false));
  CHECK(person_duplicate_refuses(1, 0, false));
  CHECK(!person_duplicate_refuses(1, 0, true));
  CHECK(person_duplicate_refuses(0, 1, false)); /* only matches out of scope: refused too, no details */
  CHECK(!person_duplicate_refuses(0, 1, true));
  CHECK(!person_duplicate_refuses(0, 0, false));
  CHECK(strstr(person_duplicate_detail(0), "coordinator") != NULL);
  CHECK(strstr(person_duplicate_detail(1), "candidates") != NULL);
  CHECK(strcmp(person_constraint_field("people_care_team_id_fkey"), "/care_team_id") == 0);
  CHECK(strcmp(person_constraint_field("people_check1"), "/protection_end") == 0);
  CHECK(strcmp(person_constraint_field("people_check"), "/curator_org_id") == 0);
  CHECK(strcmp(person_constraint_field("people_email_check"), "/email") == 0);
  CHECK(strcmp(person_constraint_field("something_else"), "/") == 0);
  CHECK(strcmp(person_constraint_field(NULL), "/") == 0);
}

int main(void) {
  test_new();
  test_dates_and_protection();
  test_curator();
  test_change();
  test_duplicates_and_constraints();
  return check_exit();
}
