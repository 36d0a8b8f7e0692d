/* /v1/people/{id}/care-notes: a person's care notes, care-confidential and append-only. The coordinator and the
 * caregivers of the person's care team read and write them; a curator never (the route table answers the 403).
 * A person outside the caller's scope answers 404 exactly like one that does not exist. */
#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "write.h"

enum { N_BODY };

static const struct field_spec note_spec[] = {
  [N_BODY] = {"body", FIELD_TEXT, FIELD_REQUIRED, 1, 20000, NULL},
};

const struct body_spec care_note_create_body = {note_spec, FIELDS_COUNT(note_spec)};

/* A care note row as the API's CareNote; NULL when it cannot be built. */
static json_t *note_json(const struct care_note_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id), "person_id", json_of_text(r->person_id),
                   "body", json_of_text(r->body), "author_role", json_of_text(r->author_role), "created_at",
                   json_of_text(r->created_at));
}

/* ---- GET /v1/people/{id}/care-notes */

enum MHD_Result api_care_notes_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  struct page page;
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  const char *id = rq->args[0];
  PGresult *res;
  enum db_status s = db_person_get(rq->db, rq->principal.commission_id, id, access_scope_param(&rq->access),
                                   access_org_param(&rq->access), false, &res);
  PQclear(res);
  if (s == DB_NO_ROW) {
    page_free(&page);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  if (s >= 0)
    s = db_care_note_list(rq->db, rq->principal.commission_id, id, page.after[0], page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  struct care_note_row r = {0};
  for (int i = 0; items != NULL && i < PQntuples(res); i++)
    items = items_append(items, db_row(res, i, &r) ? note_json(&r) : NULL);
  ret = reply_page_after(rq, &page, PQntuples(res), items, (const char *const[]){r.list_key, r.id}, 2);
  PQclear(res);
  return ret;
}

/* ---- POST /v1/people/{id}/care-notes */

/* Before the Idempotency-Key: the person, so that not-found comes before idempotency-key-reused. */
static enum db_status note_check(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_person_get(db, rq->principal.commission_id, rq->args[0], access_scope_param(&rq->access),
                                   access_org_param(&rq->access), false, &res);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such person.");
  return s;
}

static enum db_status note_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = cls;
  const struct principal *p = &rq->principal;
  PGresult *res;
  enum db_status s = db_care_note_insert(db, p->commission_id, rq->args[0], access_scope_param(&rq->access),
                                         access_org_param(&rq->access), v[N_BODY].s, p->token_id,
                                         role_name(p->role), &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return write_refuse(out, ERR_NOT_FOUND, "No such person.");
  }
  if (s < 0)
    return s;
  struct care_note_row r;
  bool ok = db_row(res, 0, &r);
  if (ok) {
    audit_created(rq, "care_notes", r.id);
    out->body = note_json(&r);
  }
  PQclear(res);
  return ok && out->body != NULL ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_care_notes_create(struct request *rq) {
  return creation_run_checked(rq, note_check, note_body, rq->fields);
}
