/* Web front sessions (migrations/0018): opened with a token, used by hash at each request of the front, ended by
 * the browser, by idleness, by the token's expiry or its revocation. */
#include "queries.h"

/* A session lives no longer than its token; expired and idle sessions of the same token are swept here. */
#define WEB_SESSION_OPEN(P) P(hash_hex) P(token_id) P(idle_seconds)
DB_STATEMENT(web_open, {"web_session_open",
                        "WITH swept AS (DELETE FROM web_sessions s WHERE s.token_id = :token_id::uuid "
                        "AND (s.expires_at <= now() OR s.last_seen_at <= now() - make_interval(secs => "
                        ":idle_seconds::integer))) "
                        "INSERT INTO web_sessions (hash, commission_id, token_id, expires_at) "
                        "SELECT decode(:hash_hex, 'hex'), t.commission_id, t.id, t.expires_at FROM tokens t "
                        "WHERE t.id = :token_id::uuid AND t.revoked_at IS NULL AND t.expires_at > now() "
                        "RETURNING extract(epoch FROM expires_at)::bigint AS expires_epoch",
                        DB_PARAMS(WEB_SESSION_OPEN)});
DB_PARAMS_STRUCT(web_session_open_params, WEB_SESSION_OPEN);

/* One use: the session is known, not idle past IDLE_SECONDS, not expired, and its token is neither revoked nor
 * expired; its last_seen_at moves to now. No row otherwise. */
#define WEB_SESSION_USE(P) P(hash_hex) P(idle_seconds)
DB_STATEMENT(web_use, {"web_session_use",
                       "UPDATE web_sessions s SET last_seen_at = now() FROM tokens t "
                       "WHERE s.hash = decode(:hash_hex, 'hex') AND t.id = s.token_id AND t.revoked_at IS NULL "
                       "AND t.expires_at > now() AND s.expires_at > now() "
                       "AND s.last_seen_at > now() - make_interval(secs => :idle_seconds::integer) "
                       "RETURNING " DB_COLUMNS(WEB_SESSION_ROW),
                       DB_PARAMS(WEB_SESSION_USE)});
DB_PARAMS_STRUCT(web_session_use_params, WEB_SESSION_USE);

#define WEB_SESSION_END(P) P(hash_hex)
DB_STATEMENT(web_end, {"web_session_end", "DELETE FROM web_sessions WHERE hash = decode(:hash_hex, 'hex')",
                       DB_PARAMS(WEB_SESSION_END)});
DB_PARAMS_STRUCT(web_session_end_params, WEB_SESSION_END);

enum db_status db_web_session_open(struct db *db, const char *hash_hex, const char *token_id, const char *idle_seconds,
                                   char *expires_epoch, size_t n) {
  struct web_session_open_params p = {.hash_hex = hash_hex, .token_id = token_id, .idle_seconds = idle_seconds};
  return db_run_text(db, &web_open, &p, expires_epoch, n);
}

enum db_status db_web_session_use(struct db *db, const char *hash_hex, const char *idle_seconds, PGresult **res) {
  struct web_session_use_params p = {.hash_hex = hash_hex, .idle_seconds = idle_seconds};
  return db_run(db, &web_use, &p, res);
}

enum db_status db_web_session_end(struct db *db, const char *hash_hex) {
  struct web_session_end_params p = {.hash_hex = hash_hex};
  return db_run_discard(db, &web_end, &p);
}

/* A sign-in link for a valid token of the commission: a quarter of an hour, never past the token's expiry. */
#define WEB_LINK_CREATE(P) P(hash_hex) P(commission_id) P(token_id)
DB_STATEMENT(link_create, {"web_link_create",
                           "INSERT INTO web_sign_in_links (hash, commission_id, token_id, expires_at) "
                           "SELECT decode(:hash_hex, 'hex'), t.commission_id, t.id, "
                           "least(now() + interval '15 minutes', t.expires_at) FROM tokens t "
                           "WHERE t.commission_id = :commission_id AND t.id = :token_id::uuid "
                           "AND t.revoked_at IS NULL AND t.expires_at > now() "
                           "RETURNING " SQL_TS("expires_at"),
                           DB_PARAMS(WEB_LINK_CREATE)});
DB_PARAMS_STRUCT(web_link_create_params, WEB_LINK_CREATE);

/* A link used: once, before it expires, while its token is valid; the token's principal. */
#define WEB_LINK_USE(P) P(hash_hex)
DB_STATEMENT(link_use, {"web_link_use",
                        "UPDATE web_sign_in_links l SET used_at = now() FROM tokens t "
                        "WHERE l.hash = decode(:hash_hex, 'hex') AND l.used_at IS NULL AND l.expires_at > now() "
                        "AND t.id = l.token_id AND t.revoked_at IS NULL AND t.expires_at > now() "
                        "RETURNING " DB_COLUMNS(WEB_LINK_ROW),
                        DB_PARAMS(WEB_LINK_USE)});
DB_PARAMS_STRUCT(web_link_use_params, WEB_LINK_USE);

enum db_status db_web_link_create(struct db *db, const char *hash_hex, const char *commission_id,
                                  const char *token_id, char *expires_at, size_t n) {
  struct web_link_create_params p = {.hash_hex = hash_hex, .commission_id = commission_id, .token_id = token_id};
  return db_run_text(db, &link_create, &p, expires_at, n);
}

enum db_status db_web_link_use(struct db *db, const char *hash_hex, PGresult **res) {
  struct web_link_use_params p = {.hash_hex = hash_hex};
  return db_run(db, &link_use, &p, res);
}
