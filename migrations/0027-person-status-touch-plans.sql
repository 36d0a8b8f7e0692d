-- The status row's trigger without a plan per row written. person_status_people() was one SQL function, a UNION
-- of a branch per kind of key, inlined into the trigger's query: its plan depends on the kind, which a generic
-- plan cannot fold, so PostgreSQL planned the six-branch UNION again at every row written (perf, on an import of
-- people: 45 % of the backend's time in the planner, 2.5 ms a row). The same people, one query per kind, each
-- planned once per session.
CREATE OR REPLACE FUNCTION person_status_people(p_kind text, p_commission uuid, p_keys uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  CASE p_kind
  WHEN 'person' THEN
    RETURN QUERY SELECT DISTINCT k FROM unnest(p_keys) k WHERE k IS NOT NULL;
  WHEN 'application' THEN
    RETURN QUERY SELECT DISTINCT a.person_id FROM applications a
      WHERE a.commission_id = p_commission AND a.id = ANY (p_keys);
  WHEN 'session' THEN
    RETURN QUERY SELECT DISTINCT a.person_id FROM decisions d
      JOIN applications a ON a.commission_id = d.commission_id AND a.id = d.application_id
      WHERE d.commission_id = p_commission AND d.session_id = ANY (p_keys);
  WHEN 'placement' THEN
    RETURN QUERY SELECT DISTINCT x.person_id FROM placements x
      WHERE x.commission_id = p_commission AND x.id = ANY (p_keys);
  WHEN 'unit' THEN
    RETURN QUERY SELECT DISTINCT x.person_id FROM placements x
      WHERE x.commission_id = p_commission AND x.unit_id = ANY (p_keys);
  WHEN 'incident' THEN
    RETURN QUERY SELECT DISTINCT x.person_id FROM incidents i
      JOIN placements x ON x.commission_id = i.commission_id AND x.id = i.placement_id
      WHERE i.commission_id = p_commission AND i.id = ANY (p_keys);
  WHEN 'plan' THEN
    RETURN QUERY SELECT DISTINCT x.person_id FROM arrears_plans ap
      JOIN incidents i ON i.commission_id = ap.commission_id AND i.id = ap.incident_id
      JOIN placements x ON x.commission_id = i.commission_id AND x.id = i.placement_id
      WHERE ap.commission_id = p_commission AND ap.id = ANY (p_keys);
  END CASE;
END
$$;
