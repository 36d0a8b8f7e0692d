-- The rows of commissions :cfrom to :cto (bench/lib/gen.sql explains the steps), in one transaction. Run by psql
-- as a superuser, with the plan of gen.sql in the schema bench_gen.
\ir gen-settings.sql
SELECT nland, nres, ncur, ncare, npart, nsess, npeople, today FROM g_param \gset

BEGIN;
-- ---------------------------------------------------------------------------------------------------------------
-- Rows
-- ---------------------------------------------------------------------------------------------------------------

INSERT INTO commissions (id, name, created_at)
SELECT bench_gen.uid('commission', c, 0), 'Commission appartement (banc d''essai ' || c || ')',
  bench_gen.ts(bench_gen.sday(:nsess + 1), 9)
FROM generate_series(:cfrom, :cto) c;

INSERT INTO organisations (id, commission_id, kind, name, town, address, email, phone, created_at, updated_at)
SELECT bench_gen.uid('org-' || k.kind, c, i), bench_gen.uid('commission', c, 0), k.kind,
  k.label || ' ' || (i + 1),
  (ARRAY['Lille', 'Roubaix', 'Tourcoing', 'Villeneuve-d''Ascq', 'Lambersart', 'Wattrelos', 'Croix',
         'Marcq-en-Barœul'])[1 + i % 8],
  (10 + i) || ' boulevard de la Liberté', 'contact' || i || '@' || replace(k.kind, '_', '-') || '.example.org',
  '03 20 ' || lpad((i * 7919 % 1000000)::text, 6, '0'), bench_gen.ts(bench_gen.sday(:nsess + 1), 10),
  bench_gen.ts(bench_gen.sday(:nsess + 1), 10)
FROM generate_series(:cfrom, :cto) c
CROSS JOIN (VALUES ('landlord', :nland, 'Bailleur social'), ('residence', :nres, 'Résidence accueil'),
                   ('curator_service', :ncur, 'Service mandataire'), ('care_team', :ncare, 'Équipe de secteur'),
                   ('partner', :npart, 'Partenaire')) k(kind, n, label)
CROSS JOIN LATERAL generate_series(0, k.n - 1) i;

INSERT INTO people (id, commission_id, family_name, given_names, birth_date, phone, email, address, care_team_id,
                    protection, curator_org_id, protection_start, created_at, updated_at)
SELECT bench_gen.uid('person', c, i), bench_gen.uid('commission', c, 0),
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
  bench_gen.uid('org-care_team', c, i % :ncare), x.prot,
  CASE WHEN x.prot <> 'none' THEN bench_gen.uid('org-curator_service', c, (i / 10) % :ncur) END,
  CASE WHEN x.prot <> 'none' THEN date '2010-01-01' + i % 3000 END,
  f.created_at - interval '7 days', f.created_at - interval '7 days'
FROM generate_series(:cfrom, :cto) c
CROSS JOIN (SELECT i, min(created_at) AS created_at FROM g_app GROUP BY i) f
CROSS JOIN LATERAL (SELECT (ARRAY['curatelle_simple', 'curatelle_renforcee', 'tutelle', 'sauvegarde_de_justice',
                                  'none', 'none', 'none', 'none', 'none', 'none'])[1 + f.i % 10] AS prot) x;

INSERT INTO care_notes (commission_id, person_id, body, author_role, created_at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('person', c, i),
  'Entretien infirmier : traitement suivi, projet de logement travaillé avec la personne.', 'caregiver',
  bench_gen.ts(:'today'::date - i % 700, 15)
FROM generate_series(:cfrom, :cto) c, generate_series(2, :npeople, 2) i;

INSERT INTO units (id, commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, charges_cents,
                   deposit_cents, status, created_at, updated_at)
SELECT bench_gen.uid('unit', c, u.u), bench_gen.uid('commission', c, 0), u.kind,
  CASE WHEN u.places = 1 THEN 'Appartement T' || (1 + u.u % 3) || ' n°' || u.u ELSE 'Places partagées n°' || u.u END,
  (u.u % 150 + 1) || ' avenue de la République',
  (ARRAY['Lille', 'Roubaix', 'Tourcoing', 'Villeneuve-d''Ascq', 'Lambersart', 'Wattrelos', 'Croix',
         'Marcq-en-Barœul'])[1 + u.u % 8],
  bench_gen.uid('org-' || u.org_kind, c, u.org_idx), u.places, u.rent_cents, 5000, u.rent_cents,
  CASE WHEN u.places = 1 AND u.u IN (SELECT p.u FROM g_pl p WHERE p.exit_date IS NULL)
       THEN 'occupied' ELSE 'available' END,
  bench_gen.ts(bench_gen.sday(:nsess + 1), 11), bench_gen.ts(bench_gen.sday(:nsess + 1), 11)
FROM generate_series(:cfrom, :cto) c, g_unit u;

INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, reason, at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('unit', c, u.u), NULL, 'available', 'mise à disposition',
  bench_gen.ts(bench_gen.sday(:nsess + 1), 11)
FROM generate_series(:cfrom, :cto) c, g_unit u;

-- One agreement per landlord and residence, covering its units; a third of them renewed once.
INSERT INTO agreements (id, commission_id, org_id, reference, signatory, start_date, end_date, notes, created_at,
                        updated_at)
SELECT bench_gen.uid('agreement-' || k.kind, c, i), bench_gen.uid('commission', c, 0),
  bench_gen.uid('org-' || k.kind, c, i), 'CONV-' || upper(left(k.kind, 3)) || '-' || (i + 1), 'Direction ' || (i + 1),
  bench_gen.sday(:nsess + 1), :'today'::date + 30 + (i * 97) % 700, NULL,
  bench_gen.ts(bench_gen.sday(:nsess + 1), 12), bench_gen.ts(bench_gen.sday(:nsess + 1), 12)
FROM generate_series(:cfrom, :cto) c
CROSS JOIN (VALUES ('landlord', :nland), ('residence', :nres)) k(kind, n)
CROSS JOIN LATERAL generate_series(0, k.n - 1) i;

INSERT INTO agreement_units (commission_id, agreement_id, unit_id)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('agreement-' || u.org_kind, c, u.org_idx),
  bench_gen.uid('unit', c, u.u)
FROM generate_series(:cfrom, :cto) c, g_unit u;

INSERT INTO agreement_renewals (commission_id, agreement_id, previous_end_date, new_end_date, signatory, renewed_at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('agreement-landlord', c, i), bench_gen.sday(8),
  :'today'::date + 30 + (i * 97) % 700, 'Direction ' || (i + 1), bench_gen.ts(bench_gen.sday(9), 10)
FROM generate_series(:cfrom, :cto) c, generate_series(0, :nland - 1, 3) i;

INSERT INTO sessions (id, commission_id, session_date, town, place, chair_name, chair_title, status, opened_at,
                      closed_at, created_at, updated_at)
SELECT bench_gen.uid('session', c, k), bench_gen.uid('commission', c, 0), bench_gen.sday(k), 'Lille',
  'Salle du conseil, mairie', 'Mme la Présidente', 'Élue déléguée à la santé', CASE WHEN k = 0 THEN 'open' ELSE 'closed' END,
  bench_gen.ts(bench_gen.sday(k), 9), CASE WHEN k > 0 THEN bench_gen.ts(bench_gen.sday(k), 17) END,
  bench_gen.ts(bench_gen.sday(k) - 30, 9), bench_gen.ts(bench_gen.sday(k), 17)
FROM generate_series(:cfrom, :cto) c, generate_series(0, :nsess) k;

INSERT INTO session_attendees (commission_id, session_id, attendee_group, name, organisation, position)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('session', c, k), g.grp, g.name, g.org, g.pos
FROM generate_series(:cfrom, :cto) c, generate_series(0, :nsess) k,
  (VALUES (1, 'elected_officials', 'Mme la Présidente', 'Ville'), (2, 'landlords', 'M. Bailleur', 'Bailleur social 1'),
          (3, 'care_team', 'Dr Secteur', 'EPSM'), (4, 'curators', 'Mme Mandataire', 'Service mandataire 1'),
          (5, 'user_family_associations', 'M. Unafam', 'UNAFAM'), (6, 'association', 'Mme Coordinatrice', 'Association'))
    g(pos, grp, name, org);

INSERT INTO applications (id, commission_id, person_id, situation, wished_unit_kinds, wished_towns, urgency,
                          referent_name, status, submitted_at, decided_at, decided_on, created_by_role, version,
                          created_at, updated_at)
SELECT bench_gen.uid(a.key, c, a.i), bench_gen.uid('commission', c, 0), bench_gen.uid('person', c, a.i),
  'Situation : hébergé(e) chez un tiers, suivi régulier au CMP, souhaite un logement autonome accompagné.',
  CASE WHEN a.i % 3 = 0 THEN '{hlm_apartment}'::text[] ELSE '{hlm_apartment,foyer_place}'::text[] END,
  CASE WHEN a.i % 2 = 0 THEN '{Lille,Roubaix}'::text[] ELSE '{Lille}'::text[] END,
  (ARRAY['normal', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + a.i % 6], 'Référent CMP ' || (a.i % 50),
  a.status, a.submitted_at, a.decided_at, (a.decided_at AT TIME ZONE 'Europe/Paris')::date,
  CASE WHEN a.i % 2 = 0 THEN 'caregiver' ELSE 'coordinator' END, 1 + (a.status <> 'draft')::integer * 2,
  a.created_at, greatest(a.created_at, coalesce(a.decided_at, a.submitted_at, a.created_at))
FROM generate_series(:cfrom, :cto) c, g_app a;

INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, session_id, role, at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid(e.key, c, e.i), e.from_status, e.to_status, e.reason,
  CASE WHEN e.k IS NOT NULL THEN bench_gen.uid('session', c, e.k) END, e.role, e.at
FROM generate_series(:cfrom, :cto) c,
  (SELECT key, i, 'draft' AS from_status, 'submitted' AS to_status, NULL AS reason, NULL::integer AS k,
          'coordinator' AS role, submitted_at AS at FROM g_app WHERE status <> 'draft'
   UNION ALL
   SELECT key, i, 'submitted', 'scheduled', 'put on the agenda', k, 'coordinator', bench_gen.sat(k) - interval '14 days'
   FROM g_app WHERE k IS NOT NULL
   UNION ALL
   SELECT key, i, 'scheduled', CASE outcome WHEN 'approve' THEN 'approved' WHEN 'refuse' THEN 'refused'
                                             ELSE 'deferred' END, NULL, k, 'coordinator', decided_at
   FROM g_app WHERE outcome IS NOT NULL
   UNION ALL
   SELECT key, i, 'approved', 'placed', NULL, NULL, 'coordinator', bench_gen.ts(move_in, 10)
   FROM g_app WHERE status = 'placed'
   UNION ALL
   SELECT key, i, 'approved', 'lapsed', 'not placed within 180 days of approval', NULL, 'system',
     decided_at + interval '181 days' FROM g_app WHERE status = 'lapsed'
   UNION ALL
   SELECT key, i, 'submitted', 'withdrawn', 'la personne a trouvé une autre solution', NULL, 'coordinator',
     submitted_at + interval '40 days' FROM g_app WHERE status = 'withdrawn') e;

INSERT INTO agenda_items (id, commission_id, session_id, kind, application_id, position, created_at)
SELECT bench_gen.uid('item-' || a.key, c, a.i), bench_gen.uid('commission', c, 0), bench_gen.uid('session', c, a.k),
  'application', bench_gen.uid(a.key, c, a.i), a.position, bench_gen.sat(a.k) - interval '14 days'
FROM generate_series(:cfrom, :cto) c, g_app a WHERE a.k IS NOT NULL;

INSERT INTO decisions (id, commission_id, session_id, agenda_item_id, application_id, outcome, unit_id, refusal_reason,
                       comment, decided_at, decided_on)
SELECT bench_gen.uid('decision-' || a.key, c, a.i), bench_gen.uid('commission', c, 0), bench_gen.uid('session', c, a.k),
  bench_gen.uid('item-' || a.key, c, a.i), bench_gen.uid(a.key, c, a.i), a.outcome,
  CASE WHEN a.unit_u IS NOT NULL THEN bench_gen.uid('unit', c, a.unit_u) END,
  CASE WHEN a.outcome = 'refuse' THEN (ARRAY['no_suitable_unit', 'care_project_not_ready', 'incomplete_file',
                                             'outside_sector', 'needs_other_structure', 'other'])[1 + a.i % 6] END,
  CASE WHEN a.i % 4 = 0 THEN 'Avis favorable de l''équipe de secteur.' END, a.decided_at,
  (a.decided_at AT TIME ZONE 'Europe/Paris')::date
FROM generate_series(:cfrom, :cto) c, g_app a WHERE a.outcome IS NOT NULL;

-- The reviews before their placements (the foreign keys are off until gen-finish.sql): each review's trigger
-- (reviews_next_review_moved, migrations/0024) marks its placement's next review date for recomputing, an UPDATE
-- of the placement that writes a new row version into each of its indexes, up to four times per placement (120 s
-- of the large set's 270 s of rows); inserted first, the trigger finds no placement yet, and each placement's
-- insert computes its next review date from its reviews (placements_derived_columns), the value those updates
-- would have left.
INSERT INTO reviews (commission_id, placement_id, review_date, care_followup, care_by_role, care_at, rent_status,
                     arrears_cents, rent_by_role, rent_at, housing, housing_by_role, housing_at, autonomy,
                     autonomy_by_role, autonomy_at, outcome, outcome_by_role, outcome_at, created_at, updated_at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('placement', c, r.j), r.review_date,
  'Suivi régulier, observance correcte.', 'caregiver', bench_gen.ts(r.review_date, 10),
  CASE WHEN (r.j + r.n) % 13 = 0 THEN 'arrears' ELSE 'up_to_date' END,
  CASE WHEN (r.j + r.n) % 13 = 0 THEN 15000 + r.j % 50 * 1000 END, 'landlord', bench_gen.ts(r.review_date, 11),
  'Logement bien entretenu.', 'landlord', bench_gen.ts(r.review_date, 11),
  'Autonomie en progrès pour les courses et les démarches.', 'coordinator', bench_gen.ts(r.review_date, 12),
  (ARRAY['continue', 'continue', 'continue', 'adjust_support', 'prepare_lease_transfer'])[1 + (r.j + r.n) % 5],
  'coordinator', bench_gen.ts(r.review_date, 12), bench_gen.ts(r.review_date, 10), bench_gen.ts(r.review_date, 12)
FROM generate_series(:cfrom, :cto) c, g_rev r;

INSERT INTO placements (id, commission_id, application_id, person_id, unit_id, session_id, move_in_date, lease,
                        sliding_start_date, exit_date, exit_reason, exit_comment, exit_inspection_matches, version, created_at, updated_at)
SELECT bench_gen.uid('placement', c, p.j), bench_gen.uid('commission', c, 0), bench_gen.uid('app', c, p.j),
  bench_gen.uid('person', c, p.j), bench_gen.uid('unit', c, p.u), bench_gen.uid('session', c, p.k), p.move_in,
  (ARRAY['association_main_tenant', 'sliding_lease', 'direct_lease'])[1 + p.j % 3],
  CASE WHEN p.j % 3 = 1 THEN p.move_in END, p.exit_date,
  CASE WHEN p.exit_date IS NOT NULL THEN (ARRAY['lease_transferred', 'lease_transferred', 'other_housing',
    'care_facility', 'hospitalisation', 'departure_without_notice', 'eviction', 'other'])[1 + p.j % 8] END,
  CASE WHEN p.exit_date IS NOT NULL AND p.j % 5 = 0 THEN 'Sortie préparée avec l''équipe.' END,
  CASE WHEN p.exit_date IS NOT NULL THEN p.j % 4 <> 0 END, 1 + (p.exit_date IS NOT NULL)::integer,
  bench_gen.ts(p.move_in, 10), bench_gen.ts(coalesce(p.exit_date, p.move_in), 10)
FROM generate_series(:cfrom, :cto) c, g_pl p;

INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date, justification,
                             role, created_at)
SELECT bench_gen.uid('commission', c, 0), bench_gen.uid('placement', c, d.j), d.kind, d.amount, d.effect, d.entry_date,
  d.justification, CASE WHEN d.kind = 'paid' THEN 'coordinator' ELSE 'landlord' END,
  bench_gen.ts(d.entry_date, 9 + d.n)
FROM generate_series(:cfrom, :cto) c, g_dep d;

INSERT INTO incidents (id, commission_id, placement_id, kind, description, arrears_cents, occurred_on, status,
                       reported_by_role, acknowledged_at, closed_at, closing_note, created_at, updated_at)
SELECT bench_gen.uid('incident', c, i.j), bench_gen.uid('commission', c, 0), bench_gen.uid('placement', c, i.j), i.kind,
  'Signalement : ' || replace(i.kind, '_', ' ') || ', situation suivie.',
  CASE WHEN i.kind = 'rent_arrears' THEN 45000 END, i.occurred_on, i.status, i.role,
  CASE WHEN i.status = 'closed' THEN bench_gen.ts(i.occurred_on + 2, 10) END,
  CASE WHEN i.status = 'closed' THEN bench_gen.ts(i.occurred_on + 30, 10) END,
  CASE WHEN i.status = 'closed' THEN 'Situation régularisée.' END,
  bench_gen.ts(i.occurred_on, 16), bench_gen.ts(i.occurred_on, 16)
FROM generate_series(:cfrom, :cto) c, g_inc i;

-- Today's session: 40 reviews due and 20 open incidents after the 240 applications.
INSERT INTO agenda_items (id, commission_id, session_id, kind, placement_id, position, created_at)
SELECT bench_gen.uid('item-review', c, d.j), bench_gen.uid('commission', c, 0), bench_gen.uid('session', c, 0), 'review',
  bench_gen.uid('placement', c, d.j), 240 + d.rank, bench_gen.sat(0) - interval '14 days'
FROM generate_series(:cfrom, :cto) c, g_due d;
INSERT INTO agenda_items (id, commission_id, session_id, kind, incident_id, position, created_at)
SELECT bench_gen.uid('item-incident', c, i.j), bench_gen.uid('commission', c, 0), bench_gen.uid('session', c, 0),
  'incident', bench_gen.uid('incident', c, i.j), 280 + i.open_rank, bench_gen.sat(0) - interval '14 days'
FROM generate_series(:cfrom, :cto) c, g_inc i WHERE i.open_rank <= 20;

-- The status rows of these commissions' people, from the view person_status_rebuild() (migrations/0022) inserts
-- (its triggers are off for the load, gen.sql): each loader its own commissions, at once, rather than one rebuild
-- of the whole set in gen-finish.sql (40 s on the large set).
INSERT INTO person_status
SELECT * FROM person_status_source s
WHERE s.commission_id IN (SELECT bench_gen.uid('commission', c, 0) FROM generate_series(:cfrom, :cto) c);

-- Their agendas' kept lines likewise, from the view agenda_lines_rebuild() (migrations/0046) inserts.
INSERT INTO agenda_lines
SELECT * FROM agenda_line_source s
WHERE s.commission_id IN (SELECT bench_gen.uid('commission', c, 0) FROM generate_series(:cfrom, :cto) c);

COMMIT;
