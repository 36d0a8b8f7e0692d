-- A page of incidents of one status (GET /v1/incidents?status=open) walked the partial index of incidents not
-- closed: each step of the walk took the commission's incidents after the cursor (open and acknowledged alike),
-- then sorted them to keep the first open one, so a page of 50 read the commission's open incidents 50 times
-- (auto_explain on the large bench set: 158 rows a step, 24 ms a page; 387 requests a second against 2 041 on
-- the small set). With the status in the index, after the commission, each step is one descent to the next
-- incident of that status in the list's order.
CREATE INDEX incidents_status_order_idx ON incidents (commission_id, status, created_at, id);
