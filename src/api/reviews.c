/* Quarterly reviews (bilans trimestriels) of every active placement. A review has parts, each written by the
 * roles it concerns and recording who wrote it:
 *
 *   part            writes                          reads
 *   care_followup   coordinator, caregiver          coordinator, caregiver (care-confidential)
 *   rent            coordinator, curator, landlord  everyone who sees the review
 *   housing         coordinator, caregiver, landlord everyone who sees the review
 *   autonomy        coordinator, caregiver          coordinator, caregiver, curator
 *   outcome         coordinator, caregiver          everyone who sees the review
 *
 * The next review is due three months after the last one (or after the move-in). */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

enum part { PART_CARE, PART_RENT, PART_HOUSING, PART_AUTONOMY, PART_OUTCOME, N_PARTS };

static bool may_write(enum role role, enum part part) {
  switch (part) {
  case PART_CARE:
  case PART_AUTONOMY:
  case PART_OUTCOME: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER;
  case PART_RENT: return role == ROLE_COORDINATOR || role == ROLE_CURATOR || role == ROLE_LANDLORD;
  case PART_HOUSING: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER || role == ROLE_LANDLORD;
  default: return false;
  }
}

static bool may_read(enum role role, enum part part) {
  switch (part) {
  case PART_CARE: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER;
  case PART_AUTONOMY: return role == ROLE_COORDINATOR || role == ROLE_CAREGIVER || role == ROLE_CURATOR;
  default: return true;
  }
}

enum { R_ID, R_PLACEMENT, R_DATE, R_CARE, R_CARE_BY, R_CARE_AT, R_RENT, R_ARREARS, R_RENT_BY, R_RENT_AT, R_HOUSING,
       R_HOUSING_BY, R_HOUSING_AT, R_AUTONOMY, R_AUTONOMY_BY, R_AUTONOMY_AT, R_OUTCOME, R_OUTCOME_BY, R_OUTCOME_AT,
       R_VERSION, R_CREATED, R_UPDATED };

/* One part as {value..., written_by_role, written_at}; VALUE_COLS lists its value columns and names. */
static json_t *part_json(const PGresult *res, int row, const char *const *names, const int *cols, int n, int by,
                         int at) {
  json_t *part = json_object();
  for (int i = 0; i < n; i++)
    json_object_set_new(part, names[i],
                        i == 1 && strcmp(names[1], "arrears_cents") == 0 ? row_int(res, row, cols[i])
                                                                         : row_string(res, row, cols[i]));
  json_object_set_new(part, "written_by_role", row_string(res, row, by));
  json_object_set_new(part, "written_at", row_string(res, row, at));
  return part;
}

static json_t *review_json(const PGresult *res, int row, enum role reader) {
  json_t *r = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, R_ID), "placement_id",
                        row_string(res, row, R_PLACEMENT), "review_date", row_string(res, row, R_DATE), "version",
                        row_int(res, row, R_VERSION), "created_at", row_string(res, row, R_CREATED), "updated_at",
                        row_string(res, row, R_UPDATED));
  if (r == NULL)
    return NULL;
  static const char *const care[] = {"text"}, *const rent[] = {"status", "arrears_cents"}, *const housing[] = {"text"},
                           *const autonomy[] = {"text"}, *const outcome[] = {"value"};
  if (may_read(reader, PART_CARE))
    json_object_set_new(r, "care_followup", part_json(res, row, care, (const int[]){R_CARE}, 1, R_CARE_BY, R_CARE_AT));
  json_object_set_new(r, "rent", part_json(res, row, rent, (const int[]){R_RENT, R_ARREARS}, 2, R_RENT_BY, R_RENT_AT));
  json_object_set_new(r, "housing",
                      part_json(res, row, housing, (const int[]){R_HOUSING}, 1, R_HOUSING_BY, R_HOUSING_AT));
  if (may_read(reader, PART_AUTONOMY))
    json_object_set_new(r, "autonomy",
                        part_json(res, row, autonomy, (const int[]){R_AUTONOMY}, 1, R_AUTONOMY_BY, R_AUTONOMY_AT));
  json_object_set_new(r, "outcome",
                      part_json(res, row, outcome, (const int[]){R_OUTCOME}, 1, R_OUTCOME_BY, R_OUTCOME_AT));
  return r;
}

static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_REVIEW, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "This role has no access to reviews.");
  return false;
}

static const char *const rent_statuses[] = {"up_to_date", "arrears", NULL};
static const char *const outcomes[] = {"continue", "adjust_support", "prepare_lease_transfer", "prepare_exit", NULL};

enum { F_DATE, F_CARE, F_RENT, F_ARREARS, F_HOUSING, F_AUTONOMY, F_OUTCOME };

static const struct field_spec create_spec[] = {
  [F_DATE] = {"review_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_CARE] = {"care_followup", FIELD_TEXT, FIELD_NULLABLE, 1, 20000, NULL},
  [F_RENT] = {"rent_status", FIELD_ENUM, FIELD_NULLABLE, 0, 0, rent_statuses},
  [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 0, 100000000, NULL},
  [F_HOUSING] = {"housing", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_AUTONOMY] = {"autonomy", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_NULLABLE, 0, 0, outcomes},
};

static const struct field_spec update_spec[] = {
  [F_DATE] = {"review_date", FIELD_DATE, FIELD_FIXED, 0, 0, NULL},
  [F_CARE] = {"care_followup", FIELD_TEXT, FIELD_NULLABLE, 1, 20000, NULL},
  [F_RENT] = {"rent_status", FIELD_ENUM, FIELD_NULLABLE, 0, 0, rent_statuses},
  [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 0, 100000000, NULL},
  [F_HOUSING] = {"housing", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_AUTONOMY] = {"autonomy", FIELD_TEXT, FIELD_NULLABLE, 1, 5000, NULL},
  [F_OUTCOME] = {"outcome", FIELD_ENUM, FIELD_NULLABLE, 0, 0, outcomes},
};

/* Turns the body's parts into db_review_update()'s PARTS, refusing (422, queued) a part the role may not write
 * and an inconsistent rent part. ARREARS holds the text of the amount. */
static bool parts_from_body(struct request *rq, const struct field_value *v, const char *parts[11], char arrears[24],
                            enum MHD_Result *ret) {
  static const struct { int field; enum part part; int flag; } map[] = {
    {F_CARE, PART_CARE, 0}, {F_RENT, PART_RENT, 2}, {F_ARREARS, PART_RENT, 2}, {F_HOUSING, PART_HOUSING, 5},
    {F_AUTONOMY, PART_AUTONOMY, 7}, {F_OUTCOME, PART_OUTCOME, 9}};
  for (int i = 0; i < 11; i++)
    parts[i] = NULL;
  parts[0] = parts[2] = parts[5] = parts[7] = parts[9] = "f";
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
    if (!v[map[i].field].present)
      continue;
    if (!may_write(rq->principal.role, map[i].part)) {
      char field[32];
      snprintf(field, sizeof field, "/%s", update_spec[map[i].field].name);
      *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, field, "is not a part this role writes");
      return false;
    }
    parts[map[i].flag] = "t";
  }
  const char *value = NULL;
#define VALUE(f) (v[f].present && !v[f].null ? v[f].s : NULL)
  parts[1] = VALUE(F_CARE);
  parts[3] = VALUE(F_RENT);
  parts[6] = VALUE(F_HOUSING);
  parts[8] = VALUE(F_AUTONOMY);
  parts[10] = VALUE(F_OUTCOME);
#undef VALUE
  if (v[F_ARREARS].present && !v[F_ARREARS].null) {
    snprintf(arrears, 24, "%lld", v[F_ARREARS].i);
    value = arrears;
  }
  parts[4] = value;
  if (parts[2][0] == 't') {
    bool in_arrears = parts[3] != NULL && strcmp(parts[3], "arrears") == 0;
    bool amount = value != NULL && v[F_ARREARS].i > 0;
    if (in_arrears != amount) {
      *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/arrears_cents",
                                 in_arrears ? "must be a positive amount when the rent is in arrears"
                                            : "must be absent or 0 unless rent_status is arrears");
      return false;
    }
    if (!in_arrears)
      parts[4] = NULL;
  }
  return true;
}

enum MHD_Result api_reviews_list(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *pl;
  struct access placement_scope = a;
  enum db_status s = db_placement_get(rq->db, rq->principal.commission_id, id, &placement_scope, false, &pl);
  PQclear(pl);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  PGresult *res;
  s = db_review_list(rq->db, rq->principal.commission_id, id, &a, &res);
  if (s < 0)
    return reply_db_error(rq);
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, review_json(res, i, rq->principal.role));
  PQclear(res);
  return reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "items", items), NULL);
}

static enum MHD_Result reply_review(struct request *rq, unsigned int status, const PGresult *res,
                                    const char *location) {
  return reply_versioned(rq, status, review_json(res, 0, rq->principal.role),
                         strtol(PQgetvalue(res, 0, R_VERSION), NULL, 10), location);
}

enum refusal { REFUSE_NONE, REFUSE_NOT_FOUND, REFUSE_STALE, REFUSE_DATE };

struct review_tx {
  struct request *rq;
  struct idempotency idem;
  struct access scope;
  const char *id; /* placement (create) or review (update) */
  const char *review_date;
  const char **parts;
  long if_match;
  enum refusal refusal;
  PGresult *row;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct review_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  enum db_status s = idempotency_claim(t->rq, &t->idem);
  if (s < 0 || t->idem.replay || t->idem.mismatch)
    return s;
  PGresult *pl;
  s = db_placement_get(db, p->commission_id, t->id, &t->scope, true, &pl);
  if (s <= 0) {
    PQclear(pl);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s < 0 ? s : DB_REFUSED;
  }
  bool before = strcmp(t->review_date, PQgetvalue(pl, 0, 13)) < 0; /* move_in_date */
  PQclear(pl);
  if (before) {
    t->refusal = REFUSE_DATE;
    return DB_REFUSED;
  }
  PGresult *res;
  s = db_review_insert(db, p->commission_id, t->id, t->review_date, &res);
  if (s < 0)
    return s;
  char id[UUID_STR_LEN];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  s = db_review_update(db, p->commission_id, id, t->parts, p->token_id, role_name(p->role));
  if (s < 0)
    return s;
  snprintf(t->location, sizeof t->location, "/v1/reviews/%s", id);
  audit_created(t->rq, "reviews", id);
  s = db_review_get(db, p->commission_id, id, &t->scope, false, &t->row);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  json_t *body = review_json(t->row, 0, p->role);
  s = idempotency_record(t->rq, &t->idem, MHD_HTTP_CREATED, t->location, body);
  json_decref(body);
  return s;
}

/* POST /v1/placements/{id}/reviews: a review of the placement, with the parts the caller's role writes. */
enum MHD_Result api_reviews_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(create_spec)];
  const char *parts[11];
  char arrears[24];
  struct review_tx t = {.rq = rq, .parts = parts};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !allowed(rq, ACT_CREATE, &t.scope, &ret) ||
      !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret) ||
      !parts_from_body(rq, v, parts, arrears, &ret))
    return ret;
  char today[16];
  date_format(date_today(), today, sizeof today);
  if (strcmp(v[F_DATE].s, today) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/review_date", "must not be in the future");
  t.review_date = v[F_DATE].s;
  if (!idempotency_init(rq, &t.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, create_body, &t);
  if (s < 0 && s != DB_REFUSED)
    ret = reply_db_error(rq);
  else if (t.idem.replay || t.idem.mismatch)
    ret = idempotency_reply(rq, &t.idem);
  else if (t.refusal == REFUSE_NOT_FOUND)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  else if (t.refusal == REFUSE_DATE)
    ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/review_date", "must not be before the move-in date");
  else if (t.row == NULL)
    ret = reply_problem(rq, ERR_INTERNAL, NULL);
  else
    ret = reply_review(rq, MHD_HTTP_CREATED, t.row, t.location);
  PQclear(t.row);
  idempotency_free(&t.idem);
  return ret;
}

enum MHD_Result api_reviews_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_review_get(rq->db, rq->principal.commission_id, id, &a, false, &res);
  return reply_row(rq, s, res, "No such review.", reply_review);
}

static enum db_status update_body(struct db *db, void *cls) {
  struct review_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  PGresult *cur;
  enum db_status s = db_review_get(db, p->commission_id, t->id, &t->scope, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  long version = strtol(PQgetvalue(cur, 0, R_VERSION), NULL, 10);
  PQclear(cur);
  if (!if_match_holds(t->rq, version)) {
    t->refusal = REFUSE_STALE;
    return DB_NO_ROW;
  }
  s = db_review_update(db, p->commission_id, t->id, t->parts, p->token_id, role_name(p->role));
  if (s < 0)
    return s;
  return db_review_get(db, p->commission_id, t->id, &t->scope, false, &t->row);
}

/* PATCH /v1/reviews/{id} (If-Match): writes the parts the caller's role writes. */
enum MHD_Result api_reviews_update(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(update_spec)];
  const char *parts[11];
  char arrears[24];
  struct review_tx t = {.rq = rq, .parts = parts};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !allowed(rq, ACT_UPDATE, &t.scope, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret) ||
      !parts_from_body(rq, v, parts, arrears, &ret))
    return ret;
  t.if_match = param_if_match(rq);
  if (t.if_match < 0)
    return reply_if_match_problem(rq, t.if_match);
  enum db_status s = db_transaction(rq->db, update_body, &t);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (t.refusal == REFUSE_NOT_FOUND)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such review.");
  else if (t.refusal == REFUSE_STALE)
    ret = reply_stale(rq, "review");
  else
    ret = reply_review(rq, MHD_HTTP_OK, t.row, NULL);
  PQclear(t.row);
  return ret;
}

/* GET /v1/reviews?status=due|overdue: the active placements whose review is coming (within 30 days) or late. */
enum MHD_Result api_reviews_schedule(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct access a;
  struct page page;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "due") != 0 && strcmp(status, "overdue") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be due or overdue");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_review_schedule(rq->db, rq->principal.commission_id, &a, status, page.after[0],
                                        page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(
        items, json_pack("{s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "placement_id",
                         row_string(res, i, 0), "person", "family_name", row_string(res, i, 1), "given_names",
                         row_string(res, i, 2), "unit", "id", row_string(res, i, 3), "label", row_string(res, i, 4),
                         "town", row_string(res, i, 5), "move_in_date", row_string(res, i, 6), "last_review_date",
                         row_string(res, i, 7), "next_review_on", row_string(res, i, 8), "status",
                         row_string(res, i, 9)));
  return reply_page(rq, &page, res, items, (const int[]){8, 0}, 2);
}
