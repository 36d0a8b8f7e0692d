/* Incidents on a placement (rent arrears, disturbance, damage, hospitalisation, prolonged absence, other):
 * reported by the coordinator, the person's care team or curator, or the unit's landlord; acknowledged and closed
 * by the coordinator; open ones go on the next session's agenda. A curator does not see hospitalisations; a
 * landlord sees the incidents landlords reported, on its units. */
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

static const char *const kinds[] = {"rent_arrears", "disturbance", "damage", "hospitalisation", "prolonged_absence",
                                    "other", NULL};

static json_t *incident_json(const PGresult *res, int row) {
  return json_pack("{s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                   "s:o}",
                   "id", row_string(res, row, 0), "placement_id", row_string(res, row, 1), "person", "family_name",
                   row_string(res, row, 14), "given_names", row_string(res, row, 15), "unit", "label",
                   row_string(res, row, 16), "town", row_string(res, row, 17), "kind", row_string(res, row, 2),
                   "description", row_string(res, row, 3), "arrears_cents", row_int(res, row, 4), "occurred_on",
                   row_string(res, row, 5), "status", row_string(res, row, 6), "reported_by_role",
                   row_string(res, row, 7), "acknowledged_at", row_string(res, row, 8), "closed_at",
                   row_string(res, row, 9), "closing_note", row_string(res, row, 10), "version",
                   row_int(res, row, 11), "created_at", row_string(res, row, 12), "updated_at",
                   row_string(res, row, 13));
}

static bool allowed(struct request *rq, enum action action, struct access *a, enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, RES_INCIDENT, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, action == ACT_UPDATE ? "Only the coordinator handles incidents."
                                                               : "This role has no access to incidents.");
  return false;
}

static enum MHD_Result reply_incident(struct request *rq, unsigned int status, const PGresult *res,
                                      const char *location) {
  return reply_versioned(rq, status, incident_json(res, 0), strtol(PQgetvalue(res, 0, 11), NULL, 10), location);
}

enum { F_KIND, F_DESCRIPTION, F_ARREARS, F_OCCURRED };

struct report_tx {
  struct request *rq;
  struct idempotency idem;
  struct access scope;
  const char *placement;
  struct field_value *v;
  bool not_found;
  PGresult *row;
  char location[80];
};

static enum db_status report_body(struct db *db, void *cls) {
  struct report_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->not_found = false;
  enum db_status s = idempotency_claim(t->rq, &t->idem);
  if (s < 0 || t->idem.replay || t->idem.mismatch)
    return s;
  PGresult *pl;
  s = db_placement_get(db, p->commission_id, t->placement, &t->scope, false, &pl);
  PQclear(pl);
  if (s <= 0) {
    t->not_found = s == DB_NO_ROW;
    return s < 0 ? s : DB_REFUSED;
  }
  char arrears[24];
  snprintf(arrears, sizeof arrears, "%lld", t->v[F_ARREARS].i);
  const char *f[8] = {p->commission_id, t->placement, t->v[F_KIND].s, t->v[F_DESCRIPTION].s,
                      t->v[F_ARREARS].present && !t->v[F_ARREARS].null ? arrears : NULL, t->v[F_OCCURRED].s,
                      role_name(p->role), p->token_id};
  PGresult *res;
  s = db_incident_insert(db, f, &res);
  if (s < 0)
    return s;
  char id[UUID_STR_LEN];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  snprintf(t->location, sizeof t->location, "/v1/incidents/%s", id);
  audit_created(t->rq, "incidents", id);
  s = db_incident_get(db, p->commission_id, id, &t->scope, false, &t->row);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  json_t *body = incident_json(t->row, 0);
  s = idempotency_record(t->rq, &t->idem, MHD_HTTP_CREATED, t->location, body);
  json_decref(body);
  return s;
}

/* POST /v1/placements/{id}/incidents. */
enum MHD_Result api_incidents_create(struct request *rq) {
  static const struct field_spec spec[] = {
    [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
    [F_DESCRIPTION] = {"description", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL},
    [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 1, 100000000, NULL},
    [F_OCCURRED] = {"occurred_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  };
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(spec)];
  struct report_tx t = {.rq = rq, .v = v};
  t.placement = param_path_uuid(rq, 0, "id", &ret);
  if (t.placement == NULL || !allowed(rq, ACT_CREATE, &t.scope, &ret) ||
      !request_fields(rq, spec, FIELDS_COUNT(spec), v, &ret))
    return ret;
  bool arrears = v[F_ARREARS].present && !v[F_ARREARS].null;
  if (strcmp(v[F_KIND].s, "rent_arrears") == 0 && !arrears)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/arrears_cents", "is required for rent arrears");
  if (strcmp(v[F_KIND].s, "hospitalisation") == 0 && rq->principal.role != ROLE_COORDINATOR &&
      rq->principal.role != ROLE_CAREGIVER)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/kind",
                               "a hospitalisation is health information: the care team reports it");
  char today[16];
  date_format(date_today(), today, sizeof today);
  if (strcmp(v[F_OCCURRED].s, today) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/occurred_on", "must not be in the future");
  if (!idempotency_init(rq, &t.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, report_body, &t);
  if (t.idem.replay || t.idem.mismatch)
    ret = idempotency_reply(rq, &t.idem);
  else if (t.not_found)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such placement.");
  else if (s < 0 || t.row == NULL)
    ret = reply_db_error(rq);
  else
    ret = reply_incident(rq, MHD_HTTP_CREATED, t.row, t.location);
  PQclear(t.row);
  idempotency_free(&t.idem);
  return ret;
}

enum MHD_Result api_incidents_list(struct request *rq) {
  static const char *const query[] = {"status", "placement_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct access a;
  struct page page;
  if (!allowed(rq, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "open") != 0 && strcmp(status, "acknowledged") != 0 &&
      strcmp(status, "closed") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be open, acknowledged or closed");
  const char *placement = request_query(rq, "placement_id");
  if (placement != NULL && !valid_uuid(placement))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:placement_id", "must be a UUID");
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_incident_list(rq->db, rq->principal.commission_id, &a, status, placement, page.after[0],
                                      page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, incident_json(res, i));
  return reply_page(rq, &page, res, items, (const int[]){18, 0}, 2);
}

enum MHD_Result api_incidents_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_incident_get(rq->db, rq->principal.commission_id, id, &a, false, &res);
  return reply_row(rq, s, res, "No such incident.", reply_incident);
}

struct handle_tx {
  struct request *rq;
  struct access scope;
  const char *id;
  const char *to, *note;
  bool not_found, refused;
  char current[16];
  PGresult *row;
};

static enum db_status handle_body(struct db *db, void *cls) {
  struct handle_tx *t = cls;
  const struct principal *p = &t->rq->principal;
  PQclear(t->row);
  t->row = NULL;
  t->not_found = t->refused = false;
  PGresult *cur;
  enum db_status s = db_incident_get(db, p->commission_id, t->id, &t->scope, true, &cur);
  if (s <= 0) {
    PQclear(cur);
    t->not_found = s == DB_NO_ROW;
    return s < 0 ? s : DB_REFUSED;
  }
  snprintf(t->current, sizeof t->current, "%s", PQgetvalue(cur, 0, 6));
  PQclear(cur);
  /* open → acknowledged → closed; closing may skip the acknowledgement. */
  if (strcmp(t->current, "closed") == 0 || strcmp(t->current, t->to) == 0) {
    t->refused = true;
    return DB_REFUSED;
  }
  s = db_incident_set_status(db, p->commission_id, t->id, t->to, t->note);
  if (s < 0)
    return s;
  return db_incident_get(db, p->commission_id, t->id, &t->scope, false, &t->row);
}

static enum MHD_Result handle(struct request *rq, const char *to) {
  enum MHD_Result ret;
  struct handle_tx t = {.rq = rq, .to = to};
  t.id = param_path_uuid(rq, 0, "id", &ret);
  if (t.id == NULL || !allowed(rq, ACT_UPDATE, &t.scope, &ret))
    return ret;
  if (strcmp(to, "closed") == 0) {
    static const struct field_spec spec[] = {{"closing_note", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL}};
    struct field_value v[1];
    if (!request_fields(rq, spec, 1, v, &ret))
      return ret;
    t.note = v[0].s;
  }
  enum db_status s = db_transaction(rq->db, handle_body, &t);
  if (t.not_found)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such incident.");
  else if (t.refused)
    ret = reply_problem_with(rq, ERR_INVALID_STATE, "The incident is already in that state or closed.",
                             json_pack("{s:s}", "current_status", t.current));
  else if (s < 0 || t.row == NULL)
    ret = reply_db_error(rq);
  else
    ret = reply_incident(rq, MHD_HTTP_OK, t.row, NULL);
  PQclear(t.row);
  return ret;
}

enum MHD_Result api_incidents_acknowledge(struct request *rq) { return handle(rq, "acknowledged"); }
enum MHD_Result api_incidents_close(struct request *rq) { return handle(rq, "closed"); }
