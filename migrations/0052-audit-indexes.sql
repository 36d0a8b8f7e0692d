-- The audit trail's indexes reduced to what its readers use (issue 15: the audit per read at the cost of a row
-- copy). `pg_stat_statements` during the bench's curator status checks: the audit thread's insert cost ~54 µs a
-- read entry against ~36 µs for the status statement itself, and `perf` of its backend put 47 % of its samples in
-- index insertions, six an entry for a person read.
--
-- The primary key on id: no reader looks an entry up by id but the chainer, and only among unchained entries
-- (a write's entry, chained within about a second), which audit_log_unchained_idx keys already; the daemon's
-- check of a batch whose commit answer was lost looks its first entry up by its chain position and id (the unique
-- audit_log_chain_pos_idx). Ids still come from audit_log_id_seq alone.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;

-- An entry about a person (the status check, the person's file) has the person as its object: the same id went
-- into the object index and the person index. Every reader that asks for an object asks for the entries naming
-- it as object or as person (the audit route, the person's export), so an entry whose object is its person is
-- found by the person index alone; the object index keeps the others.
DROP INDEX audit_log_object_idx;
CREATE INDEX audit_log_object_idx ON audit_log (commission_id, object_id, at)
  WHERE object_id IS NOT NULL AND person_id IS DISTINCT FROM object_id;
