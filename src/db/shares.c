/* Queries of share links (include/shares.h). */
#include <string.h>

#include "shares.h"

#define SHARE_INSERT(P) P(commission_id) P(token_id) P(path) P(format) P(expires_in)
DB_STATEMENT(share_insert, {
  "share_insert",
  "INSERT INTO shares AS s (commission_id, token_id, path, format, expires_at) VALUES (:commission_id, "
  ":token_id, :path, :format, now() + make_interval(secs => :expires_in::integer)) RETURNING " DB_COLUMNS(SHARE_ROW),
  DB_PARAMS(SHARE_INSERT)});
DB_PARAMS_STRUCT(share_insert_params, SHARE_INSERT);

#define SHARE_LIST(P) P(commission_id) P(token_id) P(before_at) P(before_id) P(limit)
DB_STATEMENT(share_list, {
  "share_list",
  "SELECT " DB_COLUMNS(SHARE_ROW) " FROM shares s WHERE s.commission_id = :commission_id AND s.token_id = "
  ":token_id AND (:before_at::text IS NULL OR (s.created_at, s.id) < (:before_at::timestamptz, :before_id::uuid)) "
  "ORDER BY s.created_at DESC, s.id DESC LIMIT :limit::integer",
  DB_PARAMS(SHARE_LIST)});
DB_PARAMS_STRUCT(share_list_params, SHARE_LIST);

#define SHARE_REVOKE(P) P(commission_id) P(id) P(token_id) P(any)
DB_STATEMENT(share_revoke, {
  "share_revoke",
  "UPDATE shares AS s SET revoked_at = coalesce(s.revoked_at, now()) WHERE s.commission_id = :commission_id AND "
  "s.id = :id AND (s.token_id = :token_id::uuid OR :any::boolean) RETURNING " DB_COLUMNS(SHARE_ROW),
  DB_PARAMS(SHARE_REVOKE)});
DB_PARAMS_STRUCT(share_revoke_params, SHARE_REVOKE);

#define SHARE_OPEN(P) P(id)
DB_STATEMENT(share_open, {
  "share_open",
  "SELECT " DB_COLUMNS(SHARE_OPEN_ROW) " FROM shares s JOIN tokens t ON t.id = s.token_id AND t.commission_id = "
  "s.commission_id WHERE s.id = :id",
  DB_PARAMS(SHARE_OPEN)});
DB_PARAMS_STRUCT(share_open_params, SHARE_OPEN);

#define SHARE_KEY_PUT(P) P(key)
DB_STATEMENT(share_key_put, {
  "share_key_put",
  "INSERT INTO share_keys (id, key) VALUES (1, decode(:key, 'hex')) ON CONFLICT (id) DO NOTHING",
  DB_PARAMS(SHARE_KEY_PUT)});
DB_PARAMS_STRUCT(share_key_put_params, SHARE_KEY_PUT);

#define SHARE_KEY_GET(P) P(id)
DB_STATEMENT(share_key_get, {
  "share_key_get", "SELECT encode(key, 'hex') FROM share_keys WHERE id = :id::integer", DB_PARAMS(SHARE_KEY_GET)});
DB_PARAMS_STRUCT(share_key_get_params, SHARE_KEY_GET);

enum db_status db_share_insert(struct db *db, const char *commission_id, const char *token_id, const char *path,
                               const char *format, const char *expires_in, PGresult **res) {
  struct share_insert_params p = {.commission_id = commission_id, .token_id = token_id, .path = path,
                                  .format = format, .expires_in = expires_in};
  return db_run(db, &share_insert, &p, res);
}

enum db_status db_share_list(struct db *db, const char *commission_id, const char *token_id, const char *before_at,
                             const char *before_id, const char *limit, PGresult **res) {
  struct share_list_params p = {.commission_id = commission_id, .token_id = token_id, .before_at = before_at,
                                .before_id = before_id, .limit = limit};
  return db_run(db, &share_list, &p, res);
}

enum db_status db_share_revoke(struct db *db, const char *commission_id, const char *id, const char *token_id,
                               const char *any, PGresult **res) {
  struct share_revoke_params p = {.commission_id = commission_id, .id = id, .token_id = token_id, .any = any};
  return db_run(db, &share_revoke, &p, res);
}

enum db_status db_share_open(struct db *db, const char *id, PGresult **res) {
  struct share_open_params p = {.id = id};
  return db_run(db, &share_open, &p, res);
}

enum db_status db_share_key(struct db *db, const char *candidate_hex, char key_hex[65]) {
  struct share_key_get_params get = {.id = "1"};
  enum db_status s = db_run_text(db, &share_key_get, &get, key_hex, 65);
  if (s != DB_NO_ROW)
    return s;
  struct share_key_put_params put = {.key = candidate_hex};
  s = db_run_discard(db, &share_key_put, &put);
  if (s < 0)
    return s;
  return db_run_text(db, &share_key_get, &get, key_hex, 65); /* ours, or the one another instance made first */
}
