/* The agenda pack (issue 12, item 5): the printable French document sent to a member before a session — a cover
 * page (commission, date, place, chair), then every item in order. It is rendered from the agenda document
 * exactly as the reader receives it as JSON (agenda_document(), already cut to what that reader may see), and
 * from nothing else: the pack can never show more than the JSON. */
#include <stdio.h>
#include <string.h>

#include "html_page.h"
#include "letters.h"

static const char *const PACK_STYLE =
  ".cover{break-after:page;text-align:center;padding-top:5cm}\n"
  ".cover .commission{font-variant:small-caps;font-size:15pt;margin:0}\n"
  ".cover h1{font-size:22pt;margin:1.2em 0 .6em}\n"
  ".cover .date{font-size:15pt;margin:.2em 0}\n"
  ".cover .summary{margin-top:2.5em}\n"
  ".cover .notice{margin:4cm auto 0;max-width:13cm;border:1px solid #000;padding:.5em;font-size:9.5pt}\n"
  "article.item{break-inside:avoid;padding:.3em 0 .5em}article.item+article.item{border-top:1px solid #888}\n"
  "article.item h3{font-size:11.5pt;margin:.3em 0}\n"
  "article.item dl{display:grid;grid-template-columns:9em 1fr;gap:.15em .8em;margin:.2em 0;font-size:10pt}\n"
  "article.item dt{font-weight:bold}article.item dd{margin:0}\n"
  ".hidden{font-style:italic;color:#444}\n"
  "@media screen{.cover{padding:2cm 0;border-bottom:1px dashed #888;margin-bottom:1.5em}"
  ".cover .notice{margin-top:2cm}}\n";

static long num(json_t *obj, const char *key) { return (long)json_integer_value(json_object_get(obj, key)); }

static void row_start(struct html *h, const char *term) {
  html_raw(h, "<dt>");
  html_raw(h, term);
  html_raw(h, "</dt><dd>");
}

/* A line TERM: TEXT (escaped). */
static void row_text(struct html *h, const char *term, const char *text) {
  row_start(h, term);
  html_text(h, text);
  html_raw(h, "</dd>\n");
}

/* A line TERM: DATE written out in French. */
static void row_date(struct html *h, const char *term, const char *date) {
  row_start(h, term);
  html_long_date(h, date, false);
  html_raw(h, "</dd>\n");
}

/* A JSON array of codes (or of towns when KIND is negative) as French words separated by commas. */
static void list_words(struct html *h, json_t *array, int kind) {
  size_t i;
  json_t *v;
  json_array_foreach(array, i, v) {
    html_raw(h, i > 0 ? ", " : "");
    const char *code = json_string_value(v);
    html_text(h, kind < 0 ? code : html_fr((enum label_kind)kind, code));
  }
}

static void person_name(struct html *h, json_t *person) {
  html_pair(h, html_str(person, "given_names"), " ", html_str(person, "family_name"));
}

static void decision_words(struct html *h, json_t *d) {
  row_start(h, "Décision");
  html_text(h, html_fr(LABEL_OUTCOME, html_str(d, "outcome")));
  if (*html_str(d, "unit_label") != '\0') {
    html_raw(h, " — ");
    html_pair(h, html_str(d, "unit_label"), ", ", html_str(d, "unit_town"));
  }
  const char *reason = label_fr(LABEL_REFUSAL_REASON, html_str(d, "refusal_reason"));
  if (reason != NULL) {
    html_raw(h, " (motif : ");
    html_text(h, reason);
    html_raw(h, ")");
  }
  html_raw(h, "</dd>\n");
}

static void application_item(struct html *h, json_t *app, json_t *decision, long n) {
  json_t *person = json_object_get(app, "person");
  html_rawf(h, "<h3>%ld. Demande de logement — ", n);
  if (json_is_object(person))
    person_name(h, person);
  else
    html_rawf(h, "<span class=\"hidden\">Dossier n° %ld</span>", n);
  html_raw(h, "</h3>\n<dl>\n");
  if (json_is_object(person) && *html_str(person, "birth_date") != '\0') {
    row_date(h, "Né(e) le", html_str(person, "birth_date"));
  }
  row_text(h, "Urgence", html_fr(LABEL_URGENCY, html_str(app, "urgency")));
  if (*html_str(app, "submitted_at") != '\0') {
    row_start(h, "Déposée le");
    html_long_date(h, html_str(app, "submitted_at"), false);
    long days = num(app, "waiting_days");
    if (days > 0)
      html_rawf(h, " (en attente depuis %ld jour%s)", days, days > 1 ? "s" : "");
    html_raw(h, "</dd>\n");
  }
  if (json_array_size(json_object_get(app, "wished_unit_kinds")) > 0) {
    row_start(h, "Logement souhaité");
    list_words(h, json_object_get(app, "wished_unit_kinds"), LABEL_UNIT_KIND);
    html_raw(h, "</dd>\n");
  }
  if (json_array_size(json_object_get(app, "wished_towns")) > 0) {
    row_start(h, "Communes souhaitées");
    list_words(h, json_object_get(app, "wished_towns"), -1);
    html_raw(h, "</dd>\n");
  }
  if (strcmp(html_str(app, "status"), "withdrawn") == 0) {
    row_start(h, "Statut");
    html_raw(h, "demande retirée</dd>\n");
  }
  if (*html_str(app, "situation") != '\0') {
    row_text(h, "Situation", html_str(app, "situation"));
  }
  if (json_is_object(decision))
    decision_words(h, decision);
}

static void review_item(struct html *h, json_t *placement, long n) {
  html_rawf(h, "<h3>%ld. Bilan d'un accompagnement — ", n);
  json_t *person = json_object_get(placement, "person");
  if (json_is_object(person))
    person_name(h, person);
  else
    html_rawf(h, "<span class=\"hidden\">Dossier n° %ld</span>", n);
  html_raw(h, "</h3>\n<dl>\n");
  if (!json_is_object(placement))
    return;
  row_start(h, "Logement");
  html_pair(h, html_str(placement, "unit_label"), ", ", html_str(placement, "unit_town"));
  html_raw(h, "</dd>\n");
  row_date(h, "Entrée le", html_str(placement, "move_in_date"));
  if (*html_str(placement, "next_review_on") != '\0') {
    row_date(h, "Bilan dû le", html_str(placement, "next_review_on"));
  }
}

static void incident_item(struct html *h, json_t *incident, json_t *placement, long n) {
  html_rawf(h, "<h3>%ld. Incident", n);
  if (json_is_object(incident)) {
    html_raw(h, " — ");
    html_text(h, html_fr(LABEL_INCIDENT_KIND, html_str(incident, "kind")));
  } else {
    html_rawf(h, " — <span class=\"hidden\">Dossier n° %ld</span>", n);
  }
  html_raw(h, "</h3>\n<dl>\n");
  if (json_is_object(incident)) {
    row_date(h, "Survenu le", html_str(incident, "occurred_on"));
    row_text(h, "Suivi", html_fr(LABEL_INCIDENT_STATUS, html_str(incident, "status")));
  }
  if (json_is_object(placement)) {
    row_start(h, "Logement");
    html_pair(h, html_str(placement, "unit_label"), ", ", html_str(placement, "unit_town"));
    html_raw(h, "</dd>\n");
  }
}

char *agenda_pack_html(const char *commission, json_t *agenda, size_t *len) {
  struct html h = {0};
  json_t *session = json_object_get(agenda, "session"), *items = json_object_get(agenda, "items");
  const char *date = html_str(session, "session_date");
  size_t applications = 0, reviews = 0, incidents = 0, i;
  json_t *item;
  json_array_foreach(items, i, item) {
    const char *kind = html_str(item, "kind");
    applications += strcmp(kind, "application") == 0;
    reviews += strcmp(kind, "review") == 0;
    incidents += strcmp(kind, "incident") == 0;
  }
  html_raw(&h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>Dossier de la séance du ");
  html_long_date(&h, date, true);
  html_raw(&h, "</title>\n<style>\n");
  html_raw(&h, HTML_PRINT_STYLE);
  html_raw(&h, PACK_STYLE);
  html_raw(&h, "</style>\n</head>\n<body>\n<section class=\"cover\">\n<p class=\"commission\">");
  html_text(&h, commission);
  html_raw(&h, "</p>\n<h1>Dossier de séance</h1>\n<p class=\"date\">Séance du ");
  html_long_date(&h, date, true);
  if (strcmp(html_str(session, "status"), "cancelled") == 0)
    html_raw(&h, "</p>\n<p class=\"notice\"><strong>Séance annulée.</strong> Les demandes inscrites attendent une "
                 "prochaine séance.");
  html_raw(&h, "</p>\n<p class=\"place\">");
  html_pair(&h, html_str(session, "town"), " — ", html_str(session, "place"));
  html_raw(&h, "</p>\n<p class=\"chair\">Présidence de séance : ");
  html_pair(&h, html_str(session, "chair_name"), ", ", html_str(session, "chair_title"));
  html_rawf(&h, "</p>\n<p class=\"summary\">Ordre du jour : %zu point%s (demandes de logement : %zu ; bilans : %zu ; "
                "incidents : %zu)</p>\n",
            json_array_size(items), json_array_size(items) > 1 ? "s" : "", applications, reviews, incidents);
  html_raw(&h, "<p class=\"notice\">Document confidentiel, établi pour son seul destinataire : il ne montre de "
               "chaque dossier que ce que ce destinataire peut connaître. Les autres dossiers sont désignés par "
               "leur numéro. Ne pas diffuser ni copier ; détruire après la séance.</p>\n</section>\n"
               "<section class=\"items\">\n<h2>Ordre du jour</h2>\n");
  if (json_array_size(items) == 0)
    html_raw(&h, "<p>Aucun point n'est inscrit à l'ordre du jour.</p>\n");
  json_array_foreach(items, i, item) {
    long n = (long)i + 1;
    const char *kind = html_str(item, "kind");
    html_raw(&h, "<article class=\"item\">\n");
    if (strcmp(kind, "application") == 0)
      application_item(&h, json_object_get(item, "application"), json_object_get(item, "decision"), n);
    else if (strcmp(kind, "review") == 0)
      review_item(&h, json_object_get(item, "placement"), n);
    else
      incident_item(&h, json_object_get(item, "incident"), json_object_get(item, "placement"), n);
    if (*html_str(item, "note") != '\0') {
      row_text(&h, "Note", html_str(item, "note"));
    }
    html_raw(&h, "</dl>\n</article>\n");
  }
  html_raw(&h, "</section>\n</body>\n</html>\n");
  return html_done(&h, len);
}
