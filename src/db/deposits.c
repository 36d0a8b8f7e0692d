/* Queries on deposits: a placement's account (the deposit_accounts view of migrations/0003), its ledger, new
 * entries, the list of accounts by status, and the report per landlord. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "queries.h"

#define ACCOUNT_FROM                                                                                             \
  " FROM deposit_accounts da JOIN people p ON p.commission_id = da.commission_id AND p.id = da.person_id "      \
  "JOIN units u ON u.commission_id = da.commission_id AND u.id = da.unit_id "

#define DEPOSIT_ACCOUNT(P) P(commission_id) P(placement_id) P(scope) P(org)
DB_STATEMENT(account, {
  "deposit_account",
  "SELECT " DB_COLUMNS(DEPOSIT_ACCOUNT_ROW) ACCOUNT_FROM "WHERE da.commission_id = :commission_id "
  "AND da.placement_id = :placement_id AND " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org"),
  DB_PARAMS(DEPOSIT_ACCOUNT)
});
DB_PARAMS_STRUCT(deposit_account_params, DEPOSIT_ACCOUNT);

#define DEPOSIT_ENTRIES(P) P(commission_id) P(placement_id)
DB_STATEMENT(entries, {
  "deposit_entries",
  "SELECT " DB_COLUMNS(DEPOSIT_ENTRY_ROW) " FROM deposit_entries e WHERE e.commission_id = :commission_id "
  "AND e.placement_id = :placement_id ORDER BY e.created_at, e.id", /* e.: the instant, not the text column */
  DB_PARAMS(DEPOSIT_ENTRIES)
});
DB_PARAMS_STRUCT(deposit_entries_params, DEPOSIT_ENTRIES);

/* The entry a reversal points at. */
#define DEPOSIT_REVERSED_ROW(FIRST, NEXT) FIRST(kind, "kind") NEXT(amount_cents, "amount_cents")
DB_ROW_STRUCT(deposit_reversed_row, DEPOSIT_REVERSED_ROW);
#define DEPOSIT_ENTRY(P) P(commission_id) P(placement_id) P(id)
DB_STATEMENT(entry, {
  "deposit_entry",
  "SELECT " DB_COLUMNS(DEPOSIT_REVERSED_ROW) " FROM deposit_entries WHERE commission_id = :commission_id "
  "AND placement_id = :placement_id AND id = :id",
  DB_PARAMS(DEPOSIT_ENTRY)
});
DB_PARAMS_STRUCT(deposit_entry_params, DEPOSIT_ENTRY);

#define DEPOSIT_INSERT(P)                                                                                        \
  P(commission_id) P(placement_id) P(kind) P(amount_cents) P(effect_cents) P(entry_date) P(justification)       \
  P(reverses_entry_id) P(token_id) P(role)
DB_STATEMENT(insert, {
  "deposit_entry_insert",
  "INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, "
  "justification, reverses_entry_id, token_id, role) VALUES (:commission_id, :placement_id, :kind, "
  ":amount_cents::bigint, :effect_cents::bigint, :entry_date, :justification, :reverses_entry_id, :token_id, :role) "
  "RETURNING id",
  DB_PARAMS(DEPOSIT_INSERT)
});
DB_PARAMS_STRUCT(deposit_insert_params, DEPOSIT_INSERT);

/* The write in one statement (migrations/0045 deposit_entry_record): the scope check, the insert, then the account as
 * it now stands and the new entry's id (the first row, its person read by key), then its ledger, one row per entry
 * (DEPOSIT_POSTED_ROW: the account's columns null on the ledger's rows, the entry's on the first; the function's
 * columns are named as the view's and the ledger's, so DEPOSIT_ACCOUNT_ROW reads them as da.* and DEPOSIT_ENTRY_ROW
 * by their bare names, which only the function's row has); no row when the placement is out of scope. The person
 * is read from the statement's snapshot: the write does not change it. */
#define DEPOSIT_POST(P)                                                                                          \
  P(commission_id) P(placement_id) P(scope) P(org) P(kind) P(amount_cents) P(effect_cents) P(entry_date)        \
  P(justification) P(reverses_entry_id) P(token_id) P(role)
#define DEPOSIT_POSTED_ROW(FIRST, NEXT)                                                                          \
  DEPOSIT_ACCOUNT_ROW(FIRST, NEXT) DEPOSIT_ENTRY_ROW(NEXT, NEXT) NEXT(posted_id, "da.posted_id")
DB_ROW_STRUCT(deposit_posted_row, DEPOSIT_POSTED_ROW);
DB_STATEMENT(post, {
  "deposit_entry_record",
  "SELECT " DB_COLUMNS(DEPOSIT_POSTED_ROW) " FROM deposit_entry_record(:commission_id::uuid, :placement_id::uuid, "
  "EXISTS (SELECT 1 FROM placements pl JOIN people p ON p.commission_id = pl.commission_id "
  "AND p.id = pl.person_id JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "
  "WHERE pl.commission_id = :commission_id::uuid AND pl.id = :placement_id::uuid AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") "), :kind::text, :amount_cents::bigint, :effect_cents::bigint, "
  ":entry_date::date, :justification::text, :reverses_entry_id::uuid, :token_id::uuid, :role::text) "
  "WITH ORDINALITY da LEFT JOIN LATERAL (SELECT x.family_name, x.given_names FROM people x "
  "WHERE da.ordinality = 1 AND x.commission_id = da.commission_id AND x.id = da.person_id) p ON true "
  "ORDER BY da.ordinality",
  DB_PARAMS(DEPOSIT_POST)
});
DB_PARAMS_STRUCT(deposit_post_params, DEPOSIT_POST);

/* The lists: one statement per filter shape and walk, each reading its page in the order of an index of
 * deposit_totals (migrations/0023, 0039, 0040, 0041), from the cursor on (the null uuid sorts first), then each
 * account, its person and unit by key (LATERAL ... OFFSET 0: a nested loop in the index's order, which the LIMIT
 * stops). The walk: the commission's accounts (a status reads the accounts of its status class in one index, 0041:
 * overdue reads the accounts owing a refund), or one landlord's (landlord_org_id, else a landlord's token) or one
 * curator service's (a curator's token), by the totals row's copies of its placement's, each with its status class
 * (0039). penalty_unpaid (which depends on the day) walks the accounts that may owe a penalty (penalty_candidate:
 * still holding money after the exit, settled late, or with a provision; 0040) and keeps those that owe one today.
 * outstanding (a refund not yet due, which the day ends) reads the accounts owing a refund whose exit is recent
 * enough for it (at most two months: 62 days) or that have a provision, sorted: as many as the refunds falling due,
 * whatever the commission's history. Every filter is checked again on the account, its person and unit (the copies
 * only lead the walk). */
#define DEPOSIT_WALK_ROWS(WALK)                                                                                  \
  "SELECT h.commission_id, h.placement_id FROM deposit_totals h WHERE h.commission_id = :commission_id::uuid "  \
  "AND " WALK " AND h.placement_id > coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000')"
#define DEPOSIT_LIST_OVER(WALK_ROWS, FILTER)                                                                     \
  "SELECT " DB_COLUMNS(DEPOSIT_ACCOUNT_ROW) " FROM (" WALK_ROWS " ORDER BY placement_id OFFSET 0) h "           \
  "CROSS JOIN LATERAL (SELECT * FROM deposit_accounts a WHERE a.commission_id = h.commission_id "                \
  "AND a.placement_id = h.placement_id OFFSET 0) da "                                                            \
  "CROSS JOIN LATERAL (SELECT * FROM people x WHERE x.commission_id = da.commission_id AND x.id = da.person_id " \
  "OFFSET 0) p CROSS JOIN LATERAL (SELECT * FROM units y WHERE y.commission_id = da.commission_id "             \
  "AND y.id = da.unit_id OFFSET 0) u WHERE " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") FILTER             \
  " ORDER BY h.placement_id LIMIT :limit::integer"
#define DEPOSIT_LIST_SQL(WALK, FILTER) DEPOSIT_LIST_OVER(DEPOSIT_WALK_ROWS(WALK), FILTER)
#define DEPOSIT_LIST(P) P(commission_id) P(scope) P(org) P(after_id) P(limit)
#define DEPOSIT_LIST_WALK(P) DEPOSIT_LIST(P) P(walk_org)
DB_PARAMS_STRUCT(deposit_list_params, DEPOSIT_LIST);
DB_PARAMS_STRUCT(deposit_list_walk_params, DEPOSIT_LIST_WALK);
/* One list shape NAME: its walk (WALK: the accounts it reads, in the commission, one landlord's or one curator
 * service's), each keeping FILTER's accounts. */
#define DEPOSIT_LIST_SHAPE(var, name, walk, filter)                                                              \
  DB_STATEMENT(var, {"deposit_account_list" name, DEPOSIT_LIST_SQL(walk, filter), DB_PARAMS(DEPOSIT_LIST),       \
                     .generic_plan = true});                                                                     \
  DB_STATEMENT(var##_landlord, {"deposit_account_list" name "_landlord",                                         \
                                DEPOSIT_LIST_SQL("h.landlord_org_id = :walk_org::uuid AND " walk,                \
                                                 filter " AND da.landlord_org_id = :walk_org::uuid"),            \
                                DB_PARAMS(DEPOSIT_LIST_WALK), .generic_plan = true});                            \
  DB_STATEMENT(var##_curator, {"deposit_account_list" name "_curator",                                           \
                               DEPOSIT_LIST_SQL("h.curator_org_id = :walk_org::uuid AND " walk,                  \
                                                filter " AND p.curator_org_id = :walk_org::uuid"),               \
                               DB_PARAMS(DEPOSIT_LIST_WALK), .generic_plan = true})
DEPOSIT_LIST_SHAPE(list_all, "", "true", "");
DEPOSIT_LIST_SHAPE(list_penalty, "_penalty_unpaid", "h.penalty_candidate", " AND da.penalty_unpaid_cents > 0");
DEPOSIT_LIST_SHAPE(list_held, "_held", "h.status_class = 'held'", " AND da.status = 'held'");
DEPOSIT_LIST_SHAPE(list_overdue, "_overdue", "h.status_class = 'owed'", " AND da.status = 'overdue'");
DEPOSIT_LIST_SHAPE(list_settled, "_settled", "h.status_class = 'settled'", " AND da.status = 'settled'");
DEPOSIT_LIST_SHAPE(list_not_paid, "_not_paid", "h.status_class = 'not_paid'", " AND da.status = 'not_paid'");
/* outstanding: the commission's accounts owing a refund after a recent exit (an index range on the exit date), and
 * those with a provision after an older one; a scope keeps its own of these (WALK), then checks them (FILTER). */
#define DEPOSIT_OUTSTANDING_SQL(WALK, FILTER)                                                                    \
  DEPOSIT_LIST_OVER(DEPOSIT_WALK_ROWS("h.status_class = 'owed' AND h.exit_date >= current_date - 62" WALK)      \
                    " UNION ALL " DEPOSIT_WALK_ROWS("h.status_class = 'owed' AND h.provisioned "                 \
                                                    "AND h.exit_date < current_date - 62" WALK),                \
                    " AND da.status = 'outstanding'" FILTER)
DB_STATEMENT(list_outstanding, {"deposit_account_list_outstanding", DEPOSIT_OUTSTANDING_SQL("", ""),
                                DB_PARAMS(DEPOSIT_LIST), .generic_plan = true});
DB_STATEMENT(list_outstanding_landlord, {"deposit_account_list_outstanding_landlord",
                                         DEPOSIT_OUTSTANDING_SQL(" AND h.landlord_org_id = :walk_org::uuid",
                                                                 " AND da.landlord_org_id = :walk_org::uuid"),
                                         DB_PARAMS(DEPOSIT_LIST_WALK), .generic_plan = true});
DB_STATEMENT(list_outstanding_curator, {"deposit_account_list_outstanding_curator",
                                        DEPOSIT_OUTSTANDING_SQL(" AND h.curator_org_id = :walk_org::uuid",
                                                                " AND p.curator_org_id = :walk_org::uuid"),
                                        DB_PARAMS(DEPOSIT_LIST_WALK), .generic_plan = true});

/* Totals per landlord (and, with landlord NULL, in all): aggregate figures, no person. */
#define DEPOSIT_REPORT(P) P(commission_id)
DB_STATEMENT(report, {
  "deposit_report",
  "SELECT " DB_COLUMNS(DEPOSIT_REPORT_ROW) " "
  "FROM deposit_accounts da LEFT JOIN organisations o ON o.commission_id = da.commission_id "
  "AND o.id = da.landlord_org_id WHERE da.commission_id = :commission_id "
  "GROUP BY GROUPING SETS ((da.landlord_org_id, o.name), ()) ORDER BY o.name NULLS LAST, da.landlord_org_id",
  DB_PARAMS(DEPOSIT_REPORT)
});
DB_PARAMS_STRUCT(deposit_report_params, DEPOSIT_REPORT);

#define DEPOSIT_PROVISION_PUT(P)                                                                                 \
  P(commission_id) P(placement_id) P(amount_cents) P(justification) P(accounts_approved_on) P(role) P(token_id)
DB_STATEMENT(provision_put, {
  "deposit_provision_put",
  "INSERT INTO deposit_provisions (commission_id, placement_id, amount_cents, justification, accounts_approved_on, "
  "role, token_id) VALUES (:commission_id, :placement_id, :amount_cents::bigint, :justification, "
  ":accounts_approved_on::date, :role, :token_id::uuid) ON CONFLICT (commission_id, placement_id) DO UPDATE SET "
  "amount_cents = EXCLUDED.amount_cents, justification = EXCLUDED.justification, "
  "accounts_approved_on = EXCLUDED.accounts_approved_on, role = EXCLUDED.role, token_id = EXCLUDED.token_id, "
  "version = deposit_provisions.version + 1, updated_at = now()",
  DB_PARAMS(DEPOSIT_PROVISION_PUT)
});
DB_PARAMS_STRUCT(deposit_provision_put_params, DEPOSIT_PROVISION_PUT);

enum db_status db_deposit_provision_put(struct db *db, const char *commission_id, const char *placement_id,
                                        const struct deposit_provision_fields *f, const char *token_id,
                                        const char *role) {
  struct deposit_provision_put_params p = {.commission_id = commission_id, .placement_id = placement_id,
                                           .amount_cents = f->amount_cents, .justification = f->justification,
                                           .accounts_approved_on = f->accounts_approved_on, .role = role,
                                           .token_id = token_id};
  return db_run_discard(db, &provision_put, &p);
}

enum db_status db_deposit_account(struct db *db, const char *commission_id, const char *placement_id,
                                  const struct access *scope, PGresult **res) {
  struct deposit_account_params p = {.commission_id = commission_id, .placement_id = placement_id,
                                     .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, &account, &p, res);
}

enum db_status db_deposit_entries(struct db *db, const char *commission_id, const char *placement_id,
                                  PGresult **res) {
  struct deposit_entries_params p = {.commission_id = commission_id, .placement_id = placement_id};
  return db_run(db, &entries, &p, res);
}

enum db_status db_deposit_entry(struct db *db, const char *commission_id, const char *placement_id,
                                const char *entry_id, char kind[16], long long *amount_cents) {
  struct deposit_entry_params p = {.commission_id = commission_id, .placement_id = placement_id, .id = entry_id};
  PGresult *res;
  kind[0] = '\0';
  *amount_cents = 0;
  enum db_status s = db_run(db, &entry, &p, &res);
  struct deposit_reversed_row row;
  if (s == DB_ROW && (!db_row(res, 0, &row) || row.kind == NULL || row.amount_cents == NULL))
    s = DB_HARD_ERROR;
  if (s == DB_ROW) {
    snprintf(kind, 16, "%s", row.kind);
    *amount_cents = strtoll(row.amount_cents, NULL, 10);
  }
  PQclear(res);
  return s;
}

enum db_status db_deposit_entry_insert(struct db *db, const char *commission_id, const char *placement_id,
                                       const struct deposit_entry_fields *f, const char *token_id, const char *role,
                                       char id[UUID_STR_LEN]) {
  struct deposit_insert_params p = {.commission_id = commission_id, .placement_id = placement_id, .kind = f->kind,
                                    .amount_cents = f->amount_cents, .effect_cents = f->effect_cents,
                                    .entry_date = f->entry_date, .justification = f->justification,
                                    .reverses_entry_id = f->reverses_entry_id, .token_id = token_id, .role = role};
  return db_run_text(db, &insert, &p, id, UUID_STR_LEN);
}

enum db_status db_deposit_entry_post(struct db *db, const char *commission_id, const char *placement_id,
                                     const struct access *scope, const struct deposit_entry_fields *f,
                                     const char *token_id, const char *role, PGresult **res) {
  struct deposit_post_params p = {.commission_id = commission_id, .placement_id = placement_id,
                                  .scope = access_scope_param(scope), .org = access_org_param(scope), .kind = f->kind,
                                  .amount_cents = f->amount_cents, .effect_cents = f->effect_cents,
                                  .entry_date = f->entry_date, .justification = f->justification,
                                  .reverses_entry_id = f->reverses_entry_id, .token_id = token_id, .role = role};
  return db_run(db, &post, &p, res);
}

bool db_deposit_posted_row(const PGresult *res, int i, struct deposit_account_row *a,
                           struct deposit_entry_row *e, const char **posted_id) {
  struct deposit_posted_row r;
  size_t n = sizeof a->columns_ / sizeof a->columns_[0];
  _Static_assert(sizeof r.columns_ == sizeof a->columns_ + sizeof e->columns_ + sizeof r.posted_id,
                 "a posted row is an account row, an entry row, then the new entry's id");
  if (!db_row(res, i, &r))
    return false;
  memcpy(a->columns_, r.columns_, sizeof a->columns_);
  memcpy(e->columns_, r.columns_ + n, sizeof e->columns_);
  *posted_id = r.posted_id;
  return true;
}

enum db_status db_deposit_account_list(struct db *db, const char *commission_id, const struct access *scope,
                                       const char *status, const char *landlord_id, const char *after_id,
                                       const char *limit, PGresult **res) {
  const char *sc = access_scope_param(scope), *org = access_org_param(scope);
  /* The walk: one landlord's accounts when the query names it, else the token's own landlord's or curator
   * service's, else the commission's (a care team or an observer never lists accounts: 403). */
  enum { WALK_COMMISSION, WALK_LANDLORD, WALK_CURATOR } walk = WALK_COMMISSION;
  const char *walk_org = landlord_id;
  if (landlord_id != NULL) {
    walk = WALK_LANDLORD;
  } else if (scope->kind == ACCESS_ORG && scope->relation == REL_LANDLORD) {
    walk = WALK_LANDLORD;
    walk_org = org;
  } else if (scope->kind == ACCESS_ORG && scope->relation == REL_CURATOR) {
    walk = WALK_CURATOR;
    walk_org = org;
  }
  const struct db_statement *const shapes[][3] = {
    {&list_all, &list_all_landlord, &list_all_curator},
    {&list_held, &list_held_landlord, &list_held_curator},
    {&list_settled, &list_settled_landlord, &list_settled_curator},
    {&list_not_paid, &list_not_paid_landlord, &list_not_paid_curator},
    {&list_penalty, &list_penalty_landlord, &list_penalty_curator},
    {&list_overdue, &list_overdue_landlord, &list_overdue_curator},
    {&list_outstanding, &list_outstanding_landlord, &list_outstanding_curator},
  };
  size_t shape = status == NULL                       ? 0
                 : strcmp(status, "held") == 0        ? 1
                 : strcmp(status, "settled") == 0     ? 2
                 : strcmp(status, "not_paid") == 0    ? 3
                 : strcmp(status, "overdue") == 0     ? 5
                 : strcmp(status, "outstanding") == 0 ? 6
                                                      : 4;
  if (walk != WALK_COMMISSION) {
    struct deposit_list_walk_params p = {.commission_id = commission_id, .scope = sc, .org = org,
                                         .after_id = after_id, .limit = limit, .walk_org = walk_org};
    return db_run(db, shapes[shape][walk], &p, res);
  }
  struct deposit_list_params p = {.commission_id = commission_id, .scope = sc, .org = org, .after_id = after_id,
                                  .limit = limit};
  return db_run(db, shapes[shape][walk], &p, res);
}

enum db_status db_deposit_report(struct db *db, const char *commission_id, PGresult **res) {
  struct deposit_report_params p = {.commission_id = commission_id};
  return db_run(db, &report, &p, res);
}
