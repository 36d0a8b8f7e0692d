/* commissionctl migrate: applies migrations/NNNN-*.sql in order, each in its own transaction and recorded in
 * schema_migrations, under an advisory lock so concurrent runs wait for each other. Idempotent. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MIGRATION_LOCK_KEY "727326" /* arbitrary, fixed: pg_advisory_lock key of commissionctl migrate */

struct migration {
  int version;
  char name[256];
};

static int by_version(const void *a, const void *b) {
  return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

/* Lists DIR's migrations, sorted; returns their count or -1. *OUT is malloc'ed. */
static int list_migrations(const char *dir, struct migration **out) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    fprintf(stderr, "commissionctl: cannot open migrations folder %s: %s (give another with --dir DIR or "
                    "COMMISSIOND_MIGRATIONS)\n", dir, strerror(errno));
    return -1;
  }
  struct migration *list = NULL;
  int n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 10 || len >= sizeof list->name || strcmp(e->d_name + len - 4, ".sql") != 0 || e->d_name[4] != '-')
      continue;
    char *end;
    long v = strtol(e->d_name, &end, 10);
    if (end != e->d_name + 4 || v <= 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      struct migration *grown = realloc(list, (size_t)cap * sizeof *list);
      if (grown == NULL) {
        free(list);
        closedir(d);
        return -1;
      }
      list = grown;
    }
    list[n].version = (int)v;
    snprintf(list[n].name, sizeof list[n].name, "%s", e->d_name);
    n++;
  }
  closedir(d);
  qsort(list, (size_t)n, sizeof *list, by_version);
  for (int i = 1; i < n; i++)
    if (list[i].version == list[i - 1].version) {
      fprintf(stderr, "commissionctl: two migrations numbered %04d\n", list[i].version);
      free(list);
      return -1;
    }
  *out = list;
  return n;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0, got;
  do {
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 16384;
      char *grown = realloc(buf, cap + 1);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  bool failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return NULL;
  }
  buf[len] = '\0';
  return buf;
}

/* Runs SQL (possibly several statements); prints PostgreSQL's message on failure. */
static int exec_sql(PGconn *conn, const char *sql, const char *what) {
  PGresult *r = PQexec(conn, sql);
  ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
    fprintf(stderr, "commissionctl: %s failed: %s", what, PQerrorMessage(conn));
    PQclear(r);
    return -1;
  }
  PQclear(r);
  return 0;
}

static int applied_version(PGconn *conn) {
  PGresult *r = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  int v = -1;
  if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
    v = atoi(PQgetvalue(r, 0, 0));
  else
    fprintf(stderr, "commissionctl: cannot read schema_migrations: %s", PQerrorMessage(conn));
  PQclear(r);
  return v;
}

static int apply_one(PGconn *conn, const char *dir, const struct migration *m) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, m->name);
  char *sql = read_file(path);
  if (sql == NULL) {
    fprintf(stderr, "commissionctl: cannot read %s\n", path);
    return -1;
  }
  char version[16];
  snprintf(version, sizeof version, "%d", m->version);
  const char *params[] = {version, m->name};
  int rc = exec_sql(conn, "BEGIN", "BEGIN");
  if (rc == 0)
    rc = exec_sql(conn, sql, m->name);
  if (rc == 0) {
    PGresult *r = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)", 2,
                               NULL, params, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
      fprintf(stderr, "commissionctl: recording %s failed: %s", m->name, PQerrorMessage(conn));
      rc = -1;
    }
    PQclear(r);
  }
  if (rc == 0)
    rc = exec_sql(conn, "COMMIT", "COMMIT");
  else
    exec_sql(conn, "ROLLBACK", "ROLLBACK");
  free(sql);
  if (rc == 0)
    printf("applied %s\n", m->name);
  return rc;
}

int ctl_migrate(PGconn *conn, const char *dir) {
  struct migration *list;
  int n = list_migrations(dir, &list);
  if (n < 0)
    return 1;
  int rc = 0;
  if (exec_sql(conn, "SET client_min_messages = warning", "setup") != 0 ||
      exec_sql(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", "taking the migration lock") != 0 ||
      exec_sql(conn,
               "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
               "applied_at timestamptz NOT NULL DEFAULT now())",
               "creating schema_migrations") != 0) {
    free(list);
    return 1;
  }
  int current = applied_version(conn);
  if (current < 0)
    rc = 1;
  int applied = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    if (list[i].version <= current)
      continue;
    if (apply_one(conn, dir, &list[i]) != 0)
      rc = 1;
    else
      applied++;
  }
  int latest = n > 0 ? list[n - 1].version : 0;
  free(list);
  exec_sql(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", "releasing the migration lock");
  if (rc != 0)
    return rc;
  if (current > latest) {
    fprintf(stderr, "commissionctl: the database is at version %d, newer than the migrations here (%d)\n", current,
            latest);
    return 1;
  }
  printf("schema at version %d (%d migration%s applied)\n", applied ? latest : current, applied,
         applied == 1 ? "" : "s");
  return 0;
}
