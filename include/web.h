/* The web front: its files (src/web, embedded at build time by src/web/embed.py) and its sessions (a random id in
 * an HttpOnly cookie, stored hashed; a CSRF value derived from the id). */
#ifndef COMMISSIOND_WEB_H
#define COMMISSIOND_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct web_asset {
  const char *path;         /* as requested: "/" or "/assets/app.js" */
  const char *content_type; /* with its charset for text */
  const unsigned char *data;
  size_t len;
  const char *etag; /* quoted, a hash of the content */
};
/* The embedded file served at PATH (compared byte for byte: no decoding, no file system), or NULL. */
const struct web_asset *web_asset_find(const char *path);

#define WEB_SESSION_ID_BYTES 32
#define WEB_TEXT_LEN 44 /* base64url of 32 bytes without padding, and its NUL */

/* The hex BLAKE2b-256 hash of a session id: what the database stores. */
void web_session_hash_hex(const unsigned char id[WEB_SESSION_ID_BYTES], char hex[65]);
/* The session's CSRF value (base64url of a BLAKE2b-256 keyed by the id): the page reads it from GET
 * /v1/web/session and sends it as X-CSRF-Token; a cross-site page can neither read nor guess it. */
void web_session_csrf(const unsigned char id[WEB_SESSION_ID_BYTES], char out[WEB_TEXT_LEN]);
/* Sets RQ's Set-Cookie (sent with a successful reply): the session ID, or with ID NULL a cookie that ends it. */
void web_session_cookie(struct request *rq, const unsigned char *id);
/* Whether a state-changing request comes from the front's own origin: Sec-Fetch-Site, when sent, is same-origin
 * (or none), and Origin, when sent, names the Host the request was sent to. */
bool web_same_origin(struct request *rq);

#endif
