-- A sliding lease's notice to the prefect for its current period kept on its placement (issue 15: a scoped
-- one-record read). A placement's read and each row of a page of placements looked the notice up in a sub-select
-- (0049), whose plan PostgreSQL builds at every execution's start whether it runs or not: its scan, its row-level
-- security filter, its expressions. The placement now keeps the day the notice of its current period (the one
-- ending at its next tripartite review) was sent, computed by its derived-columns trigger (0024, 0049) at each of
-- its writes; a notice's insert, change or removal causes one (below), as a review's does (0024).
ALTER TABLE placements ADD COLUMN prefect_notice_sent_on date;

-- The day the notice of sliding lease P_PLACEMENT's period ending on P_PERIOD_END was sent (NULL: not yet).
CREATE FUNCTION placement_prefect_notice_sent_on(p_commission uuid, p_placement uuid, p_period_end date)
RETURNS date LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (SELECT n.sent_on FROM prefect_notices n
          WHERE n.commission_id = p_commission AND n.placement_id = p_placement AND n.period_end = p_period_end);
END
$$;

-- 0049's, the notice added.
CREATE OR REPLACE FUNCTION placements_derived_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT p.care_team_id, p.curator_org_id INTO NEW.care_team_id, NEW.curator_org_id
    FROM people p WHERE p.commission_id = NEW.commission_id AND p.id = NEW.person_id;
  SELECT u.landlord_org_id INTO NEW.landlord_org_id
    FROM units u WHERE u.commission_id = NEW.commission_id AND u.id = NEW.unit_id;
  NEW.next_review_on := placement_next_review_on(NEW.commission_id, NEW.id, NEW.move_in_date, NEW.lease,
                                                 NEW.slid_on, NEW.sliding_start_date);
  NEW.last_tripartite_on := CASE WHEN NEW.lease = 'sliding_lease'
                                 THEN placement_last_tripartite_on(NEW.commission_id, NEW.id) END;
  NEW.prefect_notice_sent_on := CASE WHEN NEW.lease = 'sliding_lease'
    THEN placement_prefect_notice_sent_on(NEW.commission_id, NEW.id,
      (coalesce(NEW.last_tripartite_on, NEW.sliding_start_date) + interval '6 months')::date) END;
  RETURN NEW;
END
$$;

-- A notice written, moved or removed: its placement's kept notice follows (the derived-columns trigger computes it).
CREATE FUNCTION prefect_notices_placement_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE placements pl SET prefect_notice_sent_on = NULL
      WHERE pl.commission_id = OLD.commission_id AND pl.id = OLD.placement_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE placements pl SET prefect_notice_sent_on = NULL
      WHERE pl.commission_id = NEW.commission_id AND pl.id = NEW.placement_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER prefect_notices_placement_moved AFTER INSERT OR DELETE OR UPDATE ON prefect_notices
  FOR EACH ROW EXECUTE FUNCTION prefect_notices_placement_moved();

-- The sliding leases already there (the trigger computes the column on this update, as on any other).
UPDATE placements pl SET prefect_notice_sent_on = NULL WHERE pl.lease = 'sliding_lease';
