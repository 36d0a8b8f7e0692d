#!/usr/bin/env python3
"""Tokens: creation with commissionctl, /v1/me for each role, expiry and revocation seen within a second by two
daemons that had cached the token, and secrets that never reach a log, the database or `token list`.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import hashlib
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (TIMESTAMP_RE, TOKEN_RE, UUID_RE, Daemon, Database, Step, Suite, Token, check,  # noqa: E402
                     expect_problem, expect_status, poll, run_scenario)

POLL_EVERY = 0.05
# README: "a revocation reaches every running instance within a second". The token caches are also bounded by a
# 60 s lifetime, so a lost notification shows as a refusal tens of seconds late: polling up to POLL_AT_MOST and
# asking for REFUSED_WITHIN (a second, and some room for a loaded machine) tells the two apart without racing.
POLL_AT_MOST = 10.0
REFUSED_WITHIN = 3.0


def utc_today():
    """Today (UTC), asked again at every use: a run may cross midnight."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def utc_midnight(day):
    """The first instant of DAY (a date) in UTC, as the API writes it."""
    return "%sT00:00:00.000Z" % day.isoformat()


def warm(daemons, token, n=6):
    """Serves TOKEN N times on each daemon (fresh connections, so that every worker thread is likely to cache it)."""
    for d in daemons:
        for _ in range(n):
            expect_status(d.call("GET", "/v1/me", token=token), 200)


def refused_within(daemons, token, start):
    """Polls /v1/me on every daemon every 50 ms (POLL_AT_MOST seconds at most) until each answers 401; returns, per
    daemon, the seconds from START to its first 401 (None if it never came)."""
    first = [None] * len(daemons)
    while time.monotonic() - start < POLL_AT_MOST and None in first:
        for i, d in enumerate(daemons):
            if first[i] is None:
                r = d.call("GET", "/v1/me", token=token)
                if r.status == 401:
                    expect_problem(r, 401, "unauthorized")
                    first[i] = time.monotonic() - start
                else:
                    expect_status(r, 200)
        time.sleep(POLL_EVERY)
    return first


def check_refused(daemons, token, start, what):
    times = refused_within(daemons, token, start)
    check(None not in times, "%s: a daemon still accepted the token after %.1f s (first 401 per daemon: %s)"
          % (what, POLL_AT_MOST, times))
    check(max(times) <= REFUSED_WITHIN, "%s: refused only after %s s (limit %.1f s)" % (what, times, REFUSED_WITHIN))
    # and for good: every thread of every daemon refuses it now
    for d in daemons:
        for _ in range(8):
            expect_problem(d.call("GET", "/v1/me", token=token), 401, "unauthorized")
            expect_problem(d.call("GET", "/v1/organisations", token=token), 401, "unauthorized")
    return times


def body(suite):
    with Database() as db:
        c = db.commission_create("Commission jetons")
        c2 = db.commission_create("Autre commission")
        orgs = {
            "landlord": db.organisation_create(c, "landlord", "Bailleur social"),
            "care_team": db.organisation_create(c, "care_team", "Équipe de secteur"),
            "curator_service": db.organisation_create(c, "curator_service", "Service mandataire"),
            "partner": db.organisation_create(c, "partner", "Partenaire"),
        }
        foreign_landlord = db.organisation_create(c2, "landlord", "Bailleur d'ailleurs")
        tokens = {}
        with suite.case("commissionctl token create prints `token <id> (` then the token"):
            tokens["coordinator"] = db.token_create(c, "coordinator", label="coordination, poste 1")
            tokens["observer"] = db.token_create(c, "observer", label="observateur")
            tokens["landlord"] = db.token_create(c, "landlord", scope=orgs["landlord"], label="bailleur")
            tokens["caregiver"] = db.token_create(c, "caregiver", scope=orgs["care_team"], label="infirmière")
            tokens["curator"] = db.token_create(c, "curator", scope=orgs["curator_service"], label="curatelle")
            for role, t in tokens.items():
                check(TOKEN_RE.match(t.token) and UUID_RE.match(t.id), "bad token or id for %s: %r" % (role, t))
            check(len({t.token for t in tokens.values()}) == len(tokens), "two tokens are equal")
        all_tokens = list(tokens.values())

        d1 = Daemon(db)
        with d1, Daemon(db) as d2:
            daemons = [d1, d2]
            with suite.case("GET /v1/me: a coordinator"):
                coord = tokens["coordinator"]
                r = d1.call("GET", "/v1/me", token=coord.token)
                expect_status(r, 200)
                b = r.body
                check(b.get("token_id") == coord.id, "token_id", r)
                check(b.get("role") == "coordinator", "role", r)
                check(b.get("label") == "coordination, poste 1", "label", r)
                check(b.get("commission") == {"id": c, "name": "Commission jetons"}, "commission {id, name}", r)
                check("scope" in b and b["scope"] is None, "scope must be null", r)
                for k in ("expires_at", "created_at"):
                    check(isinstance(b.get(k), str) and TIMESTAMP_RE.match(b[k]), "%s is not an RFC 3339 UTC "
                          "timestamp" % k, r)
                expires = datetime.datetime.strptime(b["expires_at"][:19], "%Y-%m-%dT%H:%M:%S")
                days = (expires - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)).days
                check(360 <= days <= 366, "default expiry should be in one year, is in %d days" % days, r)
                check(r.headers.get("content-type", "").startswith("application/json"), "content type", r)

            with suite.case("GET /v1/me: scoped roles name their organisation, the observer has none"):
                for role, kind, name in [("landlord", "landlord", "Bailleur social"),
                                         ("caregiver", "care_team", "Équipe de secteur"),
                                         ("curator", "curator_service", "Service mandataire")]:
                    r = d2.call("GET", "/v1/me", token=tokens[role].token)
                    expect_status(r, 200)
                    check(r.body.get("role") == role, "role", r)
                    check(r.body.get("scope") == {"id": orgs[kind], "kind": kind, "name": name},
                          "scope should be {id, kind: %s, name}" % kind, r)
                    check(r.body.get("commission", {}).get("id") == c, "commission", r)
                r = d2.call("GET", "/v1/me", token=tokens["observer"].token)
                check(r.status == 200 and r.body.get("role") == "observer" and r.body.get("scope") is None,
                      "observer", r)

            with suite.case("GET /v1/me is cached with the token, and follows a renamed organisation within a "
                            "second or so"):
                tok = tokens["landlord"].token
                r = d2.call("GET", "/v1/me", token=tok)  # described, and cached with the token
                check(r.status == 200 and r.body["scope"]["name"] == "Bailleur social", "before", r)
                coord = tokens["coordinator"].token
                org = d2.call("GET", "/v1/organisations/" + orgs["landlord"], token=coord)
                r = d2.call("PATCH", "/v1/organisations/" + orgs["landlord"], token=coord,
                            body={"name": "Bailleur renommé"}, headers={"If-Match": org.headers["etag"]})
                expect_status(r, 200)
                renamed, took = poll(lambda: d2.call("GET", "/v1/me", token=tok).body["scope"]["name"]
                                     == "Bailleur renommé", POLL_AT_MOST)
                check(renamed, "GET /v1/me still names the old name after %.1f s" % took)
                check(took <= REFUSED_WITHIN, "GET /v1/me named the new name only after %.1f s" % took)
                r = d2.call("PATCH", "/v1/organisations/" + orgs["landlord"], token=coord,
                            body={"name": "Bailleur social"}, headers={"If-Match": r.headers["etag"]})
                expect_status(r, 200)

            with suite.case("token create --expires D: valid through the end of day D (UTC), not a day more or "
                            "less; the same for POST /v1/tokens expires_on"):
                for attempt in range(2):  # (once more if the day changed meanwhile: it must be today's end)
                    today = utc_today()
                    t = db.token_create(c, "observer", expires=today.isoformat(), label="jusqu'à ce soir")
                    later = db.token_create(c, "observer", expires=(today + datetime.timedelta(days=30)).isoformat(),
                                            label="trente jours")
                    all_tokens.extend((t, later))
                    if utc_today() == today:
                        break
                # expiring at the end of today: valid now, until the first instant of tomorrow (23:59:59 included)
                r = d1.call("GET", "/v1/me", token=t.token)
                expect_status(r, 200)
                tomorrow = today + datetime.timedelta(days=1)
                check(r.body["expires_at"] == utc_midnight(tomorrow), "--expires %s: expires_at %s, expected %s "
                      "(the end of that day)" % (today, r.body["expires_at"], utc_midnight(tomorrow)), r)
                r = d1.call("GET", "/v1/me", token=later.token)
                expect_status(r, 200)
                end = utc_midnight(today + datetime.timedelta(days=31))
                check(r.body["expires_at"] == end, "--expires in 30 days: expires_at %s, expected %s"
                      % (r.body["expires_at"], end), r)
                stored = db.sql("SELECT expires_at > '%s 23:59:59.999999+00' AND expires_at <= '%s 00:00:00+00' "
                                "FROM tokens WHERE id = '%s'" % (today, tomorrow, t.id))
                check(stored == "t", "the stored expiry of --expires %s is not the end of that day" % today)
                r = d1.call("POST", "/v1/tokens", token=tokens["coordinator"].token,
                            body={"role": "observer", "label": "API, jusqu'à ce soir",
                                  "expires_on": today.isoformat()})
                expect_status(r, 201)
                check(r.body["expires_at"] == utc_midnight(tomorrow) and r.body["status"] == "active",
                      "POST /v1/tokens expires_on %s: %s" % (today, r.body), r)
                api = Token(r.body["token"], r.body["id"])
                all_tokens.append(api)
                expect_status(d1.call("GET", "/v1/me", token=api.token), 200)

            with suite.case("last_used_at: null until the token is used, then the time it was accepted"):
                t = db.token_create(c, "observer", label="pas encore servi")
                all_tokens.append(t)
                coord = tokens["coordinator"].token

                def record():
                    return expect_status(d1.call("GET", "/v1/tokens/" + t.id, token=coord), 200).body

                check(record()["last_used_at"] is None, "a new token has last_used_at null")
                clock = "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                before = db.sql(clock)
                expect_status(d2.call("GET", "/v1/me", token=t.token), 200)
                # The use is written off the request path (so that reads work on a read-only database), by the
                # audit thread within about a second.
                used, _ = poll(lambda: record()["last_used_at"], 10.0, 0.1)
                after = db.sql(clock)
                check(used is not None and before <= used <= after, "last_used_at %r, expected between %s and %s"
                      % (used, before, after))

            with suite.case("a token whose expires_at passes is refused within a second or so by both daemons"):
                t = db.token_create(c, "coordinator", label="bientôt expiré")
                all_tokens.append(t)
                warm(daemons, t.token)
                start = time.monotonic()
                db.sql("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = '%s'" % t.id)
                times = check_refused(daemons, t.token, start, "expired token")
                print("     expired token refused after %s s" % ", ".join("%.3f" % x for x in times))

            with suite.case("a revoked token is refused within a second or so by two daemons that had cached "
                            "it"):
                t = db.token_create(c, "coordinator", label="à révoquer")
                all_tokens.append(t)
                other = tokens["coordinator"].token
                warm(daemons, t.token)
                warm(daemons, other, 2)
                p = db.token_revoke(t.id)
                start = time.monotonic()  # the revocation is committed: commissionctl has exited
                check(("revoked %s" % t.id) in p.stdout, "commissionctl token revoke said: %r" % p.stdout)
                times = check_refused(daemons, t.token, start, "revoked token")
                print("     revoked token refused after %s s" % ", ".join("%.3f" % x for x in times))
                for d in daemons:  # the other tokens are not affected
                    expect_status(d.call("GET", "/v1/me", token=other), 200)
                listed = db.ctl("token", "list", "--commission", c).stdout
                line = [ln for ln in listed.splitlines() if ln.startswith(t.id)]
                check(line and line[0].rstrip().endswith("revoked"), "token list does not say revoked: %r" % line)
                again = db.ctl("token", "revoke", t.id)  # revoking twice is harmless
                check(again.returncode == 0, "a second revocation failed")

            with suite.case("a deleted token is refused within a second or so by both daemons"):
                t = db.token_create(c, "observer", label="à supprimer")
                all_tokens.append(t)
                warm(daemons, t.token)
                start = time.monotonic()
                db.sql("DELETE FROM tokens WHERE id = '%s'" % t.id)
                check_refused(daemons, t.token, start, "deleted token")

            with suite.case("a token is only read from the Authorization header"):
                t = tokens["coordinator"].token
                expect_problem(d1.call("GET", "/v1/me?access_token=" + t), 401, "unauthorized")
                expect_problem(d1.call("GET", "/v1/me", headers={"Cookie": "token=" + t}), 401, "unauthorized")

            with suite.case("scenario: a landlord reads but may not write"):
                run_scenario(d1, [
                    Step("me", "GET", "/v1/me", token="landlord", save={"scope": "scope/id"}),
                    Step("list", "GET", "/v1/organisations", token="landlord",
                         check=lambda r: len(r.body["items"]) == 4),
                    Step("read-own", "GET", "/v1/organisations/{scope}", token="landlord",
                         check=lambda r: r.body["kind"] == "landlord"),
                    Step("create", "POST", "/v1/organisations", token="landlord", body={"kind": "partner",
                         "name": "non"}, expect=403, problem="forbidden"),
                    Step("update", "PATCH", "/v1/organisations/{scope}", token="landlord", body={"name": "non"},
                         headers={"If-Match": '"v1"'}, expect=403, problem="forbidden"),
                ], tokens={k: v.token for k, v in tokens.items()})

            with suite.case("the daemons exit 0 on SIGTERM"):
                d1.stop()
                d2.stop()

            with suite.case("no daemon log line holds a token, its selector+secret or its secret"):
                for d in daemons:
                    for i, line in enumerate(d.lines):
                        for t in all_tokens:
                            check(t.token not in line and t.secret not in line and t.token[3:] not in line,
                                  "log line %d holds token %s: %s" % (i, t.id, line))
                check(any(e.get("msg") == "request" for e in d1.logs), "the daemon logged no request at all")

        with suite.case("the database holds no token and no secret, only the selector and the BLAKE2b-256 hash"):
            rows = db.sql("SELECT t::text FROM tokens t") + db.sql("SELECT k::text FROM idempotency_keys k")
            for t in all_tokens:
                check(t.token not in rows and t.secret not in rows, "token %s is stored in clear" % t.id)
            for t in tokens.values():
                got = db.sql("SELECT selector || ' ' || encode(hash, 'hex') FROM tokens WHERE id = '%s'" % t.id)
                want = "%s %s" % (t.selector, hashlib.blake2b(t.token.encode(), digest_size=32).hexdigest())
                check(got == want, "selector/hash of %s: %r, expected %r" % (t.id, got, want))

        with suite.case("commissionctl token list prints ids, never a token or a secret"):
            out = db.ctl("token", "list").stdout
            for t in all_tokens:
                check(t.token not in out and t.secret not in out, "token list printed the secret of %s" % t.id)
            for t in tokens.values():
                check(t.id in out, "token list does not list %s" % t.id)
            only = db.ctl("token", "list", "--commission", c2).stdout
            check(not any(t.id in only for t in all_tokens), "token list --commission shows other commissions")

        with suite.case("commissionctl token create refuses a missing, needless or wrong scope"):
            before = db.sql("SELECT count(*) FROM tokens")
            bad = [
                (["--role", "landlord"], "a landlord without --scope"),
                (["--role", "caregiver"], "a caregiver without --scope"),
                (["--role", "curator"], "a curator without --scope"),
                (["--role", "landlord", "--scope", orgs["care_team"]], "a landlord scoped to a care team"),
                (["--role", "caregiver", "--scope", orgs["landlord"]], "a caregiver scoped to a landlord"),
                (["--role", "curator", "--scope", orgs["partner"]], "a curator scoped to a partner"),
                (["--role", "landlord", "--scope", foreign_landlord], "a landlord of another commission"),
                (["--role", "landlord", "--scope", "not-a-uuid"], "a malformed scope"),
                (["--role", "coordinator", "--scope", orgs["landlord"]], "a coordinator with a scope"),
                (["--role", "observer", "--scope", orgs["partner"]], "an observer with a scope"),
                (["--role", "admin"], "an unknown role"),
                (["--role", "coordinator", "--expires", (utc_today() - datetime.timedelta(days=1)).isoformat()],
                 "an expiry in the past"),
                (["--role", "coordinator", "--expires", "2031-02-30"], "an impossible date"),
                (["--role", "coordinator", "--expires", "tomorrow"], "a malformed date"),
            ]
            for args, what in bad:
                p = db.ctl("token", "create", "--commission", c, "--label", "refusé", *args, check=False)
                check(p.returncode != 0, "commissionctl accepted %s: %r" % (what, p.stdout))
                check("cd_" not in p.stdout and "cd_" not in p.stderr, "a refused create printed a token (%s)"
                      % what)
            p = db.ctl("token", "create", "--commission", c, "--role", "coordinator", check=False)
            check(p.returncode != 0, "commissionctl accepted a token without --label")
            check(db.sql("SELECT count(*) FROM tokens") == before, "a refused token create left a row")

        with suite.case("commissionctl token revoke of an unknown id fails"):
            p = db.ctl("token", "revoke", "00000000-0000-4000-8000-000000000000", check=False)
            check(p.returncode != 0, "revoking an unknown token succeeded")
            p = db.ctl("token", "revoke", "nope", check=False)
            check(p.returncode != 0, "revoking a malformed id succeeded")


if __name__ == "__main__":
    Suite("http-auth").main(body)
