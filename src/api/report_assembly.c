/* The yearly assembly report as a French spreadsheet file and as a printable French page, rendered from the
 * report's JSON document (src/api/reports.c) and nothing else. One table of lines says, for each figure, where it
 * is in the document, its French words and how to write it; both forms follow it in its order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_doc.h"
#include "labels.h"
#include "report_assembly.h"

enum figure { FIG_INT, FIG_DAYS, FIG_CENTS, FIG_PLACES };

struct line {
  const char *section; /* the dotted path of the object holding the figure ("" the document) */
  const char *key;     /* the figure's member */
  const char *section_fr, *metric_fr;
  enum figure kind; /* FIG_PLACES: the places tables go here (section and key unused) */
};

#define WAITS(path, title, counted)                                                                              \
  {path, "count", title, counted, FIG_INT}, {path, "median", title, "Médiane", FIG_DAYS},                        \
      {path, "mean", title, "Moyenne", FIG_DAYS}, {path, "max", title, "Maximum", FIG_INT}

static const struct line LINES[] = {
  {"applications", "received", "Demandes", "Demandes reçues (déposées)", FIG_INT},
  {"applications", "examined", "Demandes", "Demandes examinées en séance", FIG_INT},
  {"applications.decided", "approve", "Demandes", "Accords", FIG_INT},
  {"applications.decided", "refuse", "Demandes", "Refus", FIG_INT},
  {"applications.decided", "defer", "Demandes", "Ajournements", FIG_INT},
  {"applications", "withdrawn", "Demandes", "Demandes retirées", FIG_INT},
  {"applications", "lapsed", "Demandes", "Accords devenus caducs", FIG_INT},
  WAITS("wait_days.to_decision", "Délai du dépôt à la décision (jours)", "Décisions comptées"),
  WAITS("wait_days.to_move_in", "Délai du dépôt à l'entrée dans le logement (jours)", "Entrées comptées"),
  {"people_housed", "at_start", "Personnes logées", "Au début de la période", FIG_INT},
  {"people_housed", "at_end", "Personnes logées", "À la fin de la période", FIG_INT},
  {"people_housed", "during", "Personnes logées", "Pendant la période (chacune une fois)", FIG_INT},
  {"placements", "move_ins", "Entrées et sorties", "Entrées dans un logement", FIG_INT},
  {"placements", "exits", "Entrées et sorties", "Sorties", FIG_INT},
  {"placements.exit_reasons", "lease_transferred", "Motifs de sortie", "Bail glissé au nom de la personne", FIG_INT},
  {"placements.exit_reasons", "other_housing", "Motifs de sortie", "Relogement", FIG_INT},
  {"placements.exit_reasons", "care", "Motifs de sortie", "Orientation vers le soin ou une structure adaptée",
   FIG_INT},
  {"placements.exit_reasons", "tenancy_ended", "Motifs de sortie", "Fin de bail subie (expulsion, départ)", FIG_INT},
  {"placements.exit_reasons", "other", "Motifs de sortie", "Autres motifs", FIG_INT},
  {NULL, NULL, NULL, NULL, FIG_PLACES},
  {"", "sessions", "Suivi", "Séances de la commission", FIG_INT},
  {"", "reviews_held", "Suivi", "Bilans réalisés", FIG_INT},
  {"incidents", "rent_arrears", "Incidents", NULL, FIG_INT},
  {"incidents", "disturbance", "Incidents", NULL, FIG_INT},
  {"incidents", "damage", "Incidents", NULL, FIG_INT},
  {"incidents", "prolonged_absence", "Incidents", NULL, FIG_INT},
  {"incidents", "other", "Incidents", "Autres incidents", FIG_INT},
  {"deposits", "paid_cents", "Cautions (euros)", "Versées aux bailleurs", FIG_CENTS},
  {"deposits", "refunded_cents", "Cautions (euros)", "Restituées", FIG_CENTS},
  {"deposits", "deducted_cents", "Cautions (euros)", "Retenues par les bailleurs", FIG_CENTS},
  {"deposits", "written_off_cents", "Cautions (euros)", "Abandonnées", FIG_CENTS},
  {"deposits", "penalty_claimed_cents", "Cautions (euros)", "Pénalités de retard réclamées", FIG_CENTS},
  {"deposits", "penalty_received_cents", "Cautions (euros)", "Pénalités de retard perçues", FIG_CENTS},
  {"deposits", "penalty_waived_cents", "Cautions (euros)", "Pénalités de retard abandonnées", FIG_CENTS},
};

/* The columns of a places row: member, French heading. */
static const char *const PLACE_COLUMNS[][2] = {
  {"units", "Logements"}, {"places", "Places"},   {"occupied", "Occupées"}, {"vacant", "Vacantes"},
  {"out_of_service", "Hors service"}, {"move_ins", "Entrées"}, {"exits", "Sorties"},
};
#define PLACE_COLUMN_COUNT (sizeof PLACE_COLUMNS / sizeof *PLACE_COLUMNS)

/* The member of REPORT at the dotted PATH ("" the document itself); NULL when absent. */
static json_t *at_path(json_t *report, const char *path) {
  json_t *v = report;
  char part[64];
  while (v != NULL && *path != '\0') {
    size_t n = strcspn(path, ".");
    if (n >= sizeof part)
      return NULL;
    memcpy(part, path, n);
    part[n] = '\0';
    v = json_object_get(v, part);
    path += n + (path[n] == '.');
  }
  return v;
}

/* The French words of a line: its own, or the label table's for an incident kind (capitalised). */
static const char *metric_words(const struct line *l, char *out, size_t n) {
  if (l->metric_fr != NULL)
    return l->metric_fr;
  snprintf(out, n, "%s", html_fr(LABEL_INCIDENT_KIND, l->key));
  if (out[0] >= 'a' && out[0] <= 'z')
    out[0] = (char)(out[0] - 'a' + 'A');
  return out;
}

/* VALUE as KIND writes it into OUT: an integer, days with one decimal, euros with two (DECIMAL the separator,
 * GROUP between thousands when not NULL); "" for null. */
static void figure_text(const json_t *value, enum figure kind, char decimal, const char *group, char *out,
                        size_t n) {
  out[0] = '\0';
  if (kind == FIG_DAYS && json_is_number(value)) {
    snprintf(out, n, "%.1f", json_number_value(value));
    char *dot = strchr(out, '.');
    if (dot != NULL)
      *dot = decimal;
  } else if (kind == FIG_CENTS && json_is_integer(value)) {
    long long cents = json_integer_value(value);
    unsigned long long abs = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    char units[24], grouped[48]; /* at most 18 digits, 5 separators of at most 4 bytes */
    snprintf(units, sizeof units, "%llu", abs / 100);
    size_t len = strlen(units), o = 0, glen = group != NULL ? strlen(group) : 0;
    for (size_t i = 0; i < len && o + glen + 2 < sizeof grouped; i++) {
      if (glen > 0 && i > 0 && (len - i) % 3 == 0) {
        memcpy(grouped + o, group, glen);
        o += glen;
      }
      grouped[o++] = units[i];
    }
    grouped[o] = '\0';
    snprintf(out, n, "%s%s%c%02llu", cents < 0 ? "-" : "", grouped, decimal, abs % 100);
  } else if (json_is_integer(value)) {
    snprintf(out, n, "%lld", (long long)json_integer_value(value));
  }
}

/* ---- CSV ---- */

struct csv {
  struct html out; /* used as a plain growing buffer */
  char sep, decimal;
  bool english;
};

/* One text cell: ' before a leading = + - @ tab or CR (a spreadsheet would run it as a formula), quoted with its
 * quotes doubled when it holds the separator, a quote or a line break. */
static void csv_text(struct csv *c, const char *s) {
  bool quote = strpbrk(s, "\"\r\n") != NULL || strchr(s, c->sep) != NULL;
  if (quote)
    html_raw(&c->out, "\"");
  if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
    html_raw(&c->out, "'");
  for (const char *p = s; *p != '\0'; p++) {
    char one[3] = {*p, '\0', '\0'};
    if (*p == '"')
      one[1] = '"';
    html_raw(&c->out, one);
  }
  if (quote)
    html_raw(&c->out, "\"");
}

static void csv_row(struct csv *c, const char *section, const char *metric, const char *value, bool value_is_text) {
  char sep[2] = {c->sep, '\0'};
  csv_text(c, section);
  html_raw(&c->out, sep);
  csv_text(c, metric);
  html_raw(&c->out, sep);
  if (value_is_text)
    csv_text(c, value);
  else
    html_raw(&c->out, value); /* a number we wrote: never neutralised, so a spreadsheet reads it as one */
  html_raw(&c->out, "\r\n");
}

/* The figures of one places row ITEM, under SECTION_EN (English) or SECTION_FR. */
static void csv_places_row(struct csv *c, json_t *item, const char *section_en, const char *section_fr) {
  for (size_t i = 0; i < PLACE_COLUMN_COUNT; i++) {
    char value[64];
    figure_text(json_object_get(item, PLACE_COLUMNS[i][0]), FIG_INT, c->decimal, NULL, value, sizeof value);
    csv_row(c, c->english ? section_en : section_fr, c->english ? PLACE_COLUMNS[i][0] : PLACE_COLUMNS[i][1], value,
            false);
  }
}

static void csv_places(struct csv *c, json_t *places) {
  size_t i;
  json_t *item;
  char en[200], fr[200];
  json_array_foreach(json_object_get(places, "unit_kinds"), i, item) {
    const char *kind = json_string_value(json_object_get(item, "unit_kind"));
    snprintf(en, sizeof en, "places.unit_kinds.%s", kind ? kind : "");
    snprintf(fr, sizeof fr, "Places : %s", html_fr(LABEL_UNIT_KINDS, kind ? kind : ""));
    csv_places_row(c, item, en, fr);
  }
  json_array_foreach(json_object_get(places, "towns"), i, item) {
    const char *town = json_string_value(json_object_get(item, "town"));
    snprintf(en, sizeof en, "places.towns.%s", town ? town : "");
    snprintf(fr, sizeof fr, "Places à %s", town ? town : "");
    csv_places_row(c, item, en, fr);
  }
  csv_places_row(c, json_object_get(places, "total"), "places.total", "Places : ensemble");
}

char *assembly_csv(json_t *report, bool comma, bool english, size_t *len) {
  struct csv c = {.sep = comma ? ',' : ';', .decimal = comma ? '.' : ',', .english = english};
  html_raw(&c.out, "\xEF\xBB\xBF"); /* the byte order mark: spreadsheets then read UTF-8 */
  csv_row(&c, english ? "section" : "Rubrique", english ? "metric" : "Indicateur", english ? "value" : "Valeur",
          true);
  const char *commission = json_string_value(json_object_get(report, "commission"));
  csv_row(&c, english ? "summary" : "Commission", english ? "commission" : "Nom", commission ? commission : "",
          true);
  json_t *period = json_object_get(report, "period");
  static const char *const bounds[][2] = {{"from", "Du"}, {"to", "Au"}};
  for (size_t i = 0; i < 2; i++) {
    const char *day = json_string_value(json_object_get(period, bounds[i][0]));
    char words[64] = "";
    struct date d;
    if (!english && day != NULL && date_parse(day, &d))
      date_long_fr(d, true, words, sizeof words);
    csv_row(&c, english ? "period" : "Période", english ? bounds[i][0] : bounds[i][1],
            english ? (day ? day : "") : words, true);
  }
  for (size_t i = 0; i < sizeof LINES / sizeof *LINES; i++) {
    const struct line *l = &LINES[i];
    if (l->kind == FIG_PLACES) {
      csv_places(&c, json_object_get(report, "places"));
      continue;
    }
    char value[64], words[160], metric[64];
    figure_text(json_object_get(at_path(report, l->section), l->key), l->kind, c.decimal, NULL, value,
                sizeof value);
    if (english && l->kind == FIG_CENTS) {
      snprintf(metric, sizeof metric, "%.*s_eur", (int)(strlen(l->key) - strlen("_cents")), l->key);
    } else {
      snprintf(metric, sizeof metric, "%s", l->key);
    }
    csv_row(&c, english ? (l->section[0] != '\0' ? l->section : "summary") : l->section_fr,
            english ? metric : metric_words(l, words, sizeof words), value, false);
  }
  return html_done(&c.out, len);
}

/* ---- HTML ---- */

static const char *const STYLE =
  "<style>\n" HTML_PRINT_CSS
  "td.n,th.n{text-align:right;white-space:nowrap}table{break-inside:avoid}\n"
  ".rules{font-size:9.5pt}\n"
  HTML_PRINT_CSS_END
  "</style>\n";

static void html_places(struct html *h, json_t *places, const char *list, const char *member, const char *title,
                        const char *first_column) {
  html_raw(h, "<h2>");
  html_raw(h, title);
  html_raw(h, "</h2>\n<table class=\"places\"><thead><tr><th>");
  html_raw(h, first_column);
  html_raw(h, "</th>");
  for (size_t i = 0; i < PLACE_COLUMN_COUNT; i++)
    html_rawf(h, "<th class=\"n\">%s</th>", PLACE_COLUMNS[i][1]);
  html_raw(h, "</tr></thead><tbody>\n");
  size_t n = json_array_size(json_object_get(places, list));
  for (size_t r = 0; r <= n; r++) {
    json_t *item = r < n ? json_array_get(json_object_get(places, list), r) : json_object_get(places, "total");
    const char *name = json_string_value(json_object_get(item, member));
    html_raw(h, r < n ? "<tr><td>" : "<tr class=\"total\"><th>");
    if (r == n)
      html_raw(h, "Ensemble");
    else if (strcmp(member, "unit_kind") == 0)
      html_text(h, html_fr(LABEL_UNIT_KINDS, name));
    else
      html_text(h, name);
    html_raw(h, r < n ? "</td>" : "</th>");
    for (size_t i = 0; i < PLACE_COLUMN_COUNT; i++)
      html_rawf(h, "<td class=\"n\">%lld</td>", (long long)json_integer_value(json_object_get(item, PLACE_COLUMNS[i][0])));
    html_raw(h, "</tr>\n");
  }
  html_raw(h, "</tbody></table>\n");
}

static const char *const RULES =
  "<h2>Règles de comptage</h2>\n<ul class=\"rules\">\n"
  "<li>La période va du premier au dernier jour inclus (jours UTC).</li>\n"
  "<li>Une demande est reçue le jour de son dépôt ; une décision compte à la date de la séance qui l'a prise, "
  "une décision rectifiée par son résultat rectifié ; une demande examinée l'est au moins une fois en "
  "séance pendant la période.</li>\n"
  "<li>Les délais se comptent en jours, du jour du dépôt de la demande au jour de la séance (accords et "
  "refus) ou au jour de l'entrée dans le logement ; la médiane de deux valeurs centrales est leur moyenne.</li>\n"
  "<li>Les personnes logées au début de la période le sont la veille du premier jour, à la fin de la "
  "période le dernier jour ; le jour de la sortie libère la place. Une personne compte une fois.</li>\n"
  "<li>Les places, logements et occupations sont ceux du dernier jour ; les entrées et sorties de la période "
  "sont comptées par type de logement et par commune du logement.</li>\n"
  "<li>Les motifs de sortie et les incidents sont regroupés pour ne rien dire de la santé de quiconque.</li>\n"
  "<li>Les montants des cautions sont les écritures datées dans la période ; une annulation se déduit à sa "
  "date.</li>\n"
  "</ul>\n";

char *assembly_html(json_t *report, size_t *len) {
  struct html h = {0};
  json_t *period = json_object_get(report, "period");
  const char *from = json_string_value(json_object_get(period, "from"));
  const char *to = json_string_value(json_object_get(period, "to"));
  html_raw(&h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>Rapport d'activité du ");
  html_long_date(&h, from, false);
  html_raw(&h, " au ");
  html_long_date(&h, to, false);
  html_raw(&h, "</title>\n");
  html_raw(&h, STYLE);
  html_raw(&h, "</head>\n<body>\n<header>\n<p class=\"commission\">");
  html_text(&h, json_string_value(json_object_get(report, "commission")));
  html_raw(&h, "</p>\n<h1>Rapport d'activité de la commission appartement</h1>\n<p class=\"period\">Du ");
  html_long_date(&h, from, true);
  html_raw(&h, " au ");
  html_long_date(&h, to, true);
  html_raw(&h, "</p>\n</header>\n");
  const char *open_section = NULL;
  for (size_t i = 0; i < sizeof LINES / sizeof *LINES; i++) {
    const struct line *l = &LINES[i];
    if (open_section != NULL && (l->kind == FIG_PLACES || strcmp(open_section, l->section_fr) != 0)) {
      html_raw(&h, "</tbody></table>\n");
      open_section = NULL;
    }
    if (l->kind == FIG_PLACES) {
      json_t *places = json_object_get(report, "places");
      html_places(&h, places, "unit_kinds", "unit_kind", "Places par type de logement", "Type");
      html_places(&h, places, "towns", "town", "Places par commune", "Commune");
      continue;
    }
    if (open_section == NULL) {
      open_section = l->section_fr;
      html_raw(&h, "<h2>");
      html_text(&h, open_section);
      html_raw(&h, "</h2>\n<table class=\"figures\"><tbody>\n");
    }
    char value[64], words[160];
    figure_text(json_object_get(at_path(report, l->section), l->key), l->kind, ',', "\xC2\xA0", value,
                sizeof value);
    html_raw(&h, "<tr><th>");
    html_text(&h, metric_words(l, words, sizeof words));
    html_raw(&h, "</th><td class=\"n\">");
    html_raw(&h, value[0] != '\0' ? value : "—");
    html_raw(&h, l->kind == FIG_CENTS && value[0] != '\0' ? "\xC2\xA0€" : "");
    html_raw(&h, "</td></tr>\n");
  }
  if (open_section != NULL)
    html_raw(&h, "</tbody></table>\n");
  html_raw(&h, RULES);
  html_raw(&h, "</body>\n</html>\n");
  return html_done(&h, len);
}
