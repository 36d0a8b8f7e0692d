-- The partial index of incidents not closed (0003) serves no statement: the incident lists walk the index of their
-- status (0033) or of their order (0024), always by their generic plan; the person status reads a placement's
-- incidents by incidents_placement_idx; the agenda build's "not closed, or an arrears plan late" is an OR with a
-- subquery, which no partial index answers. Left in place, every incident write kept it up to date, and a custom
-- plan of a list of one status could prefer it to the status index and sort the commission's open incidents at each
-- step of the walk (what 0033 was written against). On the large bench set after a whole run it had 0 scans.
DROP INDEX incidents_open_idx;
