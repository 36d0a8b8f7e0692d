/* /v1/tokens: the coordinator issues, lists and revokes the commission's tokens. A new token's secret is in
 * the creation response only; an Idempotency-Key replay returns the record without it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "idempotency.h"
#include "params.h"
#include "queries.h"
#include "token.h"
#include "validate.h"

static const char *const roles[] = {"coordinator", "caregiver", "curator", "landlord", "observer", NULL};

enum { F_ROLE, F_SCOPE, F_LABEL, F_EXPIRES };

static const struct field_spec create_spec[] = {
  [F_ROLE] = {"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, roles},
  [F_SCOPE] = {"scope_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_LABEL] = {"label", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_EXPIRES] = {"expires_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

static json_t *token_json(const PGresult *res, int row) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", row_string(res, row, 0), "label",
                   row_string(res, row, 1), "role", row_string(res, row, 2), "scope_org_id",
                   row_string(res, row, 3), "created_at", row_string(res, row, 4), "expires_at",
                   row_string(res, row, 5), "last_used_at", row_string(res, row, 6), "revoked_at",
                   row_string(res, row, 7), "status", row_string(res, row, 8));
}

static bool allowed(struct request *rq, enum action action, enum MHD_Result *ret) {
  if (access_decide(&rq->principal, RES_TOKEN, action).kind != ACCESS_DENY)
    return true;
  *ret = reply_problem(rq, ERR_FORBIDDEN, "Only the coordinator manages tokens.");
  return false;
}

enum MHD_Result api_tokens_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!allowed(rq, ACT_READ, &ret) || !request_query_only(rq, query, &ret) || !param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s =
      db_token_list(rq->db, rq->principal.commission_id, page.after[0], page.after[1], page.limit, &res);
  if (s < 0) {
    page_free(&page);
    return reply_db_error(rq);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, token_json(res, i));
  return reply_page(rq, &page, res, items, (const int[]){9, 0}, 2);
}

struct create_tx {
  struct request *rq;
  struct field_value *v;
  struct idempotency idem;
  char token[TOKEN_LEN + 1];
  json_t *record;
  bool refused;
  char location[80];
};

static enum db_status create_body(struct db *db, void *cls) {
  struct create_tx *c = cls;
  json_decref(c->record);
  c->record = NULL;
  c->refused = false;
  enum db_status s = idempotency_claim(c->rq, &c->idem);
  if (s < 0 || c->idem.replay || c->idem.mismatch)
    return s;
  char selector[TOKEN_SELECTOR_LEN + 1], hash_hex[2 * TOKEN_HASH_BYTES + 1];
  unsigned char hash[TOKEN_HASH_BYTES];
  token_generate(c->token, selector);
  token_hash(c->token, TOKEN_LEN, hash);
  sodium_bin2hex(hash_hex, sizeof hash_hex, hash, sizeof hash);
  enum role role = role_parse(c->v[F_ROLE].s);
  const char *scope = c->v[F_SCOPE].present && !c->v[F_SCOPE].null ? c->v[F_SCOPE].s : NULL;
  const char *expires = c->v[F_EXPIRES].present && !c->v[F_EXPIRES].null ? c->v[F_EXPIRES].s : NULL;
  PGresult *res;
  s = db_token_insert(db, c->rq->principal.commission_id, role_name(role), scope, role_scope_kind(role),
                      c->v[F_LABEL].s, selector, hash_hex, expires, &res);
  if (s <= 0) {
    PQclear(res);
    c->refused = s == DB_NO_ROW;
    return s == DB_NO_ROW ? DB_REFUSED : s;
  }
  c->record = token_json(res, 0);
  snprintf(c->location, sizeof c->location, "/v1/tokens/%s", PQgetvalue(res, 0, 0));
  audit_created(c->rq, "tokens", PQgetvalue(res, 0, 0));
  PQclear(res);
  if (c->record == NULL)
    return DB_HARD_ERROR;
  /* The stored response never holds the secret. */
  return idempotency_record(c->rq, &c->idem, MHD_HTTP_CREATED, c->location, c->record);
}

enum MHD_Result api_tokens_create(struct request *rq) {
  enum MHD_Result ret;
  struct field_value v[FIELDS_COUNT(create_spec)];
  if (!allowed(rq, ACT_CREATE, &ret) || !request_fields(rq, create_spec, FIELDS_COUNT(create_spec), v, &ret))
    return ret;
  enum role role = role_parse(v[F_ROLE].s);
  bool has_scope = v[F_SCOPE].present && !v[F_SCOPE].null;
  if (role_needs_scope(role) && !has_scope)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/scope_org_id", "is required for this role");
  if (!role_needs_scope(role) && has_scope)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/scope_org_id", "must be null for this role");
  struct create_tx c = {.rq = rq, .v = v};
  if (!idempotency_init(rq, &c.idem, &ret))
    return ret;
  enum db_status s = db_transaction(rq->db, create_body, &c);
  if (s < 0 && s != DB_REFUSED) {
    ret = reply_db_error(rq);
  } else if (c.idem.replay || c.idem.mismatch) {
    ret = idempotency_reply(rq, &c.idem);
  } else if (c.refused) {
    ret = has_scope ? reply_field_problem(rq, ERR_VALIDATION_FAILED, "/scope_org_id",
                                          "must be an organisation of this commission of the kind the role needs "
                                          "(or expires_on is not in the future)")
                    : reply_field_problem(rq, ERR_VALIDATION_FAILED, "/expires_on", "must be a future date");
  } else {
    json_object_set_new(c.record, "token", json_string(c.token));
    const char *headers[] = {MHD_HTTP_HEADER_LOCATION, c.location, NULL};
    ret = reply_json(rq, MHD_HTTP_CREATED, c.record, headers);
    c.record = NULL;
  }
  sodium_memzero(c.token, sizeof c.token);
  json_decref(c.record);
  idempotency_free(&c.idem);
  return ret;
}

/* GET /v1/tokens/{id} and POST /v1/tokens/{id}/revoke: one token of the commission. */
static enum MHD_Result one_token(struct request *rq, bool revoke) {
  enum MHD_Result ret;
  const char *id = param_path_uuid(rq, 0, "id", &ret);
  if (id == NULL || !allowed(rq, revoke ? ACT_UPDATE : ACT_READ, &ret))
    return ret;
  PGresult *res;
  enum db_status s = revoke ? db_token_revoke(rq->db, rq->principal.commission_id, id, &res)
                            : db_token_get(rq->db, rq->principal.commission_id, id, &res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such token.");
  }
  json_t *record = token_json(res, 0);
  PQclear(res);
  return reply_json(rq, MHD_HTTP_OK, record, NULL);
}

enum MHD_Result api_tokens_get(struct request *rq) { return one_token(rq, false); }
enum MHD_Result api_tokens_revoke(struct request *rq) { return one_token(rq, true); }
