-- The status check (GET /v1/people/{id}/status) as one primary-key read: person_status holds, per person, what
-- the check shows that does not depend on today's date, kept by the writes that change it (triggers below, in the
-- writing transaction). What depends on the date (whether the placement still runs, so whether its rent, review,
-- sliding-lease step, rent-arrears incidents and arrears plans show; a plan's state) and on the reader (a curator
-- sees no hospitalisation) is decided when the row is read (src/db/status.c). The deposit figures are not stored:
-- the read joins the placement's own entries and account.

-- What the status check shows of a person, computed from scratch: the latest application and its latest decision
-- (with its session's date), the latest placement and its unit, the sliding lease's step (sliding_schedule of 0014
-- without its date test), the last rent report, the next review (review_schedule without its date test), the open
-- incidents with their kind and the placement's arrears plans (arrears_plan_states without the date-dependent
-- state), in the order the check lists them.
CREATE VIEW person_status_source AS
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
  coalesce(pla.list, '[]') AS arrears_plans
FROM people p
LEFT JOIN LATERAL (SELECT * FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id
  ORDER BY a.created_at DESC LIMIT 1) app ON true
LEFT JOIN LATERAL (SELECT * FROM decisions d WHERE d.commission_id = p.commission_id AND d.application_id = app.id
  ORDER BY d.decided_at DESC LIMIT 1) dec ON true
LEFT JOIN sessions s ON s.commission_id = dec.commission_id AND s.id = dec.session_id
LEFT JOIN LATERAL (SELECT * FROM placements x WHERE x.commission_id = p.commission_id AND x.person_id = p.id
  ORDER BY x.move_in_date DESC LIMIT 1) pl ON true
LEFT JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id
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

-- The stored row, one per person (a person's removal, as by a merge, takes it along). The JSON columns are json,
-- not jsonb: the check shows their keys in this order.
CREATE TABLE person_status (
  commission_id uuid NOT NULL,
  person_id uuid NOT NULL,
  application_id uuid, application_status text, submitted_at timestamptz,
  outcome text, refusal_reason text, decided_at timestamptz, session_date date,
  placement_id uuid, move_in_date date, lease text, exit_date date, unit_label text, unit_town text,
  unit_rent_cents bigint, refund_to_association boolean, sliding_start_date date, planned_slide_on date, slid_on date,
  last_tripartite_on date, tripartite_review_on date, prefect_notice_due_on date, prefect_notice_sent_on date,
  rent_status text, arrears_cents bigint, rent_as_of date,
  next_review_on date,
  open_incidents json NOT NULL,
  arrears_plans json NOT NULL,
  PRIMARY KEY (commission_id, person_id),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id) ON DELETE CASCADE
);
ALTER TABLE person_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_status FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON person_status USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- One person's row recomputed from scratch (none when the person is gone). PL/pgSQL so that its plan is kept
-- for the session. The row is locked first, and computed by the next statement, with a snapshot taken once the
-- lock is held: two transactions writing about the same person at once refresh one after the other, the second
-- seeing what the first committed (computed before waiting, its row would lose the first one's change).
CREATE FUNCTION person_status_refresh(p_commission uuid, p_person uuid) RETURNS void LANGUAGE plpgsql AS $$
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
    arrears_plans = EXCLUDED.arrears_plans;
END
$$;

-- The people whose row a changed row of some kind touches: KIND names what KEYS are (people, applications,
-- placements, units, incidents, arrears plans or sessions) in COMMISSION.
CREATE FUNCTION person_status_people(p_kind text, p_commission uuid, p_keys uuid[]) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
  SELECT k FROM unnest(p_keys) k WHERE p_kind = 'person' AND k IS NOT NULL
  UNION SELECT a.person_id FROM applications a
    WHERE p_kind = 'application' AND a.commission_id = p_commission AND a.id = ANY (p_keys)
  UNION SELECT a.person_id FROM decisions d
    JOIN applications a ON a.commission_id = d.commission_id AND a.id = d.application_id
    WHERE p_kind = 'session' AND d.commission_id = p_commission AND d.session_id = ANY (p_keys)
  UNION SELECT x.person_id FROM placements x WHERE x.commission_id = p_commission
    AND ((p_kind = 'placement' AND x.id = ANY (p_keys)) OR (p_kind = 'unit' AND x.unit_id = ANY (p_keys)))
  UNION SELECT x.person_id FROM incidents i
    JOIN placements x ON x.commission_id = i.commission_id AND x.id = i.placement_id
    WHERE p_kind = 'incident' AND i.commission_id = p_commission AND i.id = ANY (p_keys)
  UNION SELECT x.person_id FROM arrears_plans ap
    JOIN incidents i ON i.commission_id = ap.commission_id AND i.id = ap.incident_id
    JOIN placements x ON x.commission_id = i.commission_id AND x.id = i.placement_id
    WHERE p_kind = 'plan' AND ap.commission_id = p_commission AND ap.id = ANY (p_keys)
$$;

-- The row trigger of every table the check reads: TG_ARGV[0] is the kind of key (person_status_people), TG_ARGV[1]
-- the column holding it; the rows of the people its old and new versions point at are refreshed, in the order of
-- their ids (two writes locking the same rows lock them in the same order).
CREATE FUNCTION person_status_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c uuid := coalesce(NEW.commission_id, OLD.commission_id);
  person uuid;
BEGIN
  FOR person IN SELECT k FROM person_status_people(TG_ARGV[0], c,
      ARRAY[(to_jsonb(NEW) ->> TG_ARGV[1])::uuid, (to_jsonb(OLD) ->> TG_ARGV[1])::uuid]) k ORDER BY k LOOP
    PERFORM person_status_refresh(c, person);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER person_status_person AFTER INSERT ON people
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'id');
CREATE TRIGGER person_status_application AFTER INSERT OR DELETE OR UPDATE OF person_id, status, submitted_at,
  created_at ON applications FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'person_id');
CREATE TRIGGER person_status_decision AFTER INSERT OR DELETE OR UPDATE OF application_id, outcome, refusal_reason,
  decided_at, session_id ON decisions
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('application', 'application_id');
CREATE TRIGGER person_status_session AFTER UPDATE OF session_date ON sessions
  FOR EACH ROW WHEN (OLD.session_date IS DISTINCT FROM NEW.session_date)
  EXECUTE FUNCTION person_status_touch('session', 'id');
CREATE TRIGGER person_status_placement AFTER INSERT OR DELETE OR UPDATE ON placements
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'person_id');
CREATE TRIGGER person_status_unit AFTER UPDATE OF label, town, rent_cents ON units
  FOR EACH ROW WHEN ((OLD.label, OLD.town, OLD.rent_cents) IS DISTINCT FROM (NEW.label, NEW.town, NEW.rent_cents))
  EXECUTE FUNCTION person_status_touch('unit', 'id');
CREATE TRIGGER person_status_review AFTER INSERT OR DELETE OR UPDATE OF placement_id, review_date, rent_status,
  arrears_cents, rent_at, tripartite ON reviews
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE TRIGGER person_status_incident AFTER INSERT OR DELETE OR UPDATE OF placement_id, kind, occurred_on, status,
  arrears_cents, created_at ON incidents FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE TRIGGER person_status_prefect_notice AFTER INSERT OR DELETE OR UPDATE ON prefect_notices
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE TRIGGER person_status_arrears_plan AFTER INSERT OR DELETE OR UPDATE ON arrears_plans
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('incident', 'incident_id');
CREATE TRIGGER person_status_arrears_instalment AFTER INSERT OR DELETE OR UPDATE ON arrears_instalments
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('plan', 'plan_id');
CREATE TRIGGER person_status_arrears_payment AFTER INSERT OR DELETE OR UPDATE ON arrears_payments
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('plan', 'plan_id');

-- Every row recomputed at once, set-based: after a bulk load made with the triggers off (bench/lib/gen.sql), or
-- here, for the people already there.
CREATE FUNCTION person_status_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM person_status;
  INSERT INTO person_status SELECT * FROM person_status_source;
$$;

-- The triggers above off (P_ENABLED false) or on again, for a bulk load that calls person_status_rebuild() before
-- it commits. A row trigger costs a few tenths of a millisecond per row written, which an API write does not feel
-- but a load of a million rows does.
CREATE FUNCTION person_status_triggers(p_enabled boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT g.tgrelid::regclass AS tab, g.tgname FROM pg_trigger g
           WHERE g.tgname LIKE 'person\_status\_%' AND NOT g.tgisinternal LOOP
    EXECUTE format('ALTER TABLE %s %s TRIGGER %I', t.tab, CASE WHEN p_enabled THEN 'ENABLE' ELSE 'DISABLE' END,
                   t.tgname);
  END LOOP;
END
$$;

SELECT person_status_rebuild();
