/* A session's decisions: one per agenda item, recorded while the session is open; a decision moves its
 * application in the same transaction (app_status_after_decision). A decision is never changed: it is corrected
 * by a new, linked decision, also after the session closed. Both answer the whole agenda. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "application_state.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "minutes.h"
#include "params.h"
#include "sessions.h"
#include "uuid.h"
#include "write.h"

static const char *const outcomes[] = {"approve", "refuse", "defer", NULL};
static const char *const refusal_reasons[] = {"no_suitable_unit", "care_project_not_ready", "incomplete_file",
                                              "outside_sector", "needs_other_structure", "other", NULL};

enum { D_ITEM, D_OUTCOME, D_UNIT, D_REASON, D_COMMENT };

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
/* The route table checks each field; decision_run() then checks that they agree. */
const struct body_spec decision_create_body = {decide_spec, FIELDS_COUNT(decide_spec)};
const struct body_spec decision_correct_body = {correct_spec, FIELDS_COUNT(correct_spec)};

/* The unit an approval names must be a unit of this commission in service. */
static enum db_status check_unit(struct db *db, struct request *rq, struct write_out *out) {
  const char *unit_id = patch_pick(&rq->fields[D_UNIT], NULL);
  if (unit_id == NULL)
    return DB_ROW;
  PGresult *res;
  enum db_status s = db_unit_status(db, rq->principal.commission_id, unit_id, &res);
  struct unit_status_row unit;
  bool ok = s == DB_ROW && db_row(res, 0, &unit) && unit_in_service(unit.status);
  PQclear(res);
  if (s < 0)
    return s;
  if (!ok)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/unit_id",
                              "is not a unit of this commission in service (available or occupied)");
  return DB_ROW;
}

/* What record_decision() sent: the insert's and the move's status once read. */
struct recorded {
  enum db_status inserted, moved;
};

/* Sends the decision on ITEM_ID and the move of APP_ID from FROM to where the outcome leads (CORRECTS: the
 * decision it corrects, a forced move, or NULL) ahead of the transaction's next statement (the agenda read
 * back): their outcome is decision_recorded()'s. */
static enum db_status record_decision(struct db *db, struct request *rq, const char *item_id, const char *app_id,
                                      const char *from, const char *corrects, struct recorded *rec) {
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  struct decision_fields f = {.session_id = rq->args[0], .agenda_item_id = item_id, .application_id = app_id,
                              .outcome = v[D_OUTCOME].s, .unit_id = patch_pick(&v[D_UNIT], NULL),
                              .refusal_reason = patch_pick(&v[D_REASON], NULL),
                              .comment = patch_pick(&v[D_COMMENT], NULL), .corrects = corrects,
                              .token_id = p->token_id};
  char id[UUID_STR_LEN];
  uuid_random(id);
  enum db_status s = db_decision_insert_ahead(db, p->commission_id, id, &f, &rec->inserted);
  if (s < 0)
    return s;
  audit_created(rq, "decisions", id);
  char reason[160];
  if (corrects != NULL)
    snprintf(reason, sizeof reason, "correction of decision %s", corrects);
  else
    snprintf(reason, sizeof reason, "decision of the session");
  return db_application_move_ahead(db, p->commission_id, app_id, from,
                                   app_status_name(app_status_after_decision(f.outcome)), reason, corrects != NULL,
                                   rq->args[0], p->token_id, role_name(p->role), &rec->moved);
}

/* S, the status of what followed record_decision() (its outcome read), made the decision's: a second decision on
 * the item refused (409), an application no longer where it was retried. A statement not yet prepared on this
 * session sends what went ahead of it first: the insert's failure may then be S. */
static enum db_status decision_recorded(struct db *db, enum db_status s, const struct recorded *rec,
                                        struct write_out *out) {
  if (rec->inserted < 0 && strcmp(db_sqlstate(db), "23505") == 0) /* another coordinator decided this item first */
    return write_refuse_with(out, ERR_CONFLICT, "This agenda item is already decided.",
                             json_pack("{s:s}", "application_status", "decided"));
  if (rec->inserted <= 0)
    return rec->inserted < 0 ? rec->inserted : DB_HARD_ERROR;
  if (rec->moved <= 0)
    return rec->moved < 0 ? rec->moved : DB_SOFT_ERROR;
  return s;
}

/* A decision's write: the members of the body must agree (decision_members_check()), then BODY runs; 201 with
 * the agenda. */
static enum MHD_Result decision_run(struct request *rq, write_body body) {
  const struct field_value *v = rq->fields;
  const char *reason = NULL;
  const char *field = decision_members_check(v[D_OUTCOME].s, patch_pick(&v[D_REASON], NULL) != NULL,
                                             patch_pick(&v[D_UNIT], NULL) != NULL, &reason);
  if (field != NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, field, reason);
  return write_run(rq, MHD_HTTP_CREATED, body, NULL);
}

static enum db_status decide_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *row;
  enum db_status s = session_lock(db, rq, rq->args[0], LOCK_SHARE, WORK_DECIDE,
                                  "The session's status does not allow this.", out, &row);
  const char *item_id = rq->fields[D_ITEM].s;
  char app_id[UUID_STR_LEN], app_status[16];
  if (s == DB_ROW)
    s = agenda_item_lock_undecided(db, rq, item_id, out, app_id, app_status);
  if (s == DB_ROW && app_status_parse(app_status) != APP_SCHEDULED)
    s = write_refuse_with(out, ERR_INVALID_STATE,
                          "This item has no scheduled application to decide (withdrawn, moved on, or a review or "
                          "incident item).",
                          json_pack("{s:s}", "current_status", app_status));
  if (s == DB_ROW)
    s = check_unit(db, rq, out);
  if (s != DB_ROW)
    return agenda_written(db, rq, s, row, out);
  /* The decision, the application's move and the agenda read back: one round trip (the agenda is not read when
   * either fails). */
  struct recorded rec = {DB_HARD_ERROR, DB_HARD_ERROR};
  s = record_decision(db, rq, item_id, app_id, "scheduled", NULL, &rec);
  s = agenda_written(db, rq, s, row, out);
  return decision_recorded(db, s, &rec, out);
}

/* POST /v1/sessions/{id}/decisions: one decision per agenda item, while the session is open. */
enum MHD_Result api_decisions_create(struct request *rq) { return decision_run(rq, decide_body); }

static enum db_status correct_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  PGresult *row;
  enum db_status s = session_lock(db, rq, rq->args[0], LOCK_SHARE, WORK_CORRECT,
                                  "The session's status does not allow this.", out, &row);
  if (s != DB_ROW)
    return agenda_written(db, rq, s, row, out);
  PGresult *res;
  s = db_decision_get(db, p->commission_id, rq->args[0], rq->args[1], &res);
  struct decision_row d;
  char item[UUID_STR_LEN], app[UUID_STR_LEN], current[16];
  if (s == DB_NO_ROW)
    s = write_refuse(out, ERR_NOT_FOUND, "No such decision in this session.");
  else if (s == DB_ROW && !db_row(res, 0, &d))
    s = DB_HARD_ERROR;
  if (s == DB_ROW) {
    snprintf(item, sizeof item, "%s", d.agenda_item_id);
    snprintf(app, sizeof app, "%s", d.application_id);
    snprintf(current, sizeof current, "%s", d.application_status);
    /* The application must still be where the corrected decision put it. */
    if (!decision_correctable(d.outcome, session_yes(d.standing), app_status_parse(current)))
      s = write_refuse_with(out, ERR_CONFLICT,
                            "This decision was already corrected, or its application has moved on since: correct "
                            "the standing decision, or force the application's transition.",
                            json_pack("{s:s}", "application_status", current));
  }
  PQclear(res);
  if (s == DB_ROW)
    s = check_unit(db, rq, out);
  /* After closing, the sealed minutes do not change: the correction is sealed in an annex (minutes_annex_seal()),
   * which needs the minutes as they read before it. */
  struct session_row session;
  bool closed = s == DB_ROW && db_row(row, 0, &session) && strcmp(session.status, "closed") == 0;
  json_t *before = NULL, *flags = NULL;
  if (closed)
    s = minutes_model(db, rq, &session, &before, &flags);
  struct recorded rec = {DB_HARD_ERROR, DB_HARD_ERROR};
  if (s == DB_ROW) { /* read at once: the annex below reads the minutes with the correction */
    s = record_decision(db, rq, item, app, current, rq->args[1], &rec);
    s = decision_recorded(db, s >= 0 ? db_read_ahead(db) : s, &rec, out);
  }
  if (s == DB_ROW && closed)
    s = minutes_annex_seal(db, rq, &session, before, item, rq->audit_object);
  json_decref(before);
  json_decref(flags);
  return agenda_written(db, rq, s, row, out);
}

/* POST /v1/sessions/{id}/decisions/{decision_id}/corrections: a new decision linked to the one it corrects,
 * with a mandatory comment; the application moves accordingly (recorded as forced). */
enum MHD_Result api_decisions_correct(struct request *rq) { return decision_run(rq, correct_body); }
