-- A sliding lease's last tripartite review kept on its placement (issue 15: a scoped one-record read). A placement's
-- read and each row of a page of placements joined the sliding_schedule view (0014), fenced: at every execution's
-- start its plan (the placement again, the aggregate of its reviews, the prefect's notice), and for each row the
-- placement, its reviews and the notice looked up again, whatever the lease. The placement now keeps the date of
-- its last tripartite review, computed by its derived-columns trigger (0024) at each of its writes, which a
-- review's insert, move or removal already causes (reviews_next_review_moved); the statements compute the
-- schedule's dates from it as sliding_schedule does, and look up the prefect's notice for a running sliding lease
-- alone (src/db/placements.c, PLACEMENT_ROW).
ALTER TABLE placements ADD COLUMN last_tripartite_on date;

-- The day of the last tripartite review of sliding lease P_PLACEMENT (NULL: none yet).
CREATE FUNCTION placement_last_tripartite_on(p_commission uuid, p_placement uuid)
RETURNS date LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (SELECT max(r.review_date) FROM reviews r
          WHERE r.commission_id = p_commission AND r.placement_id = p_placement AND r.tripartite);
END
$$;

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
  RETURN NEW;
END
$$;

-- The sliding leases already there (the trigger computes the column on this update, as on any other).
UPDATE placements pl SET last_tripartite_on = NULL WHERE pl.lease = 'sliding_lease';
