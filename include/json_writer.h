/* A JSON text written straight into one growing buffer, for the large answers (the agenda) where building a jansson
 * tree of thousands of nodes, then serialising it, cost more than the query. The output is what json_dumps(...,
 * JSON_COMPACT) would print for the same members in the same order. Values come from result columns (text, NULL
 * for SQL NULL). A failed allocation marks the writer failed; every later call is then a no-op and jw_finish()
 * returns NULL, so callers check once at the end. */
#ifndef COMMISSIOND_JSON_WRITER_H
#define COMMISSIOND_JSON_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct jw {
  char *buf;
  size_t len, cap;
  bool failed;
  bool first;     /* no member or element written yet in the innermost object or array */
  bool after_key; /* a key was written: its value follows without a separator */
};

void jw_init(struct jw *w, size_t initial);
/* Objects and arrays. A member's key comes first (jw_key), then its value. */
void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
/* Values: TEXT as a string (NULL: null); an integer column (NULL: null); a boolean column "t"/"f"; a json or jsonb
 * column's text as it is (NULL: null), which the database guarantees to be a valid JSON document; null; a jansson
 * value (not stolen), serialised compactly. */
void jw_string(struct jw *w, const char *text);
void jw_int(struct jw *w, const char *text);
void jw_bool(struct jw *w, const char *text);
void jw_raw_json(struct jw *w, const char *text);
void jw_null(struct jw *w);
void jw_value(struct jw *w, const json_t *value);
/* A timestamp column as PostgreSQL writes a timestamptz in the daemon's sessions (DateStyle ISO, TimeZone UTC:
 * src/db/conn.c; "YYYY-MM-DD HH:MM:SS[.f]+00", one to six digits of fraction, SQL_TS_RAW in include/queries.h), as
 * the API writes every timestamp: RFC 3339 in UTC with milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ", the fraction cut
 * to milliseconds, the text SQL_TS gives; NULL as null; a text of any other form as it is. */
void jw_timestamp(struct jw *w, const char *pg);
/* The text jw_timestamp() writes for PG (not NULL), into OUT; false, OUT untouched, when PG is not of that form. */
bool jw_timestamp_text(const char *pg, char out[25]);
/* A one-dimensional text[] column as PostgreSQL writes it ("{a,\"b c\",NULL}": an element quoted, its quotes and
 * backslashes escaped, when it is empty, NULL or holds a space, a comma, a brace, a quote or a backslash) as the
 * JSON array to_json() gives (strings, null for a NULL element); NULL as null. A text of another form (another
 * lower bound, more dimensions) fails the writer. */
void jw_text_array(struct jw *w, const char *pg);
/* A member KEY with its value, as jw_key() then the value's call. */
void jw_key_string(struct jw *w, const char *key, const char *text);
void jw_key_int(struct jw *w, const char *key, const char *text);
void jw_key_bool(struct jw *w, const char *key, const char *text);
void jw_key_raw_json(struct jw *w, const char *key, const char *text);
void jw_key_timestamp(struct jw *w, const char *key, const char *pg);
void jw_key_text_array(struct jw *w, const char *key, const char *pg);
void jw_key_integer(struct jw *w, const char *key, long long value);
/* The text written (the caller frees it) and its length; NULL when an allocation failed. The writer is left empty. */
char *jw_finish(struct jw *w, size_t *len);

#endif
