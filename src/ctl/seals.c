/* commissionctl minutes verify, and the seals part of audit verify: every sealed document (the minutes of a closed
 * session, each annex of corrections) must still hash to its stored hash, and that hash must be the one its audit
 * entry put in the chain, an entry whose own link holds (audit verify walks the whole chain). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit_hash.h"
#include "ctl.h"
#include "seal.h"

/* Each sealed document (of one session, or all with $1 NULL): what, which session, its number (0: the minutes),
 * model, document, stored hash, and the chain's entry that recorded it (hash carried, position, previous hash, entry
 * hash, canonical text). */
static const char *const SEALS_SQL =
  "SELECT d.kind, d.session_id, d.number, d.model, d.document, d.hash, e.document_hash, e.chain_pos, "
  "encode(e.prev_hash, 'hex'), encode(e.hash, 'hex'), audit_entry_text(e) FROM ("
  "SELECT 'minutes' AS kind, m.commission_id, m.session_id, 0 AS number, m.model, m.document, m.hash, "
  "'session_minutes' AS object_type, m.session_id AS object_id FROM session_minutes m "
  "WHERE $1::uuid IS NULL OR m.session_id = $1::uuid UNION ALL "
  "SELECT 'annex', x.commission_id, x.session_id, x.number, x.model, x.document, x.hash, 'minutes_annexes', "
  "x.decision_id FROM minutes_annexes x WHERE $1::uuid IS NULL OR x.session_id = $1::uuid) d "
  "LEFT JOIN LATERAL (SELECT a.* FROM audit_log a WHERE a.commission_id = d.commission_id AND a.object_id = "
  "d.object_id AND a.person_id IS DISTINCT FROM a.object_id AND a.object_type = d.object_type "
  "AND a.document_hash IS NOT NULL ORDER BY a.id LIMIT 1) e ON true "
  "ORDER BY d.session_id, d.number";

/* The seals the chain recorded whose document is gone (of one session, or all with $1 NULL). */
static const char *const GONE_SQL =
  "SELECT a.object_type, coalesce(d.session_id, a.object_id), a.document_hash FROM audit_log a "
  "LEFT JOIN decisions d ON a.object_type = 'minutes_annexes' AND d.commission_id = a.commission_id AND d.id = "
  "a.object_id WHERE a.document_hash IS NOT NULL AND a.object_type IN ('session_minutes', 'minutes_annexes') "
  "AND ($1::uuid IS NULL OR coalesce(d.session_id, a.object_id) = $1::uuid) "
  "AND NOT EXISTS (SELECT 1 FROM session_minutes m WHERE a.object_type = 'session_minutes' AND m.commission_id = "
  "a.commission_id AND m.session_id = a.object_id) "
  "AND NOT EXISTS (SELECT 1 FROM minutes_annexes x WHERE a.object_type = 'minutes_annexes' AND x.commission_id = "
  "a.commission_id AND x.decision_id = a.object_id) ORDER BY a.id";

enum { C_KIND, C_SESSION, C_NUMBER, C_MODEL, C_DOCUMENT, C_HASH, C_CHAINED, C_POS, C_PREV, C_ENTRY_HASH, C_TEXT };

/* Why row I of R is not intact, into WHY; "" when it is. */
static void seal_check(PGresult *r, int i, char *why, size_t n) {
  char hex[SEAL_HEX_LEN];
  seal_hash(PQgetvalue(r, i, C_MODEL), PQgetvalue(r, i, C_DOCUMENT), hex);
  why[0] = '\0';
  if (strcmp(hex, PQgetvalue(r, i, C_HASH)) != 0) {
    snprintf(why, n, "its stored text hashes to %s, not to the hash stored with it (%s)", hex,
             PQgetvalue(r, i, C_HASH));
    return;
  }
  if (PQgetisnull(r, i, C_CHAINED)) {
    snprintf(why, n, "no audit entry records its seal");
    return;
  }
  if (strcmp(hex, PQgetvalue(r, i, C_CHAINED)) != 0) {
    snprintf(why, n, "it hashes to %s, but the audit chain recorded %s at its sealing", hex,
             PQgetvalue(r, i, C_CHAINED));
    return;
  }
  if (PQgetisnull(r, i, C_POS))
    return; /* recorded, not yet chained (the daemon chains within a second) */
  unsigned char prev[AUDIT_HASH_BYTES], hash[AUDIT_HASH_BYTES];
  size_t len = 0;
  bool has_prev = !PQgetisnull(r, i, C_PREV) && sodium_hex2bin(prev, sizeof prev, PQgetvalue(r, i, C_PREV),
                                                               strlen(PQgetvalue(r, i, C_PREV)), NULL, &len,
                                                               NULL) == 0 && len == sizeof prev;
  audit_hash(has_prev ? prev : NULL, strtoll(PQgetvalue(r, i, C_POS), NULL, 10), PQgetvalue(r, i, C_TEXT), hash);
  char entry[2 * AUDIT_HASH_BYTES + 1];
  sodium_bin2hex(entry, sizeof entry, hash, sizeof hash);
  if (strcmp(entry, PQgetvalue(r, i, C_ENTRY_HASH)) != 0)
    snprintf(why, n, "the audit entry that records its seal (chain position %s) was altered",
             PQgetvalue(r, i, C_POS));
}

int ctl_seals_verify(PGconn *conn, const char *session_id, bool quiet) {
  const char *params[] = {session_id};
  PGresult *r = PQexecParams(conn, SEALS_SQL, 1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    fprintf(stderr, "commissionctl: cannot read the sealed minutes: %s", PQerrorMessage(conn));
    PQclear(r);
    return -1;
  }
  int altered = 0;
  for (int i = 0; i < PQntuples(r); i++) {
    char why[400], what[120];
    seal_check(r, i, why, sizeof why);
    if (strcmp(PQgetvalue(r, i, C_KIND), "minutes") == 0)
      snprintf(what, sizeof what, "minutes of session %s", PQgetvalue(r, i, C_SESSION));
    else
      snprintf(what, sizeof what, "annex n° %s of the minutes of session %s", PQgetvalue(r, i, C_NUMBER),
               PQgetvalue(r, i, C_SESSION));
    if (why[0] != '\0') {
      altered++;
      fprintf(stderr, "commissionctl: %s ALTERED: %s\n", what, why);
    } else if (!quiet) {
      printf("%s: intact (BLAKE2b-256 %s%s)\n", what, PQgetvalue(r, i, C_HASH),
             PQgetisnull(r, i, C_POS) ? ", recorded in the audit trail, not yet chained" : ", in the audit chain");
    }
  }
  int found = PQntuples(r);
  PQclear(r);
  r = PQexecParams(conn, GONE_SQL, 1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    fprintf(stderr, "commissionctl: cannot read the audit trail: %s", PQerrorMessage(conn));
    PQclear(r);
    return -1;
  }
  for (int i = 0; i < PQntuples(r); i++, altered++)
    fprintf(stderr, "commissionctl: %s of session %s DELETED: the audit chain recorded its seal %s\n",
            strcmp(PQgetvalue(r, i, 0), "session_minutes") == 0 ? "the sealed minutes" : "a sealed annex of the minutes",
            PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
  int rc = altered > 0 ? 1 : found == 0 ? 2 : 0;
  if (quiet && rc != 1)
    printf("sealed documents intact: %d\n", found);
  PQclear(r);
  return rc;
}
