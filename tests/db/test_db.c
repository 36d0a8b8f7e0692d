/* Database-layer tests against the real PostgreSQL the harness started (PGHOST/PGPORT/PGUSER): connections,
 * re-preparing after a lost connection, bounded transaction retries, idempotency records, concurrent
 * migrations, and the constraints that keep commissions apart. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "db.h"
#include "deposit.h"
#include "json_writer.h"
#include "queries.h"
#include "schema.h"
#include "check.h"
#include "db_test.h"

static char dbname[64];
static char conninfo[128];

/* The harness set PGHOST (main() skips without it): a server that cannot be reached is a failure, never a skip. */
static PGconn *admin(void) {
  PGconn *c = PQconnectdb("dbname=postgres");
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "FAIL: cannot reach PostgreSQL (PGHOST=%s): %s", getenv("PGHOST"), PQerrorMessage(c));
    exit(1);
  }
  return c;
}

static void admin_exec(const char *sql) {
  PGconn *c = admin();
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
    fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

char *value(struct db *db, const char *sql) {
  PGresult *r = PQexec(db_pgconn(db), sql);
  char *v = strdup(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
  PQclear(r);
  return v;
}

static int run_migrate(const char *name) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "\"%s\" --db \"dbname=%s\" migrate >/dev/null", getenv("COMMISSIONCTL_BIN"), name);
  return system(cmd);
}

static const struct db_statement select_one = {"test_select_one", "SELECT $1::integer + 1", 1, NULL, false};

static void test_reprepare_after_lost_connection(void) {
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return;
  PGresult *res;
  const char *params[] = {"41"};
  CHECK(db_exec(db, &select_one, params, &res) == DB_ROW);
  CHECK(res != NULL && strcmp(PQgetvalue(res, 0, 0), "42") == 0);
  PQclear(res);
  /* Kill our backend from outside, as a PostgreSQL restart would: an idle connection is re-established and the
   * statement prepared again, without the caller seeing an error. */
  char *pid = value(db, "SELECT pg_backend_pid()");
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
  free(pid);
  admin_exec(sql);
  usleep(100 * 1000);
  CHECK(db_exec(db, &select_one, params, &res) == DB_ROW);
  CHECK(res != NULL && strcmp(PQgetvalue(res, 0, 0), "42") == 0);
  PQclear(res);
  CHECK(!db_lost(db));
  /* Inside a transaction, a lost connection is an error: the transaction's work cannot be replayed silently. */
  CHECK(db_begin(db) == DB_ROW);
  pid = value(db, "SELECT pg_backend_pid()");
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
  free(pid);
  admin_exec(sql);
  usleep(100 * 1000);
  CHECK(db_exec(db, &select_one, params, &res) == DB_HARD_ERROR);
  CHECK(res == NULL);
  CHECK(db_lost(db));
  CHECK(db_unavailable(db)); /* answered 503, whatever words or SQLSTATE libpq gave */
  usleep(150 * 1000); /* past the reconnect back-off */
  db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return;
  CHECK(db_exec(db, &select_one, params, &res) == DB_ROW);
  CHECK(res != NULL && strcmp(PQgetvalue(res, 0, 0), "42") == 0);
  PQclear(res);
}

/* Which failures end a session (answered 503, the session reconnected) and which are the request's own. */
static void test_connection_class_failures(void) {
  CHECK(db_sqlstate_lost(""));      /* libpq's own error: "server closed the connection unexpectedly" */
  CHECK(db_sqlstate_lost("08006")); /* connection failure */
  CHECK(db_sqlstate_lost("08003"));
  CHECK(db_sqlstate_lost("57P01")); /* admin shutdown */
  CHECK(db_sqlstate_lost("57P02")); /* crash shutdown */
  CHECK(db_sqlstate_lost("57P03")); /* cannot connect now */
  CHECK(!db_sqlstate_lost("23505"));
  CHECK(!db_sqlstate_lost("22021"));
  CHECK(!db_sqlstate_lost("40001"));
  CHECK(!db_sqlstate_lost("57014")); /* a cancelled statement: the session lives */
}

struct retry_ctx {
  int attempts;
  int fail_times;
};

static enum db_status flaky_body(struct db *db, void *cls) {
  struct retry_ctx *c = cls;
  c->attempts++;
  if (c->attempts <= c->fail_times)
    return db_simple(db, "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
  return db_simple(db, "INSERT INTO commissions (name) VALUES ('retried')");
}

static void test_transaction_retries(void) {
  struct db *db = db_thread();
  struct retry_ctx once = {0, 1};
  CHECK(db_transaction(db, flaky_body, &once) == DB_ROW);
  CHECK(once.attempts == 2);
  char *n = value(db, "SELECT count(*) FROM commissions WHERE name = 'retried'");
  CHECK(strcmp(n, "1") == 0);
  free(n);
  struct retry_ctx always = {0, 100};
  CHECK(db_transaction(db, flaky_body, &always) == DB_SOFT_ERROR);
  CHECK(always.attempts == DB_TX_RETRIES);
  CHECK(strcmp(db_sqlstate(db), "40001") == 0);
  n = value(db, "SELECT count(*) FROM commissions WHERE name = 'retried'");
  CHECK(strcmp(n, "1") == 0); /* the failed attempts left nothing behind */
  free(n);
  CHECK(PQtransactionStatus(db_pgconn(db)) == PQTRANS_IDLE);
}

static void test_idempotency_records(void) {
  struct db *db = db_thread();
  char *commission = value(db, "INSERT INTO commissions (name) VALUES ('idem') RETURNING id");
  char sql[512];
  snprintf(sql, sizeof sql,
           "INSERT INTO tokens (commission_id, role, label, selector, hash, expires_at) VALUES ('%s', "
           "'coordinator', 't', 'AAAAAAAAAAAAAAAA', decode(repeat('00', 32), 'hex'), now() + interval '1 day') "
           "RETURNING id", commission);
  char *token = value(db, sql);
  const char *hash = "aa00000000000000000000000000000000000000000000000000000000000000";
  PGresult *prev;
  CHECK(db_begin(db) == DB_ROW);
  CHECK(db_idempotency_claim(db, token, "k1", commission, hash, &prev) == DB_ROW);
  CHECK(prev == NULL);
  CHECK(db_idempotency_record(db, token, "k1", commission, hash, "201", "/v1/x", "{\"id\":1}") == DB_ROW);
  CHECK(db_commit(db) == DB_ROW);
  CHECK(db_begin(db) == DB_ROW);
  CHECK(db_idempotency_claim(db, token, "k1", commission, hash, &prev) == DB_NO_ROW);
  CHECK(prev != NULL && strcmp(PQgetvalue(prev, 0, 0), hash) == 0);
  CHECK(prev != NULL && strcmp(PQgetvalue(prev, 0, 1), "201") == 0);
  CHECK(prev != NULL && strcmp(PQgetvalue(prev, 0, 3), "{\"id\":1}") == 0);
  PQclear(prev);
  db_rollback(db);
  free(commission);
  free(token);
}

/* The schema keeps commissions apart even if C forgot: a token cannot be scoped to another commission's
 * organisation, and a scoped role cannot exist without its organisation. */
static void test_constraints(void) {
  struct db *db = db_thread();
  char *c1 = value(db, "INSERT INTO commissions (name) VALUES ('one') RETURNING id");
  char *c2 = value(db, "INSERT INTO commissions (name) VALUES ('two') RETURNING id");
  char sql[512];
  snprintf(sql, sizeof sql, "INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'landlord', 'L') "
           "RETURNING id", c2);
  char *org2 = value(db, sql);
  snprintf(sql, sizeof sql,
           "INSERT INTO tokens (commission_id, role, scope_org_id, label, selector, hash, expires_at) VALUES "
           "('%s', 'landlord', '%s', 't', 'BBBBBBBBBBBBBBBB', decode(repeat('00', 32), 'hex'), now())", c1, org2);
  CHECK(db_simple(db, sql) == DB_HARD_ERROR);
  CHECK(strcmp(db_sqlstate(db), "23503") == 0);
  snprintf(sql, sizeof sql,
           "INSERT INTO tokens (commission_id, role, label, selector, hash, expires_at) VALUES "
           "('%s', 'landlord', 't', 'CCCCCCCCCCCCCCCC', decode(repeat('00', 32), 'hex'), now())", c1);
  CHECK(db_simple(db, sql) == DB_HARD_ERROR);
  CHECK(strcmp(db_sqlstate(db), "23514") == 0);
  CHECK(!db_lost(db));
  free(c1);
  free(c2);
  free(org2);
}

/* Approvals not placed within the commission's delay lapse, with the move recorded; younger ones stay. */
static void test_lapse(void) {
  struct db *db = db_thread();
  char *c = value(db, "INSERT INTO commissions (name, lapse_days) VALUES ('lapse', 90) RETURNING id");
  char sql[1024];
  snprintf(sql, sizeof sql, "INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'care_team', 'T') "
           "RETURNING id", c);
  char *team = value(db, sql);
  snprintf(sql, sizeof sql, "INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id) "
           "VALUES ('%s', 'A', 'B', '1980-01-01', '%s') RETURNING id", c, team);
  char *person = value(db, sql);
  snprintf(sql, sizeof sql, "INSERT INTO applications (commission_id, person_id, situation, status, decided_at, "
           "created_by_role) VALUES ('%s', '%s', 's', 'approved', now() - interval '91 days', 'coordinator'), "
           "('%s', '%s', 's', 'approved', now() - interval '89 days', 'coordinator')", c, person, c, person);
  CHECK(db_simple(db, sql) == DB_ROW);
  CHECK(db_applications_lapse(db, c) == DB_ROW);
  snprintf(sql, sizeof sql, "SELECT string_agg(status, ',' ORDER BY decided_at) FROM applications "
           "WHERE commission_id = '%s'", c);
  char *statuses = value(db, sql);
  CHECK(strcmp(statuses, "lapsed,approved") == 0);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM application_events WHERE commission_id = '%s' AND "
           "from_status = 'approved' AND to_status = 'lapsed' AND role = 'system'", c);
  char *events = value(db, sql);
  CHECK(strcmp(events, "1") == 0);
  /* Running it again changes nothing. */
  CHECK(db_applications_lapse(db, c) == DB_ROW);
  free(events);
  events = value(db, sql);
  CHECK(strcmp(events, "1") == 0);
  free(c);
  free(team);
  free(person);
  free(statuses);
  free(events);
}

struct db *ordinary_role(struct db *db, const char *suffix, char role[80]) {
  return ordinary_role_options(db, suffix, role, NULL);
}

struct db *ordinary_role_options(struct db *db, const char *suffix, char role[80], const char *options) {
  char sql[512], ci[256];
  snprintf(role, 80, "%s_%s", dbname, suffix);
  snprintf(sql, sizeof sql,
           "CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA public TO %s; "
           "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %s; "
           "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %s", role, role, role, role);
  CHECK(db_simple(db, sql) == DB_ROW);
  snprintf(ci, sizeof ci, "dbname=%s user=%s%s%s%s", dbname, role, options != NULL ? " options='" : "",
           options != NULL ? options : "", options != NULL ? "'" : "");
  struct db *conn = db_open(ci);
  CHECK(conn != NULL);
  return conn;
}

void drop_role(struct db *db, const char *role) {
  char sql[256];
  snprintf(sql, sizeof sql, "DROP OWNED BY %s; DROP ROLE %s", role, role);
  CHECK(db_simple(db, sql) == DB_ROW);
}

/* Row-level security: through the daemon's own connection setup (an ordinary role, db_use_commission), a query
 * that forgets its commission predicate still sees only the commission the connection serves. */
static void test_row_level_security(void) {
  struct db *db = db_thread();
  char *c1 = value(db, "INSERT INTO commissions (name) VALUES ('rls one') RETURNING id");
  char *c2 = value(db, "INSERT INTO commissions (name) VALUES ('rls two') RETURNING id");
  char sql[1024];
  for (int i = 0; i < 2; i++) {
    const char *c = i ? c2 : c1;
    snprintf(sql, sizeof sql,
             "WITH t AS (INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'care_team', 'T') "
             "RETURNING id) INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id) "
             "SELECT '%s', 'Rls', 'P', '1970-01-01', id FROM t", c, c);
    CHECK(db_simple(db, sql) == DB_ROW);
  }
  char role[80];
  struct db *app = ordinary_role(db, "app", role);
  if (app != NULL) {
    static const struct db_statement unscoped = {"test_unscoped_people", "SELECT count(*) FROM people", 0, NULL, false};
    PGresult *res;
    /* No commission set: nothing. */
    CHECK(db_exec(app, &unscoped, NULL, &res) == DB_ROW && strcmp(PQgetvalue(res, 0, 0), "0") == 0);
    PQclear(res);
    CHECK(db_use_commission(app, c1) == DB_ROW);
    CHECK(db_exec(app, &unscoped, NULL, &res) == DB_ROW && strcmp(PQgetvalue(res, 0, 0), "1") == 0);
    PQclear(res);
    char *seen = value(app, "SELECT string_agg(DISTINCT commission_id::text, ',') FROM people");
    CHECK(strcmp(seen, c1) == 0);
    free(seen);
    /* Writing into another commission is refused too. */
    snprintf(sql, sizeof sql, "INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'partner', 'x')",
             c2);
    CHECK(db_simple(app, sql) == DB_HARD_ERROR);
    CHECK(strcmp(db_sqlstate(app), "42501") == 0);
    CHECK(db_use_commission(app, c2) == DB_ROW);
    seen = value(app, "SELECT string_agg(DISTINCT commission_id::text, ',') FROM people");
    CHECK(strcmp(seen, c2) == 0);
    free(seen);
    db_close(app);
  }
  drop_role(db, role);
  free(c1);
  free(c2);
}

/* The audit thread's batch names each object's person with its own expression (SQL_AUDIT_PERSON_CASE), the write's
 * entry with audit_person() (PL/pgSQL): for every object type both must name the same person, and none for an
 * object of another commission or a type that has no person. The objects are inserted with triggers off
 * (session_replication_role = replica): only the mapping is under test. */
static void test_audit_person_every_type(void) {
  struct db *db = db_thread();
  static const char *const types[] = {"people", "applications", "placements", "reviews", "incidents", "care_notes",
                                      "decisions", "deposit_entries", "units"};
  enum { TYPES = sizeof types / sizeof *types };
  char *c[2], *person[2], *object[2][TYPES];
  char sql[4096];
  CHECK(db_simple(db, "SET session_replication_role = replica") == DB_ROW);
  for (int i = 0; i < 2; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO commissions (name) VALUES ('every type %d') RETURNING id", i);
    c[i] = value(db, sql);
    snprintf(sql, sizeof sql,
             "WITH o AS (INSERT INTO organisations (commission_id, kind, name) VALUES ('%1$s', 'care_team', 'T') "
             "RETURNING id), p AS (INSERT INTO people (commission_id, family_name, given_names, birth_date, "
             "care_team_id) SELECT '%1$s', 'Type', 'P', '1970-01-01', id FROM o RETURNING id), "
             "a AS (INSERT INTO applications (commission_id, person_id, situation, created_by_role) "
             "SELECT '%1$s', id, 's', 'coordinator' FROM p RETURNING id, person_id), "
             "u AS (INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, "
             "charges_cents, deposit_cents) SELECT '%1$s', 'hlm_apartment', 'U', '1 rue', 'Lille', id, 1, 1, 0, 1 "
             "FROM o RETURNING id), "
             "pl AS (INSERT INTO placements (commission_id, application_id, person_id, unit_id, move_in_date, lease) "
             "SELECT '%1$s', a.id, a.person_id, u.id, '2026-01-05', 'association_main_tenant' FROM a, u "
             "RETURNING id), "
             "r AS (INSERT INTO reviews (commission_id, placement_id, review_date) SELECT '%1$s', id, '2026-04-05' "
             "FROM pl RETURNING id), "
             "i AS (INSERT INTO incidents (commission_id, placement_id, kind, description, occurred_on, "
             "reported_by_role) SELECT '%1$s', id, 'disturbance', 'd', '2026-02-01', 'coordinator' FROM pl "
             "RETURNING id), "
             "n AS (INSERT INTO care_notes (commission_id, person_id, body, author_role) "
             "SELECT '%1$s', id, 'n', 'coordinator' FROM p RETURNING id), "
             "s AS (INSERT INTO sessions (commission_id, session_date, town, chair_name) "
             "VALUES ('%1$s', '2026-01-02', 'Lille', 'C') RETURNING id), "
             "ai AS (INSERT INTO agenda_items (commission_id, session_id, kind, position, application_id) "
             "SELECT '%1$s', s.id, 'application', 1, a.id FROM s, a RETURNING id, session_id, application_id), "
             "d AS (INSERT INTO decisions (commission_id, session_id, agenda_item_id, application_id, outcome, "
             "decided_on) SELECT '%1$s', session_id, id, application_id, 'defer', '2026-01-02' FROM ai RETURNING id), "
             "e AS (INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, "
             "entry_date, role) SELECT '%1$s', id, 'paid', 100, 100, '2026-01-05', 'coordinator' FROM pl "
             "RETURNING id) "
             "SELECT concat_ws(',', p.id, a.id, pl.id, r.id, i.id, n.id, d.id, e.id, u.id) "
             "FROM p, a, pl, r, i, n, d, e, u",
             c[i]);
    char *ids = value(db, sql);
    char *cursor = ids;
    for (int t = 0; t < TYPES; t++) {
      size_t n = strcspn(cursor, ",");
      object[i][t] = strndup(cursor, n);
      cursor += n + (cursor[n] == ',');
      CHECK(strlen(object[i][t]) == 36);
    }
    person[i] = strdup(object[i][0]);
    free(ids);
  }
  CHECK(db_simple(db, "SET session_replication_role = DEFAULT") == DB_ROW);
  /* Commission one's entries about each object of both commissions, through the batch. */
  struct audit_queued batch[2 * TYPES];
  memset(batch, 0, sizeof batch);
  for (int i = 0; i < 2; i++)
    for (int t = 0; t < TYPES; t++) {
      struct audit_queued *e = &batch[i * TYPES + t];
      e->at_us = 1700000000000000LL + i * TYPES + t;
      e->status = 200;
      snprintf(e->commission_id, sizeof e->commission_id, "%s", c[0]);
      snprintf(e->role, sizeof e->role, "coordinator");
      snprintf(e->action, sizeof e->action, "read");
      snprintf(e->method, sizeof e->method, "GET");
      snprintf(e->route, sizeof e->route, "/v1/test/{id}");
      snprintf(e->object_type, sizeof e->object_type, "%s", types[t]);
      snprintf(e->object_id, sizeof e->object_id, "%s", object[i][t]);
      snprintf(e->request_id, sizeof e->request_id, "every-type-%d-%s", i, types[t]);
    }
  struct audit_first first;
  CHECK(audit_chain_write(db, batch, 2 * TYPES, &first) == 2 * TYPES);
  for (int i = 0; i < 2; i++)
    for (int t = 0; t < TYPES; t++) {
      snprintf(sql, sizeof sql,
               "SELECT coalesce(e.person_id::text, '-') || ' ' || coalesce(audit_person(e.commission_id, "
               "e.object_type, e.object_id)::text, '-') FROM audit_log e WHERE e.request_id = 'every-type-%d-%s'",
               i, types[t]);
      char *got = value(db, sql);
      char want[80];
      const char *expected = i == 0 && strcmp(types[t], "units") != 0 ? person[0] : "-";
      snprintf(want, sizeof want, "%s %s", expected, expected);
      if (strcmp(got, want) != 0)
        fprintf(stderr, "%s of commission %d: batch and audit_person() give %s, want %s\n", types[t], i + 1, got,
                want);
      CHECK(strcmp(got, want) == 0);
      free(got);
    }
  for (int i = 0; i < 2; i++) {
    for (int t = 0; t < TYPES; t++)
      free(object[i][t]);
    free(c[i]);
    free(person[i]);
  }
}

/* The audit thread's statements, through an ordinary role past row-level security (commissiond.scope = 'all', as
 * the audit thread runs): an entry of commission one about an object of commission two carries no person, while
 * the same object in its own commission's entry names its person. Both paths: the queued reads and the write's
 * insert in its own transaction. */
static void test_audit_person_scoped(void) {
  struct db *db = db_thread();
  char *c[2], *person[2], *app[2], *note[2];
  char sql[1024];
  for (int i = 0; i < 2; i++) {
    c[i] = value(db, i ? "INSERT INTO commissions (name) VALUES ('audit two') RETURNING id"
                       : "INSERT INTO commissions (name) VALUES ('audit one') RETURNING id");
    snprintf(sql, sizeof sql,
             "WITH t AS (INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'care_team', 'T') "
             "RETURNING id) INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id) "
             "SELECT '%s', 'Audit', 'P', '1970-01-01', id FROM t RETURNING id", c[i], c[i]);
    person[i] = value(db, sql);
    snprintf(sql, sizeof sql, "INSERT INTO applications (commission_id, person_id, situation, created_by_role) "
             "VALUES ('%s', '%s', 's', 'coordinator') RETURNING id", c[i], person[i]);
    app[i] = value(db, sql);
    snprintf(sql, sizeof sql, "INSERT INTO care_notes (commission_id, person_id, body, author_role) "
             "VALUES ('%s', '%s', 'n', 'coordinator') RETURNING id", c[i], person[i]);
    note[i] = value(db, sql);
    CHECK(strlen(person[i]) == 36 && strlen(app[i]) == 36);
  }
  char role[80];
  struct db *app_db = ordinary_role(db, "audit", role);
  if (app_db != NULL) {
    CHECK(db_simple(app_db, "SET commissiond.scope = 'all'") == DB_ROW);
    /* Queued reads: commission one reads its own application, two's application, two's care note and two's person. */
    struct audit_queued batch[4];
    const char *types[4] = {"applications", "applications", "care_notes", "people"};
    const char *objects[4] = {app[0], app[1], note[1], person[1]};
    memset(batch, 0, sizeof batch);
    for (int i = 0; i < 4; i++) {
      batch[i].at_us = 1700000000000000LL + i;
      batch[i].status = i == 0 ? 200 : 404;
      snprintf(batch[i].commission_id, sizeof batch[i].commission_id, "%s", c[0]);
      snprintf(batch[i].role, sizeof batch[i].role, "coordinator");
      snprintf(batch[i].action, sizeof batch[i].action, "read");
      snprintf(batch[i].method, sizeof batch[i].method, "GET");
      snprintf(batch[i].route, sizeof batch[i].route, "/v1/test/{id}");
      snprintf(batch[i].object_type, sizeof batch[i].object_type, "%s", types[i]);
      snprintf(batch[i].object_id, sizeof batch[i].object_id, "%s", objects[i]);
      snprintf(batch[i].request_id, sizeof batch[i].request_id, "audit-scope-%d", i);
    }
    struct audit_first first;
    CHECK(audit_chain_write(app_db, batch, 4, &first) == 4);
    /* The first entry is found where the daemon looks for it after a lost answer: its position and id. */
    CHECK(first.id > 0 && first.pos > 0);
    snprintf(sql, sizeof sql, "SELECT request_id FROM audit_log WHERE chain_pos = %lld AND id = %lld",
             (long long)first.pos, (long long)first.id);
    char *first_request = value(app_db, sql);
    CHECK(strcmp(first_request, "audit-scope-0") == 0);
    free(first_request);
    /* A write's entry in its own transaction: commission one's request about two's application. */
    CHECK(db_begin(app_db) >= 0);
    char *xid = value(app_db, "SELECT pg_current_xact_id()"); /* the transaction has written */
    CHECK(xid[0] != '\0');
    free(xid);
    const char *f[AUDIT_FIELDS] = {c[0], NULL, "coordinator", "update", "PATCH", "/v1/test/{id}", "applications",
                                   app[1], "audit-scope-write", "404", NULL};
    CHECK(db_audit_insert(app_db, f, NULL) >= 0);
    CHECK(db_commit(app_db) >= 0);
    db_close(app_db);
  }
  snprintf(sql, sizeof sql, "SELECT string_agg(request_id || '=' || coalesce(person_id::text, '-'), ',' "
           "ORDER BY request_id) FROM audit_log WHERE request_id LIKE 'audit-scope-%%'");
  char *got = value(db, sql);
  char want[512];
  snprintf(want, sizeof want, "audit-scope-0=%s,audit-scope-1=-,audit-scope-2=-,audit-scope-3=-,audit-scope-write=-",
           person[0]);
  CHECK(strcmp(got, want) == 0);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "audit persons: %s\n           want: %s\n", got, want);
  free(got);
  drop_role(db, role);
  for (int i = 0; i < 2; i++) {
    free(c[i]);
    free(person[i]);
    free(app[i]);
    free(note[i]);
  }
}

/* Every statement the daemon and commissionctl can run (the registry of DB_STATEMENT), prepared on the migrated
 * schema: names unique, each prepares, and takes exactly the parameters it declares (PostgreSQL's own count of the
 * prepared statement's parameters, and the highest $N of the text it was given). A statement broken in a route
 * that rarely runs fails here, not in front of a user. */
static void test_every_statement_prepares(void) {
  struct db *db = db_thread();
  CHECK(audit_stage_ensure(db) == DB_ROW); /* the audit thread's staging table, which its statements name */
  size_t count;
  const struct db_statement *const *all = db_statements(&count);
  CHECK(count >= 100);
  for (size_t i = 0; i < count; i++) {
    const struct db_statement *st = all[i];
    for (size_t j = 0; j < i; j++)
      if (strcmp(all[j]->name, st->name) == 0) {
        fprintf(stderr, "statement name used twice: %s\n", st->name);
        CHECK(false);
      }
    const char *bad;
    char *sql = db_statement_sql(st, &bad);
    if (sql == NULL) {
      fprintf(stderr, "statement %s names an undeclared parameter: %.40s\n", st->name, bad ? bad : "(none)");
      CHECK(false);
      continue;
    }
    int highest = 0;
    for (const char *p = strchr(sql, '$'); p != NULL; p = strchr(p + 1, '$')) {
      int n = atoi(p + 1);
      if (n > highest)
        highest = n;
    }
    char pname[80];
    snprintf(pname, sizeof pname, "check_%zu", i);
    PGresult *r = PQprepare(db_pgconn(db), pname, sql, st->nparams, NULL);
    bool prepared = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!prepared)
      fprintf(stderr, "statement %s does not prepare: %s", st->name, PQerrorMessage(db_pgconn(db)));
    CHECK(prepared);
    PQclear(r);
    if (prepared) {
      r = PQdescribePrepared(db_pgconn(db), pname);
      int described = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK ? PQnparams(r) : -1;
      if (described != st->nparams || highest != st->nparams)
        fprintf(stderr, "statement %s declares %d parameters, uses $%d, PostgreSQL counts %d\n", st->name,
                st->nparams, highest, described);
      CHECK(described == st->nparams && highest == st->nparams);
      PQclear(r);
    }
    free(sql);
  }
  /* The checker itself: an undeclared :name, and SQL that does not prepare, are caught. */
  static const char *const one[] = {"id", NULL};
  static const struct db_statement undeclared = {"test_undeclared", "SELECT :id::uuid, :other::uuid", 1, one, false};
  const char *bad;
  char *sql = db_statement_sql(&undeclared, &bad);
  CHECK(sql == NULL && bad != NULL && strncmp(bad, ":other", 6) == 0);
  free(sql);
  static const struct db_statement named = {"test_named",
                                            "SELECT to_char(now(), 'HH24:MI:SS'), :id::uuid, \":id\" FROM (SELECT 1 "
                                            "AS \":id\") x WHERE :id::uuid IS NOT NULL",
                                            1, one, false};
  sql = db_statement_sql(&named, &bad);
  CHECK(sql != NULL && strcmp(sql, "SELECT to_char(now(), 'HH24:MI:SS'), $1::uuid, \":id\" FROM (SELECT 1 AS "
                                   "\":id\") x WHERE $1::uuid IS NOT NULL") == 0);
  free(sql);
}

/* Two migrate runs at once: both succeed, each migration applied exactly once. */
static void test_concurrent_migrations(void) {
  char other[80], sql[160];
  snprintf(other, sizeof other, "%s_m", dbname);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", other);
  admin_exec(sql);
  pid_t a = fork();
  if (a == 0)
    _exit(run_migrate(other) == 0 ? 0 : 1);
  int rc_b = run_migrate(other);
  int status = 0;
  waitpid(a, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(rc_b == 0);
  char ci[160];
  snprintf(ci, sizeof ci, "dbname=%s", other);
  struct db *db = db_open(ci);
  CHECK(db != NULL);
  if (db != NULL) {
    char *n = value(db, "SELECT count(*) = count(DISTINCT version) FROM schema_migrations");
    CHECK(strcmp(n, "t") == 0);
    free(n);
    int version = -1;
    CHECK(db_schema_version(db, &version) == DB_ROW && version == SCHEMA_VERSION);
    db_close(db);
  }
  CHECK(run_migrate(other) == 0); /* and once more: nothing to do */
  snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", other);
  admin_exec(sql);
}

/* The late-refund penalty's months are counted in two places: src/domain/deposit.c for an account, and the SQL
 * function deposit_months_late() (migrations/0010) for the lists and the report. They agree on every pair of a
 * due day (month ends included, leap year) and a later day, over five months. */
static void test_penalty_months_agree(void) {
  struct db *db = db_thread();
  PGresult *r = PQexec(db_pgconn(db),
                       "SELECT due::text, (due + n)::text, deposit_months_late(due, due + n) FROM (SELECT d::date "
                       "AS due FROM generate_series(date '2024-01-25', date '2024-03-05', interval '1 day') d) dd, "
                       "generate_series(0, 150) n");
  CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 5000);
  int disagree = 0;
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
    struct date due, on;
    if (!date_parse(PQgetvalue(r, i, 0), &due) || !date_parse(PQgetvalue(r, i, 1), &on) ||
        deposit_months_late(due, on) != atoi(PQgetvalue(r, i, 2))) {
      if (disagree++ < 5)
        fprintf(stderr, "FAIL: due %s, on %s: SQL says %s months late, C %d\n", PQgetvalue(r, i, 0),
                PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), deposit_months_late(due, on));
    }
  }
  CHECK(disagree == 0);
  PQclear(r);
}

/* What the JSON writer's WRITE makes of the column text TEXT (the caller frees it; NULL when it failed). */
static char *written(void (*write)(struct jw *, const char *), const char *text) {
  struct jw w;
  jw_init(&w, 32);
  write(&w, text);
  size_t len;
  return jw_finish(&w, &len);
}

/* A timestamp read as it is stored (SQL_TS_RAW) and written by the JSON writer is the text to_char() gives (SQL_TS)
 * for the same value: fractions of every length, whole seconds, the turn of a year, on a session reconnected
 * after its database's DateStyle was set to another style (the daemon's sessions set ISO themselves). */
static void test_timestamps_written_as_to_char(void) {
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return;
  char sql[160];
  snprintf(sql, sizeof sql, "ALTER DATABASE %s SET DateStyle = 'SQL, DMY'", dbname);
  admin_exec(sql);
  char *pid = value(db, "SELECT pg_backend_pid()");
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
  free(pid);
  admin_exec(sql);
  usleep(100 * 1000);
  PGresult *res;
  CHECK(db_exec(db, &select_one, (const char *const[]){"1"}, &res) == DB_ROW); /* reconnected: a new session */
  PQclear(res);
  res = PQexec(db_pgconn(db),
               "SELECT t, " SQL_TS("t") ", current_setting('DateStyle') FROM (SELECT timestamptz "
               "'2026-12-31 23:59:58+00' + g * interval '123457 microseconds' AS t FROM generate_series(0, 4000) g "
               "UNION ALL SELECT timestamptz '1999-12-31 23:59:59.999999+00' + g * interval '1 second' "
               "FROM generate_series(0, 3) g UNION ALL SELECT timestamptz '2026-07-26 11:00:00.1+00' "
               "+ g * interval '10 milliseconds' FROM generate_series(0, 200) g) x");
  CHECK(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 4206);
  int wrong = 0;
  for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
    char *got = written(jw_timestamp, PQgetvalue(res, i, 0));
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", PQgetvalue(res, i, 1));
    if (got == NULL || strcmp(got, want) != 0) {
      if (wrong++ < 5)
        fprintf(stderr, "timestamp %s (DateStyle %s) written %s, to_char gives %s\n", PQgetvalue(res, i, 0),
                PQgetvalue(res, i, 2), got ? got : "(null)", want);
    }
    free(got);
  }
  CHECK(wrong == 0);
  PQclear(res);
  snprintf(sql, sizeof sql, "ALTER DATABASE %s RESET DateStyle", dbname);
  admin_exec(sql);
}

/* A text[] read as stored and written by the JSON writer is the JSON to_json() gives: elements PostgreSQL quotes
 * (spaces, commas, braces, quotes, backslashes, empty, the word NULL), NULL elements, accents, a long element. */
static void test_text_arrays_written_as_to_json(void) {
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return;
  PGresult *res = PQexec(
      db_pgconn(db),
      "SELECT a, to_json(a) FROM (VALUES ('{}'::text[]), (ARRAY['hlm_apartment']), (ARRAY['Lille', 'Roubaix']), "
      "(ARRAY['Marcq-en-Barœul', 'Villeneuve d''Ascq', 'a,b', '{x}', 'say \"hi\"', 'back\\slash', '']), "
      "(ARRAY['NULL', 'null', 'Null', NULL, 'tab\there', ' lead', 'trail ']), (ARRAY[repeat('é', 300), 'x']), "
      "(ARRAY[NULL::text]), (ARRAY['\\\"', '\"\\'])) v(a)");
  CHECK(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 8);
  for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
    char *got = written(jw_text_array, PQgetvalue(res, i, 0));
    if (got == NULL || strcmp(got, PQgetvalue(res, i, 1)) != 0) {
      fprintf(stderr, "array %s written %s, to_json gives %s\n", PQgetvalue(res, i, 0), got ? got : "(failed)",
              PQgetvalue(res, i, 1));
      CHECK(false);
    }
    free(got);
  }
  PQclear(res);
}

int main(void) {
  /* Run outside tests/run (no cluster, no binaries): skipped, which tests/run counts and CI refuses. */
  if (getenv("PGHOST") == NULL || getenv("COMMISSIONCTL_BIN") == NULL) {
    fprintf(stderr, "SKIP: PGHOST or COMMISSIONCTL_BIN is not set (run through tests/run)\n");
    return 77;
  }
  if (sodium_init() < 0)
    return 1;
  snprintf(dbname, sizeof dbname, "test_db_%d_%u", (int)getpid(), randombytes_uniform(1000000));
  char sql[128];
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
  admin_exec(sql);
  CHECK(run_migrate(dbname) == 0);
  snprintf(conninfo, sizeof conninfo, "dbname=%s", dbname);
  CHECK(db_global_init(conninfo) == 0);
  CHECK(test_import_lookups_fresh() == 0); /* first: on tables never analysed */
  test_connection_class_failures();
  test_reprepare_after_lost_connection();
  test_timestamps_written_as_to_char();
  test_text_arrays_written_as_to_json();
  test_transaction_retries();
  test_idempotency_records();
  test_constraints();
  test_lapse();
  test_row_level_security();
  test_audit_person_scoped();
  CHECK(test_lists_do_not_grow() == 0);
  CHECK(test_list_columns_follow() == 0);
  CHECK(test_totals_written_in_place() == 0);
  CHECK(test_duplicate_check_does_not_grow() == 0);
  test_audit_person_every_type(); /* after the lists' checks: its rows are inserted with triggers off */
  test_every_statement_prepares();
  test_penalty_months_agree();
  test_concurrent_migrations();
  db_global_shutdown();
  snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", dbname);
  admin_exec(sql);
  return check_exit();
}
