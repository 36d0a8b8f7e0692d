/* commissionctl import and export: the same engine as POST /v1/imports and GET /v1/exports (src/db/imports.c),
 * run on the database directly, with a text summary for the person at the terminal (English, as the rest of
 * commissionctl). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "import_db.h"
#include "validate.h"

/* The largest file commissionctl reads: the daemon's largest --max-import-body. */
#define CTL_IMPORT_MAX (256ul * 1024 * 1024)

static char *read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "commissionctl: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *data = malloc(cap);
  while (data) {
    size_t got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
    if (n == cap) {
      if (cap >= CTL_IMPORT_MAX) {
        fprintf(stderr, "commissionctl: %s is larger than %lu bytes: split it\n", path, CTL_IMPORT_MAX);
        free(data);
        data = NULL;
        break;
      }
      char *grown = realloc(data, cap * 2);
      if (!grown) {
        free(data);
        data = NULL;
        break;
      }
      data = grown;
      cap *= 2;
    }
  }
  if (data && ferror(f)) {
    fprintf(stderr, "commissionctl: cannot read %s\n", path);
    free(data);
    data = NULL;
  }
  if (f != stdin) fclose(f);
  *len = n;
  return data;
}

/* --commission ID, or the database's only commission. */
static bool commission_of(struct db *db, const char *given, char *out) {
  if (given) {
    if (!valid_uuid(given)) {
      fprintf(stderr, "commissionctl: --commission must be a commission's id\n");
      return false;
    }
    snprintf(out, 37, "%s", given);
    return true;
  }
  PGresult *r = PQexec(db_pgconn(db), "SELECT id FROM commissions ORDER BY created_at LIMIT 2");
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  if (ok) snprintf(out, 37, "%s", PQgetvalue(r, 0, 0));
  else fprintf(stderr, "commissionctl: name the commission with --commission ID (see commission list)\n");
  PQclear(r);
  return ok;
}

static void print_errors(json_t *errors) {
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    json_int_t line = json_integer_value(json_object_get(e, "line"));
    json_int_t column = json_integer_value(json_object_get(e, "column"));
    const char *header = json_string_value(json_object_get(e, "header"));
    printf("  line %lld", (long long)line);
    if (column) printf(", column %lld", (long long)column);
    if (header) printf(" (%s)", header);
    printf(": %s\n", json_string_value(json_object_get(e, "reason")));
  }
}

static void print_summary(const char *path, json_t *report) {
  json_t *file = json_object_get(report, "file"), *counts = json_object_get(report, "counts");
  printf("%s: %s, %s, separator '%s', %lld rows\n", path, json_string_value(json_object_get(report, "kind")),
         json_string_value(json_object_get(file, "encoding")), json_string_value(json_object_get(file, "separator")),
         (long long)json_integer_value(json_object_get(file, "rows")));
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(report, "rows"), i, row) {
    if (strcmp(json_string_value(json_object_get(row, "outcome")), "error") == 0)
      print_errors(json_object_get(row, "errors"));
  }
  json_t *u;
  json_array_foreach(json_object_get(report, "unresolved"), i, u) {
    json_t *lines = json_object_get(u, "lines");
    printf("  not found: %s \"%s\" (%zu line%s)\n", json_string_value(json_object_get(u, "field")),
           json_string_value(json_object_get(u, "value")), json_array_size(lines),
           json_array_size(lines) > 1 ? "s" : "");
  }
  printf("%lld to create, %lld to update, %lld unchanged, %lld in error\n",
         (long long)json_integer_value(json_object_get(counts, "create")),
         (long long)json_integer_value(json_object_get(counts, "update")),
         (long long)json_integer_value(json_object_get(counts, "unchanged")),
         (long long)json_integer_value(json_object_get(counts, "error")));
}

int ctl_import(struct db *db, int argc, char **argv) {
  const char *path = NULL, *kind_name = NULL, *commission = NULL;
  bool dry_run = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--dry-run") == 0) dry_run = true;
    else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) kind_name = argv[++i];
    else if (strcmp(argv[i], "--commission") == 0 && i + 1 < argc) commission = argv[++i];
    else if (argv[i][0] != '-' && path == NULL) path = argv[i];
    else {
      fprintf(stderr, "commissionctl: unexpected argument \"%s\"\n", argv[i]);
      return 2;
    }
  }
  int kind = import_kind_parse(kind_name);
  if (!path || kind < 0) {
    fprintf(stderr, "usage: commissionctl import FILE.csv --kind organisations|units|people|applications|placements|"
                    "deposits [--commission ID] [--dry-run]\n");
    return 2;
  }
  char commission_id[37];
  if (!commission_of(db, commission, commission_id)) return 1;
  size_t len;
  char *data = read_file(path, &len);
  if (!data) return 1;
  struct import_actor who = {.token_id = NULL, .role = "system", .method = "IMPORT",
                             .route = "commissionctl import", .request_id = NULL};
  struct import_outcome o;
  int rc = 1;
  if (db_begin(db) < 0) {
    fprintf(stderr, "commissionctl: %s", PQerrorMessage(db_pgconn(db)));
    free(data);
    return 1;
  }
  enum db_status s = import_run(db, commission_id, (enum import_kind)kind, data, len, &who, dry_run, &o);
  if (s == DB_REFUSED) {
    printf("%s: %s\n", path, o.detail);
    print_errors(o.problem_errors);
    printf("Nothing was imported.\n");
  } else if (s < 0) {
    fprintf(stderr, "commissionctl: the database refused the import: %s", PQerrorMessage(db_pgconn(db)));
  } else {
    print_summary(path, o.report);
    if (dry_run) {
      printf("Dry run: nothing was changed.\n");
      rc = o.errors ? 1 : 0;
    } else if (o.errors) {
      printf("Nothing was imported: correct the rows in error and run the import again.\n");
    } else {
      char id[37];
      json_t *result = json_pack("{s:s, s:O, s:b}", "status", "committed", "counts",
                                 json_object_get(o.report, "counts"), "already_committed", 0);
      json_t *self = json_array();
      s = import_audit_objects(db, commission_id, import_object_type((enum import_kind)kind), &who, o.written, 200);
      if (s >= 0) s = import_store(db, commission_id, (enum import_kind)kind, data, len, &o, NULL, id);
      if (s >= 0) s = import_mark_committed(db, commission_id, id, NULL, result);
      if (s >= 0 && self) {
        json_array_append_new(self, json_pack("{s:s, s:s}", "id", id, "action", "create"));
        s = import_audit_objects(db, commission_id, "imports", &who, self, 200);
      }
      if (s >= 0) s = db_commit(db);
      json_decref(result);
      json_decref(self);
      if (s < 0) fprintf(stderr, "commissionctl: the import failed: %s", PQerrorMessage(db_pgconn(db)));
      else {
        printf("Imported (import %s).\n", id);
        rc = 0;
      }
    }
  }
  db_rollback(db);
  import_outcome_free(&o);
  free(data);
  return rc;
}

int ctl_export(struct db *db, int argc, char **argv) {
  const char *kind_name = NULL, *commission = NULL, *out_path = NULL;
  for (int i = 0; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--kind") == 0) kind_name = argv[i + 1];
    else if (strcmp(argv[i], "--commission") == 0) commission = argv[i + 1];
    else if (strcmp(argv[i], "--out") == 0) out_path = argv[i + 1];
    else kind_name = NULL, i = argc;
  }
  int kind = import_kind_parse(kind_name);
  if (kind < 0 || argc % 2 != 0) {
    fprintf(stderr, "usage: commissionctl export --kind organisations|units|people|applications|placements|deposits "
                    "[--commission ID] [--out FILE]\n");
    return 2;
  }
  char commission_id[37];
  if (!commission_of(db, commission, commission_id)) return 1;
  char *csv;
  size_t len;
  if (import_export(db, commission_id, (enum import_kind)kind, &csv, &len) < 0) {
    fprintf(stderr, "commissionctl: the export failed: %s", PQerrorMessage(db_pgconn(db)));
    return 1;
  }
  /* An export of the commission's data is in the audit trail, as GET /v1/exports is. */
  struct import_actor who = {.token_id = NULL, .role = "system", .method = "EXPORT",
                             .route = "commissionctl export", .request_id = NULL};
  json_t *self = json_pack("[{s:s, s:s}]", "id", commission_id, "action", "export");
  enum db_status s = self ? import_audit_objects(db, commission_id, "exports", &who, self, 200) : DB_HARD_ERROR;
  json_decref(self);
  if (s < 0) {
    fprintf(stderr, "commissionctl: the export could not be audited: %s", PQerrorMessage(db_pgconn(db)));
    free(csv);
    return 1;
  }
  FILE *f = out_path ? fopen(out_path, "wb") : stdout;
  bool ok = f && fwrite(csv, 1, len, f) == len;
  if (f && f != stdout) ok = fclose(f) == 0 && ok;
  free(csv);
  if (!ok) {
    fprintf(stderr, "commissionctl: cannot write %s\n", out_path ? out_path : "the export");
    return 1;
  }
  return 0;
}
