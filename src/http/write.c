/* The write skeleton (see include/write.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "idempotency.h"
#include "json_text.h"
#include "log.h"
#include "params.h"
#include "write.h"

static void out_reset(struct write_out *out) {
  json_decref(out->body);
  free(out->text);
  json_decref(out->members);
  json_decref(out->errors);
  json_decref(out->reveal);
  memset(out, 0, sizeof *out);
  out->version = -1;
  out->refusal = ERR__COUNT;
}

/* OUT emptied for a new attempt (or a row) built for RQ's caller. */
static void out_start(struct write_out *out, const struct request *rq) {
  out_reset(out);
  out->reader = rq->principal.role;
}

enum db_status write_refuse(struct write_out *out, enum error_code code, const char *detail) {
  out->refusal = code;
  snprintf(out->detail, sizeof out->detail, "%s", detail != NULL ? detail : "");
  return DB_REFUSED;
}

enum db_status write_refuse_field(struct write_out *out, enum error_code code, const char *field, const char *reason) {
  snprintf(out->field, sizeof out->field, "%s", field);
  return write_refuse(out, code, reason);
}

enum db_status write_refuse_with(struct write_out *out, enum error_code code, const char *detail, json_t *members) {
  json_decref(out->members);
  out->members = members;
  return write_refuse(out, code, detail);
}

enum db_status write_refuse_errors(struct write_out *out, json_t *errors) {
  json_decref(out->errors);
  out->errors = errors;
  return write_refuse(out, ERR_VALIDATION_FAILED, NULL);
}

/* OUT's body as a tree (a text body parsed), for what must add members to it; false when it cannot be. */
static bool out_tree(struct write_out *out) {
  if (out->text != NULL) {
    json_decref(out->body);
    out->body = json_loadb(out->text, out->text_len, 0, NULL);
    free(out->text);
    out->text = NULL;
  }
  return out->body != NULL;
}

/* The reply once the transaction ended with S: the refusal, the database's error, or STATUS with the body. */
static enum MHD_Result write_reply(struct request *rq, enum db_status s, struct write_out *out, unsigned int status) {
  enum MHD_Result ret;
  if (s == DB_REFUSED && out->refusal != ERR__COUNT) {
    if (out->errors != NULL) {
      ret = reply_validation(rq, out->errors);
      out->errors = NULL;
    } else if (out->field[0] != '\0')
      ret = reply_field_problem(rq, out->refusal, out->field, out->detail);
    else {
      ret = reply_problem_with(rq, out->refusal, out->detail[0] != '\0' ? out->detail : NULL, out->members);
      out->members = NULL;
    }
  } else if (s < 0 || (out->body == NULL && out->text == NULL)) {
    ret = reply_db_error(rq);
  } else if (out->reveal != NULL && !out_tree(out)) {
    ret = reply_problem(rq, ERR_INTERNAL, NULL);
  } else if (out->reveal != NULL && json_object_update(out->body, out->reveal) != 0) {
    ret = reply_problem(rq, ERR_INTERNAL, NULL);
  } else { /* the same answer as a read's: ETag when versioned, Location for a creation */
    ret = write_out_reply(rq, status, out, true, out->location[0] != '\0' ? out->location : NULL);
  }
  out_reset(out);
  return ret;
}

struct creation {
  struct request *rq;
  write_body check;
  write_body body;
  void *cls;
  struct idempotency idem;
  struct write_out out;
};

static enum db_status creation_body(struct db *db, void *cls) {
  struct creation *c = cls;
  out_start(&c->out, c->rq);
  enum db_status s;
  if (c->check != NULL && (s = c->check(db, c->rq, c->cls, &c->out)) < 0)
    return s;
  /* The key's claim goes with the body's first statement. When the key was taken (a retry of a creation made, a
   * key reused, a concurrent request with the key that committed first), whatever the body did or refused is
   * rolled back, and the transaction made again with the claim alone, which reads the stored answer. */
  s = idempotency_claim_ahead(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  s = c->body(db, c->rq, c->cls, &c->out);
  enum db_status claimed = idempotency_claimed(c->rq, &c->idem);
  if (claimed < 0)
    return claimed;
  if (s < 0)
    return s;
  const char *location = c->out.location[0] ? c->out.location : NULL;
  if (c->out.text != NULL)
    return idempotency_record_text(c->rq, &c->idem, MHD_HTTP_CREATED, location, c->out.text);
  if (c->out.body == NULL)
    return DB_HARD_ERROR;
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, location, c->out.body);
}

enum MHD_Result creation_run(struct request *rq, write_body body, void *cls) {
  return creation_run_checked(rq, NULL, body, cls);
}

enum MHD_Result creation_run_checked(struct request *rq, write_body check, write_body body, void *cls) {
  enum MHD_Result ret;
  struct creation c = {.rq = rq, .check = check, .body = body, .cls = cls};
  if (!idempotency_init(rq, &c.idem, &ret))
    return ret;
  out_reset(&c.out);
  enum db_status s = db_transaction(rq->db, creation_body, &c);
  if (s >= 0 && (c.idem.replay || c.idem.mismatch)) {
    out_reset(&c.out);
    ret = idempotency_reply(rq, &c.idem);
  } else {
    ret = write_reply(rq, s, &c.out, MHD_HTTP_CREATED);
  }
  idempotency_free(&c.idem);
  return ret;
}

struct write_tx {
  struct request *rq;
  write_body body;
  void *cls;
  const struct patch *patch;
  long if_match;
  struct write_out out;
};

static enum db_status action_body(struct db *db, void *cls) {
  struct write_tx *a = cls;
  out_start(&a->out, a->rq);
  return a->body(db, a->rq, a->cls, &a->out);
}

enum MHD_Result write_run(struct request *rq, unsigned int status, write_body body, void *cls) {
  struct write_tx a = {.rq = rq, .body = body, .cls = cls};
  out_reset(&a.out);
  enum db_status s = db_transaction(rq->db, action_body, &a);
  return write_reply(rq, s, &a.out, status);
}

static enum db_status patch_body(struct db *db, void *cls) {
  struct write_tx *a = cls;
  out_start(&a->out, a->rq);
  long version = -1;
  enum db_status s = a->patch->lock(db, a->rq, a->cls, &version);
  if (s == DB_NO_ROW)
    return write_refuse(&a->out, ERR_NOT_FOUND, a->patch->missing);
  if (s < 0)
    return s;
  if (!if_match_holds(a->rq, version)) /* RFC 9110: "*", or a list holding the current strong ETag */
    return write_refuse(&a->out, ERR_PRECONDITION_FAILED, NULL); /* answered by reply_stale() */
  return a->patch->update(db, a->rq, a->cls, &a->out);
}

enum MHD_Result patch_run(struct request *rq, const struct patch *patch, void *cls) {
  struct write_tx a = {.rq = rq, .cls = cls, .patch = patch, .if_match = param_if_match(rq)};
  if (a.if_match < 0)
    return reply_if_match_problem(rq, a.if_match);
  out_reset(&a.out);
  enum db_status s = db_transaction(rq->db, patch_body, &a);
  if (s == DB_REFUSED && a.out.refusal == ERR_PRECONDITION_FAILED) {
    out_reset(&a.out);
    return reply_stale(rq, patch->what);
  }
  return write_reply(rq, s, &a.out, MHD_HTTP_OK);
}

enum db_status patch_locked(enum db_status s, const PGresult *res, long *version) {
  if (s != DB_ROW)
    return s;
  int column = PQfnumber(res, "version");
  if (column < 0 || PQntuples(res) < 1 || PQgetisnull(res, 0, column)) {
    log_event(LOG_ERROR, "a locked record has no version", ",\"column\":\"version\"");
    return DB_HARD_ERROR;
  }
  *version = long_of_text(PQgetvalue(res, 0, column));
  return DB_ROW;
}

enum MHD_Result write_out_reply(struct request *rq, unsigned int status, struct write_out *out, bool built,
                                const char *location) {
  json_t *body = out->body;
  char *text = out->text;
  size_t len = out->text_len;
  out->body = NULL;
  out->text = NULL;
  if (!built || (body == NULL && text == NULL)) {
    json_decref(body);
    free(text);
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  }
  const char *headers[] = {MHD_HTTP_HEADER_LOCATION, location, NULL};
  if (text != NULL) {
    json_decref(body);
    if (out->version >= 0)
      return reply_versioned_text(rq, status, text, len, out->version, location);
    return reply_json_text(rq, status, text, len, location != NULL ? headers : NULL);
  }
  if (out->version >= 0)
    return reply_versioned(rq, status, body, out->version, location);
  return reply_json(rq, status, body, location != NULL ? headers : NULL);
}

const char *patch_pick(const struct field_value *v, const char *current) {
  if (!v->present)
    return current;
  return v->null ? NULL : v->s;
}

const char *patch_pick_bool(const struct field_value *v, const char *current) {
  if (!v->present)
    return current;
  return v->null ? NULL : v->b ? "t" : "f";
}

const char *patch_pick_int(const struct field_value *v, const char *current, char buf[24]) {
  if (!v->present)
    return current;
  if (v->null)
    return NULL;
  snprintf(buf, 24, "%lld", v->i);
  return buf;
}

enum MHD_Result reply_read(struct request *rq, enum db_status s, PGresult *res, const char *missing, row_builder build) {
  struct write_out out = {.version = -1, .reader = rq->principal.role};
  enum MHD_Result ret = s < 0             ? reply_db_error(rq)
                        : s == DB_NO_ROW ? reply_problem(rq, ERR_NOT_FOUND, missing)
                                         : write_out_reply(rq, MHD_HTTP_OK, &out, build(res, 0, &out), NULL);
  PQclear(res);
  return ret;
}

/* reply_list() and reply_list_of(): each row's item made by BUILD (a tree, serialised) or written by WRITE, into
 * one text. */
static enum MHD_Result list_reply(struct request *rq, struct page *page, enum db_status s, PGresult *res,
                                  row_builder build, row_writer write, const char *const *keys, size_t n) {
  if (s < 0) {
    PQclear(res);
    page_free(page);
    return reply_db_error(rq);
  }
  int rows = PQntuples(res);
  struct jw w;
  jw_init(&w, 64 + (size_t)rows * 640);
  jw_object_begin(&w);
  jw_key(&w, "items");
  jw_array_begin(&w);
  bool ok = true;
  for (int i = 0; ok && i < rows; i++) {
    if (write != NULL) {
      long version;
      ok = write(res, i, rq->principal.role, &w, &version);
    } else {
      struct write_out out = {.version = -1, .reader = rq->principal.role};
      ok = build(res, i, &out);
      if (ok && out.text != NULL)
        jw_raw_json(&w, out.text);
      else if (ok)
        jw_value(&w, out.body);
      json_decref(out.body);
      free(out.text);
    }
  }
  jw_array_end(&w);
  const char *last[PAGE_MAX_KEYS] = {NULL};
  for (size_t k = 0; ok && rows > 0 && k < n && k < PAGE_MAX_KEYS; k++) {
    int column = PQfnumber(res, keys[k]);
    if (column < 0) { /* a key the row does not have: a bug, never a silent cursor */
      log_event(LOG_ERROR, "list cursor key missing from the row", ",\"key\":\"%s\"", keys[k]);
      ok = false;
      break;
    }
    last[k] = PQgetisnull(res, rows - 1, column) ? NULL : PQgetvalue(res, rows - 1, column);
  }
  char *next = NULL;
  /* Without its cursor the reply cannot be built (500): better than a list that seems to end here. */
  ok = ok && page_next(page, rows, last, n, &next);
  jw_key(&w, "next_cursor");
  jw_string(&w, next);
  jw_object_end(&w);
  free(next);
  page_free(page);
  PQclear(res);
  size_t len;
  char *text = jw_finish(&w, &len);
  if (!ok || text == NULL) {
    free(text);
    return reply_problem(rq, ERR_INTERNAL, "The request could not be completed.");
  }
  return reply_json_text(rq, MHD_HTTP_OK, text, len, NULL);
}

enum MHD_Result reply_list(struct request *rq, struct page *page, enum db_status s, PGresult *res, row_builder build,
                           const char *const *keys, size_t n) {
  return list_reply(rq, page, s, res, build, NULL, keys, n);
}

enum MHD_Result reply_list_of(struct request *rq, struct page *page, enum db_status s, PGresult *res,
                              row_writer write, const char *const *keys, size_t n) {
  return list_reply(rq, page, s, res, NULL, write, keys, n);
}

void write_person_names(struct jw *w, const char *family_name, const char *given_names) {
  jw_key(w, "person");
  jw_object_begin(w);
  jw_key_string(w, "family_name", family_name);
  jw_key_string(w, "given_names", given_names);
  jw_object_end(w);
}

/* Row I of RES written by WRITE as a malloc'ed text (*LEN bytes) and *VERSION; NULL when it cannot be. */
static char *row_text(const PGresult *res, int i, enum role reader, row_writer write, size_t *len, long *version) {
  struct jw w;
  jw_init(&w, 1024);
  *version = -1;
  bool ok = write(res, i, reader, &w, version);
  char *text = jw_finish(&w, len);
  if (!ok) {
    free(text);
    return NULL;
  }
  return text;
}

bool write_out_of(const PGresult *res, int i, struct write_out *out, row_writer write) {
  free(out->text);
  out->text = row_text(res, i, out->reader, write, &out->text_len, &out->version);
  return out->text != NULL;
}

enum MHD_Result reply_read_of(struct request *rq, enum db_status s, PGresult *res, const char *missing,
                              row_writer write) {
  enum MHD_Result ret;
  if (s < 0) {
    ret = reply_db_error(rq);
  } else if (s == DB_NO_ROW) {
    ret = reply_problem(rq, ERR_NOT_FOUND, missing);
  } else {
    size_t len;
    long version;
    char *text = row_text(res, 0, rq->principal.role, write, &len, &version);
    ret = text == NULL      ? reply_problem(rq, ERR_INTERNAL, "The request could not be completed.")
          : version >= 0 ? reply_versioned_text(rq, MHD_HTTP_OK, text, len, version, NULL)
                         : reply_json_text(rq, MHD_HTTP_OK, text, len, NULL);
  }
  PQclear(res);
  return ret;
}
