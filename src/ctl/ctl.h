/* commissionctl's subcommands. Each returns the process exit status. */
#ifndef COMMISSIONCTL_CTL_H
#define COMMISSIONCTL_CTL_H

#include <stdbool.h>

#include <libpq-fe.h>

int ctl_migrate(PGconn *conn, const char *dir);

/* Parses "--name value" pairs of a subcommand into VALUES (by position in NAMES, NULL-terminated); prints the usage
 * and exits 2 on anything else (src/ctl/main.c). */
void named_args(int argc, char **argv, const char *const *names, const char **values);

/* The audit chain's checkpoints (src/ctl/checkpoint.c); ARGV holds the arguments after the subcommand's name.
 * audit keygen --key FILE: creates FILE (mode 600, never over an existing file) holding a new Ed25519 key and prints
 * its public key on the last line; no database. */
int ctl_audit_keygen(int argc, char **argv);
struct db;
/* audit checkpoint [--key FILE] [--out FILE]: chains what is pending, then writes the chain's head, signed with the
 * key (default $COMMISSIOND_CHECKPOINT_KEY, then /etc/commissiond/audit-checkpoint.key), to FILE (replaced
 * atomically) or stdout. */
int ctl_audit_checkpoint(struct db *db, int argc, char **argv);
/* audit verify [--checkpoint FILE [--public-key KEY]]: walks the chain; with a checkpoint, checks its signature
 * (with KEY: 64 hex digits or a file holding them) and that the chain still holds its entry. 0 intact, 1 not. */
int ctl_audit_verify(struct db *db, int argc, char **argv);
/* The sealed minutes and annexes of SESSION_ID (NULL: every session): each must hash to its stored hash, recorded
 * by an intact audit entry (src/ctl/seals.c). Prints each on stdout (QUIET: only a count), each altered one on
 * stderr. 0 intact, 1 one altered, 2 none found, -1 error. */
int ctl_seals_verify(PGconn *conn, const char *session_id, bool quiet);

/* import FILE --kind K [--commission ID] [--dry-run]: reads a spreadsheet's CSV into the commission (one
 * transaction, audited), or only checks it; prints a summary. 0 imported (or a clean dry run), 1 not, 2 usage.
 * export --kind K [--commission ID] [--out FILE]: the list as CSV (src/ctl/import.c). */
int ctl_import(struct db *db, int argc, char **argv);
int ctl_export(struct db *db, int argc, char **argv);

#endif
