#!/usr/bin/env python3
"""Importing a commission's spreadsheet (issue 17): files as people have them (Windows-1252 with ';' and decimal
commas, UTF-8 with a byte order mark, quoted line breaks), a dry run that says everything and changes nothing, a
commit of only what was checked (refused when the data changed, all rows or none, a second commit does nothing),
audited; imported deposit history under the balance rule; exports that an empty commission imports back into the
same lists; malformed files refused with the line and column; formulas stored as text and exported neutralised;
the coordinator's only. commissionctl import and export run the same engine.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_problem, expect_status  # noqa: E402

KINDS = ("organisations", "units", "people", "applications", "placements", "deposits")
CSV = {"Content-Type": "text/csv"}


def cp1252(text):
    return text.encode("cp1252")


def bom(text):
    return b"\xef\xbb\xbf" + text.encode("utf-8")


ORGANISATIONS = bom(
    "Nom,Type,Commune,Adresse,Courriel,Téléphone\r\n"
    "Habitat du Nord,Bailleur,Lille,\"12 rue Nationale\r\nBâtiment B\",contact@habitat.example,03 20 00 00 01\r\n"
    "Résidence André Breton,Résidence,Roubaix,,,\r\n"
    "\"CMP Roubaix, secteur 59G21\",Équipe de soins,Roubaix,,,\r\n"
    "UDAF du Nord,Service mandataire,Lille,,,\r\n"
    ",,,,,\r\n")  # a blank line of separators, as spreadsheets write

UNITS = cp1252(
    "Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie\r\n"
    "T2 Nationale;Appartement HLM;3 rue Nationale;Lille;habitat du nord;1;450,00 €;35,5;450,00\r\n"
    "Résidence Breton;Place en résidence;1 avenue André Breton;Roubaix;Résidence André Breton;12;1 234,56;0;300\r\n"
    "\r\n")

PEOPLE = bom(
    "Nom;Prénom;Date de naissance;Équipe de soins;Mesure de protection;Mandataire;Adresse\r\n"
    "Lefèvre;Élise;12/03/1980;CMP Roubaix, secteur 59G21;Curatelle renforcée;UDAF du Nord;\r\n"
    "Martin;Paul;1975-06-30;CMP Roubaix, secteur 59G21;Aucune;;\"chez sa sœur\n2e étage\"\r\n")

APPLICATIONS = bom(
    "Nom;Prénom;Date de naissance;Situation;Types de logement souhaités;Communes souhaitées;Urgence;Statut;"
    "Date de dépôt\r\n"
    "Martin;Paul;30/06/1975;\"Hébergé chez sa sœur ; souhaite un T1\";Appartement HLM, Place en foyer;Lille, Roubaix;"
    "Élevée;Déposée;02/02/2026\r\n")

PLACEMENTS = bom(
    "Nom;Prénom;Date de naissance;Adresse du logement;Commune du logement;Date d'entrée;Bail;Date de sortie;"
    "Motif de sortie;État des lieux conforme;Commentaire de sortie\r\n"
    "Lefèvre;Élise;12/03/1980;3 rue Nationale;Lille;01/09/2020;Bail glissant;31/01/2024;Bail glissé;oui;\r\n"
    "Martin;Paul;30/06/1975;1 avenue André Breton;Roubaix;15/01/2025;Association locataire principale;;;;\r\n")

# Out of date order on purpose: the refund (line 2) comes after the payment and the deduction in time.
DEPOSITS = bom(
    "Nom;Prénom;Date de naissance;Date d'entrée;Opération;Montant;Date;Justification\r\n"
    "Lefèvre;Élise;12/03/1980;01/09/2020;Remboursement;400,00;15/02/2024;\r\n"
    "Lefèvre;Élise;12/03/1980;01/09/2020;Versement;450,00 €;01/09/2020;\r\n"
    "Lefèvre;Élise;12/03/1980;01/09/2020;Retenue;50;10/02/2024;Peinture de la chambre\r\n"
    "Martin;Paul;30/06/1975;15/01/2025;Versement;300;15/01/2025;\r\n")

FILES = dict(zip(KINDS, (ORGANISATIONS, UNITS, PEOPLE, APPLICATIONS, PLACEMENTS, DEPOSITS)))


def check_file(d, token, kind, data, status=201):
    r = d.call("POST", "/v1/imports?kind=" + kind, token=token, raw_body=data, headers=CSV)
    expect_status(r, status)
    return r


def commit(d, token, import_id):
    return d.call("POST", "/v1/imports/%s/commit" % import_id, token=token)


def imported(d, token, kind, data):
    """Checks DATA as KIND, expects no error, commits; returns the dry run's report."""
    r = check_file(d, token, kind, data)
    check(r.body["committable"] and r.body["counts"]["error"] == 0, "%s: the dry run found errors" % kind, r)
    expect_status(commit(d, token, r.body["id"]), 200)
    return r.body


def listing(d, token, path):
    r = d.call("GET", path + ("&" if "?" in path else "?") + "limit=200", token=token)
    expect_status(r, 200)
    return r.body["items"]


def export(d, token, kind):
    r = d.call("GET", "/v1/exports?kind=" + kind, token=token)
    expect_status(r, 200)
    check(r.headers.get("content-type", "").startswith("text/csv"), "an export is text/csv", r)
    return r.raw


def snapshot(db):
    return db.sql("SELECT (SELECT count(*) FROM organisations) || '/' || (SELECT count(*) FROM units) || '/' || "
                  "(SELECT count(*) FROM people) || '/' || (SELECT count(*) FROM applications) || '/' || "
                  "(SELECT count(*) FROM placements) || '/' || (SELECT count(*) FROM deposit_entries) || '/' || "
                  "(SELECT coalesce(sum(version), 0) FROM units) || '/' || (SELECT coalesce(sum(version), 0) "
                  "FROM people)")


def errors_of(report):
    return [e for row in report["rows"] for e in row.get("errors", [])]


def body(suite):
    with Database() as db:
        a = db.commission_create("Commission A")
        b = db.commission_create("Commission B (vide)")
        coord = db.token_create(a, "coordinator", label="coordination A").token
        coord_b = db.token_create(b, "coordinator", label="coordination B").token
        observer = db.token_create(a, "observer", label="observateur").token
        with Daemon(db) as d:
            run(suite, db, d, a, b, coord, coord_b, observer)
        long_import(suite, db)


def people_file(n, prefix):
    lines = ["Nom;Prénom;Date de naissance;Équipe de soins"]
    lines += ["%s%05d;Prénom;%02d/%02d/%d;CMP Long" % (prefix, i, 1 + i % 28, 1 + i % 12, 1950 + i % 40)
              for i in range(n)]
    return ("\r\n".join(lines) + "\r\n").encode()


def long_import(suite, db):
    """A file is one statement of the import (import_rows()): a request's --statement-timeout must not cut it,
    --import-timeout bounds it instead (default 10 minutes)."""
    c = db.commission_create("Commission C (import long)")
    db.organisation_create(c, "care_team", "CMP Long")
    coord = db.token_create(c, "coordinator", label="coordination C").token
    data = people_file(3000, "Long")
    count = "SELECT count(*) FROM people WHERE commission_id = '%s'" % c
    with Daemon(db, statement_timeout=250) as d:
        with suite.case("an import longer than --statement-timeout is checked and committed (--import-timeout)"):
            r = d.call("POST", "/v1/imports?kind=people", token=coord, raw_body=data, headers=CSV, timeout=120)
            expect_status(r, 201)
            check(r.body["counts"]["create"] == 3000, "3 000 people to create", r)
            r = d.call("POST", "/v1/imports/%s/commit" % r.body["id"], token=coord, timeout=120)
            expect_status(r, 200)
            check(db.sql(count) == "3000", "the commit did not create the 3 000 people")
    with Daemon(db, statement_timeout=10000, import_timeout=250) as d:
        with suite.case("an import past --import-timeout: 503 with Retry-After, nothing kept"):
            before = db.sql("SELECT count(*) FROM imports WHERE commission_id = '%s'" % c)
            r = d.call("POST", "/v1/imports?kind=people", token=coord, raw_body=people_file(3000, "Autre"),
                       headers=CSV, timeout=120)
            expect_problem(r, 503, "service-unavailable")
            check(r.headers.get("retry-after", "").isdigit(), "no Retry-After", r)
            check(db.sql("SELECT count(*) FROM imports WHERE commission_id = '%s'" % c) == before,
                  "the refused dry run was kept")
            check(db.sql(count) == "3000", "the refused dry run changed the people")
            expect_status(d.call("GET", "/v1/people?limit=1", token=coord), 200)


def run(suite, db, d, a, b, coord, coord_b, observer):
    with suite.case("a dry run reports every row and changes nothing"):
        before = snapshot(db)
        r = check_file(d, coord, "organisations", ORGANISATIONS)
        rep = r.body
        check(r.headers.get("location") == "/v1/imports/%s" % rep["id"], "Location names the import", r)
        check(rep["status"] == "checked" and rep["kind"] == "organisations", "a checked import", r)
        check(rep["file"]["encoding"] == "utf-8 with byte order mark" and rep["file"]["separator"] == ",",
              "the encoding and separator are detected", r)
        check(rep["counts"] == {"create": 4, "update": 0, "unchanged": 0, "error": 0}, "four rows to create", r)
        check([row["line"] for row in rep["rows"]] == [2, 4, 5, 6], "each row with its line (quoted line break "
              "counted, blank line left out)", r)
        check(snapshot(db) == before, "the dry run changed the data")
        expect_status(commit(d, coord, rep["id"]), 200)
        names = {o["name"]: o for o in listing(d, coord, "/v1/organisations")}
        check(names["Habitat du Nord"]["address"] == "12 rue Nationale\nBâtiment B", "the quoted line break is kept",
              names)
        check(names["CMP Roubaix, secteur 59G21"]["kind"] == "care_team", "a French label read as its code", names)

    with suite.case("Windows-1252 with ';' and decimal commas: amounts in exact cents, landlord by name"):
        rep = imported(d, coord, "units", UNITS)
        check(rep["file"]["encoding"] == "windows-1252" and rep["file"]["separator"] == ";", "detected", rep)
        units = {u["label"]: u for u in listing(d, coord, "/v1/units")}
        t2 = units["T2 Nationale"]
        check((t2["rent_cents"], t2["charges_cents"], t2["deposit_cents"]) == (45000, 3550, 45000), "cents", t2)
        check(units["Résidence Breton"]["rent_cents"] == 123456 and units["Résidence Breton"]["places"] == 12,
              "1 234,56 € is 123456 cents", units)

    with suite.case("a second commit does nothing and says so"):
        r = check_file(d, coord, "units", UNITS)
        check(r.body["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0},
              "the same file again: units matched by address, unchanged", r)
        first = commit(d, coord, r.body["id"])
        expect_status(first, 200)
        check(first.body["already_committed"] is False, "the first commit", first)
        before = snapshot(db)
        again = commit(d, coord, r.body["id"])
        expect_status(again, 200)
        check(again.body["already_committed"] is True and again.body["counts"] == first.body["counts"],
              "the second commit says it was done", again)
        check(snapshot(db) == before, "a second commit changed something")

    with suite.case("people by the duplicate rule, applications, placements and the deposit history"):
        imported(d, coord, "people", PEOPLE)
        people = {p["family_name"]: p for p in listing(d, coord, "/v1/people")}
        check(people["Lefèvre"]["protection"] == "curatelle_renforcee" and people["Lefèvre"]["birth_date"] ==
              "1980-03-12", "a French date and a protection", people)
        check(people["Martin"]["address"] == "chez sa sœur\n2e étage", "a quoted line break", people)
        # The same people written otherwise: case and accents left out; swapped names are a possible duplicate.
        again = check_file(d, coord, "people", bom(
            "nom,prenom,date de naissance,equipe de soins\r\n"
            "LEFEVRE,elise,1980-03-12,CMP Roubaix secteur 59G21\r\n"
            "Paul,Martin,30/06/1975,CMP Roubaix, secteur 59G21\r\n".replace("CMP Roubaix, secteur 59G21",
                                                                             "\"CMP Roubaix, secteur 59G21\"")))
        rows = {row["line"]: row for row in again.body["rows"]}
        check(rows[2]["outcome"] == "update" and rows[2]["id"] == people["Lefèvre"]["id"],
              "LEFEVRE elise is Élise Lefèvre's file (updated: the other columns are empty)", again)
        check(rows[3]["outcome"] == "error" and "duplicate" in rows[3]["errors"][0]["reason"],
              "swapped names are a possible duplicate", again)
        imported(d, coord, "applications", APPLICATIONS)
        waiting = listing(d, coord, "/v1/applications?status=waiting")
        check(len(waiting) == 1 and waiting[0]["urgency"] == "high" and
              waiting[0]["wished_unit_kinds"] == ["hlm_apartment", "foyer_place"], "the waiting list", waiting)
        imported(d, coord, "placements", PLACEMENTS)
        placements = {p["move_in_date"]: p for p in listing(d, coord, "/v1/placements")}
        check(placements["2020-09-01"]["exit_date"] == "2024-01-31", "a historical placement keeps its dates",
              placements)
        rep = imported(d, coord, "deposits", DEPOSITS)
        check(rep["counts"]["create"] == 4, "four entries", rep)
        acc = d.call("GET", "/v1/placements/%s/deposit" % placements["2020-09-01"]["id"], token=coord)
        expect_status(acc, 200)
        check(acc.body["balance_cents"] == 0 and acc.body["paid_cents"] == 45000, "paid, deducted and refunded: "
              "the balance is 0", acc)
        entries = db.sql("SELECT string_agg(entry_date::text, ',' ORDER BY entry_date) FROM deposit_entries")
        check(entries.startswith("2020-09-01"), "entries keep their dates: %s" % entries)

    with suite.case("the deposit balance rule holds on imported history"):
        before = snapshot(db)
        r = check_file(d, coord, "deposits", bom(
            "Nom;Prénom;Date de naissance;Date d'entrée;Opération;Montant;Date\r\n"
            "Martin;Paul;30/06/1975;15/01/2025;Remboursement;500,00;01/03/2025\r\n"))
        err = errors_of(r.body)
        check(r.body["counts"]["error"] == 1 and "negative" in err[0]["reason"] and err[0]["line"] == 2,
              "refunding more than was paid is refused with its line", r)
        check(snapshot(db) == before, "the dry run changed the data")
        expect_problem(commit(d, coord, r.body["id"]), 409, "invalid-state")
        check(snapshot(db) == before, "a refused commit changed the data")

    with suite.case("a commit after the data changed is refused"):
        r = check_file(d, coord, "units", cp1252(
            "Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie\r\n"
            "Studio Gare;Appartement HLM;8 place de la Gare;Lille;Habitat du Nord;1;380;20;380\r\n"))
        check(r.body["counts"]["create"] == 1, "one to create", r)
        unit = listing(d, coord, "/v1/units")[0]
        etag = d.call("GET", "/v1/units/%s" % unit["id"], token=coord).headers["etag"]
        expect_status(d.call("PATCH", "/v1/units/%s" % unit["id"], token=coord, body={"label": "Renommé"},
                             headers={"If-Match": etag}), 200)
        before = snapshot(db)
        c = commit(d, coord, r.body["id"])
        expect_problem(c, 409, "conflict")
        check(c.body.get("changed") == "data", "says the data changed", c)
        check(snapshot(db) == before, "a refused commit changed the data")

    with suite.case("a failing row rolls back every row (commissionctl import)"):
        path = os.path.join(tempfile.mkdtemp(), "placements.csv")
        with open(path, "wb") as f:
            # Two good rows, then Élise in a second home while she lives in the first.
            f.write(bom("Nom;Prénom;Date de naissance;Adresse du logement;Commune du logement;Date d'entrée;Bail;"
                        "Date de sortie;Motif de sortie;État des lieux conforme\n"
                        "Lefèvre;Élise;12/03/1980;1 avenue André Breton;Roubaix;01/03/2024;Bail direct;;;\n"
                        "Martin;Paul;30/06/1975;3 rue Nationale;Lille;01/02/2010;Bail direct;31/12/2015;Autre logement;"
                        "non\n"
                        "Lefèvre;Élise;12/03/1980;3 rue Nationale;Lille;01/05/2026;Bail direct;;;\n"))
        before = snapshot(db)
        p = db.ctl("import", path, "--kind", "placements", "--commission", a, check=False)
        check(p.returncode == 1, "exit 1 when a row fails: %s %s" % (p.stdout, p.stderr))
        check("line 4" in p.stdout and "Nothing was imported" in p.stdout, "the summary names the line:\n" + p.stdout)
        check(snapshot(db) == before, "rows were kept although one failed")
        p = db.ctl("import", path, "--kind", "placements", "--commission", a, "--dry-run", check=False)
        check("Dry run" in p.stdout and "2 to create" in p.stdout, "the dry run's summary:\n" + p.stdout)

    with suite.case("commissionctl import commits, audited; a file imported twice changes nothing"):
        path = os.path.join(tempfile.mkdtemp(), "orgs.csv")
        with open(path, "wb") as f:
            f.write(cp1252("Nom;Type\nGEM L'Écluse;Partenaire\n"))
        p = db.ctl("import", path, "--kind", "organisations", "--commission", a)
        check("1 to create" in p.stdout and "Imported" in p.stdout, p.stdout)
        org = db.sql("SELECT id FROM organisations WHERE name = 'GEM L''Écluse'")
        check(db.sql("SELECT count(*) FROM audit_log WHERE object_id = '%s' AND action = 'create' AND "
                     "route = 'commissionctl import'" % org) == "1", "one audit entry per created object")
        p = db.ctl("import", path, "--kind", "organisations", "--commission", a)
        check("0 to create" in p.stdout and "1 unchanged" in p.stdout, p.stdout)

    with suite.case("the commit is audited: one entry for the import, one per object it created"):
        r = check_file(d, coord, "organisations", bom("Nom,Type\nFoyer Soleil,Résidence\n"))
        expect_status(commit(d, coord, r.body["id"]), 200)
        org = db.sql("SELECT id FROM organisations WHERE name = 'Foyer Soleil'")
        check(db.sql("SELECT count(*) FROM audit_log WHERE object_id = '%s' AND action = 'create' AND route = "
                     "'/v1/imports/{id}/commit'" % org) == "1", "the created organisation's entry")
        check(db.sql("SELECT count(*) FROM audit_log WHERE object_id = '%s' AND route = "
                     "'/v1/imports/{id}/commit'" % r.body["id"]) == "1", "the import's own entry")

    with suite.case("formulas are stored as text and exported neutralised"):
        name = '=HYPERLINK("http://evil.example","Cliquez")'
        imported(d, coord, "organisations", bom('Nom;Type\n"%s";Partenaire\n+33 3 20;Partenaire\n'
                                                % name.replace('"', '""')))
        names = [o["name"] for o in listing(d, coord, "/v1/organisations")]
        check(name in names and "+33 3 20" in names, "stored as text, exactly", names)
        out = export(d, coord, "organisations").decode("utf-8-sig")
        check("'=HYPERLINK" in out, "the export neutralises =", out)
        check("'+33 3 20" in out, "the export neutralises +", out)
        for line in out.splitlines():
            for cell in line.split(";"):
                check(not cell.lstrip('"').startswith(("=", "+", "-", "@")), "a cell starts a formula: " + cell, out)

    with suite.case("an export imported into an empty commission gives the same lists"):
        for kind in KINDS:
            exported = export(d, coord, kind)
            check(exported.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark (for spreadsheets)")
            rep = imported(d, coord_b, kind, exported)
            check(rep["counts"]["update"] == 0 and rep["counts"]["unchanged"] == 0, "all created", rep)
            again = export(d, coord_b, kind)
            check(again == exported, "%s: the export of B differs from A's:\n%s\n---\n%s" % (
                kind, exported.decode("utf-8", "replace"), again.decode("utf-8", "replace")))
        acc_a = sorted((x["balance_cents"], x["paid_cents"]) for x in listing(d, coord, "/v1/deposits"))
        acc_b = sorted((x["balance_cents"], x["paid_cents"]) for x in listing(d, coord_b, "/v1/deposits"))
        check(acc_a == acc_b, "the deposit accounts differ: %s %s" % (acc_a, acc_b))

    with suite.case("malformed files get clear problems naming line and column"):
        before = snapshot(db)
        r = check_file(d, coord, "units", "Libellé;Type\n".encode() + b"T1;Appartement HLM\n\xe9t\xc3\xa9;x\n", 422)
        expect_problem(r, 422, "validation-failed", "")
        check("mixes UTF-8" in r.body["detail"] and r.body["errors"][0]["line"] == 3, "wrong encoding", r)
        r = check_file(d, coord, "organisations", bom("Nom;Type\nA;Bailleur\nB;Bailleur;Lille\n"), 422)
        check(r.body["errors"][0]["line"] == 3 and r.body["errors"][0]["column"] == 3, "a ragged row", r)
        big = bom("Nom;Type\n\"" + "x" * (10 * 1024 * 1024) + "\";Bailleur\n")
        r = check_file(d, coord, "organisations", big, 422)
        check(r.body["errors"][0]["line"] == 2 and r.body["errors"][0]["column"] == 1 and
              "longer than" in r.body["errors"][0]["reason"], "a 10 MB field", r)
        r = check_file(d, coord, "organisations", bom("Nom;Type;Couleur\nA;Bailleur;bleu\n"), 422)
        check(r.body["errors"][0]["column"] == 3 and "Couleur" in r.body["errors"][0]["reason"], "unknown column", r)
        r = check_file(d, coord, "organisations", bom("Nom;Type\n" + "A;Partenaire\n" * 50001), 413)
        expect_problem(r, 413, "body-too-large")
        check("50000" in r.body["detail"], "the row limit is named", r)
        r = check_file(d, coord, "units", cp1252(
            "Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie\r\n"
            "X;Château;1 rue;Lille;Inconnu SA;1;1.234;0;0\r\n"))
        err = {e["header"]: e for e in errors_of(r.body)}
        check(set(err) == {"Type", "Loyer"} and err["Loyer"]["column"] == 7 and "ambiguous" in err["Loyer"]["reason"],
              "each bad cell named with its column", r)
        r = check_file(d, coord, "units", cp1252(
            "Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie\r\n"
            "X;Appartement HLM;1 rue;Lille;Inconnu SA;1;1234;0;0\r\n"))
        check(r.body["unresolved"] == [{"field": "landlord", "value": "Inconnu SA", "lines": [2]}],
              "the unresolved landlord is listed", r)
        expect_problem(d.call("POST", "/v1/imports?kind=units", token=coord, raw_body=b"a;b\n",
                              headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
        expect_problem(d.call("POST", "/v1/imports?kind=rooms", token=coord, raw_body=b"a\n", headers=CSV), 400,
                       "invalid-query", "query:kind")
        check(snapshot(db) == before, "a refused file changed the data")

    with suite.case("the coordinator's only"):
        expect_problem(d.call("POST", "/v1/imports?kind=units", token=observer, raw_body=UNITS, headers=CSV), 403,
                       "forbidden")
        expect_problem(d.call("GET", "/v1/exports?kind=people", token=observer), 403, "forbidden")
        r = check_file(d, coord, "organisations", bom("Nom;Type\nZ;Partenaire\n"))
        expect_problem(commit(d, observer, r.body["id"]), 403, "forbidden")
        expect_problem(commit(d, coord_b, r.body["id"]), 404, "not-found")

    with suite.case("the sample files of deploy/examples import in order, and a second time change nothing"):
        examples = os.path.join(os.environ["COMMISSIOND_SOURCE_ROOT"], "deploy", "examples")
        c = db.commission_create("Commission des exemples")
        for kind in KINDS:
            path = os.path.join(examples, "import-%s.csv" % kind)
            p = db.ctl("import", path, "--kind", kind, "--commission", c, check=False)
            check(p.returncode == 0 and "0 in error" in p.stdout and "Imported" in p.stdout,
                  "%s:\n%s%s" % (path, p.stdout, p.stderr))
        for kind in KINDS:
            p = db.ctl("import", os.path.join(examples, "import-%s.csv" % kind), "--kind", kind, "--commission", c,
                       "--dry-run")
            check("0 to create, 0 to update" in p.stdout, "a second import of %s would change something:\n%s"
                  % (kind, p.stdout))

    with suite.case("commissionctl export writes the same file as the API"):
        path = os.path.join(tempfile.mkdtemp(), "units.csv")
        db.ctl("export", "--kind", "units", "--commission", a, "--out", path)
        with open(path, "rb") as f:
            check(f.read() == export(d, coord, "units"), "the two exports differ")


if __name__ == "__main__":
    Suite("http-import").main(body)
