-- Importing a commission's spreadsheet (README "Importing a spreadsheet"). commissiond reads the CSV file and checks
-- each cell (src/domain/import_rows.c); the functions below take the checked rows as one JSON array, resolve what
-- the rows name (landlords, units, people, placements), find duplicates, and create or update each row's object.
-- A dry run calls them inside a savepoint that is rolled back; a commit calls them again for real, after checking
-- that nothing they depend on changed (import_fingerprint). Each row runs in its own exception block: a row the
-- database refuses is reported with its line, and the others go on, so that a dry run says everything.
--
-- Each function runs with enable_seqscan off: the tables it writes grow row by row inside one transaction, faster
-- than their statistics, and a plan chosen while a table was nearly empty (a sequential scan) would be kept for
-- the rest of the import, making it quadratic. Every look-up has an index of its own (made here, see below).

CREATE TABLE imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  kind text NOT NULL CHECK (kind IN ('organisations', 'units', 'people', 'applications', 'placements', 'deposits')),
  file bytea NOT NULL,
  file_hash text NOT NULL,   -- SHA-256 of FILE, hex: checked again at commit
  fingerprint text NOT NULL, -- import_fingerprint() when the file was checked
  report jsonb NOT NULL,     -- the dry run's answer
  error_count integer NOT NULL CHECK (error_count >= 0),
  created_by_token_id uuid REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  committed_at timestamptz,
  committed_by_token_id uuid REFERENCES tokens (id),
  result jsonb,              -- the commit's answer, given again to a repeated commit
  UNIQUE (commission_id, id)
);
ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON imports USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid
  OR current_setting('commissiond.scope', true) = 'all');

-- Names and addresses are matched as person_name_key() compares names: case, accents and punctuation left out.
-- The import's look-ups go through these indexes only: they compare the commission as text (commission_id::text =
-- p_commission::text), which no index serves, so that the planner cannot pick another index on commission_id
-- alone. On a table that grows inside the import's transaction its estimates are those of an empty table, and
-- such a choice, kept for the whole import, scans the commission's rows for each row of the file (quadratic: 100
-- seconds for 2 000 units). The commission is checked on the few rows the key finds.
CREATE INDEX organisations_name_key_idx ON organisations (person_name_key(name));
CREATE INDEX units_address_key_idx ON units (person_name_key(address), person_name_key(town));
CREATE INDEX people_birth_name_key_idx ON people (birth_date, person_name_key(family_name));
CREATE INDEX applications_person_key_idx ON applications (person_id);
CREATE INDEX placements_person_key_idx ON placements (person_id, move_in_date);
CREATE INDEX deposit_entries_placement_key_idx ON deposit_entries (placement_id, entry_date);

-- What an import of KIND depends on in the commission: every row (id and version) of the tables its rows are
-- resolved against or written to. Any change there between the dry run and the commit changes the fingerprint.
CREATE FUNCTION import_fingerprint(p_commission uuid, p_kind text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  parts text[] := '{}';
BEGIN
  IF p_kind IN ('organisations', 'units', 'people') THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text || ':' || version, ',' ORDER BY id))
                                FROM organisations WHERE commission_id = p_commission), '-');
  END IF;
  IF p_kind IN ('units', 'placements') THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text || ':' || version, ',' ORDER BY id))
                                FROM units WHERE commission_id = p_commission), '-');
  END IF;
  IF p_kind IN ('people', 'applications', 'placements', 'deposits') THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text || ':' || version, ',' ORDER BY id))
                                FROM people WHERE commission_id = p_commission), '-');
  END IF;
  IF p_kind IN ('applications', 'placements') THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text || ':' || version, ',' ORDER BY id))
                                FROM applications WHERE commission_id = p_commission), '-');
  END IF;
  IF p_kind IN ('placements', 'deposits') THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text || ':' || version, ',' ORDER BY id))
                                FROM placements WHERE commission_id = p_commission), '-');
  END IF;
  IF p_kind = 'deposits' THEN
    parts := parts || coalesce((SELECT md5(string_agg(id::text, ',' ORDER BY id))
                                FROM deposit_entries WHERE commission_id = p_commission), '-');
  END IF;
  RETURN md5(array_to_string(parts, '/'));
END
$$;

-- A refusal by a constraint, in words for the row's report (never the SQL text).
CREATE FUNCTION import_refusal(p_constraint text, p_state text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_constraint
    WHEN 'placements_one_per_person' THEN 'the person already lives in another placement during these dates'
    WHEN 'placements_unit_capacity' THEN 'the unit has no free place during these dates'
    WHEN 'deposit_balance_not_negative' THEN 'the deposit balance would become negative (entries are taken in date '
                                           'order: is a payment missing or later than this entry?)'
    WHEN 'units_places_cover_occupancy' THEN 'fewer places than the people housed in the unit'
    ELSE 'refused by the database (' || coalesce(nullif(p_constraint, ''), 'SQLSTATE ' || p_state) || ')' END
$$;

-- The organisation of one of KINDS named NAME: its id, or NULL with WHY.
CREATE FUNCTION import_organisation(p_commission uuid, p_kinds text[], p_name text, OUT id uuid, OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  IF p_name IS NULL THEN RETURN; END IF;
  SELECT array_agg(o.id) INTO ids FROM organisations o
    WHERE o.commission_id::text = p_commission::text AND person_name_key(o.name) = person_name_key(p_name) AND o.kind = ANY (p_kinds);
  IF ids IS NULL THEN
    why := format('no organisation (%s) is named "%s"', array_to_string(p_kinds, ' or '), p_name);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s organisations (%s) are named "%s"', cardinality(ids), array_to_string(p_kinds, ' or '), p_name);
  ELSE
    id := ids[1];
  END IF;
END
$$;

-- The person named FAMILY GIVEN born on BIRTH (names compared as person_name_key()): id, or NULL with WHY.
CREATE FUNCTION import_person(p_commission uuid, p_family text, p_given text, p_birth date, OUT id uuid,
                              OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(p.id) INTO ids FROM people p WHERE p.commission_id::text = p_commission::text AND p.birth_date = p_birth
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

-- The unit at ADDRESS in TOWN: id, or NULL with WHY.
CREATE FUNCTION import_unit(p_commission uuid, p_address text, p_town text, OUT id uuid, OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(u.id) INTO ids FROM units u WHERE u.commission_id::text = p_commission::text
    AND person_name_key(u.town) = person_name_key(p_town) AND person_name_key(u.address) = person_name_key(p_address);
  IF ids IS NULL THEN
    why := format('no unit at "%s", %s', p_address, p_town);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s units at "%s", %s', cardinality(ids), p_address, p_town);
  ELSE
    id := ids[1];
  END IF;
END
$$;

-- One row of each kind (a JSON object of checked values, src/domain/import_rows.c), with the actor (token, role):
-- its outcome (create, update, unchanged, error), the object created or matched, and for an error the field and
-- the reason. import_rows() below runs them.

CREATE FUNCTION import_organisation_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
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
  SELECT array_agg(g.id) INTO ids FROM organisations g WHERE g.commission_id::text = p_commission::text AND g.kind = r.kind
    AND person_name_key(g.name) = person_name_key(r.name);
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

CREATE FUNCTION import_unit_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
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
  SELECT array_agg(x.id) INTO ids FROM units x WHERE x.commission_id::text = p_commission::text
    AND person_name_key(x.town) = person_name_key(r.town)
    AND person_name_key(x.address) = person_name_key(r.address);
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

CREATE FUNCTION import_person_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
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
  SELECT count(*) INTO n FROM people x WHERE x.commission_id::text = p_commission::text AND x.birth_date = r.birth_date
    AND person_name_key(x.family_name) IN (person_name_key(r.family_name), person_name_key(r.given_names))
    AND ((person_name_key(x.family_name) = person_name_key(r.family_name)
          AND person_name_key(x.given_names) = person_name_key(r.given_names))
      OR (person_name_key(x.family_name) = person_name_key(r.given_names)
          AND person_name_key(x.given_names) = person_name_key(r.family_name)));
  SELECT * INTO p FROM people x WHERE x.commission_id::text = p_commission::text AND x.birth_date = r.birth_date
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

-- Applications on the waiting list (draft or submitted). A person's open application (draft or submitted) is
-- updated; one at a later stage (scheduled, deferred, approved) is left to the sessions.
CREATE FUNCTION import_application_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  who record;
  a applications;
  kinds text[];
  towns text[];
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(family_name text, given_names text, birth_date date,
    situation text, wished_unit_kinds jsonb, wished_towns jsonb, urgency text, referent_name text, status text,
    submitted_on date);
  kinds := ARRAY(SELECT jsonb_array_elements_text(coalesce(r.wished_unit_kinds, '[]')));
  towns := ARRAY(SELECT jsonb_array_elements_text(coalesce(r.wished_towns, '[]')));
  SELECT * INTO who FROM import_person(p_commission, r.family_name, r.given_names, r.birth_date);
  a := NULL;
  IF who.id IS NOT NULL THEN
    SELECT * INTO a FROM applications x WHERE x.commission_id::text = p_commission::text AND x.person_id = who.id
      AND x.status IN ('draft', 'submitted', 'scheduled', 'deferred', 'approved')
      ORDER BY x.created_at DESC LIMIT 1 FOR UPDATE;
  END IF;
  IF who.id IS NULL THEN
    outcome := 'error'; field := 'family_name'; reason := who.why;
  ELSIF a.id IS NOT NULL AND a.status NOT IN ('draft', 'submitted') THEN
    outcome := 'error'; field := 'status'; object_id := a.id;
    reason := format('the person''s application is %s: a session handles it now', a.status);
  ELSIF a.id IS NOT NULL AND a.status <> r.status THEN
    outcome := 'error'; field := 'status'; object_id := a.id;
    reason := format('the person''s open application is %s: its status does not change by import', a.status);
  ELSIF a.id IS NOT NULL THEN
    object_id := a.id;
    IF (a.situation, a.wished_unit_kinds, a.wished_towns, a.urgency, a.referent_name) IS NOT DISTINCT FROM
       (r.situation, kinds, towns, r.urgency, r.referent_name) THEN
      outcome := 'unchanged';
    ELSE
      UPDATE applications x SET situation = r.situation, wished_unit_kinds = kinds, wished_towns = towns,
        urgency = r.urgency, referent_name = r.referent_name, version = x.version + 1, updated_at = now()
        WHERE x.id = a.id;
      outcome := 'update';
    END IF;
  ELSE
    INSERT INTO applications (commission_id, person_id, situation, wished_unit_kinds, wished_towns, urgency,
                              referent_name, status, submitted_at, created_by_token_id, created_by_role)
      VALUES (p_commission, who.id, r.situation, kinds, towns, r.urgency, r.referent_name, r.status,
              CASE WHEN r.status = 'submitted' THEN coalesce(r.submitted_on::timestamp AT TIME ZONE 'UTC', now())
              END, p_token, p_role) RETURNING id INTO object_id;
    INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, token_id, role)
      VALUES (p_commission, object_id, NULL, r.status, 'imported', p_token, p_role);
    outcome := 'create';
  END IF;
END
$$;

-- Placements as history: each comes with an application, created 'placed'. The capacity and one-home rules are
-- the placements table's own (migrations/0003). A placement of the person with the same move-in date is the same
-- one: unchanged, or its exit recorded when the file has one and the database not yet.
CREATE FUNCTION import_placement_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  who record;
  unit record;
  pl placements;
  app uuid;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(family_name text, given_names text, birth_date date,
    unit_address text, unit_town text, move_in_date date, lease text, exit_date date, exit_reason text,
    exit_inspection_matches boolean, exit_comment text);
  SELECT * INTO who FROM import_person(p_commission, r.family_name, r.given_names, r.birth_date);
  SELECT * INTO unit FROM import_unit(p_commission, r.unit_address, r.unit_town);
  pl := NULL;
  IF who.id IS NOT NULL THEN
    SELECT * INTO pl FROM placements x WHERE x.commission_id::text = p_commission::text AND x.person_id = who.id
      AND x.move_in_date = r.move_in_date FOR UPDATE;
  END IF;
  IF who.id IS NULL THEN
    outcome := 'error'; field := 'family_name'; reason := who.why;
  ELSIF unit.id IS NULL THEN
    outcome := 'error'; field := 'unit_address'; reason := unit.why;
  ELSIF pl.id IS NOT NULL THEN
    object_id := pl.id;
    IF (pl.unit_id, pl.lease) IS DISTINCT FROM (unit.id, r.lease) THEN
      outcome := 'error'; field := 'unit_address';
      reason := 'a placement of this person from this date exists in another unit or with another lease';
    ELSIF (pl.exit_date, pl.exit_reason, pl.exit_inspection_matches, pl.exit_comment) IS NOT DISTINCT FROM
          (r.exit_date, r.exit_reason, r.exit_inspection_matches, r.exit_comment) THEN
      outcome := 'unchanged';
    ELSIF pl.exit_date IS NULL THEN
      UPDATE placements x SET exit_date = r.exit_date, exit_reason = r.exit_reason,
        exit_inspection_matches = r.exit_inspection_matches, exit_comment = r.exit_comment,
        version = x.version + 1, updated_at = now() WHERE x.id = pl.id;
      outcome := 'update';
    ELSE
      outcome := 'error'; field := 'exit_date';
      reason := 'this placement ended otherwise in the database: change it through the API';
    END IF;
  ELSE
    INSERT INTO applications (commission_id, person_id, situation, status, submitted_at, decided_at,
                              created_by_token_id, created_by_role)
      VALUES (p_commission, who.id, 'Reprise de l''historique : placement importé', 'placed',
              r.move_in_date::timestamp AT TIME ZONE 'UTC', r.move_in_date::timestamp AT TIME ZONE 'UTC',
              p_token, p_role) RETURNING id INTO app;
    INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, token_id, role)
      VALUES (p_commission, app, NULL, 'placed', 'imported with its placement', p_token, p_role);
    INSERT INTO placements (commission_id, application_id, person_id, unit_id, move_in_date, lease, exit_date,
                            exit_reason, exit_comment, exit_inspection_matches, sliding_start_date)
      VALUES (p_commission, app, who.id, unit.id, r.move_in_date, r.lease, r.exit_date, r.exit_reason,
              r.exit_comment, r.exit_inspection_matches,
              CASE WHEN r.lease = 'sliding_lease' THEN r.move_in_date END) -- a sliding lease starts at the move-in
      RETURNING id INTO object_id;
    outcome := 'create';
  END IF;
END
$$;

-- Deposit entries as history, taken in date order (then line order) so that the balance rule (never negative,
-- migrations/0003) holds on the history as it happened. An entry equal to one already recorded before this
-- import (same placement, kind, amount, date and justification) is unchanged: a file imported twice pays once.
CREATE FUNCTION import_deposit_row(p_commission uuid, p_row jsonb, p_token uuid, p_role text, OUT outcome text,
                                 OUT object_id uuid, OUT field text, OUT reason text)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  r record;
  who record;
  placement uuid;
  existing uuid;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(family_name text, given_names text, birth_date date,
    move_in_date date, kind text, amount_cents bigint, entry_date date, justification text);
  SELECT * INTO who FROM import_person(p_commission, r.family_name, r.given_names, r.birth_date);
  placement := NULL;
  IF who.id IS NOT NULL THEN
    SELECT x.id INTO placement FROM placements x WHERE x.commission_id::text = p_commission::text AND x.person_id = who.id
      AND x.move_in_date = r.move_in_date;
  END IF;
  IF who.id IS NULL THEN
    outcome := 'error'; field := 'family_name'; reason := who.why;
  ELSIF placement IS NULL THEN
    outcome := 'error'; field := 'move_in_date';
    reason := format('%s %s has no placement from %s: import the placements first', r.given_names,
                     r.family_name, to_char(r.move_in_date, 'DD/MM/YYYY'));
  ELSE
    SELECT e.id INTO existing FROM deposit_entries e WHERE e.commission_id::text = p_commission::text
      AND e.placement_id = placement AND e.kind = r.kind AND e.amount_cents = r.amount_cents
      AND e.entry_date = r.entry_date AND e.justification IS NOT DISTINCT FROM r.justification
      AND e.created_at < now() LIMIT 1; -- now(): this transaction's start, which its own entries carry
    IF existing IS NOT NULL THEN
      object_id := existing; outcome := 'unchanged';
    ELSE
      INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, entry_date,
                                   justification, token_id, role)
        VALUES (p_commission, placement, r.kind, r.amount_cents,
                CASE r.kind WHEN 'paid' THEN r.amount_cents
                            WHEN 'refunded' THEN -r.amount_cents WHEN 'deducted' THEN -r.amount_cents
                            WHEN 'written_off' THEN -r.amount_cents ELSE 0 END,
                r.entry_date, r.justification, p_token, p_role) RETURNING id INTO object_id;
      outcome := 'create';
    END IF;
  END IF;
END
$$;

-- The rows of a file of KIND (a JSON array of objects, each with its "line"), each in its own exception block: a
-- row the database refuses (a constraint, the deposit balance) is that row's error, and the others go on. Deposit
-- entries are taken in date order (then line order) so that the balance rule holds on the history as it
-- happened; the other kinds in line order. One result row per input row.
CREATE FUNCTION import_rows(p_kind text, p_commission uuid, p_rows jsonb, p_token uuid, p_role text)
RETURNS TABLE (line integer, outcome text, object_id uuid, field text, reason text) LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  res record;
  st text;
  con text;
BEGIN
  FOR r IN SELECT x FROM jsonb_array_elements(p_rows) x
           ORDER BY CASE WHEN p_kind = 'deposits' THEN (x->>'entry_date')::date END, (x->>'line')::integer LOOP
    line := (r->>'line')::integer;
    BEGIN
      CASE p_kind
        WHEN 'organisations' THEN SELECT * INTO res FROM import_organisation_row(p_commission, r, p_token, p_role);
        WHEN 'units' THEN SELECT * INTO res FROM import_unit_row(p_commission, r, p_token, p_role);
        WHEN 'people' THEN SELECT * INTO res FROM import_person_row(p_commission, r, p_token, p_role);
        WHEN 'applications' THEN SELECT * INTO res FROM import_application_row(p_commission, r, p_token, p_role);
        WHEN 'placements' THEN SELECT * INTO res FROM import_placement_row(p_commission, r, p_token, p_role);
        WHEN 'deposits' THEN SELECT * INTO res FROM import_deposit_row(p_commission, r, p_token, p_role);
      END CASE;
      outcome := res.outcome; object_id := res.object_id; field := res.field; reason := res.reason;
    EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
      GET STACKED DIAGNOSTICS con = CONSTRAINT_NAME, st = RETURNED_SQLSTATE;
      outcome := 'error'; object_id := NULL; reason := import_refusal(con, st);
      field := CASE con WHEN 'placements_unit_capacity' THEN 'unit_address'
                        WHEN 'placements_one_per_person' THEN 'move_in_date'
                        WHEN 'deposit_balance_not_negative' THEN 'amount_cents' END;
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
