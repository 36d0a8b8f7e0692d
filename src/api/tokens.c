/* /v1/tokens: the coordinator issues, lists and revokes the commission's tokens. A new token's secret is in
 * the creation response only; an Idempotency-Key replay returns the record without it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "queries.h"
#include "token.h"
#include "validate.h"
#include "write.h"

static const char *const roles[] = {"coordinator", "caregiver", "curator", "landlord", "observer", "calendar", NULL};

enum { F_ROLE, F_SCOPE, F_LABEL, F_EXPIRES };

static const struct field_spec create_spec[] = {
  [F_ROLE] = {"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, roles},
  [F_SCOPE] = {"scope_org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_LABEL] = {"label", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
  [F_EXPIRES] = {"expires_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
};

static json_t *token_json(const struct token_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id), "label",
                   json_of_text(r->label), "role", json_of_text(r->role), "scope_org_id", json_of_text(r->scope_org_id),
                   "created_at", json_of_text(r->created_at), "expires_at", json_of_text(r->expires_at),
                   "last_used_at", json_of_text(r->last_used_at), "revoked_at", json_of_text(r->revoked_at), "status",
                   json_of_text(r->status));
}

/* Row I of RES as the answer: a token has no version (its only change is its revocation). */
static bool token_out(const PGresult *res, int i, struct write_out *out) {
  struct token_row r;
  return db_row(res, i, &r) && (out->body = token_json(&r)) != NULL;
}

enum MHD_Result api_tokens_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret) || !param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s =
      db_token_list(rq->db, rq->principal.commission_id, page.after[0], page.after[1], page.limit, &res);
  return reply_list(rq, &page, s, res, token_out, (const char *const[]){"cursor_at", "id"}, 2);
}

const struct body_spec token_create_body = {create_spec, FIELDS_COUNT(create_spec)};

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  const struct field_value *v = rq->fields;
  (void)cls;
  char token[TOKEN_LEN + 1], selector[TOKEN_SELECTOR_LEN + 1], hash_hex[2 * TOKEN_HASH_BYTES + 1];
  unsigned char hash[TOKEN_HASH_BYTES];
  token_generate(token, selector);
  token_hash(token, TOKEN_LEN, hash);
  sodium_bin2hex(hash_hex, sizeof hash_hex, hash, sizeof hash);
  enum role role = role_parse(v[F_ROLE].s);
  struct token_fields f = {.commission_id = rq->principal.commission_id, .role = role_name(role),
                           .scope_org_id = patch_pick(&v[F_SCOPE], NULL), .scope_kind = role_scope_kind(role),
                           .label = v[F_LABEL].s, .selector = selector, .hash_hex = hash_hex,
                           .expires_on = patch_pick(&v[F_EXPIRES], NULL)};
  PGresult *res;
  enum db_status s = db_token_insert(db, &f, &res);
  if (s == DB_NO_ROW) {
    PQclear(res);
    sodium_memzero(token, sizeof token);
    return f.scope_org_id != NULL
             ? write_refuse_field(out, ERR_VALIDATION_FAILED, "/scope_org_id",
                                  "must be an organisation of this commission of the kind the role needs "
                                  "(or expires_on is not in the future)")
             : write_refuse_field(out, ERR_VALIDATION_FAILED, "/expires_on", "must be a future date");
  }
  struct token_row r;
  bool ok = s == DB_ROW && db_row(res, 0, &r) && (out->body = token_json(&r)) != NULL;
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/tokens/%s", r.id);
    audit_created(rq, "tokens", r.id);
    /* The secret is in this answer only: the response stored for a replay never holds it. */
    out->reveal = json_pack("{s:s}", "token", token);
    ok = out->reveal != NULL;
  }
  PQclear(res);
  sodium_memzero(token, sizeof token);
  return s < 0 ? s : ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_tokens_create(struct request *rq) {
  const struct field_value *v = rq->fields;
  enum role role = role_parse(v[F_ROLE].s);
  bool has_scope = v[F_SCOPE].present && !v[F_SCOPE].null;
  if (role_needs_scope(role) && !has_scope)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/scope_org_id", "is required for this role");
  if (!role_needs_scope(role) && has_scope)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/scope_org_id", "must be null for this role");
  return creation_run(rq, create_body, NULL);
}

static enum db_status revoke_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_token_revoke(db, rq->principal.commission_id, rq->args[0], &res);
  bool built = s == DB_ROW && token_out(res, 0, out);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such token.");
  return s < 0 ? s : built ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_tokens_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_token_get(rq->db, rq->principal.commission_id, rq->args[0], &res);
  return reply_read(rq, s, res, "No such token.", token_out);
}

enum MHD_Result api_tokens_revoke(struct request *rq) {
  enum MHD_Result ret = write_run(rq, MHD_HTTP_OK, revoke_body, NULL);
  auth_revocation_seen(); /* committed (or refused): before the answer leaves, no thread trusts its cache */
  return ret;
}
