-- A placement's capacity check looks up the unit's stays through the unit's index. Its two queries named the unit
-- but not the commission, so neither could use placements_unit_idx (commission_id, unit_id, move_in_date) by its
-- leading columns: they walked a whole index of every commission's placements (perf and auto_explain on the
-- bench's move-ins: the index on (person_id, move_in_date) scanned for move_in_date alone), a cost that grew with
-- the database, not with the unit.
CREATE OR REPLACE FUNCTION placements_check_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  capacity integer;
  peak integer;
BEGIN
  SELECT places INTO capacity FROM units WHERE commission_id = NEW.commission_id AND id = NEW.unit_id
    FOR NO KEY UPDATE;
  -- Occupancy only rises on move-in days: the peak over the new stay is reached on its first day or on the
  -- move-in day of another stay that begins during it.
  SELECT coalesce(max(n), 0) INTO peak FROM (
    SELECT (SELECT count(*) FROM placements p WHERE p.commission_id = NEW.commission_id AND p.unit_id = NEW.unit_id
            AND p.move_in_date <= d.day AND daterange(p.move_in_date, p.exit_date, '[)') @> d.day) AS n
    FROM (SELECT NEW.move_in_date AS day
          UNION SELECT q.move_in_date FROM placements q WHERE q.commission_id = NEW.commission_id
            AND q.unit_id = NEW.unit_id AND q.move_in_date > NEW.move_in_date
            AND (NEW.exit_date IS NULL OR q.move_in_date < NEW.exit_date)) d
  ) occupancy;
  IF peak > capacity THEN
    RAISE EXCEPTION 'unit % is full', NEW.unit_id USING ERRCODE = '23P01', CONSTRAINT = 'placements_unit_capacity';
  END IF;
  RETURN NEW;
END
$$;
