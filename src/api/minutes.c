/* GET /v1/sessions/{id}/minutes: the procès-verbal — date, place, chair, attendance, each decision with its
 * reason — as JSON, or as a printable HTML page when the client asks for text/html. People appear only to
 * readers who may see them; others read "Dossier n° N". */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json_text.h"
#include "params.h"
#include "sessions.h"

struct html {
  char *buf;
  size_t len, cap;
  bool failed;
};

static void html_raw(struct html *h, const char *s) {
  size_t n = strlen(s);
  if (h->failed)
    return;
  if (h->len + n + 1 > h->cap) {
    size_t cap = (h->cap ? h->cap * 2 : 8192) + n;
    char *grown = realloc(h->buf, cap);
    if (grown == NULL) {
      h->failed = true;
      return;
    }
    h->buf = grown;
    h->cap = cap;
  }
  memcpy(h->buf + h->len, s, n + 1);
  h->len += n;
}

/* Appends S escaped for HTML text and attributes. */
static void html_text(struct html *h, const char *s) {
  char chunk[256];
  size_t o = 0;
  for (; s != NULL && *s != '\0'; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '&': rep = "&amp;"; break;
    case '"': rep = "&quot;"; break;
    case '\'': rep = "&#39;"; break;
    default: break;
    }
    size_t need = rep ? strlen(rep) : 1;
    if (o + need + 1 > sizeof chunk) {
      chunk[o] = '\0';
      html_raw(h, chunk);
      o = 0;
    }
    if (rep) {
      memcpy(chunk + o, rep, need);
      o += need;
    } else {
      chunk[o++] = *s;
    }
  }
  chunk[o] = '\0';
  html_raw(h, chunk);
}

static const char *text_or_empty(const char *text) { return text != NULL ? text : ""; }

static const char *str(json_t *obj, const char *key) {
  return text_or_empty(json_string_value(json_object_get(obj, key)));
}

static const char *group_label(const char *group) {
  static const char *const labels[][2] = {
    {"elected_officials", "Élus"},   {"landlords", "Bailleurs"}, {"care_team", "Équipe de secteur"},
    {"curators", "Mandataires"},     {"user_family_associations", "Associations d'usagers et de familles"},
    {"association", "Association"}, {"other", "Autres"}};
  for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
    if (strcmp(group, labels[i][0]) == 0)
      return labels[i][1];
  return group;
}

static const char *outcome_label(const char *outcome) {
  if (strcmp(outcome, "approve") == 0)
    return "Accord";
  if (strcmp(outcome, "refuse") == 0)
    return "Refus";
  if (strcmp(outcome, "defer") == 0)
    return "Ajourné";
  return outcome;
}

/* The printable page of MINUTES (the JSON document); malloc'ed, NULL on failure. */
static char *minutes_html(json_t *minutes, size_t *len) {
  struct html h = {0};
  json_t *session = json_object_get(minutes, "session");
  html_raw(&h, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Procès-verbal</title>"
               "<style>body{font-family:serif;max-width:50em;margin:2em auto}table{border-collapse:collapse;"
               "width:100%}td,th{border:1px solid #444;padding:.3em;text-align:left;vertical-align:top}"
               ".signature{margin-top:4em}</style></head><body>\n<h1>Procès-verbal de la commission appartement</h1>\n"
               "<p>Séance du <strong>");
  html_text(&h, str(session, "session_date"));
  html_raw(&h, "</strong> à ");
  html_text(&h, str(session, "town"));
  if (*str(session, "place") != '\0') {
    html_raw(&h, " (");
    html_text(&h, str(session, "place"));
    html_raw(&h, ")");
  }
  html_raw(&h, "</p>\n<p>Présidence : ");
  html_text(&h, str(session, "chair_name"));
  if (*str(session, "chair_title") != '\0') {
    html_raw(&h, ", ");
    html_text(&h, str(session, "chair_title"));
  }
  html_raw(&h, "</p>\n<h2>Présents</h2>\n<ul>\n");
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(minutes, "attendees"), i, a) {
    html_raw(&h, "<li>");
    html_text(&h, group_label(str(a, "group")));
    html_raw(&h, " : ");
    html_text(&h, str(a, "name"));
    if (*str(a, "organisation") != '\0') {
      html_raw(&h, " (");
      html_text(&h, str(a, "organisation"));
      html_raw(&h, ")");
    }
    html_raw(&h, "</li>\n");
  }
  html_raw(&h, "</ul>\n<h2>Décisions</h2>\n<table><tr><th>N°</th><th>Dossier</th><th>Décision</th>"
               "<th>Logement</th><th>Motif</th></tr>\n");
  json_t *d;
  json_array_foreach(json_object_get(minutes, "decisions"), i, d) {
    char position[24];
    snprintf(position, sizeof position, "%lld", (long long)json_integer_value(json_object_get(d, "position")));
    html_raw(&h, "<tr><td>");
    html_raw(&h, position);
    html_raw(&h, "</td><td>");
    html_text(&h, str(d, "label"));
    html_raw(&h, "</td><td>");
    html_text(&h, outcome_label(str(d, "outcome")));
    if (json_is_string(json_object_get(d, "corrects_decision_id")))
      html_raw(&h, " (rectification)");
    html_raw(&h, "</td><td>");
    html_text(&h, str(d, "unit_label"));
    if (*str(d, "unit_town") != '\0') {
      html_raw(&h, ", ");
      html_text(&h, str(d, "unit_town"));
    }
    html_raw(&h, "</td><td>");
    html_text(&h, str(d, "refusal_reason"));
    if (*str(d, "comment") != '\0') {
      html_raw(&h, *str(d, "refusal_reason") ? " — " : "");
      html_text(&h, str(d, "comment"));
    }
    html_raw(&h, "</td></tr>\n");
  }
  html_raw(&h, "</table>\n<p class=\"signature\">Le président de séance :</p>\n</body></html>\n");
  if (h.failed) {
    free(h.buf);
    return NULL;
  }
  *len = h.len;
  return h.buf;
}

/* Which representation the Accept header asks for: 1 HTML, 0 JSON, -1 none we have. */
static int wants_html(struct request *rq) {
  const char *accept = request_header(rq, MHD_HTTP_HEADER_ACCEPT);
  if (accept == NULL)
    return 0;
  if (strstr(accept, "text/html") != NULL && strstr(accept, "application/json") == NULL)
    return 1;
  if (strstr(accept, "application/json") || strstr(accept, "*/*") || strstr(accept, "application/*") ||
      strstr(accept, "application/problem+json"))
    return 0;
  return -1;
}

/* A decided line of the agenda as a line of the minutes: the person only to a reader who may see them, else
 * "Dossier n° <position>". */
static json_t *minutes_line(const struct agenda_row *r) {
  bool visible = session_yes(r->person_visible);
  json_t *label = visible ? json_sprintf("%s %s", text_or_empty(r->family_name), text_or_empty(r->given_names))
                          : json_sprintf("Dossier n° %s", text_or_empty(r->position));
  json_t *person = visible ? json_pack("{s:o, s:o, s:o}", "id", json_of_text(r->person_id), "family_name",
                                       json_of_text(r->family_name), "given_names", json_of_text(r->given_names))
                           : json_null();
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "position",
                   json_of_int(r->position), "label", label, "person", person, "application_id",
                   visible ? json_of_text(r->application_id) : json_null(), "decision_id",
                   visible ? json_of_text(r->decision_id) : json_null(), "outcome", json_of_text(r->outcome),
                   "unit_label", json_of_text(r->unit_label), "unit_town", json_of_text(r->unit_town),
                   "refusal_reason", json_of_text(r->refusal_reason), "comment",
                   visible ? json_of_text(r->comment) : json_null(), "decided_on", json_of_text(r->decided_on), "recorded_at", json_of_text(r->recorded_at),
                   "corrects_decision_id", visible ? json_of_text(r->corrects_decision_id) : json_null());
}

/* The minutes of the session SESSION: its attendance (ATTENDEES) and the decided lines of its agenda (ITEMS);
 * NULL when they cannot be built. */
static json_t *minutes_json(const struct session_row *session, const PGresult *attendees, const PGresult *items) {
  json_t *decisions = json_array();
  long counts[3] = {0, 0, 0};
  struct agenda_row r;
  for (int i = 0; decisions != NULL && i < PQntuples(items); i++) {
    if (!db_row(items, i, &r)) {
      json_decref(decisions);
      return NULL;
    }
    if (r.decision_id == NULL)
      continue; /* not decided: not in the minutes */
    const char *outcome = text_or_empty(r.outcome);
    counts[strcmp(outcome, "approve") == 0 ? 0 : strcmp(outcome, "refuse") == 0 ? 1 : 2]++;
    decisions = items_append(decisions, minutes_line(&r));
  }
  json_t *att = attendees_json(attendees);
  if (decisions == NULL || att == NULL) {
    json_decref(decisions);
    json_decref(att);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "session", session_json(session), "attendees", att,
                   "decisions", decisions, "counts", "approved", (json_int_t)counts[0], "refused",
                   (json_int_t)counts[1], "deferred", (json_int_t)counts[2]);
}

enum MHD_Result api_minutes_get(struct request *rq) {
  const char *id = rq->args[0];
  int html = wants_html(rq);
  if (html < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE, "The minutes are available as application/json or text/html.");
  PGresult *session, *attendees, *items;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, id, LOCK_NONE, &session);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(session);
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  }
  struct access person_scope = access_decide(&rq->principal, RES_PERSON, ACT_READ);
  struct access placement_scope = access_decide(&rq->principal, RES_PLACEMENT, ACT_READ);
  struct access incident_scope = access_decide(&rq->principal, RES_INCIDENT, ACT_READ);
  if (db_session_attendees(rq->db, rq->principal.commission_id, id, &attendees) < 0) {
    PQclear(session);
    return reply_db_error(rq);
  }
  if (db_agenda(rq->db, rq->principal.commission_id, id, &person_scope, &placement_scope, &incident_scope, &items) <
      0) {
    PQclear(session);
    PQclear(attendees);
    return reply_db_error(rq);
  }
  struct session_row r;
  json_t *minutes = db_row(session, 0, &r) ? minutes_json(&r, attendees, items) : NULL;
  PQclear(session);
  PQclear(attendees);
  PQclear(items);
  if (minutes == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  if (html == 0)
    return reply_json(rq, MHD_HTTP_OK, minutes, NULL);
  size_t len;
  char *page = minutes_html(minutes, &len);
  json_decref(minutes);
  if (page == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
}
