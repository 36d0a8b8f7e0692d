-- Sealed minutes in the audit chain, sealed annexes of corrections, and share links (issue 12, items 2 and 9).

-- An audit entry may carry the BLAKE2b-256 hash (hex) of a document it seals: the procès-verbal at closing, an
-- annex of corrections at each correction after closing. The canonical text gains the hash at its end only when
-- there is one (concat_ws skips NULL), so every entry chained before this migration keeps its text and its hash.
ALTER TABLE audit_log ADD COLUMN document_hash text CHECK (document_hash ~ '^[0-9a-f]{64}$');
CREATE OR REPLACE FUNCTION audit_entry_text(e audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', audit_entry_text(e.id, e.at, e.commission_id, e.token_id, e.role, e.action, e.method,
                                         e.route, e.object_type, e.object_id, e.person_id, e.request_id, e.status),
                   e.document_hash)
$$;

-- Minutes sealed before this migration: their hash as stored now enters the chain (the chainer links it).
INSERT INTO audit_log (at, commission_id, token_id, role, action, method, route, object_type, object_id,
                       document_hash)
SELECT clock_timestamp(), m.commission_id, NULL, 'system', 'create', 'MIGRATE', '0012-minutes-chain-and-shares',
       'session_minutes', m.session_id, m.hash
FROM session_minutes m ORDER BY m.sealed_at, m.session_id;

-- The annexes of corrections of sealed minutes: one per correction recorded after closing, numbered 1..n in the
-- session, rendered once (model: canonical JSON; document: the HTML section) and sealed like the minutes
-- (hash = BLAKE2b-256(model || 0x00 || document)). Never changed nor deleted.
CREATE TABLE minutes_annexes (
  commission_id uuid NOT NULL,
  session_id uuid NOT NULL,
  number integer NOT NULL CHECK (number >= 1),
  decision_id uuid NOT NULL,
  model text NOT NULL,
  document text NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  sealed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, session_id, number),
  UNIQUE (commission_id, decision_id),
  FOREIGN KEY (commission_id, session_id) REFERENCES session_minutes (commission_id, session_id)
);
CREATE TRIGGER minutes_annexes_sealed BEFORE UPDATE OR DELETE ON minutes_annexes
  FOR EACH ROW EXECUTE FUNCTION session_minutes_sealed();
ALTER TABLE minutes_annexes ENABLE ROW LEVEL SECURITY;
ALTER TABLE minutes_annexes FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON minutes_annexes USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- Share links: a capability to open one document (a GET path of the allow-list, in one format) as the token that
-- asked for it, until it expires or is revoked. The capability itself is never stored: it is the share's id and
-- expiry with a MAC under the key below.
CREATE TABLE shares (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  token_id uuid NOT NULL REFERENCES tokens (id),
  path text NOT NULL CHECK (length(path) BETWEEN 1 AND 512),
  format text NOT NULL CHECK (format IN ('json', 'html', 'csv')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CHECK (expires_at > created_at AND expires_at <= created_at + interval '30 days')
);
-- No row-level policy, like tokens: a link is opened before its commission is known (every query names it).
CREATE INDEX shares_token_idx ON shares (commission_id, token_id, created_at DESC, id DESC);

-- The server's key for share capabilities (BLAKE2b keyed MAC, 32 bytes): made by the first daemon that needs it
-- (libsodium's random bytes), shared by every instance. Not per commission; no row-level policy, like tokens.
CREATE TABLE share_keys (
  id integer PRIMARY KEY CHECK (id >= 1),
  key bytea NOT NULL CHECK (length(key) = 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
