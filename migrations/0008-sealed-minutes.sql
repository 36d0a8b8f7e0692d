-- Sealed minutes (issue 12, item 2): closing a session freezes its procès-verbal. The server renders it once
-- and stores the document model (canonical JSON), the page (HTML) and the BLAKE2b-256 hash of the two
-- (hex, computed in C over model || 0x00 || page); GET .../minutes serves this, never the live tables, so a
-- later correction does not change it. Rows are never changed nor deleted.
CREATE TABLE session_minutes (
  commission_id uuid NOT NULL,
  session_id uuid NOT NULL,
  model text NOT NULL,
  document text NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  sealed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, session_id),
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id)
);

CREATE FUNCTION session_minutes_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sealed minutes are never changed' USING ERRCODE = '23514', CONSTRAINT = 'session_minutes_sealed';
END
$$;
CREATE TRIGGER session_minutes_sealed BEFORE UPDATE OR DELETE ON session_minutes
  FOR EACH ROW EXECUTE FUNCTION session_minutes_sealed();

ALTER TABLE session_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON session_minutes USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');
