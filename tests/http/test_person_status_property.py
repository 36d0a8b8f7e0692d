#!/usr/bin/env python3
"""The status check's stored row (person_status, migration 0022) against a from-scratch computation, after every
write of a random sequence.

A seeded PRNG (printed; replay with PERSON_STATUS_SEED=N, length PERSON_STATUS_STEPS) draws writes through the
real API: people, applications, sessions and decisions (approve, refuse, defer), session date changes, move-ins
under each lease, deposit entries (paid, refunded, deducted, reversal), reviews with rent reports and their rent
part changed, incidents (hospitalisation and rent arrears included) acknowledged and closed, arrears plans and
payments, exits (past, today, and moved to the future in SQL; the inspection matching or not), provisions of a
co-owned building (migrations/0014) with their accounts approved or not, unit edits (places and status too), prefect
notices, slides and the deposit clause; a refused write is part of the sequence too. After each write, for every
person of the commission:

- the stored row equals person_status_source (the same columns computed from the tables now);
- GET /v1/people/{id}/status, as the coordinator and as a curator (out of its scope: 404), equals what today's
  statement before 0022 gives (kept below as person_status_reference(), created in the test's database only,
  from the ledger itself: a payment that was reversed counts as none, as the deposit account shows it),
  member by member; the members computed from others in C (lease holder, the sliding lease's next step, the
  deposit's penalty) are checked to be present, and the penalty (months late, penalty, unpaid) to be the one the
  placement's own account shows (GET /v1/placements/{id}/deposit, read from deposit_accounts);
every placement's sliding schedule in the placements' list (from the last tripartite review the placement keeps,
migrations/0049) is the sliding_schedule view's; and for every unit, its kept vacancy periods (unit_vacancies,
migration 0035) give the free places counted from its stays today, yesterday and around every move-in and exit to
come, and the vacant units' list answers the coordinator and a landlord the units with a free place today, in the
list's order.

The comparison can fail: with the triggers off (person_status_triggers(false)) a write leaves a stale row that it
finds, and person_status_rebuild() (what a bulk load calls) puts every row right.
Two transactions writing about the same person at once (the first sleeping before its commit, where its refresh
runs, migrations/0030): each refreshes the row at its own commit, the later one seeing the earlier's change, so the
row keeps both changes.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import json
import os
import random
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (CommandFailed, Daemon, Database, Suite, check, clean_env, json_differences, poll,  # noqa: E402
                     psql_path)
from test_placements import DEPOSIT, World, day  # noqa: E402

# The status statement as it was before 0022 (src/db/status.c and PERSON_STATUS_ROW of include/queries.h).
REFERENCE = """
CREATE FUNCTION person_status_reference(p_commission uuid, p_person uuid, p_scope text, p_org text)
RETURNS SETOF json LANGUAGE sql STABLE AS $$
SELECT row_to_json(x) FROM (
SELECT p.id AS id, p.family_name AS family_name, p.given_names AS given_names, p.protection AS protection,
app.id AS application_id, app.status AS application_status,
to_char(app.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS submitted_at, dec.outcome AS outcome,
dec.refusal_reason AS refusal_reason,
to_char(dec.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS decided_at,
s.session_date AS session_date, pl.id AS placement_id, pl.move_in_date AS move_in_date, pl.lease AS lease,
pl.exit_date AS exit_date, u.label AS unit_label, u.town AS unit_town, dep.balance AS deposit_balance,
CASE WHEN pl.id IS NULL THEN NULL WHEN pl.exit_date IS NULL OR pl.exit_date > current_date THEN CASE WHEN
dep.balance > 0 THEN 'held' WHEN dep.paid > 0 THEN 'settled' ELSE 'not_paid' END WHEN dep.balance = 0 THEN 'settled'
WHEN da.status = 'overdue' THEN 'overdue' ELSE 'outstanding' END AS deposit_status,
da.refund_due_on AS deposit_refund_due_on, da.settled_on AS deposit_settled_on, u.rent_cents AS unit_rent_cents,
da.penalty_received_cents AS penalty_received_cents, da.penalty_waived_cents AS penalty_waived_cents,
da.provision_cents AS deposit_provision_cents, da.provision_due_on AS deposit_provision_due_on,
da.first_part_until AS deposit_first_part_until, rv.rent_status AS rent_status, rv.arrears_cents AS arrears_cents,
rv.review_date AS rent_as_of, (SELECT rs.next_review_on FROM review_schedule rs WHERE rs.commission_id =
pl.commission_id AND rs.placement_id = pl.id) AS next_review_on, (SELECT coalesce(json_agg(json_build_object('id',
i.id, 'kind', i.kind, 'occurred_on', i.occurred_on, 'status', i.status, 'arrears_cents', i.arrears_cents) ORDER BY
i.created_at), '[]') FROM incidents i WHERE i.commission_id = pl.commission_id AND i.placement_id = pl.id AND
i.status <> 'closed' AND (p_scope <> 'curator' OR i.kind <> 'hospitalisation') AND (i.kind <> 'rent_arrears' OR
(pl.exit_date IS NULL OR pl.exit_date > current_date))) AS open_incidents,
pl.refund_to_association AS refund_to_association, pl.sliding_start_date AS sliding_start_date,
pl.planned_slide_on AS planned_slide_on, pl.slid_on AS slid_on, ss.last_tripartite_on AS last_tripartite_on,
ss.tripartite_review_on AS tripartite_review_on, ss.prefect_notice_due_on AS prefect_notice_due_on,
ss.prefect_notice_sent_on AS prefect_notice_sent_on, (SELECT coalesce(json_agg(json_build_object('incident_id',
s.incident_id, 'state', s.state, 'total_cents', s.total_cents, 'paid_cents', s.paid_cents, 'next_due_on',
s.next_due_on, 'next_due_cents', s.next_due_cents) ORDER BY i.created_at), '[]') FROM incidents i JOIN
arrears_plan_states s ON s.commission_id = i.commission_id AND s.incident_id = i.id WHERE i.commission_id =
pl.commission_id AND i.placement_id = pl.id AND (pl.exit_date IS NULL OR pl.exit_date > current_date))
AS arrears_plans
FROM people p LEFT JOIN LATERAL (SELECT * FROM applications a WHERE a.commission_id = p.commission_id AND
a.person_id = p.id ORDER BY a.created_at DESC LIMIT 1) app ON true LEFT JOIN LATERAL (SELECT * FROM decisions d
WHERE d.commission_id = p.commission_id AND d.application_id = app.id ORDER BY d.decided_at DESC LIMIT 1) dec ON true
LEFT JOIN sessions s ON s.commission_id = dec.commission_id AND s.id = dec.session_id LEFT JOIN LATERAL (SELECT *
FROM placements x WHERE x.commission_id = p.commission_id AND x.person_id = p.id ORDER BY x.move_in_date DESC LIMIT 1)
pl ON true LEFT JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id LEFT JOIN LATERAL (SELECT *
FROM sliding_schedule x WHERE x.commission_id = pl.commission_id AND x.placement_id = pl.id OFFSET 0) ss ON true
LEFT JOIN LATERAL (SELECT coalesce(sum(e.effect_cents), 0) AS balance, count(*) FILTER (WHERE e.kind = 'paid' AND NOT
EXISTS (SELECT 1 FROM deposit_entries r WHERE r.commission_id = e.commission_id AND r.reverses_entry_id = e.id)) AS
paid FROM deposit_entries e WHERE e.commission_id = pl.commission_id AND e.placement_id = pl.id) dep ON true LEFT
JOIN LATERAL (SELECT a.refund_due_on, a.settled_on, a.penalty_received_cents, a.penalty_waived_cents, a.status,
a.provision_cents, a.provision_due_on, a.first_part_until FROM deposit_accounts a WHERE a.commission_id =
pl.commission_id AND a.placement_id = pl.id AND pl.exit_date IS NOT NULL OFFSET 0) da ON true LEFT JOIN LATERAL
(SELECT r.rent_status, r.arrears_cents, r.review_date FROM reviews r WHERE r.commission_id = pl.commission_id AND
r.placement_id = pl.id AND r.rent_status IS NOT NULL AND (pl.exit_date IS NULL OR pl.exit_date > current_date)
ORDER BY r.review_date DESC, r.rent_at DESC LIMIT 1) rv ON true
WHERE p.commission_id = p_commission AND p.id = p_person AND (p_scope = 'all' OR (p_scope = 'care_team' AND
p.care_team_id = p_org::uuid) OR (p_scope = 'curator' AND p.curator_org_id = p_org::uuid))) x
$$;
"""

# Members the C code derives from others (their inputs are compared): present, not compared.
DERIVED = {("placement", "lease_holder"), ("sliding", "tripartite_review_status"), ("sliding", "next_step"),
           ("deposit", "months_late"), ("deposit", "penalty_cents"), ("deposit", "penalty_unpaid_cents")}


def expected_status(r):
    """The PersonStatus that reference row R gives, without the derived members."""
    want = {"person": {k: r[k] for k in ("id", "family_name", "given_names", "protection")},
            "application": None, "last_decision": None, "placement": None, "deposit": None, "rent": None,
            "open_incidents": r["open_incidents"], "next_review_on": r["next_review_on"],
            "arrears_plans": r["arrears_plans"]}
    if r["application_id"] is not None:
        want["application"] = {"id": r["application_id"], "status": r["application_status"],
                               "submitted_at": r["submitted_at"]}
    if r["outcome"] is not None:
        want["last_decision"] = {k: r[k] for k in ("outcome", "refusal_reason", "decided_at", "session_date")}
    if r["placement_id"] is not None:
        sliding = None
        if r["sliding_start_date"] is not None:
            sliding = {"start_date": r["sliding_start_date"], "planned_slide_on": r["planned_slide_on"],
                       "slid_on": r["slid_on"], "last_tripartite_review_on": r["last_tripartite_on"],
                       "tripartite_review_on": r["tripartite_review_on"],
                       "prefect_notice_due_on": r["prefect_notice_due_on"],
                       "prefect_notice_sent_on": r["prefect_notice_sent_on"]}
        want["placement"] = {"id": r["placement_id"], "move_in_date": r["move_in_date"], "lease": r["lease"],
                             "exit_date": r["exit_date"], "unit": {"label": r["unit_label"], "town": r["unit_town"]},
                             "refund_to_association": r["refund_to_association"], "sliding": sliding}
        provision = r["deposit_provision_cents"] or 0
        want["deposit"] = {"balance_cents": int(r["deposit_balance"]), "currency": "EUR",
                           "status": r["deposit_status"], "refund_due_on": r["deposit_refund_due_on"],
                           "provision_cents": provision,
                           "provision_due_on": r["deposit_provision_due_on"] if provision > 0 else None}
    if r["rent_status"] is not None:
        want["rent"] = {"status": r["rent_status"], "arrears_cents": r["arrears_cents"], "currency": "EUR",
                        "as_of": r["rent_as_of"]}
    return want


def without_derived(body):
    """BODY without the derived members, which must be there."""
    body = json.loads(json.dumps(body))
    for parent, key in DERIVED:
        holder = body.get(parent) if parent != "sliding" else (body.get("placement") or {}).get("sliding")
        if isinstance(holder, dict):
            check(key in holder, "%s/%s is in the answer" % (parent, key))
            del holder[key]
    return body


# The agenda's statement as it was before 0046 (src/db/sessions.c and AGENDA_ROW of include/sessions.h): every
# line's rows looked up at the read, the scopes as the parameters the daemon passes (scope, then organisation).
AGENDA_REFERENCE = """
CREATE FUNCTION agenda_reference(p_commission uuid, p_session uuid, p_scope text, p_org text)
RETURNS SETOF json LANGUAGE sql STABLE AS $$
SELECT row_to_json(x) FROM (
SELECT i.id AS item_id, i.position AS position, i.kind AS kind, i.note AS note, a.id AS application_id,
a.status AS application_status, a.urgency AS urgency, to_json(a.wished_unit_kinds) AS wished_unit_kinds,
to_json(a.wished_towns) AS wished_towns,
to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS submitted_at,
CASE WHEN a.submitted_at IS NULL THEN NULL ELSE current_date - (a.submitted_at AT TIME ZONE 'UTC')::date END
AS waiting_days, p.id AS person_id, p.family_name AS family_name, p.given_names AS given_names,
p.birth_date AS birth_date, (p_scope = 'all' OR (p_scope = 'curator' AND p.curator_org_id = p_org::uuid))
AS person_visible, a.situation AS situation, d.id AS decision_id, d.outcome AS outcome, d.unit_id AS unit_id,
d.refusal_reason AS refusal_reason, d.comment AS comment, d.decided_on AS decided_on,
to_char(d.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
d.corrects_decision_id AS corrects_decision_id, du.label AS unit_label, du.town AS unit_town,
pl.id AS placement_id, pu.label AS placement_unit_label, pu.town AS placement_unit_town,
pl.move_in_date AS move_in_date, CASE WHEN i.kind = 'review' THEN coalesce((SELECT rs.next_review_on FROM
review_schedule rs WHERE rs.commission_id = pl.commission_id AND rs.placement_id = pl.id), (coalesce((SELECT
max(r.review_date) FROM reviews r WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id),
pl.move_in_date) + interval '3 months')::date) END AS next_review_on,
inc.id AS incident_id, inc.kind AS incident_kind, inc.status AS incident_status, inc.occurred_on AS occurred_on,
(SELECT ps.state FROM arrears_plan_states ps WHERE ps.commission_id = inc.commission_id AND ps.incident_id = inc.id)
AS arrears_plan_state,
pl.id IS NOT NULL AND (p_scope = 'all' OR (p_scope = 'curator' AND p.curator_org_id = p_org::uuid))
AS placement_visible,
inc.id IS NOT NULL AND (p_scope = 'all' OR (p_scope = 'curator' AND p.curator_org_id = p_org::uuid))
AND (p_scope <> 'curator' OR inc.kind <> 'hospitalisation') AS incident_visible
FROM agenda_items i
LEFT JOIN applications a ON a.commission_id = i.commission_id AND a.id = i.application_id
LEFT JOIN incidents inc ON inc.commission_id = i.commission_id AND inc.id = i.incident_id
LEFT JOIN placements pl ON pl.commission_id = i.commission_id AND pl.id = coalesce(i.placement_id, inc.placement_id)
LEFT JOIN units pu ON pu.commission_id = i.commission_id AND pu.id = pl.unit_id
LEFT JOIN people p ON p.commission_id = i.commission_id AND p.id = coalesce(a.person_id, pl.person_id)
LEFT JOIN LATERAL (SELECT * FROM decisions x WHERE x.agenda_item_id = i.id ORDER BY x.decided_at DESC,
x.corrects_decision_id IS NULL LIMIT 1) d ON true
LEFT JOIN units du ON du.commission_id = i.commission_id AND du.id = d.unit_id
WHERE i.commission_id = p_commission AND i.session_id = p_session ORDER BY i.position, i.created_at, i.id) x
$$;
"""


def expected_agenda_item(r, coordinator):
    """The agenda item a reader receives for the reference row R (what src/api/agenda.c writes of it): the
    coordinator, or a curator (who sees arrears plans but not the application's situation)."""
    seen = r["person_visible"]
    person = ({"id": r["person_id"], "family_name": r["family_name"], "given_names": r["given_names"]}
              if seen else None)
    item = {"id": r["item_id"], "position": r["position"], "kind": r["kind"], "note": r["note"]}
    if r["application_id"] is None:
        item["application"] = None
    else:
        item["application"] = {"id": r["application_id"] if seen else None, "status": r["application_status"],
                               "urgency": r["urgency"], "wished_unit_kinds": r["wished_unit_kinds"],
                               "wished_towns": r["wished_towns"], "submitted_at": r["submitted_at"],
                               "waiting_days": r["waiting_days"],
                               "person": dict(person, birth_date=r["birth_date"]) if seen else None}
        if seen and coordinator:
            item["application"]["situation"] = r["situation"]
    item["decision"] = None if r["decision_id"] is None else {
        "id": r["decision_id"] if seen else None, "outcome": r["outcome"], "unit_id": r["unit_id"],
        "unit_label": r["unit_label"], "unit_town": r["unit_town"], "refusal_reason": r["refusal_reason"],
        "comment": r["comment"] if seen else None, "decided_on": r["decided_on"], "recorded_at": r["recorded_at"],
        "corrects_decision_id": r["corrects_decision_id"] if seen else None}
    if r["placement_id"] is not None:
        item["placement"] = None if not r["placement_visible"] else {
            "id": r["placement_id"], "unit_label": r["placement_unit_label"],
            "unit_town": r["placement_unit_town"], "move_in_date": r["move_in_date"],
            "next_review_on": r["next_review_on"], "person": person}
    if r["incident_id"] is not None:
        item["incident"] = None if not r["incident_visible"] else {
            "id": r["incident_id"], "kind": r["incident_kind"], "status": r["incident_status"],
            "occurred_on": r["occurred_on"], "arrears_plan_state": r["arrears_plan_state"]}
    return item


class Random(World):
    """The commission the sequence writes into, and what it has created so far."""

    def __init__(self, db, d, rng):
        super().__init__(db, d, "Propriete")
        self.rng = rng
        self.db.sql(REFERENCE)
        self.db.sql(AGENDA_REFERENCE)
        self.sessions, self.apps, self.placed, self.incidents, self.plans = [], [], [], [], []
        self.unit_ids = [self.unit(places=12), self.unit(places=8, landlord="ll2"), self.unit(places=1)]
        # a unit of a co-owned building: its ended placements may hold a provision (w_provision)
        self.co_owned = self.unit(places=6)
        self.etag_patch("/v1/units/%s" % self.co_owned, {"co_owned": True})
        self.unit_ids.append(self.co_owned)
        self.log = []

    def pick(self, items):
        return self.rng.choice(items) if items else None

    def etag_patch(self, path, body):
        r = self.call("GET", path)
        return self.call("PATCH", path, body=body, headers={"If-Match": r.headers.get("etag", '"v0"')})

    def key(self):
        return {"Idempotency-Key": uuid.uuid4().hex}

    # -- the writes: each returns a short description of what it did
    def w_person(self):
        curator = self.pick(["cur", "cur", "cur2", None])
        pid = self.person(team=self.pick(["team", "team2"]), curator=curator)
        return "person %s (curator %s)" % (pid, curator)

    def w_application(self):
        person = self.pick(list(self.people))
        r = self.call("POST", "/v1/applications", body={"person_id": person, "situation": "Demande",
                                                         "submit": self.rng.random() < 0.8})
        if r.status == 201:
            self.apps.append(r.body["id"])
        return "application for %s -> %d" % (person, r.status)

    def w_decide(self):
        s = self.call("POST", "/v1/sessions", body={"session_date": day(self.rng.randint(-3, 0)), "town": "Lille",
                                                     "chair_name": "M. le maire"})
        if s.status != 201:
            return "session -> %d" % s.status
        sid = s.body["id"]
        self.sessions.append(sid)
        self.call("POST", "/v1/sessions/%s/agenda/build" % sid)
        self.call("POST", "/v1/sessions/%s/open" % sid)
        items = self.call("GET", "/v1/sessions/%s/agenda" % sid).body.get("items", [])
        done = []
        for item in items:
            if not item.get("application") or self.rng.random() < 0.2:
                continue
            outcome = self.pick(["approve", "approve", "refuse", "defer"])
            body = {"agenda_item_id": item["id"], "outcome": outcome}
            if outcome == "refuse":
                body["refusal_reason"] = self.pick(["no_suitable_unit", "incomplete_file", "other"])
            r = self.call("POST", "/v1/sessions/%s/decisions" % sid, body=body)
            done.append("%s %s -> %d" % (outcome, item["application"]["id"], r.status))
        if self.rng.random() < 0.5:
            self.call("POST", "/v1/sessions/%s/close" % sid, body={"defer_undecided": True})
        return "session %s: %s" % (sid, "; ".join(done))

    def w_session_date(self):
        sid = self.pick(self.sessions)
        if sid is None:
            return None
        date = day(self.rng.randint(-20, 0))
        r = self.etag_patch("/v1/sessions/%s" % sid, {"session_date": date})
        if r.status != 200:  # a closed session keeps its date through the API: the trigger is asked in SQL
            self.db.sql("UPDATE sessions SET session_date = '%s' WHERE id = '%s'" % (date, sid))
        return "session %s dated %s -> %d" % (sid, date, r.status)

    def w_move_in(self):
        apps = self.db.sql("SELECT string_agg(id::text, ' ') FROM applications WHERE status = 'approved' "
                           "AND commission_id = '%s'" % self.commission).split()
        app = self.pick(apps)
        if app is None:  # none approved yet: one person's application approved at a session of its own
            housed = self.db.sql("SELECT string_agg(person_id::text, ' ') FROM placements WHERE exit_date IS NULL "
                                 "OR exit_date > current_date").split()
            app = self.approve([self.pick([p for p in self.people if p not in housed] or list(self.people))])[0]
            self.sessions.append(self.session)
        days = self.rng.randint(0, 400)
        self.backdate([app], days + 1)
        lease = self.pick(["association_main_tenant", "sliding_lease", "direct_lease"])
        body = {"application_id": app, "unit_id": self.pick(self.unit_ids), "move_in_date": day(-days),
                "lease": lease}
        if lease == "sliding_lease":
            body["sliding_start_date"] = day(-days)
        if lease != "direct_lease" and self.rng.random() < 0.5:
            body["refund_to_association"] = self.rng.random() < 0.5
        r = self.call("POST", "/v1/placements", body=body)
        if r.status == 201:
            self.placed.append({"id": r.body["id"], "move_in": -days, "lease": lease})
        return "move-in %s (%s, %d days ago) -> %d %s" % (app, lease, days, r.status,
                                                          "" if r.status == 201 else r.body.get("detail"))

    def w_deposit(self):
        pl = self.pick(self.placed)
        if pl is None:
            return None
        kind = self.pick(["paid", "paid", "refunded", "deducted", "reversal"])
        extra = {}
        if kind == "reversal":
            entries = self.call("GET", "/v1/placements/%s/deposit" % pl["id"]).body.get("entries") or []
            target = self.pick([e["id"] for e in entries if e.get("kind") != "reversal"])
            if target is None:
                return None
            extra["reverses_entry_id"] = target
        amount = None if kind == "reversal" else self.pick([DEPOSIT, DEPOSIT // 2, 1000])
        just = "Réparations" if kind in ("deducted", "reversal") else None
        r = self.entry(pl["id"], kind, amount, entry_date=day(self.rng.randint(pl["move_in"], 0)),
                       justification=just, extra=extra)
        return "deposit %s %s on %s -> %d" % (kind, amount, pl["id"], r.status)

    def w_review(self):
        pl = self.pick(self.placed)
        if pl is None:
            return None
        body = {"review_date": day(self.rng.randint(pl["move_in"], 0)), "tripartite": self.rng.random() < 0.3}
        if self.rng.random() < 0.7:
            arrears = self.rng.random() < 0.4
            body["rent_status"] = "arrears" if arrears else "up_to_date"
            if arrears:
                body["arrears_cents"] = self.rng.randint(1, 90000)
        r = self.call("POST", "/v1/placements/%s/reviews" % pl["id"], body=body)
        return "review %s on %s -> %d" % (body, pl["id"], r.status)

    def w_review_rent(self):
        rid = self.pick(self.db.sql("SELECT string_agg(id::text, ' ') FROM reviews WHERE commission_id = '%s'"
                                    % self.commission).split())
        if rid is None:
            return None
        body = self.pick([{"rent_status": "up_to_date", "arrears_cents": None},
                          {"rent_status": "arrears", "arrears_cents": self.rng.randint(1, 50000)}])
        r = self.etag_patch("/v1/reviews/%s" % rid, body)
        return "review %s rent %s -> %d" % (rid, body, r.status)

    def w_incident(self):
        pl = self.pick(self.placed)
        if pl is None:
            return None
        kind = self.pick(["rent_arrears", "rent_arrears", "hospitalisation", "disturbance", "damage"])
        body = {"kind": kind, "description": "Signalement", "occurred_on": day(self.rng.randint(pl["move_in"], 0))}
        if kind == "rent_arrears":
            body["arrears_cents"] = self.pick([30000, 12000])
        r = self.call("POST", "/v1/placements/%s/incidents" % pl["id"], body=body)
        if r.status == 201:
            self.incidents.append({"id": r.body["id"], "kind": kind, "arrears": body.get("arrears_cents")})
        return "incident %s on %s -> %d" % (kind, pl["id"], r.status)

    def w_incident_handle(self):
        inc = self.pick(self.incidents)
        if inc is None:
            return None
        if self.rng.random() < 0.5:
            r = self.call("POST", "/v1/incidents/%s/acknowledge" % inc["id"])
            return "acknowledge %s -> %d" % (inc["id"], r.status)
        r = self.call("POST", "/v1/incidents/%s/close" % inc["id"], body={"closing_note": "Réglé"})
        return "close %s -> %d" % (inc["id"], r.status)

    def w_plan(self):
        inc = self.pick([i for i in self.incidents if i["kind"] == "rent_arrears"])
        if inc is None:
            return None
        half = inc["arrears"] // 2
        body = {"total_cents": inc["arrears"], "instalments": [
            {"due_on": day(self.rng.randint(-40, 0)), "amount_cents": half},
            {"due_on": day(self.rng.randint(1, 60)), "amount_cents": inc["arrears"] - half}]}
        r = self.call("POST", "/v1/incidents/%s/arrears-plan" % inc["id"], body=body, headers=self.key())
        if r.status == 201:
            self.plans.append(inc)
        return "plan on %s -> %d" % (inc["id"], r.status)

    def w_payment(self):
        inc = self.pick(self.plans)
        if inc is None:
            return None
        amount = self.pick([inc["arrears"] // 2, 1000, inc["arrears"]])
        r = self.call("POST", "/v1/incidents/%s/arrears-plan/payments" % inc["id"], self.pick(["landlord", "curator"]),
                      body={"paid_on": day(0), "amount_cents": amount}, headers=self.key())
        return "payment %d on %s -> %d" % (amount, inc["id"], r.status)

    def w_exit(self):
        running = self.db.sql("SELECT string_agg(id::text, ' ') FROM placements WHERE exit_date IS NULL "
                              "OR exit_date > current_date").split()
        pl = self.pick([p for p in self.placed if p["id"] in running])
        if pl is None:
            return None
        offset = self.rng.randint(pl["move_in"], 0)
        r = self.exit(pl["id"], day(offset), matches=self.rng.random() < 0.5,
                      reason=self.pick(["other_housing", "lease_transferred"]))
        if r.status == 200 and self.rng.random() < 0.4:  # an exit announced for later: the placement still runs
            try:
                self.db.sql("UPDATE placements SET exit_date = current_date + 3 WHERE id = '%s'" % pl["id"])
                return "exit %s in 3 days (SQL)" % pl["id"]
            except CommandFailed as e:  # someone moves into the unit before then: refused, the exit stands
                if "is full" not in str(e):
                    raise
                return "exit %s on %s, not later: the unit is full by then" % (pl["id"], day(offset))
        return "exit %s on %s -> %d" % (pl["id"], day(offset), r.status)

    def w_provision(self):
        """A provision kept back on an ended placement in the co-owned building (up to 20 % of the deposit paid;
        the deposit paid first when none was), its accounts approved or not yet, by its landlord."""
        ended = self.db.sql("SELECT string_agg(p.id || ':' || p.move_in_date || ':' || coalesce(t.paid_cents, 0), ' ') "
                            "FROM placements p LEFT JOIN deposit_totals t ON t.placement_id = p.id WHERE p.unit_id = "
                            "'%s' AND p.exit_date <= current_date" % self.co_owned).split()
        chosen = self.pick(ended)
        if chosen is None:
            return None
        pid, move_in, paid = chosen.split(":")
        done = ""
        if int(paid) < 5:
            r = self.entry(pid, "paid", DEPOSIT, entry_date=move_in)
            done, paid = "paid %d -> %d, " % (DEPOSIT, r.status), DEPOSIT if r.status == 201 else 5
        body = {"amount_cents": self.rng.randint(1, int(paid) // 5), "justification": "Charges"}
        if self.rng.random() < 0.6:
            body["accounts_approved_on"] = day(self.rng.randint(-90, 0))
        r = self.call("PUT", "/v1/placements/%s/deposit/provision" % pid, "landlord", body=body)
        done += "%s -> %d" % (body, r.status)
        if r.status == 200 and self.rng.random() < 0.6:  # the rest refunded, the provision kept back
            rest = int(self.db.sql("SELECT balance_cents FROM deposit_totals WHERE placement_id = '%s'" % pid))
            rest -= body["amount_cents"]
            if rest > 0:
                exit_on = self.db.sql("SELECT current_date - exit_date FROM placements WHERE id = '%s'" % pid)
                r = self.entry(pid, "refunded", rest, entry_date=day(-self.rng.randint(0, int(exit_on))))
                done += ", the rest refunded (%d) -> %d" % (rest, r.status)
        return "provision on %s: %s" % (pid, done)

    def w_unit(self):
        uid = self.pick(self.unit_ids)
        body = self.pick([{"label": "Logement %d" % self.rng.randint(1, 999)},
                          {"town": self.pick(["Lille", "Roubaix", "Tourcoing"])},
                          {"rent_cents": self.rng.randint(30000, 60000)},
                          {"places": self.rng.randint(1, 12)},
                          {"status": self.pick(["available", "occupied", "out_of_service", "available"])}])
        r = self.etag_patch("/v1/units/%s" % uid, body)
        return "unit %s %s -> %d" % (uid, body, r.status)

    def w_sliding(self):
        pl = self.pick([p for p in self.placed if p["lease"] == "sliding_lease"])
        if pl is None:
            return None
        what = self.rng.random()
        if what < 0.4:
            r = self.call("POST", "/v1/placements/%s/prefect-notices" % pl["id"], headers=self.key(),
                          body={"sent_on": day(0), "proposes_lease": self.rng.random() < 0.5})
            return "prefect notice %s -> %d" % (pl["id"], r.status)
        if what < 0.6:
            r = self.call("POST", "/v1/placements/%s/slide" % pl["id"], body={"slid_on": day(0)})
            return "slide %s -> %d" % (pl["id"], r.status)
        r = self.etag_patch("/v1/placements/%s" % pl["id"], {"refund_to_association": self.rng.random() < 0.5,
                                                              "planned_slide_on": day(self.rng.randint(1, 300))})
        return "placement %s patched -> %d" % (pl["id"], r.status)

    def w_person_edit(self):
        person = self.pick(list(self.people))
        body = self.pick([{"family_name": "Renommé%d" % self.rng.randint(1, 9999)},
                          {"given_names": "Autre %d" % self.rng.randint(1, 9999), "birth_date": "1970-0%d-15"
                           % self.rng.randint(1, 9)},
                          {"care_team_id": self.org[self.pick(["team", "team2"])]},
                          {"curator_org_id": self.org[self.pick(["cur", "cur2"])],
                           "protection": "curatelle_renforcee"}])
        r = self.etag_patch("/v1/people/%s" % person, body)
        return "person %s %s -> %d" % (person, body, r.status)

    def open_items(self):
        """[(session, item)] of the planned and open sessions' agendas."""
        rows = self.db.sql("SELECT string_agg(i.session_id || ' ' || i.id, ' ') FROM agenda_items i JOIN sessions s "
                           "ON s.id = i.session_id WHERE s.status IN ('planned', 'open') AND s.commission_id = '%s'"
                           % self.commission).split()
        return list(zip(rows[0::2], rows[1::2]))

    def w_agenda_edit(self):
        pair = self.pick(self.open_items())
        if pair is None:
            return None
        sid, item = pair
        what = self.pick(["position", "note", "remove", "build"])
        path = "/v1/sessions/%s/agenda/items/%s" % (sid, item)
        if what == "position":
            r = self.call("PATCH", path, body={"position": self.rng.randint(1, 30)})
        elif what == "note":
            r = self.call("PATCH", path, body={"note": self.pick(["À revoir", "Urgence", None])})
        elif what == "remove":
            r = self.call("DELETE", path)
        else:
            r = self.call("POST", "/v1/sessions/%s/agenda/build" % sid)
        return "agenda %s of %s, item %s -> %d" % (what, sid, item, r.status)

    def w_correct(self):
        # a standing decision whose application is still where it put it (else 409, also drawn now and then)
        rows = self.db.sql("SELECT string_agg(d.session_id || ' ' || d.id || ' ' || d.outcome, ' ') FROM decisions d "
                           "JOIN sessions s ON s.id = d.session_id JOIN applications a ON a.id = d.application_id "
                           "WHERE s.status IN ('open', 'closed') AND d.commission_id = '%s' AND (a.status = CASE "
                           "d.outcome WHEN 'approve' THEN 'approved' WHEN 'refuse' THEN 'refused' ELSE 'deferred' END "
                           "OR random() < 0.1) AND NOT EXISTS (SELECT 1 FROM decisions c WHERE c.corrects_decision_id "
                           "= d.id)" % self.commission).split()
        found = self.pick(list(zip(rows[0::3], rows[1::3], rows[2::3])))
        if found is None:
            return None
        sid, decision, outcome = found
        body = self.pick([b for b in ({"outcome": "refuse", "refusal_reason": "other"}, {"outcome": "defer"},
                                      {"outcome": "approve"}) if b["outcome"] != outcome])
        body["comment"] = "Erreur de saisie en séance"
        r = self.call("POST", "/v1/sessions/%s/decisions/%s/corrections" % (sid, decision), body=body)
        return "correction %s of %s -> %d" % (body, decision, r.status)

    WRITES = (("w_person", 2), ("w_person_edit", 2), ("w_agenda_edit", 2), ("w_correct", 1), ("w_application", 4),
              ("w_decide", 3), ("w_session_date", 1), ("w_move_in", 5), ("w_deposit", 3), ("w_review", 3),
              ("w_review_rent", 1), ("w_incident", 3), ("w_incident_handle", 2), ("w_plan", 2), ("w_payment", 2),
              ("w_exit", 2), ("w_unit", 1), ("w_sliding", 2), ("w_provision", 2))

    def step(self):
        names = [n for n, weight in self.WRITES for _ in range(weight)]
        while True:
            done = getattr(self, self.rng.choice(names))()
            if done is not None:
                self.log.append(done)
                return done

    # -- the property
    def stale(self, source, table, key):
        """The rows of TABLE that differ from those SOURCE computes now: [{key, stored, computed}] (KEY names them
        within the commission)."""
        out = self.db.sql(
            "SELECT coalesce(json_agg(json_build_object('key', coalesce(s.{k}, t.{k}), 'computed', s::text, "
            "'stored', t::text)), '[]') FROM {s} s FULL JOIN {t} t ON t.commission_id = s.commission_id "
            "AND t.{k} = s.{k} WHERE s::text IS DISTINCT FROM t::text".format(k=key, s=source, t=table))
        return json.loads(out)

    def agenda_mismatches(self):
        """Every session's agenda, as the coordinator and as a curator, against the statement before 0046."""
        found = []
        for sid in self.db.sql("SELECT string_agg(id::text, ' ') FROM sessions WHERE commission_id = '%s'"
                               % self.commission).split():
            for who, scope, org in (("coordinator", "all", None), ("curator", "curator", self.org["cur"])):
                ref = self.db.sql("SELECT coalesce(json_agg(r), '[]') FROM agenda_reference('%s', '%s', '%s', %s) r"
                                  % (self.commission, sid, scope, "NULL" if org is None else "'%s'" % org))
                want = [expected_agenda_item(r, who == "coordinator") for r in json.loads(ref)]
                r = self.call("GET", "/v1/sessions/%s/agenda" % sid, who)
                if r.status != 200:
                    found.append("agenda of %s as %s: %d" % (sid, who, r.status))
                    continue
                diff = json_differences(r.body.get("items"), want)
                if diff:
                    found.append("agenda of %s as %s:\n    %s" % (sid, who, "\n    ".join(diff)))
        return found

    def references(self):
        """{person: {"coordinator": row, "curator": row or None}} by the statement before 0022."""
        out = self.db.sql(
            "SELECT json_object_agg(p.id, json_build_object("
            "'coordinator', (SELECT r FROM person_status_reference(p.commission_id, p.id, 'all', NULL) r), "
            "'curator', (SELECT r FROM person_status_reference(p.commission_id, p.id, 'curator', '%s') r))) "
            "FROM people p WHERE p.commission_id = '%s'" % (self.org["cur"], self.commission))
        return json.loads(out) if out else {}

    def vacancy_mismatches(self):
        """The kept vacancy periods (unit_vacancies, migrations/0035) against each unit's free places counted from
        its stays, on today, yesterday and every day around a move-in or an exit to come (a kept period must
        answer for those days too, with no write in between); the periods' copies of the unit's columns; and the
        vacant list (GET /v1/units?status=vacant, as the coordinator and as the second landlord) against the
        units with a free place today."""
        out = self.db.sql(
            "WITH d AS (SELECT u.id, u.places, u.status, x.day FROM units u CROSS JOIN LATERAL ("
            "SELECT current_date AS day UNION SELECT current_date - 1 UNION SELECT b.day + k FROM placements p "
            "CROSS JOIN LATERAL (VALUES (p.move_in_date), (p.exit_date)) b(day) CROSS JOIN (VALUES (-1), (0)) o(k) "
            "WHERE p.unit_id = u.id AND b.day > current_date) x WHERE u.commission_id = '%s'), "
            "c AS (SELECT d.id, d.day, CASE WHEN d.status IN ('available', 'occupied') THEN greatest(d.places - "
            "(SELECT count(*) FROM placements p WHERE p.unit_id = d.id AND p.move_in_date <= d.day AND "
            "(p.exit_date IS NULL OR p.exit_date > d.day)), 0) ELSE 0 END AS free, coalesce((SELECT "
            "sum(v.free_places) FROM unit_vacancies v WHERE v.unit_id = d.id AND v.free_from <= d.day AND "
            "(v.free_until IS NULL OR v.free_until > d.day)), 0) AS kept FROM d) "
            "SELECT json_build_object('wrong', (SELECT coalesce(json_agg(c), '[]') FROM c WHERE c.free <> c.kept), "
            "'copies', (SELECT coalesce(json_agg(v.unit_id), '[]') FROM unit_vacancies v JOIN units u ON u.id = "
            "v.unit_id WHERE (v.kind, v.town, v.label, v.landlord_org_id) IS DISTINCT FROM (u.kind, u.town, u.label, "
            "u.landlord_org_id)), 'vacant', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'landlord', "
            "u.landlord_org_id) ORDER BY u.town, u.label, u.id), '[]') FROM c JOIN units u ON u.id = c.id "
            "WHERE c.day = current_date AND c.free > 0))" % self.commission)
        x = json.loads(out)
        found = ["unit %s on %s: %s free places counted from its stays, %s kept" % (r["id"], r["day"], r["free"],
                                                                                  r["kept"]) for r in x["wrong"]]
        found += ["unit %s: the kept periods' copies differ from the unit" % u for u in x["copies"]]
        for who, landlord in (("coordinator", None), ("landlord2", self.org["ll2"])):
            want = [v["id"] for v in x["vacant"] if landlord in (None, v["landlord"])]
            r = self.call("GET", "/v1/units?status=vacant&limit=100", who)
            got = [u["id"] for u in r.body.get("items", [])] if r.status == 200 else r.status
            if got != want:
                found.append("the vacant units %s sees: %s, expected %s" % (who, got, want))
        return found

    SLIDING_KEYS = ("last_tripartite_review_on", "tripartite_review_on", "prefect_notice_due_on",
                    "prefect_notice_sent_on")

    def sliding_mismatches(self):
        """Every placement's sliding schedule as its read shows it (from the last tripartite review the placement
        keeps, migrations/0049) against the sliding_schedule view (computed from the reviews and notices)."""
        want = json.loads(self.db.sql(
            "SELECT coalesce(json_object_agg(placement_id, json_build_object('last_tripartite_review_on', "
            "last_tripartite_on, 'tripartite_review_on', tripartite_review_on, 'prefect_notice_due_on', "
            "prefect_notice_due_on, 'prefect_notice_sent_on', prefect_notice_sent_on)), '{}') FROM sliding_schedule "
            "WHERE commission_id = '%s'" % self.commission))
        found, cursor = [], None
        while True:
            r = self.call("GET", "/v1/placements?limit=100" + ("&cursor=" + cursor if cursor else ""))
            if r.status != 200:
                return ["the placements' list answers %d" % r.status]
            for p in r.body["items"]:
                s = p.get("sliding") or {}
                got = {k: s.get(k) for k in self.SLIDING_KEYS}
                expected = want.get(p["id"], {k: None for k in self.SLIDING_KEYS})
                if got != expected:
                    found.append("placement %s's sliding schedule: %s, computed %s" % (p["id"], got, expected))
            cursor = r.body.get("next_cursor")
            if not cursor:
                return found

    def mismatches(self):
        found = ["stored row of %s differs from the tables:\n  stored   %s\n  computed %s"
                 % (x["key"], x["stored"], x["computed"])
                 for x in self.stale("person_status_source", "person_status", "person_id")]
        found += ["kept agenda line of %s differs from the tables:\n  stored   %s\n  computed %s"
                  % (x["key"], x["stored"], x["computed"])
                  for x in self.stale("agenda_line_source", "agenda_lines", "item_id")]
        found += self.vacancy_mismatches()
        found += self.sliding_mismatches()
        for person, refs in self.references().items():
            for who in ("coordinator", "curator"):
                r = self.call("GET", "/v1/people/%s/status" % person, who)
                ref = refs[who]
                if ref is None:
                    if r.status != 404:
                        found.append("%s: %s sees a person out of its scope (%d)" % (person, who, r.status))
                    continue
                if r.status != 200:
                    found.append("%s: %s gets %d" % (person, who, r.status))
                    continue
                diff = json_differences(without_derived(r.body), expected_status(ref))
                if diff:
                    found.append("%s as %s:\n    %s" % (person, who, "\n    ".join(diff)))
                if who == "coordinator" and ref["placement_id"] is not None:
                    found += self.penalty_mismatches(person, ref["placement_id"], r.body.get("deposit") or {})
        return found

    def penalty_mismatches(self, person, placement, deposit):
        """The status's late-refund penalty (computed in C from the account's dates the status statement gives)
        against the placement's own account (GET /v1/placements/{id}/deposit, read from deposit_accounts)."""
        r = self.call("GET", "/v1/placements/%s/deposit" % placement)
        if r.status != 200:
            return ["%s: the account of %s answers %d" % (person, placement, r.status)]
        found = []
        for key in ("months_late", "penalty_cents", "penalty_unpaid_cents"):
            if deposit.get(key) != r.body.get(key):
                found.append("%s: the status's deposit %s is %r, its account's %r" % (person, key, deposit.get(key),
                                                                                   r.body.get(key)))
        return found


def body(suite):
    seed = int(os.environ.get("PERSON_STATUS_SEED") or random.SystemRandom().randrange(1 << 31))
    steps = int(os.environ.get("PERSON_STATUS_STEPS") or 200)
    print("seed %d, %d writes (replay: PERSON_STATUS_SEED=%d PERSON_STATUS_STEPS=%d)" % (seed, steps, seed, steps))
    with Database() as db:
        with Daemon(db, threads=2) as d:
            w = Random(db, d, random.Random(seed))
            with suite.case("after every write of a random sequence (seed %d), each person's stored status row is "
                            "the one computed from the tables, and the status check answers the coordinator and "
                            "a curator what the statement before 0022 did" % seed):
                for _ in range(4):
                    w.person()
                check(not w.mismatches(), "the people created first: %s" % w.mismatches())
                for n in range(steps):
                    done = w.step()
                    bad = w.mismatches()
                    if n % 5 == 4 or n == steps - 1:
                        bad += w.agenda_mismatches()
                    check(not bad, "seed %d, write %d (%s) left:\n  %s\n  writes so far:\n    %s"
                          % (seed, n + 1, done, "\n  ".join(bad), "\n    ".join(w.log)))
                print("writes:\n  " + "\n  ".join(w.log))
            with suite.case("with the triggers off (person_status_triggers) a write leaves a stale row, which the "
                            "comparison finds; person_status_rebuild() puts every row right; back on, writes keep "
                            "the rows again"):
                person = w.pick(list(w.people))
                db.sql("SELECT person_status_triggers(false)")
                try:
                    w.ok(201, "POST", "/v1/applications", body={"person_id": person, "situation": "Nouvelle demande"})
                    bad = w.mismatches()
                    check(any(person in x for x in bad), "the stale row of %s is found: %s" % (person, bad))
                    db.sql("SELECT person_status_rebuild()")
                    check(not w.mismatches(), "rebuilt: %s" % w.mismatches())
                finally:
                    db.sql("SELECT person_status_triggers(true)")
                w.ok(201, "POST", "/v1/applications", body={"person_id": person, "situation": "Autre demande"})
                check(not w.mismatches(), "kept again: %s" % w.mismatches())
            with suite.case("with the agenda's triggers off (agenda_line_triggers) a person renamed leaves a "
                            "stale line, which the comparison finds; agenda_lines_rebuild() puts every line right; "
                            "back on, a rename is kept again"):
                shown = db.sql("SELECT person_id FROM agenda_lines WHERE commission_id = '%s' AND person_id IS NOT "
                               "NULL LIMIT 1" % w.commission)
                check(shown != "", "a person is on an agenda")
                db.sql("SELECT agenda_line_triggers(false)")
                try:
                    r = w.etag_patch("/v1/people/%s" % shown, {"family_name": "Oubliée"})
                    check(r.status == 200, "renamed with the triggers off", r)
                    bad = [x for x in w.mismatches() if "agenda line" in x]
                    check(bad and all("Oubliée" in x for x in bad), "the stale lines are found: %s" % bad)
                    check(w.agenda_mismatches(), "and the agenda answers differ from the statement before 0046")
                    db.sql("SELECT agenda_lines_rebuild()")
                    check(not w.mismatches() and not w.agenda_mismatches(), "rebuilt: %s" % w.mismatches())
                finally:
                    db.sql("SELECT agenda_line_triggers(true)")
                r = w.etag_patch("/v1/people/%s" % shown, {"family_name": "Retrouvée"})
                check(r.status == 200, "renamed with the triggers on", r)
                check(not w.mismatches() and not w.agenda_mismatches(), "kept again: %s" % w.agenda_mismatches())
            with suite.case("two transactions writing about the same person at once: each refreshes the row at its "
                            "commit, the later one seeing the earlier's change, and the row holds both changes"):
                # a new person in a unit of its own (the sequence may have filled its units, lowered their places
                # or closed them): any running placement would not do, its person may have moved in again since
                # (an exit announced for later keeps it running) and the status then shows the later placement
                placed = w.place(w.unit(places=2))
                pid, person = placed["id"], placed["person"]["id"]
                first = subprocess.Popen(
                    [psql_path(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name, "-c",
                     "BEGIN; INSERT INTO incidents (commission_id, placement_id, kind, description, occurred_on, "
                     "reported_by_role) VALUES ('%s', '%s', 'damage', 'Vitre cassée', current_date, 'coordinator'); "
                     "SELECT pg_sleep(1); COMMIT;" % (w.commission, pid)],
                    env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                try:
                    sleeping, _ = poll(lambda: db.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' "
                                                      "AND wait_event = 'PgSleep'" % db.name) == "1", 10)
                    check(sleeping, "the first transaction wrote its incident and waits")
                    db.sql("INSERT INTO reviews (commission_id, placement_id, review_date, rent_status, arrears_cents, "
                           "rent_by_role, rent_at) VALUES ('%s', '%s', current_date, 'arrears', 777, 'coordinator', "
                           "now())" % (w.commission, pid))
                finally:
                    _, err = first.communicate(timeout=30)
                check(first.returncode == 0, "the first transaction committed: %s" % err)
                row = json.loads(db.sql("SELECT json_build_object('arrears', arrears_cents) FROM person_status "
                                        "WHERE person_id = '%s'" % person))
                check(row["arrears"] == 777, "the second change is kept: %s" % row)
                check(not w.mismatches(), "and the first too, every row as computed: %s" % w.mismatches())
            with suite.case("a transaction that writes twice about a person refreshes its row once, at the commit, "
                            "with both changes"):
                calls = db.sql(
                    "SET track_functions = 'pl'; BEGIN; "
                    "INSERT INTO incidents (commission_id, placement_id, kind, description, occurred_on, "
                    "reported_by_role) VALUES ('%s', '%s', 'disturbance', 'Bruit', current_date, 'coordinator'); "
                    "INSERT INTO reviews (commission_id, placement_id, review_date, rent_status, arrears_cents, "
                    "rent_by_role, rent_at) VALUES ('%s', '%s', current_date, 'arrears', 888, 'coordinator', now()); "
                    "SET CONSTRAINTS ALL IMMEDIATE; "  # the deferred refreshes now, as the COMMIT would run them
                    "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
                    "WHERE funcname = 'person_status_refresh'; COMMIT" % (w.commission, pid, w.commission, pid))
                check(calls.strip().splitlines()[-1] == "1", "person_status_refresh() ran %s times" % calls)
                row = json.loads(db.sql("SELECT json_build_object('arrears', arrears_cents, 'incidents', "
                                        "json_array_length(open_incidents)) FROM person_status WHERE person_id = '%s'"
                                        % person))
                check(row["arrears"] == 888 and row["incidents"] >= 2, "both changes are in the row: %s" % row)
                check(not w.mismatches(), "every row as computed: %s" % w.mismatches())
            with suite.case("the sequence moved people in and out, decided, reported rent and incidents"):
                got = db.sql("SELECT (SELECT count(*) FROM placements) || ' ' || (SELECT count(*) FROM decisions) "
                             "|| ' ' || (SELECT count(*) FROM reviews WHERE rent_status IS NOT NULL) || ' ' || "
                             "(SELECT count(*) FROM incidents)").split()
                check(all(int(x) > 0 for x in got), "placements, decisions, rent reports, incidents: %s" % got)
            d.stop()


if __name__ == "__main__":
    Suite("person-status-property").main(body)
