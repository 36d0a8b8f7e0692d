-- Data set for bench/run: :ncomm commissions of :npeople people each, generated set-based in the database after
-- `commissionctl migrate` (run by psql as a superuser, in one transaction: a failure leaves nothing behind).
--
-- Every commission has the same structure (the plan tables g_* are computed once, without a commission, and
-- crossed with the commissions at insert time); ids are deterministic UUIDs (md5 of kind:commission:index, with
-- the version and variant nibbles of a v4), so that references need no lookups. Dates are relative to the day of
-- generation (:'today'), quarterly sessions 91 days apart (session k is k quarters ago; k = 0 is today's open
-- session, with 300 agenda items).
--
-- Constraints: every CHECK, FOREIGN KEY, UNIQUE and the EXCLUDE constraint (one placement per person at a time)
-- stay enforced. Two triggers are disabled during the load, only because the data satisfies them by
-- construction, and that is checked set-based before they are enabled again (a failed check aborts the whole
-- transaction):
--   placements_unit_capacity  each unit's places are "slots"; a slot holds a sequence of non-overlapping stays
--                             (each exit no later than the next move-in), so no day sees more stays than places.
--   deposit_entries_balance   each placement's ledger starts with a 'paid' of the deposit; later refunds and
--                             deductions add up to at most that amount, so the running balance never goes negative.
-- The append-only triggers (deposit ledger, audit trail) only fire on UPDATE/DELETE, which this never does.
-- The audit trail is loaded separately (bench/lib/gen-audit.sh), already chained.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET synchronous_commit = off;
SET TIME ZONE 'UTC';
SET commissiond.scope = 'all';

BEGIN;

SELECT greatest(5, :npeople / 500) AS nland, 5 AS nres, greatest(4, :npeople / 1250) AS ncur,
       greatest(4, :npeople / 1000) AS ncare, 5 AS npart, :npeople / 5 AS nunits \gset

CREATE FUNCTION pg_temp.uid(k text, c integer, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT overlay(overlay(md5(k || ':' || c || ':' || i) PLACING '4' FROM 13 FOR 1) PLACING '8' FROM 17 FOR 1)::uuid
$$;
-- A session's date, k quarters before today (psql does not interpolate inside a function body: \gexec it).
SELECT format('CREATE FUNCTION pg_temp.sday(k integer) RETURNS date LANGUAGE sql IMMUTABLE AS %L',
              format('SELECT %L::date - 91 * k', :'today')) \gexec
-- A timestamp on day D at hour H (UTC), never later than an hour ago.
CREATE FUNCTION pg_temp.ts(d date, h integer) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT least((d + make_time(h, 0, 0)) AT TIME ZONE 'UTC', now() - interval '1 hour')
$$;
-- When session k decided (14:00).
CREATE FUNCTION pg_temp.sat(k integer) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT pg_temp.ts(pg_temp.sday(k), 14)
$$;
CREATE FUNCTION pg_temp.fail(msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', msg;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Plans (one commission's structure)
-- ---------------------------------------------------------------------------------------------------------------

-- Units: 4 in 5 are one-place apartments of a social landlord; every 5th is a shared place of a residence or a
-- foyer with 2 to 6 places.
CREATE TEMP TABLE g_unit AS
SELECT u, places,
  CASE WHEN places = 1 THEN 'hlm_apartment'
       ELSE (ARRAY['foyer_place', 'transitional_place', 'residence_place'])[1 + u % 3] END AS kind,
  CASE WHEN places = 1 THEN 'landlord' ELSE 'residence' END AS org_kind,
  CASE WHEN places = 1 THEN u % :nland ELSE (u / 5) % :nres END AS org_idx,
  30000 + (u * 37 % 40) * 1000 AS rent_cents
FROM (SELECT u, CASE WHEN u % 5 = 0 THEN 2 + (u / 5) % 5 ELSE 1 END AS places
      FROM generate_series(1, :nunits) u) x;

-- Slots: one per place.
CREATE TEMP TABLE g_slot AS
SELECT (row_number() OVER (ORDER BY u, k) - 1)::integer AS s, u FROM g_unit, generate_series(1, places) k;

-- Stays in each slot, newest first: the current one (6 slots in 7 are occupied), then 0 to 2 earlier ones, each
-- ending at least a day before the next one begins. j numbers the stays; stay j is person j's.
CREATE TEMP TABLE g_pl AS
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
SELECT pg_temp.fail('plan error: more stays than people') FROM g_pl HAVING max(j) > :npeople;
\o

-- Each person's current application. Person j <= number of stays was placed (stay j); the others are spread
-- over the other outcomes; 240 of the submitted ones are on today's open session (80 of them decided already).
CREATE TEMP TABLE g_app AS
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
  CASE WHEN k IS NOT NULL THEN pg_temp.ts(pg_temp.sday(k) - 60 - i % 20, 9)
       WHEN status = 'draft' THEN pg_temp.ts(:'today'::date - i % 30, 10)
       WHEN status = 'submitted' THEN pg_temp.ts(:'today'::date - 30 - i % 40, 10)
       ELSE pg_temp.ts(:'today'::date - 200 - i % 2000, 10) END AS created_at,
  CASE WHEN k IS NOT NULL THEN pg_temp.ts(pg_temp.sday(k) - 45 + i % 10, 11)
       WHEN status = 'draft' THEN NULL
       WHEN status = 'submitted' THEN pg_temp.ts(:'today'::date - 1 - i % 29, 11)
       ELSE pg_temp.ts(:'today'::date - 190 - i % 2000, 11) END AS submitted_at
FROM cls;

-- An earlier application for 3 people in 10, refused at an earlier session or withdrawn.
INSERT INTO g_app (i, key, status, k, open_rank, unit_u, move_in, outcome, created_at, submitted_at)
SELECT i, 'app2', CASE WHEN i % 2 = 0 THEN 'refused' ELSE 'withdrawn' END, k2, NULL, NULL, NULL,
  CASE WHEN i % 2 = 0 THEN 'refuse' END, pg_temp.ts(pg_temp.sday(k2) - 60, 9), pg_temp.ts(pg_temp.sday(k2) - 45, 11)
FROM (SELECT i, ceil((:'today'::date - created_at::date) / 91.0)::integer + 1 + i % 4 AS k2
      FROM g_app WHERE key = 'app' AND i % 10 < 3) x;
UPDATE g_app SET k = NULL WHERE key = 'app2' AND status = 'withdrawn';
ALTER TABLE g_app ADD COLUMN decided_at timestamptz;
UPDATE g_app SET decided_at = pg_temp.sat(k) WHERE outcome IS NOT NULL;

SELECT max(k) AS nsess FROM g_app \gset

-- Agenda positions: per session, in order of application; today's session: 240 applications, then 40 reviews,
-- then 20 incidents.
ALTER TABLE g_app ADD COLUMN position integer;
UPDATE g_app a SET position = x.pos
FROM (SELECT key, i, row_number() OVER (PARTITION BY k ORDER BY coalesce(open_rank, 0), key, i) AS pos
      FROM g_app WHERE k IS NOT NULL) x
WHERE a.key = x.key AND a.i = x.i;

-- Incidents: one on every 10th stay; still open on some current ones.
CREATE TEMP TABLE g_inc AS
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
CREATE TEMP TABLE g_rev AS
SELECT p.j, n, p.move_in + 91 * n AS review_date
FROM g_pl p, generate_series(1, least(4, (coalesce(p.exit_date, :'today'::date) - p.move_in) / 91)) n;

-- Reviews due at today's session: 40 current stays.
CREATE TEMP TABLE g_due AS
SELECT j, row_number() OVER (ORDER BY j) AS rank FROM g_pl WHERE m = 0 AND j % 10 = 5 ORDER BY j LIMIT 40;

-- The deposit ledger of each stay: paid at move-in; after an exit, refunded in full (12 in 20), or partly
-- deducted then the rest refunded (5 in 20), or still held (3 in 20).
CREATE TEMP TABLE g_dep AS
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

-- ---------------------------------------------------------------------------------------------------------------
-- Rows
-- ---------------------------------------------------------------------------------------------------------------

INSERT INTO commissions (id, name, created_at)
SELECT pg_temp.uid('commission', c, 0), 'Commission appartement (banc d''essai ' || c || ')',
  pg_temp.ts(pg_temp.sday(:nsess + 1), 9)
FROM generate_series(1, :ncomm) c;

INSERT INTO organisations (id, commission_id, kind, name, town, address, email, phone, created_at, updated_at)
SELECT pg_temp.uid('org-' || k.kind, c, i), pg_temp.uid('commission', c, 0), k.kind,
  k.label || ' ' || (i + 1),
  (ARRAY['Lille', 'Roubaix', 'Tourcoing', 'Villeneuve-d''Ascq', 'Lambersart', 'Wattrelos', 'Croix',
         'Marcq-en-Barœul'])[1 + i % 8],
  (10 + i) || ' boulevard de la Liberté', 'contact' || i || '@' || replace(k.kind, '_', '-') || '.example.org',
  '03 20 ' || lpad((i * 7919 % 1000000)::text, 6, '0'), pg_temp.ts(pg_temp.sday(:nsess + 1), 10),
  pg_temp.ts(pg_temp.sday(:nsess + 1), 10)
FROM generate_series(1, :ncomm) c
CROSS JOIN (VALUES ('landlord', :nland, 'Bailleur social'), ('residence', :nres, 'Résidence accueil'),
                   ('curator_service', :ncur, 'Service mandataire'), ('care_team', :ncare, 'Équipe de secteur'),
                   ('partner', :npart, 'Partenaire')) k(kind, n, label)
CROSS JOIN LATERAL generate_series(0, k.n - 1) i;

INSERT INTO people (id, commission_id, family_name, given_names, birth_date, phone, email, address, care_team_id,
                    protection, curator_org_id, protection_start, created_at, updated_at)
SELECT pg_temp.uid('person', c, i), pg_temp.uid('commission', c, 0),
  (ARRAY['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
         'Simon', 'Laurent', 'Lefebvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier'])
    [1 + (i * 7) % 20],
  (ARRAY['Marie', 'Jean', 'Pierre', 'Nathalie', 'Michel', 'Isabelle', 'Philippe', 'Sylvie', 'Alain', 'Catherine',
         'Nicolas', 'Sandrine', 'Christophe', 'Valérie', 'Patrick', 'Karim', 'Fatima', 'Stéphane', 'Céline', 'Yann'])
    [1 + (i * 13) % 20],
  date '1950-01-01' + (i * 7919) % 17000,
  CASE WHEN i % 3 <> 0 THEN '06' || lpad((i * 104729 % 100000000)::text, 8, '0') END,
  CASE WHEN i % 4 = 0 THEN 'personne' || i || '@example.org' END,
  (i % 200 + 1) || ' rue ' || (ARRAY['Nationale', 'de Paris', 'Victor Hugo', 'Jean Jaurès', 'Pasteur'])[1 + i % 5],
  pg_temp.uid('org-care_team', c, i % :ncare), x.prot,
  CASE WHEN x.prot <> 'none' THEN pg_temp.uid('org-curator_service', c, (i / 10) % :ncur) END,
  CASE WHEN x.prot <> 'none' THEN date '2010-01-01' + i % 3000 END,
  f.created_at - interval '7 days', f.created_at - interval '7 days'
FROM generate_series(1, :ncomm) c
CROSS JOIN (SELECT i, min(created_at) AS created_at FROM g_app GROUP BY i) f
CROSS JOIN LATERAL (SELECT (ARRAY['curatelle_simple', 'curatelle_renforcee', 'tutelle', 'sauvegarde_de_justice',
                                  'none', 'none', 'none', 'none', 'none', 'none'])[1 + f.i % 10] AS prot) x;

INSERT INTO care_notes (commission_id, person_id, body, author_role, created_at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('person', c, i),
  'Entretien infirmier : traitement suivi, projet de logement travaillé avec la personne.', 'caregiver',
  pg_temp.ts(:'today'::date - i % 700, 15)
FROM generate_series(1, :ncomm) c, generate_series(2, :npeople, 2) i;

INSERT INTO units (id, commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, charges_cents,
                   deposit_cents, status, created_at, updated_at)
SELECT pg_temp.uid('unit', c, u.u), pg_temp.uid('commission', c, 0), u.kind,
  CASE WHEN u.places = 1 THEN 'Appartement T' || (1 + u.u % 3) || ' n°' || u.u ELSE 'Places partagées n°' || u.u END,
  (u.u % 150 + 1) || ' avenue de la République',
  (ARRAY['Lille', 'Roubaix', 'Tourcoing', 'Villeneuve-d''Ascq', 'Lambersart', 'Wattrelos', 'Croix',
         'Marcq-en-Barœul'])[1 + u.u % 8],
  pg_temp.uid('org-' || u.org_kind, c, u.org_idx), u.places, u.rent_cents, 5000, u.rent_cents,
  CASE WHEN u.places = 1 AND u.u IN (SELECT p.u FROM g_pl p WHERE p.exit_date IS NULL)
       THEN 'occupied' ELSE 'available' END,
  pg_temp.ts(pg_temp.sday(:nsess + 1), 11), pg_temp.ts(pg_temp.sday(:nsess + 1), 11)
FROM generate_series(1, :ncomm) c, g_unit u;

INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, reason, at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('unit', c, u.u), NULL, 'available', 'mise à disposition',
  pg_temp.ts(pg_temp.sday(:nsess + 1), 11)
FROM generate_series(1, :ncomm) c, g_unit u;

-- One agreement per landlord and residence, covering its units; a third of them renewed once.
INSERT INTO agreements (id, commission_id, org_id, reference, signatory, start_date, end_date, notes, created_at,
                        updated_at)
SELECT pg_temp.uid('agreement-' || k.kind, c, i), pg_temp.uid('commission', c, 0),
  pg_temp.uid('org-' || k.kind, c, i), 'CONV-' || upper(left(k.kind, 3)) || '-' || (i + 1), 'Direction ' || (i + 1),
  pg_temp.sday(:nsess + 1), :'today'::date + 30 + (i * 97) % 700, NULL,
  pg_temp.ts(pg_temp.sday(:nsess + 1), 12), pg_temp.ts(pg_temp.sday(:nsess + 1), 12)
FROM generate_series(1, :ncomm) c
CROSS JOIN (VALUES ('landlord', :nland), ('residence', :nres)) k(kind, n)
CROSS JOIN LATERAL generate_series(0, k.n - 1) i;

INSERT INTO agreement_units (commission_id, agreement_id, unit_id)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('agreement-' || u.org_kind, c, u.org_idx),
  pg_temp.uid('unit', c, u.u)
FROM generate_series(1, :ncomm) c, g_unit u;

INSERT INTO agreement_renewals (commission_id, agreement_id, previous_end_date, new_end_date, signatory, renewed_at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('agreement-landlord', c, i), pg_temp.sday(8),
  :'today'::date + 30 + (i * 97) % 700, 'Direction ' || (i + 1), pg_temp.ts(pg_temp.sday(9), 10)
FROM generate_series(1, :ncomm) c, generate_series(0, :nland - 1, 3) i;

INSERT INTO sessions (id, commission_id, session_date, town, place, chair_name, chair_title, status, opened_at,
                      closed_at, created_at, updated_at)
SELECT pg_temp.uid('session', c, k), pg_temp.uid('commission', c, 0), pg_temp.sday(k), 'Lille',
  'Salle du conseil, mairie', 'Mme la Présidente', 'Élue déléguée à la santé', CASE WHEN k = 0 THEN 'open' ELSE 'closed' END,
  pg_temp.ts(pg_temp.sday(k), 9), CASE WHEN k > 0 THEN pg_temp.ts(pg_temp.sday(k), 17) END,
  pg_temp.ts(pg_temp.sday(k) - 30, 9), pg_temp.ts(pg_temp.sday(k), 17)
FROM generate_series(1, :ncomm) c, generate_series(0, :nsess) k;

INSERT INTO session_attendees (commission_id, session_id, attendee_group, name, organisation, position)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('session', c, k), g.grp, g.name, g.org, g.pos
FROM generate_series(1, :ncomm) c, generate_series(0, :nsess) k,
  (VALUES (1, 'elected_officials', 'Mme la Présidente', 'Ville'), (2, 'landlords', 'M. Bailleur', 'Bailleur social 1'),
          (3, 'care_team', 'Dr Secteur', 'EPSM'), (4, 'curators', 'Mme Mandataire', 'Service mandataire 1'),
          (5, 'user_family_associations', 'M. Unafam', 'UNAFAM'), (6, 'association', 'Mme Coordinatrice', 'Association'))
    g(pos, grp, name, org);

INSERT INTO applications (id, commission_id, person_id, situation, wished_unit_kinds, wished_towns, urgency,
                          referent_name, status, submitted_at, decided_at, decided_on, created_by_role, version,
                          created_at, updated_at)
SELECT pg_temp.uid(a.key, c, a.i), pg_temp.uid('commission', c, 0), pg_temp.uid('person', c, a.i),
  'Situation : hébergé(e) chez un tiers, suivi régulier au CMP, souhaite un logement autonome accompagné.',
  CASE WHEN a.i % 3 = 0 THEN '{hlm_apartment}'::text[] ELSE '{hlm_apartment,foyer_place}'::text[] END,
  CASE WHEN a.i % 2 = 0 THEN '{Lille,Roubaix}'::text[] ELSE '{Lille}'::text[] END,
  (ARRAY['normal', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + a.i % 6], 'Référent CMP ' || (a.i % 50),
  a.status, a.submitted_at, a.decided_at, (a.decided_at AT TIME ZONE 'Europe/Paris')::date,
  CASE WHEN a.i % 2 = 0 THEN 'caregiver' ELSE 'coordinator' END, 1 + (a.status <> 'draft')::integer * 2,
  a.created_at, greatest(a.created_at, coalesce(a.decided_at, a.submitted_at, a.created_at))
FROM generate_series(1, :ncomm) c, g_app a;

INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, session_id, role, at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid(e.key, c, e.i), e.from_status, e.to_status, e.reason,
  CASE WHEN e.k IS NOT NULL THEN pg_temp.uid('session', c, e.k) END, e.role, e.at
FROM generate_series(1, :ncomm) c,
  (SELECT key, i, 'draft' AS from_status, 'submitted' AS to_status, NULL AS reason, NULL::integer AS k,
          'coordinator' AS role, submitted_at AS at FROM g_app WHERE status <> 'draft'
   UNION ALL
   SELECT key, i, 'submitted', 'scheduled', 'put on the agenda', k, 'coordinator', pg_temp.sat(k) - interval '14 days'
   FROM g_app WHERE k IS NOT NULL
   UNION ALL
   SELECT key, i, 'scheduled', CASE outcome WHEN 'approve' THEN 'approved' WHEN 'refuse' THEN 'refused'
                                             ELSE 'deferred' END, NULL, k, 'coordinator', decided_at
   FROM g_app WHERE outcome IS NOT NULL
   UNION ALL
   SELECT key, i, 'approved', 'placed', NULL, NULL, 'coordinator', pg_temp.ts(move_in, 10)
   FROM g_app WHERE status = 'placed'
   UNION ALL
   SELECT key, i, 'approved', 'lapsed', 'not placed within 180 days of approval', NULL, 'system',
     decided_at + interval '181 days' FROM g_app WHERE status = 'lapsed'
   UNION ALL
   SELECT key, i, 'submitted', 'withdrawn', 'la personne a trouvé une autre solution', NULL, 'coordinator',
     submitted_at + interval '40 days' FROM g_app WHERE status = 'withdrawn') e;

INSERT INTO agenda_items (id, commission_id, session_id, kind, application_id, position, created_at)
SELECT pg_temp.uid('item-' || a.key, c, a.i), pg_temp.uid('commission', c, 0), pg_temp.uid('session', c, a.k),
  'application', pg_temp.uid(a.key, c, a.i), a.position, pg_temp.sat(a.k) - interval '14 days'
FROM generate_series(1, :ncomm) c, g_app a WHERE a.k IS NOT NULL;

INSERT INTO decisions (id, commission_id, session_id, agenda_item_id, application_id, outcome, unit_id, refusal_reason,
                       comment, decided_at, decided_on)
SELECT pg_temp.uid('decision-' || a.key, c, a.i), pg_temp.uid('commission', c, 0), pg_temp.uid('session', c, a.k),
  pg_temp.uid('item-' || a.key, c, a.i), pg_temp.uid(a.key, c, a.i), a.outcome,
  CASE WHEN a.unit_u IS NOT NULL THEN pg_temp.uid('unit', c, a.unit_u) END,
  CASE WHEN a.outcome = 'refuse' THEN (ARRAY['no_suitable_unit', 'care_project_not_ready', 'incomplete_file',
                                             'outside_sector', 'needs_other_structure', 'other'])[1 + a.i % 6] END,
  CASE WHEN a.i % 4 = 0 THEN 'Avis favorable de l''équipe de secteur.' END, a.decided_at,
  (a.decided_at AT TIME ZONE 'Europe/Paris')::date
FROM generate_series(1, :ncomm) c, g_app a WHERE a.outcome IS NOT NULL;

ALTER TABLE placements DISABLE TRIGGER placements_unit_capacity;
INSERT INTO placements (id, commission_id, application_id, person_id, unit_id, session_id, move_in_date, lease,
                        sliding_start_date, exit_date, exit_reason, exit_comment, exit_inspection_matches, version, created_at, updated_at)
SELECT pg_temp.uid('placement', c, p.j), pg_temp.uid('commission', c, 0), pg_temp.uid('app', c, p.j),
  pg_temp.uid('person', c, p.j), pg_temp.uid('unit', c, p.u), pg_temp.uid('session', c, p.k), p.move_in,
  (ARRAY['association_main_tenant', 'sliding_lease', 'direct_lease'])[1 + p.j % 3],
  CASE WHEN p.j % 3 = 1 THEN p.move_in END, p.exit_date,
  CASE WHEN p.exit_date IS NOT NULL THEN (ARRAY['lease_transferred', 'lease_transferred', 'other_housing',
    'care_facility', 'hospitalisation', 'departure_without_notice', 'eviction', 'other'])[1 + p.j % 8] END,
  CASE WHEN p.exit_date IS NOT NULL AND p.j % 5 = 0 THEN 'Sortie préparée avec l''équipe.' END,
  CASE WHEN p.exit_date IS NOT NULL THEN p.j % 4 <> 0 END, 1 + (p.exit_date IS NOT NULL)::integer,
  pg_temp.ts(p.move_in, 10), pg_temp.ts(coalesce(p.exit_date, p.move_in), 10)
FROM generate_series(1, :ncomm) c, g_pl p;

ALTER TABLE deposit_entries DISABLE TRIGGER deposit_entries_balance;
INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, justification,
                             role, created_at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('placement', c, d.j), d.kind, d.amount, d.effect, d.entry_date,
  d.justification, CASE WHEN d.kind = 'paid' THEN 'coordinator' ELSE 'landlord' END,
  pg_temp.ts(d.entry_date, 9 + d.n)
FROM generate_series(1, :ncomm) c, g_dep d;

INSERT INTO reviews (commission_id, placement_id, review_date, care_followup, care_by_role, care_at, rent_status,
                     arrears_cents, rent_by_role, rent_at, housing, housing_by_role, housing_at, autonomy,
                     autonomy_by_role, autonomy_at, outcome, outcome_by_role, outcome_at, created_at, updated_at)
SELECT pg_temp.uid('commission', c, 0), pg_temp.uid('placement', c, r.j), r.review_date,
  'Suivi régulier, observance correcte.', 'caregiver', pg_temp.ts(r.review_date, 10),
  CASE WHEN (r.j + r.n) % 13 = 0 THEN 'arrears' ELSE 'up_to_date' END,
  CASE WHEN (r.j + r.n) % 13 = 0 THEN 15000 + r.j % 50 * 1000 END, 'landlord', pg_temp.ts(r.review_date, 11),
  'Logement bien entretenu.', 'landlord', pg_temp.ts(r.review_date, 11),
  'Autonomie en progrès pour les courses et les démarches.', 'coordinator', pg_temp.ts(r.review_date, 12),
  (ARRAY['continue', 'continue', 'continue', 'adjust_support', 'prepare_lease_transfer'])[1 + (r.j + r.n) % 5],
  'coordinator', pg_temp.ts(r.review_date, 12), pg_temp.ts(r.review_date, 10), pg_temp.ts(r.review_date, 12)
FROM generate_series(1, :ncomm) c, g_rev r;

INSERT INTO incidents (id, commission_id, placement_id, kind, description, arrears_cents, occurred_on, status,
                       reported_by_role, acknowledged_at, closed_at, closing_note, created_at, updated_at)
SELECT pg_temp.uid('incident', c, i.j), pg_temp.uid('commission', c, 0), pg_temp.uid('placement', c, i.j), i.kind,
  'Signalement : ' || replace(i.kind, '_', ' ') || ', situation suivie.',
  CASE WHEN i.kind = 'rent_arrears' THEN 45000 END, i.occurred_on, i.status, i.role,
  CASE WHEN i.status = 'closed' THEN pg_temp.ts(i.occurred_on + 2, 10) END,
  CASE WHEN i.status = 'closed' THEN pg_temp.ts(i.occurred_on + 30, 10) END,
  CASE WHEN i.status = 'closed' THEN 'Situation régularisée.' END,
  pg_temp.ts(i.occurred_on, 16), pg_temp.ts(i.occurred_on, 16)
FROM generate_series(1, :ncomm) c, g_inc i;

-- Today's session: 40 reviews due and 20 open incidents after the 240 applications.
INSERT INTO agenda_items (id, commission_id, session_id, kind, placement_id, position, created_at)
SELECT pg_temp.uid('item-review', c, d.j), pg_temp.uid('commission', c, 0), pg_temp.uid('session', c, 0), 'review',
  pg_temp.uid('placement', c, d.j), 240 + d.rank, pg_temp.sat(0) - interval '14 days'
FROM generate_series(1, :ncomm) c, g_due d;
INSERT INTO agenda_items (id, commission_id, session_id, kind, incident_id, position, created_at)
SELECT pg_temp.uid('item-incident', c, i.j), pg_temp.uid('commission', c, 0), pg_temp.uid('session', c, 0),
  'incident', pg_temp.uid('incident', c, i.j), 280 + i.open_rank, pg_temp.sat(0) - interval '14 days'
FROM generate_series(1, :ncomm) c, g_inc i WHERE i.open_rank <= 20;

-- ---------------------------------------------------------------------------------------------------------------
-- What the two disabled triggers check, checked for the whole load; then they are enabled again.
-- ---------------------------------------------------------------------------------------------------------------
DO $$
DECLARE
  over_capacity bigint;
  negative bigint;
  bad_agenda bigint;
BEGIN
  -- Occupancy only changes on move-in (+1) and exit (-1) days, and an exit frees the place that day: sweep the
  -- events of each unit in date order, exits first, and compare the peak with the unit's places.
  SELECT count(*) INTO over_capacity FROM (
    SELECT ev.unit_id, max(ev.run) AS peak FROM (
      SELECT unit_id, sum(delta) OVER (PARTITION BY unit_id ORDER BY day, delta ROWS UNBOUNDED PRECEDING) AS run
      FROM (SELECT unit_id, move_in_date AS day, 1 AS delta FROM placements
            UNION ALL SELECT unit_id, exit_date, -1 FROM placements WHERE exit_date IS NOT NULL) e) ev
    GROUP BY ev.unit_id) x JOIN units u ON u.id = x.unit_id
  WHERE x.peak > u.places;
  IF over_capacity > 0 THEN
    RAISE EXCEPTION 'generated data breaks placements_unit_capacity on % units', over_capacity;
  END IF;
  -- The balance after every entry, in the ledger's order.
  SELECT count(*) INTO negative FROM (
    SELECT sum(effect_cents) OVER (PARTITION BY placement_id ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS run
    FROM deposit_entries) x
  WHERE run < 0;
  IF negative > 0 THEN
    RAISE EXCEPTION 'generated data breaks deposit_entries_balance on % entries', negative;
  END IF;
  SELECT count(*) INTO bad_agenda FROM (
    SELECT session_id FROM agenda_items WHERE session_id IN (SELECT id FROM sessions WHERE status = 'open')
    GROUP BY session_id HAVING count(*) <> 300) x;
  IF bad_agenda > 0 THEN
    RAISE EXCEPTION 'plan error: % open sessions without 300 agenda items', bad_agenda;
  END IF;
END
$$;
ALTER TABLE placements ENABLE TRIGGER placements_unit_capacity;
ALTER TABLE deposit_entries ENABLE TRIGGER deposit_entries_balance;

COMMIT;
