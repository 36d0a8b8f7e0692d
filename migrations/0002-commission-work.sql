-- The commission's work: people, units, agreements, applications and the quarterly sessions that decide them.
-- Every table carries commission_id, and every reference to another row goes through (commission_id, id), so
-- the database itself refuses a link that crosses commissions.

ALTER TABLE commissions ADD COLUMN lapse_days integer NOT NULL DEFAULT 180 CHECK (lapse_days BETWEEN 1 AND 3650);

CREATE TABLE people (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  family_name text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
  given_names text NOT NULL CHECK (length(given_names) BETWEEN 1 AND 100),
  birth_date date NOT NULL,
  phone text CHECK (length(phone) <= 40),
  email text CHECK (length(email) <= 254),
  address text CHECK (length(address) <= 500),
  care_team_id uuid NOT NULL,
  protection text NOT NULL DEFAULT 'none'
    CHECK (protection IN ('none', 'sauvegarde_de_justice', 'curatelle_simple', 'curatelle_renforcee', 'tutelle')),
  curator_org_id uuid,
  protection_start date,
  protection_end date,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, care_team_id) REFERENCES organisations (commission_id, id),
  FOREIGN KEY (commission_id, curator_org_id) REFERENCES organisations (commission_id, id),
  CHECK ((protection = 'none') = (curator_org_id IS NULL)),
  CHECK (protection_end IS NULL OR protection_start IS NULL OR protection_end >= protection_start)
);
CREATE INDEX people_name_idx ON people (commission_id, family_name, given_names, id);
CREATE INDEX people_duplicate_idx ON people (commission_id, birth_date, lower(family_name));
CREATE INDEX people_care_team_idx ON people (commission_id, care_team_id, family_name, given_names, id);
CREATE INDEX people_curator_idx ON people (commission_id, curator_org_id, family_name, given_names, id)
  WHERE curator_org_id IS NOT NULL;

-- Care notes: care-confidential, for the coordinator and the person's care team only. Append-only.
CREATE TABLE care_notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  person_id uuid NOT NULL,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  author_token_id uuid REFERENCES tokens (id),
  author_role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id)
);
CREATE INDEX care_notes_person_idx ON care_notes (commission_id, person_id, created_at, id);

CREATE TABLE units (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  kind text NOT NULL CHECK (kind IN ('hlm_apartment', 'foyer_place', 'transitional_place', 'residence_place')),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  address text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
  town text NOT NULL CHECK (length(town) BETWEEN 1 AND 100),
  landlord_org_id uuid NOT NULL,
  places integer NOT NULL CHECK (places BETWEEN 1 AND 500),
  rent_cents bigint NOT NULL CHECK (rent_cents BETWEEN 0 AND 100000000),
  charges_cents bigint NOT NULL CHECK (charges_cents BETWEEN 0 AND 100000000),
  deposit_cents bigint NOT NULL CHECK (deposit_cents BETWEEN 0 AND 100000000),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'occupied', 'out_of_service', 'withdrawn')),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, landlord_org_id) REFERENCES organisations (commission_id, id)
);
CREATE INDEX units_town_idx ON units (commission_id, town, label, id);
CREATE INDEX units_landlord_idx ON units (commission_id, landlord_org_id, town, label, id);

-- A unit's status history: a withdrawn unit stays readable with how it got there.
CREATE TABLE unit_status_changes (
  id bigserial PRIMARY KEY,
  commission_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  reason text CHECK (length(reason) <= 1000),
  token_id uuid REFERENCES tokens (id),
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (commission_id, unit_id) REFERENCES units (commission_id, id)
);
CREATE INDEX unit_status_changes_unit_idx ON unit_status_changes (commission_id, unit_id, at);

CREATE TABLE agreements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  org_id uuid NOT NULL,
  reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
  signatory text NOT NULL CHECK (length(signatory) BETWEEN 1 AND 200),
  start_date date NOT NULL,
  end_date date NOT NULL,
  notes text CHECK (length(notes) <= 5000),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (commission_id, reference),
  FOREIGN KEY (commission_id, org_id) REFERENCES organisations (commission_id, id),
  CHECK (end_date > start_date)
);
CREATE INDEX agreements_end_idx ON agreements (commission_id, end_date, id);
CREATE INDEX agreements_org_idx ON agreements (commission_id, org_id, end_date, id);

CREATE TABLE agreement_units (
  commission_id uuid NOT NULL,
  agreement_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  PRIMARY KEY (agreement_id, unit_id),
  FOREIGN KEY (commission_id, agreement_id) REFERENCES agreements (commission_id, id),
  FOREIGN KEY (commission_id, unit_id) REFERENCES units (commission_id, id)
);
CREATE INDEX agreement_units_unit_idx ON agreement_units (commission_id, unit_id);

CREATE TABLE agreement_renewals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  agreement_id uuid NOT NULL,
  previous_end_date date NOT NULL,
  new_end_date date NOT NULL,
  signatory text NOT NULL CHECK (length(signatory) BETWEEN 1 AND 200),
  token_id uuid REFERENCES tokens (id),
  renewed_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (commission_id, agreement_id) REFERENCES agreements (commission_id, id),
  CHECK (new_end_date > previous_end_date)
);
CREATE INDEX agreement_renewals_idx ON agreement_renewals (commission_id, agreement_id, renewed_at);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  session_date date NOT NULL,
  town text NOT NULL CHECK (length(town) BETWEEN 1 AND 100),
  place text CHECK (length(place) <= 300),
  chair_name text NOT NULL CHECK (length(chair_name) BETWEEN 1 AND 200),
  chair_title text CHECK (length(chair_title) <= 200),
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'open', 'closed')),
  opened_at timestamptz,
  closed_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id)
);
CREATE INDEX sessions_date_idx ON sessions (commission_id, session_date, id);

CREATE TABLE session_attendees (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  session_id uuid NOT NULL,
  attendee_group text NOT NULL CHECK (attendee_group IN ('elected_officials', 'landlords', 'care_team', 'curators',
                                                 'user_family_associations', 'association', 'other')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  organisation text CHECK (length(organisation) <= 200),
  position integer NOT NULL,
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id)
);
CREATE INDEX session_attendees_idx ON session_attendees (commission_id, session_id, position);

CREATE TABLE applications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL REFERENCES commissions (id),
  person_id uuid NOT NULL,
  situation text NOT NULL CHECK (length(situation) BETWEEN 1 AND 20000),
  wished_unit_kinds text[] NOT NULL DEFAULT '{}',
  wished_towns text[] NOT NULL DEFAULT '{}',
  urgency text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'high', 'urgent')),
  referent_name text CHECK (length(referent_name) <= 200),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'scheduled', 'approved', 'refused',
                                                         'deferred', 'placed', 'withdrawn', 'lapsed')),
  submitted_at timestamptz,
  decided_at timestamptz,
  created_by_token_id uuid REFERENCES tokens (id),
  created_by_role text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, person_id) REFERENCES people (commission_id, id)
);
CREATE INDEX applications_status_idx ON applications (commission_id, status, submitted_at, id);
CREATE INDEX applications_person_idx ON applications (commission_id, person_id, created_at);

-- Every transition of an application: who, when, why; forced ones are marked.
CREATE TABLE application_events (
  id bigserial PRIMARY KEY,
  commission_id uuid NOT NULL,
  application_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  reason text CHECK (length(reason) <= 2000),
  forced boolean NOT NULL DEFAULT false,
  session_id uuid,
  token_id uuid REFERENCES tokens (id),
  role text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id),
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id)
);
CREATE INDEX application_events_idx ON application_events (commission_id, application_id, id);

-- A session's agenda. An application is on at most one open agenda at a time (it is 'scheduled' there).
CREATE TABLE agenda_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  session_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('application', 'review', 'incident')),
  application_id uuid,
  position integer NOT NULL,
  note text CHECK (length(note) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  UNIQUE (session_id, application_id),
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id),
  CHECK ((kind = 'application') = (application_id IS NOT NULL))
);
CREATE INDEX agenda_items_session_idx ON agenda_items (commission_id, session_id, position, id);

CREATE TABLE decisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  commission_id uuid NOT NULL,
  session_id uuid NOT NULL,
  agenda_item_id uuid NOT NULL,
  application_id uuid NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('approve', 'refuse', 'defer')),
  unit_id uuid,
  refusal_reason text CHECK (refusal_reason IN ('no_suitable_unit', 'care_project_not_ready', 'incomplete_file',
                                                'outside_sector', 'needs_other_structure', 'other')),
  comment text CHECK (length(comment) <= 5000),
  corrects_decision_id uuid REFERENCES decisions (id),
  token_id uuid REFERENCES tokens (id),
  decided_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (commission_id, id),
  FOREIGN KEY (commission_id, session_id) REFERENCES sessions (commission_id, id),
  FOREIGN KEY (commission_id, agenda_item_id) REFERENCES agenda_items (commission_id, id),
  FOREIGN KEY (commission_id, application_id) REFERENCES applications (commission_id, id),
  FOREIGN KEY (commission_id, unit_id) REFERENCES units (commission_id, id),
  CHECK ((outcome = 'refuse') = (refusal_reason IS NOT NULL)),
  CHECK (outcome = 'approve' OR unit_id IS NULL)
);
-- One decision per agenda item (two coordinators deciding at once: one wins); corrections are new records.
CREATE UNIQUE INDEX decisions_one_per_item ON decisions (agenda_item_id) WHERE corrects_decision_id IS NULL;
CREATE INDEX decisions_session_idx ON decisions (commission_id, session_id, decided_at);
CREATE INDEX decisions_application_idx ON decisions (commission_id, application_id, decided_at);

-- Approved applications not placed within the commission's lapse_days lapse; each move is recorded.
-- Run by `commissionctl maintenance` (daily) and whenever a session's agenda is built. Returns how many lapsed.
CREATE FUNCTION applications_lapse(p_commission uuid) RETURNS integer LANGUAGE sql AS $$
  WITH due AS (
    UPDATE applications a SET status = 'lapsed', version = a.version + 1, updated_at = now()
    FROM commissions c
    WHERE c.id = a.commission_id AND a.commission_id = p_commission AND a.status = 'approved'
      AND a.decided_at < now() - make_interval(days => c.lapse_days)
    RETURNING a.commission_id, a.id, c.lapse_days
  ), recorded AS (
    INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, role)
    SELECT commission_id, id, 'approved', 'lapsed', 'not placed within ' || lapse_days || ' days of approval', 'system'
    FROM due RETURNING 1
  )
  SELECT count(*)::integer FROM recorded
$$;
