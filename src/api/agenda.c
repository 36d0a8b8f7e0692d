/* A session's agenda and decisions. The coordinator builds the agenda (every submitted or deferred application,
 * urgent first, then by waiting time), adjusts it, and records one decision per item while the session is open;
 * a decision moves the application in the same transaction. After closing, a decision is corrected only by a new,
 * linked decision. Everyone reads the agenda; people and situations appear only to those who may see them. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "application_state.h"
#include "fields.h"
#include "params.h"
#include "queries.h"
#include "sessions.h"
#include "validate.h"

/* A person's summary, or null when the reader may not see them. */
static json_t *person_or_null(const PGresult *res, int i, bool visible, bool birth_date) {
  if (!visible)
    return json_null();
  json_t *person = json_pack("{s:o, s:o, s:o}", "id", row_string(res, i, 11), "family_name", row_string(res, i, 12),
                             "given_names", row_string(res, i, 13));
  if (person != NULL && birth_date)
    json_object_set_new(person, "birth_date", row_string(res, i, 14));
  return person;
}

json_t *agenda_json(const PGresult *res, bool show_situation) {
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++) {
    /* What the reader may see of this line, each through the rule of its own route (db_agenda's columns). */
    bool visible = PQgetvalue(res, i, 15)[0] == 't';
    bool placement_visible = PQgetvalue(res, i, 35)[0] == 't';
    bool incident_visible = PQgetvalue(res, i, 36)[0] == 't';
    json_t *decision = PQgetisnull(res, i, 17)
                           ? json_null()
                           : json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                                       visible ? row_string(res, i, 17) : json_null(), "outcome",
                                       row_string(res, i, 18), "unit_id", row_string(res, i, 19), "unit_label",
                                       row_string(res, i, 24), "unit_town", row_string(res, i, 25),
                                       "refusal_reason", row_string(res, i, 20), "comment",
                                       visible ? row_string(res, i, 21) : json_null(), "decided_at",
                                       row_string(res, i, 22), "corrects_decision_id",
                                       visible ? row_string(res, i, 23) : json_null());
    json_t *app = json_null();
    if (!PQgetisnull(res, i, 4)) {
      app = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", visible ? row_string(res, i, 4) : json_null(),
                      "status", row_string(res, i, 5), "urgency", row_string(res, i, 6), "wished_unit_kinds",
                      json_loads(PQgetvalue(res, i, 7), 0, NULL), "wished_towns",
                      json_loads(PQgetvalue(res, i, 8), 0, NULL), "submitted_at", row_string(res, i, 9),
                      "waiting_days", row_int(res, i, 10), "person", person_or_null(res, i, visible, true));
      if (app != NULL && visible && show_situation)
        json_object_set_new(app, "situation", row_string(res, i, 16));
    }
    json_t *item = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, i, 0), "position",
                             row_int(res, i, 1), "kind", row_string(res, i, 2), "note", row_string(res, i, 3),
                             "application", app ? app : json_null(), "decision", decision ? decision : json_null());
    if (item != NULL && !PQgetisnull(res, i, 26))
      json_object_set_new(item, "placement",
                          !placement_visible
                              ? json_null()
                              : json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, i, 26),
                                          "unit_label", row_string(res, i, 27), "unit_town", row_string(res, i, 28),
                                          "move_in_date", row_string(res, i, 29), "next_review_on",
                                          row_string(res, i, 30), "person", person_or_null(res, i, visible, false)));
    if (item != NULL && !PQgetisnull(res, i, 31))
      json_object_set_new(item, "incident",
                          !incident_visible
                              ? json_null()
                              : json_pack("{s:o, s:o, s:o, s:o}", "id", row_string(res, i, 31), "kind",
                                          row_string(res, i, 32), "status", row_string(res, i, 33), "occurred_on",
                                          row_string(res, i, 34)));
    json_array_append_new(items, item);
  }
  return items;
}

/* The agenda document: the session and its items, as RQ's principal may see them. */
static enum MHD_Result reply_agenda(struct request *rq, const char *session_id, unsigned int status) {
  PGresult *session, *items;
  enum db_status s = db_session_get(rq->db, rq->principal.commission_id, session_id, LOCK_NONE, &session);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(session);
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  }
  struct access person_scope = access_decide(&rq->principal, RES_PERSON, ACT_READ);
  struct access placement_scope = access_decide(&rq->principal, RES_PLACEMENT, ACT_READ);
  struct access incident_scope = access_decide(&rq->principal, RES_INCIDENT, ACT_READ);
  s = db_agenda(rq->db, rq->principal.commission_id, session_id, &person_scope, &placement_scope, &incident_scope,
                &items);
  if (s < 0) {
    PQclear(session);
    return reply_db_error(rq);
  }
  bool situation = access_decide(&rq->principal, RES_SITUATION, ACT_READ).kind != ACCESS_DENY;
  json_t *body = json_pack("{s:o, s:o}", "session", session_json(session, 0), "items", agenda_json(items, situation));
  PQclear(session);
  PQclear(items);
  return reply_json(rq, status, body, NULL);
}

enum MHD_Result api_agenda_get(struct request *rq) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL)
    return ret;
  if (access_decide(&rq->principal, RES_AGENDA, ACT_READ).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "This role has no access to agendas and minutes.");
  return reply_agenda(rq, id, MHD_HTTP_OK);
}

enum refusal { REFUSE_NONE, REFUSE_SESSION, REFUSE_SESSION_STATE, REFUSE_ITEM, REFUSE_APPLICATION,
               REFUSE_APP_STATE, REFUSE_DECIDED, REFUSE_UNIT, REFUSE_CORRECTED, REFUSE_NOT_SCHEDULED };

/* Locks the session (LOCK) and checks it is in one of the states in ALLOWED ("planned open"). */
static enum db_status lock_session(struct db *db, struct request *rq, const char *id, enum db_lock lock,
                                   const char *allowed, enum refusal *refusal, char *current, size_t n) {
  PGresult *cur;
  enum db_status s = db_session_get(db, rq->principal.commission_id, id, lock, &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW)
      *refusal = REFUSE_SESSION;
    return s;
  }
  snprintf(current, n, "%s", PQgetvalue(cur, 0, 6));
  PQclear(cur);
  if (strstr(allowed, current) == NULL) {
    *refusal = REFUSE_SESSION_STATE;
    return DB_NO_ROW;
  }
  return DB_ROW;
}

struct agenda_tx {
  struct request *rq;
  const char *session_id;
  const char *item_id;
  const char *application_id;
  const char *note;
  bool set_note;
  const char *position;
  enum refusal refusal;
  char current[16];
};

static enum MHD_Result reply_refusal(struct request *rq, const struct agenda_tx *t) {
  switch (t->refusal) {
  case REFUSE_SESSION:
    return reply_problem(rq, ERR_NOT_FOUND, "No such session.");
  case REFUSE_SESSION_STATE:
    return reply_problem_with(rq, ERR_INVALID_STATE, "The session's status does not allow this.",
                              json_pack("{s:s}", "current_status", t->current));
  case REFUSE_ITEM:
    return reply_problem(rq, ERR_NOT_FOUND, "No such agenda item in this session.");
  case REFUSE_APPLICATION:
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/application_id", "is not an application of this commission");
  case REFUSE_APP_STATE:
    return reply_problem_with(rq, ERR_INVALID_STATE,
                              "Only submitted or deferred applications can be put on an agenda.",
                              json_pack("{s:s}", "current_status", t->current));
  case REFUSE_DECIDED:
    return reply_problem_with(rq, ERR_CONFLICT, "This agenda item is already decided.",
                              json_pack("{s:s}", "application_status", t->current));
  case REFUSE_NOT_SCHEDULED:
    return reply_problem_with(rq, ERR_INVALID_STATE,
                              "This item has no scheduled application to decide (withdrawn, moved on, or a review "
                              "or incident item).",
                              json_pack("{s:s}", "current_status", t->current));
  default:
    return reply_problem(rq, ERR_INTERNAL, NULL);
  }
}

static enum db_status build_body(struct db *db, void *cls) {
  struct agenda_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  t->refusal = REFUSE_NONE;
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_UPDATE, "planned open", &t->refusal, t->current,
                                  sizeof t->current);
  if (s <= 0)
    return s;
  return db_agenda_build(db, p->commission_id, t->session_id, p->token_id, role_name(p->role));
}

enum MHD_Result api_agenda_build(struct request *rq) {
  enum MHD_Result ret;
  struct agenda_tx t = {.rq = rq};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL || !session_work_allowed(rq, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, build_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_OK);
}

static enum db_status add_body(struct db *db, void *cls) {
  struct agenda_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  t->refusal = REFUSE_NONE;
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_UPDATE, "planned open", &t->refusal, t->current,
                                  sizeof t->current);
  if (s <= 0)
    return s;
  struct access all = access_decide(p, RES_APPLICATION, ACT_UPDATE);
  PGresult *app;
  s = db_application_get(db, p->commission_id, t->application_id, &all, true, &app);
  if (s <= 0) {
    PQclear(app);
    if (s == DB_NO_ROW)
      t->refusal = REFUSE_APPLICATION;
    return s;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(app, 0, 7));
  PQclear(app);
  enum app_status from = app_status_parse(t->current);
  if (!app_transition_legal(from, APP_SCHEDULED, PATH_AGENDA)) {
    t->refusal = REFUSE_APP_STATE;
    return DB_NO_ROW;
  }
  PGresult *item;
  s = db_agenda_add(db, p->commission_id, t->session_id, t->application_id, t->note, &item);
  if (s == DB_ROW)
    audit_created(t->rq, "applications", t->application_id);
  PQclear(item);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23505") == 0) { /* already on this agenda (deferred here earlier) */
      t->refusal = REFUSE_APP_STATE;
      return DB_NO_ROW;
    }
    return s;
  }
  s = db_application_move(db, p->commission_id, t->application_id, t->current, "scheduled", "put on the agenda",
                          false, t->session_id, p->token_id, role_name(p->role));
  return s == DB_NO_ROW ? DB_SOFT_ERROR : s;
}

/* POST /v1/sessions/{id}/agenda/items {application_id, note}: adds one application. */
enum MHD_Result api_agenda_add(struct request *rq) {
  enum MHD_Result ret;
  static const struct field_spec spec[] = {
    {"application_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
    {"note", FIELD_TEXT, FIELD_NULLABLE, 0, 2000, NULL},
  };
  struct field_value v[2];
  struct agenda_tx t = {.rq = rq};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL || !session_work_allowed(rq, &ret) || !request_fields(rq, spec, 2, v, &ret))
    return ret;
  t.application_id = v[0].s;
  t.note = v[1].present && !v[1].null ? v[1].s : NULL;
  enum db_status s = db_transaction(rq->db, add_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_CREATED);
}

/* Locks the item; DB_NO_ROW with REFUSE_ITEM when absent, REFUSE_DECIDED when it has a decision. */
static enum db_status lock_undecided_item(struct db *db, struct agenda_tx *t, char *app_id, char *app_status) {
  PGresult *item;
  enum db_status s = db_agenda_item(db, t->rq->principal.commission_id, t->session_id, t->item_id, &item);
  if (s <= 0) {
    PQclear(item);
    if (s == DB_NO_ROW)
      t->refusal = REFUSE_ITEM;
    return s;
  }
  snprintf(app_id, UUID_STR_LEN, "%s", PQgetvalue(item, 0, 1));
  snprintf(app_status, 16, "%s", PQgetvalue(item, 0, 2));
  bool decided = strcmp(PQgetvalue(item, 0, 3), "0") != 0;
  PQclear(item);
  if (decided) {
    snprintf(t->current, sizeof t->current, "%s", app_status);
    t->refusal = REFUSE_DECIDED;
    return DB_NO_ROW;
  }
  return DB_ROW;
}

static enum db_status remove_body(struct db *db, void *cls) {
  struct agenda_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  t->refusal = REFUSE_NONE;
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_UPDATE, "planned open", &t->refusal, t->current,
                                  sizeof t->current);
  char app_id[UUID_STR_LEN], app_status[16];
  if (s > 0)
    s = lock_undecided_item(db, t, app_id, app_status);
  if (s <= 0)
    return s;
  s = db_agenda_delete(db, p->commission_id, t->session_id, t->item_id);
  if (s < 0 || strcmp(app_status, "scheduled") != 0)
    return s;
  /* Off the agenda, the application waits again. */
  s = db_application_move(db, p->commission_id, app_id, "scheduled", "submitted", "taken off the agenda", false,
                          t->session_id, p->token_id, role_name(p->role));
  return s == DB_NO_ROW ? DB_SOFT_ERROR : s;
}

/* DELETE /v1/sessions/{id}/agenda/items/{item_id}: only an undecided item. */
enum MHD_Result api_agenda_remove(struct request *rq) {
  enum MHD_Result ret;
  struct agenda_tx t = {.rq = rq};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL)
    return ret;
  t.item_id = param_path_uuid(rq, 1, "item_id", &ret);
  if (t.item_id == NULL || !session_work_allowed(rq, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, remove_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_OK);
}

static enum db_status adjust_body(struct db *db, void *cls) {
  struct agenda_tx *t = cls;
  t->refusal = REFUSE_NONE;
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_UPDATE, "planned open", &t->refusal, t->current,
                                  sizeof t->current);
  if (s <= 0)
    return s;
  s = db_agenda_update(db, t->rq->principal.commission_id, t->session_id, t->item_id, t->position, t->set_note,
                       t->note);
  if (s == DB_NO_ROW)
    t->refusal = REFUSE_ITEM;
  return s;
}

/* PATCH /v1/sessions/{id}/agenda/items/{item_id} {position, note}: reorders or annotates an item. */
enum MHD_Result api_agenda_adjust(struct request *rq) {
  enum MHD_Result ret;
  static const struct field_spec spec[] = {
    {"position", FIELD_INT, 0, 1, 10000, NULL},
    {"note", FIELD_TEXT, FIELD_NULLABLE, 0, 2000, NULL},
  };
  struct field_value v[2];
  struct agenda_tx t = {.rq = rq};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL)
    return ret;
  t.item_id = param_path_uuid(rq, 1, "item_id", &ret);
  if (t.item_id == NULL || !session_work_allowed(rq, &ret) || !request_fields(rq, spec, 2, v, &ret))
    return ret;
  char position[24];
  snprintf(position, sizeof position, "%lld", v[0].i);
  t.position = v[0].present ? position : NULL;
  t.set_note = v[1].present;
  t.note = v[1].present && !v[1].null ? v[1].s : NULL;
  enum db_status s = db_transaction(rq->db, adjust_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_OK);
}

static const char *const outcomes[] = {"approve", "refuse", "defer", NULL};
static const char *const refusal_reasons[] = {"no_suitable_unit", "care_project_not_ready", "incomplete_file",
                                              "outside_sector", "needs_other_structure", "other", NULL};

enum { D_ITEM, D_OUTCOME, D_UNIT, D_REASON, D_COMMENT };

struct decision_tx {
  struct request *rq;
  const char *session_id;
  const char *decision_id; /* the decision corrected, for corrections */
  struct field_value *v;
  enum refusal refusal;
  char current[16];
  char decision[UUID_STR_LEN];
};

/* Checks the unit an approval names: of this commission and not withdrawn. */
static enum db_status check_unit(struct db *db, struct decision_tx *t) {
  if (!t->v[D_UNIT].present || t->v[D_UNIT].null)
    return DB_ROW;
  PGresult *unit;
  enum db_status s = db_unit_status(db, t->rq->principal.commission_id, t->v[D_UNIT].s, &unit);
  bool ok = s == DB_ROW && (strcmp(PQgetvalue(unit, 0, 0), "available") == 0 ||
                            strcmp(PQgetvalue(unit, 0, 0), "occupied") == 0);
  PQclear(unit);
  if (s < 0)
    return s;
  if (!ok) {
    t->refusal = REFUSE_UNIT;
    return DB_NO_ROW;
  }
  return DB_ROW;
}

/* Records the decision and moves the application from FROM to what OUTCOME leads to. */
static enum db_status record_decision(struct db *db, struct decision_tx *t, const char *item_id, const char *app_id,
                                      const char *from, const char *corrects) {
  const struct principal *p = &t->rq->principal;
  const struct field_value *v = t->v;
  const char *f[10] = {p->commission_id, t->session_id, item_id, app_id, v[D_OUTCOME].s,
                       v[D_UNIT].present && !v[D_UNIT].null ? v[D_UNIT].s : NULL,
                       v[D_REASON].present && !v[D_REASON].null ? v[D_REASON].s : NULL,
                       v[D_COMMENT].present && !v[D_COMMENT].null ? v[D_COMMENT].s : NULL, corrects, p->token_id};
  PGresult *res;
  enum db_status s = db_decision_insert(db, f, &res);
  if (s < 0) {
    PQclear(res);
    if (strcmp(db_sqlstate(db), "23505") == 0) { /* another coordinator decided this item first */
      t->refusal = REFUSE_DECIDED;
      snprintf(t->current, sizeof t->current, "decided");
      return DB_NO_ROW;
    }
    return s;
  }
  snprintf(t->decision, sizeof t->decision, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  audit_created(t->rq, "decisions", t->decision);
  enum app_status to = app_status_after_decision(v[D_OUTCOME].s);
  char reason[160];
  if (corrects != NULL)
    snprintf(reason, sizeof reason, "correction of decision %s", corrects);
  else
    snprintf(reason, sizeof reason, "decision of the session");
  s = db_application_move(db, p->commission_id, app_id, from, app_status_name(to), reason, corrects != NULL,
                          t->session_id, p->token_id, role_name(p->role));
  return s == DB_NO_ROW ? DB_SOFT_ERROR : s;
}

static enum db_status decide_body(struct db *db, void *cls) {
  struct decision_tx *t = cls;
  t->refusal = REFUSE_NONE;
  struct agenda_tx a = {.rq = t->rq, .session_id = t->session_id, .item_id = t->v[D_ITEM].s};
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_SHARE, "open", &a.refusal, a.current,
                                  sizeof a.current);
  char app_id[UUID_STR_LEN], app_status[16];
  if (s > 0)
    s = lock_undecided_item(db, &a, app_id, app_status);
  if (s > 0 && strcmp(app_status, "scheduled") != 0) {
    snprintf(a.current, sizeof a.current, "%s", app_status);
    a.refusal = REFUSE_NOT_SCHEDULED;
    s = DB_NO_ROW;
  }
  t->refusal = a.refusal;
  snprintf(t->current, sizeof t->current, "%s", a.current);
  if (s <= 0)
    return s;
  s = check_unit(db, t);
  if (s <= 0)
    return s;
  return record_decision(db, t, t->v[D_ITEM].s, app_id, "scheduled", NULL);
}

static bool decision_fields(struct request *rq, struct field_value *v, bool correction, enum MHD_Result *ret) {
  static const struct field_spec decide_spec[] = {
    [D_ITEM] = {"agenda_item_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
    [D_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_REQUIRED, 0, 0, outcomes},
    [D_UNIT] = {"unit_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
    [D_REASON] = {"refusal_reason", FIELD_ENUM, FIELD_NULLABLE, 0, 0, refusal_reasons},
    [D_COMMENT] = {"comment", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
  };
  static const struct field_spec correct_spec[] = {
    [D_ITEM] = {"agenda_item_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
    [D_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_REQUIRED, 0, 0, outcomes},
    [D_UNIT] = {"unit_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
    [D_REASON] = {"refusal_reason", FIELD_ENUM, FIELD_NULLABLE, 0, 0, refusal_reasons},
    [D_COMMENT] = {"comment", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL},
  };
  if (!request_fields(rq, correction ? correct_spec : decide_spec, 5, v, ret))
    return false;
  bool refuse = strcmp(v[D_OUTCOME].s, "refuse") == 0;
  bool has_reason = v[D_REASON].present && !v[D_REASON].null;
  if (refuse != has_reason) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/refusal_reason",
                               refuse ? "is required to refuse" : "is only for a refusal");
    return false;
  }
  if (strcmp(v[D_OUTCOME].s, "approve") != 0 && v[D_UNIT].present && !v[D_UNIT].null) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/unit_id", "is only for an approval");
    return false;
  }
  return true;
}

static enum MHD_Result reply_decision_refusal(struct request *rq, const struct decision_tx *t) {
  if (t->refusal == REFUSE_UNIT)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/unit_id",
                               "is not a unit of this commission in service (available or occupied)");
  if (t->refusal == REFUSE_CORRECTED)
    return reply_problem_with(rq, ERR_CONFLICT,
                              "This decision was already corrected, or its application has moved on since: correct "
                              "the standing decision, or force the application's transition.",
                              json_pack("{s:s}", "application_status", t->current));
  if (t->refusal == REFUSE_ITEM && t->decision_id != NULL)
    return reply_problem(rq, ERR_NOT_FOUND, "No such decision in this session.");
  struct agenda_tx a = {.refusal = t->refusal};
  snprintf(a.current, sizeof a.current, "%s", t->current);
  return reply_refusal(rq, &a);
}

/* POST /v1/sessions/{id}/decisions: one decision per agenda item, while the session is open. */
enum MHD_Result api_decisions_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[5];
  struct decision_tx t = {.rq = rq, .v = v};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL || !session_work_allowed(rq, &ret) || !decision_fields(rq, v, false, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, decide_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_decision_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_CREATED);
}

static enum db_status correct_body(struct db *db, void *cls) {
  struct decision_tx *t = cls;
  t->refusal = REFUSE_NONE;
  const struct principal *p = &t->rq->principal;
  enum db_status s = lock_session(db, t->rq, t->session_id, LOCK_SHARE, "open closed", &t->refusal, t->current,
                                  sizeof t->current);
  if (s <= 0)
    return s;
  PGresult *d;
  s = db_decision_get(db, p->commission_id, t->session_id, t->decision_id, &d);
  if (s <= 0) {
    PQclear(d);
    if (s == DB_NO_ROW)
      t->refusal = REFUSE_ITEM;
    return s;
  }
  char item[UUID_STR_LEN], app[UUID_STR_LEN];
  snprintf(item, sizeof item, "%s", PQgetvalue(d, 0, 1));
  snprintf(app, sizeof app, "%s", PQgetvalue(d, 0, 2));
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(d, 0, 4));
  /* The application must still be where the corrected decision put it. */
  enum app_status expected = app_status_after_decision(PQgetvalue(d, 0, 3));
  bool standing = PQgetvalue(d, 0, 5)[0] == 't';
  PQclear(d);
  if (!standing || app_status_parse(t->current) != expected) {
    t->refusal = REFUSE_CORRECTED;
    return DB_NO_ROW;
  }
  s = check_unit(db, t);
  if (s <= 0)
    return s;
  return record_decision(db, t, item, app, t->current, t->decision_id);
}

/* POST /v1/sessions/{id}/decisions/{decision_id}/corrections: a new decision linked to the one it corrects,
 * with a mandatory comment; the application moves accordingly (recorded as forced). */
enum MHD_Result api_decisions_correct(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[5];
  struct decision_tx t = {.rq = rq, .v = v};
  t.session_id = param_path_uuid(rq, 0, "id", &ret);
  if (t.session_id == NULL)
    return ret;
  t.decision_id = param_path_uuid(rq, 1, "decision_id", &ret);
  if (t.decision_id == NULL || !session_work_allowed(rq, &ret) || !decision_fields(rq, v, true, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, correct_body, &t);
  if (s < 0)
    return reply_db_error(rq);
  if (t.refusal != REFUSE_NONE)
    return reply_decision_refusal(rq, &t);
  return reply_agenda(rq, t.session_id, MHD_HTTP_CREATED);
}
