-- The session's date is the date of its acts (issue 12, item 1).
--
-- A decision carries the date of the session that took it (decided_on), whatever day it was typed in;
-- decisions.decided_at stays the instant it was recorded (the API calls it recorded_at). An application keeps
-- the date of the session that last decided it (decided_on): a move-in may start from that date, and an approval
-- lapses counting from it. A decision or move outside any session (a forced transition) is dated the UTC day it
-- was recorded.
ALTER TABLE decisions ADD COLUMN decided_on date;
UPDATE decisions d SET decided_on = s.session_date FROM sessions s WHERE s.commission_id = d.commission_id
  AND s.id = d.session_id;
ALTER TABLE decisions ALTER COLUMN decided_on SET NOT NULL;
CREATE INDEX decisions_decided_on_idx ON decisions (commission_id, decided_on);

ALTER TABLE applications ADD COLUMN decided_on date;
UPDATE applications a SET decided_on = coalesce(
  (SELECT d.decided_on FROM decisions d WHERE d.commission_id = a.commission_id AND d.application_id = a.id
   ORDER BY d.decided_at DESC LIMIT 1),
  (a.decided_at AT TIME ZONE 'UTC')::date)
WHERE a.decided_at IS NOT NULL;

-- Approvals lapse counting from the session's date.
CREATE OR REPLACE FUNCTION applications_lapse(p_commission uuid) RETURNS integer LANGUAGE sql AS $$
  WITH due AS (
    UPDATE applications a SET status = 'lapsed', version = a.version + 1, updated_at = now()
    FROM commissions c
    WHERE c.id = a.commission_id AND a.commission_id = p_commission AND a.status = 'approved'
      AND coalesce(a.decided_on, (a.decided_at AT TIME ZONE 'UTC')::date)
          < (now() AT TIME ZONE 'UTC')::date - c.lapse_days
    RETURNING a.commission_id, a.id, c.lapse_days
  ), recorded AS (
    INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, role)
    SELECT commission_id, id, 'approved', 'lapsed', 'not placed within ' || lapse_days || ' days of approval', 'system'
    FROM due RETURNING 1
  )
  SELECT count(*)::integer FROM recorded
$$;
