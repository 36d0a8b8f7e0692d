-- After bench/run has copied the chained entries into audit_log (gen-audit.sql, chain.py): checks that every staged
-- entry is there, that the inlinable copies of audit_entry_text wrote the originals' text (on a sample: the full
-- proof is `commissionctl audit verify`, which bench/run runs unless --skip-verify), builds the indexes
-- gen-audit.sql dropped, adds its foreign keys again (validated over the load), and sets the id sequence after the
-- last entry.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET commissiond.scope = 'all';
SET maintenance_work_mem = '512MB';
BEGIN;
DO $$
BEGIN
  IF (SELECT count(*) FROM audit_log) <> (SELECT count(*) FROM bench_gen.audit) THEN
    RAISE EXCEPTION 'audit_log does not hold every staged entry';
  END IF;
  IF EXISTS (SELECT 1 FROM bench_gen.audit a WHERE a.id % 997 = 1 AND
      public.audit_entry_text(a.id, a.at, a.commission_id, a.token_id, a.role, a.action, a.method, a.route,
                              a.object_type, a.object_id, a.person_id, a.request_id, a.status, NULL)
      IS DISTINCT FROM
      bench_gen.audit_entry_text(a.id, a.at, a.commission_id, a.token_id, a.role, a.action, a.method, a.route,
                                 a.object_type, a.object_id, a.person_id, a.request_id, a.status, NULL)) THEN
    RAISE EXCEPTION 'bench_gen.audit_entry_text differs from audit_entry_text';
  END IF;
END
$$;
SELECT def FROM bench_gen.audit_index \gexec
SELECT format('ALTER TABLE audit_log ADD CONSTRAINT %I %s', name, def) FROM bench_gen.audit_fk \gexec
SELECT setval('audit_log_id_seq', (SELECT max(id) FROM audit_log));
COMMIT;
DROP SCHEMA bench_gen CASCADE;
