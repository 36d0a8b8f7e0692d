-- Foundation: commissions, their partner organisations, bearer tokens and idempotency records.
-- Every row of the data model belongs to one commission; nothing crosses from one to another.

CREATE TABLE commissions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organisations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  kind text NOT NULL CHECK (kind IN ('landlord', 'residence', 'curator_service', 'care_team', 'partner')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  town text CHECK (length(town) <= 100),
  address text CHECK (length(address) <= 500),
  email text CHECK (length(email) <= 254),
  phone text CHECK (length(phone) <= 40),
  archived boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id)
);
-- Keyset pagination in (name, id) order, optionally per kind.
CREATE INDEX organisations_name_idx ON organisations (commission_id, name, id);
CREATE INDEX organisations_kind_name_idx ON organisations (commission_id, kind, name, id);

CREATE TABLE tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  role text NOT NULL CHECK (role IN ('coordinator', 'caregiver', 'curator', 'landlord', 'observer')),
  scope_org_id uuid,
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  selector text NOT NULL UNIQUE CHECK (length(selector) = 16),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  -- a scoped role is bound to an organisation of its own commission; the others to none
  FOREIGN KEY (commission_id, scope_org_id) REFERENCES organisations (commission_id, id),
  CHECK ((role IN ('caregiver', 'curator', 'landlord')) = (scope_org_id IS NOT NULL))
);

-- Every running daemon LISTENs here and drops its cached principals on a revocation.
CREATE FUNCTION tokens_notify_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('commissiond_tokens', NEW.id::text);
  RETURN NEW;
END
$$;
CREATE TRIGGER tokens_revoked AFTER UPDATE OF revoked_at, expires_at ON tokens
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION tokens_notify_revoked();
CREATE FUNCTION tokens_notify_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('commissiond_tokens', OLD.id::text);
  RETURN OLD;
END
$$;
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION tokens_notify_deleted();

-- A creation's first response, replayed for a retry with the same Idempotency-Key.
CREATE TABLE idempotency_keys (
  token_id uuid NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  request_hash bytea NOT NULL,
  status integer,
  location text,
  body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
