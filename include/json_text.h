/* JSON values from the text of a result column (a row struct's member, see DB_ROW_STRUCT in db.h): NULL text is
 * JSON null. Each returns a new reference, or NULL when out of memory. */
#ifndef COMMISSIOND_JSON_TEXT_H
#define COMMISSIOND_JSON_TEXT_H

#include <jansson.h>

json_t *json_of_text(const char *text);
/* A timestamp column read as stored (SQL_TS_RAW), as the API writes it (jw_timestamp()). */
json_t *json_of_timestamp(const char *pg);
/* An integer column (bigint, integer). */
json_t *json_of_int(const char *text);
/* A boolean column ("t"/"f"). */
json_t *json_of_bool(const char *text);
/* A json/jsonb column: the document it holds (null when it does not parse, which the database prevents). */
json_t *json_of_json(const char *text);
/* An integer column as a C long (0 for NULL). */
long long_of_text(const char *text);

#endif
