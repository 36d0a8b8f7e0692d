-- After bench/run has copied the chained entries into audit_log (gen-audit.sql, chain.py, which checked that they
-- came in chain order, ids 1, 2, 3...): checks that audit_log holds ids 1 to N, each at its position, and that the
-- inlinable copies of audit_entry_text wrote the originals' text (on a sample of one entry in 997: the full proof is
-- `commissionctl audit verify`, which bench/run runs unless --skip-verify); builds the indexes gen-audit.sql
-- dropped, adds its foreign keys again (validated over the load), and sets the id sequence after the last entry.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET commissiond.scope = 'all';
SET maintenance_work_mem = '512MB';
BEGIN;
DO $$
BEGIN
  IF (SELECT count(*) FROM audit_log) <> (SELECT max(id) FROM audit_log)
     OR EXISTS (SELECT 1 FROM audit_log WHERE chain_pos IS DISTINCT FROM id) THEN
    RAISE EXCEPTION 'audit_log does not hold the entries 1 to N at their positions';
  END IF;
  IF EXISTS (SELECT 1 FROM audit_log a WHERE a.id IN (SELECT generate_series(1, (SELECT max(id) FROM audit_log), 997))
      AND public.audit_entry_text(a.id, a.at, a.commission_id, a.token_id, a.role, a.action, a.method, a.route,
                                  a.object_type, a.object_id, a.person_id, a.request_id, a.status, NULL)
      IS DISTINCT FROM
      bench_audit.audit_entry_text(a.id, a.at, a.commission_id, a.token_id, a.role, a.action, a.method, a.route,
                                 a.object_type, a.object_id, a.person_id, a.request_id, a.status, NULL)) THEN
    RAISE EXCEPTION 'bench_audit.audit_entry_text differs from audit_entry_text';
  END IF;
END
$$;
SELECT def FROM bench_audit.audit_index \gexec
SELECT format('ALTER TABLE audit_log ADD CONSTRAINT %I %s', name, def) FROM bench_audit.audit_fk \gexec
SELECT setval('audit_log_id_seq', (SELECT max(id) FROM audit_log));
COMMIT;
DROP SCHEMA bench_audit CASCADE;
