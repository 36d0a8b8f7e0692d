-- Every list page O(limit · log n), whatever the commission's size and the caller's scope (issue 15, item 1).
--
-- A scoped token's lists (a care team's, a curator's, a landlord's) are filtered by a column of another table: a
-- person's care team and curator are on people, a placement's landlord on its unit. Each list's table now carries
-- those columns itself, copied by the triggers below in the same transaction as every change that moves them (the
-- row's own insert, a merge moving it to another person, a change of care team, curator or landlord), so that a
-- page is read from one composite index (commission, scope column, the list's order) and stops at its LIMIT.
-- The review schedule's due date (a view aggregating each placement's reviews) is kept on the placement the same
-- way, by the review writes and the placement writes that move it.

ALTER TABLE applications ADD COLUMN care_team_id uuid, ADD COLUMN curator_org_id uuid;
-- The waiting list's order as a column: a comparison on coalesce() is not leakproof, so under row-level security
-- it could not be an index condition (each step of a list's walk would start again at the commission's first
-- application); on a column it is.
ALTER TABLE applications
  ADD COLUMN queued_at timestamptz GENERATED ALWAYS AS (coalesce(submitted_at, created_at)) STORED;
ALTER TABLE placements ADD COLUMN care_team_id uuid, ADD COLUMN curator_org_id uuid, ADD COLUMN landlord_org_id uuid,
  ADD COLUMN next_review_on date;
ALTER TABLE incidents ADD COLUMN care_team_id uuid, ADD COLUMN curator_org_id uuid, ADD COLUMN landlord_org_id uuid;

-- The next review's date of a placement, as the review_schedule view (migrations/0014) computes it: the earlier of
-- three months after the last review (or the move-in) and, for a running sliding lease, six months after the last
-- tripartite review (or the lease's start).
CREATE FUNCTION placement_next_review_on(p_commission uuid, p_placement uuid, p_move_in date, p_lease text,
                                         p_slid_on date, p_sliding_start date)
RETURNS date LANGUAGE sql STABLE AS $$
  SELECT least((coalesce(max(r.review_date), p_move_in) + interval '3 months')::date,
               CASE WHEN p_lease = 'sliding_lease' AND p_slid_on IS NULL
                    THEN (coalesce(max(r.review_date) FILTER (WHERE r.tripartite), p_sliding_start)
                          + interval '6 months')::date END)
  FROM reviews r WHERE r.commission_id = p_commission AND r.placement_id = p_placement
$$;

CREATE FUNCTION applications_scope_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT p.care_team_id, p.curator_org_id INTO NEW.care_team_id, NEW.curator_org_id
    FROM people p WHERE p.commission_id = NEW.commission_id AND p.id = NEW.person_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER applications_scope_columns BEFORE INSERT OR UPDATE OF person_id ON applications
  FOR EACH ROW EXECUTE FUNCTION applications_scope_columns();

-- Every write of a placement recomputes its copies (a handful of index look-ups; placements are written rarely).
CREATE FUNCTION placements_derived_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT p.care_team_id, p.curator_org_id INTO NEW.care_team_id, NEW.curator_org_id
    FROM people p WHERE p.commission_id = NEW.commission_id AND p.id = NEW.person_id;
  SELECT u.landlord_org_id INTO NEW.landlord_org_id
    FROM units u WHERE u.commission_id = NEW.commission_id AND u.id = NEW.unit_id;
  NEW.next_review_on := placement_next_review_on(NEW.commission_id, NEW.id, NEW.move_in_date, NEW.lease,
                                                 NEW.slid_on, NEW.sliding_start_date);
  RETURN NEW;
END
$$;
CREATE TRIGGER placements_derived_columns BEFORE INSERT OR UPDATE ON placements
  FOR EACH ROW EXECUTE FUNCTION placements_derived_columns();

CREATE FUNCTION incidents_scope_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT pl.care_team_id, pl.curator_org_id, pl.landlord_org_id
    INTO NEW.care_team_id, NEW.curator_org_id, NEW.landlord_org_id
    FROM placements pl WHERE pl.commission_id = NEW.commission_id AND pl.id = NEW.placement_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER incidents_scope_columns BEFORE INSERT OR UPDATE OF placement_id ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_scope_columns();

-- A placement's copies moved: its incidents follow.
CREATE FUNCTION placements_scope_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE incidents i SET care_team_id = NEW.care_team_id, curator_org_id = NEW.curator_org_id,
      landlord_org_id = NEW.landlord_org_id
    WHERE i.commission_id = NEW.commission_id AND i.placement_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER placements_scope_moved AFTER UPDATE ON placements FOR EACH ROW
  WHEN (OLD.care_team_id IS DISTINCT FROM NEW.care_team_id OR OLD.curator_org_id IS DISTINCT FROM NEW.curator_org_id
        OR OLD.landlord_org_id IS DISTINCT FROM NEW.landlord_org_id)
  EXECUTE FUNCTION placements_scope_moved();

-- A person's care team or curator changed: their applications and placements follow (and, through the trigger
-- above, the placements' incidents).
CREATE FUNCTION people_scope_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE applications a SET care_team_id = NEW.care_team_id, curator_org_id = NEW.curator_org_id
    WHERE a.commission_id = NEW.commission_id AND a.person_id = NEW.id;
  UPDATE placements pl SET care_team_id = NEW.care_team_id, curator_org_id = NEW.curator_org_id
    WHERE pl.commission_id = NEW.commission_id AND pl.person_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER people_scope_moved AFTER UPDATE OF care_team_id, curator_org_id ON people FOR EACH ROW
  WHEN (OLD.care_team_id IS DISTINCT FROM NEW.care_team_id OR OLD.curator_org_id IS DISTINCT FROM NEW.curator_org_id)
  EXECUTE FUNCTION people_scope_moved();

-- A unit changed landlord: its placements follow.
CREATE FUNCTION units_landlord_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE placements pl SET landlord_org_id = NEW.landlord_org_id
    WHERE pl.commission_id = NEW.commission_id AND pl.unit_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER units_landlord_moved AFTER UPDATE OF landlord_org_id ON units FOR EACH ROW
  WHEN (OLD.landlord_org_id IS DISTINCT FROM NEW.landlord_org_id)
  EXECUTE FUNCTION units_landlord_moved();

-- A review written, moved or removed: its placement's next review date follows.
CREATE FUNCTION reviews_next_review_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE placements pl SET next_review_on = NULL
      WHERE pl.commission_id = OLD.commission_id AND pl.id = OLD.placement_id;
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.placement_id IS DISTINCT FROM OLD.placement_id) THEN
    UPDATE placements pl SET next_review_on = NULL
      WHERE pl.commission_id = NEW.commission_id AND pl.id = NEW.placement_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER reviews_next_review_moved AFTER INSERT OR DELETE OR UPDATE OF placement_id, review_date, tripartite
  ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_next_review_moved();

-- The rows already there.
UPDATE applications a SET care_team_id = p.care_team_id, curator_org_id = p.curator_org_id
  FROM people p WHERE p.commission_id = a.commission_id AND p.id = a.person_id;
UPDATE placements pl SET next_review_on = NULL;
UPDATE incidents i SET care_team_id = pl.care_team_id, curator_org_id = pl.curator_org_id,
    landlord_org_id = pl.landlord_org_id
  FROM placements pl WHERE pl.commission_id = i.commission_id AND pl.id = i.placement_id;

-- Placements by move-in date: the whole commission, and each scope's.
CREATE INDEX placements_order_idx ON placements (commission_id, move_in_date, id);
CREATE INDEX placements_care_team_order_idx ON placements (commission_id, care_team_id, move_in_date, id);
CREATE INDEX placements_curator_order_idx ON placements (commission_id, curator_org_id, move_in_date, id)
  WHERE curator_org_id IS NOT NULL;
CREATE INDEX placements_landlord_order_idx ON placements (commission_id, landlord_org_id, move_in_date, id);
-- A placement that ended before today left the review schedule: the schedule's indexes hold the running ones
-- (exit_date IS NULL); the few with an exit date still ahead are found by placements_exit_idx.
CREATE INDEX placements_review_idx ON placements (commission_id, next_review_on, id) WHERE exit_date IS NULL;
CREATE INDEX placements_care_team_review_idx ON placements (commission_id, care_team_id, next_review_on, id)
  WHERE exit_date IS NULL;
CREATE INDEX placements_curator_review_idx ON placements (commission_id, curator_org_id, next_review_on, id)
  WHERE exit_date IS NULL AND curator_org_id IS NOT NULL;
CREATE INDEX placements_landlord_review_idx ON placements (commission_id, landlord_org_id, next_review_on, id)
  WHERE exit_date IS NULL;
CREATE INDEX placements_exit_idx ON placements (commission_id, exit_date) WHERE exit_date IS NOT NULL;

-- Applications in the waiting list's order (open ones, and all): the commission's (those of migrations/0020, now on
-- the column), a team's, a curator's.
DROP INDEX applications_open_order_idx, applications_order_idx;
CREATE INDEX applications_open_order_idx ON applications (commission_id, queued_at, id)
  WHERE status IN ('submitted', 'scheduled', 'deferred', 'approved');
CREATE INDEX applications_order_idx ON applications (commission_id, queued_at, id);
CREATE INDEX applications_care_team_open_idx ON applications (commission_id, care_team_id, queued_at, id)
  WHERE status IN ('submitted', 'scheduled', 'deferred', 'approved');
CREATE INDEX applications_curator_open_idx ON applications (commission_id, curator_org_id, queued_at, id)
  WHERE status IN ('submitted', 'scheduled', 'deferred', 'approved') AND curator_org_id IS NOT NULL;
CREATE INDEX applications_care_team_order_idx ON applications (commission_id, care_team_id, queued_at, id);
CREATE INDEX applications_curator_order_idx ON applications (commission_id, curator_org_id, queued_at, id)
  WHERE curator_org_id IS NOT NULL;

-- Incidents by report time: the whole commission's, and each scope's.
CREATE INDEX incidents_order_idx ON incidents (commission_id, created_at, id);
CREATE INDEX incidents_care_team_order_idx ON incidents (commission_id, care_team_id, created_at, id);
CREATE INDEX incidents_curator_order_idx ON incidents (commission_id, curator_org_id, created_at, id)
  WHERE curator_org_id IS NOT NULL;
CREATE INDEX incidents_landlord_order_idx ON incidents (commission_id, landlord_org_id, created_at, id);
