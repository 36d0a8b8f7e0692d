#!/usr/bin/env python3
"""The web front over HTTP (the browser tests are tests/web): its files with their security headers, ETags and
types, and no way out of the embedded set; signing in with a token into an HttpOnly SameSite=Strict cookie whose id
is stored hashed; the cookie accepted only with the session's X-CSRF-Token (and from the same origin for writes);
sessions ended by signing out, idleness, the token's revocation; requests through the front audited as the token.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import hashlib
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_problem, expect_status, poll  # noqa: E402

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
COOKIE = "commissiond_session"


def sign_in(d, token, headers=None):
    """POST /v1/web/session with TOKEN; returns (response, cookie value, csrf)."""
    r = d.call("POST", "/v1/web/session", body={"token": str(token)}, headers=headers)
    expect_status(r, 201)
    m = re.match(r"%s=([A-Za-z0-9_-]{43});" % COOKIE, r.headers.get("set-cookie", ""))
    check(m is not None, "no session cookie in %r" % r.headers.get("set-cookie"), r)
    return r, m.group(1), r.json["csrf_token"]


def with_cookie(cookie, csrf=None, **more):
    h = {"Cookie": "%s=%s" % (COOKIE, cookie)}
    if csrf is not None:
        h["X-CSRF-Token"] = csrf
    h.update(more)
    return h


def body(suite):
    with Database() as db:
        c = db.commission_create("Commission web")
        coord = db.token_create(c, "coordinator", label="coordinatrice")
        team = db.organisation_create(c, "care_team", "Équipe 1")
        with Daemon(db) as d:
            with suite.case("the page and its files carry the front's security headers, types and ETags"):
                for path, ctype in (("/", "text/html; charset=utf-8"), ("/assets/app.js", "text/javascript"),
                                    ("/assets/app.css", "text/css")):
                    r = d.call("GET", path)
                    expect_status(r, 200)
                    check(r.headers.get("content-type", "").startswith(ctype), "%s: type %r" %
                          (path, r.headers.get("content-type")))
                    check(r.headers.get("content-security-policy") == CSP, "%s: CSP %r" %
                          (path, r.headers.get("content-security-policy")))
                    check(r.headers.get("x-content-type-options") == "nosniff", "%s: no nosniff" % path)
                    check(r.headers.get("referrer-policy") == "no-referrer", "%s: referrer policy" % path)
                    etag = r.headers.get("etag", "")
                    check(re.fullmatch(r'"[0-9a-f]{32}"', etag) is not None, "%s: ETag %r" % (path, etag))
                    r2 = d.call("GET", path, headers={"If-None-Match": etag})
                    expect_status(r2, 304)
                    check(r2.raw == b"" and r2.headers.get("etag") == etag, "%s: a 304 with a body or no ETag" % path)
                    r3 = d.call("GET", path, headers={"If-None-Match": '"0000"'})
                    expect_status(r3, 200)
                page = d.call("GET", "/").text
                check('lang="fr"' in page and "<script" in page and "<style" not in page and " style=" not in page
                      and "onclick" not in page, "the page has inline style or handlers, or no lang")

            with suite.case("no path leaves the embedded files"):
                for path in ("/assets/../meson.build", "/assets/%2e%2e/meson.build", "/assets/..%2fmeson.build",
                             "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/assets/embed.py", "/assets/",
                             "/assets/app.js/", "/assets/nothing.js", "/index.html"):
                    r = d.call("GET", path)
                    check(r.status in (400, 404), "%s answered %d" % (path, r.status), r)
                    check("import" not in r.text and "root:" not in r.text, "%s served a file" % path)

            with suite.case("signing in sets an HttpOnly SameSite=Strict cookie whose id is stored hashed"):
                r, cookie, csrf = sign_in(d, coord)
                sc = r.headers["set-cookie"]
                check("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc, "cookie flags: %s" % sc)
                check("Secure" not in sc, "Secure over plain HTTP without a proxy's word: %s" % sc)
                check(r.json["role"] == "coordinator" and len(csrf) == 43, "the answer: %r" % r.json)
                check(str(coord) not in r.text and cookie not in r.text, "the answer holds the token or the cookie")
                stored = db.sql("SELECT encode(hash, 'hex') FROM web_sessions")
                check(stored == hashlib.blake2b(__import__("base64").urlsafe_b64decode(cookie + "="),
                                                digest_size=32).hexdigest(), "the stored hash: %r" % stored)
                check(db.sql("SELECT count(*) FROM web_sessions WHERE encode(hash, 'escape') LIKE '%%%s%%'"
                             % cookie[:10]) == "0", "the id itself is stored")
                _, _, _ = sign_in(d, coord, headers={"X-Forwarded-Proto": "https"})
                r = d.call("POST", "/v1/web/session", body={"token": str(coord)},
                           headers={"X-Forwarded-Proto": "https"})
                check("; Secure" in r.headers.get("set-cookie", ""), "behind a TLS proxy: %r" %
                      r.headers.get("set-cookie"))

            with suite.case("a wrong token, a cross-site sign-in and a malformed body open no session"):
                before = db.sql("SELECT count(*) FROM web_sessions")
                r = d.call("POST", "/v1/web/session", body={"token": "cd_" + "A" * 59})
                expect_problem(r, 401, "unauthorized")
                check("set-cookie" not in r.headers, "a cookie for a refused sign-in")
                r = d.call("POST", "/v1/web/session", body={"nope": 1})
                expect_problem(r, 422, "validation-failed", field="/token")
                r = d.call("POST", "/v1/web/session", body={"token": str(coord)},
                           headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
                expect_problem(r, 403, "forbidden")
                check(db.sql("SELECT count(*) FROM web_sessions") == before, "a refused sign-in left a session")

            with suite.case("the cookie authenticates the front's calls, which carry the CSRF value"):
                _, cookie, csrf = sign_in(d, coord)
                r = d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf))
                expect_status(r, 200)
                check(r.json["role"] == "coordinator", "/v1/me through the cookie: %r" % r.json)
                r = d.call("GET", "/v1/web/session", headers=with_cookie(cookie))
                expect_status(r, 200)
                check(r.json["csrf_token"] == csrf, "GET /v1/web/session gives another CSRF value")
                # without the header, even a read is not the front's: refused
                r = d.call("GET", "/v1/me", headers=with_cookie(cookie))
                expect_problem(r, 403, "forbidden", field="header:X-CSRF-Token")
                r = d.call("GET", "/v1/me", headers=with_cookie(cookie, "x" * 43))
                expect_problem(r, 403, "forbidden", field="header:X-CSRF-Token")
                # a forged cross-site write: no CSRF header; or the header but another origin
                new_org = {"kind": "partner", "name": "Forgé"}
                n = db.sql("SELECT count(*) FROM organisations")
                r = d.call("POST", "/v1/organisations", body=new_org,
                           headers=with_cookie(cookie, Origin="https://evil.example"))
                expect_problem(r, 403, "forbidden")
                r = d.call("POST", "/v1/organisations", body=new_org,
                           headers=with_cookie(cookie, csrf, Origin="https://evil.example"))
                expect_problem(r, 403, "forbidden", field="header:Origin")
                r = d.call("POST", "/v1/organisations", body=new_org,
                           headers=with_cookie(cookie, csrf, **{"Sec-Fetch-Site": "same-site"}))
                expect_problem(r, 403, "forbidden", field="header:Origin")
                check(db.sql("SELECT count(*) FROM organisations") == n, "a forged write was made")
                r = d.call("POST", "/v1/organisations", body={"kind": "partner", "name": "Du front"},
                           headers=with_cookie(cookie, csrf, Origin="http://127.0.0.1:%d" % d.port))
                expect_status(r, 201)
                # a bearer token still works alone, and wins over a cookie
                expect_status(d.call("GET", "/v1/me", token=coord.token), 200)
                r = d.call("GET", "/v1/web/session", token=coord.token, headers=with_cookie(cookie))
                expect_problem(r, 404, "not-found")

            with suite.case("a request through the front is audited as its token"):
                _, cookie, csrf = sign_in(d, coord)
                expect_status(d.call("GET", "/v1/people?limit=5", headers=with_cookie(cookie, csrf)), 200)
                r = d.call("POST", "/v1/people", headers=with_cookie(cookie, csrf), body={
                    "family_name": "Audité", "given_names": "Paul", "birth_date": "1980-01-02",
                    "care_team_id": team})
                expect_status(r, 201)
                for route in ("/v1/people", "/v1/web/session"):
                    poll(lambda: db.sql("SELECT count(*) FROM audit_log WHERE route = '%s' AND method = 'POST' AND "
                                        "token_id = '%s'" % (route, coord.id)) != "0", 10)
                    check(db.sql("SELECT count(*) FROM audit_log WHERE route = '%s' AND method = 'POST' AND "
                                 "token_id = '%s'" % (route, coord.id)) != "0", "%s not audited as the token" % route)
                got = poll(lambda: db.sql("SELECT count(*) FROM audit_log WHERE route = '/v1/people' AND "
                                          "method = 'GET' AND token_id = '%s'" % coord.id) != "0", 10)
                check(got, "the read through the front was not audited as the token")

            with suite.case("signing out ends the session at once"):
                _, cookie, csrf = sign_in(d, coord)
                r = d.call("DELETE", "/v1/web/session", headers=with_cookie(cookie))
                expect_problem(r, 403, "forbidden", field="header:X-CSRF-Token")
                r = d.call("DELETE", "/v1/web/session", headers=with_cookie(cookie, csrf))
                expect_status(r, 200)
                check("Max-Age=0" in r.headers.get("set-cookie", ""), "sign-out does not clear the cookie")
                r = d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf))
                expect_problem(r, 401, "unauthorized")
                check("Max-Age=0" in r.headers.get("set-cookie", ""), "a 401 for an ended session keeps the cookie")

            with suite.case("revoking the token ends its web sessions at once"):
                obs = db.token_create(c, "observer", label="observatrice")
                _, cookie, csrf = sign_in(d, obs)
                expect_status(d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf)), 200)
                db.token_revoke(obs.id)
                expect_problem(d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf)), 401, "unauthorized")
                expect_problem(d.call("POST", "/v1/web/session", body={"token": str(obs)}), 401, "unauthorized")

            with suite.case("a sign-in link opens one session, once, within its time, while its token is valid"):
                obs = db.token_create(c, "observer", label="lien")
                r = d.call("POST", "/v1/tokens/%s/sign-in-links" % obs.id, token=coord.token)
                expect_status(r, 201)
                link = r.json["link"]
                check(r.json["path"] == "/#/connexion/" + link and len(link) == 43, "the link: %r" % r.json)
                check(db.sql("SELECT count(*) FROM web_sign_in_links WHERE token_id = '%s' AND hash = "
                             "decode('%s', 'hex')" % (obs.id, hashlib.blake2b(
                                 __import__("base64").urlsafe_b64decode(link + "="), digest_size=32).hexdigest()))
                      == "1", "the link's hash is not what is stored")
                r = d.call("POST", "/v1/web/session", body={"link": link})
                expect_status(r, 201)
                check(r.json["role"] == "observer", "the link's session is not the token's: %r" % r.json)
                expect_problem(d.call("POST", "/v1/web/session", body={"link": link}), 401, "unauthorized")
                # expired, and revoked: no session
                late = d.call("POST", "/v1/tokens/%s/sign-in-links" % obs.id, token=coord.token).json["link"]
                db.sql("UPDATE web_sign_in_links SET created_at = created_at - interval '1 hour', "
                       "expires_at = created_at - interval '45 minutes' WHERE used_at IS NULL")
                expect_problem(d.call("POST", "/v1/web/session", body={"link": late}), 401, "unauthorized")
                fresh = d.call("POST", "/v1/tokens/%s/sign-in-links" % obs.id, token=coord.token).json["link"]
                db.token_revoke(obs.id)
                expect_problem(d.call("POST", "/v1/web/session", body={"link": fresh}), 401, "unauthorized")
                expect_problem(d.call("POST", "/v1/tokens/%s/sign-in-links" % obs.id, token=coord.token), 404,
                               "not-found")
                r = d.call("POST", "/v1/web/session", body={"link": "A" * 43, "token": coord.token})
                expect_problem(r, 422, "validation-failed", field="/link")
                expect_problem(d.call("POST", "/v1/web/session", body={"link": "A" * 43}), 401, "unauthorized")

        with Daemon(db, web_idle_timeout=2) as d:
            with suite.case("an idle session ends after --web-idle-timeout; use keeps it alive"):
                _, cookie, csrf = sign_in(d, coord)
                for _ in range(3):
                    time.sleep(1)
                    expect_status(d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf)), 200)
                time.sleep(3)
                r = d.call("GET", "/v1/me", headers=with_cookie(cookie, csrf))
                expect_problem(r, 401, "unauthorized")
                check(db.sql("SELECT count(*) FROM web_sessions WHERE last_seen_at > now() - interval '2 s'") == "0",
                      "the refused use moved last_seen_at")


if __name__ == "__main__":
    Suite("http-web").main(body)
