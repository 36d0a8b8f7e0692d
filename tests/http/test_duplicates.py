#!/usr/bin/env python3
"""One person, one file (issue 14, item 1): a possible duplicate of a file the caller may not see answers 409
possible-duplicate without any detail of that file and is recorded for the coordinator (across care teams and
across curator services; names compared without case or accents, and swapped); the coordinator's queue
GET /v1/people/duplicates lists pairs of files and those requests with their evidence; a pair or a request marked
distinct is not proposed again; linking two files keeps the older id, moves applications, placements (with their
deposit, reviews), care notes and requests to it, answers 404 with a pointer for the other id, keeps the audit
entries of the other id in the export, and keeps "one home at a time" (overlapping placements: 409, nothing
changed). Everything the coordinator's only: 403 for every other role.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_problem, expect_status, leaks  # noqa: E402

PEOPLE = "/v1/people"
QUEUE = "/v1/people/duplicates"
TODAY = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
ITEM_MEMBERS = {"kind", "people", "evidence", "request"}
PERSON_MEMBERS = {"id", "family_name", "given_names", "birth_date", "care_team_id", "curator_org_id", "created_at"}
REQUEST_MEMBERS = {"id", "family_name", "given_names", "birth_date", "requested_by_role", "requested_by_org_id",
                   "requested_at"}
RESOLUTION_MEMBERS = {"resolution", "person_id", "other_person_id", "request_id", "merged_id", "moved"}


def queue(d, token, limit=200):
    """The whole queue, page after page; each page checked."""
    items, cursor = [], None
    for _ in range(100):
        r = d.call("GET", "%s?limit=%d%s" % (QUEUE, limit, "&cursor=" + cursor if cursor else ""), token=token)
        expect_status(r, 200)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        for it in r.body["items"]:
            check(set(it) == ITEM_MEMBERS, "members of a DuplicateItem", r)
            check(all(set(p) == PERSON_MEMBERS for p in it["people"]), "members of a DuplicatePerson", r)
            check(it["request"] is None or set(it["request"]) == REQUEST_MEMBERS, "members of a request", r)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 100 pages")


def files_pair(items, a, b):
    """The queue item pairing files A and B, or None."""
    for it in items:
        if it["kind"] == "files" and {p["id"] for p in it["people"]} == {a, b}:
            return it
    return None


def requests_about(items, pid):
    return [it for it in items if it["kind"] == "request" and it["people"][0]["id"] == pid]


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
            run_cases(suite, d, db, org, tok)
            with suite.case("no response holds SQL or PostgreSQL's words; no 5xx"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
                from harness import ALL_RESPONSES
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
            d.stop()


def run_cases(suite, d, db, org, tok):
    coord = tok["coord"]
    p = {}

    def create(token, body, expect=201):
        r = d.call("POST", PEOPLE, token=token, body=body)
        expect_status(r, expect)
        return r

    def people_count():
        return int(db.sql("SELECT count(*) FROM people"))

    # -----------------------------------------------------------------------------------------------------------
    with suite.case("setup: files of team 1 and of curator service 1"):
        p["garnier"] = create(coord, {"family_name": "Garnier", "given_names": "Yves", "birth_date": "1970-01-01",
                                      "care_team_id": org["team1"]}).body["id"]
        p["lefevre"] = create(tok["cur1"], {"family_name": "Lefèvre", "given_names": "Élodie",
                                            "birth_date": "1985-05-05", "care_team_id": org["team1"],
                                            "protection": "tutelle", "curator_org_id": org["cur1"]}).body["id"]

    # -----------------------------------------------------------------------------------------------------------
    attempts = [
        # (label, token, body, requested_by_role, org, expected evidence)
        ("cross-team", "care2", {"family_name": "Garnier", "given_names": "Yves", "birth_date": "1970-01-01"},
         "caregiver", "team2", "garnier", ["same_birth_date", "same_names"]),
        ("cross-team, names swapped", "care2",
         {"family_name": "Yves", "given_names": "Garnier", "birth_date": "1970-01-01"},
         "caregiver", "team2", "garnier", ["same_birth_date", "swapped_names"]),
        ("cross-service, case and accents", "cur2",
         {"family_name": "LEFEVRE", "given_names": "elodie", "birth_date": "1985-05-05",
          "care_team_id": org["team2"], "protection": "curatelle_simple", "curator_org_id": org["cur2"]},
         "curator", "cur2", "lefevre", ["same_birth_date", "same_names_ignoring_case_and_accents"]),
    ]
    with suite.case("a duplicate out of scope: 409 possible-duplicate, empty candidates, nothing of the file"):
        before = people_count()
        for label, t, sent, _, _, target, _ in attempts:
            r = d.call("POST", PEOPLE, token=tok[t], body=sent)
            b = expect_problem(r, 409, "possible-duplicate")
            check(b.get("candidates") == [], "%s: no candidate" % label, r)
            check("coordinator" in b["detail"], "%s: the detail sends the caller to the coordinator" % label, r)
            for secret in (p[target], org["team1"], org["cur1"], "Équipe", "Garnier Yves"):
                check(secret not in r.text, "%s: %r leaks" % (label, secret), r)
            check(set(b) == {"type", "title", "status", "detail", "code", "request_id", "candidates"},
                  "%s: the problem's members" % label, r)
        check(people_count() == before, "a refused duplicate created a file")
        # not a duplicate: another birth date, other given names
        for other in ({"birth_date": "1970-01-02"}, {"given_names": "Yvette"}):
            sent = dict(attempts[0][2], **other)
            r = create(tok["care2"], sent)
            db.sql("DELETE FROM people WHERE id = '%s'" % r.body["id"])

    with suite.case("the coordinator's queue: each refused attempt, with who asked and the evidence"):
        items = queue(d, coord)
        reqs = [it for it in items if it["kind"] == "request"]
        check(len(reqs) == len(attempts), "one request per attempt: %s" % reqs)
        for label, _, sent, role, org_key, target, evidence in attempts:
            found = [it for it in requests_about(items, p[target])
                     if it["request"]["family_name"] == sent["family_name"]
                     and it["request"]["given_names"] == sent["given_names"]]
            check(len(found) == 1, "%s: the request is in the queue: %s" % (label, items))
            it = found[0]
            check(it["request"]["requested_by_role"] == role and it["request"]["requested_by_org_id"] == org[org_key]
                  and it["request"]["birth_date"] == sent["birth_date"], "%s: who asked: %s" % (label, it))
            check(sorted(it["evidence"]) == sorted(evidence), "%s: evidence %s, expected %s"
                  % (label, it["evidence"], evidence))
            check(len(it["people"]) == 1 and it["people"][0]["id"] == p[target], "%s: the file matched" % label)
        p["request_swapped"] = [it["request"]["id"] for it in requests_about(items, p["garnier"])
                                if it["request"]["family_name"] == "Yves"][0]
        p["request_team2"] = [it["request"]["id"] for it in requests_about(items, p["garnier"])
                              if it["request"]["family_name"] == "Garnier"][0]

    with suite.case("the queue is the coordinator's: 403 for every other role; another commission sees none"):
        for t in ("care1", "care2", "cur1", "cur2", "landlord", "observer"):
            expect_problem(d.call("GET", QUEUE, token=tok[t]), 403, "forbidden")
            for action in ("link", "distinct"):
                r = d.call("POST", "%s/%s/%s" % (PEOPLE, p["garnier"], action), token=tok[t],
                           body={"request_id": p["request_team2"]})
                expect_problem(r, 403, "forbidden")
        r = d.call("GET", QUEUE, token=tok["coordB"])
        check(r.status == 200 and r.body == {"items": [], "next_cursor": None}, "B's queue is empty", r)
        r = d.call("POST", "%s/%s/distinct" % (PEOPLE, p["garnier"]), token=tok["coordB"],
                   body={"request_id": p["request_team2"]})
        expect_problem(r, 404, "not-found")

    with suite.case("pairs of files: case, accents, swapped names; not another given name or birth date"):
        p["martin"] = create(coord, {"family_name": "Martin", "given_names": "Paul", "birth_date": "1960-06-06",
                                     "care_team_id": org["team1"]}).body["id"]
        r = d.call("POST", PEOPLE, token=coord, body={"family_name": "MARTÍN", "given_names": "paul",
                                                      "birth_date": "1960-06-06", "care_team_id": org["team2"]})
        b = expect_problem(r, 409, "possible-duplicate")
        check([c["id"] for c in b["candidates"]] == [p["martin"]], "the coordinator sees the candidate", r)
        p["martin2"] = create(coord, {"family_name": "MARTÍN", "given_names": "paul", "birth_date": "1960-06-06",
                                      "care_team_id": org["team2"], "confirm_duplicate": True}).body["id"]
        p["paul"] = create(coord, {"family_name": "Paul", "given_names": "Martin", "birth_date": "1960-06-06",
                                   "care_team_id": org["team2"], "confirm_duplicate": True}).body["id"]
        p["paula"] = create(coord, {"family_name": "Martin", "given_names": "Paula", "birth_date": "1960-06-06",
                                    "care_team_id": org["team1"]}).body["id"]
        p["other_day"] = create(coord, {"family_name": "Martin", "given_names": "Paul", "birth_date": "1960-06-07",
                                        "care_team_id": org["team1"]}).body["id"]
        items = queue(d, coord)
        expected = {
            (p["martin"], p["martin2"]): ["same_birth_date", "same_names_ignoring_case_and_accents"],
            (p["martin"], p["paul"]): ["same_birth_date", "swapped_names"],
            (p["martin2"], p["paul"]): ["same_birth_date", "swapped_names"],
        }
        pairs = [it for it in items if it["kind"] == "files"]
        check(len(pairs) == len(expected), "exactly the expected pairs: %s" % pairs)
        for (older, newer), evidence in expected.items():
            it = files_pair(items, older, newer)
            check(it is not None, "the pair %s / %s is proposed" % (older, newer))
            check([x["id"] for x in it["people"]] == [older, newer], "the older file first: %s" % it)
            check(sorted(it["evidence"]) == sorted(evidence), "evidence %s, expected %s" % (it["evidence"], evidence))
            check(it["request"] is None, "a pair of files has no request")
        # one item per page: the same queue
        check(queue(d, coord, limit=1) == items, "paged one by one, the queue is the same")

    with suite.case("mark distinct: the pair is not proposed again; idempotent; the others stay"):
        path = "%s/%s/distinct" % (PEOPLE, p["paul"])
        for _ in range(2):
            r = d.call("POST", path, token=coord, body={"other_person_id": p["martin"]})
            expect_status(r, 200)
            check(set(r.body) == RESOLUTION_MEMBERS and r.body["resolution"] == "distinct"
                  and r.body["person_id"] == p["paul"] and r.body["other_person_id"] == p["martin"], "the answer", r)
        items = queue(d, coord)
        check(files_pair(items, p["martin"], p["paul"]) is None, "the pair marked distinct is proposed again")
        check(files_pair(items, p["martin"], p["martin2"]) is not None and
              files_pair(items, p["martin2"], p["paul"]) is not None, "the other pairs stay")
        # recorded by whom, and audited with the person of the path
        check(db.sql("SELECT count(*) FROM person_distinct_pairs") == "1", "one distinct mark")
        check(db.sql("SELECT count(*) FROM audit_log WHERE route = '/v1/people/{id}/distinct' AND status = 200 "
                     "AND object_id = '%s'" % p["paul"]) == "2", "each mark is audited")

    with suite.case("mark a request distinct: gone from the queue; twice: 422 naming request_id"):
        path = "%s/%s/distinct" % (PEOPLE, p["garnier"])
        r = d.call("POST", path, token=coord, body={"request_id": p["request_swapped"]})
        expect_status(r, 200)
        check(r.body == {"resolution": "distinct", "person_id": p["garnier"], "other_person_id": None,
                         "request_id": p["request_swapped"], "merged_id": None, "moved": None}, "the answer", r)
        items = queue(d, coord)
        check(all(it["request"]["id"] != p["request_swapped"] for it in items if it["kind"] == "request"),
              "the request is still proposed")
        check(len(requests_about(items, p["garnier"])) == 1, "the other request stays")
        expect_problem(d.call("POST", path, token=coord, body={"request_id": p["request_swapped"]}), 422,
                       "validation-failed", field="/request_id")
        # a request about another person
        expect_problem(d.call("POST", "%s/%s/distinct" % (PEOPLE, p["lefevre"]), token=coord,
                              body={"request_id": p["request_team2"]}), 422, "validation-failed", field="/request_id")

    with suite.case("link or distinct: validation names the fields; unknown files"):
        before = people_count()
        path = "%s/%s/link" % (PEOPLE, p["martin"])
        for sent, fields in (({}, ["/other_person_id", "/request_id"]),
                             ({"other_person_id": p["martin2"], "request_id": p["request_team2"]},
                              ["/other_person_id", "/request_id"]),
                             ({"other_person_id": p["martin"]}, ["/other_person_id"]),
                             ({"other_person_id": "nope"}, ["/other_person_id"]),
                             ({"other_person_id": "00000000-0000-4000-8000-000000000000"}, ["/other_person_id"]),
                             ({"stranger": 1}, ["/stranger"])):
            expect_problem(d.call("POST", path, token=coord, body=sent), 422, "validation-failed", fields=fields)
        r = d.call("POST", "%s/%s/link" % (PEOPLE, "00000000-0000-4000-8000-000000000000"), token=coord,
                   body={"other_person_id": p["martin"]})
        expect_problem(r, 404, "not-found")
        expect_problem(d.call("POST", "%s/not-a-uuid/link" % PEOPLE, token=coord,
                              body={"other_person_id": p["martin"]}), 400, "invalid-id")
        check(people_count() == before, "nothing changed")

    # -----------------------------------------------------------------------------------------------------------
    def post(path, sent, token=coord, headers=None):
        r = d.call("POST", path, token=token, body=sent, headers=headers)
        expect_status(r, (200, 201))
        return r.body

    def unit(places=5):
        return post("/v1/units", {"kind": "hlm_apartment", "label": "T2 %s" % os.urandom(3).hex(),
                                  "address": "1 rue des Tilleuls", "town": "Lille", "landlord_org_id": org["land"],
                                  "places": places, "rent_cents": 40000, "charges_cents": 5000,
                                  "deposit_cents": 40000})["id"]

    def approved(pid):
        aid = post("/v1/applications", {"person_id": pid, "situation": "Sortie d'hospitalisation"})["id"]
        post("/v1/applications/%s/transitions" % aid, {"to": "approved", "force": True, "reason": "Bureau"})
        return aid

    def placement(pid, history=None):
        """A placement of PID from today (a move-in may not precede the decision); HISTORY (move-in, exit):
        moved back in time afterwards, as the commission's past would have it."""
        pl = post("/v1/placements", {"application_id": approved(pid), "unit_id": unit(), "move_in_date": TODAY,
                                     "lease": "sliding_lease"})["id"]
        if history:
            db.sql("UPDATE placements SET move_in_date = '%s', exit_date = '%s', exit_reason = 'other_housing', "
                   "exit_inspection_matches = true WHERE id = '%s'" % (history[0], history[1], pl))
        return pl

    with suite.case("link two files: the older id stays, everything follows, the other id points to it"):
        older = create(coord, {"family_name": "Petit", "given_names": "Jean", "birth_date": "1950-01-01",
                               "care_team_id": org["team1"], "phone": "+33 3 20 00 00 01"}).body["id"]
        newer = create(coord, {"family_name": "PETIT", "given_names": "jean", "birth_date": "1950-01-01",
                               "care_team_id": org["team2"], "email": "jean.petit@example.org",
                               "confirm_duplicate": True}).body["id"]
        # the older file: an ended placement; the newer: a running one, a draft application, a care note
        pl_old = placement(older, ("2024-01-01", "2024-06-01"))
        pl_new = placement(newer)
        post("/v1/placements/%s/deposit/entries" % pl_new, {"kind": "paid", "amount_cents": 40000,
                                                            "entry_date": TODAY},
             headers={"Idempotency-Key": "pay-" + pl_new})
        review = post("/v1/placements/%s/reviews" % pl_new,
                      {"review_date": TODAY, "care_followup": "Suivi mensuel", "rent_status": "up_to_date",
                       "housing": "Entretenu", "autonomy": "Autonome", "outcome": "continue"})["id"]
        draft = post("/v1/applications", {"person_id": newer, "situation": "Changement de logement"})["id"]
        note = post("/v1/people/%s/care-notes" % newer, {"body": "Note de l'équipe 2"})["id"]
        # a request recorded about the newer file (a caregiver of team 1 does not see it)
        expect_problem(d.call("POST", PEOPLE, token=tok["care1"],
                              body={"family_name": "Petit", "given_names": "Jean", "birth_date": "1950-01-01"}),
                       409, "possible-duplicate")
        apps_before = sorted(a["id"] for a in d.call("GET", "/v1/applications?limit=200", token=coord).body["items"]
                             if a["person"]["id"] in (older, newer))
        check(len(apps_before) == 3, "three applications before: %s" % apps_before)
        newer_apps = 2  # its placement's and the draft

        r = d.call("POST", "%s/%s/link" % (PEOPLE, newer), token=coord, body={"other_person_id": older})
        expect_status(r, 200)
        check(r.body == {"resolution": "linked", "person_id": older, "other_person_id": newer, "request_id": None,
                         "merged_id": newer, "moved": {"applications": newer_apps, "placements": 1, "care_notes": 1,
                                                       "requests": 1}}, "the answer", r)
        # the older file holds everything, its empty contact details filled from the other
        r = d.call("GET", "%s/%s" % (PEOPLE, older), token=coord)
        expect_status(r, 200)
        check(r.body["phone"] == "+33 3 20 00 00 01" and r.body["email"] == "jean.petit@example.org"
              and r.body["care_team_id"] == org["team1"], "the kept file", r)
        apps = d.call("GET", "/v1/applications?person_id=%s&limit=200" % older, token=coord).body["items"]
        check(sorted(a["id"] for a in apps) == apps_before, "the applications follow: %s" % apps)
        pls = d.call("GET", "/v1/placements?person_id=%s&limit=200" % older, token=coord).body["items"]
        check(sorted(x["id"] for x in pls) == sorted([pl_old, pl_new]), "the placements follow: %s" % pls)
        dep = d.call("GET", "/v1/placements/%s/deposit" % pl_new, token=coord)
        expect_status(dep, 200)
        check(dep.body.get("balance_cents") == 40000, "the deposit follows its placement", dep)
        rv = d.call("GET", "/v1/reviews/%s" % review, token=coord)
        expect_status(rv, 200)
        check(rv.body.get("placement_id") == pl_new, "the review follows its placement", rv)
        notes = d.call("GET", "/v1/people/%s/care-notes" % older, token=coord).body["items"]
        check([n["id"] for n in notes] == [note], "the care note follows", notes)
        # the other id: 404 with a pointer (for whoever sees the kept file)
        r = d.call("GET", "%s/%s" % (PEOPLE, newer), token=coord)
        b = expect_problem(r, 404, "not-found")
        check(b.get("merged_into") == older, "the pointer to the kept file", r)
        r = d.call("GET", "%s/%s" % (PEOPLE, newer), token=tok["care1"])
        check(expect_problem(r, 404, "not-found").get("merged_into") == older, "team 1 sees the kept file", r)
        r = d.call("GET", "%s/%s" % (PEOPLE, newer), token=tok["care2"])
        check("merged_into" not in expect_problem(r, 404, "not-found") and older not in r.text,
              "team 2 does not see the kept file: no pointer", r)
        # the request moved to the kept file; the pair is gone from the queue
        items = queue(d, coord)
        check(files_pair(items, older, newer) is None, "the linked pair is still proposed")
        check(len(requests_about(items, older)) == 1, "the request follows the kept file")
        # the export holds the audit entries of the other id (its creation among them)
        exp = d.call("GET", "%s/%s/export" % (PEOPLE, older), token=coord)
        expect_status(exp, 200)
        check(any(e["object_id"] == newer and e["action"] == "create" for e in exp.body["audit"]),
              "the export holds the other file's audit entries", exp)
        check(sorted(a["id"] for a in exp.body["applications"]) == apps_before, "the export's applications", exp)
        check(db.sql("SELECT count(*) FROM audit_log WHERE route = '/v1/people/{id}/link' AND status = 200 "
                     "AND object_id = '%s'" % newer) == "1", "the link is audited")
        # one home at a time across the merged file: a placement overlapping the running one is refused
        r = d.call("POST", "/v1/placements", token=coord, body={"application_id": approved(older), "unit_id": unit(),
                                                               "move_in_date": TODAY, "lease": "sliding_lease"})
        expect_problem(r, 409, "conflict")
        check("another placement" in r.body["detail"], "refused as a second home", r)
        check(draft in apps_before, "the draft followed")
        p["older"] = older

    with suite.case("link refused when the two files' placements overlap: 409, nothing changed"):
        x = create(coord, {"family_name": "Roux", "given_names": "Anne", "birth_date": "1966-06-16",
                           "care_team_id": org["team1"]}).body["id"]
        y = create(coord, {"family_name": "Anne", "given_names": "Roux", "birth_date": "1966-06-16",
                           "care_team_id": org["team2"], "confirm_duplicate": True}).body["id"]
        placement(x)
        placement(y)
        snapshot = db.sql("SELECT string_agg(id || ':' || person_id || ':' || version, ',' ORDER BY id) "
                          "FROM placements") + db.sql("SELECT count(*) FROM people")
        r = d.call("POST", "%s/%s/link" % (PEOPLE, x), token=coord, body={"other_person_id": y})
        b = expect_problem(r, 409, "conflict")
        check("one home" in b["detail"], "the detail says why", r)
        check(db.sql("SELECT string_agg(id || ':' || person_id || ':' || version, ',' ORDER BY id) "
                     "FROM placements") + db.sql("SELECT count(*) FROM people") == snapshot, "something changed")
        expect_status(d.call("GET", "%s/%s" % (PEOPLE, y), token=coord), 200)
        check(files_pair(queue(d, coord), x, y) is not None, "the pair is still proposed")

    with suite.case("link a request: the same person; resolved, gone from the queue"):
        req = requests_about(queue(d, coord), p["older"])[0]["request"]["id"]
        r = d.call("POST", "%s/%s/link" % (PEOPLE, p["older"]), token=coord, body={"request_id": req})
        expect_status(r, 200)
        check(r.body == {"resolution": "linked", "person_id": p["older"], "other_person_id": None,
                         "request_id": req, "merged_id": None, "moved": None}, "the answer", r)
        check(requests_about(queue(d, coord), p["older"]) == [], "the request is still proposed")


if __name__ == "__main__":
    Suite("http-duplicates").main(body)
