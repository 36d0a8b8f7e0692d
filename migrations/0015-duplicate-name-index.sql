-- The duplicate check reads the people of one birth date by their accent- and case-insensitive family name.
--
-- people_duplicate_idx keyed lower(family_name), which the check (person_name_key(), migration 0011) never
-- compares: every person born on the same day was read and keyed, O(people of that birth date) for each creation,
-- each refused attempt recorded for the coordinator and each file of the duplicates queue. Keyed by
-- person_name_key(family_name), both arms of the match (the same names, or the names swapped) are index look-ups
-- on that key: O(log n).
DROP INDEX IF EXISTS people_duplicate_idx;
CREATE INDEX people_duplicate_idx ON people (commission_id, birth_date, person_name_key(family_name));
