-- The duplicate check of a new person (and each refused attempt recorded for the coordinator) reads the people of
-- the commission born that day by the key of their names (0011, 0015). Under the daemon's role row-level security
-- kept `person_name_key(family_name) = ...` out of the index condition (the function is not leakproof and reads
-- the row), so the index found the commission's people of that birth date and each one's names were keyed and
-- compared: O(people born that day). The people's rows now keep their names' keys (as organisations and units
-- keep theirs since 0032); the check compares the stored keys with the keys of the names asked (computed from the
-- request, not from the row, so row-level security lets them into the index condition): O(log n).
ALTER TABLE people
  ADD COLUMN family_key text GENERATED ALWAYS AS (person_name_key(family_name)) STORED,
  ADD COLUMN given_key text GENERATED ALWAYS AS (person_name_key(given_names)) STORED;
DROP INDEX people_duplicate_idx;
CREATE INDEX people_duplicate_idx ON people (commission_id, birth_date, family_key, given_key);
