-- A landlord's, a curator's, or one landlord's deposit accounts (GET /v1/deposits with a scoped token or
-- landlord_org_id) read their page from an index. Until now each page walked the commission's accounts of the
-- status asked (0023's indexes) and kept the scope's as they came: a landlord with a tenth of the units read ten
-- accounts for each one listed, each computed (deposit_accounts), so a page cost what the commission's size divided
-- by the landlord's share. The totals row now carries copies of its placement's landlord and curator service (as
-- the placement carries its person's and unit's: 0024) and the account's status class, the part of its status a
-- write decides (held, owed: outstanding or overdue, which the day decides; settled; not paid); each scope walks
-- its own index in the list's order (placement id).
ALTER TABLE deposit_totals
  ADD COLUMN landlord_org_id uuid,
  ADD COLUMN curator_org_id uuid,
  ADD COLUMN status_class text GENERATED ALWAYS AS (
    CASE WHEN balance_cents > 0 THEN CASE WHEN exited THEN 'owed' ELSE 'held' END
         WHEN exited OR paid_cents > 0 THEN 'settled' ELSE 'not_paid' END) STORED;

UPDATE deposit_totals t SET landlord_org_id = pl.landlord_org_id, curator_org_id = pl.curator_org_id
FROM placements pl WHERE pl.commission_id = t.commission_id AND pl.id = t.placement_id;

CREATE INDEX deposit_totals_landlord_idx ON deposit_totals (commission_id, landlord_org_id, placement_id);
CREATE INDEX deposit_totals_landlord_class_idx
  ON deposit_totals (commission_id, landlord_org_id, status_class, placement_id);
CREATE INDEX deposit_totals_curator_idx ON deposit_totals (commission_id, curator_org_id, placement_id);
CREATE INDEX deposit_totals_curator_class_idx
  ON deposit_totals (commission_id, curator_org_id, status_class, placement_id);

-- A placement's totals row from its start (0023), with its copies.
CREATE OR REPLACE FUNCTION placements_totals_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO deposit_totals AS t (commission_id, placement_id, exited, landlord_org_id, curator_org_id)
  VALUES (NEW.commission_id, NEW.id, NEW.exit_date IS NOT NULL, NEW.landlord_org_id, NEW.curator_org_id)
  ON CONFLICT (commission_id, placement_id) DO UPDATE SET exited = EXCLUDED.exited
    WHERE t.exited IS DISTINCT FROM EXCLUDED.exited;
  RETURN NULL;
END
$$;

-- A placement's copies moved (its person's curator, its unit's landlord: 0024's triggers): its incidents and its
-- totals row follow.
CREATE OR REPLACE FUNCTION placements_scope_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE incidents i SET care_team_id = NEW.care_team_id, curator_org_id = NEW.curator_org_id,
      landlord_org_id = NEW.landlord_org_id
    WHERE i.commission_id = NEW.commission_id AND i.placement_id = NEW.id;
  UPDATE deposit_totals t SET landlord_org_id = NEW.landlord_org_id, curator_org_id = NEW.curator_org_id
    WHERE t.commission_id = NEW.commission_id AND t.placement_id = NEW.id
      AND (t.landlord_org_id, t.curator_org_id) IS DISTINCT FROM (NEW.landlord_org_id, NEW.curator_org_id);
  RETURN NULL;
END
$$;
