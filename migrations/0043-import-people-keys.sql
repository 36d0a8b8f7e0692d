-- The people import (POST /v1/imports of people, and the rows that name a person: applications, placements) finds
-- a person by the stored keys of their names (0042), as the API's duplicate check now does: an index look-up for
-- the same names and one for the names swapped, where it keyed and compared everyone of the commission born that
-- day (a spreadsheet that writes an unknown birth date as 01/01/1900 made each row read all the others). The
-- same rules as 0032's functions, which these replace.
CREATE OR REPLACE FUNCTION import_person(p_commission uuid, p_family text, p_given text, p_birth date, OUT id uuid,
                              OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
  kf text := person_name_key(p_family);
  kg text := person_name_key(p_given);
BEGIN
  SELECT array_agg(p.id) INTO ids FROM people p WHERE p.commission_id = p_commission AND p.birth_date = p_birth
    AND p.family_key = kf AND p.given_key = kg;
  IF ids IS NULL THEN
    why := format('no person %s %s born on %s: import the people first', p_given, p_family,
                  to_char(p_birth, 'DD/MM/YYYY'));
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s files of %s %s born on %s: link them first', cardinality(ids), p_given, p_family,
                  to_char(p_birth, 'DD/MM/YYYY'));
  ELSE
    id := ids[1];
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION import_person_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  team record;
  curator record;
  p people;
  n integer;
  kf text;
  kg text;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(family_name text, given_names text, birth_date date, phone text,
    email text, address text, care_team text, protection text, curator text, protection_start date,
    protection_end date);
  kf := person_name_key(r.family_name);
  kg := person_name_key(r.given_names);
  -- As a creation through the API: two creations of one person queue on the birth date (src/db/people.c).
  PERFORM pg_advisory_xact_lock(hashtext('commissiond.people'),
                                hashtext(p_commission::text || '/' || r.birth_date::text));
  SELECT * INTO team FROM import_organisation(p_commission, ARRAY['care_team'], r.care_team);
  SELECT * INTO curator FROM import_organisation(p_commission, ARRAY['curator_service'], r.curator);
  -- The duplicate rule of POST /v1/people (include/duplicates.h): same birth date, same names or swapped.
  SELECT count(*) INTO n FROM (
    SELECT x.id FROM people x WHERE x.commission_id = p_commission AND x.birth_date = r.birth_date
      AND x.family_key = kf AND x.given_key = kg
    UNION
    SELECT x.id FROM people x WHERE x.commission_id = p_commission AND x.birth_date = r.birth_date
      AND x.family_key = kg AND x.given_key = kf) c;
  SELECT * INTO p FROM people x WHERE x.commission_id = p_commission AND x.birth_date = r.birth_date
    AND x.family_key = kf AND x.given_key = kg FOR UPDATE;
  IF team.id IS NULL THEN
    outcome := 'error'; field := 'care_team'; reason := team.why;
  ELSIF r.curator IS NOT NULL AND curator.id IS NULL THEN
    outcome := 'error'; field := 'curator'; reason := curator.why;
  ELSIF n > 1 OR (n = 1 AND p.id IS NULL) THEN
    outcome := 'error'; field := 'family_name';
    reason := CASE WHEN p.id IS NULL THEN 'possible duplicate: a file with these names swapped and this birth '
                                          'date exists; correct the row or the file first'
                   ELSE format('possible duplicate of %s files; link them first', n) END;
  ELSIF p.id IS NOT NULL THEN
    object_id := p.id;
    IF (p.family_name, p.given_names, p.phone, p.email, p.address, p.care_team_id, p.protection,
        p.curator_org_id, p.protection_start, p.protection_end) IS NOT DISTINCT FROM
       (r.family_name, r.given_names, r.phone, r.email, r.address, team.id, r.protection, curator.id,
        r.protection_start, r.protection_end) THEN
      outcome := 'unchanged';
    ELSE
      UPDATE people x SET family_name = r.family_name, given_names = r.given_names, phone = r.phone,
        email = r.email, address = r.address, care_team_id = team.id, protection = r.protection,
        curator_org_id = curator.id, protection_start = r.protection_start, protection_end = r.protection_end,
        version = x.version + 1, updated_at = now() WHERE x.id = p.id;
      outcome := 'update';
    END IF;
  ELSE
    INSERT INTO people (commission_id, family_name, given_names, birth_date, phone, email, address, care_team_id,
                        protection, curator_org_id, protection_start, protection_end)
      VALUES (p_commission, r.family_name, r.given_names, r.birth_date, r.phone, r.email, r.address, team.id,
              r.protection, curator.id, r.protection_start, r.protection_end) RETURNING id INTO object_id;
    outcome := 'create';
  END IF;
END
$$;
