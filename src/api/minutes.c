/* GET /v1/sessions/{id}/minutes: the procès-verbal — date, place, chair, attendance, each decision with its
 * reason — as JSON, or as a printable HTML page when the client asks for text/html. People appear only to
 * readers who may see them; others read "Dossier n° N". */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "access.h"
#include "api.h"
#include "params.h"
#include "queries.h"
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

static const char *str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "";
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

/* Which representation the Accept header asks for: 1 HTML, 0 JSON (also when both are as welcome), -1 none we
 * have. */
static int wants_html(struct request *rq) {
  static const char *const offers[] = {"application/json", "text/html"};
  return accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), offers, 2);
}

enum MHD_Result api_minutes_get(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL)
    return ret;
  if (access_decide(&rq->principal, RES_AGENDA, ACT_READ).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "This role has no access to agendas and minutes.");
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
  json_t *att = json_array();
  for (int i = 0; i < PQntuples(attendees); i++)
    json_array_append_new(att, json_pack("{s:o, s:o, s:o}", "group", row_string(attendees, i, 0), "name",
                                         row_string(attendees, i, 1), "organisation", row_string(attendees, i, 2)));
  json_t *decisions = json_array();
  long counts[3] = {0, 0, 0};
  for (int i = 0; i < PQntuples(items); i++) {
    if (PQgetisnull(items, i, 17))
      continue; /* not decided: not in the minutes */
    bool visible = PQgetvalue(items, i, 15)[0] == 't';
    json_t *label = visible ? json_sprintf("%s %s", PQgetvalue(items, i, 12), PQgetvalue(items, i, 13))
                            : json_sprintf("Dossier n° %s", PQgetvalue(items, i, 1));
    const char *outcome = PQgetvalue(items, i, 18);
    counts[strcmp(outcome, "approve") == 0 ? 0 : strcmp(outcome, "refuse") == 0 ? 1 : 2]++;
    json_t *person = visible ? json_pack("{s:o, s:o, s:o}", "id", row_string(items, i, 11), "family_name",
                                         row_string(items, i, 12), "given_names", row_string(items, i, 13))
                             : json_null();
    json_array_append_new(
        decisions, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "position",
                             row_int(items, i, 1), "label", label, "person", person, "application_id",
                             visible ? row_string(items, i, 4) : json_null(), "decision_id",
                             visible ? row_string(items, i, 17) : json_null(),
                             "outcome", row_string(items, i, 18), "unit_label", row_string(items, i, 24), "unit_town",
                             row_string(items, i, 25), "refusal_reason", row_string(items, i, 20), "comment",
                             visible ? row_string(items, i, 21) : json_null(), "decided_at",
                             row_string(items, i, 22), "corrects_decision_id",
                             visible ? row_string(items, i, 23) : json_null()));
  }
  json_t *minutes = json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "session", session_json(session, 0),
                              "attendees", att, "decisions", decisions, "counts", "approved", (json_int_t)counts[0],
                              "refused", (json_int_t)counts[1], "deferred", (json_int_t)counts[2]);
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
