-- The end of the load (bench/lib/gen.sql explains the steps), in one transaction: what the two disabled triggers
-- check, checked set-based over the whole load, then the foreign keys added again (each validated over the whole
-- load) and the triggers enabled again; then the plan (schema bench_gen) dropped. Any violation aborts with an
-- error. bench/run runs it while the audit trail is loaded (gen-audit.sql).
\ir gen-settings.sql

BEGIN;
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
-- The foreign keys again, each validated over the whole load.
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, name, def) FROM g_fk \gexec
ALTER TABLE placements ENABLE TRIGGER placements_unit_capacity;
ALTER TABLE deposit_entries ENABLE TRIGGER deposit_entries_balance;
-- The webhook triggers would have recorded nothing: still no subscription.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_subscriptions) OR EXISTS (SELECT 1 FROM webhook_events) THEN
    RAISE EXCEPTION 'webhook subscriptions or events appeared during the load';
  END IF;
END
$$;
SELECT format('ALTER TABLE %s ENABLE TRIGGER %I', tbl, name) FROM g_webhook_trigger \gexec
-- Every person has the status row gen-load.sql built; its triggers on again (disabled by gen.sql).
DO $$
BEGIN
  IF (SELECT count(*) FROM person_status) <> (SELECT count(*) FROM people) THEN
    RAISE EXCEPTION 'the load did not build one status row per person';
  END IF;
END
$$;
SELECT person_status_triggers(true);
-- Every agenda item has the line gen-load.sql built; their triggers on again.
DO $$
BEGIN
  IF (SELECT count(*) FROM agenda_lines) <> (SELECT count(*) FROM agenda_items) THEN
    RAISE EXCEPTION 'the load did not build one agenda line per item';
  END IF;
END
$$;
SELECT agenda_line_triggers(true);
-- Every unit's vacancy periods, then their triggers on again.
SELECT unit_vacancy_rebuild();
SELECT unit_vacancy_triggers(true);
-- Every application's wish rows, then their triggers on again.
SELECT application_wishes_rebuild();
SELECT application_wishes_triggers(true);

COMMIT;

DROP SCHEMA bench_gen CASCADE;
