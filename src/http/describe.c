/* `commissiond --describe`: the route table as JSON, for tests/spec to compare with api/openapi.yaml and
 * tests/http/access_matrix.tsv, and for whoever reads the code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "fields.h"
#include "http.h"

static const char *const type_names[] = {
  [FIELD_STRING] = "string", [FIELD_TEXT] = "text", [FIELD_EMAIL] = "email", [FIELD_BOOL] = "boolean",
  [FIELD_INT] = "integer",   [FIELD_UUID] = "uuid", [FIELD_DATE] = "date",   [FIELD_ENUM] = "enum",
  [FIELD_ANY] = "any",
};

static json_t *field_json(const struct field_spec *f) {
  json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b}", "name", f->name, "type", type_names[f->type], "required",
                        (f->flags & FIELD_REQUIRED) != 0, "nullable", (f->flags & FIELD_NULLABLE) != 0, "fixed",
                        (f->flags & FIELD_FIXED) != 0);
  if (o == NULL)
    return NULL;
  if (f->type == FIELD_STRING || f->type == FIELD_TEXT || f->type == FIELD_EMAIL || f->type == FIELD_INT) {
    json_object_set_new(o, "min", json_integer(f->min));
    json_object_set_new(o, "max", json_integer(f->max));
  }
  if (f->type == FIELD_ENUM && f->values != NULL) {
    json_t *values = json_array();
    for (size_t i = 0; f->values[i] != NULL; i++)
      json_array_append_new(values, json_string(f->values[i]));
    json_object_set_new(o, "values", values);
  }
  return o;
}

/* What each role gets from the route's access: "deny", "commission" (the whole commission) or "organisation"
 * (what relates to the token's organisation). */
static json_t *access_json(const struct route *r) {
  static const enum role roles[] = {ROLE_COORDINATOR, ROLE_CAREGIVER, ROLE_CURATOR, ROLE_LANDLORD, ROLE_OBSERVER};
  json_t *o = json_object();
  for (size_t i = 0; o != NULL && i < sizeof roles / sizeof *roles; i++) {
    const char *what = "commission";
    if (r->flags & ROUTE_PUBLIC)
      what = "public";
    else if (r->access.forbidden != NULL) {
      struct principal p = {.role = roles[i], .commission_id = "c", .scope_org_id = "o"};
      struct access a = access_decide(&p, r->access.resource, r->access.action);
      what = a.kind == ACCESS_DENY ? "deny" : a.kind == ACCESS_ORG ? "organisation" : "commission";
    }
    json_object_set_new(o, role_name(roles[i]), json_string(what));
  }
  return o;
}

int http_describe(FILE *out) {
  json_t *routes = json_array();
  for (const struct route *r = http_routes; routes != NULL && r->method != NULL; r++) {
    json_t *fields = json_null();
    if (r->body != NULL) {
      fields = json_array();
      for (size_t i = 0; fields != NULL && i < r->body->count; i++)
        if (json_array_append_new(fields, field_json(&r->body->fields[i])) != 0) {
          json_decref(fields);
          fields = NULL;
        }
    }
    /* Writes are always recorded; reads unless they show no personal data (ROUTE_NO_AUDIT). */
    bool audited = !(r->flags & ROUTE_PUBLIC) && (!(r->flags & ROUTE_NO_AUDIT) || strcmp(r->method, "GET") != 0);
    json_t *route = json_pack("{s:s, s:s, s:o, s:o*, s:s?, s:b, s:b}", "method", r->method, "path", r->pattern,
                              "access", access_json(r), "body", fields, "audit_type", r->audit_type, "audited",
                              audited, "json_body", (r->flags & (ROUTE_JSON_BODY | ROUTE_JSON_OPTIONAL)) != 0);
    if (route == NULL || json_array_append_new(routes, route) != 0) {
      json_decref(routes);
      routes = NULL;
    }
  }
  if (routes == NULL)
    return -1;
  int rc = json_dumpf(routes, out, JSON_INDENT(1)) == 0 && fputc('\n', out) != EOF ? 0 : -1;
  json_decref(routes);
  return rc;
}
