-- Operations (issue 18): failed authentications counted for every instance, and the client address in the
-- audit trail.

-- Failed authentications counted for every instance at once (issue 18): each commissiond adds its failures here,
-- keyed by client address ('address:<ip>') and by token selector ('token:<selector>'), per clock minute, and
-- refuses (429) a key past --auth-failure-limit for the rest of that minute. Only failures touch the table.
-- UNLOGGED: counters for the current minute, not data; a crash of PostgreSQL empties them, which is harmless. A
-- standby cannot write them (each instance then counts alone).
CREATE UNLOGGED TABLE auth_failures (
  key text NOT NULL CHECK (length(key) <= 80),
  minute timestamptz NOT NULL,
  failures integer NOT NULL CHECK (failures > 0),
  PRIMARY KEY (key, minute)
);
CREATE INDEX auth_failures_minute_idx ON auth_failures (minute);

-- The client's address in each audit entry (the peer's, or the one a trusted proxy named: commissiond
-- --trusted-proxy). It is part of the entry's canonical text, hence of its hash, only when known: the text of
-- every entry written before this column is unchanged, so the chain written so far still verifies.
ALTER TABLE audit_log ADD COLUMN client_address inet;

CREATE FUNCTION audit_entry_text(id bigint, at timestamptz, commission_id uuid, token_id uuid, role text,
                                 action text, method text, route text, object_type text, object_id uuid,
                                 person_id uuid, request_id text, status integer, client_address inet)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', audit_entry_text(id, at, commission_id, token_id, role, action, method, route, object_type,
                                         object_id, person_id, request_id, status),
                   host(client_address))
$$;
CREATE OR REPLACE FUNCTION audit_entry_text(e audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT audit_entry_text(e.id, e.at, e.commission_id, e.token_id, e.role, e.action, e.method, e.route,
                          e.object_type, e.object_id, e.person_id, e.request_id, e.status, e.client_address)
$$;
