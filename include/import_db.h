/* Imports and exports on the database (src/db/imports.c), shared by commissiond (POST /v1/imports, GET
 * /v1/exports) and commissionctl (import, export): a file checked in a savepoint that is rolled back (the dry run),
 * stored with what it depended on, and committed later in one transaction only if nothing changed. */
#ifndef COMMISSIOND_IMPORT_DB_H
#define COMMISSIOND_IMPORT_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "import.h"

/* The largest file and the most rows an import takes (README: Importing a spreadsheet). */
#define IMPORT_MAX_ROWS 50000
#define IMPORT_MAX_FIELD 20000 /* bytes: the longest column (an application's situation) is 20 000 characters */

/* Who imports, for the rows' authors and the audit trail: the token (NULL for commissionctl), its role name
 * ("system" for commissionctl), the route and method, the request id (may be NULL). */
struct import_actor {
  const char *token_id, *role, *method, *route, *request_id;
};

/* What reading and running a file gave. */
struct import_outcome {
  enum db_status status; /* DB_ROW: REPORT holds the rows' outcomes; DB_REFUSED: the file was not readable (PROBLEM);
                            otherwise the database's error */
  json_t *report;   /* {kind, file: {bytes, sha256, encoding, separator, rows}, counts: {create, update, unchanged,
                       error}, rows: [{line, outcome, id, errors: [...]}], unresolved: [...]} (owned) */
  size_t errors;    /* rows in error */
  json_t *written;  /* [{id, action}] of the objects created or updated (owned) */
  /* A file that could not be read at all: the HTTP status it calls for (413 past the limits, 422 otherwise), a
   * detail, and the errors [{field: "" (the body), line, column, reason}] (owned). */
  unsigned int problem_status;
  char detail[300];
  json_t *problem_errors;
  char file_hash[65];    /* SHA-256, hex */
  char fingerprint[64];  /* import_fingerprint() before the rows ran */
};
void import_outcome_free(struct import_outcome *o);

/* Reads DATA (LEN bytes) as a file of KIND and runs its rows on DB for COMMISSION_ID, inside the caller's
 * transaction: in a savepoint rolled back when DRY_RUN (nothing stays), for real otherwise (the caller commits only
 * when OUT->errors is 0). OUT is filled in every case; returns OUT->status. */
enum db_status import_run(struct db *db, const char *commission_id, enum import_kind kind, const char *data,
                          size_t len, const struct import_actor *who, bool dry_run, struct import_outcome *out);

/* One audit entry per object written by a committed import (OUT->written: [{id, action}]), of OBJECT_TYPE
 * (import_object_type()), in the caller's transaction. */
enum db_status import_audit_objects(struct db *db, const char *commission_id, const char *object_type,
                                    const struct import_actor *who, json_t *written, int status);
/* The audit type of KIND's objects ("units", "deposit_entries", ...). */
const char *import_object_type(enum import_kind kind);

/* The dry run kept for a commit: its id into ID (37 bytes). */
enum db_status import_store(struct db *db, const char *commission_id, enum import_kind kind, const char *data,
                            size_t len, const struct import_outcome *o, const char *token_id, char *id);

/* A stored import, locked for its commit. */
struct import_stored {
  int kind;
  char *file; /* the bytes as received (malloc) */
  size_t len;
  char file_hash[65], fingerprint[64];
  long error_count;
  bool committed;
  json_t *result; /* a committed import's answer (owned) */
};
/* DB_ROW with *S filled, DB_NO_ROW when the commission has no such import. */
enum db_status import_lock(struct db *db, const char *commission_id, const char *id, struct import_stored *s);
void import_stored_free(struct import_stored *s);
/* The fingerprint of what an import of KIND depends on now (OUT: 64 bytes). */
enum db_status import_fingerprint(struct db *db, const char *commission_id, enum import_kind kind, char *out);
/* SHA-256 of DATA in hex (OUT: 65 bytes). */
void import_file_hash(const char *data, size_t len, char *out);
/* Records the commit of import ID and its answer RESULT. */
enum db_status import_mark_committed(struct db *db, const char *commission_id, const char *id, const char *token_id,
                                     json_t *result);

/* The commission's list of KIND as a CSV file in the import's format (UTF-8 with a BOM, ';', CRLF, French headers
 * and values, cells neutralised against formulas): into *CSV (malloc, *LEN bytes). */
enum db_status import_export(struct db *db, const char *commission_id, enum import_kind kind, char **csv,
                             size_t *len);

#endif
