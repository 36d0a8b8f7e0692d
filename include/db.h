/* Database access: one PGconn per thread, statements prepared lazily on each connection and again after a
 * reconnect, transactions retried on serialization failures and deadlocks. */
#ifndef COMMISSIOND_DB_H
#define COMMISSIOND_DB_H

#include <stdbool.h>

#include <libpq-fe.h>

/* A prepared statement, defined once (static) next to the code that uses it. */
struct db_statement {
  const char *name; /* unique across the program */
  const char *sql;
  int nparams;
};

/* Results as a small enum: the caller decides what each means for its client. */
enum db_status {
  DB_REFUSED = -3,    /* a transaction body refused the request (the caller knows why): roll back, no retry */
  DB_HARD_ERROR = -2, /* connection lost, constraint violated, bug: see db_sqlstate() */
  DB_SOFT_ERROR = -1, /* serialization failure or deadlock: retry the transaction */
  DB_NO_ROW = 0,
  DB_ROW = 1, /* one or more rows */
};

struct db;

/* Sets the conninfo every connection uses; call once before any db_thread(). CONNINFO is copied. */
int db_global_init(const char *conninfo);
/* Closes every connection opened by db_thread() (after the worker threads stopped) and frees the conninfo. */
void db_global_shutdown(void);
/* This thread's connection, connecting first if needed; NULL when the database cannot be reached. */
struct db *db_thread(void);
/* A connection of one's own (commissionctl, the listener); NULL on failure. Free with db_close(). */
struct db *db_open(const char *conninfo);
void db_close(struct db *db);
PGconn *db_pgconn(struct db *db);

/* Runs ST with PARAMS (text, NULL = SQL NULL). On DB_ROW/DB_NO_ROW, *RES holds the result (caller PQclear()s
 * it); on errors *RES is NULL. A command without rows (UPDATE without RETURNING) reports DB_ROW when it
 * affected rows, DB_NO_ROW otherwise. */
enum db_status db_exec(struct db *db, const struct db_statement *st, const char *const *params, PGresult **res);
/* Runs a fixed SQL text without parameters (BEGIN, COMMIT, ...). */
enum db_status db_simple(struct db *db, const char *sql);

/* Five-character SQLSTATE of the last error on DB ("" when none). */
const char *db_sqlstate(const struct db *db);
/* Name of the constraint the last error violated ("" when none). */
const char *db_constraint(const struct db *db);
/* True when the last error lost the connection (the next db_thread() reconnects). */
bool db_lost(const struct db *db);
/* True for the SQLSTATE of a failure that ends the session: none at all (an error of libpq's own, such as "server
 * closed the connection unexpectedly"), class 08 (connection exception), 57P01..57P03 (the server stops, crashed,
 * or cannot accept connections yet). */
bool db_sqlstate_lost(const char *sqlstate);
/* True when the last failure on DB says the database is unavailable rather than that the request failed: a lost
 * session (db_lost(), db_sqlstate_lost()) or class 53 (out of disk, memory or connections). Answer it 503. */
bool db_unavailable(const struct db *db);

enum db_status db_begin(struct db *db);
enum db_status db_commit(struct db *db);
void db_rollback(struct db *db);

/* Runs BODY(db, cls) inside BEGIN ... COMMIT, rolling back and retrying (at most DB_TX_RETRIES times) when it or
 * the commit reports DB_SOFT_ERROR. BODY returns a db_status; DB_HARD_ERROR and DB_REFUSED roll back (nothing of
 * the request stays, an Idempotency-Key claim included) and are returned. */
#define DB_TX_RETRIES 3
enum db_status db_transaction(struct db *db, enum db_status (*body)(struct db *db, void *cls), void *cls);

/* Whether the database refuses writes on this session (*IS_READ_ONLY): a hot standby, or default_transaction_read_only
 * on. Writes there fail with SQLSTATE 25006, answered 503 read-only. */
enum db_status db_read_only(struct db *db, bool *is_read_only);
/* Sets the commission this session serves (the row-level security guard), unless it already does: one round
 * trip only when the commission changes. */
enum db_status db_use_commission(struct db *db, const char *commission_id);
/* Runs HOOK(db, cls) in every db_transaction() whose body reported DB_ROW, just before its COMMIT (NULL: none); a
 * failing hook rolls the transaction back. The audit trail records writes this way, in the write's own
 * transaction; a body reporting DB_NO_ROW (a refusal) commits without the hook. */
void db_before_commit(struct db *db, enum db_status (*hook)(struct db *db, void *cls), void *cls);

/* Counters for /metrics. */
long db_metric_errors(void);
long db_metric_connections(void);

#endif
