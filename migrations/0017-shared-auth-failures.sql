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
