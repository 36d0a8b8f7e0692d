-- Applications searched by a wished unit kind or town in O(limit · log n) (issue 15: every list page, whatever the
-- filter). `GET /v1/applications?unit_kind=` or `?town=` walked the commission's applications in the list's order
-- and kept those wishing it: a page read every application it skipped, all of them when few or none wish it
-- (tests/db: 2 020 rows read for a page of a town only the newest applications wish at 1 000 people, 8 020 at
-- 4 000).
--
-- Each application's wishes are kept as rows, one per wished kind and per wished town (lower case: the search
-- ignores case), with the application's list key and scope columns (its person's care team and curator, 0024), so
-- that a search is one range of an index that starts with the wish, in the list's order: the commission's, a care
-- team's, a curator's. The open applications' wishes (submitted, scheduled, deferred, approved: the waiting list's
-- and the agenda's candidates) are kept a second time, in a table of their own whose size does not grow with the
-- commission's history: an application that closes (placed, refused, withdrawn, lapsed) leaves it by a delete, and
-- the decisions between open statuses touch neither table. Kept by row triggers in the transaction of the write
-- that changes them.
CREATE TABLE application_wishes (
  commission_id uuid NOT NULL,
  application_id uuid NOT NULL,
  wish text NOT NULL CHECK (wish IN ('unit_kind', 'town')),
  value text NOT NULL,
  -- copies of the application's columns, for the list's order and scopes
  queued_at timestamptz NOT NULL,
  care_team_id uuid,
  curator_org_id uuid,
  PRIMARY KEY (commission_id, application_id, wish, value),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id) ON DELETE CASCADE
);
CREATE TABLE open_application_wishes (LIKE application_wishes INCLUDING CONSTRAINTS,
  PRIMARY KEY (commission_id, application_id, wish, value),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id) ON DELETE CASCADE);
CREATE INDEX application_wishes_order_idx ON application_wishes (commission_id, wish, value, queued_at, application_id);
CREATE INDEX application_wishes_care_team_idx
  ON application_wishes (commission_id, care_team_id, wish, value, queued_at, application_id);
CREATE INDEX application_wishes_curator_idx
  ON application_wishes (commission_id, curator_org_id, wish, value, queued_at, application_id);
CREATE INDEX open_application_wishes_order_idx
  ON open_application_wishes (commission_id, wish, value, queued_at, application_id);
CREATE INDEX open_application_wishes_care_team_idx
  ON open_application_wishes (commission_id, care_team_id, wish, value, queued_at, application_id);
CREATE INDEX open_application_wishes_curator_idx
  ON open_application_wishes (commission_id, curator_org_id, wish, value, queued_at, application_id);
ALTER TABLE application_wishes ENABLE ROW LEVEL SECURITY;
ALTER TABLE application_wishes FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON application_wishes USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');
ALTER TABLE open_application_wishes ENABLE ROW LEVEL SECURITY;
ALTER TABLE open_application_wishes FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON open_application_wishes USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- Whether an application of status P_STATUS is open (the open lists' statuses, 0020).
CREATE FUNCTION application_is_open(p_status text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT p_status IN ('submitted', 'scheduled', 'deferred', 'approved')
$$;

-- The wishes of an application wishing kinds P_KINDS and towns P_TOWNS: each kind, each town in lower case, once.
CREATE FUNCTION application_wish_values(p_kinds text[], p_towns text[])
RETURNS TABLE (wish text, value text) LANGUAGE sql IMMUTABLE AS $$
  SELECT 'unit_kind', k FROM unnest(p_kinds) k WHERE k IS NOT NULL
  UNION SELECT 'town', lower(t) FROM unnest(p_towns) t WHERE t IS NOT NULL
$$;

-- The wish rows of application NEW, in both tables while it is open. An update that changes only whether it is
-- open moves its rows in or out of the open ones.
CREATE FUNCTION application_wishes_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_open boolean := TG_OP = 'UPDATE' AND application_is_open(OLD.status);
  is_open boolean := application_is_open(NEW.status);
  same_rows boolean := TG_OP = 'UPDATE' AND
    (NEW.wished_unit_kinds, NEW.wished_towns, NEW.queued_at, NEW.care_team_id, NEW.curator_org_id)
    IS NOT DISTINCT FROM (OLD.wished_unit_kinds, OLD.wished_towns, OLD.queued_at, OLD.care_team_id,
                          OLD.curator_org_id);
BEGIN
  IF was_open AND NOT (is_open AND same_rows) THEN
    DELETE FROM open_application_wishes w WHERE w.commission_id = NEW.commission_id AND w.application_id = NEW.id;
  END IF;
  IF NOT same_rows THEN
    IF TG_OP = 'UPDATE' THEN
      DELETE FROM application_wishes w WHERE w.commission_id = NEW.commission_id AND w.application_id = NEW.id;
    END IF;
    INSERT INTO application_wishes (commission_id, application_id, wish, value, queued_at, care_team_id,
                                    curator_org_id)
    SELECT NEW.commission_id, NEW.id, v.wish, v.value, NEW.queued_at, NEW.care_team_id, NEW.curator_org_id
    FROM application_wish_values(NEW.wished_unit_kinds, NEW.wished_towns) v;
  END IF;
  IF is_open AND NOT (was_open AND same_rows) THEN
    INSERT INTO open_application_wishes SELECT * FROM application_wishes w
      WHERE w.commission_id = NEW.commission_id AND w.application_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
-- After the applications' own BEFORE triggers (the scope columns, 0024), so NEW holds what is stored.
CREATE TRIGGER application_wishes_insert AFTER INSERT ON applications
  FOR EACH ROW EXECUTE FUNCTION application_wishes_keep();
-- Any update (no column list: the scope columns also change by the BEFORE trigger that follows a person, which an
-- UPDATE OF list does not see) whose copied columns, or whether it is open, differ.
CREATE TRIGGER application_wishes_update AFTER UPDATE ON applications FOR EACH ROW
  WHEN ((OLD.wished_unit_kinds, OLD.wished_towns, OLD.queued_at, application_is_open(OLD.status), OLD.care_team_id,
         OLD.curator_org_id)
        IS DISTINCT FROM
        (NEW.wished_unit_kinds, NEW.wished_towns, NEW.queued_at, application_is_open(NEW.status), NEW.care_team_id,
         NEW.curator_org_id))
  EXECUTE FUNCTION application_wishes_keep();

-- Every application's wish rows from scratch: the backfill, and a bulk load's (with the triggers off).
CREATE FUNCTION application_wishes_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM open_application_wishes;
  DELETE FROM application_wishes;
  INSERT INTO application_wishes (commission_id, application_id, wish, value, queued_at, care_team_id,
                                  curator_org_id)
  SELECT a.commission_id, a.id, v.wish, v.value, a.queued_at, a.care_team_id, a.curator_org_id
  FROM applications a CROSS JOIN LATERAL application_wish_values(a.wished_unit_kinds, a.wished_towns) v;
  INSERT INTO open_application_wishes SELECT w.* FROM application_wishes w JOIN applications a
    ON a.commission_id = w.commission_id AND a.id = w.application_id WHERE application_is_open(a.status);
$$;

-- The two triggers off (P_ENABLED false) or on again, for a bulk load that calls application_wishes_rebuild()
-- before it commits.
CREATE FUNCTION application_wishes_triggers(p_enabled boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE applications %1$s TRIGGER application_wishes_insert, '
                 '%1$s TRIGGER application_wishes_update', CASE WHEN p_enabled THEN 'ENABLE' ELSE 'DISABLE' END);
END
$$;

SELECT application_wishes_rebuild();
ANALYZE application_wishes, open_application_wishes;
