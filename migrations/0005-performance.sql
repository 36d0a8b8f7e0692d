-- Speed where the benchmark (bench/) found it missing.

-- An agenda reads each item's latest decision: without this index, every item scanned the commission's decisions.
CREATE INDEX decisions_item_idx ON decisions (agenda_item_id, decided_at DESC);

-- The row-level security predicate read the two settings once per row; as scalar subqueries they are read once
-- per statement (an InitPlan), and the predicate costs a comparison per row.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['organisations', 'people', 'care_notes', 'units', 'unit_status_changes', 'agreements',
      'agreement_units', 'agreement_renewals', 'sessions', 'session_attendees', 'applications', 'application_events',
      'agenda_items', 'decisions', 'placements', 'deposit_entries', 'reviews', 'incidents', 'idempotency_keys',
      'audit_log'] LOOP
    EXECUTE format('ALTER POLICY commission_isolation ON %I USING (commission_id = '
                   '(SELECT nullif(current_setting(''commissiond.commission'', true), '''')::uuid) '
                   'OR (SELECT current_setting(''commissiond.scope'', true)) = ''all'')', t);
  END LOOP;
END
$$;

-- The audit thread writes queued entries with their chain links in one insert (no update to chain them later):
-- it needs an entry's canonical text before the row exists. One definition serves both.
CREATE FUNCTION audit_entry_text(id bigint, at timestamptz, commission_id uuid, token_id uuid, role text,
                                 action text, method text, route text, object_type text, object_id uuid,
                                 person_id uuid, request_id text, status integer)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), commission_id,
                   coalesce(token_id::text, '-'), role, action, method, route, coalesce(object_type, '-'),
                   coalesce(object_id::text, '-'), coalesce(person_id::text, '-'), coalesce(request_id, '-'),
                   coalesce(status::text, '-'))
$$;
CREATE OR REPLACE FUNCTION audit_entry_text(e audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT audit_entry_text(e.id, e.at, e.commission_id, e.token_id, e.role, e.action, e.method, e.route,
                          e.object_type, e.object_id, e.person_id, e.request_id, e.status)
$$;
