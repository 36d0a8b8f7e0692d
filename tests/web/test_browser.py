#!/usr/bin/env python3
"""Browser tests of the web front: Debian's Chromium, headless, driven by playwright-core (tests/web/browser.mjs)
against the real daemon and PostgreSQL. This file builds the world through the API (people with markup in their
names, a curator's and a landlord's tokens, units, applications, a session to run), runs the browser script, and
reports each of its cases; then checks in the database what the browser did (decisions, attendance, sealed minutes,
nothing forged) and that the front's requests were audited as their tokens.

Needs: chromium (Debian), node and npm (playwright-core and axe-core are installed by `npm ci` from
tests/web/package-lock.json into tests/web/node_modules, once per lockfile). Screenshots go to
$COMMISSIOND_SCREENSHOTS (default: a temporary folder, printed).
Exit 0: all passed; 1: a failure; 77: skipped (no chromium or node).
"""
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
from harness import Daemon, Database, Skip, Suite, check, expect_status  # noqa: E402

XSS_IMG = "<img src=x onerror=\"window.__xss='img'\">"
XSS_SCRIPT = "<script>window.__xss='script'</script>"
CARE_NOTE = "NOTE-SOIGNANTE-CONFIDENTIELLE traitement en cours"
SITUATION = "SITUATION-CONFIDENTIELLE sortie d'hospitalisation"
HOSPITAL = "HOSPITALISATION-CONFIDENTIELLE au CHU"


def today(delta=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=delta)).isoformat()


def chromium_path():
    for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.access(p, os.X_OK):
            return p
    return None


def npm_ci():
    """Installs the pinned packages unless node_modules already holds this lockfile's (one installer at a time)."""
    lock = os.path.join(HERE, "package-lock.json")
    with open(lock, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(HERE, "node_modules", ".installed-lockfile.sha256")
    with open(os.path.join(HERE, ".npm-install.lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if os.path.exists(stamp) and open(stamp).read().strip() == want:
            return
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise AssertionError("npm ci failed in %s:\n%s%s" % (HERE, p.stdout, p.stderr))
        with open(stamp, "w") as f:
            f.write(want + "\n")


class World:
    def __init__(self, d, db):
        self.d, self.db = d, db
        c = self.c = db.commission_create("Commission appartement de Lille-Est")
        self.team = db.organisation_create(c, "care_team", "Équipe de secteur 59G21")
        self.cur1 = db.organisation_create(c, "curator_service", "UDAF du Nord")
        self.cur2 = db.organisation_create(c, "curator_service", "ATINORD")
        self.ll1 = db.organisation_create(c, "landlord", "Lille Métropole Habitat")
        self.ll2 = db.organisation_create(c, "landlord", "Vilogia")
        self.coord = db.token_create(c, "coordinator", label="coordination").token
        self.coord2 = db.token_create(c, "coordinator", label="poste à révoquer")
        self.care = db.token_create(c, "caregiver", scope=self.team, label="soignant").token
        self.curator = db.token_create(c, "curator", scope=self.cur1, label="UDAF").token
        self.landlord = db.token_create(c, "landlord", scope=self.ll1, label="LMH").token

    def ok(self, status, method, path, body=None, token=None, headers=None):
        return expect_status(self.d.call(method, path, token=token or self.coord, body=body, headers=headers),
                             status).body

    def person(self, family, given, curator=None):
        body = {"family_name": family, "given_names": given, "birth_date": "1979-04-02", "care_team_id": self.team,
                "protection": "curatelle_renforcee" if curator else "none", "curator_org_id": curator,
                "confirm_duplicate": True}
        return self.ok(201, "POST", "/v1/people", body)["id"]

    def unit(self, label, landlord, kind="hlm_apartment", town="Villeneuve-d'Ascq"):
        return self.ok(201, "POST", "/v1/units", {
            "kind": kind, "label": label, "address": "12 rue des Lilas", "town": town, "landlord_org_id": landlord,
            "places": 1, "rent_cents": 41000, "charges_cents": 6000, "deposit_cents": 41000,
            "status": "available"})["id"]

    def application(self, person):
        return self.ok(201, "POST", "/v1/applications", {"person_id": person, "situation": SITUATION,
                                                         "submit": True, "wished_unit_kinds": ["hlm_apartment"]})["id"]

    def build(self):
        w = self
        # People: markup in two names (one protected by the curator's service, one by the other service).
        w.p_img = w.person(XSS_IMG, "Alice", curator=w.cur1)
        w.p_script = w.person(XSS_SCRIPT, "Bruno", curator=w.cur2)
        w.p_plain = w.person("Martin", "Chloé")
        w.p_placed = w.person("Durand", "David", curator=w.cur1)
        w.ok(201, "POST", "/v1/people/%s/care-notes" % w.p_img, {"body": CARE_NOTE}, token=w.care)
        w.u1 = w.unit("Appartement des Lilas", w.ll1)
        w.u2 = w.unit("Appartement des Tilleuls", w.ll2)
        w.u3 = w.unit("Appartement du Parc", w.ll1, town="Hellemmes")
        # An earlier session, held and closed: its attendees are the names ticked today; it places David in u3.
        app_placed = w.application(w.p_placed)
        earlier = w.ok(201, "POST", "/v1/sessions", {"session_date": today(-7), "town": "Hellemmes",
                                                     "chair_name": "M. Jean Lefebvre"})["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % earlier)["items"]
        w.ok(200, "PUT", "/v1/sessions/%s/attendance" % earlier, {"attendees": [
            {"group": "elected_officials", "name": "Mme Claire Dupont", "organisation": "Ville de Villeneuve-d'Ascq"},
            {"group": "elected_officials", "name": "M. Jean Lefebvre", "organisation": "Ville d'Hellemmes"},
            {"group": "landlords", "name": "M. Paul Masson", "organisation": "Lille Métropole Habitat"}]})
        w.ok(200, "POST", "/v1/sessions/%s/open" % earlier)
        for i in items:
            w.ok(201, "POST", "/v1/sessions/%s/decisions" % earlier, {"agenda_item_id": i["id"],
                                                                    "outcome": "approve", "unit_id": w.u3})
        w.ok(200, "POST", "/v1/sessions/%s/close" % earlier)
        pl = w.ok(201, "POST", "/v1/placements", {"application_id": app_placed, "unit_id": w.u3,
                                                  "move_in_date": today(), "lease": "sliding_lease"})["id"]
        # For the desk: an agreement ending within 90 days, two open incidents (one a hospitalisation, which the
        # curator must never see).
        w.ok(201, "POST", "/v1/agreements", {"org_id": w.ll1, "reference": "CONV-LMH-2024-07",
                                             "signatory": "Mme Martin", "start_date": "2024-01-01",
                                             "end_date": today(40), "unit_ids": [w.u3]})
        w.ok(201, "POST", "/v1/placements/%s/incidents" % pl, {
            "kind": "rent_arrears", "description": "Deux mois de loyer impayés", "occurred_on": today(),
            "arrears_cents": 82000})
        w.ok(201, "POST", "/v1/placements/%s/incidents" % pl, {
            "kind": "hospitalisation", "description": HOSPITAL, "occurred_on": today()}, token=w.care)
        # Today's session: three applications to decide.
        w.apps = {k: w.application(p) for k, p in (("img", w.p_img), ("script", w.p_script), ("plain", w.p_plain))}
        w.sid = w.ok(201, "POST", "/v1/sessions", {"session_date": today(), "town": "Villeneuve-d'Ascq",
                                                   "place": "Hôtel de ville, salle du conseil",
                                                   "chair_name": "Mme Claire Dupont",
                                                   "chair_title": "Adjointe au maire"})["id"]


def body(suite):
    chromium = chromium_path()
    if chromium is None or shutil.which("node") is None or shutil.which("npm") is None:
        raise Skip("chromium, node or npm is not installed (tests/run installs them)")
    with suite.case("setup: the pinned playwright-core and axe-core are installed"):
        npm_ci()
    shots = os.environ.get("COMMISSIOND_SCREENSHOTS") or tempfile.mkdtemp(prefix="commissiond-screens.")
    os.makedirs(shots, exist_ok=True)
    with Database() as db, Daemon(db) as d, Daemon(db, web_idle_timeout=3) as d_idle:
        w = World(d, db)
        with suite.case("setup: people, units, tokens and a session to run, through the API"):
            w.build()
        orgs_before = db.sql("SELECT count(*) FROM organisations")
        config = {
            "chromium": chromium, "base": "http://127.0.0.1:%d" % d.port,
            "idle_base": "http://127.0.0.1:%d" % d_idle.port, "screenshots": shots,
            "tokens": {"coordinator": w.coord, "coordinator2": w.coord2.token, "curator": w.curator,
                       "landlord": w.landlord},
            "coordinator2_id": w.coord2.id, "session_id": w.sid,
            "names": {"img": XSS_IMG, "script": XSS_SCRIPT, "plain": "Martin Chloé", "placed": "Durand David"},
            "secrets": [CARE_NOTE, "SITUATION-CONFIDENTIELLE", "HOSPITALISATION-CONFIDENTIELLE", "hospitalisation du"],
            "units": {"mine": "Appartement des Lilas", "other": "Appartement des Tilleuls",
                      "placed": "Appartement du Parc"},
        }
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(config, f)
        try:
            p = subprocess.run(["node", os.path.join(HERE, "browser.mjs"), path], capture_output=True, text=True,
                               timeout=600, cwd=HERE)
        finally:
            os.unlink(path)
        cases = 0
        for line in p.stdout.splitlines():
            if line.startswith("ok ") or line.startswith("not ok "):
                cases += 1
                passed = line.startswith("ok ")
                name = line.split(" - ", 1)[1] if " - " in line else line
                with suite.case("browser: " + name):
                    check(passed, "the browser script says: %s" % line)
            elif line.startswith("#"):
                print("     " + line)
        with suite.case("the browser script ran every case and exited cleanly"):
            check(p.returncode == 0 and cases >= 10, "node exited %d after %d cases; stderr:\n%s"
                  % (p.returncode, cases, p.stderr[-3000:]))
        print("     screenshots in %s: %s" % (shots, ", ".join(sorted(os.listdir(shots)))))

        with suite.case("the database holds what the session room did"):
            rows = db.sql("SELECT string_agg(d.outcome || ':' || coalesce(d.refusal_reason, '') || ':' || "
                          "coalesce(d.unit_id::text, ''), ',' ORDER BY d.outcome) FROM decisions d "
                          "JOIN agenda_items i ON i.id = d.agenda_item_id WHERE i.session_id = '%s'" % w.sid)
            check(rows == "approve::%s,defer::,refuse:incomplete_file:" % w.u1, "decisions: %r" % rows)
            check(db.sql("SELECT status FROM sessions WHERE id = '%s'" % w.sid) == "closed", "the session is not closed")
            check(db.sql("SELECT count(*) FROM session_attendees WHERE session_id = '%s'" % w.sid) == "4",
                  "attendance: %s" % db.sql("SELECT string_agg(name, ', ') FROM session_attendees WHERE "
                                            "session_id = '%s'" % w.sid))
            check(db.sql("SELECT count(*) FROM session_minutes WHERE session_id = '%s'" % w.sid) == "1",
                  "no sealed minutes")
        with suite.case("the forged cross-site requests changed nothing"):
            check(db.sql("SELECT count(*) FROM organisations") == orgs_before, "an organisation was forged")
        with suite.case("the front's writes are audited as the coordinator's token"):
            tid = db.sql("SELECT id FROM tokens WHERE label = 'coordination'")
            n = db.sql("SELECT count(*) FROM audit_log WHERE token_id = '%s' AND route = "
                       "'/v1/sessions/{id}/decisions'" % tid)
            check(n != "0", "no audit entry for the decisions made through the front")


if __name__ == "__main__":
    Suite("web-browser").main(body)
