-- Statements of the writes' triggers that PostgreSQL planned again at every call. pg_stat_statements' plan counts
-- over 20 of each hot write on one connection (tests/http/test_write_plans.py; 0.1 to 0.2 ms of planning each):
--   webhook_wanted()            a LANGUAGE sql function with a subquery is never inlined, and a trigger's call of
--                               it keeps its plan for the transaction only: planned once per write (every write
--                               asks it: a move-in, a decision, an incident, a deposit entry, an exit);
--   placement_next_review_on()  the same (every write of a placement: move-in, review, exit);
--   person_status_people()      its 'application' and 'placement' queries (a decision; a review, an incident, an
--                               exit): "id = ANY (p_keys)" costs more in a generic plan (an array of unknown
--                               length) than in a custom one (two keys), so PostgreSQL kept planning each call
--                               (0027 meant them planned once per session).
-- The first two are now PL/pgSQL, their query a cached plan of the session; and the three run their queries' generic
-- plans (each an index look-up by the commission and a key: tests/http/test_write_plans.py checks the writes'
-- generic plans), PostgreSQL's own choice being data-dependent: on the bench's data it kept planning
-- placement_next_review_on()'s query at every call even as PL/pgSQL (its custom plan knows the placement).
CREATE OR REPLACE FUNCTION webhook_wanted(p_commission uuid, p_type text) RETURNS boolean
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.commission_id = p_commission AND s.active
                 AND p_type = ANY (s.event_types));
END
$$;

CREATE OR REPLACE FUNCTION placement_next_review_on(p_commission uuid, p_placement uuid, p_move_in date,
                                                    p_lease text, p_slid_on date, p_sliding_start date)
RETURNS date LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (SELECT least((coalesce(max(r.review_date), p_move_in) + interval '3 months')::date,
                       CASE WHEN p_lease = 'sliding_lease' AND p_slid_on IS NULL
                            THEN (coalesce(max(r.review_date) FILTER (WHERE r.tripartite), p_sliding_start)
                                  + interval '6 months')::date END)
          FROM reviews r WHERE r.commission_id = p_commission AND r.placement_id = p_placement);
END
$$;

ALTER FUNCTION person_status_people(text, uuid, uuid[]) SET plan_cache_mode = force_generic_plan;

-- A decision's event (0019) looked up the person and built the payload before webhook_emit() asked whether anyone
-- listens: asked first now, as the placement's and the deposit entry's triggers do.
CREATE OR REPLACE FUNCTION webhook_on_decision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pe people;
BEGIN
  IF NOT webhook_wanted(NEW.commission_id, 'application.decided') THEN
    RETURN NULL;
  END IF;
  SELECT p.* INTO pe FROM applications a JOIN people p ON p.commission_id = a.commission_id AND p.id = a.person_id
  WHERE a.commission_id = NEW.commission_id AND a.id = NEW.application_id;
  PERFORM webhook_emit(NEW.commission_id, 'application.decided',
                       jsonb_build_object('application_id', NEW.application_id, 'person_id', pe.id,
                                          'session_id', NEW.session_id, 'decision_id', NEW.id,
                                          'outcome', CASE NEW.outcome WHEN 'approve' THEN 'approved'
                                                     WHEN 'refuse' THEN 'refused' ELSE 'deferred' END,
                                          'decided_on', NEW.decided_on,
                                          'corrects_decision_id', NEW.corrects_decision_id),
                       false, pe.care_team_id, pe.curator_org_id, NULL, NULL, NULL);
  RETURN NULL;
END
$$;
