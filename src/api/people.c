/* /v1/people: the people (usagers) the commission follows, and their care notes.
 * The coordinator sees the whole commission; a caregiver the people its care team follows; a curator the people
 * its service protects (never their care notes). Landlords and observers never see a person. A person outside
 * the caller's scope answers 404 exactly like one that does not exist. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "validate.h"

static const char *const protections[] = {"none",    "sauvegarde_de_justice", "curatelle_simple", "curatelle_renforcee",
                                          "tutelle", NULL};

/* The person's fields in the order of the queries' parameters (db_person_insert, db_person_update). */
enum {
  F_FAMILY,
  F_GIVEN,
  F_BIRTH,
  F_PHONE,
  F_EMAIL,
  F_ADDRESS,
  F_CARE_TEAM,
  F_PROTECTION,
  F_CURATOR,
  F_START,
  F_END,
  F_CONFIRM, /* creation only */
  PERSON_FIELDS = F_CONFIRM,
};

static const struct field_spec create_spec[] = {
  [F_FAMILY] = {"family_name", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_GIVEN] = {"given_names", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
  [F_BIRTH] = {"birth_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_CARE_TEAM] = {"care_team_id", FIELD_UUID, 0, 0, 0, NULL},
  [F_PROTECTION] = {"protection", FIELD_ENUM, 0, 0, 0, protections},
  [F_CURATOR] = {"curator_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_START] = {"protection_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_END] = {"protection_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_CONFIRM] = {"confirm_duplicate", FIELD_BOOL, 0, 0, 0, NULL},
};

static const struct field_spec update_spec[] = {
  [F_FAMILY] = {"family_name", FIELD_STRING, 0, 1, 100, NULL},
  [F_GIVEN] = {"given_names", FIELD_STRING, 0, 1, 100, NULL},
  [F_BIRTH] = {"birth_date", FIELD_DATE, 0, 0, 0, NULL},
  [F_PHONE] = {"phone", FIELD_STRING, FIELD_NULLABLE, 0, 40, NULL},
  [F_EMAIL] = {"email", FIELD_EMAIL, FIELD_NULLABLE, 0, 254, NULL},
  [F_ADDRESS] = {"address", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
  [F_CARE_TEAM] = {"care_team_id", FIELD_UUID, 0, 0, 0, NULL},
  [F_PROTECTION] = {"protection", FIELD_ENUM, 0, 0, 0, protections},
  [F_CURATOR] = {"curator_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_START] = {"protection_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
  [F_END] = {"protection_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

enum { N_BODY };

static const struct field_spec note_spec[] = {
  [N_BODY] = {"body", FIELD_TEXT, FIELD_REQUIRED, 1, 20000, NULL},
};

/* Columns of a person row (src/db/people.c): the fields above are columns 1..11. */
enum { C_ID, C_VERSION = 12, C_CREATED, C_UPDATED };

/* Row ROW of RES as the API's Person; *VERSION gets its version. */
static json_t *person_json(const PGresult *res, int row, long *version) {
  if (version != NULL)
    *version = strtol(PQgetvalue(res, row, C_VERSION), NULL, 10);
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                   row_string(res, row, C_ID), "family_name", row_string(res, row, 1 + F_FAMILY), "given_names",
                   row_string(res, row, 1 + F_GIVEN), "birth_date", row_string(res, row, 1 + F_BIRTH), "phone",
                   row_string(res, row, 1 + F_PHONE), "email", row_string(res, row, 1 + F_EMAIL), "address",
                   row_string(res, row, 1 + F_ADDRESS), "care_team_id", row_string(res, row, 1 + F_CARE_TEAM),
                   "protection", row_string(res, row, 1 + F_PROTECTION), "curator_org_id",
                   row_string(res, row, 1 + F_CURATOR), "protection_start", row_string(res, row, 1 + F_START),
                   "protection_end", row_string(res, row, 1 + F_END), "version", row_int(res, row, C_VERSION),
                   "created_at", row_string(res, row, C_CREATED), "updated_at", row_string(res, row, C_UPDATED));
}

/* Row ROW of RES as the API's CareNote. */
static json_t *note_json(const PGresult *res, int row) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, 0), "person_id", row_string(res, row, 1),
                   "body", row_string(res, row, 2), "author_role", row_string(res, row, 3), "created_at",
                   row_string(res, row, 4));
}

/* What the caller may do with RESOURCE; refuses (403, queued) a role that may never do ACTION. */
static bool allowed(struct request *rq, enum resource resource, enum action action, struct access *a,
                    enum MHD_Result *ret) {
  *a = access_decide(&rq->principal, resource, action);
  if (a->kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN,
                       resource == RES_CARE_NOTE
                         ? "Care notes are for the coordinator and the person's care team only."
                         : "This role has no access to people.");
  return false;
}

static void add_error(json_t *errors, const char *field, const char *reason) {
  json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason", reason));
}

/* Today's date (UTC) as YYYY-MM-DD. */
static void today(char out[11]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Well-formed UTF-8 (query parameters arrive percent-decoded, unchecked). */
static bool valid_utf8(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  while (*u != '\0') {
    int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || (n == 1 && *u < 0xC2) || (n == 3 && *u > 0xF4))
      return false;
    unsigned int cp = *u & (0x7F >> n);
    for (int i = 1; i <= n; i++) {
      if ((u[i] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (u[i] & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    u += n + 1;
  }
  return true;
}

static bool same_id(const char *a, const char *b) { return a != NULL && b != NULL && strcasecmp(a, b) == 0; }

/* A person's values as stored or about to be: NULL for SQL NULL. */
struct person_values {
  const char *f[PERSON_FIELDS];
};

/* The rules a person's values must satisfy whoever writes them, and the limits of the caller's role. SENT
 * says which fields the request named (on a creation, all it sent; on an update, what it changes); CURRENT is
 * NULL on a creation, else the stored values. Appends to ERRORS. */
static void check_rules(const struct principal *p, const struct person_values *v, const struct person_values *current,
                        const struct field_value *sent, json_t *errors) {
  char day[11];
  today(day);
  if (sent[F_BIRTH].present && v->f[F_BIRTH] != NULL && strcmp(v->f[F_BIRTH], day) > 0)
    add_error(errors, "/birth_date", "must not be in the future");
  if (v->f[F_START] != NULL && v->f[F_END] != NULL && strcmp(v->f[F_END], v->f[F_START]) < 0)
    add_error(errors, sent[F_END].present ? "/protection_end" : "/protection_start",
              "protection_end must not be before protection_start");
  bool is_protected = strcmp(v->f[F_PROTECTION], "none") != 0;
  if (is_protected && v->f[F_CURATOR] == NULL)
    add_error(errors, "/curator_org_id", "is required when protection is not none");
  else if (!is_protected && v->f[F_CURATOR] != NULL)
    add_error(errors, "/curator_org_id", "must be null when protection is none");
  if (p->role == ROLE_CAREGIVER) {
    if (!same_id(v->f[F_CARE_TEAM], p->scope_org_id))
      add_error(errors, "/care_team_id", "a caregiver can only name its own care team");
  } else if (p->role == ROLE_CURATOR) {
    if (current == NULL) {
      if (v->f[F_CURATOR] != NULL && !same_id(v->f[F_CURATOR], p->scope_org_id))
        add_error(errors, "/curator_org_id", "a curator can only name its own service");
    } else {
      if (sent[F_CARE_TEAM].present && !same_id(v->f[F_CARE_TEAM], current->f[F_CARE_TEAM]))
        add_error(errors, "/care_team_id", "a curator cannot change the care team");
      if (sent[F_CURATOR].present && !same_id(v->f[F_CURATOR], current->f[F_CURATOR]))
        add_error(errors, "/curator_org_id", "a curator cannot change the curator service");
    }
    if (!is_protected)
      add_error(errors, "/protection", "the people of a curator's service have a protection measure");
  }
}

/* The rules an update breaks whatever the stored record (checked before If-Match, as the other body checks):
 * on the members V sent alone. check_rules() then checks the merged record. Appends to ERRORS. */
static void check_update_body(const struct principal *p, const struct field_value *v, json_t *errors) {
  char day[11];
  today(day);
  const char *start = v[F_START].present && !v[F_START].null ? v[F_START].s : NULL;
  const char *end = v[F_END].present && !v[F_END].null ? v[F_END].s : NULL;
  const char *curator = v[F_CURATOR].present && !v[F_CURATOR].null ? v[F_CURATOR].s : NULL;
  if (v[F_BIRTH].present && strcmp(v[F_BIRTH].s, day) > 0)
    add_error(errors, "/birth_date", "must not be in the future");
  if (start != NULL && end != NULL && strcmp(end, start) < 0)
    add_error(errors, "/protection_end", "protection_end must not be before protection_start");
  bool none = v[F_PROTECTION].present && strcmp(v[F_PROTECTION].s, "none") == 0;
  if (v[F_PROTECTION].present && v[F_CURATOR].present && !none && curator == NULL)
    add_error(errors, "/curator_org_id", "is required when protection is not none");
  else if (none && curator != NULL)
    add_error(errors, "/curator_org_id", "must be null when protection is none");
  if (p->role == ROLE_CAREGIVER && v[F_CARE_TEAM].present && !same_id(v[F_CARE_TEAM].s, p->scope_org_id))
    add_error(errors, "/care_team_id", "a caregiver can only name its own care team");
  if (p->role == ROLE_CURATOR) {
    if (v[F_CURATOR].present && !same_id(curator, p->scope_org_id))
      add_error(errors, "/curator_org_id", "a curator cannot change the curator service");
    if (none)
      add_error(errors, "/protection", "the people of a curator's service have a protection measure");
  }
}

/* In the open transaction: the organisation ID must be of KIND in the commission; else appends an error naming
 * FIELD to ERRORS. */
static enum db_status check_org(struct db *db, const char *commission_id, const char *id, const char *kind,
                                const char *field, const char *reason, json_t *errors) {
  char found[32];
  enum db_status s = db_organisation_kind(db, commission_id, id, found);
  if (s < 0)
    return s;
  if (s == DB_NO_ROW || strcmp(found, kind) != 0)
    add_error(errors, field, reason);
  return DB_ROW;
}

static enum db_status check_orgs(struct db *db, const char *commission_id, const struct person_values *v,
                                 const struct field_value *sent, bool creating, json_t *errors) {
  enum db_status s = DB_ROW;
  if ((creating || sent[F_CARE_TEAM].present) && v->f[F_CARE_TEAM] != NULL)
    s = check_org(db, commission_id, v->f[F_CARE_TEAM], "care_team", "/care_team_id",
                  "must be a care team (kind care_team) of this commission", errors);
  if (s >= 0 && (creating || sent[F_CURATOR].present) && v->f[F_CURATOR] != NULL)
    s = check_org(db, commission_id, v->f[F_CURATOR], "curator_service", "/curator_org_id",
                  "must be a curator service (kind curator_service) of this commission", errors);
  if (s < 0)
    json_array_clear(errors); /* the database failed: no refusal to report */
  return s;
}

/* A constraint of the people table that refused a write (SQLSTATE 23xxx: the C checks above should have caught
 * it, but a concurrent change may slip between), as the field it is about. */
static const char *constraint_field(const char *constraint) {
  static const struct {
    const char *fragment, *field;
  } map[] = {
    {"care_team", "/care_team_id"}, {"curator", "/curator_org_id"}, {"people_check1", "/protection_end"},
    {"people_check", "/curator_org_id"}, {"family_name", "/family_name"}, {"given_names", "/given_names"},
    {"phone", "/phone"}, {"email", "/email"}, {"address", "/address"}, {"protection", "/protection"},
  };
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strstr(constraint, map[i].fragment) != NULL)
      return map[i].field;
  return "/";
}

/* True when the failed write was refused by a constraint of the data (23514 check, 23503 reference): the
 * client's mistake, answered 422; anything else is the database's. */
static bool constraint_refused(struct db *db, json_t *errors) {
  const char *state = db_sqlstate(db);
  if (strcmp(state, "23514") != 0 && strcmp(state, "23503") != 0)
    return false;
  add_error(errors, constraint_field(db_constraint(db)), "is not consistent with the rest of the record");
  return true;
}

/* ---- GET /v1/people */

enum MHD_Result api_people_list(struct request *rq) {
  static const char *const query[] = {"q", "care_team_id", "limit", "cursor", NULL};
  enum MHD_Result ret;
  struct access a;
  if (!allowed(rq, RES_PERSON, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  const char *q = request_query(rq, "q");
  if (q != NULL) {
    size_t n = valid_utf8(q) ? utf8_length(q) : 0;
    if (n < 1 || n > 100 || !valid_text(q, false))
      return reply_field_problem(rq, ERR_INVALID_QUERY, "query:q", "must be 1 to 100 characters of one line");
  }
  const char *team = request_query(rq, "care_team_id");
  if (team != NULL && !valid_uuid(team))
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:care_team_id", "must be a UUID");
  static const enum cursor_key keys[] = {KEY_TEXT, KEY_TEXT, KEY_UUID};
  struct page page;
  if (!param_page(rq, &page, 3, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_person_list(rq->db, rq->principal.commission_id, access_scope_param(&a), access_org_param(&a),
                                    q, team, page.after, page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, person_json(res, i, NULL));
  return reply_page(rq, &page, res, items, (const int[]){1 + F_FAMILY, 1 + F_GIVEN, C_ID}, 3);
}

/* ---- POST /v1/people */

struct create_tx {
  struct request *rq;
  const struct access *access;
  struct field_value *v;
  struct person_values values;
  bool confirm;
  struct idempotency idem;
  json_t *errors;     /* a refusal for validation (the transaction is rolled back) */
  json_t *candidates; /* a refusal as a possible duplicate: the matches the caller may see */
  json_t *person;
  long version;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  json_decref(c->person);
  json_decref(c->candidates);
  json_array_clear(c->errors);
  c->person = c->candidates = NULL;
  /* validation-failed comes before idempotency-key-reused: the references first (a replay passes them too). */
  const char *commission = c->rq->principal.commission_id;
  enum db_status s = check_orgs(db, commission, &c->values, c->v, true, c->errors);
  if (s < 0)
    return s;
  if (json_array_size(c->errors) > 0)
    return DB_HARD_ERROR; /* refused: roll back */
  s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  if (!c->confirm) {
    PGresult *res;
    s = db_person_duplicates(db, commission, c->values.f[F_FAMILY], c->values.f[F_GIVEN], c->values.f[F_BIRTH],
                             access_scope_param(c->access), access_org_param(c->access), &res);
    if (s < 0)
      return s;
    if (s == DB_ROW) {
      c->candidates = json_array();
      for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetvalue(res, i, 4)[0] != 't')
          continue; /* out of the caller's scope */
        json_array_append_new(c->candidates,
                              json_pack("{s:o, s:o, s:o, s:o}", "id", row_string(res, i, 0), "family_name",
                                        row_string(res, i, 1), "given_names", row_string(res, i, 2), "birth_date",
                                        row_string(res, i, 3)));
      }
      PQclear(res);
      /* Matches the caller may not see are not mentioned at all: that someone is followed by the sector must
       * not leak to another team. The coordinator, who sees every file, finds such duplicates. */
      if (json_array_size(c->candidates) > 0)
        return DB_HARD_ERROR; /* refused */
      json_decref(c->candidates);
      c->candidates = NULL;
    } else {
      PQclear(res);
    }
  }
  PGresult *res;
  s = db_person_insert(db, commission, c->values.f, &res);
  if (s < 0) {
    if (constraint_refused(db, c->errors))
      return DB_HARD_ERROR;
    return s;
  }
  c->person = person_json(res, 0, &c->version);
  snprintf(c->location, sizeof c->location, "/v1/people/%s", PQgetvalue(res, 0, C_ID));
  audit_created(c->rq, "people", PQgetvalue(res, 0, C_ID));
  PQclear(res);
  if (c->person == NULL)
    return DB_HARD_ERROR;
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, c->person);
}

static enum MHD_Result reply_duplicate(struct request *rq, json_t *candidates) {
  return reply_problem_with(rq, ERR_POSSIBLE_DUPLICATE,
                            "A person with the same names and birth date is already recorded (see candidates). Send "
                            "\"confirm_duplicate\": true to create a new record anyway.",
                            json_pack("{s:O}", "candidates", candidates));
}

enum MHD_Result api_people_create(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!allowed(rq, RES_PERSON, ACT_CREATE, &a, &ret) ||
      !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  struct create_tx c = {.rq = rq, .access = &a, .v = v, .confirm = v[F_CONFIRM].present && v[F_CONFIRM].b};
  for (int i = 0; i < PERSON_FIELDS; i++)
    c.values.f[i] = v[i].present && !v[i].null ? v[i].s : NULL;
  if (c.values.f[F_PROTECTION] == NULL)
    c.values.f[F_PROTECTION] = "none";
  /* A caregiver's person is followed by its own team unless it says otherwise (refused below). */
  if (c.values.f[F_CARE_TEAM] == NULL && rq->principal.role == ROLE_CAREGIVER)
    c.values.f[F_CARE_TEAM] = rq->principal.scope_org_id;
  c.errors = json_array();
  if (c.errors == NULL)
    return MHD_NO;
  if (c.values.f[F_CARE_TEAM] == NULL)
    add_error(c.errors, "/care_team_id", "is required");
  check_rules(&rq->principal, &c.values, NULL, v, c.errors);
  if (json_array_size(c.errors) > 0)
    return reply_validation(rq, c.errors);
  if (!idempotency_init(rq, &c.idem, &ret)) {
    json_decref(c.errors);
    return ret;
  }
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (json_array_size(c.errors) > 0) {
    ret = reply_validation(rq, c.errors);
    c.errors = NULL;
  } else if (c.candidates != NULL) {
    ret = reply_duplicate(rq, c.candidates);
  } else if (s < 0) {
    ret = reply_db_error(rq);
  } else if (c.idem.replay || c.idem.mismatch) {
    ret = idempotency_reply(rq, &c.idem);
  } else {
    ret = reply_versioned(rq, MHD_HTTP_CREATED, c.person, c.version, c.location);
    c.person = NULL;
  }
  json_decref(c.errors);
  json_decref(c.candidates);
  json_decref(c.person);
  idempotency_free(&c.idem);
  return ret;
}

/* ---- GET /v1/people/{id} */

enum MHD_Result api_people_get(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, RES_PERSON, ACT_READ, &a, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_person_get(rq->db, rq->principal.commission_id, id, access_scope_param(&a),
                                   access_org_param(&a), false, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  long version;
  json_t *person = person_json(res, 0, &version);
  PQclear(res);
  return reply_versioned(rq, MHD_HTTP_OK, person, version, NULL);
}

/* ---- PATCH /v1/people/{id} */

struct update_tx {
  struct request *rq;
  const struct access *access;
  const char *id;
  struct field_value *v;
  long if_match;
  enum error_code refusal; /* ERR__COUNT when none */
  json_t *errors;          /* a refusal for validation */
  json_t *person;
  long version;
};

static enum db_status update_body(struct db *db, void *cls) {
  struct update_tx *u = cls;
  json_decref(u->person);
  u->person = NULL;
  u->refusal = ERR__COUNT;
  json_array_clear(u->errors);
  const char *commission = u->rq->principal.commission_id;
  PGresult *cur;
  enum db_status s = db_person_get(db, commission, u->id, access_scope_param(u->access), access_org_param(u->access),
                                   true, &cur);
  if (s <= 0) {
    PQclear(cur);
    if (s == DB_NO_ROW)
      u->refusal = ERR_NOT_FOUND;
    return s;
  }
  if (!if_match_holds(u->rq, strtol(PQgetvalue(cur, 0, C_VERSION), NULL, 10))) {
    PQclear(cur);
    u->refusal = ERR_PRECONDITION_FAILED;
    return DB_NO_ROW;
  }
  /* Merge: a field sent replaces the stored one (null clears it); the others stay. */
  struct person_values stored, merged;
  for (int i = 0; i < PERSON_FIELDS; i++) {
    stored.f[i] = PQgetisnull(cur, 0, 1 + i) ? NULL : PQgetvalue(cur, 0, 1 + i);
    const struct field_value *fv = &u->v[i];
    merged.f[i] = !fv->present ? stored.f[i] : fv->null ? NULL : fv->s;
  }
  check_rules(&u->rq->principal, &merged, &stored, u->v, u->errors);
  if (json_array_size(u->errors) == 0)
    s = check_orgs(db, commission, &merged, u->v, false, u->errors);
  if (s >= 0 && json_array_size(u->errors) > 0)
    s = DB_HARD_ERROR; /* refused */
  PGresult *res = NULL;
  if (s >= 0) {
    s = db_person_update(db, commission, u->id, merged.f, &res);
    if (s < 0)
      constraint_refused(db, u->errors);
  }
  PQclear(cur);
  if (s < 0)
    return s;
  u->person = person_json(res, 0, &u->version);
  PQclear(res);
  return u->person ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_people_update(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  struct field_value v[FIELDS_COUNT(update_spec)];
  if (id == NULL || !allowed(rq, RES_PERSON, ACT_UPDATE, &a, &ret) ||
      !request_fields(rq, update_spec, FIELDS_COUNT(update_spec), v, &ret))
    return ret;
  struct update_tx u = {.rq = rq, .access = &a, .id = id, .v = v, .if_match = param_if_match(rq)};
  u.errors = json_array();
  if (u.errors == NULL)
    return MHD_NO;
  check_update_body(&rq->principal, v, u.errors);
  if (json_array_size(u.errors) > 0)
    return reply_validation(rq, u.errors);
  if (u.if_match < 0) {
    json_decref(u.errors);
    return reply_if_match_problem(rq, u.if_match);
  }
  enum db_status s = db_transaction(rq->db, update_body, &u);
  if (json_array_size(u.errors) > 0) {
    ret = reply_validation(rq, u.errors);
    u.errors = NULL;
  } else if (s < 0) {
    ret = reply_db_error(rq);
  } else if (u.refusal == ERR_NOT_FOUND) {
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  } else if (u.refusal == ERR_PRECONDITION_FAILED) {
    ret = reply_stale(rq, "person's record");
  } else {
    ret = reply_versioned(rq, MHD_HTTP_OK, u.person, u.version, NULL);
    u.person = NULL;
  }
  json_decref(u.errors);
  json_decref(u.person);
  return ret;
}

/* ---- GET /v1/people/{id}/care-notes */

enum MHD_Result api_care_notes_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  enum MHD_Result ret;
  struct access a;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, RES_CARE_NOTE, ACT_READ, &a, &ret) || !request_query_only(rq, query, &ret))
    return ret;
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  struct page page;
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_person_get(rq->db, rq->principal.commission_id, id, access_scope_param(&a),
                                   access_org_param(&a), false, &res);
  PQclear(res);
  if (s == DB_NO_ROW) {
    page_free(&page);
    return reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  }
  if (s >= 0)
    s = db_care_note_list(rq->db, rq->principal.commission_id, id, page.after[0], page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, note_json(res, i));
  return reply_page(rq, &page, res, items, (const int[]){5, 0}, 2);
}

/* ---- POST /v1/people/{id}/care-notes */

struct note_tx {
  struct request *rq;
  const struct access *access;
  const char *person_id;
  const char *body;
  struct idempotency idem;
  bool not_found;
  json_t *note;
};

static enum db_status note_body(struct db *db, void *cls) {
  struct note_tx *t = cls;
  json_decref(t->note);
  t->note = NULL;
  t->not_found = false;
  const struct principal *p = &t->rq->principal;
  const char *scope = access_scope_param(t->access), *org = access_org_param(t->access);
  /* not-found comes before idempotency-key-reused. */
  PGresult *res;
  enum db_status s = db_person_get(db, p->commission_id, t->person_id, scope, org, false, &res);
  PQclear(res);
  if (s == DB_NO_ROW) {
    t->not_found = true;
    return DB_HARD_ERROR; /* refused: roll back (the key is not kept) */
  }
  if (s < 0)
    return s;
  s = idempotency_claim(t->rq, &t->idem);
  if (s < 0 || t->idem.replay || t->idem.mismatch)
    return s;
  s = db_care_note_insert(db, p->commission_id, t->person_id, scope, org, t->body, p->token_id, role_name(p->role),
                          &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    t->not_found = true;
    return DB_HARD_ERROR; /* refused: roll back (the key is not kept) */
  }
  if (s < 0)
    return s;
  audit_created(t->rq, "care_notes", PQgetvalue(res, 0, 0));
  t->note = note_json(res, 0);
  PQclear(res);
  if (t->note == NULL)
    return DB_HARD_ERROR;
  return idempotency_record(t->rq, &t->idem, MHD_HTTP_CREATED, NULL, t->note);
}

enum MHD_Result api_care_notes_create(struct request *rq) {
  enum MHD_Result ret;
  struct access a;
  struct field_value v[FIELDS_COUNT(note_spec)];
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, RES_CARE_NOTE, ACT_CREATE, &a, &ret) ||
      !request_fields(rq, note_spec, FIELDS_COUNT(note_spec), v, &ret))
    return ret;
  struct note_tx t = {.rq = rq, .access = &a, .person_id = id, .body = v[N_BODY].s};
  if (!idempotency_init(rq, &t.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, note_body, &t);
  if (t.not_found)
    ret = reply_problem(rq, ERR_NOT_FOUND, "No such person.");
  else if (s < 0)
    ret = reply_db_error(rq);
  else if (t.idem.replay || t.idem.mismatch)
    ret = idempotency_reply(rq, &t.idem);
  else {
    ret = reply_json(rq, MHD_HTTP_CREATED, t.note, NULL);
    t.note = NULL;
  }
  json_decref(t.note);
  idempotency_free(&t.idem);
  return ret;
}
