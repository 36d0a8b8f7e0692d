-- The import's look-ups by name, address and birth date (migrations/0016) compared the commission as text, so
-- that no index of the commission alone could serve them, and relied on indexes of person_name_key() to find the
-- key's few rows. Under row-level security (commissiond's role) no such index serves them either: a comparison
-- of person_name_key(column) calls functions that are not leakproof on the row, so PostgreSQL keeps it out of
-- index conditions and evaluates it after the policy, on every row the other conditions leave. On 50 commissions
-- of 20 000 people a care team's name was compared with the 1 000 care teams of every commission and a birth date
-- with the 50 people born that day, for each row of a file (198 rows a second, 727 on one commission); a unit
-- was looked for in every unit of every commission (a sequential scan: 200 000 units a row).
--
-- The keys are now columns (generated, stored: compared as they are, the comparison is leakproof and an index
-- condition) led by the commission: an organisation by its kind and name key, a unit by its address and town
-- keys; a person by the commission and the birth date (people_duplicate_idx), the names then compared on the
-- commission's people of that day. Each look-up reads its own commission's rows only, the same on any number of
-- commissions. The index of each key has the most conditions a look-up gives, so that a plan cached for a whole
-- import never prefers an index of the commission alone, even when it was planned on an empty table.
ALTER TABLE organisations ADD COLUMN name_key text GENERATED ALWAYS AS (person_name_key(name)) STORED;
ALTER TABLE units ADD COLUMN address_key text GENERATED ALWAYS AS (person_name_key(address)) STORED,
  ADD COLUMN town_key text GENERATED ALWAYS AS (person_name_key(town)) STORED;
DROP INDEX organisations_name_key_idx;
CREATE INDEX organisations_name_key_idx ON organisations (commission_id, name_key, kind);
DROP INDEX units_address_key_idx;
CREATE INDEX units_address_key_idx ON units (commission_id, address_key, town_key);
DROP INDEX people_birth_name_key_idx; -- people_duplicate_idx (commission_id, birth_date, ...) serves the look-up

CREATE OR REPLACE FUNCTION import_organisation(p_commission uuid, p_kinds text[], p_name text, OUT id uuid, OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  IF p_name IS NULL THEN RETURN; END IF;
  SELECT array_agg(o.id) INTO ids FROM organisations o
    WHERE o.commission_id = p_commission AND o.name_key = person_name_key(p_name) AND o.kind = ANY (p_kinds);
  IF ids IS NULL THEN
    why := format('no organisation (%s) is named "%s"', array_to_string(p_kinds, ' or '), p_name);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s organisations (%s) are named "%s"', cardinality(ids), array_to_string(p_kinds, ' or '), p_name);
  ELSE
    id := ids[1];
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION import_person(p_commission uuid, p_family text, p_given text, p_birth date, OUT id uuid,
                              OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(p.id) INTO ids FROM people p WHERE p.commission_id = p_commission AND p.birth_date = p_birth
    AND person_name_key(p.family_name) = person_name_key(p_family)
    AND person_name_key(p.given_names) = person_name_key(p_given);
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

CREATE OR REPLACE FUNCTION import_unit(p_commission uuid, p_address text, p_town text, OUT id uuid, OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(u.id) INTO ids FROM units u WHERE u.commission_id = p_commission
    AND u.address_key = person_name_key(p_address) AND u.town_key = person_name_key(p_town);
  IF ids IS NULL THEN
    why := format('no unit at "%s", %s', p_address, p_town);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s units at "%s", %s', cardinality(ids), p_address, p_town);
  ELSE
    id := ids[1];
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION import_organisation_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  ids uuid[];
  o organisations;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(name text, kind text, town text, address text, email text,
    phone text);
  SELECT array_agg(g.id) INTO ids FROM organisations g WHERE g.commission_id = p_commission AND g.kind = r.kind
    AND g.name_key = person_name_key(r.name);
  IF cardinality(ids) > 1 THEN
    outcome := 'error'; field := 'name';
    reason := format('%s organisations of this kind are already named so', cardinality(ids));
  ELSIF ids IS NOT NULL THEN
    SELECT * INTO o FROM organisations g WHERE g.id = ids[1] FOR UPDATE;
    object_id := o.id;
    IF (o.name, o.town, o.address, o.email, o.phone) IS NOT DISTINCT FROM
       (r.name, r.town, r.address, r.email, r.phone) THEN
      outcome := 'unchanged';
    ELSE
      UPDATE organisations g SET name = r.name, town = r.town, address = r.address, email = r.email,
        phone = r.phone, version = g.version + 1, updated_at = now() WHERE g.id = o.id;
      outcome := 'update';
    END IF;
  ELSE
    INSERT INTO organisations (commission_id, kind, name, town, address, email, phone)
      VALUES (p_commission, r.kind, r.name, r.town, r.address, r.email, r.phone) RETURNING id INTO object_id;
    outcome := 'create';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION import_unit_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  landlord record;
  ids uuid[];
  u units;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(label text, kind text, address text, town text, landlord text,
    places integer, rent_cents bigint, charges_cents bigint, deposit_cents bigint);
  SELECT * INTO landlord FROM import_organisation(p_commission, ARRAY['landlord', 'residence'], r.landlord);
  SELECT array_agg(x.id) INTO ids FROM units x WHERE x.commission_id = p_commission
    AND x.address_key = person_name_key(r.address) AND x.town_key = person_name_key(r.town);
  IF landlord.id IS NULL THEN
    outcome := 'error'; field := 'landlord'; reason := landlord.why;
  ELSIF cardinality(ids) > 1 THEN
    outcome := 'error'; field := 'address';
    reason := format('%s units of the commission are at this address', cardinality(ids));
  ELSIF ids IS NOT NULL THEN
    SELECT * INTO u FROM units x WHERE x.id = ids[1] FOR UPDATE;
    object_id := u.id;
    IF u.kind <> r.kind THEN
      outcome := 'error'; field := 'kind';
      reason := format('the unit at this address is a %s: its kind cannot change', u.kind);
    ELSIF u.landlord_org_id <> landlord.id THEN
      outcome := 'error'; field := 'landlord';
      reason := 'the unit at this address has another landlord, which cannot change';
    ELSIF (u.label, u.address, u.town, u.places, u.rent_cents, u.charges_cents, u.deposit_cents) IS NOT DISTINCT
          FROM (r.label, r.address, r.town, r.places, r.rent_cents, r.charges_cents, r.deposit_cents) THEN
      outcome := 'unchanged';
    ELSE
      UPDATE units x SET label = r.label, address = r.address, town = r.town, places = r.places,
        rent_cents = r.rent_cents, charges_cents = r.charges_cents, deposit_cents = r.deposit_cents,
        version = x.version + 1, updated_at = now() WHERE x.id = u.id;
      outcome := 'update';
    END IF;
  ELSE
    INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, places, rent_cents,
                       charges_cents, deposit_cents)
      VALUES (p_commission, r.kind, r.label, r.address, r.town, landlord.id, r.places, r.rent_cents,
              r.charges_cents, r.deposit_cents) RETURNING id INTO object_id;
    INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, reason, token_id)
      VALUES (p_commission, object_id, NULL, 'available', 'imported', p_token);
    outcome := 'create';
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
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(family_name text, given_names text, birth_date date, phone text,
    email text, address text, care_team text, protection text, curator text, protection_start date,
    protection_end date);
  -- As a creation through the API: two creations of one person queue on the birth date (src/db/people.c).
  PERFORM pg_advisory_xact_lock(hashtext('commissiond.people'),
                                hashtext(p_commission::text || '/' || r.birth_date::text));
  SELECT * INTO team FROM import_organisation(p_commission, ARRAY['care_team'], r.care_team);
  SELECT * INTO curator FROM import_organisation(p_commission, ARRAY['curator_service'], r.curator);
  -- The duplicate rule of POST /v1/people (include/duplicates.h): same birth date, same names or swapped.
  SELECT count(*) INTO n FROM people x WHERE x.commission_id = p_commission AND x.birth_date = r.birth_date
    AND person_name_key(x.family_name) IN (person_name_key(r.family_name), person_name_key(r.given_names))
    AND ((person_name_key(x.family_name) = person_name_key(r.family_name)
          AND person_name_key(x.given_names) = person_name_key(r.given_names))
      OR (person_name_key(x.family_name) = person_name_key(r.given_names)
          AND person_name_key(x.given_names) = person_name_key(r.family_name)));
  SELECT * INTO p FROM people x WHERE x.commission_id = p_commission AND x.birth_date = r.birth_date
    AND person_name_key(x.family_name) = person_name_key(r.family_name)
    AND person_name_key(x.given_names) = person_name_key(r.given_names) FOR UPDATE;
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
