/* Request inputs every resource reads the same way: ids in the path, pagination, If-Match, cursors; and the
 * conversions of result rows into JSON values. */
#ifndef COMMISSIOND_PARAMS_H
#define COMMISSIOND_PARAMS_H

#include <libpq-fe.h>

#include "db.h"
#include "http.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

/* The path argument INDEX must be a UUID; else queues 400 invalid-id naming path:NAME and returns NULL. */
const char *param_path_uuid(struct request *rq, size_t index, const char *name, enum MHD_Result *ret);

/* What a cursor key must be: checked before it reaches a query. */
enum cursor_key { KEY_TEXT, KEY_UUID, KEY_DATE, KEY_TIMESTAMP, KEY_INT };

#define PAGE_MAX_KEYS 4

/* A list request's page: its size and, past the first page, the keyset position the cursor holds. */
struct page {
  char limit[8];                      /* text, for a query parameter */
  json_t *cursor;                     /* the decoded cursor (owned), NULL on the first page */
  const char *after[PAGE_MAX_KEYS];   /* its keys, pointing into cursor; NULL on the first page */
};

/* Reads `limit` (a positive integer clamped to PAGE_MAX, default PAGE_DEFAULT) and decodes `cursor`, which must
 * hold N keys of KINDS (a cursor this server issued for this list). On a bad value queues 400 invalid-query and
 * returns false (nothing to free); otherwise free PAGE with page_free(). */
bool param_page(struct request *rq, struct page *page, size_t n, const enum cursor_key *kinds, enum MHD_Result *ret);
/* param_page() without the request (pure, for tests/fuzz): LIMIT and CURSOR are the query values, NULL when absent.
 * On a bad value returns false with *FIELD ("query:limit" or "query:cursor") and *REASON (static texts) set and
 * nothing to free; otherwise free PAGE with page_free(). */
bool page_parse(struct page *page, const char *limit, const char *cursor, size_t n, const enum cursor_key *kinds,
                const char **field, const char **reason);
/* The opaque cursor reply_page_after() issues for KEYS (N texts; NULL is JSON null): malloc'ed, NULL on failure.
 * page_parse() must accept every cursor it makes of keys that are valid for their kinds. */
char *page_cursor_encode(const char *const *keys, size_t n);
void page_free(struct page *page);
/* Replies {"items": ITEMS, "next_cursor": ...}: when ROWS filled the page, the cursor holds KEYS (N texts: the
 * last row's keyset position, by name). Takes ITEMS (NULL: an item could not be built, 500) and frees PAGE. */
enum MHD_Result reply_page_after(struct request *rq, struct page *page, int rows, json_t *items,
                                 const char *const *keys, size_t n);
/* The next page's cursor when ROWS filled PAGE: *NEXT the cursor of KEYS (N texts, malloc'ed), NULL when the page is
 * the last; false when it could not be built. */
bool page_next(const struct page *page, int rows, const char *const *keys, size_t n, char **next);
/* Appends ITEM (stolen) to the list ITEMS; when ITEM is NULL (it could not be built) frees ITEMS and returns NULL,
 * so that the list fails as a whole instead of silently missing an item. */
json_t *items_append(json_t *items, json_t *item);

/* Checks RQ's If-Match header (RFC 9110 13.1.1): -1 when absent, -2 when it can match no version of a record
 * (malformed, or only weak or foreign ETags: If-Match compares strongly), else 0; then if_match_holds() says
 * whether it matches the record's current VERSION. */
long param_if_match(struct request *rq);
/* True when RQ's If-Match is "*" (any existing record) or lists the strong ETag of VERSION ("v<n>"). */
bool if_match_holds(struct request *rq, long version);
/* The problem for an If-Match that param_if_match() found absent (-1: 428) or unable to match (-2: 412). */
enum MHD_Result reply_if_match_problem(struct request *rq, long if_match);
/* The 412 for a stale If-Match: WHAT ("organisation", ...) changed since the client read it. */
enum MHD_Result reply_stale(struct request *rq, const char *what);
/* Writes the ETag of VERSION into OUT (size >= 24). */
void etag_format(long version, char *out, size_t n);
/* BODY (stolen) with STATUS, the ETag of VERSION, and a Location header when LOCATION is not NULL. */
enum MHD_Result reply_versioned(struct request *rq, unsigned int status, json_t *body, long version,
                                const char *location);
/* reply_versioned() of a body already written as JSON TEXT (LEN bytes, malloc'ed, taken). */
enum MHD_Result reply_versioned_text(struct request *rq, unsigned int status, char *text, size_t len, long version,
                                     const char *location);

#endif
