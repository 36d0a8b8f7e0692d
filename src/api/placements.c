/* /v1/placements: a person living in a unit, from move-in to exit. A placement starts from an approved
 * application (which becomes 'placed' in the same transaction); the database refuses a unit over its places and a
 * person in two homes at once. Landlords see the placements in their units — names and dates, no health
 * information (no application, session, exit reason). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "application_state.h"
#include "dates.h"
#include "fields.h"
#include "json_text.h"
#include "lease.h"
#include "params.h"
#include "placements.h"
#include "queries.h"
#include "session_rules.h"
#include "uuid.h"
#include "validate.h"
#include "write.h"

const char *lease_holder(const char *lease, const char *slid_on) {
  if (lease != NULL && strcmp(lease, "direct_lease") == 0)
    return "tenant";
  return lease != NULL && strcmp(lease, "sliding_lease") == 0 && slid_on != NULL ? "tenant" : "association";
}

/* The next step of a running sliding lease D (include/lease.h) as of today: false when the lease has slid or its
 * review and notice dates are not known (then no step and no review status). */
static bool sliding_next(const struct sliding_dates *d, struct lease_step *step, char due[11],
                         const char **review_status) {
  struct date today = date_today(), review, notice, planned;
  if (d->slid_on != NULL || !date_parse(d->tripartite_review_on, &review) ||
      !date_parse(d->prefect_notice_due_on, &notice))
    return false;
  bool has_planned = date_parse(d->planned_slide_on, &planned);
  *step = lease_next_step(notice, d->prefect_notice_sent_on != NULL, review, has_planned ? &planned : NULL, today);
  date_format(step->due_on, due, 11);
  *review_status = lease_due_status(review, today);
  return true;
}

void write_sliding(struct jw *w, const struct sliding_dates *d) {
  jw_key(w, "sliding");
  if (d->start_date == NULL) {
    jw_null(w);
    return;
  }
  struct lease_step step;
  char due[11];
  const char *status = NULL;
  bool next = sliding_next(d, &step, due, &status);
  jw_object_begin(w);
  jw_key_string(w, "start_date", d->start_date);
  jw_key_string(w, "planned_slide_on", d->planned_slide_on);
  jw_key_string(w, "slid_on", d->slid_on);
  jw_key_string(w, "last_tripartite_review_on", d->last_tripartite_on);
  jw_key_string(w, "tripartite_review_on", d->tripartite_review_on);
  jw_key_string(w, "tripartite_review_status", status);
  jw_key_string(w, "prefect_notice_due_on", d->prefect_notice_due_on);
  jw_key_string(w, "prefect_notice_sent_on", d->prefect_notice_sent_on);
  jw_key(w, "next_step");
  if (next) {
    jw_object_begin(w);
    jw_key_string(w, "step", step.step);
    jw_key_string(w, "due_on", due);
    jw_key_string(w, "status", step.status);
    jw_object_end(w);
  } else {
    jw_null(w);
  }
  jw_object_end(w);
}

void write_placement_line_open(struct jw *w, const char *placement_id, const char *family_name,
                               const char *given_names, const char *unit_id, const char *unit_label,
                               const char *unit_town) {
  jw_object_begin(w);
  jw_key_string(w, "placement_id", placement_id);
  write_person_names(w, family_name, given_names);
  jw_key(w, "unit");
  jw_object_begin(w);
  jw_key_string(w, "id", unit_id);
  jw_key_string(w, "label", unit_label);
  jw_key_string(w, "town", unit_town);
  jw_object_end(w);
}

/* The lease of placement R: a sliding lease's calendar, who holds it, the deposit clause. */
static void write_lease(struct jw *w, const struct placement_row *r) {
  struct sliding_dates d = {r->sliding_start_date, r->planned_slide_on,     r->slid_on,
                            r->last_tripartite_on, r->tripartite_review_on, r->prefect_notice_due_on,
                            r->prefect_notice_sent_on};
  write_sliding(w, &d);
  jw_key_string(w, "lease_holder", lease_holder(r->lease, r->slid_on));
  jw_key_bool(w, "refund_to_association", r->refund_to_association);
}

/* Row I of RES as the placement READER sees it, and its version: a landlord reads names and dates, no application,
 * session or exit reason. */
static bool placement_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  struct placement_row r;
  if (!db_row(res, i, &r))
    return false;
  bool landlord_view = reader == ROLE_LANDLORD;
  bool care_view = reader == ROLE_COORDINATOR || reader == ROLE_CAREGIVER;
  char today[16];
  date_format(date_today(), today, sizeof today);
  bool active = r.exit_date == NULL || strcmp(r.exit_date, today) > 0;
  jw_object_begin(w);
  jw_key_string(w, "id", r.id);
  jw_key(w, "person");
  jw_object_begin(w);
  if (!landlord_view)
    jw_key_string(w, "id", r.person_id);
  jw_key_string(w, "family_name", r.family_name);
  jw_key_string(w, "given_names", r.given_names);
  if (!landlord_view)
    jw_key_string(w, "birth_date", r.birth_date);
  jw_object_end(w);
  jw_key(w, "unit");
  jw_object_begin(w);
  jw_key_string(w, "id", r.unit_id);
  jw_key_string(w, "label", r.unit_label);
  jw_key_string(w, "address", r.unit_address);
  jw_key_string(w, "town", r.unit_town);
  jw_key_string(w, "kind", r.unit_kind);
  jw_key_string(w, "landlord_org_id", r.landlord_org_id);
  jw_object_end(w);
  jw_key_string(w, "move_in_date", r.move_in_date);
  jw_key_string(w, "lease", r.lease);
  jw_key_string(w, "exit_date", r.exit_date);
  jw_key_string(w, "status", active ? "active" : "ended");
  jw_key_int(w, "version", r.version);
  write_lease(w, &r);
  if (!landlord_view) {
    /* An exit to hospital or to a care facility is health information: a curator reads "confidential", and no
     * exit comment (free text written by the care side). */
    const char *reason = r.exit_reason;
    bool health = reason != NULL && (strcmp(reason, "hospitalisation") == 0 || strcmp(reason, "care_facility") == 0);
    jw_key_string(w, "application_id", r.application_id);
    jw_key_string(w, "session_id", r.session_id);
    jw_key_string(w, "exit_reason", health && !care_view ? "confidential" : reason);
    jw_key_string(w, "exit_comment", care_view ? r.exit_comment : NULL);
    jw_key_bool(w, "exit_inspection_matches", r.exit_inspection_matches);
    jw_key_timestamp(w, "created_at", r.created_at);
    jw_key_timestamp(w, "updated_at", r.updated_at);
  }
  jw_object_end(w);
  *version = long_of_text(r.version);
  return true;
}

/* Row I of RES into OUT (a write's answer). */
static bool placement_out(const PGresult *res, int i, struct write_out *out) {
  return write_out_of(res, i, out, placement_write);
}

/* Placement ID as the caller sees it now, read in the write's transaction into OUT (a write's answer). */
static enum db_status placement_answer(struct db *db, struct request *rq, const char *id, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_placement_get(db, rq->principal.commission_id, id, &rq->access, false, &res);
  bool ok = s == DB_ROW && placement_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : s < 0 ? s : DB_HARD_ERROR;
}

/* The placement of the path, locked for the write, into *RES (the caller clears it) and CUR: DB_ROW, a 404
 * refusal, or the database's error (RES cleared on both). */
static enum db_status placement_locked(struct db *db, struct request *rq, struct write_out *out, PGresult **res,
                                       struct placement_row *cur) {
  enum db_status s = db_placement_get(db, rq->principal.commission_id, rq->args[0], &rq->access, true, res);
  if (s == DB_ROW && !db_row(*res, 0, cur))
    s = DB_HARD_ERROR;
  if (s != DB_ROW) {
    PQclear(*res);
    *res = NULL;
  }
  return s == DB_NO_ROW ? write_refuse(out, ERR_NOT_FOUND, "No such placement.") : s;
}

enum MHD_Result api_placements_list(struct request *rq) {
  static const char *const query[] = {"active", "unit_id", "person_id", "landlord_org_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *active = request_query(rq, "active");
  if (active != NULL && strcmp(active, "true") != 0 && strcmp(active, "false") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:active", "must be true or false");
  const char *unit = request_query(rq, "unit_id"), *person = request_query(rq, "person_id");
  if (unit != NULL && !valid_uuid(unit))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:unit_id", "must be a UUID");
  if (person != NULL && !valid_uuid(person))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:person_id", "must be a UUID");
  const char *landlord = request_query(rq, "landlord_org_id");
  if (landlord != NULL && !valid_uuid(landlord))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:landlord_org_id", "must be a UUID");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_placement_list(rq->db, rq->principal.commission_id, &rq->access,
                                       active ? (active[0] == 't' ? "t" : "f") : NULL, unit, person, landlord,
                                       page.after[0],
                                       page.after[1], page.limit, &res);
  return reply_list_of(rq, &page, s, res, placement_write, (const char *const[]){"move_in_date", "id"}, 2);
}

enum MHD_Result api_placements_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_placement_get(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, false, &res);
  return reply_read_of(rq, s, res, "No such placement.", placement_write);
}

static const char *const leases[] = {"association_main_tenant", "sliding_lease", "direct_lease", NULL};

enum { F_APPLICATION, F_UNIT, F_MOVE_IN, F_LEASE, F_PAY, F_REFUND_CLAUSE, F_SLIDING_START, F_PLANNED_SLIDE };

static const struct field_spec create_spec[] = {
  [F_APPLICATION] = {"application_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_UNIT] = {"unit_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
  [F_MOVE_IN] = {"move_in_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_LEASE] = {"lease", FIELD_ENUM, FIELD_REQUIRED, 0, 0, leases},
  [F_PAY] = {"pay_deposit", FIELD_ANY, 0, 0, 0, NULL}, /* true, false or cents: pay_deposit_amount() */
  [F_REFUND_CLAUSE] = {"refund_to_association", FIELD_BOOL, FIELD_NULLABLE, 0, 0, NULL},
  [F_SLIDING_START] = {"sliding_start_date", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_PLANNED_SLIDE] = {"planned_slide_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

static const char *const exit_reasons[] = {"lease_transferred", "other_housing", "hospitalisation", "care_facility",
                                           "eviction", "departure_without_notice", "death", "other", NULL};

enum { X_DATE, X_REASON, X_COMMENT, X_INSPECTION };

static const struct field_spec exit_spec[] = {
  [X_DATE] = {"exit_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [X_REASON] = {"exit_reason", FIELD_ENUM, FIELD_REQUIRED, 0, 0, exit_reasons},
  [X_COMMENT] = {"exit_comment", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
  [X_INSPECTION] = {"inspection_matches", FIELD_BOOL, FIELD_REQUIRED, 0, 0, NULL},
};

const struct body_spec placement_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec placement_exit_body = {exit_spec, FIELDS_COUNT(exit_spec)};

/* The deposit paid at move-in, in the placement's own transaction: AMOUNT cents, or the unit's deposit when
 * AMOUNT is -1, dated the move-in day (today when the move-in is later: an entry is never dated in the future). */
static enum db_status pay_deposit(struct db *db, struct request *rq, const char *placement, long long amount,
                                  struct write_out *out) {
  const struct principal *p = &rq->principal;
  if (amount < 0) {
    PGresult *res;
    struct deposit_account_row r;
    enum db_status s = db_deposit_account(db, p->commission_id, placement, &rq->access, &res);
    if (s == DB_ROW && !db_row(res, 0, &r))
      s = DB_HARD_ERROR;
    amount = s == DB_ROW && r.expected_cents != NULL ? strtoll(r.expected_cents, NULL, 10) : 0;
    PQclear(res);
    if (s <= 0)
      return s < 0 ? s : DB_HARD_ERROR;
    if (amount <= 0)
      return write_refuse_field(out, ERR_VALIDATION_FAILED, "/pay_deposit",
                                "the unit has no deposit: send an amount in cents, or no pay_deposit");
  }
  char amount_text[24], today[11], id[UUID_STR_LEN];
  snprintf(amount_text, sizeof amount_text, "%lld", amount);
  date_format(date_today(), today, sizeof today);
  const char *move_in = rq->fields[F_MOVE_IN].s;
  struct deposit_entry_fields f = {.kind = "paid", .amount_cents = amount_text, .effect_cents = amount_text,
                                   .entry_date = strcmp(move_in, today) < 0 ? move_in : today,
                                   .justification = NULL, .reverses_entry_id = NULL};
  enum db_status s = db_deposit_entry_insert(db, p->commission_id, placement, &f, p->token_id, role_name(p->role), id);
  return s == DB_NO_ROW ? DB_HARD_ERROR : s;
}

/* Starts the placement: the application must be approved and decided on or before the move-in, the unit in
 * service; the database refuses a full unit and a person already housed. */
static enum db_status start_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const long long *pay = cls; /* 0: no deposit paid; -1: the unit's deposit; else that amount in cents */
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  char current[16], decided[11], unit[32];
  enum db_status s =
    db_placement_application(db, p->commission_id, v[F_APPLICATION].s, v[F_UNIT].s, current, decided, unit);
  if (s == DB_NO_ROW)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/application_id",
                              "is not an application of this commission");
  if (s < 0)
    return s;
  if (!app_transition_legal(app_status_parse(current), APP_PLACED, PATH_PLACEMENT))
    return write_refuse_with(out, ERR_INVALID_STATE, "Only an approved application can start a placement.",
                             json_pack("{s:s}", "current_status", current));
  if (strcmp(v[F_MOVE_IN].s, decided) < 0)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/move_in_date",
                              "must not be before the date of the session that approved it");
  if (!unit_in_service(unit))
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/unit_id",
                              "is not a unit of this commission in service (available or occupied)");
  struct placement_fields f = {.application_id = v[F_APPLICATION].s, .unit_id = v[F_UNIT].s,
                               .move_in_date = v[F_MOVE_IN].s, .lease = v[F_LEASE].s,
                               .refund_to_association = patch_pick_bool(&v[F_REFUND_CLAUSE], NULL),
                               .sliding_start_date = patch_pick(&v[F_SLIDING_START], NULL),
                               .planned_slide_on = patch_pick(&v[F_PLANNED_SLIDE], NULL)};
  /* The insert, the application's move and the placement read back: one round trip (the read does not run when
   * the insert or the move fails), or two with a deposit to pay in between. A statement not yet prepared on this
   * session sends what went ahead of it first: the insert's failure may then be the move's sending's. */
  char id[UUID_STR_LEN];
  uuid_random(id);
  enum db_status inserted = DB_HARD_ERROR, moved = DB_HARD_ERROR;
  PGresult *res = NULL;
  s = db_placement_insert_ahead(db, p->commission_id, id, &f, &inserted);
  if (s >= 0)
    s = db_application_move_ahead(db, p->commission_id, v[F_APPLICATION].s, "approved", "placed",
                                  "placement started", false, NULL, p->token_id, role_name(p->role), &moved);
  if (s >= 0)
    s = *pay == 0 ? db_placement_get(db, p->commission_id, id, &rq->access, false, &res) : db_read_ahead(db);
  if (inserted < 0 && strcmp(db_sqlstate(db), "23P01") == 0) {
    PQclear(res);
    return write_refuse(out, ERR_CONFLICT, strcmp(db_constraint(db), "placements_unit_capacity") == 0
                                               ? "The unit has no free place on that date."
                                               : "The person already lives in another placement on that date.");
  }
  if (inserted <= 0 || moved <= 0 || s < 0) {
    PQclear(res);
    return inserted <= 0 ? (inserted < 0 ? inserted : DB_HARD_ERROR)
           : moved <= 0  ? (moved < 0 ? moved : DB_SOFT_ERROR)
                         : s;
  }
  if (*pay != 0) {
    if ((s = pay_deposit(db, rq, id, *pay, out)) != DB_ROW)
      return s;
    s = db_placement_get(db, p->commission_id, id, &rq->access, false, &res);
  }
  bool ok = s == DB_ROW && placement_out(res, 0, out);
  PQclear(res);
  if (!ok)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(out->location, sizeof out->location, "/v1/placements/%s", id);
  audit_created(rq, "placements", id);
  return DB_ROW;
}

/* POST /v1/placements: starts a placement from an approved application. */
enum MHD_Result api_placements_create(struct request *rq) {
  /* pay_deposit: true (the unit's deposit), false, or an amount in cents */
  json_t *pay = json_object_get(rq->json, "pay_deposit");
  long long amount = 0;
  if (json_is_true(pay))
    amount = -1;
  else if (json_is_integer(pay) && json_integer_value(pay) >= 1 && json_integer_value(pay) <= 100000000)
    amount = (long long)json_integer_value(pay);
  else if (pay != NULL && !json_is_false(pay))
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/pay_deposit",
                               "must be true (the unit's deposit), false, or an amount in cents (1 to 100000000)");
  const struct field_value *v = rq->fields;
  const char *start = patch_pick(&v[F_SLIDING_START], NULL), *planned = patch_pick(&v[F_PLANNED_SLIDE], NULL);
  bool sliding = strcmp(v[F_LEASE].s, "sliding_lease") == 0;
  if (!sliding && start != NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/sliding_start_date", "is only for a sliding lease");
  if (!sliding && planned != NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/planned_slide_on", "is only for a sliding lease");
  if (start != NULL && strcmp(start, v[F_MOVE_IN].s) < 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/sliding_start_date", "must not be before the move-in");
  if (planned != NULL && strcmp(planned, start != NULL ? start : v[F_MOVE_IN].s) < 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/planned_slide_on",
                               "must not be before the sliding lease's start");
  return creation_run(rq, start_body, &amount);
}

/* The exit: the placement must not have ended, nor the exit be before the move-in. */
static enum db_status exit_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *id = rq->args[0];
  PGresult *res;
  enum db_status s = db_placement_get(db, p->commission_id, id, &rq->access, true, &res);
  struct placement_row cur;
  if (s == DB_ROW && !db_row(res, 0, &cur))
    s = DB_HARD_ERROR;
  bool ended = s == DB_ROW && cur.exit_date != NULL;
  bool before_move_in = s == DB_ROW && cur.move_in_date != NULL && strcmp(v[X_DATE].s, cur.move_in_date) < 0;
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
  if (s < 0)
    return s;
  if (ended)
    return write_refuse_with(out, ERR_INVALID_STATE, "The placement has already ended.",
                             json_pack("{s:s}", "current_status", "ended"));
  if (before_move_in)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/exit_date", "must not be before the move-in date");
  struct placement_exit_fields f = {.exit_date = v[X_DATE].s, .exit_reason = v[X_REASON].s,
                                    .exit_comment = patch_pick(&v[X_COMMENT], NULL),
                                    .inspection_matches = v[X_INSPECTION].b ? "t" : "f"};
  s = db_placement_exit(db, p->commission_id, id, &f);
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR;
  return placement_answer(db, rq, id, out);
}

/* POST /v1/placements/{id}/exit: the exit frees the place from that date; the deposit's refund delay starts. */
enum MHD_Result api_placements_exit(struct request *rq) { return write_run(rq, MHD_HTTP_OK, exit_body, NULL); }

/* The lease after the start (PATCH /v1/placements/{id}): the deposit clause, and a sliding lease's planned
 * slide. */
enum { U_REFUND_CLAUSE, U_PLANNED_SLIDE };

static const struct field_spec update_spec[] = {
  [U_REFUND_CLAUSE] = {"refund_to_association", FIELD_BOOL, FIELD_NULLABLE, 0, 0, NULL},
  [U_PLANNED_SLIDE] = {"planned_slide_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

const struct body_spec placement_update_body = {update_spec, FIELDS_COUNT(update_spec)};

/* The placement read FOR UPDATE by the lock, for the write. */
struct placement_tx {
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct placement_tx *t = cls;
  PQclear(t->current);
  t->current = NULL;
  enum db_status s = db_placement_get(db, rq->principal.commission_id, rq->args[0], &rq->access, true, &t->current);
  return patch_locked(s, t->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct placement_tx *t = cls;
  const struct field_value *v = rq->fields;
  struct placement_row cur;
  if (!db_row(t->current, 0, &cur))
    return DB_HARD_ERROR;
  const char *planned = patch_pick(&v[U_PLANNED_SLIDE], cur.planned_slide_on);
  if (v[U_PLANNED_SLIDE].present && !v[U_PLANNED_SLIDE].null) {
    if (cur.sliding_start_date == NULL)
      return write_refuse_field(out, ERR_VALIDATION_FAILED, "/planned_slide_on", "is only for a sliding lease");
    if (cur.slid_on != NULL)
      return write_refuse_with(out, ERR_INVALID_STATE, "The lease has already slid.",
                               json_pack("{s:s}", "slid_on", cur.slid_on));
    if (strcmp(planned, cur.sliding_start_date) < 0)
      return write_refuse_field(out, ERR_VALIDATION_FAILED, "/planned_slide_on",
                                "must not be before the sliding lease's start");
  }
  enum db_status s = db_placement_lease_update(db, rq->principal.commission_id, rq->args[0],
                                               patch_pick_bool(&v[U_REFUND_CLAUSE], cur.refund_to_association),
                                               planned);
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR;
  return placement_answer(db, rq, rq->args[0], out);
}

/* PATCH /v1/placements/{id}: the lease's terms recorded after the start (If-Match). */
enum MHD_Result api_placements_update(struct request *rq) {
  static const struct patch patch = {"placement", "No such placement.", update_lock, update_write};
  struct placement_tx t = {NULL};
  enum MHD_Result ret = patch_run(rq, &patch, &t);
  PQclear(t.current);
  return ret;
}

enum { S_DATE };

static const struct field_spec slide_spec[] = {
  [S_DATE] = {"slid_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
};

const struct body_spec placement_slide_body = {slide_spec, FIELDS_COUNT(slide_spec)};

/* The slide of a sliding lease: the association's lease ends, the person stays (no exit: the place stays taken).
 * Only a sliding lease that has not slid, of a placement running on that day, not before the lease's start. The
 * same slide sent again answers the placement as it is (a retry changes nothing); another date is 409. */
static enum db_status slide_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const char *id = rq->args[0], *slid_on = rq->fields[S_DATE].s;
  PGresult *res;
  struct placement_row cur;
  enum db_status s = placement_locked(db, rq, out, &res, &cur);
  if (s != DB_ROW)
    return s;
  enum db_status refusal = DB_ROW;
  if (strcmp(cur.lease, "sliding_lease") != 0)
    refusal = write_refuse_with(out, ERR_INVALID_STATE, "Only a sliding lease slides.",
                                json_pack("{s:s}", "lease", cur.lease));
  else if (cur.slid_on != NULL && strcmp(cur.slid_on, slid_on) != 0)
    refusal = write_refuse_with(out, ERR_INVALID_STATE, "The lease has already slid.",
                                json_pack("{s:s}", "slid_on", cur.slid_on));
  else if (cur.slid_on == NULL && cur.exit_date != NULL && strcmp(cur.exit_date, slid_on) < 0)
    refusal = write_refuse_with(out, ERR_INVALID_STATE, "The placement ended before that day.",
                                json_pack("{s:s}", "exit_date", cur.exit_date));
  else if (strcmp(slid_on, cur.sliding_start_date) < 0)
    refusal = write_refuse_field(out, ERR_VALIDATION_FAILED, "/slid_on", "must not be before the sliding lease's start");
  bool replay = refusal == DB_ROW && cur.slid_on != NULL;
  if (replay) {
    bool ok = placement_out(res, 0, out);
    PQclear(res);
    return ok ? DB_NO_ROW : DB_HARD_ERROR; /* nothing written: no audit entry of a write that did nothing */
  }
  PQclear(res);
  if (refusal != DB_ROW)
    return refusal;
  s = db_placement_slide(db, p->commission_id, id, slid_on);
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR;
  return placement_answer(db, rq, id, out);
}

/* POST /v1/placements/{id}/slide: the lease slides to the tenant (CCH L442-8-3): a success, not a vacancy. */
enum MHD_Result api_placements_slide(struct request *rq) {
  struct date d;
  if (!date_parse(rq->fields[S_DATE].s, &d) || date_compare(d, date_today()) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/slid_on", "must not be in the future");
  return write_run(rq, MHD_HTTP_OK, slide_body, NULL);
}

enum { N_SENT, N_PROPOSES, N_COMMENT };

static const struct field_spec notice_spec[] = {
  [N_SENT] = {"sent_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [N_PROPOSES] = {"proposes_lease", FIELD_BOOL, FIELD_REQUIRED, 0, 0, NULL},
  [N_COMMENT] = {"comment", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
};

const struct body_spec prefect_notice_body = {notice_spec, FIELDS_COUNT(notice_spec)};

/* The notice to the prefect for the running review period of a sliding lease that has not slid (the period that
 * ends on its next tripartite review). One per period. */
static enum db_status notice_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *id = rq->args[0];
  PGresult *res;
  struct placement_row cur;
  enum db_status s = placement_locked(db, rq, out, &res, &cur);
  if (s != DB_ROW)
    return s;
  char period_end[11] = "";
  bool running = cur.tripartite_review_on != NULL;
  if (running)
    snprintf(period_end, sizeof period_end, "%s", cur.tripartite_review_on);
  PQclear(res);
  if (!running)
    return write_refuse(out, ERR_INVALID_STATE,
                        "Only a running sliding lease that has not slid owes the prefect a notice.");
  struct prefect_notice_fields f = {.period_end = period_end, .sent_on = v[N_SENT].s,
                                    .proposes_lease = v[N_PROPOSES].b ? "t" : "f",
                                    .comment = patch_pick(&v[N_COMMENT], NULL)};
  char notice[UUID_STR_LEN];
  s = db_prefect_notice_insert(db, p->commission_id, id, &f, p->token_id, role_name(p->role), notice);
  if (s < 0 && strcmp(db_sqlstate(db), "23505") == 0)
    return write_refuse_with(out, ERR_CONFLICT, "The notice of this review period is already recorded.",
                             json_pack("{s:s}", "period_end", period_end));
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  s = placement_answer(db, rq, id, out);
  if (s == DB_ROW)
    snprintf(out->location, sizeof out->location, "/v1/placements/%s", id);
  return s;
}

/* POST /v1/placements/{id}/prefect-notices: what the association told the prefect (whether it proposes the lease
 * to the sub-tenant), owed two months before the review period ends. Idempotency-Key as every creation. */
enum MHD_Result api_placements_prefect_notice(struct request *rq) {
  struct date d;
  if (!date_parse(rq->fields[N_SENT].s, &d) || date_compare(d, date_today()) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/sent_on", "must not be in the future");
  return creation_run(rq, notice_body, NULL);
}

/* A running sliding lease as the API's SlidingLeaseLine. */
/* Row I of RES, a running sliding lease, as the API's SlidingLeaseLine. */
static bool sliding_line_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)reader;
  (void)version;
  struct sliding_lease_row r;
  if (!db_row(res, i, &r))
    return false;
  struct sliding_dates d = {r.sliding_start_date,    r.planned_slide_on,     NULL,
                            r.last_tripartite_on,    r.tripartite_review_on, r.prefect_notice_due_on,
                            r.prefect_notice_sent_on};
  write_placement_line_open(w, r.placement_id, r.family_name, r.given_names, r.unit_id, r.unit_label, r.unit_town);
  write_sliding(w, &d);
  jw_object_end(w);
  return true;
}

/* GET /v1/sliding-leases?status=notice_due|review_due|slide_due: the running sliding leases the caller sees, by
 * the date of their next step. */
enum MHD_Result api_sliding_leases_list(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "notice_due") != 0 && strcmp(status, "review_due") != 0 &&
      strcmp(status, "slide_due") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be notice_due, review_due or slide_due");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_sliding_lease_list(rq->db, rq->principal.commission_id, &rq->access, status, page.after[0],
                                           page.after[1], page.limit, &res);
  return reply_list_of(rq, &page, s, res, sliding_line_write, (const char *const[]){"next_on", "placement_id"}, 2);
}
