-- The waiting list (submitted and deferred applications) in its own order: the open applications' index of
-- migrations/0024 also holds the scheduled and approved ones, older in the queue, which the list's walk read and
-- skipped before its first item (406 of them on the bench's commission, a number that grows with the commission).
-- These hold the waiting applications only, so that the page reads its own rows: the commission's, a care team's,
-- a curator's.
CREATE INDEX applications_waiting_order_idx ON applications (commission_id, queued_at, id)
  WHERE status IN ('submitted', 'deferred');
CREATE INDEX applications_care_team_waiting_idx ON applications (commission_id, care_team_id, queued_at, id)
  WHERE status IN ('submitted', 'deferred');
CREATE INDEX applications_curator_waiting_idx ON applications (commission_id, curator_org_id, queued_at, id)
  WHERE status IN ('submitted', 'deferred') AND curator_org_id IS NOT NULL;
