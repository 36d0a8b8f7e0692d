/* Declarative validation of JSON bodies: a handler lists its fields once; one call checks them all (types,
 * lengths, ranges, enums, required, unknown fields) and names every offending field. */
#ifndef COMMISSIOND_FIELDS_H
#define COMMISSIOND_FIELDS_H

#include <stdbool.h>

#include "http.h"

enum field_type {
  FIELD_STRING, /* min/max: length in characters */
  FIELD_TEXT,   /* multi-line free text; min/max as for strings */
  FIELD_EMAIL,
  FIELD_BOOL,
  FIELD_INT,    /* min/max: value range */
  FIELD_UUID,
  FIELD_DATE,   /* YYYY-MM-DD */
  FIELD_ENUM,   /* one of values */
  FIELD_ANY,    /* any JSON value: the handler checks it (arrays, nested objects) */
};

enum field_flags {
  FIELD_REQUIRED = 1,
  FIELD_NULLABLE = 2,
  FIELD_FIXED = 4, /* known but may not be sent (cannot change after creation) */
};

struct field_spec {
  const char *name;
  enum field_type type;
  unsigned int flags;
  long long min, max;
  const char *const *values; /* FIELD_ENUM: NULL-terminated */
};

struct field_value {
  bool present;
  bool null;
  const char *s; /* strings, uuids, dates, enums: points into the JSON document */
  long long i;
  bool b;
};

/* Checks OBJ against SPEC (N fields), filling OUT (N values). Every problem is appended to ERRORS as
 * {field, reason}; returns true when there was none. */
bool fields_check(json_t *obj, const struct field_spec *spec, size_t n, struct field_value *out, json_t *errors);
/* fields_check() on the request body; on failure queues the 422 and sets *RET. */
bool request_fields(struct request *rq, const struct field_spec *spec, size_t n, struct field_value *out,
                    enum MHD_Result *ret);

#define FIELDS_COUNT(spec) (sizeof(spec) / sizeof *(spec))

#endif
