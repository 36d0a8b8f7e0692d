/* The person rules (see include/person.h). */
#include <string.h>
#include <strings.h>

#include "person.h"

static void add(struct person_errors *errors, const char *field, const char *reason) {
  if (errors->count < PERSON_ERRORS_MAX) {
    errors->at[errors->count].field = field;
    errors->at[errors->count].reason = reason;
    errors->count++;
  }
}

static bool same_id(const char *a, const char *b) { return a != NULL && b != NULL && strcasecmp(a, b) == 0; }

void person_complete_new(const struct principal *p, struct person_fields *v) {
  if (v->protection == NULL)
    v->protection = "none";
  if (v->care_team_id == NULL && p->role == ROLE_CAREGIVER)
    v->care_team_id = p->scope_org_id;
}

void person_check(const struct principal *p, const char *today, const struct person_fields *v,
                  const struct person_fields *current, const struct person_sent *sent, struct person_errors *errors) {
  if (current == NULL && v->care_team_id == NULL)
    add(errors, "/care_team_id", "is required");
  if (sent->birth_date && v->birth_date != NULL && strcmp(v->birth_date, today) > 0)
    add(errors, "/birth_date", "must not be in the future");
  if (v->protection_start != NULL && v->protection_end != NULL && strcmp(v->protection_end, v->protection_start) < 0)
    add(errors, sent->protection_end ? "/protection_end" : "/protection_start",
        "protection_end must not be before protection_start");
  bool is_protected = v->protection != NULL && strcmp(v->protection, "none") != 0;
  if (is_protected && v->curator_org_id == NULL)
    add(errors, "/curator_org_id", "is required when protection is not none");
  else if (!is_protected && v->curator_org_id != NULL)
    add(errors, "/curator_org_id", "must be null when protection is none");
  if (p->role == ROLE_CAREGIVER) {
    if (!same_id(v->care_team_id, p->scope_org_id))
      add(errors, "/care_team_id", "a caregiver can only name its own care team");
  } else if (p->role == ROLE_CURATOR) {
    if (current == NULL) {
      if (v->curator_org_id != NULL && !same_id(v->curator_org_id, p->scope_org_id))
        add(errors, "/curator_org_id", "a curator can only name its own service");
    } else {
      if (sent->care_team_id && !same_id(v->care_team_id, current->care_team_id))
        add(errors, "/care_team_id", "a curator cannot change the care team");
      if (sent->curator_org_id && !same_id(v->curator_org_id, current->curator_org_id))
        add(errors, "/curator_org_id", "a curator cannot change the curator service");
    }
    if (!is_protected)
      add(errors, "/protection", "the people of a curator's service have a protection measure");
  }
}

void person_check_change(const struct principal *p, const char *today, const struct person_fields *v,
                         const struct person_sent *sent, struct person_errors *errors) {
  if (sent->birth_date && v->birth_date != NULL && strcmp(v->birth_date, today) > 0)
    add(errors, "/birth_date", "must not be in the future");
  if (v->protection_start != NULL && v->protection_end != NULL && strcmp(v->protection_end, v->protection_start) < 0)
    add(errors, "/protection_end", "protection_end must not be before protection_start");
  bool none = sent->protection && v->protection != NULL && strcmp(v->protection, "none") == 0;
  if (sent->protection && sent->curator_org_id && !none && v->curator_org_id == NULL)
    add(errors, "/curator_org_id", "is required when protection is not none");
  else if (none && v->curator_org_id != NULL)
    add(errors, "/curator_org_id", "must be null when protection is none");
  if (p->role == ROLE_CAREGIVER && sent->care_team_id && !same_id(v->care_team_id, p->scope_org_id))
    add(errors, "/care_team_id", "a caregiver can only name its own care team");
  if (p->role == ROLE_CURATOR) {
    if (sent->curator_org_id && !same_id(v->curator_org_id, p->scope_org_id))
      add(errors, "/curator_org_id", "a curator cannot change the curator service");
    if (none)
      add(errors, "/protection", "the people of a curator's service have a protection measure");
  }
}

bool person_duplicate_shown(bool in_scope) { return in_scope; }

bool person_duplicate_refuses(size_t shown, size_t hidden, bool confirmed) {
  return !confirmed && shown + hidden > 0;
}

const char *person_duplicate_detail(size_t shown) {
  if (shown > 0)
    return "A person with the same names and birth date is already recorded (see candidates). Send "
           "\"confirm_duplicate\": true to create a new record anyway.";
  return "A person with the same names and birth date is already recorded, outside what you can see: the "
         "coordinator can help (your request is recorded for them). Send \"confirm_duplicate\": true to create a "
         "new record anyway.";
}

const char *person_constraint_field(const char *constraint) {
  static const struct {
    const char *fragment, *field;
  } map[] = {
    {"care_team", "/care_team_id"}, {"curator", "/curator_org_id"}, {"people_check1", "/protection_end"},
    {"people_check", "/curator_org_id"}, {"family_name", "/family_name"}, {"given_names", "/given_names"},
    {"phone", "/phone"}, {"email", "/email"}, {"address", "/address"}, {"protection", "/protection"},
  };
  for (size_t i = 0; constraint != NULL && i < sizeof map / sizeof *map; i++)
    if (strstr(constraint, map[i].fragment) != NULL)
      return map[i].field;
  return "/";
}
