-- The audit trail at the cost of a row copy (issue: every page O(limit · log n)...). Measured on the bench's
-- landlord placement read, the audit thread's backend spent ~80 µs per read entry, the read itself ~13 µs.
--
-- audit_entry_text() was declared IMMUTABLE over a body that calls to_char(), which is STABLE: PostgreSQL never
-- inlines a SQL function declared less volatile than its body, so every entry ran through the SQL-function
-- executor, twice (the text with the client's address wraps the 13-argument one, and the row form wraps that).
-- Declared STABLE, all three inline into the statements that call them: the same text, ~1.5 µs instead of ~50 µs
-- per entry (EXPLAIN ANALYZE over 2 000 entries: 105 ms -> 2.7 ms). No index or constraint uses them.
ALTER FUNCTION audit_entry_text(bigint, timestamptz, uuid, uuid, text, text, text, text, text, uuid, uuid, text,
                                integer) STABLE;
ALTER FUNCTION audit_entry_text(bigint, timestamptz, uuid, uuid, text, text, text, text, text, uuid, uuid, text,
                                integer, inet) STABLE;
ALTER FUNCTION audit_entry_text(audit_log) STABLE;

-- The commission's foreign key made every entry check, and lock FOR KEY SHARE, the one row of its commission:
-- a lookup per entry, and under concurrent writers a multixact on the hottest row of the database. An audit
-- entry's commission comes from the token that made the request (tokens.commission_id references commissions),
-- commissions are never deleted, and an append-only trail must not hold on to what it describes: the key goes.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_commission_id_fkey;

