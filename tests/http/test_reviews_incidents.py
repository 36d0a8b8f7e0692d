#!/usr/bin/env python3
"""Quarterly reviews, incidents, the review schedule, their agenda items and the curator's status check.

Reviews (/v1/placements/{id}/reviews, /v1/reviews/{id}): each role writes only its parts (caregiver: care follow-up,
housing, autonomy, outcome; curator: rent; landlord: rent and housing; coordinator: all) and each part records the
role that wrote it; a forbidden part is 422 naming it and creates nothing; curators and landlords never receive the
care follow-up, landlords never the autonomy part; PATCH adds another role's part under If-Match; the rent part is
consistent (arrears needs a positive amount); the review date is neither before the move-in nor in the future.
The schedule (/v1/reviews?status=overdue|due): active placements, next review three months after the last one
(or the move-in), scoped like placements. Incidents: reported by the coordinator, caregivers, curators and
landlords on the placements they see; a hospitalisation only by the care side, hidden from curators; a landlord
sees what landlords reported; the coordinator alone acknowledges and closes. The agenda build adds review and
incident items once; they take no decision; a landlord sees no person and no hospitalisation. The status check
(/v1/people/{id}/status) gives a curator what it needs and nothing care-confidential.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import calendar
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, TIMESTAMP_RE, UUID_RE, Daemon, Database, Suite, check,  # noqa: E402
                     expect_problem, expect_status, leaks)

MISSING = "00000000-0000-4000-8000-000000000000"
ROLE = {"coord": "coordinator", "care1": "caregiver", "care2": "caregiver", "cur1": "curator", "cur2": "curator",
        "land1": "landlord", "land2": "landlord", "observer": "observer", "coordB": "coordinator"}
PARTS = ("care_followup", "rent", "housing", "autonomy", "outcome")
WRITES = {"coordinator": set(PARTS), "caregiver": {"care_followup", "housing", "autonomy", "outcome"},
          "curator": {"rent"}, "landlord": {"rent", "housing"}}
READS = {"coordinator": set(PARTS), "caregiver": set(PARTS), "curator": {"rent", "housing", "autonomy", "outcome"},
         "landlord": {"rent", "housing", "outcome"}}
PART_BODY = {"care_followup": {"care_followup": "Suivi CMP mensuel, traitement bien pris"},
             "rent": {"rent_status": "up_to_date"},
             "housing": {"housing": "Logement entretenu, voisinage calme"},
             "autonomy": {"autonomy": "Fait ses courses et ses démarches seul"},
             "outcome": {"outcome": "continue"}}
PART_FIELD = {"care_followup": "/care_followup", "rent": "/rent_status", "housing": "/housing",
              "autonomy": "/autonomy", "outcome": "/outcome"}
PART_VALUE = {"care_followup": ("text",), "rent": ("status", "arrears_cents"), "housing": ("text",),
              "autonomy": ("text",), "outcome": ("value",)}
REVIEW_BASE = {"id", "placement_id", "review_date", "version", "created_at", "updated_at", "tripartite"}
SCHEDULE_MEMBERS = {"placement_id", "person", "unit", "move_in_date", "last_review_date", "next_review_on",
                    "status", "tripartite_review_on"}
INCIDENT_MEMBERS = {"id", "placement_id", "person", "unit", "kind", "description", "arrears_cents", "occurred_on",
                    "status", "reported_by_role", "acknowledged_at", "closed_at", "closing_note", "version",
                    "created_at", "updated_at"}
STATUS_MEMBERS = {"person", "application", "last_decision", "placement", "deposit", "rent", "open_incidents",
                  "next_review_on", "arrears_plans"}

# Care-confidential texts of the status-check person: none may appear in a status answer.
SITUATION_MARK = "SITUATIONMARK-psychose-7q2"
CARE_NOTE_MARK = "CARENOTEMARK-traitement-7q2"
CARE_FOLLOWUP_MARK = "CAREFOLLOWUPMARK-consultation-7q2"
HOSPIT_MARK = "HOSPITMARK-admission-7q2"


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    """Today (UTC, asked at every call: a run may cross midnight) + OFFSET days as YYYY-MM-DD."""
    return (utc_today() + datetime.timedelta(days=offset)).isoformat()


def add_months(d, n):
    """D + N months as PostgreSQL adds an interval: the day is clamped to the end of a shorter month."""
    if isinstance(d, str):
        d = datetime.date.fromisoformat(d)
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return datetime.date(y, m, min(d.day, calendar.monthrange(y, m)[1])).isoformat()


# ---------------------------------------------------------------------------------------------------------------
# The world: the commission's people, units and placements, and what the tests did to them


class World:
    def __init__(self, d, db, tok, org):
        self.d, self.db, self.tok, self.org = d, db, tok, org
        self.people = {}      # label -> {id, team, curator, family}
        self.units = {}       # label -> {id, landlord, label, town}
        self.placements = {}  # label -> {id, person, unit, move_in, ended}
        self.last_review = {}  # placement label -> latest review_date
        self.incidents = []   # {id, placement, kind, by, status}
        self.apps = {}

    def call(self, who, method, path, body=None, headers=None, raw_body=None):
        token = self.tok[who] if who in self.tok else who
        return self.d.call(method, path, token=token, body=body, headers=headers, raw_body=raw_body)

    def pl(self, label):
        return self.placements[label]["id"]

    def count(self, table):
        return int(self.db.sql("SELECT count(*) FROM %s" % table))

    # scope
    def sees_placement(self, who, label):
        p = self.placements[label]
        person = self.people[p["person"]]
        unit = self.units[p["unit"]]
        return {"coord": True, "care1": person["team"] == "team1", "care2": person["team"] == "team2",
                "cur1": person["curator"] == "cur1", "cur2": person["curator"] == "cur2",
                "land1": unit["landlord"] == "land1", "land2": unit["landlord"] == "land2"}.get(who, False)

    def sees_incident(self, who, inc):
        if not self.sees_placement(who, inc["placement"]):
            return False
        if ROLE[who] == "curator" and inc["kind"] == "hospitalisation":
            return False
        if ROLE[who] == "landlord" and inc["by"] != "landlord":
            return False
        return True

    # schedule
    def next_review(self, label):
        return add_months(self.last_review.get(label) or self.placements[label]["move_in"], 3)

    def active(self):
        return [k for k, p in self.placements.items() if not p["ended"]]

    def expected_schedule(self, who, status=None):
        out = []
        for label in self.active():
            if not self.sees_placement(who, label):
                continue
            nr = self.next_review(label)
            st = "overdue" if nr < day(0) else "due" if nr <= day(30) else "scheduled"
            if status is None or st == status:
                out.append((nr, self.pl(label), label, st))
        return sorted(out)

    def reviewed(self, label, review_date):
        if self.last_review.get(label) is None or review_date > self.last_review[label]:
            self.last_review[label] = review_date


def make_person(w, family, given, birth, team, protection="none", curator=None):
    r = w.call("coord", "POST", "/v1/people", body={
        "family_name": family, "given_names": given, "birth_date": birth, "care_team_id": w.org[team],
        "protection": protection, "curator_org_id": w.org[curator] if curator else None, "confirm_duplicate": True})
    expect_status(r, 201)
    return {"id": r.body["id"], "team": team, "curator": curator, "family": family, "given": given}


def make_unit(w, label, town, landlord, places):
    r = w.call("coord", "POST", "/v1/units", body={
        "kind": "hlm_apartment", "label": label, "address": "3 rue des Écoles", "town": town,
        "landlord_org_id": w.org[landlord], "places": places, "rent_cents": 42000, "charges_cents": 5000,
        "deposit_cents": 42000})
    expect_status(r, 201)
    return {"id": r.body["id"], "landlord": landlord, "label": label, "town": town}


def start_placement(w, label, person, unit, days_ago, app_id=None):
    """A placement of PERSON in UNIT that began DAYS_AGO days ago: an application forced to approved (unless
    APP_ID, already approved, is given), its decision backdated with psql, then POST /v1/placements."""
    if app_id is None:
        r = w.call("coord", "POST", "/v1/applications", body={
            "person_id": w.people[person]["id"], "situation": "Demande de logement", "submit": True})
        app_id = expect_status(r, 201).body["id"]
        r = w.call("coord", "POST", "/v1/applications/%s/transitions" % app_id, body={
            "to": "approved", "reason": "accord du bureau (fixture de test)", "force": True})
        expect_status(r, 200)
    w.db.sql("UPDATE applications SET decided_at = now() - interval '%d days', decided_on = current_date - %d "
             "WHERE id = '%s'" % (days_ago + 1, days_ago + 1, app_id))
    r = w.call("coord", "POST", "/v1/placements", body={
        "application_id": app_id, "unit_id": w.units[unit]["id"], "move_in_date": day(-days_ago),
        "lease": "association_main_tenant"})  # a sub-lease: quarterly reviews only (sliding leases: test_leases.py)
    expect_status(r, 201)
    w.placements[label] = {"id": r.body["id"], "person": person, "unit": unit, "move_in": day(-days_ago),
                           "ended": False}
    w.apps[label] = app_id
    return r.body["id"]


def setup(w):
    coord = "coord"
    w.people["eve"] = make_person(w, "Lambert", "Ève", "1982-04-05", "team1", "tutelle", "cur1")
    w.people["alice"] = make_person(w, "Martin", "Alice", "1980-02-03", "team1", "curatelle_renforcee", "cur1")
    w.people["bruno"] = make_person(w, "Bernard", "Bruno", "1971-05-06", "team2")
    w.people["chloe"] = make_person(w, "Petit", "Chloé", "1990-08-09", "team1", "curatelle_simple", "cur1")
    w.people["david"] = make_person(w, "Durand", "David", "1965-11-12", "team1")
    w.units["lilas"] = make_unit(w, "Appartement des Lilas", "Lille", "land1", 3)
    w.units["tilleuls"] = make_unit(w, "Studio des Tilleuls", "Roubaix", "land2", 3)
    w.units["fives"] = make_unit(w, "T2 Fives", "Lille", "land1", 1)

    # Ève goes through a real session (for the status check's last decision), with care-confidential texts.
    r = w.call("care1", "POST", "/v1/applications", body={
        "person_id": w.people["eve"]["id"], "situation": "Sortie d'hospitalisation, " + SITUATION_MARK,
        "submit": True})
    eve_app = expect_status(r, 201).body["id"]
    r = w.call("care1", "POST", "/v1/people/%s/care-notes" % w.people["eve"]["id"],
               body={"body": "Entretien infirmier: " + CARE_NOTE_MARK})
    expect_status(r, 201)
    r = w.call(coord, "POST", "/v1/sessions", body={"session_date": day(0), "town": "Lille",
                                                     "chair_name": "M. le Maire"})
    s0 = expect_status(r, 201).body["id"]
    w.s0 = {"id": s0, "date": day(0)}
    r = w.call(coord, "POST", "/v1/sessions/%s/agenda/build" % s0)
    item = [i for i in expect_status(r, 200).body["items"] if (i.get("application") or {}).get("id") == eve_app]
    check(len(item) == 1, "Ève's application is on the agenda", r)
    expect_status(w.call(coord, "POST", "/v1/sessions/%s/open" % s0), 200)
    r = w.call(coord, "POST", "/v1/sessions/%s/decisions" % s0, body={
        "agenda_item_id": item[0]["id"], "outcome": "approve", "unit_id": w.units["fives"]["id"]})
    expect_status(r, 201)
    start_placement(w, "eve", "eve", "fives", 100, app_id=eve_app)
    r = w.call(coord, "POST", "/v1/placements/%s/deposit/entries" % w.pl("eve"), body={
        "kind": "paid", "amount_cents": 42000, "entry_date": day(-100)}, headers={"Idempotency-Key": "caution-eve"})
    expect_status(r, 201)

    start_placement(w, "alice", "alice", "lilas", 200)   # never reviewed: overdue
    start_placement(w, "bruno", "bruno", "tilleuls", 70)  # review due within 30 days
    start_placement(w, "chloe", "chloe", "lilas", 10)    # review in about 80 days
    start_placement(w, "david", "david", "tilleuls", 300)
    r = w.call(coord, "POST", "/v1/placements/%s/exit" % w.pl("david"), body={
        "exit_date": day(-5), "exit_reason": "other_housing", "inspection_matches": True})
    expect_status(r, 200)
    w.placements["david"]["ended"] = True


# ---------------------------------------------------------------------------------------------------------------
# Checks


def check_review(r, reader, written=None, expected=None):
    """R's body is a Review as READER (a role) receives it: exactly the parts it reads; each part in WRITTEN
    ({part: role}) written by that role with a timestamp, the others empty. EXPECTED: members to compare."""
    b = r.body
    want = REVIEW_BASE | READS[reader]
    check(isinstance(b, dict) and set(b) == want, "a %s receives exactly %s" % (reader, sorted(want)), r)
    check(UUID_RE.match(b["id"]) and UUID_RE.match(b["placement_id"]), "ids are UUIDs", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is a timestamp" % k, r)
    if "etag" in r.headers or r.status in (200, 201):
        check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is \"v<version>\"", r)
    for part in READS[reader]:
        value = b[part]
        check(isinstance(value, dict) and set(value) == set(PART_VALUE[part]) | {"written_by_role", "written_at"},
              "part %s has %s, written_by_role, written_at" % (part, "/".join(PART_VALUE[part])), r)
        if written is not None and part in written:
            check(value["written_by_role"] == written[part] and TIMESTAMP_RE.match(value["written_at"] or ""),
                  "%s written by %s, with written_at" % (part, written[part]), r)
        elif written is not None:
            check(value["written_by_role"] is None and value["written_at"] is None
                  and all(value[k] is None for k in PART_VALUE[part]), "%s is empty" % part, r)
    for k, v in (expected or {}).items():
        got = b
        for step in k.split("/"):
            got = got[step]
        check(got == v, "%s is %r, expected %r" % (k, got, v), r)
    return b


def check_schedule(w, r, who, status=None):
    expect_status(r, 200)
    b = r.body
    check(isinstance(b, dict) and set(b) == {"items", "next_cursor"}, "a list", r)
    want = w.expected_schedule(who, status)
    got = [(i["next_review_on"], i["placement_id"]) for i in b["items"]]
    check(got == [(nr, pid) for nr, pid, _, _ in want],
          "%s, status=%s lists %s\n  got %s" % (who, status, [(nr, label) for nr, _, label, _ in want], got), r)
    by_id = {pid: (label, st) for _, pid, label, st in want}
    for item in b["items"]:
        check(set(item) == SCHEDULE_MEMBERS, "members of a schedule item: %s" % sorted(SCHEDULE_MEMBERS), r)
        label, st = by_id[item["placement_id"]]
        p = w.placements[label]
        person, unit = w.people[p["person"]], w.units[p["unit"]]
        check(item["status"] == st and item["move_in_date"] == p["move_in"]
              and item["last_review_date"] == w.last_review.get(label)
              and item["person"] == {"family_name": person["family"], "given_names": person["given"]}
              and item["unit"] == {"id": unit["id"], "label": unit["label"], "town": unit["town"]},
              "the schedule item of %s: status %s, move-in, last review, person, unit" % (label, st), r)
    return b["items"]


def check_incident(r, expected=None):
    b = r.body
    check(isinstance(b, dict) and set(b) == INCIDENT_MEMBERS, "members of an incident: %s" % sorted(INCIDENT_MEMBERS),
          r)
    check(UUID_RE.match(b["id"]) and TIMESTAMP_RE.match(b["created_at"]) and TIMESTAMP_RE.match(b["updated_at"]),
          "id, created_at, updated_at", r)
    check(set(b["person"]) == {"family_name", "given_names"} and set(b["unit"]) == {"label", "town"},
          "person {family_name, given_names}, unit {label, town}", r)
    if r.status in (200, 201):
        check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is \"v<version>\"", r)
    for k, v in (expected or {}).items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    return b


def list_all(w, who, path):
    """Every item of a paginated list, with limit=2 (checking next_cursor on the way)."""
    sep = "&" if "?" in path else "?"
    r = w.call(who, "GET", path + sep + "limit=2")
    items = []
    for _ in range(100):
        expect_status(r, 200)
        check(len(r.body["items"]) <= 2, "limit=2", r)
        items += r.body["items"]
        if r.body["next_cursor"] is None:
            return items
        r = w.call(who, "GET", path + sep + "limit=2&cursor=" + r.body["next_cursor"])
    check(False, "more than 100 pages", r)


def report(w, who, label, kind="disturbance", description="Tapage nocturne signalé par les voisins", **extra):
    body = {"kind": kind, "description": description, "occurred_on": extra.pop("occurred_on", day(-1))}
    body.update(extra)
    return w.call(who, "POST", "/v1/placements/%s/incidents" % w.pl(label), body=body)


def reported(w, r, label, kind, who):
    inc = check_incident(expect_status(r, 201), {"placement_id": w.pl(label), "kind": kind, "status": "open",
                                                 "reported_by_role": ROLE[who], "version": 1,
                                                 "acknowledged_at": None, "closed_at": None, "closing_note": None})
    check(r.headers.get("location") == "/v1/incidents/%s" % inc["id"], "Location is the incident's path", r)
    w.incidents.append({"id": inc["id"], "placement": label, "kind": kind, "by": ROLE[who], "status": "open"})
    return inc


class Unchanged:
    """Reviews and incidents (rows and versions) that a refused request must leave alone."""

    def __init__(self, db):
        self.db = db
        self.base = self.snapshot()

    def snapshot(self):
        return self.db.sql(
            "SELECT (SELECT count(*) FROM reviews) || ' ' || (SELECT coalesce(string_agg(id::text || ':' || "
            "version::text, ';' ORDER BY id), '') FROM reviews) || ' ' || (SELECT count(*) FROM incidents) || ' ' || "
            "(SELECT coalesce(string_agg(id::text || ':' || version::text || status, ';' ORDER BY id), '') FROM "
            "incidents) || ' ' || (SELECT count(*) FROM agenda_items)")

    def check(self, what):
        now = self.snapshot()
        check(now == self.base, "%s changed the data:\n  before %s\n  after  %s" % (what, self.base, now))


# ---------------------------------------------------------------------------------------------------------------


def body(suite):
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B")
        org = {
            "team1": db.organisation_create(a, "care_team", "Équipe de secteur 1"),
            "team2": db.organisation_create(a, "care_team", "Équipe de secteur 2"),
            "cur1": db.organisation_create(a, "curator_service", "UDAF"),
            "cur2": db.organisation_create(a, "curator_service", "ATMP"),
            "land1": db.organisation_create(a, "landlord", "Lille Métropole Habitat"),
            "land2": db.organisation_create(a, "landlord", "Vilogia"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination").token,
            "care1": db.token_create(a, "caregiver", scope=org["team1"], label="soignant 1").token,
            "care2": db.token_create(a, "caregiver", scope=org["team2"], label="soignant 2").token,
            "cur1": db.token_create(a, "curator", scope=org["cur1"], label="curateur 1").token,
            "cur2": db.token_create(a, "curator", scope=org["cur2"], label="curateur 2").token,
            "land1": db.token_create(a, "landlord", scope=org["land1"], label="bailleur 1").token,
            "land2": db.token_create(a, "landlord", scope=org["land2"], label="bailleur 2").token,
            "observer": db.token_create(a, "observer", label="observateur").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
        }
        with Daemon(db, threads=4) as d:
            w = World(d, db, tok, org)
            setup(w)
            run_cases(suite, w)
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


def run_cases(suite, w):
    db = w.db
    scoped = ("coord", "care1", "care2", "cur1", "cur2", "land1", "land2")
    reviews_of = lambda label: "/v1/placements/%s/reviews" % w.pl(label)  # noqa: E731

    # ---------------------------------------------------------------------------------------------------------
    # The schedule, before any review

    with suite.case("schedule: overdue (last review or move-in over 3 months ago), due (within 30 days), all"):
        items = check_schedule(w, w.call("coord", "GET", "/v1/reviews?status=overdue"), "coord", "overdue")
        check({i["placement_id"] for i in items} == {w.pl("alice"), w.pl("eve")}, "Alice and Ève are overdue")
        items = check_schedule(w, w.call("coord", "GET", "/v1/reviews?status=due"), "coord", "due")
        check([i["placement_id"] for i in items] == [w.pl("bruno")], "Bruno's review is due")
        items = check_schedule(w, w.call("coord", "GET", "/v1/reviews"), "coord")
        check(w.pl("david") not in [i["placement_id"] for i in items], "an ended placement is never listed")
        check(w.pl("chloe") in [i["placement_id"] for i in items], "without status: every active placement")
        got = [i["placement_id"] for i in list_all(w, "coord", "/v1/reviews")]
        check(got == [i["placement_id"] for i in items], "pages of 2 walk the whole schedule once, in order")

    with suite.case("schedule: scoped like placements; observer 403; bad query 400"):
        for who in scoped:
            for status in ("overdue", "due", None):
                path = "/v1/reviews" + ("?status=" + status if status else "")
                check_schedule(w, w.call(who, "GET", path), who, status)
        check(w.call("coordB", "GET", "/v1/reviews").body["items"] == [], "another commission lists nothing")
        expect_problem(w.call("observer", "GET", "/v1/reviews"), 403, "forbidden")
        for query, field in (("status=late", "query:status"), ("limit=0", "query:limit"),
                             ("cursor=abc!", "query:cursor"), ("placement_id=%s" % MISSING, "query:placement_id")):
            expect_problem(w.call("coord", "GET", "/v1/reviews?" + query), 400, "invalid-query", field=field)

    # ---------------------------------------------------------------------------------------------------------
    # Reviews

    with suite.case("reviews: each role writes its parts, each recording written_by_role; 201, Location, ETag"):
        for who in ("coord", "care1", "cur1", "land1"):
            role = ROLE[who]
            sent = {"review_date": day(0)}
            for part in WRITES[role]:
                sent.update(PART_BODY[part])
            r = w.call(who, "POST", reviews_of("alice"), body=sent)
            rv = check_review(expect_status(r, 201), role, {p: role for p in WRITES[role]},
                              {"placement_id": w.pl("alice"), "review_date": day(0)})
            check(r.headers.get("location") == "/v1/reviews/%s" % rv["id"], "Location is the review's path", r)
            # the coordinator sees every part, and who wrote it
            r = w.call("coord", "GET", "/v1/reviews/%s" % rv["id"])
            full = check_review(expect_status(r, 200), "coordinator", {p: role for p in WRITES[role]})
            for part in WRITES[role]:
                if part == "rent":
                    check(full["rent"]["status"] == "up_to_date" and full["rent"]["arrears_cents"] is None,
                          "rent up to date, no arrears", r)
                elif part == "outcome":
                    check(full["outcome"]["value"] == "continue", "outcome continue", r)
                else:
                    check(full[part]["text"] == PART_BODY[part][part], "%s text as sent" % part, r)
        w.reviewed("alice", day(0))
        r = w.call("cur1", "POST", reviews_of("alice"), body={"review_date": day(0)})
        check_review(expect_status(r, 201), "curator", {})

    with suite.case("reviews: a part the role does not write is 422 naming it; nothing is created"):
        state = Unchanged(db)
        for who in ("care1", "cur1", "land1"):
            role = ROLE[who]
            allowed = sorted(WRITES[role])[0]
            for part in sorted(set(PARTS) - WRITES[role]):
                for sent in ({"review_date": day(0), **PART_BODY[part]},
                             {"review_date": day(0), **PART_BODY[allowed], **PART_BODY[part]}):
                    r = w.call(who, "POST", reviews_of("alice"), body=sent)
                    expect_problem(r, 422, "validation-failed", field=PART_FIELD[part])
        expect_problem(w.call("care1", "POST", reviews_of("alice"), body={"review_date": day(0), "arrears_cents": 0}),
                       422, "validation-failed", field="/arrears_cents")
        expect_problem(w.call("cur1", "POST", reviews_of("alice"), body={"review_date": day(0),
                                                                         "care_followup": None}),
                       422, "validation-failed", field="/care_followup")
        state.check("forbidden parts")

    with suite.case("reviews: rent arrears need arrears_cents > 0; up_to_date refuses a positive amount"):
        state = Unchanged(db)
        for sent in ({"rent_status": "arrears"}, {"rent_status": "arrears", "arrears_cents": 0},
                     {"rent_status": "arrears", "arrears_cents": None},
                     {"rent_status": "up_to_date", "arrears_cents": 12000}, {"arrears_cents": 500},
                     {"rent_status": None, "arrears_cents": 500}):
            r = w.call("cur1", "POST", reviews_of("alice"), body=dict(sent, review_date=day(0)))
            expect_problem(r, 422, "validation-failed", field="/arrears_cents")
        for sent, field in (({"rent_status": "late"}, "/rent_status"),
                            ({"rent_status": "arrears", "arrears_cents": -5}, "/arrears_cents"),
                            ({"rent_status": "arrears", "arrears_cents": "12000"}, "/arrears_cents"),
                            ({"rent_status": "arrears", "arrears_cents": 100000001}, "/arrears_cents")):
            r = w.call("land1", "POST", reviews_of("alice"), body=dict(sent, review_date=day(0)))
            expect_problem(r, 422, "validation-failed", field=field)
        state.check("inconsistent rent parts")
        r = w.call("cur1", "POST", reviews_of("alice"), body={"review_date": day(0), "rent_status": "arrears",
                                                              "arrears_cents": 12000})
        check_review(expect_status(r, 201), "curator", {"rent": "curator"},
                     {"rent/status": "arrears", "rent/arrears_cents": 12000})
        r = w.call("land1", "POST", reviews_of("alice"), body={"review_date": day(0), "rent_status": "up_to_date",
                                                               "arrears_cents": 0})
        check_review(expect_status(r, 201), "landlord", {"rent": "landlord"},
                     {"rent/status": "up_to_date", "rent/arrears_cents": None})

    with suite.case("reviews: review_date before the move-in or in the future is 422; required; nothing created"):
        state = Unchanged(db)
        chloe_in = w.placements["chloe"]["move_in"]
        before = (datetime.date.fromisoformat(chloe_in) - datetime.timedelta(days=1)).isoformat()
        for sent in ({"review_date": day(1)}, {"review_date": day(400)}, {"review_date": before},
                     {"review_date": "2026-02-30"}, {"review_date": None}, {}, {"housing": "x"}):
            expect_problem(w.call("coord", "POST", reviews_of("chloe"), body=sent), 422, "validation-failed",
                           field="/review_date")
        expect_problem(w.call("coord", "POST", reviews_of("chloe"), body={"review_date": day(0), "colour": "bleu"}),
                       422, "validation-failed", field="/colour")
        expect_problem(w.call("coord", "POST", reviews_of("chloe"), body={"review_date": day(0), "housing": ""}),
                       422, "validation-failed", field="/housing")
        expect_problem(w.call("coord", "POST", reviews_of("chloe"), body={"review_date": day(0), "outcome": "stop"}),
                       422, "validation-failed", field="/outcome")
        state.check("refused review dates")
        r = w.call("care1", "POST", reviews_of("chloe"), body={"review_date": chloe_in, "outcome": "continue"})
        check_review(expect_status(r, 201), "caregiver", {"outcome": "caregiver"}, {"review_date": chloe_in})
        w.reviewed("chloe", chloe_in)

    with suite.case("reviews: a placement out of scope is 404 (other team, landlord, curator, commission); "
                    "observer 403"):
        state = Unchanged(db)
        for who, sent in (("care2", PART_BODY["housing"]), ("land2", PART_BODY["rent"]), ("cur2", PART_BODY["rent"]),
                          ("coordB", PART_BODY["housing"])):
            r = w.call(who, "POST", reviews_of("alice"), body=dict(sent, review_date=day(0)))
            expect_problem(r, 404, "not-found")
            expect_problem(w.call(who, "GET", reviews_of("alice")), 404, "not-found")
        expect_problem(w.call("care1", "POST", reviews_of("bruno"), body={"review_date": day(0), "housing": "x"}),
                       404, "not-found")
        expect_problem(w.call("coord", "POST", "/v1/placements/%s/reviews" % MISSING, body={"review_date": day(0)}),
                       404, "not-found")
        expect_problem(w.call("observer", "POST", reviews_of("alice"), body={"review_date": day(0)}), 403,
                       "forbidden")
        expect_problem(w.call("observer", "GET", reviews_of("alice")), 403, "forbidden")
        expect_problem(w.call("coord", "POST", "/v1/placements/nope/reviews", body={"review_date": day(0)}), 400,
                       "invalid-id", field="path:id")
        state.check("out-of-scope reviews")

    with suite.case("reviews: reading — curator and landlord never receive care_followup, landlord never autonomy"):
        sent = {"review_date": day(0)}
        for part in PARTS:
            sent.update(PART_BODY[part])
        sent["care_followup"] = "Suivi: " + CARE_FOLLOWUP_MARK
        sent["autonomy"] = "AUTONOMYMARK-7q2"
        r = w.call("coord", "POST", reviews_of("alice"), body=sent)
        rv = check_review(expect_status(r, 201), "coordinator", {p: "coordinator" for p in PARTS})
        for who in ("coord", "care1", "cur1", "land1"):
            role = ROLE[who]
            r = w.call(who, "GET", "/v1/reviews/%s" % rv["id"])
            check_review(expect_status(r, 200), role, {p: "coordinator" for p in READS[role]})
            r2 = w.call(who, "GET", reviews_of("alice"))
            expect_status(r2, 200)
            check(set(r2.body) == {"items"} and rv["id"] in [x["id"] for x in r2.body["items"]],
                  "the placement's reviews list it", r2)
            dates = [x["review_date"] for x in r2.body["items"]]
            check(dates == sorted(dates, reverse=True), "newest review first", r2)
            for x in r2.body["items"]:
                check(set(x) == REVIEW_BASE | READS[role], "a %s's list holds its parts only" % role, r2)
            for resp in (r, r2):
                check((CARE_FOLLOWUP_MARK in resp.text) == ("care_followup" in READS[role]),
                      "the care follow-up text reaches only the care side", resp)
                check(("AUTONOMYMARK-7q2" in resp.text) == ("autonomy" in READS[role]),
                      "the autonomy text never reaches a landlord", resp)
        for who in ("care2", "cur2", "land2", "coordB"):
            expect_problem(w.call(who, "GET", "/v1/reviews/%s" % rv["id"]), 404, "not-found")
        expect_problem(w.call("observer", "GET", "/v1/reviews/%s" % rv["id"]), 403, "forbidden")
        expect_problem(w.call("coord", "GET", "/v1/reviews/%s" % MISSING), 404, "not-found")
        expect_problem(w.call("coord", "GET", "/v1/reviews/xyz"), 400, "invalid-id", field="path:id")

    with suite.case("reviews: PATCH by another role adds its part (If-Match: 428, 412, 200); the others stay"):
        sent = {"review_date": day(-2), "care_followup": "Consultation faite", "housing": "RAS",
                "outcome": "adjust_support"}
        r = w.call("care1", "POST", reviews_of("alice"), body=sent)
        rv = check_review(expect_status(r, 201), "caregiver",
                          {"care_followup": "caregiver", "housing": "caregiver", "outcome": "caregiver"})
        path = "/v1/reviews/%s" % rv["id"]
        v = rv["version"]
        state = Unchanged(db)
        rent = {"rent_status": "arrears", "arrears_cents": 30000}
        expect_problem(w.call("cur1", "PATCH", path, body=rent), 428, "precondition-required", field="header:If-Match")
        for stale in ('"v%d"' % (v + 1), '"v0"', "v%d" % v, 'W/"v%d"' % v):
            expect_problem(w.call("cur1", "PATCH", path, body=rent, headers={"If-Match": stale}), 412,
                           "precondition-failed")
        etag = {"If-Match": '"v%d"' % v}
        expect_problem(w.call("cur1", "PATCH", path, body={"housing": "x"}, headers=etag), 422, "validation-failed",
                       field="/housing")
        expect_problem(w.call("cur1", "PATCH", path, body={"review_date": day(0)}, headers=etag), 422,
                       "validation-failed", field="/review_date")
        expect_problem(w.call("cur1", "PATCH", path, body={"rent_status": "arrears"}, headers=etag), 422,
                       "validation-failed", field="/arrears_cents")
        expect_problem(w.call("care2", "PATCH", path, body={"housing": "x"}, headers=etag), 404, "not-found")
        expect_problem(w.call("land2", "PATCH", path, body={"housing": "x"}, headers=etag), 404, "not-found")
        expect_problem(w.call("observer", "PATCH", path, body={"housing": "x"}, headers=etag), 403, "forbidden")
        expect_problem(w.call("coord", "PATCH", "/v1/reviews/%s" % MISSING, body={}, headers=etag), 404, "not-found")
        state.check("refused PATCHes")
        r = w.call("cur1", "PATCH", path, body=rent, headers=etag)
        got = check_review(expect_status(r, 200), "curator",
                           {"rent": "curator", "housing": "caregiver", "outcome": "caregiver"},
                           {"version": v + 1, "rent/status": "arrears", "rent/arrears_cents": 30000,
                            "review_date": day(-2)})
        r = w.call("land1", "PATCH", path, body={"housing": "Porte d'entrée à réparer"},
                   headers={"If-Match": r.headers["etag"]})
        got = check_review(expect_status(r, 200), "landlord", {"rent": "curator", "housing": "landlord",
                                                               "outcome": "caregiver"},
                           {"version": v + 2, "housing/text": "Porte d'entrée à réparer"})
        r = w.call("coord", "GET", path)
        check_review(expect_status(r, 200), "coordinator",
                     {"care_followup": "caregiver", "rent": "curator", "housing": "landlord", "outcome": "caregiver"},
                     {"version": v + 2, "care_followup/text": "Consultation faite", "outcome/value": "adjust_support"})
        expect_problem(w.call("cur1", "PATCH", path, body=rent, headers=etag), 412, "precondition-failed")
        w.reviewed("alice", day(-2))

    with suite.case("schedule: a new review moves next_review_on three months after it; an older one does not"):
        check(w.pl("bruno") in [i["placement_id"] for i in w.call("coord", "GET", "/v1/reviews?status=due").body[
            "items"]], "Bruno is due before his review")
        r = w.call("care2", "POST", reviews_of("bruno"), body={"review_date": day(-3), "outcome": "continue"})
        expect_status(r, 201)
        w.reviewed("bruno", day(-3))
        r = w.call("care2", "POST", reviews_of("bruno"), body={"review_date": day(-40), "housing": "RAS"})
        expect_status(r, 201)
        w.reviewed("bruno", day(-40))
        items = check_schedule(w, w.call("coord", "GET", "/v1/reviews"), "coord")
        mine = [i for i in items if i["placement_id"] == w.pl("bruno")]
        check(mine and mine[0]["last_review_date"] == day(-3) and mine[0]["next_review_on"] == add_months(day(-3), 3)
              and mine[0]["status"] == "scheduled", "Bruno's next review is 3 months after the latest: %s" % mine)
        check(w.pl("bruno") not in [i["placement_id"] for i in w.call("coord", "GET", "/v1/reviews?status=due").body[
            "items"]], "Bruno is no longer due")
        check(w.pl("alice") not in [i["placement_id"] for i in w.call(
            "coord", "GET", "/v1/reviews?status=overdue").body["items"]], "Alice, reviewed, is no longer overdue")
        for who in scoped:
            for status in ("overdue", "due", None):
                check_schedule(w, w.call(who, "GET", "/v1/reviews" + ("?status=" + status if status else "")), who,
                               status)

    # ---------------------------------------------------------------------------------------------------------
    # Incidents

    with suite.case("incidents: coordinator, caregiver, curator, landlord report on placements they see (201)"):
        for who in ("coord", "care1", "cur1", "land1"):
            r = report(w, who, "alice", description="Signalement par %s" % ROLE[who])
            reported(w, r, "alice", "disturbance", who)
        r = report(w, "care2", "bruno", kind="prolonged_absence", description="Absent depuis trois semaines")
        reported(w, r, "bruno", "prolonged_absence", "care2")
        r = report(w, "land2", "bruno", kind="damage", description="Fenêtre cassée", occurred_on=day(0))
        reported(w, r, "bruno", "damage", "land2")
        r = report(w, "land1", "chloe", kind="rent_arrears", description="Deux mois impayés", arrears_cents=84000)
        inc = reported(w, r, "chloe", "rent_arrears", "land1")
        check(inc["arrears_cents"] == 84000, "arrears_cents kept", r)

    with suite.case("incidents: others are 404 (not their placement), observer 403; nothing created"):
        state = Unchanged(db)
        for who in ("care2", "cur2", "land2", "coordB"):
            expect_problem(report(w, who, "alice"), 404, "not-found")
        expect_problem(report(w, "cur1", "bruno"), 404, "not-found")
        expect_problem(w.call("coord", "POST", "/v1/placements/%s/incidents" % MISSING, body={
            "kind": "other", "description": "x", "occurred_on": day(0)}), 404, "not-found")
        expect_problem(report(w, "observer", "alice"), 403, "forbidden")
        state.check("out-of-scope reports")

    with suite.case("incidents: rent_arrears needs arrears_cents; curator or landlord hospitalisation 422; "
                    "future occurred_on 422"):
        state = Unchanged(db)
        expect_problem(report(w, "cur1", "alice", kind="rent_arrears"), 422, "validation-failed",
                       field="/arrears_cents")
        expect_problem(report(w, "cur1", "alice", kind="rent_arrears", arrears_cents=None), 422, "validation-failed",
                       field="/arrears_cents")
        expect_problem(report(w, "cur1", "alice", kind="rent_arrears", arrears_cents=0), 422, "validation-failed",
                       field="/arrears_cents")
        for who in ("cur1", "land1"):
            expect_problem(report(w, who, "alice", kind="hospitalisation", description=HOSPIT_MARK), 422,
                           "validation-failed", field="/kind")
        expect_problem(report(w, "coord", "alice", occurred_on=day(1)), 422, "validation-failed",
                       field="/occurred_on")
        expect_problem(report(w, "care1", "alice", occurred_on="2026-13-01"), 422, "validation-failed",
                       field="/occurred_on")
        for sent, field in (({"kind": "fire", "description": "x", "occurred_on": day(0)}, "/kind"),
                            ({"kind": "other", "occurred_on": day(0)}, "/description"),
                            ({"kind": "other", "description": "", "occurred_on": day(0)}, "/description"),
                            ({"kind": "other", "description": "x"}, "/occurred_on"),
                            ({"kind": "other", "description": "x", "occurred_on": day(0), "status": "closed"},
                             "/status")):
            expect_problem(w.call("coord", "POST", "/v1/placements/%s/incidents" % w.pl("alice"), body=sent), 422,
                           "validation-failed", field=field)
        state.check("refused reports")

    with suite.case("incidents: visibility — curator never sees hospitalisations, landlord only landlords' reports"):
        r = report(w, "care1", "alice", kind="hospitalisation", description="Hospitalisation: " + HOSPIT_MARK)
        hosp = reported(w, r, "alice", "hospitalisation", "care1")
        r = report(w, "coord", "chloe", kind="hospitalisation", description="Hospitalisation courte")
        reported(w, r, "chloe", "hospitalisation", "coord")
        for who in scoped + ("coordB",):
            want = [i["id"] for i in w.incidents if w.sees_incident(who, i)]
            got = [i["id"] for i in list_all(w, who, "/v1/incidents")]
            check(sorted(got) == sorted(want) and len(got) == len(set(got)),
                  "%s lists %d incidents, expected %d" % (who, len(got), len(want)))
            for inc in w.incidents:
                r = w.call(who, "GET", "/v1/incidents/%s" % inc["id"])
                if w.sees_incident(who, inc):
                    check_incident(expect_status(r, 200), {"kind": inc["kind"], "placement_id": w.pl(inc["placement"]),
                                                           "reported_by_role": inc["by"]})
                else:
                    expect_problem(r, 404, "not-found")
        r = w.call("cur1", "GET", "/v1/incidents?placement_id=%s" % w.pl("alice"))
        check(hosp["id"] not in [i["id"] for i in expect_status(r, 200).body["items"]] and HOSPIT_MARK not in r.text,
              "the curator's list has no hospitalisation", r)
        r = w.call("land1", "GET", "/v1/incidents")
        check(all(i["reported_by_role"] == "landlord" for i in expect_status(r, 200).body["items"])
              and HOSPIT_MARK not in r.text, "a landlord lists landlords' reports only", r)
        expect_problem(w.call("observer", "GET", "/v1/incidents"), 403, "forbidden")
        expect_problem(w.call("observer", "GET", "/v1/incidents/%s" % hosp["id"]), 403, "forbidden")
        expect_problem(w.call("coord", "GET", "/v1/incidents/%s" % MISSING), 404, "not-found")
        expect_problem(w.call("coord", "GET", "/v1/incidents/nope"), 400, "invalid-id", field="path:id")

    with suite.case("incidents: the coordinator acknowledges then closes (closing_note required); others 403; "
                    "closing a closed incident 409"):
        target = [i for i in w.incidents if i["placement"] == "alice" and i["by"] == "landlord"][0]
        path = "/v1/incidents/%s" % target["id"]
        state = Unchanged(db)
        for who in ("care1", "cur1", "land1", "observer", "care2"):
            expect_problem(w.call(who, "POST", path + "/acknowledge"), 403, "forbidden")
            expect_problem(w.call(who, "POST", path + "/close", body={"closing_note": "réglé"}), 403, "forbidden")
        expect_problem(w.call("coordB", "POST", path + "/acknowledge"), 404, "not-found")
        expect_problem(w.call("coord", "POST", "/v1/incidents/%s/acknowledge" % MISSING), 404, "not-found")
        expect_problem(w.call("coord", "POST", path + "/close", body={}), 422, "validation-failed",
                       field="/closing_note")
        expect_problem(w.call("coord", "POST", path + "/close", body={"closing_note": ""}), 422, "validation-failed",
                       field="/closing_note")
        expect_problem(w.call("coord", "POST", path + "/acknowledge", body={"note": "x"}), 415,
                       "unsupported-media-type")
        state.check("refused acknowledgements and closings")
        r = w.call("coord", "POST", path + "/acknowledge")
        got = check_incident(expect_status(r, 200), {"status": "acknowledged", "version": 2, "closed_at": None,
                                                     "closing_note": None})
        check(TIMESTAMP_RE.match(got["acknowledged_at"] or ""), "acknowledged_at is set", r)
        r = w.call("coord", "POST", path + "/acknowledge")
        check(expect_problem(r, 409, "invalid-state").get("current_status") == "acknowledged",
              "acknowledged twice: current_status acknowledged", r)
        r = w.call("coord", "POST", path + "/close", body={"closing_note": "Médiation faite avec le voisinage"})
        got = check_incident(expect_status(r, 200), {"status": "closed", "version": 3,
                                                     "closing_note": "Médiation faite avec le voisinage",
                                                     "acknowledged_at": got["acknowledged_at"]})
        check(TIMESTAMP_RE.match(got["closed_at"] or ""), "closed_at is set", r)
        target["status"] = "closed"
        for sub, sent in (("/close", {"closing_note": "encore"}), ("/acknowledge", None)):
            r = w.call("coord", "POST", path + sub, body=sent)
            check(expect_problem(r, 409, "invalid-state").get("current_status") == "closed",
                  "a closed incident stays closed (%s)" % sub, r)
        r = w.call("land1", "GET", path)
        check_incident(expect_status(r, 200), {"status": "closed",
                                               "closing_note": "Médiation faite avec le voisinage"})
        # closing may skip the acknowledgement
        other = [i for i in w.incidents if i["placement"] == "bruno" and i["kind"] == "damage"][0]
        r = w.call("coord", "POST", "/v1/incidents/%s/close" % other["id"], body={"closing_note": "Vitre remplacée"})
        got = check_incident(expect_status(r, 200), {"status": "closed", "version": 2})
        check(got["acknowledged_at"] is not None and got["closed_at"] is not None, "closed straight from open", r)
        other["status"] = "closed"
        ack = [i for i in w.incidents if i["placement"] == "bruno" and i["kind"] == "prolonged_absence"][0]
        expect_status(w.call("coord", "POST", "/v1/incidents/%s/acknowledge" % ack["id"]), 200)
        ack["status"] = "acknowledged"

    with suite.case("incidents: list filter status (open, acknowledged, closed), placement_id; bad query 400"):
        for who in ("coord", "care1", "care2", "cur1", "land1", "land2"):
            for status in ("open", "acknowledged", "closed"):
                want = sorted(i["id"] for i in w.incidents if i["status"] == status and w.sees_incident(who, i))
                items = list_all(w, who, "/v1/incidents?status=" + status)
                check(sorted(i["id"] for i in items) == want and all(i["status"] == status for i in items),
                      "%s, status=%s: %d incidents, expected %d" % (who, status, len(items), len(want)))
        items = list_all(w, "coord", "/v1/incidents?placement_id=%s&status=open" % w.pl("alice"))
        check(sorted(i["id"] for i in items) == sorted(i["id"] for i in w.incidents if i["placement"] == "alice"
                                                       and i["status"] == "open"), "placement_id and status combine")
        items = list_all(w, "coord", "/v1/incidents")
        keys = [i["created_at"] for i in items]
        check(keys == sorted(keys), "oldest first")
        for query, field in (("status=done", "query:status"), ("placement_id=abc", "query:placement_id"),
                             ("limit=0", "query:limit"), ("cursor=!!", "query:cursor"), ("kind=damage", "query:kind")):
            expect_problem(w.call("coord", "GET", "/v1/incidents?" + query), 400, "invalid-query", field=field)

    # ---------------------------------------------------------------------------------------------------------
    # The agenda

    agenda = {}

    def agenda_items(who, sid):
        r = w.call(who, "GET", "/v1/sessions/%s/agenda" % sid)
        expect_status(r, 200)
        return r, r.body["items"]

    with suite.case("agenda: the build adds a review item per placement due by the session date and an incident "
                    "item per open incident, once"):
        session_date = day(40)
        r = w.call("coord", "POST", "/v1/sessions", body={"session_date": session_date, "town": "Roubaix",
                                                           "chair_name": "Mme l'Adjointe"})
        sid = expect_status(r, 201).body["id"]
        agenda["sid"] = sid
        want_reviews = sorted(w.pl(k) for k in w.active() if w.next_review(k) <= session_date)
        want_incidents = sorted(i["id"] for i in w.incidents if i["status"] != "closed")
        check(want_reviews and want_incidents, "the fixtures leave reviews due and incidents open")
        r = w.call("coord", "POST", "/v1/sessions/%s/agenda/build" % sid)
        items = expect_status(r, 200).body["items"]
        reviews = [i for i in items if i["kind"] == "review"]
        incidents = [i for i in items if i["kind"] == "incident"]
        check(sorted(i["placement"]["id"] for i in reviews) == want_reviews,
              "review items: placements due by %s (%s)" % (session_date, [k for k in w.active()
                                                                         if w.next_review(k) <= session_date]), r)
        check(sorted(i["incident"]["id"] for i in incidents) == want_incidents,
              "incident items: every incident not closed", r)
        for i in reviews:
            label = [k for k in w.placements if w.pl(k) == i["placement"]["id"]][0]
            p = w.placements[label]
            check(i["application"] is None and i["decision"] is None, "a review item has no application", r)
            check(i["placement"]["next_review_on"] == w.next_review(label)
                  and i["placement"]["move_in_date"] == p["move_in"]
                  and i["placement"]["unit_label"] == w.units[p["unit"]]["label"]
                  and i["placement"]["unit_town"] == w.units[p["unit"]]["town"]
                  and i["placement"]["person"]["id"] == w.people[p["person"]]["id"],
                  "the review item of %s: %s" % (label, i["placement"]), r)
        for i in incidents:
            inc = [x for x in w.incidents if x["id"] == i["incident"]["id"]][0]
            check(i["application"] is None and i["decision"] is None, "an incident item has no application", r)
            check(i["incident"]["kind"] == inc["kind"] and i["incident"]["status"] == inc["status"]
                  and set(i["incident"]) == {"id", "kind", "status", "occurred_on", "arrears_plan_state"}
                  and i["incident"]["arrears_plan_state"] is None,
                  "the incident item: id, kind, status, occurred_on, no repayment plan", r)
        positions = [i["position"] for i in items]
        check(positions == sorted(positions) and len(set(positions)) == len(positions), "distinct positions", r)
        before = sorted(i["id"] for i in items)
        r = w.call("coord", "POST", "/v1/sessions/%s/agenda/build" % sid)
        check(sorted(i["id"] for i in expect_status(r, 200).body["items"]) == before, "building again adds nothing",
              r)
        r = report(w, "care1", "chloe", kind="other", description="Conflit avec le gardien")
        new = reported(w, r, "chloe", "other", "care1")
        r = w.call("coord", "POST", "/v1/sessions/%s/agenda/build" % sid)
        after = expect_status(r, 200).body["items"]
        check(sorted(i["id"] for i in after if i["id"] not in before) ==
              sorted(i["id"] for i in after if i["kind"] == "incident" and i["incident"]["id"] == new["id"])
              and len(after) == len(before) + 1, "a new incident adds one item, and only it", r)
        agenda["items"] = after

    with suite.case("agenda: a decision on a review or incident item is 409 invalid-state"):
        sid = agenda["sid"]
        # A session opens on its date: the agenda built for day(40), the session is brought forward to today.
        r = expect_status(w.call("coord", "GET", "/v1/sessions/%s" % sid), 200)
        expect_status(w.call("coord", "PATCH", "/v1/sessions/%s" % sid, body={"session_date": day(0)},
                             headers={"If-Match": r.headers["etag"]}), 200)
        expect_status(w.call("coord", "POST", "/v1/sessions/%s/open" % sid), 200)
        state = Unchanged(db)
        for kind in ("review", "incident"):
            item = [i for i in agenda["items"] if i["kind"] == kind][0]
            for outcome in ("approve", "defer"):
                r = w.call("coord", "POST", "/v1/sessions/%s/decisions" % sid,
                           body={"agenda_item_id": item["id"], "outcome": outcome})
                b = expect_problem(r, 409, "invalid-state")
                check(isinstance(b.get("current_status"), str), "current_status is named", r)
        state.check("decisions on review and incident items")
        check(int(db.sql("SELECT count(*) FROM decisions WHERE session_id = '%s'" % sid)) == 0, "no decision")

    with suite.case("agenda: each item's placement and incident only to who may see them through their own "
                    "routes; observers read no agenda"):
        sid = agenda["sid"]
        hosp_ids = {i["id"] for i in w.incidents if i["kind"] == "hospitalisation" and i["status"] != "closed"}
        check(hosp_ids, "a hospitalisation is on the agenda")
        names = [p["family"] for p in w.people.values()] + [p["given"] for p in w.people.values()]
        r = w.call("observer", "GET", "/v1/sessions/%s/agenda" % sid)
        check(r.status == 403, "an observer reads no agenda (aggregates only)", r)
        for who in ("land1", "land2"):
            r, items = agenda_items(who, sid)
            check(len(items) == len(agenda["items"]), "%s reads every item" % who, r)
            for i in items:
                check((i.get("placement") or {}).get("person") is None and i["application"] is None,
                      "no person on a review or incident item", r)
                if i["kind"] == "incident" and i["incident"] is not None:
                    # what GET /v1/incidents/{id} shows this landlord, and nothing else
                    r2 = w.call(who, "GET", "/v1/incidents/%s" % i["incident"]["id"])
                    check(r2.status == 200, "%s reads an incident on the agenda it cannot read alone" % who, r2)
            check("hospitalisation" not in r.text and not any(n in r.text for n in names),
                  "no hospitalisation, no name anywhere in the %s's agenda" % who, r)
        r, items = agenda_items("cur1", sid)
        for i in items:
            if i["kind"] == "incident":
                check(i["incident"] is None or i["incident"]["id"] not in hosp_ids, "a curator reads no hospitalisation", r)
        check("hospitalisation" not in r.text, "no hospitalisation in the curator's agenda", r)
        for who in ("coord", "care1"):
            r, items = agenda_items(who, sid)
            for i in items:
                if i["placement"] is None:
                    check(who != "coord", "the coordinator sees every placement", r)
                    continue
                label = [k for k in w.placements if w.pl(k) == i["placement"]["id"]][0]
                mine = w.sees_placement(who, label)
                check((i["placement"]["person"] is not None) == mine,
                      "%s sees the person of %s's item: %s" % (who, label, mine), r)
                if i["kind"] == "incident" and i["incident"] is not None and i["incident"]["id"] in hosp_ids:
                    check(i["incident"]["kind"] == "hospitalisation", "%s reads hospitalisation" % who, r)

    with suite.case("agenda: a caregiver of another team gets neither the placement nor the incident of team 1"):
        r, items = agenda_items("care2", agenda["sid"])
        team1_hosp = {i["id"] for i in w.incidents if i["kind"] == "hospitalisation" and i["status"] != "closed"
                      and w.people[w.placements[i["placement"]]["person"]]["team"] == "team1"}
        for i in items:
            if i["kind"] == "incident":
                check(i["incident"] is None or i["incident"]["id"] not in team1_hosp,
                      "team 2 reads team 1's hospitalisation", r)
        check(not any(h in r.text for h in team1_hosp), "team 1's incident ids reach team 2", r)

    with suite.case("agenda: the session closes with its review and incident items undecided; minutes omit them"):
        sid = agenda["sid"]
        r = w.call("coord", "POST", "/v1/sessions/%s/close" % sid)
        check(expect_status(r, 200).body["status"] == "closed", "closed without defer_undecided", r)
        r = w.call("coord", "GET", "/v1/sessions/%s/minutes" % sid)
        check(expect_status(r, 200).body["decisions"] == [], "no decision in the minutes", r)

    # ---------------------------------------------------------------------------------------------------------
    # The status check

    with suite.case("status: a curator gets application, decision, placement, deposit, last rent report, open "
                    "incidents without hospitalisation, next review; no care-confidential text"):
        pe = w.pl("eve")
        r = w.call("cur1", "POST", reviews_of("eve"), body={"review_date": day(-60), "rent_status": "arrears",
                                                            "arrears_cents": 15000})
        expect_status(r, 201)
        r = w.call("care1", "POST", reviews_of("eve"), body={"review_date": day(-10),
                                                             "care_followup": "Suivi: " + CARE_FOLLOWUP_MARK,
                                                             "autonomy": "Progrès", "outcome": "continue"})
        expect_status(r, 201)
        w.reviewed("eve", day(-60))
        w.reviewed("eve", day(-10))
        r = report(w, "land1", "eve", description="Bruit le soir")
        disturbance = reported(w, r, "eve", "disturbance", "land1")
        r = report(w, "care1", "eve", kind="hospitalisation", description="Admission: " + HOSPIT_MARK,
                   occurred_on=day(-4))
        hosp = reported(w, r, "eve", "hospitalisation", "care1")
        r = report(w, "coord", "eve", kind="damage", description="Porte abîmée")
        damage = reported(w, r, "eve", "damage", "coord")
        expect_status(w.call("coord", "POST", "/v1/incidents/%s/close" % damage["id"],
                             body={"closing_note": "Réparée"}), 200)
        r = w.call("cur1", "GET", "/v1/people/%s/status" % w.people["eve"]["id"])
        b = expect_status(r, 200).body
        check(set(b) == STATUS_MEMBERS, "members of a status: %s" % sorted(STATUS_MEMBERS), r)
        check(b["person"] == {"id": w.people["eve"]["id"], "family_name": "Lambert", "given_names": "Ève",
                              "protection": "tutelle"}, "person", r)
        check(b["application"]["id"] == w.apps["eve"] and b["application"]["status"] == "placed"
              and TIMESTAMP_RE.match(b["application"]["submitted_at"]) and set(b["application"]) ==
              {"id", "status", "submitted_at"}, "application: id, status placed, submitted_at", r)
        check(set(b["last_decision"]) == {"outcome", "refusal_reason", "decided_at", "session_date"}
              and b["last_decision"]["outcome"] == "approve" and b["last_decision"]["refusal_reason"] is None
              and b["last_decision"]["session_date"] == w.s0["date"]
              and TIMESTAMP_RE.match(b["last_decision"]["decided_at"]), "last decision: the session's approval", r)
        check(b["placement"] == {"id": pe, "move_in_date": day(-100), "lease": "association_main_tenant", "exit_date": None,
                                 "unit": {"label": "T2 Fives", "town": "Lille"}, "lease_holder": "association",
                                 "refund_to_association": None, "sliding": None}, "placement with its unit", r)
        check(b["deposit"] == {"balance_cents": 42000, "currency": "EUR", "status": "held", "refund_due_on": None,
                               "months_late": 0, "penalty_cents": 0, "penalty_unpaid_cents": 0,
                               "provision_cents": 0, "provision_due_on": None}, "deposit held", r)
        check(b["rent"] == {"status": "arrears", "arrears_cents": 15000, "currency": "EUR", "as_of": day(-60)},
              "rent: the latest review with a rent part (not the later care-only one)", r)
        check([i["id"] for i in b["open_incidents"]] == [disturbance["id"]],
              "open incidents: the disturbance only (no hospitalisation, no closed one)", r)
        check(b["open_incidents"][0] == {"id": disturbance["id"], "kind": "disturbance", "occurred_on": day(-1),
                                         "status": "open", "arrears_cents": None}, "an open incident's members", r)
        check(b["next_review_on"] == add_months(day(-10), 3), "next review 3 months after the last", r)
        for mark in (SITUATION_MARK, CARE_NOTE_MARK, CARE_FOLLOWUP_MARK, HOSPIT_MARK, "hospitalisation"):
            check(mark not in r.text, "%r appears nowhere in the curator's status" % mark, r)
        w.status_ids = {"hosp": hosp["id"], "disturbance": disturbance["id"]}

    with suite.case("status: the person's caregiver sees it (hospitalisation included); landlord, observer 403; "
                    "another curator or team 404"):
        path = "/v1/people/%s/status" % w.people["eve"]["id"]
        r = w.call("care1", "GET", path)
        b = expect_status(r, 200).body
        check(set(b) == STATUS_MEMBERS and [i["id"] for i in b["open_incidents"]] ==
              [w.status_ids["disturbance"], w.status_ids["hosp"]], "the care team sees both open incidents", r)
        for mark in (SITUATION_MARK, CARE_NOTE_MARK, CARE_FOLLOWUP_MARK, HOSPIT_MARK):
            check(mark not in r.text, "%r appears nowhere in the caregiver's status" % mark, r)
        r = w.call("coord", "GET", path)
        check(expect_status(r, 200).body["rent"]["arrears_cents"] == 15000, "the coordinator sees it", r)
        for who in ("land1", "observer"):
            expect_problem(w.call(who, "GET", path), 403, "forbidden")
        for who in ("cur2", "care2", "coordB"):
            expect_problem(w.call(who, "GET", path), 404, "not-found")
        expect_problem(w.call("cur1", "GET", "/v1/people/%s/status" % w.people["bruno"]["id"]), 404, "not-found")
        expect_problem(w.call("coord", "GET", "/v1/people/%s/status" % MISSING), 404, "not-found")
        expect_problem(w.call("coord", "GET", "/v1/people/nope/status"), 400, "invalid-id", field="path:id")
        # an ended placement: no next review
        r = w.call("coord", "GET", "/v1/people/%s/status" % w.people["david"]["id"])
        b = expect_status(r, 200).body
        check(b["placement"]["exit_date"] == day(-5) and b["next_review_on"] is None and b["open_incidents"] == [],
              "an ended placement: exit_date, no next review", r)

    # ---------------------------------------------------------------------------------------------------------
    # Conventions every creation follows (README, api/openapi.yaml introduction)

    with suite.case("a new review is version 1 (ETag \"v1\"), as every created object; +1 on each PATCH"):
        r = w.call("care1", "POST", reviews_of("chloe"), body={"review_date": day(0), "outcome": "continue"})
        rv = expect_status(r, 201).body
        check(rv["version"] == 1 and r.headers.get("etag") == '"v1"',
              "version 1 and ETag \"v1\" on creation, got version %s, ETag %s" % (rv["version"], r.headers.get("etag")),
              r)
        r = w.call("cur1", "PATCH", "/v1/reviews/%s" % rv["id"], body={"rent_status": "up_to_date"},
                   headers={"If-Match": r.headers["etag"]})
        check(expect_status(r, 200).body["version"] == rv["version"] + 1, "+1 on the PATCH", r)

    with suite.case("Idempotency-Key: a retried review creation replays the first 201 and creates one review"):
        sent = {"review_date": day(0), "housing": "Visite à domicile"}
        n = w.count("reviews")
        r1 = w.call("care1", "POST", reviews_of("chloe"), body=sent, headers={"Idempotency-Key": "bilan-chloe-1"})
        first = expect_status(r1, 201).body
        r2 = w.call("care1", "POST", reviews_of("chloe"), body=sent, headers={"Idempotency-Key": "bilan-chloe-1"})
        check(expect_status(r2, 201).body.get("id") == first["id"] and r2.headers.get("idempotent-replayed") == "true",
              "the retry replays the first 201 (same id, Idempotent-Replayed: true)", r2)
        check(w.count("reviews") == n + 1, "one review created, not %d" % (w.count("reviews") - n))

    with suite.case("Idempotency-Key: a retried incident report replays the first 201 and creates one incident"):
        n = w.count("incidents")
        sent = {"kind": "other", "description": "Clés perdues", "occurred_on": day(0)}
        path = "/v1/placements/%s/incidents" % w.pl("chloe")
        r1 = w.call("land1", "POST", path, body=sent, headers={"Idempotency-Key": "incident-cles"})
        first = expect_status(r1, 201).body
        r2 = w.call("land1", "POST", path, body=sent, headers={"Idempotency-Key": "incident-cles"})
        check(expect_status(r2, 201).body.get("id") == first["id"] and r2.headers.get("idempotent-replayed") == "true",
              "the retry replays the first 201 (same id, Idempotent-Replayed: true)", r2)
        check(w.count("incidents") == n + 1, "one incident created, not %d" % (w.count("incidents") - n))


if __name__ == "__main__":
    Suite("reviews-incidents").main(body)
