/* Connections, the statement registry and transactions (see include/db.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

#define PREPARED_SLOTS 512 /* power of two, well above the number of statements */
#define QUEUED_MAX 8        /* statements sent in one pipeline before their results are read */
#define OUTCOMES_MAX 8      /* statements deferred to the COMMIT in one transaction */

/* A statement sent in pipeline mode whose result is not read yet. */
struct queued {
  const char *what;      /* its name, for the log */
  enum db_status *done;  /* where its status goes (a deferred statement's), or NULL */
};

struct db {
  PGconn *conn;
  char commission[40]; /* what commissiond.commission is set to on this session ("" when unset) */
  enum db_status (*before_commit)(struct db *db, void *cls);
  void *before_commit_cls;
  const struct db_statement *prepared[PREPARED_SLOTS]; /* open-addressing set of statements prepared here */
  char sqlstate[6];
  char constraint[64];
  char detail[128]; /* the last error's DETAIL (a trigger's figures for a refusal's answer) */
  bool lost;
  /* The session's plan_cache_mode: PLAN_DEFAULT (the server's, as at connection), PLAN_GENERIC (set for a
   * statement flagged generic_plan), PLAN_UNKNOWN (a SET may have been undone by a rollback or a failure). */
  enum plan_mode { PLAN_DEFAULT, PLAN_GENERIC, PLAN_UNKNOWN } plan_mode;
  bool worker; /* a worker thread's connection (db_thread()): the request timeouts apply to it */
  /* In db_transaction(): BEGIN is not sent on its own but in one pipeline with the first statement, and the
   * statements deferred to the COMMIT (db_exec_at_commit()) in one pipeline with it. */
  bool in_transaction;
  bool begin_pending; /* BEGIN still to send */
  bool begin_queued;  /* BEGIN sent in the pipeline not read yet */
  int nqueued;
  struct queued queued[QUEUED_MAX];
  int noutcomes;
  enum db_status *outcomes[OUTCOMES_MAX]; /* the deferred statements' status slots, failed if the COMMIT is not */
  int nahead; /* statements sent ahead of the next one (db_exec_ahead()) whose results are not read yet */
  struct timespec last_attempt;
  struct db *next_thread_db; /* list of per-thread connections, for shutdown */
};

static char *global_conninfo;
static unsigned int statement_timeout_ms, lock_timeout_ms, long_statement_ms;
static pthread_mutex_t thread_dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db *thread_dbs;
static _Thread_local struct db *this_thread_db;
static _Thread_local uint64_t thread_round_trips;
static atomic_long metric_errors;
static atomic_long metric_connections;

long db_metric_errors(void) { return atomic_load_explicit(&metric_errors, memory_order_relaxed); }
long db_metric_connections(void) { return atomic_load_explicit(&metric_connections, memory_order_relaxed); }
uint64_t db_round_trips_here(void) { return thread_round_trips; }

static void notice_ignore(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

void db_request_timeouts(unsigned int statement_ms, unsigned int lock_ms, unsigned int long_ms) {
  statement_timeout_ms = statement_ms;
  lock_timeout_ms = lock_ms;
  long_statement_ms = long_ms;
}

/* The settings every session starts with, in one round trip: dates and "today" are UTC everywhere, whatever the
 * server's or the role's default time zone, and dates and timestamps are written in the ISO style (SQL_TS_RAW,
 * jw_timestamp()) whatever the server's DateStyle; no statement is compiled to machine code (jit: each is a short
 * transaction, and a compilation costs hundreds of milliseconds; a list's page, planned without sorts, carries a
 * sort's disabled cost over jit_above_cost: 275 ms of compilation for a page of 0.3 ms); a worker's statements and
 * lock waits are bounded (--statement-timeout, --lock-timeout: 0 leaves the server's setting), so that a stuck
 * database answers a prompt 503, never a hang. */
static bool session_setup(struct db *db) {
  char sql[192] = "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET jit = off";
  size_t n = strlen(sql);
  if (db->worker && statement_timeout_ms > 0)
    n += (size_t)snprintf(sql + n, sizeof sql - n, "; SET statement_timeout = %u", statement_timeout_ms);
  if (db->worker && lock_timeout_ms > 0 && n < sizeof sql)
    snprintf(sql + n, sizeof sql - n, "; SET lock_timeout = %u", lock_timeout_ms);
  thread_round_trips++;
  PGresult *r = PQexec(db->conn, sql);
  bool ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

/* Connects DB->conn; false on failure (the connection is closed again). */
static bool db_connect(struct db *db, const char *conninfo) {
  clock_gettime(CLOCK_MONOTONIC, &db->last_attempt);
  db->conn = PQconnectdb(conninfo);
  if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
    char msg[256];
    log_event(LOG_WARN, "database connection failed", ",\"error\":\"%s\"",
              log_json_escape(db->conn ? PQerrorMessage(db->conn) : "out of memory", msg, sizeof msg));
    PQfinish(db->conn);
    db->conn = NULL;
    return false;
  }
  PQsetNoticeProcessor(db->conn, notice_ignore, NULL);
  if (!session_setup(db)) {
    log_event(LOG_WARN, "database connection failed", ",\"error\":\"cannot apply the session's settings\"");
    PQfinish(db->conn);
    db->conn = NULL;
    return false;
  }
  memset(db->prepared, 0, sizeof db->prepared);
  db->commission[0] = '\0';
  db->lost = false;
  db->nqueued = db->nahead = 0;
  db->begin_pending = db->begin_queued = false;
  atomic_fetch_add_explicit(&metric_connections, 1, memory_order_relaxed);
  return true;
}

static void db_disconnect(struct db *db) {
  if (db->conn == NULL)
    return;
  PQfinish(db->conn);
  db->conn = NULL;
  atomic_fetch_sub_explicit(&metric_connections, 1, memory_order_relaxed);
}

int db_global_init(const char *conninfo) {
  global_conninfo = strdup(conninfo);
  return global_conninfo == NULL ? -1 : 0;
}

void db_global_shutdown(void) {
  pthread_mutex_lock(&thread_dbs_lock);
  struct db *db = thread_dbs;
  thread_dbs = NULL;
  pthread_mutex_unlock(&thread_dbs_lock);
  while (db != NULL) {
    struct db *next = db->next_thread_db;
    db_close(db);
    db = next;
  }
  free(global_conninfo);
  global_conninfo = NULL;
}

struct db *db_thread(void) {
  struct db *db = this_thread_db;
  if (db == NULL) {
    db = calloc(1, sizeof *db);
    if (db == NULL)
      return NULL;
    db->worker = true;
    pthread_mutex_lock(&thread_dbs_lock); /* once per thread, never per request */
    db->next_thread_db = thread_dbs;
    thread_dbs = db;
    pthread_mutex_unlock(&thread_dbs_lock);
    this_thread_db = db;
  }
  if (db->conn != NULL && (db->lost || PQstatus(db->conn) != CONNECTION_OK))
    db_disconnect(db);
  if (db->conn == NULL) {
    /* While the server is down, try at most every 100 ms per thread instead of on every request. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long since_ms = (now.tv_sec - db->last_attempt.tv_sec) * 1000 + (now.tv_nsec - db->last_attempt.tv_nsec) / 1000000;
    if (db->last_attempt.tv_sec != 0 && since_ms < 100)
      return NULL;
    if (!db_connect(db, global_conninfo))
      return NULL;
  }
  return db;
}

struct db *db_open(const char *conninfo) {
  struct db *db = calloc(1, sizeof *db);
  if (db == NULL)
    return NULL;
  if (!db_connect(db, conninfo)) {
    free(db);
    return NULL;
  }
  return db;
}

void db_close(struct db *db) {
  if (db == NULL)
    return;
  db_disconnect(db);
  free(db);
}

static enum db_status pipeline_flush(struct db *db);

PGconn *db_pgconn(struct db *db) {
  pipeline_flush(db); /* whoever uses the connection directly finds BEGIN sent and no result pending */
  return db->conn;
}
const char *db_sqlstate(const struct db *db) { return db->sqlstate; }
const char *db_constraint(const struct db *db) { return db->constraint; }
const char *db_error_detail(const struct db *db) { return db->detail; }
bool db_lost(const struct db *db) { return db->lost; }

bool db_sqlstate_lost(const char *sqlstate) {
  return sqlstate[0] == '\0' || strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
         strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

bool db_timed_out(const struct db *db) {
  return strcmp(db->sqlstate, "57014") == 0 || strcmp(db->sqlstate, "55P03") == 0;
}

bool db_unavailable(const struct db *db) {
  return db->lost || strncmp(db->sqlstate, "53", 2) == 0; /* db_fail() marked the other cases lost */
}

/* Classifies a failed result, remembering its SQLSTATE and constraint; takes ownership of RES. */
static enum db_status db_fail(struct db *db, PGresult *res, const char *what) {
  db->plan_mode = PLAN_UNKNOWN; /* the failed statement's transaction undoes a SET made in it */
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
  snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
  snprintf(db->constraint, sizeof db->constraint, "%s", constraint ? constraint : "");
  const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  snprintf(db->detail, sizeof db->detail, "%s", detail ? detail : "");
  /* libpq may report a dropped connection before its status says so (an error of its own, without SQLSTATE, or
   * the server's 57P01 before the end of the stream): the session is not trusted any more either way. */
  if (PQstatus(db->conn) != CONNECTION_OK || db_sqlstate_lost(db->sqlstate))
    db->lost = true;
  PQclear(res);
  if (strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0)
    return DB_SOFT_ERROR;
  /* Constraint violations are the client's mistake, answered as such: not counted as database errors. */
  if (strncmp(db->sqlstate, "23", 2) != 0) {
    char msg[256];
    atomic_fetch_add_explicit(&metric_errors, 1, memory_order_relaxed);
    log_event(LOG_ERROR, "database error", ",\"statement\":\"%s\",\"sqlstate\":\"%s\",\"error\":\"%s\"", what,
              db->sqlstate, log_json_escape(PQerrorMessage(db->conn), msg, sizeof msg));
  }
  return DB_HARD_ERROR;
}

/* The linker gathers every DB_STATEMENT's address between these two symbols. */
extern const struct db_statement *const __start_commissiond_statements[];
extern const struct db_statement *const __stop_commissiond_statements[];

const struct db_statement *const *db_statements(size_t *count) {
  *count = (size_t)(__stop_commissiond_statements - __start_commissiond_statements);
  return __start_commissiond_statements;
}

static bool sql_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *db_statement_sql(const struct db_statement *st, const char **bad) {
  *bad = NULL;
  size_t len = strlen(st->sql);
  if (st->params == NULL)
    return strdup(st->sql);
  /* "$N" is at most 4 characters for 999 parameters, ":x" at least 2: twice the length always suffices. */
  char *out = malloc(2 * len + 1), *o = out;
  if (out == NULL)
    return NULL;
  for (const char *p = st->sql; *p != '\0';) {
    if (*p == '\'' || *p == '"') { /* a quoted literal or identifier, copied whole ('' and "" included) */
      char quote = *p;
      *o++ = *p++;
      while (*p != '\0' && *p != quote)
        *o++ = *p++;
      if (*p != '\0')
        *o++ = *p++;
    } else if (p[0] == ':' && p[1] == ':') { /* a cast */
      *o++ = *p++;
      *o++ = *p++;
    } else if (p[0] == ':' && sql_ident_char(p[1])) {
      const char *name = p + 1;
      size_t n = 0;
      while (sql_ident_char(name[n]))
        n++;
      int index = 0;
      while (st->params[index] != NULL && (strlen(st->params[index]) != n || memcmp(st->params[index], name, n) != 0))
        index++;
      if (st->params[index] == NULL) {
        *bad = p;
        free(out);
        return NULL;
      }
      o += sprintf(o, "$%d", index + 1);
      p = name + n;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

static size_t prepared_slot(const struct db *db, const struct db_statement *st) {
  size_t slot = ((uintptr_t)st >> 4) & (PREPARED_SLOTS - 1);
  while (db->prepared[slot] != NULL && db->prepared[slot] != st)
    slot = (slot + 1) & (PREPARED_SLOTS - 1);
  return slot;
}

/* Ensures ST is prepared on this connection. PREPARE is not pipelined: what is queued (BEGIN included) is sent
 * and read first, once per statement and session. */
static enum db_status db_prepare(struct db *db, const struct db_statement *st) {
  size_t slot = prepared_slot(db, st);
  if (db->prepared[slot] == st)
    return DB_ROW;
  enum db_status flushed = pipeline_flush(db);
  if (flushed < 0)
    return flushed;
  const char *bad;
  char *sql = db_statement_sql(st, &bad);
  if (sql == NULL) {
    log_event(LOG_ERROR, "statement not prepared", ",\"statement\":\"%s\",\"error\":\"%s\"", st->name,
              bad != NULL ? "names an undeclared parameter" : "out of memory");
    return DB_HARD_ERROR;
  }
  thread_round_trips++;
  PGresult *res = PQprepare(db->conn, st->name, sql, st->nparams, NULL);
  free(sql);
  if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
    return db_fail(db, res, st->name);
  PQclear(res);
  db->prepared[slot] = st;
  return DB_ROW;
}

/* The status of a statement's result R: DB_ROW when it returned or affected rows, DB_NO_ROW otherwise. */
static enum db_status result_rows(const PGresult *r) {
  if (PQresultStatus(r) == PGRES_TUPLES_OK)
    return PQntuples(r) > 0 ? DB_ROW : DB_NO_ROW;
  const char *affected = PQcmdTuples((PGresult *)r);
  return (affected[0] != '\0' && strcmp(affected, "0") != 0) ? DB_ROW : DB_NO_ROW;
}

/* --- Pipelines: statements sent without waiting, their results read in order after one Sync ------------------ */

static bool pipeline_room(struct db *db, int n) {
  if (db->nqueued + n > QUEUED_MAX)
    return false;
  return PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF || PQenterPipelineMode(db->conn) == 1;
}

static bool queue_command(struct db *db, const char *sql) {
  if (!pipeline_room(db, 1) || PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
    return false;
  db->queued[db->nqueued++] = (struct queued){sql, NULL};
  return true;
}

/* Queues BEGIN when the transaction has not begun on the server yet. */
static bool queue_begin(struct db *db) {
  if (!db->begin_pending)
    return true;
  if (!queue_command(db, "BEGIN"))
    return false;
  db->begin_pending = false;
  db->begin_queued = true;
  return true;
}

static bool queue_prepared(struct db *db, const struct db_statement *st, const char *const *params,
                           enum db_status *done) {
  if (!pipeline_room(db, 1) || PQsendQueryPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, 0) != 1)
    return false;
  db->queued[db->nqueued++] = (struct queued){st->name, done};
  return true;
}

/* A pipeline whose state is unknown (a send or a read failed): the session is given up. */
static enum db_status pipeline_broken(struct db *db, const char *what) {
  enum db_status s = db_fail(db, NULL, what);
  db->lost = true;
  return s;
}

/* Sends a Sync and reads the results of everything queued, in order: one round trip. Returns the first failure
 * (the statements after it were not run), else the last statement's status, whose result goes to *LAST when
 * LAST is not NULL (the caller PQclear()s it). Each deferred statement's status goes to its slot. */
static enum db_status pipeline_sync(struct db *db, PGresult **last) {
  int n = db->nqueued;
  bool began = db->begin_queued;
  db->nqueued = db->nahead = 0;
  db->begin_queued = false;
  if (last != NULL)
    *last = NULL;
  thread_round_trips++;
  enum db_status s = DB_ROW;
  if (PQpipelineSync(db->conn) != 1)
    s = pipeline_broken(db, "pipeline sync");
  for (int i = 0; i < n && !db->lost; i++) {
    PGresult *r = PQgetResult(db->conn), *extra;
    if (r == NULL) {
      s = pipeline_broken(db, db->queued[i].what);
      break;
    }
    while ((extra = PQgetResult(db->conn)) != NULL) /* the end of this statement's results */
      PQclear(extra);
    ExecStatusType rs = PQresultStatus(r);
    enum db_status item;
    if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
      item = result_rows(r);
    } else if (rs == PGRES_PIPELINE_ABORTED) { /* not run: an earlier statement failed */
      PQclear(r);
      r = NULL;
      item = s < 0 ? s : DB_HARD_ERROR;
    } else {
      item = db_fail(db, r, db->queued[i].what);
      r = NULL;
    }
    if (db->queued[i].done != NULL)
      *db->queued[i].done = item;
    if (s >= 0)
      s = item;
    if (i == n - 1 && last != NULL && s >= 0)
      *last = r;
    else
      PQclear(r);
  }
  if (!db->lost) {
    PGresult *r = PQgetResult(db->conn);
    bool synced = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (!synced || PQexitPipelineMode(db->conn) != 1)
      s = pipeline_broken(db, "pipeline sync");
  }
  if (db->lost) {
    if (last != NULL) {
      PQclear(*last);
      *last = NULL;
    }
    if (s >= 0)
      s = DB_HARD_ERROR;
    if (began)
      db->begin_pending = true; /* nothing of the transaction reached a session: a retry on a new one begins it */
  }
  return s;
}

/* Sends what is queued (BEGIN included) and reads its results: the connection is then out of pipeline mode, for
 * a statement that cannot be pipelined (a PREPARE, a simple query, COPY). */
static enum db_status pipeline_flush(struct db *db) {
  if (db->conn == NULL || (db->nqueued == 0 && !db->begin_pending))
    return DB_ROW;
  if (!queue_begin(db))
    return pipeline_broken(db, "BEGIN");
  return pipeline_sync(db, NULL);
}

enum db_status db_exec_checked(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                               PGresult **res) {
  if (nparams != st->nparams) {
    *res = NULL;
    log_event(LOG_ERROR, "statement called with the wrong parameters",
              ",\"statement\":\"%s\",\"expected\":%d,\"given\":%d", st->name, st->nparams, nparams);
    return DB_HARD_ERROR;
  }
  return db_exec(db, st, params, res);
}

enum db_status db_exec_discard(struct db *db, const struct db_statement *st, const char *const *params, int nparams) {
  PGresult *res;
  enum db_status s = db_exec_checked(db, st, params, nparams, &res);
  PQclear(res);
  return s;
}

bool db_row_read(const PGresult *res, int i, const char **columns, int ncolumns) {
  if (PQnfields(res) != ncolumns || i < 0 || i >= PQntuples(res)) {
    log_event(LOG_ERROR, "result does not have the row shape read", ",\"columns\":%d,\"expected\":%d,\"row\":%d",
              PQnfields(res), ncolumns, i);
    for (int c = 0; c < ncolumns; c++)
      columns[c] = NULL;
    return false;
  }
  for (int c = 0; c < ncolumns; c++)
    columns[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
  return true;
}

enum db_status db_exec_text(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                            char *out, size_t n) {
  PGresult *res;
  const char *text = NULL;
  if (n > 0)
    out[0] = '\0';
  enum db_status s = db_exec_checked(db, st, params, nparams, &res);
  if (s == DB_ROW && (!db_row_read(res, 0, &text, 1) || text == NULL || strlen(text) >= n)) {
    log_event(LOG_ERROR, "result is not one text value", ",\"statement\":\"%s\"", st->name);
    s = DB_HARD_ERROR;
  }
  if (s == DB_ROW)
    memcpy(out, text, strlen(text) + 1);
  PQclear(res);
  return s;
}

/* After a failure that lost a connection which was idle (no transaction to lose), connects again at once: a
 * PostgreSQL restart while the daemon was idle then costs no request an error. True when reconnected. */
static bool db_recover(struct db *db, bool was_idle) {
  if (!was_idle || !db->lost)
    return false;
  PQreset(db->conn);
  if (PQstatus(db->conn) != CONNECTION_OK)
    return false;
  memset(db->prepared, 0, sizeof db->prepared);
  db->lost = false;
  db->plan_mode = PLAN_DEFAULT;
  /* The new session starts with no setting: serve the same commission as before. */
  char commission[sizeof db->commission];
  snprintf(commission, sizeof commission, "%s", db->commission);
  db->commission[0] = '\0';
  bool ok = session_setup(db);
  if (ok && commission[0] != '\0')
    ok = db_use_commission(db, commission) == DB_ROW;
  if (!ok) {
    db->lost = true;
    return false;
  }
  log_event(LOG_INFO, "database connection re-established", NULL);
  return true;
}

static enum db_status db_exec_once(struct db *db, const struct db_statement *st, const char *const *params,
                                   PGresult **res);

static bool session_idle(const struct db *db);

enum db_status db_exec(struct db *db, const struct db_statement *st, const char *const *params, PGresult **res) {
  bool was_idle = session_idle(db);
  enum db_status s = db_exec_once(db, st, params, res);
  if (s == DB_HARD_ERROR && db_recover(db, was_idle))
    s = db_exec_once(db, st, params, res);
  return s;
}

/* Queues the settings of PLAN: a statement flagged generic_plan (a list's keyset page) runs its generic plan,
 * without bitmap scans and without sorts, so that its page is one range of its ordered index that the LIMIT stops.
 * A bitmap scan reads every row its index conditions match and must sort them: under row-level security the
 * policy's filter shrinks the estimates to a few rows, the plans then cost about the same, and the heap's order
 * decided (the review schedule read the 300 placements of the next 30 days at every row of the page on the bench's
 * large set: 10 356 buffers and 20 ms a page, 1 042 and 2 ms by index); a sort of another index's rows likewise.
 * The other statements run under the session's defaults. */
static bool queue_plan_mode(struct db *db, enum plan_mode plan) {
  if (plan == PLAN_GENERIC)
    return queue_command(db, "SET plan_cache_mode = force_generic_plan") &&
           queue_command(db, "SET enable_bitmapscan = off") && queue_command(db, "SET enable_sort = off");
  return queue_command(db, "RESET plan_cache_mode") && queue_command(db, "RESET enable_bitmapscan") &&
         queue_command(db, "RESET enable_sort");
}

static enum db_status db_exec_once(struct db *db, const struct db_statement *st, const char *const *params,
                                   PGresult **res) {
  *res = NULL;
  db->sqlstate[0] = db->constraint[0] = db->detail[0] = '\0';
  enum db_status s = db_prepare(db, st);
  if (s < 0)
    return s;
  enum plan_mode plan = st->generic_plan ? PLAN_GENERIC : PLAN_DEFAULT;
  if (db->begin_pending || db->nqueued > 0 || db->plan_mode != plan) {
    /* with BEGIN, after deferred statements, or after the plan setting it needs: one round trip */
    if (!queue_begin(db) || (db->plan_mode != plan && !queue_plan_mode(db, plan)) ||
        !queue_prepared(db, st, params, NULL))
      return pipeline_broken(db, st->name);
    s = pipeline_sync(db, res);
    db->plan_mode = s >= 0 ? plan : PLAN_UNKNOWN; /* a failed statement's implicit transaction undid the SET */
    return s;
  }
  thread_round_trips++;
  PGresult *r = PQexecPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, 0);
  ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
    *res = r;
    return result_rows(r);
  }
  return db_fail(db, r, st->name);
}

/* Sends ST in the transaction's pipeline (BEGIN first when not sent yet), its status to go to *DONE once read. */
static enum db_status queue_statement(struct db *db, const struct db_statement *st, const char *const *params,
                                      enum db_status *done) {
  db->sqlstate[0] = db->constraint[0] = db->detail[0] = '\0';
  enum db_status s = db_prepare(db, st);
  if (s < 0)
    return s;
  if (!queue_begin(db) || !queue_prepared(db, st, params, done))
    return pipeline_broken(db, st->name);
  return DB_ROW;
}

enum db_status db_exec_at_commit(struct db *db, const struct db_statement *st, const char *const *params,
                                 int nparams, enum db_status *done) {
  if (done != NULL)
    *done = DB_HARD_ERROR;
  if (nparams != st->nparams || !db->in_transaction || db->noutcomes >= OUTCOMES_MAX ||
      db->nqueued + 3 > QUEUED_MAX) { /* room for BEGIN and COMMIT too; else at once */
    PGresult *res;
    enum db_status s = db_exec_checked(db, st, params, nparams, &res);
    PQclear(res);
    if (done != NULL) {
      *done = s;
      if (s >= 0 && db->in_transaction && db->noutcomes < OUTCOMES_MAX)
        db->outcomes[db->noutcomes++] = done;
    }
    return s < 0 ? s : DB_ROW;
  }
  enum db_status s = queue_statement(db, st, params, done);
  if (s >= 0 && done != NULL)
    db->outcomes[db->noutcomes++] = done;
  return s;
}

enum db_status db_exec_ahead(struct db *db, const struct db_statement *st, const char *const *params, int nparams,
                             enum db_status *done) {
  *done = DB_HARD_ERROR;
  if (nparams != st->nparams || !db->in_transaction || db->nqueued + 3 > QUEUED_MAX) {
    PGresult *res; /* outside a transaction, or no room left in the pipeline: at once */
    *done = db_exec_checked(db, st, params, nparams, &res);
    PQclear(res);
    return *done < 0 ? *done : DB_ROW;
  }
  enum db_status s = queue_statement(db, st, params, done);
  if (s >= 0)
    db->nahead++;
  return s;
}

enum db_status db_read_ahead(struct db *db) { return db->nahead > 0 ? pipeline_flush(db) : DB_ROW; }

static enum db_status db_simple_once(struct db *db, const char *sql) {
  enum db_status s = pipeline_flush(db);
  if (s < 0)
    return s;
  db->sqlstate[0] = db->constraint[0] = db->detail[0] = '\0';
  thread_round_trips++;
  PGresult *r = PQexec(db->conn, sql);
  if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK) {
    PQclear(r);
    return DB_ROW;
  }
  return db_fail(db, r, sql);
}

/* True when nothing of a transaction reached this session yet: a lost connection can be replaced and the
 * statement run again. */
static bool session_idle(const struct db *db) {
  return db->nqueued == 0 && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
}

enum db_status db_simple(struct db *db, const char *sql) {
  bool was_idle = session_idle(db);
  enum db_status s = db_simple_once(db, sql);
  if (s == DB_HARD_ERROR && db_recover(db, was_idle))
    s = db_simple_once(db, sql);
  return s;
}

enum db_status db_copy_in(struct db *db, const char *sql, const char *data, size_t len) {
  enum db_status flushed = pipeline_flush(db);
  if (flushed < 0)
    return flushed;
  db->sqlstate[0] = db->constraint[0] = db->detail[0] = '\0';
  thread_round_trips++;
  PGresult *r = PQexec(db->conn, sql);
  if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN)
    return db_fail(db, r, sql);
  PQclear(r);
  bool sent = true;
  for (size_t off = 0; sent && off < len;) {
    int chunk = len - off > (1u << 20) ? 1 << 20 : (int)(len - off);
    sent = PQputCopyData(db->conn, data + off, chunk) == 1;
    off += (size_t)chunk;
  }
  /* the end of the data, or (when a chunk could not be sent) an error that makes the server give the COPY up */
  if (PQputCopyEnd(db->conn, sent ? NULL : "the data could not be sent") != 1)
    sent = false;
  enum db_status s = DB_ROW;
  while ((r = PQgetResult(db->conn)) != NULL) {
    if (s == DB_ROW && PQresultStatus(r) != PGRES_COMMAND_OK)
      s = db_fail(db, r, sql);
    else
      PQclear(r);
  }
  if (s == DB_ROW && !sent)
    s = db_fail(db, NULL, sql);
  return s;
}

enum db_status db_long_statements(struct db *db) {
  if (!db->worker)
    return DB_ROW; /* commissionctl's connections have no bound of commissiond's */
  char sql[64];
  if (long_statement_ms > 0)
    snprintf(sql, sizeof sql, "SET LOCAL statement_timeout = %u", long_statement_ms);
  else
    snprintf(sql, sizeof sql, "SET LOCAL statement_timeout TO DEFAULT");
  return db_simple(db, sql);
}

enum db_status db_begin(struct db *db) { return db_simple(db, "BEGIN"); }

enum db_status db_commit(struct db *db) {
  if (db->begin_pending && db->nqueued == 0) { /* the transaction sent nothing: nothing to commit */
    db->begin_pending = false;
    return DB_ROW;
  }
  if (db->nqueued == 0)
    return db_simple(db, "COMMIT");
  /* the deferred statements and COMMIT: one round trip */
  db->sqlstate[0] = db->constraint[0] = db->detail[0] = '\0';
  if (!queue_begin(db) || !queue_command(db, "COMMIT"))
    return pipeline_broken(db, "COMMIT");
  enum db_status s = pipeline_sync(db, NULL);
  return s < 0 ? s : DB_ROW;
}

void db_rollback(struct db *db) {
  if (db->conn == NULL)
    return;
  if (db->nqueued > 0) /* read what was sent: its failures are logged, its effects rolled back below */
    (void)pipeline_sync(db, NULL);
  db->begin_pending = false; /* also when the read lost the session (pipeline_sync() then asks for it again) */
  if (db->lost || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
    return;
  db->plan_mode = PLAN_UNKNOWN; /* a SET made in the transaction is undone */
  thread_round_trips++;
  PGresult *r = PQexec(db->conn, "ROLLBACK");
  if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
    db->lost = true; /* cannot trust this session any more: reconnect on next use */
  PQclear(r);
}

/* The deferred statements of a transaction that did not commit did nothing. */
static void outcomes_failed(struct db *db, enum db_status s) {
  for (int i = 0; i < db->noutcomes; i++)
    *db->outcomes[i] = s < 0 ? s : DB_HARD_ERROR;
  db->noutcomes = 0;
}

enum db_status db_transaction(struct db *db, enum db_status (*body)(struct db *, void *), void *cls) {
  enum db_status s = DB_SOFT_ERROR;
  for (int attempt = 0; attempt < DB_TX_RETRIES && s == DB_SOFT_ERROR; attempt++) {
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE || db->nqueued > 0) { /* never inside another */
      s = DB_HARD_ERROR;
      log_event(LOG_ERROR, "a transaction began inside another", NULL);
      break;
    }
    db->in_transaction = true;
    db->begin_pending = true; /* sent with the first statement */
    db->noutcomes = 0;
    s = body(db, cls);
    /* A body that refused (DB_NO_ROW after reading, locking) is not a write to record in the transaction; nor is
     * one that ran no statement. */
    if (s == DB_ROW && db->before_commit != NULL && !db->begin_pending) {
      enum db_status h = db->before_commit(db, db->before_commit_cls);
      if (h < 0)
        s = h;
    }
    if (s < 0) {
      db_rollback(db);
      outcomes_failed(db, s);
      continue;
    }
    enum db_status c = db_commit(db);
    if (c < 0) {
      db_rollback(db);
      outcomes_failed(db, c);
      s = c;
    }
  }
  db->in_transaction = db->begin_pending = false;
  db->noutcomes = 0; /* the slots belong to the caller: none is written after the transaction */
  return s;
}

/* The backend pid serving DB's next statement; 0 on failure. */
static long backend_pid(struct db *db) {
  PGresult *r = PQexec(db->conn, "SELECT pg_backend_pid()");
  long pid = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  return pid;
}

int db_pooled_per_transaction(const char *conninfo, bool *pooled) {
  /* A holds its server session between two statements unless a pooler hands it back after each transaction; then
   * B, opening a transaction in between, is given the session A just released (PgBouncer reuses the most recently
   * used one), and A comes back on another. Directly or through a session pooler, neither can happen. */
  struct db *a = db_open(conninfo), *b = a != NULL ? db_open(conninfo) : NULL;
  int ok = -1;
  if (a != NULL && b != NULL) {
    long a1 = backend_pid(a);
    PGresult *begin = PQexec(b->conn, "BEGIN");
    bool began = begin != NULL && PQresultStatus(begin) == PGRES_COMMAND_OK;
    PQclear(begin);
    long in_b = began ? backend_pid(b) : 0;
    long a2 = backend_pid(a);
    if (began)
      db_rollback(b);
    if (a1 != 0 && a2 != 0) {
      /* A transaction refused (a statement pooler), or sessions that moved: pooled per transaction. */
      *pooled = !began || in_b == 0 || in_b == a1 || a1 != a2;
      ok = 0;
    }
  }
  db_close(b);
  db_close(a);
  return ok;
}

DB_STATEMENT(read_only, {"db_read_only",
                         "SELECT current_setting('transaction_read_only') = 'on' OR pg_is_in_recovery()",
                         .nparams = 0});

enum db_status db_read_only(struct db *db, bool *is_read_only) {
  PGresult *res;
  enum db_status s = db_exec(db, &read_only, NULL, &res);
  *is_read_only = s == DB_ROW && PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  return s;
}

DB_STATEMENT(use_commission,
             {"use_commission", "SELECT set_config('commissiond.commission', $1, false)", .nparams = 1});

enum db_status db_use_commission(struct db *db, const char *commission_id) {
  if (strcmp(db->commission, commission_id) == 0)
    return DB_ROW;
  const char *params[] = {commission_id};
  PGresult *res;
  enum db_status s = db_exec(db, &use_commission, params, &res);
  PQclear(res);
  /* db_exec may have reconnected (which clears the setting): record it only once it holds on this session. */
  if (s == DB_ROW)
    snprintf(db->commission, sizeof db->commission, "%s", commission_id);
  return s;
}

void db_before_commit(struct db *db, enum db_status (*hook)(struct db *db, void *cls), void *cls) {
  db->before_commit = hook;
  db->before_commit_cls = cls;
}
