/* Bearer authentication. Each worker thread caches principals by token hash; a listener thread follows
 * revocations (LISTEN commissiond_tokens) and moves a global epoch, which empties every thread's cache. While
 * the listener is not connected, the cache is not trusted and every request asks the database. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "db.h"
#include "http_internal.h"
#include "log.h"
#include "queries.h"
#include "token.h"

#define CACHE_SLOTS 256        /* per thread, power of two */
#define CACHE_TTL_SECONDS 60   /* bound on staleness even if a notification were lost */
#define USED_EVERY_SECONDS 60  /* a thread notes a cached token's use (last_used_at) at most this often */

#define ME_MAX 1024 /* the cached GET /v1/me document */

struct cache_entry {
  unsigned char hash[TOKEN_HASH_BYTES];
  struct principal principal;
  char me[ME_MAX]; /* "" until GET /v1/me described the token */
  time_t cached_at;
  time_t used_noted_at; /* when this thread last noted the token's use for last_used_at */
  long epoch;
  bool used;
};

static _Thread_local struct cache_entry cache[CACHE_SLOTS];
static atomic_long revocation_epoch;
static atomic_bool listener_connected;
static atomic_bool listener_stop;
static pthread_t listener_thread;
static bool listener_running;
static char *listener_conninfo;


static struct cache_entry *cache_slot(const unsigned char *hash) {
  return &cache[(hash[0] | (hash[1] << 8)) & (CACHE_SLOTS - 1)];
}

static bool cache_get(const unsigned char *hash, struct principal *out, time_t now) {
  if (!atomic_load_explicit(&listener_connected, memory_order_acquire))
    return false;
  struct cache_entry *e = cache_slot(hash);
  if (!e->used || e->epoch != atomic_load_explicit(&revocation_epoch, memory_order_acquire) ||
      e->cached_at + CACHE_TTL_SECONDS < now || e->principal.expires_at <= now ||
      sodium_memcmp(e->hash, hash, TOKEN_HASH_BYTES) != 0)
    return false;
  *out = e->principal;
  return true;
}

static void cache_put(const unsigned char *hash, const struct principal *p, long epoch, time_t now) {
  struct cache_entry *e = cache_slot(hash);
  e->me[0] = '\0';
  memcpy(e->hash, hash, TOKEN_HASH_BYTES);
  e->principal = *p;
  e->cached_at = now;
  e->used_noted_at = now;
  e->epoch = epoch;
  e->used = true;
}

/* Notes the use of the token of cache entry E (its last_used_at) when this thread has not for a while. */
static void note_use(const unsigned char *hash, const struct principal *p, time_t now) {
  struct cache_entry *e = cache_slot(hash);
  if (e->used && sodium_memcmp(e->hash, hash, TOKEN_HASH_BYTES) == 0) {
    if (now - e->used_noted_at < USED_EVERY_SECONDS)
      return;
    e->used_noted_at = now;
  }
  token_used(p->token_id);
}

/* Failed authentications, per client address and per token selector: past http_config.auth_failure_limit in a
 * clock minute, the key gets 429 until the minute is over, before any token work; other keys are not affected.
 * Every instance counts in PostgreSQL (auth_failures, touched only by failures: db_auth_failure_add()), so N
 * instances give the limit of one; each remembers here what the database answered, so that a key over the limit is
 * refused without a round trip. When the database cannot count (unreachable, a standby), this instance counts
 * alone. A fixed table of relaxed atomics: a collision or a race may miscount a little, never block a thread. */
#define THROTTLE_SLOTS 4096
#define THROTTLE_WINDOW 60
#define ADDRESS_KEY_PREFIX "address:"
#define TOKEN_KEY_PREFIX "token:"

struct throttle_slot {
  atomic_uint_fast64_t key;
  atomic_long window_end; /* the end of the minute counted (time(NULL) scale) */
  atomic_uint failures;
};

static struct throttle_slot throttle[THROTTLE_SLOTS];

static bool throttled(struct request *rq, uint64_t key, time_t now) {
  if (key == 0 || http_config.auth_failure_limit == 0)
    return false;
  struct throttle_slot *t = &throttle[key % THROTTLE_SLOTS];
  long end = atomic_load_explicit(&t->window_end, memory_order_relaxed);
  if (atomic_load_explicit(&t->key, memory_order_relaxed) != key || now >= end ||
      atomic_load_explicit(&t->failures, memory_order_relaxed) < http_config.auth_failure_limit)
    return false;
  rq->retry_after = (unsigned int)(end - now);
  return true;
}

/* What the database counted for KEY: FAILURES in the minute, which ends in SECONDS_LEFT. */
static void note_shared(uint64_t key, unsigned int failures, long seconds_left, time_t now) {
  struct throttle_slot *t = &throttle[key % THROTTLE_SLOTS];
  atomic_store_explicit(&t->key, key, memory_order_relaxed);
  atomic_store_explicit(&t->window_end, now + (seconds_left > 0 && seconds_left <= 60 ? seconds_left : 1),
                        memory_order_relaxed);
  atomic_store_explicit(&t->failures, failures, memory_order_relaxed);
}

/* Counts a failure of KEY on this instance only (the database could not); returns the count. */
static unsigned int note_local(uint64_t key, time_t now) {
  struct throttle_slot *t = &throttle[key % THROTTLE_SLOTS];
  if (atomic_load_explicit(&t->key, memory_order_relaxed) != key ||
      now >= atomic_load_explicit(&t->window_end, memory_order_relaxed)) {
    atomic_store_explicit(&t->key, key, memory_order_relaxed);
    atomic_store_explicit(&t->window_end, now - now % THROTTLE_WINDOW + THROTTLE_WINDOW, memory_order_relaxed);
    atomic_store_explicit(&t->failures, 1, memory_order_relaxed);
    return 1;
  }
  return (unsigned int)atomic_fetch_add_explicit(&t->failures, 1, memory_order_relaxed) + 1;
}

/* The limits' keys of RQ: its client address, and the selector of the token it sent (SELECTOR, may be NULL). */
static void failure_keys(const struct request *rq, const char *selector, char *address_key, size_t an,
                         char *token_key, size_t tn) {
  snprintf(address_key, an, ADDRESS_KEY_PREFIX "%s", rq->client);
  if (selector != NULL)
    snprintf(token_key, tn, TOKEN_KEY_PREFIX "%s", selector);
}

/* Counts RQ's failure (its address's, and its token selector's when SELECTOR is not NULL); returns the largest
 * count of its keys in the minute, as far as known. */
static unsigned int note_failure(struct request *rq, const char *selector) {
  if (http_config.auth_failure_limit == 0)
    return 0;
  char address_key[sizeof ADDRESS_KEY_PREFIX + CLIENT_ADDRESS_MAX], token_key[sizeof TOKEN_KEY_PREFIX + 32];
  failure_keys(rq, selector, address_key, sizeof address_key, token_key, sizeof token_key);
  time_t now = time(NULL);
  if (rq->db == NULL)
    rq->db = db_thread();
  PGresult *res = NULL;
  enum db_status s = rq->db != NULL ? db_auth_failure_add(rq->db, address_key, selector ? token_key : NULL, &res)
                                    : DB_HARD_ERROR;
  bool counted[2] = {false, false};
  unsigned int most = 0;
  for (int i = 0; s == DB_ROW && i < PQntuples(res); i++) {
    struct auth_failure_row row;
    if (!db_row(res, i, &row) || row.key == NULL || row.failures == NULL || row.seconds_left == NULL)
      continue;
    unsigned int failures = (unsigned int)strtoul(row.failures, NULL, 10);
    note_shared(proxy_key(row.key), failures, strtol(row.seconds_left, NULL, 10), now);
    counted[strcmp(row.key, address_key) == 0 ? 0 : 1] = true;
    most = failures > most ? failures : most;
  }
  PQclear(res);
  if (!counted[0]) {
    unsigned int failures = note_local(proxy_key(address_key), now);
    most = failures > most ? failures : most;
  }
  if (selector != NULL && !counted[1]) {
    unsigned int failures = note_local(proxy_key(token_key), now);
    most = failures > most ? failures : most;
  }
  return most;
}

static enum MHD_Result too_many(struct request *rq, bool by_token) {
  return reply_problem(rq, ERR_TOO_MANY_REQUESTS,
                       by_token ? "Too many failed authentications with this token: retry after the delay given."
                                : "Too many failed authentications from this address: retry after the delay given.");
}

/* 429 when RQ's address (SELECTOR NULL) or the token selector SELECTOR is over the limit. */
static bool over_limit(struct request *rq, const char *selector, enum MHD_Result *ret) {
  char address_key[sizeof ADDRESS_KEY_PREFIX + CLIENT_ADDRESS_MAX], token_key[sizeof TOKEN_KEY_PREFIX + 32];
  failure_keys(rq, selector, address_key, sizeof address_key, token_key, sizeof token_key);
  if (!throttled(rq, proxy_key(selector != NULL ? token_key : address_key), time(NULL)))
    return false;
  *ret = too_many(rq, selector != NULL);
  return true;
}

/* A failure past the limit (counted by other instances meanwhile) is answered 429 at once, not 401: every instance
 * together answers at most --auth-failure-limit 401s per key and minute. */
static enum MHD_Result unauthorized(struct request *rq, const char *selector, const char *detail) {
  if (note_failure(rq, selector) > http_config.auth_failure_limit) {
    enum MHD_Result ret;
    if (over_limit(rq, NULL, &ret) || (selector != NULL && over_limit(rq, selector, &ret)))
      return ret;
  }
  return reply_problem(rq, ERR_UNAUTHORIZED, detail);
}

static enum MHD_Result count_authorization(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  (void)value;
  if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
    (*(unsigned int *)cls)++;
  return MHD_YES;
}

static bool auth_token(struct request *rq, const char *token, size_t len, enum MHD_Result *ret);

void principal_fill(struct principal *p, const char *token_id, const char *commission_id, const char *role,
                    const char *scope_org_id, const char *expires_epoch) {
  snprintf(p->token_id, sizeof p->token_id, "%s", token_id);
  snprintf(p->commission_id, sizeof p->commission_id, "%s", commission_id);
  p->role = role_parse(role);
  snprintf(p->scope_org_id, sizeof p->scope_org_id, "%s", scope_org_id != NULL ? scope_org_id : "");
  p->expires_at = strtoll(expires_epoch, NULL, 10);
}

bool auth_web_failure(struct request *rq, const char *detail, enum MHD_Result *ret) {
  *ret = unauthorized(rq, NULL, detail);
  return false;
}

bool auth_authenticate(struct request *rq, enum MHD_Result *ret) {
  /* Two Authorization headers are ambiguous (a proxy and the server could each take a different one): refused
   * before any token work, whichever is valid. */
  unsigned int authorizations = 0;
  MHD_get_connection_values(rq->connection, MHD_HEADER_KIND, count_authorization, &authorizations);
  if (authorizations > 1) {
    *ret = reply_field_problem(rq, ERR_INVALID_HEADER, "header:Authorization", "must be sent once");
    return false;
  }
  if (over_limit(rq, NULL, ret))
    return false;
  bool in_query = rq->route != NULL && (rq->route->flags & ROUTE_TOKEN_IN_QUERY);
  const char *token;
  if (in_query) {
    token = request_query(rq, "token");
    if (token == NULL) {
      *ret = unauthorized(rq, NULL, "This feed takes its calendar token in the URL: ?token=...");
      return false;
    }
  } else {
    const char *h = request_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL) {
      /* The web front's calls carry its session cookie instead (src/http/web_session.c); a bearer token wins. */
      const char *cookie = MHD_lookup_connection_value(rq->connection, MHD_COOKIE_KIND, WEB_SESSION_COOKIE);
      if (cookie != NULL)
        return web_session_authenticate(rq, cookie, ret);
      *ret = unauthorized(rq, NULL, "An Authorization: Bearer token is required.");
      return false;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
      *ret = unauthorized(rq, NULL, "Only Bearer tokens are accepted.");
      return false;
    }
    token = h + 7;
    while (*token == ' ')
      token++;
  }
  if (!auth_token(rq, token, strlen(token), ret))
    return false;
  /* A calendar token sits in URLs (phone settings, browser history, proxies' logs): it opens the feed and
   * nothing else. Another role's token in the feed's URL is refused by the route's access (403). */
  if (rq->principal.role == ROLE_CALENDAR && !in_query) {
    *ret = reply_problem(rq, ERR_FORBIDDEN, "A calendar token reads the calendar feed only.");
    return false;
  }
  return true;
}

bool auth_body_token(struct request *rq, enum MHD_Result *ret) {
  if (over_limit(rq, NULL, ret))
    return false;
  json_t *t = json_object_get(rq->json, "token"), *link = json_object_get(rq->json, "link");
  if (link != NULL && t != NULL) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/link", "send a token or a sign-in link, not both");
    return false;
  }
  if (json_is_string(link))
    return web_link_authenticate(rq, json_string_value(link), ret);
  if (link != NULL) {
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/link", "must be a string");
    return false;
  }
  if (!json_is_string(t)) {
    note_failure(rq, NULL);
    *ret = reply_field_problem(rq, ERR_VALIDATION_FAILED, "/token", t == NULL ? "is required" : "must be a string");
    return false;
  }
  if (!auth_token(rq, json_string_value(t), json_string_length(t), ret))
    return false;
  if (rq->principal.role == ROLE_CALENDAR) { /* a calendar token opens the feed, never the web front */
    *ret = reply_problem(rq, ERR_FORBIDDEN, "A calendar token reads the calendar feed only.");
    return false;
  }
  return true;
}

/* Authenticates RQ with TOKEN (LEN bytes): the thread's cache, else the database. */
static bool auth_token(struct request *rq, const char *token, size_t len, enum MHD_Result *ret) {
  char selector[TOKEN_SELECTOR_LEN + 1];
  if (!token_parse(token, len, selector)) {
    *ret = unauthorized(rq, NULL, "The token is not valid.");
    return false;
  }
  unsigned char *hash = rq->token_hash;
  token_hash(token, len, hash);
  time_t now = time(NULL);
  if (cache_get(hash, &rq->principal, now)) {
    note_use(hash, &rq->principal, now);
    return true;
  }

  if (over_limit(rq, selector, ret)) /* a token polled after its revocation, or guessed at: no lookup */
    return false;
  /* Read the epoch before the database: a revocation committed after this point empties the entry again. */
  long epoch = atomic_load_explicit(&revocation_epoch, memory_order_acquire);
  if (rq->db == NULL)
    rq->db = db_thread();
  if (rq->db == NULL) {
    *ret = reply_problem(rq, ERR_SERVICE_UNAVAILABLE, "The database is unavailable; retry later.");
    return false;
  }
  PGresult *res;
  enum db_status s = db_token_lookup(rq->db, selector, &res);
  if (s < 0) {
    *ret = reply_db_error(rq);
    return false;
  }
  char expected[2 * TOKEN_HASH_BYTES + 1];
  sodium_bin2hex(expected, sizeof expected, hash, TOKEN_HASH_BYTES);
  struct token_lookup_row t;
  if (s == DB_NO_ROW || !db_row(res, 0, &t) || t.hash_hex == NULL || strlen(t.hash_hex) != 2 * TOKEN_HASH_BYTES ||
      sodium_memcmp(t.hash_hex, expected, 2 * TOKEN_HASH_BYTES) != 0) {
    PQclear(res);
    *ret = unauthorized(rq, selector, "The token is unknown, expired or revoked.");
    return false;
  }
  struct principal *p = &rq->principal;
  principal_fill(p, t.id, t.commission_id, t.role, t.scope_org_id, t.expires_epoch);
  PQclear(res);
  cache_put(hash, p, epoch, now);
  token_used(p->token_id);
  return true;
}

/* The cache entry of RQ's token while it is still valid, else NULL. */
static struct cache_entry *current_entry(const struct request *rq) {
  struct principal p;
  if (!cache_get(rq->token_hash, &p, time(NULL)))
    return NULL;
  return cache_slot(rq->token_hash);
}

const char *auth_cached_me(const struct request *rq) {
  struct cache_entry *e = current_entry(rq);
  return e != NULL && e->me[0] != '\0' ? e->me : NULL;
}

void auth_cache_me(const struct request *rq, const char *document) {
  struct cache_entry *e = current_entry(rq);
  if (e != NULL && strlen(document) < sizeof e->me)
    memcpy(e->me, document, strlen(document) + 1);
}

void auth_revocation_seen(void) { atomic_fetch_add(&revocation_epoch, 1); }

static void *listener_main(void *arg) {
  (void)arg;
  struct db *db = NULL;
  while (!atomic_load(&listener_stop)) {
    if (db == NULL) {
      db = db_open(listener_conninfo);
      if (db == NULL || db_simple(db, "LISTEN commissiond_tokens") < 0) {
        db_close(db);
        db = NULL;
        struct timespec pause = {0, 500 * 1000 * 1000};
        nanosleep(&pause, NULL);
        continue;
      }
      /* Anything revoked while we were away is unknown: start from an empty cache. */
      atomic_fetch_add(&revocation_epoch, 1);
      atomic_store(&listener_connected, true);
      log_event(LOG_INFO, "revocation listener connected", NULL);
    }
    PGconn *conn = db_pgconn(db);
    struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
    int r = poll(&pfd, 1, 250);
    bool broken = r < 0 || PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK;
    PGnotify *n;
    bool revoked = false;
    while ((n = PQnotifies(conn)) != NULL) {
      revoked = true;
      PQfreemem(n);
    }
    if (revoked)
      atomic_fetch_add(&revocation_epoch, 1);
    if (broken) {
      atomic_store(&listener_connected, false);
      atomic_fetch_add(&revocation_epoch, 1);
      log_event(LOG_WARN, "revocation listener lost its connection; token cache disabled", NULL);
      db_close(db);
      db = NULL;
    }
  }
  atomic_store(&listener_connected, false);
  db_close(db);
  return NULL;
}

int auth_listener_start(const char *conninfo) {
  listener_conninfo = strdup(conninfo);
  if (listener_conninfo == NULL)
    return -1;
  atomic_store(&listener_stop, false);
  if (pthread_create(&listener_thread, NULL, listener_main, NULL) != 0) {
    free(listener_conninfo);
    listener_conninfo = NULL;
    return -1;
  }
  listener_running = true;
  return 0;
}

void auth_listener_stop(void) {
  if (!listener_running)
    return;
  atomic_store(&listener_stop, true);
  pthread_join(listener_thread, NULL);
  listener_running = false;
  free(listener_conninfo);
  listener_conninfo = NULL;
}
