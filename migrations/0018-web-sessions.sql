-- Web front sessions (issue 19): a browser signs in once with its token and then carries a random session id in
-- an HttpOnly cookie. Only a BLAKE2b-256 hash of the id is stored. A session acts as its token's principal: it
-- ends when idle too long (the daemon's --web-idle-timeout, checked at each use), at the token's expiry (copied
-- into expires_at) and at once when the token is revoked (each use joins the token and asks it to be valid).
-- Like tokens, sessions are looked up before the commission is known: no row-level security policy; every
-- statement names the session by its hash.
CREATE TABLE web_sessions (
  hash bytea PRIMARY KEY CHECK (length(hash) = 32),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  token_id uuid NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_token ON web_sessions (token_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Sign-in links: the coordinator makes one for a token (POST /v1/tokens/{id}/sign-in-links) and hands it over; it
-- opens a web session as that token once, within a quarter of an hour. Only a hash of its secret is stored.
CREATE TABLE web_sign_in_links (
  hash bytea PRIMARY KEY CHECK (length(hash) = 32),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  token_id uuid NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX web_sign_in_links_token ON web_sign_in_links (token_id);
