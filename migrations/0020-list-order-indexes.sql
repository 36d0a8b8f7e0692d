-- Lists read their page from an index in the list's order (issue: every page O(limit · log n)). The waiting list
-- and the other lists of open applications read the partial index of open applications, whose size follows the
-- commission's current activity, not its history; the other application lists the full ordered index.
CREATE INDEX applications_open_order_idx ON applications (commission_id, (coalesce(submitted_at, created_at)), id)
  WHERE status IN ('submitted', 'scheduled', 'deferred', 'approved');
CREATE INDEX applications_order_idx ON applications (commission_id, (coalesce(submitted_at, created_at)), id);
