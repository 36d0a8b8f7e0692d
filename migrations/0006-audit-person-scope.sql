-- The person of an audited object, looked up only within the commission of the request that touched it.
--
-- The audit thread runs with commissiond.scope = 'all' (row-level security lets it see every commission), so
-- the lookup itself must name the commission: a token of commission A reading a placement of commission B gets
-- 404, and its audit entry must not carry B's person. An object outside the commission has no person here.
DROP FUNCTION audit_person(text, uuid);

CREATE FUNCTION audit_person(p_commission uuid, object_type text, object_id uuid)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
  person uuid;
BEGIN
  CASE object_type
  WHEN 'people' THEN
    SELECT p.id INTO person FROM people p WHERE p.id = object_id AND p.commission_id = p_commission;
  WHEN 'applications' THEN
    SELECT a.person_id INTO person FROM applications a
      WHERE a.id = object_id AND a.commission_id = p_commission;
  WHEN 'placements' THEN
    SELECT pl.person_id INTO person FROM placements pl
      WHERE pl.id = object_id AND pl.commission_id = p_commission;
  WHEN 'reviews' THEN
    SELECT pl.person_id INTO person FROM reviews r JOIN placements pl ON pl.id = r.placement_id
      WHERE r.id = object_id AND r.commission_id = p_commission AND pl.commission_id = p_commission;
  WHEN 'incidents' THEN
    SELECT pl.person_id INTO person FROM incidents i JOIN placements pl ON pl.id = i.placement_id
      WHERE i.id = object_id AND i.commission_id = p_commission AND pl.commission_id = p_commission;
  WHEN 'care_notes' THEN
    SELECT c.person_id INTO person FROM care_notes c
      WHERE c.id = object_id AND c.commission_id = p_commission;
  WHEN 'decisions' THEN
    SELECT a.person_id INTO person FROM decisions d JOIN applications a ON a.id = d.application_id
      WHERE d.id = object_id AND d.commission_id = p_commission AND a.commission_id = p_commission;
  WHEN 'deposit_entries' THEN
    SELECT pl.person_id INTO person FROM deposit_entries e JOIN placements pl ON pl.id = e.placement_id
      WHERE e.id = object_id AND e.commission_id = p_commission AND pl.commission_id = p_commission;
  ELSE
    RETURN NULL;
  END CASE;
  RETURN person;
END
$$;
