-- Vacant units (GET /v1/units?status=vacant) from a kept table instead of a count of every unit's placements at
-- each request (GET /v1/units/free-places, an aggregate of every unit, still counts them). A page of vacant units
-- walked the commission's units in the list's order and counted each one's stays of today to keep those with a
-- free place: on the bench's large set (4 000 units a commission) a page read every unit, 17 ms of backend CPU,
-- 96 requests a second against 1 104 on the small set.
--
-- A unit's vacancy depends on the date: a stay that starts or ends later changes it on that day, with no write.
-- So the table keeps, for each unit in service (available or occupied), the periods from the day it was computed
-- on during which it has a free place, each with its number of free places: [free_from, free_until) (free_until
-- NULL: from then on). The periods are cut at every move-in and exit day after that day, so the free places are
-- constant within one. A request keeps the period that holds today; a period that ended since stays until the
-- unit is written again, filtered out by its end (at most one a unit: the one a stay that began since ended).
-- The periods start the day before the write's date, so that a write made in a time zone ahead of UTC leaves no
-- gap for a reader whose today is still the day before.
--
-- Kept by row triggers in the transaction of the write: a placement inserted, deleted or whose unit or dates
-- change, a unit inserted or whose status, places or copied columns change. Both run after the unit's row is
-- locked by the capacity checks (0003, 0009), so two writes on one unit queue.
CREATE TABLE unit_vacancies (
  commission_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  free_from date NOT NULL,
  free_until date,
  free_places integer NOT NULL CHECK (free_places > 0),
  -- copies of the unit's columns, for the list's order and filters
  kind text NOT NULL,
  town text NOT NULL,
  label text NOT NULL,
  landlord_org_id uuid NOT NULL,
  PRIMARY KEY (commission_id, unit_id, free_from),
  FOREIGN KEY (commission_id, unit_id) REFERENCES units (commission_id, id) ON DELETE CASCADE,
  CHECK (free_until IS NULL OR free_until > free_from)
);
-- The list's two leading filters (the commission, or one landlord's units), each in the list's order.
CREATE INDEX unit_vacancies_order_idx ON unit_vacancies (commission_id, town, label, unit_id);
CREATE INDEX unit_vacancies_landlord_idx ON unit_vacancies (commission_id, landlord_org_id, town, label, unit_id);
ALTER TABLE unit_vacancies ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_vacancies FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON unit_vacancies USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- The periods of a unit with a free place from P_FROM on, from its stays: the days where its occupancy may change
-- (P_FROM, and every move-in and exit after it), each the start of a period that lasts until the next one; the
-- occupancy of a period is the number of stays that hold its first day. None for a unit out of service.
CREATE FUNCTION unit_vacancy_periods(p_commission uuid, p_unit uuid, p_from date)
RETURNS TABLE (free_from date, free_until date, free_places integer) LANGUAGE sql STABLE AS $$
  SELECT s.day, s.next, s.free FROM (
    SELECT d.day, lead(d.day) OVER (ORDER BY d.day) AS next,
      u.places - (SELECT count(*) FROM placements p WHERE p.commission_id = p_commission AND p.unit_id = p_unit
                  AND p.move_in_date <= d.day AND (p.exit_date IS NULL OR p.exit_date > d.day))::integer AS free
    FROM units u CROSS JOIN (
      SELECT p_from AS day
      UNION SELECT q.move_in_date FROM placements q
        WHERE q.commission_id = p_commission AND q.unit_id = p_unit AND q.move_in_date > p_from
      UNION SELECT q.exit_date FROM placements q
        WHERE q.commission_id = p_commission AND q.unit_id = p_unit AND q.exit_date > p_from) d
    WHERE u.commission_id = p_commission AND u.id = p_unit AND u.status IN ('available', 'occupied')
  ) s WHERE s.free > 0
$$;

-- The unit's periods computed again from the day before today. PL/pgSQL, whose statements keep their plans for the
-- session: the same two statements as a SQL function were planned at every call (0.54 ms a call on the bench's
-- large set, 0.05 ms as PL/pgSQL).
CREATE FUNCTION unit_vacancy_refresh(p_commission uuid, p_unit uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM unit_vacancies WHERE commission_id = p_commission AND unit_id = p_unit;
  INSERT INTO unit_vacancies (commission_id, unit_id, free_from, free_until, free_places, kind, town, label,
                              landlord_org_id)
  SELECT u.commission_id, u.id, v.free_from, v.free_until, v.free_places, u.kind, u.town, u.label,
         u.landlord_org_id
  FROM units u CROSS JOIN unit_vacancy_periods(p_commission, p_unit, current_date - 1) v
  WHERE u.commission_id = p_commission AND u.id = p_unit;
END
$$;

-- Every unit's periods from scratch (the backfill below, and a bulk load that disabled the triggers).
CREATE FUNCTION unit_vacancy_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM unit_vacancies;
  INSERT INTO unit_vacancies (commission_id, unit_id, free_from, free_until, free_places, kind, town, label,
                              landlord_org_id)
  SELECT u.commission_id, u.id, v.free_from, v.free_until, v.free_places, u.kind, u.town, u.label,
         u.landlord_org_id
  FROM units u CROSS JOIN LATERAL unit_vacancy_periods(u.commission_id, u.id, current_date - 1) v
  WHERE u.status IN ('available', 'occupied');
$$;

CREATE FUNCTION unit_vacancy_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'units' THEN
    PERFORM unit_vacancy_refresh(NEW.commission_id, NEW.id);
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM unit_vacancy_refresh(OLD.commission_id, OLD.unit_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.unit_id IS DISTINCT FROM OLD.unit_id) THEN
    PERFORM unit_vacancy_refresh(NEW.commission_id, NEW.unit_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER unit_vacancy_placement AFTER INSERT OR DELETE OR UPDATE OF unit_id, move_in_date, exit_date
  ON placements FOR EACH ROW EXECUTE FUNCTION unit_vacancy_touch();
CREATE TRIGGER unit_vacancy_unit AFTER INSERT OR UPDATE OF status, places, kind, town, label, landlord_org_id
  ON units FOR EACH ROW EXECUTE FUNCTION unit_vacancy_touch();

-- The two triggers off (P_ENABLED false) or on again, for a bulk load that calls unit_vacancy_rebuild() before it
-- commits.
CREATE FUNCTION unit_vacancy_triggers(p_enabled boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE placements %s TRIGGER unit_vacancy_placement',
                 CASE WHEN p_enabled THEN 'ENABLE' ELSE 'DISABLE' END);
  EXECUTE format('ALTER TABLE units %s TRIGGER unit_vacancy_unit', CASE WHEN p_enabled THEN 'ENABLE' ELSE 'DISABLE' END);
END
$$;

SELECT unit_vacancy_rebuild();
