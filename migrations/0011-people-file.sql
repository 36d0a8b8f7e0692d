-- One person, one file (issue 14): duplicates across teams, the coordinator's queue, links and distinct marks;
-- an application filed by a curator may wait for its situation text.

-- The key two names are compared by: case, accents and punctuation left out ("Élodie-Anne" and "elodie anne"
-- compare equal). Upper- and lower-case accented letters are both mapped, so the key does not depend on the
-- database's locale (lower() only folds ASCII under the C locale).
CREATE FUNCTION person_name_key(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT btrim(regexp_replace(lower(translate(
    replace(replace(replace(replace(replace(replace(t, 'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae'), 'Æ', 'ae'), 'ß', 'ss'),
            'ẞ', 'ss'),
    'àáâãäåāăąÀÁÂÃÄÅĀĂĄçćĉċčÇĆĈĊČďđĎĐèéêëēĕėęěÈÉÊËĒĔĖĘĚĝğġģĜĞĠĢĥĤìíîïĩīĭįıÌÍÎÏĨĪĬĮİĵĴķĶĺļľŀłĹĻĽĿŁñńņňÑŃŅŇòóôõöøōŏőÒÓÔÕÖØŌŎŐŕŗřŔŖŘśŝşšŚŜŞŠţťŧŢŤŦùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲŵŴýÿŷÝŸŶźżžŹŻŽ',
    'aaaaaaaaaaaaaaaaaaccccccccccddddeeeeeeeeeeeeeeeeeegggggggghhiiiiiiiiiiiiiiiiiijjkkllllllllllnnnnnnnnoooooooooooooooooorrrrrrssssssssttttttuuuuuuuuuuuuuuuuuuuuwwyyyyyyzzzzzz')),
    '[^a-z0-9]+', ' ', 'g'))
$$;

-- A creation refused as a possible duplicate of a file the caller may not see: the coordinator's to look at.
-- One row per file matched. Resolved when the coordinator links it (the same person) or marks it distinct.
CREATE TABLE person_duplicate_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  person_id uuid NOT NULL,
  family_name text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
  given_names text NOT NULL CHECK (length(given_names) BETWEEN 1 AND 100),
  birth_date date NOT NULL,
  requested_by_role text NOT NULL,
  requested_by_org_id uuid,
  token_id uuid REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolution text CHECK (resolution IN ('linked', 'distinct')),
  resolved_by_token_id uuid REFERENCES tokens (id),
  CHECK ((resolved_at IS NULL) = (resolution IS NULL)),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id) ON DELETE CASCADE
);
CREATE INDEX person_duplicate_requests_open_idx ON person_duplicate_requests (commission_id, created_at, id)
  WHERE resolved_at IS NULL;
CREATE INDEX person_duplicate_requests_person_idx ON person_duplicate_requests (commission_id, person_id);

-- Two files the coordinator found to be two people: never proposed again. PERSON_A < PERSON_B.
CREATE TABLE person_distinct_pairs (
  commission_id uuid NOT NULL REFERENCES commissions (id),
  person_a uuid NOT NULL,
  person_b uuid NOT NULL,
  token_id uuid REFERENCES tokens (id),
  marked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, person_a, person_b),
  CHECK (person_a < person_b),
  FOREIGN KEY (commission_id, person_a) REFERENCES people (commission_id, id) ON DELETE CASCADE,
  FOREIGN KEY (commission_id, person_b) REFERENCES people (commission_id, id) ON DELETE CASCADE
);

-- A file linked into another (the older): its id answers 404 with a pointer to the file that holds everything.
-- INTO_ID always names a file that exists (a later link of INTO_ID moves these rows along).
CREATE TABLE person_merges (
  commission_id uuid NOT NULL REFERENCES commissions (id),
  merged_id uuid NOT NULL,
  into_id uuid NOT NULL,
  token_id uuid REFERENCES tokens (id),
  merged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, merged_id),
  FOREIGN KEY (commission_id, into_id) REFERENCES people (commission_id, id) ON DELETE CASCADE
);
CREATE INDEX person_merges_into_idx ON person_merges (commission_id, into_id);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['person_duplicate_requests', 'person_distinct_pairs', 'person_merges'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY commission_isolation ON %I USING (commission_id = '
                   'nullif(current_setting(''commissiond.commission'', true), '''')::uuid '
                   'OR current_setting(''commissiond.scope'', true) = ''all'')', t);
  END LOOP;
END
$$;

-- A curator files an application without the situation text (care-confidential, which it may never read): the
-- care team completes it later.
ALTER TABLE applications ALTER COLUMN situation DROP NOT NULL;

-- Links the file P_MERGED into P_KEPT, in the caller's transaction (both rows locked by the caller): what the
-- merged file holds follows the kept one (applications, placements with their deposits, reviews and incidents,
-- care notes, duplicate requests, distinct marks with third files, earlier links into it), the kept file's empty
-- contact details are filled from it, and the merged row goes, leaving a pointer. Two placements of the two files
-- that overlap violate placements_one_per_person (23P01): one home at a time holds across the merged file. The
-- audit trail is append-only: its entries keep the merged id, and the reads that gather a person's entries (the
-- export) follow person_merges.
CREATE FUNCTION person_link(p_commission uuid, p_kept uuid, p_merged uuid, p_token uuid)
RETURNS TABLE (moved_applications bigint, moved_placements bigint, moved_care_notes bigint,
               moved_requests bigint)
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE applications a SET person_id = p_kept, version = a.version + 1, updated_at = now()
    WHERE a.commission_id = p_commission AND a.person_id = p_merged;
  GET DIAGNOSTICS moved_applications = ROW_COUNT;
  UPDATE placements pl SET person_id = p_kept, version = pl.version + 1, updated_at = now()
    WHERE pl.commission_id = p_commission AND pl.person_id = p_merged;
  GET DIAGNOSTICS moved_placements = ROW_COUNT;
  UPDATE care_notes c SET person_id = p_kept WHERE c.commission_id = p_commission AND c.person_id = p_merged;
  GET DIAGNOSTICS moved_care_notes = ROW_COUNT;
  UPDATE person_duplicate_requests r SET person_id = p_kept
    WHERE r.commission_id = p_commission AND r.person_id = p_merged;
  GET DIAGNOSTICS moved_requests = ROW_COUNT;
  INSERT INTO person_distinct_pairs (commission_id, person_a, person_b, token_id, marked_at)
    SELECT d.commission_id, least(o.other, p_kept), greatest(o.other, p_kept), d.token_id, d.marked_at
    FROM person_distinct_pairs d
    CROSS JOIN LATERAL (SELECT CASE WHEN d.person_a = p_merged THEN d.person_b ELSE d.person_a END AS other) o
    WHERE d.commission_id = p_commission AND (d.person_a = p_merged OR d.person_b = p_merged) AND o.other <> p_kept
    ON CONFLICT DO NOTHING;
  UPDATE person_merges m SET into_id = p_kept WHERE m.commission_id = p_commission AND m.into_id = p_merged;
  INSERT INTO person_merges (commission_id, merged_id, into_id, token_id) VALUES (p_commission, p_merged, p_kept, p_token);
  UPDATE people k SET phone = coalesce(k.phone, m.phone), email = coalesce(k.email, m.email),
      address = coalesce(k.address, m.address), version = k.version + 1, updated_at = now()
    FROM people m WHERE k.commission_id = p_commission AND k.id = p_kept AND m.commission_id = p_commission
      AND m.id = p_merged;
  -- the information record (a table created below): the kept file's stays, else the other's follows
  UPDATE person_information i SET person_id = p_kept
    WHERE i.commission_id = p_commission AND i.person_id = p_merged AND NOT EXISTS (SELECT 1 FROM person_information k
      WHERE k.commission_id = p_commission AND k.person_id = p_kept);
  DELETE FROM people p WHERE p.commission_id = p_commission AND p.id = p_merged;
  RETURN NEXT;
END
$$;

-- The person informed (CNIL, référentiel of social and medico-social support, 2021-028): the processing rests on
-- the association's mission, not on consent, and the person is told what is held, why, who sees it and their
-- rights. One record per person: when, by whom, how; and any agreement to share information with a partner.
CREATE TABLE person_information (
  commission_id uuid NOT NULL REFERENCES commissions (id),
  person_id uuid NOT NULL,
  informed_on date NOT NULL,
  informed_by text NOT NULL CHECK (length(informed_by) BETWEEN 1 AND 200),
  means text NOT NULL CHECK (means IN ('oral', 'written', 'oral_and_written')),
  sharing_agreement text CHECK (length(sharing_agreement) BETWEEN 1 AND 2000),
  recorded_by_role text NOT NULL,
  recorded_by_token_id uuid REFERENCES tokens (id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commission_id, person_id),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id) ON DELETE CASCADE
);
ALTER TABLE person_information ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_information FORCE ROW LEVEL SECURITY;
CREATE POLICY commission_isolation ON person_information USING (commission_id =
  nullif(current_setting('commissiond.commission', true), '')::uuid OR current_setting('commissiond.scope', true) = 'all');


-- Retention after the last contact (CNIL, délibération 2023-095: the active base keeps a file 2 years after the
-- last contact with the person, then it is pseudonymised or archived). A closed file's last contact is the latest
-- of: its creation, any move of its applications, a move-in or an exit, a care note, a review, an incident, the
-- information record. New commissions take the framework's 2 years by default; each commission keeps its own
-- setting (`commissionctl commission configure ID --retention-years N`): the commissions that exist keep theirs.
ALTER TABLE commissions ALTER COLUMN retention_years SET DEFAULT 2;

CREATE OR REPLACE FUNCTION retention_pseudonymise(p_commission uuid, p_dry_run boolean)
RETURNS TABLE (person_id uuid, last_event date) LANGUAGE plpgsql AS $$
DECLARE
  years integer;
BEGIN
  SELECT retention_years INTO years FROM commissions WHERE id = p_commission;
  CREATE TEMP TABLE IF NOT EXISTS retention_due (id uuid PRIMARY KEY, last_event date) ON COMMIT DROP;
  DELETE FROM retention_due;
  INSERT INTO retention_due
  SELECT p.id, greatest(
      (SELECT max(greatest(pl.move_in_date, pl.exit_date)) FROM placements pl
       WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id),
      (SELECT max((e.at AT TIME ZONE 'UTC')::date) FROM application_events e JOIN applications a
         ON a.commission_id = e.commission_id AND a.id = e.application_id
       WHERE a.commission_id = p.commission_id AND a.person_id = p.id),
      (SELECT max((c.created_at AT TIME ZONE 'UTC')::date) FROM care_notes c
       WHERE c.commission_id = p.commission_id AND c.person_id = p.id),
      (SELECT max(r.review_date) FROM reviews r JOIN placements pl ON pl.commission_id = r.commission_id
         AND pl.id = r.placement_id WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id),
      (SELECT max(i.occurred_on) FROM incidents i JOIN placements pl ON pl.commission_id = i.commission_id
         AND pl.id = i.placement_id WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id),
      (SELECT max(f.informed_on) FROM person_information f
       WHERE f.commission_id = p.commission_id AND f.person_id = p.id),
      (p.created_at AT TIME ZONE 'UTC')::date)
  FROM people p
  WHERE p.commission_id = p_commission AND p.pseudonymised_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.commission_id = p.commission_id AND a.person_id = p.id
                    AND a.status IN ('draft', 'submitted', 'scheduled', 'deferred', 'approved'))
    AND NOT EXISTS (SELECT 1 FROM placements pl WHERE pl.commission_id = p.commission_id AND pl.person_id = p.id
                    AND (pl.exit_date IS NULL OR pl.exit_date > current_date));
  DELETE FROM retention_due d WHERE d.last_event > (current_date - make_interval(years => years))::date;
  IF NOT p_dry_run THEN
    UPDATE people p SET family_name = 'Anonyme ' || upper(left(p.id::text, 8)), given_names = '-',
      birth_date = make_date(extract(year FROM p.birth_date)::integer, 1, 1), phone = NULL, email = NULL,
      address = NULL, pseudonymised_at = now(), version = p.version + 1, updated_at = now()
    FROM retention_due d WHERE p.id = d.id;
    UPDATE care_notes c SET body = '[pseudonymisé]' FROM retention_due d
      WHERE c.commission_id = p_commission AND c.person_id = d.id;
    UPDATE applications a SET situation = '[pseudonymisé]', referent_name = NULL FROM retention_due d
      WHERE a.commission_id = p_commission AND a.person_id = d.id;
    UPDATE application_events e SET reason = CASE WHEN e.reason IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM applications a, retention_due d
      WHERE e.commission_id = p_commission AND a.commission_id = e.commission_id AND a.id = e.application_id
        AND a.person_id = d.id;
    UPDATE decisions x SET comment = CASE WHEN x.comment IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM applications a, retention_due d
      WHERE x.commission_id = p_commission AND a.id = x.application_id AND a.person_id = d.id;
    UPDATE placements pl SET exit_comment = CASE WHEN pl.exit_comment IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM retention_due d WHERE pl.commission_id = p_commission AND pl.person_id = d.id;
    UPDATE reviews r SET care_followup = CASE WHEN r.care_followup IS NULL THEN NULL ELSE '[pseudonymisé]' END,
      housing = CASE WHEN r.housing IS NULL THEN NULL ELSE '[pseudonymisé]' END,
      autonomy = CASE WHEN r.autonomy IS NULL THEN NULL ELSE '[pseudonymisé]' END
      FROM placements pl, retention_due d
      WHERE r.commission_id = p_commission AND pl.id = r.placement_id AND pl.person_id = d.id;
    UPDATE incidents i SET description = '[pseudonymisé]', closing_note = CASE WHEN i.closing_note IS NULL THEN NULL
      ELSE '[pseudonymisé]' END
      FROM placements pl, retention_due d
      WHERE i.commission_id = p_commission AND pl.id = i.placement_id AND pl.person_id = d.id;
    INSERT INTO audit_log (commission_id, role, action, method, route, object_type, object_id, person_id, status)
    SELECT p_commission, 'system', 'retention', 'RUN', 'commissionctl retention run', 'people', d.id, d.id, 200
    FROM retention_due d;
  END IF;
  RETURN QUERY SELECT d.id, d.last_event FROM retention_due d ORDER BY d.last_event, d.id;
END
$$;
