#!/usr/bin/env python3
"""Backup and restore as README's Operations / Backups says: a commission's data made through the API (a person,
a unit, an application approved at a session whose minutes are sealed), the audit chain signed by a checkpoint
(its key kept outside the database), `pg_dump -Fc`, then `pg_restore` into a database of a NEW cluster (another
tests/lib/pg-cluster). There: `commissionctl audit verify` and `audit verify --checkpoint` (the chain is whole, up
to the signed head), `minutes verify` (the sealed PV), and a daemon on the restored database answers the same
token with the same person and the same minutes, byte for byte.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Cluster, Daemon, Database, Suite, check, env, expect_status, psql_path, run)  # noqa: E402

SESSION_DAY = "2026-03-12"  # a Thursday, in the past


def pg_program(name):
    return os.path.join(os.path.dirname(psql_path()), name)


def make_data(d, db):
    """Everything a commission has: returns what the restored copy must still show."""
    c = db.commission_create("Commission appartement de Roubaix")
    team = db.organisation_create(c, "care_team", "Équipe de secteur 59G05")
    landlord = db.organisation_create(c, "landlord", "Vilogia")
    coord = db.token_create(c, "coordinator", label="coordination").token

    def ok(status, method, path, body=None, headers=None):
        return expect_status(d.call(method, path, token=coord, body=body, headers=headers), status)

    person = ok(201, "POST", "/v1/people", {
        "family_name": "Lefèvre", "given_names": "Anne", "birth_date": "1979-04-02", "care_team_id": team,
        "protection": "none", "curator_org_id": None, "confirm_duplicate": True}).body["id"]
    ok(201, "POST", "/v1/units", {
        "kind": "hlm_apartment", "label": "T2 rue de Lannoy", "address": "12 rue de Lannoy", "town": "Roubaix",
        "landlord_org_id": landlord, "places": 1, "rent_cents": 39000, "charges_cents": 5500,
        "deposit_cents": 39000, "status": "available"})
    ok(201, "POST", "/v1/applications", {"person_id": person, "situation": "Sortie d'hospitalisation prévue.",
                                         "submit": True})
    sid = ok(201, "POST", "/v1/sessions", {"session_date": SESSION_DAY, "town": "Roubaix",
                                           "chair_name": "Mme Claire Dupont"}).body["id"]
    items = ok(200, "POST", "/v1/sessions/%s/agenda/build" % sid).body["items"]
    check(len(items) == 1, "the application is on the agenda: %r" % items)
    ok(200, "POST", "/v1/sessions/%s/open" % sid)
    ok(201, "POST", "/v1/sessions/%s/decisions" % sid, {"agenda_item_id": items[0]["id"], "outcome": "approve"})
    ok(200, "POST", "/v1/sessions/%s/close" % sid, {"defer_undecided": True})
    return {
        "coord": coord, "person": person, "sid": sid,
        "person_body": ok(200, "GET", "/v1/people/%s" % person).body,
        "minutes": ok(200, "GET", "/v1/sessions/%s/minutes" % sid, headers={"Accept": "text/html"}).raw,
    }


def main(suite):
    with tempfile.TemporaryDirectory(prefix="cd-backup-") as tmp, Database() as db:
        cases(suite, db, tmp)


def cases(suite, db, tmp):
    s = {}
    dump = os.path.join(tmp, "commissiond.dump")
    key, checkpoint = os.path.join(tmp, "audit-checkpoint.key"), os.path.join(tmp, "checkpoint")

    with suite.case("data made through the API, chained and signed, dumped with pg_dump -Fc"):
        with Daemon(db) as d:
            s.update(make_data(d, db))
        db.ctl("audit", "chain")
        s["pub"] = db.last_line(db.ctl("audit", "keygen", "--key", key))
        db.ctl("audit", "checkpoint", "--key", key, "--out", checkpoint)
        s["audit_rows"] = db.sql("SELECT count(*) FROM audit_log")
        check(int(s["audit_rows"]) >= 8, "the eight writes through the API were audited: %s entries" % s["audit_rows"])
        run([pg_program("pg_dump"), "-Fc", "-d", db.name, "-f", dump])
        check(os.path.getsize(dump) > 0, "an empty dump")

    with Cluster(prefix="cd-restore-") as other:
        restored = other.conninfo("commissiond")

        def ctl(*args, check=True):
            return run([env("COMMISSIONCTL_BIN"), "--db", restored] + list(args), check=check)

        with suite.case("pg_restore into a new cluster: the same rows, the audit chain whole"):
            other.sql("CREATE DATABASE commissiond")
            run([pg_program("pg_restore"), "--exit-on-error", "-d", "commissiond", dump], env_extra=other.env)
            check(other.sql("SELECT count(*) FROM audit_log", "commissiond") == s["audit_rows"],
                  "every audit entry restored")
            p = ctl("audit", "verify", check=False)
            check(p.returncode == 0, "audit verify on the restored copy: exit %d %r %r"
                  % (p.returncode, p.stdout, p.stderr))

        with suite.case("the checkpoint signed before the dump verifies on the restored copy"):
            p = ctl("audit", "verify", "--checkpoint", checkpoint, "--public-key", s["pub"], check=False)
            check(p.returncode == 0 and "intact" in p.stdout, "verify --checkpoint: exit %d %r %r"
                  % (p.returncode, p.stdout, p.stderr))

        with suite.case("the sealed minutes verify on the restored copy"):
            p = ctl("minutes", "verify", s["sid"], check=False)
            check(p.returncode == 0, "minutes verify: exit %d %r %r" % (p.returncode, p.stdout, p.stderr))

        with suite.case("a daemon on the restored copy: the same token, person and minutes"):
            with Daemon(restored) as d:
                r = expect_status(d.call("GET", "/v1/people/%s" % s["person"], token=s["coord"]), 200)
                check(r.body == s["person_body"], "the person as before", r)
                r = expect_status(d.call("GET", "/v1/sessions/%s/minutes" % s["sid"], token=s["coord"],
                                         headers={"Accept": "text/html"}), 200)
                check(r.raw == s["minutes"], "the minutes byte for byte", r)
                expect_status(d.call("POST", "/v1/organisations", token=s["coord"],
                                     body={"kind": "partner", "name": "Après restauration"}), 201)
            ctl("audit", "chain")
            p = ctl("audit", "verify", check=False)
            check(p.returncode == 0, "the chain goes on after the restore: exit %d %r" % (p.returncode, p.stdout))


if __name__ == "__main__":
    Suite("test_backup_restore").main(main)
