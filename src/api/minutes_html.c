/* The printable procès-verbal: the French page a chair signs, rendered from the minutes' document model
 * (src/api/minutes.c) and nothing else, so that the same model always gives the same bytes (the sealed minutes
 * rely on it). Every word comes from the label table (src/domain/labels.c), every date is written out in French
 * (date_long_fr()), and everything that comes from a user is escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_doc.h"
#include "labels.h"
#include "minutes.h"

/* This file's many calls keep their short names for the shared helpers of include/html_doc.h. */
#define raw(h, s) html_raw(h, s)
#define text(h, s) html_text(h, s)
#define rawf(...) html_rawf(__VA_ARGS__)
#define pair(h, a, sep, b) html_pair(h, a, sep, b)
#define done(h, len) html_done(h, len)
#define fr(kind, code) html_fr(kind, code)
#define long_date(h, date, weekday) html_long_date(h, date, weekday)

static const char *str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s != NULL ? s : "";
}

static long num(json_t *obj, const char *key) { return (long)json_integer_value(json_object_get(obj, key)); }

static const char *const STYLE =
  "<style>\n" HTML_PRINT_CSS
  ".num{width:2.5em;text-align:right}.retire td{color:#444;font-style:italic}\n"
  ".decisions th:nth-child(2){width:22%}.decisions th:nth-child(3){width:14%}"
  ".decisions th:nth-child(4){width:24%}\n"
  ".draft{border:2px solid #000;padding:.4em;text-align:center;font-weight:bold}\n"
  ".recorded{font-size:10pt;font-style:italic}\n"
  ".signature{margin-top:2em;break-inside:avoid}.signature .space{height:2.5cm}\n"
  ".annex{break-before:page;margin-top:3em;border-top:3px double #000;padding-top:.2em}\n"
  "@media print{.annex{margin-top:0;border-top:none;padding-top:0}}\n"
  HTML_PRINT_CSS_END
  "</style>\n";

static void attendance(struct html *h, json_t *attendees) {
  static const char *const groups[] = {"elected_officials", "care_team", "landlords", "curators",
                                       "user_family_associations", "association", "other"};
  rawf(h, "<h2>Présents (%zu)</h2>\n", json_array_size(attendees));
  if (json_array_size(attendees) == 0) {
    raw(h, "<p>Aucune présence n'a été enregistrée.</p>\n");
    return;
  }
  raw(h, "<ul class=\"attendance\">\n");
  for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
    size_t count = 0, i;
    json_t *a;
    json_array_foreach(attendees, i, a) count += strcmp(str(a, "group"), groups[g]) == 0;
    if (count == 0)
      continue;
    raw(h, "<li><strong>");
    text(h, fr(LABEL_ATTENDEE_GROUP, groups[g]));
    rawf(h, " (%zu)</strong> : ", count);
    bool first = true;
    json_array_foreach(attendees, i, a) {
      if (strcmp(str(a, "group"), groups[g]) != 0)
        continue;
      raw(h, first ? "" : " ; ");
      first = false;
      text(h, str(a, "name"));
      if (*str(a, "organisation") != '\0') {
        raw(h, " (");
        text(h, str(a, "organisation"));
        raw(h, ")");
      }
    }
    raw(h, "</li>\n");
  }
  raw(h, "</ul>\n");
}

/* The decision of an application line, in words: outcome, unit, reason, comment. */
static void decision_cells(struct html *h, json_t *line) {
  json_t *d = json_object_get(line, "decision");
  if (strcmp(str(line, "status"), "withdrawn") == 0) {
    raw(h, "<td>Retiré</td><td></td><td>La demande a été retirée avant d'être examinée.</td>");
    return;
  }
  if (!json_is_object(d)) {
    raw(h, "<td>Non décidé</td><td></td><td></td>");
    return;
  }
  raw(h, "<td>");
  text(h, fr(LABEL_OUTCOME, str(d, "outcome")));
  if (json_is_string(json_object_get(d, "corrects_decision_id")) || json_is_true(json_object_get(d, "corrected")))
    raw(h, " (après rectification, voir l'annexe)");
  raw(h, "</td><td>");
  pair(h, str(d, "unit_label"), ", ", str(d, "unit_town"));
  raw(h, "</td><td>");
  const char *reason = label_fr(LABEL_REFUSAL_REASON, str(d, "refusal_reason"));
  if (reason != NULL) {
    raw(h, "Motif : ");
    text(h, reason);
    raw(h, ".");
  }
  const char *comment = str(d, "comment");
  const char *system = label_fr(LABEL_COMMENT, comment);
  if (*comment != '\0') {
    raw(h, reason != NULL ? " " : "");
    if (system != NULL) {
      char capital[160];
      snprintf(capital, sizeof capital, "%s", system);
      if (capital[0] >= 'a' && capital[0] <= 'z')
        capital[0] = (char)(capital[0] - 'a' + 'A');
      text(h, capital);
      raw(h, ".");
    } else {
      text(h, comment);
    }
  }
  raw(h, "</td>");
}

static void items_table(struct html *h, json_t *items) {
  size_t i;
  json_t *line;
  size_t applications = 0, others = 0;
  json_array_foreach(items, i, line) {
    if (strcmp(str(line, "kind"), "application") == 0)
      applications++;
    else
      others++;
  }
  raw(h, "<h2>Demandes examinées et décisions</h2>\n");
  if (applications == 0) {
    raw(h, "<p>Aucune demande n'était inscrite à l'ordre du jour.</p>\n");
  } else {
    raw(h, "<table class=\"decisions\"><thead><tr><th class=\"num\">N°</th><th>Dossier</th><th>Décision</th>"
           "<th>Logement attribué</th><th>Motif et observations</th></tr></thead><tbody>\n");
    json_array_foreach(items, i, line) {
      if (strcmp(str(line, "kind"), "application") != 0)
        continue;
      rawf(h, "<tr%s><td class=\"num\">%ld</td><td>",
           strcmp(str(line, "status"), "withdrawn") == 0 ? " class=\"retire\"" : "", num(line, "number"));
      text(h, str(line, "label"));
      raw(h, "</td>");
      decision_cells(h, line);
      raw(h, "</tr>\n");
    }
    raw(h, "</tbody></table>\n");
  }
  raw(h, "<h2>Bilans et incidents examinés</h2>\n");
  if (others == 0) {
    raw(h, "<p>Aucun bilan ni incident n'était inscrit à l'ordre du jour.</p>\n");
    return;
  }
  raw(h, "<table class=\"follow-up\"><thead><tr><th class=\"num\">N°</th><th>Objet</th><th>Logement</th>"
         "<th>Suite donnée</th></tr></thead><tbody>\n");
  json_array_foreach(items, i, line) {
    const char *kind = str(line, "kind");
    if (strcmp(kind, "application") == 0)
      continue;
    rawf(h, "<tr><td class=\"num\">%ld</td><td>", num(line, "number"));
    text(h, fr(LABEL_ITEM_KIND, kind));
    json_t *inc = json_object_get(line, "incident");
    if (json_is_object(inc)) {
      raw(h, " : ");
      text(h, fr(LABEL_INCIDENT_KIND, str(inc, "kind")));
      raw(h, " du ");
      long_date(h, str(inc, "occurred_on"), false);
    }
    raw(h, " — ");
    text(h, str(line, "label"));
    raw(h, "</td><td>");
    json_t *pl = json_object_get(line, "placement");
    if (json_is_object(pl)) {
      pair(h, str(pl, "unit_label"), ", ", str(pl, "unit_town"));
    }
    raw(h, "</td><td>");
    if (*str(line, "note") != '\0')
      text(h, str(line, "note"));
    else
      raw(h, "Examiné, sans suite particulière.");
    raw(h, "</td></tr>\n");
  }
  raw(h, "</tbody></table>\n");
}

static void counts(struct html *h, json_t *c) {
  raw(h, "<h2>Bilan de la séance</h2>\n<ul class=\"counts\">\n");
  rawf(h, "<li>Demandes examinées : %ld (accords : %ld ; refus : %ld ; ajournements : %ld)</li>\n",
       num(c, "examined"), num(c, "approved"), num(c, "refused"), num(c, "deferred"));
  rawf(h, "<li>Demandes retirées : %ld</li>\n", num(c, "withdrawn"));
  rawf(h, "<li>Bilans examinés : %ld ; incidents examinés : %ld</li>\n</ul>\n", num(c, "reviews"),
       num(c, "incidents"));
}

char *minutes_html(json_t *minutes, json_t *annexes, size_t *len) {
  struct html h = {0};
  json_t *session = json_object_get(minutes, "session");
  json_t *commission = json_object_get(minutes, "commission");
  const char *date = str(session, "session_date");
  bool closed = strcmp(str(session, "status"), "closed") == 0;
  raw(&h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>Procès-verbal de la séance du ");
  long_date(&h, date, true);
  raw(&h, "</title>\n");
  raw(&h, STYLE);
  raw(&h, "</head>\n<body>\n<header>\n<p class=\"commission\">");
  text(&h, str(commission, "name"));
  raw(&h, "</p>\n<h1>Procès-verbal de la commission appartement</h1>\n<p class=\"session\">Séance du ");
  long_date(&h, date, true);
  raw(&h, " à ");
  pair(&h, str(session, "town"), " — ", str(session, "place"));
  raw(&h, "</p>\n</header>\n");
  if (!closed)
    raw(&h, "<p class=\"draft\">Projet : la séance n'est pas close, ce procès-verbal n'est pas définitif.</p>\n");
  raw(&h, "<p class=\"chair\">Présidence de séance : ");
  pair(&h, str(session, "chair_name"), ", ", str(session, "chair_title"));
  raw(&h, "</p>\n");
  attendance(&h, json_object_get(minutes, "attendees"));
  items_table(&h, json_object_get(minutes, "items"));
  counts(&h, json_object_get(minutes, "counts"));
  json_t *recorded = json_object_get(minutes, "recorded");
  const char *first = str(recorded, "first"), *last = str(recorded, "last");
  if (*first != '\0' && (strcmp(first, date) != 0 || strcmp(last, date) != 0)) {
    raw(&h, "<p class=\"recorded\">Les décisions de cette séance ont été enregistrées ");
    if (strcmp(first, last) == 0) {
      raw(&h, "le ");
      long_date(&h, first, false);
    } else {
      raw(&h, "du ");
      long_date(&h, first, false);
      raw(&h, " au ");
      long_date(&h, last, false);
    }
    raw(&h, " ; elles portent la date de la séance.</p>\n");
  }
  raw(&h, "<div class=\"signature\">\n<p>Fait à ");
  text(&h, str(session, "town"));
  raw(&h, ", le ");
  if (closed)
    long_date(&h, str(session, "closed_at"), false);
  else
    raw(&h, "……………………");
  /* The chair's title agrees with the civility the name is written with ("Mme ...": la présidente). */
  const char *chair = str(session, "chair_name");
  bool madame = strncmp(chair, "Mme ", 4) == 0 || strncmp(chair, "Madame ", 7) == 0;
  raw(&h, madame ? ".</p>\n<p>La présidente de séance,<br>" : ".</p>\n<p>Le président de séance,<br>");
  pair(&h, str(session, "chair_name"), "<br>", str(session, "chair_title"));
  raw(&h, "</p>\n<div class=\"space\"></div>\n</div>\n");
  size_t i;
  json_t *annex;
  json_array_foreach(annexes, i, annex) {
    size_t n;
    char *part = minutes_annex_html(annex, &n);
    if (part == NULL) {
      h.failed = true;
      break;
    }
    raw(&h, part);
    free(part);
  }
  raw(&h, "</body>\n</html>\n");
  return done(&h, len);
}

char *minutes_annex_html(json_t *annex, size_t *len) {
  struct html h = {0};
  rawf(&h, "<section class=\"annex\">\n<h2>Annexe n° %ld : rectification du ", num(annex, "number"));
  long_date(&h, str(annex, "recorded_at"), false);
  raw(&h, "</h2>\n<p>Dossier n° ");
  rawf(&h, "%ld : ", num(annex, "item_number"));
  text(&h, str(annex, "label"));
  raw(&h, "</p>\n<table><thead><tr><th></th><th>Décision</th><th>Logement</th><th>Motif</th></tr></thead><tbody>\n");
  static const char *const rows[][2] = {{"before", "Décision de la séance"}, {"after", "Décision rectifiée"}};
  for (size_t r = 0; r < 2; r++) {
    json_t *d = json_object_get(annex, rows[r][0]);
    raw(&h, "<tr><th>");
    raw(&h, rows[r][1]);
    raw(&h, "</th><td>");
    text(&h, fr(LABEL_OUTCOME, str(d, "outcome")));
    raw(&h, "</td><td>");
    text(&h, str(d, "unit_label"));
    raw(&h, "</td><td>");
    const char *reason = label_fr(LABEL_REFUSAL_REASON, str(d, "refusal_reason"));
    text(&h, reason != NULL ? reason : "");
    raw(&h, "</td></tr>\n");
  }
  raw(&h, "</tbody></table>\n<p>Motif de la rectification : ");
  text(&h, str(annex, "why"));
  raw(&h, "</p>\n<p>Enregistrée le ");
  long_date(&h, str(annex, "recorded_at"), false);
  raw(&h, " à ");
  char hhmm[6] = "";
  const char *ts = str(annex, "recorded_at");
  if (strlen(ts) >= 16)
    snprintf(hhmm, sizeof hhmm, "%.2s:%.2s", ts + 11, ts + 14);
  text(&h, hhmm);
  raw(&h, " (UTC) par ");
  text(&h, str(annex, "by"));
  raw(&h, ".</p>\n</section>\n");
  return done(&h, len);
}
