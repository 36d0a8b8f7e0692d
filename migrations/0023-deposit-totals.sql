-- Each deposit account's totals kept as the ledger grows (issue 15: the write in one round trip, no aggregate over
-- the ledger). deposit_totals holds, for every placement (zeros from its start), every sum deposit_accounts
-- computed over the ledger: the balance, the money paid, refunded, deducted and written off and the penalty
-- claimed, received and waived, net of reversals (a reversal counts against the kind of the entry it reverses),
-- the last day an entry moved money, and whether the placement has ended. Triggers keep it in the transaction that
-- writes: an entry (entries are append-only, 0003), a new placement, an exit. Nothing else writes deposit_totals.

CREATE TABLE deposit_totals (
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  balance_cents bigint NOT NULL DEFAULT 0,
  paid_cents bigint NOT NULL DEFAULT 0,
  refunded_cents bigint NOT NULL DEFAULT 0,
  deducted_cents bigint NOT NULL DEFAULT 0,
  written_off_cents bigint NOT NULL DEFAULT 0,
  penalty_claimed_cents bigint NOT NULL DEFAULT 0,
  penalty_received_cents bigint NOT NULL DEFAULT 0,
  penalty_waived_cents bigint NOT NULL DEFAULT 0,
  last_moved_on date, -- the last entry_date of an entry that moved money (effect_cents <> 0)
  entries integer NOT NULL DEFAULT 0,
  exited boolean NOT NULL DEFAULT false, -- the placement's exit_date is set (kept by placements_totals_row)
  PRIMARY KEY (commission_id, placement_id),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id)
);
-- Each list by status (GET /v1/deposits?status=, src/db/deposits.c) reads one of these in its order (placement id):
-- every row of an index is an account of that status (outstanding and overdue share the accounts holding money
-- after the exit, a refund owed: as many as the refunds the commission waits for, whatever its history). A status
-- is balance > 0: held before the exit, outstanding or overdue after; balance = 0: not_paid before the exit with
-- nothing paid, else settled.
CREATE INDEX deposit_totals_held_idx ON deposit_totals (commission_id, placement_id)
  WHERE balance_cents > 0 AND NOT exited;
CREATE INDEX deposit_totals_owed_idx ON deposit_totals (commission_id, placement_id)
  WHERE balance_cents > 0 AND exited;
CREATE INDEX deposit_totals_settled_idx ON deposit_totals (commission_id, placement_id)
  WHERE balance_cents = 0 AND (exited OR paid_cents > 0);
CREATE INDEX deposit_totals_not_paid_idx ON deposit_totals (commission_id, placement_id)
  WHERE balance_cents = 0 AND paid_cents = 0 AND NOT exited;

ALTER TABLE deposit_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE deposit_totals FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON deposit_totals USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- What entry E adds to its account, given the kind of the entry it reverses (NULL when it reverses none): the same
-- arithmetic as the former aggregate of deposit_accounts, one entry at a time.
CREATE FUNCTION deposit_entry_adds(e deposit_entries, reversed_kind text)
RETURNS TABLE (kind text, signed_cents bigint) LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(reversed_kind, e.kind), CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END * e.amount_cents
$$;

-- Adds the new entry to its account's totals. The placement is locked first (as the balance check of 0003 did), so
-- the entries, the provision and the penalty entries of one deposit are serialized; the totals row is then
-- updated under its own row lock. Named so that it fires before deposit_entries_balance (AFTER triggers fire in
-- the order of their names), which reads what it wrote.
CREATE FUNCTION deposit_entries_add_to_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  reversed_kind text;
  k text;
  c bigint;
  has_exited boolean;
BEGIN
  SELECT pl.exit_date IS NOT NULL INTO has_exited FROM placements pl
    WHERE pl.commission_id = NEW.commission_id AND pl.id = NEW.placement_id FOR NO KEY UPDATE;
  IF NEW.reverses_entry_id IS NOT NULL THEN
    SELECT r.kind INTO reversed_kind FROM deposit_entries r WHERE r.id = NEW.reverses_entry_id;
  END IF;
  SELECT a.kind, a.signed_cents INTO k, c FROM deposit_entry_adds(NEW, reversed_kind) a;
  INSERT INTO deposit_totals AS t (commission_id, placement_id, balance_cents, paid_cents, refunded_cents,
                                   deducted_cents, written_off_cents, penalty_claimed_cents, penalty_received_cents,
                                   penalty_waived_cents, last_moved_on, entries, exited)
  VALUES (NEW.commission_id, NEW.placement_id, NEW.effect_cents,
          CASE k WHEN 'paid' THEN c ELSE 0 END, CASE k WHEN 'refunded' THEN c ELSE 0 END,
          CASE k WHEN 'deducted' THEN c ELSE 0 END, CASE k WHEN 'written_off' THEN c ELSE 0 END,
          CASE k WHEN 'penalty_claimed' THEN c ELSE 0 END, CASE k WHEN 'penalty_received' THEN c ELSE 0 END,
          CASE k WHEN 'penalty_waived' THEN c ELSE 0 END,
          CASE WHEN NEW.effect_cents <> 0 THEN NEW.entry_date END, 1, coalesce(has_exited, false))
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
CREATE TRIGGER deposit_entries_add_totals AFTER INSERT ON deposit_entries
  FOR EACH ROW EXECUTE FUNCTION deposit_entries_add_to_totals();

-- Every placement has its totals row from the start (zeros), so that the lists by status find each account in an
-- index, those with no entry yet too; its exit (or the exit's correction) moves the account between the lists.
CREATE FUNCTION placements_totals_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO deposit_totals AS t (commission_id, placement_id, exited)
  VALUES (NEW.commission_id, NEW.id, NEW.exit_date IS NOT NULL)
  ON CONFLICT (commission_id, placement_id) DO UPDATE SET exited = EXCLUDED.exited
    WHERE t.exited IS DISTINCT FROM EXCLUDED.exited;
  RETURN NULL;
END
$$;
CREATE TRIGGER placements_totals_row AFTER INSERT OR UPDATE OF exit_date ON placements
  FOR EACH ROW EXECUTE FUNCTION placements_totals_row();

-- The balance never goes negative: read from the totals row the trigger above just updated (no sum of the ledger).
CREATE OR REPLACE FUNCTION deposit_entries_check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT t.balance_cents FROM deposit_totals t WHERE t.commission_id = NEW.commission_id
      AND t.placement_id = NEW.placement_id) < 0 THEN
    RAISE EXCEPTION 'the deposit balance would become negative' USING ERRCODE = '23514',
      CONSTRAINT = 'deposit_balance_not_negative';
  END IF;
  RETURN NEW;
END
$$;

-- The totals of the ledger as it stands, and zeros for the placements without entries (the triggers above keep them
-- from now on). Run with row-level security
-- bypassed by the migration's role or commissiond.scope = 'all', as the migrations before.
INSERT INTO deposit_totals (commission_id, placement_id, balance_cents, paid_cents, refunded_cents, deducted_cents,
                            written_off_cents, penalty_claimed_cents, penalty_received_cents, penalty_waived_cents,
                            last_moved_on, entries, exited)
SELECT e.commission_id, e.placement_id, sum(e.effect_cents),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'paid'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'refunded'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'deducted'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'written_off'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'penalty_claimed'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'penalty_received'), 0),
  coalesce(sum(a.signed_cents) FILTER (WHERE a.kind = 'penalty_waived'), 0),
  max(e.entry_date) FILTER (WHERE e.effect_cents <> 0), count(*), bool_or(pl.exit_date IS NOT NULL)
FROM deposit_entries e LEFT JOIN deposit_entries r ON r.id = e.reverses_entry_id
JOIN placements pl ON pl.commission_id = e.commission_id AND pl.id = e.placement_id
CROSS JOIN LATERAL deposit_entry_adds(e, r.kind) a
GROUP BY e.commission_id, e.placement_id;
INSERT INTO deposit_totals (commission_id, placement_id, exited)
SELECT pl.commission_id, pl.id, pl.exit_date IS NOT NULL FROM placements pl
ON CONFLICT DO NOTHING;

-- The started months of delay (0010) without a generate_series and an aggregate per call: the same values (the
-- smallest m >= 1 with due + m months >= on_day lies in {d, d + 1} for d the months between the two dates, at least
-- 1; tests/db compares it with src/domain/deposit.c), about four times cheaper. An account's row (deposit_entry_post
-- below) and each row of the lists and the report call it up to six times.
CREATE OR REPLACE FUNCTION deposit_months_late(due date, on_day date) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  m integer;
BEGIN
  IF due IS NULL OR on_day IS NULL OR on_day <= due THEN
    RETURN 0;
  END IF;
  m := greatest(1, (extract(year FROM on_day) - extract(year FROM due))::integer * 12
                   + (extract(month FROM on_day) - extract(month FROM due))::integer);
  IF (due + make_interval(months => m))::date >= on_day THEN
    RETURN m;
  END IF;
  RETURN m + 1;
END
$$;

-- The account as 0014 defined it, same columns, types (the sums stay numeric, as sum() gave them) and values, its
-- sums read from deposit_totals. What still reads the
-- ledger: first_part_until, the first day in the ledger's order the balance fell to a co-owned building's
-- provision, computed only for an exited account with a provision whose balance is down to it (an index range
-- of that one placement's entries).
CREATE OR REPLACE VIEW deposit_accounts AS
SELECT p.commission_id, p.id AS placement_id, p.unit_id, u.landlord_org_id, p.person_id, p.move_in_date,
  p.exit_date, p.exit_inspection_matches, u.rent_cents, u.deposit_cents AS expected_cents,
  coalesce(t.balance_cents, 0)::numeric AS balance_cents,
  coalesce(t.paid_cents, 0)::numeric AS paid_cents,
  coalesce(t.refunded_cents, 0)::numeric AS refunded_cents,
  coalesce(t.deducted_cents, 0)::numeric AS deducted_cents,
  coalesce(t.written_off_cents, 0)::numeric AS written_off_cents,
  d.refund_due_on,
  CASE WHEN p.exit_date IS NULL THEN CASE WHEN coalesce(t.balance_cents, 0) > 0 THEN 'held'
                                        WHEN coalesce(t.paid_cents, 0) > 0 THEN 'settled' ELSE 'not_paid' END
       WHEN coalesce(t.balance_cents, 0) = 0 THEN 'settled'
       WHEN coalesce(t.balance_cents, 0) > pv.provision_cents AND current_date > d.refund_due_on THEN 'overdue'
       WHEN current_date > pv.provision_due_on THEN 'overdue'
       ELSE 'outstanding' END AS status,
  s.settled_on, s.penalty_until,
  m.months_late,
  u.rent_cents * m.months_late / 10 AS penalty_cents,
  coalesce(t.penalty_claimed_cents, 0)::numeric AS penalty_claimed_cents,
  coalesce(t.penalty_received_cents, 0)::numeric AS penalty_received_cents,
  coalesce(t.penalty_waived_cents, 0)::numeric AS penalty_waived_cents,
  greatest(u.rent_cents * m.months_late / 10 - coalesce(t.penalty_received_cents, 0)::numeric
           - coalesce(t.penalty_waived_cents, 0), 0) AS penalty_unpaid_cents,
  u.co_owned, pv.provision_cents, pv.provision_justification, pv.accounts_approved_on, pv.provision_due_on,
  f.first_part_until, p.lease, p.refund_to_association
FROM placements p
JOIN units u ON u.commission_id = p.commission_id AND u.id = p.unit_id
LEFT JOIN deposit_totals t ON t.commission_id = p.commission_id AND t.placement_id = p.id
LEFT JOIN deposit_provisions dp ON dp.commission_id = p.commission_id AND dp.placement_id = p.id
CROSS JOIN LATERAL (SELECT coalesce(dp.amount_cents, 0) AS provision_cents, dp.justification AS provision_justification,
                           dp.accounts_approved_on,
                           (dp.accounts_approved_on + interval '1 month')::date AS provision_due_on) pv
CROSS JOIN LATERAL (SELECT CASE WHEN p.exit_date IS NULL THEN NULL
  ELSE (p.exit_date + CASE WHEN p.exit_inspection_matches THEN interval '1 month' ELSE interval '2 months' END)::date
  END AS refund_due_on) d
CROSS JOIN LATERAL (SELECT CASE WHEN p.exit_date IS NOT NULL AND coalesce(t.balance_cents, 0) = 0
                                THEN greatest(t.last_moved_on, p.exit_date) END AS settled_on,
                           CASE WHEN p.exit_date IS NULL THEN NULL
                                WHEN coalesce(t.balance_cents, 0) = 0 THEN greatest(t.last_moved_on, p.exit_date)
                                ELSE current_date END AS penalty_until) s
-- the day the money beyond the provision was back: the first day, in the ledger's order, the balance fell to the
-- provision (not before the exit)
CROSS JOIN LATERAL (SELECT CASE WHEN p.exit_date IS NULL THEN NULL
                                WHEN pv.provision_cents = 0 THEN s.penalty_until
                                WHEN coalesce(t.balance_cents, 0) > pv.provision_cents THEN current_date
                                ELSE greatest(p.exit_date, (SELECT min(c.entry_date) FROM (
                                  SELECT x.entry_date, sum(x.effect_cents) OVER (ORDER BY x.entry_date, x.created_at,
                                    x.id) AS running FROM deposit_entries x WHERE x.commission_id = p.commission_id
                                    AND x.placement_id = p.id AND x.effect_cents <> 0) c
                                  WHERE c.running <= pv.provision_cents)) END AS first_part_until) f
CROSS JOIN LATERAL (SELECT deposit_months_late(d.refund_due_on, f.first_part_until)
                           + CASE WHEN pv.provision_cents > 0 THEN deposit_months_late(pv.provision_due_on, s.penalty_until)
                                  ELSE 0 END AS months_late) m;
ALTER VIEW deposit_accounts SET (security_invoker = true);

-- The deposit entry write in one statement (POST /v1/placements/{id}/deposit/entries, src/db/deposits.c): when
-- IN_SCOPE (the caller's scope predicate, evaluated by the calling statement), records the entry (the triggers
-- above add it to the totals and check the balance; 0019's posts the webhook event) and returns the account as it
-- now stands with each entry of its ledger, oldest first, one row per entry, and the new entry's id (POSTED_ID,
-- on every row); no row when out of scope. A negative
-- balance or a second reversal of an entry fails as the insert itself does (23514 deposit_balance_not_negative,
-- 23505).
CREATE FUNCTION deposit_entry_post(p_commission uuid, p_placement uuid, p_in_scope boolean, p_kind text,
                                   p_amount bigint, p_effect bigint, p_date date, p_justification text,
                                   p_reverses uuid, p_token uuid, p_role text)
RETURNS TABLE (account deposit_accounts, entry deposit_entries, posted_id uuid) LANGUAGE plpgsql ROWS 10 AS $$
DECLARE
  a deposit_accounts;
  new_id uuid;
BEGIN
  IF NOT coalesce(p_in_scope, false) THEN
    RETURN;
  END IF;
  INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date,
                               justification, reverses_entry_id, token_id, role)
  VALUES (p_commission, p_placement, p_kind, p_amount, p_effect, p_date, p_justification, p_reverses, p_token,
          p_role)
  RETURNING id INTO new_id;
  SELECT da.* INTO a FROM deposit_accounts da WHERE da.commission_id = p_commission AND da.placement_id = p_placement;
  RETURN QUERY SELECT a, e, new_id FROM deposit_entries e WHERE e.commission_id = p_commission
    AND e.placement_id = p_placement ORDER BY e.created_at, e.id;
END
$$;
