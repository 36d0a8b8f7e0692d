-- The status check without a function per call (issue 15: the status check one look-up). perf of the backends
-- during status checks: the executor's start 46 % of their samples; of them person_status_account() (a PL/pgSQL
-- function scan started at every call, running deposit_accounts' plan for a placement that ended) 19 %, the
-- lateral sum over deposit_totals (one row per placement) 17 %. The check now reads the account's columns from
-- deposit_totals, deposit_provisions and the placement's exit inspection by primary key, computed as
-- deposit_accounts computes them (0023), in its own statement (src/db/status.c). What still reads the ledger is
-- the day the money beyond a co-owned building's provision was back, for an ended placement whose balance is down
-- to its provision: this function, called by that branch alone.

-- The first day, in the ledger's order, the balance of placement P_PLACEMENT (ended on P_EXIT) fell to
-- P_PROVISION, not before the exit (deposit_accounts.first_part_until when 0 < balance <= provision).
CREATE FUNCTION deposit_first_part_until(p_commission uuid, p_placement uuid, p_exit date, p_provision bigint)
RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN greatest(p_exit, (SELECT min(c.entry_date) FROM (
    SELECT x.entry_date, sum(x.effect_cents) OVER (ORDER BY x.entry_date, x.created_at, x.id) AS running
    FROM deposit_entries x WHERE x.commission_id = p_commission AND x.placement_id = p_placement
      AND x.effect_cents <> 0) c
    WHERE c.running <= p_provision));
END
$$;

DROP FUNCTION person_status_account(uuid, uuid, date);
