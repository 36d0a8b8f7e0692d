/* The web front: its pages and files (GET / and /assets/{file}, embedded in the binary), and its sessions
 * (POST, GET, DELETE /v1/web/session). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "db.h"
#include "fields.h"
#include "json_text.h"
#include "queries.h"
#include "web.h"
#include "write.h"

/* If-None-Match names ETAG (or is "*"): a weak comparison, as RFC 9110 asks for GET. */
static bool etag_matches(const char *if_none_match, const char *etag) {
  if (if_none_match == NULL)
    return false;
  size_t n = strlen(etag);
  for (const char *p = if_none_match; *p != '\0';) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (*p == '*')
      return true;
    if (strncmp(p, "W/", 2) == 0)
      p += 2;
    if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
      return true;
    while (*p != '\0' && *p != ',')
      p++;
  }
  return false;
}

static enum MHD_Result serve(struct request *rq, const char *path) {
  const struct web_asset *a = web_asset_find(path);
  if (a == NULL)
    return reply_problem(rq, ERR_ROUTE_NOT_FOUND, "No such file of the web front.");
  if (etag_matches(request_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH), a->etag))
    return reply_static(rq, MHD_HTTP_NOT_MODIFIED, NULL, NULL, 0, a->etag);
  return reply_static(rq, MHD_HTTP_OK, a->content_type, a->data, a->len, a->etag);
}

enum MHD_Result api_web_page(struct request *rq) { return serve(rq, "/"); }

/* The path as received (MHD has decoded it): compared with the embedded names, so "..", "%2e" or a slash cannot
 * reach anything else. */
enum MHD_Result api_web_asset(struct request *rq) { return serve(rq, rq->url); }

/* The token is read (and authenticated) by dispatch before this spec is checked (ROUTE_TOKEN_IN_BODY). */
static const struct field_spec session_create_spec[] = {
  {"token", FIELD_STRING, 0, 62, 62, NULL},
  {"link", FIELD_STRING, 0, 43, 43, NULL},
};
const struct body_spec web_session_create_body = {session_create_spec, FIELDS_COUNT(session_create_spec)};

/* What the page keeps of its session: the CSRF value to send, who it is, until when. */
static json_t *session_json(struct request *rq, const unsigned char *id, long long expires) {
  char csrf[WEB_TEXT_LEN];
  web_session_csrf(id, csrf);
  json_t *body = json_pack("{s:s, s:s, s:s, s:s*, s:I, s:I}", "csrf_token", csrf, "role",
                           role_name(rq->principal.role), "commission_id", rq->principal.commission_id,
                           "scope_org_id", rq->principal.scope_org_id[0] ? rq->principal.scope_org_id : NULL,
                           "idle_timeout", (json_int_t)http_config.web_idle_timeout, "expires_at",
                           (json_int_t)expires);
  sodium_memzero(csrf, sizeof csrf);
  return body;
}

static enum db_status open_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  unsigned char id[WEB_SESSION_ID_BYTES];
  randombytes_buf(id, sizeof id);
  char hash[65], idle[16], expires[32];
  web_session_hash_hex(id, hash);
  snprintf(idle, sizeof idle, "%u", http_config.web_idle_timeout);
  enum db_status s = db_web_session_open(db, hash, rq->principal.token_id, idle, expires, sizeof expires);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_UNAUTHORIZED, "The token is unknown, expired or revoked.");
  if (s != DB_ROW)
    return s;
  out->body = session_json(rq, id, strtoll(expires, NULL, 10));
  if (out->body == NULL)
    return DB_HARD_ERROR;
  web_session_cookie(rq, id);
  sodium_memzero(id, sizeof id);
  return DB_ROW;
}

enum MHD_Result api_web_session_open(struct request *rq) {
  if (!web_same_origin(rq))
    return reply_field_problem(rq, ERR_FORBIDDEN, "header:Origin", "signing in is only possible from this server's "
                                                                   "own pages");
  enum MHD_Result r = write_run(rq, MHD_HTTP_CREATED, open_body, NULL);
  return r;
}

enum MHD_Result api_web_session_get(struct request *rq) {
  if (!rq->web_session)
    return reply_problem(rq, ERR_NOT_FOUND, "This request carries no web session (it was made with a bearer "
                                            "token).");
  json_t *body = session_json(rq, rq->web_session_id, (long long)rq->principal.expires_at);
  return body != NULL ? reply_json(rq, MHD_HTTP_OK, body, NULL) : reply_problem(rq, ERR_INTERNAL, NULL);
}

static enum db_status end_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  char hash[65];
  web_session_hash_hex(rq->web_session_id, hash);
  enum db_status s = db_web_session_end(db, hash);
  if (s < 0)
    return s;
  out->body = json_pack("{s:b}", "signed_out", 1);
  if (out->body == NULL)
    return DB_HARD_ERROR;
  web_session_cookie(rq, NULL);
  return DB_ROW;
}

enum MHD_Result api_web_session_end(struct request *rq) {
  if (!rq->web_session)
    return reply_problem(rq, ERR_NOT_FOUND, "This request carries no web session (it was made with a bearer "
                                            "token).");
  return write_run(rq, MHD_HTTP_OK, end_body, NULL);
}

/* POST /v1/tokens/{id}/sign-in-links: a one-use link that opens a web session as the token, for a quarter of an
 * hour. The secret is in the answer only (the page's address fragment: never sent to a server or a referrer). */
static enum db_status link_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  unsigned char secret[WEB_SESSION_ID_BYTES];
  randombytes_buf(secret, sizeof secret);
  char hash[65], text[WEB_TEXT_LEN], expires[40], path[80];
  web_session_hash_hex(secret, hash);
  sodium_bin2base64(text, sizeof text, secret, sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret, sizeof secret);
  enum db_status s = db_web_link_create(db, hash, rq->principal.commission_id, rq->args[0], expires, sizeof expires);
  if (s == DB_NO_ROW)
    s = write_refuse(out, ERR_NOT_FOUND, "No such token, or it is revoked or expired.");
  if (s == DB_ROW) {
    snprintf(path, sizeof path, "/#/connexion/%s", text);
    out->body = json_pack("{s:s, s:s, s:s, s:s}", "token_id", rq->args[0], "link", text, "path", path,
                          "expires_at", expires);
    if (out->body == NULL)
      s = DB_HARD_ERROR;
  }
  sodium_memzero(text, sizeof text);
  sodium_memzero(path, sizeof path);
  return s;
}

enum MHD_Result api_web_link_create(struct request *rq) { return write_run(rq, MHD_HTTP_CREATED, link_body, NULL); }
