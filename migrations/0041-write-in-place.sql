-- Two costs every write paid without need (issue 15, measured with pg_stat_statements on the bench's small set).
--
-- 1. An Idempotency-Key's response (the created resource as first answered: an account with its ledger, a decision
-- with the session's agenda, ~190 kB) was compressed with PostgreSQL's default pglz when above 2 kB: 1.7 ms a
-- decision's answer, 16 µs a deposit account of 4 kB; lz4 compresses them in 0.26 ms and 3.5 µs. The key's
-- UPDATE of a deposit write whose ledger had grown to ~8 kB went from 168 to 80 µs. A server built without lz4
-- keeps pglz (the column is then left as it was).
DO $$
BEGIN
  ALTER TABLE idempotency_keys ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available: idempotency responses stay compressed with pglz';
END
$$;

-- 2. Every deposit entry updates its account's totals row (0023), and no update of that row was ever HOT: the
-- partial indexes of the lists by status (0023, 0040) name balance_cents, paid_cents and exited in their
-- predicates, so any change of the balance wrote a new entry into each of the table's indexes (fourteen; six to
-- nine a write). The status class (0039) already states what those predicates state, and changes only when the
-- account changes list; the lists by status now read one index on it, and the indexes of the accounts owing a
-- refund name it too. An entry that leaves the account in its class (a payment on a held deposit, a partial
-- refund) changes no indexed column and updates the row in place when its page has room (fillfactor 90).
DROP INDEX deposit_totals_held_idx, deposit_totals_owed_idx, deposit_totals_settled_idx, deposit_totals_not_paid_idx,
  deposit_totals_owed_exit_idx, deposit_totals_owed_provisioned_idx;
CREATE INDEX deposit_totals_class_idx ON deposit_totals (commission_id, status_class, placement_id);
CREATE INDEX deposit_totals_owed_exit_idx ON deposit_totals (commission_id, exit_date) WHERE status_class = 'owed';
CREATE INDEX deposit_totals_owed_provisioned_idx ON deposit_totals (commission_id, placement_id)
  WHERE status_class = 'owed' AND provisioned;
ALTER TABLE deposit_totals SET (fillfactor = 90);
