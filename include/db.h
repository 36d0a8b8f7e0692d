/* Database access: one PGconn per thread, statements prepared lazily on each connection and again after a
 * reconnect, transactions retried on serialization failures and deadlocks. */
#ifndef COMMISSIOND_DB_H
#define COMMISSIOND_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct db;

/* A prepared statement, defined once (static, with DB_STATEMENT) next to the code that uses it.
 *
 * Its parameters are named: PARAMS lists the names, in the order of the values the caller passes, and SQL refers to
 * them as :name (the registry turns each into its $N when it prepares the statement; "::" casts and quoted text are
 * left alone). NPARAMS is derived from the list, never counted by hand. A statement without PARAMS (NULL) uses $N
 * itself. */
struct db_statement {
  const char *name; /* unique across the program */
  const char *sql;
  int nparams;
  const char *const *params; /* NULL, or NPARAMS names */
  /* Run with its generic plan from the first call (plan_cache_mode = force_generic_plan around it), without
   * bitmap scans and without sorts (enable_bitmapscan, enable_sort = off), for a list's keyset page: its plan does
   * not depend on its parameters' values, but PostgreSQL kept choosing custom plans, paying the planning at every
   * call, and may prefer a bitmap scan and a sort of every matching row to one range of the list's ordered index
   * (src/db/conn.c, queue_plan_mode()).
   * db_exec() queues the settings in the same round trip when the session's differ, and the statements without
   * this flag run under the session's defaults again. */
  bool generic_plan;
};

/* Every statement of the program, for tools and tests (tests/db prepares each on a migrated schema): DB_STATEMENT
 * defines one and registers its address in the linker section "commissiond_statements". */
#define DB_STATEMENT(var, ...)                                                                                   \
  static const struct db_statement var = __VA_ARGS__;                                                           \
  static const struct db_statement *const var##_registered_                                                    \
      __attribute__((used, section("commissiond_statements"), aligned(sizeof(void *)))) = &var

/* The statements linked into this program: *COUNT of them. */
const struct db_statement *const *db_statements(size_t *count);

/* Named parameters. A parameter list is a macro LIST(P) calling P(name) for each parameter, in order; from it:
 *   DB_PARAMS(LIST)             the .nparams and .params members of a struct db_statement;
 *   DB_PARAMS_STRUCT(tag, LIST) struct tag, one `const char *name` member per parameter (NULL: SQL NULL), whose
 *                               values db_run() passes as the statement's parameters.
 * Example:
 *   #define ORG_GET(P) P(commission_id) P(id)
 *   DB_PARAMS_STRUCT(org_get_params, ORG_GET);
 *   DB_STATEMENT(get, {"organisation_get", "SELECT ... WHERE commission_id = :commission_id AND id = :id",
 *                      DB_PARAMS(ORG_GET)});
 *   struct org_get_params p = {.commission_id = c, .id = id};
 *   db_run(db, &get, &p, &res);
 */
#define DB_PARAM_NAME_(name) #name,
#define DB_PARAM_FIELD_(name) const char *name;
#define DB_PARAM_ONE_(name) +1
#define DB_PARAMS(LIST) .nparams = 0 LIST(DB_PARAM_ONE_), .params = (const char *const[]){LIST(DB_PARAM_NAME_) NULL}
#define DB_PARAMS_STRUCT(tag, LIST)                                                                              \
  struct tag {                                                                                                   \
    union {                                                                                                      \
      struct {                                                                                                   \
        LIST(DB_PARAM_FIELD_)                                                                                    \
      };                                                                                                         \
      const char *values_[0 LIST(DB_PARAM_ONE_)];                                                                \
    };                                                                                                           \
  }
/* Runs ST with the values of the parameter struct *P (of ST's own list: the sizes are checked). */
#define db_run(db, st, p, res)                                                                                   \
  db_exec_checked((db), (st), (p)->values_, (int)(sizeof((p)->values_) / sizeof((p)->values_[0])), (res))
/* db_run() of a statement whose result is one text value (an insert's RETURNING id, a status): the value into OUT
 * (N bytes) on DB_ROW; "" otherwise. DB_HARD_ERROR (logged) when the result is not one column or the value is
 * NULL or longer than OUT. */
#define db_run_text(db, st, p, out, n)                                                                           \
  db_exec_text((db), (st), (p)->values_, (int)(sizeof((p)->values_) / sizeof((p)->values_[0])), (out), (n))

/* db_exec_ahead() of a statement with named parameters: its status into *DONE once read. */
#define db_run_ahead(db, st, p, done)                                                                            \
  db_exec_ahead((db), (st), (p)->values_, (int)(sizeof((p)->values_) / sizeof((p)->values_[0])), (done))

/* db_run() for a statement whose result is not needed (an UPDATE, a DELETE): its status only. */
#define db_run_discard(db, st, p)                                                                                \
  db_exec_discard((db), (st), (p)->values_, (int)(sizeof((p)->values_) / sizeof((p)->values_[0])))
enum db_status db_exec_discard(struct db *db, const struct db_statement *st, const char *const *params, int nparams);

/* Result rows by name. A row shape is a macro LIST(FIRST, NEXT) calling FIRST(name, sql) for its first column and
 * NEXT(name, sql) for each following one (SQL: the expression; the column is labelled NAME); from it:
 *   DB_COLUMNS(LIST)          the select (or RETURNING) list: "sql AS name, ...";
 *   DB_ROW_STRUCT(tag, LIST)  struct tag, one `const char *name` member per column (NULL: SQL NULL; the text
 *                             points into the PGresult, valid until it is cleared);
 *   db_row(res, i, &row)      fills the struct from row I of RES; false (logged) when RES has another number of
 *                             columns, which can only be a bug.
 * Adding a column is one NEXT line; every reader names it. */
#define DB_COLUMN_FIRST_(name, sql) sql " AS " #name
#define DB_COLUMN_NEXT_(name, sql) ", " sql " AS " #name
#define DB_ROW_FIELD_(name, sql) const char *name;
#define DB_ROW_ONE_(name, sql) +1
#define DB_COLUMNS(LIST) LIST(DB_COLUMN_FIRST_, DB_COLUMN_NEXT_)
#define DB_ROW_STRUCT(tag, LIST)                                                                                 \
  struct tag {                                                                                                   \
    union {                                                                                                      \
      struct {                                                                                                   \
        LIST(DB_ROW_FIELD_, DB_ROW_FIELD_)                                                                       \
      };                                                                                                         \
      const char *columns_[0 LIST(DB_ROW_ONE_, DB_ROW_ONE_)];                                                    \
    };                                                                                                           \
  }
#define db_row(res, i, row)                                                                                      \
  db_row_read((res), (i), (row)->columns_, (int)(sizeof((row)->columns_) / sizeof((row)->columns_[0])))
bool db_row_read(const PGresult *res, int i, const char **columns, int ncolumns);

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
/* db_exec() after checking that NPARAMS values are what ST takes (db_run() passes the size of its struct):
 * DB_HARD_ERROR, logged, when not. */
enum db_status db_exec_checked(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                               PGresult **res);
/* db_exec_checked() keeping only the one text value of the result, into OUT (N bytes): see db_run_text(). */
enum db_status db_exec_text(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                            char *out, size_t n);
/* The text PostgreSQL prepares for ST: its SQL with each :name turned into $N. Malloc'ed (caller frees); NULL
 * when out of memory or when the SQL names a parameter ST does not declare (*BAD then points at it). */
char *db_statement_sql(const struct db_statement *st, const char **bad);
/* In db_transaction(): sends ST with PARAMS (NPARAMS values, as db_exec_checked() checks) without waiting for its
 * result, which is read with the COMMIT's, in the same round trip (libpq pipeline mode). For a statement whose
 * result nothing else needs before the COMMIT: the write's audit entry, the Idempotency-Key's response. DB_ROW
 * when sent; a failure of the statement fails the COMMIT (the transaction is rolled back). *DONE (NULL: not
 * wanted) gets the statement's own status once the transaction ended: DB_ROW or DB_NO_ROW as db_exec() reports
 * them if it committed, an error otherwise. Outside a transaction, ST runs at once. */
enum db_status db_exec_at_commit(struct db *db, const struct db_statement *st, const char *const *params,
                                 int nparams, enum db_status *done);
/* In db_transaction(): sends ST with PARAMS (NPARAMS values) ahead of the transaction's next statement, in the
 * same round trip (pipeline mode), without waiting for its result; the next statement does not run when ST
 * fails. *DONE gets ST's status (as db_exec() reports it) once that round trip is read, or at
 * db_read_ahead(). DB_ROW when sent. Outside a transaction, ST runs at once. */
enum db_status db_exec_ahead(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                             enum db_status *done);
/* Reads what db_exec_ahead() sent when no statement has followed it yet (one round trip then, none otherwise);
 * the transaction goes on. */
enum db_status db_read_ahead(struct db *db);
/* Round trips to the database made by this thread so far (a request's count is the difference over its handling,
 * in its log line). */
uint64_t db_round_trips_here(void);
/* Runs a fixed SQL text without parameters (BEGIN, COMMIT, ...). */
enum db_status db_simple(struct db *db, const char *sql);

/* Five-character SQLSTATE of the last error on DB ("" when none). */
const char *db_sqlstate(const struct db *db);
/* Name of the constraint the last error violated ("" when none). */
const char *db_constraint(const struct db *db);
/* DETAIL of the last error ("" when none): where a trigger puts the figures of its refusal. */
const char *db_error_detail(const struct db *db);
/* True when the last error lost the connection (the next db_thread() reconnects). */
bool db_lost(const struct db *db);
/* True for the SQLSTATE of a failure that ends the session: none at all (an error of libpq's own, such as "server
 * closed the connection unexpectedly"), class 08 (connection exception), 57P01..57P03 (the server stops, crashed,
 * or cannot accept connections yet). */
bool db_sqlstate_lost(const char *sqlstate);
/* True when the last failure on DB says the database is unavailable rather than that the request failed: a lost
 * session (db_lost(), db_sqlstate_lost()) or class 53 (out of disk, memory or connections). Answer it 503. */
bool db_unavailable(const struct db *db);

/* True when the last failure on DB was --statement-timeout (57014 query_canceled: commissiond never cancels a
 * statement otherwise) or --lock-timeout (55P03 lock_not_available): a stuck database, answered 503. */
bool db_timed_out(const struct db *db);
/* The bounds set on every worker connection from its next connection on (0: the server's setting), and the
 * longest statement of a transaction that called db_long_statements(). */
void db_request_timeouts(unsigned int statement_ms, unsigned int lock_ms, unsigned int long_statement_ms);
/* The statements of the current transaction on a worker connection are bounded by the third bound of
 * db_request_timeouts() instead of the first (an import runs a whole file as one statement); the session's own
 * bound comes back with the transaction's end. Nothing on another connection. DB_ROW, or the failure. */
enum db_status db_long_statements(struct db *db);

/* Runs SQL, a COPY ... FROM STDIN, with the LEN bytes of DATA as its whole input, in the current transaction: DB_ROW
 * when the server took every row, DB_HARD_ERROR otherwise (as db_exec() reports it). No retry: the caller's
 * transaction decides. */
enum db_status db_copy_in(struct db *db, const char *sql, const char *data, size_t len);
enum db_status db_begin(struct db *db);
enum db_status db_commit(struct db *db);
void db_rollback(struct db *db);

/* Runs BODY(db, cls) inside BEGIN ... COMMIT (BEGIN sent in one round trip with the body's first statement, COMMIT
 * with the statements deferred by db_exec_at_commit(); a body that runs no statement costs none), rolling back
 * and retrying (at most DB_TX_RETRIES times) when it or the commit reports DB_SOFT_ERROR. BODY returns a db_status; DB_HARD_ERROR and DB_REFUSED roll back (nothing of
 * the request stays, an Idempotency-Key claim included) and are returned. */
#define DB_TX_RETRIES 3
enum db_status db_transaction(struct db *db, enum db_status (*body)(struct db *db, void *cls), void *cls);

/* Whether CONNINFO reaches PostgreSQL through a pooler that shares server sessions between transactions (PgBouncer
 * pool_mode=transaction or statement), where commissiond cannot work: its prepared statements, session settings
 * and LISTEN need a session of their own. Opens two connections for the probe. 0 with *POOLED set; -1 when the
 * probe could not run (the database unreachable). */
int db_pooled_per_transaction(const char *conninfo, bool *pooled);
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
