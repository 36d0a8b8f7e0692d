-- A unit never holds more people than its places on any day: 0003 checks it when a placement starts, moves or
-- ends; this checks it when a unit's places change. Lowering the places below the people housed today or on any
-- later day is refused, whoever does it (the API or SQL typed by hand). Days before today are history: a unit's
-- places may be lowered after people have left.
--
-- The unit row is already locked by the update itself; a placement's capacity check locks it too (0003), so a
-- placement and a change of places on one unit queue, and each check sees the other's committed rows.
CREATE FUNCTION units_check_places() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  peak integer;
  peak_day date;
BEGIN
  -- Occupancy only rises on move-in days: from today on, its peak is reached today or on a later move-in day.
  SELECT d.day, (SELECT count(*) FROM placements p WHERE p.commission_id = NEW.commission_id
                   AND p.unit_id = NEW.id AND daterange(p.move_in_date, p.exit_date, '[)') @> d.day) AS n
    INTO peak_day, peak
    FROM (SELECT current_date AS day
          UNION SELECT q.move_in_date FROM placements q WHERE q.commission_id = NEW.commission_id
            AND q.unit_id = NEW.id AND q.move_in_date > current_date) d
    ORDER BY n DESC, d.day LIMIT 1;
  IF peak > NEW.places THEN
    RAISE EXCEPTION 'unit % would have % places for % people housed on %', NEW.id, NEW.places, peak, peak_day
      USING ERRCODE = '23514', CONSTRAINT = 'units_places_cover_occupancy',
            DETAIL = format('occupied_places=%s on=%s', peak, peak_day);
  END IF;
  RETURN NEW;
END
$$;
CREATE CONSTRAINT TRIGGER units_places_cover_occupancy AFTER UPDATE OF places ON units
  FOR EACH ROW WHEN (NEW.places < OLD.places) EXECUTE FUNCTION units_check_places();
