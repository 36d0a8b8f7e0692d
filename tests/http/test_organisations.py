#!/usr/bin/env python3
"""The conventions of the API on /v1/organisations: creation (201, Location, ETag), reads, keyset pagination and
filters, PATCH with If-Match (428 / 412 / 200), Idempotency-Key (replay, reuse, per token, concurrent), concurrent
updates, roles (403 for writes), and commissions that never see each other (404).

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (TIMESTAMP_RE, UUID_RE, Daemon, Database, Step, Suite, check, expect_problem,  # noqa: E402
                     expect_status, run_scenario)

ORGS = "/v1/organisations"
MEMBERS = {"id", "kind", "name", "town", "address", "email", "phone", "archived", "version", "created_at",
           "updated_at"}


def create(d, token, body, key=None):
    return d.call("POST", ORGS, token=token, body=body, headers={"Idempotency-Key": key} if key else None)


def list_all(d, token, query="", limit=200):
    """Every organisation TOKEN sees, following next_cursor; returns (items, pages)."""
    items, pages, cursor = [], [], None
    sep = "&" if query else ""
    for _ in range(100):
        path = "%s?%s%slimit=%d" % (ORGS, query, sep, limit) + ("&cursor=" + cursor if cursor else "")
        r = d.call("GET", path, token=token)
        expect_status(r, 200)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        pages.append(r.body)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items, pages
        check(isinstance(cursor, str) and cursor, "next_cursor is neither null nor a string", r)
    raise AssertionError("more than 100 pages")


def list_all_from(d, token, cursor, limit=200):
    """The pages that follow CURSOR; returns (items, pages)."""
    items, pages = [], []
    while cursor is not None and len(pages) < 100:
        r = d.call("GET", "%s?limit=%d&cursor=%s" % (ORGS, limit, cursor), token=token)
        expect_status(r, 200)
        pages.append(r.body)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
    return items, pages


def in_threads(*fns):
    """Runs FNS at the same moment (a barrier), one thread each; returns their results in order."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)
    errors = []

    def run(i, fn):
        try:
            barrier.wait(10)
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if errors:
        raise errors[0]
    return results


def check_org(r, expected):
    b = r.body
    check(isinstance(b, dict) and set(b) == MEMBERS, "members of an Organisation: %s" % sorted(MEMBERS), r)
    check(UUID_RE.match(b["id"]), "id is not a lower-case UUID", r)
    for k in ("created_at", "updated_at"):
        check(TIMESTAMP_RE.match(b[k]), "%s is not an RFC 3339 UTC timestamp" % k, r)
    for k, v in expected.items():
        check(b[k] == v, "%s is %r, expected %r" % (k, b[k], v), r)
    check(r.headers.get("etag") == '"v%d"' % b["version"], "ETag is not \"v<version>\"", r)


def body(suite):
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B")
        scope = {
            "caregiver": db.organisation_create(a, "care_team", "Équipe A"),
            "curator": db.organisation_create(a, "curator_service", "Curatelle A"),
            "landlord": db.organisation_create(a, "landlord", "Bailleur A"),
        }
        tok = {
            "coord": db.token_create(a, "coordinator", label="coordination A").token,
            "coord2": db.token_create(a, "coordinator", label="coordination A, poste 2").token,
            "observer": db.token_create(a, "observer", label="observateur A").token,
            "coordB": db.token_create(b, "coordinator", label="coordination B").token,
        }
        for role, org in scope.items():
            tok[role] = db.token_create(a, role, scope=org, label=role).token
        coord = tok["coord"]
        with Daemon(db, threads=4) as d:  # 4 workers: concurrent requests really run at the same time
            created = {}

            with suite.case("POST: 201 with Location, ETag \"v1\" and the organisation"):
                sent = {"kind": "landlord", "name": "Bailleur Nord", "town": "Lille", "address": "1 rue X\n59000",
                        "email": "contact@bailleur.example", "phone": "+33 3 20 00 00 00"}
                r = create(d, coord, sent)
                expect_status(r, 201)
                check(r.headers.get("content-type", "").startswith("application/json"), "Content-Type", r)
                check_org(r, dict(sent, archived=False, version=1))
                check(r.headers.get("etag") == '"v1"', "ETag", r)
                check(r.headers.get("location") == "%s/%s" % (ORGS, r.body["id"]), "Location", r)
                check(r.body["created_at"] == r.body["updated_at"], "created_at != updated_at on creation", r)
                created["nord"] = r.body
                r = create(d, coord, {"kind": "partner", "name": "Sans détails"})
                expect_status(r, 201)
                check_org(r, {"town": None, "address": None, "email": None, "phone": None, "archived": False})

            with suite.case("GET by id: 200 with ETag, the same representation"):
                org = created["nord"]
                r = d.call("GET", "%s/%s" % (ORGS, org["id"]), token=coord)
                expect_status(r, 200)
                check(r.body == org, "GET differs from the creation's answer", r)
                check(r.headers.get("etag") == '"v1"', "ETag", r)
                r = d.call("GET", "%s/%s" % (ORGS, org["id"].upper()), token=coord)
                check(r.status == 200 and r.body["id"] == org["id"], "an upper-case id is the same id, answered "
                      "in lower case", r)

            with suite.case("list: keyset pages of 2 over 5 organisations, sorted by name, no duplicates"):
                ids = []
                for name, kind in [("Charlie", "landlord"), ("Alpha", "residence"), ("Echo", "landlord"),
                                   ("Bravo", "partner"), ("Bravo", "landlord")]:
                    r = create(d, tok["coordB"], {"kind": kind, "name": name})
                    expect_status(r, 201)
                    ids.append((name, r.body["id"]))
                items, pages = list_all(d, tok["coordB"], limit=2)
                check([len(p["items"]) for p in pages] == [2, 2, 1], "pages of %s items, expected 2, 2, 1"
                      % [len(p["items"]) for p in pages])
                check(pages[-1]["next_cursor"] is None and all(p["next_cursor"] for p in pages[:-1]),
                      "next_cursor must be a string on pages 1-2 and null on page 3: %s"
                      % [p["next_cursor"] for p in pages])
                got = [(o["name"], o["id"]) for o in items]
                check(len(set(got)) == 5, "duplicates across pages: %s" % got)
                check(got == sorted(ids), "order %s, expected by (name, id) %s" % (got, sorted(ids)))
                everything, one = list_all(d, tok["coordB"], limit=200)
                check(len(one) == 1 and [o["id"] for o in everything] == [i for _, i in got],
                      "a single page of 200 differs from the pages of 2")
                r = d.call("GET", ORGS, token=tok["coordB"])  # default limit (50)
                check(r.status == 200 and len(r.body["items"]) == 5 and r.body["next_cursor"] is None,
                      "default page", r)
                # a full last page may announce a cursor, whose page must then be empty and final
                full, pages5 = list_all(d, tok["coordB"], limit=5)
                check(len(full) == 5 and pages5[-1]["next_cursor"] is None and
                      all(len(p["items"]) == 0 for p in pages5[1:]), "limit=5 over 5 items: %s" % pages5)

            with suite.case("list: kind filter, also across pages"):
                items, pages = list_all(d, tok["coordB"], query="kind=landlord", limit=1)
                names = [o["name"] for o in items]
                check(all(o["kind"] == "landlord" for o in items) and names == ["Bravo", "Charlie", "Echo"],
                      "kind=landlord gave %s" % [(o["name"], o["kind"]) for o in items])
                r = d.call("GET", ORGS + "?kind=care_team", token=tok["coordB"])
                check(r.status == 200 and r.body == {"items": [], "next_cursor": None}, "empty filter", r)
                r = d.call("GET", ORGS + "?kind=residence&limit=10", token=tok["coordB"])
                check(r.status == 200 and [o["name"] for o in r.body["items"]] == ["Alpha"], "kind=residence", r)

            with suite.case("list: an organisation created while a client pages appears if it sorts after"):
                r1 = d.call("GET", ORGS + "?limit=2", token=tok["coordB"])
                expect_status(r1, 200)
                expect_status(create(d, tok["coordB"], {"kind": "partner", "name": "Zulu"}), 201)
                expect_status(create(d, tok["coordB"], {"kind": "partner", "name": "Aaron"}), 201)  # before the page
                rest, _ = list_all_from(d, tok["coordB"], r1.body["next_cursor"], limit=2)
                names = [o["name"] for o in r1.body["items"] + rest]
                check(names == ["Alpha", "Bravo", "Bravo", "Charlie", "Echo", "Zulu"], "pages gave %s" % names)

            with suite.case("PATCH: 428 without If-Match, 412 when stale, 200 with the current ETag"):
                run_scenario(d, [
                    Step("create", "POST", ORGS, token="coord", expect=201, save={"id": "id", "created": "created_at"},
                         body={"kind": "residence", "name": "Résidence du Parc", "town": "Lille",
                               "email": "parc@example.org"}),
                    Step("no-if-match", "PATCH", ORGS + "/{id}", token="coord", body={"name": "Sans ETag"},
                         expect=428, problem="precondition-required", field="header:If-Match"),
                    Step("unchanged-after-428", "GET", ORGS + "/{id}", token="coord",
                         check=lambda r: r.body["name"] == "Résidence du Parc" and r.body["version"] == 1),
                    Step("future-etag", "PATCH", ORGS + "/{id}", token="coord", body={"name": "Futur"},
                         headers={"If-Match": '"v2"'}, expect=412, problem="precondition-failed"),
                    Step("update", "PATCH", ORGS + "/{id}", token="coord", body={"name": "Résidence des Tilleuls",
                         "town": None}, headers={"If-Match": '"v1"'}, save={"etag": "header:etag"},
                         check=lambda r: (r.body["version"] == 2 and r.headers["etag"] == '"v2"'
                                          and r.body["name"] == "Résidence des Tilleuls" and r.body["town"] is None
                                          and r.body["email"] == "parc@example.org" and r.body["kind"] == "residence"
                                          and r.body["updated_at"] >= r.body["created_at"])),
                    Step("stale-etag", "PATCH", ORGS + "/{id}", token="coord", body={"name": "Ancien"},
                         headers={"If-Match": '"v1"'}, expect=412, problem="precondition-failed"),
                    Step("unchanged-after-412", "GET", ORGS + "/{id}", token="coord",
                         check=lambda r: (r.body["name"] == "Résidence des Tilleuls" and r.body["version"] == 2
                                          and r.headers["etag"] == '"v2"')),
                    Step("archive", "PATCH", ORGS + "/{id}", token="coord", body={"archived": True, "phone": "03"},
                         headers={"If-Match": "{etag}"},
                         check=lambda r: (r.body["archived"] is True and r.body["version"] == 3
                                          and r.body["name"] == "Résidence des Tilleuls" and r.body["phone"] == "03")),
                    Step("clear-two", "PATCH", ORGS + "/{id}", token="coord", body={"phone": None, "email": None},
                         headers={"If-Match": '"v3"'},
                         check=lambda r: (r.body["phone"] is None and r.body["email"] is None
                                          and r.body["archived"] is True and r.body["version"] == 4)),
                    Step("kind-is-fixed", "PATCH", ORGS + "/{id}", token="coord", body={"kind": "landlord"},
                         headers={"If-Match": '"v4"'}, expect=422, problem="validation-failed", field="/kind"),
                    Step("after", "GET", ORGS + "/{id}", token="coord",
                         check=lambda r: (r.body["version"] == 4 and r.body["kind"] == "residence"
                                          and r.headers["etag"] == '"v4"')),
                    Step("archived-still-listed", "GET", ORGS + "?kind=residence", token="coord",
                         check=lambda r: any(o["name"] == "Résidence des Tilleuls" and o["archived"]
                                             for o in r.body["items"])),
                ], tokens=tok)

            with suite.case("Idempotency-Key: the same key and body replay the first answer, one row"):
                sent = {"kind": "partner", "name": "Partenaire idempotent"}
                r1 = create(d, coord, sent, key="key-1")
                expect_status(r1, 201)
                check("idempotent-replayed" not in r1.headers, "the first answer says it was replayed", r1)
                r2 = create(d, coord, sent, key="key-1")
                expect_status(r2, 201)
                check(r2.body == r1.body, "the replay's body differs from the first", r2)
                check(r2.headers.get("idempotent-replayed") == "true", "no Idempotent-Replayed: true", r2)
                for h in ("location", "etag"):
                    check(r2.headers.get(h) == r1.headers.get(h), "the replay's %s differs" % h, r2)
                check(r2.headers.get("x-request-id") != r1.headers.get("x-request-id"),
                      "the replay must have its own X-Request-Id", r2)
                r3 = create(d, coord, sent, key="key-1")
                check(r3.status == 201 and r3.body == r1.body, "a third try", r3)
                n = db.sql("SELECT count(*) FROM organisations WHERE name = 'Partenaire idempotent'")
                check(n == "1", "%s rows for one idempotent creation" % n)

            with suite.case("Idempotency-Key: a body equal as JSON (member order, whitespace) is a replay"):
                first = d.call("POST", ORGS, token=coord, raw_body=b'{"kind":"partner","name":"Ordre","town":"Lens"}',
                               headers={"Content-Type": "application/json", "Idempotency-Key": "order-1"})
                expect_status(first, 201)
                again = d.call("POST", ORGS, token=coord,
                               raw_body=b'{ "town" : "Lens",\n  "name": "Ordre", "kind":"partner" }',
                               headers={"Content-Type": "application/json", "Idempotency-Key": "order-1"})
                check(again.status == 201 and again.body == first.body
                      and again.headers.get("idempotent-replayed") == "true", "not replayed", again)
                check(db.sql("SELECT count(*) FROM organisations WHERE name = 'Ordre'") == "1", "two rows")

            with suite.case("Idempotency-Key: the same key with another body is 409 idempotency-key-reused"):
                r = create(d, coord, {"kind": "partner", "name": "Autre chose"}, key="key-1")
                expect_problem(r, 409, "idempotency-key-reused", field="header:Idempotency-Key")
                n = db.sql("SELECT count(*) FROM organisations WHERE name = 'Autre chose'")
                check(n == "0", "the refused request created a row")

            with suite.case("Idempotency-Key: the same key from another token is independent"):
                sent = {"kind": "partner", "name": "Partenaire idempotent"}
                first = create(d, coord, sent, key="key-1")
                r = create(d, tok["coord2"], sent, key="key-1")
                expect_status(r, 201)
                check(r.body["id"] != first.body["id"], "another token got the first token's replay", r)
                check("idempotent-replayed" not in r.headers, "another token's creation is not a replay", r)
                r = create(d, tok["coordB"], sent, key="key-1")
                check(r.status == 201 and r.body["id"] != first.body["id"], "another commission's token", r)
                n = db.sql("SELECT count(*) FROM organisations WHERE name = 'Partenaire idempotent'")
                check(n == "3", "%s rows, expected 3 (one per token)" % n)

            with suite.case("Idempotency-Key: two concurrent POSTs with the same key create one row"):
                for i in range(5):
                    sent = {"kind": "partner", "name": "Concurrent %d" % i}
                    key = "concurrent-%d" % i
                    r1, r2 = in_threads(lambda: create(d, coord, sent, key=key),
                                        lambda: create(d, coord, sent, key=key))
                    expect_status(r1, 201)
                    expect_status(r2, 201)
                    check(r1.body["id"] == r2.body["id"], "two ids for one key: %s %s" % (r1.body, r2.body))
                    replayed = [r.headers.get("idempotent-replayed") for r in (r1, r2)]
                    check(sorted(str(x) for x in replayed) == ["None", "true"],
                          "exactly one of the two must be a replay: %s" % replayed)
                    n = db.sql("SELECT count(*) FROM organisations WHERE name = 'Concurrent %d'" % i)
                    check(n == "1", "%s rows for one key (round %d)" % (n, i))

            with suite.case("PATCH {} is an update: 200, version + 1, new ETag"):
                r = create(d, coord, {"kind": "partner", "name": "Vide", "town": "Douai"})
                expect_status(r, 201)
                path = "%s/%s" % (ORGS, r.body["id"])
                u = d.call("PATCH", path, token=coord, body={}, headers={"If-Match": '"v1"'})
                expect_status(u, 200)
                check(u.body["version"] == 2 and u.headers.get("etag") == '"v2"' and u.body["town"] == "Douai"
                      and u.body["name"] == "Vide", "PATCH {}", u)

            with suite.case("a stale If-Match: 412 precondition-failed naming header:If-Match"):
                r = create(d, coord, {"kind": "partner", "name": "Périmé"})
                expect_status(r, 201)
                path = "%s/%s" % (ORGS, r.body["id"])
                expect_status(d.call("PATCH", path, token=coord, body={"town": "Arras"}, headers={"If-Match": '"v1"'}),
                              200)
                r = d.call("PATCH", path, token=coord, body={"town": "Béthune"}, headers={"If-Match": '"v1"'})
                # api/openapi.yaml, Updates: "Both problems name the field header:If-Match"
                expect_problem(r, 412, "precondition-failed", field="header:If-Match")

            with suite.case("two concurrent PATCHes with the same If-Match: one 200, one 412"):
                for i in range(5):
                    r = create(d, coord, {"kind": "partner", "name": "Disputé %d" % i})
                    expect_status(r, 201)
                    path = "%s/%s" % (ORGS, r.body["id"])
                    ra, rb = in_threads(
                        lambda: d.call("PATCH", path, token=coord, body={"town": "A"}, headers={"If-Match": '"v1"'}),
                        lambda: d.call("PATCH", path, token=tok["coord2"], body={"town": "B"},
                                       headers={"If-Match": '"v1"'}))
                    statuses = sorted([ra.status, rb.status])
                    check(statuses == [200, 412], "round %d: statuses %s\n  %s\n  %s" % (i, statuses, ra, rb))
                    loser = ra if ra.status == 412 else rb
                    expect_problem(loser, 412, "precondition-failed")
                    winner = ra if ra.status == 200 else rb
                    g = d.call("GET", path, token=coord)
                    check(g.body["version"] == 2 and g.body["town"] == winner.body["town"],
                          "round %d: the stored organisation is not the winner's" % i, g)

            with suite.case("roles: caregiver, curator, landlord, observer read (200) but may not write (403)"):
                target = created["nord"]
                path = "%s/%s" % (ORGS, target["id"])
                coord_list, _ = list_all(d, coord)
                for role in ("caregiver", "curator", "landlord", "observer"):
                    t = tok[role]
                    items, _ = list_all(d, t)
                    check([o["id"] for o in items] == [o["id"] for o in coord_list],
                          "%s does not see the commission's directory" % role)
                    r = d.call("GET", path, token=t)
                    check(r.status == 200 and r.body["id"] == target["id"], "%s GET by id" % role, r)
                    r = create(d, t, {"kind": "partner", "name": "Interdit %s" % role})
                    expect_problem(r, 403, "forbidden")
                    r = create(d, t, {"kind": "partner", "name": "Interdit %s" % role}, key="k-" + role)
                    expect_problem(r, 403, "forbidden")
                    r = d.call("PATCH", path, token=t, body={"name": "Interdit"}, headers={"If-Match": '"v1"'})
                    expect_problem(r, 403, "forbidden")
                    r = d.call("PATCH", "%s/%s" % (ORGS, scope.get(role, target["id"])), token=t,
                               body={"name": "Interdit"}, headers={"If-Match": '"v1"'})
                    expect_problem(r, 403, "forbidden")
                after = d.call("GET", path, token=coord)
                check(after.body == target, "a refused PATCH changed the organisation", after)
                n = db.sql("SELECT count(*) FROM organisations WHERE name LIKE 'Interdit%'")
                check(n == "0", "a refused POST created a row")
                check(db.sql("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'k-%'") == "0",
                      "a refused POST left an idempotency key")

            with suite.case("another commission's organisation is 404 for GET and PATCH, never listed"):
                r = create(d, tok["coordB"], {"kind": "landlord", "name": "Bailleur de B"})
                expect_status(r, 201)
                foreign = r.body
                path = "%s/%s" % (ORGS, foreign["id"])
                missing = d.call("GET", "%s/%s" % (ORGS, "00000000-0000-4000-8000-000000000000"), token=coord)
                for role in ("coord", "observer", "landlord", "caregiver"):
                    r = d.call("GET", path, token=tok[role])
                    expect_problem(r, 404, "not-found")
                    check(r.body["detail"] == missing.body["detail"], "the 404 tells a foreign id from a missing "
                          "one", r)
                    items, _ = list_all(d, tok[role])
                    check(foreign["id"] not in [o["id"] for o in items], "%s lists B's organisation" % role)
                    items, _ = list_all(d, tok[role], query="kind=landlord", limit=1)
                    check(foreign["id"] not in [o["id"] for o in items], "%s lists B's landlord" % role)
                for etag in ('"v1"', '"v2"'):
                    r = d.call("PATCH", path, token=coord, body={"name": "Pris par A"}, headers={"If-Match": etag})
                    expect_problem(r, 404, "not-found")
                r = d.call("GET", path, token=tok["coordB"])
                check(r.status == 200 and r.body == foreign, "B's organisation changed", r)
                # and the other way round
                r = d.call("GET", "%s/%s" % (ORGS, created["nord"]["id"]), token=tok["coordB"])
                expect_problem(r, 404, "not-found")
                items, _ = list_all(d, tok["coordB"])
                check(created["nord"]["id"] not in [o["id"] for o in items], "B lists A's organisation")

            with suite.case("a cursor replayed by another commission pages only its own organisations"):
                # a cursor carries only a position: replayed by another commission it pages that commission's own
                _, pages = list_all(d, tok["coordB"], limit=1)
                cursor = pages[0]["next_cursor"]
                r = d.call("GET", "%s?limit=200&cursor=%s" % (ORGS, cursor), token=coord)
                expect_status(r, 200)
                b_ids = {o["id"] for o in list_all(d, tok["coordB"])[0]}
                check(not any(o["id"] in b_ids for o in r.body["items"]), "A's page shows B's organisations", r)

            with suite.case("limit over 200 is clamped: the page holds at most 200 items"):
                # 205 organisations in a database of their own (the other cases compare this one's contents), then ask
                # for more than the largest page.
                with Database() as other_db:
                    other = other_db.token_create(other_db.commission_create("Pagination"), "coordinator").token
                    with Daemon(other_db) as other_d:
                        for i in range(205):
                            expect_status(other_d.call("POST", ORGS, token=other,
                                                       body={"kind": "partner", "name": "Clamp %03d" % i}), 201)
                        for limit in ("201", "1000", "99999999999999999999"):
                            r = other_d.call("GET", ORGS + "?kind=partner&limit=" + limit, token=other)
                            expect_status(r, 200)
                            check(len(r.body["items"]) == 200 and r.body["next_cursor"] is not None,
                                  "?limit=%s -> %d items" % (limit, len(r.body["items"])), r)

            d.stop()


if __name__ == "__main__":
    Suite("http-organisations").main(body)
