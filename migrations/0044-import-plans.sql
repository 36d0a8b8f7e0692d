-- An import into a new deployment (or the first file of a kind) was quadratic: the statements each row runs are
-- planned while the table the rows go to is empty and was never analysed, and those plans last the whole import
-- (one transaction). On such estimates every index of units ties, and the plans PostgreSQL kept read the
-- commission's units by an index of the commission alone: the foreign-key checks and the vacancy refresh of each
-- new unit, and the look-up of an existing unit by address, which moreover computed person_name_key() of the row's
-- text on each unit it read (0032 wrote it in the statement). Measured with `bench/import`: 2 000 units checked in
-- 21.6 s, 5 000 in 141 s (a file of 50 000 did not finish in 7 minutes; README promises 3).
--
-- 1. The look-ups compute the keys of the row's text once, into variables (as 0043 does for people): the
--    comparison is then a plain condition of the key's index.
-- 2. import_rows() takes the statistics of the units and of the tables their triggers write a row to for each
--    (vacancy periods, status changes) after 100, 1 000 and 10 000 rows of a units file (ANALYZE counts the rows
--    this transaction inserted; three samples of at most 30 000 rows an import), so that the plans made for the
--    following rows know the tables' sizes. Always: a dry run's statistics are rolled back but not its
--    table sizes (PostgreSQL writes those in place), so its commit would otherwise be planned on sizes without
--    statistics (measured: 352 s for 50 000 units). Not for the other kinds: 50 000 people were linear without
--    it, and their commit took 136 s with it (the person status rows' plans changed) against 84 s; a role that may not analyse it (not the
--    table's owner) gets PostgreSQL's warning and the import goes on as before. Same rules and messages.
CREATE OR REPLACE FUNCTION import_organisation(p_commission uuid, p_kinds text[], p_name text, OUT id uuid, OUT why text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off AS $$
DECLARE
  ids uuid[];
  k text := person_name_key(p_name);
BEGIN
  IF p_name IS NULL THEN RETURN; END IF;
  SELECT array_agg(o.id) INTO ids FROM organisations o
    WHERE o.commission_id = p_commission AND o.name_key = k AND o.kind = ANY (p_kinds);
  IF ids IS NULL THEN
    why := format('no organisation (%s) is named "%s"', array_to_string(p_kinds, ' or '), p_name);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s organisations (%s) are named "%s"', cardinality(ids), array_to_string(p_kinds, ' or '), p_name);
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
  ka text := person_name_key(p_address);
  kt text := person_name_key(p_town);
BEGIN
  SELECT array_agg(u.id) INTO ids FROM units u WHERE u.commission_id = p_commission
    AND u.address_key = ka AND u.town_key = kt;
  IF ids IS NULL THEN
    why := format('no unit at "%s", %s', p_address, p_town);
  ELSIF cardinality(ids) > 1 THEN
    why := format('%s units at "%s", %s', cardinality(ids), p_address, p_town);
  ELSE
    id := ids[1];
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
  ka text;
  kt text;
BEGIN
  SELECT * INTO r FROM jsonb_to_record(p_row) AS x(label text, kind text, address text, town text, landlord text,
    places integer, rent_cents bigint, charges_cents bigint, deposit_cents bigint);
  ka := person_name_key(r.address);
  kt := person_name_key(r.town);
  SELECT * INTO landlord FROM import_organisation(p_commission, ARRAY['landlord', 'residence'], r.landlord);
  SELECT array_agg(x.id) INTO ids FROM units x WHERE x.commission_id = p_commission
    AND x.address_key = ka AND x.town_key = kt;
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

CREATE OR REPLACE FUNCTION import_rows(p_kind text, p_commission uuid, p_rows jsonb, p_token uuid, p_role text)
RETURNS TABLE (line integer, outcome text, object_id uuid, field text, reason text) LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  res record;
  st text;
  con text;
  done integer := 0;
  -- units: the table the rows go to, then the tables their triggers write a row to for each of them (the other
  -- kinds, measured as linear, are left to PostgreSQL's own statistics: see the header)
  written text[] := CASE p_kind WHEN 'units' THEN ARRAY['units', 'unit_vacancies', 'unit_status_changes'] END;
BEGIN
  FOR r IN SELECT x FROM jsonb_array_elements(p_rows) x
           ORDER BY CASE WHEN p_kind = 'deposits' THEN (x->>'entry_date')::date END, (x->>'line')::integer LOOP
    line := (r->>'line')::integer;
    -- The statistics of the tables the rows go to after 100, 1 000 and 10 000 rows (the rows of this transaction
    -- count: ANALYZE samples them), so that the statements planned for the next rows know their sizes (header).
    IF done IN (100, 1000, 10000) AND written IS NOT NULL THEN
      EXECUTE 'ANALYZE ' || (SELECT string_agg(quote_ident(t), ', ') FROM unnest(written) t);
    END IF;
    done := done + 1;
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
