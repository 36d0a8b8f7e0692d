/* PUT /v1/people/{id}/information: that the person was informed of the processing of their data (CNIL,
 * délibération 2021-028: the basis is the association's mission, not consent), when, by whom and how, and any
 * agreement to share information with a partner. One record per person, replaced by each PUT; the export
 * (GET /v1/people/{id}/export) holds it. Whoever may change the person records it (the coordinator, the care
 * team, the curator service); out of scope: 404. */
#include <string.h>

#include "access.h"
#include "api.h"
#include "dates.h"
#include "fields.h"
#include "information.h"
#include "json_text.h"
#include "queries.h"
#include "write.h"

enum { F_ON, F_BY, F_MEANS, F_SHARING };

static const struct field_spec put_spec[] = {
  [F_ON] = {"informed_on", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_BY] = {"informed_by", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_MEANS] = {"means", FIELD_ENUM, FIELD_REQUIRED, 0, 0,
               (const char *const[]){"oral", "written", "oral_and_written", NULL}},
  [F_SHARING] = {"sharing_agreement", FIELD_TEXT, FIELD_NULLABLE, 1, 2000, NULL},
};

const struct body_spec person_information_body = {put_spec, FIELDS_COUNT(put_spec)};

static enum db_status put_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct person_information_fields *f = cls;
  PGresult *res;
  enum db_status s = db_person_information_put(db, rq->principal.commission_id, rq->args[0],
                                               access_scope_param(&rq->access), access_org_param(&rq->access), f,
                                               role_name(rq->principal.role), rq->principal.token_id, &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return write_refuse(out, ERR_NOT_FOUND, "No such person.");
  }
  if (s < 0)
    return s;
  struct person_information_row r;
  if (db_row(res, 0, &r))
    out->body = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "person_id", json_of_text(r.person_id),
                          "informed_on", json_of_text(r.informed_on), "informed_by", json_of_text(r.informed_by),
                          "means", json_of_text(r.means), "sharing_agreement", json_of_text(r.sharing_agreement),
                          "recorded_by_role", json_of_text(r.recorded_by_role), "recorded_at",
                          json_of_text(r.recorded_at));
  PQclear(res);
  return out->body != NULL ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_people_information_put(struct request *rq) {
  const struct field_value *v = rq->fields;
  char today[11];
  date_format(date_today(), today, sizeof today);
  if (strcmp(v[F_ON].s, today) > 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/informed_on", "must not be in the future");
  struct person_information_fields f = {.informed_on = v[F_ON].s, .informed_by = v[F_BY].s, .means = v[F_MEANS].s,
                                        .sharing_agreement = v[F_SHARING].present && !v[F_SHARING].null
                                                                 ? v[F_SHARING].s
                                                                 : NULL};
  return write_run(rq, MHD_HTTP_OK, put_body, &f);
}
