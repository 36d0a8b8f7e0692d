/* /v1/placements: a person living in a unit, from move-in to exit. A placement starts from an approved
 * application (which becomes 'placed' in the same transaction); the database refuses a unit over its places and a
 * person in two homes at once. Landlords see the placements in their units — names and dates, no health
 * information (no application, session, exit reason). */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "application_state.h"
#include "dates.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "placements.h"
#include "queries.h"
#include "validate.h"

enum {
  C_ID, C_APPLICATION, C_PERSON, C_FAMILY, C_GIVEN, C_BIRTH, C_UNIT, C_LABEL, C_ADDRESS, C_TOWN, C_KIND,
  C_LANDLORD, C_SESSION, C_MOVE_IN, C_LEASE, C_EXIT, C_EXIT_REASON, C_EXIT_COMMENT, C_INSPECTION, C_VERSION,
  C_CREATED, C_UPDATED,
};

json_t *placement_json(const PGresult *res, int row, enum role reader) {
  bool landlord_view = reader == ROLE_LANDLORD;
  bool care_view = reader == ROLE_COORDINATOR || reader == ROLE_CAREGIVER;
  char today[16];
  date_format(date_today(), today, sizeof today);
  bool active = PQgetisnull(res, row, C_EXIT) || strcmp(PQgetvalue(res, row, C_EXIT), today) > 0;
  json_t *person = landlord_view
                       ? json_pack("{s:o, s:o}", "family_name", row_string(res, row, C_FAMILY), "given_names",
                                   row_string(res, row, C_GIVEN))
                       : json_pack("{s:o, s:o, s:o, s:o}", "id", row_string(res, row, C_PERSON), "family_name",
                                   row_string(res, row, C_FAMILY), "given_names", row_string(res, row, C_GIVEN),
                                   "birth_date", row_string(res, row, C_BIRTH));
  json_t *unit = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, C_UNIT), "label",
                           row_string(res, row, C_LABEL), "address", row_string(res, row, C_ADDRESS), "town",
                           row_string(res, row, C_TOWN), "kind", row_string(res, row, C_KIND), "landlord_org_id",
                           row_string(res, row, C_LANDLORD));
  json_t *p = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "id", row_string(res, row, C_ID), "person",
                        person, "unit", unit, "move_in_date", row_string(res, row, C_MOVE_IN), "lease",
                        row_string(res, row, C_LEASE), "exit_date", row_string(res, row, C_EXIT), "status",
                        active ? "active" : "ended", "version", row_int(res, row, C_VERSION));
  if (p != NULL && !landlord_view) {
    json_object_set_new(p, "application_id", row_string(res, row, C_APPLICATION));
    json_object_set_new(p, "session_id", row_string(res, row, C_SESSION));
    /* An exit to hospital or to a care facility is health information: a curator reads "confidential", and no
     * exit comment (free text written by the care side). */
    const char *reason = PQgetisnull(res, row, C_EXIT_REASON) ? NULL : PQgetvalue(res, row, C_EXIT_REASON);
    bool health = reason != NULL && (strcmp(reason, "hospitalisation") == 0 || strcmp(reason, "care_facility") == 0);
    json_object_set_new(p, "exit_reason",
                        reason == NULL ? json_null() : json_string(health && !care_view ? "confidential" : reason));
    json_object_set_new(p, "exit_comment", care_view ? row_string(res, row, C_EXIT_COMMENT) : json_null());
    json_object_set_new(p, "exit_inspection_matches", row_bool(res, row, C_INSPECTION));
    json_object_set_new(p, "created_at", row_string(res, row, C_CREATED));
    json_object_set_new(p, "updated_at", row_string(res, row, C_UPDATED));
  }
  return p;
}

static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_PLACEMENT, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, action == ACT_READ ? "This role has no access to placements."
                                                             : "Only the coordinator starts and ends placements.");
  return false;
}

static enum MHD_Result reply_placement(struct request *rq, unsigned int status, const PGresult *res,
                                       const char *location) {
  return reply_versioned(rq, status, placement_json(res, 0, rq->principal.role),
                         strtol(PQgetvalue(res, 0, C_VERSION), NULL, 10), location);
}

enum MHD_Result api_placements_list(struct request *rq) {
  static const char *const query[] = {"active", "unit_id", "person_id", "landlord_org_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_DATE, KEY_UUID};
  enum MHD_Result ret;
  struct access a;
  struct page page;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
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
  enum db_status s = db_placement_list(rq->db, rq->principal.commission_id, &a,
                                       active ? (active[0] == 't' ? "t" : "f") : NULL, unit, person, landlord,
                                       page.after[0],
                                       page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, placement_json(res, i, rq->principal.role));
  return reply_page(rq, &page, res, items, (const int[]){C_MOVE_IN, C_ID}, 2);
}

enum MHD_Result api_placements_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_placement_get(rq->db, rq->principal.commission_id, id, &a, false, &res);
  return reply_row(rq, s, res, "No such placement.", reply_placement);
}

static const char *const leases[] = {"association_main_tenant", "sliding_lease", "direct_lease", NULL};

enum { F_APPLICATION, F_UNIT, F_MOVE_IN, F_LEASE };

enum refusal { REFUSE_NONE, REFUSE_APPLICATION, REFUSE_APP_STATE, REFUSE_UNIT, REFUSE_MOVE_IN, REFUSE_FULL,
               REFUSE_ELSEWHERE, REFUSE_NOT_FOUND, REFUSE_ENDED, REFUSE_EXIT_DATE };

struct start_tx {
  struct request *rq;
  struct field_value *v;
  struct idempotency idem;
  enum refusal refusal;
  char current[16];
  PGresult *row;
  char location[80];
};

static enum db_status start_body(struct db *db, void *cls) {
  struct start_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  enum db_status s = idempotency_claim(t->rq, &t->idem);
  if (s < 0 || t->idem.replay || t->idem.mismatch)
    return s;
  struct access all = access_decide(p, RES_APPLICATION, ACT_UPDATE);
  PGresult *app, *unit;
  s = db_application_get(db, p->commission_id, t->v[F_APPLICATION].s, &all, true, &app);
  if (s <= 0) {
    PQclear(app);
    t->refusal = s == DB_NO_ROW ? REFUSE_APPLICATION : REFUSE_NONE;
    return s < 0 ? s : DB_REFUSED;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(app, 0, 7));
  char decided[11] = "";
  if (!PQgetisnull(app, 0, 9))
    snprintf(decided, sizeof decided, "%s", PQgetvalue(app, 0, 9)); /* the UTC day of the decision */
  PQclear(app);
  if (!app_transition_legal(app_status_parse(t->current), APP_PLACED, PATH_PLACEMENT)) {
    t->refusal = REFUSE_APP_STATE;
    return DB_REFUSED;
  }
  if (strcmp(t->v[F_MOVE_IN].s, decided) < 0) {
    t->refusal = REFUSE_MOVE_IN;
    return DB_REFUSED;
  }
  s = db_unit_status(db, p->commission_id, t->v[F_UNIT].s, &unit);
  bool usable = s == DB_ROW && (strcmp(PQgetvalue(unit, 0, 0), "available") == 0 ||
                                strcmp(PQgetvalue(unit, 0, 0), "occupied") == 0);
  PQclear(unit);
  if (s < 0)
    return s;
  if (!usable) {
    t->refusal = REFUSE_UNIT;
    return DB_REFUSED;
  }
  PGresult *res;
  s = db_placement_insert(db, p->commission_id, t->v[F_APPLICATION].s, t->v[F_UNIT].s, t->v[F_MOVE_IN].s,
                          t->v[F_LEASE].s, &res);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23P01") == 0) {
      t->refusal = strcmp(db_constraint(db), "placements_unit_capacity") == 0 ? REFUSE_FULL : REFUSE_ELSEWHERE;
      return DB_REFUSED;
    }
    return s;
  }
  char id[UUID_STR_LEN];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  s = db_application_move(db, p->commission_id, t->v[F_APPLICATION].s, "approved", "placed", "placement started",
                          false, NULL, p->token_id, role_name(p->role));
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR;
  struct access scope = access_decide(p, RES_PLACEMENT, ACT_READ);
  s = db_placement_get(db, p->commission_id, id, &scope, false, &t->row);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(t->location, sizeof t->location, "/v1/placements/%s", id);
  audit_created(t->rq, "placements", id);
  json_t *body = placement_json(t->row, 0, ROLE_COORDINATOR);
  s = idempotency_record(t->rq, &t->idem, MHD_HTTP_CREATED, t->location, body);
  json_decref(body);
  return s;
}

static enum MHD_Result reply_refusal(struct request *rq, enum refusal r, const char *current) {
  switch (r) {
  case REFUSE_APPLICATION:
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/application_id", "is not an application of this commission");
  case REFUSE_APP_STATE:
    return reply_problem_with(rq, ERR_INVALID_STATE, "Only an approved application can start a placement.",
                              json_pack("{s:s}", "current_status", current));
  case REFUSE_UNIT:
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/unit_id",
                               "is not a unit of this commission in service (available or occupied)");
  case REFUSE_MOVE_IN:
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/move_in_date", "must not be before the decision");
  case REFUSE_FULL:
    return reply_problem(rq, ERR_CONFLICT, "The unit has no free place on that date.");
  case REFUSE_ELSEWHERE:
    return reply_problem(rq, ERR_CONFLICT, "The person already lives in another placement on that date.");
  case REFUSE_NOT_FOUND:
    return reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  case REFUSE_ENDED:
    return reply_problem_with(rq, ERR_INVALID_STATE, "The placement has already ended.",
                              json_pack("{s:s}", "current_status", "ended"));
  case REFUSE_EXIT_DATE:
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/exit_date", "must not be before the move-in date");
  default:
    return reply_problem(rq, ERR_INTERNAL, NULL);
  }
}

/* POST /v1/placements: starts a placement from an approved application. */
enum MHD_Result api_placements_create(struct request *rq) {
  static const struct field_spec spec[] = {
    [F_APPLICATION] = {"application_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
    [F_UNIT] = {"unit_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
    [F_MOVE_IN] = {"move_in_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
    [F_LEASE] = {"lease", FIELD_ENUM, FIELD_REQUIRED, 0, 0, leases},
  };
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(spec)];
  if (!allowed(rq, ACT_CREATE, &a, &ret) || !request_fields(rq, spec, FIELDS_COUNT(spec), v, &ret))
    return ret;
  struct start_tx t = {.rq = rq, .v = v};
  if (!idempotency_init(rq, &t.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, start_body, &t);
  if (s < 0 && s != DB_REFUSED)
    ret = reply_db_error(rq);
  else if (t.idem.replay || t.idem.mismatch)
    ret = idempotency_reply(rq, &t.idem);
  else if (t.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, t.refusal, t.current);
  else
    ret = reply_placement(rq, MHD_HTTP_CREATED, t.row, t.location);
  PQclear(t.row);
  idempotency_free(&t.idem);
  return ret;
}

static const char *const exit_reasons[] = {"lease_transferred", "other_housing", "hospitalisation", "care_facility",
                                           "eviction", "departure_without_notice", "death", "other", NULL};

struct exit_tx {
  struct request *rq;
  const char *id;
  struct field_value *v;
  enum refusal refusal;
  PGresult *row;
};

static enum db_status exit_body(struct db *db, void *cls) {
  struct exit_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->refusal = REFUSE_NONE;
  struct access scope = access_decide(p, RES_PLACEMENT, ACT_READ);
  PGresult *cur;
  enum db_status s = db_placement_get(db, p->commission_id, t->id, &scope, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->refusal = s == DB_NO_ROW ? REFUSE_NOT_FOUND : REFUSE_NONE;
    return s;
  }
  bool ended = !PQgetisnull(cur, 0, C_EXIT);
  bool before_move_in = strcmp(t->v[0].s, PQgetvalue(cur, 0, C_MOVE_IN)) < 0;
  PQclear(cur);
  if (ended || before_move_in) {
    t->refusal = ended ? REFUSE_ENDED : REFUSE_EXIT_DATE;
    return DB_NO_ROW;
  }
  s = db_placement_exit(db, p->commission_id, t->id, t->v[0].s, t->v[1].s,
                        t->v[2].present && !t->v[2].null ? t->v[2].s : NULL, t->v[3].b ? "t" : "f");
  if (s <= 0)
    return s < 0 ? s : DB_SOFT_ERROR;
  return db_placement_get(db, p->commission_id, t->id, &scope, false, &t->row);
}

/* POST /v1/placements/{id}/exit: the exit frees the place from that date; the deposit's refund delay starts. */
enum MHD_Result api_placements_exit(struct request *rq) {
  static const struct field_spec spec[] = {
    {"exit_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"exit_reason", FIELD_ENUM, FIELD_REQUIRED, 0, 0, exit_reasons},
    {"exit_comment", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
    {"inspection_matches", FIELD_BOOL, FIELD_REQUIRED, 0, 0, NULL},
  };
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(spec)];
  struct exit_tx t = {.rq = rq, .v = v};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !allowed(rq, ACT_UPDATE, &a, &ret) || !request_fields(rq, spec, FIELDS_COUNT(spec), v, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, exit_body, &t);
  if (s < 0)
    ret = reply_db_error(rq);
  else if (t.refusal != REFUSE_NONE)
    ret = reply_refusal(rq, t.refusal, NULL);
  else
    ret = reply_placement(rq, MHD_HTTP_OK, t.row, NULL);
  PQclear(t.row);
  return ret;
}
