-- The late-refund penalty of loi n° 89-462 art. 22 as the ledger records it: 10 % of the monthly rent
-- (excluding charges) per started month between the refund's due date and the day the account was settled (or
-- today while it is not). Once the refund is recorded the penalty stays what it was: settled late is not settled
-- free. The association records what it claimed from the landlord, what it received and what it waived (with the
-- reason, e.g. the tenant gave no new address, which the article excludes); these entries move no deposit money.

ALTER TABLE deposit_entries DROP CONSTRAINT deposit_entries_kind_check;
ALTER TABLE deposit_entries ADD CONSTRAINT deposit_entries_kind_check CHECK (kind IN ('paid', 'refunded', 'deducted',
  'written_off', 'reversal', 'penalty_claimed', 'penalty_received', 'penalty_waived'));
ALTER TABLE deposit_entries ADD CONSTRAINT deposit_entries_waiver_reason
  CHECK (kind <> 'penalty_waived' OR justification IS NOT NULL);
ALTER TABLE deposit_entries ADD CONSTRAINT deposit_entries_penalty_moves_no_deposit
  CHECK (kind NOT LIKE 'penalty_%' OR effect_cents = 0);

-- Started months of delay on ON_DAY for a refund due on DUE: the smallest m >= 1 with due + m months >= on_day
-- (month ends clamped, as src/domain/deposit.c deposit_months_late(); tests/db compares the two); 0 when not late.
CREATE FUNCTION deposit_months_late(due date, on_day date) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN due IS NULL OR on_day IS NULL OR on_day <= due THEN 0 ELSE
    (SELECT min(m) FROM generate_series(
       greatest(1, (extract(year FROM on_day) - extract(year FROM due))::integer * 12
                   + (extract(month FROM on_day) - extract(month FROM due))::integer),
       (extract(year FROM on_day) - extract(year FROM due))::integer * 12
         + (extract(month FROM on_day) - extract(month FROM due))::integer + 1) m
     WHERE (due + make_interval(months => m))::date >= on_day) END
$$;

-- The account with its penalty: new columns at the end (CREATE OR REPLACE VIEW keeps the others in place).
-- settled_on: after an exit, the day of the last entry that moved money once the balance is 0; penalty_until: the
-- day the penalty stopped (settled_on) or today; the penalty figures, net of reversals.
CREATE OR REPLACE VIEW deposit_accounts AS
SELECT p.commission_id, p.id AS placement_id, p.unit_id, u.landlord_org_id, p.person_id, p.move_in_date,
  p.exit_date, p.exit_inspection_matches, u.rent_cents, u.deposit_cents AS expected_cents,
  coalesce(t.balance_cents, 0) AS balance_cents,
  coalesce(t.paid_cents, 0) AS paid_cents,
  coalesce(t.refunded_cents, 0) AS refunded_cents,
  coalesce(t.deducted_cents, 0) AS deducted_cents,
  coalesce(t.written_off_cents, 0) AS written_off_cents,
  d.refund_due_on,
  CASE WHEN p.exit_date IS NULL THEN CASE WHEN coalesce(t.balance_cents, 0) > 0 THEN 'held'
                                        WHEN coalesce(t.paid_cents, 0) > 0 THEN 'settled' ELSE 'not_paid' END
       WHEN coalesce(t.balance_cents, 0) = 0 THEN 'settled'
       WHEN current_date > d.refund_due_on THEN 'overdue'
       ELSE 'outstanding' END AS status,
  s.settled_on, s.penalty_until,
  m.months_late,
  u.rent_cents * m.months_late / 10 AS penalty_cents,
  coalesce(t.penalty_claimed_cents, 0) AS penalty_claimed_cents,
  coalesce(t.penalty_received_cents, 0) AS penalty_received_cents,
  coalesce(t.penalty_waived_cents, 0) AS penalty_waived_cents,
  greatest(u.rent_cents * m.months_late / 10 - coalesce(t.penalty_received_cents, 0)
           - coalesce(t.penalty_waived_cents, 0), 0) AS penalty_unpaid_cents
FROM placements p
JOIN units u ON u.commission_id = p.commission_id AND u.id = p.unit_id
LEFT JOIN (
  SELECT e.commission_id, e.placement_id, sum(e.effect_cents) AS balance_cents,
    max(e.entry_date) FILTER (WHERE e.effect_cents <> 0) AS last_moved_on,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'paid' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END) AS paid_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'refunded' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS refunded_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'deducted' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS deducted_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'written_off' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS written_off_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'penalty_claimed' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS penalty_claimed_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'penalty_received' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS penalty_received_cents,
    sum(CASE coalesce(r.kind, e.kind) WHEN 'penalty_waived' THEN (CASE WHEN e.kind = 'reversal' THEN -1 ELSE 1 END) * e.amount_cents ELSE 0 END)
      AS penalty_waived_cents
  FROM deposit_entries e LEFT JOIN deposit_entries r ON r.id = e.reverses_entry_id
  GROUP BY e.commission_id, e.placement_id
) t ON t.commission_id = p.commission_id AND t.placement_id = p.id
CROSS JOIN LATERAL (SELECT CASE WHEN p.exit_date IS NULL THEN NULL
  ELSE (p.exit_date + CASE WHEN p.exit_inspection_matches THEN interval '1 month' ELSE interval '2 months' END)::date
  END AS refund_due_on) d
CROSS JOIN LATERAL (SELECT CASE WHEN p.exit_date IS NOT NULL AND coalesce(t.balance_cents, 0) = 0
                                THEN greatest(t.last_moved_on, p.exit_date) END AS settled_on,
                           CASE WHEN p.exit_date IS NULL THEN NULL
                                WHEN coalesce(t.balance_cents, 0) = 0 THEN greatest(t.last_moved_on, p.exit_date)
                                ELSE current_date END AS penalty_until) s
CROSS JOIN LATERAL (SELECT deposit_months_late(d.refund_due_on, s.penalty_until) AS months_late) m;
ALTER VIEW deposit_accounts SET (security_invoker = true);
