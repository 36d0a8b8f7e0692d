/* The seals of a session's minutes in the database: the annexes of corrections sealed after closing, and the audit
 * entries that put each seal's hash in the audit chain (src/db/minutes_seal.c). No HTTP here. */
#ifndef COMMISSIOND_MINUTES_SEAL_H
#define COMMISSIOND_MINUTES_SEAL_H

#include "queries.h"

/* Who seals, for the audit entry that records a seal (the request's token, role, route and request id). */
struct seal_author {
  const char *commission_id, *token_id, *role, *method, *route, *request_id;
};

/* In the sealing transaction: an audit entry (action "create") on OBJECT_TYPE/OBJECT_ID carrying the document's
 * HASH; the chainer links it into the chain like any write's entry. */
enum db_status db_seal_audit(struct db *db, const struct seal_author *by, const char *object_type,
                             const char *object_id, const char *hash);

/* The next annex of a session's sealed minutes, the minutes row locked: its number and the label of the token
 * TOKEN_ID that corrects. DB_NO_ROW when the session has no sealed minutes. */
#define ANNEX_NEXT_ROW(FIRST, NEXT) FIRST(number, "number") NEXT(by_label, "by_label")
DB_ROW_STRUCT(annex_next_row, ANNEX_NEXT_ROW);
enum db_status db_annex_next(struct db *db, const char *commission_id, const char *session_id, const char *token_id,
                             PGresult **res);
/* Stores annex NUMBER (sealed: model, document, hash) made by the correction DECISION_ID. */
enum db_status db_annex_insert(struct db *db, const char *commission_id, const char *session_id, const char *number,
                               const char *decision_id, const char *model, const char *document, const char *hash);
/* The annexes of a session's minutes, in order of number. */
#define ANNEX_ROW(FIRST, NEXT)                                                                                   \
  FIRST(number, "x.number") NEXT(model, "x.model") NEXT(document, "x.document") NEXT(hash, "x.hash")            \
  NEXT(sealed_at, SQL_TS("x.sealed_at"))
DB_ROW_STRUCT(annex_row, ANNEX_ROW);
enum db_status db_annexes(struct db *db, const char *commission_id, const char *session_id, PGresult **res);

#endif
