#!/usr/bin/env python3
"""The sealed procès-verbal in a real browser (issue 12): Debian's headless Chromium opens a share link (no token,
as from an e-mail), takes a screenshot (PNG) and prints the page to PDF, as a coordinator would ("Enregistrer au
format PDF"). The files are kept in $PV_RENDER_DIR (default: commissiond-pv-render in the temporary directory)
for a person to look
at; the test checks what a machine can: Chromium opened the link without a token, the screenshot is an A4-shaped
PNG that is not blank, and the PDF has pages.

Exit 0: all passed; 1: a failure; 77: skipped (no Chromium: tests/run installs it).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Skip, Suite, case_no_leak_no_5xx, check, expect_status  # noqa: E402

CHROMIUM = shutil.which("chromium")
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi


def chromium(*args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="pv-chromium-") as profile:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--no-first-run", "--user-data-dir=" + profile] + list(args),
                              capture_output=True, text=True, timeout=timeout, check=False)


def png_size_and_colours(path):
    """(width, height, number of distinct grey levels of the first rows) of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    width, height, depth, kind = struct.unpack(">IIBB", data[16:26])
    idat, pos = b"", 8
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos:pos + 8])
        if name == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    channels = {2: 3, 6: 4}.get(kind, 0)
    raw = zlib.decompress(idat) if depth == 8 and channels else b""
    stride = 1 + width * channels
    levels = set()
    for row in range(0, min(height, len(raw) // stride), 7):
        line = raw[row * stride + 1:(row + 1) * stride]  # filtered bytes: enough to tell a blank page
        levels.update(line[::channels * 13])
    return width, height, len(levels)


def body(suite):
    if CHROMIUM is None:
        with suite.case("Debian's chromium is installed"):
            raise Skip("chromium is not installed (tests/run installs it: CD_TEST_PACKAGES)")
        return
    out = os.environ.get("PV_RENDER_DIR") or os.path.join(tempfile.gettempdir(), "commissiond-pv-render")
    os.makedirs(out, exist_ok=True)
    with Database() as db:
        with Daemon(db, threads=2) as d:
            run_cases(suite, d, db, out)
            case_no_leak_no_5xx(suite)
            d.stop()


def run_cases(suite, d, db, out):
    c = db.commission_create("Commission appartement de Mons-en-Barœul")
    team = db.organisation_create(c, "care_team", "Équipe de secteur 59G21")
    coord = db.token_create(c, "coordinator", label="Mme Lucie Caron, coordinatrice").token

    def ok(status, method, path, body=None):
        return expect_status(d.call(method, path, token=coord, body=body), status).body

    s = {}
    with suite.case("setup: a session of 12 March 2026, decided, closed, then corrected (an annex)"):
        unit = ok(201, "POST", "/v1/units", {
            "kind": "hlm_apartment", "label": "Appartement des Lilas", "address": "3 rue Daubenton",
            "town": "Mons-en-Barœul", "landlord_org_id": db.organisation_create(c, "landlord", "LMH"), "places": 1,
            "rent_cents": 41000, "charges_cents": 6000, "deposit_cents": 41000, "status": "available"})["id"]
        for family, given in (("Martin", "Alice"), ("Bernard", "Bruno"), ("Petit", "Chloé")):
            pid = ok(201, "POST", "/v1/people", {"family_name": family, "given_names": given,
                                                 "birth_date": "1980-02-03", "care_team_id": team,
                                                 "protection": "none", "curator_org_id": None,
                                                 "confirm_duplicate": True})["id"]
            ok(201, "POST", "/v1/applications", {"person_id": pid, "situation": "Situation", "submit": True})
        sid = ok(201, "POST", "/v1/sessions", {"session_date": "2026-03-12", "town": "Mons-en-Barœul",
                                                "place": "Salle du conseil municipal, hôtel de ville",
                                                "chair_name": "Mme Claire Dupont",
                                                "chair_title": "Adjointe au maire chargée de la santé"})["id"]
        items = ok(200, "POST", "/v1/sessions/%s/agenda/build" % sid)["items"]
        ok(200, "PUT", "/v1/sessions/%s/attendance" % sid, {"attendees": [
            {"group": "elected_officials", "name": "Mme Claire Dupont", "organisation": "Ville de Mons-en-Barœul"},
            {"group": "care_team", "name": "Dr Anne Roussel", "organisation": "EPSM, secteur 59G21"},
            {"group": "landlords", "name": "M. Paul Masson", "organisation": "Lille Métropole Habitat"}]})
        ok(200, "POST", "/v1/sessions/%s/open" % sid)
        ok(201, "POST", "/v1/sessions/%s/decisions" % sid, {"agenda_item_id": items[0]["id"], "outcome": "approve",
                                                              "unit_id": unit})
        refused = ok(201, "POST", "/v1/sessions/%s/decisions" % sid, {
            "agenda_item_id": items[1]["id"], "outcome": "refuse", "refusal_reason": "care_project_not_ready",
            "comment": "Projet de soins à consolider avec le CMP."})
        ok(200, "POST", "/v1/sessions/%s/close" % sid, {"defer_undecided": True})
        decision = [i for i in refused["items"] if i["id"] == items[1]["id"]][0]["decision"]["id"]
        ok(201, "POST", "/v1/sessions/%s/decisions/%s/corrections" % (sid, decision),
           {"outcome": "defer", "comment": "Erreur de saisie : le dossier avait été ajourné."})
        s["url"] = "http://127.0.0.1:%d%s" % (d.port, ok(201, "POST", "/v1/shares", {
            "path": "/v1/sessions/%s/minutes" % sid, "format": "html"})["url"])

    with suite.case("headless Chromium opens the share link and takes an A4-shaped screenshot that is not blank"):
        png = os.path.join(out, "pv.png")
        if os.path.exists(png):
            os.unlink(png)
        p = chromium("--window-size=%d,%d" % (WIDTH, HEIGHT), "--screenshot=" + png, s["url"])
        check(p.returncode == 0 and os.path.exists(png), "chromium --screenshot: %d %s" % (p.returncode, p.stderr[-800:]))
        width, height, levels = png_size_and_colours(png)
        check((width, height) == (WIDTH, HEIGHT), "the screenshot is %dx%d" % (width, height))
        check(levels > 8, "the screenshot is not blank (%d levels)" % levels)
        print("     screenshot: %s" % png)

    with suite.case("headless Chromium prints the page to PDF: A4 pages, the annex on a page of its own"):
        pdf = os.path.join(out, "pv.pdf")
        if os.path.exists(pdf):
            os.unlink(pdf)
        p = chromium("--no-pdf-header-footer", "--print-to-pdf=" + pdf, s["url"])
        check(p.returncode == 0 and os.path.exists(pdf), "chromium --print-to-pdf: %d %s"
              % (p.returncode, p.stderr[-800:]))
        data = open(pdf, "rb").read()
        pages = len(re.findall(rb"/Type\s*/Page\b", data))
        boxes = {tuple(round(float(x)) for x in m.groups()) for m in
                 re.finditer(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)}
        check(data.startswith(b"%PDF-") and pages >= 2, "a PDF of at least two pages (the annex starts a page): %d"
              % pages)
        check(boxes == {(595, 842)}, "every page is A4 (595x842 pt): %s" % boxes)
        print("     PDF: %s (%d pages)" % (pdf, pages))


if __name__ == "__main__":
    Suite("http-pv-chromium").main(body)
