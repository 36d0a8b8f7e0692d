/* /v1/organisations: the commission's partners (landlords, residences, curator services, care teams, others).
 * Every role of the commission reads them; only the coordinator creates and changes them. */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "write.h"

static const char *const kinds[] = {"landlord", "residence", "curator_service", "care_team", "partner", NULL};

enum { F_KIND, F_NAME, F_TOWN, F_ADDRESS, F_EMAIL, F_PHONE, F_ARCHIVED };

static const struct field_spec create_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
  [F_NAME] = {"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_NULLABLE, 0, 100, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
};

static const struct field_spec update_spec[] = {
  [F_KIND] = {"kind", FIELD_ENUM, FIELD_FIXED, 0, 0, kinds},
  [F_NAME] = {"name", FIELD_STRING, 0, 1, 200, NULL},
  [F_TOWN] = {"town", FIELD_STRING, FIELD_NULLABLE, 0, 100, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_ARCHIVED] = {"archived", FIELD_BOOL, 0, 0, 0, NULL},
};

/* An organisation row as the API's Organisation; NULL when it cannot be built. */
static json_t *organisation_json(const struct organisation_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id), "kind",
                   json_of_text(r->kind), "name", json_of_text(r->name), "town", json_of_text(r->town), "address",
                   json_of_text(r->address), "email", json_of_text(r->email), "phone", json_of_text(r->phone),
                   "archived", json_of_bool(r->archived), "version", json_of_int(r->version), "created_at",
                   json_of_text(r->created_at), "updated_at", json_of_text(r->updated_at));
}

/* Row I of RES into OUT: the JSON of the organisation and its version. */
static bool organisation_out(const PGresult *res, int i, struct write_out *out) {
  struct organisation_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = organisation_json(&r);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

enum MHD_Result api_organisations_list(struct request *rq) {
  static const char *const query[] = {"kind", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *kind = request_query(rq, "kind");
  if (kind != NULL) {
    size_t i = 0;
    while (kinds[i] != NULL && strcmp(kinds[i], kind) != 0)
      i++;
    if (kinds[i] == NULL)
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:kind",
                                 "must be one of landlord, residence, curator_service, care_team, partner");
  }
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_organisation_list(rq->db, rq->principal.commission_id, kind, page.after[0], page.after[1],
                                          page.limit, &res);
  return reply_list(rq, &page, s, res, organisation_out, (const char *const[]){"name", "id"}, 2);
}

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = cls;
  struct organisation_fields f = {.kind = v[F_KIND].s, .name = v[F_NAME].s, .town = patch_pick(&v[F_TOWN], NULL),
                                  .address = patch_pick(&v[F_ADDRESS], NULL), .email = patch_pick(&v[F_EMAIL], NULL),
                                  .phone = patch_pick(&v[F_PHONE], NULL)};
  PGresult *res;
  enum db_status s = db_organisation_insert(db, rq->principal.commission_id, &f, &res);
  if (s < 0)
    return s;
  struct organisation_row r;
  bool ok = db_row(res, 0, &r) && organisation_out(res, 0, out);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/organisations/%s", r.id);
    audit_created(rq, "organisations", r.id);
  }
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

const struct body_spec organisation_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec organisation_update_body = {update_spec, FIELDS_COUNT(update_spec)};

enum MHD_Result api_organisations_create(struct request *rq) { return creation_run(rq, create_body, rq->fields); }

enum MHD_Result api_organisations_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_organisation_get(rq->db, rq->principal.commission_id, rq->args[0], false, &res);
  return reply_read(rq, s, res, "No such organisation.", organisation_out);
}

/* An update: the stored row (read for update), then the merge of what the client sent. */
struct update_tx {
  const char *id;
  const struct field_value *v;
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_organisation_get(db, rq->principal.commission_id, u->id, true, &u->current);
  return patch_locked(s, u->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  struct organisation_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  /* Merge: a field sent replaces the stored one (null clears it); the others stay. */
  const struct field_value *v = u->v;
  struct organisation_fields f = {.name = patch_pick(&v[F_NAME], cur.name), .town = patch_pick(&v[F_TOWN], cur.town),
                                  .address = patch_pick(&v[F_ADDRESS], cur.address),
                                  .email = patch_pick(&v[F_EMAIL], cur.email),
                                  .phone = patch_pick(&v[F_PHONE], cur.phone),
                                  .archived = patch_pick_bool(&v[F_ARCHIVED], cur.archived)};
  PGresult *res;
  enum db_status s = db_organisation_update(db, rq->principal.commission_id, u->id, &f, &res);
  if (s < 0)
    return s;
  bool ok = s == DB_ROW && organisation_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_organisations_update(struct request *rq) {
  static const struct patch patch = {"organisation", "No such organisation.", update_lock, update_write};
  struct update_tx u = {.id = rq->args[0], .v = rq->fields};
  enum MHD_Result ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  return ret;
}
