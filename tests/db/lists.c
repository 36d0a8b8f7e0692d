/* Every list page O(limit · log n) (issue 15): each list, for each scope, run through its own db_*_list() function
 * with generic plans (plan_cache_mode = force_generic_plan: what a statement runs after its fifth execution on a
 * connection) by an ordinary role under row-level security, as the daemon runs it, in a commission of N people
 * and in one of 4N. The work is the number of rows and index entries the statement read (this transaction's
 * pg_stat_get_xact_tuples_returned + _fetched over the schema's tables and indexes): it must not grow with the
 * commission. The scoped organisations (a care team, a curator service, a landlord) have 100 people or units in
 * both commissions, spread over it, so that a list that filters its scope out of the commission's rows reads four
 * times more in the larger one. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "queries.h"
#include "check.h"
#include "db_test.h"

#define SMALL 1000
#define PAGE "20"

/* The commission's data, set-based: organisations (care teams, curator services, landlords: number 0 of each holds
 * 100 people or units, in runs of ten spread over the whole commission, so that its rows are spread over every
 * order; the others share the rest), one unit per person (one in 50 a transitional place, the others HLM
 * apartments), one application per person
 * (the oldest 1 in 20 approved, waiting for a place, ahead of the waiting list in its order; of the others 3 in 10
 * waiting, 6 in 10 placed, 1 in 10 refused), the placed ones' placements (half of them ended), a review
 * of each running placement (some due within 30 days, the others overdue), incidents on a third of them, an
 * agreement per landlord, and deposits: paid for every ended placement and half of the running ones (the others
 * not paid), refunded ten days after the exit except for the people numbered up to 400 (as many in both
 * commissions, so that their share shrinks as the commission grows), half of whom still wait for their refund
 * (half of those left ten days ago, their refund not yet due: outstanding; the others long ago: overdue, a penalty
 * accruing) and half of whom had it 200 days after the exit (settled, a penalty unpaid). */
static const char *const generate =
  "DO $$ DECLARE c uuid := '%s'; n integer := %d; k integer := %d / 100; BEGIN "
  "INSERT INTO organisations (commission_id, kind, name) SELECT c, o.kind, o.kind || ' ' || g "
  "FROM (VALUES ('care_team'), ('curator_service'), ('landlord')) o(kind), generate_series(0, k) g; "
  "CREATE TEMP TABLE nums ON COMMIT DROP AS SELECT i, (i / 10) %% k AS org "
  "FROM generate_series(1, n) i; "
  "INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id, protection, "
  "curator_org_id) SELECT c, 'P' || x.i, 'G', date '1960-01-01' + x.i %% 9000, t.id, 'curatelle_simple', cu.id "
  "FROM nums x JOIN organisations t ON t.commission_id = c AND t.name = 'care_team ' || x.org "
  "JOIN organisations cu ON cu.commission_id = c AND cu.name = 'curator_service ' || x.org; "
  "INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, "
  "charges_cents, deposit_cents) SELECT c, CASE WHEN x.i %% 50 = 8 THEN 'transitional_place' ELSE 'hlm_apartment' "
  "END, 'U' || x.i, 'rue ' || x.i, 'Ville ' || x.i %% 10, "
  "l.id, 1, 40000, 5000, 40000 FROM nums x JOIN organisations l ON l.commission_id = c "
  "AND l.name = 'landlord ' || x.org; "
  "INSERT INTO applications (commission_id, person_id, situation, status, submitted_at, created_by_role, "
  "wished_unit_kinds, wished_towns) "
  "SELECT c, p.id, 's', CASE WHEN x.i > n - n / 20 THEN 'approved' WHEN x.i %% 10 < 3 THEN 'submitted' "
  "WHEN x.i %% 10 < 9 THEN 'placed' ELSE 'refused' END, now() - x.i * interval '1 minute', 'coordinator', "
  /* wishes: a kind and a town most wish; a rare kind and a rare town only the 40 and 30 newest (the last in the
   * list's order, oldest first) */
  "ARRAY[CASE WHEN x.i <= 40 THEN 'transitional_place' ELSE 'hlm_apartment' END], "
  "ARRAY['Ville ' || x.i %% 10] || CASE WHEN x.i <= 30 THEN ARRAY['Hameau'] ELSE '{}'::text[] END "
  "FROM nums x JOIN people p ON p.commission_id = c AND p.family_name = 'P' || x.i; "
  "INSERT INTO placements (commission_id, application_id, person_id, unit_id, move_in_date, lease, exit_date, "
  "exit_reason, exit_inspection_matches) SELECT c, a.id, p.id, u.id, date '2015-01-01' + x.i %% 3000, "
  "'direct_lease', CASE WHEN x.i %% 2 = 0 AND x.i <= 400 AND x.i %% 8 = 0 THEN current_date - 10 "
  "WHEN x.i %% 2 = 0 THEN date '2015-01-01' + x.i %% 3000 + 100 END, "
  "CASE WHEN x.i %% 2 = 0 THEN 'other' END, CASE WHEN x.i %% 2 = 0 THEN true END "
  "FROM nums x JOIN people p ON p.commission_id = c AND p.family_name = 'P' || x.i "
  "JOIN applications a ON a.commission_id = c AND a.person_id = p.id AND a.status = 'placed' "
  "JOIN units u ON u.commission_id = c AND u.label = 'U' || x.i; "
  "INSERT INTO reviews (commission_id, placement_id, review_date) SELECT c, pl.id, "
  "CASE WHEN u.label ~ '[05]$' THEN current_date - 80 ELSE pl.move_in_date + 90 END "
  "FROM placements pl JOIN units u ON u.commission_id = c AND u.id = pl.unit_id "
  "WHERE pl.commission_id = c AND pl.exit_date IS NULL; "
  "INSERT INTO incidents (commission_id, placement_id, kind, description, occurred_on, reported_by_role, "
  "created_at) SELECT c, pl.id, 'disturbance', 'd', pl.move_in_date + 10, 'landlord', "
  "now() - (pl.move_in_date - date '2015-01-01') * interval '1 hour' FROM placements pl "
  "WHERE pl.commission_id = c AND (pl.move_in_date - date '2015-01-01') %% 3 <> 2; "
  "INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, role) "
  "SELECT c, pl.id, 'paid', 40000, 40000, pl.move_in_date, 'coordinator' FROM placements pl "
  "JOIN units u ON u.commission_id = c AND u.id = pl.unit_id "
  "WHERE pl.commission_id = c AND (pl.exit_date IS NOT NULL OR substr(u.label, 2)::integer %% 4 = 1); "
  "INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, role) "
  "SELECT c, pl.id, 'refunded', 40000, -40000, pl.exit_date + CASE WHEN x.i <= 400 THEN 200 ELSE 10 END, "
  "'coordinator' FROM placements pl JOIN units u ON u.commission_id = c AND u.id = pl.unit_id "
  "JOIN nums x ON x.i = substr(u.label, 2)::integer "
  "WHERE pl.commission_id = c AND pl.exit_date IS NOT NULL AND (x.i > 400 OR x.i %% 4 = 2); "
  "INSERT INTO agreements (commission_id, org_id, reference, signatory, start_date, end_date) "
  "SELECT c, l.id, 'A ' || l.name, 'S', date '2020-01-01', current_date + (row_number() OVER ())::integer "
  "FROM organisations l WHERE l.commission_id = c AND l.kind = 'landlord'; "
  "END $$";

/* Rows and index entries this backend's transaction read so far, over the schema's tables and indexes. */
static const char *const tuples_read =
  "SELECT sum(pg_stat_get_xact_tuples_returned(c.oid) + pg_stat_get_xact_tuples_fetched(c.oid)) FROM pg_class c "
  "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')";

struct commission {
  char *id, *care_team, *curator, *landlord;
};

enum list { PLACEMENTS, APPLICATIONS, INCIDENTS, REVIEWS, AGREEMENTS, UNITS, DEPOSITS };

struct list_case {
  const char *label;
  enum list list;
  enum access_relation relation; /* REL_NONE: the coordinator's (the whole commission) */
  const char *filter;            /* per list: active, statuses, status, status, expiring within (days), status */
  bool landlord_filter;          /* placements, units: ?landlord_org_id= of landlord 0 */
  const char *town;              /* units: ?town= */
  const char *kind;              /* units: ?kind= */
};

static const struct list_case cases[] = {
  {"placements", PLACEMENTS, REL_NONE, NULL, false, NULL, NULL},
  {"placements active", PLACEMENTS, REL_NONE, "t", false, NULL, NULL},
  {"placements ended", PLACEMENTS, REL_NONE, "f", false, NULL, NULL},
  {"placements of a landlord", PLACEMENTS, REL_NONE, NULL, true, NULL, NULL},
  {"placements of a landlord, active", PLACEMENTS, REL_NONE, "t", true, NULL, NULL},
  {"a landlord's placements", PLACEMENTS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"a landlord's active placements", PLACEMENTS, REL_LANDLORD, "t", false, NULL, NULL},
  {"a care team's placements", PLACEMENTS, REL_CARE_TEAM, NULL, false, NULL, NULL},
  {"a curator's active placements", PLACEMENTS, REL_CURATOR, "t", false, NULL, NULL},
  {"applications", APPLICATIONS, REL_NONE, NULL, false, NULL, NULL},
  {"waiting list", APPLICATIONS, REL_NONE, "{submitted}", false, NULL, NULL},
  {"a care team's waiting list", APPLICATIONS, REL_CARE_TEAM, "{submitted}", false, NULL, NULL},
  {"a curator's waiting list", APPLICATIONS, REL_CURATOR, "{submitted}", false, NULL, NULL},
  {"waiting list (submitted, deferred)", APPLICATIONS, REL_NONE, "{submitted,deferred}", false, NULL, NULL},
  {"open applications", APPLICATIONS, REL_NONE, "{submitted,scheduled,deferred,approved}", false, NULL, NULL},
  {"a curator's applications", APPLICATIONS, REL_CURATOR, NULL, false, NULL, NULL},
  /* ?town= (any case), ?unit_kind=: wished only by the newest, the last in the list's order */
  {"applications wishing a town", APPLICATIONS, REL_NONE, NULL, false, "HAMEAU", NULL},
  {"waiting list wishing a town", APPLICATIONS, REL_NONE, "{submitted,deferred}", false, "hameau", NULL},
  {"a care team's applications wishing a town", APPLICATIONS, REL_CARE_TEAM, NULL, false, "Hameau", NULL},
  {"a curator's waiting list wishing a town", APPLICATIONS, REL_CURATOR, "{submitted}", false, "Hameau", NULL},
  {"applications wishing a kind", APPLICATIONS, REL_NONE, NULL, false, NULL, "transitional_place"},
  {"open applications wishing a kind", APPLICATIONS, REL_NONE, "{submitted,scheduled,deferred,approved}", false,
   NULL, "transitional_place"},
  {"a curator's applications wishing a kind", APPLICATIONS, REL_CURATOR, NULL, false, NULL, "transitional_place"},
  {"applications wishing a kind and a town", APPLICATIONS, REL_NONE, NULL, false, "Hameau", "transitional_place"},
  {"incidents", INCIDENTS, REL_NONE, NULL, false, NULL, NULL},
  {"open incidents", INCIDENTS, REL_NONE, "open", false, NULL, NULL},
  {"a care team's incidents", INCIDENTS, REL_CARE_TEAM, NULL, false, NULL, NULL},
  {"a curator's incidents", INCIDENTS, REL_CURATOR, "open", false, NULL, NULL},
  {"a landlord's incidents", INCIDENTS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"review schedule", REVIEWS, REL_NONE, NULL, false, NULL, NULL},
  {"reviews overdue", REVIEWS, REL_NONE, "overdue", false, NULL, NULL},
  {"reviews due", REVIEWS, REL_NONE, "due", false, NULL, NULL},
  {"a care team's reviews due", REVIEWS, REL_CARE_TEAM, "due", false, NULL, NULL},
  {"a curator's reviews overdue", REVIEWS, REL_CURATOR, "overdue", false, NULL, NULL},
  {"a landlord's review schedule", REVIEWS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"agreements expiring", AGREEMENTS, REL_NONE, "3", false, NULL, NULL},
  {"a landlord's agreements", AGREEMENTS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"units", UNITS, REL_NONE, NULL, false, NULL, NULL},
  {"vacant units", UNITS, REL_NONE, "vacant", false, NULL, NULL},
  {"units of a landlord, vacant", UNITS, REL_NONE, "vacant", true, NULL, NULL},
  {"a landlord's units", UNITS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"a landlord's vacant units", UNITS, REL_LANDLORD, "vacant", false, NULL, NULL},
  /* ?town=: a town late in the walk's order (four in five of the commission's units ahead of it) */
  {"units in a town", UNITS, REL_NONE, NULL, false, "Ville 8", NULL},
  {"vacant units in a town", UNITS, REL_NONE, "vacant", false, "Ville 8", NULL},
  {"units of a landlord in a town", UNITS, REL_NONE, NULL, true, "Ville 8", NULL},
  {"units of a landlord in a town, vacant", UNITS, REL_NONE, "vacant", true, "Ville 8", NULL},
  {"a landlord's units in a town", UNITS, REL_LANDLORD, NULL, false, "Ville 8", NULL},
  {"a landlord's vacant units in a town", UNITS, REL_LANDLORD, "vacant", false, "Ville 8", NULL},
  /* ?kind=: one unit in 50 is a transitional place, all of them in a late town */
  {"units of a kind", UNITS, REL_NONE, NULL, false, NULL, "transitional_place"},
  {"vacant units of a kind", UNITS, REL_NONE, "vacant", false, NULL, "transitional_place"},
  {"units of a landlord of a kind, vacant", UNITS, REL_NONE, "vacant", true, NULL, "transitional_place"},
  {"a landlord's units of a kind", UNITS, REL_LANDLORD, NULL, false, NULL, "transitional_place"},
  {"units of a kind in a town", UNITS, REL_NONE, NULL, false, "Ville 8", "transitional_place"},
  {"a landlord's vacant units of a kind in a town", UNITS, REL_LANDLORD, "vacant", false, "Ville 8",
   "transitional_place"},
  {"deposit accounts", DEPOSITS, REL_NONE, NULL, false, NULL, NULL},
  {"settled deposit accounts", DEPOSITS, REL_NONE, "settled", false, NULL, NULL},
  {"deposit accounts of a landlord", DEPOSITS, REL_NONE, NULL, true, NULL, NULL},
  {"a landlord's deposit accounts", DEPOSITS, REL_LANDLORD, NULL, false, NULL, NULL},
  {"a landlord's settled deposit accounts", DEPOSITS, REL_LANDLORD, "settled", false, NULL, NULL},
  {"a curator's deposit accounts", DEPOSITS, REL_CURATOR, NULL, false, NULL, NULL},
  {"a curator's not_paid deposit accounts", DEPOSITS, REL_CURATOR, "not_paid", false, NULL, NULL},
  {"overdue deposit accounts", DEPOSITS, REL_NONE, "overdue", false, NULL, NULL},
  {"outstanding deposit accounts", DEPOSITS, REL_NONE, "outstanding", false, NULL, NULL},
  {"a landlord's outstanding deposit accounts", DEPOSITS, REL_LANDLORD, "outstanding", false, NULL, NULL},
  {"a curator's overdue deposit accounts", DEPOSITS, REL_CURATOR, "overdue", false, NULL, NULL},
  {"deposit accounts with a penalty unpaid", DEPOSITS, REL_NONE, "penalty_unpaid", false, NULL, NULL},
  {"penalties unpaid of a landlord", DEPOSITS, REL_NONE, "penalty_unpaid", true, NULL, NULL},
  {"a landlord's penalties unpaid", DEPOSITS, REL_LANDLORD, "penalty_unpaid", false, NULL, NULL},
  {"a curator's penalties unpaid", DEPOSITS, REL_CURATOR, "penalty_unpaid", false, NULL, NULL},
};

static struct commission build(struct db *db, const char *name, int people) {
  struct commission c;
  char sql[8192];
  snprintf(sql, sizeof sql, "INSERT INTO commissions (name) VALUES ('%s') RETURNING id", name);
  c.id = value(db, sql);
  snprintf(sql, sizeof sql, generate, c.id, people, people);
  CHECK(db_simple(db, sql) == DB_ROW);
  /* VACUUM too: an index-only scan reads the heap for the pages the visibility map does not mark all-visible, so
   * the rows read would depend on whether autovacuum had passed since the load (seen: 200 rows read, then 302). */
  CHECK(db_simple(db, "VACUUM (ANALYZE) organisations, people, units, applications, placements, reviews, incidents, "
                      "agreements, unit_vacancies, deposit_totals") == DB_ROW);
  char **org[] = {&c.care_team, &c.curator, &c.landlord};
  static const char *const names[] = {"care_team 0", "curator_service 0", "landlord 0"};
  for (int i = 0; i < 3; i++) {
    snprintf(sql, sizeof sql, "SELECT id FROM organisations WHERE commission_id = '%s' AND name = '%s'", c.id,
             names[i]);
    *org[i] = value(db, sql);
  }
  return c;
}

static void commission_free(struct commission *c) {
  free(c->id);
  free(c->care_team);
  free(c->curator);
  free(c->landlord);
}

/* Runs CASE on commission C over DB (an ordinary role's connection); the rows read, -1 when it failed. */
static long run_case(struct db *db, const struct list_case *k, const struct commission *c) {
  const char *org = k->relation == REL_CARE_TEAM ? c->care_team
                    : k->relation == REL_CURATOR ? c->curator
                    : k->relation == REL_LANDLORD ? c->landlord
                                                  : NULL;
  struct access a = {.kind = org != NULL ? ACCESS_ORG : ACCESS_COMMISSION, .relation = k->relation,
                     .commission_id = c->id, .org_id = org};
  if (db_use_commission(db, c->id) != DB_ROW || db_begin(db) != DB_ROW)
    return -1;
  char *before = value(db, tuples_read);
  PGresult *res = NULL;
  enum db_status s = DB_HARD_ERROR;
  switch (k->list) {
  case PLACEMENTS:
    s = db_placement_list(db, c->id, &a, k->filter, NULL, NULL, k->landlord_filter ? c->landlord : NULL, NULL, NULL,
                          PAGE, &res);
    break;
  case APPLICATIONS: {
    struct application_filters f = {.statuses = k->filter, .town = k->town, .unit_kind = k->kind};
    s = db_application_list(db, c->id, &a, &f, NULL, NULL, PAGE, &res);
    break;
  }
  case INCIDENTS:
    s = db_incident_list(db, c->id, &a, k->filter, NULL, NULL, NULL, PAGE, &res);
    break;
  case REVIEWS:
    s = db_review_schedule(db, c->id, &a, k->filter, NULL, NULL, PAGE, &res);
    break;
  case AGREEMENTS:
    s = db_agreement_list(db, c->id, access_scope_param(&a), org, NULL, k->filter, NULL, NULL, PAGE, &res);
    break;
  case DEPOSITS:
    s = db_deposit_account_list(db, c->id, &a, k->filter, k->landlord_filter ? c->landlord : NULL, NULL, PAGE, &res);
    break;
  case UNITS: {
    struct unit_filters f = {.status = k->filter, .kind = k->kind, .town = k->town,
                             .landlord_org_id = k->landlord_filter ? c->landlord : NULL};
    s = db_unit_list(db, c->id, access_scope_param(&a), org, &f, (const char *const[3]){NULL, NULL, NULL}, PAGE,
                     &res);
    break;
  }
  }
  char *after = value(db, tuples_read);
  /* A list's page ran without bitmap scans and sorts (src/db/conn.c, queue_plan_mode()): one range of its ordered
   * index, never every matching row read and sorted for its LIMIT, whatever the estimates; and without JIT, which
   * the sorts' disabled cost would otherwise bring in (session_setup()). */
  char *bitmap = value(db, "SELECT current_setting('enable_bitmapscan') || ' ' || current_setting('enable_sort') "
                           "|| ' ' || current_setting('jit')");
  if (s == DB_ROW && strcmp(bitmap, "off off off") != 0) {
    fprintf(stderr, "%s: ran with enable_bitmapscan, enable_sort, jit %s\n", k->label, bitmap);
    CHECK(false);
  }
  free(bitmap);
  db_rollback(db);
  long read = atol(after) - atol(before);
  if (s != DB_ROW) { /* every case's page has rows */
    fprintf(stderr, "%s: %s\n", k->label, s < 0 ? "failed" : "no row");
    read = -1;
  }
  PQclear(res);
  free(before);
  free(after);
  return read;
}

/* The one-record reads a busy daemon runs most keep a generic plan once PostgreSQL has compared it with its first
 * five custom ones (plan_cache_mode auto, as the daemon runs): planned again at every call, a read pays its planning
 * each time, more than its execution (the status check did, 0.3 ms a call: migrations/0031), which no count of rows
 * read shows. On APP (an ordinary role's connection), a curator's status check and a landlord's placement read run
 * ten times each, then both statements must have used a generic plan; the lists, never a custom one. */
static void check_generic_plans(struct db *app, struct db *db, const struct commission *c) {
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT person_id FROM person_status s JOIN people p ON p.id = s.person_id WHERE "
           "s.commission_id = '%s' AND p.curator_org_id = '%s' AND s.placement_id IS NOT NULL LIMIT 1", c->id,
           c->curator);
  char *person = value(db, sql);
  snprintf(sql, sizeof sql, "SELECT id FROM placements WHERE commission_id = '%s' AND landlord_org_id = '%s' LIMIT 1",
           c->id, c->landlord);
  char *placement = value(db, sql);
  CHECK(person[0] != '\0' && placement[0] != '\0');
  struct access curator = {.kind = ACCESS_ORG, .relation = REL_CURATOR, .commission_id = c->id, .org_id = c->curator};
  struct access landlord = {.kind = ACCESS_ORG, .relation = REL_LANDLORD, .commission_id = c->id,
                            .org_id = c->landlord};
  for (int i = 0; i < 10; i++) {
    PGresult *res = NULL;
    CHECK(db_use_commission(app, c->id) == DB_ROW);
    CHECK(db_person_status(app, c->id, person, &curator, false, &res) == DB_ROW);
    PQclear(res);
    res = NULL;
    CHECK(db_placement_get(app, c->id, placement, &landlord, false, &res) == DB_ROW);
    PQclear(res);
  }
  PGresult *r = PQexec(db_pgconn(app), "SELECT name || ' ' || generic_plans || ' ' || custom_plans "
                                       "FROM pg_prepared_statements WHERE name IN ('person_status', 'placement_get') "
                                       "ORDER BY name");
  CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 2);
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
    const char *line = PQgetvalue(r, i, 0);
    long generic = -1;
    CHECK(sscanf(strchr(line, ' ') != NULL ? strchr(line, ' ') : "", "%ld", &generic) == 1);
    printf("%s (statement, generic plans, custom plans)\n", line);
    if (generic <= 0) {
      fprintf(stderr, "planned anew at every call (custom plans only): %s\n", line);
      CHECK(false);
    }
  }
  PQclear(r);
  /* Every list statement the cases ran is flagged generic_plan (src/db/: the shapes check_growth() proves
   * O(limit) under generic plans run their generic plan from the first call: PostgreSQL's custom plans, chosen per
   * call, were planned at every call on the bench's large set and some read another index), and after the runs
   * of check_growth() under plan_cache_mode auto none was ever planned for its parameters' values; the plan
   * settings they changed (plan_cache_mode, enable_bitmapscan, enable_sort) are back to the session's. */
  r = PQexec(db_pgconn(app), "SELECT name, generic_plans, custom_plans, current_setting('plan_cache_mode') "
                             "|| ' ' || current_setting('enable_bitmapscan') || ' ' || current_setting('enable_sort') "
                             "FROM pg_prepared_statements "
                             "WHERE name LIKE '%\\_list%' OR name LIKE 'review\\_schedule%' ORDER BY name");
  CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 20);
  size_t count;
  const struct db_statement *const *all = db_statements(&count);
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
    const char *name = PQgetvalue(r, i, 0);
    bool flagged = false;
    for (size_t k = 0; k < count; k++)
      if (strcmp(all[k]->name, name) == 0)
        flagged = all[k]->generic_plan;
    long generic = atol(PQgetvalue(r, i, 1)), custom = atol(PQgetvalue(r, i, 2));
    if (!flagged || custom > 0 || generic == 0 || strcmp(PQgetvalue(r, i, 3), "auto on on") != 0) {
      fprintf(stderr, "%s: %s, %ld generic plans, %ld custom ones, session setting %s\n", name,
              flagged ? "flagged generic_plan" : "not flagged generic_plan", generic, custom, PQgetvalue(r, i, 3));
      CHECK(false);
    }
  }
  printf("%d list statements ran their generic plan only\n", PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0);
  PQclear(r);
  free(person);
  free(placement);
}

/* Every case on APP at SMALL and at 4x: the rows read must not grow with the commission. WARM: runs of each case
 * before the measured one (six: PostgreSQL has then chosen between its generic plan and custom ones). */
static void check_growth(struct db *app, const struct commission *small, const struct commission *large, int warm,
                         const char *mode) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    for (int w = 0; w < warm; w++) {
      run_case(app, &cases[i], small);
      run_case(app, &cases[i], large);
    }
    long at_n = run_case(app, &cases[i], small), at_4n = run_case(app, &cases[i], large);
    printf("%-40s %6ld rows read at %d people, %6ld at %d (%s)\n", cases[i].label, at_n, SMALL, at_4n, 4 * SMALL,
           mode);
    CHECK(at_n > 0 && at_4n > 0);
    if (at_4n * 2 > at_n * 3) {
      fprintf(stderr, "%s grows with the commission (%s): %ld rows read at %d people, %ld at %d\n", cases[i].label,
              mode, at_n, SMALL, at_4n, 4 * SMALL);
      CHECK(false);
    }
  }
}

/* The audit trail of commission C: per person, three reads of the person (the object is the person), two of their
 * placement (the object is the placement, the person theirs) and one of their unit (no person); from three
 * tokens, one second apart, the newest a day ago. */
static const char *const audit_generate =
  "INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id, "
  "person_id, status) SELECT now() - interval '1 day' - row_number() OVER () * interval '1 second', '%s', "
  "md5('%s' || (hashtext(x.object_id::text) & 3) %% 3)::uuid, 'curator', 'read', 'GET', x.route, x.object_type, "
  "x.object_id, x.person_id, 200 FROM ("
  "SELECT '/v1/people/{id}/status' AS route, 'people' AS object_type, p.id AS object_id, p.id AS person_id "
  "FROM people p, generate_series(1, 3) WHERE p.commission_id = '%s' UNION ALL "
  "SELECT '/v1/placements/{id}', 'placements', pl.id, pl.person_id FROM placements pl, generate_series(1, 2) "
  "WHERE pl.commission_id = '%s' UNION ALL "
  "SELECT '/v1/units/{id}', 'units', pl.unit_id, NULL FROM placements pl WHERE pl.commission_id = '%s') x";

/* The entries of C's trail db_audit_list() answers for OBJECT (or TOKEN), on DB; *FOUND their number. The rows
 * read, -1 when it failed. */
static long audit_case(struct db *db, const struct commission *c, const char *object, const char *token, int *found) {
  *found = -1;
  if (db_use_commission(db, c->id) != DB_ROW || db_begin(db) != DB_ROW)
    return -1;
  char *before = value(db, tuples_read);
  PGresult *res = NULL;
  enum db_status s = db_audit_list(db, c->id, object, token, NULL, NULL, NULL, NULL, PAGE, &res);
  char *after = value(db, tuples_read);
  db_rollback(db);
  long read = s >= 0 ? atol(after) - atol(before) : -1;
  if (s >= 0)
    *found = PQntuples(res);
  PQclear(res);
  free(before);
  free(after);
  return read;
}

/* The audit route's pages (a person's entries, a placement's, a unit's, a token's, the newest) read the same
 * entries whatever the trail's size: a person's entries are found by the person index alone when the person is
 * their object (migrations/0052), the others by the object index. */
static void check_audit_trail(struct db *app, struct db *db, const struct commission *small,
                              const struct commission *large) {
  const struct commission *both[] = {small, large};
  char *person[2], *placement[2], *unit[2], *token[2];
  char sql[2048];
  for (int i = 0; i < 2; i++) {
    const char *c = both[i]->id;
    snprintf(sql, sizeof sql, audit_generate, c, c, c, c, c);
    CHECK(db_simple(db, sql) == DB_ROW);
    snprintf(sql, sizeof sql, "SELECT id FROM placements WHERE commission_id = '%s' ORDER BY id LIMIT 1", c);
    placement[i] = value(db, sql);
    snprintf(sql, sizeof sql, "SELECT person_id FROM placements WHERE id = '%s'", placement[i]);
    person[i] = value(db, sql);
    snprintf(sql, sizeof sql, "SELECT unit_id FROM placements WHERE id = '%s'", placement[i]);
    unit[i] = value(db, sql);
    snprintf(sql, sizeof sql, "SELECT md5('%s' || 1)::uuid", c);
    token[i] = value(db, sql);
  }
  CHECK(db_simple(db, "VACUUM (ANALYZE) audit_log") == DB_ROW);
  static const char *const labels[] = {"a person's audit entries", "a placement's audit entries",
                                       "a unit's audit entries", "a token's audit entries", "the audit trail"};
  static const int expected[] = {5, 2, 1, 20, 20}; /* PAGE rows for the token's and the whole trail */
  for (int k = 0; k < 5; k++) {
    long read[2] = {0, 0};
    for (int w = 0; w < 7; w++) /* six first: PostgreSQL has then chosen between its generic and custom plans */
      for (int i = 0; i < 2; i++) {
        const char *object = k == 0 ? person[i] : k == 1 ? placement[i] : k == 2 ? unit[i] : NULL;
        int found;
        read[i] = audit_case(app, both[i], object, k == 3 ? token[i] : NULL, &found);
        if (found != expected[k]) {
          fprintf(stderr, "%s: %d entries, want %d\n", labels[k], found, expected[k]);
          CHECK(false);
        }
      }
    printf("%-40s %6ld rows read at %d people, %6ld at %d\n", labels[k], read[0], SMALL, read[1], 4 * SMALL);
    CHECK(read[0] > 0 && read[1] > 0);
    if (read[1] * 2 > read[0] * 3 || read[1] > 100) {
      fprintf(stderr, "%s grows with the trail: %ld rows read at %d people, %ld at %d\n", labels[k], read[0],
              SMALL, read[1], 4 * SMALL);
      CHECK(false);
    }
  }
  for (int i = 0; i < 2; i++) {
    free(person[i]);
    free(placement[i]);
    free(unit[i]);
    free(token[i]);
  }
}

int test_lists_do_not_grow(void) {
  int failures = check_failures;
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return check_failures - failures;
  struct commission small = build(db, "lists small", SMALL), large = build(db, "lists large", 4 * SMALL);
  char role[80];
  /* Generic plans as the session's default: what db_exec() returns to after a statement flagged generic_plan. */
  struct db *app = ordinary_role_options(db, "lists", role, "-c plan_cache_mode=force_generic_plan");
  if (app != NULL) {
    /* Generic plans (what a flagged statement runs), then the daemon's own settings (plan_cache_mode auto: the
     * lists still on their generic plans, checked by check_generic_plans()). Once each first, so that the figures
     * are those of prepared statements. */
    check_growth(app, &small, &large, 1, "generic plans");
    db_close(app);
  }
  drop_role(db, role);
  char role2[80];
  struct db *plans = ordinary_role(db, "plans", role2);
  if (plans != NULL) {
    check_growth(plans, &small, &large, 6, "plans chosen by PostgreSQL");
    check_generic_plans(plans, db, &large);
    check_audit_trail(plans, db, &small, &large);
    db_close(plans);
  }
  drop_role(db, role2);
  struct commission *both[] = {&small, &large};
  for (int i = 0; i < 2; i++)
    commission_free(both[i]);
  return check_failures - failures;
}

/* Rows whose copies differ from a computation from scratch, over every list table; and the deposit accounts that
 * owe a penalty today but are not among the candidates the penalty lists walk (migrations/0040). */
/* The wish rows (migrations/0053) each application should have, with whether it is open; those kept, where. */
#define WISHES_WANTED                                                                                            \
  "SELECT a.commission_id, a.id, x.wish, x.value, a.queued_at, a.care_team_id, a.curator_org_id, "              \
  "a.status IN ('submitted', 'scheduled', 'deferred', 'approved') FROM applications a CROSS JOIN LATERAL "       \
  "(SELECT 'unit_kind' AS wish, k AS value FROM unnest(a.wished_unit_kinds) k WHERE k IS NOT NULL "              \
  "UNION SELECT 'town', lower(t) FROM unnest(a.wished_towns) t WHERE t IS NOT NULL) x"
#define WISHES_SAME(a, b)                                                                                        \
  "(" a ".commission_id, " a ".application_id, " a ".wish, " a ".value, " a ".queued_at) = (" b ".commission_id, " \
  b ".application_id, " b ".wish, " b ".value, " b ".queued_at) AND (" a ".care_team_id, " a ".curator_org_id) "    \
  "IS NOT DISTINCT FROM (" b ".care_team_id, " b ".curator_org_id)"
#define WISHES_KEPT                                                                                              \
  "SELECT w.*, EXISTS (SELECT 1 FROM open_application_wishes o WHERE " WISHES_SAME("o", "w") ") "               \
  "FROM application_wishes w UNION ALL SELECT o.*, NULL FROM open_application_wishes o "                        \
  "WHERE NOT EXISTS (SELECT 1 FROM application_wishes w WHERE " WISHES_SAME("w", "o") ")"
static const char *const stale =
  "SELECT (SELECT count(*) FROM applications a JOIN people p ON p.id = a.person_id "
  "WHERE (a.care_team_id, a.curator_org_id) IS DISTINCT FROM (p.care_team_id, p.curator_org_id)) "
  "+ (SELECT count(*) FROM placements pl JOIN people p ON p.id = pl.person_id JOIN units u ON u.id = pl.unit_id "
  "WHERE (pl.care_team_id, pl.curator_org_id, pl.landlord_org_id) IS DISTINCT FROM "
  "(p.care_team_id, p.curator_org_id, u.landlord_org_id)) "
  "+ (SELECT count(*) FROM placements pl JOIN review_schedule rs ON rs.placement_id = pl.id "
  "WHERE pl.next_review_on IS DISTINCT FROM rs.next_review_on) "
  "+ (SELECT count(*) FROM incidents i JOIN placements pl ON pl.id = i.placement_id "
  "WHERE (i.care_team_id, i.curator_org_id, i.landlord_org_id) IS DISTINCT FROM "
  "(pl.care_team_id, pl.curator_org_id, pl.landlord_org_id)) "
  "+ (SELECT count(*) FROM deposit_totals t JOIN placements pl ON pl.id = t.placement_id "
  "WHERE (t.curator_org_id, t.landlord_org_id, t.exit_date, t.exited, t.provisioned) IS DISTINCT FROM "
  "(pl.curator_org_id, pl.landlord_org_id, pl.exit_date, pl.exit_date IS NOT NULL, EXISTS (SELECT 1 FROM "
  "deposit_provisions dp WHERE dp.commission_id = pl.commission_id AND dp.placement_id = pl.id))) "
  "+ (SELECT count(*) FROM deposit_accounts da JOIN deposit_totals t ON t.commission_id = da.commission_id "
  "AND t.placement_id = da.placement_id WHERE da.penalty_unpaid_cents > 0 AND NOT t.penalty_candidate) "
  /* the applications' wish rows (migrations/0053) against their wishes: missing, left over, or stale copies */
  "+ (SELECT count(*) FROM (SELECT * FROM (" WISHES_WANTED " EXCEPT " WISHES_KEPT ") m UNION ALL "
  "SELECT * FROM (" WISHES_KEPT " EXCEPT " WISHES_WANTED ") l) d)";

int test_list_columns_follow(void) {
  int failures = check_failures;
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return check_failures - failures;
  struct commission c = build(db, "lists follow", 200);
  char sql[2048];
  char *n = value(db, stale);
  CHECK(strcmp(n, "0") == 0);
  free(n);
  /* Each kind of write that moves a copy, then the copies again (C: the commission). */
  snprintf(sql, sizeof sql, "SET lists.commission = '%s'", c.id);
  CHECK(db_simple(db, sql) == DB_ROW);
#define C "current_setting('lists.commission')::uuid"
  static const char *const writes[] = {
    /* a person changes care team and curator */
    "UPDATE people SET care_team_id = (SELECT id FROM organisations WHERE commission_id = " C " "
    "AND name = 'care_team 1'), curator_org_id = (SELECT id FROM organisations WHERE commission_id = " C " "
    "AND name = 'curator_service 2') WHERE commission_id = " C " AND family_name IN ('P3', 'P4', 'P5')",
    /* a person's curatorship ends */
    "UPDATE people SET protection = 'none', curator_org_id = NULL WHERE commission_id = " C " "
    "AND family_name IN ('P6', 'P7')",
    /* a unit changes landlord */
    "UPDATE units SET landlord_org_id = (SELECT id FROM organisations WHERE commission_id = " C " "
    "AND name = 'landlord 1') WHERE commission_id = " C " AND label IN ('U3', 'U5', 'U7')",
    /* reviews written, dated again, made tripartite, removed */
    "INSERT INTO reviews (commission_id, placement_id, review_date) SELECT commission_id, id, current_date "
    "FROM placements WHERE commission_id = " C " AND exit_date IS NULL",
    "UPDATE reviews SET review_date = review_date - 400 WHERE commission_id = " C " AND review_date = current_date",
    "UPDATE reviews SET tripartite = true WHERE commission_id = " C,
    "DELETE FROM reviews WHERE commission_id = " C " AND review_date > current_date - 100",
    /* a move-in date corrected */
    "UPDATE placements SET move_in_date = move_in_date + 1 WHERE commission_id = " C " AND exit_date IS NULL",
    /* a lease becomes a sliding one, then slides */
    "UPDATE placements SET lease = 'sliding_lease', sliding_start_date = move_in_date WHERE commission_id = " C " "
    "AND exit_date IS NULL",
    "UPDATE placements SET slid_on = current_date WHERE commission_id = " C " AND exit_date IS NULL "
    "AND unit_id IN (SELECT id FROM units WHERE label ~ '3$')",
    /* a file linked into another (the merge moves its applications and placements) */
    "DO $$ BEGIN PERFORM person_link(" C ", (SELECT id FROM people WHERE commission_id = " C " "
    "AND family_name = 'P1'), (SELECT id FROM people WHERE commission_id = " C " AND family_name = 'P153'), NULL); "
    "END $$",
    /* exits recorded, one corrected, one undone */
    "UPDATE placements SET exit_date = move_in_date + 30, exit_reason = 'other', exit_inspection_matches = false "
    "WHERE commission_id = " C " AND exit_date IS NULL AND unit_id IN (SELECT id FROM units WHERE label ~ '7$')",
    "UPDATE placements SET exit_date = exit_date + 3 WHERE commission_id = " C " "
    "AND unit_id IN (SELECT id FROM units WHERE label = 'U17')",
    "UPDATE placements SET exit_date = NULL, exit_reason = NULL, exit_inspection_matches = NULL "
    "WHERE commission_id = " C " AND unit_id IN (SELECT id FROM units WHERE label = 'U27')",
    /* a co-owned building's provision kept, then changed; its accounts approved before the exit (which the API
     * refuses), so that the provision's part is late although the refund came ten days after the exit: only the
     * provision makes these accounts candidates for the penalty lists */
    "INSERT INTO deposit_provisions (commission_id, placement_id, amount_cents, justification, role, "
    "accounts_approved_on) SELECT commission_id, id, 1000, 'charges', 'coordinator', exit_date - 60 "
    "FROM placements WHERE commission_id = " C " AND exit_date IS NOT NULL",
    "UPDATE deposit_provisions SET amount_cents = 2000 WHERE commission_id = " C,
    /* wishes changed (a town added in another case, a kind replaced, the towns emptied), an application decided,
     * submitted later, deleted */
    "UPDATE applications SET wished_towns = wished_towns || ARRAY['VILLE 3'] WHERE commission_id = " C " "
    "AND status = 'submitted'",
    "UPDATE applications SET wished_unit_kinds = ARRAY['residence_place', 'residence_place'] "
    "WHERE commission_id = " C " AND status = 'refused'",
    "UPDATE applications SET wished_towns = '{}' WHERE commission_id = " C " AND status = 'approved'",
    "UPDATE applications SET status = 'scheduled' WHERE commission_id = " C " AND status = 'submitted' "
    "AND person_id IN (SELECT id FROM people WHERE family_name ~ '1$')",
    "UPDATE applications SET submitted_at = submitted_at - interval '1 day' WHERE commission_id = " C " "
    "AND status = 'scheduled'",
    /* applications closed (placed, withdrawn), one reopened, with nothing else changed */
    "UPDATE applications SET status = CASE WHEN status = 'approved' THEN 'placed' ELSE 'withdrawn' END "
    "WHERE commission_id = " C " AND status IN ('approved', 'scheduled')",
    "UPDATE applications SET status = 'submitted' WHERE commission_id = " C " AND status = 'withdrawn' "
    "AND person_id IN (SELECT id FROM people WHERE family_name ~ '21$')",
    "DELETE FROM applications WHERE commission_id = " C " AND status = 'refused' AND id NOT IN "
    "(SELECT application_id FROM placements) AND id NOT IN (SELECT application_id FROM agenda_items)",
    /* an incident reported */
    "INSERT INTO incidents (commission_id, placement_id, kind, description, occurred_on, reported_by_role) "
    "SELECT commission_id, id, 'damage', 'd', current_date, 'coordinator' FROM placements "
    "WHERE commission_id = " C,
  };
  for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
    enum db_status s = db_simple(db, writes[i]);
    if (s < 0)
      fprintf(stderr, "write %zu failed: %s\n", i, PQerrorMessage(db_pgconn(db)));
    CHECK(s >= 0);
    n = value(db, stale);
    if (strcmp(n, "0") != 0)
      fprintf(stderr, "after write %zu: %s rows whose copies are stale\n", i, n);
    CHECK(strcmp(n, "0") == 0);
    free(n);
  }
  /* A bulk load's path: the wish rows' triggers off, a write leaves them stale (which the check above finds), the
   * rebuild puts every row right. */
  CHECK(db_simple(db, "DO $$ BEGIN PERFORM application_wishes_triggers(false); END $$") >= 0);
  CHECK(db_simple(db, "UPDATE applications SET wished_towns = ARRAY['Ailleurs'] WHERE commission_id = " C) >= 0);
  n = value(db, stale);
  CHECK(strcmp(n, "0") != 0 && n[0] != '\0');
  free(n);
  CHECK(db_simple(db, "DO $$ BEGIN PERFORM application_wishes_rebuild(); END $$") >= 0);
  CHECK(db_simple(db, "DO $$ BEGIN PERFORM application_wishes_triggers(true); END $$") >= 0);
  n = value(db, stale);
  CHECK(strcmp(n, "0") == 0);
  free(n);
#undef C
  commission_free(&c);
  return check_failures - failures;
}

/* The totals row of each of ten held accounts (paid, running) gets a payment, then each of ten other held ones its
 * whole refund after an exit (held -> owed: another class), each in a transaction of its own: the payments must
 * have updated their rows in place (pg_stat_get_xact_tuples_hot_updated around the insert), which no
 * update of the row was before 0041 (the partial indexes of the lists by status named the balance); the refunds'
 * updates are counted too, so that the test shows it reads the counter of the writes it made. */
int test_totals_written_in_place(void) {
  int failures = check_failures;
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return check_failures - failures;
  struct commission c = build(db, "totals in place", 200);
  char sql[1024];
  snprintf(sql, sizeof sql, "SELECT t.placement_id FROM deposit_totals t WHERE t.commission_id = '%s' "
           "AND t.status_class = 'held' ORDER BY t.placement_id LIMIT 20", c.id);
  PGresult *held = PQexec(db_pgconn(db), sql);
  CHECK(PQresultStatus(held) == PGRES_TUPLES_OK && PQntuples(held) == 20);
  long in_place[2] = {0, 0}, updated[2] = {0, 0};
  /* this backend's counts not yet sent to the statistics (several transactions' worth): read around the insert */
  static const char *const counts = "SELECT pg_stat_get_xact_tuples_hot_updated('deposit_totals'::regclass) || ' ' "
                                    "|| pg_stat_get_xact_tuples_updated('deposit_totals'::regclass)";
  for (int i = 0; PQresultStatus(held) == PGRES_TUPLES_OK && i < PQntuples(held); i++) {
    int exit = i >= 10; /* the second ten leave */
    const char *id = PQgetvalue(held, i, 0);
    CHECK(db_begin(db) == DB_ROW);
    if (exit) {
      snprintf(sql, sizeof sql, "UPDATE placements SET exit_date = current_date - 1, exit_reason = 'other', "
               "exit_inspection_matches = true WHERE id = '%s'", id);
      CHECK(db_simple(db, sql) >= 0);
    }
    snprintf(sql, sizeof sql, "INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, "
             "effect_cents, entry_date, role) SELECT commission_id, placement_id, '%s', %s, %s, current_date, "
             "'coordinator' FROM deposit_totals WHERE placement_id = '%s'", exit ? "refunded" : "paid",
             exit ? "balance_cents" : "100", exit ? "-balance_cents" : "100", id);
    char *before = value(db, counts);
    CHECK(db_simple(db, sql) >= 0);
    char *after = value(db, counts);
    long h0 = 0, u0 = 0, h1 = 0, u1 = 0;
    CHECK(sscanf(before, "%ld %ld", &h0, &u0) == 2 && sscanf(after, "%ld %ld", &h1, &u1) == 2);
    in_place[exit] += h1 - h0;
    updated[exit] += u1 - u0;
    free(before);
    free(after);
    CHECK(db_commit(db) == DB_ROW);
  }
  PQclear(held);
  printf("totals rows: %ld of %ld payments on held accounts updated in place; %ld of %ld exits and refunds\n",
         in_place[0], updated[0], in_place[1], updated[1]);
  CHECK(updated[0] == 10 && in_place[0] == 10);
  CHECK(updated[1] == 10); /* the refunds (each leaves its class: in place or not, as its page allows) */
  commission_free(&c);
  return check_failures - failures;
}

/* The duplicate check of a new person (db_person_duplicates(), as the creation runs it, by an ordinary role under
 * row-level security) in a commission where N people share the birth date asked, at N and at 4N: the rows and
 * index entries it reads must not grow (before migrations/0042 it keyed the names of everyone born that day). It
 * still finds the person whatever the case and accents, and with the names swapped. Then the same for the import's
 * look-ups of a person (migrations/0043). */
static long duplicate_check(struct db *app, const char *commission, const char *family, const char *given,
                            int *found) {
  if (db_use_commission(app, commission) != DB_ROW || db_begin(app) != DB_ROW)
    return -1;
  char *before = value(app, tuples_read);
  PGresult *res = NULL;
  enum db_status s = db_person_duplicates(app, commission, family, given, "1980-05-05", "all", NULL, &res);
  char *after = value(app, tuples_read);
  *found = s == DB_ROW || s == DB_NO_ROW ? PQntuples(res) : -1;
  PQclear(res);
  db_rollback(app);
  long read = s >= 0 ? atol(after) - atol(before) : -1;
  free(before);
  free(after);
  return read;
}

int test_duplicate_check_does_not_grow(void) {
  int failures = check_failures;
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return check_failures - failures;
  char *ids[2];
  for (int k = 0; k < 2; k++) {
    int n = k == 0 ? 500 : 2000;
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO commissions (name) VALUES ('born the same day %d') RETURNING id", n);
    ids[k] = value(db, sql);
    snprintf(sql, sizeof sql,
             "WITH t AS (INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'care_team', 'T') "
             "RETURNING id) INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id) "
             "SELECT '%s', CASE WHEN i = %d THEN 'Lefèvre' ELSE 'Nom ' || i END, "
             "CASE WHEN i = %d THEN 'Élodie-Anne' ELSE 'Prénom ' || (i %% 7) END, date '1980-05-05', t.id "
             "FROM t, generate_series(1, %d) i", ids[k], ids[k], n / 2, n / 2, n);
    CHECK(db_simple(db, sql) >= 0);
  }
  CHECK(db_simple(db, "VACUUM (ANALYZE) people") == DB_ROW);
  char role[80];
  struct db *app = ordinary_role(db, "duplicates", role);
  if (app != NULL) {
    long read[2];
    for (int k = 0; k < 2; k++) {
      int found = 0;
      for (int warm = 0; warm < 6; warm++) /* past PostgreSQL's choice between custom and generic plans */
        duplicate_check(app, ids[k], "Martin", "Paul", &found);
      CHECK(duplicate_check(app, ids[k], "Martin", "Paul", &found) >= 0 && found == 0);
      read[k] = duplicate_check(app, ids[k], "LEFEVRE", "elodie anne", &found);
      CHECK(read[k] > 0 && found == 1);
      CHECK(duplicate_check(app, ids[k], "Élodie Anne", "Lefèvre", &found) >= 0 && found == 1);
    }
    printf("duplicate check (found): %ld rows read among 500 people born that day, %ld among 2 000\n", read[0],
           read[1]);
    if (read[1] * 2 > read[0] * 3 + 20) {
      fprintf(stderr, "the duplicate check grows with the people born that day: %ld rows read, then %ld\n", read[0],
              read[1]);
      CHECK(false);
    }
    /* The import's look-ups of a person (migrations/0043): a row of the people's spreadsheet naming Lefèvre, and
     * the person named by a row of another sheet. */
    for (int k = 0; k < 2; k++) {
      char sql[1024];
      snprintf(sql, sizeof sql,
               "SELECT r.outcome || ' ' || (i.id = r.object_id) FROM import_person_row('%s', '{\"family_name\": "
               "\"LEFÈVRE\", \"given_names\": \"Élodie Anne\", \"birth_date\": \"1980-05-05\", \"care_team\": "
               "\"T\", \"protection\": \"none\"}', NULL, 'coordinator') r, import_person('%s', 'lefevre', "
               "'elodie-anne', '1980-05-05') i", ids[k], ids[k]);
      CHECK(db_use_commission(app, ids[k]) == DB_ROW && db_begin(app) == DB_ROW);
      for (int warm = 0; warm < 6; warm++)
        free(value(app, sql));
      char *before = value(app, tuples_read);
      char *outcome = value(app, sql);
      char *after = value(app, tuples_read);
      read[k] = atol(after) - atol(before);
      /* the first run updated the file (its names written otherwise), the later ones find it as it now is */
      if (strcmp(outcome, "unchanged true") != 0)
        fprintf(stderr, "import of a known person: %s\n", outcome);
      CHECK(strcmp(outcome, "unchanged true") == 0);
      free(before);
      free(outcome);
      free(after);
      db_rollback(app);
    }
    printf("import look-ups of a person: %ld rows read among 500 people born that day, %ld among 2 000\n", read[0],
           read[1]);
    if (read[1] * 2 > read[0] * 3 + 20) {
      fprintf(stderr, "the import's look-ups grow with the people born that day: %ld rows read, then %ld\n", read[0],
              read[1]);
      CHECK(false);
    }
    db_close(app);
  }
  drop_role(db, role);
  free(ids[0]);
  free(ids[1]);
  return check_failures - failures;
}

/* A first import of units into a new database (migrations/0044), run first on the test's new database whose units
 * were never analysed, by the migrations' owner as the daemon runs in a deployment (it owns the tables, so the
 * import may take their statistics): the rows and index entries one more unit's import reads after 150 units and
 * after 450 must not grow. With the plans made on the empty table (before 0044) each row read the commission's
 * units: every foreign-key check of a new unit and its vacancy refresh, and the look-up by address. */
static long import_units(struct db *db, const char *commission, int from, int to) {
  size_t size = 256 + (size_t)(to - from + 1) * 400, n;
  char *sql = malloc(size);
  if (sql == NULL)
    return -1;
  n = (size_t)snprintf(sql, size, "SELECT count(*) FILTER (WHERE outcome = 'create') FROM import_rows('units', '%s', "
                       "'[", commission);
  for (int i = from; i <= to && n < size; i++)
    n += (size_t)snprintf(sql + n, size - n,
                          "%s{\"line\": %d, \"label\": \"T2 n° %d\", \"kind\": \"hlm_apartment\", "
                          "\"address\": \"%d rue Nationale\", \"town\": \"Lille\", \"landlord\": "
                          "\"Habitat du Nord\", \"places\": 1, \"rent_cents\": 45000, \"charges_cents\": 3550, "
                          "\"deposit_cents\": 45000}", i > from ? ", " : "", i + 1, i, i);
  if (n < size)
    snprintf(sql + n, size - n, "]', NULL, 'coordinator')");
  char *before = value(db, tuples_read);
  char *created = value(db, sql);
  char *after = value(db, tuples_read);
  long read = atoi(created) == to - from + 1 ? atol(after) - atol(before) : -1;
  if (read < 0)
    fprintf(stderr, "units %d to %d: %s created\n", from, to, created);
  free(sql);
  free(before);
  free(created);
  free(after);
  return read;
}

int test_import_lookups_fresh(void) {
  int failures = check_failures;
  struct db *db = db_thread();
  CHECK(db != NULL);
  if (db == NULL)
    return check_failures - failures;
  char *id = value(db, "INSERT INTO commissions (name) VALUES ('first import') RETURNING id");
  char sql[256];
  snprintf(sql, sizeof sql, "INSERT INTO organisations (commission_id, kind, name) VALUES ('%s', 'landlord', "
           "'Habitat du Nord')", id);
  CHECK(db_simple(db, sql) >= 0);
  CHECK(db_use_commission(db, id) == DB_ROW && db_begin(db) == DB_ROW);
  long read[2];
  CHECK(import_units(db, id, 1, 150) > 0);
  read[0] = import_units(db, id, 151, 151);
  CHECK(import_units(db, id, 152, 450) > 0);
  read[1] = import_units(db, id, 451, 451);
  db_rollback(db);
  printf("first import of units: the 151st read %ld rows and index entries, the 451st %ld\n", read[0], read[1]);
  CHECK(read[0] > 0 && read[1] > 0);
  if (read[1] * 2 > read[0] * 3 + 20) {
    fprintf(stderr, "a unit's import grows with the units imported before it: %ld, then %ld\n", read[0], read[1]);
    CHECK(false);
  }
  free(id);
  return check_failures - failures;
}
