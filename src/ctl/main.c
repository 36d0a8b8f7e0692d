/* commissionctl: administration of a commissiond database — migrations, commissions, organisations, tokens.
 * Commands that create something print its id (or the token) alone on their last line of output. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "build_config.h"
#include "audit.h"
#include "ctl.h"
#include "queries.h"
#include "principal.h"
#include "token.h"
#include "validate.h"

static void usage(FILE *out) {
  fprintf(out,
          "Usage: commissionctl [--db CONNINFO] COMMAND ...\n"
          "Administration of a commissiond database. --db defaults to $COMMISSIOND_DB, then libpq's PG* variables.\n\n"
          "Commands:\n"
          "  migrate [--dir DIR]            apply pending migrations (DIR default: $COMMISSIOND_MIGRATIONS, else\n"
          "                                 " COMMISSIOND_MIGRATIONS_DIR ";\n"
          "                                 run from its build directory: the checkout's migrations/)\n"
          "  commission create NAME         create a commission; prints its id last\n"
          "  commission list                list commissions\n"
          "  commission configure ID --lapse-days N\n"
          "                                 approved applications lapse after N days without a placement\n"
          "  commission configure ID --token-days N\n"
          "                                 tokens issued without an expiry live N days (default 365)\n"
          "  commission configure ID --retention-years N\n"
          "                                 closed files are pseudonymised N years after their last exit or refusal\n"
          "  maintenance                    daily upkeep: lapse overdue approvals, forget old idempotency keys,\n"
          "                                 record the day's time-based webhook events\n"
          "  retention run [--dry-run] [--commission ID]\n"
          "                                 pseudonymise the people past their commission's retention (audited)\n"
          "  audit verify [--checkpoint FILE [--public-key KEY]]\n"
          "                                 walk the audit chain; exit 1 and name the first broken link if any; with\n"
          "                                 a checkpoint, also check its signature (with KEY: hex, or a file holding\n"
          "                                 it) and that the chain still holds its entry (nothing newest deleted)\n"
          "  audit chain                    chain the entries not chained yet (commissiond does it every second)\n"
          "  minutes verify SESSION         check a closed session's sealed minutes against their hash; exit 1 if\n"
          "                                 the stored document or model was altered\n"
          "  audit keygen --key FILE        create the checkpoints' signing key (Ed25519, mode 600, kept away from\n"
          "                                 the database); prints its public key last\n"
          "  audit checkpoint [--key FILE] [--out FILE]\n"
          "                                 sign the chain's head (position, hash, time) to FILE or stdout\n"
          "                                 (key default: $COMMISSIOND_CHECKPOINT_KEY, then\n"
          "                                 /etc/commissiond/audit-checkpoint.key)\n"
          "  organisation create --commission ID --kind KIND --name NAME\n"
          "                                 create an organisation (landlord, residence, curator_service,\n"
          "                                 care_team, partner); prints its id last\n"
          "  token create --commission ID --role ROLE [--scope ORG_ID] [--expires YYYY-MM-DD] --label TEXT\n"
          "                                 issue a token (default expiry: one year); prints it once, last.\n"
          "                                 Roles: coordinator, observer, calendar (no scope; calendar reads\n"
          "                                 only the calendar feed); caregiver (care_team),\n"
          "                                 curator (curator_service), landlord (landlord) need --scope\n"
          "  token list [--commission ID]   list tokens (never their secrets)\n"
          "  token revoke ID                revoke a token; running daemons drop it within a second\n"
          "  import FILE.csv --kind KIND [--commission ID] [--dry-run]\n"
          "                                 import a spreadsheet's CSV (KIND: organisations, units, people,\n"
          "                                 applications, placements, deposits): all rows or none, audited; with\n"
          "                                 --dry-run only check it. Prints each error with its line and column\n"
          "  export --kind KIND [--commission ID] [--out FILE]\n"
          "                                 the commission's list of KIND as CSV, in the import's format\n");
}

static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params) {
  PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    fprintf(stderr, "commissionctl: %s\n", msg ? msg : PQerrorMessage(conn));
    PQclear(r);
    return NULL;
  }
  return r;
}

void named_args(int argc, char **argv, const char *const *names, const char **values) {
  for (int i = 0; i < argc; i++) {
    size_t k = 0;
    while (names[k] != NULL && strcmp(argv[i], names[k]) != 0)
      k++;
    if (names[k] == NULL || i + 1 >= argc) {
      fprintf(stderr, "commissionctl: unexpected argument \"%s\"\n", argv[i]);
      usage(stderr);
      exit(2);
    }
    values[k] = argv[++i];
  }
}

static int print_rows(PGresult *r) {
  int cols = PQnfields(r);
  for (int c = 0; c < cols; c++)
    printf("%s%s", c ? "\t" : "", PQfname(r, c));
  printf("\n");
  for (int i = 0; i < PQntuples(r); i++)
    for (int c = 0; c < cols; c++)
      printf("%s%s", PQgetisnull(r, i, c) ? "-" : PQgetvalue(r, i, c), c + 1 == cols ? "\n" : "\t");
  PQclear(r);
  return 0;
}

/* commission configure ID --SETTING N: one of the commission's settings. */
static int commission_configure(PGconn *conn, const char *id, const char *option, const char *value) {
  static const struct {
    const char *option, *sql, *done;
    long min, max;
  } settings[] = {
    {"--lapse-days", "UPDATE commissions SET lapse_days = $2::integer WHERE id = $1 RETURNING id",
     "days an approved application waits for a placement before it lapses", 1, 3650},
    {"--retention-years", "UPDATE commissions SET retention_years = $2::integer WHERE id = $1 RETURNING id",
     "years a closed file is kept before it is pseudonymised", 1, 100},
    {"--token-days", "UPDATE commissions SET token_lifetime_days = $2::integer WHERE id = $1 RETURNING id",
     "days a token lives when its issuer names no expiry", 1, 3650},
  };
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
    if (strcmp(option, settings[i].option) != 0)
      continue;
    char *end;
    long n = strtol(value, &end, 10);
    if (!valid_uuid(id) || *end != '\0' || n < settings[i].min || n > settings[i].max) {
      fprintf(stderr, "commissionctl: commission configure ID %s N (%ld..%ld)\n", option, settings[i].min,
              settings[i].max);
      return 2;
    }
    const char *params[] = {id, value};
    PGresult *r = run(conn, settings[i].sql, 2, params);
    if (r == NULL)
      return 1;
    int rows = PQntuples(r);
    PQclear(r);
    if (rows == 0) {
      fprintf(stderr, "commissionctl: no commission %s\n", id);
      return 1;
    }
    printf("%s: %ld\n", settings[i].done, n);
    return 0;
  }
  fprintf(stderr, "commissionctl: unknown setting %s (--lapse-days, --retention-years, --token-days)\n", option);
  return 2;
}

static int commission_cmd(PGconn *conn, int argc, char **argv) {
  if (argc == 2 && strcmp(argv[0], "create") == 0) {
    const char *params[] = {argv[1]};
    PGresult *r = run(conn, "INSERT INTO commissions (name) VALUES ($1) RETURNING id", 1, params);
    if (r == NULL)
      return 1;
    printf("created commission \"%s\"\n%s\n", argv[1], PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
  }
  if (argc == 1 && strcmp(argv[0], "list") == 0) {
    PGresult *r = run(conn, "SELECT id, name, lapse_days, retention_years, token_lifetime_days, created_at FROM commissions "
                    "ORDER BY created_at, id", 0,
                      NULL);
    return r ? print_rows(r) : 1;
  }
  if (argc == 4 && strcmp(argv[0], "configure") == 0)
    return commission_configure(conn, argv[1], argv[2], argv[3]);
  usage(stderr);
  return 2;
}

/* commissionctl audit verify | chain | checkpoint: verify walks the audit chain and reports its first broken link
 * (src/ctl/checkpoint.c, with a checkpoint); chain hashes the entries not chained yet (commissiond does it every
 * second); checkpoint signs the chain's head. (audit keygen needs no database: see main.) */
static int audit_cmd(struct db *db, int argc, char **argv) {
  if (argc == 1 && strcmp(argv[0], "chain") == 0) {
    long n = audit_chain_pending(db);
    if (n < 0) {
      fprintf(stderr, "commissionctl: chaining failed: %s", PQerrorMessage(db_pgconn(db)));
      return 1;
    }
    printf("chained %ld entries\n", n);
    return 0;
  }
  int rc = 2;
  if (argc >= 1 && strcmp(argv[0], "verify") == 0)
    rc = ctl_audit_verify(db, argc - 1, argv + 1);
  else if (argc >= 1 && strcmp(argv[0], "checkpoint") == 0)
    rc = ctl_audit_checkpoint(db, argc - 1, argv + 1);
  if (rc == 2)
    usage(stderr);
  return rc;
}

/* commissionctl retention run [--dry-run] [--commission ID]: pseudonymises the people past their commission's
 * retention (README: Data protection). */
/* commissionctl minutes verify SESSION: recomputes the seal of the session's stored minutes. */
static int minutes_cmd(PGconn *conn, int argc, char **argv) {
  if (argc != 2 || strcmp(argv[0], "verify") != 0 || !valid_uuid(argv[1])) {
    usage(stderr);
    return 2;
  }
  int rc = ctl_seals_verify(conn, argv[1], false);
  if (rc == 2)
    fprintf(stderr, "commissionctl: session %s has no sealed minutes (not closed, or closed before sealing)\n",
            argv[1]);
  return rc == 0 ? 0 : 1;
}

static int retention_cmd(PGconn *conn, int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "run") != 0) {
    usage(stderr);
    return 2;
  }
  bool dry_run = false;
  const char *commission = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dry-run") == 0)
      dry_run = true;
    else if (strcmp(argv[i], "--commission") == 0 && i + 1 < argc && valid_uuid(argv[i + 1]))
      commission = argv[++i];
    else {
      usage(stderr);
      return 2;
    }
  }
  const char *params[] = {commission, dry_run ? "t" : "f"};
  PGresult *r = run(conn,
                    "SELECT c.id, c.retention_years, x.person_id, x.last_event FROM commissions c, "
                    "LATERAL retention_pseudonymise(c.id, $2::boolean) x WHERE $1::uuid IS NULL OR c.id = $1::uuid "
                    "ORDER BY c.id, x.last_event",
                    2, params);
  if (r == NULL)
    return 1;
  for (int i = 0; i < PQntuples(r); i++)
    printf("%s person %s (commission %s, retention %s years, last event %s)\n",
           dry_run ? "would pseudonymise" : "pseudonymised", PQgetvalue(r, i, 2), PQgetvalue(r, i, 0),
           PQgetvalue(r, i, 1), PQgetvalue(r, i, 3));
  printf("%d %s\n", PQntuples(r), dry_run ? "people due (dry run: nothing changed)" : "people pseudonymised");
  PQclear(r);
  return 0;
}

/* Daily upkeep: lapses overdue approvals of every commission (recorded in their history), forgets idempotency
 * records older than a week and failed-authentication counters older than an hour. */
static int maintenance_cmd(PGconn *conn) {
  PGresult *r = run(conn, "SELECT coalesce(sum(applications_lapse(id)), 0) FROM commissions", 0, NULL);
  if (r == NULL)
    return 1;
  printf("applications lapsed: %s\n", PQgetvalue(r, 0, 0));
  PQclear(r);
  r = run(conn, "DELETE FROM idempotency_keys WHERE created_at < now() - interval '7 days'", 0, NULL);
  if (r == NULL)
    return 1;
  printf("idempotency records forgotten: %s\n", PQcmdTuples(r));
  PQclear(r);
  /* Time-based webhook events (refunds due or overdue, penalties accruing, reviews due, agreements and tokens
   * expiring), each recorded once however often this runs. */
  r = run(conn, "SELECT coalesce(sum(webhook_time_events(id, current_date)), 0) FROM commissions", 0, NULL);
  if (r == NULL)
    return 1;
  printf("webhook events recorded: %s\n", PQgetvalue(r, 0, 0));
  PQclear(r);
  /* Each instance forgets the past minutes of the keys it counts again; these are the keys never seen since. */
  r = run(conn, "DELETE FROM auth_failures WHERE minute < now() - interval '1 hour'", 0, NULL);
  if (r == NULL)
    return 1;
  printf("failed-authentication counters forgotten: %s\n", PQcmdTuples(r));
  PQclear(r);
  return 0;
}

static int organisation_cmd(PGconn *conn, int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "create") != 0) {
    usage(stderr);
    return 2;
  }
  static const char *const names[] = {"--commission", "--kind", "--name", NULL};
  const char *v[3] = {NULL};
  named_args(argc - 1, argv + 1, names, v);
  if (v[0] == NULL || v[1] == NULL || v[2] == NULL || !valid_uuid(v[0])) {
    fprintf(stderr, "commissionctl: organisation create needs --commission ID --kind KIND --name NAME\n");
    return 2;
  }
  PGresult *r = run(conn, "INSERT INTO organisations (commission_id, kind, name) VALUES ($1, $2, $3) RETURNING id",
                    3, v);
  if (r == NULL)
    return 1;
  printf("created %s \"%s\"\n%s\n", v[1], v[2], PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}

static int token_create(struct db *db, int argc, char **argv) {
  static const char *const names[] = {"--commission", "--role", "--scope", "--expires", "--label", NULL};
  const char *v[5] = {NULL};
  named_args(argc, argv, names, v);
  enum role role = role_parse(v[1]);
  if (v[0] == NULL || !valid_uuid(v[0]) || role == ROLE_NONE || v[4] == NULL || *v[4] == '\0') {
    fprintf(stderr, "commissionctl: token create needs --commission ID, --role (coordinator, caregiver, curator, "
                    "landlord, observer, calendar) and --label TEXT\n");
    return 2;
  }
  if (role_needs_scope(role) != (v[2] != NULL)) {
    fprintf(stderr, role_needs_scope(role) ? "commissionctl: a %s token needs --scope ORG_ID (a %s)\n"
                                           : "commissionctl: a %s token takes no --scope%s\n",
            role_name(role), role_needs_scope(role) ? role_scope_kind(role) : "");
    return 2;
  }
  if (v[2] != NULL && !valid_uuid(v[2])) {
    fprintf(stderr, "commissionctl: --scope must be an organisation id\n");
    return 2;
  }
  if (v[3] != NULL && !valid_date(v[3])) {
    fprintf(stderr, "commissionctl: --expires must be a date YYYY-MM-DD\n");
    return 2;
  }
  char token[TOKEN_LEN + 1], selector[TOKEN_SELECTOR_LEN + 1];
  unsigned char hash[TOKEN_HASH_BYTES];
  char hash_hex[2 * TOKEN_HASH_BYTES + 1];
  token_generate(token, selector);
  token_hash(token, TOKEN_LEN, hash);
  sodium_bin2hex(hash_hex, sizeof hash_hex, hash, sizeof hash);
  PGresult *r;
  struct token_fields f = {.commission_id = v[0], .role = role_name(role), .scope_org_id = v[2],
                           .scope_kind = role_scope_kind(role), .label = v[4], .selector = selector,
                           .hash_hex = hash_hex, .expires_on = v[3]};
  enum db_status s = db_token_insert(db, &f, &r);
  if (s < 0) {
    fprintf(stderr, "commissionctl: cannot create the token: %s", PQerrorMessage(db_pgconn(db)));
    sodium_memzero(token, sizeof token);
    return 1;
  }
  if (s == DB_NO_ROW) {
    fprintf(stderr, v[2] ? "commissionctl: --scope must be a %s of that commission, and --expires in the future\n"
                         : "commissionctl: --expires must be in the future%s\n",
            v[2] ? (role == ROLE_LANDLORD ? "landlord or residence" : role_scope_kind(role)) : "");
    PQclear(r);
    sodium_memzero(token, sizeof token);
    return 2;
  }
  struct token_row row;
  if (!db_row(r, 0, &row)) {
    PQclear(r);
    sodium_memzero(token, sizeof token);
    return 1;
  }
  printf("token %s (%s, expires %s); shown once, keep it secret:\n%s\n", row.id, role_name(role), row.expires_at,
         token);
  PQclear(r);
  sodium_memzero(token, sizeof token);
  return 0;
}

static int token_cmd(struct db *db, int argc, char **argv) {
  PGconn *conn = db_pgconn(db);
  if (argc >= 1 && strcmp(argv[0], "create") == 0)
    return token_create(db, argc - 1, argv + 1);
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    static const char *const names[] = {"--commission", NULL};
    const char *v[1] = {NULL};
    named_args(argc - 1, argv + 1, names, v);
    PGresult *r = run(conn,
                      "SELECT id, commission_id AS commission, role, scope_org_id AS scope, label, created_at, "
                      "expires_at, last_used_at, CASE WHEN revoked_at IS NOT NULL THEN 'revoked' "
                      "WHEN expires_at <= now() THEN 'expired' ELSE 'active' END AS status FROM tokens "
                      "WHERE $1::uuid IS NULL OR commission_id = $1::uuid ORDER BY created_at, id",
                      1, v);
    return r ? print_rows(r) : 1;
  }
  if (argc == 2 && strcmp(argv[0], "revoke") == 0) {
    if (!valid_uuid(argv[1])) {
      fprintf(stderr, "commissionctl: token revoke needs a token id\n");
      return 2;
    }
    const char *params[] = {argv[1]};
    PGresult *r = run(conn,
                      "UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
                      "RETURNING revoked_at",
                      1, params);
    if (r == NULL)
      return 1;
    int n = PQntuples(r);
    if (n == 1)
      printf("revoked %s at %s\n", argv[1], PQgetvalue(r, 0, 0));
    else
      fprintf(stderr, "commissionctl: no token %s\n", argv[1]);
    PQclear(r);
    return n == 1 ? 0 : 1;
  }
  usage(stderr);
  return 2;
}

/* Where `migrate` reads without --dir or $COMMISSIOND_MIGRATIONS: the installed $datadir/commissiond/migrations,
 * except for a commissionctl run from its build directory, which reads its checkout's migrations/ (the tests, the
 * quickstart). Never the build machine's checkout from an installed copy: a directory of that name on the host
 * would be run as SQL. */
static const char *default_migrations_dir(void) {
  char exe[PATH_MAX], root[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1); /* symbolic links resolved, as realpath does */
  if (n <= 0 || realpath(COMMISSIOND_BUILD_ROOT, root) == NULL)
    return COMMISSIOND_MIGRATIONS_DIR;
  exe[n] = '\0';
  size_t len = strlen(root);
  if (strncmp(exe, root, len) == 0 && exe[len] == '/')
    return COMMISSIOND_SOURCE_MIGRATIONS_DIR;
  return COMMISSIOND_MIGRATIONS_DIR;
}

int main(int argc, char **argv) {
  const char *db = getenv("COMMISSIOND_DB");
  const char *dir = getenv("COMMISSIOND_MIGRATIONS");
  static const struct option opts[] = {
    {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};
  int c;
  /* Options stop at the command: its own arguments are parsed by the command. */
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': db = optarg; break;
    case 'h': usage(stdout); return 0;
    case 'V': printf("commissionctl %s\n", COMMISSIOND_VERSION); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  if (sodium_init() < 0) {
    fprintf(stderr, "commissionctl: libsodium failed to initialise\n");
    return 1;
  }
  const char *cmd = argv[optind];
  int sub_argc = argc - optind - 1;
  char **sub_argv = argv + optind + 1;
  if (strcmp(cmd, "migrate") == 0 && sub_argc == 2 && strcmp(sub_argv[0], "--dir") == 0) {
    dir = sub_argv[1];
    sub_argc = 0;
  }
  if (strcmp(cmd, "migrate") == 0 && sub_argc != 0) {
    usage(stderr);
    return 2;
  }
  if (strcmp(cmd, "audit") == 0 && sub_argc >= 1 && strcmp(sub_argv[0], "keygen") == 0)
    return ctl_audit_keygen(sub_argc - 1, sub_argv + 1); /* no database */
  if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "commission") != 0 && strcmp(cmd, "organisation") != 0 &&
      strcmp(cmd, "token") != 0 && strcmp(cmd, "maintenance") != 0 && strcmp(cmd, "audit") != 0 &&
      strcmp(cmd, "retention") != 0 && strcmp(cmd, "minutes") != 0 && strcmp(cmd, "import") != 0 &&
      strcmp(cmd, "export") != 0) {
    fprintf(stderr, "commissionctl: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
  }
  struct db *handle = db_open(db ? db : "");
  if (handle == NULL) {
    fprintf(stderr, "commissionctl: cannot connect to the database (see the message above)\n");
    return 1;
  }
  PGconn *conn = db_pgconn(handle);
  /* Administration works across commissions: past the row-level security guard (README: Data protection). */
  if (db_simple(handle, "SET commissiond.scope = 'all'") < 0) {
    fprintf(stderr, "commissionctl: cannot prepare the session: %s", PQerrorMessage(conn));
    db_close(handle);
    return 1;
  }
  int rc;
  if (strcmp(cmd, "migrate") == 0)
    rc = ctl_migrate(conn, dir ? dir : default_migrations_dir());
  else if (strcmp(cmd, "commission") == 0)
    rc = commission_cmd(conn, sub_argc, sub_argv);
  else if (strcmp(cmd, "audit") == 0)
    rc = audit_cmd(handle, sub_argc, sub_argv);
  else if (strcmp(cmd, "retention") == 0)
    rc = retention_cmd(conn, sub_argc, sub_argv);
  else if (strcmp(cmd, "minutes") == 0)
    rc = minutes_cmd(conn, sub_argc, sub_argv);
  else if (strcmp(cmd, "maintenance") == 0)
    rc = sub_argc == 0 ? maintenance_cmd(conn) : 2;
  else if (strcmp(cmd, "organisation") == 0)
    rc = organisation_cmd(conn, sub_argc, sub_argv);
  else if (strcmp(cmd, "import") == 0)
    rc = ctl_import(handle, sub_argc, sub_argv);
  else if (strcmp(cmd, "export") == 0)
    rc = ctl_export(handle, sub_argc, sub_argv);
  else
    rc = token_cmd(handle, sub_argc, sub_argv);
  db_close(handle);
  return rc;
}
