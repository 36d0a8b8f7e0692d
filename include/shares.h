/* Share links (src/api/shares.c, src/db/shares.c): a capability to open one document as the token that asked for
 * it, until it expires or is revoked. No HTTP here: src/db includes it. */
#ifndef COMMISSIOND_SHARES_H
#define COMMISSIOND_SHARES_H

#include "queries.h"

/* A row of the API's Share; EXPIRES_EPOCH (unix seconds) goes into the capability; CURSOR_AT is created_at with
 * microseconds. */
#define SHARE_ROW(FIRST, NEXT)                                                                                   \
  FIRST(id, "s.id") NEXT(path, "s.path") NEXT(format, "s.format") NEXT(token_id, "s.token_id")                  \
  NEXT(created_at, SQL_TS("s.created_at")) NEXT(expires_at, SQL_TS("s.expires_at"))                             \
  NEXT(revoked_at, SQL_TS("s.revoked_at"))                                                                      \
  NEXT(status, "CASE WHEN s.revoked_at IS NOT NULL THEN 'revoked' WHEN s.expires_at <= now() THEN 'expired' "   \
               "ELSE 'active' END")                                                                             \
  NEXT(expires_epoch, "extract(epoch FROM s.expires_at)::bigint")                                               \
  NEXT(cursor_at, "to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
DB_ROW_STRUCT(share_row, SHARE_ROW);

/* What opening a link needs: the share, whether it still holds (STATUS active / expired / revoked, then the
 * issuer's token: TOKEN_STATUS active / expired / revoked) and the issuer's principal. */
#define SHARE_OPEN_ROW(FIRST, NEXT)                                                                              \
  FIRST(id, "s.id") NEXT(commission_id, "s.commission_id") NEXT(token_id, "s.token_id") NEXT(path, "s.path")    \
  NEXT(format, "s.format") NEXT(expires_epoch, "extract(epoch FROM s.expires_at)::bigint")                      \
  NEXT(status, "CASE WHEN s.revoked_at IS NOT NULL THEN 'revoked' WHEN s.expires_at <= now() THEN 'expired' "   \
               "ELSE 'active' END")                                                                             \
  NEXT(role, "t.role") NEXT(scope_org_id, "t.scope_org_id")                                                     \
  NEXT(token_expires_epoch, "extract(epoch FROM t.expires_at)::bigint")                                         \
  NEXT(token_status, "CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= now() THEN "        \
                     "'expired' ELSE 'active' END")
DB_ROW_STRUCT(share_open_row, SHARE_OPEN_ROW);

/* Records a share of PATH in FORMAT for TOKEN_ID, expiring EXPIRES_IN seconds from now: SHARE_ROW. */
enum db_status db_share_insert(struct db *db, const char *commission_id, const char *token_id, const char *path,
                               const char *format, const char *expires_in, PGresult **res);
/* The shares TOKEN_ID asked for, newest first, after the keyset position (both NULL: from the start): SHARE_ROW. */
enum db_status db_share_list(struct db *db, const char *commission_id, const char *token_id, const char *before_at,
                             const char *before_id, const char *limit, PGresult **res);
/* Revokes share ID (once: a revoked share keeps its first revocation time) when TOKEN_ID asked for it, or for any
 * token when ANY is "t": SHARE_ROW; no row when there is no such share for the caller. */
enum db_status db_share_revoke(struct db *db, const char *commission_id, const char *id, const char *token_id,
                               const char *any, PGresult **res);
/* SHARE_OPEN_ROW of share ID, whatever its commission (a link is opened before its commission is known). */
enum db_status db_share_open(struct db *db, const char *id, PGresult **res);
/* The server's share key (32 bytes) into KEY_HEX (65 bytes), made with CANDIDATE_HEX when there is none yet. */
enum db_status db_share_key(struct db *db, const char *candidate_hex, char key_hex[65]);

#endif
