/* GET /v1/sessions/{id}/minutes: the procès-verbal — commission, date, place, chair, attendance, every item of the
 * agenda numbered in order with its decision, the reviews and incidents examined, counts — as JSON, or as the
 * printable French page (src/api/minutes_html.c) when the client asks for text/html. The document model is built
 * whole, then each reader sees each line only as far as they may: others read "Dossier n° N". */
#include <stdarg.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json_text.h"
#include "minutes.h"
#include "params.h"
#include "seal.h"
#include "sessions.h"

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

static const char *text_or_empty(const char *text) { return text != NULL ? text : ""; }

/* The whole line (nothing hidden yet) of agenda row R, numbered N: the application with its standing decision, or
 * the review or incident examined. */
static json_t *model_line(const struct agenda_row *r, int n) {
  bool application = r->application_id != NULL;
  const char *status = r->decision_id != NULL                                                   ? "decided"
                       : application && text_or_empty(r->application_status)[0] == 'w'         ? "withdrawn"
                       : application                                                            ? "undecided"
                                                                                                : "follow_up";
  json_t *person = r->person_id == NULL ? json_null()
                                        : json_pack("{s:o, s:o, s:o}", "id", json_of_text(r->person_id),
                                                    "family_name", json_of_text(r->family_name), "given_names",
                                                    json_of_text(r->given_names));
  json_t *label = r->person_id == NULL ? json_sprintf("Dossier n° %d", n)
                                       : json_sprintf("%s %s", text_or_empty(r->family_name),
                                                      text_or_empty(r->given_names));
  json_t *decision =
    r->decision_id == NULL
      ? json_null()
      : json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->decision_id),
                  "outcome", json_of_text(r->outcome), "unit_id", json_of_text(r->unit_id), "unit_label", json_of_text(r->unit_label), "unit_town",
                  json_of_text(r->unit_town), "refusal_reason", json_of_text(r->refusal_reason), "comment",
                  json_of_text(r->comment), "decided_on", json_of_text(r->decided_on), "recorded_at",
                  json_of_text(r->recorded_at), "corrects_decision_id", json_of_text(r->corrects_decision_id));
  json_t *placement = r->placement_id == NULL
                        ? json_null()
                        : json_pack("{s:o, s:o}", "unit_label", json_of_text(r->placement_unit_label), "unit_town",
                                    json_of_text(r->placement_unit_town));
  json_t *incident = r->incident_id == NULL ? json_null()
                                            : json_pack("{s:o, s:o}", "kind", json_of_text(r->incident_kind),
                                                        "occurred_on", json_of_text(r->occurred_on));
  return json_pack("{s:i, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "number", n, "item_id",
                   json_of_text(r->item_id), "position", json_of_int(r->position), "kind", json_of_text(r->kind),
                   "status", status, "note", json_of_text(r->note), "label", label, "person", person,
                   "application_id", json_of_text(r->application_id), "decision", decision, "placement", placement,
                   "incident", incident);
}

void minutes_line_redact(json_t *line, bool person_visible, bool placement_visible, bool incident_visible) {
  const char *kind = json_string_value(json_object_get(line, "kind"));
  bool review = kind != NULL && strcmp(kind, "review") == 0, incident = kind != NULL && strcmp(kind, "incident") == 0;
  if (review && !placement_visible)
    json_object_set_new(line, "placement", json_null());
  if (incident && !incident_visible) {
    json_object_set_new(line, "incident", json_null());
    json_object_set_new(line, "placement", json_null());
  }
  bool person = person_visible && (!review || placement_visible) && (!incident || incident_visible);
  if (person)
    return;
  json_object_set_new(line, "label",
                      json_sprintf("Dossier n° %lld", (long long)json_integer_value(json_object_get(line, "number"))));
  json_object_set_new(line, "person", json_null());
  json_object_set_new(line, "application_id", json_null());
  json_t *d = json_object_get(line, "decision");
  if (json_is_object(d)) {
    json_object_set_new(d, "id", json_null());
    json_object_set_new(d, "comment", json_null());
    json_object_set_new(d, "corrects_decision_id", json_null());
  }
}

/* The decided lines of ITEMS (as the reader sees them) in the shape of the API's MinutesDecision. */
static json_t *decisions_of(json_t *items) {
  json_t *list = json_array();
  size_t i;
  json_t *line;
  json_array_foreach(items, i, line) {
    json_t *d = json_object_get(line, "decision");
    if (list == NULL || !json_is_object(d) || strcmp(json_string_value(json_object_get(line, "kind")), "application"))
      continue;
    list = items_append(list, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
                                        "number", json_object_get(line, "number"), "position",
                                        json_object_get(line, "position"), "label", json_object_get(line, "label"),
                                        "person", json_object_get(line, "person"), "application_id",
                                        json_object_get(line, "application_id"), "decision_id",
                                        json_object_get(d, "id"), "outcome", json_object_get(d, "outcome"),
                                        "unit_label", json_object_get(d, "unit_label"), "unit_town",
                                        json_object_get(d, "unit_town"), "refusal_reason",
                                        json_object_get(d, "refusal_reason"), "comment", json_object_get(d, "comment"),
                                        "decided_on", json_object_get(d, "decided_on"), "recorded_at",
                                        json_object_get(d, "recorded_at"), "corrects_decision_id",
                                        json_object_get(d, "corrects_decision_id")));
  }
  return list;
}

/* The counts of the model's ITEMS. */
static json_t *counts_of(json_t *items) {
  long examined = 0, approved = 0, refused = 0, deferred = 0, withdrawn = 0, reviews = 0, incidents = 0;
  size_t i;
  json_t *line;
  json_array_foreach(items, i, line) {
    const char *kind = json_string_value(json_object_get(line, "kind"));
    const char *status = json_string_value(json_object_get(line, "status"));
    const char *outcome = json_string_value(json_object_get(json_object_get(line, "decision"), "outcome"));
    if (kind == NULL || status == NULL)
      continue;
    reviews += strcmp(kind, "review") == 0;
    incidents += strcmp(kind, "incident") == 0;
    withdrawn += strcmp(status, "withdrawn") == 0;
    if (strcmp(kind, "application") != 0 || outcome == NULL)
      continue;
    examined++;
    approved += strcmp(outcome, "approve") == 0;
    refused += strcmp(outcome, "refuse") == 0;
    deferred += strcmp(outcome, "defer") == 0;
  }
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "examined", (json_int_t)examined, "approved",
                   (json_int_t)approved, "refused", (json_int_t)refused, "deferred", (json_int_t)deferred,
                   "withdrawn", (json_int_t)withdrawn, "reviews", (json_int_t)reviews, "incidents",
                   (json_int_t)incidents);
}

/* The first and last UTC days on which the decisions of ITEMS were recorded; null when none. */
static json_t *recorded_of(json_t *items) {
  char first[11] = "", last[11] = "";
  size_t i;
  json_t *line;
  json_array_foreach(items, i, line) {
    const char *at = json_string_value(json_object_get(json_object_get(line, "decision"), "recorded_at"));
    if (at == NULL || strlen(at) < 10)
      continue;
    if (first[0] == '\0' || strncmp(at, first, 10) < 0)
      snprintf(first, sizeof first, "%.10s", at);
    if (last[0] == '\0' || strncmp(at, last, 10) > 0)
      snprintf(last, sizeof last, "%.10s", at);
  }
  return first[0] == '\0' ? json_null() : json_pack("{s:s, s:s}", "first", first, "last", last);
}

enum db_status minutes_model(struct db *db, struct request *rq, const struct session_row *session, json_t **model,
                             json_t **flags) {
  *model = NULL;
  *flags = NULL;
  const char *cid = rq->principal.commission_id;
  struct access person_scope = access_decide(&rq->principal, RES_PERSON, ACT_READ);
  struct access placement_scope = access_decide(&rq->principal, RES_PLACEMENT, ACT_READ);
  struct access incident_scope = access_decide(&rq->principal, RES_INCIDENT, ACT_READ);
  PGresult *commission = NULL, *attendees = NULL, *rows = NULL;
  enum db_status s = db_session_commission(db, cid, &commission);
  if (s == DB_ROW)
    s = db_session_attendees(db, cid, session->id, &attendees);
  if (s >= 0)
    s = db_agenda(db, cid, session->id, &person_scope, &placement_scope, &incident_scope, &rows);
  struct commission_row c;
  if (s >= 0 && !db_row(commission, 0, &c))
    s = DB_HARD_ERROR;
  json_t *items = s >= 0 ? json_array() : NULL;
  json_t *seen = s >= 0 ? json_object() : NULL;
  struct agenda_row r;
  for (int i = 0; items != NULL && seen != NULL && i < PQntuples(rows); i++) {
    if (!db_row(rows, i, &r)) {
      json_decref(items);
      items = NULL;
      break;
    }
    items = items_append(items, model_line(&r, i + 1));
    json_object_set_new(seen, r.item_id,
                        json_pack("[b, b, b]", session_yes(r.person_visible), session_yes(r.placement_visible),
                                  session_yes(r.incident_visible)));
  }
  if (items != NULL && seen != NULL) {
    *model = json_pack("{s:{s:o}, s:o, s:o, s:O, s:o, s:o}", "commission", "name", json_of_text(c.name), "session",
                       session_json(session), "attendees", attendees_json(attendees), "items", items, "counts",
                       counts_of(items), "recorded", recorded_of(items));
    *flags = seen;
    seen = NULL;
  }
  json_decref(items);
  json_decref(seen);
  PQclear(commission);
  PQclear(attendees);
  PQclear(rows);
  if (s < 0)
    return s;
  if (*model == NULL) {
    json_decref(*flags);
    *flags = NULL;
    return DB_HARD_ERROR;
  }
  return DB_ROW;
}

json_t *minutes_for_reader(json_t *model, json_t *flags) {
  json_t *copy = json_deep_copy(model);
  json_t *items = json_object_get(copy, "items");
  size_t i;
  json_t *line;
  json_array_foreach(items, i, line) {
    json_t *f = json_object_get(flags, json_string_value(json_object_get(line, "item_id")));
    minutes_line_redact(line, json_is_true(json_array_get(f, 0)), json_is_true(json_array_get(f, 1)),
                        json_is_true(json_array_get(f, 2)));
  }
  if (copy == NULL || json_object_set_new(copy, "decisions", decisions_of(items)) != 0) {
    json_decref(copy);
    return NULL;
  }
  return copy;
}

enum db_status minutes_seal(struct db *db, struct request *rq, const struct session_row *session) {
  json_t *model, *flags;
  enum db_status s = minutes_model(db, rq, session, &model, &flags);
  if (s != DB_ROW)
    return s < 0 ? s : DB_HARD_ERROR;
  json_t *reader = minutes_for_reader(model, flags);
  char *text = json_dumps(model, JSON_COMPACT | JSON_SORT_KEYS);
  size_t len = 0;
  char *page = reader != NULL ? minutes_html(reader, NULL, &len) : NULL;
  s = DB_HARD_ERROR;
  if (text != NULL && page != NULL) {
    char hex[SEAL_HEX_LEN];
    seal_hash(text, page, hex);
    s = db_minutes_seal(db, rq->principal.commission_id, session->id, text, page, hex);
  }
  free(text);
  free(page);
  json_decref(reader);
  json_decref(model);
  json_decref(flags);
  return s < 0 ? s : DB_ROW;
}

/* The annex of corrections of sealed minutes: each decision of the LIVE model (read now) that corrects one and
 * was recorded after SEALED_AT, beside the decision the SEALED model holds for its item, as the reader sees it
 * (FLAGS). */
static json_t *annexes_of(json_t *live, json_t *sealed, json_t *flags, const char *sealed_at) {
  json_t *list = json_array();
  size_t i, k;
  json_t *line, *old;
  json_array_foreach(json_object_get(live, "items"), i, line) {
    json_t *d = json_object_get(line, "decision");
    const char *at = json_string_value(json_object_get(d, "recorded_at"));
    if (list == NULL || !json_is_string(json_object_get(d, "corrects_decision_id")) || at == NULL ||
        strcmp(at, sealed_at) <= 0)
      continue;
    json_t *before = json_null();
    json_array_foreach(json_object_get(sealed, "items"), k, old) {
      if (json_equal(json_object_get(old, "item_id"), json_object_get(line, "item_id")))
        before = json_object_get(old, "decision");
    }
    json_t *f = json_object_get(flags, json_string_value(json_object_get(line, "item_id")));
    bool visible = json_is_true(json_array_get(f, 0));
    list = items_append(list, json_pack("{s:I, s:O, s:O, s:o, s:O, s:O, s:O, s:O, s:s}", "number",
                                        (json_int_t)json_array_size(list) + 1, "item_number",
                                        json_object_get(line, "number"), "item_id", json_object_get(line, "item_id"),
                                        "label", visible ? json_deep_copy(json_object_get(line, "label"))
                                                         : json_sprintf("Dossier n° %lld",
                                                                        (long long)json_integer_value(
                                                                          json_object_get(line, "number"))),
                                        "before", before, "after", d, "why",
                                        visible ? json_object_get(d, "comment") : json_null(), "recorded_at",
                                        json_object_get(d, "recorded_at"), "by", "la coordination"));
    if (!visible && list != NULL) {
      json_t *last = json_array_get(list, json_array_size(list) - 1);
      json_t *after = json_deep_copy(d), *prior = json_deep_copy(before);
      for (json_t **x = (json_t *[]){after, prior, NULL}; *x != NULL; x++)
        if (json_is_object(*x)) {
          json_object_set_new(*x, "id", json_null());
          json_object_set_new(*x, "comment", json_null());
          json_object_set_new(*x, "corrects_decision_id", json_null());
        }
      json_object_set_new(last, "after", after);
      json_object_set_new(last, "before", prior);
    }
  }
  return list;
}

/* The sealed page DOCUMENT with the annexes ANNEXES inserted before its end; malloc'ed, NULL when out of memory. */
static char *sealed_page(const char *document, json_t *annexes, size_t *len) {
  const char *end = strstr(document, "</body>");
  size_t head = end != NULL ? (size_t)(end - document) : strlen(document);
  size_t cap = strlen(document) + 1, used = head;
  char *page = malloc(cap);
  if (page == NULL)
    return NULL;
  memcpy(page, document, head);
  size_t i;
  json_t *annex;
  json_array_foreach(annexes, i, annex) {
    size_t n;
    char *part = minutes_annex_html(annex, &n);
    char *grown = part != NULL ? realloc(page, cap + n) : NULL;
    if (grown == NULL) {
      free(part);
      free(page);
      return NULL;
    }
    page = grown;
    cap += n;
    memcpy(page + used, part, n);
    used += n;
    free(part);
  }
  memcpy(page + used, document + head, strlen(document) - head + 1);
  *len = used + strlen(document) - head;
  return page;
}

/* True when FLAGS let the reader see every line whole: the sealed page is then theirs byte for byte. */
static bool sees_everything(json_t *flags) {
  const char *key;
  json_t *f;
  json_object_foreach(flags, key, f) {
    for (size_t k = 0; k < 3; k++)
      if (!json_is_true(json_array_get(f, k)))
        return false;
  }
  return true;
}

enum MHD_Result api_minutes_get(struct request *rq) {
  int html = wants_html(rq);
  if (html < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE, "The minutes are available as application/json or text/html.");
  PGresult *session;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, rq->args[0], LOCK_NONE, &session);
  json_t *model = NULL, *flags = NULL;
  struct session_row r;
  if (s == DB_ROW)
    s = db_row(session, 0, &r) ? minutes_model(rq->db, rq, &r, &model, &flags) : DB_HARD_ERROR;
  /* A closed session's minutes are the sealed ones: the model stored at closing, the page as rendered then. */
  PGresult *sealed = NULL;
  struct sealed_minutes_row seal = {0};
  if (s == DB_ROW)
    s = db_minutes_sealed(rq->db, rq->principal.commission_id, r.id, &sealed);
  bool is_sealed = s == DB_ROW && PQntuples(sealed) > 0 && db_row(sealed, 0, &seal) && seal.model != NULL && seal.document != NULL;
  if (s == DB_NO_ROW && model != NULL)
    s = DB_ROW;
  PQclear(session);
  if (s < 0 || (s == DB_ROW && !is_sealed && sealed != NULL && PQntuples(sealed) > 0)) {
    json_decref(model);
    json_decref(flags);
    PQclear(sealed);
    return s < 0 ? reply_db_error(rq) : reply_problem(rq, ERR_INTERNAL, NULL);
  }
  if (s == DB_NO_ROW) {
    PQclear(sealed);
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  }
  json_t *stored = is_sealed ? json_loads(seal.model, 0, NULL) : NULL;
  json_t *annexes = stored != NULL ? annexes_of(model, stored, flags, seal.sealed_at) : json_array();
  if (is_sealed && html == 1 && sees_everything(flags)) {
    size_t len = 0;
    char *page = annexes != NULL ? sealed_page(seal.document, annexes, &len) : NULL;
    json_decref(annexes);
    json_decref(stored);
    enum MHD_Result ret = page == NULL ? reply_problem(rq, ERR_INTERNAL, NULL)
                                       : reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
    json_decref(model);
    json_decref(flags);
    PQclear(sealed);
    return ret;
  }
  if (is_sealed) {
    json_decref(model);
    model = stored;
  }
  json_t *minutes = model != NULL ? minutes_for_reader(model, flags) : NULL;
  if (minutes != NULL)
    json_object_set_new(minutes, "sealed", is_sealed ? json_pack("{s:s, s:s}", "hash", seal.hash, "sealed_at",
                                                                 seal.sealed_at)
                                                     : json_null());
  if (minutes != NULL)
    json_object_set(minutes, "annexes", annexes != NULL ? annexes : json_null());
  PQclear(sealed);
  json_decref(model);
  json_decref(flags);
  if (minutes == NULL) {
    json_decref(annexes);
    return reply_problem(rq, ERR_INTERNAL, NULL);
  }
  if (html == 0) {
    json_decref(annexes);
    return reply_json(rq, MHD_HTTP_OK, minutes, NULL);
  }
  size_t len;
  char *page = minutes_html(minutes, annexes, &len);
  json_decref(annexes);
  json_decref(minutes);
  if (page == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
}
