-- The status check in three look-ups and without expressions (issue 15: the status check as one look-up). Its
-- statement (src/db/status.c) joined the person, the status row, the deposit totals, and once an exit was set the
-- placement (its exit inspection) and the provision, and computed the account's columns and what shows while the
-- placement runs in about forty expressions. perf of the daemon's backends during status checks (wrk, 16
-- connections, a curator's 500 people): the executor's start 49 % of their samples (a projection, a qualifier
-- and a row-level security filter to build for each relation and expression, an ACL check per function called),
-- its run 29 %; pgbench of the statement alone, generic plan, row-level security: 32 000 calls a second, 42 000
-- with the columns returned as they are, 59 000 without the placement's and the provision's joins. The status row
-- now keeps the latest placement's exit inspection and its provision (amount, day the accounts were approved), and
-- the daemon computes the account's status, due dates and what shows while the placement runs
-- (src/api/status.c). A provision's write refreshes its person's row (a trigger below, deferred to the commit as
-- 0030's), a placement's already did.
ALTER TABLE person_status ADD COLUMN exit_inspection_matches boolean, ADD COLUMN provision_cents bigint,
  ADD COLUMN accounts_approved_on date;

-- 0022's view, the three columns added last (person_status_rebuild() and bench/lib/gen-load.sql insert its rows
-- into person_status by position).
CREATE OR REPLACE VIEW person_status_source AS
SELECT p.commission_id, p.id AS person_id,
  app.id AS application_id, app.status AS application_status, app.submitted_at,
  dec.outcome, dec.refusal_reason, dec.decided_at, s.session_date,
  pl.id AS placement_id, pl.move_in_date, pl.lease, pl.exit_date, u.label AS unit_label, u.town AS unit_town,
  u.rent_cents AS unit_rent_cents, pl.refund_to_association, pl.sliding_start_date, pl.planned_slide_on, pl.slid_on,
  sl.last_tripartite_on, sl.tripartite_review_on,
  (sl.tripartite_review_on - interval '2 months')::date AS prefect_notice_due_on,
  n.sent_on AS prefect_notice_sent_on,
  rv.rent_status, rv.arrears_cents, rv.review_date AS rent_as_of,
  least((coalesce(rr.last_review, pl.move_in_date) + interval '3 months')::date,
        CASE WHEN pl.lease = 'sliding_lease' AND pl.slid_on IS NULL
             THEN (coalesce(rr.last_tripartite, pl.sliding_start_date) + interval '6 months')::date END)
    AS next_review_on,
  coalesce(inc.list, '[]') AS open_incidents,
  coalesce(pla.list, '[]') AS arrears_plans,
  pl.exit_inspection_matches, dp.amount_cents AS provision_cents, dp.accounts_approved_on
FROM people p
LEFT JOIN LATERAL (SELECT * FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id
  ORDER BY a.created_at DESC LIMIT 1) app ON true
LEFT JOIN LATERAL (SELECT * FROM decisions d WHERE d.commission_id = p.commission_id AND d.application_id = app.id
  ORDER BY d.decided_at DESC LIMIT 1) dec ON true
LEFT JOIN sessions s ON s.commission_id = dec.commission_id AND s.id = dec.session_id
LEFT JOIN LATERAL (SELECT * FROM placements x WHERE x.commission_id = p.commission_id AND x.person_id = p.id
  ORDER BY x.move_in_date DESC LIMIT 1) pl ON true
LEFT JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id
LEFT JOIN deposit_provisions dp ON dp.commission_id = pl.commission_id AND dp.placement_id = pl.id
LEFT JOIN LATERAL (SELECT max(r.review_date) AS last_review, max(r.review_date) FILTER (WHERE r.tripartite)
  AS last_tripartite FROM reviews r WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id) rr ON true
LEFT JOIN LATERAL (SELECT rr.last_tripartite AS last_tripartite_on,
  (coalesce(rr.last_tripartite, pl.sliding_start_date) + interval '6 months')::date AS tripartite_review_on
  WHERE pl.lease = 'sliding_lease' AND pl.slid_on IS NULL) sl ON true
LEFT JOIN prefect_notices n ON n.commission_id = pl.commission_id AND n.placement_id = pl.id
  AND n.period_end = sl.tripartite_review_on
LEFT JOIN LATERAL (SELECT r.rent_status, r.arrears_cents, r.review_date FROM reviews r
  WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id AND r.rent_status IS NOT NULL
  ORDER BY r.review_date DESC, r.rent_at DESC LIMIT 1) rv ON true
LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', i.id, 'kind', i.kind, 'occurred_on', i.occurred_on,
  'status', i.status, 'arrears_cents', i.arrears_cents) ORDER BY i.created_at) AS list
  FROM incidents i WHERE i.commission_id = pl.commission_id AND i.placement_id = pl.id AND i.status <> 'closed') inc
  ON true
LEFT JOIN LATERAL (SELECT json_agg(json_build_object('incident_id', st.incident_id, 'total_cents', st.total_cents,
  'paid_cents', st.paid_cents, 'next_due_on', st.next_due_on, 'next_due_cents', st.next_due_cents)
  ORDER BY i.created_at) AS list
  FROM incidents i JOIN arrears_plan_states st ON st.commission_id = i.commission_id AND st.incident_id = i.id
  WHERE i.commission_id = pl.commission_id AND i.placement_id = pl.id) pla ON true;
ALTER VIEW person_status_source SET (security_invoker = true);

-- 0022's refresh, the three columns added.
CREATE OR REPLACE FUNCTION person_status_refresh(p_commission uuid, p_person uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM person_status t WHERE t.commission_id = p_commission AND t.person_id = p_person FOR UPDATE;
  INSERT INTO person_status SELECT * FROM person_status_source v
    WHERE v.commission_id = p_commission AND v.person_id = p_person
  ON CONFLICT (commission_id, person_id) DO UPDATE SET
    application_id = EXCLUDED.application_id, application_status = EXCLUDED.application_status,
    submitted_at = EXCLUDED.submitted_at, outcome = EXCLUDED.outcome, refusal_reason = EXCLUDED.refusal_reason,
    decided_at = EXCLUDED.decided_at, session_date = EXCLUDED.session_date, placement_id = EXCLUDED.placement_id,
    move_in_date = EXCLUDED.move_in_date, lease = EXCLUDED.lease, exit_date = EXCLUDED.exit_date,
    unit_label = EXCLUDED.unit_label, unit_town = EXCLUDED.unit_town, unit_rent_cents = EXCLUDED.unit_rent_cents,
    refund_to_association = EXCLUDED.refund_to_association, sliding_start_date = EXCLUDED.sliding_start_date,
    planned_slide_on = EXCLUDED.planned_slide_on, slid_on = EXCLUDED.slid_on,
    last_tripartite_on = EXCLUDED.last_tripartite_on, tripartite_review_on = EXCLUDED.tripartite_review_on,
    prefect_notice_due_on = EXCLUDED.prefect_notice_due_on, prefect_notice_sent_on = EXCLUDED.prefect_notice_sent_on,
    rent_status = EXCLUDED.rent_status, arrears_cents = EXCLUDED.arrears_cents, rent_as_of = EXCLUDED.rent_as_of,
    next_review_on = EXCLUDED.next_review_on, open_incidents = EXCLUDED.open_incidents,
    arrears_plans = EXCLUDED.arrears_plans, exit_inspection_matches = EXCLUDED.exit_inspection_matches,
    provision_cents = EXCLUDED.provision_cents, accounts_approved_on = EXCLUDED.accounts_approved_on;
END
$$;

CREATE CONSTRAINT TRIGGER person_status_provision AFTER INSERT OR DELETE OR UPDATE ON deposit_provisions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');

-- The rows already there (row-level security bypassed by the migration's role, as the migrations before).
UPDATE person_status ps SET exit_inspection_matches = v.exit_inspection_matches, provision_cents = v.provision_cents,
  accounts_approved_on = v.accounts_approved_on
FROM person_status_source v WHERE v.commission_id = ps.commission_id AND v.person_id = ps.person_id
  AND v.placement_id IS NOT NULL;
