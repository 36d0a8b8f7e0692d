/* The import engine on the database (include/import_db.h), shared by commissiond and commissionctl: a CSV file is
 * read and its cells checked in C (src/domain/import_rows.c), then its rows go to the kind's function
 * (migrations/0016: import_rows()) as one JSON array, in one statement; a dry run runs them in a savepoint
 * that is rolled back. The report says each row's outcome, with the line and column of every error. */
#include "import_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "queries.h"

#define IMPORT_RUN(P) P(kind) P(commission_id) P(rows) P(token_id) P(role)
#define IMPORT_RUN_ROW(FIRST, NEXT)                                                                              \
  FIRST(line, "r.line") NEXT(outcome, "r.outcome") NEXT(object_id, "r.object_id") NEXT(field, "r.field")         \
  NEXT(reason, "r.reason")
DB_ROW_STRUCT(import_run_row, IMPORT_RUN_ROW);
DB_STATEMENT(run, {"import_run",
                   "SELECT " DB_COLUMNS(IMPORT_RUN_ROW) " FROM import_rows(:kind, :commission_id::uuid, :rows::jsonb, "
                   ":token_id::uuid, :role) r",
                   DB_PARAMS(IMPORT_RUN)});
DB_PARAMS_STRUCT(import_run_params, IMPORT_RUN);

/* The audit type of each kind's objects, as the routes of the resource name theirs. */
static const char *const object_types[IMPORT_KIND_COUNT] = {
  [IMPORT_ORGANISATIONS] = "organisations", [IMPORT_UNITS] = "units", [IMPORT_PEOPLE] = "people",
  [IMPORT_APPLICATIONS] = "applications", [IMPORT_PLACEMENTS] = "placements",
  [IMPORT_DEPOSITS] = "deposit_entries"};

#define IMPORT_FINGERPRINT(P) P(commission_id) P(kind)
DB_STATEMENT(fingerprint, {"import_fingerprint", "SELECT import_fingerprint(:commission_id::uuid, :kind)",
                           DB_PARAMS(IMPORT_FINGERPRINT)});
DB_PARAMS_STRUCT(import_fingerprint_params, IMPORT_FINGERPRINT);

/* at: the moment of the insert, as every write's entry (src/db/audit.c). */
#define IMPORT_AUDIT(P)                                                                                          \
  P(commission_id) P(token_id) P(role) P(method) P(route) P(object_type) P(request_id) P(status) P(objects)
DB_STATEMENT(audit_objects, {
  "import_audit_objects",
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "
  "person_id, request_id, status) SELECT clock_timestamp(), :commission_id::uuid, :token_id::uuid, :role, x.action, "
  ":method, :route, :object_type, x.id, " AUDIT_PERSON(":commission_id", ":object_type", "x.id") ", :request_id, "
  ":status::integer FROM jsonb_to_recordset(:objects::jsonb) AS x(id uuid, action text)",
  DB_PARAMS(IMPORT_AUDIT)
});
DB_PARAMS_STRUCT(import_audit_params, IMPORT_AUDIT);

#define IMPORT_STORE(P)                                                                                          \
  P(commission_id) P(kind) P(file) P(file_hash) P(fingerprint) P(report) P(error_count) P(token_id)
DB_STATEMENT(store, {
  "import_store",
  "INSERT INTO imports (commission_id, kind, file, file_hash, fingerprint, report, error_count, "
  "created_by_token_id) VALUES (:commission_id::uuid, :kind, decode(:file, 'hex'), :file_hash, :fingerprint, "
  ":report::jsonb, :error_count::integer, :token_id::uuid) RETURNING id",
  DB_PARAMS(IMPORT_STORE)
});
DB_PARAMS_STRUCT(import_store_params, IMPORT_STORE);

#define IMPORT_LOCKED_ROW(FIRST, NEXT)                                                                           \
  FIRST(kind, "i.kind") NEXT(file, "encode(i.file, 'hex')") NEXT(file_hash, "i.file_hash")                       \
  NEXT(fingerprint, "i.fingerprint") NEXT(error_count, "i.error_count")                                           \
  NEXT(committed, "(i.committed_at IS NOT NULL)::text") NEXT(result, "i.result::text")
DB_ROW_STRUCT(import_locked_row, IMPORT_LOCKED_ROW);
#define IMPORT_LOCK(P) P(commission_id) P(id)
DB_STATEMENT(lock, {"import_lock",
                    "SELECT " DB_COLUMNS(IMPORT_LOCKED_ROW) " FROM imports i WHERE i.commission_id = "
                    ":commission_id::uuid AND i.id = :id::uuid FOR UPDATE",
                    DB_PARAMS(IMPORT_LOCK)});
DB_PARAMS_STRUCT(import_lock_params, IMPORT_LOCK);

#define IMPORT_COMMITTED(P) P(commission_id) P(id) P(token_id) P(result)
DB_STATEMENT(committed, {"import_mark_committed",
                         "UPDATE imports SET committed_at = now(), committed_by_token_id = :token_id::uuid, "
                         "result = :result::jsonb WHERE commission_id = :commission_id::uuid AND id = :id::uuid",
                         DB_PARAMS(IMPORT_COMMITTED)});
DB_PARAMS_STRUCT(import_committed_params, IMPORT_COMMITTED);

/* ---- exports: each kind's list, its columns labelled with the import's field names ---- */

#define SQL_ISO(d) "to_char(" d ", 'YYYY-MM-DD')"
#define EXPORT(P) P(commission_id)
DB_PARAMS_STRUCT(export_params, EXPORT);
DB_STATEMENT(export_organisations, {
  "export_organisations",
  "SELECT o.name, o.kind, o.town, o.address, o.email, o.phone FROM organisations o "
  "WHERE o.commission_id = :commission_id::uuid ORDER BY o.kind, o.name, o.id", DB_PARAMS(EXPORT)});
DB_STATEMENT(export_units, {
  "export_units",
  "SELECT u.label, u.kind, u.address, u.town, o.name AS landlord, u.places, u.rent_cents, u.charges_cents, "
  "u.deposit_cents FROM units u JOIN organisations o ON o.commission_id = u.commission_id AND "
  "o.id = u.landlord_org_id WHERE u.commission_id = :commission_id::uuid ORDER BY u.town, u.label, u.id",
  DB_PARAMS(EXPORT)});
#define EXPORT_PERSON "p.family_name, p.given_names, " SQL_ISO("p.birth_date") " AS birth_date"
DB_STATEMENT(export_people, {
  "export_people",
  "SELECT " EXPORT_PERSON ", p.phone, p.email, p.address, t.name AS care_team, p.protection, c.name AS curator, "
  SQL_ISO("p.protection_start") " AS protection_start, " SQL_ISO("p.protection_end") " AS protection_end "
  "FROM people p JOIN organisations t ON t.commission_id = p.commission_id AND t.id = p.care_team_id "
  "LEFT JOIN organisations c ON c.commission_id = p.commission_id AND c.id = p.curator_org_id "
  "WHERE p.commission_id = :commission_id::uuid ORDER BY p.family_name, p.given_names, p.id", DB_PARAMS(EXPORT)});
/* The waiting list's applications: the others came with a placement (imported with it) or through sessions. */
DB_STATEMENT(export_applications, {
  "export_applications",
  "SELECT " EXPORT_PERSON ", a.situation, to_json(a.wished_unit_kinds)::text AS wished_unit_kinds, "
  "to_json(a.wished_towns)::text AS wished_towns, a.urgency, a.referent_name, a.status, "
  SQL_ISO("(a.submitted_at AT TIME ZONE 'UTC')::date") " AS submitted_on FROM applications a JOIN people p ON "
  "p.commission_id = a.commission_id AND p.id = a.person_id WHERE a.commission_id = :commission_id::uuid "
  "AND a.status IN ('draft', 'submitted') ORDER BY p.family_name, p.given_names, a.created_at, a.id",
  DB_PARAMS(EXPORT)});
DB_STATEMENT(export_placements, {
  "export_placements",
  "SELECT " EXPORT_PERSON ", u.address AS unit_address, u.town AS unit_town, " SQL_ISO("pl.move_in_date")
  " AS move_in_date, pl.lease, " SQL_ISO("pl.exit_date") " AS exit_date, pl.exit_reason, "
  "pl.exit_inspection_matches::text AS exit_inspection_matches, pl.exit_comment FROM placements pl "
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "
  "WHERE pl.commission_id = :commission_id::uuid ORDER BY pl.move_in_date, p.family_name, pl.id",
  DB_PARAMS(EXPORT)});
/* Reversals, and the entries they cancel, are left out: together they move nothing, and a file cannot name the
 * entry a reversal cancels. */
DB_STATEMENT(export_deposits, {
  "export_deposits",
  "SELECT " EXPORT_PERSON ", " SQL_ISO("pl.move_in_date") " AS move_in_date, e.kind, e.amount_cents, "
  SQL_ISO("e.entry_date") " AS entry_date, e.justification FROM deposit_entries e "
  "JOIN placements pl ON pl.commission_id = e.commission_id AND pl.id = e.placement_id "
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "
  "WHERE e.commission_id = :commission_id::uuid AND e.kind <> 'reversal' AND NOT EXISTS (SELECT 1 FROM "
  "deposit_entries r WHERE r.commission_id = e.commission_id AND r.reverses_entry_id = e.id) "
  "ORDER BY e.entry_date, e.created_at, e.id",
  DB_PARAMS(EXPORT)});
static const struct db_statement *const export_statements[IMPORT_KIND_COUNT] = {
  [IMPORT_ORGANISATIONS] = &export_organisations, [IMPORT_UNITS] = &export_units, [IMPORT_PEOPLE] = &export_people,
  [IMPORT_APPLICATIONS] = &export_applications, [IMPORT_PLACEMENTS] = &export_placements,
  [IMPORT_DEPOSITS] = &export_deposits};

void import_file_hash(const char *data, size_t len, char *out) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)data, len);
  sodium_bin2hex(out, 65, h, sizeof h);
}

void import_outcome_free(struct import_outcome *o) {
  json_decref(o->report);
  json_decref(o->written);
  json_decref(o->problem_errors);
  o->report = o->written = o->problem_errors = NULL;
}

/* A file that cannot be read: STATUS, DETAIL and one error naming where. */
static enum db_status file_refused(struct import_outcome *out, unsigned int status, const char *detail,
                                   json_t *errors) {
  out->status = DB_REFUSED;
  out->problem_status = status;
  snprintf(out->detail, sizeof out->detail, "%s", detail);
  out->problem_errors = errors;
  return DB_REFUSED;
}

static json_t *body_error(size_t line, size_t column, const char *reason) {
  json_t *e = json_pack("{s:s, s:s}", "field", "", "reason", reason); /* "": the body itself */
  if (e && line) json_object_set_new(e, "line", json_integer((json_int_t)line));
  if (e && column) json_object_set_new(e, "column", json_integer((json_int_t)column));
  return e;
}

static const char *encoding_name(enum csv_encoding e) {
  return e == CSV_WINDOWS_1252 ? "windows-1252" : e == CSV_UTF8_BOM ? "utf-8 with byte order mark" : "utf-8";
}

/* What each data row became. */
struct row_state {
  size_t line;
  size_t csv_row;
  const char *outcome; /* NULL until known */
  char id[UUID_STR_LEN];
  json_t *errors; /* NULL: none */
};

static struct row_state *row_of_line(struct row_state *rows, size_t n, size_t line) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (rows[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && rows[lo].line == line ? &rows[lo] : NULL;
}

static const struct import_column *column_named(const struct import_kind_def *def, const char *field, size_t *index) {
  for (size_t i = 0; field && i < def->ncolumns; i++)
    if (strcmp(def->columns[i].field, field) == 0) {
      *index = i;
      return &def->columns[i];
    }
  return NULL;
}

/* The references that did not resolve: one entry per field and value, with the lines that name it. */
static void note_unresolved(json_t *unresolved, const struct import_kind_def *def, const struct import_layout *lay,
                            const struct csv *csv, size_t csv_row, const char *field, size_t line) {
  static const char *const person_fields[] = {"given_names", "family_name", "birth_date"};
  char value[700];
  size_t k = 0, i;
  value[0] = '\0';
  if (strcmp(field, "family_name") == 0 || strcmp(field, "move_in_date") == 0) {
    for (size_t j = 0; j < 3; j++)
      if (column_named(def, person_fields[j], &i) && lay->position[i] >= 0)
        k += (size_t)snprintf(value + k, sizeof value - k, "%s%.200s", k ? " " : "",
                              csv_field(csv, csv_row, (size_t)lay->position[i]));
    if (strcmp(field, "move_in_date") == 0 && column_named(def, "move_in_date", &i) && lay->position[i] >= 0)
      snprintf(value + k, sizeof value - k, ", entrée %.40s", csv_field(csv, csv_row, (size_t)lay->position[i]));
    if (strcmp(field, "move_in_date") != 0) field = "person";
    else field = "placement";
  } else if (column_named(def, field, &i) && lay->position[i] >= 0) {
    snprintf(value, sizeof value, "%.500s", csv_field(csv, csv_row, (size_t)lay->position[i]));
    size_t t;
    if (strcmp(field, "unit_address") == 0 && column_named(def, "unit_town", &t) && lay->position[t] >= 0) {
      k = strlen(value);
      snprintf(value + k, sizeof value - k, ", %.100s", csv_field(csv, csv_row, (size_t)lay->position[t]));
      field = "unit";
    }
  }
  size_t n;
  json_t *u;
  json_array_foreach(unresolved, n, u) {
    if (strcmp(json_string_value(json_object_get(u, "field")), field) == 0 &&
        strcmp(json_string_value(json_object_get(u, "value")), value) == 0) {
      json_array_append_new(json_object_get(u, "lines"), json_integer((json_int_t)line));
      return;
    }
  }
  json_array_append_new(unresolved, json_pack("{s:s, s:s, s:[I]}", "field", field, "value", value, "lines",
                                              (json_int_t)line));
}

static enum db_status run_rows(struct db *db, const char *commission_id, enum import_kind kind, const char *rows,
                               const struct import_actor *who, PGresult **res) {
  struct import_run_params p = {.kind = import_kind_def(kind)->name, .commission_id = commission_id, .rows = rows,
                                .token_id = who->token_id, .role = who->role};
  return db_run(db, &run, &p, res);
}

/* Reads the CSV and each row's cells; the rows to run, as a JSON array text, into SEND. */
static bool read_rows(const struct import_kind_def *def, const struct import_layout *layout, const struct csv *csv,
                      struct row_state *rows, struct csv_out *send) {
  if (!csv_out_text(send, "[")) return false;
  bool first = true;
  for (size_t r = 1; r < csv->nrows; r++) {
    struct row_state *s = &rows[r - 1];
    s->line = csv->rows[r].line;
    s->csv_row = r;
    json_t *errors = json_array();
    if (!errors) return false;
    json_t *v = import_row_read(def, layout, csv, r, errors);
    if (v) {
      char *text = json_dumps(v, JSON_COMPACT);
      json_decref(v);
      bool ok = text && (first || csv_out_text(send, ",")) && csv_out_text(send, text);
      free(text);
      first = false;
      if (!ok) {
        json_decref(errors);
        return false;
      }
    }
    if (json_array_size(errors) > 0) {
      s->outcome = "error";
      s->errors = errors;
    } else {
      json_decref(errors);
      if (!v) return false; /* out of memory */
    }
  }
  return csv_out_text(send, "]");
}

static json_t *build_report(const struct import_kind_def *def, const struct csv *csv, size_t len,
                            const struct import_outcome *out, struct row_state *rows, size_t n, json_t *unresolved) {
  long counts[4] = {0, 0, 0, 0};
  static const char *const names[4] = {"create", "update", "unchanged", "error"};
  json_t *list = json_array();
  for (size_t i = 0; list && i < n; i++) {
    struct row_state *s = &rows[i];
    for (int k = 0; k < 4; k++)
      if (s->outcome && strcmp(s->outcome, names[k]) == 0) counts[k]++;
    json_t *r = json_pack("{s:I, s:s}", "line", (json_int_t)s->line, "outcome", s->outcome ? s->outcome : "error");
    if (!r) {
      json_decref(list);
      return NULL;
    }
    if (s->id[0]) json_object_set_new(r, "id", json_string(s->id));
    if (s->errors) {
      json_object_set_new(r, "errors", s->errors);
      s->errors = NULL;
    }
    json_array_append_new(list, r);
  }
  if (!list) return NULL;
  return json_pack("{s:s, s:{s:I, s:s, s:s, s:s, s:I}, s:{s:I, s:I, s:I, s:I}, s:b, s:o, s:o}", "kind", def->name,
                   "file", "bytes", (json_int_t)len, "sha256", out->file_hash, "encoding",
                   encoding_name(csv->encoding), "separator", csv->separator == ';' ? ";" : ",", "rows",
                   (json_int_t)n, "counts", "create", (json_int_t)counts[0], "update", (json_int_t)counts[1],
                   "unchanged", (json_int_t)counts[2], "error", (json_int_t)counts[3], "committable", counts[3] == 0,
                   "rows", list, "unresolved", unresolved);
}

enum db_status import_run(struct db *db, const char *commission_id, enum import_kind kind, const char *data,
                          size_t len, const struct import_actor *who, bool dry_run, struct import_outcome *out) {
  memset(out, 0, sizeof *out);
  out->status = DB_HARD_ERROR;
  const struct import_kind_def *def = import_kind_def(kind);
  import_file_hash(data, len, out->file_hash);
  struct csv csv;
  struct csv_error cerr;
  struct csv_limits limits = {.max_file = 0, .max_field = IMPORT_MAX_FIELD, .max_rows = IMPORT_MAX_ROWS};
  if (!csv_parse(data, len, &limits, &csv, &cerr)) {
    if (cerr.problem == CSV_NO_MEMORY) return out->status = DB_HARD_ERROR;
    unsigned int status = cerr.problem == CSV_TOO_MANY_ROWS || cerr.problem == CSV_TOO_LARGE ? 413 : 422;
    char detail[300];
    snprintf(detail, sizeof detail, "The file cannot be read: %s.", cerr.reason);
    return file_refused(out, status, detail, json_pack("[o]", body_error(cerr.line, cerr.column, cerr.reason)));
  }
  struct import_layout layout;
  json_t *header_errors = NULL;
  if (!import_layout_read(def, &csv, &layout, &header_errors)) {
    json_t *errors = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(header_errors, i, e) {
      json_t *line = json_object_get(e, "line"), *column = json_object_get(e, "column");
      json_array_append_new(errors, body_error((size_t)json_integer_value(line), (size_t)json_integer_value(column),
                                               json_string_value(json_object_get(e, "reason"))));
    }
    json_decref(header_errors);
    csv_free(&csv);
    char detail[300];
    snprintf(detail, sizeof detail, "The header line does not name the columns of %s (README: Importing a "
             "spreadsheet).", def->name);
    return file_refused(out, 422, detail, errors);
  }
  size_t n = csv.nrows - 1;
  struct row_state *rows = calloc(n ? n : 1, sizeof *rows);
  struct csv_out send = {0};
  json_t *unresolved = json_array();
  PGresult *res = NULL;
  enum db_status s = DB_HARD_ERROR;
  if (!rows || !unresolved || !read_rows(def, &layout, &csv, rows, &send)) goto done;
  s = db_long_statements(db); /* the rows are one statement: --import-timeout, not --statement-timeout */
  if (s < 0) goto done;
  s = import_fingerprint(db, commission_id, kind, out->fingerprint);
  if (s < 0) goto done;
  if (dry_run && (s = db_simple(db, "SAVEPOINT import_dry_run")) < 0) goto done;
  s = run_rows(db, commission_id, kind, send.data, who, &res);
  if (dry_run && s >= 0) {
    enum db_status r = db_simple(db, "ROLLBACK TO SAVEPOINT import_dry_run");
    if (r >= 0) r = db_simple(db, "RELEASE SAVEPOINT import_dry_run");
    if (r < 0) s = r;
  }
  if (s < 0) goto done;
  out->written = json_array();
  for (int i = 0; i < PQntuples(res); i++) {
    struct import_run_row row;
    if (!db_row(res, i, &row)) {
      s = DB_HARD_ERROR;
      goto done;
    }
    struct row_state *st = row_of_line(rows, n, (size_t)strtoul(row.line, NULL, 10));
    if (!st) continue;
    st->outcome = strcmp(row.outcome, "create") == 0 ? "create" : strcmp(row.outcome, "update") == 0 ? "update"
                  : strcmp(row.outcome, "unchanged") == 0 ? "unchanged" : "error";
    if (row.object_id && !(dry_run && strcmp(row.outcome, "create") == 0))
      snprintf(st->id, sizeof st->id, "%s", row.object_id);
    if (!dry_run && row.object_id && (strcmp(row.outcome, "create") == 0 || strcmp(row.outcome, "update") == 0))
      json_array_append_new(out->written, json_pack("{s:s, s:s}", "id", row.object_id, "action", row.outcome));
    if (strcmp(st->outcome, "error") == 0) {
      size_t ci = 0;
      const struct import_column *col = column_named(def, row.field, &ci);
      json_t *e = json_pack("{s:I, s:s}", "line", (json_int_t)st->line, "reason", row.reason ? row.reason : "");
      if (col) {
        if (layout.position[ci] >= 0) json_object_set_new(e, "column", json_integer(layout.position[ci] + 1));
        json_object_set_new(e, "field", json_string(col->field));
        json_object_set_new(e, "header", json_string(col->french));
      }
      if (!st->errors) st->errors = json_array();
      json_array_append_new(st->errors, e);
      if (row.field && row.reason && strncmp(row.reason, "no ", 3) == 0)
        note_unresolved(unresolved, def, &layout, &csv, st->csv_row, row.field, st->line);
      else if (row.field && row.reason && strstr(row.reason, "has no placement from"))
        note_unresolved(unresolved, def, &layout, &csv, st->csv_row, "move_in_date", st->line);
    }
  }
  for (size_t i = 0; i < n; i++)
    if (rows[i].outcome == NULL || strcmp(rows[i].outcome, "error") == 0) out->errors++;
  out->report = build_report(def, &csv, len, out, rows, n, unresolved);
  unresolved = NULL;
  s = out->report ? DB_ROW : DB_HARD_ERROR;
done:
  PQclear(res);
  for (size_t i = 0; rows && i < n; i++) json_decref(rows[i].errors);
  free(rows);
  json_decref(unresolved);
  csv_out_free(&send);
  csv_free(&csv);
  return out->status = s;
}

const char *import_object_type(enum import_kind kind) { return object_types[kind]; }

enum db_status import_audit_objects(struct db *db, const char *commission_id, const char *object_type,
                                    const struct import_actor *who, json_t *written, int status) {
  if (json_array_size(written) == 0) return DB_ROW;
  char *objects = json_dumps(written, JSON_COMPACT);
  if (!objects) return DB_HARD_ERROR;
  char code[8];
  snprintf(code, sizeof code, "%d", status);
  struct import_audit_params p = {.commission_id = commission_id, .token_id = who->token_id, .role = who->role,
                                  .method = who->method, .route = who->route, .object_type = object_type,
                                  .request_id = who->request_id, .status = code, .objects = objects};
  enum db_status s = db_run_discard(db, &audit_objects, &p);
  free(objects);
  return s;
}

enum db_status import_fingerprint(struct db *db, const char *commission_id, enum import_kind kind, char *out) {
  struct import_fingerprint_params p = {.commission_id = commission_id, .kind = import_kind_def(kind)->name};
  return db_run_text(db, &fingerprint, &p, out, 64);
}

enum db_status import_store(struct db *db, const char *commission_id, enum import_kind kind, const char *data,
                            size_t len, const struct import_outcome *o, const char *token_id, char *id) {
  char *hex = malloc(len * 2 + 1);
  char *report = json_dumps(o->report, JSON_COMPACT);
  enum db_status s = DB_HARD_ERROR;
  if (hex && report) {
    sodium_bin2hex(hex, len * 2 + 1, (const unsigned char *)data, len);
    char errors[24];
    snprintf(errors, sizeof errors, "%zu", o->errors);
    struct import_store_params p = {.commission_id = commission_id, .kind = import_kind_def(kind)->name,
                                    .file = hex, .file_hash = o->file_hash, .fingerprint = o->fingerprint,
                                    .report = report, .error_count = errors, .token_id = token_id};
    s = db_run_text(db, &store, &p, id, UUID_STR_LEN);
  }
  free(hex);
  free(report);
  return s;
}

void import_stored_free(struct import_stored *s) {
  free(s->file);
  json_decref(s->result);
  memset(s, 0, sizeof *s);
}

enum db_status import_lock(struct db *db, const char *commission_id, const char *id, struct import_stored *out) {
  memset(out, 0, sizeof *out);
  struct import_lock_params p = {.commission_id = commission_id, .id = id};
  PGresult *res;
  enum db_status s = db_run(db, &lock, &p, &res);
  if (s != DB_ROW) {
    PQclear(res);
    return s;
  }
  struct import_locked_row row;
  if (!db_row(res, 0, &row)) {
    PQclear(res);
    return DB_HARD_ERROR;
  }
  out->kind = import_kind_parse(row.kind);
  size_t hex_len = strlen(row.file);
  out->file = malloc(hex_len / 2 + 1);
  if (!out->file || sodium_hex2bin((unsigned char *)out->file, hex_len / 2 + 1, row.file, hex_len, NULL, &out->len,
                                   NULL) != 0) {
    PQclear(res);
    import_stored_free(out);
    return DB_HARD_ERROR;
  }
  snprintf(out->file_hash, sizeof out->file_hash, "%s", row.file_hash);
  snprintf(out->fingerprint, sizeof out->fingerprint, "%s", row.fingerprint);
  out->error_count = strtol(row.error_count, NULL, 10);
  out->committed = strcmp(row.committed, "true") == 0;
  out->result = row.result ? json_loads(row.result, 0, NULL) : NULL;
  PQclear(res);
  return DB_ROW;
}

enum db_status import_mark_committed(struct db *db, const char *commission_id, const char *id, const char *token_id,
                                     json_t *result) {
  char *text = json_dumps(result, JSON_COMPACT);
  if (!text) return DB_HARD_ERROR;
  struct import_committed_params p = {.commission_id = commission_id, .id = id, .token_id = token_id,
                                      .result = text};
  enum db_status s = db_run_discard(db, &committed, &p);
  free(text);
  return s;
}

enum db_status import_export(struct db *db, const char *commission_id, enum import_kind kind, char **csv,
                             size_t *len) {
  *csv = NULL;
  *len = 0;
  const struct import_kind_def *def = import_kind_def(kind);
  struct export_params p = {.commission_id = commission_id};
  PGresult *res;
  enum db_status s = db_run(db, export_statements[kind], &p, &res);
  if (s < 0) return s;
  int position[16];
  for (size_t i = 0; i < def->ncolumns; i++) {
    position[i] = PQfnumber(res, def->columns[i].field);
    if (position[i] < 0) {
      log_event(LOG_ERROR, "export_column_missing", ",\"kind\":\"%s\",\"column\":\"%s\"", def->name,
                def->columns[i].field);
      PQclear(res);
      return DB_HARD_ERROR;
    }
  }
  struct csv_out out = {0};
  bool ok = csv_out_text(&out, "\xEF\xBB\xBF");
  for (size_t i = 0; ok && i < def->ncolumns; i++) ok = csv_out_field(&out, def->columns[i].french, ';', i == 0);
  ok = ok && csv_out_text(&out, "\r\n");
  for (int r = 0; ok && r < PQntuples(res); r++) {
    for (size_t i = 0; ok && i < def->ncolumns; i++) {
      const char *v = PQgetisnull(res, r, position[i]) ? NULL : PQgetvalue(res, r, position[i]);
      char *cell = import_cell_text(&def->columns[i], v);
      ok = cell && csv_out_field(&out, cell, ';', i == 0);
      free(cell);
    }
    ok = ok && csv_out_text(&out, "\r\n");
  }
  PQclear(res);
  if (!ok) {
    csv_out_free(&out);
    return DB_HARD_ERROR;
  }
  *csv = out.data;
  *len = out.len;
  return DB_ROW;
}
