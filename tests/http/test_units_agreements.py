#!/usr/bin/env python3
"""/v1/units and /v1/agreements: creation (201, Location, ETag), each role's view (a landlord sees its own units
and agreements, 404 on another's; observers 403 on units; caregivers and curators read units, 403 on agreements;
only the coordinator writes), validation errors that name the field and change nothing, references to
organisations or units of the wrong kind or of another commission (422), duplicate references (409), the status
history of a unit and the finality of `withdrawn` (409 invalid-state), expiring_within, renewals, If-Match,
keyset pagination and Idempotency-Key.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import os
import sys
import threading
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (TIMESTAMP_RE, UUID_RE, Daemon, Database, Step, Suite, check, error_fields,  # noqa: E402
                     expect_problem, expect_status, leaks, run_scenario)

UNITS = "/v1/units"
AGREEMENTS = "/v1/agreements"
UNIT_MEMBERS = {"id", "kind", "label", "address", "town", "landlord_org_id", "places", "rent_cents", "charges_cents",
                "deposit_cents", "currency", "status", "version", "created_at", "updated_at", "occupied_places",
                "vacant_places", "co_owned"}
AGREEMENT_MEMBERS = {"id", "org_id", "reference", "signatory", "start_date", "end_date", "status", "days_to_end",
                     "notes", "unit_ids", "renewals", "version", "created_at", "updated_at"}
def utc_today():
    """Today (UTC), asked at every use: a run may cross midnight."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    return (utc_today() + datetime.timedelta(days=offset)).isoformat()


def unit_body(landlord, **kw):
    b = {"kind": "hlm_apartment", "label": "T2 résidence des Tilleuls", "address": "3 rue des Tilleuls\n59650",
         "town": "Villeneuve-d'Ascq", "landlord_org_id": landlord, "places": 1, "rent_cents": 41250,
         "charges_cents": 8000, "deposit_cents": 41250}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not ...}


def agreement_body(org, reference, **kw):
    b = {"org_id": org, "reference": reference, "signatory": "M. Delegué, délégation de signature",
         "start_date": day(-30), "end_date": day(335)}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not ...}


def changed(body, change):
    """BODY with the members of CHANGE; a member whose value is ... is left out."""
    b = dict(body, **change)
    return {k: v for k, v in b.items() if v is not ...}


def post(d, path, token, body, key=None):
    return d.call("POST", path, token=token, body=body, headers={"Idempotency-Key": key} if key else None)


def patch(d, path, token, body, etag):
    return d.call("PATCH", path, token=token, body=body, headers={"If-Match": etag} if etag else None)


def list_all(d, path, token, query="", limit=200):
    """Every item of the list at PATH that TOKEN sees, following next_cursor; returns (items, pages)."""
    items, pages, cursor = [], [], None
    for _ in range(200):
        url = "%s?%slimit=%d" % (path, query + "&" if query else "", limit) + ("&cursor=" + cursor if cursor else "")
        r = d.call("GET", url, token=token)
        expect_status(r, 200)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        pages.append(r.body)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError("more than 200 pages")


def check_unit(r, expected):
    b = r.body
    check(isinstance(b, dict) and set(b) == UNIT_MEMBERS, "members of a Unit: %s" % sorted(UNIT_MEMBERS), r)
    check(UUID_RE.match(b["id"]), "id is not a lower-case UUID", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is not an RFC 3339 UTC timestamp" % k, r)
    for k, v in expected.items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is not \"v<version>\"", r)


def check_agreement(r, expected):
    b = r.body
    check(isinstance(b, dict) and set(b) == AGREEMENT_MEMBERS, "members of an Agreement: %s"
          % sorted(AGREEMENT_MEMBERS), r)
    end = datetime.date.fromisoformat(b["end_date"])
    today = utc_today()
    check(b["days_to_end"] == (end - today).days, "days_to_end is not end_date - today", r)
    check(b["status"] == ("active" if end >= today else "expired"), "status does not follow end_date", r)
    for k, v in expected.items():
        got = sorted(b[k]) if k == "unit_ids" else b[k]
        want = sorted(v) if k == "unit_ids" else v
        check(got == want, "%s is %r, expected %r" % (k, b[k], v), r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is not \"v<version>\"", r)


class Unchanged:
    """The rows of every table a refused write could touch (and the versions): a refusal leaves them as they were."""

    QUERY = ("SELECT (SELECT count(*) FROM units) || ' ' || (SELECT coalesce(sum(version), 0) FROM units) || ' ' || "
             "(SELECT count(*) FROM unit_status_changes) || ' ' || (SELECT count(*) FROM agreements) || ' ' || "
             "(SELECT coalesce(sum(version), 0) FROM agreements) || ' ' || (SELECT count(*) FROM agreement_units) "
             "|| ' ' || (SELECT count(*) FROM agreement_renewals) || ' ' || (SELECT count(*) FROM idempotency_keys) "
             "|| ' ' || (SELECT coalesce(string_agg(id::text || status || label, ',' ORDER BY id), '') FROM units) "
             "|| ' ' || (SELECT coalesce(string_agg(id::text || end_date || signatory || coalesce(notes, '-'), ',' "
             "ORDER BY id), '') FROM agreements)")

    def __init__(self, db):
        self.db = db
        self.refresh()

    def refresh(self):
        self.base = self.db.sql(self.QUERY)

    def check(self, what):
        now = self.db.sql(self.QUERY)
        check(now == self.base, "%s changed the data:\n  before %s\n  after  %s" % (what, self.base[:300], now[:300]))


def body(suite):
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B")
        org = {
            "l1": db.organisation_create(a, "landlord", "Bailleur Un"),
            "l2": db.organisation_create(a, "landlord", "Bailleur Deux"),
            "l3": db.organisation_create(a, "landlord", "Bailleur Trois"),
            "res": db.organisation_create(a, "residence", "Résidence André Breton"),
            "team": db.organisation_create(a, "care_team", "Équipe 59G21"),
            "cur": db.organisation_create(a, "curator_service", "Service mandataire"),
            "partner": db.organisation_create(a, "partner", "Mairie"),
            "lB": db.organisation_create(b, "landlord", "Bailleur B"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination A"),
            "coord2": db.token_create(a, "coordinator", label="coordination A, poste 2"),
            "observer": db.token_create(a, "observer", label="observateur"),
            "caregiver": db.token_create(a, "caregiver", scope=org["team"], label="soignant"),
            "curator": db.token_create(a, "curator", scope=org["cur"], label="curateur"),
            "l1": db.token_create(a, "landlord", scope=org["l1"], label="bailleur un"),
            "l2": db.token_create(a, "landlord", scope=org["l2"], label="bailleur deux"),
            "coordB": db.token_create(b, "coordinator", label="coordination B"),
        }
        t = {k: v.token for k, v in tok.items()}
        coord = t["coord"]
        with Daemon(db, threads=4) as d:
            run_cases(suite, d, db, org, tok, t, coord)
            with suite.case("no response contains SQL, postgres, ERROR: or syntax"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
            d.stop()


def run_cases(suite, d, db, org, tok, t, coord):
    units = {}
    state = Unchanged(db)

    # ------------------------------------------------------------------------------------------------ units
    with suite.case("units: POST 201 with Location, ETag and the unit; first status recorded"):
        sent = unit_body(org["l1"])
        r = post(d, UNITS, coord, sent)
        expect_status(r, 201)
        check_unit(r, dict(sent, currency="EUR", status="available", version=1))
        check(r.headers.get("location") == "%s/%s" % (UNITS, r.body["id"]), "Location", r)
        units["u1"] = r.body
        r = d.call("GET", "%s/%s" % (UNITS, units["u1"]["id"]), token=coord)
        expect_status(r, 200)
        check(r.body == units["u1"], "GET differs from the creation's answer", r)
        r = d.call("GET", "%s/%s/history" % (UNITS, units["u1"]["id"]), token=coord)
        expect_status(r, 200)
        items = r.body["items"]
        check(len(items) == 1 and items[0]["from_status"] is None and items[0]["to_status"] == "available"
              and items[0]["reason"] is None and TIMESTAMP_RE.match(items[0]["at"]), "first history entry", r)
        for key, extra in [("u2", dict(label="Studio Jaurès", town="Lille", currency="EUR", status="occupied")),
                           ("u3", dict(kind="foyer_place", label="Place foyer 1", town="Hellemmes", places=2)),
                           ("l2a", dict(landlord_org_id=org["l2"], label="T3 Bailleur Deux", town="Lille")),
                           ("res1", dict(landlord_org_id=org["res"], kind="residence_place", label="Place Breton",
                                         town="Lezennes", rent_cents=0, charges_cents=0, deposit_cents=0))]:
            body = unit_body(extra.pop("landlord_org_id", org["l1"]), **extra)
            r = post(d, UNITS, coord, body)
            expect_status(r, 201)
            check_unit(r, body)
            units[key] = r.body
        check(units["u2"]["status"] == "occupied", "status given at creation", r)
        n = db.sql("SELECT count(*) FROM unit_status_changes WHERE unit_id = '%s' AND from_status IS NULL "
                   "AND to_status = 'occupied' AND token_id = '%s'" % (units["u2"]["id"], tok["coord"].id))
        check(n == "1", "the first status of a unit created occupied was not recorded with the token")
        state.refresh()

    with suite.case("units: each validation error names its field and changes nothing"):
        l1 = org["l1"]
        cases = [
            ({"label": ...}, "/label"), ({"kind": ...}, "/kind"), ({"address": ...}, "/address"),
            ({"town": ...}, "/town"), ({"landlord_org_id": ...}, "/landlord_org_id"), ({"places": ...}, "/places"),
            ({"rent_cents": ...}, "/rent_cents"), ({"charges_cents": ...}, "/charges_cents"),
            ({"deposit_cents": ...}, "/deposit_cents"),
            ({"kind": "castle"}, "/kind"), ({"label": ""}, "/label"), ({"label": "x" * 201}, "/label"),
            ({"label": "a\nb"}, "/label"), ({"address": ""}, "/address"), ({"town": "t" * 101}, "/town"),
            ({"places": 0}, "/places"), ({"places": 501}, "/places"), ({"places": "2"}, "/places"),
            ({"rent_cents": -1}, "/rent_cents"), ({"rent_cents": 100000001}, "/rent_cents"),
            ({"rent_cents": 412.5}, "/rent_cents"), ({"charges_cents": None}, "/charges_cents"),
            ({"deposit_cents": "41250"}, "/deposit_cents"), ({"currency": "USD"}, "/currency"),
            ({"currency": None}, "/currency"), ({"status": "demolished"}, "/status"),
            ({"landlord_org_id": "not-a-uuid"}, "/landlord_org_id"), ({"colour": "blue"}, "/colour"),
            ({"id": str(uuid.uuid4())}, "/id"), ({"version": 1}, "/version"),
            ({"status_reason": "x"}, "/status_reason"),
            # references the database refuses: wrong kind, another commission, nothing
            ({"landlord_org_id": org["team"]}, "/landlord_org_id"),
            ({"landlord_org_id": org["cur"]}, "/landlord_org_id"),
            ({"landlord_org_id": org["partner"]}, "/landlord_org_id"),
            ({"landlord_org_id": org["lB"]}, "/landlord_org_id"),
            ({"landlord_org_id": str(uuid.uuid4())}, "/landlord_org_id"),
        ]
        for change, field in cases:
            r = post(d, UNITS, coord, unit_body(l1, **change))
            expect_problem(r, 422, "validation-failed", field=field)
            check(error_fields(r) == [field], "only %s should be named" % field, r)
        r = post(d, UNITS, coord, unit_body(l1, kind="castle", places=0, colour=1, town=...))
        expect_problem(r, 422, "validation-failed", fields=["/kind", "/places", "/colour", "/town"])
        check(len(error_fields(r)) == 4, "every field at fault is named, once", r)
        # a refusal after the idempotency key was claimed leaves no trace: the corrected request may reuse it
        r = post(d, UNITS, coord, unit_body(l1, landlord_org_id=org["team"]), key="unit-retry-after-422")
        expect_problem(r, 422, "validation-failed", field="/landlord_org_id")
        state.check("refused unit creations")
        r = post(d, UNITS, coord, unit_body(l1, label="Corrigé"), key="unit-retry-after-422")
        expect_status(r, 201)
        check("idempotent-replayed" not in r.headers, "a first creation is not a replay", r)
        units["corrected"] = r.body
        state.refresh()

    with suite.case("units: roles: coordinator writes; caregiver and curator read all; landlord its own; "
                    "observer 403"):
        every = {u["id"] for u in units.values()}
        l1_units = {u["id"] for u in units.values() if u["landlord_org_id"] == org["l1"]}
        for role in ("coord", "caregiver", "curator"):
            items, _ = list_all(d, UNITS, t[role])
            check({u["id"] for u in items} == every, "%s does not list every unit" % role)
            r = d.call("GET", "%s/%s" % (UNITS, units["l2a"]["id"]), token=t[role])
            check(r.status == 200 and r.body == units["l2a"], "%s reads any unit" % role, r)
            r = d.call("GET", "%s/%s/history" % (UNITS, units["res1"]["id"]), token=t[role])
            expect_status(r, 200)
        items, _ = list_all(d, UNITS, t["l1"])
        check({u["id"] for u in items} == l1_units, "landlord 1 lists %s, expected its own %s"
              % (sorted(u["label"] for u in items), sorted(l1_units)))
        items, _ = list_all(d, UNITS, t["l1"], query="landlord_org_id=" + org["l2"])
        check(items == [], "landlord 1 filtering on landlord 2 must see nothing")
        items, _ = list_all(d, UNITS, t["l2"])
        check([u["id"] for u in items] == [units["l2a"]["id"]], "landlord 2 lists only its unit")
        expect_status(d.call("GET", "%s/%s" % (UNITS, units["u1"]["id"]), token=t["l1"]), 200)
        for other in ("l2a", "res1"):
            for suffix in ("", "/history"):
                r = d.call("GET", "%s/%s%s" % (UNITS, units[other]["id"], suffix), token=t["l1"])
                expect_problem(r, 404, "not-found")
        for path in (UNITS, "%s/%s" % (UNITS, units["u1"]["id"]), "%s/%s/history" % (UNITS, units["u1"]["id"])):
            expect_problem(d.call("GET", path, token=t["observer"]), 403, "forbidden")
        for role in ("caregiver", "curator", "l1", "l2", "observer"):
            expect_problem(post(d, UNITS, t[role], unit_body(org["l1"])), 403, "forbidden")
            r = patch(d, "%s/%s" % (UNITS, units["u1"]["id"]), t[role], {"label": "pris"}, '"v1"')
            expect_problem(r, 403, "forbidden")
        # another commission sees none of them
        items, _ = list_all(d, UNITS, t["coordB"])
        check(items == [], "commission B lists units of commission A")
        for suffix in ("", "/history"):
            expect_problem(d.call("GET", "%s/%s%s" % (UNITS, units["u1"]["id"], suffix), token=t["coordB"]),
                           404, "not-found")
        r = patch(d, "%s/%s" % (UNITS, units["u1"]["id"]), t["coordB"], {"label": "B"}, '"v1"')
        expect_problem(r, 404, "not-found")
        r = post(d, UNITS, t["coordB"], unit_body(org["l1"]))
        expect_problem(r, 422, "validation-failed", field="/landlord_org_id")
        state.check("refused writes by other roles")

    with suite.case("units: list keyset pages sorted by (town, label, id), filters, query errors"):
        everything, _ = list_all(d, UNITS, coord)
        key = [(u["town"], u["label"], u["id"]) for u in everything]
        # Python's order is by code point; the server's by the database collation: compare as sets of
        # neighbours only where both agree (ASCII towns and labels of this file do).
        items, pages = list_all(d, UNITS, coord, limit=2)
        check([u["id"] for u in items] == [u["id"] for u in everything], "pages of 2 differ from one page")
        check(len({u["id"] for u in items}) == len(items) == len(units), "duplicates or missing units in pages")
        check(len(pages) >= 3 and all(p["next_cursor"] for p in pages[:-1]), "pages and cursors")
        towns = [k[0] for k in key]
        check(towns == sorted(towns, key=lambda s: s.lower()), "not sorted by town: %s" % towns)
        lille = [u["label"] for u in everything if u["town"] == "Lille"]
        check(lille == sorted(lille), "labels within a town are not sorted: %s" % lille)
        for query, want in [("town=Lille", {"u2", "l2a"}), ("kind=foyer_place", {"u3"}),
                            ("status=occupied", {"u2"}), ("landlord_org_id=" + org["res"], {"res1"}),
                            ("town=Lille&landlord_org_id=" + org["l1"], {"u2"}),
                            ("status=withdrawn", set()), ("town=Nowhere", set())]:
            items, _ = list_all(d, UNITS, coord, query=query, limit=1)
            got = {u["id"] for u in items}
            check(got == {units[k]["id"] for k in want}, "?%s gave %s" % (query, sorted(u["label"] for u in items)))
        # ?town= and ?kind= have statements of their own for each walk (all units, vacant ones; the commission, a
        # landlord asked for, a landlord's own): the pages of one for a town, a kind, or both, are the unfiltered
        # list's units of that town and kind, in order.
        for token, query in [(coord, ""), (coord, "status=vacant"), (coord, "landlord_org_id=" + org["l1"]),
                             (coord, "status=vacant&landlord_org_id=" + org["l1"]), (t["l1"], ""),
                             (t["l1"], "status=vacant")]:
            unfiltered, _ = list_all(d, UNITS, token, query=query)
            towns = sorted({u["town"] for u in unfiltered}) + ["Nowhere", None]
            for town, kind in [(town, kind) for town in towns
                               for kind in ["hlm_apartment", "foyer_place", "residence_place", None]]:
                extra = [k + "=" + urllib.parse.quote(v) for k, v in (("town", town), ("kind", kind)) if v]
                if not extra:
                    continue
                filtered, _ = list_all(d, UNITS, token, query="&".join(([query] if query else []) + extra), limit=1)
                want = [u["id"] for u in unfiltered if town in (None, u["town"]) and kind in (None, u["kind"])]
                check([u["id"] for u in filtered] == want,
                      "?%s&%s gave %s" % (query, "&".join(extra), [u["label"] for u in filtered]))
        for query, field in [("foo=1", "query:foo"), ("status=demolished", "query:status"),
                             ("kind=castle", "query:kind"), ("landlord_org_id=nope", "query:landlord_org_id"),
                             ("town=", "query:town"), ("limit=0", "query:limit"), ("limit=abc", "query:limit"),
                             ("cursor=abc", "query:cursor"), ("cursor=WyJhIiwiYiJd", "query:cursor")]:
            expect_problem(d.call("GET", UNITS + "?" + query, token=coord), 400, "invalid-query", field=field)

    with suite.case("units: PATCH needs If-Match (428, 412), kind and landlord_org_id are fixed (422)"):
        path = "%s/%s" % (UNITS, units["u1"]["id"])
        expect_problem(patch(d, path, coord, {"label": "x"}, None), 428, "precondition-required",
                       field="header:If-Match")
        for etag in ('"v2"', '"v0"'):
            expect_problem(patch(d, path, coord, {"label": "x"}, etag), 412, "precondition-failed")
        for etag in ("v1", '"1"', 'W/"v1"'):
            expect_problem(patch(d, path, coord, {"label": "x"}, etag), 412, "precondition-failed",
                           field="header:If-Match")
        for change, field in [({"kind": "foyer_place"}, "/kind"), ({"landlord_org_id": org["l2"]}, "/landlord_org_id"),
                              ({"currency": "EUR"}, "/currency"), ({"places": 0}, "/places"),
                              ({"rent_cents": -5}, "/rent_cents"), ({"label": None}, "/label"),
                              ({"status": "gone"}, "/status"), ({"status_reason": "sans statut"}, "/status_reason"),
                              ({"version": 2}, "/version")]:
            expect_problem(patch(d, path, coord, change, '"v1"'), 422, "validation-failed", field=field)
        missing = "%s/%s" % (UNITS, uuid.uuid4())
        expect_problem(patch(d, missing, coord, {"label": "x"}, '"v1"'), 404, "not-found")
        expect_problem(d.call("GET", missing, token=coord), 404, "not-found")
        expect_problem(d.call("GET", missing + "/history", token=coord), 404, "not-found")
        expect_problem(d.call("GET", UNITS + "/not-a-uuid", token=coord), 400, "invalid-id", field="path:id")
        expect_problem(d.call("GET", UNITS + "/not-a-uuid/history", token=coord), 400, "invalid-id",
                       field="path:id")
        state.check("refused unit updates")
        r = patch(d, path, coord, {"label": "T2 bis", "rent_cents": 42000, "places": 2}, '"v1"')
        expect_status(r, 200)
        check_unit(r, {"label": "T2 bis", "rent_cents": 42000, "places": 2, "version": 2, "status": "available",
                       "town": units["u1"]["town"], "charges_cents": 8000, "kind": "hlm_apartment"})
        check(r.body["updated_at"] >= r.body["created_at"], "updated_at moved back", r)
        r = patch(d, path, coord, {}, '"v2"')
        check(r.status == 200 and r.body["version"] == 3, "an empty PATCH still makes a version", r)
        r = d.call("GET", "%s/history" % path, token=coord)
        check(len(r.body["items"]) == 1, "a PATCH without a status change recorded a change", r)
        units["u1"] = d.call("GET", path, token=coord).body
        state.refresh()

    with suite.case("units: status changes recorded oldest first; withdrawn is final (409 invalid-state)"):
        u = units["u3"]
        path = "%s/%s" % (UNITS, u["id"])
        run_scenario(d, [
            Step("occupy", "PATCH", path, token="coord", body={"status": "occupied", "status_reason": "entrée de M. X"},
                 headers={"If-Match": '"v1"'}, check=lambda r: r.body["status"] == "occupied" and r.body["version"] == 2),
            Step("same-status", "PATCH", path, token="coord", body={"status": "occupied"},
                 headers={"If-Match": '"v2"'}, check=lambda r: r.body["version"] == 3),
            Step("repair", "PATCH", path, token="coord", body={"status": "out_of_service", "status_reason": "dégât des eaux"},
                 headers={"If-Match": '"v3"'}),
            Step("withdraw", "PATCH", path, token="coord", body={"status": "withdrawn", "status_reason": None},
                 headers={"If-Match": '"v4"'}, check=lambda r: r.body["status"] == "withdrawn"),
            Step("reopen", "PATCH", path, token="coord", body={"status": "available", "status_reason": "erreur"},
                 headers={"If-Match": '"v5"'}, expect=409, problem="invalid-state",
                 check=lambda r: r.body.get("current_status") == "withdrawn" and "/status" in
                 [e["field"] for e in r.body.get("errors", [])]),
            Step("stale-and-final", "PATCH", path, token="coord", body={"status": "available"},
                 headers={"If-Match": '"v4"'}, expect=412, problem="precondition-failed"),
            Step("still-readable", "GET", path, token="coord",
                 check=lambda r: r.body["status"] == "withdrawn" and r.body["version"] == 5),
            Step("listed-withdrawn", "GET", UNITS + "?status=withdrawn", token="caregiver",
                 check=lambda r: [x["id"] for x in r.body["items"]] == [u["id"]]),
            Step("other-fields-still-editable", "PATCH", path, token="coord", body={"label": "Place foyer 1 (retirée)"},
                 headers={"If-Match": '"v5"'}, check=lambda r: r.body["status"] == "withdrawn"),
            Step("withdrawn-again-is-no-change", "PATCH", path, token="coord", body={"status": "withdrawn"},
                 headers={"If-Match": '"v6"'}, check=lambda r: r.body["version"] == 7),
        ], tokens=t)
        r = d.call("GET", path + "/history", token=coord)
        expect_status(r, 200)
        got = [(h["from_status"], h["to_status"], h["reason"]) for h in r.body["items"]]
        want = [(None, "available", None), ("available", "occupied", "entrée de M. X"),
                ("occupied", "out_of_service", "dégât des eaux"), ("out_of_service", "withdrawn", None)]
        check(got == want, "history %s, expected %s" % (got, want), r)
        ats = [h["at"] for h in r.body["items"]]
        check(ats == sorted(ats), "history is not oldest first", r)
        n = db.sql("SELECT count(*) FROM unit_status_changes WHERE unit_id = '%s' AND token_id = '%s'"
                   % (u["id"], tok["coord"].id))
        check(n == "4", "the token of each change is not recorded (%s rows)" % n)
        r = d.call("GET", path + "/history", token=t["l1"])
        check(r.status == 200 and len(r.body["items"]) == 4, "the landlord reads its unit's history", r)
        units["u3"] = d.call("GET", path, token=coord).body
        state.refresh()

    with suite.case("units: Idempotency-Key replays the first 201; another body under the key is 409"):
        body = unit_body(org["l1"], label="Idempotent", town="Mons-en-Barœul")
        r1 = post(d, UNITS, coord, body, key="unit-key-1")
        expect_status(r1, 201)
        r2 = post(d, UNITS, coord, dict(reversed(list(body.items()))), key="unit-key-1")
        expect_status(r2, 201)
        check(r2.headers.get("idempotent-replayed") == "true", "no Idempotent-Replayed: true", r2)
        check(r2.body == r1.body and r2.headers.get("location") == r1.headers.get("location")
              and r2.headers.get("etag") == r1.headers.get("etag"), "the replay differs", r2)
        expect_problem(post(d, UNITS, coord, dict(body, places=3), key="unit-key-1"), 409, "idempotency-key-reused")
        n = db.sql("SELECT count(*) FROM units WHERE label = 'Idempotent'")
        check(n == "1", "%s units created for one key" % n)
        r3 = post(d, UNITS, t["coord2"], body, key="unit-key-1")
        check(r3.status == 201 and r3.body["id"] != r1.body["id"], "keys belong to their token", r3)
        units["idem1"], units["idem2"] = r1.body, r3.body
        state.refresh()

    # ------------------------------------------------------------------------------------------- agreements
    agr = {}
    with suite.case("agreements: POST 201 with unit_ids; GET has unit_ids and renewals"):
        sent = agreement_body(org["l1"], "CONV-2026-001", unit_ids=[units["u1"]["id"], units["u2"]["id"]],
                              notes="Convention cadre.\nAvenant 1 en cours.")
        r = post(d, AGREEMENTS, coord, sent)
        expect_status(r, 201)
        check_agreement(r, dict(sent, renewals=[], version=1, status="active", days_to_end=335))
        check(r.headers.get("location") == "%s/%s" % (AGREEMENTS, r.body["id"]), "Location", r)
        check(UUID_RE.match(r.body["id"]) and TIMESTAMP_RE.match(r.body["created_at"]), "id, created_at", r)
        agr["a1"] = r.body
        r = d.call("GET", "%s/%s" % (AGREEMENTS, agr["a1"]["id"]), token=coord)
        expect_status(r, 200)
        check(r.body == agr["a1"], "GET differs from the creation's answer", r)
        r = post(d, AGREEMENTS, coord, agreement_body(org["l2"], "CONV-2026-002", unit_ids=[units["l2a"]["id"]]))
        expect_status(r, 201)
        agr["a2"] = r.body
        r = post(d, AGREEMENTS, coord, agreement_body(org["res"], "CONV-BRETON", unit_ids=[units["res1"]["id"]],
                                                      notes=None))
        expect_status(r, 201)
        check_agreement(r, {"notes": None, "unit_ids": [units["res1"]["id"]]})
        agr["res"] = r.body
        r = post(d, AGREEMENTS, coord, agreement_body(org["l1"], "CONV-SANS-LOGEMENT"))
        expect_status(r, 201)
        check_agreement(r, {"unit_ids": [], "notes": None})
        agr["a1b"] = r.body
        state.refresh()

    with suite.case("agreements: each validation error names its field and changes nothing"):
        l1, u1 = org["l1"], units["u1"]["id"]
        cases = [
            ({"org_id": ...}, "/org_id"), ({"reference": ...}, "/reference"), ({"signatory": ...}, "/signatory"),
            ({"start_date": ...}, "/start_date"), ({"end_date": ...}, "/end_date"),
            ({"reference": ""}, "/reference"), ({"reference": "r" * 101}, "/reference"),
            ({"signatory": "s" * 201}, "/signatory"), ({"start_date": "2026-02-30"}, "/start_date"),
            ({"end_date": "31/12/2027"}, "/end_date"), ({"end_date": day(-30)}, "/end_date"),
            ({"end_date": day(-31)}, "/end_date"), ({"notes": "n" * 5001}, "/notes"), ({"notes": 5}, "/notes"),
            ({"org_id": "pas-un-uuid"}, "/org_id"), ({"status": "active"}, "/status"), ({"colour": 1}, "/colour"),
            ({"unit_ids": u1}, "/unit_ids"), ({"unit_ids": None}, "/unit_ids"), ({"unit_ids": {"a": u1}}, "/unit_ids"),
            ({"unit_ids": [u1, "nope"]}, "/unit_ids/1"), ({"unit_ids": [7]}, "/unit_ids/0"),
            ({"unit_ids": [u1, u1.upper()]}, "/unit_ids/1"),
            # references the database refuses
            ({"org_id": org["team"]}, "/org_id"), ({"org_id": org["partner"]}, "/org_id"),
            ({"org_id": org["lB"]}, "/org_id"), ({"org_id": str(uuid.uuid4())}, "/org_id"),
            ({"unit_ids": [u1, units["l2a"]["id"]]}, "/unit_ids/1"),
            ({"unit_ids": [units["res1"]["id"], u1]}, "/unit_ids/0"),
            ({"unit_ids": [str(uuid.uuid4())]}, "/unit_ids/0"),
        ]
        for change, field in cases:
            r = post(d, AGREEMENTS, coord, changed(agreement_body(l1, "CONV-REFUS"), change))
            expect_problem(r, 422, "validation-failed", field=field)
            check(error_fields(r) == [field], "only %s should be named" % field, r)
        r = post(d, AGREEMENTS, coord, agreement_body(l1, "CONV-REFUS", unit_ids=[str(uuid.uuid4()), u1,
                                                                                 units["l2a"]["id"]]))
        expect_problem(r, 422, "validation-failed", fields=["/unit_ids/0", "/unit_ids/2"])
        check(len(error_fields(r)) == 2, "exactly the two foreign units are named", r)
        r = post(d, AGREEMENTS, coord, agreement_body(l1, "", signatory=None, unit_ids=["x"], extra=True))
        expect_problem(r, 422, "validation-failed", fields=["/reference", "/signatory", "/unit_ids/0", "/extra"])
        # a unit of another commission
        rb = post(d, UNITS, t["coordB"], unit_body(org["lB"], label="Logement B"))
        expect_status(rb, 201)
        state.refresh()
        r = post(d, AGREEMENTS, coord, agreement_body(l1, "CONV-REFUS", unit_ids=[rb.body["id"]]))
        expect_problem(r, 422, "validation-failed", field="/unit_ids/0")
        r = post(d, AGREEMENTS, t["coordB"], agreement_body(org["lB"], "CONV-B", unit_ids=[u1]))
        expect_problem(r, 422, "validation-failed", field="/unit_ids/0")
        r = post(d, AGREEMENTS, coord, agreement_body(org["team"], "CONV-REFUS"), key="agr-retry-after-422")
        expect_problem(r, 422, "validation-failed", field="/org_id")
        state.check("refused agreement creations")
        r = post(d, AGREEMENTS, coord, agreement_body(org["l3"], "CONV-CORRIGEE"), key="agr-retry-after-422")
        expect_status(r, 201)
        check("idempotent-replayed" not in r.headers, "a first creation is not a replay", r)
        agr["corrected"] = r.body
        state.refresh()

    with suite.case("agreements: a reference taken in the commission is 409 conflict at /reference"):
        r = post(d, AGREEMENTS, coord, agreement_body(org["l2"], "CONV-2026-001"))
        expect_problem(r, 409, "conflict", field="/reference")
        r = post(d, AGREEMENTS, t["coord2"], agreement_body(org["l1"], "CONV-2026-001",
                                                            unit_ids=[units["u3"]["id"]]), key="dup-ref")
        expect_problem(r, 409, "conflict", field="/reference")
        state.check("duplicate references")
        r = post(d, AGREEMENTS, t["coordB"], agreement_body(org["lB"], "CONV-2026-001"))
        check(r.status == 201, "another commission may use the same reference", r)
        # two coordinators at the same moment: one creates, the other is told the reference is taken
        barrier = threading.Barrier(2)
        results = [None, None]

        def racer(i, token):
            barrier.wait(10)
            results[i] = post(d, AGREEMENTS, token, agreement_body(org["res"], "CONV-COURSE"))

        threads = [threading.Thread(target=racer, args=(i, tk)) for i, tk in enumerate((coord, t["coord2"]))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        check(sorted(r.status for r in results) == [201, 409], "concurrent creations answered %s"
              % [r.status for r in results])
        expect_problem([r for r in results if r.status == 409][0], 409, "conflict", field="/reference")
        agr["race"] = [r for r in results if r.status == 201][0].body
        state.refresh()

    with suite.case("agreements: roles: landlord reads its own (404 otherwise); caregiver, curator, observer "
                    "403; only the coordinator writes"):
        a1 = "%s/%s" % (AGREEMENTS, agr["a1"]["id"])
        for role in ("caregiver", "curator", "observer"):
            expect_problem(d.call("GET", AGREEMENTS, token=t[role]), 403, "forbidden")
            expect_problem(d.call("GET", a1, token=t[role]), 403, "forbidden")
            expect_problem(post(d, AGREEMENTS, t[role], agreement_body(org["l1"], "X")), 403, "forbidden")
        items, _ = list_all(d, AGREEMENTS, t["l1"])
        check({x["id"] for x in items} == {agr["a1"]["id"], agr["a1b"]["id"]},
              "landlord 1 lists %s" % [x["reference"] for x in items])
        check(all("unit_ids" in x for x in items), "list items have unit_ids")
        r = d.call("GET", a1, token=t["l1"])
        check(r.status == 200 and r.body == agr["a1"], "landlord 1 reads its agreement", r)
        for other in ("a2", "res", "corrected"):
            expect_problem(d.call("GET", "%s/%s" % (AGREEMENTS, agr[other]["id"]), token=t["l1"]), 404, "not-found")
        items, _ = list_all(d, AGREEMENTS, t["l2"])
        check([x["id"] for x in items] == [agr["a2"]["id"]], "landlord 2 lists only its agreement")
        items, _ = list_all(d, AGREEMENTS, t["l2"], query="org_id=" + org["l1"])
        check(items == [], "landlord 2 filtering on landlord 1 sees nothing")
        for role in ("l1", "l2", "caregiver", "observer"):
            expect_problem(post(d, AGREEMENTS, t[role], agreement_body(org["l1"], "X")), 403, "forbidden")
            expect_problem(patch(d, a1, t[role], {"signatory": "moi"}, '"v1"'), 403, "forbidden")
            expect_problem(post(d, a1 + "/renewals", t[role], {"new_end_date": day(900), "signatory": "moi"}),
                           403, "forbidden")
        items, _ = list_all(d, AGREEMENTS, t["coordB"])
        check([x["reference"] for x in items] == ["CONV-2026-001"] and items[0]["id"] != agr["a1"]["id"],
              "commission B lists only its own")
        expect_problem(d.call("GET", a1, token=t["coordB"]), 404, "not-found")
        expect_problem(patch(d, a1, t["coordB"], {"signatory": "B"}, '"v1"'), 404, "not-found")
        expect_problem(post(d, a1 + "/renewals", t["coordB"], {"new_end_date": day(900), "signatory": "B"}),
                       404, "not-found")
        state.check("refused agreement writes by other roles")

    with suite.case("agreements: expiring_within lists exactly those ending within N days, expired included"):
        l3 = org["l3"]
        ends = {"d10": day(10), "d100": day(100), "d400": day(400), "expired": day(-5), "today": day(0)}
        made = {}
        for name, end in ends.items():
            r = post(d, AGREEMENTS, coord, agreement_body(l3, "EXP-" + name, start_date=day(-500), end_date=end))
            expect_status(r, 201)
            made[name] = r.body
        check_agreement(d.call("GET", "%s/%s" % (AGREEMENTS, made["expired"]["id"]), token=coord),
                        {"status": "expired", "days_to_end": -5})
        check_agreement(d.call("GET", "%s/%s" % (AGREEMENTS, made["today"]["id"]), token=coord),
                        {"status": "active", "days_to_end": 0})
        check_agreement(d.call("GET", "%s/%s" % (AGREEMENTS, made["d400"]["id"]), token=coord),
                        {"status": "active", "days_to_end": 400})
        cor = agr["corrected"]  # of l3 too, ending in 335 days
        for within, want in [("90d", ["expired", "today", "d10"]), ("10d", ["expired", "today", "d10"]),
                             ("9d", ["expired", "today"]), ("1d", ["expired", "today"]),
                             ("100d", ["expired", "today", "d10", "d100"]),
                             ("365d", ["expired", "today", "d10", "d100", "corrected"]),
                             ("3650d", ["expired", "today", "d10", "d100", "corrected", "d400"])]:
            items, _ = list_all(d, AGREEMENTS, coord, query="org_id=%s&expiring_within=%s" % (l3, within), limit=2)
            got = [x["id"] for x in items]
            expected = [(made[n] if n in made else cor)["id"] for n in want]
            check(got == expected, "expiring_within=%s gave %s, expected %s (in end_date order)"
                  % (within, [x["reference"] for x in items], want))
        items, _ = list_all(d, AGREEMENTS, coord, query="expiring_within=90d")
        check({x["id"] for x in made.values()} - {x["id"] for x in items} == {made["d100"]["id"], made["d400"]["id"]}
              and all(x["end_date"] <= day(90) for x in items), "expiring_within=90d without org_id")
        for bad in ("0d", "3651d", "90", "d", "90days", "-1d", "9.5d", "", "99999d", "90D"):
            expect_problem(d.call("GET", AGREEMENTS + "?expiring_within=" + bad, token=coord), 400, "invalid-query",
                           field="query:expiring_within")
        for query, field in [("org_id=x", "query:org_id"), ("foo=1", "query:foo"), ("limit=-1", "query:limit"),
                             ("cursor=WyJ4IiwieSJd", "query:cursor")]:
            expect_problem(d.call("GET", AGREEMENTS + "?" + query, token=coord), 400, "invalid-query", field=field)
        agr.update({"exp-" + k: v for k, v in made.items()})
        state.refresh()

    with suite.case("agreements: list keyset pages sorted by (end_date, id), unit_ids on every item"):
        everything, one = list_all(d, AGREEMENTS, coord)
        check(len(one) == 1 and len(everything) == len(agr), "%d agreements listed, %d created"
              % (len(everything), len(agr)))
        key = [(x["end_date"], x["id"]) for x in everything]
        check(key == sorted(key), "not sorted by (end_date, id)")
        items, pages = list_all(d, AGREEMENTS, coord, limit=3)
        check([x["id"] for x in items] == [x["id"] for x in everything], "pages of 3 differ from one page")
        check(all(p["next_cursor"] for p in pages[:-1]) and pages[-1]["next_cursor"] is None, "cursors")
        byid = {x["id"]: x for x in everything}
        check(sorted(byid[agr["a1"]["id"]]["unit_ids"]) == sorted([units["u1"]["id"], units["u2"]["id"]])
              and byid[agr["a1b"]["id"]]["unit_ids"] == [], "unit_ids in the list")
        for x in everything:
            check(set(x) >= AGREEMENT_MEMBERS - {"renewals"}, "a list item lacks members: %s" % sorted(x))

    with suite.case("agreements: renewal moves end_date, is listed, and an earlier date is 422"):
        a = agr["exp-expired"]
        path = "%s/%s" % (AGREEMENTS, a["id"])
        for change, field in [({"new_end_date": a["end_date"]}, "/new_end_date"),
                              ({"new_end_date": day(-6)}, "/new_end_date"), ({"new_end_date": "2027-13-01"},
                                                                             "/new_end_date"),
                              ({"new_end_date": ...}, "/new_end_date"), ({"signatory": ...}, "/signatory"),
                              ({"signatory": ""}, "/signatory"), ({"end_date": day(400)}, "/end_date")]:
            body = {k: v for k, v in dict({"new_end_date": day(360), "signatory": "Mme Adjointe"}, **change).items()
                    if v is not ...}
            expect_problem(post(d, path + "/renewals", coord, body, key="renew-refused"), 422, "validation-failed",
                           field=field)
        expect_problem(post(d, "%s/%s/renewals" % (AGREEMENTS, uuid.uuid4()), coord,
                            {"new_end_date": day(360), "signatory": "x"}, key="renew-refused"), 404, "not-found")
        expect_problem(post(d, AGREEMENTS + "/nope/renewals", coord, {"new_end_date": day(360), "signatory": "x"}),
                       400, "invalid-id", field="path:id")
        state.check("refused renewals")
        body = {"new_end_date": day(360), "signatory": "Mme Adjointe"}
        r = post(d, path + "/renewals", coord, body, key="renew-refused")
        expect_status(r, 201)
        check_agreement(r, {"end_date": day(360), "version": a["version"] + 1, "status": "active",
                            "days_to_end": 360, "start_date": a["start_date"]})
        check(r.headers.get("location") == path, "Location of a renewal is the agreement", r)
        rn = r.body["renewals"]
        check(len(rn) == 1 and rn[0]["previous_end_date"] == day(-5) and rn[0]["new_end_date"] == day(360)
              and rn[0]["signatory"] == "Mme Adjointe" and UUID_RE.match(rn[0]["id"])
              and TIMESTAMP_RE.match(rn[0]["renewed_at"]), "the renewal is listed", r)
        replay = post(d, path + "/renewals", coord, body, key="renew-refused")
        check(replay.status == 201 and replay.body == r.body and replay.headers.get("idempotent-replayed") == "true",
              "an idempotent retry replays the renewal", replay)
        expect_problem(post(d, path + "/renewals", coord, dict(body, signatory="autre"), key="renew-refused"), 409,
                       "idempotency-key-reused")
        r2 = post(d, path + "/renewals", coord, {"new_end_date": day(720), "signatory": "M. Maire"})
        expect_status(r2, 201)
        got = [(x["previous_end_date"], x["new_end_date"]) for x in r2.body["renewals"]]
        check(got == [(day(-5), day(360)), (day(360), day(720))], "renewals oldest first: %s" % got, r2)
        check(r2.body["version"] == a["version"] + 2 and r2.headers.get("etag") == '"v%d"' % (a["version"] + 2),
              "version", r2)
        expect_problem(post(d, path + "/renewals", coord, {"new_end_date": day(500), "signatory": "x"}), 422,
                       "validation-failed", field="/new_end_date")
        r = d.call("GET", path, token=coord)
        check(r.body == r2.body, "GET after the renewals", r)
        n = db.sql("SELECT count(*) FROM agreement_renewals WHERE agreement_id = '%s' AND token_id = '%s'"
                   % (a["id"], tok["coord"].id))
        check(n == "2", "%s renewals recorded with the token, expected 2" % n)
        items, _ = list_all(d, AGREEMENTS, coord, query="org_id=%s&expiring_within=90d" % org["l3"])
        check(a["id"] not in {x["id"] for x in items}, "a renewed agreement is no longer to renew")
        agr["exp-expired"] = r2.body
        state.refresh()

    with suite.case("agreements: PATCH needs If-Match; org_id, reference, dates fixed; unit_ids replaced"):
        a = agr["a1"]
        path = "%s/%s" % (AGREEMENTS, a["id"])
        expect_problem(patch(d, path, coord, {"signatory": "x"}, None), 428, "precondition-required",
                       field="header:If-Match")
        expect_problem(patch(d, path, coord, {"signatory": "x"}, '"v9"'), 412, "precondition-failed")
        expect_problem(patch(d, path, coord, {"signatory": "x"}, "v1"), 412, "precondition-failed",
                       field="header:If-Match")
        for change, field in [({"org_id": org["l2"]}, "/org_id"), ({"reference": "NEW"}, "/reference"),
                              ({"start_date": day(-10)}, "/start_date"), ({"end_date": day(900)}, "/end_date"),
                              ({"signatory": ""}, "/signatory"), ({"signatory": None}, "/signatory"),
                              ({"notes": "n" * 5001}, "/notes"), ({"unit_ids": "x"}, "/unit_ids"),
                              ({"unit_ids": [units["l2a"]["id"]]}, "/unit_ids/0"),
                              ({"unit_ids": [units["u1"]["id"], units["res1"]["id"]]}, "/unit_ids/1"),
                              ({"renewals": []}, "/renewals")]:
            expect_problem(patch(d, path, coord, change, '"v1"'), 422, "validation-failed", field=field)
        expect_problem(patch(d, "%s/%s" % (AGREEMENTS, uuid.uuid4()), coord, {"signatory": "x"}, '"v1"'), 404,
                       "not-found")
        state.check("refused agreement updates")
        run_scenario(d, [
            Step("replace-units", "PATCH", path, token="coord",
                 body={"unit_ids": [units["u3"]["id"], units["u1"]["id"]], "signatory": "Mme Présidente"},
                 headers={"If-Match": '"v1"'},
                 check=lambda r: (sorted(r.body["unit_ids"]) == sorted([units["u3"]["id"], units["u1"]["id"]])
                                  and r.body["signatory"] == "Mme Présidente" and r.body["version"] == 2
                                  and r.body["notes"] == a["notes"] and r.body["end_date"] == a["end_date"]
                                  and r.headers["etag"] == '"v2"')),
            Step("clear-notes", "PATCH", path, token="coord", body={"notes": None}, headers={"If-Match": '"v2"'},
                 check=lambda r: r.body["notes"] is None and len(r.body["unit_ids"]) == 2),
            Step("no-units", "PATCH", path, token="coord", body={"unit_ids": []}, headers={"If-Match": '"v3"'},
                 check=lambda r: r.body["unit_ids"] == [] and r.body["signatory"] == "Mme Présidente"),
            Step("stale", "PATCH", path, token="coord", body={"notes": "x"}, headers={"If-Match": '"v3"'},
                 expect=412, problem="precondition-failed"),
            Step("landlord-sees-it", "GET", path, token="l1",
                 check=lambda r: r.body["version"] == 4 and r.body["unit_ids"] == []),
        ], tokens=t)
        n = db.sql("SELECT count(*) FROM agreement_units WHERE agreement_id = '%s'" % a["id"])
        check(n == "0", "agreement_units still holds %s rows" % n)
        state.refresh()

    with suite.case("agreements: Idempotency-Key replays the first 201; another body is 409"):
        body = agreement_body(org["l2"], "CONV-IDEM", unit_ids=[units["l2a"]["id"]])
        r1 = post(d, AGREEMENTS, coord, body, key="agr-key")
        expect_status(r1, 201)
        r2 = post(d, AGREEMENTS, coord, body, key="agr-key")
        check(r2.status == 201 and r2.body == r1.body and r2.headers.get("idempotent-replayed") == "true"
              and r2.headers.get("etag") == r1.headers.get("etag")
              and r2.headers.get("location") == r1.headers.get("location"), "the replay differs", r2)
        expect_problem(post(d, AGREEMENTS, coord, dict(body, reference="CONV-IDEM-2"), key="agr-key"), 409,
                       "idempotency-key-reused")
        n = db.sql("SELECT count(*) FROM agreements WHERE reference LIKE 'CONV-IDEM%'")
        check(n == "1", "%s agreements for one key" % n)


if __name__ == "__main__":
    Suite("http-units-agreements").main(body)
