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
