-- The status check reads a placement's deposit account only after its exit (before, the account has nothing the
-- check shows). The account was a lateral join to deposit_accounts in the check's statement: the view's plan was
-- started at every call, read or not (2 000 calls through psql, generic plans: 225-245 µs a call with it, 165-175
-- without). Behind a function, the account's plan starts only when a row asks for it.
CREATE FUNCTION person_status_account(p_commission uuid, p_placement uuid, p_exit_date date)
RETURNS TABLE (refund_due_on date, settled_on date, penalty_received_cents numeric, penalty_waived_cents numeric,
               status text, provision_cents bigint, provision_due_on date, first_part_until date)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_exit_date IS NULL OR p_placement IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT a.refund_due_on, a.settled_on, a.penalty_received_cents, a.penalty_waived_cents, a.status,
    a.provision_cents, a.provision_due_on, a.first_part_until
    FROM deposit_accounts a WHERE a.commission_id = p_commission AND a.placement_id = p_placement;
END
$$;
