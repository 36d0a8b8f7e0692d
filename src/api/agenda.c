/* A session's agenda. The coordinator builds it (every submitted or deferred application, urgent first, then by
 * waiting time) and adjusts it while the session is planned or open; decisions are recorded on its items
 * (decisions.c). Everyone but observers reads the agenda; each line shows people and situations only to those
 * who may see them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "api.h"
#include "application_state.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "json_writer.h"
#include "letters.h"
#include "params.h"
#include "sessions.h"
#include "write.h"

/* A person's summary, or null when the reader may not see them. */
static void person_write(struct jw *w, const struct agenda_row *r, bool visible, bool birth_date) {
  if (!visible) {
    jw_null(w);
    return;
  }
  jw_object_begin(w);
  jw_key(w, "id");
  jw_string(w, r->person_id);
  jw_key(w, "family_name");
  jw_string(w, r->family_name);
  jw_key(w, "given_names");
  jw_string(w, r->given_names);
  if (birth_date) {
    jw_key(w, "birth_date");
    jw_string(w, r->birth_date);
  }
  jw_object_end(w);
}

/* KEY: TEXT when the reader may see it, else null. */
static void member_if(struct jw *w, const char *key, bool visible, const char *text) {
  jw_key(w, key);
  jw_string(w, visible ? text : NULL);
}

/* KEY: TEXT. */
static void member(struct jw *w, const char *key, const char *text) { member_if(w, key, true, text); }

/* One agenda line as the API's agenda item, showing what the reader may see of it, each part through the rule of
 * its own route. Written straight as JSON text: the agenda is the largest answer, and a jansson tree of its
 * thousands of values cost more than its query (bench/README.md). */
static void agenda_item_write(struct jw *w, const struct agenda_row *r, bool show_situation, bool plans_visible) {
  bool visible = session_yes(r->person_visible);
  jw_object_begin(w);
  member(w, "id", r->item_id);
  jw_key(w, "position");
  jw_int(w, r->position);
  member(w, "kind", r->kind);
  member(w, "note", r->note);
  jw_key(w, "application");
  if (r->application_id == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    member_if(w, "id", visible, r->application_id);
    member(w, "status", r->application_status);
    member(w, "urgency", r->urgency);
    jw_key(w, "wished_unit_kinds");
    jw_raw_json(w, r->wished_unit_kinds);
    jw_key(w, "wished_towns");
    jw_raw_json(w, r->wished_towns);
    jw_key_timestamp(w, "submitted_at", r->submitted_at);
    jw_key(w, "waiting_days");
    jw_int(w, r->waiting_days);
    jw_key(w, "person");
    person_write(w, r, visible, true);
    if (visible && show_situation)
      member(w, "situation", r->situation);
    jw_object_end(w);
  }
  jw_key(w, "decision");
  if (r->decision_id == NULL) {
    jw_null(w);
  } else {
    jw_object_begin(w);
    member_if(w, "id", visible, r->decision_id);
    member(w, "outcome", r->outcome);
    member(w, "unit_id", r->unit_id);
    member(w, "unit_label", r->unit_label);
    member(w, "unit_town", r->unit_town);
    member(w, "refusal_reason", r->refusal_reason);
    member_if(w, "comment", visible, r->comment);
    member(w, "decided_on", r->decided_on);
    jw_key_timestamp(w, "recorded_at", r->recorded_at);
    member_if(w, "corrects_decision_id", visible, r->corrects_decision_id);
    jw_object_end(w);
  }
  if (r->placement_id != NULL) {
    jw_key(w, "placement");
    if (!session_yes(r->placement_visible)) {
      jw_null(w);
    } else {
      jw_object_begin(w);
      member(w, "id", r->placement_id);
      member(w, "unit_label", r->placement_unit_label);
      member(w, "unit_town", r->placement_unit_town);
      member(w, "move_in_date", r->move_in_date);
      member(w, "next_review_on", r->next_review_on);
      jw_key(w, "person");
      person_write(w, r, visible, false);
      jw_object_end(w);
    }
  }
  if (r->incident_id != NULL) {
    jw_key(w, "incident");
    if (!session_yes(r->incident_visible)) {
      jw_null(w);
    } else {
      jw_object_begin(w);
      member(w, "id", r->incident_id);
      member(w, "kind", r->incident_kind);
      member(w, "status", r->incident_status);
      member(w, "occurred_on", r->occurred_on);
      member(w, "arrears_plan_state", plans_visible ? r->arrears_plan_state : NULL);
      jw_object_end(w);
    }
  }
  jw_object_end(w);
}

/* The agenda document of SESSION as RQ's reader receives it, as JSON text (*TEXT, freed by the caller). */
static enum db_status agenda_document_text(struct db *db, struct request *rq, const struct session_row *session,
                                           char **text, size_t *len) {
  *text = NULL;
  struct access person_scope = access_decide(&rq->principal, RES_PERSON, ACT_READ);
  struct access placement_scope = access_decide(&rq->principal, RES_PLACEMENT, ACT_READ);
  struct access incident_scope = access_decide(&rq->principal, RES_INCIDENT, ACT_READ);
  PGresult *res;
  enum db_status s = db_agenda(db, rq->principal.commission_id, session->id, &person_scope, &placement_scope,
                               &incident_scope, &res);
  if (s < 0)
    return s;
  bool situation = access_decide(&rq->principal, RES_SITUATION, ACT_READ).kind != ACCESS_DENY;
  bool plans = access_decide(&rq->principal, RES_ARREARS_PLAN, ACT_READ).kind != ACCESS_DENY;
  int rows = PQntuples(res);
  struct jw w;
  jw_init(&w, 1024 + (size_t)rows * 640);
  jw_object_begin(&w);
  jw_key(&w, "session");
  json_t *head = session_json(session);
  jw_value(&w, head);
  json_decref(head);
  jw_key(&w, "items");
  jw_array_begin(&w);
  struct agenda_row r;
  for (int i = 0; i < rows && !w.failed; i++) {
    if (db_row(res, i, &r))
      agenda_item_write(&w, &r, situation, plans);
    else
      w.failed = true;
  }
  PQclear(res);
  jw_array_end(&w);
  jw_object_end(&w);
  *text = jw_finish(&w, len);
  return *text != NULL ? DB_ROW : DB_HARD_ERROR;
}

enum db_status agenda_document(struct db *db, struct request *rq, const struct session_row *session, json_t **body) {
  *body = NULL;
  char *text;
  size_t len;
  enum db_status s = agenda_document_text(db, rq, session, &text, &len);
  if (s < 0)
    return s;
  *body = json_loadb(text, len, 0, NULL);
  free(text);
  return *body != NULL ? DB_ROW : DB_HARD_ERROR;
}

/* The agenda pack of BODY (the agenda document as RQ's reader receives it): the HTML reply. */
static enum MHD_Result agenda_pack_reply(struct request *rq, json_t *body) {
  PGresult *res;
  enum db_status s = db_session_commission(rq->db, rq->principal.commission_id, &res);
  struct commission_row c;
  size_t len = 0;
  char *page = s == DB_ROW && db_row(res, 0, &c) ? agenda_pack_html(c.name, body, &len) : NULL;
  PQclear(res);
  json_decref(body);
  if (s < 0)
    return reply_db_error(rq);
  return page != NULL ? reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len)
                      : reply_problem(rq, ERR_INTERNAL, NULL);
}

/* GET /v1/sessions/{id}/agenda: the session and its items, as JSON or as the printable pack (text/html). */
enum MHD_Result api_agenda_get(struct request *rq) {
  static const char *const offers[] = {"application/json", "text/html"};
  int chosen = accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), offers, 2);
  if (chosen < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE, "The agenda is available as application/json or text/html.");
  PGresult *res;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, rq->args[0], LOCK_NONE, &res);
  char *text = NULL;
  size_t len = 0;
  struct session_row session;
  if (s == DB_ROW)
    s = db_row(res, 0, &session) ? agenda_document_text(rq->db, rq, &session, &text, &len) : DB_HARD_ERROR;
  PQclear(res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  if (chosen == 0)
    return reply_text(rq, MHD_HTTP_OK, "application/json", text, len);
  json_t *body = json_loadb(text, len, 0, NULL);
  free(text);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The response could not be built.");
  return agenda_pack_reply(rq, body);
}

/* A change of the agenda: WRITE runs on the session (locked, planned or open), then OUT holds the agenda. */
typedef enum db_status (*agenda_write)(struct db *db, struct request *rq, struct write_out *out);

enum db_status agenda_written(struct db *db, struct request *rq, enum db_status s, PGresult *row,
                              struct write_out *out) {
  struct session_row session;
  if (s >= 0 && !db_row(row, 0, &session))
    s = DB_HARD_ERROR;
  if (s >= 0) /* sent as written: a tree of the agenda's values would cost more than building it */
    s = agenda_document_text(db, rq, &session, &out->text, &out->text_len);
  PQclear(row);
  return s;
}

static enum db_status agenda_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  agenda_write write = *(const agenda_write *)cls;
  PGresult *row;
  enum db_status s = session_lock(db, rq, rq->args[0], LOCK_UPDATE, WORK_AGENDA,
                                  "The session's status does not allow this.", out, &row);
  if (s == DB_ROW)
    s = write(db, rq, out);
  return agenda_written(db, rq, s, row, out);
}

static enum MHD_Result agenda_run(struct request *rq, unsigned int status, agenda_write write) {
  return write_run(rq, status, agenda_body, &write);
}

static enum db_status build_write(struct db *db, struct request *rq, struct write_out *out) {
  (void)out;
  const struct principal *p = &rq->principal;
  return db_agenda_build(db, p->commission_id, rq->args[0], p->token_id, role_name(p->role));
}

/* POST /v1/sessions/{id}/agenda/build. */
enum MHD_Result api_agenda_build(struct request *rq) { return agenda_run(rq, MHD_HTTP_OK, build_write); }

enum { F_APPLICATION, F_NOTE };
static const struct field_spec add_spec[] = {
  [F_APPLICATION] = {"application_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_NOTE] = {"note", FIELD_TEXT, FIELD_NULLABLE, 0, 2000, NULL},
};
enum { F_POSITION };
static const struct field_spec adjust_spec[] = {
  [F_POSITION] = {"position", FIELD_INT, 0, 1, 10000, NULL},
  [F_NOTE] = {"note", FIELD_TEXT, FIELD_NULLABLE, 0, 2000, NULL},
};
const struct body_spec agenda_item_add_body = {add_spec, FIELDS_COUNT(add_spec)};
const struct body_spec agenda_item_update_body = {adjust_spec, FIELDS_COUNT(adjust_spec)};

static enum db_status add_write(struct db *db, struct request *rq, struct write_out *out) {
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *app_id = v[F_APPLICATION].s;
  struct access all = access_decide(p, RES_APPLICATION, ACT_UPDATE);
  PGresult *app;
  enum db_status s = db_application_get(db, p->commission_id, app_id, &all, true, &app);
  if (s == DB_NO_ROW) {
    PQclear(app);
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/application_id",
                              "is not an application of this commission");
  }
  if (s < 0)
    return s;
  char current[16];
  struct application_row row;
  bool read = db_row(app, 0, &row) && row.status != NULL;
  snprintf(current, sizeof current, "%s", read ? row.status : "");
  PQclear(app);
  if (!read)
    return DB_HARD_ERROR;
  if (!app_transition_legal(app_status_parse(current), APP_SCHEDULED, PATH_AGENDA))
    return write_refuse_with(out, ERR_INVALID_STATE, "Only submitted or deferred applications can be put on an agenda.",
                             json_pack("{s:s}", "current_status", current));
  s = db_agenda_add(db, p->commission_id, rq->args[0], app_id, patch_pick(&v[F_NOTE], NULL));
  if (s < 0 && strcmp(db_sqlstate(db), "23505") == 0) /* already on this agenda (deferred here earlier) */
    return write_refuse_with(out, ERR_INVALID_STATE, "Only submitted or deferred applications can be put on an agenda.",
                             json_pack("{s:s}", "current_status", current));
  if (s < 0)
    return s;
  if (s == DB_ROW)
    audit_created(rq, "applications", app_id);
  s = db_application_move(db, p->commission_id, app_id, current, "scheduled", "put on the agenda", false, rq->args[0],
                          p->token_id, role_name(p->role));
  return s == DB_NO_ROW ? DB_SOFT_ERROR : s;
}

/* POST /v1/sessions/{id}/agenda/items {application_id, note}: adds one application. */
enum MHD_Result api_agenda_add(struct request *rq) { return agenda_run(rq, MHD_HTTP_CREATED, add_write); }

enum db_status agenda_item_lock_undecided(struct db *db, struct request *rq, const char *item_id,
                                          struct write_out *out, char app_id[UUID_STR_LEN], char app_status[16]) {
  PGresult *res;
  enum db_status s = db_agenda_item(db, rq->principal.commission_id, rq->args[0], item_id, &res);
  struct agenda_item_row item;
  if (s == DB_NO_ROW)
    s = write_refuse(out, ERR_NOT_FOUND, "No such agenda item in this session.");
  else if (s == DB_ROW && !db_row(res, 0, &item))
    s = DB_HARD_ERROR;
  if (s == DB_ROW) {
    snprintf(app_id, UUID_STR_LEN, "%s", item.application_id != NULL ? item.application_id : "");
    snprintf(app_status, 16, "%s", item.application_status != NULL ? item.application_status : "");
    if (long_of_text(item.decisions) != 0)
      s = write_refuse_with(out, ERR_CONFLICT, "This agenda item is already decided.",
                            json_pack("{s:s}", "application_status", app_status));
  }
  PQclear(res);
  return s;
}

static enum db_status remove_write(struct db *db, struct request *rq, struct write_out *out) {
  const struct principal *p = &rq->principal;
  char app_id[UUID_STR_LEN], app_status[16];
  enum db_status s = agenda_item_lock_undecided(db, rq, rq->args[1], out, app_id, app_status);
  if (s != DB_ROW)
    return s;
  s = db_agenda_delete(db, p->commission_id, rq->args[0], rq->args[1]);
  if (s < 0 || app_status_parse(app_status) != APP_SCHEDULED)
    return s;
  /* Off the agenda, the application waits again. */
  s = db_application_move(db, p->commission_id, app_id, "scheduled", "submitted", "taken off the agenda", false,
                          rq->args[0], p->token_id, role_name(p->role));
  return s == DB_NO_ROW ? DB_SOFT_ERROR : s;
}

/* DELETE /v1/sessions/{id}/agenda/items/{item_id}: only an undecided item. */
enum MHD_Result api_agenda_remove(struct request *rq) { return agenda_run(rq, MHD_HTTP_OK, remove_write); }

static enum db_status adjust_write(struct db *db, struct request *rq, struct write_out *out) {
  const struct field_value *v = rq->fields;
  char position[24];
  snprintf(position, sizeof position, "%lld", v[F_POSITION].i);
  enum db_status s = db_agenda_update(db, rq->principal.commission_id, rq->args[0], rq->args[1],
                                      v[F_POSITION].present ? position : NULL, v[F_NOTE].present,
                                      patch_pick(&v[F_NOTE], NULL));
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such agenda item in this session.");
  return s;
}

/* PATCH /v1/sessions/{id}/agenda/items/{item_id} {position, note}: reorders or annotates an item. */
enum MHD_Result api_agenda_adjust(struct request *rq) { return agenda_run(rq, MHD_HTTP_OK, adjust_write); }
