#!/usr/bin/env python3
"""Issue 14, items 3 to 5: a curator files an application without a situation text (the care team completes it);
the filters people need (several statuses, the waiting list with the deferred applications, applications by
referent, unit kind and town, placements by landlord); the places free per unit kind as an aggregate caregivers and curators read (no
names), equal to what the units list gives; the person informed (item 2), in the export; retention 2 years after
the last contact by default (item 2).

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_problem, expect_status, leaks  # noqa: E402

APPS = "/v1/applications"
KINDS = ["hlm_apartment", "foyer_place", "transitional_place", "residence_place"]


def body(suite):
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B")
        org = {
            "team1": db.organisation_create(a, "care_team", "Équipe 1"),
            "team2": db.organisation_create(a, "care_team", "Équipe 2"),
            "cur1": db.organisation_create(a, "curator_service", "Mandataire 1"),
            "land1": db.organisation_create(a, "landlord", "Bailleur 1"),
            "land2": db.organisation_create(a, "landlord", "Bailleur 2"),
            "landB": db.organisation_create(b, "landlord", "Bailleur B"),
            "commission": a,
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination").token,
            "care1": db.token_create(a, "caregiver", scope=org["team1"], label="soignant 1").token,
            "care2": db.token_create(a, "caregiver", scope=org["team2"], label="soignant 2").token,
            "cur1": db.token_create(a, "curator", scope=org["cur1"], label="curateur 1").token,
            "land1": db.token_create(a, "landlord", scope=org["land1"], label="bailleur 1").token,
            "observer": db.token_create(a, "observer", label="observateur").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
        }
        with Daemon(db, threads=4) as d:
            run_cases(suite, d, db, org, tok)
            with suite.case("no response holds SQL or PostgreSQL's words; no 5xx"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
                from harness import ALL_RESPONSES
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
            d.stop()


def list_all(d, token, path):
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(100):
        r = d.call("GET", path + sep + "limit=2" + ("&cursor=" + cursor if cursor else ""), token=token)
        expect_status(r, 200)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 100 pages")


def run_cases(suite, d, db, org, tok):
    coord = tok["coord"]

    def post(path, sent, token=coord, expect=(200, 201)):
        r = d.call("POST", path, token=token, body=sent)
        expect_status(r, expect)
        return r.body

    def person(name, team, curator=None):
        sent = {"family_name": name, "given_names": "Test", "birth_date": "1980-01-01", "care_team_id": org[team]}
        if curator:
            sent.update({"protection": "curatelle_simple", "curator_org_id": org[curator]})
        return post("/v1/people", sent)["id"]

    for part in PARTS:
        if part is retention_cases:
            part(suite, d, org, tok, coord, post, person, db, org["commission"])
        else:
            part(suite, d, org, tok, coord, post, person)


def situation_cases(suite, d, org, tok, coord, post, person):
    with suite.case("a curator files an application without a situation; the care team completes it"):
        pid = person("Protégé", "team1", "cur1")
        r = d.call("POST", APPS, token=tok["cur1"], body={"person_id": pid, "wished_towns": ["Lille"],
                                                        "submit": True})
        expect_status(r, 201)
        check("situation" not in r.body and r.body["status"] == "submitted", "the curator's answer", r)
        aid = r.body["id"]
        r = d.call("GET", "%s/%s" % (APPS, aid), token=coord)
        check(r.status == 200 and r.body["situation"] is None, "no situation yet, null for the coordinator", r)
        r = d.call("PATCH", "%s/%s" % (APPS, aid), token=tok["care1"], body={"situation": "Suivi au CMP"},
                   headers={"If-Match": r.headers["etag"]})
        expect_status(r, 200)
        check(r.body["situation"] == "Suivi au CMP", "the care team completed it", r)
        # everyone else still writes it
        for t in ("coord", "care1"):
            expect_problem(d.call("POST", APPS, token=tok[t], body={"person_id": pid}), 422, "validation-failed",
                           field="/situation")
        # a curator may still send one; an empty one is refused
        expect_status(d.call("POST", APPS, token=tok["cur1"], body={"person_id": pid, "situation": "Texte"}), 201)
        expect_problem(d.call("POST", APPS, token=tok["cur1"], body={"person_id": pid, "situation": ""}), 422,
                       "validation-failed", field="/situation")



def filter_cases(suite, d, org, tok, coord, post, person):
    # A data set whose lists are known in advance: (label, person, status, referent, kinds, towns)
    plan = [
        ("s1", "team1", "submitted", "Dr Martin", ["hlm_apartment"], ["Lille"]),
        ("s2", "team2", "submitted", "Mme Durand", ["foyer_place", "hlm_apartment"], ["Roubaix"]),
        ("d1", "team1", "deferred", "dr martin", ["residence_place"], ["Lille", "Roubaix"]),
        ("r1", "team1", "refused", None, ["hlm_apartment"], ["Tourcoing"]),
        ("w1", "team2", "withdrawn", "Dr Martinez", [], []),
        ("dr", "team1", "draft", None, ["transitional_place"], ["lille"]),
    ]
    apps = {}
    with suite.case("setup: applications in every status the filters name"):
        for label, team, status, referent, kinds, towns in plan:
            pid = person("Filtre " + label, team)
            sent = {"person_id": pid, "situation": "Situation " + label, "wished_unit_kinds": kinds,
                    "wished_towns": towns, "referent_name": referent, "submit": status != "draft"}
            aid = post(APPS, sent)["id"]
            if status in ("deferred", "refused", "withdrawn"):
                post("%s/%s/transitions" % (APPS, aid), {"to": status, "force": True, "reason": "Test"})
            apps[label] = aid
        # other applications of this commission (the curator's above) are not in plan: filters below say which
        # of plan's applications must be listed, and no other application may carry plan's values
    mine = set(apps.values())

    def listed(query, token=coord):
        got = [x["id"] for x in list_all(d, token, APPS + "?" + query)]
        check(len(got) == len(set(got)), "an application listed twice: %s" % query)
        return [i for i in got if i in mine], got

    def expect_list(query, labels, token=coord):
        got, everything = listed(query, token)
        want = {apps[lab] for lab in labels}
        check(set(got) == want, "%s: got %s, expected %s" % (
            query, sorted(k for k, v in apps.items() if v in got), sorted(labels)))
        return everything

    with suite.case("status takes several values; the waiting list includes the deferred"):
        expect_list("status=submitted", ["s1", "s2"])
        expect_list("status=submitted,deferred", ["s1", "s2", "d1"])
        expect_list("status=deferred,refused,withdrawn", ["d1", "r1", "w1"])
        everything = expect_list("status=waiting", ["s1", "s2", "d1"])
        expect_list("status=waiting,draft", ["s1", "s2", "d1", "dr"])
        # the waiting list is in order of submission
        r = d.call("GET", APPS + "?status=waiting&limit=200", token=coord)
        keys = [(x["submitted_at"], x["id"]) for x in r.body["items"]]
        check(keys == sorted(keys), "the waiting list is oldest submission first", r)
        check([x["id"] for x in r.body["items"]] == everything, "paging changes nothing")
        for bad in ("submitted,", ",", "submitted,bogus", "SUBMITTED", "submitted,,deferred"):
            expect_problem(d.call("GET", APPS + "?status=" + bad, token=coord), 400, "invalid-query",
                           field="query:status")
        # a caregiver's filters stay within its team
        expect_list("status=waiting", ["s1", "d1"], token=tok["care1"])

    with suite.case("applications by referent (any case, part of the name), unit kind and town"):
        expect_list("referent=martin", ["s1", "d1", "w1"])
        expect_list("referent=Dr%20Martin", ["s1", "d1", "w1"])
        expect_list("referent=durand", ["s2"])
        expect_list("unit_kind=hlm_apartment", ["s1", "s2", "r1"])
        expect_list("unit_kind=residence_place", ["d1"])
        expect_list("town=lille", ["s1", "d1", "dr"])
        expect_list("town=Roubaix&status=waiting", ["s2", "d1"])
        expect_list("town=Lille&unit_kind=hlm_apartment&referent=martin", ["s1"])
        for q, field in (("unit_kind=castle", "query:unit_kind"), ("town=", "query:town"),
                         ("referent=" + "x" * 201, "query:referent"), ("town=%s" % ("x" * 101), "query:town")):
            expect_problem(d.call("GET", APPS + "?" + q, token=coord), 400, "invalid-query", field=field)

    with suite.case("a search by town or kind follows the application's changes, within the reader's scope"):
        expect_list("town=LILLE&status=waiting", ["s1", "d1"], token=tok["care1"])
        expect_list("unit_kind=hlm_apartment", ["s1", "r1"], token=tok["care1"])
        r = d.call("GET", "%s/%s" % (APPS, apps["s2"]), token=coord)
        expect_status(r, 200)
        r = d.call("PATCH", "%s/%s" % (APPS, apps["s2"]), token=coord, headers={"If-Match": r.headers["etag"]},
                   body={"wished_towns": ["Lille", "LILLE"], "wished_unit_kinds": ["residence_place"]})
        expect_status(r, 200)
        expect_list("town=lille", ["s1", "s2", "d1", "dr"])
        expect_list("town=Roubaix&status=waiting", ["d1"])
        expect_list("unit_kind=hlm_apartment", ["s1", "r1"])
        expect_list("unit_kind=residence_place&status=waiting", ["s2", "d1"])
        post("%s/%s/transitions" % (APPS, apps["s2"]), {"to": "withdrawn", "force": True, "reason": "Test"})
        expect_list("unit_kind=residence_place&status=waiting", ["d1"])
        expect_list("unit_kind=residence_place&status=withdrawn", ["s2"])



def free_places_cases(suite, d, org, tok, coord, post, person):
    with suite.case("places free per kind: an aggregate, equal to what the units list gives"):
        def unit(kind, places, landlord="land1"):
            return post("/v1/units", {"kind": kind, "label": "U %s" % os.urandom(3).hex(), "address": "1 rue",
                                      "town": "Lille", "landlord_org_id": org[landlord], "places": places,
                                      "rent_cents": 30000, "charges_cents": 1000, "deposit_cents": 30000})["id"]
        units = {
            "h1": unit("hlm_apartment", 1), "h2": unit("hlm_apartment", 2, "land2"), "f1": unit("foyer_place", 10),
            "t1": unit("transitional_place", 4, "land2"), "oos": unit("residence_place", 12),
        }
        # one unit out of service; people living in h2 (1 of 2) and f1 (2 of 10)
        r = d.call("GET", "/v1/units/%s" % units["oos"], token=coord)
        expect_status(d.call("PATCH", "/v1/units/%s" % units["oos"], token=coord, body={"status": "out_of_service"},
                             headers={"If-Match": r.headers["etag"]}), 200)
        for i, u in enumerate(("h2", "f1", "f1")):
            pid = person("Locataire %s %d" % (u, i), "team1")
            aid = post(APPS, {"person_id": pid, "situation": "Logement"})["id"]
            post("%s/%s/transitions" % (APPS, aid), {"to": "approved", "force": True, "reason": "Bureau"})
            post("/v1/placements", {"application_id": aid, "unit_id": units[u], "move_in_date": TODAY,
                                    "lease": "direct_lease"})
        # what a caregiver does today: page the vacant units of each kind and add up (computed here)
        expected = {}
        for kind in KINDS:
            vacant = list_all(d, coord, "/v1/units?status=vacant&kind=%s" % kind)
            expected[kind] = sum(u["vacant_places"] for u in vacant)
        check(expected == {"hlm_apartment": 2, "foyer_place": 8, "transitional_place": 4, "residence_place": 0},
              "the data set: %s" % expected)
        for t in ("coord", "care1", "cur1"):
            r = d.call("GET", "/v1/units/free-places", token=tok[t])
            expect_status(r, 200)
            check(set(r.body) == {"as_of", "kinds", "total"} and r.body["as_of"] == TODAY, "members", r)
            check([k["kind"] for k in r.body["kinds"]] == KINDS, "every kind, in order", r)
            for k in r.body["kinds"]:
                check(set(k) == {"kind", "units", "places", "occupied", "free"}, "members of a kind", r)
                check(k["free"] == expected[k["kind"]], "%s: free %d, expected %d" % (
                    k["kind"], k["free"], expected[k["kind"]]), r)
            by = {k["kind"]: k for k in r.body["kinds"]}
            check((by["hlm_apartment"]["units"], by["hlm_apartment"]["places"], by["hlm_apartment"]["occupied"])
                  == (2, 3, 1), "hlm: 2 units, 3 places, 1 taken", r)
            check((by["residence_place"]["units"], by["residence_place"]["places"]) == (0, 0),
                  "a unit out of service offers nothing", r)
            check(r.body["total"] == {"units": 4, "places": 17, "occupied": 3, "free": 14}, "total", r)
            for word in ("Locataire", "family_name", "person", units["h2"]):
                check(word not in r.text, "%r: the aggregate names no one and no unit" % word, r)
        # a landlord: its own units only
        r = d.call("GET", "/v1/units/free-places", token=tok["land1"])
        expect_status(r, 200)
        check(r.body["total"] == {"units": 2, "places": 11, "occupied": 2, "free": 9}, "landlord 1's units", r)
        expect_problem(d.call("GET", "/v1/units/free-places", token=tok["observer"]), 403, "forbidden")
        r = d.call("GET", "/v1/units/free-places", token=tok["coordB"])
        check(r.status == 200 and r.body["total"] == {"units": 0, "places": 0, "occupied": 0, "free": 0},
              "another commission sees none of A's units", r)
        expect_problem(d.call("GET", "/v1/units/free-places?kind=x", token=coord), 400, "invalid-query")
        # placements by landlord: the three placements above, by the landlord of their unit
        for landlord, want in (("land1", {units["f1"]: 2}), ("land2", {units["h2"]: 1})):
            items = list_all(d, coord, "/v1/placements?landlord_org_id=%s" % org[landlord])
            got = {}
            for pl in items:
                got[pl["unit"]["id"]] = got.get(pl["unit"]["id"], 0) + 1
            check(got == want, "placements of %s's units: %s, expected %s" % (landlord, got, want))
        check(len(list_all(d, coord, "/v1/placements?landlord_org_id=%s&active=true" % org["land1"])) == 2,
              "the filters combine")
        check(list_all(d, tok["land1"], "/v1/placements?landlord_org_id=%s" % org["land2"]) == [],
              "a landlord never lists another's placements")
        expect_problem(d.call("GET", "/v1/placements?landlord_org_id=x", token=coord), 400, "invalid-query",
                       field="query:landlord_org_id")


TODAY = __import__("datetime").datetime.now(__import__("datetime").timezone.utc).date().isoformat()

def information_cases(suite, d, org, tok, coord, post, person):
    with suite.case("the person informed: recorded by the care team or the curator, replaced, in the export"):
        pid = person("Informée", "team1", "cur1")
        path = "/v1/people/%s/information" % pid
        sent = {"informed_on": "2026-01-05", "informed_by": "Infirmière du CMP", "means": "oral_and_written",
                "sharing_agreement": "Bailleur : coordonnées seulement"}
        r = d.call("PUT", path, token=tok["care1"], body=sent)
        expect_status(r, 200)
        check({k: r.body[k] for k in sent} == sent and r.body["person_id"] == pid
              and r.body["recorded_by_role"] == "caregiver", "the record", r)
        again = {"informed_on": "2026-02-01", "informed_by": "Mandataire", "means": "written"}
        r = d.call("PUT", path, token=tok["cur1"], body=again)
        expect_status(r, 200)
        check({k: r.body[k] for k in again} == again and r.body["sharing_agreement"] is None
              and r.body["recorded_by_role"] == "curator", "replaced as a whole", r)
        r = d.call("GET", "/v1/people/%s/export" % pid, token=coord)
        expect_status(r, 200)
        info = r.body["information"]
        check(info is not None and info["informed_on"] == "2026-02-01" and info["means"] == "written"
              and info["informed_by"] == "Mandataire" and "recorded_by_token_id" not in info, "in the export", r)
        check(not {"commission_id", "family_key", "given_key"} & set(r.body["person"]),
              "the person as recorded, without the keys the duplicate check reads (migrations/0042)", r.body["person"])
        other = person("Pas informée", "team1")
        r = d.call("GET", "/v1/people/%s/export" % other, token=coord)
        check(r.status == 200 and r.body["information"] is None, "null when not recorded", r)
        # scope, role, validation
        expect_problem(d.call("PUT", path, token=tok["care2"], body=again), 404, "not-found")
        expect_problem(d.call("PUT", path, token=tok["land1"], body=again), 403, "forbidden")
        for bad, field in (({"means": "telepathy"}, "/means"), ({"informed_on": "2999-01-01"}, "/informed_on"),
                           ({"informed_by": ""}, "/informed_by"), ({"sharing_agreement": ""}, "/sharing_agreement")):
            expect_problem(d.call("PUT", path, token=coord, body=dict(again, **bad)), 422, "validation-failed",
                           field=field)
        expect_problem(d.call("PUT", path, token=coord, body={"means": "oral"}), 422, "validation-failed",
                       fields=["/informed_on", "/informed_by"])


def retention_cases(suite, d, org, tok, coord, post, person, db, commission):
    with suite.case("retention: 2 years after the last contact by default (CNIL); each commission keeps its own"):
        check(db.sql("SELECT retention_years FROM commissions WHERE id = '%s'" % commission) == "2",
              "a new commission keeps closed files 2 years")
        due = {}
        for label in ("old", "note", "informed"):
            pid = person("Ancien " + label, "team1")
            aid = post(APPS, {"person_id": pid, "situation": "Ancienne demande"})["id"]
            post("%s/%s/transitions" % (APPS, aid), {"to": "refused", "force": True, "reason": "Ancien refus"})
            # the file, its application and its refusal three years back
            db.sql("UPDATE application_events SET at = at - interval '3 years' WHERE application_id = '%s'" % aid)
            db.sql("UPDATE people SET created_at = created_at - interval '3 years' WHERE id = '%s'" % pid)
            due[label] = pid
        # a later contact: a care note a year ago; the person informed a year ago
        post("/v1/people/%s/care-notes" % due["note"], {"body": "Nouvelles"})
        db.sql("UPDATE care_notes SET created_at = now() - interval '1 year' WHERE person_id = '%s'" % due["note"])
        year_ago = (datetime.date.today() - datetime.timedelta(days=365)).isoformat()
        expect_status(d.call("PUT", "/v1/people/%s/information" % due["informed"], token=coord,
                             body={"informed_on": year_ago, "informed_by": "CMP", "means": "oral"}), 200)
        out = db.ctl("retention", "run", "--dry-run", "--commission", commission).stdout
        check(re.search(r"^would pseudonymise person %s " % due["old"], out, re.M), "the old file is due: %r" % out)
        check(due["note"] not in out and due["informed"] not in out, "a contact a year ago keeps a file: %r" % out)
        check(out.rstrip().endswith("1 people due (dry run: nothing changed)"), "only the old file: %r" % out)
        # the commission's own setting still rules
        db.ctl("commission", "configure", commission, "--retention-years", "5")
        out = db.ctl("retention", "run", "--dry-run", "--commission", commission).stdout
        check(out.rstrip().endswith("0 people due (dry run: nothing changed)"), "5 years: nobody due: %r" % out)


PARTS = [situation_cases, filter_cases, free_places_cases, information_cases, retention_cases]

if __name__ == "__main__":
    Suite("http-people-file").main(body)
