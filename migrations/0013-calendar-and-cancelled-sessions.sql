-- Calendar tokens and cancelled sessions (issue 12, item 6). A token of role 'calendar' reads the commission's
-- calendar feed of sessions and nothing else. It is passed in the feed's URL (phone calendar apps cannot send
-- headers), so no other role's token is ever accepted there. It is issued, listed and revoked like any token
-- (POST /v1/tokens, role 'calendar', no scope); a revocation is effective at once (tokens_revoked notification).
ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_role_check
  CHECK (role IN ('coordinator', 'caregiver', 'curator', 'landlord', 'observer', 'calendar'));

-- A planned session may be cancelled (POST /v1/sessions/{id}/cancel): it will not be held, its agenda goes back
-- to the waiting list, and the feed shows it STATUS:CANCELLED. Nothing more happens to it.
ALTER TABLE sessions DROP CONSTRAINT sessions_status_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_status_check
  CHECK (status IN ('planned', 'open', 'closed', 'cancelled'));
