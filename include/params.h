/* Request inputs every resource reads the same way: ids in the path, pagination, If-Match, cursors; and the
 * conversions of result rows into JSON values. */
#ifndef COMMISSIOND_PARAMS_H
#define COMMISSIOND_PARAMS_H

#include <libpq-fe.h>

#include "http.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

/* The path argument INDEX must be a UUID; else queues 400 invalid-id naming path:NAME and returns NULL. */
const char *param_path_uuid(struct request *rq, size_t index, const char *name, enum MHD_Result *ret);

/* Reads `limit` (a positive integer clamped to PAGE_MAX, default PAGE_DEFAULT) into *LIMIT (as text, for a query parameter) and decodes
 * `cursor` into *CURSOR (a JSON array produced by cursor_encode, caller decrefs; NULL when absent). On a bad
 * value queues 400 invalid-query and returns false. */
bool param_page(struct request *rq, char limit[8], json_t **cursor, enum MHD_Result *ret);
/* An opaque cursor for KEY (a JSON array, stolen); malloc'ed, NULL on failure. */
char *cursor_encode(json_t *key);

/* The version an If-Match header names ("v<n>", quoted); -1 when absent, -2 when malformed. */
long param_if_match(struct request *rq);
/* The problem for an If-Match that param_if_match() found absent (-1: 428) or malformed (-2: 412). */
enum MHD_Result reply_if_match_problem(struct request *rq, long if_match);
/* The 412 for a stale If-Match: WHAT ("organisation", ...) changed since the client read it. */
enum MHD_Result reply_stale(struct request *rq, const char *what);
/* Writes the ETag of VERSION into OUT (size >= 24). */
void etag_format(long version, char *out, size_t n);

/* JSON of column COL of RES's row ROW: string, or null for SQL NULL. */
json_t *row_string(const PGresult *res, int row, int col);
json_t *row_int(const PGresult *res, int row, int col);
json_t *row_bool(const PGresult *res, int row, int col);

#endif
