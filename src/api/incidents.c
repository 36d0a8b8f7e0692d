/* Incidents on a placement (rent arrears, disturbance, damage, hospitalisation, prolonged absence, other):
 * reported by the coordinator, the person's care team or curator, or the unit's landlord; acknowledged and closed
 * by the coordinator; open ones go on the next session's agenda. A curator does not see hospitalisations; a
 * landlord sees the incidents landlords reported, on its units. */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "dates.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

static const char *const kinds[] = {"rent_arrears", "disturbance", "damage", "hospitalisation", "prolonged_absence",
                                    "other", NULL};

/* Row I of RES as the API's Incident, and its version. */
static bool incident_write(const PGresult *res, int i, enum role reader, struct jw *w, long *version) {
  (void)reader; /* whoever sees an incident sees all of it */
  struct incident_row r;
  if (!db_row(res, i, &r))
    return false;
  jw_object_begin(w);
  jw_key_string(w, "id", r.id);
  jw_key_string(w, "placement_id", r.placement_id);
  write_person_names(w, r.family_name, r.given_names);
  jw_key(w, "unit");
  jw_object_begin(w);
  jw_key_string(w, "label", r.unit_label);
  jw_key_string(w, "town", r.unit_town);
  jw_object_end(w);
  jw_key_string(w, "kind", r.kind);
  jw_key_string(w, "description", r.description);
  jw_key_int(w, "arrears_cents", r.arrears_cents);
  jw_key_string(w, "occurred_on", r.occurred_on);
  jw_key_string(w, "status", r.status);
  jw_key_string(w, "reported_by_role", r.reported_by_role);
  jw_key_timestamp(w, "acknowledged_at", r.acknowledged_at);
  jw_key_timestamp(w, "closed_at", r.closed_at);
  jw_key_string(w, "closing_note", r.closing_note);
  jw_key_int(w, "version", r.version);
  jw_key_timestamp(w, "created_at", r.created_at);
  jw_key_timestamp(w, "updated_at", r.updated_at);
  jw_object_end(w);
  *version = long_of_text(r.version);
  return true;
}

/* Row I of RES into OUT (a write's answer). */
static bool incident_out(const PGresult *res, int i, struct write_out *out) {
  return write_out_of(res, i, out, incident_write);
}

/* Incident ID as the caller sees it, read in the transaction into OUT. */
static enum db_status incident_read(struct db *db, struct request *rq, const char *id, struct write_out *out) {
  PGresult *res;
  enum db_status s = db_incident_get(db, rq->principal.commission_id, id, &rq->access, false, &res);
  bool ok = s == DB_ROW && incident_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : s < 0 ? s : DB_HARD_ERROR;
}

enum { F_KIND, F_DESCRIPTION, F_ARREARS, F_OCCURRED };

static const struct field_spec create_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
  [F_DESCRIPTION] = {"description", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL},
  [F_ARREARS] = {"arrears_cents", FIELD_INT, FIELD_NULLABLE, 1, 100000000, NULL},
  [F_OCCURRED] = {"occurred_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
};

static const struct field_spec close_spec[] = {{"closing_note", FIELD_TEXT, FIELD_REQUIRED, 1, 5000, NULL}};

const struct body_spec incident_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec incident_close_body = {close_spec, FIELDS_COUNT(close_spec)};

/* Reports the incident on the placement (the path's id) the caller sees. */
static enum db_status report_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct principal *p = &rq->principal;
  const struct field_value *v = rq->fields;
  const char *placement = rq->args[0];
  PGresult *pl;
  enum db_status s = db_placement_get(db, p->commission_id, placement, &rq->access, false, &pl);
  PQclear(pl);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such placement.");
  if (s < 0)
    return s;
  char arrears[24], id[UUID_STR_LEN];
  snprintf(arrears, sizeof arrears, "%lld", v[F_ARREARS].i);
  struct incident_fields f = {.kind = v[F_KIND].s, .description = v[F_DESCRIPTION].s,
                              .arrears_cents = v[F_ARREARS].present && !v[F_ARREARS].null ? arrears : NULL,
                              .occurred_on = v[F_OCCURRED].s};
  s = db_incident_insert(db, p->commission_id, placement, &f, role_name(p->role), p->token_id, id);
  if (s <= 0)
    return s < 0 ? s : DB_HARD_ERROR;
  snprintf(out->location, sizeof out->location, "/v1/incidents/%s", id);
  audit_created(rq, "incidents", id);
  return incident_read(db, rq, id, out);
}

/* POST /v1/placements/{id}/incidents. */
enum MHD_Result api_incidents_create(struct request *rq) {
  const struct field_value *v = rq->fields;
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
  return creation_run(rq, report_body, NULL);
}

enum MHD_Result api_incidents_list(struct request *rq) {
  static const char *const query[] = {"status", "placement_id", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
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
  enum db_status s = db_incident_list(rq->db, rq->principal.commission_id, &rq->access, status, placement,
                                      page.after[0], page.after[1], page.limit, &res);
  return reply_list_of(rq, &page, s, res, incident_write, (const char *const[]){"cursor_at", "id"}, 2);
}

enum MHD_Result api_incidents_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_incident_get(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, false, &res);
  return reply_read_of(rq, s, res, "No such incident.", incident_write);
}

/* Moves the incident (the path's id) to CLS, the status: open → acknowledged → closed; closing may skip the
 * acknowledgement, and records the closing note. */
static enum db_status handle_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const char *to = cls;
  const struct principal *p = &rq->principal;
  const char *id = rq->args[0];
  PGresult *res;
  enum db_status s = db_incident_get(db, p->commission_id, id, &rq->access, true, &res);
  struct incident_row cur;
  char current[16] = "";
  if (s == DB_ROW && (!db_row(res, 0, &cur) || cur.status == NULL))
    s = DB_HARD_ERROR;
  if (s == DB_ROW)
    snprintf(current, sizeof current, "%s", cur.status);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such incident.");
  if (s < 0)
    return s;
  if (strcmp(current, "closed") == 0 || strcmp(current, to) == 0)
    return write_refuse_with(out, ERR_INVALID_STATE, "The incident is already in that state or closed.",
                             json_pack("{s:s}", "current_status", current));
  s = db_incident_set_status(db, p->commission_id, id, to, rq->fields != NULL ? rq->fields[0].s : NULL);
  if (s < 0)
    return s;
  return incident_read(db, rq, id, out);
}

enum MHD_Result api_incidents_acknowledge(struct request *rq) {
  return write_run(rq, MHD_HTTP_OK, handle_body, (void *)"acknowledged");
}

enum MHD_Result api_incidents_close(struct request *rq) {
  return write_run(rq, MHD_HTTP_OK, handle_body, (void *)"closed");
}
