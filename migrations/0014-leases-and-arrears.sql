-- Money and leases as the law has them (issue 13): the provision a landlord of a co-owned building keeps until
-- the building's accounts are approved (loi n° 89-462 art. 22), sliding leases (CCH L442-8-3) with their
-- tripartite reviews, the notice to the prefect and the slide, the deposit-refund clause of a lease, and rent
-- arrears repayment plans.

-- 1. A unit in a co-owned building (copropriété): its landlord may keep a provision of at most 20 % of the deposit
-- until the building's annual accounts are approved, then settles within the month that follows.
ALTER TABLE units ADD COLUMN co_owned boolean NOT NULL DEFAULT false;

CREATE TABLE deposit_provisions (
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 5000),
  accounts_approved_on date,
  role text NOT NULL,
  token_id uuid REFERENCES tokens (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, placement_id),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id)
);

-- 2. The lease as signed. lease (0003) is the kind: direct_lease (the tenant holds it), association_main_tenant
-- (the association holds it and sub-lets), sliding_lease (bail glissant: the association holds it until it
-- slides to the tenant). refund_to_association: whether the lease says the deposit the association advanced is
-- refunded to it (Cass. 3e civ., 14 June 2006: without that clause it goes back to the tenant); NULL: not
-- recorded. A sliding lease has its start, a planned slide date and, once it happened, the slide: the
-- association's lease ends, the person stays at home (exit_date untouched: not a vacancy).
ALTER TABLE placements
  ADD COLUMN refund_to_association boolean,
  ADD COLUMN sliding_start_date date,
  ADD COLUMN planned_slide_on date,
  ADD COLUMN slid_on date;
UPDATE placements SET sliding_start_date = move_in_date WHERE lease = 'sliding_lease';
ALTER TABLE placements
  ADD CONSTRAINT placements_sliding_start CHECK ((lease = 'sliding_lease') = (sliding_start_date IS NOT NULL)),
  ADD CONSTRAINT placements_sliding_only CHECK (lease = 'sliding_lease' OR (planned_slide_on IS NULL
                                                                             AND slid_on IS NULL)),
  ADD CONSTRAINT placements_sliding_dates CHECK (sliding_start_date IS NULL OR sliding_start_date >= move_in_date),
  ADD CONSTRAINT placements_slid_while_housed CHECK (slid_on IS NULL OR (slid_on >= sliding_start_date
                                                                         AND (exit_date IS NULL OR slid_on <= exit_date)));
CREATE INDEX placements_sliding_idx ON placements (commission_id, id) WHERE lease = 'sliding_lease';

-- A review may be the sliding lease's tripartite examination (landlord, association, sub-tenant): it counts for
-- the quarterly schedule as any review, and restarts the six-month period of the sliding lease.
ALTER TABLE reviews ADD COLUMN tripartite boolean NOT NULL DEFAULT false;

-- What the association told the prefect about a review period (ending PERIOD_END): whether it proposes the lease
-- to the sub-tenant. Owed two months before the period ends.
CREATE TABLE prefect_notices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  placement_id uuid NOT NULL,
  period_end date NOT NULL,
  sent_on date NOT NULL,
  proposes_lease boolean NOT NULL,
  comment text CHECK (length(comment) <= 5000),
  role text NOT NULL,
  token_id uuid REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (commission_id, placement_id, period_end),
  FOREIGN KEY (commission_id, placement_id) REFERENCES placements (commission_id, id)
);

-- Each running sliding lease that has not slid: its last tripartite review, when the next one is due (six months
-- after the last, or after the lease's start), the prefect's notice (due two months before) and whether it was
-- sent for that period.
CREATE VIEW sliding_schedule AS
SELECT pl.commission_id, pl.id AS placement_id, pl.person_id, pl.unit_id, pl.sliding_start_date,
  pl.planned_slide_on, t.last_tripartite_on, d.tripartite_review_on,
  (d.tripartite_review_on - interval '2 months')::date AS prefect_notice_due_on,
  n.sent_on AS prefect_notice_sent_on, n.proposes_lease AS prefect_notice_proposes_lease
FROM placements pl
CROSS JOIN LATERAL (SELECT max(r.review_date) AS last_tripartite_on FROM reviews r
                    WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id AND r.tripartite) t
CROSS JOIN LATERAL (SELECT (coalesce(t.last_tripartite_on, pl.sliding_start_date) + interval '6 months')::date
                      AS tripartite_review_on) d
LEFT JOIN prefect_notices n ON n.commission_id = pl.commission_id AND n.placement_id = pl.id
  AND n.period_end = d.tripartite_review_on
WHERE pl.lease = 'sliding_lease' AND pl.slid_on IS NULL AND (pl.exit_date IS NULL OR pl.exit_date > current_date);
ALTER VIEW sliding_schedule SET (security_invoker = true);

-- The review schedule (0003) with the sliding lease's tripartite review: the next review falls due at the
-- earlier of the quarterly one and the tripartite one, so a tripartite review comes due, and reaches the agenda,
-- as a quarterly one does. New column at the end (CREATE OR REPLACE VIEW keeps the others in place).
CREATE OR REPLACE VIEW review_schedule AS
SELECT pl.commission_id, pl.id AS placement_id, pl.person_id, pl.unit_id, pl.move_in_date,
  max(r.review_date) AS last_review_date,
  least((coalesce(max(r.review_date), pl.move_in_date) + interval '3 months')::date,
        CASE WHEN pl.lease = 'sliding_lease' AND pl.slid_on IS NULL
             THEN (coalesce(max(r.review_date) FILTER (WHERE r.tripartite), pl.sliding_start_date)
                   + interval '6 months')::date END) AS next_review_on,
  CASE WHEN pl.lease = 'sliding_lease' AND pl.slid_on IS NULL
       THEN (coalesce(max(r.review_date) FILTER (WHERE r.tripartite), pl.sliding_start_date)
             + interval '6 months')::date END AS tripartite_review_on
FROM placements pl
LEFT JOIN reviews r ON r.commission_id = pl.commission_id AND r.placement_id = pl.id
WHERE pl.exit_date IS NULL OR pl.exit_date > current_date
GROUP BY pl.commission_id, pl.id;

-- 3. Rent arrears repayment plans: a rent_arrears incident may carry one plan, its instalments summing exactly to
-- its total (checked at commit), and the payments the landlord or the curator record.
CREATE TABLE arrears_plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  incident_id uuid NOT NULL,
  total_cents bigint NOT NULL CHECK (total_cents > 0 AND total_cents <= 100000000),
  created_by_role text NOT NULL,
  token_id uuid REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (commission_id, incident_id),
  FOREIGN KEY (commission_id, incident_id) REFERENCES incidents (commission_id, id)
);
CREATE TABLE arrears_instalments (
  commission_id uuid NOT NULL,
  plan_id uuid NOT NULL,
  position integer NOT NULL CHECK (position BETWEEN 1 AND 120),
  due_on date NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  PRIMARY KEY (commission_id, plan_id, position),
  FOREIGN KEY (commission_id, plan_id) REFERENCES arrears_plans (commission_id, id)
);
CREATE TABLE arrears_payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  plan_id uuid NOT NULL,
  paid_on date NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 100000000),
  role text NOT NULL,
  token_id uuid REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, plan_id) REFERENCES arrears_plans (commission_id, id)
);
CREATE INDEX arrears_payments_plan_idx ON arrears_payments (commission_id, plan_id, paid_on);

-- The instalments of a plan sum exactly to its total, and it is a rent arrears incident's: checked when the
-- transaction that wrote the plan commits, whoever writes it.
CREATE FUNCTION arrears_plans_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  plan arrears_plans;
  scheduled bigint;
  plan_key uuid;
  commission uuid;
BEGIN
  IF TG_TABLE_NAME = 'arrears_plans' THEN
    plan_key := NEW.id;
    commission := NEW.commission_id;
  ELSIF TG_OP = 'DELETE' THEN
    plan_key := OLD.plan_id;
    commission := OLD.commission_id;
  ELSE
    plan_key := NEW.plan_id;
    commission := NEW.commission_id;
  END IF;
  SELECT * INTO plan FROM arrears_plans WHERE commission_id = commission AND id = plan_key;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(sum(amount_cents), 0) INTO scheduled FROM arrears_instalments
    WHERE commission_id = plan.commission_id AND plan_id = plan.id;
  IF scheduled <> plan.total_cents THEN
    RAISE EXCEPTION 'the instalments of arrears plan % sum to % cents, not its total %', plan.id, scheduled,
      plan.total_cents USING ERRCODE = '23514', CONSTRAINT = 'arrears_plans_instalments_sum';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM incidents i WHERE i.commission_id = plan.commission_id AND i.id = plan.incident_id
                 AND i.kind = 'rent_arrears') THEN
    RAISE EXCEPTION 'arrears plan % is not on a rent arrears incident', plan.id USING ERRCODE = '23514',
      CONSTRAINT = 'arrears_plans_rent_arrears';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER arrears_plans_instalments_sum AFTER INSERT OR UPDATE ON arrears_plans
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION arrears_plans_check();
CREATE CONSTRAINT TRIGGER arrears_instalments_sum AFTER INSERT OR UPDATE OR DELETE ON arrears_instalments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION arrears_plans_check();

-- Each plan's state on the current day: paid_off once the payments reach the total; late when an instalment due
-- before today is not covered by the payments (an instalment is late the day after its due date); else on_track.
-- next_due_on / next_due_cents: the first instalment not yet covered, and what remains to pay up to it.
CREATE VIEW arrears_plan_states AS
SELECT ap.commission_id, ap.id AS plan_id, ap.incident_id, ap.total_cents, coalesce(pay.paid, 0) AS paid_cents,
  nx.due_on AS next_due_on, nx.cum - coalesce(pay.paid, 0) AS next_due_cents,
  coalesce((SELECT sum(i.amount_cents) FROM arrears_instalments i WHERE i.commission_id = ap.commission_id
            AND i.plan_id = ap.id AND i.due_on < current_date), 0) AS due_cents,
  CASE WHEN coalesce(pay.paid, 0) >= ap.total_cents THEN 'paid_off'
       WHEN nx.due_on < current_date THEN 'late' ELSE 'on_track' END AS state
FROM arrears_plans ap
CROSS JOIN LATERAL (SELECT sum(x.amount_cents) AS paid FROM arrears_payments x
                    WHERE x.commission_id = ap.commission_id AND x.plan_id = ap.id) pay
LEFT JOIN LATERAL (SELECT c.due_on, c.cum FROM (
    SELECT i.due_on, sum(i.amount_cents) OVER (ORDER BY i.due_on, i.position) AS cum FROM arrears_instalments i
    WHERE i.commission_id = ap.commission_id AND i.plan_id = ap.id) c
  WHERE c.cum > coalesce(pay.paid, 0) ORDER BY c.due_on, c.cum LIMIT 1) nx ON true;
ALTER VIEW arrears_plan_states SET (security_invoker = true);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['deposit_provisions', 'prefect_notices', 'arrears_plans', 'arrears_instalments',
                           'arrears_payments'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY commission_isolation ON %I USING (commission_id = '
                   'nullif(current_setting(''commissiond.commission'', true), '''')::uuid '
                   'OR current_setting(''commissiond.scope'', true) = ''all'')', t);
  END LOOP;
END
$$;

-- 1 (continued). The deposit account (0010) with the provision: new columns at the end. The refund beyond the
-- provision is due on refund_due_on; the provision within the month after the accounts' approval
-- (provision_due_on). A refund is late from each due date: the first part until the day the balance fell to the
-- provision (first_part_until), the provision until the account was settled (penalty_until); with no provision
-- the first part runs until the account is settled, as before. The status is overdue when either part is late.
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
       WHEN coalesce(t.balance_cents, 0) > pv.provision_cents AND current_date > d.refund_due_on THEN 'overdue'
       WHEN current_date > pv.provision_due_on THEN 'overdue'
       ELSE 'outstanding' END AS status,
  s.settled_on, s.penalty_until,
  m.months_late,
  u.rent_cents * m.months_late / 10 AS penalty_cents,
  coalesce(t.penalty_claimed_cents, 0) AS penalty_claimed_cents,
  coalesce(t.penalty_received_cents, 0) AS penalty_received_cents,
  coalesce(t.penalty_waived_cents, 0) AS penalty_waived_cents,
  greatest(u.rent_cents * m.months_late / 10 - coalesce(t.penalty_received_cents, 0)
           - coalesce(t.penalty_waived_cents, 0), 0) AS penalty_unpaid_cents,
  u.co_owned, pv.provision_cents, pv.provision_justification, pv.accounts_approved_on, pv.provision_due_on,
  f.first_part_until, p.lease, p.refund_to_association
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
