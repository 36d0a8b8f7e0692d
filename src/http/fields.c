/* Declarative JSON body validation (see include/fields.h). */
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "validate.h"

static void add_error(json_t *errors, const char *name, const char *reason) {
  char pointer[96];
  snprintf(pointer, sizeof pointer, "/%s", name);
  json_array_append_new(errors, json_pack("{s:s, s:s}", "field", pointer, "reason", reason));
}

static bool check_one(const struct field_spec *f, json_t *v, struct field_value *out, json_t *errors) {
  char reason[160];
  if (json_is_null(v)) {
    if (!(f->flags & FIELD_NULLABLE)) {
      add_error(errors, f->name, "must not be null");
      return false;
    }
    out->null = true;
    return true;
  }
  switch (f->type) {
  case FIELD_ANY:
    return true;
  case FIELD_BOOL:
    if (!json_is_boolean(v)) {
      add_error(errors, f->name, "must be a boolean");
      return false;
    }
    out->b = json_is_true(v);
    return true;
  case FIELD_INT:
    if (!json_is_integer(v)) {
      add_error(errors, f->name, "must be an integer");
      return false;
    }
    out->i = json_integer_value(v);
    if (out->i < f->min || out->i > f->max) {
      snprintf(reason, sizeof reason, "must be between %lld and %lld", f->min, f->max);
      add_error(errors, f->name, reason);
      return false;
    }
    return true;
  default:
    break;
  }
  if (!json_is_string(v)) {
    add_error(errors, f->name, "must be a string");
    return false;
  }
  out->s = json_string_value(v);
  switch (f->type) {
  case FIELD_UUID:
    if (!valid_uuid(out->s)) {
      add_error(errors, f->name, "must be a UUID");
      return false;
    }
    return true;
  case FIELD_DATE:
    if (!valid_date(out->s)) {
      add_error(errors, f->name, "must be a date YYYY-MM-DD");
      return false;
    }
    return true;
  case FIELD_ENUM:
    for (size_t i = 0; f->values[i] != NULL; i++)
      if (strcmp(out->s, f->values[i]) == 0)
        return true;
    {
      size_t used = (size_t)snprintf(reason, sizeof reason, "must be one of:");
      for (size_t i = 0; f->values[i] != NULL && used < sizeof reason; i++)
        used += (size_t)snprintf(reason + used, sizeof reason - used, "%s %s", i ? "," : "", f->values[i]);
    }
    add_error(errors, f->name, reason);
    return false;
  default: {
    size_t len = utf8_length(out->s);
    if ((long long)len < f->min || (long long)len > f->max) {
      snprintf(reason, sizeof reason, "must be %lld to %lld characters long", f->min, f->max);
      add_error(errors, f->name, reason);
      return false;
    }
    if (!valid_text(out->s, f->type == FIELD_TEXT)) {
      add_error(errors, f->name, "must not contain control characters");
      return false;
    }
    if (f->type == FIELD_EMAIL && !valid_email(out->s)) {
      add_error(errors, f->name, "must be an email address");
      return false;
    }
    return true;
  }
  }
}

bool fields_check(json_t *obj, const struct field_spec *spec, size_t n, struct field_value *out, json_t *errors) {
  size_t before = json_array_size(errors);
  memset(out, 0, n * sizeof *out);
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    size_t i = 0;
    while (i < n && strcmp(spec[i].name, key) != 0)
      i++;
    if (i == n) {
      /* Named in the error, cut to 70 bytes at a character boundary (the key is valid UTF-8). */
      char name[80];
      size_t len = strlen(key);
      if (len > 70) {
        len = 70;
        while (len > 0 && ((unsigned char)key[len] & 0xC0) == 0x80)
          len--;
      }
      memcpy(name, key, len);
      name[len] = '\0';
      add_error(errors, name, "unknown field");
      continue;
    }
    if (spec[i].flags & FIELD_FIXED) {
      add_error(errors, spec[i].name, "cannot be changed");
      continue;
    }
    out[i].present = true;
    check_one(&spec[i], value, &out[i], errors);
  }
  for (size_t i = 0; i < n; i++)
    if ((spec[i].flags & FIELD_REQUIRED) && !out[i].present && json_object_get(obj, spec[i].name) == NULL)
      add_error(errors, spec[i].name, "is required");
  return json_array_size(errors) == before;
}

bool request_fields(struct request *rq, const struct field_spec *spec, size_t n, struct field_value *out,
                    enum MHD_Result *ret) {
  json_t *errors = json_array();
  if (errors == NULL) {
    *ret = MHD_NO;
    return false;
  }
  if (fields_check(rq->json, spec, n, out, errors)) {
    json_decref(errors);
    return true;
  }
  *ret = reply_validation(rq, errors);
  return false;
}
