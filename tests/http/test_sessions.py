#!/usr/bin/env python3
"""/v1/sessions: the quarterly sessions of the commission, their agenda, decisions, attendance and minutes.

Creation, update, opening, closing, attendance, agenda work and decisions are the coordinator's (403 for every
other role); every role of the commission reads sessions, agendas and minutes; another commission's session is
404. The agenda build schedules every submitted and deferred application (urgent first, then by waiting time)
and moves each to scheduled (history with the session); a removed undecided item sends its application back to
submitted. Decisions (approve with a unit, refuse with a reason, defer) need an open session and move the
application in the same transaction; one decision per item, also under concurrency. Closing needs every item
decided, or {"defer_undecided": true}. A closed session is frozen; a correction is a new, linked decision that
moves the application (forced in its history), once per decision. Minutes as JSON or, for Accept: text/html, as
an HTML page that escapes what it prints. Readers see the people they may see, and "Dossier n° N" otherwise.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, TIMESTAMP_RE, UUID_RE, Daemon, Database, Suite, check, env,  # noqa: E402
                     expect_problem, expect_status, http_call, leaks)

SESSIONS = "/v1/sessions"
APPS = "/v1/applications"
MISSING = "00000000-0000-4000-8000-000000000000"
SESSION_MEMBERS = {"id", "session_date", "town", "place", "chair_name", "chair_title", "status", "opened_at",
                   "closed_at", "version", "created_at", "updated_at"}
ITEM_MEMBERS = {"id", "position", "kind", "note", "application", "decision"}
ITEM_APP_MEMBERS = {"id", "status", "urgency", "wished_unit_kinds", "wished_towns", "submitted_at", "waiting_days",
                    "person"}
DECISION_MEMBERS = {"id", "outcome", "unit_id", "unit_label", "unit_town", "refusal_reason", "comment",
                    "decided_on", "recorded_at", "corrects_decision_id"}
MINUTES_DECISION_MEMBERS = {"number", "position", "label", "person", "application_id", "decision_id", "outcome", "unit_label",
                            "unit_town", "refusal_reason", "comment", "decided_on", "recorded_at",
                            "corrects_decision_id"}
SCRIPT_NAME = "<script>alert('pv')</script>"
CHAIR = "Mme Claire Dupont & <i>fils</i>"


# ---------------------------------------------------------------------------------------------------------------
# Fixtures


def served_routes():
    out = subprocess.run([env("COMMISSIOND_BIN"), "--routes"], capture_output=True, text=True, timeout=30).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


ROUTES = set()


def sql_text(value):
    return "NULL" if value is None else "'%s'" % str(value).replace("'", "''")


def make_person(d, db, commission, coord, family, given, birth, team, protection="none", curator=None):
    """A person, through POST /v1/people when the daemon serves it, else inserted with psql."""
    if "POST /v1/people" in ROUTES:
        body = {"family_name": family, "given_names": given, "birth_date": birth, "care_team_id": team,
                "protection": protection, "curator_org_id": curator, "confirm_duplicate": True}
        r = d.call("POST", "/v1/people", token=coord, body=body)
        expect_status(r, 201)
        return r.body["id"]
    return db.sql("INSERT INTO people (commission_id, family_name, given_names, birth_date, care_team_id, protection, "
                  "curator_org_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
                  % tuple(sql_text(v) for v in (commission, family, given, birth, team, protection, curator)))


def make_unit(d, db, commission, coord, label, town, landlord, status="available"):
    """A unit, through POST /v1/units when the daemon serves it, else inserted with psql."""
    if "POST /v1/units" in ROUTES:
        body = {"kind": "hlm_apartment", "label": label, "address": "1 rue de l'Exemple", "town": town,
                "landlord_org_id": landlord, "places": 1, "rent_cents": 42000, "charges_cents": 5000,
                "deposit_cents": 42000, "status": status}
        r = d.call("POST", "/v1/units", token=coord, body=body)
        expect_status(r, 201)
        return r.body["id"]
    return db.sql("INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, places, rent_cents, "
                  "charges_cents, deposit_cents, status) VALUES (%s, 'hlm_apartment', %s, '1 rue de l''Exemple', %s, "
                  "%s, 1, 42000, 5000, 42000, %s) RETURNING id"
                  % tuple(sql_text(v) for v in (commission, label, town, landlord, status)))


def spath(sid, suffix=""):
    return "%s/%s%s" % (SESSIONS, sid, suffix)


def check_session(r, expected):
    b = r.body
    check(isinstance(b, dict) and SESSION_MEMBERS <= set(b), "members of a Session: %s" % sorted(SESSION_MEMBERS), r)
    check(set(b) - SESSION_MEMBERS <= {"attendees"}, "no other member than attendees", r)
    check(UUID_RE.match(b["id"]), "id is a lower-case UUID", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is a timestamp" % k, r)
    for k in ("opened_at", "closed_at"):
        check(b[k] is None or TIMESTAMP_RE.match(b[k]), "%s is null or a timestamp" % k, r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is \"v<version>\"", r)
    for k, v in expected.items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    return b


def check_agenda(r, session_id):
    """R is an Agenda of SESSION_ID: {session, items} with the members of each item; returns the items."""
    b = r.body
    check(isinstance(b, dict) and set(b) == {"session", "items"}, "an agenda is {session, items}", r)
    check(b["session"]["id"] == session_id and SESSION_MEMBERS == set(b["session"]), "the agenda's session", r)
    for item in b["items"]:
        check(set(item) == ITEM_MEMBERS, "members of an agenda item: %s" % sorted(ITEM_MEMBERS), r)
        check(item["kind"] == "application", "kind application", r)
        app = item["application"]
        check(set(app) - {"situation"} == ITEM_APP_MEMBERS, "members of an item's application", r)
        check(app["person"] is None or set(app["person"]) == {"id", "family_name", "given_names", "birth_date"},
              "person is null or {id, family_name, given_names, birth_date}", r)
        if "situation" in app:
            check(app["person"] is not None, "a situation only with a visible person", r)
        if item["decision"] is not None:
            check(set(item["decision"]) == DECISION_MEMBERS, "members of a decision", r)
            check(TIMESTAMP_RE.match(item["decision"]["recorded_at"]), "recorded_at is a timestamp", r)
            check(item["decision"]["decided_on"] == b["session"]["session_date"], "decided_on is the session's date",
                  r)
    positions = [(i["position"]) for i in b["items"]]
    check(positions == sorted(positions), "items in position order", r)
    return b["items"]


def agenda(d, token, sid):
    r = d.call("GET", spath(sid, "/agenda"), token=token)
    expect_status(r, 200)
    return check_agenda(r, sid)


def item_of(items, app_id):
    found = [i for i in items if i["application"]["id"] == app_id]
    check(len(found) == 1, "application %s is %d times on the agenda" % (app_id, len(found)))
    return found[0]


def app_status(d, token, app_id):
    r = d.call("GET", "%s/%s" % (APPS, app_id), token=token)
    expect_status(r, 200)
    return r.body["status"]


def last_event(d, token, app_id):
    r = d.call("GET", "%s/%s/history" % (APPS, app_id), token=token)
    expect_status(r, 200)
    return r.body["items"][-1]


def decide(d, token, sid, item_id, outcome, **extra):
    body = {"agenda_item_id": item_id, "outcome": outcome}
    body.update(extra)
    return d.call("POST", spath(sid, "/decisions"), token=token, body=body)


class Unchanged:
    """The rows a refused session request must leave alone."""

    TABLES = ("sessions", "session_attendees", "agenda_items", "decisions", "applications", "application_events",
              "idempotency_keys")

    def __init__(self, db):
        self.db = db
        self.base = self.snapshot()

    def snapshot(self):
        counts = " || ' ' || ".join("(SELECT count(*) FROM %s)" % t for t in self.TABLES)
        return self.db.sql(
            "SELECT %s || ' ' || (SELECT coalesce(string_agg(id::text || status || version::text, ';' ORDER BY id), '') FROM "
            "sessions) || ' ' || (SELECT coalesce(string_agg(id::text || status || version::text, ';' ORDER BY id), '') FROM "
            "applications) || ' ' || (SELECT coalesce(string_agg(id::text || position::text || coalesce(note, '-'), ';' ORDER BY "
            "id), '') FROM agenda_items) || ' ' || (SELECT coalesce(string_agg(name || position::text, ';' ORDER BY id), "
            "'') FROM session_attendees)" % counts)

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
            "land": db.organisation_create(a, "landlord", "Bailleur A"),
            "teamB": db.organisation_create(b, "care_team", "Équipe de B"),
            "landB": db.organisation_create(b, "landlord", "Bailleur B"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination A").token,
            "care1": db.token_create(a, "caregiver", scope=org["team1"], label="soignant 1").token,
            "care2": db.token_create(a, "caregiver", scope=org["team2"], label="soignant 2").token,
            "cur1": db.token_create(a, "curator", scope=org["cur1"], label="curateur 1").token,
            "landlord": db.token_create(a, "landlord", scope=org["land"], label="bailleur").token,
            "observer": db.token_create(a, "observer", label="observateur").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
            "careB": db.token_create(b, "caregiver", scope=org["teamB"], label="soignant B").token,
        }
        with Daemon(db, threads=4) as d:
            coord = tok["coord"]
            w = {"a": a, "b": b, "org": org, "tok": tok}
            w["people"] = {
                "alice": make_person(d, db, a, coord, "Martin", "Alice", "1980-02-03", org["team1"]),
                "bruno": make_person(d, db, a, coord, "Bernard", "Bruno", "1971-05-06", org["team1"],
                                     "curatelle_renforcee", org["cur1"]),
                "chloe": make_person(d, db, a, coord, "Petit", "Chloé", "1990-08-09", org["team2"], "tutelle",
                                     org["cur1"]),
                "david": make_person(d, db, a, coord, "Durand", "David", "1965-11-12", org["team2"]),
                "eve": make_person(d, db, a, coord, SCRIPT_NAME, "Ève & Co", "1999-12-31", org["team1"]),
                "xavier": make_person(d, db, b, tok["coordB"], "Autre", "Xavier", "1977-01-01", org["teamB"]),
            }
            w["team_of"] = {w["people"][k]: t for k, t in [("alice", "team1"), ("bruno", "team1"),
                                                          ("chloe", "team2"), ("david", "team2"),
                                                          ("eve", "team1")]}
            w["protected"] = {w["people"]["bruno"], w["people"]["chloe"]}
            w["units"] = {
                "lilas": make_unit(d, db, a, coord, "Appartement des Lilas", "Lille", org["land"]),
                "closed": make_unit(d, db, a, coord, "Logement retiré", "Roubaix", org["land"], "withdrawn"),
                "b": make_unit(d, db, b, tok["coordB"], "Logement de B", "Tourcoing", org["landB"]),
            }
            run_cases(suite, d, db, w)
            with suite.case("no response holds SQL or PostgreSQL's words"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (wd, r.method, r.path, r.status, r.text[:300]) for r, wd in found))
            with suite.case("no answer was a 5xx, no database error was logged"):
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
                check("database error" not in d.log_text(), "a database error was logged:\n" + "\n".join(
                    line for line in d.log_text().splitlines() if "database error" in line))
            d.stop()


def new_app(d, token, person, situation, urgency="normal", submit=True):
    r = d.call("POST", APPS, token=token, body={"person_id": person, "situation": situation, "urgency": urgency,
                                                "submit": submit})
    expect_status(r, 201)
    return r.body["id"]


def run_cases(suite, d, db, w):
    tok, people, units = w["tok"], w["people"], w["units"]
    coord = tok["coord"]
    readers = ("coord", "care1", "care2", "cur1", "landlord", "observer")
    others = ("care1", "care2", "cur1", "landlord", "observer")
    s = {}    # sessions by label
    app = {}  # applications by label
    dec = {}  # decisions by label

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("create: coordinator only; 201, Location, ETag \"v1\", planned; others 403"):
        sent = {"session_date": "2026-03-12", "town": "Villeneuve-d'Ascq", "place": "Mairie, salle du conseil",
                "chair_name": "Mme la Maire", "chair_title": "Maire adjointe à la santé"}
        state = Unchanged(db)
        for who in others:
            expect_problem(d.call("POST", SESSIONS, token=tok[who], body=sent), 403, "forbidden")
        state.check("creations by other roles")
        r = d.call("POST", SESSIONS, token=coord, body=sent)
        expect_status(r, 201)
        main = check_session(r, dict(sent, status="planned", opened_at=None, closed_at=None, version=1))
        check(set(main) == SESSION_MEMBERS, "a created session has no attendees member", r)
        check(r.headers.get("location") == spath(main["id"]), "Location is the new session's path", r)
        s["main"] = main
        r = d.call("POST", SESSIONS, token=coord, body={"session_date": "2027-06-14", "town": "Lille",
                                                         "chair_name": "M. le Maire"})
        s["planned"] = check_session(expect_status(r, 201), {"place": None, "chair_title": None,
                                                              "status": "planned"})
        r = d.call("POST", SESSIONS, token=coord, body={"session_date": "2026-12-07", "town": "Roubaix",
                                                         "chair_name": "Mme l'Adjointe", "place": None,
                                                         "chair_title": None})
        s["earlier"] = check_session(expect_status(r, 201), {"place": None})
        r = d.call("POST", SESSIONS, token=tok["coordB"], body={"session_date": "2027-03-15", "town": "Ailleurs",
                                                                 "chair_name": "Président B"})
        s["b"] = check_session(expect_status(r, 201), {})

    with suite.case("create: validation names each field and creates nothing; Idempotency-Key replays"):
        state = Unchanged(db)
        ok = {"session_date": "2027-09-13", "town": "Hem", "chair_name": "Mme X"}
        for sent, fields in [({}, ["/session_date", "/town", "/chair_name"]),
                             (dict(ok, session_date="2027-13-01"), ["/session_date"]),
                             (dict(ok, session_date="13/09/2027"), ["/session_date"]),
                             (dict(ok, town=""), ["/town"]), (dict(ok, town="t" * 101), ["/town"]),
                             (dict(ok, chair_name=None), ["/chair_name"]), (dict(ok, place="p" * 301), ["/place"]),
                             (dict(ok, chair_title="t" * 201), ["/chair_title"]),
                             (dict(ok, status="open"), ["/status"]), (dict(ok, colour="bleu"), ["/colour"])]:
            expect_problem(d.call("POST", SESSIONS, token=coord, body=sent), 422, "validation-failed", fields=fields)
        state.check("refused session creations")
        r1 = d.call("POST", SESSIONS, token=coord, body=ok, headers={"Idempotency-Key": "seance-sept"})
        first = check_session(expect_status(r1, 201), ok)
        r2 = d.call("POST", SESSIONS, token=coord, body=ok, headers={"Idempotency-Key": "seance-sept"})
        check(expect_status(r2, 201).body == first and r2.headers.get("idempotent-replayed") == "true"
              and r2.headers.get("location") == r1.headers.get("location"), "the retry replays the first 201", r2)
        r3 = d.call("POST", SESSIONS, token=coord, body=dict(ok, town="Croix"),
                    headers={"Idempotency-Key": "seance-sept"})
        expect_problem(r3, 409, "idempotency-key-reused")
        check(db.sql("SELECT count(*) FROM sessions WHERE town = 'Hem'") == "1", "one session created")
        s["sept"] = first

    with suite.case("list and get: every role of the commission reads sessions; another commission's is 404"):
        mine = sorted([s[k] for k in ("main", "planned", "earlier", "sept")],
                      key=lambda x: (x["session_date"], x["id"]))
        for who in readers:
            r = d.call("GET", SESSIONS, token=tok[who])
            expect_status(r, 200)
            check(set(r.body) == {"items", "next_cursor"} and r.body["next_cursor"] is None, "a list", r)
            check([x["id"] for x in r.body["items"]] == [x["id"] for x in mine],
                  "%s lists the commission's sessions by date" % who, r)
            r = d.call("GET", spath(s["main"]["id"]), token=tok[who])
            got = check_session(expect_status(r, 200), {"id": s["main"]["id"], "attendees": []})
            check(set(got) == SESSION_MEMBERS | {"attendees"}, "GET has the attendees", r)
            expect_problem(d.call("GET", spath(s["b"]["id"]), token=tok[who]), 404, "not-found")
            expect_problem(d.call("GET", spath(MISSING), token=tok[who]), 404, "not-found")
        r = d.call("GET", SESSIONS, token=tok["coordB"])
        check([x["id"] for x in r.body["items"]] == [s["b"]["id"]], "commission B lists its own only", r)
        expect_problem(d.call("GET", spath(s["main"]["id"]), token=tok["coordB"]), 404, "not-found")
        expect_problem(d.call("GET", spath(s["main"]["id"]), token=tok["careB"]), 404, "not-found")
        r = d.call("GET", SESSIONS + "?status=planned&limit=1", token=tok["observer"])
        seen, pages = [], 0
        while True:
            expect_status(r, 200)
            check(len(r.body["items"]) <= 1, "limit=1", r)
            seen += [x["id"] for x in r.body["items"]]
            pages += 1
            if r.body["next_cursor"] is None:
                break
            r = d.call("GET", SESSIONS + "?status=planned&limit=1&cursor=" + r.body["next_cursor"],
                       token=tok["observer"])
        check(seen == [x["id"] for x in mine], "pages of 1 list every planned session once, in order: %s" % seen)
        r = d.call("GET", SESSIONS + "?status=closed", token=coord)
        check(expect_status(r, 200).body["items"] == [], "no closed session yet", r)
        for query, field in [("status=done", "query:status"), ("limit=0", "query:limit"),
                             ("cursor=xyz!", "query:cursor"), ("town=Lille", "query:town")]:
            expect_problem(d.call("GET", SESSIONS + "?" + query, token=coord), 400, "invalid-query", field=field)
        expect_problem(d.call("GET", spath("not-a-uuid"), token=coord), 400, "invalid-id", field="path:id")

    with suite.case("PATCH: coordinator only, If-Match (428, 412), 200 changes what is sent"):
        sid = s["planned"]["id"]
        state = Unchanged(db)
        for who in others:
            r = d.call("PATCH", spath(sid), token=tok[who], body={"town": "Hem"}, headers={"If-Match": '"v1"'})
            expect_problem(r, 403, "forbidden")
        expect_problem(d.call("PATCH", spath(sid), token=coord, body={"town": "Hem"}), 428, "precondition-required",
                       field="header:If-Match")
        for stale in ('"v2"', "v1", 'W/"v1"'):
            r = d.call("PATCH", spath(sid), token=coord, body={"town": "Hem"}, headers={"If-Match": stale})
            expect_problem(r, 412, "precondition-failed")
        for sent, field in [({"town": None}, "/town"), ({"status": "open"}, "/status"),
                            ({"session_date": "demain"}, "/session_date"), ({"chair_name": ""}, "/chair_name")]:
            r = d.call("PATCH", spath(sid), token=coord, body=sent, headers={"If-Match": '"v1"'})
            expect_problem(r, 422, "validation-failed", field=field)
        r = d.call("PATCH", spath(s["b"]["id"]), token=coord, body={"town": "Hem"}, headers={"If-Match": '"v1"'})
        expect_problem(r, 404, "not-found")
        state.check("refused PATCHes")
        r = d.call("PATCH", spath(sid), token=coord, body={"place": "Salle des fêtes", "chair_title": "Maire"},
                   headers={"If-Match": '"v1"'})
        got = check_session(expect_status(r, 200), {"place": "Salle des fêtes", "chair_title": "Maire",
                                                    "town": "Lille", "session_date": "2027-06-14", "version": 2,
                                                    "status": "planned"})
        r = d.call("PATCH", spath(sid), token=coord, body={"place": None}, headers={"If-Match": '"v2"'})
        got = check_session(expect_status(r, 200), {"place": None, "chair_title": "Maire", "version": 3})
        r = d.call("GET", spath(sid), token=tok["observer"])
        check(expect_status(r, 200).headers.get("etag") == '"v3"' and r.body["place"] is None, "GET sees it", r)
        s["planned"] = got

    with suite.case("agenda build: every submitted and deferred application, urgent first, then by waiting"):
        sid = s["main"]["id"]
        app["old"] = new_app(d, coord, people["alice"], "Alice attend depuis longtemps")
        app["eve"] = new_app(d, tok["care1"], people["eve"], "Ève, sortie d'hospitalisation")
        app["def"] = new_app(d, coord, people["chloe"], "Chloé, ajournée à la dernière séance")
        app["urgent"] = new_app(d, tok["care2"], people["david"], "David, expulsion imminente", urgency="urgent")
        app["high"] = new_app(d, tok["care1"], people["bruno"], "Bruno, logement insalubre", urgency="high")
        app["draft"] = new_app(d, coord, people["alice"], "brouillon", submit=False)
        app["approved"] = new_app(d, coord, people["david"], "déjà accordée")
        app["lapse"] = new_app(d, coord, people["alice"], "accordée il y a longtemps")
        for label, days in (("old", 30), ("eve", 20), ("def", 10)):
            db.sql("UPDATE applications SET submitted_at = now() - interval '%d days' WHERE id = '%s'"
                   % (days, app[label]))
        for label, to in (("def", "deferred"), ("approved", "approved"), ("lapse", "approved")):
            r = d.call("POST", "%s/%s/transitions" % (APPS, app[label]), token=coord,
                       body={"to": to, "reason": "état de départ du test", "force": True})
            expect_status(r, 200)
        db.sql("UPDATE applications SET decided_at = now() - interval '400 days', decided_on = current_date - 400 "
               "WHERE id = '%s'" % app["lapse"])
        state = Unchanged(db)
        for who in others:
            expect_problem(d.call("POST", spath(sid, "/agenda/build"), token=tok[who]), 403, "forbidden")
        expect_problem(d.call("POST", spath(s["b"]["id"], "/agenda/build"), token=coord), 404, "not-found")
        expect_problem(d.call("POST", spath(MISSING, "/agenda/build"), token=coord), 404, "not-found")
        state.check("refused builds")
        r = d.call("POST", spath(sid, "/agenda/build"), token=coord)
        items = check_agenda(expect_status(r, 200), sid)
        order = [i["application"]["id"] for i in items]
        want = [app[k] for k in ("urgent", "high", "old", "eve", "def")]
        check(order == want, "agenda order (urgent, high, then oldest first):\n  got  %s\n  want %s"
              % (order, want), r)
        check([i["position"] for i in items] == [1, 2, 3, 4, 5], "positions 1..5", r)
        for i in items:
            check(i["application"]["status"] == "scheduled" and i["decision"] is None and i["note"] is None,
                  "each item scheduled, undecided, without note", r)
        for label in ("urgent", "high", "old", "eve", "def"):
            check(app_status(d, coord, app[label]) == "scheduled", "%s is scheduled" % label)
            ev = last_event(d, coord, app[label])
            check((ev["from_status"], ev["to_status"], ev["session_id"], ev["role"], ev["forced"]) ==
                  ("deferred" if label == "def" else "submitted", "scheduled", sid, "coordinator", False),
                  "the history of %s shows the session: %s" % (label, ev))
        check(app_status(d, coord, app["draft"]) == "draft", "a draft is not scheduled")
        check(app_status(d, coord, app["approved"]) == "approved", "a recent approval stays approved")
        check(app_status(d, coord, app["lapse"]) == "lapsed", "an approval older than lapse_days lapsed at the build")
        ev = last_event(d, coord, app["lapse"])
        check((ev["from_status"], ev["to_status"], ev["role"]) == ("approved", "lapsed", "system"),
              "the lapse is recorded as the system's: %s" % ev)
        r2 = d.call("POST", spath(sid, "/agenda/build"), token=coord)
        check([i["id"] for i in check_agenda(expect_status(r2, 200), sid)] == [i["id"] for i in items],
              "building again adds nothing", r2)
        r3 = d.call("GET", spath(sid, "/agenda"), token=coord)
        check(expect_status(r3, 200).body == r2.body, "GET agenda answers the same document", r3)
        s["items"] = {label: item_of(items, app[label])["id"] for label in ("urgent", "high", "old", "eve", "def")}

    with suite.case("add an application by hand: 201, at the end, scheduled; refusals are 409 / 422"):
        sid = s["main"]["id"]
        app["late"] = new_app(d, coord, people["alice"], "Alice, dossier arrivé tard")
        app["b"] = new_app(d, tok["coordB"], people["xavier"], "commission B")
        state = Unchanged(db)
        add = lambda token, payload, session=sid: d.call("POST", spath(session, "/agenda/items"), token=token,
                                                          body=payload)
        for who in others:
            expect_problem(add(tok[who], {"application_id": app["late"]}), 403, "forbidden")
        r = add(coord, {"application_id": app["draft"]})
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "draft", "current_status draft", r)
        r = add(coord, {"application_id": app["old"]})
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "scheduled", "already scheduled", r)
        r = add(coord, {"application_id": app["approved"]})
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "approved", "approved", r)
        expect_problem(add(coord, {"application_id": MISSING}), 422, "validation-failed", field="/application_id")
        expect_problem(add(coord, {"application_id": app["b"]}), 422, "validation-failed", field="/application_id")
        expect_problem(add(coord, {}), 422, "validation-failed", field="/application_id")
        expect_problem(add(coord, {"application_id": app["late"], "position": 1}), 422, "validation-failed",
                       field="/position")
        expect_problem(add(coord, {"application_id": app["late"]}, MISSING), 404, "not-found")
        expect_problem(add(coord, {"application_id": app["late"]}, s["b"]["id"]), 404, "not-found")
        state.check("refused additions")
        r = add(coord, {"application_id": app["late"], "note": "ajouté en séance"})
        items = check_agenda(expect_status(r, 201), sid)
        last = items[-1]
        check(last["application"]["id"] == app["late"] and last["position"] == 6 and last["note"] == "ajouté en séance"
              and last["application"]["status"] == "scheduled", "the new item is last, with its note", r)
        ev = last_event(d, coord, app["late"])
        check((ev["from_status"], ev["to_status"], ev["session_id"]) == ("submitted", "scheduled", sid),
              "the history shows the session: %s" % ev)
        s["items"]["late"] = last["id"]

    with suite.case("adjust an item: position and note; unknown item 404; coordinator only"):
        sid = s["main"]["id"]
        item = s["items"]["urgent"]
        path = spath(sid, "/agenda/items/%s" % item)
        for who in others:
            expect_problem(d.call("PATCH", path, token=tok[who], body={"note": "x"}), 403, "forbidden")
        expect_problem(d.call("PATCH", path, token=coord, body={"position": 0}), 422, "validation-failed",
                       field="/position")
        expect_problem(d.call("PATCH", path, token=coord, body={"colour": 1}), 422, "validation-failed",
                       field="/colour")
        expect_problem(d.call("PATCH", spath(sid, "/agenda/items/%s" % MISSING), token=coord, body={"note": "x"}),
                       404, "not-found")
        r = d.call("PATCH", path, token=coord, body={"position": 50, "note": "à examiner en dernier"})
        items = check_agenda(expect_status(r, 200), sid)
        check(items[-1]["id"] == item and items[-1]["position"] == 50 and items[-1]["note"] ==
              "à examiner en dernier", "moved last with its note", r)
        r = d.call("PATCH", path, token=coord, body={"position": 1, "note": None})
        items = check_agenda(expect_status(r, 200), sid)
        check(items[0]["id"] == item and items[0]["note"] is None, "back first, note cleared", r)

    with suite.case("remove an undecided item: its application is submitted again, with the event"):
        sid = s["main"]["id"]
        item = s["items"]["late"]
        path = spath(sid, "/agenda/items/%s" % item)
        for who in others:
            expect_problem(d.call("DELETE", path, token=tok[who]), 403, "forbidden")
        r = d.call("DELETE", path, token=coord)
        items = check_agenda(expect_status(r, 200), sid)
        check(app["late"] not in [i["application"]["id"] for i in items], "the item is gone", r)
        check(app_status(d, coord, app["late"]) == "submitted", "the application waits again")
        ev = last_event(d, coord, app["late"])
        check((ev["from_status"], ev["to_status"], ev["session_id"], ev["reason"]) ==
              ("scheduled", "submitted", sid, "taken off the agenda"), "the event: %s" % ev)
        expect_problem(d.call("DELETE", path, token=coord), 404, "not-found")
        expect_problem(d.call("DELETE", spath(s["b"]["id"], "/agenda/items/%s" % item), token=coord), 404,
                       "not-found")
        del s["items"]["late"]

    with suite.case("decisions need an open session: planned → 409 invalid-state; open: coordinator only"):
        sid = s["main"]["id"]
        state = Unchanged(db)
        r = decide(d, coord, sid, s["items"]["urgent"], "approve", unit_id=units["lilas"])
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "planned", "current_status", r)
        for who in others:
            expect_problem(d.call("POST", spath(sid, "/open"), token=tok[who]), 403, "forbidden")
        expect_problem(d.call("POST", spath(s["b"]["id"], "/open"), token=coord), 404, "not-found")
        r = d.call("POST", spath(sid, "/close"), token=coord)
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "planned", "a planned session "
              "cannot be closed", r)
        expect_problem(d.call("POST", spath(sid, "/open"), token=coord, body={"x": 1}), 415,
                       "unsupported-media-type")
        state.check("refused decisions and openings")
        r = d.call("POST", spath(sid, "/open"), token=coord)
        got = check_session(expect_status(r, 200), {"status": "open", "closed_at": None,
                                                    "version": s["main"]["version"] + 1})
        check(got["opened_at"] is not None, "opened_at is set", r)
        r = d.call("POST", spath(sid, "/open"), token=coord)
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "open", "open twice", r)
        s["main"] = got

    with suite.case("decisions: approve with a unit, refuse with a reason, defer; the application moves"):
        sid = s["main"]["id"]
        items = s["items"]
        state = Unchanged(db)
        for who in others:
            expect_problem(decide(d, tok[who], sid, items["urgent"], "approve"), 403, "forbidden")
        for outcome, extra, field in [
                ("refuse", {}, "/refusal_reason"),
                ("refuse", {"refusal_reason": "no_suitable_unit", "unit_id": units["lilas"]}, "/unit_id"),
                ("approve", {"refusal_reason": "other"}, "/refusal_reason"),
                ("defer", {"unit_id": units["lilas"]}, "/unit_id"),
                ("defer", {"refusal_reason": "other"}, "/refusal_reason"),
                ("refuse", {"refusal_reason": "too_late"}, "/refusal_reason"),
                ("maybe", {}, "/outcome"),
                ("approve", {"unit_id": units["closed"]}, "/unit_id"),
                ("approve", {"unit_id": MISSING}, "/unit_id"),
                ("approve", {"unit_id": units["b"]}, "/unit_id"),
                ("approve", {"unit_id": "lilas"}, "/unit_id"),
                ("approve", {"colour": "vert"}, "/colour"),
                ("approve", {"comment": "c" * 5001}, "/comment")]:
            r = decide(d, coord, sid, items["urgent"], outcome, **extra)
            expect_problem(r, 422, "validation-failed", field=field)
        r = d.call("POST", spath(sid, "/decisions"), token=coord, body={"outcome": "defer"})
        expect_problem(r, 422, "validation-failed", field="/agenda_item_id")
        expect_problem(decide(d, coord, sid, MISSING, "defer"), 404, "not-found")
        expect_problem(decide(d, coord, s["planned"]["id"], items["old"], "defer"), 409, "invalid-state")
        expect_problem(decide(d, coord, s["b"]["id"], items["old"], "defer"), 404, "not-found")
        state.check("refused decisions")

        r = decide(d, coord, sid, items["urgent"], "approve", unit_id=units["lilas"],
                   comment="Accord, entrée au 1er avril")
        got = item_of(check_agenda(expect_status(r, 201), sid), app["urgent"])
        dd = got["decision"]
        check(dd is not None and (dd["outcome"], dd["unit_id"], dd["unit_label"], dd["unit_town"], dd["comment"],
                                  dd["refusal_reason"], dd["corrects_decision_id"]) ==
              ("approve", units["lilas"], "Appartement des Lilas", "Lille", "Accord, entrée au 1er avril", None, None),
              "the approval: %s" % dd, r)
        check(got["application"]["status"] == "approved", "the item shows the application approved", r)
        g = d.call("GET", spath(sid, "/agenda"), token=coord)
        check(expect_status(g, 200).raw == r.raw and r.headers.get("content-type") == "application/json",
              "a decision answers the agenda as GET /agenda gives it, byte for byte", r)
        dec["urgent"] = dd["id"]
        r = d.call("GET", "%s/%s" % (APPS, app["urgent"]), token=tok["care2"])
        check(expect_status(r, 200).body["status"] == "approved" and r.body["decided_at"] is not None,
              "the application is approved, decided_at set", r)
        ev = last_event(d, coord, app["urgent"])
        check((ev["from_status"], ev["to_status"], ev["session_id"], ev["forced"], ev["role"], ev["reason"]) ==
              ("scheduled", "approved", sid, False, "coordinator", "decision of the session"), "event: %s" % ev)

        r = decide(d, coord, sid, items["high"], "refuse", refusal_reason="needs_other_structure",
                   comment="Orientation vers une résidence accueil")
        dd = item_of(check_agenda(expect_status(r, 201), sid), app["high"])["decision"]
        check((dd["outcome"], dd["refusal_reason"], dd["unit_id"]) == ("refuse", "needs_other_structure", None),
              "the refusal: %s" % dd, r)
        dec["high"] = dd["id"]
        check(app_status(d, coord, app["high"]) == "refused", "refused")

        r = decide(d, coord, sid, items["old"], "defer", comment="Attendre le bilan du CMP")
        dd = item_of(check_agenda(expect_status(r, 201), sid), app["old"])["decision"]
        check((dd["outcome"], dd["comment"]) == ("defer", "Attendre le bilan du CMP"), "the deferral: %s" % dd, r)
        dec["old"] = dd["id"]
        check(app_status(d, coord, app["old"]) == "deferred", "deferred")
        ev = last_event(d, coord, app["old"])
        check((ev["from_status"], ev["to_status"], ev["session_id"]) == ("scheduled", "deferred", sid), "%s" % ev)

        r = decide(d, coord, sid, items["eve"], "approve")
        dd = item_of(check_agenda(expect_status(r, 201), sid), app["eve"])["decision"]
        check((dd["outcome"], dd["unit_id"], dd["unit_label"]) == ("approve", None, None),
              "an approval without a unit: %s" % dd, r)
        dec["eve"] = dd["id"]

    with suite.case("deciding an item twice is 409 conflict; a decided item cannot be removed"):
        sid = s["main"]["id"]
        state = Unchanged(db)
        for outcome, extra in (("approve", {}), ("defer", {}), ("refuse", {"refusal_reason": "other"})):
            r = decide(d, coord, sid, s["items"]["urgent"], outcome, **extra)
            expect_problem(r, 409, "conflict")
        r = d.call("DELETE", spath(sid, "/agenda/items/%s" % s["items"]["high"]), token=coord)
        expect_problem(r, 409, "conflict")
        state.check("decisions on decided items")

    with suite.case("two concurrent decisions on one item: exactly one 201 and one 409, one decision row"):
        sid = s["main"]["id"]
        for round_no in range(6):
            one = new_app(d, coord, people["david" if round_no % 2 else "chloe"], "concurrence %d" % round_no)
            r = d.call("POST", spath(sid, "/agenda/items"), token=coord, body={"application_id": one})
            item = item_of(check_agenda(expect_status(r, 201), sid), one)["id"]
            bodies = [{"agenda_item_id": item, "outcome": "approve", "unit_id": units["lilas"]},
                      {"agenda_item_id": item, "outcome": "refuse", "refusal_reason": "no_suitable_unit"}]
            results = [None, None]
            barrier = threading.Barrier(2)

            def worker(k):
                barrier.wait()
                results[k] = http_call(d.port, "POST", spath(sid, "/decisions"), token=coord, body=bodies[k])

            threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            statuses = sorted(r.status for r in results)
            check(statuses == [201, 409], "round %d: statuses %s (want one 201, one 409): %s"
                  % (round_no, statuses, [r.text[:200] for r in results]))
            loser = [r for r in results if r.status == 409][0]
            expect_problem(loser, 409, "conflict")
            winner = results.index([r for r in results if r.status == 201][0])
            check(db.sql("SELECT count(*) FROM decisions WHERE agenda_item_id = '%s'" % item) == "1",
                  "round %d: one decision row" % round_no)
            check(app_status(d, coord, one) == ("approved", "refused")[winner],
                  "round %d: the application follows the winner" % round_no)

    with suite.case("attendance: coordinator only; validation names /attendees/<index>/<member>; replaces"):
        sid = s["main"]["id"]
        path = spath(sid, "/attendance")
        state = Unchanged(db)
        good = {"group": "elected_officials", "name": "Mme la Maire", "organisation": "Ville de Villeneuve-d'Ascq"}
        for who in others:
            expect_problem(d.call("PUT", path, token=tok[who], body={"attendees": [good]}), 403, "forbidden")
        for sent, fields in [({"attendees": [good, {"group": "press", "name": "Journaliste"}]}, ["/attendees/1/group"]),
                             ({"attendees": [good, {"name": "Sans groupe"}]}, ["/attendees/1/group"]),
                             ({"attendees": [{"group": "care_team"}]}, ["/attendees/0/name"]),
                             ({"attendees": [{"group": "care_team", "name": ""}]}, ["/attendees/0/name"]),
                             ({"attendees": [dict(good, colour="bleu")]}, ["/attendees/0/colour"]),
                             ({"attendees": [good, good, "Dr X"]}, ["/attendees/2"]),
                             ({"attendees": [{"group": "press"}, {"name": "x", "group": "other", "organisation": 3}]},
                              ["/attendees/0/group", "/attendees/0/name", "/attendees/1/organisation"]),
                             ({"attendees": "Mme la Maire"}, ["/attendees"]),
                             ({"attendees": [good] * 201}, ["/attendees"]),
                             ({"attendees": None}, ["/attendees"]),
                             ({}, ["/attendees"]),
                             ({"attendees": [], "present": 3}, ["/present"])]:
            r = d.call("PUT", path, token=coord, body=sent)
            expect_problem(r, 422, "validation-failed", fields=fields)
        expect_problem(d.call("PUT", spath(s["b"]["id"], "/attendance"), token=coord, body={"attendees": []}),
                       404, "not-found")
        state.check("refused attendance")
        sent = [{"group": "care_team", "name": "Dr Temporaire"}, {"group": "other", "name": "Remplacé"}]
        r = d.call("PUT", path, token=coord, body={"attendees": sent})
        got = check_session(expect_status(r, 200), {"id": sid, "status": "open"})
        check(got["attendees"] == [dict(x, organisation=None) for x in sent], "the list as sent", r)
        attendees = [good,
                     {"group": "care_team", "name": "Dr Lefort", "organisation": "EPSM, secteur 59G21"},
                     {"group": "landlords", "name": "M. Bailleur", "organisation": None},
                     {"group": "curators", "name": "Mme Curatelle"},
                     {"group": "user_family_associations", "name": "<script>att</script>", "organisation": "GEM"},
                     {"group": "association", "name": "La coordinatrice"}]
        r = d.call("PUT", path, token=coord, body={"attendees": attendees})
        got = check_session(expect_status(r, 200), {})
        check(got["attendees"] == [dict({"organisation": None}, **x) for x in attendees],
              "the list is replaced, in order", r)
        r = d.call("GET", spath(sid), token=tok["observer"])
        check(expect_status(r, 200).body["attendees"] == got["attendees"], "GET answers the attendance", r)
        s["attendees"] = got["attendees"]

    with suite.case("close with undecided items: 409 invalid-state with undecided_items; defer_undecided closes"):
        sid = s["main"]["id"]
        r = d.call("PATCH", spath(sid), token=coord, body={"chair_name": CHAIR},
                   headers={"If-Match": '"v%d"' % s["main"]["version"]})
        s["main"] = check_session(expect_status(r, 200), {"chair_name": CHAIR, "status": "open"})
        undecided = [i for i in agenda(d, coord, sid) if i["decision"] is None]
        check([i["application"]["id"] for i in undecided] == [app["def"]],
              "one undecided item left: %s" % undecided)
        # one more, added by hand, left undecided
        app["undecided"] = new_app(d, coord, people["alice"], "examinée à la prochaine séance")
        expect_status(d.call("POST", spath(sid, "/agenda/items"), token=coord,
                             body={"application_id": app["undecided"]}), 201)
        state = Unchanged(db)
        for who in others:
            expect_problem(d.call("POST", spath(sid, "/close"), token=tok[who]), 403, "forbidden")
        undecided = [i for i in agenda(d, coord, sid) if i["decision"] is None]
        r = d.call("POST", spath(sid, "/close"), token=coord)
        b = expect_problem(r, 409, "invalid-state")
        check(b.get("undecided_items") == 2 and b.get("current_status") == "open",
              "undecided_items 2, current_status open", r)
        check([e["field"] for e in b.get("errors", [])] == ["/items/%s" % i["id"] for i in undecided]
              and all("n° %d " % i["position"] in e["reason"] for i, e in zip(undecided, b["errors"])),
              "errors name each undecided item, in agenda order, with its number", r)
        r = d.call("POST", spath(sid, "/close"), token=coord, body={"defer_undecided": False})
        check(expect_problem(r, 409, "invalid-state").get("undecided_items") == 2, "false is no deferral", r)
        expect_problem(d.call("POST", spath(sid, "/close"), token=coord, body={"defer_undecided": "yes"}), 422,
                       "validation-failed", field="/defer_undecided")
        expect_problem(d.call("POST", spath(sid, "/close"), token=coord, body={"colour": 1}), 422,
                       "validation-failed", field="/colour")
        expect_problem(d.call("POST", spath(s["b"]["id"], "/close"), token=coord), 404, "not-found")
        state.check("refused closings")
        r = d.call("POST", spath(sid, "/close"), token=coord, body={"defer_undecided": True})
        got = check_session(expect_status(r, 200), {"status": "closed", "version": s["main"]["version"] + 1})
        check(got["closed_at"] is not None, "closed_at is set", r)
        s["main"] = got
        items = agenda(d, coord, sid)
        for label in ("def", "undecided"):
            it = item_of(items, app[label])
            check(it["decision"] is not None and it["decision"]["outcome"] == "defer" and it["decision"]["comment"]
                  == "not examined at this session", "%s was deferred by the closing: %s" % (label, it))
            check(app_status(d, coord, app[label]) == "deferred", "%s is deferred" % label)
            ev = last_event(d, coord, app[label])
            check((ev["from_status"], ev["to_status"], ev["session_id"]) == ("scheduled", "deferred", sid),
                  "the event: %s" % ev)
        dec["def"] = item_of(items, app["def"])["decision"]["id"]
        r = d.call("POST", spath(sid, "/close"), token=coord)
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "closed", "closed twice", r)
        r = d.call("POST", spath(sid, "/open"), token=coord)
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "closed", "no reopening", r)

    with suite.case("a closed session is frozen: PATCH, attendance, agenda and decisions are 409 invalid-state"):
        sid = s["main"]["id"]
        item = s["items"]["eve"]
        state = Unchanged(db)
        requests = [
            ("PATCH", spath(sid), {"town": "Hem"}, {"If-Match": '"v%d"' % s["main"]["version"]}),
            ("PUT", spath(sid, "/attendance"), {"attendees": []}, None),
            ("POST", spath(sid, "/decisions"), {"agenda_item_id": item, "outcome": "defer"}, None),
            ("POST", spath(sid, "/agenda/build"), None, None),
            ("POST", spath(sid, "/agenda/items"), {"application_id": app["late"]}, None),
            ("PATCH", spath(sid, "/agenda/items/%s" % item), {"note": "après coup"}, None),
            ("DELETE", spath(sid, "/agenda/items/%s" % item), None, None),
        ]
        for method, path, payload, headers in requests:
            r = d.call(method, path, token=coord, body=payload, headers=headers)
            b = expect_problem(r, 409, "invalid-state")
            check(b.get("current_status") == "closed", "current_status closed", r)
        state.check("requests on a closed session")
        check(app_status(d, coord, app["late"]) == "submitted", "the late application still waits")

    with suite.case("correction after closing: a linked decision moves the application (forced); once"):
        sid = s["main"]["id"]
        original = dec["urgent"]
        path = spath(sid, "/decisions/%s/corrections" % original)
        state = Unchanged(db)
        for who in others:
            r = d.call("POST", path, token=tok[who], body={"outcome": "refuse", "refusal_reason": "other",
                                                          "comment": "x"})
            expect_problem(r, 403, "forbidden")
        for sent, field in [({"outcome": "refuse", "refusal_reason": "other"}, "/comment"),
                            ({"outcome": "refuse", "refusal_reason": "other", "comment": ""}, "/comment"),
                            ({"outcome": "refuse", "comment": "erreur"}, "/refusal_reason"),
                            ({"outcome": "defer", "unit_id": units["lilas"], "comment": "erreur"}, "/unit_id"),
                            ({"outcome": "approve", "unit_id": units["closed"], "comment": "erreur"}, "/unit_id"),
                            ({"outcome": "refuse", "refusal_reason": "other", "comment": "erreur",
                              "agenda_item_id": s["items"]["urgent"]}, "/agenda_item_id")]:
            expect_problem(d.call("POST", path, token=coord, body=sent), 422, "validation-failed", field=field)
        sent = {"outcome": "refuse", "refusal_reason": "other", "comment": "Erreur de saisie : refus en séance"}
        expect_problem(d.call("POST", spath(sid, "/decisions/%s/corrections" % MISSING), token=coord, body=sent),
                       404, "not-found")
        expect_problem(d.call("POST", spath(s["planned"]["id"], "/decisions/%s/corrections" % original),
                              token=coord, body=sent), 409, "invalid-state")
        expect_problem(d.call("POST", spath(s["b"]["id"], "/decisions/%s/corrections" % original),
                              token=coord, body=sent), 404, "not-found")
        state.check("refused corrections")
        r = d.call("POST", path, token=coord, body=sent)
        it = item_of(check_agenda(expect_status(r, 201), sid), app["urgent"])
        dd = it["decision"]
        check(dd["corrects_decision_id"] == original and dd["id"] != original and
              (dd["outcome"], dd["refusal_reason"], dd["comment"], dd["unit_id"]) ==
              ("refuse", "other", sent["comment"], None), "the agenda shows the correction: %s" % dd, r)
        check(it["application"]["status"] == "refused", "the item's application is refused", r)
        dec["urgent_corrected"] = dd["id"]
        check(app_status(d, coord, app["urgent"]) == "refused", "approved → refused")
        ev = last_event(d, tok["care2"], app["urgent"])
        check((ev["from_status"], ev["to_status"], ev["forced"], ev["session_id"], ev["role"]) ==
              ("approved", "refused", True, sid, "coordinator") and original in (ev["reason"] or ""),
              "the correction is a forced move naming the decision: %s" % ev)
        check(db.sql("SELECT count(*) FROM decisions WHERE agenda_item_id = '%s'" % s["items"]["urgent"]) == "2",
              "the original decision is kept beside its correction")
        state = Unchanged(db)
        r = d.call("POST", path, token=coord, body=dict(sent, comment="encore"))
        expect_problem(r, 409, "conflict")
        r = d.call("POST", path, token=coord, body={"outcome": "approve", "unit_id": units["lilas"],
                                                    "comment": "on revient à l'accord"})
        expect_problem(r, 409, "conflict")
        state.check("a second correction of a corrected decision")

    with suite.case("minutes as JSON: session, attendees, standing decisions with reasons, counts"):
        sid = s["main"]["id"]
        r = d.call("GET", spath(sid, "/minutes"), token=coord)
        expect_status(r, 200)
        check(r.headers.get("content-type", "").startswith("application/json"), "JSON", r)
        m = r.body
        check(set(m) == {"commission", "session", "attendees", "items", "decisions", "counts", "recorded", "sealed",
                         "annexes"}, "minutes members", r)
        check(set(m["sealed"]) == {"hash", "sealed_at"} and len(m["sealed"]["hash"]) == 64, "sealed at closing", r)
        check(m["commission"] == {"name": "Commission A"}, "the commission's name", r)
        check(m["session"] == s["main"], "the session as it is", r)
        check(m["attendees"] == s["attendees"], "the attendance", r)
        items = agenda(d, coord, sid)
        check(len(m["decisions"]) == len(items), "one line per decided item", r)
        # The minutes were sealed at closing: the item corrected since shows the decision voted (approve), and
        # the correction is in the annex.
        corrected = item_of(items, app["urgent"])
        check(len(m["annexes"]) == 1 and m["annexes"][0]["item_id"] == corrected["id"]
              and m["annexes"][0]["before"]["outcome"] == "approve" and m["annexes"][0]["after"]["outcome"] == "refuse"
              and m["annexes"][0]["after"]["id"] == corrected["decision"]["id"], "the annex of corrections", r)
        for line, it in zip(m["decisions"], items):
            check(set(line) == MINUTES_DECISION_MEMBERS, "members of a minutes line", r)
            dd = it["decision"]
            if it["id"] == corrected["id"]:
                check((line["decision_id"], line["outcome"], line["corrects_decision_id"]) ==
                      (dec["urgent"], "approve", None), "the sealed line is the decision voted: %s" % line, r)
                continue
            check((line["position"], line["decision_id"], line["outcome"], line["refusal_reason"], line["comment"],
                   line["corrects_decision_id"], line["application_id"]) ==
                  (it["position"], dd["id"], dd["outcome"], dd["refusal_reason"], dd["comment"],
                   dd["corrects_decision_id"], it["application"]["id"]), "line = standing decision", r)
            p = it["application"]["person"]
            check(line["label"] == "%s %s" % (p["family_name"], p["given_names"]), "label is the name", r)
        outcomes = [it["decision"]["outcome"] if it["id"] != corrected["id"] else "approve" for it in items]
        check(m["counts"] == {"examined": len(outcomes), "approved": outcomes.count("approve"),
                              "refused": outcomes.count("refuse"), "deferred": outcomes.count("defer"),
                              "withdrawn": 0, "reviews": 0, "incidents": 0}, "counts of the standing decisions", r)
        check([x["number"] for x in m["items"]] == list(range(1, len(items) + 1))
              and [x["item_id"] for x in m["items"]] == [it["id"] for it in items], "items numbered 1..n", r)
        line = [x for x in m["decisions"] if x["application_id"] == app["high"]][0]
        check((line["outcome"], line["refusal_reason"], line["comment"]) ==
              ("refuse", "needs_other_structure", "Orientation vers une résidence accueil"), "refusal reason", r)
        for accept in ("application/json", "*/*", "application/*", "text/html, application/json"):
            r2 = d.call("GET", spath(sid, "/minutes"), token=coord, headers={"Accept": accept})
            check(expect_status(r2, 200).body == m, "Accept: %s is the JSON" % accept, r2)

    with suite.case("minutes as HTML (Accept: text/html): the chair, the decisions, every name escaped"):
        sid = s["main"]["id"]
        r = d.call("GET", spath(sid, "/minutes"), token=coord, headers={"Accept": "text/html"})
        expect_status(r, 200)
        check(r.headers.get("content-type", "").split(";")[0].strip() == "text/html", "Content-Type text/html", r)
        page = r.text
        check(page.lstrip().lower().startswith("<!doctype html"), "an HTML page", r)
        check("Mme Claire Dupont &amp; &lt;i&gt;fils&lt;/i&gt;" in page, "the chair's name, escaped", r)
        check("<i>fils</i>" not in page, "the chair's name is not markup", r)
        check("&lt;script&gt;alert(&#39;pv&#39;)&lt;/script&gt; Ève &amp; Co" in page,
              "the person's name, escaped", r)
        check("&lt;script&gt;att&lt;/script&gt;" in page, "the attendee's name, escaped", r)
        check("<script" not in page.lower(), "no <script> in the page", r)
        for word in ("Séance du jeudi 12 mars 2026", "Villeneuve-d&#39;Ascq", "Commission A", "Accord", "Refus",
                     "Ajournement", "Annexe n° 1 : rectification du", "Motif de la rectification",
                     "une autre structure répond mieux aux besoins de la personne", "Martin Alice", "Durand David", "Mme la Maire", "Dr Lefort",
                     "Erreur de saisie : refus en séance"):
            check(word in page, "the page holds %r" % word, r)
        for code in ("2026-03-12", "needs_other_structure", "not examined", "refuse", "approve"):
            check(code not in page, "the page holds no code or ISO date: %r" % code, r)
        for line in d.call("GET", spath(sid, "/minutes"), token=coord).body["decisions"]:
            if line["unit_label"]:
                check("%s, %s" % (line["unit_label"], line["unit_town"]) in page, "the page names the unit", r)
        r = d.call("GET", spath(sid, "/minutes"), token=coord,
                   headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
        check(expect_status(r, 200).headers.get("content-type", "").startswith("text/html"), "a browser's Accept", r)
        for accept in ("image/png", "text/plain", "application/xml"):
            r = d.call("GET", spath(sid, "/minutes"), token=coord, headers={"Accept": accept})
            expect_problem(r, 406, "not-acceptable")
        r = d.call("GET", spath(s["b"]["id"], "/minutes"), token=coord, headers={"Accept": "text/html"})
        expect_problem(r, 404, "not-found")

    with suite.case("what each reader sees on the agenda: its own people; others person null, no situation"):
        sid = s["main"]["id"]
        full = agenda(d, coord, sid)
        for it in full:
            check(it["application"]["person"] is not None and "situation" in it["application"],
                  "the coordinator sees every person and situation: %s" % it)
        # observers read aggregates only: no agenda, even anonymous
        expect_problem(d.call("GET", spath(sid, "/agenda"), token=tok["observer"]), 403, "forbidden")
        for who in ("care1", "care2", "cur1", "landlord"):
            r = d.call("GET", spath(sid, "/agenda"), token=tok[who])
            items = check_agenda(expect_status(r, 200), sid)
            check([i["id"] for i in items] == [i["id"] for i in full], "%s sees every item" % who, r)
            for it, ref in zip(items, full):
                person = ref["application"]["person"]["id"]
                if who in ("care1", "care2"):
                    visible, situation = w["team_of"][person] == who.replace("care", "team"), True
                elif who == "cur1":
                    visible, situation = person in w["protected"], False
                else:
                    visible, situation = False, False
                got = it["application"]
                if visible:
                    check(got["person"] == ref["application"]["person"], "%s sees %s" % (who, person), r)
                else:
                    check(got["person"] is None, "%s must not see person %s" % (who, person), r)
                check(("situation" in got) == (visible and situation),
                      "%s: situation %s for %s" % (who, "expected" if visible and situation else "absent", person),
                      r)
                if visible:
                    check(it["decision"] == ref["decision"], "%s reads its person's decision whole" % who, r)
                else:
                    check(got["id"] is None, "%s must not get the application id of %s" % (who, person), r)
                    anonymous = None if ref["decision"] is None else dict(ref["decision"], id=None, comment=None,
                                                                          corrects_decision_id=None)
                    check(it["decision"] == anonymous, "%s reads the decision without id or comment" % who, r)
            if who == "landlord":
                for name in ("Martin", "Bernard", "Petit", "Durand", "Alice attend", "expulsion"):
                    check(name not in r.text, "%s's agenda holds %r" % (who, name), r)

    with suite.case("what each reader sees in the minutes: its own people by name, others \"Dossier n° N\""):
        sid = s["main"]["id"]
        ref = d.call("GET", spath(sid, "/minutes"), token=coord).body
        full = {x["position"]: x for x in ref["decisions"]}
        person_of = {it["position"]: it["application"]["person"]["id"] for it in agenda(d, coord, sid)}
        for accept in ("application/json", "text/html"):
            expect_problem(d.call("GET", spath(sid, "/minutes"), token=tok["observer"], headers={"Accept": accept}),
                           403, "forbidden")
        for who in ("care1", "care2", "cur1", "landlord"):
            r = d.call("GET", spath(sid, "/minutes"), token=tok[who])
            m = expect_status(r, 200).body
            check(m["counts"] == ref["counts"] and m["attendees"] == ref["attendees"], "same counts, attendees", r)
            for line in m["decisions"]:
                mine = full[line["position"]]
                person = person_of[line["position"]]
                if who in ("care1", "care2"):
                    visible = w["team_of"][person] == who.replace("care", "team")
                elif who == "cur1":
                    visible = person in w["protected"]
                else:
                    visible = False
                if visible:
                    check(line == mine, "%s reads its person's line as the coordinator does" % who, r)
                else:
                    check(line["person"] is None and line["application_id"] is None and
                          line["label"] == "Dossier n° %d" % line["number"],
                          "%s reads \"Dossier n° %d\" for %s: %s" % (who, line["number"], person, line), r)
                    check(line["decision_id"] is None and line["comment"] is None, "%s: no decision id or "
                          "comment on a line it may not see" % who, r)
                    hidden_members = dict(label=None, person=None, application_id=None, decision_id=None,
                                          comment=None, corrects_decision_id=None)
                    check(dict(line, **hidden_members) == dict(mine, **hidden_members),
                          "the decision itself is the same", r)
            html = d.call("GET", spath(sid, "/minutes"), token=tok[who], headers={"Accept": "text/html"})
            expect_status(html, 200)
            check("Dossier n°" in html.text, "%s's page uses \"Dossier n° N\"" % who, html)
            hidden = {"care1": ["Durand", "Petit"], "care2": ["Martin", "Bernard", "alert("],
                      "cur1": ["Martin", "Durand", "alert("],
                      "landlord": ["Martin", "Bernard", "Petit", "Durand", "alert("]}[who]
            for name in hidden:
                check(name not in html.text and name not in r.text, "%s's minutes name %r" % (who, name), html)

    with suite.case("another commission: every session route is 404 (or 403 for its non-coordinators' writes)"):
        sid = s["main"]["id"]
        item = s["items"]["eve"]
        state = Unchanged(db)
        for method, path, payload in [
                ("GET", spath(sid), None), ("GET", spath(sid, "/agenda"), None), ("GET", spath(sid, "/minutes"), None),
                ("PATCH", spath(sid), {"town": "Hem"}), ("POST", spath(sid, "/open"), None),
                ("POST", spath(sid, "/close"), None), ("PUT", spath(sid, "/attendance"), {"attendees": []}),
                ("POST", spath(sid, "/agenda/build"), None),
                ("POST", spath(sid, "/agenda/items"), {"application_id": app["late"]}),
                ("PATCH", spath(sid, "/agenda/items/%s" % item), {"note": "x"}),
                ("DELETE", spath(sid, "/agenda/items/%s" % item), None),
                ("POST", spath(sid, "/decisions"), {"agenda_item_id": item, "outcome": "defer"}),
                ("POST", spath(sid, "/decisions/%s/corrections" % dec["eve"]), {"outcome": "defer", "comment": "x"})]:
            r = d.call(method, path, token=tok["coordB"], body=payload,
                       headers={"If-Match": '"v%d"' % s["main"]["version"]} if method == "PATCH" and
                       path == spath(sid) else None)
            expect_problem(r, 404, "not-found")
        for path in (spath(sid), spath(sid, "/agenda"), spath(sid, "/minutes")):
            expect_problem(d.call("GET", path, token=tok["careB"]), 404, "not-found")
        state.check("another commission's requests")

    with suite.case("minutes list every decision under the person's full name, however long (100 + 100 characters)"):
        coordB = tok["coordB"]
        teamB = w["org"]["teamB"]
        names = [("É" * 100, "Ë" * 10), ("Ñ" * 60, "Ö" * 60), ("A" * 100, "B" * 100), ("Court", "Nom")]
        for family, given in names:
            person = make_person(d, db, w["b"], coordB, family, given, "1970-01-01", teamB)
            new_app(d, coordB, person, "nom long")
        r = d.call("POST", SESSIONS, token=coordB, body={"session_date": "2026-04-01", "town": "Ailleurs",
                                                          "chair_name": "Président B"})
        sid = expect_status(r, 201).body["id"]
        items = check_agenda(expect_status(d.call("POST", spath(sid, "/agenda/build"), token=coordB), 200), sid)
        expect_status(d.call("POST", spath(sid, "/open"), token=coordB), 200)
        for it in items:
            expect_status(decide(d, coordB, sid, it["id"], "defer"), 201)
        r = d.call("GET", spath(sid, "/minutes"), token=coordB)
        m = expect_status(r, 200).body
        want = sorted("%s %s" % (i["application"]["person"]["family_name"], i["application"]["person"]["given_names"])
                      for i in items)
        check(all("%s %s" % n in want for n in names), "the four people are on the agenda", r)
        check(m["counts"]["deferred"] == len(items), "every deferral counted", r)
        check(sorted(x["label"] for x in m["decisions"]) == want,
              "the minutes must hold the %d decisions, each labelled with the full name; got %d line(s): %s"
              % (len(items), len(m["decisions"]), [(len(x["label"]), x["label"][:30] + "...")
                                                   for x in m["decisions"]]), r)
        html = d.call("GET", spath(sid, "/minutes"), token=coordB, headers={"Accept": "text/html"})
        for label in want:
            check(label.replace("&", "&amp;") in expect_status(html, 200).text, "the page names %s..." % label[:20],
                  html)

    with suite.case("invalid ids: 400 invalid-id naming path:id, path:item_id, path:decision_id"):
        sid = s["main"]["id"]
        for method, path, field, payload in [
                ("GET", spath("x"), "path:id", None), ("GET", spath("x", "/agenda"), "path:id", None),
                ("GET", spath("x", "/minutes"), "path:id", None), ("POST", spath("x", "/open"), "path:id", None),
                ("POST", spath("x", "/agenda/build"), "path:id", None),
                ("PUT", spath("x", "/attendance"), "path:id", {"attendees": []}),
                ("DELETE", spath(sid, "/agenda/items/x"), "path:item_id", None),
                ("PATCH", spath(sid, "/agenda/items/x"), "path:item_id", {"note": "x"}),
                ("POST", spath(sid, "/decisions/x/corrections"), "path:decision_id",
                 {"outcome": "defer", "comment": "x"})]:
            expect_problem(d.call(method, path, token=coord, body=payload), 400, "invalid-id", field=field)


if __name__ == "__main__":
    Suite("http-sessions").main(body)
