/* JSON values from result text (see include/json_text.h). */
#include <stdlib.h>

#include "json_text.h"
#include "json_writer.h"

json_t *json_of_text(const char *text) { return text == NULL ? json_null() : json_string(text); }

json_t *json_of_timestamp(const char *pg) {
  char text[25];
  return pg == NULL ? json_null() : json_string(jw_timestamp_text(pg, text) ? text : pg);
}

json_t *json_of_int(const char *text) {
  return text == NULL ? json_null() : json_integer(strtoll(text, NULL, 10));
}

json_t *json_of_bool(const char *text) { return text == NULL ? json_null() : json_boolean(text[0] == 't'); }

json_t *json_of_json(const char *text) {
  if (text == NULL)
    return json_null();
  json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
  return v != NULL ? v : json_null();
}

long long_of_text(const char *text) { return text == NULL ? 0 : strtol(text, NULL, 10); }
