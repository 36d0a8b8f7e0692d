#!/usr/bin/env python3
"""What leaves a session for its readers (issue 12, items 4 to 6), played as a commission does it.

The session of Thursday 12 March 2026 in Mons-en-Barœul approves Alice, refuses Bruno (protected by a curator
service), defers Chloé, refuses David (corrected into an approval after the session closed); Ève's application
waits for a session. A next session is planned in 60 days.

- Decision letters (`GET /v1/applications/{id}/decision-letter`): French HTML, the session's long date, the reason
  in the words of the label table, how to be heard again (next session, whom to contact), the unit and the next
  steps for an approval, the corrected decision with its date; 409 before any decision; the application's scope
  (care team, curator service), 403 for landlords and observers.
- The agenda pack (`GET /v1/sessions/{id}/agenda`, `Accept: text/html`): cover page and items, each reader seeing
  no more than its JSON agenda; JSON stays the default and q-values are honoured.
- The calendar feed (`GET /v1/calendar.ics?token=`): checked by a strict RFC 5545 reader written here (CRLF, lines
  of at most 75 octets folded on UTF-8 boundaries, required properties, TEXT escaping), no person's name, a
  calendar token that reads only the feed and stops at once when revoked.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, Daemon, Database, Skip, Suite, check, expect_problem, expect_status,  # noqa: E402
                     leaks, poll)

SESSION_DAY = "2026-03-12"  # a Thursday
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
TOWN = "Mons-en-Barœul"
PLACE = "Salle du conseil municipal, hôtel de ville"
CHAIR = "Mme Claire Dupont"
CHAIR_TITLE = "Adjointe au maire chargée de la santé"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def french_date(iso, weekday=False):
    """ISO written out as the documents write it, on its own: "jeudi 12 mars 2026", "1er avril 2026"."""
    d = datetime.date.fromisoformat(iso[:10])
    text = "%d%s %s %d" % (d.day, "er" if d.day == 1 else "", MONTHS[d.month - 1], d.year)
    return "%s %s" % (WEEKDAYS[d.weekday()], text) if weekday else text


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def html_escaped(text):
    """TEXT as the pages escape it, but for the apostrophe: pages are compared with &#39; read back as '."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def page_text(r):
    """The page's text, its escaped apostrophes read back (the markup writes some raw, the escaping others)."""
    return r.raw.decode("utf-8").replace("&#39;", "'")


class World:
    def __init__(self, d, db):
        self.d, self.db = d, db
        self.c = db.commission_create("Commission appartement de Mons-en-Barœul")
        self.coord = db.token_create(self.c, "coordinator", label="coordination").token
        self.team = self.ok(201, "POST", "/v1/organisations", {
            "kind": "care_team", "name": "CMP Les Tilleuls & équipe 59G21", "address": "12 rue Parmentier",
            "town": "Mons-en-Barœul", "phone": "03 20 00 00 12", "email": "cmp.tilleuls@example.org"}).body["id"]
        self.team2 = self.ok(201, "POST", "/v1/organisations", {"kind": "care_team", "name": "CMP Hellemmes"}).body["id"]
        self.curators = self.ok(201, "POST", "/v1/organisations", {
            "kind": "curator_service", "name": "UDAF du Nord", "phone": "03 20 00 00 34"}).body["id"]
        self.landlord = self.ok(201, "POST", "/v1/organisations", {
            "kind": "landlord", "name": "Lille Métropole Habitat"}).body["id"]
        self.care = db.token_create(self.c, "caregiver", scope=self.team, label="soignant").token
        self.care2 = db.token_create(self.c, "caregiver", scope=self.team2, label="autre équipe").token
        self.curator = db.token_create(self.c, "curator", scope=self.curators, label="mandataire").token
        self.landlord_tok = db.token_create(self.c, "landlord", scope=self.landlord, label="bailleur").token
        self.observer = db.token_create(self.c, "observer", label="observateur").token

    def ok(self, status, method, path, body=None, token=None, headers=None):
        return expect_status(self.d.call(method, path, token=token or self.coord, body=body, headers=headers),
                             status)

    def person(self, family, given, birth, team=None, curator=False):
        body = {"family_name": family, "given_names": given, "birth_date": birth, "care_team_id": team or self.team,
                "address": "5 allée des Peupliers\n59370 Mons-en-Barœul", "confirm_duplicate": True}
        if curator:
            body.update({"protection": "curatelle_renforcee", "curator_org_id": self.curators})
        return self.ok(201, "POST", "/v1/people", body).body["id"]

    def unit(self, label, address, rent=41000):
        return self.ok(201, "POST", "/v1/units", {
            "kind": "hlm_apartment", "label": label, "address": address, "town": TOWN,
            "landlord_org_id": self.landlord, "places": 1, "rent_cents": rent, "charges_cents": 6000,
            "deposit_cents": rent, "status": "available"}).body["id"]

    def application(self, person, situation):
        return self.ok(201, "POST", "/v1/applications", {"person_id": person, "situation": situation,
                                                         "submit": True}).body["id"]

    def letter(self, app, token=None, accept="text/html"):
        return self.d.call("GET", "/v1/applications/%s/decision-letter" % app, token=token or self.coord,
                           headers={"Accept": accept} if accept else None)


def body(suite):
    with Database() as db:
        with Daemon(db, threads=2) as d:
            w = World(d, db)
            s = {}
            letters(suite, w, s)
            agenda_pack(suite, w, s)
            printed(suite, w, s)
            calendar(suite, w, s)
            with suite.case("no response holds SQL or PostgreSQL's words; no 5xx"):
                found = leaks()
                check(not found, "internal details in responses: %s" % [(r.path, word) for r, word in found[:3]])
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
            d.stop()


def letters(suite, w, s):
    with suite.case("setup: the session of 12 March 2026 decides four applications; one waits"):
        people = {k: w.person(*v) for k, v in {
            "alice": ("Martin", "Alice", "1980-02-03"), "chloe": ("Petit", "Chloé", "1990-08-09"),
            "david": ("Durand", "David", "1965-11-12"), "fanny": ("Faure", "Fanny", "1992-10-11")}.items()}
        people["bruno"] = w.person("Bernard", "Bruno", "1971-05-06", curator=True)
        people["zoe"] = w.person("Zeller", "Zoé", "1988-01-02", team=w.team2)
        s["people"] = people
        s["names"] = ["Faure", "Fanny", "Martin", "Alice", "Bernard", "Bruno", "Petit", "Chloé", "Durand", "David", "Zeller", "Zoé",
                      "Leroy", "Ève"]
        apps = {k: w.application(people[k], "Situation de %s : sortie d'hospitalisation" % k)
                for k in ("alice", "bruno", "chloe", "david", "fanny")}
        s["lilas"] = w.unit("Appartement des Lilas", "3 rue Daubenton")
        s["tilleuls"] = w.unit("T2 des Tilleuls", "8 rue des Tilleuls", rent=38000)
        sess = w.ok(201, "POST", "/v1/sessions", {"session_date": SESSION_DAY, "town": TOWN, "place": PLACE,
                                                  "chair_name": CHAIR, "chair_title": CHAIR_TITLE}).body
        sid = s["sid"] = sess["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % sid).body["items"]
        item = {k: [i["id"] for i in items if i["application"]["id"] == a][0] for k, a in apps.items()}
        w.ok(200, "POST", "/v1/sessions/%s/open" % sid)
        w.ok(200, "PUT", "/v1/sessions/%s/attendance" % sid, {"attendees": [
            {"group": "elected_officials", "name": CHAIR, "organisation": "Ville de Mons-en-Barœul"},
            {"group": "care_team", "name": "Dr Anne Roussel", "organisation": "EPSM, secteur 59G21"}]})
        decide = lambda k, **b: w.ok(201, "POST", "/v1/sessions/%s/decisions" % sid,  # noqa: E731
                                     dict(b, agenda_item_id=item[k]))
        decide("alice", outcome="approve", unit_id=s["lilas"])
        decide("bruno", outcome="refuse", refusal_reason="care_project_not_ready",
               comment="Reprendre le projet avec le CMP.")
        decide("chloe", outcome="defer", comment="Attendre le bilan de l'hôpital de jour.")
        decide("fanny", outcome="approve")  # no unit named yet
        agenda = decide("david", outcome="refuse", refusal_reason="no_suitable_unit").body
        david_decision = [i["decision"]["id"] for i in agenda["items"] if i["id"] == item["david"]][0]
        w.ok(200, "POST", "/v1/sessions/%s/close" % sid)
        # After the close, David's refusal is corrected: a unit was free after all.
        w.ok(201, "POST", "/v1/sessions/%s/decisions/%s/corrections" % (sid, david_decision),
             {"outcome": "approve", "unit_id": s["tilleuls"], "comment": "Le T2 des Tilleuls était libre."})
        s["next"] = (today() + datetime.timedelta(days=60)).isoformat()
        w.ok(201, "POST", "/v1/sessions", {"session_date": s["next"], "town": "Hellemmes", "place": "Mairie",
                                           "chair_name": "M. Jean Lefebvre"})
        people["eve"] = w.person("Leroy", "Ève", "1985-04-05")
        apps["eve"] = w.application(people["eve"], "Situation d'Ève")
        apps["zoe"] = w.application(people["zoe"], "Situation de Zoé, suivie à Hellemmes")
        s["apps"] = apps

    common = ["Commission appartement de Mons-en-Barœul", "séance du jeudi 12 mars 2026 à %s (%s)"
              % (html_escaped(TOWN), html_escaped(PLACE)), html_escaped(CHAIR), html_escaped(CHAIR_TITLE),
              "Madame, Monsieur,"]

    def page_of(r):
        expect_status(r, 200)
        check(r.headers.get("content-type") == "text/html; charset=utf-8", "Content-Type is text/html", r)
        page = page_text(r)
        check(page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page, "a French HTML page", r)
        check("@page{size:A4" in page, "the page has its A4 print style")
        for words in common:
            check(words in page, "the letter holds %r" % words)
        check(not ISO_DATE.search(page), "no ISO date in the letter: %s" % ISO_DATE.findall(page)[:3])
        return page

    with suite.case("a refusal letter: the reason in French, how to be heard again, the chair's signature"):
        page = page_of(w.letter(s["apps"]["bruno"]))
        for words in ("Bruno Bernard", "5 allée des Peupliers<br>59370 Mons-en-Barœul",
                      "notification d'une décision de refus",
                      "<strong>Motif :</strong> le projet de soins n'est pas encore prêt.",
                      "Reprendre le projet avec le CMP.", "Être entendu à nouveau",
                      "La prochaine séance est prévue le %s à Hellemmes (Mairie)" % french_date(s["next"], True),
                      "CMP Les Tilleuls &amp; équipe 59G21</strong>, 12 rue Parmentier, Mons-en-Barœul, "
                      "tél. 03 20 00 00 12, courriel cmp.tilleuls@example.org",
                      "Votre mandataire judiciaire", "UDAF du Nord</strong>, tél. 03 20 00 00 34",
                      "Fait à %s, le 12 mars 2026." % html_escaped(TOWN),
                      "le président de séance,<br>%s<br>%s" % (html_escaped(CHAIR), html_escaped(CHAIR_TITLE))):
            check(words in page, "the refusal letter holds %r" % words)
        for raw in ("care_project_not_ready", "refuse", "Dr Anne Roussel", "Alice", "Martin"):
            check(raw not in page, "the refusal letter does not hold %r" % raw)

    with suite.case("a deferral letter says the application stays and when the next session is"):
        page = page_of(w.letter(s["apps"]["chloe"]))
        for words in ("décision d'ajournement", "<strong>ajourner</strong>",
                      "Attendre le bilan de l'hôpital de jour.", "Votre demande reste inscrite",
                      "La prochaine séance est prévue le %s" % french_date(s["next"], True)):
            check(words in page, "the deferral letter holds %r" % words)
        check("mandataire" not in page, "Chloé has no curator: the letter names none")

    with suite.case("an approval letter names the unit and the next steps: move-in, deposit, lease"):
        page = page_of(w.letter(s["apps"]["alice"]))
        valid_until = (datetime.date.fromisoformat(SESSION_DAY) + datetime.timedelta(days=180)).isoformat()
        for words in ("décision d'accord", "Appartement des Lilas", "appartement dans le parc social (HLM)",
                      "3 rue Daubenton, %s" % html_escaped(TOWN), "Lille Métropole Habitat",
                      "410,00\u00a0€ hors charges, charges 60,00\u00a0€", "Entrée dans les lieux.",
                      "dès le 12 mars 2026", "Cet accord vaut jusqu'au %s" % french_date(valid_until),
                      "Dépôt de garantie.", "garantie de 410,00\u00a0€", "Bail."):
            check(words in page, "the approval letter holds %r" % words)
        check("Être entendu" not in page and "Motif" not in page, "an approval has no reason nor appeal")
        page = page_of(w.letter(s["apps"]["fanny"]))
        for words in ("décision d'accord", "vous sera proposé par la coordination", "Entrée dans les lieux.",
                      "le dépôt de garantie ; vous n'avez rien à avancer", "signé avec le bailleur"):
            check(words in page, "an approval without a unit holds %r" % words)
        check("€" not in page and "<table" not in page, "an approval without a unit prints no amount nor unit")

    with suite.case("a decision corrected after the session: the letter notifies the corrected one, and says so"):
        page = page_of(w.letter(s["apps"]["david"]))
        corrected = french_date(today().isoformat())
        for words in ("décision d'accord", "T2 des Tilleuls", "380,00\u00a0€",
                      "En séance, la commission avait d'abord décidé : Refus (motif : aucun logement adapté "
                      "n'est disponible). Cette décision a été rectifiée le %s" % corrected,
                      "Fait à %s, le %s." % (html_escaped(TOWN), corrected)):
            check(words in page, "the corrected letter holds %r" % words)

    with suite.case("no decision yet: 409 invalid-state with the status; unknown 404; malformed id 400"):
        b = expect_problem(w.letter(s["apps"]["eve"]), 409, "invalid-state")
        check(b.get("current_status") == "submitted", "current_status is submitted: %s" % b)
        expect_problem(w.letter("00000000-0000-4000-8000-000000000000"), 404, "not-found")
        expect_problem(w.letter("nope"), 400, "invalid-id", field="path:id")

    with suite.case("HTML only: Accept application/json or text/csv is 406; */* and none get the page"):
        expect_problem(w.letter(s["apps"]["bruno"], accept="application/json"), 406, "not-acceptable")
        expect_problem(w.letter(s["apps"]["bruno"], accept="text/csv"), 406, "not-acceptable")
        for accept in ("*/*", None, "text/html;q=0.2, application/json;q=1"):
            expect_status(w.letter(s["apps"]["bruno"], accept=accept), 200)

    with suite.case("scope: the care team and the curator of the person read it; others 404; landlord, observer 403"):
        expect_status(w.letter(s["apps"]["alice"], token=w.care), 200)
        expect_status(w.letter(s["apps"]["bruno"], token=w.curator), 200)
        expect_problem(w.letter(s["apps"]["alice"], token=w.curator), 404, "not-found")  # not protected
        expect_problem(w.letter(s["apps"]["alice"], token=w.care2), 404, "not-found")    # another team
        expect_problem(w.letter(s["apps"]["alice"], token=w.landlord_tok), 403, "forbidden")
        expect_problem(w.letter(s["apps"]["alice"], token=w.observer), 403, "forbidden")

    with suite.case("reading a letter is recorded in the audit trail with the person it concerns"):
        def entries():
            items = w.ok(200, "GET", "/v1/audit?object=%s&limit=200" % s["apps"]["alice"]).body["items"]
            return [e for e in items if e["route"] == "/v1/applications/{id}/decision-letter" and e["status"] == 200
                    and e["person_id"] == s["people"]["alice"] and e["role"] == "caregiver"]
        found, waited = poll(entries, 10)
        check(found, "no audit entry for the caregiver's reading of Alice's letter after %.1f s" % waited)


def agenda_pack(suite, w, s):
    with suite.case("setup: the next session's agenda holds Chloé (deferred), Ève and Zoé (another team)"):
        sessions = w.ok(200, "GET", "/v1/sessions").body["items"]
        s["next_sid"] = [x["id"] for x in sessions if x["session_date"] == s["next"]][0]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s["next_sid"]).body["items"]
        apps = sorted(i["application"]["id"] for i in items if i["kind"] == "application")
        want = sorted(s["apps"][k] for k in ("chloe", "eve", "zoe"))
        check(apps == want, "the agenda holds Chloé, Ève and Zoé: %s" % apps)
        w.ok(200, "PATCH", "/v1/sessions/%s/agenda/items/%s" % (s["next_sid"], items[0]["id"]),
             {"note": "Présenté par <l'infirmière> du CMP"})

    def pack(token, accept="text/html"):
        r = w.d.call("GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=token, headers={"Accept": accept})
        expect_status(r, 200)
        check(r.headers.get("content-type") == "text/html; charset=utf-8", "the pack is text/html", r)
        return page_text(r)

    def visible_names(token):
        """The names and situations the JSON agenda gives this reader: the pack may show these and no other."""
        items = w.ok(200, "GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=token).body["items"]
        names, situations = set(), set()
        for i in items:
            p = (i.get("application") or {}).get("person")
            if p:
                names |= {p["family_name"], p["given_names"]}
            if (i.get("application") or {}).get("situation"):
                situations.add(i["application"]["situation"])
        return names, situations

    with suite.case("the coordinator's pack: cover page (commission, long date, place, chair), every item in order"):
        page = pack(w.coord)
        for words in ("Commission appartement de Mons-en-Barœul", "Dossier de séance",
                      "Séance du %s" % french_date(s["next"], True), "Hellemmes — Mairie",
                      "Présidence de séance : M. Jean Lefebvre", "Ordre du jour : 3 points",
                      "1. Demande de logement — ", "2. Demande de logement — ", "3. Demande de logement — ",
                      "Chloé Petit", "Ève Leroy", "Zoé Zeller", "Situation de Zoé, suivie à Hellemmes",
                      "Urgence</dt><dd>normale", "Présenté par &lt;l'infirmière&gt; du CMP",
                      "@page{size:A4", "break-after:page"):
            check(words in page, "the coordinator's pack holds %r" % words)
        check(not ISO_DATE.search(page), "no ISO date in the pack: %s" % ISO_DATE.findall(page)[:3])

    with suite.case("each reader's pack shows no more than its JSON agenda: names, situations, birth dates"):
        everyone = {"Petit", "Chloé", "Leroy", "Ève", "Zeller", "Zoé"}
        for label, token in (("care team 1", w.care), ("care team 2", w.care2), ("curator", w.curator),
                             ("landlord", w.landlord_tok)):
            page = pack(token)
            names, situations = visible_names(token)
            shown = {n for n in everyone if n in page}
            check(shown == names & everyone, "%s: the pack shows %s, its JSON %s" % (label, shown, names))
            for text in ("Situation de chloe : sortie d'hospitalisation", "Situation d'Ève",
                         "Situation de Zoé, suivie à Hellemmes"):
                if html_escaped(text) in page:
                    check(text in situations, "%s: the pack shows a situation its JSON hides: %r" % (label, text))
            check("Né(e) le" not in page or bool(names), "%s: a birth date without a name" % label)
        items = w.ok(200, "GET", "/v1/sessions/%s/agenda" % s["next_sid"]).body["items"]
        zoe = 1 + [i["application"]["id"] for i in items].index(s["apps"]["zoe"])
        page = pack(w.care)
        check("Chloé Petit" in page and "Ève Leroy" in page and "Zoé" not in page
              and "Dossier n° %d" % zoe in page, "care team 1 sees its people, Zoé only as Dossier n° %d" % zoe)
        check("Situation d'Ève" in page and "Hellemmes</dd>" not in page, "care team 1 reads its situations only")
        landlord = pack(w.landlord_tok)
        check("Né(e) le" not in landlord and "Situation" not in landlord and "Dossier n° 1" in landlord,
              "the landlord's pack names no one, shows no birth date nor situation")

    with suite.case("JSON stays the default; q-values choose; 406 for neither; the observer 403"):
        for accept in (None, "*/*", "application/json", "text/html;q=0.5, application/json",
                       "application/*, text/html;q=0.9"):
            r = w.d.call("GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=w.coord,
                         headers={"Accept": accept} if accept else None)
            expect_status(r, 200)
            check(r.headers.get("content-type", "").startswith("application/json"), "JSON for Accept %r" % accept, r)
        for accept in ("text/html", "application/json;q=0.1, text/html", "text/*"):
            pack(w.coord, accept=accept)
        expect_problem(w.d.call("GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=w.coord,
                                headers={"Accept": "text/csv"}), 406, "not-acceptable")
        expect_problem(w.d.call("GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=w.observer,
                                headers={"Accept": "text/html"}), 403, "forbidden")


# ---------------------------------------------------------------------------------------------------------------
# Printed by a real browser: Debian's Chromium, headless


def screenshot_dir():
    """Where the screenshots are kept for a human to look at: BUILD/screenshots (the daemon's build directory)."""
    build = os.path.dirname(os.path.dirname(os.path.realpath(os.environ["COMMISSIOND_BIN"])))
    path = os.path.join(build, "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


def chromium(args, html, out):
    """Runs headless Chromium on the page HTML (written to a file) with ARGS; OUT must then exist."""
    exe = shutil.which("chromium")
    if exe is None:
        raise Skip("chromium is not installed (Debian package chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "page.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(html)
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--no-first-run", "--user-data-dir=%s" % os.path.join(tmp, "profile"),
                            "--no-pdf-header-footer"] + args + ["file://" + page],
                           capture_output=True, text=True, timeout=120)
    check(os.path.exists(out) and os.path.getsize(out) > 0,
          "chromium wrote no %s (exit %d): %s" % (out, p.returncode, p.stderr[-800:]))


def png_rows(path):
    """The width, height and rows of grey levels (0..255) of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is a PNG" % path)
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            check(depth == 8 and colour in (2, 6), "an 8-bit RGB(A) PNG")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([sum(line[x * channels:x * channels + 3]) // 3 for x in range(width)])
        prev = line
    return width, height, rows


def inked(rows, threshold=160):
    """The bounding box (left, top, right, bottom) of the dark pixels: where the text is."""
    ys = [y for y, row in enumerate(rows) if min(row) < threshold]
    xs = [x for row in rows for x, v in enumerate(row) if v < threshold]
    return (min(xs), min(ys), max(xs), max(ys)) if ys else None


def pdf_pages(path):
    with open(path, "rb") as f:
        return len(re.findall(rb"/Type\s*/Page\b", f.read()))


def printed(suite, w, s):
    with suite.case("Chromium renders the refusal letter and the agenda pack: inked within the margins, A4 pages"):
        out = screenshot_dir()
        letter = w.letter(s["apps"]["bruno"]).raw.decode("utf-8")
        pack = w.d.call("GET", "/v1/sessions/%s/agenda" % s["next_sid"], token=w.coord,
                        headers={"Accept": "text/html"}).raw.decode("utf-8")
        shots = {}
        for name, html, height in (("refusal-letter", letter, 1123), ("agenda-pack", pack, 1600)):
            png, pdf = os.path.join(out, name + ".png"), os.path.join(out, name + ".pdf")
            for f in (png, pdf):
                if os.path.exists(f):
                    os.unlink(f)
            # 794 x 1123 CSS pixels: an A4 page at 96 dpi (the pack: its cover and the first items)
            chromium(["--window-size=794,%d" % height, "--screenshot=%s" % png], html, png)
            chromium(["--print-to-pdf=%s" % pdf], html, pdf)
            width, height, rows = png_rows(png)
            box = inked(rows)
            check(box is not None, "%s: the screenshot is blank" % name)
            left, top, right, bottom = box
            check(left >= 20 and right <= width - 20, "%s: text runs into the page's edges: %s" % (name, box))
            check(bottom - top > height // 3, "%s: the text covers less than a third of the page: %s" % (name, box))
            shots[name] = (pdf_pages(pdf), box)
            print("     %s: %s (inked %s), %s: %d page(s)" % (name, png, box, pdf, shots[name][0]))
        check(shots["refusal-letter"][0] == 1, "the refusal letter prints on one A4 page: %d" % shots["refusal-letter"][0])
        check(shots["agenda-pack"][0] >= 2, "the pack prints its cover on a page of its own: %d" % shots["agenda-pack"][0])


# ---------------------------------------------------------------------------------------------------------------
# A strict RFC 5545 reader: what the feed must be for a phone to take it


def ics_unescape(value):
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            check(i + 1 < len(value) and value[i + 1] in "\\,;nN", "a lone or unknown escape in %r" % value)
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
            continue
        check(c not in ",;", "an unescaped %r in the TEXT value %r" % (c, value))
        out.append(c)
        i += 1
    return "".join(out)


def ics_parse(raw):
    """The calendar's components as (name, [(property, params, value)]); fails on anything RFC 5545 forbids."""
    check(raw.endswith(b"\r\n"), "the feed ends with CRLF")
    physical = raw[:-2].split(b"\r\n")
    for n, line in enumerate(physical, 1):
        check(b"\n" not in line and b"\r" not in line, "line %d: a bare LF or CR" % n)
        check(len(line) <= 75, "line %d is %d octets (at most 75): %r" % (n, len(line), line))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            raise AssertionError("line %d splits a UTF-8 character: %r" % (n, line))
    logical = []
    for line in physical:
        if line[:1] in (b" ", b"\t"):
            check(logical, "the first line is a continuation")
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack, components = [], []
    for line in (x.decode("utf-8") for x in logical):
        m = re.match(r"^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^:;]*)*):(.*)$", line)
        check(m is not None, "not a content line: %r" % line)
        name, params, value = m.group(1).upper(), m.group(2), m.group(3)
        check(not any(ord(ch) < 32 and ch != "\t" for ch in value), "a control character in %r" % line)
        if name == "BEGIN":
            stack.append((value, []))
        elif name == "END":
            check(stack and stack[-1][0] == value, "END:%s closes %s" % (value, stack[-1][0] if stack else None))
            components.append(stack.pop())
        else:
            check(stack, "a property outside any component: %r" % line)
            stack[-1][1].append((name, params, value))
    check(not stack, "components left open: %s" % [c[0] for c in stack])
    check(len(components) >= 1 and components[-1][0] == "VCALENDAR", "the feed is one VCALENDAR")
    return components


def ics_check(raw):
    """Checks RAW as RFC 5545 and returns (calendar properties, [event properties as dicts of unescaped TEXT])."""
    comps = ics_parse(raw)
    cal = dict((p, v) for p, _, v in comps[-1][1])
    check(cal.get("VERSION") == "2.0", "VERSION:2.0")
    check(cal.get("PRODID"), "PRODID")
    events = []
    for name, props in comps[:-1]:
        check(name == "VEVENT", "only events in the feed: %s" % name)
        names = [p for p, _, _ in props]
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS"):
            check(names.count(required) == 1, "one %s per event: %s" % (required, names))
        e = {}
        for p, params, v in props:
            if p in ("SUMMARY", "LOCATION", "DESCRIPTION"):
                v = ics_unescape(v)
            e[p] = v
            e[p + ";"] = params
        check(re.match(r"^\d{8}T\d{6}Z$", e["DTSTAMP"]), "DTSTAMP is a UTC date-time: %s" % e["DTSTAMP"])
        check(e["DTSTART;"] == ";VALUE=DATE" and re.match(r"^\d{8}$", e["DTSTART"]), "DTSTART is a date")
        check(e.get("DTEND;") == ";VALUE=DATE" and e["DTEND"] > e["DTSTART"], "DTEND a later date")
        check(e["STATUS"] in ("CONFIRMED", "CANCELLED"), "STATUS: %s" % e["STATUS"])
        events.append(e)
    return cal, events


def calendar(suite, w, s):
    long_place = "Salle Pierre-Mauroy; 2e étage, aile « Nord » \\ accès par la cour — près de l'église Saint-Rémi"
    with suite.case("the coordinator issues a calendar token (no scope); with a scope it is 422"):
        r = w.ok(201, "POST", "/v1/tokens", {"role": "calendar", "label": "Agenda des membres"})
        check(r.body["role"] == "calendar" and r.body["scope_org_id"] is None, "a calendar token", r)
        s["cal"], s["cal_id"] = r.body["token"], r.body["id"]
        expect_problem(w.d.call("POST", "/v1/tokens", token=w.coord, body={
            "role": "calendar", "label": "x", "scope_org_id": w.team}), 422, "validation-failed", field="/scope_org_id")
        s["june"] = w.ok(201, "POST", "/v1/sessions", {
            "session_date": "2026-06-18", "town": "Lille", "place": long_place,
            "chair_name": "M. Éric Lévêque-Dubœuf", "chair_title": "Maire"}).body["id"]

    def feed(token, accept=None):
        return w.d.call("GET", "/v1/calendar.ics?token=%s" % token, headers={"Accept": accept} if accept else None)

    with suite.case("the feed validates as RFC 5545: one event per session, dates, places, the chair only"):
        r = expect_status(feed(s["cal"]), 200)
        check(r.headers.get("content-type") == "text/calendar; charset=utf-8", "text/calendar; charset=utf-8", r)
        cal, events = ics_check(r.raw)
        sessions = w.ok(200, "GET", "/v1/sessions").body["items"]
        check(len(events) == len(sessions) == 3, "one event per session: %d events" % len(events))
        by_day = {e["DTSTART"]: e for e in events}
        e = by_day["20260312"]
        check(e["DTEND"] == "20260313", "an all-day event: DTEND the next day")
        check(e["SUMMARY"] == "Commission appartement", "SUMMARY: %r" % e["SUMMARY"])
        check(e["LOCATION"] == "%s, %s" % (PLACE, TOWN), "LOCATION: %r" % e["LOCATION"])
        check(e["DESCRIPTION"] == "Présidence de séance : %s, %s" % (CHAIR, CHAIR_TITLE),
              "DESCRIPTION: %r" % e["DESCRIPTION"])
        check(e["STATUS"] == "CONFIRMED", "a held session is confirmed")
        long = by_day["20260618"]
        check(long["LOCATION"] == "%s, Lille" % long_place, "escaping and folding give back %r" % long["LOCATION"])
        check(b"\r\n " in r.raw, "the long place is folded")
        sid_of = {x["session_date"].replace("-", ""): x["id"] for x in sessions}
        for day, ev in by_day.items():
            check(ev["UID"] == "%s@commissiond" % sid_of[day], "the UID is the session's: %s" % ev["UID"])
        again = ics_check(expect_status(feed(s["cal"]), 200).raw)[1]
        check([x["UID"] for x in again] == [x["UID"] for x in events], "UIDs are stable from fetch to fetch")
        check(cal.get("X-WR-CALNAME") == "Commission appartement de Mons-en-Barœul", "the calendar's name")

    with suite.case("the feed names no person: not the applicants, not the attendees"):
        text = expect_status(feed(s["cal"]), 200).raw.decode("utf-8")
        for name in s["names"] + ["Roussel", "Anne"]:
            check(not re.search(r"\b%s\b" % re.escape(name), text), "the feed holds the name %r" % name)

    with suite.case("a calendar token reads the feed only; another role's token in the URL is 403; none is 401"):
        for path in ("/v1/sessions", "/v1/me", "/v1/sessions/%s" % s["sid"]):
            expect_problem(w.d.call("GET", path, token=s["cal"]), 403, "forbidden")
        for token in (w.coord, w.care, w.observer):
            expect_problem(feed(token), 403, "forbidden")
        expect_problem(w.d.call("GET", "/v1/calendar.ics"), 401, "unauthorized")
        expect_problem(w.d.call("GET", "/v1/calendar.ics", token=s["cal"]), 401, "unauthorized")
        expect_problem(feed("cd_" + "A" * 59), 401, "unauthorized")
        expect_problem(w.d.call("GET", "/v1/calendar.ics?token=%s&x=1" % s["cal"]), 400, "invalid-query")
        expect_problem(feed(s["cal"], accept="application/json"), 406, "not-acceptable")
        expect_status(feed(s["cal"], accept="text/calendar"), 200)

    with suite.case("a cancelled session: its applications wait again, the feed says CANCELLED, the report skips it"):
        yves = w.application(w.person("Yvon", "Yves", "1979-07-07"), "Situation d'Yves")
        w.ok(201, "POST", "/v1/sessions/%s/agenda/items" % s["june"], {"application_id": yves})
        june = w.ok(200, "POST", "/v1/sessions/%s/cancel" % s["june"]).body
        check(june["status"] == "cancelled", "the session is cancelled: %s" % june["status"])
        app = w.ok(200, "GET", "/v1/applications/%s" % yves).body
        check(app["status"] == "submitted", "Yves's application waits again: %s" % app["status"])
        last = w.ok(200, "GET", "/v1/applications/%s/history" % yves).body["items"][-1]
        check((last["from_status"], last["to_status"], last["reason"], last["session_id"])
              == ("scheduled", "submitted", "session cancelled", s["june"]), "the move is recorded: %s" % last)
        check(w.ok(200, "GET", "/v1/sessions/%s/agenda" % s["june"]).body["items"] == [], "its agenda is gone")
        pack = page_text(w.ok(200, "GET", "/v1/sessions/%s/agenda" % s["june"], headers={"Accept": "text/html"}))
        check("Séance annulée." in pack and "Ordre du jour : 0 point " in pack, "the pack says it is cancelled")
        for action in ("open", "cancel", "agenda/build"):
            b = expect_problem(w.d.call("POST", "/v1/sessions/%s/%s" % (s["june"], action), token=w.coord), 409,
                               "invalid-state")
            check(b.get("current_status") == "cancelled", "%s: current_status cancelled" % action)
        expect_problem(w.d.call("POST", "/v1/sessions/%s/cancel" % s["sid"], token=w.coord), 409, "invalid-state")
        events = {e["DTSTART"]: e for e in ics_check(expect_status(feed(s["cal"]), 200).raw)[1]}
        check(events["20260618"]["STATUS"] == "CANCELLED" and events["20260312"]["STATUS"] == "CONFIRMED",
              "the feed: %s" % {k: v["STATUS"] for k, v in events.items()})
        check(events["20260618"]["SEQUENCE"] > "0", "the change raises the event's SEQUENCE")
        report = w.ok(200, "GET", "/v1/reports/activity?from=2026-03-01&to=2026-06-30").body
        check(report["sessions"] == 1, "the report counts the session held, not the cancelled one: %s"
              % report["sessions"])
        listed = w.ok(200, "GET", "/v1/sessions?status=cancelled").body["items"]
        check([x["id"] for x in listed] == [s["june"]], "?status=cancelled lists it")

    with suite.case("revoking the calendar token closes the feed at once"):
        expect_status(feed(s["cal"]), 200)  # cached now
        w.ok(200, "POST", "/v1/tokens/%s/revoke" % s["cal_id"])
        for _ in range(6):  # every worker thread, the very next requests
            expect_problem(feed(s["cal"]), 401, "unauthorized")


if __name__ == "__main__":
    Suite("http-letters").main(body)
