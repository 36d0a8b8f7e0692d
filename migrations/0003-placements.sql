-- Placements, deposits, quarterly reviews and incidents: from move-in to exit, with the money right.
-- The database itself keeps the invariants users rely on: a unit never holds more people than its places at any
-- date, a person lives in at most one placement at a time, the deposit ledger is append-only and its balance
-- (the association's money the landlord still holds) never goes negative.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE placements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  application_id uuid NOT NULL,
  person_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  session_id uuid,
  move_in_date date NOT NULL,
  lease text NOT NULL CHECK (lease IN ('association_main_tenant', 'sliding_lease', 'direct_lease')),
  exit_date date,
  exit_reason text CHECK (exit_reason IN ('lease_transferred', 'other_housing', 'hospitalisation', 'care_facility',
                                          'eviction', 'departure_without_notice', 'death', 'other')),
  exit_comment text CHECK (length(exit_comment) <= 5000),
  exit_inspection_matches boolean,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (application_id),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id),
  FOREIGN KEY (commission_id, unit_id) REFERENCES units (commission_id, id),
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id),
  CHECK (exit_date IS NULL OR exit_date >= move_in_date),
  CHECK ((exit_date IS NULL) = (exit_reason IS NULL)),
  CHECK (exit_date IS NULL OR exit_inspection_matches IS NOT NULL),
  -- one home at a time: a person's placements never overlap (the exit day frees the place)
  CONSTRAINT placements_one_per_person EXCLUDE USING gist
    (person_id WITH =, daterange(move_in_date, exit_date, '[)') WITH &&)
);
CREATE INDEX placements_unit_idx ON placements (commission_id, unit_id, move_in_date);
CREATE INDEX placements_person_idx ON placements (commission_id, person_id, move_in_date);
CREATE INDEX placements_active_idx ON placements (commission_id, move_in_date, id) WHERE exit_date IS NULL;

-- A unit never holds more people than its places on any day. The unit row is locked (FOR NO KEY UPDATE: it does
-- not conflict with the key-share lock the insert's foreign key check already holds, so two writers queue instead
-- of deadlocking), so two concurrent placements into the last place are serialized and the second one sees the
-- first.
CREATE FUNCTION placements_check_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  capacity integer;
  peak integer;
BEGIN
  SELECT places INTO capacity FROM units WHERE commission_id = NEW.commission_id AND id = NEW.unit_id
    FOR NO KEY UPDATE;
  -- Occupancy only rises on move-in days: the peak over the new stay is reached on its first day or on the
  -- move-in day of another stay that begins during it.
  SELECT coalesce(max(n), 0) INTO peak FROM (
    SELECT (SELECT count(*) FROM placements p WHERE p.unit_id = NEW.unit_id
            AND daterange(p.move_in_date, p.exit_date, '[)') @> d.day) AS n
    FROM (SELECT NEW.move_in_date AS day
          UNION SELECT q.move_in_date FROM placements q WHERE q.unit_id = NEW.unit_id
            AND q.move_in_date > NEW.move_in_date AND (NEW.exit_date IS NULL OR q.move_in_date < NEW.exit_date)) d
  ) occupancy;
  IF peak > capacity THEN
    RAISE EXCEPTION 'unit % is full', NEW.unit_id USING ERRCODE = '23P01', CONSTRAINT = 'placements_unit_capacity';
  END IF;
  RETURN NEW;
END
$$;
CREATE CONSTRAINT TRIGGER placements_unit_capacity AFTER INSERT OR UPDATE OF unit_id, move_in_date, exit_date
  ON placements FOR EACH ROW EXECUTE FUNCTION placements_check_capacity();

-- The deposit ledger: append-only entries in integer cents. A reversal points at the entry it cancels.
CREATE TABLE deposit_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('paid', 'refunded', 'deducted', 'written_off', 'reversal')),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
  effect_cents bigint NOT NULL, -- what it does to the money the landlord holds: + paid, - refunded, ...
  entry_date date NOT NULL,
  justification text CHECK (length(justification) <= 5000),
  reverses_entry_id uuid UNIQUE REFERENCES deposit_entries (id),
  token_id uuid REFERENCES tokens (id),
  role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id),
  CHECK ((kind = 'reversal') = (reverses_entry_id IS NOT NULL)),
  CHECK (kind <> 'deducted' OR justification IS NOT NULL),
  CHECK (kind <> 'reversal' OR justification IS NOT NULL)
);
CREATE INDEX deposit_entries_placement_idx ON deposit_entries (commission_id, placement_id, created_at, id);

CREATE FUNCTION deposit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the deposit ledger is append-only: record a reversal instead' USING ERRCODE = '23514',
    CONSTRAINT = 'deposit_entries_append_only';
END
$$;
CREATE TRIGGER deposit_entries_no_update BEFORE UPDATE OR DELETE ON deposit_entries
  FOR EACH ROW EXECUTE FUNCTION deposit_entries_append_only();

-- The balance never goes negative: checked after each entry with the placement row locked, so concurrent
-- entries on one deposit are serialized.
CREATE FUNCTION deposit_entries_check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  balance bigint;
BEGIN
  PERFORM 1 FROM placements WHERE commission_id = NEW.commission_id AND id = NEW.placement_id FOR NO KEY UPDATE;
  SELECT coalesce(sum(effect_cents), 0) INTO balance FROM deposit_entries
    WHERE commission_id = NEW.commission_id AND placement_id = NEW.placement_id;
  IF balance < 0 THEN
    RAISE EXCEPTION 'the deposit balance would become negative' USING ERRCODE = '23514',
      CONSTRAINT = 'deposit_balance_not_negative';
  END IF;
  RETURN NEW;
END
$$;
CREATE CONSTRAINT TRIGGER deposit_entries_balance AFTER INSERT ON deposit_entries
  FOR EACH ROW EXECUTE FUNCTION deposit_entries_check_balance();

-- Quarterly reviews: each part records who wrote it.
CREATE TABLE reviews (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  review_date date NOT NULL,
  care_followup text CHECK (length(care_followup) <= 20000),       -- care-confidential
  care_by_role text, care_by_token uuid REFERENCES tokens (id), care_at timestamptz,
  rent_status text CHECK (rent_status IN ('up_to_date', 'arrears')),
  arrears_cents bigint CHECK (arrears_cents >= 0 AND arrears_cents <= 100000000),
  rent_by_role text, rent_by_token uuid REFERENCES tokens (id), rent_at timestamptz,
  housing text CHECK (length(housing) <= 5000),
  housing_by_role text, housing_by_token uuid REFERENCES tokens (id), housing_at timestamptz,
  autonomy text CHECK (length(autonomy) <= 5000),
  autonomy_by_role text, autonomy_by_token uuid REFERENCES tokens (id), autonomy_at timestamptz,
  outcome text CHECK (outcome IN ('continue', 'adjust_support', 'prepare_lease_transfer', 'prepare_exit')),
  outcome_by_role text, outcome_by_token uuid REFERENCES tokens (id), outcome_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id),
  CHECK ((rent_status = 'arrears') = (coalesce(arrears_cents, 0) > 0))
);
CREATE INDEX reviews_placement_idx ON reviews (commission_id, placement_id, review_date DESC);

CREATE TABLE incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('rent_arrears', 'disturbance', 'damage', 'hospitalisation', 'prolonged_absence',
                                     'other')),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
  arrears_cents bigint CHECK (arrears_cents > 0 AND arrears_cents <= 100000000),
  occurred_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
  reported_by_role text NOT NULL,
  reported_by_token uuid REFERENCES tokens (id),
  acknowledged_at timestamptz,
  closed_at timestamptz,
  closing_note text CHECK (length(closing_note) <= 5000),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id),
  CHECK (kind <> 'rent_arrears' OR arrears_cents IS NOT NULL)
);
CREATE INDEX incidents_placement_idx ON incidents (commission_id, placement_id, created_at);
CREATE INDEX incidents_open_idx ON incidents (commission_id, created_at, id) WHERE status <> 'closed';

-- Agenda items may now point at a placement (review due) or an incident, once per session each.
ALTER TABLE agenda_items ADD COLUMN placement_id uuid, ADD COLUMN incident_id uuid,
  ADD FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id),
  ADD FOREIGN KEY (commission_id, incident_id) REFERENCES incidents (commission_id, id),
  ADD CHECK ((kind = 'review') = (placement_id IS NOT NULL)),
  ADD CHECK ((kind = 'incident') = (incident_id IS NOT NULL));
CREATE UNIQUE INDEX agenda_items_review_once ON agenda_items (session_id, placement_id) WHERE placement_id IS NOT NULL;
CREATE UNIQUE INDEX agenda_items_incident_once ON agenda_items (session_id, incident_id) WHERE incident_id IS NOT NULL;

-- Each placement's deposit account, derived from the ledger: totals per kind net of reversals, the balance the
-- landlord holds, when the refund is due after an exit, and where the account stands.
CREATE VIEW deposit_accounts AS
SELECT p.commission_id, p.id AS placement_id, p.unit_id, u.landlord_org_id, p.person_id, p.move_in_date,
  p.exit_date, p.exit_inspection_matches, u.rent_cents, u.deposit_cents AS expected_cents,
  coalesce(t.balance_cents, 0) AS balance_cents,
  coalesce(t.paid_cents, 0) AS paid_cents,
  coalesce(t.refunded_cents, 0) AS refunded_cents,
  coalesce(t.deducted_cents, 0) AS deducted_cents,
  coalesce(t.written_off_cents, 0) AS written_off_cents,
  CASE WHEN p.exit_date IS NULL THEN NULL
       ELSE (p.exit_date + CASE WHEN p.exit_inspection_matches THEN interval '1 month' ELSE interval '2 months' END)::date
  END AS refund_due_on,
  CASE WHEN p.exit_date IS NULL THEN CASE WHEN coalesce(t.balance_cents, 0) > 0 THEN 'held'
                                        WHEN coalesce(t.paid_cents, 0) > 0 THEN 'settled' ELSE 'not_paid' END
       WHEN coalesce(t.balance_cents, 0) = 0 THEN 'settled'
       WHEN current_date > (p.exit_date + CASE WHEN p.exit_inspection_matches THEN interval '1 month'
                                               ELSE interval '2 months' END)::date THEN 'overdue'
       ELSE 'outstanding' END AS status
FROM placements p
JOIN units u ON u.commission_id = p.commission_id AND u.id = p.unit_id
LEFT JOIN (
  SELECT e.commission_id, e.placement_id, sum(e.effect_cents) AS balance_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'paid' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END) AS paid_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'refunded' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS refunded_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'deducted' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS deducted_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'written_off' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS written_off_cents
  FROM deposit_entries e LEFT JOIN deposit_entries r ON r.id = e.reverses_entry_id
  GROUP BY e.commission_id, e.placement_id
) t ON t.commission_id = p.commission_id AND t.placement_id = p.id;

-- When each active placement's next quarterly review is due: three months after the last review, or after the
-- move-in when there has been none.
CREATE VIEW review_schedule AS
SELECT pl.commission_id, pl.id AS placement_id, pl.person_id, pl.unit_id, pl.move_in_date,
  max(r.review_date) AS last_review_date,
  (coalesce(max(r.review_date), pl.move_in_date) + interval '3 months')::date AS next_review_on
FROM placements pl
LEFT JOIN reviews r ON r.commission_id = pl.commission_id AND r.placement_id = pl.id
WHERE pl.exit_date IS NULL OR pl.exit_date > current_date
GROUP BY pl.commission_id, pl.id;
