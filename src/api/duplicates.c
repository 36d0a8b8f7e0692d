/* One person, one file: the coordinator's duplicates queue (GET /v1/people/duplicates), and what the coordinator
 * decides about a pair: two files of one person are linked (POST /v1/people/{id}/link: the older file stays and
 * everything of the other follows it), two people are distinct (POST /v1/people/{id}/distinct: the pair is never
 * proposed again). Either also answers a request a scoped caller's refused creation recorded (request_id). The
 * route table lets the coordinator alone reach them (RES_DUPLICATE); each write is one transaction, audited with
 * the person of the path. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "api.h"
#include "duplicates.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "write.h"

/* ---- GET /v1/people/duplicates */

enum MHD_Result api_people_duplicates(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_TEXT};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret) || !param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s =
      db_duplicate_queue(rq->db, rq->principal.commission_id, page.after[0], page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  struct duplicate_item_row r = {0};
  for (int i = 0; items != NULL && i < PQntuples(res); i++)
    items = items_append(items, db_row(res, i, &r) ? json_of_json(r.item) : NULL);
  ret = reply_page_after(rq, &page, PQntuples(res), items, (const char *const[]){r.list_key, r.item_key}, 2);
  PQclear(res);
  return ret;
}

/* ---- POST /v1/people/{id}/distinct and /link: the other file, or a request about this one. */

enum { F_OTHER, F_REQUEST };

static const struct field_spec resolve_spec[] = {
  [F_OTHER] = {"other_person_id", FIELD_UUID, 0, 0, 0, NULL},
  [F_REQUEST] = {"request_id", FIELD_UUID, 0, 0, 0, NULL},
};

const struct body_spec duplicate_resolve_body = {resolve_spec, FIELDS_COUNT(resolve_spec)};

struct resolve_tx {
  bool link;
  const char *other, *request; /* exactly one */
};

/* The answer: what was decided, on which files or request, and for a link of two files what followed. */
static json_t *resolution_json(const char *resolution, const char *person, const char *other, const char *request,
                               const char *merged, json_t *moved) {
  return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "resolution", resolution, "person_id", person,
                   "other_person_id", json_of_text(other), "request_id", json_of_text(request), "merged_id",
                   json_of_text(merged), "moved", moved != NULL ? moved : json_null());
}

/* A request about the person of the path: resolved as linked (the same person: the coordinator gives the caller's
 * team access to the file as it sees fit) or distinct. */
static enum db_status resolve_request(struct db *db, struct request *rq, const struct resolve_tx *t,
                                      struct write_out *out) {
  const char *commission = rq->principal.commission_id, *id = rq->args[0];
  PGresult *res;
  enum db_status s = db_duplicate_files_lock(db, commission, id, id, &res);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such person.");
  if (s < 0)
    return s;
  s = db_duplicate_request_lock(db, commission, t->request, id);
  if (s == DB_NO_ROW)
    return write_refuse_field(out, ERR_VALIDATION_FAILED, "/request_id",
                              "is not an open duplicate request about this person");
  if (s < 0)
    return s;
  const char *resolution = t->link ? "linked" : "distinct";
  s = db_duplicate_request_resolve(db, commission, t->request, resolution, rq->principal.token_id);
  if (s < 0)
    return s;
  out->body = resolution_json(resolution, id, NULL, t->request, NULL, NULL);
  return out->body != NULL ? DB_ROW : DB_HARD_ERROR;
}

static enum db_status resolve_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct resolve_tx *t = cls;
  if (t->request != NULL)
    return resolve_request(db, rq, t, out);
  const char *commission = rq->principal.commission_id, *id = rq->args[0], *token = rq->principal.token_id;
  PGresult *res;
  enum db_status s = db_duplicate_files_lock(db, commission, id, t->other, &res);
  if (s < 0)
    return s;
  /* Which of the two exist, and which is the older (it stays when they are linked). */
  struct duplicate_file_row f[2];
  memset(f, 0, sizeof f);
  const struct duplicate_file_row *mine = NULL, *other = NULL;
  for (int i = 0; i < PQntuples(res) && i < 2; i++) {
    if (!db_row(res, i, &f[i])) {
      PQclear(res);
      return DB_HARD_ERROR;
    }
    if (strcasecmp(f[i].id, id) == 0)
      mine = &f[i];
    else
      other = &f[i];
  }
  if (mine == NULL || other == NULL) {
    PQclear(res);
    return mine == NULL ? write_refuse(out, ERR_NOT_FOUND, "No such person.")
                        : write_refuse_field(out, ERR_VALIDATION_FAILED, "/other_person_id",
                                             "is not a person of this commission");
  }
  char person[UUID_STR_LEN], other_id[UUID_STR_LEN];
  snprintf(person, sizeof person, "%s", mine->id);
  snprintf(other_id, sizeof other_id, "%s", other->id);
  int order = strcmp(mine->created_key, other->created_key);
  bool mine_older = order < 0 || (order == 0 && strcmp(mine->id, other->id) < 0);
  PQclear(res);
  if (!t->link) {
    s = db_duplicate_mark_distinct(db, commission, person, other_id, token);
    if (s < 0)
      return s;
    out->body = resolution_json("distinct", person, other_id, NULL, NULL, NULL);
    return out->body != NULL ? DB_ROW : DB_HARD_ERROR;
  }
  const char *kept = mine_older ? person : other_id, *merged = mine_older ? other_id : person;
  s = db_duplicate_link(db, commission, kept, merged, token, &res);
  if (s < 0) {
    if (strcmp(db_sqlstate(db), "23P01") == 0)
      return write_refuse(out, ERR_CONFLICT,
                          "The two files have placements at the same time, and a person lives in one home at a "
                          "time: end or correct one of them before linking the files.");
    return s;
  }
  struct duplicate_link_row l;
  json_t *moved = NULL;
  if (db_row(res, 0, &l))
    moved = json_pack("{s:o, s:o, s:o, s:o}", "applications", json_of_int(l.applications), "placements",
                      json_of_int(l.placements), "care_notes", json_of_int(l.care_notes), "requests",
                      json_of_int(l.requests));
  PQclear(res);
  if (moved == NULL)
    return DB_HARD_ERROR;
  out->body = resolution_json("linked", kept, person == kept ? other_id : person, NULL, merged, moved);
  return out->body != NULL ? DB_ROW : DB_HARD_ERROR;
}

static enum MHD_Result resolve(struct request *rq, bool link) {
  const struct field_value *v = rq->fields;
  struct resolve_tx t = {.link = link, .other = v[F_OTHER].present ? v[F_OTHER].s : NULL,
                         .request = v[F_REQUEST].present ? v[F_REQUEST].s : NULL};
  if ((t.other == NULL) == (t.request == NULL))
    return reply_validation(rq, json_pack("[{s:s, s:s}, {s:s, s:s}]", "field", "/other_person_id", "reason",
                                          "send exactly one of other_person_id and request_id", "field",
                                          "/request_id", "reason",
                                          "send exactly one of other_person_id and request_id"));
  if (t.other != NULL && strcasecmp(t.other, rq->args[0]) == 0)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/other_person_id", "must be another person's file");
  return write_run(rq, MHD_HTTP_OK, resolve_body, &t);
}

enum MHD_Result api_people_distinct(struct request *rq) { return resolve(rq, false); }

enum MHD_Result api_people_link(struct request *rq) { return resolve(rq, true); }
