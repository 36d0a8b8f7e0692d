-- Calendar tokens (issue 12, item 6): a token of role 'calendar' reads the commission's calendar feed of sessions
-- and nothing else. It is passed in the feed's URL (phone calendar apps cannot send headers), so no other role's
-- token is ever accepted there. It is issued, listed and revoked like any token (POST /v1/tokens, role
-- 'calendar', no scope); a revocation is effective at once through the tokens_revoked notification.
ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_role_check
  CHECK (role IN ('coordinator', 'caregiver', 'curator', 'landlord', 'observer', 'calendar'));
