-- The accounts with a late-refund penalty not yet paid (GET /v1/deposits?status=penalty_unpaid) read their page
-- from an index. Until now each page walked every account of the commission (or of the caller's scope) and kept
-- those whose penalty, computed as they came, was not received or waived in full: O(the commission's accounts) for
-- a page when few owe a penalty, as in a commission whose landlords refund on time.
--
-- A penalty is owed only when the refund was late (loi n° 89-462 art. 22: 10 % of the monthly rent per started
-- month after the due date, one month after the exit, two when the inspections differ; with a co-owned building's
-- provision, its part is due a month after the building's accounts are approved). So only these accounts can owe
-- one: an account still holding money after the exit (the penalty grows with the day), one whose balance came back
-- to zero more than 28 days after the exit (the earliest a refund can be late: a month is at least 28 days), and
-- one with a provision (its part is due a month after the accounts' approval, which the API takes from the exit on,
-- but a row need not say so). The totals row keeps copies of the exit date and whether a provision was set, and
-- states the account a candidate; the lists walk the candidates of the commission, of one landlord or of one
-- curator service and keep those whose penalty is unpaid today (every filter is still checked on the account). A
-- candidate never becomes a non-candidate by the day: what moves it is a write (an entry, an exit or its
-- correction, a provision), in the transaction of that write. An account settled late stays a candidate once its
-- penalty is received or waived: the walk reads the late refunds of the commission's history, not its accounts.
ALTER TABLE deposit_totals
  ADD COLUMN exit_date date,
  ADD COLUMN provisioned boolean NOT NULL DEFAULT false,
  ADD COLUMN penalty_candidate boolean GENERATED ALWAYS AS (
    exited AND (balance_cents > 0 OR provisioned OR coalesce(last_moved_on > exit_date + 28, false))) STORED;

UPDATE deposit_totals t SET exit_date = pl.exit_date
FROM placements pl WHERE pl.commission_id = t.commission_id AND pl.id = t.placement_id AND pl.exit_date IS NOT NULL;
UPDATE deposit_totals t SET provisioned = true
FROM deposit_provisions dp WHERE dp.commission_id = t.commission_id AND dp.placement_id = t.placement_id;

CREATE INDEX deposit_totals_penalty_idx ON deposit_totals (commission_id, placement_id) WHERE penalty_candidate;
CREATE INDEX deposit_totals_landlord_penalty_idx ON deposit_totals (commission_id, landlord_org_id, placement_id)
  WHERE penalty_candidate;
CREATE INDEX deposit_totals_curator_penalty_idx ON deposit_totals (commission_id, curator_org_id, placement_id)
  WHERE penalty_candidate;

-- A placement's totals row from its start (0023, 0039), with its exit date.
CREATE OR REPLACE FUNCTION placements_totals_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO deposit_totals AS t (commission_id, placement_id, exited, exit_date, landlord_org_id, curator_org_id)
  VALUES (NEW.commission_id, NEW.id, NEW.exit_date IS NOT NULL, NEW.exit_date, NEW.landlord_org_id,
          NEW.curator_org_id)
  ON CONFLICT (commission_id, placement_id) DO UPDATE SET exited = EXCLUDED.exited, exit_date = EXCLUDED.exit_date
    WHERE t.exit_date IS DISTINCT FROM EXCLUDED.exit_date OR t.exited IS DISTINCT FROM EXCLUDED.exited;
  RETURN NULL;
END
$$;

-- A new entry's totals (0023): the same, its placement's exit date copied when the entry creates the totals row
-- (every placement has had its row from its start since 0023, so this path is the rule's, not the daemon's).
CREATE OR REPLACE FUNCTION deposit_entries_add_to_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  reversed_kind text;
  k text;
  c bigint;
  exit_on date;
BEGIN
  SELECT pl.exit_date INTO exit_on FROM placements pl
    WHERE pl.commission_id = NEW.commission_id AND pl.id = NEW.placement_id FOR NO KEY UPDATE;
  IF NEW.reverses_entry_id IS NOT NULL THEN
    SELECT r.kind INTO reversed_kind FROM deposit_entries r WHERE r.id = NEW.reverses_entry_id;
  END IF;
  SELECT a.kind, a.signed_cents INTO k, c FROM deposit_entry_adds(NEW, reversed_kind) a;
  INSERT INTO deposit_totals AS t (commission_id, placement_id, balance_cents, paid_cents, refunded_cents,
                                   deducted_cents, written_off_cents, penalty_claimed_cents, penalty_received_cents,
                                   penalty_waived_cents, last_moved_on, entries, exited, exit_date)
  VALUES (NEW.commission_id, NEW.placement_id, NEW.effect_cents,
          CASE k WHEN 'paid' THEN c ELSE 0 END, CASE k WHEN 'refunded' THEN c ELSE 0 END,
          CASE k WHEN 'deducted' THEN c ELSE 0 END, CASE k WHEN 'written_off' THEN c ELSE 0 END,
          CASE k WHEN 'penalty_claimed' THEN c ELSE 0 END, CASE k WHEN 'penalty_received' THEN c ELSE 0 END,
          CASE k WHEN 'penalty_waived' THEN c ELSE 0 END,
          CASE WHEN NEW.effect_cents <> 0 THEN NEW.entry_date END, 1, exit_on IS NOT NULL, exit_on)
  ON CONFLICT (commission_id, placement_id) DO UPDATE SET
    balance_cents = t.balance_cents + EXCLUDED.balance_cents,
    paid_cents = t.paid_cents + EXCLUDED.paid_cents,
    refunded_cents = t.refunded_cents + EXCLUDED.refunded_cents,
    deducted_cents = t.deducted_cents + EXCLUDED.deducted_cents,
    written_off_cents = t.written_off_cents + EXCLUDED.written_off_cents,
    penalty_claimed_cents = t.penalty_claimed_cents + EXCLUDED.penalty_claimed_cents,
    penalty_received_cents = t.penalty_received_cents + EXCLUDED.penalty_received_cents,
    penalty_waived_cents = t.penalty_waived_cents + EXCLUDED.penalty_waived_cents,
    last_moved_on = greatest(t.last_moved_on, EXCLUDED.last_moved_on),
    entries = t.entries + 1;
  RETURN NULL;
END
$$;

-- A provision set (PUT .../deposit/provision; provisions are changed, never removed): its account becomes a
-- candidate.
CREATE FUNCTION deposit_provisions_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE deposit_totals t SET provisioned = true
    WHERE t.commission_id = NEW.commission_id AND t.placement_id = NEW.placement_id AND NOT t.provisioned;
  RETURN NULL;
END
$$;
CREATE TRIGGER deposit_provisions_totals AFTER INSERT ON deposit_provisions
  FOR EACH ROW EXECUTE FUNCTION deposit_provisions_totals();

-- The refunds not yet due (GET /v1/deposits?status=outstanding), which the day makes overdue without a write: an
-- account owing a refund is outstanding only until its due date, at most two months (62 days) after the exit, or
-- while a provision waits for the building's accounts. Their walk reads the accounts owing a refund whose exit is
-- that recent (an index range on the exit date) and those with a provision, then sorts them: as many as the
-- refunds falling due, where it read every account owing a refund (the overdue ones of the commission's history
-- included) to find them.
CREATE INDEX deposit_totals_owed_exit_idx ON deposit_totals (commission_id, exit_date)
  WHERE balance_cents > 0 AND exited;
CREATE INDEX deposit_totals_owed_provisioned_idx ON deposit_totals (commission_id, placement_id)
  WHERE balance_cents > 0 AND exited AND provisioned;
