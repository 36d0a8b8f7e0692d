-- Loads the staged audit entries (gen-audit.sql) with the chain computed by chain.py: an INSERT with chain_pos
-- already set fires no trigger (audit_log_append_only guards UPDATE and DELETE only).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET commissiond.scope = 'all';
BEGIN;
DO $$
BEGIN
  IF (SELECT count(*) FROM bench_gen.chain) <> (SELECT count(*) FROM bench_gen.audit) THEN
    RAISE EXCEPTION 'the chain does not cover every staged entry';
  END IF;
END
$$;
INSERT INTO audit_log (id, at, commission_id, token_id, role, action, method, route, object_type, object_id,
                       person_id, request_id, status, chain_pos, prev_hash, hash)
SELECT a.id, a.at, a.commission_id, a.token_id, a.role, a.action, a.method, a.route, a.object_type, a.object_id,
  a.person_id, a.request_id, a.status, c.pos, decode(c.prev, 'hex'), decode(c.hash, 'hex')
FROM bench_gen.audit a JOIN bench_gen.chain c USING (id) ORDER BY a.id;
SELECT setval('audit_log_id_seq', (SELECT max(id) FROM audit_log));
COMMIT;
DROP SCHEMA bench_gen CASCADE;
