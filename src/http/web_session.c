/* The web front's session cookie: authentication of the front's calls (CSRF value and origin checked before the
 * database is asked), and the cookie's text. Secure is set when the request came over TLS to a proxy that says so
 * (X-Forwarded-Proto: https; a client that forges it only makes its own cookie stricter) or with
 * --web-secure-cookie. */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "db.h"
#include "http_internal.h"
#include "queries.h"
#include "token.h"
#include "web.h"

void web_session_hash_hex(const unsigned char id[WEB_SESSION_ID_BYTES], char hex[65]) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, id, WEB_SESSION_ID_BYTES, NULL, 0);
  sodium_bin2hex(hex, 65, hash, sizeof hash);
}

void web_session_csrf(const unsigned char id[WEB_SESSION_ID_BYTES], char out[WEB_TEXT_LEN]) {
  static const char purpose[] = "commissiond web front CSRF";
  unsigned char mac[32];
  crypto_generichash(mac, sizeof mac, (const unsigned char *)purpose, sizeof purpose - 1, id, WEB_SESSION_ID_BYTES);
  sodium_bin2base64(out, WEB_TEXT_LEN, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool request_secure(struct request *rq) {
  if (http_config.web_secure_cookie)
    return true;
  const union MHD_ConnectionInfo *tls =
      MHD_get_connection_info(rq->connection, MHD_CONNECTION_INFO_PROTOCOL);
  if (tls != NULL && tls->protocol != 0)
    return true;
  const char *proto = request_header(rq, "X-Forwarded-Proto");
  return proto != NULL && strcasecmp(proto, "https") == 0;
}

void web_session_cookie(struct request *rq, const unsigned char *id) {
  char value[WEB_TEXT_LEN] = "";
  if (id != NULL)
    sodium_bin2base64(value, sizeof value, id, WEB_SESSION_ID_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  /* No Max-Age for a live session: the browser forgets it when closed; the server ends it earlier when idle. */
  snprintf(rq->set_cookie, sizeof rq->set_cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
           WEB_SESSION_COOKIE, value, id == NULL ? "; Max-Age=0" : "", request_secure(rq) ? "; Secure" : "");
  sodium_memzero(value, sizeof value);
}

bool web_same_origin(struct request *rq) {
  const char *site = request_header(rq, "Sec-Fetch-Site");
  if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
    return false;
  const char *origin = request_header(rq, "Origin");
  if (origin == NULL)
    return true; /* not a browser's cross-origin request: browsers send Origin with every state-changing fetch */
  const char *host = request_header(rq, MHD_HTTP_HEADER_HOST);
  const char *sep = strstr(origin, "://");
  if (host == NULL || sep == NULL)
    return false;
  if (strncmp(origin, "http://", 7) != 0 && strncmp(origin, "https://", 8) != 0)
    return false;
  return strcasecmp(sep + 3, host) == 0;
}

static bool method_is_safe(const char *method) { return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0; }

/* TEXT (43 base64url characters) into the 32 bytes of OUT; false when it is anything else. */
static bool secret_decode(const char *text, unsigned char out[WEB_SESSION_ID_BYTES]) {
  size_t n = 0;
  return strlen(text) == WEB_TEXT_LEN - 1 &&
         sodium_base642bin(out, WEB_SESSION_ID_BYTES, text, strlen(text), NULL, &n, NULL,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
         n == WEB_SESSION_ID_BYTES;
}

/* RQ's database connection; false with a 503 queued when there is none. */
static bool request_db(struct request *rq, enum MHD_Result *ret) {
  if (rq->db == NULL)
    rq->db = db_thread();
  if (rq->db == NULL) {
    *ret = reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database is unavailable; retry later.");
    return false;
  }
  return true;
}

bool web_session_authenticate(struct request *rq, const char *cookie, enum MHD_Result *ret) {
  unsigned char id[WEB_SESSION_ID_BYTES];
  if (!secret_decode(cookie, id))
    return auth_web_failure(rq, "The web session is not valid: sign in again.", ret);
  bool safe = method_is_safe(rq->method);
  if (!(safe && (rq->route->flags & ROUTE_WEB_NAVIGABLE))) {
    char expected[WEB_TEXT_LEN];
    web_session_csrf(id, expected);
    const char *sent = request_header(rq, "X-CSRF-Token");
    bool match = sent != NULL && strlen(sent) == WEB_TEXT_LEN - 1 &&
                 sodium_memcmp(sent, expected, WEB_TEXT_LEN - 1) == 0;
    sodium_memzero(expected, sizeof expected);
    if (!match) {
      *ret = reply_field_problem(rq, ERR_FORBIDDEN, "header:X-CSRF-Token",
                                 "a call made with the web session cookie must carry the session's CSRF value");
      return false;
    }
  }
  if (!safe && !web_same_origin(rq)) {
    *ret = reply_field_problem(rq, ERR_FORBIDDEN, "header:Origin",
                               "a call made with the web session cookie must come from this server's own pages");
    return false;
  }
  if (!request_db(rq, ret))
    return false;
  char hash[65], idle[16];
  web_session_hash_hex(id, hash);
  snprintf(idle, sizeof idle, "%u", http_config.web_idle_timeout);
  PGresult *res;
  enum db_status s = db_web_session_use(rq->db, hash, idle, &res);
  if (s < 0) {
    *ret = reply_db_error(rq);
    return false;
  }
  struct web_session_row w;
  if (s == DB_NO_ROW || !db_row(res, 0, &w)) {
    PQclear(res);
    web_session_cookie(rq, NULL); /* sent with the 401: the browser forgets the dead session */
    return auth_web_failure(rq, "The web session has ended (idle too long, signed out, or its token expired or "
                                "was revoked): sign in again.", ret);
  }
  principal_fill(&rq->principal, w.id, w.commission_id, w.role, w.scope_org_id, w.expires_epoch);
  PQclear(res);
  rq->set_cookie[0] = '\0';
  rq->web_session = true;
  memcpy(rq->web_session_id, id, sizeof id);
  sodium_memzero(id, sizeof id);
  token_used(rq->principal.token_id);
  return true;
}

bool web_link_authenticate(struct request *rq, const char *link, enum MHD_Result *ret) {
  unsigned char secret[WEB_SESSION_ID_BYTES];
  if (!secret_decode(link, secret))
    return auth_web_failure(rq, "The sign-in link is not valid.", ret);
  if (!request_db(rq, ret))
    return false;
  char hash[65];
  web_session_hash_hex(secret, hash);
  sodium_memzero(secret, sizeof secret);
  PGresult *res;
  enum db_status s = db_web_link_use(rq->db, hash, &res);
  if (s < 0) {
    *ret = reply_db_error(rq);
    return false;
  }
  struct web_link_row l;
  if (s == DB_NO_ROW || !db_row(res, 0, &l)) {
    PQclear(res);
    return auth_web_failure(rq, "The sign-in link is unknown, was already used or has expired.", ret);
  }
  principal_fill(&rq->principal, l.id, l.commission_id, l.role, l.scope_org_id, l.expires_epoch);
  PQclear(res);
  token_used(rq->principal.token_id);
  return true;
}
