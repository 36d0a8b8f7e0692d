#!/usr/bin/env python3
"""Documents opened from a browser (issue 12, items 8 and 9): `?format=` wherever Accept chooses a representation,
Accept's q-values honoured, and share links.

A closed session with named people, its minutes, the activity report and a person's export. `?format=` decides
the representation whatever Accept says; without it Accept decides by q-value; nothing acceptable is 406 naming
query:format or header:Accept. A share link opens one document, without a token, exactly as its issuer reads it
(a landlord's link to the minutes names no one), audited as the issuer via /s/{capability}; it stops at its expiry
(a link minted here with the server's key, as the README describes the format), at its revocation and at its
issuer token's revocation; an altered link is 404.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import base64
import datetime
import hashlib
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Suite, case_no_leak_no_5xx, check, expect_problem, expect_status,  # noqa: E402
                     poll)

SESSION_DAY = "2026-03-12"


class World:
    def __init__(self, d, db):
        self.d, self.db = d, db
        self.c = db.commission_create("Commission appartement d'Hellemmes")
        self.team = db.organisation_create(self.c, "care_team", "Équipe de secteur 59G21")
        self.landlord_org = db.organisation_create(self.c, "landlord", "Lille Métropole Habitat")
        coord = db.token_create(self.c, "coordinator", label="coordination")
        self.coord, self.coord_id = coord.token, coord.id
        self.care = db.token_create(self.c, "caregiver", scope=self.team, label="soignante").token
        landlord = db.token_create(self.c, "landlord", scope=self.landlord_org, label="bailleur")
        self.landlord, self.landlord_id = landlord.token, landlord.id
        self.observer = db.token_create(self.c, "observer", label="observateur").token

    def ok(self, status, method, path, body=None, token=None, headers=None):
        return expect_status(self.d.call(method, path, token=token or self.coord, body=body, headers=headers),
                             status)

    def share(self, path, fmt, token=None, **extra):
        body = {"path": path, "format": fmt}
        body.update(extra)
        return self.ok(201, "POST", "/v1/shares", body, token=token).body


def body(suite):
    with Database() as db:
        with Daemon(db, threads=2) as d:
            w = World(d, db)
            run_cases(suite, w)
            case_no_leak_no_5xx(suite)
            d.stop()


def ctype(r):
    return r.headers.get("content-type", "").split(";")[0]


def run_cases(suite, w):
    s = {}

    with suite.case("setup: a closed session of 12 March 2026 with two named decisions"):
        people = []
        for family, given in (("Martin", "Alice"), ("Bernard", "Bruno")):
            people.append(w.ok(201, "POST", "/v1/people", {
                "family_name": family, "given_names": given, "birth_date": "1980-02-03", "care_team_id": w.team,
                "protection": "none", "curator_org_id": None, "confirm_duplicate": True}).body["id"])
            w.ok(201, "POST", "/v1/applications", {"person_id": people[-1], "situation": "Situation", "submit": True})
        s["person"] = people[0]
        sess = w.ok(201, "POST", "/v1/sessions", {"session_date": SESSION_DAY, "town": "Hellemmes",
                                                   "chair_name": "M. Jean Lefebvre"}).body
        s["sid"] = sess["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s["sid"]).body["items"]
        w.ok(200, "POST", "/v1/sessions/%s/open" % s["sid"])
        w.ok(201, "POST", "/v1/sessions/%s/decisions" % s["sid"], {"agenda_item_id": items[0]["id"],
                                                                     "outcome": "refuse",
                                                                     "refusal_reason": "care_project_not_ready"})
        w.ok(200, "POST", "/v1/sessions/%s/close" % s["sid"], {"defer_undecided": True})
        s["minutes"] = "/v1/sessions/%s/minutes" % s["sid"]
        s["activity"] = "/v1/reports/activity?from=2026-01-01&to=2026-12-31"

    with suite.case("?format= decides the minutes' representation whatever Accept says"):
        for query, accept, want in (("?format=html", None, "text/html"), ("?format=html", "application/json",
                                                                            "text/html"),
                                    ("?format=json", "text/html", "application/json"), ("", None, "application/json")):
            r = w.ok(200, "GET", s["minutes"] + query, headers={"Accept": accept} if accept else None)
            check(ctype(r) == want, "%s with Accept %s is %s" % (query or "no format", accept, want), r)
        r = w.d.call("GET", s["minutes"] + "?format=pdf", token=w.coord, headers={"Accept": "text/html"})
        b = expect_problem(r, 406, "not-acceptable", field="query:format")
        check("json" in b["detail"] and "html" in b["detail"], "the 406 names the formats there are", r)

    with suite.case("Accept's q-values choose the minutes' representation; nothing acceptable is 406 header:Accept"):
        for accept, want in (("application/json;q=0.1, text/html", "text/html"),
                             ("text/html;q=0.5, application/json", "application/json"),
                             ("text/html, application/json;q=0.9", "text/html"),
                             ("text/*;q=0.9, application/*;q=0.8", "text/html"),
                             ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
                             ("TEXT/HTML", "text/html"), ("*/*", "application/json")):
            r = w.ok(200, "GET", s["minutes"], headers={"Accept": accept})
            check(ctype(r) == want, "Accept %r chooses %s" % (accept, want), r)
        for accept in ("text/html;q=0, application/json;q=0", "text/csv", "application/pdf"):
            expect_problem(w.d.call("GET", s["minutes"], token=w.coord, headers={"Accept": accept}), 406,
                           "not-acceptable", field="header:Accept")

    with suite.case("reports: ?format=csv and q-values; the person export: JSON only, 406 otherwise"):
        r = w.ok(200, "GET", s["activity"] + "&format=csv", headers={"Accept": "application/json"})
        check(ctype(r) == "text/csv" and r.text.startswith("section,metric,value\r\n"), "?format=csv is CSV", r)
        r = w.ok(200, "GET", s["activity"] + "&format=json", headers={"Accept": "text/csv"})
        check(ctype(r) == "application/json", "?format=json is JSON", r)
        r = w.ok(200, "GET", s["activity"], headers={"Accept": "application/json;q=0.2, text/csv;q=0.4"})
        check(ctype(r) == "text/csv", "the higher q wins", r)
        expect_problem(w.d.call("GET", s["activity"] + "&format=xml", token=w.coord), 406, "not-acceptable",
                       field="query:format")
        expect_problem(w.d.call("GET", "/v1/reports/occupancy?format=html", token=w.coord), 406, "not-acceptable",
                       field="query:format")
        export = "/v1/people/%s/export" % s["person"]
        check(ctype(w.ok(200, "GET", export + "?format=json", headers={"Accept": "text/html"})) == "application/json",
              "the export with ?format=json")
        expect_problem(w.d.call("GET", export, token=w.coord, headers={"Accept": "text/csv"}), 406, "not-acceptable",
                       field="header:Accept")
        expect_problem(w.d.call("GET", export + "?format=csv", token=w.coord), 406, "not-acceptable",
                       field="query:format")

    with suite.case("a share link opens the PV without a token, byte for byte as its issuer reads it"):
        sh = w.share(s["minutes"], "html")
        check(sh["url"].startswith("/s/") and len(sh["url"]) == 78 and sh["status"] == "active"
              and sh["token_id"] == w.coord_id and sh["path"] == s["minutes"], "the share: %s" % sh)
        expires = datetime.datetime.fromisoformat(sh["expires_at"].replace("Z", "+00:00"))
        created = datetime.datetime.fromisoformat(sh["created_at"].replace("Z", "+00:00"))
        check(abs((expires - created).total_seconds() - 7 * 86400) < 2, "7 days by default: %s" % sh)
        s["share"] = sh
        r = expect_status(w.d.call("GET", sh["url"]), 200)
        own = w.ok(200, "GET", s["minutes"], headers={"Accept": "text/html"})
        check(ctype(r) == "text/html" and r.raw == own.raw and "Martin Alice" in r.text,
              "the same page as the coordinator's", r)
        check(r.headers.get("cache-control") == "no-store" and r.headers.get("referrer-policy") == "no-referrer",
              "no-store and no-referrer", r)
        r = expect_status(w.d.call("GET", sh["url"], token=w.landlord, headers={"Accept": "application/json"}), 200)
        check(r.raw == own.raw, "neither a token nor Accept changes what the link opens", r)

    with suite.case("every opening is in the audit trail as the issuer, via /s/{capability}"):
        def openings():
            r = w.ok(200, "GET", "/v1/audit?object=%s&limit=200" % s["sid"])
            return [e for e in r.body["items"] if e["route"] == "/s/{capability}/v1/sessions/{id}/minutes"]
        got, _ = poll(lambda: len(openings()) >= 2 and openings(), 10)
        check(got and all(e["token_id"] == w.coord_id and e["role"] == "coordinator" and e["action"] == "read"
                          and e["status"] == 200 and e["method"] == "GET" for e in got),
              "two openings recorded as the coordinator's reads: %s" % got)

    with suite.case("a landlord's link to the PV names no one, as the landlord reads it"):
        sh = w.share(s["minutes"], "html", token=w.landlord)
        r = expect_status(w.d.call("GET", sh["url"]), 200)
        own = w.ok(200, "GET", s["minutes"], token=w.landlord, headers={"Accept": "text/html"})
        check(r.raw == own.raw and "Dossier n° 1" in r.text, "the landlord's view", r)
        for name in ("Martin", "Alice", "Bernard", "Bruno"):
            check(name not in r.text, "no person's name: %s" % name, r)
        sh = w.share(s["minutes"], "json", token=w.landlord)
        r = expect_status(w.d.call("GET", sh["url"]), 200)
        check(all(x["person"] is None for x in r.body["items"]), "JSON: no person", r)
        s["landlord_share"] = sh

    with suite.case("an observer shares the activity report as CSV (audited), not the minutes (403)"):
        expect_problem(w.d.call("POST", "/v1/shares", token=w.observer, body={"path": s["minutes"], "format": "html"}),
                       403, "forbidden")
        sh = w.share(s["activity"], "csv", token=w.observer)
        r = expect_status(w.d.call("GET", sh["url"]), 200)
        own = w.ok(200, "GET", s["activity"], token=w.observer, headers={"Accept": "text/csv"})
        check(ctype(r) == "text/csv" and r.raw == own.raw, "the observer's CSV", r)

        def opened():
            items = w.ok(200, "GET", "/v1/audit?limit=200").body["items"]
            return [e for e in items if e["route"] == "/s/{capability}/v1/reports/activity"]
        got, _ = poll(opened, 10)
        check(got and got[0]["role"] == "observer", "a report's opening is recorded (reports are not, otherwise)")

    with suite.case("refused shares: not a shareable document, a format it has not, a foreign query, no session"):
        for body, field in (({"path": "/v1/people/%s" % s["person"], "format": "json"}, "/path"),
                            ({"path": s["minutes"], "format": "csv"}, "/format"),
                            ({"path": s["minutes"] + "?format=json", "format": "json"}, "/path"),
                            ({"path": "/v1/reports/activity?from=2026-01-01&to=2026-12-31&x=1", "format": "csv"},
                             "/path"),
                            ({"path": "/v1/reports/activity?from=<script>", "format": "csv"}, "/path"),
                            ({"path": s["minutes"], "format": "html", "expires_in": 31 * 86400}, "/expires_in"),
                            ({"path": s["minutes"], "format": "html", "expires_in": 10}, "/expires_in")):
            expect_problem(w.d.call("POST", "/v1/shares", token=w.coord, body=body), 422, "validation-failed",
                           field=field)
        expect_problem(w.d.call("POST", "/v1/shares", token=w.coord,
                                body={"path": "/v1/sessions/%s/minutes" % uuid.uuid4(), "format": "html"}), 404,
                       "not-found")

    with suite.case("an altered or made-up link is 404; a query on a link is 400"):
        url = s["share"]["url"]
        cap = url[3:]
        flipped = cap[:40] + ("A" if cap[40] != "A" else "B") + cap[41:]
        for bad in ("/s/" + flipped, "/s/" + cap[:-1], "/s/" + cap + "A", "/s/x", "/s/" + "A" * 75):
            r = w.d.call("GET", bad)
            expect_problem(r, 404, "not-found")
            check(r.headers.get("referrer-policy") == "no-referrer", "no-referrer on a refused link too", r)
        expect_problem(w.d.call("GET", url + "?format=json"), 400, "invalid-query")
        # The row cannot be turned to another document: the MAC covers its path.
        w.db.sql("UPDATE shares SET path = '/v1/reports/occupancy' WHERE id = '%s'" % s["share"]["id"])
        expect_problem(w.d.call("GET", url), 404, "not-found")
        w.db.sql("UPDATE shares SET path = '%s' WHERE id = '%s'" % (s["minutes"], s["share"]["id"]))
        expect_status(w.d.call("GET", url), 200)

    with suite.case("an expired link is 410 share-gone (minted with the server's key, as the README says)"):
        sh = w.share(s["minutes"], "html", expires_in=60)
        w.db.sql("UPDATE shares SET created_at = now() - interval '2 hours', expires_at = "
                 "date_trunc('second', now() - interval '1 hour') WHERE id = '%s'" % sh["id"])
        key = bytes.fromhex(w.db.sql("SELECT encode(key, 'hex') FROM share_keys WHERE id = 1"))
        expires = int(w.db.sql("SELECT extract(epoch FROM expires_at)::bigint FROM shares WHERE id = '%s'" % sh["id"]))
        head = uuid.UUID(sh["id"]).bytes + expires.to_bytes(8, "big")
        mac = hashlib.blake2b(head + b"\0".join(x.encode() for x in (w.c, w.coord_id, s["minutes"], "html")) + b"\0",
                              key=key, digest_size=32).digest()
        minted = "/s/" + base64.urlsafe_b64encode(head + mac).decode().rstrip("=")
        r = w.d.call("GET", minted)
        expect_problem(r, 410, "share-gone")
        check("expired" in r.body["detail"], "the detail says it expired", r)
        listed = w.ok(200, "GET", "/v1/shares?limit=200").body["items"]
        check([x["status"] for x in listed if x["id"] == sh["id"]] == ["expired"], "listed as expired")

    with suite.case("a revoked link is 410; only its issuer (or the coordinator) revokes it"):
        sh = s["landlord_share"]
        expect_problem(w.d.call("DELETE", "/v1/shares/%s" % s["share"]["id"], token=w.landlord), 404, "not-found")
        r = w.ok(200, "DELETE", "/v1/shares/%s" % sh["id"], token=w.landlord)
        check(r.body["status"] == "revoked" and r.body["revoked_at"], "revoked: %s" % r.body)
        r = w.d.call("GET", sh["url"])
        expect_problem(r, 410, "share-gone")
        check("revoked" in r.body["detail"], "the detail says it was revoked", r)
        mine = w.ok(200, "GET", "/v1/shares?limit=200", token=w.landlord).body["items"]
        check({x["token_id"] for x in mine} == {w.landlord_id} and len(mine) == 2,
              "the landlord lists its own two shares only: %s" % mine)

        def refused():
            items = w.ok(200, "GET", "/v1/audit?token=%s&limit=200" % w.landlord_id).body["items"]
            return [e for e in items if e["route"].startswith("/s/{capability}") and e["status"] == 410]
        got, _ = poll(refused, 10)
        check(got, "the refused opening of an authentic link is recorded as its issuer's")

    with suite.case("a link stops once its issuer's token is revoked"):
        r = w.ok(201, "POST", "/v1/tokens", {"role": "caregiver", "scope_org_id": w.team, "label": "remplaçante"})
        tok, tok_id = r.body["token"], r.body["id"]
        sh = w.share(s["minutes"], "json", token=tok)
        expect_status(w.d.call("GET", sh["url"]), 200)
        w.ok(200, "POST", "/v1/tokens/%s/revoke" % tok_id)
        r = w.d.call("GET", sh["url"])
        expect_problem(r, 410, "share-gone")
        check("token" in r.body["detail"], "the detail names the token", r)

    with suite.case("an Idempotency-Key replay answers the share without its link"):
        key = {"Idempotency-Key": "share-%s" % uuid.uuid4()}
        first = w.ok(201, "POST", "/v1/shares", {"path": s["minutes"], "format": "html"}, headers=key)
        again = w.ok(201, "POST", "/v1/shares", {"path": s["minutes"], "format": "html"}, headers=key)
        check("url" in first.body and "url" not in again.body and again.body["id"] == first.body["id"],
              "the link is shown once", again)


if __name__ == "__main__":
    Suite("http-shares").main(body)
