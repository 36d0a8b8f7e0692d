/* Unit tests of the pure input checks and domain rules: no database, no network. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "access.h"
#include "errors.h"
#include "fields.h"
#include "schema.h"
#include "token.h"
#include "utf8.h"
#include "uuid.h"
#include "http_internal.h"
#include "validate.h"
#include "check.h"

/* The daemon's own ids: canonical, version 4 with the RFC's variant, lower case, and not twice the same. */
static void test_uuid_random(void) {
  char a[UUID_STR_LEN], b[UUID_STR_LEN];
  for (int i = 0; i < 1000; i++) {
    uuid_random(a);
    uuid_random(b);
    CHECK(valid_uuid(a) && valid_uuid(b));
    CHECK(a[14] == '4' && strchr("89ab", a[19]) != NULL);
    CHECK(strspn(a, "0123456789abcdef-") == 36);
    CHECK(strcmp(a, b) != 0);
  }
}

static void test_uuid_and_dates(void) {
  CHECK(valid_uuid("2d5f5229-4b86-43bd-b1c2-ef356140183c"));
  CHECK(valid_uuid("2D5F5229-4B86-43BD-B1C2-EF356140183C"));
  CHECK(!valid_uuid("2d5f5229-4b86-43bd-b1c2-ef356140183"));
  CHECK(!valid_uuid("2d5f5229x4b86-43bd-b1c2-ef356140183c"));
  CHECK(!valid_uuid("2d5f5229-4b86-43bd-b1c2-ef356140183g"));
  CHECK(!valid_uuid("' OR 1=1 --"));
  CHECK(!valid_uuid(""));
  CHECK(valid_date("2024-02-29"));
  CHECK(!valid_date("2023-02-29"));
  CHECK(valid_date("2000-02-29"));
  CHECK(!valid_date("1900-02-29"));
  CHECK(!valid_date("2024-13-01"));
  CHECK(!valid_date("2024-04-31"));
  CHECK(!valid_date("2024-4-30"));
  CHECK(!valid_date("1899-12-31"));
  CHECK(!valid_date("2024-01-01T00:00:00Z"));
  CHECK(valid_date_time("2024-02-29T23:59:59"));
  CHECK(valid_date_time("2026-11-23T17:01:01.277123Z")); /* what follows is the caller's */
  CHECK(!valid_date_time("2023-02-29T00:00:00"));
  CHECK(!valid_date_time("2024-01-01T24:00:00"));
  CHECK(!valid_date_time("2024-01-01T00:60:00"));
  CHECK(!valid_date_time("2024-01-01T00:00:60"));
  CHECK(!valid_date_time("2024-01-01 00:00:00"));
  CHECK(!valid_date_time("2024-01-01T00:00"));
  CHECK(!valid_date_time(""));
}

static void test_text(void) {
  CHECK(utf8_length("Hélène") == 6);
  CHECK(utf8_length("") == 0);
  CHECK(valid_text("Résidence André Breton", false));
  CHECK(!valid_text("a\nb", false));
  CHECK(valid_text("a\nb\tc", true));
  CHECK(!valid_text("a\x01", true));
  CHECK(valid_email("coordination@clsm.fr"));
  CHECK(!valid_email("coordination"));
  CHECK(!valid_email("@clsm.fr"));
  CHECK(!valid_email("a b@clsm.fr"));
  CHECK(!valid_email("a@b@c"));
  CHECK(valid_idempotency_key("retry-1"));
  CHECK(!valid_idempotency_key(""));
  CHECK(!valid_idempotency_key("has space"));
  char long_key[202];
  memset(long_key, 'k', 201);
  long_key[201] = '\0';
  CHECK(!valid_idempotency_key(long_key));
  long_key[200] = '\0';
  CHECK(valid_idempotency_key(long_key));
}

static void test_tokens(void) {
  char token[TOKEN_LEN + 1], selector[TOKEN_SELECTOR_LEN + 1], parsed[TOKEN_SELECTOR_LEN + 1];
  token_generate(token, selector);
  CHECK(strlen(token) == TOKEN_LEN);
  CHECK(strncmp(token, "cd_", 3) == 0);
  CHECK(token_parse(token, strlen(token), parsed));
  CHECK(strcmp(parsed, selector) == 0);
  char other[TOKEN_LEN + 1], other_sel[TOKEN_SELECTOR_LEN + 1];
  token_generate(other, other_sel);
  CHECK(strcmp(token, other) != 0); /* 352 random bits: never equal */
  unsigned char h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
  token_hash(token, TOKEN_LEN, h1);
  token_hash(token, TOKEN_LEN, h2);
  CHECK(memcmp(h1, h2, sizeof h1) == 0);
  token[TOKEN_LEN - 1] = token[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
  token_hash(token, TOKEN_LEN, h2);
  CHECK(memcmp(h1, h2, sizeof h1) != 0);
  CHECK(!token_parse(token, TOKEN_LEN - 1, parsed));
  CHECK(!token_parse("xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", TOKEN_LEN, parsed));
  token[10] = '+';
  CHECK(!token_parse(token, TOKEN_LEN, parsed));
}

static void test_roles_and_access(void) {
  CHECK(role_parse("coordinator") == ROLE_COORDINATOR);
  CHECK(role_parse("landlord") == ROLE_LANDLORD);
  CHECK(role_parse("admin") == ROLE_NONE);
  CHECK(role_parse(NULL) == ROLE_NONE);
  CHECK(strcmp(role_name(ROLE_CURATOR), "curator") == 0);
  CHECK(role_needs_scope(ROLE_CAREGIVER) && role_needs_scope(ROLE_CURATOR) && role_needs_scope(ROLE_LANDLORD));
  CHECK(!role_needs_scope(ROLE_COORDINATOR) && !role_needs_scope(ROLE_OBSERVER));
  CHECK(strcmp(role_scope_kind(ROLE_CAREGIVER), "care_team") == 0);
  struct principal p = {.commission_id = "c", .role = ROLE_LANDLORD, .scope_org_id = "o"};
  CHECK(access_decide(&p, RES_ORGANISATION, ACT_READ).kind == ACCESS_COMMISSION);
  CHECK(access_decide(&p, RES_ORGANISATION, ACT_CREATE).kind == ACCESS_DENY);
  CHECK(access_decide(&p, RES_TOKEN, ACT_READ).kind == ACCESS_DENY);
  p.role = ROLE_COORDINATOR;
  CHECK(access_decide(&p, RES_ORGANISATION, ACT_UPDATE).kind == ACCESS_COMMISSION);
  CHECK(access_decide(&p, RES_TOKEN, ACT_CREATE).kind == ACCESS_COMMISSION);
  CHECK(access_decide(&p, RES_PERSON, ACT_FORCE).kind == ACCESS_COMMISSION);
  CHECK(strcmp(access_scope_param(&(struct access){ACCESS_COMMISSION, REL_NONE, "c", NULL}), "all") == 0);
  p.role = ROLE_CAREGIVER;
  struct access a = access_decide(&p, RES_PERSON, ACT_READ);
  CHECK(a.kind == ACCESS_ORG && a.relation == REL_CARE_TEAM && strcmp(access_scope_param(&a), "care_team") == 0);
  CHECK(strcmp(access_org_param(&a), "o") == 0);
  CHECK(access_decide(&p, RES_SITUATION, ACT_READ).kind == ACCESS_ORG);
  CHECK(access_decide(&p, RES_APPLICATION, ACT_FORCE).kind == ACCESS_DENY);
  CHECK(access_decide(&p, RES_SESSION_WORK, ACT_UPDATE).kind == ACCESS_DENY);
  CHECK(access_decide(&p, RES_AGREEMENT, ACT_READ).kind == ACCESS_DENY);
  p.role = ROLE_CURATOR;
  a = access_decide(&p, RES_APPLICATION, ACT_CREATE);
  CHECK(a.kind == ACCESS_ORG && strcmp(access_scope_param(&a), "curator") == 0);
  CHECK(access_decide(&p, RES_CARE_NOTE, ACT_READ).kind == ACCESS_DENY); /* no care notes for curators */
  CHECK(access_decide(&p, RES_SITUATION, ACT_READ).kind == ACCESS_DENY);
  p.role = ROLE_LANDLORD;
  CHECK(access_decide(&p, RES_PERSON, ACT_READ).kind == ACCESS_DENY); /* no health information for landlords */
  a = access_decide(&p, RES_PERSON, ACT_READ);
  CHECK(strcmp(access_scope_param(&a), "none") == 0); /* a denied scope never reads as "all" */
  CHECK(access_org_param(&a) == NULL);
  CHECK(access_decide(&p, RES_APPLICATION, ACT_READ).kind == ACCESS_DENY);
  a = access_decide(&p, RES_UNIT, ACT_READ);
  CHECK(a.kind == ACCESS_ORG && strcmp(access_scope_param(&a), "landlord") == 0);
  CHECK(access_decide(&p, RES_UNIT, ACT_UPDATE).kind == ACCESS_DENY);
  p.role = ROLE_OBSERVER;
  CHECK(access_decide(&p, RES_PERSON, ACT_READ).kind == ACCESS_DENY);
  CHECK(access_decide(&p, RES_UNIT, ACT_READ).kind == ACCESS_DENY);
  CHECK(access_decide(&p, RES_SESSION, ACT_READ).kind == ACCESS_COMMISSION);
  p.role = ROLE_NONE;
  CHECK(access_decide(&p, RES_ORGANISATION, ACT_READ).kind == ACCESS_DENY);
}

static void test_error_registry(void) {
  for (int c = 0; c < ERR__COUNT; c++) {
    const struct error_info *e = error_info((enum error_code)c);
    CHECK(e->name != NULL && e->title != NULL);
    CHECK(e->http_status >= 400 && e->http_status < 600);
    for (int d = 0; d < c; d++)
      CHECK(strcmp(e->name, error_info((enum error_code)d)->name) != 0);
  }
  CHECK(error_info(ERR_NOT_FOUND)->http_status == 404);
  CHECK(error_info(ERR_PRECONDITION_FAILED)->http_status == 412);
  CHECK(error_info((enum error_code)999)->http_status == 500);
}

static void test_fields(void) {
  static const char *const kinds[] = {"a", "b", NULL};
  static const struct field_spec spec[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED, 1, 5, NULL},
    {"kind", FIELD_ENUM, FIELD_REQUIRED, 0, 0, kinds},
    {"n", FIELD_INT, 0, 0, 10, NULL},
    {"note", FIELD_TEXT, FIELD_NULLABLE, 0, 20, NULL},
    {"when", FIELD_DATE, 0, 0, 0, NULL},
    {"fixed", FIELD_STRING, FIELD_FIXED, 0, 10, NULL},
  };
  struct field_value v[6];
  json_t *errors = json_array();
  json_t *ok = json_loads("{\"name\":\"Zoé\",\"kind\":\"b\",\"n\":3,\"note\":null,\"when\":\"2026-01-31\"}", 0, NULL);
  CHECK(fields_check(ok, spec, 6, v, errors));
  CHECK(json_array_size(errors) == 0);
  CHECK(v[0].present && strcmp(v[0].s, "Zoé") == 0);
  CHECK(v[2].i == 3);
  CHECK(v[3].present && v[3].null);
  CHECK(!v[5].present);
  json_t *bad = json_loads("{\"name\":\"toolong\",\"kind\":\"c\",\"n\":11,\"when\":\"2026-02-30\",\"x\":1,"
                           "\"fixed\":\"f\"}", 0, NULL);
  CHECK(!fields_check(bad, spec, 6, v, errors));
  CHECK(json_array_size(errors) == 6);
  const char *expected[] = {"/name", "/kind", "/n", "/when", "/x", "/fixed"};
  for (size_t i = 0; i < 6; i++) {
    bool found = false;
    for (size_t j = 0; j < json_array_size(errors); j++)
      found |= strcmp(json_string_value(json_object_get(json_array_get(errors, j), "field")), expected[i]) == 0;
    CHECK(found);
  }
  json_array_clear(errors);
  json_t *missing = json_loads("{\"n\":\"3\"}", 0, NULL);
  CHECK(!fields_check(missing, spec, 6, v, errors));
  CHECK(json_array_size(errors) == 3); /* n has the wrong type, name and kind are missing */
  json_decref(ok);
  json_decref(bad);
  json_decref(missing);
  json_decref(errors);
}

/* The build's SCHEMA_VERSION is the number of the last migration file. */
static void test_schema_version_matches_migrations(void) {
  const char *dir = getenv("COMMISSIOND_MIGRATIONS");
  CHECK(dir != NULL);
  if (dir == NULL)
    return;
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  if (d == NULL)
    return;
  int highest = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strlen(e->d_name) > 9 && e->d_name[4] == '-' && strstr(e->d_name, ".sql") != NULL) {
      int v = atoi(e->d_name);
      if (v > highest)
        highest = v;
    }
  closedir(d);
  CHECK(highest == SCHEMA_VERSION);
}

static void test_utf8(void) {
  CHECK(utf8_valid("", 0));
  CHECK(utf8_valid("\xC3\x89vry", 5));
  CHECK(utf8_valid("\xF0\x9F\x98\x80", 4));
  CHECK(!utf8_valid("\xFF", 1));
  CHECK(!utf8_valid("\xC3\x28", 2));     /* a lead byte without its continuation */
  CHECK(!utf8_valid("\xC0\xAF", 2));     /* overlong "/" */
  CHECK(!utf8_valid("\xE0\x80\xAF", 3)); /* overlong */
  CHECK(!utf8_valid("\xED\xA0\x80", 3)); /* a surrogate, U+D800 */
  CHECK(!utf8_valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
  CHECK(!utf8_valid("\xE2\x82", 2));     /* cut */
  char out[16];
  CHECK(strcmp(utf8_sanitize("a\xFF" "b", out, sizeof out), "a\xEF\xBF\xBD" "b") == 0);
  CHECK(strcmp(utf8_sanitize("\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89", out, sizeof out),
               "\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89\xC3\x89") == 0); /* cut between characters */
}

/* The member named for a body jansson refuses at the position it reports. */
static void test_json_error_pointer(void) {
  static const struct { const char *body; const char *pointer; } cases[] = {
    {"{\"name\": \"a\\u0000b\"}", "/name"},
    {"{\"kind\": \"x\", \"name\": \"\\ud800\"}", "/name"},
    {"{\"n\": 9223372036854775808}", "/n"},
    {"{\"a\": [1, {\"b\": \"\\ud800\"}]}", "/a/1/b"},
    {"{\"a/b~c\": \"\\u0000\"}", "/a~1b~0c"},
    {"{\"\\u00e9t\\u00e9\": [[0, 99999999999999999999]]}", "/\xC3\xA9t\xC3\xA9/0/1"},
    {"{\"x\": 1, \"bad\\u0000key\": 2}", ""},
    {"{", ""},
    {"[1, 2, \"\\udc00\"]", "/2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    json_error_t jerr;
    json_t *doc = json_loads(cases[i].body, JSON_REJECT_DUPLICATES, &jerr);
    CHECK(doc == NULL);
    json_decref(doc);
    char pointer[128];
    json_error_pointer(cases[i].body, strlen(cases[i].body), (size_t)jerr.position, pointer, sizeof pointer);
    CHECK(strcmp(pointer, cases[i].pointer) == 0);
    if (strcmp(pointer, cases[i].pointer) != 0)
      fprintf(stderr, "  %s: got %s, expected %s (position %d)\n", cases[i].body, pointer, cases[i].pointer,
              jerr.position);
  }
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  test_uuid_and_dates();
  test_uuid_random();
  test_text();
  test_tokens();
  test_roles_and_access();
  test_error_registry();
  test_fields();
  test_schema_version_matches_migrations();
  test_utf8();
  test_json_error_pointer();
  return check_exit();
}
