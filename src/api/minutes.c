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
#include "minutes_seal.h"
#include "negotiate.h"
#include "params.h"
#include "seal.h"
#include "sessions.h"

/* The minutes' representations: JSON (the default) and the printable page. */
static const struct representation minutes_formats[] = {{"json", "application/json"},
                                                        {"html", "text/html"}};

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
                  json_of_timestamp(r->recorded_at), "corrects_decision_id", json_of_text(r->corrects_decision_id));
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

/* The author of a seal made by RQ, for its audit entry. */
static struct seal_author author_of(struct request *rq) {
  return (struct seal_author){rq->principal.commission_id, rq->principal.token_id, role_name(rq->principal.role),
                              rq->method, rq->route->pattern, rq->request_id};
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
    struct seal_author by = author_of(rq);
    s = db_minutes_seal(db, rq->principal.commission_id, session->id, text, page, hex);
    if (s >= 0) /* the hash enters the audit chain in the same transaction */
      s = db_seal_audit(db, &by, "session_minutes", session->id, hex);
  }
  free(text);
  free(page);
  json_decref(reader);
  json_decref(model);
  json_decref(flags);
  return s < 0 ? s : DB_ROW;
}

/* The line of MODEL for agenda item ITEM_ID, or NULL. */
static json_t *line_of(json_t *model, const char *item_id) {
  size_t i;
  json_t *line;
  json_array_foreach(json_object_get(model, "items"), i, line) {
    const char *id = json_string_value(json_object_get(line, "item_id"));
    if (id != NULL && strcmp(id, item_id) == 0)
      return line;
  }
  return NULL;
}

enum db_status minutes_annex_seal(struct db *db, struct request *rq, const struct session_row *session,
                                  json_t *before, const char *item_id, const char *decision_id) {
  PGresult *next;
  enum db_status s = db_annex_next(db, rq->principal.commission_id, session->id, rq->principal.token_id, &next);
  struct annex_next_row n;
  if (s == DB_NO_ROW) { /* closed before minutes were sealed: nothing to annex */
    PQclear(next);
    return DB_ROW;
  }
  if (s < 0 || !db_row(next, 0, &n) || n.number == NULL) {
    PQclear(next);
    return s < 0 ? s : DB_HARD_ERROR;
  }
  json_t *after = NULL, *flags = NULL;
  s = minutes_model(db, rq, session, &after, &flags);
  json_t *old = s == DB_ROW ? line_of(before, item_id) : NULL, *now = s == DB_ROW ? line_of(after, item_id) : NULL;
  json_t *d = json_object_get(now, "decision");
  json_t *annex =
    old != NULL && json_is_object(d)
      ? json_pack("{s:I, s:O, s:s, s:O, s:s, s:O, s:O, s:O, s:O, s:O, s:o, s:s}", "number",
                  (json_int_t)strtoll(n.number, NULL, 10), "item_number", json_object_get(now, "number"), "item_id",
                  item_id, "label", json_object_get(now, "label"), "decision_id", decision_id, "before",
                  json_object_get(old, "decision"), "after", d, "why", json_object_get(d, "comment"), "recorded_at",
                  json_object_get(d, "recorded_at"), "corrects_decision_id", json_object_get(d, "corrects_decision_id"),
                  "by", json_of_text(n.by_label), "by_role", role_name(rq->principal.role))
      : NULL;
  char *text = annex != NULL ? json_dumps(annex, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  size_t len = 0;
  char *section = annex != NULL ? minutes_annex_html(annex, &len) : NULL;
  if (s == DB_ROW) {
    s = DB_HARD_ERROR;
    if (text != NULL && section != NULL) {
      char hex[SEAL_HEX_LEN];
      seal_hash(text, section, hex);
      struct seal_author by = author_of(rq);
      s = db_annex_insert(db, rq->principal.commission_id, session->id, n.number, decision_id, text, section, hex);
      if (s >= 0)
        s = db_seal_audit(db, &by, "minutes_annexes", decision_id, hex);
    }
  }
  free(text);
  free(section);
  json_decref(annex);
  json_decref(after);
  json_decref(flags);
  PQclear(next);
  return s < 0 ? s : DB_ROW;
}

/* A decision of an annex as a reader who may not see its person reads it. */
static void decision_redact(json_t *d) {
  if (!json_is_object(d))
    return;
  json_object_set_new(d, "id", json_null());
  json_object_set_new(d, "comment", json_null());
  json_object_set_new(d, "corrects_decision_id", json_null());
}

/* The sealed annexes ROWS (ANNEX_ROW) as the reader sees them (FLAGS): each one's model, with its seal; a person the
 * reader may not see is "Dossier n° N", without the comments. NULL when one cannot be read. */
static json_t *annexes_for_reader(PGresult *rows, json_t *flags) {
  json_t *list = json_array();
  struct annex_row r;
  for (int i = 0; list != NULL && i < PQntuples(rows); i++) {
    json_t *annex = db_row(rows, i, &r) ? json_loads(r.model, 0, NULL) : NULL;
    if (annex == NULL) {
      json_decref(list);
      return NULL;
    }
    json_t *f = json_object_get(flags, json_string_value(json_object_get(annex, "item_id")));
    if (!json_is_true(json_array_get(f, 0))) {
      json_object_set_new(annex, "label", json_sprintf("Dossier n° %lld", (long long)json_integer_value(
                                                                             json_object_get(annex, "item_number"))));
      json_object_set_new(annex, "why", json_null());
      json_object_set_new(annex, "decision_id", json_null());
      json_object_set_new(annex, "corrects_decision_id", json_null());
      decision_redact(json_object_get(annex, "before"));
      decision_redact(json_object_get(annex, "after"));
    }
    json_object_set_new(annex, "sealed", json_pack("{s:s, s:s}", "hash", r.hash, "sealed_at", r.sealed_at));
    list = items_append(list, annex);
  }
  return list;
}

/* The sealed page DOCUMENT with the sealed sections of the annexes ROWS (ANNEX_ROW) before its end; malloc'ed, NULL
 * when out of memory. */
static char *sealed_page(const char *document, PGresult *rows, size_t *len) {
  const char *end = strstr(document, "</body>");
  size_t head = end != NULL ? (size_t)(end - document) : strlen(document), total = strlen(document);
  struct annex_row r;
  for (int i = 0; i < PQntuples(rows); i++)
    total += db_row(rows, i, &r) ? strlen(r.document) : 0;
  char *page = malloc(total + 1);
  if (page == NULL)
    return NULL;
  memcpy(page, document, head);
  size_t used = head;
  for (int i = 0; i < PQntuples(rows); i++)
    if (db_row(rows, i, &r)) {
      memcpy(page + used, r.document, strlen(r.document));
      used += strlen(r.document);
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
  enum MHD_Result ret;
  int html = negotiate(rq, minutes_formats, 2, &ret);
  if (html < 0)
    return ret;
  PGresult *session;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, rq->args[0], LOCK_NONE, &session);
  json_t *model = NULL, *flags = NULL;
  struct session_row r;
  if (s == DB_ROW)
    s = db_row(session, 0, &r) ? minutes_model(rq->db, rq, &r, &model, &flags) : DB_HARD_ERROR;
  /* A closed session's minutes are the sealed ones: the model stored at closing, the page as rendered then, and
   * the annexes sealed at each correction since. */
  PGresult *sealed = NULL, *annex_rows = NULL;
  struct sealed_minutes_row seal = {0};
  if (s == DB_ROW)
    s = db_minutes_sealed(rq->db, rq->principal.commission_id, r.id, &sealed);
  bool is_sealed = s == DB_ROW && db_row(sealed, 0, &seal) && seal.model != NULL && seal.document != NULL;
  if (s == DB_NO_ROW && model != NULL)
    s = DB_ROW;
  if (s == DB_ROW && is_sealed)
    s = db_annexes(rq->db, rq->principal.commission_id, r.id, &annex_rows);
  if (s == DB_NO_ROW && model != NULL)
    s = DB_ROW;
  PQclear(session);
  json_t *stored = is_sealed ? json_loads(seal.model, 0, NULL) : NULL;
  json_t *annexes = s == DB_ROW ? (is_sealed ? annexes_for_reader(annex_rows, flags) : json_array()) : NULL;
  if (s == DB_ROW && (annexes == NULL || (is_sealed && stored == NULL)))
    s = DB_HARD_ERROR;
  if (s == DB_ROW && is_sealed && html == 1 && sees_everything(flags)) {
    size_t len = 0;
    char *page = sealed_page(seal.document, annex_rows, &len);
    s = page != NULL ? DB_ROW : DB_HARD_ERROR;
    if (page != NULL)
      ret = reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
    html = -1; /* answered */
  }
  if (is_sealed && stored != NULL) {
    json_decref(model);
    model = stored;
    stored = NULL;
  }
  json_t *minutes = s == DB_ROW && html >= 0 && model != NULL ? minutes_for_reader(model, flags) : NULL;
  if (minutes != NULL)
    json_object_set_new(minutes, "sealed", is_sealed ? json_pack("{s:s, s:s}", "hash", seal.hash, "sealed_at",
                                                                 seal.sealed_at)
                                                     : json_null());
  if (minutes != NULL)
    json_object_set(minutes, "annexes", annexes);
  PQclear(sealed);
  PQclear(annex_rows);
  json_decref(stored);
  json_decref(model);
  json_decref(flags);
  if (s < 0 || (s == DB_ROW && html >= 0 && minutes == NULL)) {
    json_decref(annexes);
    json_decref(minutes);
    return s < 0 ? reply_db_error(rq) : reply_problem(rq, ERR_INTERNAL, NULL);
  }
  if (s == DB_NO_ROW) {
    json_decref(annexes);
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  }
  if (html < 0) {
    json_decref(annexes);
    return ret;
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
