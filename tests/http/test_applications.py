#!/usr/bin/env python3
"""/v1/applications: the requests for a place (demandes) and their state machine.

Creation by the coordinator, by a caregiver for the people its team follows and by a curator for the people its
service protects (draft, or submitted with "submit": true); a person outside the caller's scope is 422 /person_id
and creates nothing; landlord and observer are 403 everywhere. The situation text is care-confidential: the
coordinator and the care team receive it, a curator never. Out of scope is 404. Validation errors name their field
and change nothing. PATCH needs If-Match (428 / 412) and only edits draft, submitted or deferred applications
(409 invalid-state with current_status). The waiting list (status=submitted) is in submission order with
waiting_days, in keyset pages. Transitions: the legal client ones (draft → submitted, open states → withdrawn),
409 invalid-state for the others, forcing by the coordinator with a mandatory reason (forced in the history),
403 for anyone else. The history records every move with role and reason. Idempotency-Key replays a creation.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, TIMESTAMP_RE, UUID_RE, Daemon, Database, Suite, check, env,  # noqa: E402
                     error_fields, expect_problem, expect_status, leaks)

APPS = "/v1/applications"
MISSING = "00000000-0000-4000-8000-000000000000"
MEMBERS = {"id", "person", "wished_unit_kinds", "wished_towns", "urgency", "referent_name", "status",
           "submitted_at", "decided_at", "decided_on", "waiting_days", "created_by_role", "version", "created_at", "updated_at"}
PERSON_MEMBERS = {"id", "family_name", "given_names", "birth_date"}
EVENT_MEMBERS = {"from_status", "to_status", "reason", "forced", "session_id", "role", "at"}
SITUATION = "Hospitalisé depuis 3 mois, sortie prévue ; projet de soins avec le CMP. Confidentiel-Situation-42"


# ---------------------------------------------------------------------------------------------------------------
# Fixtures


def served_routes():
    out = subprocess.run([env("COMMISSIOND_BIN"), "--routes"], capture_output=True, text=True, timeout=30).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def sql_text(value):
    return "NULL" if value is None else "'%s'" % str(value).replace("'", "''")


def make_person(d, db, commission, coord, family, given, birth, team, protection="none", curator=None):
    """A person of COMMISSION, through POST /v1/people when the daemon serves it, else inserted with psql."""
    if "POST /v1/people" in ROUTES:
        body = {"family_name": family, "given_names": given, "birth_date": birth, "care_team_id": team,
                "protection": protection, "curator_org_id": curator, "confirm_duplicate": True}
        r = d.call("POST", "/v1/people", token=coord, body=body)
        expect_status(r, 201)
        return r.body["id"]
    return db.sql("INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id, protection, "
                  "curator_org_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
                  % tuple(sql_text(v) for v in (commission, family, given, birth, team, protection, curator)))


def create(d, token, body, key=None):
    return d.call("POST", APPS, token=token, body=body, headers={"Idempotency-Key": key} if key else None)


def get(d, token, app_id):
    return d.call("GET", "%s/%s" % (APPS, app_id), token=token)


def patch(d, token, app_id, body, etag):
    return d.call("PATCH", "%s/%s" % (APPS, app_id), token=token, body=body,
                  headers={"If-Match": etag} if etag else None)


def move(d, token, app_id, to, reason=None, force=None):
    body = {"to": to}
    if reason is not None:
        body["reason"] = reason
    if force is not None:
        body["force"] = force
    return d.call("POST", "%s/%s/transitions" % (APPS, app_id), token=token, body=body)


def history(d, token, app_id):
    r = d.call("GET", "%s/%s/history" % (APPS, app_id), token=token)
    expect_status(r, 200)
    check(set(r.body) == {"items"}, "a history is {items}", r)
    for e in r.body["items"]:
        check(set(e) == EVENT_MEMBERS, "members of an event: %s" % sorted(EVENT_MEMBERS), r)
        check(TIMESTAMP_RE.match(e["at"]), "at is an RFC 3339 UTC timestamp", r)
    return r.body["items"]


def list_all(d, token, query="", limit=200):
    """Every application TOKEN sees with QUERY, following next_cursor; returns (items, number of pages)."""
    items, pages, cursor = [], 0, None
    for _ in range(100):
        url = "%s?%slimit=%d" % (APPS, query + "&" if query else "", limit) + ("&cursor=" + cursor if cursor else "")
        r = d.call("GET", url, token=token)
        expect_status(r, 200)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        check(len(r.body["items"]) <= limit, "a page holds at most limit items", r)
        pages += 1
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError("more than 100 pages")


def check_app(r, expected, situation):
    """R's body is an Application with EXPECTED values; with the situation member iff SITUATION."""
    b = r.body
    members = MEMBERS | ({"situation"} if situation else set())
    check(isinstance(b, dict) and set(b) == members, "members of an Application: %s" % sorted(members), r)
    check(UUID_RE.match(b["id"]), "id is a lower-case UUID", r)
    check(set(b["person"]) == PERSON_MEMBERS, "person is {id, family_name, given_names, birth_date}", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is an RFC 3339 UTC timestamp" % k, r)
    for k in ("submitted_at", "decided_at"):
        check(b[k] is None or TIMESTAMP_RE.match(b[k]), "%s is null or a timestamp" % k, r)
    check((b["submitted_at"] is None) == (b["waiting_days"] is None), "waiting_days is null iff not submitted", r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is \"v<version>\"", r)
    for k, v in expected.items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    return b


class Unchanged:
    """The rows a refused write must leave alone: applications (with status and version), their events and the
    idempotency keys."""

    def __init__(self, db):
        self.db = db
        self.base = self.snapshot()

    def snapshot(self):
        return self.db.sql(
            "SELECT (SELECT count(*) FROM applications) || ' ' || (SELECT count(*) FROM application_events) || ' ' "
            "|| (SELECT count(*) FROM idempotency_keys) || ' ' || (SELECT coalesce(string_agg(id || status || version"
            " || situation || urgency || array_to_string(wished_unit_kinds, ',') || array_to_string(wished_towns, ',')"
            ", ';' ORDER BY id), '') FROM applications)")

    def check(self, what):
        now = self.snapshot()
        check(now == self.base, "%s changed the data:\n  before %s\n  after  %s" % (what, self.base, now))


# ---------------------------------------------------------------------------------------------------------------


def body(suite):
    global ROUTES
    ROUTES = served_routes()
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B")
        org = {
            "team1": db.organisation_create(a, "care_team", "Équipe de secteur 1"),
            "team2": db.organisation_create(a, "care_team", "Équipe de secteur 2"),
            "cur1": db.organisation_create(a, "curator_service", "Service mandataire 1"),
            "cur2": db.organisation_create(a, "curator_service", "Service mandataire 2"),
            "land": db.organisation_create(a, "landlord", "Bailleur A"),
            "teamB": db.organisation_create(b, "care_team", "Équipe de B"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination A").token,
            "care1": db.token_create(a, "caregiver", scope=org["team1"], label="soignant 1").token,
            "care2": db.token_create(a, "caregiver", scope=org["team2"], label="soignant 2").token,
            "cur1": db.token_create(a, "curator", scope=org["cur1"], label="curateur 1").token,
            "cur2": db.token_create(a, "curator", scope=org["cur2"], label="curateur 2").token,
            "landlord": db.token_create(a, "landlord", scope=org["land"], label="bailleur").token,
            "observer": db.token_create(a, "observer", label="observateur").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
        }
        with Daemon(db, threads=4) as d:
            coord = tok["coord"]
            people = {
                # team 1, no protection
                "alice": make_person(d, db, a, coord, "Martin", "Alice", "1980-02-03", org["team1"]),
                # team 1, protected by curator service 1
                "bruno": make_person(d, db, a, coord, "Bernard", "Bruno", "1971-05-06", org["team1"],
                                     "curatelle_renforcee", org["cur1"]),
                # team 2, protected by curator service 1
                "chloe": make_person(d, db, a, coord, "Petit", "Chloé", "1990-08-09", org["team2"],
                                     "tutelle", org["cur1"]),
                # team 2, no protection
                "david": make_person(d, db, a, coord, "Durand", "David", "1965-11-12", org["team2"]),
            }
            people["xavier"] = make_person(d, db, b, tok["coordB"], "Autre", "Xavier", "1977-01-01", org["teamB"])
            run_cases(suite, d, db, org, tok, people)
            with suite.case("no response holds SQL or PostgreSQL's words"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
            with suite.case("no answer was a 5xx, no database error was logged"):
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
                check("database error" not in d.log_text(), "a database error was logged:\n" + "\n".join(
                    line for line in d.log_text().splitlines() if "database error" in line))
            with suite.case("no log line holds a situation text"):
                check("Confidentiel-Situation-42" not in d.log_text(), "a situation is in the daemon's log")
            d.stop()
        run_timezone_case(suite, db_prefix="cd_http_apps_tz")


def run_cases(suite, d, db, org, tok, people):
    coord = tok["coord"]
    apps = {}

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("coordinator creates a draft: 201, Location, ETag \"v1\", every member, situation included"):
        sent = {"person_id": people["alice"], "situation": SITUATION,
                "wished_unit_kinds": ["hlm_apartment", "residence_place"], "wished_towns": ["Lille", "Roubaix"],
                "urgency": "high", "referent_name": "Dr Lefort"}
        r = create(d, coord, sent)
        expect_status(r, 201)
        app = check_app(r, {"situation": SITUATION, "wished_unit_kinds": sent["wished_unit_kinds"],
                            "wished_towns": sent["wished_towns"], "urgency": "high", "referent_name": "Dr Lefort",
                            "status": "draft", "submitted_at": None, "decided_at": None, "decided_on": None,
                            "waiting_days": None,
                            "created_by_role": "coordinator", "version": 1}, situation=True)
        check(app["person"] == {"id": people["alice"], "family_name": "Martin", "given_names": "Alice",
                                "birth_date": "1980-02-03"}, "person is the person named", r)
        check(r.headers.get("location") == "%s/%s" % (APPS, app["id"]), "Location is the new path", r)
        apps["alice_draft"] = app
        r = get(d, coord, app["id"])
        expect_status(r, 200)
        check(r.body == app and r.headers.get("etag") == '"v1"', "GET answers the created application", r)
        events = history(d, coord, app["id"])
        check(len(events) == 1 and events[0]["from_status"] is None and events[0]["to_status"] == "draft"
              and events[0]["role"] == "coordinator" and events[0]["forced"] is False,
              "the history starts with the creation (null → draft, coordinator): %s" % events)
        # defaults
        r = create(d, coord, {"person_id": people["david"], "situation": "x"})
        expect_status(r, 201)
        check_app(r, {"wished_unit_kinds": [], "wished_towns": [], "urgency": "normal", "referent_name": None,
                      "status": "draft"}, situation=True)
        apps["david_draft"] = r.body

    with suite.case("caregiver creates for a person its team follows; submit: true submits at once"):
        r = create(d, tok["care1"], {"person_id": people["alice"], "situation": SITUATION, "submit": True})
        expect_status(r, 201)
        app = check_app(r, {"status": "submitted", "waiting_days": 0, "created_by_role": "caregiver",
                            "situation": SITUATION}, situation=True)
        check(TIMESTAMP_RE.match(app["submitted_at"] or ""), "submitted_at is set", r)
        apps["alice_submitted"] = app
        events = history(d, tok["care1"], app["id"])
        check([(e["from_status"], e["to_status"], e["role"]) for e in events] == [(None, "submitted", "caregiver")],
              "created submitted by the caregiver: %s" % events)
        r = create(d, tok["care1"], {"person_id": people["bruno"], "situation": "Bruno, suivi CMP", "submit": False})
        expect_status(r, 201)
        apps["bruno_care1"] = check_app(r, {"status": "draft", "submitted_at": None}, situation=True)

    with suite.case("curator creates for a person it protects; its view never has the situation"):
        r = create(d, tok["cur1"], {"person_id": people["chloe"], "situation": "Chloé: fin de bail", "submit": True,
                                    "wished_towns": ["Villeneuve-d'Ascq"]})
        expect_status(r, 201)
        app = check_app(r, {"status": "submitted", "created_by_role": "curator",
                            "wished_towns": ["Villeneuve-d'Ascq"]}, situation=False)
        apps["chloe_cur1"] = app
        r = get(d, tok["cur1"], app["id"])
        expect_status(r, 200)
        check_app(r, {"id": app["id"]}, situation=False)
        # the situation was stored: the care team (team 2) and the coordinator read it
        for who in ("care2", "coord"):
            r = get(d, tok[who], app["id"])
            expect_status(r, 200)
            check_app(r, {"situation": "Chloé: fin de bail"}, situation=True)
        r = create(d, tok["cur1"], {"person_id": people["bruno"], "situation": "Bruno, côté curatelle"})
        expect_status(r, 201)
        apps["bruno_cur1"] = check_app(r, {"status": "draft"}, situation=False)
        r = get(d, tok["care1"], apps["bruno_cur1"]["id"])
        check_app(expect_status(r, 200), {"situation": "Bruno, côté curatelle"}, situation=True)
        for item in list_all(d, tok["cur1"])[0]:
            check("situation" not in item, "a curator's list holds no situation: %s" % item)

    with suite.case("a person outside the caller's scope: 422 /person_id, nothing created"):
        state = Unchanged(db)
        for who, person in [("care1", "david"), ("care1", "chloe"), ("care2", "alice"), ("cur1", "alice"),
                            ("cur1", "david"), ("cur2", "bruno"), ("cur2", "chloe"), ("coord", "xavier")]:
            r = create(d, tok[who], {"person_id": people[person], "situation": "hors périmètre", "submit": True})
            expect_problem(r, 422, "validation-failed", field="/person_id")
        r = create(d, coord, {"person_id": MISSING, "situation": "personne inconnue"})
        expect_problem(r, 422, "validation-failed", field="/person_id")
        state.check("creations for people outside the scope")

    with suite.case("landlord and observer: 403 on every application route, nothing created or changed"):
        state = Unchanged(db)
        target = apps["alice_draft"]["id"]
        for who in ("landlord", "observer"):
            t = tok[who]
            expect_problem(create(d, t, {"person_id": people["alice"], "situation": "x"}), 403, "forbidden")
            expect_problem(d.call("GET", APPS, token=t), 403, "forbidden")
            expect_problem(d.call("GET", APPS + "?status=submitted", token=t), 403, "forbidden")
            expect_problem(get(d, t, target), 403, "forbidden")
            expect_problem(get(d, t, MISSING), 403, "forbidden")
            expect_problem(d.call("GET", "%s/%s/history" % (APPS, target), token=t), 403, "forbidden")
            expect_problem(patch(d, t, target, {"urgency": "urgent"}, '"v1"'), 403, "forbidden")
            expect_problem(move(d, t, target, "submitted"), 403, "forbidden")
            expect_problem(move(d, t, target, "withdrawn"), 403, "forbidden")
        state.check("landlord and observer requests")

    with suite.case("scope: out of scope is 404 on every route, and never listed"):
        state = Unchanged(db)
        cases = [("care2", apps["alice_draft"]), ("cur1", apps["alice_draft"]), ("cur2", apps["chloe_cur1"]),
                 ("care1", apps["chloe_cur1"]), ("coordB", apps["alice_draft"])]
        for who, app in cases:
            t = tok[who]
            expect_problem(get(d, t, app["id"]), 404, "not-found")
            expect_problem(d.call("GET", "%s/%s/history" % (APPS, app["id"]), token=t), 404, "not-found")
            expect_problem(patch(d, t, app["id"], {"urgency": "urgent"}, '"v%d"' % app["version"]), 404,
                           "not-found")
            expect_problem(move(d, t, app["id"], "withdrawn"), 404, "not-found")
            check(app["id"] not in [x["id"] for x in list_all(d, t)[0]], "%s lists %s" % (who, app["id"]))
        for who in ("coord", "care1", "cur1"):
            expect_problem(get(d, tok[who], MISSING), 404, "not-found")
        state.check("out-of-scope requests")
        # what each scoped token lists: exactly the applications of its people
        every = list_all(d, coord)[0]
        by_person = lambda keys: sorted(x["id"] for x in every if x["person"]["id"] in [people[k] for k in keys])
        check(sorted(x["id"] for x in list_all(d, tok["care1"])[0]) == by_person(["alice", "bruno"]),
              "care team 1 lists the applications of Alice and Bruno")
        check(sorted(x["id"] for x in list_all(d, tok["care2"])[0]) == by_person(["chloe", "david"]),
              "care team 2 lists the applications of Chloé and David")
        check(sorted(x["id"] for x in list_all(d, tok["cur1"])[0]) == by_person(["bruno", "chloe"]),
              "curator 1 lists the applications of Bruno and Chloé")
        check(list_all(d, tok["cur2"])[0] == [], "curator 2 protects nobody: empty list")
        check(list_all(d, tok["coordB"])[0] == [], "commission B sees none of A's applications")
        r = get(d, tok["care1"], apps["alice_draft"]["id"])
        check_app(expect_status(r, 200), {"id": apps["alice_draft"]["id"]}, situation=True)

    with suite.case("validation: each error is 422 naming its field, and changes nothing"):
        state = Unchanged(db)
        ok = {"person_id": people["alice"], "situation": "ok"}
        cases = [
            (dict(ok, wished_unit_kinds=["castle"]), ["/wished_unit_kinds/0"]),
            (dict(ok, wished_unit_kinds=["hlm_apartment", "manoir"]), ["/wished_unit_kinds/1"]),
            (dict(ok, wished_unit_kinds=["hlm_apartment", 3]), ["/wished_unit_kinds/1"]),
            (dict(ok, wished_unit_kinds="hlm_apartment"), ["/wished_unit_kinds"]),
            (dict(ok, wished_unit_kinds=["foyer_place"] * 11), ["/wished_unit_kinds"]),
            (dict(ok, wished_towns=["Ville %d" % i for i in range(21)]), ["/wished_towns"]),
            (dict(ok, wished_towns=[""]), ["/wished_towns/0"]),
            (dict(ok, wished_towns=["Lille", "x" * 101]), ["/wished_towns/1"]),
            ({"person_id": people["alice"]}, ["/situation"]),
            (dict(ok, situation=""), ["/situation"]),
            (dict(ok, situation="x" * 20001), ["/situation"]),
            ({"situation": "x"}, ["/person_id"]),
            (dict(ok, person_id="not-a-uuid"), ["/person_id"]),
            (dict(ok, colour="bleu"), ["/colour"]),
            (dict(ok, urgency="asap"), ["/urgency"]),
            (dict(ok, referent_name="r" * 201), ["/referent_name"]),
            (dict(ok, submit="yes"), ["/submit"]),
            (dict(ok, status="approved"), ["/status"]),
            ({"colour": "bleu", "urgency": 3}, ["/person_id", "/situation", "/colour", "/urgency"]),
        ]
        for sent, fields in cases:
            r = create(d, coord, sent)
            expect_problem(r, 422, "validation-failed", fields=fields)
        # the caregiver's and the curator's refusals are the same
        expect_problem(create(d, tok["care1"], dict(ok, wished_unit_kinds=["castle"])), 422, "validation-failed",
                       field="/wished_unit_kinds/0")
        expect_problem(d.call("POST", APPS, token=coord, raw_body="{", headers={"Content-Type": "application/json"}),
                       400, "invalid-json")
        expect_problem(d.call("POST", APPS, token=coord, raw_body="person_id=x",
                              headers={"Content-Type": "application/x-www-form-urlencoded"}),
                       415, "unsupported-media-type")
        state.check("refused creations")
        state = Unchanged(db)
        r = create(d, coord, dict(ok, wished_unit_kinds=None, wished_towns=None))
        expect_problem(r, 422, "validation-failed", fields=["/wished_unit_kinds", "/wished_towns"])
        state.check("wish lists sent as null")
        r = create(d, coord, dict(ok, wished_unit_kinds=[], wished_towns=[], referent_name=None))
        check_app(expect_status(r, 201), {"wished_unit_kinds": [], "wished_towns": [], "referent_name": None},
                  situation=True)
        r = create(d, coord, dict(ok, wished_unit_kinds=["hlm_apartment", "foyer_place", "transitional_place",
                                                        "residence_place"],
                                  wished_towns=["Ville %d" % i for i in range(20)]))
        check_app(expect_status(r, 201), {"wished_towns": ["Ville %d" % i for i in range(20)]}, situation=True)

    with suite.case("an unknown member is refused whatever its name (long, non-ASCII): 422, nothing created"):
        state = Unchanged(db)
        ok = {"person_id": people["alice"], "situation": "membre inconnu"}
        for key in ("x" * 80, "é" * 50, "€" * 30, "日本語の長い名前" * 5):
            r = create(d, coord, dict(ok, **{key: 1}))
            expect_problem(r, 422, "validation-failed")
            check(len(r.body.get("errors") or []) >= 1, "errors names the unknown member", r)
        state.check("bodies with an unknown member")

    with suite.case("PATCH: a body error comes before a missing or stale If-Match (the documented order)"):
        app = apps["alice_draft"]
        state = Unchanged(db)
        for sent, field in [({"colour": "bleu"}, "/colour"), ({"urgency": "asap"}, "/urgency"),
                            ({"wished_unit_kinds": ["castle"]}, "/wished_unit_kinds/0"),
                            ({"wished_towns": "Lille"}, "/wished_towns")]:
            expect_problem(patch(d, coord, app["id"], sent, None), 422, "validation-failed", field=field)
        state.check("PATCHes with a body error and no If-Match")

    with suite.case("PATCH: 428 without If-Match, 412 stale or malformed, 200 changes what is sent"):
        app = apps["alice_draft"]
        path_id = app["id"]
        state = Unchanged(db)
        r = patch(d, coord, path_id, {"urgency": "urgent"}, None)
        expect_problem(r, 428, "precondition-required", field="header:If-Match")
        for stale in ('"v2"', '"v0"', '"v99"', "v1", '"1"', 'W/"v1"'):
            r = patch(d, coord, path_id, {"urgency": "urgent"}, stale)
            expect_problem(r, 412, "precondition-failed")
        expect_problem(patch(d, coord, path_id, {"person_id": people["david"]}, '"v1"'), 422, "validation-failed",
                       field="/person_id")
        expect_problem(patch(d, coord, path_id, {"wished_unit_kinds": ["castle"]}, '"v1"'), 422,
                       "validation-failed", field="/wished_unit_kinds/0")
        expect_problem(patch(d, coord, path_id, {"situation": None}, '"v1"'), 422, "validation-failed",
                       field="/situation")
        expect_problem(patch(d, coord, path_id, {"status": "submitted"}, '"v1"'), 422, "validation-failed",
                       field="/status")
        expect_problem(patch(d, coord, "not-a-uuid", {"urgency": "urgent"}, '"v1"'), 400, "invalid-id",
                       field="path:id")
        expect_problem(patch(d, coord, MISSING, {"urgency": "urgent"}, '"v1"'), 404, "not-found")
        state.check("refused PATCHes")
        r = patch(d, coord, path_id, {"urgency": "urgent", "wished_towns": ["Tourcoing"], "referent_name": None},
                  '"v1"')
        expect_status(r, 200)
        updated = check_app(r, {"urgency": "urgent", "wished_towns": ["Tourcoing"], "referent_name": None,
                                "wished_unit_kinds": app["wished_unit_kinds"], "situation": SITUATION,
                                "status": "draft", "version": 2}, situation=True)
        check(r.headers.get("etag") == '"v2"', "the new ETag is \"v2\"", r)
        r = get(d, coord, path_id)
        check(r.body == updated, "GET answers the update", r)
        expect_problem(patch(d, coord, path_id, {"urgency": "high"}, '"v1"'), 412, "precondition-failed")
        r = patch(d, tok["care1"], path_id, {"situation": "Mise à jour par l'équipe"}, '"v2"')
        check_app(expect_status(r, 200), {"situation": "Mise à jour par l'équipe", "version": 3}, situation=True)
        r = patch(d, coord, path_id, {}, '"v3"')
        check_app(expect_status(r, 200), {"version": 4}, situation=True)
        apps["alice_draft"] = r.body

    with suite.case("PATCH by a curator: not the situation (422), the rest yes; its answer has no situation"):
        app = apps["bruno_cur1"]
        r = patch(d, tok["cur1"], app["id"], {"situation": "curateur"}, '"v%d"' % app["version"])
        expect_problem(r, 422, "validation-failed", field="/situation")
        r = patch(d, tok["cur1"], app["id"], {"urgency": "urgent", "referent_name": "Mme Curatelle"},
                  '"v%d"' % app["version"])
        check_app(expect_status(r, 200), {"urgency": "urgent", "referent_name": "Mme Curatelle"}, situation=False)
        r = get(d, coord, app["id"])
        check(r.body["situation"] == "Bruno, côté curatelle", "the situation did not change", r)

    with suite.case("PATCH of a scheduled (or withdrawn, approved) application: 409 invalid-state, current_status"):
        r = create(d, coord, {"person_id": people["david"], "situation": "à programmer", "submit": True})
        app = expect_status(r, 201).body
        r = move(d, coord, app["id"], "scheduled", reason="programmée à la main pour le test", force=True)
        app = expect_status(r, 200).body
        check(app["status"] == "scheduled", "forced to scheduled", r)
        state = Unchanged(db)
        r = patch(d, coord, app["id"], {"urgency": "urgent"}, '"v%d"' % app["version"])
        b = expect_problem(r, 409, "invalid-state")
        check(b.get("current_status") == "scheduled", "current_status is scheduled", r)
        r = patch(d, tok["care2"], app["id"], {"situation": "change"}, '"v%d"' % app["version"])
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "scheduled", "current_status", r)
        # a stale ETag is still 412 first
        expect_problem(patch(d, coord, app["id"], {"urgency": "urgent"}, '"v1"'), 412, "precondition-failed")
        state.check("PATCHes of a scheduled application")
        for status in ("approved", "withdrawn"):
            r = move(d, coord, app["id"], status, reason="test", force=True)
            app = expect_status(r, 200).body
            r = patch(d, coord, app["id"], {"urgency": "urgent"}, '"v%d"' % app["version"])
            check(expect_problem(r, 409, "invalid-state").get("current_status") == status, "current_status", r)
        # deferred and submitted are editable
        r = create(d, coord, {"person_id": people["david"], "situation": "ajournée", "submit": True})
        app = expect_status(r, 201).body
        r = patch(d, coord, app["id"], {"urgency": "high"}, '"v1"')
        check_app(expect_status(r, 200), {"status": "submitted", "urgency": "high"}, situation=True)
        app = expect_status(move(d, coord, app["id"], "deferred", reason="test", force=True), 200).body
        r = patch(d, coord, app["id"], {"urgency": "normal"}, '"v%d"' % app["version"])
        check_app(expect_status(r, 200), {"status": "deferred", "urgency": "normal"}, situation=True)

    with suite.case("legal transitions: draft → submitted, every open state → withdrawn; each in the history"):
        # draft → submitted, by the caregiver, sets submitted_at
        app = apps["bruno_care1"]
        r = move(d, tok["care1"], app["id"], "submitted", reason="dossier complet")
        app = check_app(expect_status(r, 200), {"status": "submitted", "waiting_days": 0,
                                                "version": app["version"] + 1}, situation=True)
        check(app["submitted_at"] is not None, "submitted_at is set on submission", r)
        ev = history(d, tok["care1"], app["id"])[-1]
        check((ev["from_status"], ev["to_status"], ev["reason"], ev["role"], ev["forced"], ev["session_id"])
              == ("draft", "submitted", "dossier complet", "caregiver", False, None), "the event: %s" % ev)
        # the curator submits and withdraws its own
        app = apps["bruno_cur1"]
        r = move(d, tok["cur1"], app["id"], "submitted")
        app = check_app(expect_status(r, 200), {"status": "submitted"}, situation=False)
        r = move(d, tok["cur1"], app["id"], "withdrawn", reason="la personne renonce")
        check_app(expect_status(r, 200), {"status": "withdrawn"}, situation=False)
        ev = history(d, tok["cur1"], app["id"])[-1]
        check((ev["from_status"], ev["to_status"], ev["reason"], ev["role"]) ==
              ("submitted", "withdrawn", "la personne renonce", "curator"), "the event: %s" % ev)
        # every open state can be withdrawn by the client
        for status in ("draft", "submitted", "scheduled", "deferred", "approved"):
            r = create(d, coord, {"person_id": people["david"], "situation": "retrait depuis %s" % status})
            one = expect_status(r, 201).body
            if status != "draft":
                one = expect_status(move(d, coord, one["id"], status, reason="mise en état", force=True), 200).body
            r = move(d, tok["care2"], one["id"], "withdrawn")
            check_app(expect_status(r, 200), {"status": "withdrawn"}, situation=True)
            ev = history(d, coord, one["id"])[-1]
            check((ev["from_status"], ev["to_status"], ev["forced"], ev["role"]) ==
                  (status, "withdrawn", False, "caregiver"), "withdrawn from %s: %s" % (status, ev))

    with suite.case("illegal transitions: 409 invalid-state with current_status, nothing changes"):
        draft = expect_status(create(d, coord, {"person_id": people["alice"], "situation": "illégal"}), 201).body
        submitted = expect_status(create(d, coord, {"person_id": people["alice"], "situation": "illégal",
                                                    "submit": True}), 201).body
        withdrawn = expect_status(create(d, coord, {"person_id": people["alice"], "situation": "illégal"}), 201).body
        expect_status(move(d, coord, withdrawn["id"], "withdrawn"), 200)
        state = Unchanged(db)
        cases = [(draft, "draft", ["approved", "refused", "scheduled", "deferred", "placed", "lapsed", "draft"]),
                 (submitted, "submitted", ["draft", "scheduled", "approved", "refused", "deferred", "placed",
                                           "lapsed", "submitted"]),
                 (withdrawn, "withdrawn", ["submitted", "draft", "withdrawn", "approved", "scheduled"])]
        for app, current, targets in cases:
            for to in targets:
                for who in ("coord", "care1"):
                    r = move(d, tok[who], app["id"], to, reason="essai")
                    b = expect_problem(r, 409, "invalid-state")
                    check(b.get("current_status") == current, "current_status is %s" % current, r)
        state.check("illegal transitions")
        expect_problem(move(d, coord, draft["id"], "bogus"), 422, "validation-failed", field="/to")
        r = d.call("POST", "%s/%s/transitions" % (APPS, draft["id"]), token=coord, body={"reason": "x"})
        expect_problem(r, 422, "validation-failed", field="/to")
        r = d.call("POST", "%s/%s/transitions" % (APPS, draft["id"]), token=coord, body={"to": "submitted", "x": 1})
        expect_problem(r, 422, "validation-failed", field="/x")
        expect_problem(move(d, coord, draft["id"], "submitted", reason=""), 422, "validation-failed", field="/reason")
        expect_problem(move(d, coord, "nope", "submitted"), 400, "invalid-id", field="path:id")
        expect_problem(move(d, coord, MISSING, "submitted"), 404, "not-found")
        state.check("refused transition requests")

    with suite.case("forcing: the coordinator with a reason; forced: true in the history; never without reason"):
        app = expect_status(create(d, coord, {"person_id": people["alice"], "situation": "forçage",
                                              "submit": True}), 201).body
        state = Unchanged(db)
        r = move(d, coord, app["id"], "approved", force=True)
        expect_problem(r, 422, "validation-failed", field="/reason")
        r = move(d, coord, app["id"], "approved", reason=None, force=True)
        expect_problem(r, 422, "validation-failed", field="/reason")
        r = d.call("POST", "%s/%s/transitions" % (APPS, app["id"]), token=coord,
                   body={"to": "approved", "force": True, "reason": None})
        expect_problem(r, 422, "validation-failed", field="/reason")
        for who in ("care1", "cur1"):
            r = move(d, tok[who], app["id"], "approved", reason="je force", force=True)
            expect_problem(r, 403, "forbidden")
        r = move(d, tok["care2"], app["id"], "approved", reason="je force", force=True)
        expect_problem(r, 403, "forbidden")  # the role may never force, whatever the application
        expect_problem(move(d, coord, app["id"], "submitted", reason="déjà", force=True), 409, "invalid-state")
        state.check("refused forcing")
        r = move(d, coord, app["id"], "approved", reason="décision prise hors séance (urgence)", force=True)
        app = check_app(expect_status(r, 200), {"status": "approved"}, situation=True)
        check(app["decided_at"] is not None, "decided_at is set when forced to approved", r)
        ev = history(d, coord, app["id"])[-1]
        check((ev["from_status"], ev["to_status"], ev["reason"], ev["forced"], ev["role"]) ==
              ("submitted", "approved", "décision prise hors séance (urgence)", True, "coordinator"),
              "the forced event: %s" % ev)
        # force: false is the ordinary path
        r = move(d, coord, app["id"], "refused", reason="non", force=False)
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "approved", "current_status", r)
        r = move(d, coord, app["id"], "placed", reason="entrée dans le logement", force=True)
        check_app(expect_status(r, 200), {"status": "placed"}, situation=True)
        r = move(d, coord, app["id"], "withdrawn")
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "placed", "placed is not open", r)

    with suite.case("history: every transition, oldest first, with role, reason and forced"):
        app = expect_status(create(d, tok["care1"], {"person_id": people["alice"], "situation": "histoire"}),
                            201).body
        expect_status(move(d, tok["care1"], app["id"], "submitted", reason="prêt"), 200)
        expect_status(move(d, coord, app["id"], "scheduled", reason="ajout manuel", force=True), 200)
        expect_status(move(d, coord, app["id"], "deferred", reason="report", force=True), 200)
        expect_status(move(d, tok["care1"], app["id"], "withdrawn", reason="déménagement"), 200)
        events = history(d, tok["care1"], app["id"])
        got = [(e["from_status"], e["to_status"], e["reason"], e["forced"], e["role"]) for e in events]
        want = [(None, "draft", None, False, "caregiver"),
                ("draft", "submitted", "prêt", False, "caregiver"),
                ("submitted", "scheduled", "ajout manuel", True, "coordinator"),
                ("scheduled", "deferred", "report", True, "coordinator"),
                ("deferred", "withdrawn", "déménagement", False, "caregiver")]
        check(got == want, "history:\n  got  %s\n  want %s" % (got, want))
        check([e["at"] for e in events] == sorted(e["at"] for e in events), "oldest first")
        check(history(d, coord, app["id"]) == events, "the coordinator reads the same history")
        expect_problem(d.call("GET", "%s/%s/history" % (APPS, MISSING), token=coord), 404, "not-found")
        expect_problem(d.call("GET", "%s/nope/history" % APPS, token=coord), 400, "invalid-id", field="path:id")

    with suite.case("the waiting list: status=submitted in submission order, with waiting_days"):
        # the submitted applications of David (team 2), with submission dates moved into the past
        ids = []
        for days in (3, 40, 12):
            r = create(d, coord, {"person_id": people["david"], "situation": "attente %d" % days, "submit": True})
            one = expect_status(r, 201).body
            db.sql("UPDATE applications SET submitted_at = now() - interval '%d days' WHERE id = '%s'"
                   % (days, one["id"]))
            ids.append((days, one["id"]))
        items, _ = list_all(d, coord, "status=submitted")
        check(all(x["status"] == "submitted" for x in items), "only submitted applications")
        stamps = [x["submitted_at"] for x in items]
        check(stamps == sorted(stamps), "oldest submission first: %s" % stamps)
        mine = [x for x in items if x["id"] in [i for _, i in ids]]
        check([(x["id"], x["waiting_days"]) for x in mine] == [(i, days) for days, i in sorted(ids, reverse=True)],
              "the three in order of waiting, with waiting_days 40, 12, 3: %s"
              % [(x["id"], x["waiting_days"]) for x in mine])
        expected = db.sql("SELECT string_agg(id::text, ',' ORDER BY submitted_at, id) FROM applications "
                          "WHERE status = 'submitted'").split(",")
        check([x["id"] for x in items] == expected, "exactly the submitted applications of the commission")
        team2 = list_all(d, tok["care2"], "status=submitted")[0]
        check([x["id"] for x in team2] == [x["id"] for x in items if x["person"]["id"] in
                                           (people["chloe"], people["david"])],
              "care team 2's waiting list is the same order, its people only")
        drafts = list_all(d, coord, "status=draft")[0]
        check(drafts and all(x["status"] == "draft" and x["waiting_days"] is None for x in drafts),
              "status=draft: drafts, waiting_days null")
        by_person = list_all(d, coord, "person_id=%s" % people["bruno"])[0]
        check(by_person and all(x["person"]["id"] == people["bruno"] for x in by_person), "person_id filter")
        both = list_all(d, coord, "person_id=%s&status=withdrawn" % people["bruno"])[0]
        check([x["id"] for x in both] == [apps["bruno_cur1"]["id"]], "person_id and status together")
        check(list_all(d, tok["care1"], "person_id=%s" % people["david"])[0] == [],
              "filtering on a person outside the scope lists nothing")

    with suite.case("pagination: limit pages walk the whole list once, in order; bad parameters are 400"):
        whole, pages = list_all(d, coord, limit=200)
        check(pages == 1, "one page of 200 holds them all")
        for limit in (1, 2, 3, 7):
            items, pages = list_all(d, coord, limit=limit)
            check([x["id"] for x in items] == [x["id"] for x in whole],
                  "pages of %d: the same items in the same order" % limit)
            check(pages >= len(whole) // limit, "pages of %d: %d pages" % (limit, pages))
        items, _ = list_all(d, coord, "status=submitted", limit=2)
        check([x["id"] for x in items] == [x["id"] for x in list_all(d, coord, "status=submitted")[0]],
              "the waiting list by pages of 2")
        r = d.call("GET", APPS + "?limit=500", token=coord)
        check(expect_status(r, 200) and len(r.body["items"]) == len(whole), "a limit over 200 is clamped", r)
        r = d.call("GET", APPS, token=coord)
        check(len(r.body["items"]) == min(50, len(whole)), "default limit 50", r)
        for query, field in [("limit=0", "query:limit"), ("limit=-1", "query:limit"), ("limit=x", "query:limit"),
                             ("cursor=notacursor!", "query:cursor"), ("cursor=WyJ4Il0", "query:cursor"),
                             ("status=pending", "query:status"), ("person_id=42", "query:person_id"),
                             ("colour=blue", "query:colour")]:
            expect_problem(d.call("GET", APPS + "?" + query, token=coord), 400, "invalid-query", field=field)

    with suite.case("Idempotency-Key: a retry replays the first 201; another body is 409; one application"):
        sent = {"person_id": people["alice"], "situation": "idempotente", "submit": True}
        before = int(db.sql("SELECT count(*) FROM applications"))
        r1 = create(d, tok["care1"], sent, key="demande-alice-1")
        first = check_app(expect_status(r1, 201), {"status": "submitted"}, situation=True)
        r2 = create(d, tok["care1"], dict(reversed(list(sent.items()))), key="demande-alice-1")
        expect_status(r2, 201)
        check(r2.body == first, "the replay is the first answer", r2)
        check(r2.headers.get("location") == r1.headers.get("location"), "same Location", r2)
        check(r2.headers.get("etag") == r1.headers.get("etag"), "same ETag", r2)
        check(r2.headers.get("idempotent-replayed") == "true", "Idempotent-Replayed: true", r2)
        check(int(db.sql("SELECT count(*) FROM applications")) == before + 1, "one application created")
        check(len(history(d, coord, first["id"])) == 1, "one creation event")
        r3 = create(d, tok["care1"], dict(sent, situation="autre"), key="demande-alice-1")
        expect_problem(r3, 409, "idempotency-key-reused", field="header:Idempotency-Key")
        r4 = create(d, coord, sent, key="demande-alice-1")
        check(expect_status(r4, 201).body["id"] != first["id"], "another token's key is its own", r4)
        expect_problem(create(d, coord, sent, key="é"), 422, "validation-failed", field="header:Idempotency-Key")

    with suite.case("a refused creation (422 /person_id) leaves no Idempotency-Key: corrected, the same key creates"):
        # The contract (api/openapi.yaml, "Creations: Idempotency-Key"): "a request that was refused (4xx) ...
        # leaves no trace, and may be corrected and sent again under the same key".
        keys = lambda: db.sql("SELECT count(*) FROM idempotency_keys WHERE key = 'corrigee-1'")
        wrong = {"person_id": people["david"], "situation": "mauvaise personne"}
        r = create(d, tok["care1"], wrong, key="corrigee-1")
        expect_problem(r, 422, "validation-failed", field="/person_id")
        check(keys() == "0", "the refused creation left its Idempotency-Key stored (%s row)" % keys())
        r = create(d, tok["care1"], wrong, key="corrigee-1")
        expect_problem(r, 422, "validation-failed", field="/person_id")
        r = create(d, tok["care1"], dict(wrong, person_id=people["alice"]), key="corrigee-1")
        check_app(expect_status(r, 201), {"situation": "mauvaise personne"}, situation=True)

    with suite.case("invalid ids: 400 invalid-id on every /v1/applications/{id} route"):
        for method, suffix, payload in [("GET", "", None), ("PATCH", "", {"urgency": "high"}),
                                        ("GET", "/history", None), ("POST", "/transitions", {"to": "submitted"})]:
            r = d.call(method, "%s/not-a-uuid%s" % (APPS, suffix), token=coord, body=payload,
                       headers={"If-Match": '"v1"'} if method == "PATCH" else None)
            expect_problem(r, 400, "invalid-id", field="path:id")


def run_timezone_case(suite, db_prefix):
    """The waiting list pages the same whatever the database's time zone (a French deployment sets
    Europe/Paris)."""
    with suite.case("pagination in a database whose time zone is Europe/Paris: every page, nothing skipped"):
        with Database(prefix=db_prefix) as db:
            c = db.commission_create("Commission Paris")
            team = db.organisation_create(c, "care_team", "Équipe")
            coord = db.token_create(c, "coordinator").token
            db.sql("ALTER DATABASE \"%s\" SET timezone TO 'Europe/Paris'" % db.name)
            with Daemon(db) as d:
                person = make_person(d, db, c, coord, "Fuseau", "Horaire", "1970-01-01", team)
                made = []
                for i in range(4):
                    r = create(d, coord, {"person_id": person, "situation": "tz %d" % i, "submit": True})
                    made.append(expect_status(r, 201).body["id"])
                whole, _ = list_all(d, coord, "status=submitted")
                check([x["id"] for x in whole] == made, "one page: the four in submission order")
                paged, pages = list_all(d, coord, "status=submitted", limit=1)
                check([x["id"] for x in paged] == made,
                      "pages of 1 must list the same four; got %d item(s) in %d page(s): %s"
                      % (len(paged), pages, [x["id"] for x in paged]))
                d.stop()


ROUTES = set()

if __name__ == "__main__":
    Suite("http-applications").main(body)
