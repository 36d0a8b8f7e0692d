-- A person's status row is refreshed once per transaction, at its commit. The row triggers of 0022 refreshed it at
-- every row written: a move-in (the placement, then its application's status) and a decision (the decision, then
-- its application's status) computed the same person's row twice, each refresh a statement of about ten look-ups
-- and the largest part of those writes' time in the database (pg_stat_user_functions over 110 move-ins:
-- person_status_touch 1.4 ms of about 3 ms a move-in). The triggers are now constraint triggers deferred to the
-- commit: every row written has been written when they run, so the first refresh of a person computes the final
-- row, and the others of the same transaction skip that person (the transaction-local setting
-- commissiond.status_refreshed lists who was refreshed). A dry run of an import, rolled back to its savepoint,
-- refreshes nobody. Nothing reads the row in the transaction that writes it (the status check is a read of its
-- own). Two transactions about the same person still refresh one after the other (person_status_refresh() locks the
-- row before computing it).
CREATE OR REPLACE FUNCTION person_status_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c uuid := coalesce(NEW.commission_id, OLD.commission_id);
  done text := coalesce(current_setting('commissiond.status_refreshed', true), '');
  person uuid;
BEGIN
  FOR person IN SELECT k FROM person_status_people(TG_ARGV[0], c,
      ARRAY[(to_jsonb(NEW) ->> TG_ARGV[1])::uuid, (to_jsonb(OLD) ->> TG_ARGV[1])::uuid]) k ORDER BY k LOOP
    IF strpos(done, person::text) = 0 THEN
      PERFORM person_status_refresh(c, person);
      done := done || person::text || ' ';
      PERFORM set_config('commissiond.status_refreshed', done, true);
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

DROP TRIGGER person_status_person ON people;
DROP TRIGGER person_status_application ON applications;
DROP TRIGGER person_status_decision ON decisions;
DROP TRIGGER person_status_session ON sessions;
DROP TRIGGER person_status_placement ON placements;
DROP TRIGGER person_status_unit ON units;
DROP TRIGGER person_status_review ON reviews;
DROP TRIGGER person_status_incident ON incidents;
DROP TRIGGER person_status_prefect_notice ON prefect_notices;
DROP TRIGGER person_status_arrears_plan ON arrears_plans;
DROP TRIGGER person_status_arrears_instalment ON arrears_instalments;
DROP TRIGGER person_status_arrears_payment ON arrears_payments;

CREATE CONSTRAINT TRIGGER person_status_person AFTER INSERT ON people DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'id');
CREATE CONSTRAINT TRIGGER person_status_application AFTER INSERT OR DELETE OR UPDATE OF person_id, status,
  submitted_at, created_at ON applications DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'person_id');
CREATE CONSTRAINT TRIGGER person_status_decision AFTER INSERT OR DELETE OR UPDATE OF application_id, outcome,
  refusal_reason, decided_at, session_id ON decisions DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('application', 'application_id');
CREATE CONSTRAINT TRIGGER person_status_session AFTER UPDATE OF session_date ON sessions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.session_date IS DISTINCT FROM NEW.session_date)
  EXECUTE FUNCTION person_status_touch('session', 'id');
CREATE CONSTRAINT TRIGGER person_status_placement AFTER INSERT OR DELETE OR UPDATE ON placements
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('person', 'person_id');
CREATE CONSTRAINT TRIGGER person_status_unit AFTER UPDATE OF label, town, rent_cents ON units
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN ((OLD.label, OLD.town, OLD.rent_cents) IS DISTINCT FROM (NEW.label, NEW.town, NEW.rent_cents))
  EXECUTE FUNCTION person_status_touch('unit', 'id');
CREATE CONSTRAINT TRIGGER person_status_review AFTER INSERT OR DELETE OR UPDATE OF placement_id, review_date,
  rent_status, arrears_cents, rent_at, tripartite ON reviews DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE CONSTRAINT TRIGGER person_status_incident AFTER INSERT OR DELETE OR UPDATE OF placement_id, kind,
  occurred_on, status, arrears_cents, created_at ON incidents DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE CONSTRAINT TRIGGER person_status_prefect_notice AFTER INSERT OR DELETE OR UPDATE ON prefect_notices
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('placement', 'placement_id');
CREATE CONSTRAINT TRIGGER person_status_arrears_plan AFTER INSERT OR DELETE OR UPDATE ON arrears_plans
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('incident', 'incident_id');
CREATE CONSTRAINT TRIGGER person_status_arrears_instalment AFTER INSERT OR DELETE OR UPDATE ON arrears_instalments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('plan', 'plan_id');
CREATE CONSTRAINT TRIGGER person_status_arrears_payment AFTER INSERT OR DELETE OR UPDATE ON arrears_payments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION person_status_touch('plan', 'plan_id');
