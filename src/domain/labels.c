/* The French words of the commission's documents (see include/labels.h). Every label a document prints comes from
 * this one table, so that a code never reaches a signed page raw. */
#include <stdio.h>
#include <string.h>

#include "labels.h"

struct label {
  enum label_kind kind;
  const char *code, *fr;
};

static const struct label labels[] = {
  {LABEL_OUTCOME, "approve", "Accord"},
  {LABEL_OUTCOME, "refuse", "Refus"},
  {LABEL_OUTCOME, "defer", "Ajournement"},
  {LABEL_REFUSAL_REASON, "no_suitable_unit", "aucun logement adapté n'est disponible"},
  {LABEL_REFUSAL_REASON, "care_project_not_ready", "le projet de soins n'est pas encore prêt"},
  {LABEL_REFUSAL_REASON, "incomplete_file", "le dossier est incomplet"},
  {LABEL_REFUSAL_REASON, "outside_sector", "la personne n'habite pas le secteur"},
  {LABEL_REFUSAL_REASON, "needs_other_structure", "une autre structure répond mieux aux besoins de la personne"},
  {LABEL_REFUSAL_REASON, "other", "autre motif (voir le commentaire)"},
  {LABEL_ATTENDEE_GROUP, "elected_officials", "Élus"},
  {LABEL_ATTENDEE_GROUP, "landlords", "Bailleurs"},
  {LABEL_ATTENDEE_GROUP, "care_team", "Équipe de secteur"},
  {LABEL_ATTENDEE_GROUP, "curators", "Mandataires judiciaires"},
  {LABEL_ATTENDEE_GROUP, "user_family_associations", "Associations d'usagers et de familles"},
  {LABEL_ATTENDEE_GROUP, "association", "Association"},
  {LABEL_ATTENDEE_GROUP, "other", "Autres participants"},
  {LABEL_INCIDENT_KIND, "rent_arrears", "impayés de loyer"},
  {LABEL_INCIDENT_KIND, "disturbance", "troubles de voisinage"},
  {LABEL_INCIDENT_KIND, "damage", "dégradations"},
  {LABEL_INCIDENT_KIND, "hospitalisation", "hospitalisation"},
  {LABEL_INCIDENT_KIND, "prolonged_absence", "absence prolongée"},
  {LABEL_INCIDENT_KIND, "other", "autre incident"},
  {LABEL_ITEM_KIND, "application", "Demande de logement"},
  {LABEL_ITEM_KIND, "review", "Bilan d'un accompagnement"},
  {LABEL_ITEM_KIND, "incident", "Incident"},
  {LABEL_UNIT_KINDS, "hlm_apartment", "Appartements HLM"},
  {LABEL_UNIT_KINDS, "foyer_place", "Places en foyer"},
  {LABEL_UNIT_KINDS, "transitional_place", "Places en structure d'accueil transitoire"},
  {LABEL_UNIT_KINDS, "residence_place", "Places en résidence"},
  {LABEL_COMMENT, "not examined at this session", "non examiné lors de cette séance, reporté à la suivante"},
  {LABEL_UNIT_KIND, "hlm_apartment", "appartement dans le parc social (HLM)"},
  {LABEL_UNIT_KIND, "foyer_place", "place en foyer"},
  {LABEL_UNIT_KIND, "transitional_place", "place en structure d'accueil transitoire"},
  {LABEL_UNIT_KIND, "residence_place", "place en résidence"},
  {LABEL_URGENCY, "normal", "normale"},
  {LABEL_URGENCY, "high", "élevée"},
  {LABEL_URGENCY, "urgent", "urgente"},
  {LABEL_INCIDENT_STATUS, "open", "ouvert"},
  {LABEL_INCIDENT_STATUS, "acknowledged", "pris en charge"},
  {LABEL_INCIDENT_STATUS, "closed", "clos"},
};

const char *label_fr(enum label_kind kind, const char *code) {
  for (size_t i = 0; code != NULL && i < sizeof labels / sizeof *labels; i++)
    if (labels[i].kind == kind && strcmp(labels[i].code, code) == 0)
      return labels[i].fr;
  return NULL;
}

bool date_long_fr(struct date d, bool with_weekday, char *out, size_t n) {
  static const char *const months[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                       "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
  /* 1970-01-01 was a Thursday. */
  static const char *const weekdays[] = {"jeudi", "vendredi", "samedi", "dimanche", "lundi", "mardi", "mercredi"};
  char check[11];
  struct date back;
  date_format(d, check, sizeof check);
  if (d.month < 1 || d.month > 12 || !date_parse(check, &back) || date_compare(back, d) != 0)
    return false;
  long days = date_days(d);
  int wd = (int)(((days % 7) + 7) % 7);
  int len = snprintf(out, n, "%s%s%d%s %s %d", with_weekday ? weekdays[wd] : "", with_weekday ? " " : "", d.day,
                     d.day == 1 ? "er" : "", months[d.month - 1], d.year);
  return len > 0 && (size_t)len < n;
}
