-- The audit trail of the generated data set, staged for chaining (bench/run pipes it through chain.py and loads
-- the result with gen-audit-load.sql). Entries in plausible proportions: each person's file created, each
-- application and placement created, and one read of each person's file (a curator's status check for the
-- protected, a caregiver's read otherwise), in order of time. Needs an empty audit_log: the chain starts at 1.
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

DROP SCHEMA IF EXISTS bench_gen CASCADE;
CREATE SCHEMA bench_gen;
CREATE UNLOGGED TABLE bench_gen.audit AS
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
CREATE UNLOGGED TABLE bench_gen.chain (id bigint PRIMARY KEY, pos bigint NOT NULL, prev text, hash text NOT NULL);
