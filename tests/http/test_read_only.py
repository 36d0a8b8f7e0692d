#!/usr/bin/env python3
"""A read-only database (default_transaction_read_only, as on a hot standby): authenticated reads are served, writes
answer 503 read-only (problem+json, Retry-After) and change nothing, /readyz says the database is read-only; once
writable again everything works and the tokens' last_used_at, written off the request path, catches up.

Only this test's own database is made read-only. Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, admin_sql, check, expect_problem, expect_status, poll  # noqa: E402

ORGS = "/v1/organisations"


def reconnect_sessions(db):
    """Ends the daemon's sessions on DB: its settings (default_transaction_read_only) apply to new sessions only."""
    admin_sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '%s'" % db.name)


def read_only(db, on):
    if on:
        admin_sql('ALTER DATABASE "%s" SET default_transaction_read_only = on' % db.name)
    else:
        admin_sql('ALTER DATABASE "%s" RESET default_transaction_read_only' % db.name)
    reconnect_sessions(db)


def last_used(db, token):
    return db.sql("SELECT coalesce(last_used_at::text, '') FROM tokens WHERE id = '%s'" % token.id)


def body(suite):
    with Database() as db:
        commission = db.commission_create("Commission en lecture seule")
        coord = db.token_create(commission, "coordinator", label="coordination")
        fresh = db.token_create(commission, "coordinator", label="jamais servi")
        team = db.organisation_create(commission, "care_team", "Équipe de secteur")
        with Daemon(db) as d:
            r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Avant"})
            expect_status(r, 201)
            org, etag = r.body["id"], r.headers["etag"]
            r = d.call("POST", "/v1/people", token=coord.token,
                       body={"family_name": "Durand", "given_names": "Léa", "birth_date": "1975-04-02",
                             "care_team_id": team})
            expect_status(r, 201)
            person = r.body["id"]

            with suite.case("last_used_at is written off the request path, within a few seconds of a use"):
                used, _ = poll(lambda: last_used(db, coord), 5)
                check(used, "the coordinator's token has no last_used_at 5 s after its use")
                before = last_used(db, fresh)
                check(before == "", "an unused token has a last_used_at: %r" % before)

            read_only(db, True)
            try:
                with suite.case("read-only: reads are served, with a token never used before"):
                    expect_status(d.call("GET", "/v1/me", token=fresh.token), 200)
                    expect_status(d.call("GET", ORGS, token=fresh.token), 200)
                    r = d.call("GET", "%s/%s" % (ORGS, org), token=coord.token)
                    expect_status(r, 200)
                    expect_status(d.call("GET", "/v1/people/%s" % person, token=fresh.token), 200)

                with suite.case("read-only: writes answer 503 read-only with Retry-After, and change nothing"):
                    r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Pendant"})
                    expect_problem(r, 503, "read-only")
                    check("retry-after" in r.headers, "no Retry-After", r)
                    r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Pendant"},
                               headers={"Idempotency-Key": "k-%s" % uuid.uuid4()})
                    expect_problem(r, 503, "read-only")
                    r = d.call("PATCH", "%s/%s" % (ORGS, org), token=coord.token, body={"name": "Modifiée"},
                               headers={"If-Match": etag})
                    expect_problem(r, 503, "read-only")
                    check(db.sql("SELECT string_agg(name, ',' ORDER BY name) FROM organisations") == "Avant,Équipe de secteur",
                          "a refused write changed the organisations")

                with suite.case("read-only: /readyz answers 503 read-only, saying so; /healthz stays 200"):
                    r = d.call("GET", "/readyz")
                    expect_problem(r, 503, "read-only")
                    check("read-only" in r.body["detail"], "the detail does not say read-only", r)
                    expect_status(d.call("GET", "/healthz"), 200)
            finally:
                read_only(db, False)

            with suite.case("writable again: /readyz 200, writes 201, and last_used_at of the token used meanwhile"):
                r, _ = poll(lambda: d.call("GET", "/readyz").status == 200, 5)
                check(r, "/readyz did not come back to 200")
                r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Après"})
                expect_status(r, 201)
                used, _ = poll(lambda: last_used(db, fresh), 5)
                check(used, "the token used while read-only has no last_used_at 5 s after the database came back")


if __name__ == "__main__":
    Suite("http-read-only").main(body)
