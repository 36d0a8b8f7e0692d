/* The printable procès-verbal: the French page a chair signs, rendered from the minutes' document model
 * (src/api/minutes.c) and nothing else, so that the same model always gives the same bytes (the sealed minutes
 * rely on it). Every word comes from the label table (src/domain/labels.c), every date is written out in French
 * (date_long_fr()), and everything that comes from a user is escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_page.h"
#include "labels.h"
#include "minutes.h"

static long num(json_t *obj, const char *key) { return (long)json_integer_value(json_object_get(obj, key)); }

static const char *const STYLE =
  "<style>\n"
  "@page{size:A4;margin:2cm 2cm 2.2cm 2cm}\n"
  "body{font-family:'DejaVu Serif',Georgia,serif;font-size:11pt;line-height:1.4;color:#000;max-width:17cm;"
  "margin:1.5em auto}\n"
  "header{text-align:center;border-bottom:1px solid #000;padding-bottom:.6em;margin-bottom:1em}\n"
  "header .commission{font-variant:small-caps;font-size:13pt;margin:0}\n"
  "h1{font-size:16pt;margin:.4em 0 .2em}\n"
  "h2{font-size:12pt;margin:1.2em 0 .4em;border-bottom:1px solid #888;break-after:avoid}\n"
  "table{border-collapse:collapse;width:100%;font-size:10pt}\n"
  "th,td{border:1px solid #444;padding:.25em .4em;text-align:left;vertical-align:top}\n"
  "thead{display:table-header-group}tr{break-inside:avoid}\n"
  ".num{width:2.5em;text-align:right}.retire td{color:#444;font-style:italic}\n"
  ".draft{border:2px solid #000;padding:.4em;text-align:center;font-weight:bold}\n"
  ".recorded{font-size:10pt;font-style:italic}\n"
  ".signature{margin-top:2em;break-inside:avoid}.signature .space{height:3cm}\n"
  ".annex{break-before:page}\n"
  "@media print{body{margin:0;max-width:none}}\n"
  "</style>\n";

static void attendance(struct html *h, json_t *attendees) {
  static const char *const groups[] = {"elected_officials", "care_team", "landlords", "curators",
                                       "user_family_associations", "association", "other"};
  html_rawf(h, "<h2>Présents (%zu)</h2>\n", json_array_size(attendees));
  if (json_array_size(attendees) == 0) {
    html_raw(h, "<p>Aucune présence n'a été enregistrée.</p>\n");
    return;
  }
  html_raw(h, "<ul class=\"attendance\">\n");
  for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
    size_t count = 0, i;
    json_t *a;
    json_array_foreach(attendees, i, a) count += strcmp(html_str(a, "group"), groups[g]) == 0;
    if (count == 0)
      continue;
    html_raw(h, "<li><strong>");
    html_text(h, html_fr(LABEL_ATTENDEE_GROUP, groups[g]));
    html_rawf(h, " (%zu)</strong> : ", count);
    bool first = true;
    json_array_foreach(attendees, i, a) {
      if (strcmp(html_str(a, "group"), groups[g]) != 0)
        continue;
      html_raw(h, first ? "" : " ; ");
      first = false;
      html_text(h, html_str(a, "name"));
      if (*html_str(a, "organisation") != '\0') {
        html_raw(h, " (");
        html_text(h, html_str(a, "organisation"));
        html_raw(h, ")");
      }
    }
    html_raw(h, "</li>\n");
  }
  html_raw(h, "</ul>\n");
}

/* The decision of an application line, in words: outcome, unit, reason, comment. */
static void decision_cells(struct html *h, json_t *line) {
  json_t *d = json_object_get(line, "decision");
  if (strcmp(html_str(line, "status"), "withdrawn") == 0) {
    html_raw(h, "<td>Retiré</td><td></td><td>La demande a été retirée avant d'être examinée.</td>");
    return;
  }
  if (!json_is_object(d)) {
    html_raw(h, "<td>Non décidé</td><td></td><td></td>");
    return;
  }
  html_raw(h, "<td>");
  html_text(h, html_fr(LABEL_OUTCOME, html_str(d, "outcome")));
  if (json_is_string(json_object_get(d, "corrects_decision_id")) || json_is_true(json_object_get(d, "corrected")))
    html_raw(h, " (après rectification, voir l'annexe)");
  html_raw(h, "</td><td>");
  html_pair(h, html_str(d, "unit_label"), ", ", html_str(d, "unit_town"));
  html_raw(h, "</td><td>");
  const char *reason = label_fr(LABEL_REFUSAL_REASON, html_str(d, "refusal_reason"));
  if (reason != NULL) {
    html_raw(h, "Motif : ");
    html_text(h, reason);
    html_raw(h, ".");
  }
  const char *comment = html_str(d, "comment");
  const char *system = label_fr(LABEL_COMMENT, comment);
  if (*comment != '\0') {
    html_raw(h, reason != NULL ? " " : "");
    if (system != NULL) {
      char capital[160];
      snprintf(capital, sizeof capital, "%s", system);
      if (capital[0] >= 'a' && capital[0] <= 'z')
        capital[0] = (char)(capital[0] - 'a' + 'A');
      html_text(h, capital);
      html_raw(h, ".");
    } else {
      html_text(h, comment);
    }
  }
  html_raw(h, "</td>");
}

static void items_table(struct html *h, json_t *items) {
  size_t i;
  json_t *line;
  size_t applications = 0, others = 0;
  json_array_foreach(items, i, line) {
    if (strcmp(html_str(line, "kind"), "application") == 0)
      applications++;
    else
      others++;
  }
  html_raw(h, "<h2>Demandes examinées et décisions</h2>\n");
  if (applications == 0) {
    html_raw(h, "<p>Aucune demande n'était inscrite à l'ordre du jour.</p>\n");
  } else {
    html_raw(h, "<table class=\"decisions\"><thead><tr><th class=\"num\">N°</th><th>Dossier</th><th>Décision</th>"
           "<th>Logement attribué</th><th>Motif et observations</th></tr></thead><tbody>\n");
    json_array_foreach(items, i, line) {
      if (strcmp(html_str(line, "kind"), "application") != 0)
        continue;
      html_rawf(h, "<tr%s><td class=\"num\">%ld</td><td>",
           strcmp(html_str(line, "status"), "withdrawn") == 0 ? " class=\"retire\"" : "", num(line, "number"));
      html_text(h, html_str(line, "label"));
      html_raw(h, "</td>");
      decision_cells(h, line);
      html_raw(h, "</tr>\n");
    }
    html_raw(h, "</tbody></table>\n");
  }
  html_raw(h, "<h2>Bilans et incidents examinés</h2>\n");
  if (others == 0) {
    html_raw(h, "<p>Aucun bilan ni incident n'était inscrit à l'ordre du jour.</p>\n");
    return;
  }
  html_raw(h, "<table class=\"follow-up\"><thead><tr><th class=\"num\">N°</th><th>Objet</th><th>Logement</th>"
         "<th>Suite donnée</th></tr></thead><tbody>\n");
  json_array_foreach(items, i, line) {
    const char *kind = html_str(line, "kind");
    if (strcmp(kind, "application") == 0)
      continue;
    html_rawf(h, "<tr><td class=\"num\">%ld</td><td>", num(line, "number"));
    html_text(h, html_fr(LABEL_ITEM_KIND, kind));
    json_t *inc = json_object_get(line, "incident");
    if (json_is_object(inc)) {
      html_raw(h, " : ");
      html_text(h, html_fr(LABEL_INCIDENT_KIND, html_str(inc, "kind")));
      html_raw(h, " du ");
      html_long_date(h, html_str(inc, "occurred_on"), false);
    }
    html_raw(h, " — ");
    html_text(h, html_str(line, "label"));
    html_raw(h, "</td><td>");
    json_t *pl = json_object_get(line, "placement");
    if (json_is_object(pl)) {
      html_pair(h, html_str(pl, "unit_label"), ", ", html_str(pl, "unit_town"));
    }
    html_raw(h, "</td><td>");
    if (*html_str(line, "note") != '\0')
      html_text(h, html_str(line, "note"));
    else
      html_raw(h, "Examiné, sans suite particulière.");
    html_raw(h, "</td></tr>\n");
  }
  html_raw(h, "</tbody></table>\n");
}

static void counts(struct html *h, json_t *c) {
  html_raw(h, "<h2>Bilan de la séance</h2>\n<ul class=\"counts\">\n");
  html_rawf(h, "<li>Demandes examinées : %ld (accords : %ld ; refus : %ld ; ajournements : %ld)</li>\n",
       num(c, "examined"), num(c, "approved"), num(c, "refused"), num(c, "deferred"));
  html_rawf(h, "<li>Demandes retirées : %ld</li>\n", num(c, "withdrawn"));
  html_rawf(h, "<li>Bilans examinés : %ld ; incidents examinés : %ld</li>\n</ul>\n", num(c, "reviews"),
       num(c, "incidents"));
}

char *minutes_html(json_t *minutes, json_t *annexes, size_t *len) {
  struct html h = {0};
  json_t *session = json_object_get(minutes, "session");
  json_t *commission = json_object_get(minutes, "commission");
  const char *date = html_str(session, "session_date");
  bool closed = strcmp(html_str(session, "status"), "closed") == 0;
  html_raw(&h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>Procès-verbal de la séance du ");
  html_long_date(&h, date, true);
  html_raw(&h, "</title>\n");
  html_raw(&h, STYLE);
  html_raw(&h, "</head>\n<body>\n<header>\n<p class=\"commission\">");
  html_text(&h, html_str(commission, "name"));
  html_raw(&h, "</p>\n<h1>Procès-verbal de la commission appartement</h1>\n<p class=\"session\">Séance du ");
  html_long_date(&h, date, true);
  html_raw(&h, " à ");
  html_pair(&h, html_str(session, "town"), " — ", html_str(session, "place"));
  html_raw(&h, "</p>\n</header>\n");
  if (!closed)
    html_raw(&h, "<p class=\"draft\">Projet : la séance n'est pas close, ce procès-verbal n'est pas définitif.</p>\n");
  html_raw(&h, "<p class=\"chair\">Présidence de séance : ");
  html_pair(&h, html_str(session, "chair_name"), ", ", html_str(session, "chair_title"));
  html_raw(&h, "</p>\n");
  attendance(&h, json_object_get(minutes, "attendees"));
  items_table(&h, json_object_get(minutes, "items"));
  counts(&h, json_object_get(minutes, "counts"));
  json_t *recorded = json_object_get(minutes, "recorded");
  const char *first = html_str(recorded, "first"), *last = html_str(recorded, "last");
  if (*first != '\0' && (strcmp(first, date) != 0 || strcmp(last, date) != 0)) {
    html_raw(&h, "<p class=\"recorded\">Les décisions de cette séance ont été enregistrées ");
    if (strcmp(first, last) == 0) {
      html_raw(&h, "le ");
      html_long_date(&h, first, false);
    } else {
      html_raw(&h, "du ");
      html_long_date(&h, first, false);
      html_raw(&h, " au ");
      html_long_date(&h, last, false);
    }
    html_raw(&h, " ; elles portent la date de la séance.</p>\n");
  }
  html_raw(&h, "<div class=\"signature\">\n<p>Fait à ");
  html_text(&h, html_str(session, "town"));
  html_raw(&h, ", le ");
  if (closed)
    html_long_date(&h, html_str(session, "closed_at"), false);
  else
    html_raw(&h, "……………………");
  html_raw(&h, ".</p>\n<p>Le président de séance,<br>");
  html_pair(&h, html_str(session, "chair_name"), "<br>", html_str(session, "chair_title"));
  html_raw(&h, "</p>\n<div class=\"space\"></div>\n</div>\n");
  size_t i;
  json_t *annex;
  json_array_foreach(annexes, i, annex) {
    size_t n;
    char *part = minutes_annex_html(annex, &n);
    if (part == NULL) {
      h.failed = true;
      break;
    }
    html_raw(&h, part);
    free(part);
  }
  html_raw(&h, "</body>\n</html>\n");
  return html_done(&h, len);
}

char *minutes_annex_html(json_t *annex, size_t *len) {
  struct html h = {0};
  html_rawf(&h, "<section class=\"annex\">\n<h2>Annexe n° %ld : rectification du ", num(annex, "number"));
  html_long_date(&h, html_str(annex, "recorded_at"), false);
  html_raw(&h, "</h2>\n<p>Dossier n° ");
  html_rawf(&h, "%ld : ", num(annex, "item_number"));
  html_text(&h, html_str(annex, "label"));
  html_raw(&h, "</p>\n<table><thead><tr><th></th><th>Décision</th><th>Logement</th><th>Motif</th></tr></thead><tbody>\n");
  static const char *const rows[][2] = {{"before", "Décision de la séance"}, {"after", "Décision rectifiée"}};
  for (size_t r = 0; r < 2; r++) {
    json_t *d = json_object_get(annex, rows[r][0]);
    html_raw(&h, "<tr><th>");
    html_raw(&h, rows[r][1]);
    html_raw(&h, "</th><td>");
    html_text(&h, html_fr(LABEL_OUTCOME, html_str(d, "outcome")));
    html_raw(&h, "</td><td>");
    html_text(&h, html_str(d, "unit_label"));
    html_raw(&h, "</td><td>");
    const char *reason = label_fr(LABEL_REFUSAL_REASON, html_str(d, "refusal_reason"));
    html_text(&h, reason != NULL ? reason : "");
    html_raw(&h, "</td></tr>\n");
  }
  html_raw(&h, "</tbody></table>\n<p>Motif de la rectification : ");
  html_text(&h, html_str(annex, "why"));
  html_raw(&h, "</p>\n<p>Enregistrée le ");
  html_long_date(&h, html_str(annex, "recorded_at"), false);
  html_raw(&h, " à ");
  char hhmm[6] = "";
  const char *ts = html_str(annex, "recorded_at");
  if (strlen(ts) >= 16)
    snprintf(hhmm, sizeof hhmm, "%.2s:%.2s", ts + 11, ts + 14);
  html_text(&h, hhmm);
  html_raw(&h, " (UTC) par ");
  html_text(&h, html_str(annex, "by"));
  html_raw(&h, ".</p>\n</section>\n");
  return html_done(&h, len);
}
