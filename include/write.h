/* One skeleton for every write (src/http/write.c): a body runs inside one transaction and either fills the
 * answer or records a refusal; the skeleton claims and records the Idempotency-Key of a creation, checks If-Match
 * for an update, retries on serialization failures, and queues the reply. */
#ifndef COMMISSIOND_WRITE_H
#define COMMISSIOND_WRITE_H

#include "db.h"
#include "http.h"
#include "json_writer.h"
#include "params.h"

/* What a body reports. On success: BODY (owned), VERSION (its ETag; -1 for none) and, for a creation, LOCATION.
 * On a refusal (write_refuse*()), the problem to answer; the body then returns DB_REFUSED, the transaction rolls
 * back and nothing of the request stays (an Idempotency-Key claim included). The skeleton resets it before each
 * attempt of the transaction. */
struct write_out {
  json_t *body;
  char *text;       /* or the body already written as JSON text (malloc'ed, owned; TEXT_LEN bytes): sent as is */
  size_t text_len;
  long version;
  char location[160];
  enum error_code refusal; /* ERR__COUNT: none */
  char detail[300];
  char field[80];   /* a refusal about one field (a JSON pointer, "query:x", "header:x"), or "" */
  json_t *members;  /* extra members of the problem (owned), or NULL */
  json_t *errors;   /* a validation refusal's {field, reason} array (owned), or NULL */
  json_t *reveal;   /* a creation's members shown once, in this reply only, never stored for a replay (owned) */
  enum role reader; /* the role the body is built for: the caller's, set by the skeleton and reply_read/_list */
};

/* A body: runs inside the transaction on DB. DB_ROW: done (OUT filled); DB_REFUSED: refused (OUT says why);
 * DB_SOFT_ERROR: retried; DB_HARD_ERROR: 500/503 from the database's state. */
typedef enum db_status (*write_body)(struct db *db, struct request *rq, void *cls, struct write_out *out);

/* Refusals, for a body to return: each records the problem in OUT and returns DB_REFUSED. */
enum db_status write_refuse(struct write_out *out, enum error_code code, const char *detail);
enum db_status write_refuse_field(struct write_out *out, enum error_code code, const char *field, const char *reason);
enum db_status write_refuse_with(struct write_out *out, enum error_code code, const char *detail, json_t *members);
/* A 422 validation-failed naming several fields: ERRORS (stolen) is an array of {field, reason}. */
enum db_status write_refuse_errors(struct write_out *out, json_t *errors);

/* A creation (POST that makes a resource): Idempotency-Key read and claimed, BODY run, the response recorded under
 * the key, then 201 with the body, its ETag and Location; a replay answers the stored response, another request
 * under the same key 409. */
enum MHD_Result creation_run(struct request *rq, write_body body, void *cls);
/* creation_run() with CHECK run first in the same transaction, before the Idempotency-Key is claimed: its refusal
 * (a reference that is not of the commission, a parent out of the caller's scope) answers even a request that
 * reuses a key with another body, as a validation error would. CHECK fills nothing on success (DB_ROW). */
enum MHD_Result creation_run_checked(struct request *rq, write_body check, write_body body, void *cls);

/* Any other write without If-Match (an action such as open, close, exit): BODY in one transaction; STATUS with the
 * body (and its ETag when OUT's version is >= 0), or the refusal. */
enum MHD_Result write_run(struct request *rq, unsigned int status, write_body body, void *cls);

/* An update under If-Match (PATCH): LOCK reads the record FOR UPDATE and gives its version (DB_NO_ROW: 404 with
 * MISSING); when it is not the version If-Match names, 412 about WHAT; otherwise UPDATE writes it and fills OUT
 * (200 with the ETag). Without If-Match: 428, before any database work. */
struct patch {
  const char *what;    /* "organisation": "The organisation changed since you read it" */
  const char *missing; /* "No such organisation." */
  enum db_status (*lock)(struct db *db, struct request *rq, void *cls, long *version);
  write_body update;
};
enum MHD_Result patch_run(struct request *rq, const struct patch *patch, void *cls);
/* For a LOCK: S, the status of its read FOR UPDATE, with *VERSION set from the column labelled "version" of RES's
 * row when there is one (DB_HARD_ERROR, logged, when RES has no such column). */
enum db_status patch_locked(enum db_status s, const PGresult *res, long *version);

/* A read answered as a body would have been (reply_read()'s end): STATUS with OUT's body (taken), its ETag and
 * LOCATION (may be NULL); 500 when BUILT is false (the row could not be turned into OUT). */
enum MHD_Result write_out_reply(struct request *rq, unsigned int status, struct write_out *out, bool built,
                                const char *location);

/* The answer to a read of one row by id, given the read's status S and result RES (cleared here): 200 with the
 * body BUILD makes of the row (and its ETag when it has a version), 404 saying MISSING when there was none, or the
 * database's error. BUILD is the one a write body uses to answer, so a read and a write answer alike. */
typedef bool (*row_builder)(const PGresult *res, int i, struct write_out *out); /* as OUT's reader sees it */
enum MHD_Result reply_read(struct request *rq, enum db_status s, PGresult *res, const char *missing, row_builder build);

/* The answer to a list read, given its status S and result RES (cleared here): {items, next_cursor} with the item
 * BUILD makes of each row and, when the page is full, a cursor of the last row's columns labelled KEYS (N), in
 * the keyset's order. Frees PAGE. A row that cannot be built fails the whole list (500). */
enum MHD_Result reply_list(struct request *rq, struct page *page, enum db_status s, PGresult *res, row_builder build,
                           const char *const *keys, size_t n);

/* Row I of RES as its item's JSON text, written into W as READER may see it, and *VERSION (its ETag; -1: none);
 * false when the row cannot be read. A resource whose lists are long writes its rows this way: a page of items is
 * one buffer, not a jansson tree of every member (include/json_writer.h). */
typedef bool (*row_writer)(const PGresult *res, int i, enum role reader, struct jw *w, long *version);
/* A row_builder's work done by WRITE: OUT's text is what WRITE makes (sent as is, never parsed into a tree). */
bool write_out_of(const PGresult *res, int i, struct write_out *out, row_writer write);
/* The member "person" of an item that names the person only: {family_name, given_names}. */
void write_person_names(struct jw *w, const char *family_name, const char *given_names);
/* reply_read() and reply_list() with the rows written as text by WRITE. */
enum MHD_Result reply_read_of(struct request *rq, enum db_status s, PGresult *res, const char *missing,
                              row_writer write);
enum MHD_Result reply_list_of(struct request *rq, struct page *page, enum db_status s, PGresult *res,
                              row_writer write, const char *const *keys, size_t n);

/* For a merge in an update body: the value to store for a field the client may have sent (V), given the stored
 * one (CURRENT): the sent string, NULL when the client sent null, CURRENT when it sent nothing. */
struct field_value;
const char *patch_pick(const struct field_value *v, const char *current);
/* The same for a boolean field: "t"/"f". */
const char *patch_pick_bool(const struct field_value *v, const char *current);
/* The same for an integer field, written into BUF when sent. */
const char *patch_pick_int(const struct field_value *v, const char *current, char buf[24]);

#endif
