-- The agenda as a kept read model. GET /v1/sessions/{id}/agenda (and a decision's answer, the minutes, the agenda
-- pack, which read the same statement) looked each line's rows up at every read: its application, person, standing
-- decision and that decision's unit, the placement to review or the incident and its placement's unit, each an
-- index descent under row-level security. On the bench's small set, 300 lines cost 3.6-3.8 ms of the backend per
-- read (pgbench of the statement alone, one connection: 3.97-4.15 ms), three quarters of it in index look-ups
-- (perf: index_getnext_slot 32 %, _bt_first 25 % of the backend's samples), for about 3 000 buffers hit; on the
-- large set each look-up descends one level deeper, which a decision (answering the agenda) paid too.
--
-- Each line's columns are now kept in agenda_lines, one row per agenda item, refreshed by row triggers in the same
-- statement as the write that changes them (not deferred to the commit as person_status is: a decision answers
-- the agenda in its own transaction). A read is one range of one index, in the agenda's order. What depends on the
-- day is decided at the read: the days waited; a review's next due date, the placement's kept next_review_on
-- (0024) while it runs, else three months after its last review (or its move-in), both kept, and chosen by its
-- kept exit date (review_schedule knows only the placements still running today); an arrears plan's state (late
-- once an instalment's day has passed) stays a look-up, for the incidents' lines only. The reader's scope is
-- applied at the read, from the kept copies of the person's care team and curator, the unit's landlord and the
-- incident's kind and reporter.
--
-- agenda_line_source computes the same columns from the tables (the look-ups as before, migrations/0005): the
-- refresh of one line reads it for one item; agenda_lines_rebuild() for all (a bulk load with the triggers off,
-- agenda_line_triggers(false), as bench/lib/gen.sql does); tests/http/test_person_status_property.py compares the
-- kept lines with it after every write of a random sequence.
CREATE VIEW agenda_line_source AS
SELECT i.commission_id, i.id AS item_id, i.session_id, i.position, i.created_at, i.kind, i.note,
  a.id AS application_id, a.status AS application_status, a.urgency, to_json(a.wished_unit_kinds) AS wished_unit_kinds,
  to_json(a.wished_towns) AS wished_towns, a.submitted_at, a.situation,
  p.id AS person_id, p.family_name, p.given_names, p.birth_date, p.care_team_id, p.curator_org_id,
  d.id AS decision_id, d.outcome, d.unit_id, d.refusal_reason, d.comment, d.decided_on, d.decided_at,
  d.corrects_decision_id, du.label AS unit_label, du.town AS unit_town,
  pl.id AS placement_id, pl.move_in_date, pl.exit_date AS placement_exit_date,
  CASE WHEN i.kind = 'review' THEN pl.next_review_on END AS placement_next_review_on,
  CASE WHEN i.kind = 'review' THEN (coalesce((SELECT max(r.review_date) FROM reviews r
    WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id), pl.move_in_date) + interval '3 months')::date
  END AS review_fallback_on, pu.id AS placement_unit_id, pu.label AS placement_unit_label,
  pu.town AS placement_unit_town, pu.landlord_org_id,
  inc.id AS incident_id, inc.kind AS incident_kind, inc.status AS incident_status, inc.occurred_on,
  inc.reported_by_role
FROM agenda_items i
LEFT JOIN LATERAL (SELECT * FROM applications x WHERE x.commission_id = i.commission_id AND x.id = i.application_id
  OFFSET 0) a ON true
LEFT JOIN LATERAL (SELECT * FROM incidents x WHERE x.commission_id = i.commission_id AND x.id = i.incident_id
  OFFSET 0) inc ON true
LEFT JOIN LATERAL (SELECT * FROM placements x WHERE x.commission_id = i.commission_id
  AND x.id = CASE WHEN i.placement_id IS NULL THEN inc.placement_id ELSE i.placement_id END OFFSET 0) pl ON true
LEFT JOIN LATERAL (SELECT * FROM units x WHERE x.commission_id = i.commission_id AND x.id = pl.unit_id OFFSET 0) pu
  ON true
LEFT JOIN LATERAL (SELECT * FROM people x WHERE x.commission_id = i.commission_id
  AND x.id = CASE WHEN a.person_id IS NULL THEN pl.person_id ELSE a.person_id END OFFSET 0) p ON true
LEFT JOIN LATERAL (SELECT * FROM decisions x WHERE x.agenda_item_id = i.id
  ORDER BY x.decided_at DESC, x.corrects_decision_id IS NULL LIMIT 1) d ON true
LEFT JOIN LATERAL (SELECT * FROM units x WHERE x.commission_id = i.commission_id AND x.id = d.unit_id OFFSET 0) du
  ON true;
ALTER VIEW agenda_line_source SET (security_invoker = true);

-- The kept line of each agenda item, gone with its item. The indexes: the agenda's order (the read), and each row
-- a line copies from, to find the lines a change of that row touches.
CREATE TABLE agenda_lines (
  commission_id uuid NOT NULL,
  item_id uuid NOT NULL,
  session_id uuid NOT NULL,
  position integer NOT NULL,
  created_at timestamptz NOT NULL,
  kind text NOT NULL,
  note text,
  application_id uuid, application_status text, urgency text, wished_unit_kinds json, wished_towns json,
  submitted_at timestamptz, situation text,
  person_id uuid, family_name text, given_names text, birth_date date, care_team_id uuid, curator_org_id uuid,
  decision_id uuid, outcome text, unit_id uuid, refusal_reason text, comment text, decided_on date,
  decided_at timestamptz, corrects_decision_id uuid, unit_label text, unit_town text,
  placement_id uuid, move_in_date date, placement_exit_date date, placement_next_review_on date,
  review_fallback_on date, placement_unit_id uuid, placement_unit_label text,
  placement_unit_town text, landlord_org_id uuid,
  incident_id uuid, incident_kind text, incident_status text, occurred_on date, reported_by_role text,
  PRIMARY KEY (commission_id, item_id),
  FOREIGN KEY (commission_id, item_id) REFERENCES agenda_items (commission_id, id) ON DELETE CASCADE
);
CREATE INDEX agenda_lines_order_idx ON agenda_lines (commission_id, session_id, position, created_at, item_id);
CREATE INDEX agenda_lines_application_idx ON agenda_lines (commission_id, application_id)
  WHERE application_id IS NOT NULL;
CREATE INDEX agenda_lines_person_idx ON agenda_lines (commission_id, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX agenda_lines_placement_idx ON agenda_lines (commission_id, placement_id) WHERE placement_id IS NOT NULL;
CREATE INDEX agenda_lines_incident_idx ON agenda_lines (commission_id, incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX agenda_lines_unit_idx ON agenda_lines (commission_id, unit_id) WHERE unit_id IS NOT NULL;
CREATE INDEX agenda_lines_placement_unit_idx ON agenda_lines (commission_id, placement_unit_id)
  WHERE placement_unit_id IS NOT NULL;
ALTER TABLE agenda_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE agenda_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON agenda_lines USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- One line recomputed from the tables (none when its item is gone). As person_status_refresh() (0022): the line is
-- locked first and computed by the next statement, with a snapshot taken once the lock is held, so that two
-- transactions changing the same line refresh it one after the other.
CREATE FUNCTION agenda_line_refresh(p_commission uuid, p_item uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM agenda_lines t WHERE t.commission_id = p_commission AND t.item_id = p_item FOR UPDATE;
  INSERT INTO agenda_lines SELECT * FROM agenda_line_source v
    WHERE v.commission_id = p_commission AND v.item_id = p_item
  ON CONFLICT (commission_id, item_id) DO UPDATE SET
    session_id = EXCLUDED.session_id, position = EXCLUDED.position, created_at = EXCLUDED.created_at,
    kind = EXCLUDED.kind, note = EXCLUDED.note, application_id = EXCLUDED.application_id,
    application_status = EXCLUDED.application_status, urgency = EXCLUDED.urgency,
    wished_unit_kinds = EXCLUDED.wished_unit_kinds, wished_towns = EXCLUDED.wished_towns,
    submitted_at = EXCLUDED.submitted_at, situation = EXCLUDED.situation, person_id = EXCLUDED.person_id,
    family_name = EXCLUDED.family_name, given_names = EXCLUDED.given_names, birth_date = EXCLUDED.birth_date,
    care_team_id = EXCLUDED.care_team_id, curator_org_id = EXCLUDED.curator_org_id,
    decision_id = EXCLUDED.decision_id, outcome = EXCLUDED.outcome, unit_id = EXCLUDED.unit_id,
    refusal_reason = EXCLUDED.refusal_reason, comment = EXCLUDED.comment, decided_on = EXCLUDED.decided_on,
    decided_at = EXCLUDED.decided_at, corrects_decision_id = EXCLUDED.corrects_decision_id,
    unit_label = EXCLUDED.unit_label, unit_town = EXCLUDED.unit_town, placement_id = EXCLUDED.placement_id,
    move_in_date = EXCLUDED.move_in_date, placement_exit_date = EXCLUDED.placement_exit_date,
    placement_next_review_on = EXCLUDED.placement_next_review_on, review_fallback_on = EXCLUDED.review_fallback_on,
    placement_unit_id = EXCLUDED.placement_unit_id,
    placement_unit_label = EXCLUDED.placement_unit_label, placement_unit_town = EXCLUDED.placement_unit_town,
    landlord_org_id = EXCLUDED.landlord_org_id, incident_id = EXCLUDED.incident_id,
    incident_kind = EXCLUDED.incident_kind, incident_status = EXCLUDED.incident_status,
    occurred_on = EXCLUDED.occurred_on, reported_by_role = EXCLUDED.reported_by_role;
  IF NOT FOUND THEN
    DELETE FROM agenda_lines t WHERE t.commission_id = p_commission AND t.item_id = p_item;
  END IF;
END
$$;

-- The row trigger of every table a line copies from; TG_ARGV[0] names the table. An item (inserted or changed) and
-- a decision (its item, before and after) name their line; a change of an application, a person, a placement (or
-- of one of its reviews), a unit or an incident refreshes the lines that copy it, found by the kept lines' own
-- columns (each branch of the union runs only for its table: a one-time filter), in the order of their items (two
-- writes locking the same lines lock them in the same order). In a DELETE trigger NEW is null, and OLD in an
-- INSERT trigger: their columns read null. The union's generic plan is forced (as 0038 does): its custom plan,
-- which prunes the branches, looks cheaper to PostgreSQL, which would then plan it at every call.
CREATE FUNCTION agenda_line_touch() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  c uuid := coalesce(NEW.commission_id, OLD.commission_id);
  tab text := TG_ARGV[0];
  keys uuid[];
  item uuid;
BEGIN
  IF tab = 'item' THEN
    PERFORM agenda_line_refresh(c, NEW.id);
    RETURN NULL;
  ELSIF tab = 'decision' THEN
    FOR item IN SELECT DISTINCT k FROM unnest(ARRAY[NEW.agenda_item_id, OLD.agenda_item_id]) k
                WHERE k IS NOT NULL ORDER BY 1 LOOP
      PERFORM agenda_line_refresh(c, item);
    END LOOP;
    RETURN NULL;
  ELSIF tab = 'review' THEN
    tab := 'placement';
    keys := ARRAY[NEW.placement_id, OLD.placement_id];
  ELSE
    keys := ARRAY[NEW.id];
  END IF;
  FOR item IN
    SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'application' AND l.commission_id = c AND l.application_id = ANY (keys)
    UNION SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'person' AND l.commission_id = c AND l.person_id = ANY (keys)
    UNION SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'placement' AND l.commission_id = c AND l.placement_id = ANY (keys)
    UNION SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'incident' AND l.commission_id = c AND l.incident_id = ANY (keys)
    UNION SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'unit' AND l.commission_id = c AND l.unit_id = ANY (keys)
    UNION SELECT l.item_id FROM agenda_lines l
      WHERE tab = 'unit' AND l.commission_id = c AND l.placement_unit_id = ANY (keys)
    ORDER BY 1
  LOOP
    PERFORM agenda_line_refresh(c, item);
  END LOOP;
  RETURN NULL;
END
$$;

-- A new application, person, placement, unit or incident is on no line yet (an item is inserted after what it
-- shows), and a removed one is on none (the items' foreign keys): only the updates of the columns a line copies
-- refresh, and only when one of them changed. A review (written, moved, removed) moves its placement's last review
-- date.
CREATE TRIGGER agenda_line_item AFTER INSERT OR UPDATE ON agenda_items
  FOR EACH ROW EXECUTE FUNCTION agenda_line_touch('item');
CREATE TRIGGER agenda_line_decision AFTER INSERT OR DELETE OR UPDATE ON decisions
  FOR EACH ROW EXECUTE FUNCTION agenda_line_touch('decision');
CREATE TRIGGER agenda_line_application AFTER UPDATE OF status, urgency, wished_unit_kinds, wished_towns,
  submitted_at, situation, person_id ON applications FOR EACH ROW
  WHEN ((OLD.status, OLD.urgency, OLD.wished_unit_kinds, OLD.wished_towns, OLD.submitted_at, OLD.situation,
         OLD.person_id) IS DISTINCT FROM (NEW.status, NEW.urgency, NEW.wished_unit_kinds, NEW.wished_towns,
         NEW.submitted_at, NEW.situation, NEW.person_id))
  EXECUTE FUNCTION agenda_line_touch('application');
CREATE TRIGGER agenda_line_person AFTER UPDATE OF family_name, given_names, birth_date, care_team_id,
  curator_org_id ON people FOR EACH ROW
  WHEN ((OLD.family_name, OLD.given_names, OLD.birth_date, OLD.care_team_id, OLD.curator_org_id)
        IS DISTINCT FROM (NEW.family_name, NEW.given_names, NEW.birth_date, NEW.care_team_id, NEW.curator_org_id))
  EXECUTE FUNCTION agenda_line_touch('person');
-- A placement's next_review_on is set by its BEFORE trigger (0024) at any update (a slide, a lease's dates), which
-- an UPDATE OF list would not see (it names the columns of the statement's SET): the WHEN clause alone decides.
CREATE TRIGGER agenda_line_placement AFTER UPDATE ON placements FOR EACH ROW
  WHEN ((OLD.person_id, OLD.unit_id, OLD.move_in_date, OLD.exit_date, OLD.next_review_on)
        IS DISTINCT FROM (NEW.person_id, NEW.unit_id, NEW.move_in_date, NEW.exit_date, NEW.next_review_on))
  EXECUTE FUNCTION agenda_line_touch('placement');
CREATE TRIGGER agenda_line_review AFTER INSERT OR DELETE OR UPDATE OF placement_id, review_date ON reviews
  FOR EACH ROW EXECUTE FUNCTION agenda_line_touch('review');
CREATE TRIGGER agenda_line_unit AFTER UPDATE OF label, town, landlord_org_id ON units FOR EACH ROW
  WHEN ((OLD.label, OLD.town, OLD.landlord_org_id) IS DISTINCT FROM (NEW.label, NEW.town, NEW.landlord_org_id))
  EXECUTE FUNCTION agenda_line_touch('unit');
CREATE TRIGGER agenda_line_incident AFTER UPDATE OF kind, status, occurred_on, reported_by_role, placement_id
  ON incidents FOR EACH ROW
  WHEN ((OLD.kind, OLD.status, OLD.occurred_on, OLD.reported_by_role, OLD.placement_id)
        IS DISTINCT FROM (NEW.kind, NEW.status, NEW.occurred_on, NEW.reported_by_role, NEW.placement_id))
  EXECUTE FUNCTION agenda_line_touch('incident');

-- Every line recomputed at once, set-based: after a bulk load made with the triggers off (bench/lib/gen.sql), or
-- here, for the agendas already there.
CREATE FUNCTION agenda_lines_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM agenda_lines;
  INSERT INTO agenda_lines SELECT * FROM agenda_line_source;
$$;

-- The row triggers whose names start with P_PREFIX followed by '_' off (P_ENABLED false) or on again: the switch of
-- a kept read model's triggers for a bulk load that rebuilds the model set-based before it commits.
CREATE FUNCTION kept_model_triggers(p_prefix text, p_enabled boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT g.tgrelid::regclass AS tab, g.tgname FROM pg_trigger g
           WHERE starts_with(g.tgname, p_prefix || '_') AND NOT g.tgisinternal LOOP
    EXECUTE format('ALTER TABLE %s %s TRIGGER %I', t.tab, CASE WHEN p_enabled THEN 'ENABLE' ELSE 'DISABLE' END,
                   t.tgname);
  END LOOP;
END
$$;

-- The triggers above off or on again, for a bulk load that calls agenda_lines_rebuild() (or inserts its lines from
-- agenda_line_source) before it commits.
CREATE FUNCTION agenda_line_triggers(p_enabled boolean) RETURNS void LANGUAGE sql AS $$
  SELECT kept_model_triggers('agenda_line', p_enabled);
$$;

-- 0022's switch of the status rows' triggers, now the same loop.
CREATE OR REPLACE FUNCTION person_status_triggers(p_enabled boolean) RETURNS void LANGUAGE sql AS $$
  SELECT kept_model_triggers('person_status', p_enabled);
$$;

SELECT agenda_lines_rebuild();
