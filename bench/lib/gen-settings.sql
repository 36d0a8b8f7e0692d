-- The session settings of every step of the generator (included by gen.sql, gen-load.sql and gen-finish.sql).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET synchronous_commit = off;
SET TIME ZONE 'UTC';
SET commissiond.scope = 'all';
SET search_path = public, bench_gen;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
