-- Speed where the benchmark (bench/) found it missing.

-- An agenda reads each item's latest decision: without this index, every item scanned the commission's decisions.
CREATE INDEX decisions_item_idx ON decisions (agenda_item_id, decided_at DESC);

-- The chain's end is its highest chain_pos. In the full unique index, entries written unchained (NULL, at the
-- end of an ascending index) and the dead versions their chaining leaves behind lay in the way of every backward
-- scan for it: seconds on a large trail. Only chained entries are indexed now.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_pos_key;
CREATE UNIQUE INDEX audit_log_chain_pos_idx ON audit_log (chain_pos) WHERE chain_pos IS NOT NULL;

-- (The row-level security predicate stays as 0004 wrote it: reading its two settings as scalar subqueries, once
-- per statement, made scans cheaper but every point read about 10% slower, by the InitPlans each table reference
-- then starts; point reads are the traffic.)

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

-- The person an audited object belongs to, so that "who saw or changed this person's file" finds every entry. As
-- a CASE of subqueries in each audit insert, it made PostgreSQL plan that insert anew on every write (a custom
-- plan, cheaper than the generic one by the branches it folds away); a PL/pgSQL function keeps one cached plan per
-- branch, and the insert a generic plan.
CREATE FUNCTION audit_person(object_type text, object_id uuid) RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
  person uuid;
BEGIN
  CASE object_type
  WHEN 'people' THEN
    RETURN object_id;
  WHEN 'applications' THEN
    SELECT a.person_id INTO person FROM applications a WHERE a.id = object_id;
  WHEN 'placements' THEN
    SELECT pl.person_id INTO person FROM placements pl WHERE pl.id = object_id;
  WHEN 'reviews' THEN
    SELECT pl.person_id INTO person FROM reviews r JOIN placements pl ON pl.id = r.placement_id WHERE r.id = object_id;
  WHEN 'incidents' THEN
    SELECT pl.person_id INTO person FROM incidents i JOIN placements pl ON pl.id = i.placement_id
      WHERE i.id = object_id;
  WHEN 'care_notes' THEN
    SELECT c.person_id INTO person FROM care_notes c WHERE c.id = object_id;
  WHEN 'decisions' THEN
    SELECT a.person_id INTO person FROM decisions d JOIN applications a ON a.id = d.application_id
      WHERE d.id = object_id;
  WHEN 'deposit_entries' THEN
    SELECT pl.person_id INTO person FROM deposit_entries e JOIN placements pl ON pl.id = e.placement_id
      WHERE e.id = object_id;
  ELSE
    RETURN NULL;
  END CASE;
  RETURN person;
END
$$;
