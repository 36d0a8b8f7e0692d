-- A unit's vacancy periods (0035) found the days where its occupancy changes by two look-ups of its stays that
-- began or end after the day before the write: "move_in_date > p_from" and "exit_date > p_from" let PostgreSQL walk
-- the commission's index of move-in dates (placements_order_idx) or of exit dates (placements_exit_idx) and keep
-- the unit's stays by a filter, the statistics saying no stay begins after today. So every move-in read every
-- move-in of the commission since the day before: on the bench's large set, after 250 move-ins of the day, 134
-- buffers a refresh against 33 (a move-in's statements 456-594 buffers against 288 on the small set, where the
-- same bench runs fewer move-ins). The days are now read from the unit's own stays (placements_unit_idx: the
-- commission and the unit), a unit's history being a few stays.
CREATE OR REPLACE FUNCTION unit_vacancy_periods(p_commission uuid, p_unit uuid, p_from date)
RETURNS TABLE (free_from date, free_until date, free_places integer) LANGUAGE sql STABLE AS $$
  SELECT s.day, s.next, s.free FROM (
    SELECT d.day, lead(d.day) OVER (ORDER BY d.day) AS next,
      u.places - (SELECT count(*) FROM placements p WHERE p.commission_id = p_commission AND p.unit_id = p_unit
                  AND p.move_in_date <= d.day AND (p.exit_date IS NULL OR p.exit_date > d.day))::integer AS free
    FROM units u CROSS JOIN (
      SELECT p_from AS day
      UNION SELECT c.day FROM placements q CROSS JOIN LATERAL (VALUES (q.move_in_date), (q.exit_date)) c (day)
        WHERE q.commission_id = p_commission AND q.unit_id = p_unit AND c.day > p_from) d
    WHERE u.commission_id = p_commission AND u.id = p_unit AND u.status IN ('available', 'occupied')
  ) s WHERE s.free > 0
$$;
