-- Webhooks: subscriptions, an outbox of events written in the same transaction as the change that causes them,
-- and one delivery per event and subscription that may hear it. Payloads carry ids, types and dates only.

-- A subscription is the commission's (org_id NULL: hears what a coordinator would) or an organisation's (hears
-- what a token of that organisation's role would: a landlord or residence its units' placements, a curator
-- service its protected people, a care team its people). The signing secret is stored encrypted with a key of the
-- daemon's configuration (secret_box: nonce || ciphertext), never in clear; during a rotation the previous one
-- signs too until previous_until.
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  org_id uuid,
  url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
  event_types text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 32),
  description text CHECK (length(description) <= 500),
  active boolean NOT NULL DEFAULT true,
  secret_box bytea NOT NULL,
  previous_secret_box bytea,
  previous_until timestamptz,
  created_by_token uuid REFERENCES tokens (id),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, org_id) REFERENCES organisations (commission_id, id),
  CHECK ((previous_secret_box IS NULL) = (previous_until IS NULL))
);
CREATE INDEX webhook_subscriptions_list_idx ON webhook_subscriptions (commission_id, created_at, id);

-- The outbox. audience_*: the organisations that may hear of it besides the commission's own subscriptions (NULL:
-- that audience does not); audience_all: every organisation may (a session's dates). dedup_key: a time-based
-- event is recorded once, never twice.
CREATE TABLE webhook_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  type text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL,
  audience_all boolean NOT NULL DEFAULT false,
  audience_care_team uuid,
  audience_curator uuid,
  audience_landlord uuid,
  audience_org uuid,
  dedup_key text,
  UNIQUE (commission_id, id),
  UNIQUE (commission_id, dedup_key)
);
CREATE INDEX webhook_events_at_idx ON webhook_events (commission_id, occurred_at);

-- One event to one subscription: pending until delivered, or failed after three days of retries. A delivery
-- being sent is leased (next_attempt_at pushed past the send's longest time), so that two instances never send
-- it at the same time; a crashed sender's lease simply runs out.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  subscription_id uuid NOT NULL,
  event_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error text,
  last_latency_ms integer,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (subscription_id, event_id),
  FOREIGN KEY (commission_id, subscription_id) REFERENCES webhook_subscriptions (commission_id, id) ON DELETE CASCADE,
  FOREIGN KEY (commission_id, event_id) REFERENCES webhook_events (commission_id, id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (commission_id, subscription_id, created_at DESC, id);

-- Every attempt, for the coordinator's delivery log.
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  commission_id uuid NOT NULL,
  delivery_id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  status_code integer,
  latency_ms integer NOT NULL,
  error text,
  FOREIGN KEY (commission_id, delivery_id) REFERENCES webhook_deliveries (commission_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhook_subscriptions', 'webhook_events', 'webhook_deliveries', 'webhook_attempts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY commission_isolation ON %I USING (commission_id = '
                   'nullif(current_setting(''commissiond.commission'', true), '''')::uuid '
                   'OR current_setting(''commissiond.scope'', true) = ''all'')', t);
  END LOOP;
END
$$;

-- Whether an active subscription of the commission asks for events of the type (one index probe): the triggers
-- ask it before looking up an event's audiences, so that a change nobody listens to costs no more.
CREATE FUNCTION webhook_wanted(p_commission uuid, p_type text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.commission_id = p_commission AND s.active
                 AND p_type = ANY (s.event_types))
$$;

-- Records an event and its deliveries to every active subscription of the commission that asked for its type and
-- may hear it (nothing when no subscription asked for the type: an event is kept only for those who listen). Called by the triggers below, in the transaction of the change: a rolled-back change sends nothing.
CREATE FUNCTION webhook_emit(p_commission uuid, p_type text, p_data jsonb, p_all boolean, p_care_team uuid,
                             p_curator uuid, p_landlord uuid, p_org uuid, p_dedup text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE ev uuid;
BEGIN
  -- Nobody listening: nothing to record (a change costs one index probe when no subscription asks for its type).
  IF NOT webhook_wanted(p_commission, p_type) THEN
    RETURN;
  END IF;
  INSERT INTO webhook_events (commission_id, type, data, audience_all, audience_care_team, audience_curator,
                              audience_landlord, audience_org, dedup_key)
  VALUES (p_commission, p_type, p_data, p_all, p_care_team, p_curator, p_landlord, p_org, p_dedup)
  ON CONFLICT (commission_id, dedup_key) DO NOTHING
  RETURNING id INTO ev;
  IF ev IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO webhook_deliveries (commission_id, subscription_id, event_id)
  SELECT p_commission, s.id, ev
  FROM webhook_subscriptions s
  WHERE s.commission_id = p_commission AND s.active AND p_type = ANY (s.event_types)
    AND (s.org_id IS NULL OR p_all OR s.org_id IN (p_care_team, p_curator, p_landlord, p_org));
END
$$;

-- The audiences of a placement's events: the person's care team and curator service, the unit's landlord.
CREATE FUNCTION webhook_placement_audience(p_commission uuid, p_placement uuid,
                                           OUT care_team uuid, OUT curator uuid, OUT landlord uuid, OUT person uuid)
LANGUAGE sql STABLE AS $$
  SELECT pe.care_team_id, pe.curator_org_id, u.landlord_org_id, pe.id
  FROM placements pl
  JOIN people pe ON pe.commission_id = pl.commission_id AND pe.id = pl.person_id
  JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id
  WHERE pl.commission_id = p_commission AND pl.id = p_placement
$$;

-- applications: submitted (a landlord never hears of applications).
CREATE FUNCTION webhook_on_application() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pe people;
BEGIN
  IF NEW.status = 'submitted' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'submitted') THEN
    SELECT * INTO pe FROM people WHERE commission_id = NEW.commission_id AND id = NEW.person_id;
    PERFORM webhook_emit(NEW.commission_id, 'application.submitted',
                         jsonb_build_object('application_id', NEW.id, 'person_id', NEW.person_id,
                                            'submitted_at', NEW.submitted_at),
                         false, pe.care_team_id, pe.curator_org_id, NULL, NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER applications_webhook AFTER INSERT OR UPDATE OF status ON applications
  FOR EACH ROW EXECUTE FUNCTION webhook_on_application();

-- decisions: decided (approved, refused, deferred), a correction as well.
CREATE FUNCTION webhook_on_decision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pe people;
BEGIN
  SELECT p.* INTO pe FROM applications a JOIN people p ON p.commission_id = a.commission_id AND p.id = a.person_id
  WHERE a.commission_id = NEW.commission_id AND a.id = NEW.application_id;
  PERFORM webhook_emit(NEW.commission_id, 'application.decided',
                       jsonb_build_object('application_id', NEW.application_id, 'person_id', pe.id,
                                          'session_id', NEW.session_id, 'decision_id', NEW.id,
                                          'outcome', CASE NEW.outcome WHEN 'approve' THEN 'approved'
                                                     WHEN 'refuse' THEN 'refused' ELSE 'deferred' END,
                                          'decided_on', NEW.decided_on,
                                          'corrects_decision_id', NEW.corrects_decision_id),
                       false, pe.care_team_id, pe.curator_org_id, NULL, NULL, NULL);
  RETURN NULL;
END
$$;
CREATE TRIGGER decisions_webhook AFTER INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION webhook_on_decision();

-- sessions: planned, closed (its minutes sealed). Every organisation reads the sessions.
CREATE FUNCTION webhook_on_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM webhook_emit(NEW.commission_id, 'session.planned',
                         jsonb_build_object('session_id', NEW.id, 'session_date', NEW.session_date),
                         true, NULL, NULL, NULL, NULL, NULL);
  ELSIF NEW.status = 'closed' AND OLD.status IS DISTINCT FROM 'closed' THEN
    PERFORM webhook_emit(NEW.commission_id, 'session.closed',
                         jsonb_build_object('session_id', NEW.id, 'session_date', NEW.session_date,
                                            'closed_at', NEW.closed_at),
                         true, NULL, NULL, NULL, NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER sessions_webhook AFTER INSERT OR UPDATE OF status ON sessions
  FOR EACH ROW EXECUTE FUNCTION webhook_on_session();

-- placements: started, ended (no exit reason: it may be health information).
CREATE FUNCTION webhook_on_placement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a record;
  kind text := CASE WHEN TG_OP = 'INSERT' THEN 'placement.started'
                    WHEN NEW.exit_date IS NOT NULL AND OLD.exit_date IS NULL THEN 'placement.ended' END;
BEGIN
  IF kind IS NOT NULL AND webhook_wanted(NEW.commission_id, kind) THEN
    SELECT * INTO a FROM webhook_placement_audience(NEW.commission_id, NEW.id);
    PERFORM webhook_emit(NEW.commission_id, kind,
                         jsonb_build_object('placement_id', NEW.id, 'person_id', NEW.person_id, 'unit_id', NEW.unit_id)
                           || CASE WHEN kind = 'placement.started' THEN jsonb_build_object('move_in_date', NEW.move_in_date)
                                   ELSE jsonb_build_object('exit_date', NEW.exit_date) END,
                         false, a.care_team, a.curator, a.landlord, NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER placements_webhook AFTER INSERT OR UPDATE OF exit_date ON placements
  FOR EACH ROW EXECUTE FUNCTION webhook_on_placement();

-- deposit entries: paid.
CREATE FUNCTION webhook_on_deposit_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a record;
BEGIN
  IF NEW.kind = 'paid' AND webhook_wanted(NEW.commission_id, 'deposit.paid') THEN
    SELECT * INTO a FROM webhook_placement_audience(NEW.commission_id, NEW.placement_id);
    PERFORM webhook_emit(NEW.commission_id, 'deposit.paid',
                         jsonb_build_object('placement_id', NEW.placement_id, 'entry_id', NEW.id,
                                            'amount_cents', NEW.amount_cents, 'entry_date', NEW.entry_date),
                         false, a.care_team, a.curator, a.landlord, NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER deposit_entries_webhook AFTER INSERT ON deposit_entries
  FOR EACH ROW EXECUTE FUNCTION webhook_on_deposit_entry();

-- incidents: reported, handled (acknowledged or closed). A hospitalisation is health information: neither the
-- curator nor the landlord hears of it; a landlord hears only of what landlords reported (as it reads them). The
-- payload never carries the kind or the text.
CREATE FUNCTION webhook_on_incident() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a record;
  health boolean := NEW.kind = 'hospitalisation';
  kind text := CASE WHEN TG_OP = 'INSERT' THEN 'incident.reported'
                    WHEN NEW.status IS DISTINCT FROM OLD.status THEN 'incident.handled' END;
BEGIN
  IF kind IS NOT NULL AND webhook_wanted(NEW.commission_id, kind) THEN
    SELECT * INTO a FROM webhook_placement_audience(NEW.commission_id, NEW.placement_id);
    PERFORM webhook_emit(NEW.commission_id, kind,
                         jsonb_build_object('incident_id', NEW.id, 'placement_id', NEW.placement_id)
                           || CASE WHEN kind = 'incident.reported' THEN jsonb_build_object('occurred_on', NEW.occurred_on)
                                   ELSE jsonb_build_object('status', NEW.status) END,
                         false, a.care_team, CASE WHEN health THEN NULL ELSE a.curator END,
                         CASE WHEN health OR NEW.reported_by_role <> 'landlord' THEN NULL ELSE a.landlord END,
                         NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER incidents_webhook AFTER INSERT OR UPDATE OF status ON incidents
  FOR EACH ROW EXECUTE FUNCTION webhook_on_incident();

-- The time-based events of one commission as of P_TODAY, each recorded once (dedup_key): refunds due today or
-- overdue, penalties accruing (once per started month), reviews due or overdue, agreements expiring within 90
-- days, tokens expiring within 30 days. Run by `commissionctl maintenance`; returns how many were recorded.
CREATE FUNCTION webhook_time_events(p_commission uuid, p_today date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
  before bigint;
BEGIN
  SELECT count(*) INTO before FROM webhook_events WHERE commission_id = p_commission;
  FOR r IN SELECT d.placement_id, d.refund_due_on, d.status, d.months_late, d.penalty_unpaid_cents, a.*
           FROM deposit_accounts d
           CROSS JOIN LATERAL webhook_placement_audience(d.commission_id, d.placement_id) a
           WHERE d.commission_id = p_commission AND d.refund_due_on IS NOT NULL AND d.refund_due_on <= p_today + 7
             AND d.status IN ('outstanding', 'overdue') LOOP
    IF r.refund_due_on >= p_today THEN
      PERFORM webhook_emit(p_commission, 'deposit.refund_due',
                           jsonb_build_object('placement_id', r.placement_id, 'refund_due_on', r.refund_due_on),
                           false, r.care_team, r.curator, r.landlord, NULL,
                           'deposit.refund_due:' || r.placement_id || ':' || r.refund_due_on);
    ELSE
      PERFORM webhook_emit(p_commission, 'deposit.refund_overdue',
                           jsonb_build_object('placement_id', r.placement_id, 'refund_due_on', r.refund_due_on),
                           false, r.care_team, r.curator, r.landlord, NULL,
                           'deposit.refund_overdue:' || r.placement_id || ':' || r.refund_due_on);
      IF coalesce(r.months_late, 0) > 0 AND r.penalty_unpaid_cents > 0 THEN
        PERFORM webhook_emit(p_commission, 'deposit.penalty_accruing',
                             jsonb_build_object('placement_id', r.placement_id, 'refund_due_on', r.refund_due_on,
                                                'months_late', r.months_late,
                                                'penalty_unpaid_cents', r.penalty_unpaid_cents),
                             false, r.care_team, r.curator, r.landlord, NULL,
                             'deposit.penalty_accruing:' || r.placement_id || ':' || r.months_late);
      END IF;
    END IF;
  END LOOP;
  FOR r IN SELECT s.placement_id, s.next_review_on, a.*
           FROM review_schedule s
           CROSS JOIN LATERAL webhook_placement_audience(s.commission_id, s.placement_id) a
           WHERE s.commission_id = p_commission AND s.next_review_on <= p_today + 14 LOOP
    PERFORM webhook_emit(p_commission, CASE WHEN r.next_review_on < p_today THEN 'review.overdue' ELSE 'review.due' END,
                         jsonb_build_object('placement_id', r.placement_id, 'next_review_on', r.next_review_on),
                         false, r.care_team, r.curator, r.landlord, NULL,
                         CASE WHEN r.next_review_on < p_today THEN 'review.overdue:' ELSE 'review.due:' END
                           || r.placement_id || ':' || r.next_review_on);
  END LOOP;
  FOR r IN SELECT ag.id, ag.org_id, ag.end_date FROM agreements ag
           WHERE ag.commission_id = p_commission AND ag.end_date BETWEEN p_today AND p_today + 90 LOOP
    PERFORM webhook_emit(p_commission, 'agreement.expiring',
                         jsonb_build_object('agreement_id', r.id, 'end_date', r.end_date),
                         false, NULL, NULL, r.org_id, NULL, 'agreement.expiring:' || r.id || ':' || r.end_date);
  END LOOP;
  FOR r IN SELECT t.id, t.scope_org_id, t.expires_at FROM tokens t
           WHERE t.commission_id = p_commission AND t.revoked_at IS NULL
             AND t.expires_at > p_today AND t.expires_at <= p_today + 30 LOOP
    PERFORM webhook_emit(p_commission, 'token.expiring',
                         jsonb_build_object('token_id', r.id, 'expires_at', r.expires_at),
                         false, NULL, NULL, NULL, r.scope_org_id, 'token.expiring:' || r.id || ':' || r.expires_at);
  END LOOP;
  SELECT count(*) - before INTO n FROM webhook_events WHERE commission_id = p_commission;
  RETURN n;
END
$$;

