-- Access that holds: a tamper-evident audit trail, row-level security between commissions, and retention.

-- The audit trail. Every write and every read of a person's data is one row: who (token id, never the secret),
-- what (method, route, object), when, with which result. Rows are chained by commissiond's chainer (BLAKE2b of
-- the previous hash, the chain position and the row's canonical text, see audit_entry_text) within about a
-- second; `commissionctl audit verify` walks the chain. Rows are never changed but to be chained, never deleted.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  token_id uuid,
  role text NOT NULL,
  action text NOT NULL CHECK (action IN ('read', 'create', 'update', 'action', 'export', 'retention')),
  method text NOT NULL,
  route text NOT NULL,
  object_type text,
  object_id uuid,
  person_id uuid,
  request_id text,
  status integer,
  chain_pos bigint UNIQUE,
  prev_hash bytea,
  hash bytea
);
CREATE INDEX audit_log_object_idx ON audit_log (commission_id, object_id, at) WHERE object_id IS NOT NULL;
CREATE INDEX audit_log_person_idx ON audit_log (commission_id, person_id, at) WHERE person_id IS NOT NULL;
CREATE INDEX audit_log_token_idx ON audit_log (commission_id, token_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (commission_id, at, id);
CREATE INDEX audit_log_unchained_idx ON audit_log (id) WHERE chain_pos IS NULL;

-- The text a chain hash covers: every column but the chain's own, in a fixed format.
CREATE FUNCTION audit_entry_text(e audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.commission_id,
                   coalesce(e.token_id::text, '-'), e.role, e.action, e.method, e.route,
                   coalesce(e.object_type, '-'), coalesce(e.object_id::text, '-'), coalesce(e.person_id::text, '-'),
                   coalesce(e.request_id, '-'), coalesce(e.status::text, '-'))
$$;

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = '23514', CONSTRAINT = 'audit_log_append_only';
  END IF;
  IF OLD.chain_pos IS NOT NULL OR NEW.chain_pos IS NULL
     OR audit_entry_text(OLD) IS DISTINCT FROM audit_entry_text(NEW) THEN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = '23514', CONSTRAINT = 'audit_log_append_only';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

-- Retention: people past it are pseudonymised by `commissionctl retention run`.
ALTER TABLE commissions ADD COLUMN retention_years integer NOT NULL DEFAULT 10
  CHECK (retention_years BETWEEN 1 AND 100);
ALTER TABLE people ADD COLUMN pseudonymised_at timestamptz;

-- Token hygiene: how long a token lives when its issuer names no expiry.
ALTER TABLE commissions ADD COLUMN token_lifetime_days integer NOT NULL DEFAULT 365
  CHECK (token_lifetime_days BETWEEN 1 AND 3650);

-- Pseudonymises the people of P_COMMISSION whose file is closed (no open application, no placement still
-- running) and whose last exit, refusal, withdrawal or lapse is more than the commission's retention_years old
-- (people with no such event: their file's creation). Names, birth day and month, contact details and free
-- texts are replaced; ids, dates and amounts stay, so the reports stay true. Returns the people concerned;
-- with P_DRY_RUN nothing changes.
CREATE FUNCTION retention_pseudonymise(p_commission uuid, p_dry_run boolean)
RETURNS TABLE (person_id uuid, last_event date) LANGUAGE plpgsql AS $$
DECLARE
  years integer;
BEGIN
  SELECT retention_years INTO years FROM commissions WHERE id = p_commission;
  CREATE TEMP TABLE IF NOT EXISTS retention_due (id uuid PRIMARY KEY, last_event date) ON COMMIT DROP;
  DELETE FROM retention_due;
  INSERT INTO retention_due
  SELECT p.id, greatest(
      (SELECT max(pl.exit_date) FROM placements pl WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id),
      (SELECT max((e.at AT TIME ZONE 'UTC')::date) FROM application_events e JOIN applications a
         ON a.commission_id = e.commission_id AND a.id = e.application_id
       WHERE a.commission_id = p.commission_id AND a.person_id = p.id
         AND e.to_status IN ('refused', 'withdrawn', 'lapsed')),
      (p.created_at AT TIME ZONE 'UTC')::date)
  FROM people p
  WHERE p.commission_id = p_commission AND p.pseudonymised_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id
                    AND a.status IN ('draft', 'submitted', 'scheduled', 'deferred', 'approved'))
    AND NOT EXISTS (SELECT 1 FROM placements pl WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id
                    AND (pl.exit_date IS NULL OR pl.exit_date > current_date));
  DELETE FROM retention_due d WHERE d.last_event > (current_date - make_interval(years => years))::date;
  IF NOT p_dry_run THEN
    UPDATE people p SET family_name = 'Anonyme ' || upper(left(p.id::text, 8)), given_names = '-',
      birth_date = make_date(extract(year FROM p.birth_date)::integer, 1, 1), phone = NULL, email = NULL,
      address = NULL, pseudonymised_at = now(), version = p.version + 1, updated_at = now()
    FROM retention_due d WHERE p.id = d.id;
    UPDATE care_notes c SET body = '[pseudonymisé]' FROM retention_due d
      WHERE c.commission_id = p_commission AND c.person_id = d.id;
    UPDATE applications a SET situation = '[pseudonymisé]', referent_name = NULL FROM retention_due d
      WHERE a.commission_id = p_commission AND a.person_id = d.id;
    UPDATE application_events e SET reason = CASE WHEN e.reason IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM applications a, retention_due d
      WHERE e.commission_id = p_commission AND a.commission_id = e.commission_id AND a.id = e.application_id
        AND a.person_id = d.id;
    UPDATE decisions x SET comment = CASE WHEN x.comment IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM applications a, retention_due d
      WHERE x.commission_id = p_commission AND a.id = x.application_id AND a.person_id = d.id;
    UPDATE placements pl SET exit_comment = CASE WHEN pl.exit_comment IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM retention_due d WHERE pl.commission_id = p_commission AND pl.person_id = d.id;
    UPDATE reviews r SET care_followup = CASE WHEN r.care_followup IS NULL THEN NULL ELSE '[pseudonymisé]' END,
      housing = CASE WHEN r.housing IS NULL THEN NULL ELSE '[pseudonymisé]' END,
      autonomy = CASE WHEN r.autonomy IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM placements pl, retention_due d
      WHERE r.commission_id = p_commission AND pl.id = r.placement_id AND pl.person_id = d.id;
    UPDATE incidents i SET description = '[pseudonymisé]', closing_note = CASE WHEN i.closing_note IS NULL THEN NULL
      ELSE '[pseudonymisé]' END
      FROM placements pl, retention_due d
      WHERE i.commission_id = p_commission AND pl.id = i.placement_id AND pl.person_id = d.id;
    INSERT INTO audit_log (commission_id, role, action, method, route, object_type, object_id, person_id, status)
    SELECT p_commission, 'system', 'retention', 'RUN', 'commissionctl retention run', 'people', d.id, d.id, 200
    FROM retention_due d;
  END IF;
  RETURN QUERY SELECT d.id, d.last_event FROM retention_due d ORDER BY d.last_event, d.id;
END
$$;

-- Row-level security: a guard under the queries' own predicates. Each daemon connection says which commission
-- it serves (set_config('commissiond.commission', ...)), and sees only that commission's rows even if a query
-- forgot its predicate. commissionctl sets commissiond.scope = 'all' for its cross-commission work. Superusers
-- bypass row-level security in PostgreSQL: run commissiond as an ordinary role (the table owner is subject to it,
-- FORCE below).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['organisations', 'people', 'care_notes', 'units', 'unit_status_changes', 'agreements',
      'agreement_units', 'agreement_renewals', 'sessions', 'session_attendees', 'applications', 'application_events',
      'agenda_items', 'decisions', 'placements', 'deposit_entries', 'reviews', 'incidents', 'idempotency_keys',
      'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY commission_isolation ON %I USING (commission_id = '
                   'nullif(current_setting(''commissiond.commission'', true), '''')::uuid '
                   'OR current_setting(''commissiond.scope'', true) = ''all'')', t);
  END LOOP;
END
$$;

-- Views read with the caller's rights, so that row-level security applies through them too.
ALTER VIEW deposit_accounts SET (security_invoker = true);
ALTER VIEW review_schedule SET (security_invoker = true);

-- What a daemon caches with a token (GET /v1/me names its commission and organisation) is dropped on every
-- instance when those names change, as on a revocation.
CREATE FUNCTION principal_names_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('commissiond_tokens', NEW.id::text);
  RETURN NEW;
END
$$;
CREATE TRIGGER organisations_renamed AFTER UPDATE OF name, kind ON organisations
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.kind IS DISTINCT FROM NEW.kind)
  EXECUTE FUNCTION principal_names_changed();
CREATE TRIGGER commissions_renamed AFTER UPDATE OF name ON commissions
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION principal_names_changed();
