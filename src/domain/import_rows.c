/* The columns of each importable kind, and a CSV row read into checked values (include/import.h). One table per
 * kind serves the import (headers matched, values read) and the export (headers and values written), so that an
 * export reads back as it was. */
#include "import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define MONEY_MAX 100000000L

static const struct import_label org_kinds[] = {
  {"landlord", "Bailleur"}, {"residence", "Résidence"}, {"curator_service", "Service mandataire"},
  {"care_team", "Équipe de soins"}, {"partner", "Partenaire"}, {NULL, NULL}};
static const struct import_label unit_kinds[] = {
  {"hlm_apartment", "Appartement HLM"}, {"foyer_place", "Place en foyer"},
  {"transitional_place", "Place transitoire"}, {"residence_place", "Place en résidence"}, {NULL, NULL}};
static const struct import_label protections[] = {
  {"none", "Aucune"}, {"sauvegarde_de_justice", "Sauvegarde de justice"}, {"curatelle_simple", "Curatelle simple"},
  {"curatelle_renforcee", "Curatelle renforcée"}, {"tutelle", "Tutelle"}, {NULL, NULL}};
static const struct import_label urgencies[] = {
  {"normal", "Normale"}, {"high", "Élevée"}, {"urgent", "Urgente"}, {NULL, NULL}};
static const struct import_label application_statuses[] = {
  {"submitted", "Déposée"}, {"draft", "Brouillon"}, {NULL, NULL}};
static const struct import_label leases[] = {
  {"association_main_tenant", "Association locataire principale"}, {"sliding_lease", "Bail glissant"},
  {"direct_lease", "Bail direct"}, {NULL, NULL}};
static const struct import_label exit_reasons[] = {
  {"lease_transferred", "Bail glissé"}, {"other_housing", "Autre logement"}, {"hospitalisation", "Hospitalisation"},
  {"care_facility", "Structure de soins"}, {"eviction", "Expulsion"},
  {"departure_without_notice", "Départ sans préavis"}, {"death", "Décès"}, {"other", "Autre"}, {NULL, NULL}};
static const struct import_label deposit_kinds[] = {
  {"paid", "Versement"}, {"refunded", "Remboursement"}, {"deducted", "Retenue"}, {"written_off", "Perte"},
  {"penalty_claimed", "Majoration réclamée"}, {"penalty_received", "Majoration reçue"},
  {"penalty_waived", "Majoration abandonnée"}, {NULL, NULL}};

/* The person a row of applications, placements or deposits is about. */
#define PERSON_COLUMNS                                                                                            \
  {"family_name", "family_name", "Nom", "nom_de_famille|last_name|surname", COL_TEXT, true, 1, 100, NULL, NULL}, \
  {"given_names", "given_names", "Prénom", "prenoms|prenom_s|first_name|given_name", COL_TEXT, true, 1, 100, NULL, \
   NULL},                                                                                                         \
  {"birth_date", "birth_date", "Date de naissance", "ne_le|nee_le|ne_e_le|naissance|date_of_birth", COL_DATE, true, \
   0, 0, NULL, NULL}

static const struct import_column organisation_columns[] = {
  {"name", "name", "Nom", "raison_sociale|organisme|organisation", COL_TEXT, true, 1, 200, NULL, NULL},
  {"kind", "kind", "Type", "categorie", COL_ENUM, true, 0, 0, org_kinds, NULL},
  {"town", "town", "Commune", "ville", COL_TEXT, false, 0, 100, NULL, NULL},
  {"address", "address", "Adresse", NULL, COL_MULTILINE, false, 0, 500, NULL, NULL},
  {"email", "email", "Courriel", "mail|e_mail|adresse_electronique", COL_EMAIL, false, 0, 254, NULL, NULL},
  {"phone", "phone", "Téléphone", "tel", COL_TEXT, false, 0, 40, NULL, NULL},
};

static const struct import_column unit_columns[] = {
  {"label", "label", "Libellé", "designation|logement|nom", COL_TEXT, true, 1, 200, NULL, NULL},
  {"kind", "kind", "Type", "type_de_logement", COL_ENUM, true, 0, 0, unit_kinds, NULL},
  {"address", "address", "Adresse", NULL, COL_MULTILINE, true, 1, 500, NULL, NULL},
  {"town", "town", "Commune", "ville", COL_TEXT, true, 1, 100, NULL, NULL},
  {"landlord", "landlord", "Bailleur", "proprietaire|residence", COL_TEXT, true, 1, 200, NULL, NULL},
  {"places", "places", "Places", "nombre_de_places|capacite", COL_INT, true, 1, 500, NULL, NULL},
  {"rent_cents", "rent", "Loyer", "loyer_hors_charges|rent_cents", COL_CENTS, true, 0, MONEY_MAX, NULL, NULL},
  {"charges_cents", "charges", "Charges", "charges_cents", COL_CENTS, true, 0, MONEY_MAX, NULL, NULL},
  {"deposit_cents", "deposit", "Dépôt de garantie", "caution|depot|deposit_cents", COL_CENTS, true, 0, MONEY_MAX,
   NULL, NULL},
};

static const struct import_column person_columns[] = {
  PERSON_COLUMNS,
  {"phone", "phone", "Téléphone", "tel", COL_TEXT, false, 0, 40, NULL, NULL},
  {"email", "email", "Courriel", "mail|e_mail", COL_EMAIL, false, 0, 254, NULL, NULL},
  {"address", "address", "Adresse", NULL, COL_MULTILINE, false, 0, 500, NULL, NULL},
  {"care_team", "care_team", "Équipe de soins", "equipe_soignante|secteur", COL_TEXT, true, 1, 200, NULL, NULL},
  {"protection", "protection", "Mesure de protection", "mesure", COL_ENUM, false, 0, 0, protections, "none"},
  {"curator", "curator", "Mandataire", "curateur|tuteur|service_mandataire", COL_TEXT, false, 0, 200, NULL, NULL},
  {"protection_start", "protection_start", "Début de la mesure", NULL, COL_DATE, false, 0, 0, NULL, NULL},
  {"protection_end", "protection_end", "Fin de la mesure", NULL, COL_DATE, false, 0, 0, NULL, NULL},
};

static const struct import_column application_columns[] = {
  PERSON_COLUMNS,
  {"situation", "situation", "Situation", NULL, COL_MULTILINE, true, 1, 20000, NULL, NULL},
  {"wished_unit_kinds", "wished_unit_kinds", "Types de logement souhaités", "types_souhaites", COL_ENUM_LIST, false,
   0, 0, unit_kinds, NULL},
  {"wished_towns", "wished_towns", "Communes souhaitées", "villes_souhaitees", COL_LIST, false, 0, 100, NULL, NULL},
  {"urgency", "urgency", "Urgence", NULL, COL_ENUM, false, 0, 0, urgencies, "normal"},
  {"referent_name", "referent_name", "Référent", "referent", COL_TEXT, false, 0, 200, NULL, NULL},
  {"status", "status", "Statut", "etat", COL_ENUM, false, 0, 0, application_statuses, "submitted"},
  {"submitted_on", "submitted_on", "Date de dépôt", "date_de_la_demande|submitted_at", COL_DATE, false, 0, 0, NULL,
   NULL},
};

static const struct import_column placement_columns[] = {
  PERSON_COLUMNS,
  {"unit_address", "unit_address", "Adresse du logement", "adresse|logement", COL_MULTILINE, true, 1, 500, NULL,
   NULL},
  {"unit_town", "unit_town", "Commune du logement", "commune|ville", COL_TEXT, true, 1, 100, NULL, NULL},
  {"move_in_date", "move_in_date", "Date d'entrée", "entree|date_entree", COL_DATE, true, 0, 0, NULL, NULL},
  {"lease", "lease", "Bail", "type_de_bail", COL_ENUM, true, 0, 0, leases, NULL},
  {"exit_date", "exit_date", "Date de sortie", "sortie", COL_DATE, false, 0, 0, NULL, NULL},
  {"exit_reason", "exit_reason", "Motif de sortie", NULL, COL_ENUM, false, 0, 0, exit_reasons, NULL},
  {"exit_inspection_matches", "exit_inspection_matches", "État des lieux conforme", "edl_conforme", COL_BOOL, false,
   0, 0, NULL, NULL},
  {"exit_comment", "exit_comment", "Commentaire de sortie", NULL, COL_MULTILINE, false, 0, 5000, NULL, NULL},
};

static const struct import_column deposit_columns[] = {
  PERSON_COLUMNS,
  {"move_in_date", "move_in_date", "Date d'entrée", "entree|date_entree", COL_DATE, true, 0, 0, NULL, NULL},
  {"kind", "kind", "Opération", "operation|mouvement|type", COL_ENUM, true, 0, 0, deposit_kinds, NULL},
  {"amount_cents", "amount", "Montant", "somme|amount_cents", COL_CENTS, true, 1, MONEY_MAX, NULL, NULL},
  {"entry_date", "entry_date", "Date", "date_de_l_operation|date_operation", COL_DATE, true, 0, 0, NULL, NULL},
  {"justification", "justification", "Justification", "motif|commentaire", COL_MULTILINE, false, 0, 5000, NULL,
   NULL},
};

#define KIND(name, cols) {name, cols, sizeof cols / sizeof *cols}
static const struct import_kind_def kinds[IMPORT_KIND_COUNT] = {
  [IMPORT_ORGANISATIONS] = KIND("organisations", organisation_columns),
  [IMPORT_UNITS] = KIND("units", unit_columns),
  [IMPORT_PEOPLE] = KIND("people", person_columns),
  [IMPORT_APPLICATIONS] = KIND("applications", application_columns),
  [IMPORT_PLACEMENTS] = KIND("placements", placement_columns),
  [IMPORT_DEPOSITS] = KIND("deposits", deposit_columns),
};

const struct import_kind_def *import_kind_def(enum import_kind kind) {
  return kind >= 0 && kind < IMPORT_KIND_COUNT ? &kinds[kind] : NULL;
}

int import_kind_parse(const char *name) {
  for (int i = 0; name != NULL && i < IMPORT_KIND_COUNT; i++)
    if (strcmp(kinds[i].name, name) == 0) return i;
  return -1;
}

/* ---- headers ---- */

static bool alias_listed(const char *aliases, const char *key) {
  size_t n = strlen(key);
  for (const char *p = aliases; p && *p;) {
    const char *end = strchr(p, '|');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, key, n) == 0) return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

static bool column_named(const struct import_column *c, const char *key) {
  char k[128];
  csv_header_key(c->french, k, sizeof k);
  if (strcmp(k, key) == 0) return true;
  csv_header_key(c->english, k, sizeof k);
  if (strcmp(k, key) == 0) return true;
  csv_header_key(c->field, k, sizeof k);
  return strcmp(k, key) == 0 || alias_listed(c->aliases, key);
}

static void add_error(json_t *errors, size_t line, size_t column, const char *field, const char *header,
                      const char *reason) {
  json_t *e = json_object();
  if (!e) return;
  if (line) json_object_set_new(e, "line", json_integer((json_int_t)line));
  if (column) json_object_set_new(e, "column", json_integer((json_int_t)column));
  if (field) json_object_set_new(e, "field", json_string(field));
  if (header) json_object_set_new(e, "header", json_string(header));
  json_object_set_new(e, "reason", json_string(reason));
  json_array_append_new(errors, e);
}

bool import_layout_read(const struct import_kind_def *def, const struct csv *csv, struct import_layout *layout,
                        json_t **errors) {
  *errors = json_array();
  for (size_t i = 0; i < sizeof layout->position / sizeof *layout->position; i++) layout->position[i] = -1;
  size_t line = csv->rows[0].line;
  for (size_t f = 0; f < csv->rows[0].nfields; f++) {
    const char *header = csv_field(csv, 0, f);
    char key[128];
    csv_header_key(header, key, sizeof key);
    if (key[0] == '\0') {
      add_error(*errors, line, f + 1, NULL, header, "a column without a name holds values");
      continue;
    }
    size_t i = 0;
    while (i < def->ncolumns && !column_named(&def->columns[i], key)) i++;
    if (i == def->ncolumns) {
      char reason[300];
      snprintf(reason, sizeof reason, "\"%.100s\" is not a column of %s (README: Importing a spreadsheet)", header,
               def->name);
      add_error(*errors, line, f + 1, NULL, header, reason);
    } else if (layout->position[i] >= 0) {
      add_error(*errors, line, f + 1, def->columns[i].field, header, "a second column for the same field");
    } else
      layout->position[i] = (long)f;
  }
  for (size_t i = 0; i < def->ncolumns; i++)
    if (def->columns[i].required && layout->position[i] < 0) {
      char reason[200];
      snprintf(reason, sizeof reason, "the column \"%s\" (or \"%s\") is missing", def->columns[i].french,
               def->columns[i].english);
      add_error(*errors, line, 0, def->columns[i].field, NULL, reason);
    }
  if (json_array_size(*errors) == 0) {
    json_decref(*errors);
    *errors = NULL;
    return true;
  }
  return false;
}

/* ---- values ---- */

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* S without the spaces around it, into a new string. */
static char *trimmed(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  char *out = malloc(n + 1);
  if (out) {
    memcpy(out, s, n);
    out[n] = '\0';
  }
  return out;
}

static const char *label_code(const struct import_label *labels, const char *text) {
  char key[128], k[128];
  csv_header_key(text, key, sizeof key);
  for (const struct import_label *l = labels; l->code; l++) {
    if (strcmp(l->code, text) == 0) return l->code;
    csv_header_key(l->fr, k, sizeof k);
    if (strcmp(k, key) == 0) return l->code;
    csv_header_key(l->code, k, sizeof k);
    if (strcmp(k, key) == 0) return l->code;
  }
  return NULL;
}

static void labels_list(const struct import_label *labels, char *out, size_t n) {
  size_t k = 0;
  out[0] = '\0';
  for (const struct import_label *l = labels; l->code && k < n; l++)
    k += (size_t)snprintf(out + k, n - k, "%s\"%s\"", k ? ", " : "", l->fr);
}

/* TEXT as one of column C's codes (or their French labels): a new JSON string, or NULL with REASON. */
static json_t *code_value(const struct import_column *c, const char *text, char *reason, size_t n) {
  const char *code = label_code(c->labels, text);
  if (!code) {
    char all[400];
    labels_list(c->labels, all, sizeof all);
    snprintf(reason, n, "\"%.60s\" is not one of %s", text, all);
    return NULL;
  }
  return json_string(code);
}

/* One list item checked as column C asks; a new JSON string, or NULL with REASON. */
static json_t *list_item(const struct import_column *c, const char *item, char *reason, size_t n) {
  if (c->type == COL_ENUM_LIST)
    return code_value(c, item, reason, n);
  if ((long)utf8_chars(item) > c->max) {
    snprintf(reason, n, "\"%.60s\" is longer than %ld characters", item, c->max);
    return NULL;
  }
  return json_string(item);
}

/* The value of cell TEXT (trimmed, not empty) for column C: a new JSON value, or NULL with REASON. */
static json_t *cell_value(const struct import_column *c, char *text, char *reason, size_t n) {
  switch (c->type) {
  case COL_TEXT:
  case COL_MULTILINE:
  case COL_EMAIL: {
    csv_cell_restore(text);
    size_t chars = utf8_chars(text);
    if ((long)chars > c->max) {
      snprintf(reason, n, "longer than %ld characters (%zu)", c->max, chars);
      return NULL;
    }
    if (!valid_text(text, c->type == COL_MULTILINE)) {
      snprintf(reason, n, c->type == COL_MULTILINE ? "holds a control character" :
                                                     "holds a line break or a control character");
      return NULL;
    }
    if (c->type == COL_EMAIL && !valid_email(text)) {
      snprintf(reason, n, "not an email address");
      return NULL;
    }
    return json_string(text);
  }
  case COL_DATE: {
    struct date d;
    if (!csv_parse_date(text, &d)) {
      snprintf(reason, n, "\"%.40s\" is not a date (dd/mm/yyyy or yyyy-mm-dd)", text);
      return NULL;
    }
    char iso[16];
    date_format(d, iso, sizeof iso);
    return json_string(iso);
  }
  case COL_CENTS: {
    long long cents;
    const char *why = NULL;
    if (!csv_parse_cents(text, &cents, &why)) {
      snprintf(reason, n, "\"%.40s\": %s", text, why);
      return NULL;
    }
    if (cents < c->min || cents > c->max) {
      snprintf(reason, n, "must be between %ld,%02ld and %ld,%02ld euros", c->min / 100, c->min % 100,
               c->max / 100, c->max % 100);
      return NULL;
    }
    return json_integer(cents);
  }
  case COL_INT: {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < c->min || v > c->max) {
      snprintf(reason, n, "must be a whole number between %ld and %ld", c->min, c->max);
      return NULL;
    }
    return json_integer(v);
  }
  case COL_ENUM: return code_value(c, text, reason, n);
  case COL_BOOL: {
    char key[16];
    csv_header_key(text, key, sizeof key);
    static const char *const yes[] = {"oui", "o", "yes", "y", "vrai", "true", "1"};
    static const char *const no[] = {"non", "n", "no", "faux", "false", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
      if (strcmp(key, yes[i]) == 0) return json_true();
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
      if (strcmp(key, no[i]) == 0) return json_false();
    snprintf(reason, n, "\"%.40s\" is neither oui nor non", text);
    return NULL;
  }
  case COL_LIST:
  case COL_ENUM_LIST: {
    json_t *list = json_array();
    if (!list) return NULL;
    char *save = NULL;
    for (char *item = strtok_r(text, ",;", &save); item; item = strtok_r(NULL, ",;", &save)) {
      char *t = trimmed(item);
      if (!t) {
        json_decref(list);
        return NULL;
      }
      if (*t) {
        json_t *v = list_item(c, t, reason, n);
        if (!v) {
          free(t);
          json_decref(list);
          return NULL;
        }
        json_array_append_new(list, v);
      }
      free(t);
    }
    return list;
  }
  }
  return NULL;
}

/* The file's column (1-based) of FIELD, 0 when the file has none. */
static size_t column_of(const struct import_kind_def *def, const struct import_layout *layout, const char *field) {
  for (size_t i = 0; i < def->ncolumns; i++)
    if (strcmp(def->columns[i].field, field) == 0) return layout->position[i] >= 0 ? (size_t)layout->position[i] + 1 : 0;
  return 0;
}

static const char *member_text(json_t *row, const char *field) {
  return json_string_value(json_object_get(row, field));
}

/* Rules across the columns of one row, for what the database would refuse without saying which cell. */
static void row_rules(const struct import_kind_def *def, const struct import_layout *layout, json_t *row,
                      size_t line, json_t *errors) {
  if (def == &kinds[IMPORT_PEOPLE]) {
    const char *protection = member_text(row, "protection");
    bool curator = member_text(row, "curator") != NULL;
    if (protection && strcmp(protection, "none") != 0 && !curator)
      add_error(errors, line, column_of(def, layout, "curator"), "curator", "Mandataire", "a protection measure needs the curator service's name");
    if (protection && strcmp(protection, "none") == 0 && curator)
      add_error(errors, line, column_of(def, layout, "curator"), "curator", "Mandataire", "a curator service is named without a protection measure");
    const char *start = member_text(row, "protection_start"), *end = member_text(row, "protection_end");
    if (start && end && strcmp(end, start) < 0)
      add_error(errors, line, column_of(def, layout, "protection_end"), "protection_end", "Fin de la mesure", "before the measure's start");
  } else if (def == &kinds[IMPORT_PLACEMENTS]) {
    bool exit = member_text(row, "exit_date") != NULL;
    bool reason = member_text(row, "exit_reason") != NULL;
    bool matches = json_is_boolean(json_object_get(row, "exit_inspection_matches"));
    if (exit && (!reason || !matches))
      add_error(errors, line, column_of(def, layout, !reason ? "exit_reason" : "exit_inspection_matches"),
                !reason ? "exit_reason" : "exit_inspection_matches",
                !reason ? "Motif de sortie" : "État des lieux conforme", "an exit needs its reason and whether the "
                "exit inspection matched the entry one");
    if (!exit && (reason || matches || member_text(row, "exit_comment")))
      add_error(errors, line, column_of(def, layout, "exit_date"), "exit_date", "Date de sortie", "exit details without an exit date");
    const char *in = member_text(row, "move_in_date"), *out = member_text(row, "exit_date");
    if (in && out && strcmp(out, in) < 0)
      add_error(errors, line, column_of(def, layout, "exit_date"), "exit_date", "Date de sortie", "before the move-in date");
  } else if (def == &kinds[IMPORT_DEPOSITS]) {
    const char *kind = member_text(row, "kind");
    if (kind && (strcmp(kind, "deducted") == 0 || strcmp(kind, "penalty_waived") == 0) &&
        !member_text(row, "justification"))
      add_error(errors, line, column_of(def, layout, "justification"), "justification", "Justification", "a deduction or a waived penalty needs its "
                "justification");
  }
}

json_t *import_row_read(const struct import_kind_def *def, const struct import_layout *layout,
                        const struct csv *csv, size_t row, json_t *errors) {
  size_t line = csv->rows[row].line;
  size_t before = json_array_size(errors);
  json_t *out = json_object();
  if (!out) return NULL;
  json_object_set_new(out, "line", json_integer((json_int_t)line));
  for (size_t i = 0; i < def->ncolumns; i++) {
    const struct import_column *c = &def->columns[i];
    char *text = layout->position[i] >= 0 ? trimmed(csv_field(csv, row, (size_t)layout->position[i])) : strdup("");
    if (!text) {
      json_decref(out);
      return NULL;
    }
    size_t column = layout->position[i] >= 0 ? (size_t)layout->position[i] + 1 : 0;
    json_t *v = NULL;
    if (*text == '\0') {
      if (c->required)
        add_error(errors, line, column, c->field, c->french, "required, and empty");
      else
        v = c->fallback ? json_string(c->fallback) : json_null();
    } else {
      char reason[600];
      reason[0] = '\0';
      v = cell_value(c, text, reason, sizeof reason);
      if (!v) add_error(errors, line, column, c->field, c->french, reason[0] ? reason : "out of memory");
    }
    free(text);
    if (v) json_object_set_new(out, c->field, v);
  }
  if (json_array_size(errors) == before) row_rules(def, layout, out, line, errors);
  if (json_array_size(errors) != before) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* ---- export ---- */

char *import_cell_text(const struct import_column *c, const char *value) {
  if (value == NULL) return strdup("");
  char buf[64];
  switch (c->type) {
  case COL_DATE: {
    struct date d;
    if (!date_parse(value, &d)) return strdup(value);
    snprintf(buf, sizeof buf, "%02d/%02d/%04d", d.day, d.month, d.year);
    return strdup(buf);
  }
  case COL_CENTS: {
    long long v = strtoll(value, NULL, 10);
    snprintf(buf, sizeof buf, "%lld,%02lld", v / 100, v % 100);
    return strdup(buf);
  }
  case COL_ENUM:
    for (const struct import_label *l = c->labels; l->code; l++)
      if (strcmp(l->code, value) == 0) return strdup(l->fr);
    return strdup(value);
  case COL_BOOL: return strdup(strcmp(value, "t") == 0 || strcmp(value, "true") == 0 ? "oui" : "non");
  case COL_LIST:
  case COL_ENUM_LIST: {
    json_t *list = json_loads(value, 0, NULL);
    if (!json_is_array(list)) {
      json_decref(list);
      return strdup("");
    }
    size_t cap = strlen(value) * 4 + 16, k = 0;
    char *out = malloc(cap);
    if (!out) {
      json_decref(list);
      return NULL;
    }
    out[0] = '\0';
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
      const char *s = json_string_value(item);
      if (!s) continue;
      if (c->type == COL_ENUM_LIST)
        for (const struct import_label *l = c->labels; l->code; l++)
          if (strcmp(l->code, s) == 0) s = l->fr;
      k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? ", " : "", s);
    }
    json_decref(list);
    return out;
  }
  default: return strdup(value);
  }
}
