-- The audit trail of the generated data set, prepared for chaining: the view bench_audit.audit lists the entries
-- in chain order (id = position); bench/run copies them with their text through chain.py straight into audit_log,
-- and gen-audit-load.sql checks the load and builds the indexes this drops. Entries in plausible proportions: each
-- person's file created, each application and placement created, and one read of each person's file (a curator's
-- status check for the protected, a caregiver's read otherwise), in order of time. Needs an empty audit_log: the
-- chain starts at 1.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
SET commissiond.scope = 'all';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_log) THEN
    RAISE EXCEPTION 'audit_log is not empty: the generated chain must start at position 1';
  END IF;
END
$$;

DROP SCHEMA IF EXISTS bench_audit CASCADE;
CREATE SCHEMA bench_audit;
-- Copies of audit_entry_text (the SQL functions of the migrations, read from the catalog, so that the text is
-- always the daemon's) declared STABLE instead of IMMUTABLE: their body calls concat_ws and to_char, which are only
-- stable, so PostgreSQL calls the immutable originals row by row (25 µs a row) where it inlines these copies (1.5 µs).
-- bench/run selects with search_path = bench_audit, public, so that the outer copy's call of the inner one is inlined
-- too; gen-audit-load.sql compares the copies' text with the originals' on a sample before loading.
DO $$
DECLARE
  r record;
  def text;
  body integer;
BEGIN
  FOR r IN SELECT p.oid FROM pg_proc p WHERE p.proname = 'audit_entry_text'
             AND p.pronamespace = 'public'::regnamespace AND NOT 'audit_log'::regtype = ANY (p.proargtypes::oid[])
  LOOP
    def := pg_get_functiondef(r.oid);
    body := strpos(def, 'AS $function$');
    EXECUTE replace(replace(left(def, body - 1), 'public.audit_entry_text(', 'bench_audit.audit_entry_text('),
                    'IMMUTABLE', 'STABLE') || substr(def, body);
  END LOOP;
END
$$;
-- Read once, by bench/run's COPY: its rows come out in the window's order, which chain.py checks (id = position).
CREATE VIEW bench_audit.audit AS
SELECT (row_number() OVER (ORDER BY x.at, x.object_id, x.action))::bigint AS id, x.at, x.commission_id, x.token_id,
  x.role, x.action, x.method, x.route, x.object_type, x.object_id, x.person_id,
  left(md5(x.object_id::text || x.action || x.route), 24) AS request_id, x.status
FROM (
  SELECT p.created_at AS at, p.commission_id, md5('coordinator' || p.commission_id)::uuid AS token_id,
    'coordinator' AS role, 'create' AS action, 'POST' AS method, '/v1/people' AS route, 'people' AS object_type,
    p.id AS object_id, p.id AS person_id, 201 AS status
  FROM people p
  UNION ALL
  SELECT a.created_at, a.commission_id, md5(a.created_by_role || a.commission_id)::uuid, a.created_by_role, 'create',
    'POST', '/v1/applications', 'applications', a.id, a.person_id, 201
  FROM applications a
  UNION ALL
  SELECT pl.created_at, pl.commission_id, md5('coordinator' || pl.commission_id)::uuid, 'coordinator', 'create',
    'POST', '/v1/placements', 'placements', pl.id, pl.person_id, 201
  FROM placements pl
  UNION ALL
  SELECT p.created_at + (now() - interval '1 day' - p.created_at) * ((hashtext(p.id::text) & 1023) / 1024.0),
    p.commission_id, md5(CASE WHEN p.curator_org_id IS NULL THEN 'caregiver' ELSE 'curator' END || p.commission_id)::uuid,
    CASE WHEN p.curator_org_id IS NULL THEN 'caregiver' ELSE 'curator' END, 'read', 'GET',
    CASE WHEN p.curator_org_id IS NULL THEN '/v1/people/{id}' ELSE '/v1/people/{id}/status' END, 'people', p.id, p.id,
    200
  FROM people p) x;

-- audit_log's secondary indexes (those backing no constraint) are dropped for the load and built again by
-- gen-audit-load.sql from their definitions in the catalog: sorting once is cheaper than millions of insertions at
-- random places. (The load is not one transaction: a failure stops bench/run, which deletes the cluster.)
CREATE UNLOGGED TABLE bench_audit.audit_index AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i WHERE i.indrelid = 'audit_log'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT format('DROP INDEX %s', name) FROM bench_audit.audit_index \gexec
-- Its foreign keys too (one probe per entry), added again and validated by gen-audit-load.sql.
CREATE UNLOGGED TABLE bench_audit.audit_fk AS
SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = 'audit_log'::regclass;
SELECT format('ALTER TABLE audit_log DROP CONSTRAINT %I', name) FROM bench_audit.audit_fk \gexec
