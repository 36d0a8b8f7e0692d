-- Data set for bench/run, in three steps run by psql as a superuser after `commissionctl migrate`:
--   gen.sql         (this file) the plan of one commission's structure, in tables of the schema bench_gen; the
--                   foreign keys dropped and two triggers disabled for the load (below)
--   gen-load.sql    the rows of commissions :cfrom to :cto; bench/run runs two of them at once on the large set
--                   (commissions 1-25 and 26-50, one per core), each in its own transaction
--   gen-finish.sql  checks what the disabled triggers would have checked, adds the foreign keys again (validating
--                   each over the whole load), enables the triggers; bench/run runs it while it loads the audit trail
-- A failure at any step stops bench/run, which then deletes the cluster: a half-loaded database is never used.
--
-- Every commission has the same structure (the plan tables g_* are computed once, without a commission, and
-- crossed with the commissions at insert time); ids are deterministic UUIDs (md5 of kind:commission:index, with
-- the version and variant nibbles of a v4), so that references need no lookups. Dates are relative to the day of
-- generation (:'today'), quarterly sessions 91 days apart (session k is k quarters ago; k = 0 is today's open
-- session, with 300 agenda items).
--
-- Constraints: every CHECK, UNIQUE and the EXCLUDE constraint (one placement per person at a time) stay enforced
-- row by row during the load, through the real tables with their triggers (so that tables the triggers maintain
-- are filled as in production). Foreign keys are checked set-based once the load is done rather than row by row
-- (one index probe and one row lock per reference, about a third of the load's time): every foreign key of the
-- schema is dropped here and added again by gen-finish.sql, which validates it over the whole load (an
-- anti-join); read from the catalog, so that a foreign key added by a later migration is handled alike. Two
-- triggers are disabled during the load, only because the data satisfies them by construction, and that is
-- checked set-based by gen-finish.sql before they are enabled again (and the webhook triggers, see below):
--   placements_unit_capacity  each unit's places are "slots"; a slot holds a sequence of non-overlapping stays
--                             (each exit no later than the next move-in), so no day sees more stays than places.
--   deposit_entries_balance   each placement's ledger starts with a 'paid' of the deposit; later refunds and
--                             deductions add up to at most that amount, so the running balance never goes negative.
-- The append-only triggers (deposit ledger, audit trail) only fire on UPDATE/DELETE, which this never does.
-- The audit trail is loaded separately (gen-audit.sql, chain.py, gen-audit-load.sql), already chained.
\ir gen-settings.sql

BEGIN;

DROP SCHEMA IF EXISTS bench_gen CASCADE;
CREATE SCHEMA bench_gen;

-- The foreign keys, dropped until gen-finish.sql adds them again; audit_log's are left to the audit trail's load
-- (gen-audit.sql drops them, gen-audit-load.sql adds them again), which bench/run runs while gen-finish.sql runs.
CREATE UNLOGGED TABLE bench_gen.g_fk AS
SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
  AND c.conrelid <> 'audit_log'::regclass;
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, name) FROM g_fk \gexec
ALTER TABLE placements DISABLE TRIGGER placements_unit_capacity;
ALTER TABLE deposit_entries DISABLE TRIGGER deposit_entries_balance;
-- The webhook triggers (migrations/0019: functions webhook_on_*) record nothing while no subscription exists,
-- but build each event's payload first (30 µs a decision): disabled while the database has no subscription, which
-- gen-finish.sql checks again before enabling them.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_subscriptions) THEN
    RAISE EXCEPTION 'the database has webhook subscriptions: the generator expects a fresh database';
  END IF;
END
$$;
CREATE UNLOGGED TABLE bench_gen.g_webhook_trigger AS
SELECT t.tgrelid::regclass::text AS tbl, t.tgname AS name
FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND p.proname LIKE 'webhook\_on\_%';
SELECT format('ALTER TABLE %s DISABLE TRIGGER %I', tbl, name) FROM g_webhook_trigger \gexec
-- The status rows (migrations/0022) are refreshed row by row by triggers: off for the load; each gen-load.sql builds
-- its commissions' rows set-based from person_status_source (what person_status_rebuild(), the migration's backfill,
-- inserts), and gen-finish.sql checks there is one per person before they are on again.
SELECT person_status_triggers(false);
-- The vacancy periods of the units (migrations/0035) likewise: off for the load, rebuilt by gen-finish.sql
-- (unit_vacancy_rebuild(), the migration's backfill).
SELECT unit_vacancy_triggers(false);
-- The agendas' kept lines (migrations/0046) likewise: off for the load; each gen-load.sql inserts its commissions'
-- lines from agenda_line_source, and gen-finish.sql checks there is one per agenda item before they are on again.
SELECT agenda_line_triggers(false);
-- The applications' wish rows (migrations/0053) likewise: off for the load, rebuilt by gen-finish.sql
-- (application_wishes_rebuild(), the migration's backfill).
SELECT application_wishes_triggers(false);

SELECT greatest(5, :npeople / 500) AS nland, 5 AS nres, greatest(4, :npeople / 1250) AS ncur,
       greatest(4, :npeople / 1000) AS ncare, 5 AS npart, :npeople / 5 AS nunits \gset

-- The explicit ::text casts keep the body immutable (text || integer is only stable), so that PostgreSQL inlines the
-- function instead of calling it (2.5x cheaper; it is called 3 to 6 times per row).
CREATE FUNCTION bench_gen.uid(k text, c integer, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT overlay(overlay(md5(k || ':' || c::text || ':' || i::text) PLACING '4' FROM 13 FOR 1) PLACING '8' FROM 17
                 FOR 1)::uuid
$$;
-- A session's date, k quarters before today (psql does not interpolate inside a function body: \gexec it).
SELECT format('CREATE FUNCTION bench_gen.sday(k integer) RETURNS date LANGUAGE sql IMMUTABLE AS %L',
              format('SELECT %L::date - 91 * k', :'today')) \gexec
-- A timestamp on day D at hour H (UTC), never later than an hour ago.
CREATE FUNCTION bench_gen.ts(d date, h integer) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT least((d + make_time(h, 0, 0)) AT TIME ZONE 'UTC', now() - interval '1 hour')
$$;
-- When session k decided (14:00).
CREATE FUNCTION bench_gen.sat(k integer) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT bench_gen.ts(bench_gen.sday(k), 14)
$$;
CREATE FUNCTION bench_gen.fail(msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', msg;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Plans (one commission's structure)
-- ---------------------------------------------------------------------------------------------------------------

-- Units: 4 in 5 are one-place apartments of a social landlord; every 5th is a shared place of a residence or a
-- foyer with 2 to 6 places.
CREATE UNLOGGED TABLE bench_gen.g_unit AS
SELECT u, places,
  CASE WHEN places = 1 THEN 'hlm_apartment'
       ELSE (ARRAY['foyer_place', 'transitional_place', 'residence_place'])[1 + u % 3] END AS kind,
  CASE WHEN places = 1 THEN 'landlord' ELSE 'residence' END AS org_kind,
  CASE WHEN places = 1 THEN u % :nland ELSE (u / 5) % :nres END AS org_idx,
  30000 + (u * 37 % 40) * 1000 AS rent_cents
FROM (SELECT u, CASE WHEN u % 5 = 0 THEN 2 + (u / 5) % 5 ELSE 1 END AS places
      FROM generate_series(1, :nunits) u) x;

-- Slots: one per place.
CREATE UNLOGGED TABLE bench_gen.g_slot AS
SELECT (row_number() OVER (ORDER BY u, k) - 1)::integer AS s, u FROM g_unit, generate_series(1, places) k;

-- Stays in each slot, newest first: the current one (6 slots in 7 are occupied), then 0 to 2 earlier ones, each
-- ending at least a day before the next one begins. j numbers the stays; stay j is person j's.
CREATE UNLOGGED TABLE bench_gen.g_pl AS
WITH a AS (
  SELECT s, u, s % 7 <> 3 AS active, s % 3 AS h,
    CASE WHEN s % 7 <> 3 THEN :'today'::date - (20 + (s * 53) % 2000) END AS a_start
  FROM g_slot),
b AS (SELECT *, coalesce(a_start, :'today'::date - 40 - (s % 200)) - (1 + s % 30) AS e1 FROM a),
c AS (SELECT *, e1 - (150 + (s * 31) % 750) AS s1 FROM b),
d AS (SELECT *, s1 - (1 + s % 60) AS e2 FROM c),
e AS (SELECT *, e2 - (150 + (s * 17) % 750) AS s2 FROM d)
SELECT (row_number() OVER (ORDER BY s, m))::integer AS j, s, u, m, move_in, exit_date,
  ceil((:'today'::date - move_in + 14) / 91.0)::integer AS k
FROM (SELECT s, u, 0 AS m, a_start AS move_in, NULL::date AS exit_date FROM e WHERE active
      UNION ALL SELECT s, u, 1, s1, e1 FROM e WHERE h >= 1
      UNION ALL SELECT s, u, 2, s2, e2 FROM e WHERE h >= 2) x;
CREATE UNIQUE INDEX ON g_pl (j);

\o /dev/null
SELECT bench_gen.fail('plan error: more stays than people') FROM g_pl HAVING max(j) > :npeople;
\o

-- Each person's current application. Person j <= number of stays was placed (stay j); the others are spread
-- over the other outcomes; 240 of the submitted ones are on today's open session (80 of them decided already).
CREATE UNLOGGED TABLE bench_gen.g_app AS
WITH base AS (
  SELECT i, p.j IS NOT NULL AS placed, p.k AS pk, p.u AS pu, p.move_in, i % 20 AS r
  FROM generate_series(1, :npeople) i LEFT JOIN g_pl p ON p.j = i),
opn AS (
  SELECT i, row_number() OVER (ORDER BY i) AS rank FROM base WHERE NOT placed AND r BETWEEN 15 AND 18),
cls AS (
  SELECT b.*, o.rank,
    CASE WHEN placed THEN 'placed'
         WHEN r <= 5 THEN 'refused'
         WHEN r IN (6, 7, 8, 19) THEN 'withdrawn'
         WHEN r = 9 THEN 'lapsed'
         WHEN r IN (10, 11) THEN 'approved'
         WHEN r IN (12, 13) THEN 'deferred'
         WHEN r = 14 THEN 'draft'
         WHEN o.rank <= 80 THEN (ARRAY['approved', 'approved', 'approved', 'approved', 'approved', 'approved',
                                       'approved', 'approved', 'refused', 'refused', 'refused', 'refused',
                                       'refused', 'deferred', 'deferred', 'deferred'])[1 + o.rank % 16]
         WHEN o.rank <= 240 THEN 'scheduled'
         ELSE 'submitted' END AS status,
    CASE WHEN placed THEN pk
         WHEN r <= 5 THEN 1 + (i * 7) % 30
         WHEN r = 9 THEN 3 + i % 8
         WHEN r BETWEEN 10 AND 13 THEN 1
         WHEN o.rank <= 240 THEN 0 END AS k
  FROM base b LEFT JOIN opn o USING (i))
SELECT i, 'app' AS key, status, k, rank AS open_rank, CASE WHEN placed THEN pu END AS unit_u, move_in,
  CASE WHEN status IN ('placed', 'approved', 'refused', 'deferred', 'lapsed') AND k IS NOT NULL THEN
    (ARRAY['approve', 'refuse', 'defer'])[CASE WHEN status IN ('placed', 'approved', 'lapsed') THEN 1
                                               WHEN status = 'refused' THEN 2 ELSE 3 END] END AS outcome,
  CASE WHEN k IS NOT NULL THEN bench_gen.ts(bench_gen.sday(k) - 60 - i % 20, 9)
       WHEN status = 'draft' THEN bench_gen.ts(:'today'::date - i % 30, 10)
       WHEN status = 'submitted' THEN bench_gen.ts(:'today'::date - 30 - i % 40, 10)
       ELSE bench_gen.ts(:'today'::date - 200 - i % 2000, 10) END AS created_at,
  CASE WHEN k IS NOT NULL THEN bench_gen.ts(bench_gen.sday(k) - 45 + i % 10, 11)
       WHEN status = 'draft' THEN NULL
       WHEN status = 'submitted' THEN bench_gen.ts(:'today'::date - 1 - i % 29, 11)
       ELSE bench_gen.ts(:'today'::date - 190 - i % 2000, 11) END AS submitted_at
FROM cls;

-- An earlier application for 3 people in 10, refused at an earlier session or withdrawn.
INSERT INTO g_app (i, key, status, k, open_rank, unit_u, move_in, outcome, created_at, submitted_at)
SELECT i, 'app2', CASE WHEN i % 2 = 0 THEN 'refused' ELSE 'withdrawn' END, k2, NULL, NULL, NULL,
  CASE WHEN i % 2 = 0 THEN 'refuse' END, bench_gen.ts(bench_gen.sday(k2) - 60, 9), bench_gen.ts(bench_gen.sday(k2) - 45, 11)
FROM (SELECT i, ceil((:'today'::date - created_at::date) / 91.0)::integer + 1 + i % 4 AS k2
      FROM g_app WHERE key = 'app' AND i % 10 < 3) x;
UPDATE g_app SET k = NULL WHERE key = 'app2' AND status = 'withdrawn';
ALTER TABLE g_app ADD COLUMN decided_at timestamptz;
UPDATE g_app SET decided_at = bench_gen.sat(k) WHERE outcome IS NOT NULL;

SELECT max(k) AS nsess FROM g_app \gset

-- Agenda positions: per session, in order of application; today's session: 240 applications, then 40 reviews,
-- then 20 incidents.
ALTER TABLE g_app ADD COLUMN position integer;
UPDATE g_app a SET position = x.pos
FROM (SELECT key, i, row_number() OVER (PARTITION BY k ORDER BY coalesce(open_rank, 0), key, i) AS pos
      FROM g_app WHERE k IS NOT NULL) x
WHERE a.key = x.key AND a.i = x.i;

-- Incidents: one on every 10th stay; still open on some current ones.
CREATE UNLOGGED TABLE bench_gen.g_inc AS
SELECT p.j, (ARRAY['rent_arrears', 'disturbance', 'damage', 'hospitalisation', 'prolonged_absence', 'other'])
    [1 + (p.j / 10) % 6] AS kind,
  least(p.move_in + 10 + p.j % 300, coalesce(p.exit_date, :'today'::date)) AS occurred_on,
  CASE WHEN p.exit_date IS NULL AND p.j % 30 = 0 THEN 'open' ELSE 'closed' END AS status,
  (ARRAY['coordinator', 'landlord', 'caregiver'])[1 + (p.j / 10) % 3] AS role
FROM g_pl p WHERE p.j % 10 = 0;
ALTER TABLE g_inc ADD COLUMN open_rank bigint;
UPDATE g_inc g SET open_rank = x.rank
FROM (SELECT j, row_number() OVER (ORDER BY j) AS rank FROM g_inc WHERE status = 'open') x WHERE g.j = x.j;

-- Reviews: quarterly after the move-in, at most 4 per stay.
CREATE UNLOGGED TABLE bench_gen.g_rev AS
SELECT p.j, n, p.move_in + 91 * n AS review_date
FROM g_pl p, generate_series(1, least(4, (coalesce(p.exit_date, :'today'::date) - p.move_in) / 91)) n;

-- Reviews due at today's session: 40 current stays.
CREATE UNLOGGED TABLE bench_gen.g_due AS
SELECT j, row_number() OVER (ORDER BY j) AS rank FROM g_pl WHERE m = 0 AND j % 10 = 5 ORDER BY j LIMIT 40;

-- The deposit ledger of each stay: paid at move-in; after an exit, refunded in full (12 in 20), or partly
-- deducted then the rest refunded (5 in 20), or still held (3 in 20).
CREATE UNLOGGED TABLE bench_gen.g_dep AS
SELECT p.j, 1 AS n, 'paid' AS kind, u.rent_cents AS amount, u.rent_cents AS effect, p.move_in AS entry_date,
  NULL::text AS justification
FROM g_pl p JOIN g_unit u USING (u)
UNION ALL
SELECT p.j, 2, 'refunded', u.rent_cents, -u.rent_cents, least(p.exit_date + 20, :'today'::date - 1), NULL
FROM g_pl p JOIN g_unit u USING (u) WHERE p.exit_date IS NOT NULL AND p.j % 20 < 12
UNION ALL
SELECT p.j, 2, 'deducted', u.rent_cents / 4, -(u.rent_cents / 4), least(p.exit_date + 25, :'today'::date - 1), 'Remise en état après état des lieux'
FROM g_pl p JOIN g_unit u USING (u) WHERE p.exit_date IS NOT NULL AND p.j % 20 BETWEEN 12 AND 16
UNION ALL
SELECT p.j, 3, 'refunded', u.rent_cents - u.rent_cents / 4, -(u.rent_cents - u.rent_cents / 4), least(p.exit_date + 30, :'today'::date - 1), NULL
FROM g_pl p JOIN g_unit u USING (u) WHERE p.exit_date IS NOT NULL AND p.j % 20 BETWEEN 12 AND 16;

-- Statistics for the plans of gen-load.sql's joins.
ANALYZE g_unit, g_slot, g_pl, g_app, g_inc, g_rev, g_due, g_dep;

-- What gen-load.sql needs.
CREATE UNLOGGED TABLE bench_gen.g_param AS
SELECT :nland AS nland, :nres AS nres, :ncur AS ncur, :ncare AS ncare, :npart AS npart, :nsess AS nsess,
  :npeople AS npeople, :'today'::date AS today;

COMMIT;
