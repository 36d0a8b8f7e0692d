-- A deposit write paid about twice what its insert cost for the account it answers (pgbench, one connection, the
-- bench's small set, each write rolled back: the insert with its triggers 0.17 ms, deposit_entry_post() with its
-- answer 0.63-0.69 ms for a ledger of 32 entries). Two causes:
-- 1. deposit_entry_post() (0023) read the whole account view into a composite (SELECT da.*): every column computed,
--    the months late and the penalty included, which the daemon computes itself (src/domain/deposit.c). The view's
--    LATERAL subqueries are pulled up into the query, so each reference to a derived column copies its expression:
--    the months late (three references, each with the day the first part came back and its sub-select on the
--    ledger) were compiled again at every execution's start (perf: ExecInitExpr, palloc0, ExprEvalPushStep). A
--    read of all the view's columns costs 93 us, of those the daemon shows 70 us, the totals row alone 25 us.
-- 2. It returned the account and the entry as composites on every row of the ledger, which the calling statement
--    took apart column by column, and the person was looked up per row.
-- deposit_entry_record() reads the columns the answer shows, returns them once (first row, with the new entry's
-- id, the entry's columns null), then the ledger as plain columns (the account's null): 0.63-0.69 -> about 0.45 ms
-- for that ledger of 32 entries. deposit_entry_post() is dropped (no other caller). The view is unchanged: fencing
-- its subqueries (OFFSET 0) made a read of every column cheaper (93 -> 69 us) but a read of the columns the daemon
-- shows dearer (70 -> 75 us).
--
-- The deposit entry write in one statement (POST /v1/placements/{id}/deposit/entries, src/db/deposits.c): when
-- IN_SCOPE (the caller's scope predicate, evaluated by the calling statement), records the entry (0023's triggers
-- add it to the totals and check the balance; 0019's posts the webhook event) and returns first the account as it
-- now stands and POSTED_ID, the new entry's id, then each entry of its ledger, oldest first; no row when out of
-- scope. A negative balance or a second reversal of an entry fails as the insert itself does (23514
-- deposit_balance_not_negative, 23505). Every output column is also a PL/pgSQL variable: the queries qualify theirs.
CREATE FUNCTION deposit_entry_record(p_commission uuid, p_placement uuid, p_in_scope boolean, p_kind text,
                                     p_amount bigint, p_effect bigint, p_date date, p_justification text,
                                     p_reverses uuid, p_token uuid, p_role text)
RETURNS TABLE (
  commission_id uuid, person_id uuid, placement_id uuid, unit_id uuid, landlord_org_id uuid, exit_date date,
  exit_inspection_matches boolean, rent_cents bigint, expected_cents bigint, balance_cents numeric,
  paid_cents numeric, refunded_cents numeric, deducted_cents numeric, written_off_cents numeric, refund_due_on date,
  status text, move_in_date date, settled_on date, penalty_claimed_cents numeric, penalty_received_cents numeric,
  penalty_waived_cents numeric, co_owned boolean, provision_cents bigint, provision_justification text,
  accounts_approved_on date, provision_due_on date, first_part_until date, lease text,
  refund_to_association boolean, posted_id uuid, id uuid, kind text, amount_cents bigint, effect_cents bigint,
  entry_date date, justification text, reverses_entry_id uuid, role text, created_at timestamptz)
LANGUAGE plpgsql ROWS 10 AS $$
DECLARE
  new_id uuid;
BEGIN
  IF NOT coalesce(p_in_scope, false) THEN
    RETURN;
  END IF;
  INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date,
                               justification, reverses_entry_id, token_id, role)
  VALUES (p_commission, p_placement, p_kind, p_amount, p_effect, p_date, p_justification, p_reverses, p_token,
          p_role)
  RETURNING deposit_entries.id INTO new_id;
  RETURN QUERY SELECT
    a.commission_id, a.person_id, a.placement_id, a.unit_id, a.landlord_org_id, a.exit_date,
    a.exit_inspection_matches, a.rent_cents, a.expected_cents, a.balance_cents, a.paid_cents, a.refunded_cents,
    a.deducted_cents, a.written_off_cents, a.refund_due_on, a.status, a.move_in_date, a.settled_on,
    a.penalty_claimed_cents, a.penalty_received_cents, a.penalty_waived_cents, a.co_owned, a.provision_cents,
    a.provision_justification, a.accounts_approved_on, a.provision_due_on, a.first_part_until, a.lease,
    a.refund_to_association, new_id, NULL::uuid, NULL::text, NULL::bigint, NULL::bigint, NULL::date, NULL::text,
    NULL::uuid, NULL::text, NULL::timestamptz
    FROM deposit_accounts a WHERE a.commission_id = p_commission AND a.placement_id = p_placement;
  RETURN QUERY SELECT
    NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::date, NULL::boolean, NULL::bigint,
    NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::date, NULL::text,
    NULL::date, NULL::date, NULL::numeric, NULL::numeric, NULL::numeric, NULL::boolean, NULL::bigint, NULL::text,
    NULL::date, NULL::date, NULL::date, NULL::text, NULL::boolean, NULL::uuid, e.id, e.kind, e.amount_cents,
    e.effect_cents, e.entry_date, e.justification, e.reverses_entry_id, e.role, e.created_at
    FROM deposit_entries e WHERE e.commission_id = p_commission AND e.placement_id = p_placement
    ORDER BY e.created_at, e.id;
END
$$;

DROP FUNCTION deposit_entry_post(uuid, uuid, boolean, text, bigint, bigint, date, text, uuid, uuid, text);
