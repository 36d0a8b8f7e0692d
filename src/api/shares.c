/* Share links: a reader of a document (a procès-verbal, a report as CSV...) asks for a link that opens that one
 * document in a browser, without a Bearer token, as the reader would see it. POST /v1/shares makes one, GET
 * /v1/shares lists the caller's, DELETE /v1/shares/{id} revokes; GET /s/{capability} opens it.
 *
 * The capability is base64url(share id (16 bytes) || expiry (8 bytes, unix seconds, big-endian) || MAC (32 bytes)),
 * the MAC a keyed BLAKE2b-256 (libsodium crypto_generichash) under the server's share key (share_keys, made by the
 * first daemon that needs it) over the id, the expiry, and the share's commission, issuing token, path and format
 * as stored: a link names one document in one format, and neither it nor its row can be changed into another.
 * Opening checks the MAC, then that the share and its issuer's token are still valid, then serves the document
 * through its own route's handler as the issuer (the issuer's role and scope, read now), audited as the issuer with
 * the route "/s/{capability}" before the document's. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "params.h"
#include "sessions.h"
#include "shares.h"
#include "validate.h"
#include "write.h"

#define SHARE_DEFAULT_SECONDS (7 * 24 * 3600)
#define SHARE_MAX_SECONDS (30 * 24 * 3600)
#define SHARE_ID_BYTES 16
#define SHARE_MAC_BYTES 32
#define SHARE_RAW_BYTES (SHARE_ID_BYTES + 8 + SHARE_MAC_BYTES)
#define SHARE_CAPABILITY_LEN 75 /* base64url of 56 bytes, no padding */

/* The documents that may be shared: a GET route, the formats it serves, the query parameters its link may carry
 * (values of letters, digits and dashes only: dates). A document route joins the list here. */
static const struct shareable {
  const char *pattern;
  const char *formats[4];
  const char *query[3];
} shareable[] = {
  {"/v1/sessions/{id}/minutes", {"html", "json", NULL}, {NULL}},
  {"/v1/sessions/{id}/agenda", {"json", NULL}, {NULL}},
  {"/v1/reports/activity", {"csv", "json", NULL}, {"from", "to", NULL}},
  {"/v1/reports/occupancy", {"csv", "json", NULL}, {"date", NULL}},
};

static const char *const formats[] = {"json", "html", "csv", NULL};

enum { F_PATH, F_FORMAT, F_EXPIRES_IN };
static const struct field_spec create_spec[] = {
  [F_PATH] = {"path", FIELD_STRING, FIELD_REQUIRED, 1, 512, NULL},
  [F_FORMAT] = {"format", FIELD_ENUM, FIELD_REQUIRED, 0, 0, formats},
  [F_EXPIRES_IN] = {"expires_in", FIELD_INT, 0, 60, SHARE_MAX_SECONDS, NULL},
};
const struct body_spec share_create_body = {create_spec, FIELDS_COUNT(create_spec)};

/* Does PATH (its path part: up to '?' or its end) match PATTERN, whose {name} segments are UUIDs? The captured
 * segments' starts into ARGS (up to ROUTE_MAX_ARGS), when ARGS is not NULL. */
static bool path_matches(const char *pattern, const char *path, const char **args) {
  size_t n = 0;
  const char *p = pattern, *u = path;
  while (*p == '/' && *u == '/') {
    p++;
    u++;
    size_t plen = strcspn(p, "/"), ulen = strcspn(u, "/?");
    if (plen > 1 && p[0] == '{') {
      char id[UUID_STR_LEN];
      if (ulen != UUID_STR_LEN - 1 || n == ROUTE_MAX_ARGS)
        return false;
      memcpy(id, u, ulen);
      id[ulen] = '\0';
      if (!valid_uuid(id))
        return false;
      if (args != NULL)
        args[n] = u;
      n++;
    } else if (plen != ulen || memcmp(p, u, plen) != 0) {
      return false;
    }
    p += plen;
    u += ulen;
  }
  return *p == '\0' && (*u == '\0' || *u == '?');
}

/* The allow-list's entry PATH matches, or NULL. */
static const struct shareable *shareable_of(const char *path) {
  for (size_t i = 0; i < sizeof shareable / sizeof *shareable; i++)
    if (path_matches(shareable[i].pattern, path, NULL))
      return &shareable[i];
  return NULL;
}

/* The route that serves GET on PATTERN. */
static const struct route *route_of(const char *pattern) {
  for (const struct route *r = http_routes; r->method != NULL; r++)
    if (strcmp(r->method, "GET") == 0 && strcmp(r->pattern, pattern) == 0)
      return r;
  return NULL;
}

/* The static name of FORMAT in ENTRY's formats, or NULL when ENTRY does not serve it. */
static const char *format_of(const struct shareable *entry, const char *format) {
  for (size_t i = 0; entry->formats[i] != NULL; i++)
    if (strcmp(entry->formats[i], format) == 0)
      return entry->formats[i];
  return NULL;
}

/* Why the query QUERY (after '?', or NULL) is not one ENTRY's link may carry; NULL when it is. */
static const char *query_problem(const struct shareable *entry, const char *query) {
  if (query == NULL)
    return NULL;
  for (const char *q = query; *q != '\0';) {
    size_t len = strcspn(q, "&"), name = strcspn(q, "=&");
    if (name >= len)
      return "each query parameter must be name=value";
    bool known = false;
    for (size_t i = 0; entry->query[i] != NULL; i++)
      known = known || (strlen(entry->query[i]) == name && memcmp(entry->query[i], q, name) == 0);
    if (!known)
      return "names a query parameter this document does not take (the format is the share's own field)";
    for (size_t i = name + 1; i < len; i++)
      if (!((q[i] >= '0' && q[i] <= '9') || (q[i] >= 'a' && q[i] <= 'z') || (q[i] >= 'A' && q[i] <= 'Z') ||
            q[i] == '-'))
        return "query values may hold letters, digits and dashes only";
    q += len;
    if (*q == '&' && *++q == '\0')
      return "ends with an empty query parameter";
  }
  return NULL;
}

/* The server's share key, read (or made) once per process. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool key_loaded;
static unsigned char share_key[32];

static bool key_get(struct db *db, unsigned char key[32]) {
  if (!atomic_load_explicit(&key_loaded, memory_order_acquire)) {
    pthread_mutex_lock(&key_lock);
    if (!atomic_load_explicit(&key_loaded, memory_order_relaxed)) {
      unsigned char fresh[32];
      char candidate[65], hex[65];
      randombytes_buf(fresh, sizeof fresh);
      sodium_bin2hex(candidate, sizeof candidate, fresh, sizeof fresh);
      size_t len = 0;
      if (db_share_key(db, candidate, hex) == DB_ROW &&
          sodium_hex2bin(share_key, sizeof share_key, hex, strlen(hex), NULL, &len, NULL) == 0 &&
          len == sizeof share_key)
        atomic_store_explicit(&key_loaded, true, memory_order_release);
      sodium_memzero(fresh, sizeof fresh);
      sodium_memzero(candidate, sizeof candidate);
      sodium_memzero(hex, sizeof hex);
    }
    pthread_mutex_unlock(&key_lock);
    if (!atomic_load_explicit(&key_loaded, memory_order_acquire))
      return false;
  }
  memcpy(key, share_key, 32);
  return true;
}

/* The MAC of a share: over its id (16 bytes), its expiry (8 bytes, big-endian) and, each followed by a 0x00, its
 * commission, issuing token, path and format. */
static void share_mac(const unsigned char key[32], const unsigned char *id_expiry, const char *commission_id,
                      const char *token_id, const char *path, const char *format, unsigned char mac[32]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key, 32, SHARE_MAC_BYTES);
  crypto_generichash_update(&st, id_expiry, SHARE_ID_BYTES + 8);
  for (const char *const *s = (const char *const[]){commission_id, token_id, path, format, NULL}; *s != NULL; s++)
    crypto_generichash_update(&st, (const unsigned char *)*s, strlen(*s) + 1);
  crypto_generichash_final(&st, mac, SHARE_MAC_BYTES);
}

/* The share's id and expiry as the capability's first 24 bytes; false when ID is not a UUID. */
static bool id_expiry(const char *id, long long expires, unsigned char out[SHARE_ID_BYTES + 8]) {
  char hex[33];
  size_t o = 0;
  for (const char *c = id; *c != '\0' && o < 32; c++)
    if (*c != '-')
      hex[o++] = *c;
  hex[o] = '\0';
  size_t len = 0;
  if (o != 32 || sodium_hex2bin(out, SHARE_ID_BYTES, hex, o, NULL, &len, NULL) != 0 || len != SHARE_ID_BYTES)
    return false;
  for (int i = 0; i < 8; i++)
    out[SHARE_ID_BYTES + i] = (unsigned char)((unsigned long long)expires >> (56 - 8 * i));
  return true;
}

/* The link's path "/s/<capability>" of share row R (of RQ's commission and token) into OUT; false on failure. */
static bool share_url(struct db *db, const struct request *rq, const struct share_row *r, char *out, size_t n) {
  unsigned char raw[SHARE_RAW_BYTES], key[32];
  if (!key_get(db, key) || !id_expiry(r->id, strtoll(r->expires_epoch, NULL, 10), raw))
    return false;
  share_mac(key, raw, rq->principal.commission_id, rq->principal.token_id, r->path, r->format,
            raw + SHARE_ID_BYTES + 8);
  sodium_memzero(key, sizeof key);
  char b64[sodium_base64_ENCODED_LEN(SHARE_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return snprintf(out, n, "/s/%s", b64) < (int)n;
}

static json_t *share_json(const struct share_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id), "path",
                   json_of_text(r->path), "format", json_of_text(r->format), "token_id", json_of_text(r->token_id),
                   "created_at", json_of_text(r->created_at), "expires_at", json_of_text(r->expires_at),
                   "revoked_at", json_of_text(r->revoked_at), "status", json_of_text(r->status));
}

static bool share_out(const PGresult *res, int i, struct write_out *out) {
  struct share_row r;
  return db_row(res, i, &r) && (out->body = share_json(&r)) != NULL;
}

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct field_value *v = rq->fields;
  char seconds[24];
  snprintf(seconds, sizeof seconds, "%lld", v[F_EXPIRES_IN].present ? v[F_EXPIRES_IN].i : SHARE_DEFAULT_SECONDS);
  PGresult *res;
  enum db_status s = db_share_insert(db, rq->principal.commission_id, rq->principal.token_id, v[F_PATH].s,
                                     v[F_FORMAT].s, seconds, &res);
  struct share_row r;
  char url[128];
  bool ok = s == DB_ROW && db_row(res, 0, &r) && (out->body = share_json(&r)) != NULL &&
            share_url(db, rq, &r, url, sizeof url);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/shares/%s", r.id);
    audit_created(rq, "shares", r.id);
    /* The link is in this answer only: the response kept for a replay of the Idempotency-Key never holds it. */
    out->reveal = json_pack("{s:s}", "url", url);
    ok = out->reveal != NULL;
  }
  PQclear(res);
  return s < 0 ? s : ok ? DB_ROW : DB_HARD_ERROR;
}

/* POST /v1/shares. */
enum MHD_Result api_shares_create(struct request *rq) {
  const struct field_value *v = rq->fields;
  const char *path = v[F_PATH].s;
  const struct shareable *entry = shareable_of(path);
  if (entry == NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/path",
                               "is not a document that can be shared (the minutes of a session, its agenda, the "
                               "activity or occupancy report), or an id in it is not a UUID");
  const char *why = query_problem(entry, strchr(path, '?') != NULL ? strchr(path, '?') + 1 : NULL);
  if (why != NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/path", why);
  if (format_of(entry, v[F_FORMAT].s) == NULL)
    return reply_field_problem(rq, ERR_VALIDATION_FAILED, "/format", "is not a format this document is served in");
  const struct route *route = route_of(entry->pattern);
  if (route == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  /* Only what the caller may read: the link acts as the caller, never as more. */
  if (route->access.forbidden != NULL &&
      access_decide(&rq->principal, route->access.resource, route->access.action).kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, "This role may not read that document, so it cannot share it.");
  /* A session's document: the session must be the commission's (what a person's line shows is decided at each
   * opening, by the issuer's scope). */
  const char *args[ROUTE_MAX_ARGS] = {NULL};
  if (strncmp(entry->pattern, "/v1/sessions/{id}", 17) == 0 && path_matches(entry->pattern, path, args)) {
    char sid[UUID_STR_LEN];
    snprintf(sid, sizeof sid, "%.36s", args[0]);
    PGresult *res;
    enum db_status s = db_session_get(rq->db, rq->principal.commission_id, sid, LOCK_NONE, &res);
    PQclear(res);
    if (s < 0)
      return reply_db_error(rq);
    if (s == DB_NO_ROW)
      return reply_problem(rq, ERR_NOT_FOUND, "No such session: there is no document to share.");
  }
  return creation_run(rq, create_body, NULL);
}

/* GET /v1/shares: the caller's shares, newest first. */
enum MHD_Result api_shares_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret) || !param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_share_list(rq->db, rq->principal.commission_id, rq->principal.token_id, page.after[0],
                                   page.after[1], page.limit, &res);
  return reply_list(rq, &page, s, res, share_out, (const char *const[]){"cursor_at", "id"}, 2);
}

static enum db_status revoke_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_share_revoke(db, rq->principal.commission_id, rq->args[0], rq->principal.token_id,
                                     rq->principal.role == ROLE_COORDINATOR ? "t" : "f", &res);
  bool built = s == DB_ROW && share_out(res, 0, out);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such share among yours.");
  return s < 0 ? s : built ? DB_ROW : DB_HARD_ERROR;
}

/* DELETE /v1/shares/{id}: the issuer revokes its share (the coordinator any of the commission's). */
enum MHD_Result api_shares_revoke(struct request *rq) { return write_run(rq, MHD_HTTP_OK, revoke_body, NULL); }

/* Makes RQ the request of the document share R names, as its issuer: principal, route, path arguments, the
 * link's query and format (as query arguments, which the handler reads). False when it cannot. */
static bool act_as_issuer(struct request *rq, const struct share_open_row *r, const struct shareable *entry) {
  struct principal *p = &rq->principal;
  snprintf(p->token_id, sizeof p->token_id, "%s", r->token_id);
  snprintf(p->commission_id, sizeof p->commission_id, "%s", r->commission_id);
  p->role = role_parse(r->role);
  snprintf(p->scope_org_id, sizeof p->scope_org_id, "%s", r->scope_org_id != NULL ? r->scope_org_id : "");
  p->expires_at = strtoll(r->token_expires_epoch, NULL, 10);
  const struct route *route = route_of(entry->pattern);
  char *copy = strdup(r->path);
  if (route == NULL || copy == NULL) {
    free(copy);
    return false;
  }
  free(rq->url_copy);
  rq->url_copy = copy;
  const char *args[ROUTE_MAX_ARGS] = {NULL};
  path_matches(entry->pattern, copy, args);
  char *query = strchr(copy, '?');
  if (query != NULL)
    *query++ = '\0';
  for (size_t i = 0; i < ROUTE_MAX_ARGS && args[i] != NULL; i++) {
    char *slash = strchr(args[i], '/');
    if (slash != NULL)
      *slash = '\0';
  }
  memcpy(rq->args, args, sizeof args);
  rq->route = route;
  rq->via_share = true;
  bool ok = MHD_set_connection_value(rq->connection, MHD_GET_ARGUMENT_KIND, "format",
                                     format_of(entry, r->format)) == MHD_YES;
  for (char *q = query, *next; ok && q != NULL && *q != '\0'; q = next) {
    next = strchr(q, '&');
    if (next != NULL)
      *next++ = '\0';
    char *value = strchr(q, '=');
    if (value != NULL)
      *value++ = '\0';
    ok = value != NULL && MHD_set_connection_value(rq->connection, MHD_GET_ARGUMENT_KIND, q, value) == MHD_YES;
  }
  return ok;
}

/* GET /s/{capability}: the shared document, as its issuer sees it now. */
enum MHD_Result api_share_open(struct request *rq) {
  static const char *const none[] = {NULL};
  enum MHD_Result ret;
  if (!request_query_only(rq, none, &ret))
    return ret;
  const char *capability = rq->args[0];
  unsigned char raw[SHARE_RAW_BYTES], key[32], mac[SHARE_MAC_BYTES];
  size_t len = 0;
  if (strlen(capability) != SHARE_CAPABILITY_LEN ||
      sodium_base642bin(raw, sizeof raw, capability, SHARE_CAPABILITY_LEN, NULL, &len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != sizeof raw)
    return reply_problem(rq, ERR_NOT_FOUND, "No such shared document.");
  char id[UUID_STR_LEN], hex[33];
  sodium_bin2hex(hex, sizeof hex, raw, SHARE_ID_BYTES);
  snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
  PGresult *res;
  enum db_status s = db_share_open(rq->db, id, &res);
  struct share_open_row r;
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW || !db_row(res, 0, &r) || !key_get(rq->db, key)) {
    PQclear(res);
    return s == DB_NO_ROW ? reply_problem(rq, ERR_NOT_FOUND, "No such shared document.")
                          : reply_problem(rq, ERR_INTERNAL, NULL);
  }
  unsigned char expected[SHARE_ID_BYTES + 8];
  bool authentic = id_expiry(r.id, strtoll(r.expires_epoch, NULL, 10), expected) &&
                   sodium_memcmp(expected, raw, sizeof expected) == 0;
  share_mac(key, raw, r.commission_id, r.token_id, r.path, r.format, mac);
  sodium_memzero(key, sizeof key);
  authentic = sodium_memcmp(mac, raw + SHARE_ID_BYTES + 8, sizeof mac) == 0 && authentic;
  const struct shareable *entry = authentic ? shareable_of(r.path) : NULL;
  if (entry == NULL || format_of(entry, r.format) == NULL) {
    PQclear(res);
    return reply_problem(rq, ERR_NOT_FOUND, "No such shared document.");
  }
  /* From here on the link is authentic: what it answers is recorded as its issuer's, refusals included. */
  bool acting = act_as_issuer(rq, &r, entry) && db_use_commission(rq->db, rq->principal.commission_id) == DB_ROW;
  const char *gone = strcmp(r.status, "revoked") == 0         ? "This link was revoked."
                     : strcmp(r.status, "active") != 0        ? "This link has expired."
                     : strcmp(r.token_status, "active") != 0 ? "The token that shared this link is no longer valid."
                                                              : NULL;
  PQclear(res);
  if (!acting)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  if (gone != NULL)
    return reply_problem(rq, ERR_SHARE_GONE, gone);
  rq->access = access_decide(&rq->principal, rq->route->access.resource, rq->route->access.action);
  if (rq->route->access.forbidden != NULL && rq->access.kind == ACCESS_DENY)
    return reply_problem(rq, ERR_FORBIDDEN, rq->route->access.forbidden);
  return rq->route->handler(rq);
}
