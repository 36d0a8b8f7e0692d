/* Quarterly reviews (bilans trimestriels) of every active placement. A review has parts, each written and read
 * by the roles it concerns (include/review.h) and recording who wrote it. The next review is due three months
 * after the last one (or after the move-in). */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "placements.h"
#include "queries.h"
#include "review.h"
#include "uuid.h"
#include "write.h"

/* Adds the part NAME to O: its VALUES (an object, stolen) with the role that wrote it (BY) and when (AT). */
static bool add_part(json_t *o, const char *name, json_t *values, const char *by, const char *at) {
  if (values == NULL || json_object_set_new(values, "written_by_role", json_of_text(by)) != 0 ||
      json_object_set_new(values, "written_at", json_of_text(at)) != 0) {
    json_decref(values);
    return false;
  }
  return json_object_set_new(o, name, values) == 0;
}

/* A review as the API's Review, with the parts READER reads; NULL when it cannot be built. */
static json_t *review_json(const struct review_row *r, enum role reader) {
  json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id), "placement_id",
                        json_of_text(r->placement_id), "review_date", json_of_text(r->review_date), "tripartite",
                        json_of_bool(r->tripartite), "version",
                        json_of_int(r->version), "created_at", json_of_text(r->created_at), "updated_at",
                        json_of_text(r->updated_at));
  if (o == NULL)
    return NULL;
  bool ok =
      (!review_may_read(reader, REVIEW_CARE) ||
       add_part(o, "care_followup", json_pack("{s:o}", "text", json_of_text(r->care_followup)), r->care_by_role,
                r->care_at)) &&
      add_part(o, "rent",
               json_pack("{s:o, s:o}", "status", json_of_text(r->rent_status), "arrears_cents",
                         json_of_int(r->arrears_cents)),
               r->rent_by_role, r->rent_at) &&
      add_part(o, "housing", json_pack("{s:o}", "text", json_of_text(r->housing)), r->housing_by_role,
               r->housing_at) &&
      (!review_may_read(reader, REVIEW_AUTONOMY) ||
       add_part(o, "autonomy", json_pack("{s:o}", "text", json_of_text(r->autonomy)), r->autonomy_by_role,
                r->autonomy_at)) &&
      add_part(o, "outcome", json_pack("{s:o}", "value", json_of_text(r->outcome)), r->outcome_by_role,
               r->outcome_at);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* Row I of RES into OUT: the review as OUT's reader sees it, and its version. */
static bool review_out(const PGresult *res, int i, struct write_out *out) {
  struct review_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = review_json(&r, out->reader);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

/* Review ID as the caller sees it, read in the transaction into OUT. */
static enum db_status review_read(struct db *db, struct request *rq, const char *id, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_review_get(db, rq->principal.commission_id, id, &rq->access, false, &res);
  bool ok = s == DB_ROW && review_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : s < 0 ? s : DB_HARD_ERROR;
}

static const char *const rent_statuses[] = {"up_to_date", "arrears", NULL};
static const char *const outcomes[] = {"continue", "adjust_support", "prepare_lease_transfer", "prepare_exit", NULL};

enum { F_DATE, F_CARE, F_RENT, F_ARREARS, F_HOUSING, F_AUTONOMY, F_OUTCOME, F_TRIPARTITE };

static const struct field_spec create_spec[] = {
  [F_DATE] = {"review_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_CARE] = {"care_followup", FIELD_TEXT, FIELD_NULLABLE, 1, 20000, NULL},
  [F_RENT] = {"rent_status", FIELD_ENUM, FIELD_NULLABLE, 0, 0, rent_statuses},
  [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 0, 100000000, NULL},
  [F_HOUSING] = {"housing", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_AUTONOMY] = {"autonomy", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_NULLABLE, 0, 0, outcomes},
  [F_TRIPARTITE] = {"tripartite", FIELD_BOOL, 0, 0, 0, NULL},
};

static const struct field_spec update_spec[] = {
  [F_DATE] = {"review_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_CARE] = {"care_followup", FIELD_TEXT, FIELD_NULLABLE, 1, 20000, NULL},
  [F_RENT] = {"rent_status", FIELD_ENUM, FIELD_NULLABLE, 0, 0, rent_statuses},
  [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 0, 100000000, NULL},
  [F_HOUSING] = {"housing", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_AUTONOMY] = {"autonomy", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_NULLABLE, 0, 0, outcomes},
  [F_TRIPARTITE] = {"tripartite", FIELD_BOOL, 0, 0, 0, NULL},
};

const struct body_spec review_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec review_update_body = {update_spec, FIELDS_COUNT(update_spec)};

/* The parts a body writes: what db_review_update() takes, the amount in arrears as text. */
struct review_write {
  struct review_parts parts;
  char arrears[24];
};

/* Turns the body's parts into W, refusing (422, queued) a part the role may not write and an inconsistent rent
 * part. */
static bool parts_from_body(struct request *rq, const struct field_value *v, struct review_write *w,
                            enum MHD_Result *ret) {
  static const struct {
    int field;
    enum review_part part;
  } map[] = {{F_CARE, REVIEW_CARE},         {F_RENT, REVIEW_RENT},         {F_ARREARS, REVIEW_RENT},
             {F_HOUSING, REVIEW_HOUSING},   {F_AUTONOMY, REVIEW_AUTONOMY}, {F_OUTCOME, REVIEW_OUTCOME}};
  bool set[REVIEW_PARTS] = {false};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
    if (!v[map[i].field].present)
      continue;
    if (!review_may_write(rq->principal.role, map[i].part)) {
      char field[32];
      snprintf(field, sizeof field, "/%s", update_spec[map[i].field].name);
      *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, field, "is not a part this role writes");
      return false;
    }
    set[map[i].part] = true;
  }
  const char *amount = NULL;
  if (v[F_ARREARS].present && !v[F_ARREARS].null) {
    snprintf(w->arrears, sizeof w->arrears, "%lld", v[F_ARREARS].i);
    amount = w->arrears;
  }
  w->parts = (struct review_parts){
    .care_set = set[REVIEW_CARE] ? "t" : "f",         .care_followup = patch_pick(&v[F_CARE], NULL),
    .rent_set = set[REVIEW_RENT] ? "t" : "f",         .rent_status = patch_pick(&v[F_RENT], NULL),
    .arrears_cents = amount,                          .housing_set = set[REVIEW_HOUSING] ? "t" : "f",
    .housing = patch_pick(&v[F_HOUSING], NULL),       .autonomy_set = set[REVIEW_AUTONOMY] ? "t" : "f",
    .autonomy = patch_pick(&v[F_AUTONOMY], NULL),     .outcome_set = set[REVIEW_OUTCOME] ? "t" : "f",
    .outcome = patch_pick(&v[F_OUTCOME], NULL),
    .tripartite = patch_pick_bool(&v[F_TRIPARTITE], NULL)};
  if (set[REVIEW_RENT]) {
    const char *why = review_rent_problem(w->parts.rent_status, amount != NULL ? &v[F_ARREARS].i : NULL);
    if (why != NULL) {
      *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/arrears_cents", why);
      return false;
    }
    if (w->parts.rent_status == NULL || strcmp(w->parts.rent_status, "arrears") != 0)
      w->parts.arrears_cents = NULL; /* "0" when up to date is stored as no amount */
  }
  return true;
}

enum MHD_Result api_reviews_list(struct request *rq) {
  const char *id = rq->args[0];
  PGresult *pl;
  enum db_status s = db_placement_get(rq->db, rq->principal.commission_id, id, &rq->access, false, &pl);
  PQclear(pl);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  PGresult *res;
  s = db_review_list(rq->db, rq->principal.commission_id, id, &rq->access, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *items = json_array();
  struct review_row r;
  for (int i = 0; items != NULL && i < PQntuples(res); i++)
    items = items_append(items, db_row(res, i, &r) ? review_json(&r, rq->principal.role) : NULL);
  PQclear(res);
  if (items == NULL)
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

/* A review on the placement (the path's id), dated after its move-in, with the parts of CLS (struct
 * review_create). */
struct review_create {
  const char *review_date;
  struct review_write w;
};

/* Writes W's parts on review ID and reads it back into OUT: one round trip (the read does not run when the write
 * fails; a statement not yet prepared on the session sends the write first, whose failure then comes back as S). */
static enum db_status parts_written(struct db *db, struct request *rq, const char *id, const struct review_write *w,
                                    struct write_out *out) {
  const struct principal *p = &rq->principal;
  enum db_status updated = DB_HARD_ERROR;
  enum db_status s = db_review_update_ahead(db, p->commission_id, id, &w->parts, p->token_id, role_name(p->role),
                                            &updated);
  if (s >= 0)
    s = review_read(db, rq, id, out);
  return updated < 0 ? updated : s;
}

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct review_create *c = cls;
  const struct principal *p = &rq->principal;
  PGresult *res;
  enum db_status s = db_placement_get(db, p->commission_id, rq->args[0], &rq->access, true, &res);
  struct placement_row pl;
  if (s == DB_ROW && !db_row(res, 0, &pl))
    s = DB_HARD_ERROR;
  bool before = s == DB_ROW && pl.move_in_date != NULL && strcmp(c->review_date, pl.move_in_date) < 0;
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
  if (s < 0)
    return s;
  if (before)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/review_date", "must not be before the move-in date");
  /* The insert, the parts and the read back: one round trip. */
  char id[UUID_STR_LEN];
  uuid_random(id);
  enum db_status inserted = DB_HARD_ERROR;
  s = db_review_insert_ahead(db, p->commission_id, rq->args[0], c->review_date, id, &inserted);
  if (s >= 0)
    s = parts_written(db, rq, id, &c->w, out);
  if (inserted <= 0)
    return inserted < 0 ? inserted : DB_HARD_ERROR;
  if (s < 0)
    return s;
  snprintf(out->location, sizeof out->location, "/v1/reviews/%s", id);
  audit_created(rq, "reviews", id);
  return DB_ROW;
}

/* POST /v1/placements/{id}/reviews: a review of the placement, with the parts the caller's role writes. */
enum MHD_Result api_reviews_create(struct request *rq) {
  enum MHD_Result ret;
  struct review_create c = {.review_date = rq->fields[F_DATE].s};
  if (!parts_from_body(rq, rq->fields, &c.w, &ret))
    return ret;
  char today[16];
  date_format(date_today(), today, sizeof today);
  if (strcmp(c.review_date, today) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/review_date", "must not be in the future");
  return creation_run(rq, create_body, &c);
}

enum MHD_Result api_reviews_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_review_get(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, false, &res);
  return reply_read(rq, s, res, "No such review.", review_out);
}

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_review_get(db, rq->principal.commission_id, rq->args[0], &rq->access, true, &res);
  struct review_row cur;
  if (s == DB_ROW && !db_row(res, 0, &cur))
    s = DB_HARD_ERROR;
  if (s == DB_ROW)
    *version = long_of_text(cur.version);
  PQclear(res);
  return s;
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  return parts_written(db, rq, rq->args[0], cls, out);
}

/* PATCH /v1/reviews/{id} (If-Match): writes the parts the caller's role writes. */
enum MHD_Result api_reviews_update(struct request *rq) {
  static const struct patch patch = {"review", "No such review.", update_lock, update_write};
  enum MHD_Result ret;
  struct review_write w;
  if (!parts_from_body(rq, rq->fields, &w, &ret))
    return ret;
  return patch_run(rq, &patch, &w);
}

/* Row I of RES as a line of the review schedule (ReviewScheduleItem). */
static bool schedule_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  struct review_schedule_row r;
  if (!db_row(res, i, &r))
    return false;
  write_placement_line_open(w, r.placement_id, r.family_name, r.given_names, r.unit_id, r.unit_label, r.unit_town);
  jw_key_string(w, "move_in_date", r.move_in_date);
  jw_key_string(w, "last_review_date", r.last_review_date);
  jw_key_string(w, "next_review_on", r.next_review_on);
  jw_key_string(w, "status", r.status);
  jw_key_string(w, "tripartite_review_on", r.tripartite_review_on);
  jw_object_end(w);
  return true;
}

/* GET /v1/reviews?status=due|overdue: the active placements whose review is coming (within 30 days) or late. */
enum MHD_Result api_reviews_schedule(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "due") != 0 && strcmp(status, "overdue") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be due or overdue");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_review_schedule(rq->db, rq->principal.commission_id, &rq->access, status, page.after[0],
                                        page.after[1], page.limit, &res);
  return reply_list_of(rq, &page, s, res, schedule_write, (const char *const[]){"next_review_on", "placement_id"},
                       2);
}
