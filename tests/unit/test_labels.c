/* Unit tests of the French words of the documents: long dates (weekday, "1er", every month) and the label table
 * (every code the schema allows has French words; unknown codes have none). */
#include <string.h>

#include "check.h"
#include "labels.h"

static bool long_date(int y, int m, int d, bool weekday, const char *want) {
  char out[48];
  struct date date = {y, m, d};
  return date_long_fr(date, weekday, out, sizeof out) && strcmp(out, want) == 0;
}

int main(void) {
  CHECK(long_date(2026, 3, 12, true, "jeudi 12 mars 2026"));
  CHECK(long_date(2026, 4, 1, true, "mercredi 1er avril 2026"));
  CHECK(long_date(2026, 12, 4, true, "vendredi 4 décembre 2026"));
  CHECK(long_date(1970, 1, 1, true, "jeudi 1er janvier 1970"));
  CHECK(long_date(1969, 12, 31, true, "mercredi 31 décembre 1969"));
  CHECK(long_date(2024, 2, 29, true, "jeudi 29 février 2024"));
  CHECK(long_date(2027, 8, 15, false, "15 août 2027"));
  CHECK(long_date(2100, 3, 1, true, "lundi 1er mars 2100"));
  char small[8];
  CHECK(!date_long_fr((struct date){2026, 3, 12}, true, small, sizeof small));
  char out[48];
  CHECK(!date_long_fr((struct date){2026, 2, 30}, true, out, sizeof out));
  CHECK(!date_long_fr((struct date){2026, 13, 1}, true, out, sizeof out));

  /* Every code of the schema's CHECK lists has its words. */
  static const char *const outcomes[] = {"approve", "refuse", "defer"};
  static const char *const reasons[] = {"no_suitable_unit", "care_project_not_ready", "incomplete_file",
                                        "outside_sector",   "needs_other_structure",  "other"};
  static const char *const groups[] = {"elected_officials", "landlords", "care_team", "curators",
                                       "user_family_associations", "association", "other"};
  static const char *const incidents[] = {"rent_arrears", "disturbance", "damage", "hospitalisation",
                                          "prolonged_absence", "other"};
  for (size_t i = 0; i < 3; i++)
    CHECK(label_fr(LABEL_OUTCOME, outcomes[i]) != NULL);
  for (size_t i = 0; i < 6; i++)
    CHECK(label_fr(LABEL_REFUSAL_REASON, reasons[i]) != NULL && label_fr(LABEL_INCIDENT_KIND, incidents[i]));
  for (size_t i = 0; i < 7; i++)
    CHECK(label_fr(LABEL_ATTENDEE_GROUP, groups[i]) != NULL);
  CHECK(strcmp(label_fr(LABEL_OUTCOME, "refuse"), "Refus") == 0);
  CHECK(strcmp(label_fr(LABEL_REFUSAL_REASON, "no_suitable_unit"), "aucun logement adapté n'est disponible") == 0);
  CHECK(label_fr(LABEL_OUTCOME, "no_suitable_unit") == NULL);
  CHECK(label_fr(LABEL_REFUSAL_REASON, NULL) == NULL);
  CHECK(label_fr(LABEL_COMMENT, "not examined at this session") != NULL);
  static const char *const unit_kinds[] = {"hlm_apartment", "foyer_place", "transitional_place", "residence_place"};
  for (size_t i = 0; i < 4; i++)
    CHECK(label_fr(LABEL_UNIT_KIND, unit_kinds[i]) != NULL);
  CHECK(label_fr(LABEL_URGENCY, "normal") && label_fr(LABEL_URGENCY, "high") && label_fr(LABEL_URGENCY, "urgent"));
  CHECK(label_fr(LABEL_INCIDENT_STATUS, "open") && label_fr(LABEL_INCIDENT_STATUS, "acknowledged") &&
        label_fr(LABEL_INCIDENT_STATUS, "closed"));
  return check_exit();
}
