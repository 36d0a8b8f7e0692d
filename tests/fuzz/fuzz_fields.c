/* libFuzzer target: a JSON request body checked against a field spec, as dispatch does before a route's handler
 * (json_loadb() as src/http/context.c calls it, then fields_check() of src/http/fields.c).
 *
 * Input: a first line naming the spec, then the body. The name is "METHOD /pattern" of a route with a body spec
 * (the route table's own specs), or "synthetic" (a spec with every field type and flag); any other name picks one
 * of them by its hash, so that every input checks some spec. */
#include <limits.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "fields.h"
#include "fuzz.h"
#include "http.h"
#include "validate.h"

static const char *const colours[] = {"red", "green", "blue", NULL};
/* Long values: the "must be one of" reason does not fit its buffer. */
static const char *const long_values[] = {
  "a_rather_long_enumeration_value_one", "a_rather_long_enumeration_value_two",
  "a_rather_long_enumeration_value_three", "a_rather_long_enumeration_value_four",
  "a_rather_long_enumeration_value_five", "a_rather_long_enumeration_value_six", NULL};

static const struct field_spec synthetic[] = {
  {"string", FIELD_STRING, FIELD_REQUIRED, 1, 20, NULL},
  {"text", FIELD_TEXT, FIELD_NULLABLE, 0, 5000, NULL},
  {"email", FIELD_EMAIL, 0, 3, 200, NULL},
  {"flag", FIELD_BOOL, 0, 0, 0, NULL},
  {"count", FIELD_INT, FIELD_NULLABLE, -1000, 1000000, NULL},
  {"wide", FIELD_INT, 0, LLONG_MIN, LLONG_MAX, NULL},
  {"id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  {"day", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  {"colour", FIELD_ENUM, 0, 0, 0, colours},
  {"long_enum", FIELD_ENUM, FIELD_NULLABLE, 0, 0, long_values},
  {"anything", FIELD_ANY, 0, 0, 0, NULL},
  {"fixed", FIELD_STRING, FIELD_FIXED, 1, 10, NULL},
};

#define SPECS_MAX 64
static struct {
  char name[96];
  const struct field_spec *fields;
  size_t count;
} specs[SPECS_MAX];
static size_t spec_count;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0)
    abort();
  snprintf(specs[0].name, sizeof specs[0].name, "synthetic");
  specs[0].fields = synthetic;
  specs[0].count = FIELDS_COUNT(synthetic);
  spec_count = 1;
  for (const struct route *r = http_routes; r->method != NULL; r++) {
    if (r->body == NULL)
      continue;
    FUZZ_CHECK(spec_count < SPECS_MAX, "more than %d body specs: raise SPECS_MAX", SPECS_MAX);
    snprintf(specs[spec_count].name, sizeof specs[spec_count].name, "%s %s", r->method, r->pattern);
    specs[spec_count].fields = r->body->fields;
    specs[spec_count].count = r->body->count;
    spec_count++;
  }
  return 0;
}

static size_t spec_named(const uint8_t *name, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < spec_count; i++)
    if (strlen(specs[i].name) == len && memcmp(specs[i].name, name, len) == 0)
      return i;
  for (size_t i = 0; i < len; i++)
    h = (h ^ name[i]) * 16777619u;
  return h % spec_count;
}

/* The error field fields_check() writes for KEY: "/" and KEY cut to 70 bytes at a character boundary. */
static bool has_error_for(json_t *errors, const char *key) {
  char pointer[80];
  size_t len = strlen(key);
  if (len > 70) {
    len = 70;
    while (len > 0 && ((unsigned char)key[len] & 0xC0) == 0x80)
      len--;
  }
  snprintf(pointer, sizeof pointer, "/%.*s", (int)len, key);
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    const char *field = json_string_value(json_object_get(e, "field"));
    if (field != NULL && strcmp(field, pointer) == 0)
      return true;
  }
  return false;
}

static void check_value(const struct field_spec *f, json_t *v, const struct field_value *out) {
  if (json_is_null(v)) {
    FUZZ_CHECK(f->flags & FIELD_NULLABLE, "%s: null accepted", f->name);
    FUZZ_CHECK(out->null, "%s: null not reported", f->name);
    return;
  }
  switch (f->type) {
  case FIELD_ANY: return;
  case FIELD_BOOL: FUZZ_CHECK(json_is_boolean(v) && out->b == json_is_true(v), "%s", f->name); return;
  case FIELD_INT:
    FUZZ_CHECK(json_is_integer(v) && out->i == json_integer_value(v) && out->i >= f->min && out->i <= f->max, "%s",
               f->name);
    return;
  default: break;
  }
  FUZZ_CHECK(json_is_string(v) && out->s == json_string_value(v), "%s: not the document's string", f->name);
  FUZZ_CHECK(strlen(out->s) == json_string_length(v), "%s: a string with a NUL was accepted", f->name);
  switch (f->type) {
  case FIELD_UUID: FUZZ_CHECK(valid_uuid(out->s), "%s", f->name); return;
  case FIELD_DATE: FUZZ_CHECK(valid_date(out->s), "%s", f->name); return;
  case FIELD_ENUM: {
    size_t i = 0;
    while (f->values[i] != NULL && strcmp(f->values[i], out->s) != 0)
      i++;
    FUZZ_CHECK(f->values[i] != NULL, "%s: %s is not a value of the enumeration", f->name, out->s);
    return;
  }
  default: {
    size_t n = utf8_length(out->s);
    FUZZ_CHECK((long long)n >= f->min && (long long)n <= f->max, "%s: %zu characters", f->name, n);
    FUZZ_CHECK(valid_text(out->s, f->type == FIELD_TEXT), "%s: control characters accepted", f->name);
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t name_len = nl != NULL ? (size_t)(nl - data) : 0;
  const uint8_t *body = nl != NULL ? nl + 1 : data;
  size_t body_len = size - (size_t)(body - data);
  size_t which = spec_named(data, name_len);
  const struct field_spec *spec = specs[which].fields;
  size_t n = specs[which].count;

  /* As src/http/context.c parses a body: duplicates refused, no NUL in strings. */
  json_error_t jerr;
  json_t *obj = json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (obj == NULL) {
    FUZZ_CHECK(jerr.text[0] != '\0', "a refused body without a reason");
    return 0;
  }
  if (!json_is_object(obj)) {
    json_decref(obj);
    return 0;
  }
  struct field_value *out = calloc(n, sizeof *out);
  json_t *errors = json_array();
  FUZZ_CHECK(out != NULL && errors != NULL, "out of memory");
  bool ok = fields_check(obj, spec, n, out, errors);

  /* The verdict and the errors agree; each error names a field and says why; the 422 can be written. */
  FUZZ_CHECK(ok == (json_array_size(errors) == 0), "%s: ok %d with %zu errors", specs[which].name, ok,
             json_array_size(errors));
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *reason = json_string_value(json_object_get(e, "reason"));
    FUZZ_CHECK(field != NULL && field[0] == '/' && reason != NULL && reason[0] != '\0', "a malformed error");
  }
  char *text = json_dumps(errors, JSON_COMPACT);
  FUZZ_CHECK(text != NULL, "the errors cannot be written");
  free(text);

  /* Every unknown, fixed or missing required field is named; every field accepted holds a valid value. */
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    size_t k = 0;
    while (k < n && strcmp(spec[k].name, key) != 0)
      k++;
    if (k == n || (spec[k].flags & FIELD_FIXED))
      FUZZ_CHECK(has_error_for(errors, key), "%s: field \"%s\" refused without an error", specs[which].name, key);
    else
      FUZZ_CHECK(out[k].present, "%s: %s not marked present", specs[which].name, key);
  }
  for (size_t k = 0; k < n; k++) {
    json_t *v = json_object_get(obj, spec[k].name);
    if (v == NULL) {
      FUZZ_CHECK(!out[k].present, "%s: absent but present", spec[k].name);
      if (spec[k].flags & FIELD_REQUIRED)
        FUZZ_CHECK(has_error_for(errors, spec[k].name), "required %s missing without an error", spec[k].name);
    } else if (ok && !(spec[k].flags & FIELD_FIXED)) {
      check_value(&spec[k], v, &out[k]);
    }
  }
  json_decref(errors);
  free(out);
  json_decref(obj);
  return 0;
}
