#!/usr/bin/env python3
"""bench/import's body: files of ROWS rows of people and of units, checked then committed through commissiond,
timed, with the daemon's peak resident memory; then ROWS + 1 rows of the largest allowed, which must be refused.

  import.py ROWS                                      bench/import (its own database and daemon)
  import.py --run URL TOKEN ROWS CARE_TEAM CURATOR    bench/run: one import of ROWS people through a running daemon
                                                      (the dry run, then the commit), as one JSON line with timings
"""
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request

LIMIT = 50000
CSV = {"Content-Type": "text/csv"}


def people(n, care_team="CMP Roubaix", curator="UDAF du Nord", prefix="Nom"):
    lines = ["Nom;Prénom;Date de naissance;Équipe de soins;Mesure de protection;Mandataire;Adresse"]
    start = datetime.date(1940, 1, 1)
    for i in range(n):
        born = start + datetime.timedelta(days=(i * 7919) % 21900)  # spread over 60 years, as real people are
        lines.append("%s%06d;Prénom %d;%s;%s;%s;%s;\"%d rue des Tilleuls\n59100 Roubaix\"" % (
            prefix, i, i, born.strftime("%d/%m/%Y"), care_team, "Curatelle simple" if i % 3 == 0 else "Aucune",
            curator if i % 3 == 0 else "", i))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def units(n):
    lines = ["Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie"]
    for i in range(n):
        lines.append("T%d n° %d;Appartement HLM;%d rue Nationale;Lille;Habitat du Nord;1;%d,%02d €;35,50;450,00" % (
            1 + i % 4, i, i, 300 + i % 400, i % 100))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def post(url, token, body=None, headers=None):
    req = urllib.request.Request(url, data=body if body is not None else b"", method="POST",
                                 headers={"Authorization": "Bearer " + token, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=900) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:2000]


def run(base, token, rows, care_team, curator):
    """bench/run's import: ROWS people (names unlike the generated ones, so none is a duplicate) checked, then
    committed, through the running daemon; prints one JSON line."""
    data = people(rows, care_team, curator, prefix="Importé%d-" % int(time.time()))
    (status, body), check_s = timed(lambda: post(base + "/v1/imports?kind=people", token, data, CSV))
    if status != 201 or body["counts"]["error"]:
        sys.exit("import.py: the dry run answered %d %s" % (status, str(body)[:1000]))
    (status, done), commit_s = timed(lambda: post("%s/v1/imports/%s/commit" % (base, body["id"]), token))
    if status != 200:
        sys.exit("import.py: the commit answered %d %s" % (status, str(done)[:1000]))
    print(json.dumps({"rows": rows, "bytes": len(data), "created": done["counts"]["create"],
                      "dry_run_s": round(check_s, 2), "commit_s": round(commit_s, 2),
                      "rows_per_s": round(rows / (check_s + commit_s), 1)}))


def main():
    if sys.argv[1] == "--run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
        return
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "tests", "http"))
    from harness import Daemon, Database  # noqa: E402
    rows = int(sys.argv[1])
    with Database(prefix="cd_bench_import") as db:
        c = db.commission_create("Bench")
        db.organisation_create(c, "care_team", "CMP Roubaix")
        db.organisation_create(c, "curator_service", "UDAF du Nord")
        db.organisation_create(c, "landlord", "Habitat du Nord")
        coord = db.token_create(c, "coordinator", label="bench").token
        with Daemon(db, threads=2, max_import_body=64 * 1024 * 1024) as d:
            pid = d.proc.pid
            print("rows per file: %d; daemon peak memory at start: %.1f MiB" % (rows, peak_rss_kib(pid) / 1024))
            for kind, data in (("people", people(rows)), ("units", units(rows))):
                r, check_s = timed(lambda: d.call("POST", "/v1/imports?kind=" + kind, token=coord, raw_body=data,
                                                  headers=CSV, timeout=900))
                if r.status != 201 or r.body["counts"]["error"]:
                    sys.exit("bench/import: the dry run of %s answered %d %s" % (kind, r.status, str(r.body)[:500]))
                c_r, commit_s = timed(lambda: d.call("POST", "/v1/imports/%s/commit" % r.body["id"], token=coord,
                                                     timeout=900))
                if c_r.status != 200:
                    sys.exit("bench/import: the commit of %s answered %d %s" % (kind, c_r.status, c_r.text[:500]))
                print("%-7s %6.1f MiB file: dry run %6.1f s, commit %6.1f s (%d created); daemon peak %.1f MiB" % (
                    kind, len(data) / 1048576, check_s, commit_s, c_r.body["counts"]["create"],
                    peak_rss_kib(pid) / 1024))
            over = units(LIMIT + 1)
            r, s = timed(lambda: d.call("POST", "/v1/imports?kind=units", token=coord, raw_body=over, headers=CSV,
                                        timeout=900))
            print("%d rows: %d %s (%.1f s)" % (LIMIT + 1, r.status, r.body.get("detail", "") if isinstance(r.body, dict)
                                                else "", s))
            if r.status != 413:
                sys.exit("bench/import: a file over the row limit was not refused")


if __name__ == "__main__":
    main()
