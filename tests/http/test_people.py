#!/usr/bin/env python3
"""/v1/people and /v1/people/{id}/care-notes: creation by each role with its forced scope (coordinator: any care
team; caregiver: its own team; curator: its own service, protected people only), 403 for landlord and observer,
every validation error (names the field, changes nothing), references to organisations of the wrong kind or of
another commission (422), possible duplicates (409 with only the candidates the caller may see; confirm_duplicate),
scope (404 outside it, never listed), PATCH with If-Match, keyset pagination and the q search, Idempotency-Key,
care notes (coordinator and care team only, newest first, append-only).

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (TIMESTAMP_RE, UUID_RE, Daemon, Database, Step, Suite, check, error_fields,  # noqa: E402
                     expect_problem, expect_status, leaks, run_scenario)

PEOPLE = "/v1/people"
MEMBERS = {"id", "family_name", "given_names", "birth_date", "phone", "email", "address", "care_team_id",
           "protection", "curator_org_id", "protection_start", "protection_end", "version", "created_at",
           "updated_at"}
NOTE_MEMBERS = {"id", "person_id", "body", "author_role", "created_at"}
CANDIDATE_MEMBERS = {"id", "family_name", "given_names", "birth_date"}
MISSING = "00000000-0000-4000-8000-000000000000"


def create(d, token, body, key=None):
    return d.call("POST", PEOPLE, token=token, body=body, headers={"Idempotency-Key": key} if key else None)


def patch(d, token, pid, body, etag):
    return d.call("PATCH", "%s/%s" % (PEOPLE, pid), token=token, body=body,
                  headers={"If-Match": etag} if etag else None)


def notes_path(pid):
    return "%s/%s/care-notes" % (PEOPLE, pid)


def list_all(d, token, path=PEOPLE, query="", limit=200):
    """Every item TOKEN sees at PATH, following next_cursor; returns (items, pages)."""
    items, pages, cursor = [], [], None
    sep = "&" if query else ""
    for _ in range(200):
        url = "%s?%s%slimit=%d" % (path, query, sep, limit) + ("&cursor=" + cursor if cursor else "")
        r = d.call("GET", url, token=token)
        expect_status(r, 200)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        pages.append(r.body)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError("more than 200 pages")


def ids(items):
    return [o["id"] for o in items]


def check_person(r, expected):
    b = r.body
    check(isinstance(b, dict) and set(b) == MEMBERS, "members of a Person: %s" % sorted(MEMBERS), r)
    check(UUID_RE.match(b["id"]), "id is not a lower-case UUID", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is not an RFC 3339 UTC timestamp" % k, r)
    for k, v in expected.items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is not \"v<version>\"", r)


class Unchanged:
    """What a refused write must leave as it was: the people the coordinator lists, and the row counts of the
    tables a write could touch."""

    def __init__(self, d, db, token):
        self.d, self.db, self.token = d, db, token
        self.refresh()

    def snapshot(self):
        items, _ = list_all(self.d, self.token)
        counts = self.db.sql("SELECT (SELECT count(*) FROM people) || ' ' || (SELECT count(*) FROM care_notes) "
                             "|| ' ' || (SELECT count(*) FROM idempotency_keys)")
        return items, counts

    def refresh(self):
        self.base = self.snapshot()

    def check(self, what):
        now = self.snapshot()
        check(now == self.base, "%s changed the data:\n  before %s\n  after  %s" % (what, self.base, now))


def body(suite):
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
            "curB": db.organisation_create(b, "curator_service", "Mandataire de B"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination A").token,
            "care1": db.token_create(a, "caregiver", scope=org["team1"], label="soignant équipe 1").token,
            "care2": db.token_create(a, "caregiver", scope=org["team2"], label="soignant équipe 2").token,
            "cur1": db.token_create(a, "curator", scope=org["cur1"], label="curateur 1").token,
            "cur2": db.token_create(a, "curator", scope=org["cur2"], label="curateur 2").token,
            "landlord": db.token_create(a, "landlord", scope=org["land"], label="bailleur").token,
            "observer": db.token_create(a, "observer", label="observateur").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
            "careB": db.token_create(b, "caregiver", scope=org["teamB"], label="soignant B").token,
        }
        coord = tok["coord"]
        with Daemon(db, threads=4) as d:
            run_cases(suite, d, db, org, tok, coord)
            with suite.case("no response holds SQL or PostgreSQL's words"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
            with suite.case("no answer was a 5xx, no database error was logged"):
                from harness import ALL_RESPONSES
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
                check("database error" not in d.log_text(), "a database error was logged:\n" + "\n".join(
                    line for line in d.log_text().splitlines() if "database error" in line))
            with suite.case("no log line holds a care note's body or a person's name"):
                text = d.log_text()
                for secret in ("Note confidentielle", "Durand-Secret"):
                    check(secret not in text, "%r is in the daemon's log" % secret)
            d.stop()


def run_cases(suite, d, db, org, tok, coord):
    p = {}  # people created, by label
    today = datetime.date.today()
    tomorrow = (today + datetime.timedelta(days=2)).isoformat()

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("coordinator creates: 201, Location, ETag \"v1\", defaults (protection none, nulls)"):
        sent = {"family_name": "Durand-Secret", "given_names": "Marie Louise", "birth_date": "1975-03-14",
                "care_team_id": org["team1"]}
        r = create(d, coord, sent)
        expect_status(r, 201)
        check_person(r, dict(sent, protection="none", curator_org_id=None, phone=None, email=None, address=None,
                             protection_start=None, protection_end=None, version=1))
        check(r.headers.get("location") == "%s/%s" % (PEOPLE, r.body["id"]), "Location", r)
        check(r.body["created_at"] == r.body["updated_at"], "created_at != updated_at on creation", r)
        p["durand"] = r.body
        full = {"family_name": "Lefebvre", "given_names": "Paul", "birth_date": "1960-12-01",
                "phone": "+33 6 00 00 00 00", "email": "paul@example.org", "address": "3 rue des Lilas\nAppt 4\t2e",
                "care_team_id": org["team2"], "protection": "curatelle_renforcee", "curator_org_id": org["cur1"],
                "protection_start": "2020-01-01", "protection_end": "2025-12-31", "confirm_duplicate": False}
        r = create(d, coord, full)
        expect_status(r, 201)
        expected = dict(full)
        del expected["confirm_duplicate"]
        check_person(r, expected)
        p["lefebvre"] = r.body
        r = d.call("GET", "%s/%s" % (PEOPLE, p["lefebvre"]["id"]), token=coord)
        check(r.status == 200 and r.body == p["lefebvre"] and r.headers.get("etag") == '"v1"', "GET = creation", r)
        r = d.call("GET", "%s/%s" % (PEOPLE, p["lefebvre"]["id"].upper()), token=coord)
        check(r.status == 200 and r.body["id"] == p["lefebvre"]["id"], "an upper-case id is the same id", r)

    with suite.case("caregiver creates: care_team_id defaults to its own team; naming it is fine; another: 422"):
        r = create(d, tok["care1"], {"family_name": "Martin", "given_names": "Luc", "birth_date": "1990-07-20"})
        expect_status(r, 201)
        check_person(r, {"care_team_id": org["team1"], "protection": "none"})
        p["martin"] = r.body
        r = create(d, tok["care1"], {"family_name": "Moreau", "given_names": "Anne", "birth_date": "1988-02-29",
                                     "care_team_id": org["team1"].upper(), "protection": "tutelle",
                                     "curator_org_id": org["cur2"]})
        expect_status(r, 201)
        check_person(r, {"care_team_id": org["team1"], "protection": "tutelle", "curator_org_id": org["cur2"]})
        p["moreau"] = r.body
        state = Unchanged(d, db, coord)
        r = create(d, tok["care1"], {"family_name": "Ailleurs", "given_names": "Zoé", "birth_date": "1990-01-01",
                                     "care_team_id": org["team2"]})
        expect_problem(r, 422, "validation-failed", field="/care_team_id")
        state.check("a caregiver naming another team")

    with suite.case("curator creates: its own service, protected people only"):
        sent = {"family_name": "Petit", "given_names": "Jules", "birth_date": "1955-11-30",
                "care_team_id": org["team2"], "protection": "curatelle_simple", "curator_org_id": org["cur1"],
                "protection_start": "2021-06-01"}
        r = create(d, tok["cur1"], sent)
        expect_status(r, 201)
        check_person(r, dict(sent, protection_end=None))
        p["petit"] = r.body
        state = Unchanged(d, db, coord)
        base = {"family_name": "Refus", "given_names": "Curateur", "birth_date": "1950-01-01",
                "care_team_id": org["team2"]}
        for extra, field in [({"protection": "tutelle", "curator_org_id": org["cur2"]}, "/curator_org_id"),
                             ({}, "/protection"),
                             ({"protection": "none"}, "/protection"),
                             ({"protection": "tutelle"}, "/curator_org_id")]:
            r = create(d, tok["cur1"], dict(base, **extra))
            expect_problem(r, 422, "validation-failed", field=field)
        r = create(d, tok["cur1"], {"family_name": "Refus", "given_names": "Sans équipe", "birth_date": "1950-01-01",
                                    "protection": "tutelle", "curator_org_id": org["cur1"]})
        expect_problem(r, 422, "validation-failed", field="/care_team_id")
        state.check("a curator's refused creations")

    with suite.case("landlord and observer: 403 forbidden on every people route"):
        state = Unchanged(d, db, coord)
        pid = p["durand"]["id"]
        for role in ("landlord", "observer"):
            t = tok[role]
            for method, path, body, headers in [
                    ("GET", PEOPLE, None, None), ("GET", PEOPLE + "?q=Dur", None, None),
                    ("POST", PEOPLE, {"family_name": "X", "given_names": "Y", "birth_date": "1980-01-01",
                                      "care_team_id": org["team1"]}, {"Idempotency-Key": "forbidden-" + role}),
                    ("GET", "%s/%s" % (PEOPLE, pid), None, None), ("GET", "%s/%s" % (PEOPLE, MISSING), None, None),
                    ("PATCH", "%s/%s" % (PEOPLE, pid), {"phone": "1"}, {"If-Match": '"v1"'}),
                    ("GET", notes_path(pid), None, None),
                    ("POST", notes_path(pid), {"body": "interdit"}, None)]:
                r = d.call(method, path, token=t, body=body, headers=headers)
                expect_problem(r, 403, "forbidden")
                check(pid not in r.text and "Durand" not in r.text, "a 403 tells something about the person", r)
        state.check("refused requests of landlord and observer")

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("validation: every error is 422 naming its field, and changes nothing"):
        state = Unchanged(d, db, coord)
        ok = {"family_name": "Valide", "given_names": "Jean", "birth_date": "1980-01-01", "care_team_id": org["team1"]}
        cases = [
            ({"family_name": None}, "/family_name"), ({"given_names": None}, "/given_names"),
            ({"birth_date": None}, "/birth_date"),
            ({"family_name": ""}, "/family_name"), ({"family_name": "x" * 101}, "/family_name"),
            ({"family_name": "a\nb"}, "/family_name"), ({"family_name": 5}, "/family_name"),
            ({"given_names": ""}, "/given_names"), ({"given_names": "é" * 101}, "/given_names"),
            ({"birth_date": "2020-02-30"}, "/birth_date"), ({"birth_date": "1899-12-31"}, "/birth_date"),
            ({"birth_date": tomorrow}, "/birth_date"), ({"birth_date": "01/02/1980"}, "/birth_date"),
            ({"phone": "1" * 41}, "/phone"), ({"phone": "01\t02"}, "/phone"),
            ({"email": "pas-une-adresse"}, "/email"), ({"email": "a@b@c"}, "/email"),
            ({"address": "x" * 501}, "/address"), ({"address": "a\x01b"}, "/address"),
            ({"care_team_id": "pas-un-uuid"}, "/care_team_id"), ({"care_team_id": None}, "/care_team_id"),
            ({"protection": "bogus"}, "/protection"), ({"protection": None}, "/protection"),
            ({"protection": "curatelle_simple"}, "/curator_org_id"),
            ({"protection": "curatelle_simple", "curator_org_id": None}, "/curator_org_id"),
            ({"curator_org_id": org["cur1"]}, "/curator_org_id"),
            ({"protection": "tutelle", "curator_org_id": "x"}, "/curator_org_id"),
            ({"protection_start": "2020-13-01"}, "/protection_start"),
            ({"protection_start": "2022-01-02", "protection_end": "2022-01-01"}, "/protection_end"),
            ({"confirm_duplicate": "yes"}, "/confirm_duplicate"),
            ({"colour": "bleu"}, "/colour"), ({"id": MISSING}, "/id"), ({"version": 3}, "/version"),
            # references: wrong kind, nonexistent, another commission's
            ({"care_team_id": org["cur1"]}, "/care_team_id"), ({"care_team_id": org["land"]}, "/care_team_id"),
            ({"care_team_id": MISSING}, "/care_team_id"), ({"care_team_id": org["teamB"]}, "/care_team_id"),
            ({"protection": "tutelle", "curator_org_id": org["team2"]}, "/curator_org_id"),
            ({"protection": "tutelle", "curator_org_id": MISSING}, "/curator_org_id"),
            ({"protection": "tutelle", "curator_org_id": org["curB"]}, "/curator_org_id"),
        ]
        for i, (change, field) in enumerate(cases):
            sent = dict(ok)
            for k, v in change.items():
                if v is None and k in ("family_name", "given_names", "birth_date", "care_team_id"):
                    sent.pop(k)  # left out: "is required"
                else:
                    sent[k] = v
            for key in (None, "refused-%d" % i):
                r = create(d, coord, sent, key=key)
                expect_problem(r, 422, "validation-failed", field=field)
        # null where a value is required (not the same as left out)
        for k in ("family_name", "birth_date", "care_team_id", "protection"):
            expect_problem(create(d, coord, dict(ok, **{k: None})), 422, "validation-failed", field="/" + k)
        # every field at fault is named at once
        r = create(d, coord, {"family_name": "", "birth_date": "x", "care_team_id": "y", "colour": 1})
        expect_problem(r, 422, "validation-failed",
                       fields=["/family_name", "/given_names", "/birth_date", "/care_team_id", "/colour"])
        r = create(d, coord, dict(ok, care_team_id=org["cur1"], protection="tutelle", curator_org_id=org["team1"]))
        expect_problem(r, 422, "validation-failed", fields=["/care_team_id", "/curator_org_id"])
        state.check("refused creations")

    with suite.case("a refused creation leaves no Idempotency-Key: corrected, the same key creates"):
        state = Unchanged(d, db, coord)
        bad = {"family_name": "Clé", "given_names": "Reprise", "birth_date": "1980-01-01", "care_team_id": org["cur1"]}
        r = create(d, coord, bad, key="corrected-later")
        expect_problem(r, 422, "validation-failed", field="/care_team_id")
        state.check("a refused creation under a key")
        r = create(d, coord, dict(bad, care_team_id=org["team2"]), key="corrected-later")
        expect_status(r, 201)
        check("idempotent-replayed" not in r.headers, "the corrected request is not a replay", r)
        p["cle"] = r.body

    with suite.case("another commission's coordinator cannot name this commission's organisations"):
        r = create(d, tok["coordB"], {"family_name": "B", "given_names": "B", "birth_date": "1980-01-01",
                                      "care_team_id": org["team1"]})
        expect_problem(r, 422, "validation-failed", field="/care_team_id")
        r = create(d, tok["coordB"], {"family_name": "B", "given_names": "B", "birth_date": "1980-01-01",
                                      "care_team_id": org["teamB"], "protection": "tutelle",
                                      "curator_org_id": org["cur1"]})
        expect_problem(r, 422, "validation-failed", field="/curator_org_id")
        r = create(d, tok["coordB"], {"family_name": "Bernard", "given_names": "Basile", "birth_date": "1980-01-01",
                                      "care_team_id": org["teamB"], "protection": "tutelle",
                                      "curator_org_id": org["curB"]})
        expect_status(r, 201)
        p["bernardB"] = r.body

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("possible duplicate: 409 with the candidates, any case; confirm_duplicate creates"):
        state = Unchanged(d, db, coord)
        dup = {"family_name": "DURAND-secret", "given_names": "marie louise", "birth_date": "1975-03-14",
               "care_team_id": org["team2"]}
        r = create(d, coord, dup, key="dup-1")
        b = expect_problem(r, 409, "possible-duplicate")
        check(b.get("candidates") == [{"id": p["durand"]["id"], "family_name": "Durand-Secret",
                                       "given_names": "Marie Louise", "birth_date": "1975-03-14"}],
              "candidates", r)
        r = create(d, coord, dict(dup, confirm_duplicate=False))
        expect_problem(r, 409, "possible-duplicate")
        state.check("a refused duplicate")
        # another birth date, or other given names: no duplicate
        for other in ({"birth_date": "1975-03-15"}, {"given_names": "Marie"}):
            expect_status(create(d, coord, dict(dup, **other)), 201)
        state.refresh()
        r = create(d, coord, dict(dup, confirm_duplicate=True), key="dup-1")
        expect_status(r, 201)
        check_person(r, {"family_name": "DURAND-secret", "care_team_id": org["team2"]})
        p["durand2"] = r.body
        r = create(d, coord, dict(dup, family_name="Durand-Secret", given_names="Marie Louise"))
        b = expect_problem(r, 409, "possible-duplicate")
        check(sorted(ids(b["candidates"])) == sorted([p["durand"]["id"], p["durand2"]["id"]]),
              "both candidates for the coordinator", r)
        check(all(set(c) == CANDIDATE_MEMBERS for c in b["candidates"]), "candidate members", r)

    with suite.case("possible duplicate: only the candidates the caller may see; none visible: 409, no detail"):
        dup = {"family_name": "Durand-Secret", "given_names": "Marie Louise", "birth_date": "1975-03-14"}
        state = Unchanged(d, db, coord)
        r = create(d, tok["care2"], dup)  # sees durand2 (team 2), not durand (team 1)
        b = expect_problem(r, 409, "possible-duplicate")
        check(ids(b["candidates"]) == [p["durand2"]["id"]], "caregiver 2 sees only its team's candidate", r)
        check(p["durand"]["id"] not in r.text, "the out-of-scope candidate's id leaks", r)
        r = create(d, tok["care1"], dup)
        b = expect_problem(r, 409, "possible-duplicate")
        check(ids(b["candidates"]) == [p["durand"]["id"]], "caregiver 1 sees only its team's candidate", r)
        check(p["durand2"]["id"] not in r.text, "the out-of-scope candidate's id leaks", r)
        state.check("refused duplicates of scoped roles")
        # A match the caller may not see: 409 all the same (one person, one file), without any of its details;
        # the detail sends the caller to the coordinator (tests/http/test_duplicates.py: the request recorded).
        r = create(d, tok["cur1"], dict(dup, care_team_id=org["team1"], protection="tutelle",
                                        curator_org_id=org["cur1"]))
        b = expect_problem(r, 409, "possible-duplicate")
        check(b.get("candidates") == [], "no candidate the curator may not see", r)
        check("coordinator" in b["detail"], "the detail sends the caller to the coordinator", r)
        check(p["durand"]["id"] not in r.text and p["durand2"]["id"] not in r.text, "an id leaks", r)
        for secret in ("Équipe", "team", "care_team_id", "1975"):
            check(secret not in json.dumps({k: v for k, v in b.items() if k != "detail"}), "a detail leaks", r)
        state.check("a refused duplicate out of scope")
        db.sql("DELETE FROM person_duplicate_requests")  # recorded for the coordinator: see test_duplicates.py
        # another commission never sees A's people as duplicates
        r = create(d, tok["coordB"], dict(dup, care_team_id=org["teamB"]))
        expect_status(r, 201)
        p["durandB"] = r.body

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("scope: a caregiver sees its team's people only; others are 404 everywhere, never listed"):
        other = p["lefebvre"]["id"]  # team 2
        missing = d.call("GET", "%s/%s" % (PEOPLE, MISSING), token=tok["care1"])
        expect_problem(missing, 404, "not-found")
        state = Unchanged(d, db, coord)
        for method, path, body, headers in [
                ("GET", "%s/%s" % (PEOPLE, other), None, None),
                ("PATCH", "%s/%s" % (PEOPLE, other), {"phone": "0"}, {"If-Match": '"v1"'}),
                ("PATCH", "%s/%s" % (PEOPLE, other), {"care_team_id": org["team1"]}, {"If-Match": '"v1"'}),
                ("GET", notes_path(other), None, None),
                ("POST", notes_path(other), {"body": "pas mon équipe"}, {"Idempotency-Key": "scope-note"})]:
            r = d.call(method, path, token=tok["care1"], body=body, headers=headers)
            expect_problem(r, 404, "not-found")
            check(r.body["detail"] == missing.body["detail"], "the 404 tells an out-of-scope person from a missing "
                  "one", r)
        state.check("a caregiver's requests outside its team")
        items, _ = list_all(d, tok["care1"])
        check(sorted(ids(items)) == sorted([p["durand"]["id"], p["martin"]["id"], p["moreau"]["id"]]),
              "caregiver 1 lists %s" % [o["family_name"] for o in items])
        items, _ = list_all(d, tok["care1"], query="care_team_id=" + org["team2"])
        check(items == [], "caregiver 1 filtering on team 2 sees %s" % items)
        items, _ = list_all(d, tok["care2"])
        check(all(o["care_team_id"] == org["team2"] for o in items) and p["lefebvre"]["id"] in ids(items),
              "caregiver 2 lists %s" % [o["family_name"] for o in items])
        r = d.call("GET", "%s/%s" % (PEOPLE, p["martin"]["id"]), token=tok["care1"])
        check(r.status == 200 and r.body["id"] == p["martin"]["id"], "caregiver 1 reads its own", r)

    with suite.case("scope: a curator sees only the people its service protects, and never care notes (403)"):
        items, _ = list_all(d, tok["cur1"])
        check(sorted(ids(items)) == sorted([p["lefebvre"]["id"], p["petit"]["id"]]),
              "curator 1 lists %s" % [o["family_name"] for o in items])
        items, _ = list_all(d, tok["cur2"])
        check(ids(items) == [p["moreau"]["id"]], "curator 2 lists %s" % [o["family_name"] for o in items])
        for pid in (p["durand"]["id"], p["moreau"]["id"]):  # unprotected; protected by another service
            r = d.call("GET", "%s/%s" % (PEOPLE, pid), token=tok["cur1"])
            expect_problem(r, 404, "not-found")
            r = patch(d, tok["cur1"], pid, {"phone": "0"}, '"v1"')
            expect_problem(r, 404, "not-found")
        r = d.call("GET", "%s/%s" % (PEOPLE, p["petit"]["id"]), token=tok["cur1"])
        check(r.status == 200 and r.body == p["petit"], "curator 1 reads its protected person", r)
        for pid in (p["petit"]["id"], p["durand"]["id"], MISSING):
            expect_problem(d.call("GET", notes_path(pid), token=tok["cur1"]), 403, "forbidden")
            expect_problem(d.call("POST", notes_path(pid), token=tok["cur1"], body={"body": "non"}), 403,
                           "forbidden")

    with suite.case("another commission: its coordinator and caregiver get 404 on A's people, never list them"):
        pid = p["durand"]["id"]
        state = Unchanged(d, db, coord)
        for t in ("coordB", "careB"):
            for method, path, body, headers in [
                    ("GET", "%s/%s" % (PEOPLE, pid), None, None),
                    ("PATCH", "%s/%s" % (PEOPLE, pid), {"phone": "0"}, {"If-Match": '"v1"'}),
                    ("GET", notes_path(pid), None, None),
                    ("POST", notes_path(pid), {"body": "autre commission"}, None)]:
                expect_problem(d.call(method, path, token=tok[t], body=body, headers=headers), 404, "not-found")
            items, _ = list_all(d, tok[t])
            check(not set(ids(items)) & {o["id"] for o in p.values()
                                         if o["id"] not in (p["bernardB"]["id"], p["durandB"]["id"])},
                  "%s lists A's people" % t)
        state.check("another commission's requests")
        items, _ = list_all(d, coord)
        check(p["bernardB"]["id"] not in ids(items) and p["durandB"]["id"] not in ids(items), "A lists B's people")

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("PATCH: 428 without If-Match, 412 stale or malformed, 200 merges and bumps the version"):
        run_scenario(d, [
            Step("create", "POST", PEOPLE, token="coord", expect=201, save={"id": "id"},
                 body={"family_name": "Garnier", "given_names": "Élise", "birth_date": "1970-05-05",
                       "phone": "0102", "email": "elise@example.org", "care_team_id": org["team1"]}),
            Step("no-if-match", "PATCH", PEOPLE + "/{id}", token="coord", body={"phone": "0"}, expect=428,
                 problem="precondition-required", field="header:If-Match"),
            Step("body-checks-before-428", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"birth_date": tomorrow, "protection_start": "2020-01-02", "protection_end": "2020-01-01"},
                 expect=422, problem="validation-failed", field="/birth_date",
                 check=lambda r: "/protection_end" in error_fields(r)),
            Step("caregiver-other-team-before-428", "PATCH", PEOPLE + "/{id}", token="care1",
                 body={"care_team_id": org["team2"]}, expect=422, problem="validation-failed",
                 field="/care_team_id"),
            Step("malformed-if-match", "PATCH", PEOPLE + "/{id}", token="coord", body={"phone": "0"},
                 headers={"If-Match": "v1"}, expect=412, problem="precondition-failed", field="header:If-Match"),
            Step("future-etag", "PATCH", PEOPLE + "/{id}", token="coord", body={"phone": "0"},
                 headers={"If-Match": '"v2"'}, expect=412, problem="precondition-failed", field="header:If-Match"),
            Step("unchanged", "GET", PEOPLE + "/{id}", token="coord",
                 check=lambda r: r.body["phone"] == "0102" and r.body["version"] == 1),
            Step("update", "PATCH", PEOPLE + "/{id}", token="coord", headers={"If-Match": '"v1"'},
                 body={"phone": None, "address": "1 place\nLille", "protection": "sauvegarde_de_justice",
                       "curator_org_id": org["cur2"], "protection_start": "2024-01-01"},
                 save={"etag": "header:etag"},
                 check=lambda r: (r.body["version"] == 2 and r.headers["etag"] == '"v2"' and r.body["phone"] is None
                                  and r.body["email"] == "elise@example.org" and r.body["family_name"] == "Garnier"
                                  and r.body["address"] == "1 place\nLille"
                                  and r.body["protection"] == "sauvegarde_de_justice"
                                  and r.body["curator_org_id"] == org["cur2"]
                                  and r.body["updated_at"] >= r.body["created_at"])),
            Step("stale", "PATCH", PEOPLE + "/{id}", token="coord", body={"phone": "9"},
                 headers={"If-Match": '"v1"'}, expect=412, problem="precondition-failed", field="header:If-Match"),
            Step("empty-patch", "PATCH", PEOPLE + "/{id}", token="coord", body={}, headers={"If-Match": "{etag}"},
                 check=lambda r: r.body["version"] == 3 and r.body["phone"] is None),
            Step("none-keeps-curator", "PATCH", PEOPLE + "/{id}", token="coord", body={"protection": "none"},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/curator_org_id"),
            Step("curator-without-protection", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"curator_org_id": None}, headers={"If-Match": '"v3"'}, expect=422,
                 problem="validation-failed", field="/curator_org_id"),
            Step("end-before-stored-start", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"protection_end": "2023-12-31"}, headers={"If-Match": '"v3"'}, expect=422,
                 problem="validation-failed", field="/protection_end"),
            Step("start-after-stored-end", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"protection_end": "2024-06-30", "protection_start": "2024-07-01"},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/protection_end"),
            Step("future-birth", "PATCH", PEOPLE + "/{id}", token="coord", body={"birth_date": tomorrow},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/birth_date"),
            Step("wrong-kind-team", "PATCH", PEOPLE + "/{id}", token="coord", body={"care_team_id": org["cur1"]},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/care_team_id"),
            Step("foreign-curator", "PATCH", PEOPLE + "/{id}", token="coord", body={"curator_org_id": org["curB"]},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/curator_org_id"),
            Step("confirm-duplicate-unknown", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"confirm_duplicate": True}, headers={"If-Match": '"v3"'}, expect=422,
                 problem="validation-failed", field="/confirm_duplicate"),
            Step("null-family-name", "PATCH", PEOPLE + "/{id}", token="coord", body={"family_name": None},
                 headers={"If-Match": '"v3"'}, expect=422, problem="validation-failed", field="/family_name"),
            Step("still-v3", "GET", PEOPLE + "/{id}", token="coord",
                 check=lambda r: (r.body["version"] == 3 and r.body["protection"] == "sauvegarde_de_justice"
                                  and r.body["curator_org_id"] == org["cur2"]
                                  and r.body["protection_end"] is None)),
            Step("end-protection", "PATCH", PEOPLE + "/{id}", token="coord",
                 body={"protection": "none", "curator_org_id": None, "protection_start": None},
                 headers={"If-Match": '"v3"'},
                 check=lambda r: (r.body["version"] == 4 and r.body["protection"] == "none"
                                  and r.body["curator_org_id"] is None and r.body["protection_start"] is None)),
            Step("move-team", "PATCH", PEOPLE + "/{id}", token="coord", body={"care_team_id": org["team2"]},
                 headers={"If-Match": '"v4"'},
                 check=lambda r: r.body["care_team_id"] == org["team2"] and r.body["version"] == 5),
        ], tokens=tok)

    with suite.case("PATCH by a caregiver: its team's people, never to another team"):
        pid = p["martin"]["id"]
        r = patch(d, tok["care1"], pid, {"care_team_id": org["team2"]}, '"v1"')
        expect_problem(r, 422, "validation-failed", field="/care_team_id")
        r = patch(d, tok["care1"], pid, {"care_team_id": org["team1"], "phone": "06", "protection": "tutelle",
                                         "curator_org_id": org["cur1"]}, '"v1"')
        expect_status(r, 200)
        check_person(r, {"care_team_id": org["team1"], "phone": "06", "protection": "tutelle", "version": 2})
        p["martin"] = r.body

    with suite.case("PATCH by a curator: its protected people; care team and service are not its to change"):
        pid = p["petit"]["id"]
        for body, field in [({"care_team_id": org["team1"]}, "/care_team_id"),
                            ({"curator_org_id": org["cur2"]}, "/curator_org_id"),
                            ({"curator_org_id": None, "protection": "none"}, "/curator_org_id"),
                            ({"protection": "none"}, "/protection")]:
            r = patch(d, tok["cur1"], pid, body, '"v1"')
            expect_problem(r, 422, "validation-failed", field=field)
        r = d.call("GET", "%s/%s" % (PEOPLE, pid), token=coord)
        check(r.body == p["petit"], "a refused PATCH changed the person", r)
        # sending the current values is no change
        r = patch(d, tok["cur1"], pid, {"care_team_id": org["team2"], "curator_org_id": org["cur1"],
                                        "protection": "tutelle", "protection_end": "2030-01-01"}, '"v1"')
        expect_status(r, 200)
        check_person(r, {"protection": "tutelle", "protection_end": "2030-01-01", "version": 2})

    with suite.case("a write the database refuses (SQLSTATE 23514) is 422 naming the field, never 500"):
        # A rule the C checks do not know, so that only the database's CHECK refuses the write.
        db.sql("ALTER TABLE people ADD CONSTRAINT people_phone_test_check CHECK (phone IS DISTINCT FROM '000')")
        try:
            state = Unchanged(d, db, coord)
            r = create(d, coord, {"family_name": "Base", "given_names": "Refus", "birth_date": "1980-01-01",
                                  "care_team_id": org["team1"], "phone": "000"}, key="db-refused")
            expect_problem(r, 422, "validation-failed", field="/phone")
            r = patch(d, coord, p["durand"]["id"], {"phone": "000"}, '"v1"')
            expect_problem(r, 422, "validation-failed", field="/phone")
            state.check("writes refused by the database")
        finally:
            db.sql("ALTER TABLE people DROP CONSTRAINT people_phone_test_check")

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("list: keyset pages in (family_name, given_names, id) order; q is a case-insensitive prefix"):
        names = [("Mar", "Zed", "1981-01-01"), ("marchand", "Yves", "1982-01-01"), ("Marchand", "Anne", "1983-01-01"),
                 ("MARTINEZ", "Carla", "1984-01-01"), ("Martin", "Bruno", "1985-01-01"),
                 ("Martin", "Bruno", "1986-01-01"), ("Ma", "Court", "1987-01-01"), ("Zola", "Émile", "1988-01-01")]
        for family, given, born in names:
            r = create(d, tok["coordB"], {"family_name": family, "given_names": given, "birth_date": born,
                                          "care_team_id": org["teamB"]})
            expect_status(r, 201)
        everything, one = list_all(d, tok["coordB"])
        check(len(one) == 1, "one page of 200")
        keys = [(o["family_name"], o["given_names"], o["id"]) for o in everything]
        for limit in (1, 2, 3):
            items, pages = list_all(d, tok["coordB"], limit=limit)
            check([(o["family_name"], o["given_names"], o["id"]) for o in items] == keys,
                  "pages of %d differ from one page: %s" % (limit, [o["family_name"] for o in items]))
            check(all(len(pg["items"]) <= limit for pg in pages), "a page holds more than limit")
        byq, _ = list_all(d, tok["coordB"], query="q=mar", limit=2)
        got = sorted(o["family_name"] for o in byq)
        check(got == sorted(["Mar", "marchand", "Marchand", "MARTINEZ", "Martin", "Martin"]), "q=mar gave %s" % got)
        check(ids(byq) == [o["id"] for o in everything if o["family_name"].lower().startswith("mar")],
              "q=mar is not in list order")
        r = d.call("GET", PEOPLE + "?q=MARTIN&limit=200", token=tok["coordB"])
        check(sorted(o["family_name"] for o in r.body["items"]) == ["MARTINEZ", "Martin", "Martin"], "q=MARTIN", r)
        r = d.call("GET", PEOPLE + "?q=%C3%A9mile", token=tok["coordB"])  # a given name is not searched
        check(r.status == 200 and r.body["items"] == [], "q searches family names only", r)
        r = d.call("GET", PEOPLE + "?q=zol", token=tok["coordB"])
        check(r.status == 200 and [o["family_name"] for o in r.body["items"]] == ["Zola"], "q=zol", r)
        r = d.call("GET", PEOPLE + "?q=%25", token=tok["coordB"])
        check(r.status == 200 and r.body["items"] == [], "q=%% is no wildcard", r)
        r = d.call("GET", PEOPLE + "?q=_", token=tok["coordB"])
        check(r.status == 200 and r.body["items"] == [], "q=_ is no wildcard", r)
        items, _ = list_all(d, coord, query="care_team_id=" + org["team1"], limit=2)
        check(items and all(o["care_team_id"] == org["team1"] for o in items), "care_team_id filter")

    with suite.case("list: unknown or malformed query parameters are 400 invalid-query"):
        for query, field in [("foo=1", "query:foo"), ("q=", "query:q"), ("q=" + "a" * 101, "query:q"),
                             ("q=a%0Ab", "query:q"), ("q=%FF", "query:q"), ("care_team_id=x", "query:care_team_id"),
                             ("limit=0", "query:limit"), ("cursor=%%%", "query:cursor"),
                             ("cursor=WyJhIl0", "query:cursor"), ("cursor=WyJhIiwiYiIsIngiXQ", "query:cursor")]:
            expect_problem(d.call("GET", PEOPLE + "?" + query, token=coord), 400, "invalid-query", field=field)
        r = d.call("GET", PEOPLE + "?q=" + "%C3%A9" * 100, token=coord)
        check(r.status == 200, "100 characters are accepted", r)

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("Idempotency-Key: a retry replays the first 201; another body is 409; one row"):
        sent = {"family_name": "Idempotent", "given_names": "Ida", "birth_date": "1999-09-09",
                "care_team_id": org["team1"]}
        r1 = create(d, tok["care1"], sent, key="people-key-1")
        expect_status(r1, 201)
        check("idempotent-replayed" not in r1.headers, "the first answer says it was replayed", r1)
        r2 = create(d, tok["care1"], dict(reversed(list(sent.items()))), key="people-key-1")
        expect_status(r2, 201)
        check(r2.body == r1.body and r2.headers.get("idempotent-replayed") == "true", "the replay", r2)
        for h in ("location", "etag"):
            check(r2.headers.get(h) == r1.headers.get(h), "the replay's %s differs" % h, r2)
        r = create(d, tok["care1"], dict(sent, phone="1"), key="people-key-1")
        expect_problem(r, 409, "idempotency-key-reused", field="header:Idempotency-Key")
        # validation-failed, also for a reference, comes before idempotency-key-reused
        r = create(d, tok["care1"], dict(sent, protection="tutelle", curator_org_id=org["team2"]),
                   key="people-key-1")
        expect_problem(r, 422, "validation-failed", field="/curator_org_id")
        check(db.sql("SELECT count(*) FROM people WHERE family_name = 'Idempotent'") == "1", "one row")
        # another token's key is its own: caregiver 2 (who may not see caregiver 1's person, a possible duplicate
        # it confirms) creates its own record
        r = create(d, tok["care2"], dict(sent, care_team_id=org["team2"], confirm_duplicate=True), key="people-key-1")
        expect_status(r, 201)
        check(r.body["id"] != r1.body["id"] and "idempotent-replayed" not in r.headers, "not a replay", r)
        db.sql("DELETE FROM people WHERE id = '%s'" % r.body["id"])
        expect_problem(create(d, coord, sent, key="x" * 201), 422, "validation-failed",
                       field="header:Idempotency-Key")

    with suite.case("two concurrent creations of the same person: one 201, one 409 possible-duplicate"):
        sent = {"family_name": "Concurrent", "given_names": "Camille", "birth_date": "1977-07-07",
                "care_team_id": org["team1"]}
        results = [None, None]
        barrier = threading.Barrier(2)

        def go(i):
            barrier.wait(10)
            results[i] = create(d, coord, sent)
        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        check(sorted(r.status for r in results) == [201, 409], "statuses %s" % [r.status for r in results])
        check(db.sql("SELECT count(*) FROM people WHERE family_name = 'Concurrent'") == "1", "one row")

    # ---------------------------------------------------------------------------------------------------------
    with suite.case("care notes: coordinator and care team write and read, newest first, append-only"):
        pid = p["durand"]["id"]
        r = d.call("GET", notes_path(pid), token=tok["care1"])
        check(r.status == 200 and r.body == {"items": [], "next_cursor": None}, "no note yet", r)
        written = []
        for i, (t, role) in enumerate([("coord", "coordinator"), ("care1", "caregiver"), ("care1", "caregiver"),
                                       ("coord", "coordinator")]):
            text = "Note confidentielle %d\nligne 2\tindentée" % i
            r = d.call("POST", notes_path(pid), token=tok[t], body={"body": text})
            expect_status(r, 201)
            check(set(r.body) == NOTE_MEMBERS, "members of a CareNote: %s" % sorted(NOTE_MEMBERS), r)
            check(UUID_RE.match(r.body["id"]) and TIMESTAMP_RE.match(r.body["created_at"]), "id, created_at", r)
            check(r.body["person_id"] == pid and r.body["body"] == text and r.body["author_role"] == role,
                  "the note", r)
            written.append(r.body)
        newest_first = list(reversed(written))
        for t in ("coord", "care1"):
            r = d.call("GET", notes_path(pid), token=tok[t])
            check(r.status == 200 and r.body["items"] == newest_first and r.body["next_cursor"] is None,
                  "%s lists the notes newest first" % t, r)
        items, pages = list_all(d, tok["care1"], path=notes_path(pid), limit=1)
        check(items == newest_first, "pages of 1 differ from one page")
        check(len(pages) >= 4 and all(len(pg["items"]) <= 1 for pg in pages), "pages of 1")
        items, _ = list_all(d, coord, path=notes_path(p["martin"]["id"]))
        check(items == [], "another person's notes are not this one's")
        # append-only: no route changes or deletes a note
        for method in ("PATCH", "DELETE", "PUT"):
            r = d.call(method, notes_path(pid), token=coord, body={"body": "x"} if method != "DELETE" else None)
            expect_problem(r, 405, "method-not-allowed")
        r = d.call("DELETE", "%s/%s" % (notes_path(pid), written[0]["id"]), token=coord)
        expect_problem(r, 404, "route-not-found")
        check(db.sql("SELECT author_token_id IS NOT NULL FROM care_notes LIMIT 1") == "t", "the author's token")

    with suite.case("care notes: validation, invalid id, query, and Idempotency-Key"):
        pid = p["durand"]["id"]
        state = Unchanged(d, db, coord)
        for body, field in [({}, "/body"), ({"body": ""}, "/body"), ({"body": "x" * 20001}, "/body"),
                            ({"body": None}, "/body"), ({"body": 3}, "/body"), ({"body": "a\x02b"}, "/body"),
                            ({"body": "ok", "author_role": "coordinator"}, "/author_role")]:
            expect_problem(d.call("POST", notes_path(pid), token=coord, body=body), 422, "validation-failed",
                           field=field)
        expect_problem(d.call("POST", notes_path("nope"), token=coord, body={"body": "x"}), 400, "invalid-id",
                       field="path:id")
        expect_problem(d.call("GET", notes_path("nope"), token=coord), 400, "invalid-id", field="path:id")
        expect_problem(d.call("POST", notes_path(MISSING), token=coord, body={"body": "x"},
                              headers={"Idempotency-Key": "note-missing"}), 404, "not-found")
        expect_problem(d.call("GET", notes_path(MISSING), token=coord), 404, "not-found")
        for query, field in [("q=1", "query:q"), ("limit=0", "query:limit"), ("cursor=abc", "query:cursor"),
                             ("cursor=WyJ4IiwiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwIl0", "query:cursor")]:
            expect_problem(d.call("GET", notes_path(pid) + "?" + query, token=coord), 400, "invalid-query",
                           field=field)
        state.check("refused care notes")
        r = d.call("POST", notes_path(pid), token=tok["care1"], body={"body": "x" * 20000},
                   headers={"Idempotency-Key": "note-1"})
        expect_status(r, 201)
        r2 = d.call("POST", notes_path(pid), token=tok["care1"], body={"body": "x" * 20000},
                    headers={"Idempotency-Key": "note-1"})
        check(r2.status == 201 and r2.body == r.body and r2.headers.get("idempotent-replayed") == "true",
              "the note's replay", r2)
        r3 = d.call("POST", notes_path(p["martin"]["id"]), token=tok["care1"], body={"body": "x" * 20000},
                    headers={"Idempotency-Key": "note-1"})
        expect_problem(r3, 409, "idempotency-key-reused")
        # not-found comes before idempotency-key-reused
        r4 = d.call("POST", notes_path(MISSING), token=tok["care1"], body={"body": "y"},
                    headers={"Idempotency-Key": "note-1"})
        expect_problem(r4, 404, "not-found")
        check(db.sql("SELECT count(*) FROM care_notes WHERE length(body) = 20000") == "1", "one note")

    with suite.case("invalid ids: 400 invalid-id on every /v1/people/{id} route"):
        for method, path, body, headers in [("GET", PEOPLE + "/nope", None, None),
                                            ("PATCH", PEOPLE + "/nope", {"phone": "1"}, {"If-Match": '"v1"'})]:
            expect_problem(d.call(method, path, token=coord, body=body, headers=headers), 400, "invalid-id",
                           field="path:id")
        expect_problem(d.call("GET", "%s/%s" % (PEOPLE, MISSING), token=coord), 404, "not-found")
        expect_problem(patch(d, coord, MISSING, {"phone": "1"}, '"v1"'), 404, "not-found")
        check(error_fields(d.call("GET", PEOPLE + "/nope", token=coord)) == ["path:id"], "only path:id")


if __name__ == "__main__":
    Suite("http-people").main(body)
