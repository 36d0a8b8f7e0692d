#!/usr/bin/env python3
"""A session as held and its procès-verbal (issue 12), played as a commission does it, with pinned dates.

The session of Thursday 12 March 2026 in Mons-en-Barœul is typed in after the fact (today, whatever today is: every
date this file asserts is pinned, and what it asserts about the recording day only needs today to be after
12 March 2026). Its decisions carry the session's date (decided_on) and their recording instant (recorded_at);
an approved person may move in from the session's date; the activity report counts the decisions on the
session's day, not on the day they were typed. A session dated 2099 cannot be opened; an open session's date is
fixed. Closing with undecided items names each item.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (TIMESTAMP_RE, CommandFailed, Daemon, Database, Suite, case_no_leak_no_5xx, check,  # noqa: E402
                     expect_problem, expect_status, poll)

SESSION_DAY = "2026-03-12"   # a Thursday
MOVE_IN = "2026-03-20"       # after the session, before the day it is typed in
FAR_FUTURE = "2099-01-08"
TODAY = datetime.datetime.now(datetime.timezone.utc).date().isoformat()  # the recording day, asserted as such
REVIEW_SESSION_DAY = "2026-09-10"  # a Thursday: Alice's first review (moved in 20 March) is due by then
INCIDENT_DAY = "2026-09-02"
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def french_date(iso):
    """ISO as the PV writes it without weekday: "4 décembre 2026", "1er avril 2026" (written here on its own)."""
    d = datetime.date.fromisoformat(iso[:10])
    return "%d%s %s %d" % (d.day, "er" if d.day == 1 else "", MONTHS[d.month - 1], d.year)


class World:
    def __init__(self, d, db):
        self.d, self.db = d, db
        self.c = db.commission_create("Commission appartement de Mons-en-Barœul")
        self.team = db.organisation_create(self.c, "care_team", "Équipe de secteur 59G21")
        self.curators = db.organisation_create(self.c, "curator_service", "Service mandataire")
        self.landlord = db.organisation_create(self.c, "landlord", "Lille Métropole Habitat")
        self.coord = db.token_create(self.c, "coordinator", label="coordination").token
        self.corrector = db.token_create(self.c, "coordinator", label="Mme Lucie Caron, coordinatrice").token
        self.care = db.token_create(self.c, "caregiver", scope=self.team, label="soignant").token
        self.observer = db.token_create(self.c, "observer", label="observateur").token

    def ok(self, status, method, path, body=None, token=None, headers=None):
        return expect_status(self.d.call(method, path, token=token or self.coord, body=body, headers=headers),
                             status)

    def person(self, family, given, birth):
        return self.ok(201, "POST", "/v1/people", {
            "family_name": family, "given_names": given, "birth_date": birth, "care_team_id": self.team,
            "protection": "none", "curator_org_id": None, "confirm_duplicate": True}).body["id"]

    def unit(self, label, town):
        return self.ok(201, "POST", "/v1/units", {
            "kind": "hlm_apartment", "label": label, "address": "3 rue Daubenton", "town": town,
            "landlord_org_id": self.landlord, "places": 1, "rent_cents": 41000, "charges_cents": 6000,
            "deposit_cents": 41000, "status": "available"}).body["id"]

    def application(self, person, situation):
        return self.ok(201, "POST", "/v1/applications", {"person_id": person, "situation": situation,
                                                         "submit": True}).body["id"]

    def session(self, day, **extra):
        body = {"session_date": day, "town": "Mons-en-Barœul", "chair_name": "Mme Claire Dupont"}
        body.update(extra)
        return self.ok(201, "POST", "/v1/sessions", body).body

    def agenda(self, sid, token=None):
        return self.ok(200, "GET", "/v1/sessions/%s/agenda" % sid, token=token).body["items"]

    def decide(self, sid, item, outcome, **extra):
        body = {"agenda_item_id": item, "outcome": outcome}
        body.update(extra)
        return self.ok(201, "POST", "/v1/sessions/%s/decisions" % sid, body).body


def body(suite):
    with Database() as db:
        with Daemon(db, threads=2) as d:
            w = World(d, db)
            run_cases(suite, w)
            case_no_leak_no_5xx(suite)
            d.stop()


def run_cases(suite, w):
    s = {}

    with suite.case("setup: four applications on the agenda of the session of 12 March 2026"):
        s["people"] = {k: w.person(*v) for k, v in {
            "alice": ("Martin", "Alice", "1980-02-03"), "bruno": ("Bernard", "Bruno", "1971-05-06"),
            "chloe": ("Petit", "Chloé", "1990-08-09"), "david": ("Durand", "David", "1965-11-12"),
            "eve": ("Leroy", "Ève", "1985-04-05")}.items()}
        s["apps"] = {k: w.application(p, "Situation de %s" % k) for k, p in s["people"].items()}
        s["unit"] = w.unit("Appartement des Lilas", "Mons-en-Barœul")
        sess = w.session(SESSION_DAY, place="Salle du conseil municipal, hôtel de ville",
                         chair_title="Adjointe au maire chargée de la santé")
        s["sid"] = sess["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s["sid"]).body["items"]
        s["items"] = {k: [i["id"] for i in items if i["application"]["id"] == a][0] for k, a in s["apps"].items()}
        # Ève withdraws her application before the session: her item stays, shown as withdrawn.
        w.ok(200, "POST", "/v1/applications/%s/transitions" % s["apps"]["eve"],
             {"to": "withdrawn", "reason": "La personne a trouvé un logement par ailleurs."})
        w.ok(200, "PUT", "/v1/sessions/%s/attendance" % s["sid"], {"attendees": [
            {"group": "elected_officials", "name": "Mme Claire Dupont", "organisation": "Ville de Mons-en-Barœul"},
            {"group": "elected_officials", "name": "M. Jean Lefebvre", "organisation": "Ville d'Hellemmes"},
            {"group": "care_team", "name": "Dr Anne Roussel", "organisation": "EPSM, secteur 59G21"},
            {"group": "landlords", "name": "M. Paul Masson", "organisation": "Lille Métropole Habitat"},
            {"group": "association", "name": "Mme Lucie Caron", "organisation": "CISSMC"}]})

    with suite.case("a session opens on its date or later: 2099-01-08 is 409 invalid-state, 2026-03-12 opens"):
        future = w.session(FAR_FUTURE)
        r = w.d.call("POST", "/v1/sessions/%s/open" % future["id"], token=w.coord)
        b = expect_problem(r, 409, "invalid-state")
        check(b.get("session_date") == FAR_FUTURE and b.get("today") == TODAY and b.get("current_status") ==
              "planned", "the refusal says the session's date and today", r)
        got = w.ok(200, "GET", "/v1/sessions/%s" % future["id"]).body
        check(got["status"] == "planned" and got["opened_at"] is None, "the future session stays planned")
        r = w.ok(200, "POST", "/v1/sessions/%s/open" % s["sid"])
        check(r.body["status"] == "open" and r.body["session_date"] == SESSION_DAY, "the late session opens", r)
        s["version"] = r.body["version"]

    with suite.case("an open session's date is fixed: another session_date is 422 naming /session_date"):
        r = w.d.call("PATCH", "/v1/sessions/%s" % s["sid"], token=w.coord, body={"session_date": "2026-03-13"},
                     headers={"If-Match": '"v%d"' % s["version"]})
        expect_problem(r, 422, "validation-failed", field="/session_date")
        r = w.ok(200, "PATCH", "/v1/sessions/%s" % s["sid"], {"session_date": SESSION_DAY,
                                                               "place": "Salle du conseil municipal"},
                 headers={"If-Match": '"v%d"' % s["version"]})
        check(r.body["session_date"] == SESSION_DAY, "the same date is no change", r)
        s["version"] = r.body["version"]

    with suite.case("decisions typed in today carry the session's date (decided_on) and today's recorded_at"):
        w.decide(s["sid"], s["items"]["alice"], "approve", unit_id=s["unit"])
        w.decide(s["sid"], s["items"]["bruno"], "refuse", refusal_reason="care_project_not_ready",
                 comment="Projet de soins à consolider avec le CMP.")
        for i in w.agenda(s["sid"]):
            dec = i["decision"]
            if i["id"] not in (s["items"]["alice"], s["items"]["bruno"]):
                check(dec is None, "undecided yet: %s" % i)
                continue
            check(dec["decided_on"] == SESSION_DAY, "decided_on is the session's date: %s" % dec)
            check(TIMESTAMP_RE.match(dec["recorded_at"]) and dec["recorded_at"][:10] == TODAY,
                  "recorded_at is the instant it was typed in (today, %s): %s" % (TODAY, dec))
        app = w.ok(200, "GET", "/v1/applications/%s" % s["apps"]["alice"]).body
        check(app["status"] == "approved" and app["decided_on"] == SESSION_DAY and app["decided_at"][:10] == TODAY,
              "the application: decided_on the session's date, decided_at when typed: %s" % app)

    with suite.case("closing with undecided items names each: errors [{field: /items/<id>, reason}]"):
        r = w.d.call("POST", "/v1/sessions/%s/close" % s["sid"], token=w.coord)
        b = expect_problem(r, 409, "invalid-state")
        undecided = [i for i in w.agenda(s["sid"])
                     if i["decision"] is None and i["application"]["status"] == "scheduled"]
        check(len(undecided) == 2 and b.get("undecided_items") == 2, "two undecided items (not the withdrawn)", r)
        check([e["field"] for e in b.get("errors", [])] == ["/items/%s" % i["id"] for i in undecided],
              "errors name the undecided items in agenda order", r)
        check(all(e["reason"] == "agenda item n° %d has no decision" % i["position"]
                  for i, e in zip(undecided, b["errors"])), "each reason gives the item's number", r)
        r = w.d.call("POST", "/v1/sessions/%s/close" % s["sid"], token=w.coord, body={"defer_undecided": False})
        expect_problem(r, 409, "invalid-state")

    with suite.case("a move-in may start from the session's date, not before it"):
        r = w.d.call("POST", "/v1/placements", token=w.coord, body={
            "application_id": s["apps"]["alice"], "unit_id": s["unit"], "move_in_date": "2026-03-11",
            "lease": "sliding_lease"})
        expect_problem(r, 422, "validation-failed", field="/move_in_date")
        r = w.ok(201, "POST", "/v1/placements", {"application_id": s["apps"]["alice"], "unit_id": s["unit"],
                                                  "move_in_date": MOVE_IN, "lease": "sliding_lease"})
        check(r.body["move_in_date"] == MOVE_IN, "moved in on %s, before the decision was typed in" % MOVE_IN, r)

    with suite.case("deferring the rest at closing dates those decisions by the session too"):
        w.ok(200, "POST", "/v1/sessions/%s/close" % s["sid"], {"defer_undecided": True})
        for k in ("chloe", "david"):
            dec = [i for i in w.agenda(s["sid"]) if i["id"] == s["items"][k]][0]["decision"]
            check(dec["outcome"] == "defer" and dec["decided_on"] == SESSION_DAY, "%s deferred on the session's "
                  "date: %s" % (k, dec))
            app = w.ok(200, "GET", "/v1/applications/%s" % s["apps"][k]).body
            check(app["decided_on"] == SESSION_DAY, "%s's application: decided_on %s" % (k, app["decided_on"]))

    with suite.case("the procès-verbal a chair signs: French dates and words, commission, place, chair, counts"):
        r = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"], headers={"Accept": "text/html"})
        page = r.text
        s["page"] = r.raw
        closed_on = w.ok(200, "GET", "/v1/sessions/%s" % s["sid"]).body["closed_at"]
        for words in ("<title>Procès-verbal de la séance du jeudi 12 mars 2026</title>",
                      "Commission appartement de Mons-en-Barœul",
                      "Séance du jeudi 12 mars 2026 à Mons-en-Barœul — Salle du conseil municipal",
                      "Présidence de séance : Mme Claire Dupont, Adjointe au maire chargée de la santé",
                      "Présents (5)", "Élus (2)</strong> : Mme Claire Dupont (Ville de Mons-en-Barœul) ; "
                      "M. Jean Lefebvre (Ville d&#39;Hellemmes)", "Équipe de secteur (1)", "Bailleurs (1)",
                      "Association (1)",
                      "Motif : le projet de soins n&#39;est pas encore prêt. Projet de soins à consolider avec le CMP.",
                      "Non examiné lors de cette séance, reporté à la suivante.",
                      "Appartement des Lilas, Mons-en-Barœul", "Retiré",
                      "Demandes examinées : 4 (accords : 1 ; refus : 1 ; ajournements : 2)",
                      "Demandes retirées : 1", "Bilans examinés : 0 ; incidents examinés : 0",
                      "Les décisions de cette séance ont été enregistrées le %s ; elles portent la date de la séance."
                      % french_date(TODAY),
                      "Fait à Mons-en-Barœul, le %s." % french_date(closed_on),
                      "La présidente de séance,<br>Mme Claire Dupont<br>Adjointe au maire chargée de la santé",
                      "@page{size:A4"):
            check(words in page, "the page holds %r" % words, r)
        for code in ("2026-03-12", "care_project_not_ready", "not examined", "elected_officials", "withdrawn",
                     "approve", "defer", "Projet : la séance"):
            check(code not in page, "the page holds no code, ISO date or draft banner: %r" % code, r)
        numbers = [int(n) for n in __import__("re").findall(r'<td class="num">(\d+)</td>', page)]
        check(numbers == [1, 2, 3, 4, 5], "items numbered 1 to 5 in agenda order, the withdrawn one among them: %s"
              % numbers, r)
        m = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"]).body
        check(m["counts"] == {"examined": 4, "approved": 1, "refused": 1, "deferred": 2, "withdrawn": 1,
                              "reviews": 0, "incidents": 0}, "the counts: %s" % m["counts"], r)
        check(m["recorded"] == {"first": TODAY, "last": TODAY}, "recorded today: %s" % m["recorded"], r)
        check([x["status"] for x in m["items"]].count("withdrawn") == 1, "one withdrawn item", r)

    with suite.case("the activity report counts the decisions on the session's day, not on the day typed in"):
        def decided(first, last):
            r = w.ok(200, "GET", "/v1/reports/activity?from=%s&to=%s" % (first, last), token=w.observer)
            return r.body["applications"]["decided"], r.body["sessions"]
        got, sessions = decided(SESSION_DAY, SESSION_DAY)
        check(got == {"approve": 1, "refuse": 1, "defer": 2} and sessions == 1,
              "12 March 2026: one session, 1 approval, 1 refusal, 2 deferrals: %s, %s sessions" % (got, sessions))
        got, _ = decided(TODAY, TODAY)
        check(got == {"approve": 0, "refuse": 0, "defer": 0}, "the recording day (%s) counts none: %s" % (TODAY, got))

    with suite.case("a correction after close keeps the session's date, and is recorded today"):
        bruno = [i for i in w.agenda(s["sid"]) if i["id"] == s["items"]["bruno"]][0]["decision"]
        w.ok(201, "POST", "/v1/sessions/%s/decisions/%s/corrections" % (s["sid"], bruno["id"]),
             {"outcome": "defer", "comment": "Erreur de saisie : le dossier avait été ajourné."}, token=w.corrector)
        dec = [i for i in w.agenda(s["sid"]) if i["id"] == s["items"]["bruno"]][0]["decision"]
        check(dec["outcome"] == "defer" and dec["decided_on"] == SESSION_DAY and dec["recorded_at"][:10] == TODAY
              and dec["corrects_decision_id"] == bruno["id"], "the standing correction: %s" % dec)
        got, _ = decided(SESSION_DAY, SESSION_DAY)
        check(got == {"approve": 1, "refuse": 0, "defer": 3}, "the report counts the correction: %s" % got)

    with suite.case("sealed minutes: a correction after close leaves the PV byte-identical; it shows in an annex"):
        r = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"], headers={"Accept": "text/html"})
        after = r.raw
        start = after.find(b'<section class="annex">')
        check(start > 0, "the page has an annex", r)
        end = after.rfind(b"</section>\n") + len(b"</section>\n")
        check(after[:start] + after[end:] == s["page"], "without its annex, the page is the sealed one, byte for byte",
              r)
        annex = after[start:end].decode()
        for words in ("Annexe n° 1 : rectification du %s" % french_date(TODAY), "Bernard Bruno",
                      "Décision de la séance</th><td>Refus", "Décision rectifiée</th><td>Ajournement",
                      "Motif de la rectification : Erreur de saisie : le dossier avait été ajourné.",
                      "(UTC) par Mme Lucie Caron, coordinatrice."):
            check(words in annex, "the annex holds %r" % words, r)
        s["annex1"] = after[start:end]
        stored_annex = w.db.sql("SELECT encode(convert_to(document, 'UTF8'), 'hex') FROM minutes_annexes "
                                "WHERE session_id = '%s' AND number = 1" % s["sid"])
        check(bytes.fromhex(stored_annex) == s["annex1"], "the annex served is the one sealed, byte for byte")
        stored = w.db.sql("SELECT encode(convert_to(document, 'UTF8'), 'hex') FROM session_minutes "
                          "WHERE session_id = '%s'" % s["sid"])
        check(bytes.fromhex(stored) == s["page"], "the stored document is the page served at closing")
        model_hex, hash_ = w.db.sql("SELECT encode(convert_to(model, 'UTF8'), 'hex') || ' ' || hash FROM "
                                    "session_minutes WHERE session_id = '%s'" % s["sid"]).split(" ")
        want = hashlib.blake2b(bytes.fromhex(model_hex) + b"\0" + bytes.fromhex(stored), digest_size=32).hexdigest()
        check(hash_ == want, "the stored hash is BLAKE2b-256(model || 0x00 || document)")
        m = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"]).body
        line = [x for x in m["decisions"] if x["label"] == "Bernard Bruno"][0]
        check(line["outcome"] == "refuse" and m["sealed"]["hash"] == hash_ and len(m["annexes"]) == 1
              and m["annexes"][0]["after"]["outcome"] == "defer", "JSON: the refusal voted, the annex, the seal", r)
        a = m["annexes"][0]
        check(a["by"] == "Mme Lucie Caron, coordinatrice" and a["by_role"] == "coordinator"
              and a["before"]["outcome"] == "refuse" and a["why"].startswith("Erreur de saisie")
              and a["recorded_at"][:10] == TODAY and len(a["sealed"]["hash"]) == 64,
              "the annex names who corrected, when and why, with its own seal: %s" % a, r)
        s["annex_hash"] = a["sealed"]["hash"]
        # `audit chain` chains what no one else is chaining (it does not wait for the daemon's chainer, which runs
        # every second and may hold the chain at that moment): until both entries are chained, 10 s at most
        seen = []

        def both_chained():
            w.db.ctl("audit", "chain")
            seen[:] = w.db.sql("SELECT object_type || ' ' || document_hash || ' ' || (chain_pos IS NOT NULL) "
                               "FROM audit_log WHERE document_hash IS NOT NULL ORDER BY id").split("\n")
            return ("session_minutes %s true" % hash_ in seen
                    and "minutes_annexes %s true" % a["sealed"]["hash"] in seen)
        chained, _ = poll(both_chained, 10, 0.2)
        check(chained, "the chain holds the PV's and the annex's hashes: %s" % seen)
        r = w.d.call("GET", "/v1/sessions/%s/minutes" % s["sid"], token=w.care, headers={"Accept": "text/html"})
        check(expect_status(r, 200).raw == after, "the care team follows every person of this session: it reads the "
              "same bytes", r)
        expect_problem(w.d.call("GET", "/v1/sessions/%s/minutes" % s["sid"], token=w.observer), 403, "forbidden")

    with suite.case("a second correction adds annex n° 2; the PV and annex n° 1 stay byte-identical"):
        carl = [i for i in w.agenda(s["sid"]) if i["id"] == s["items"]["chloe"]][0]["decision"]
        w.ok(201, "POST", "/v1/sessions/%s/decisions/%s/corrections" % (s["sid"], carl["id"]),
             {"outcome": "refuse", "refusal_reason": "incomplete_file", "comment": "Pièces manquantes."})
        r = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"], headers={"Accept": "text/html"})
        first = r.raw.find(b'<section class="annex">')
        end = r.raw.rfind(b"</section>\n") + len(b"</section>\n")
        sections = r.raw[first:end]
        check(r.raw[:first] + r.raw[end:] == s["page"] and sections.startswith(s["annex1"])
              and "Annexe n° 2 : rectification du" in sections[len(s["annex1"]):].decode()
              and "(UTC) par coordination." in sections[len(s["annex1"]):].decode(),
              "PV and annex 1 unchanged, annex 2 after them", r)
        m = w.ok(200, "GET", "/v1/sessions/%s/minutes" % s["sid"]).body
        check([x["number"] for x in m["annexes"]] == [1, 2] and m["annexes"][0]["sealed"]["hash"] == s["annex_hash"],
              "two annexes, the first with its seal unchanged", r)

    with suite.case("commissionctl minutes verify: 0 while intact; 1 once the stored document is altered"):
        p = w.db.ctl("minutes", "verify", s["sid"], check=False)
        check(p.returncode == 0 and p.stdout.count("intact") == 3 and "in the audit chain" in p.stdout,
              "PV and two annexes intact: %r %r" % (p.stdout, p.stderr))
        p = w.db.ctl("audit", "verify", check=False)
        check(p.returncode == 0 and "sealed documents intact: " in p.stdout, "audit verify: %r %r"
              % (p.stdout, p.stderr))
        # An annex rewritten with its hash recomputed to match: the chain still says what was sealed.
        w.db.sql("ALTER TABLE minutes_annexes DISABLE TRIGGER minutes_annexes_sealed; "
                 "UPDATE minutes_annexes SET document = replace(document, 'Ajournement', 'Accord') "
                 "WHERE session_id = '%s' AND number = 1; "
                 "ALTER TABLE minutes_annexes ENABLE TRIGGER minutes_annexes_sealed" % s["sid"])
        model, doc = [bytes.fromhex(x) for x in w.db.sql(
            "SELECT encode(convert_to(model, 'UTF8'), 'hex') || ' ' || encode(convert_to(document, 'UTF8'), 'hex') "
            "FROM minutes_annexes WHERE session_id = '%s' AND number = 1" % s["sid"]).split(" ")]
        forged = hashlib.blake2b(model + b"\0" + doc, digest_size=32).hexdigest()
        w.db.sql("ALTER TABLE minutes_annexes DISABLE TRIGGER minutes_annexes_sealed; "
                 "UPDATE minutes_annexes SET hash = '%s' WHERE session_id = '%s' AND number = 1; "
                 "ALTER TABLE minutes_annexes ENABLE TRIGGER minutes_annexes_sealed" % (forged, s["sid"]))
        for cmd in (("minutes", "verify", s["sid"]), ("audit", "verify")):
            p = w.db.ctl(*cmd, check=False)
            check(p.returncode == 1 and "annex n° 1 of the minutes of session %s ALTERED" % s["sid"] in p.stderr
                  and "the audit chain recorded %s" % s["annex_hash"] in p.stderr,
                  "%s fails on the rewritten annex: %r %r" % (cmd[0], p.stdout, p.stderr))
        w.db.sql("ALTER TABLE minutes_annexes DISABLE TRIGGER minutes_annexes_sealed; "
                 "DELETE FROM minutes_annexes WHERE session_id = '%s' AND number = 1; "
                 "ALTER TABLE minutes_annexes ENABLE TRIGGER minutes_annexes_sealed" % s["sid"])
        p = w.db.ctl("minutes", "verify", s["sid"], check=False)
        check(p.returncode == 1 and "a sealed annex of the minutes of session %s DELETED" % s["sid"] in p.stderr
              and "ALTERED" not in p.stderr, "a deleted annex is found: %r %r" % (p.stdout, p.stderr))
        try:
            w.db.sql("UPDATE session_minutes SET document = document || ' ' WHERE session_id = '%s'" % s["sid"])
            refused = False
        except CommandFailed:
            refused = True
        check(refused, "the database refuses to change sealed minutes")
        # Someone with the database's keys goes round the trigger and turns the refusal into an approval.
        w.db.sql("ALTER TABLE session_minutes DISABLE TRIGGER session_minutes_sealed; "
                 "UPDATE session_minutes SET document = replace(document, '<td>Refus</td>', '<td>Accord</td>') "
                 "WHERE session_id = '%s'; ALTER TABLE session_minutes ENABLE TRIGGER session_minutes_sealed"
                 % s["sid"])
        for cmd in (("minutes", "verify", s["sid"]), ("audit", "verify")):
            p = w.db.ctl(*cmd, check=False)
            check(p.returncode == 1 and "minutes of session %s ALTERED" % s["sid"] in p.stderr,
                  "%s: altered: %r %r" % (cmd[0], p.stdout, p.stderr))
        p = w.db.ctl("minutes", "verify", "00000000-0000-4000-8000-000000000000", check=False)
        check(p.returncode == 1 and "no sealed minutes" in p.stderr, "no minutes: %r" % p.stderr)

    with suite.case("a later session examines Alice's review and an incident, with what was decided"):
        placement = [p for p in w.ok(200, "GET", "/v1/placements").body["items"]
                     if p["application_id"] == s["apps"]["alice"]][0]["id"]
        w.ok(201, "POST", "/v1/placements/%s/incidents" % placement,
             {"kind": "rent_arrears", "description": "Deux mois de loyer impayés.", "occurred_on": INCIDENT_DAY,
              "arrears_cents": 94000})
        sess = w.session(REVIEW_SESSION_DAY, place="Mairie d'Hellemmes", town="Hellemmes",
                         chair_name="M. Jean Lefebvre", chair_title="Conseiller municipal délégué")
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % sess["id"]).body["items"]
        kinds = sorted(i["kind"] for i in items if i["kind"] != "application")
        check(kinds == ["incident", "review"], "a review and an incident on the agenda: %s" % kinds)
        notes = {"review": "Bilan favorable : maintien dans le logement.",
                 "incident": "Plan d'apurement avec la curatelle."}
        for i in items:
            if i["kind"] != "application":
                w.ok(200, "PATCH", "/v1/sessions/%s/agenda/items/%s" % (sess["id"], i["id"]),
                     {"note": notes[i["kind"]]})
        w.ok(200, "POST", "/v1/sessions/%s/open" % sess["id"])
        w.ok(200, "POST", "/v1/sessions/%s/close" % sess["id"], {"defer_undecided": True})
        page = w.ok(200, "GET", "/v1/sessions/%s/minutes" % sess["id"], headers={"Accept": "text/html"}).text
        for words in ("Séance du jeudi 10 septembre 2026 à Hellemmes", "Bilans examinés : 1 ; incidents examinés : 1",
                      "Bilan d&#39;un accompagnement — Martin Alice", "Bilan favorable : maintien dans le logement.",
                      "Incident : impayés de loyer du 2 septembre 2026 — Martin Alice",
                      "Plan d&#39;apurement avec la curatelle.",
                      "Le président de séance,<br>M. Jean Lefebvre<br>Conseiller municipal délégué"):
            check(words in page, "the page holds %r" % words)
    s["world"] = w


if __name__ == "__main__":
    Suite("http-session-pv").main(body)
