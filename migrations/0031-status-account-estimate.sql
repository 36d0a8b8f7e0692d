-- person_status_account() returns at most one row: said so, for the planner. With the default estimate of a set-
-- returning function (1 000 rows) the status check's generic plan looked costlier than a custom one, so PostgreSQL
-- planned the statement again at every call (0.3 ms a call, EXPLAIN ANALYZE after eight executions); the bench's
-- status check fell from 7 992 to 3 045 a second (20261205T195522Z). Estimated at one row, the generic plan is
-- kept (planning 0.008 ms).
ALTER FUNCTION person_status_account(uuid, uuid, date) ROWS 1;
