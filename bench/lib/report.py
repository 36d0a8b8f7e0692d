#!/usr/bin/python3
"""bench/run's figures: assembles a run's results file, prints the table, the ratios to PostgreSQL's floor and the
targets (PASS/MISS), and a side-by-side with an earlier run.

  report.py write --scale S --duration N --stamp T --meta M --runs R --pgbench P --out FILE --results-dir DIR
                  [--compare OLD]
  report.py show FILE [--compare OLD] [--results-dir DIR]
"""
import argparse
import glob
import json
import os
import platform
import subprocess
import sys

SCENARIOS = {
    1: "GET /healthz",
    2: "GET /v1/me",
    3: "GET /v1/people/{id}/status (curator)",
    4: "GET /v1/placements/{id} (landlord)",
    5: "GET /v1/sessions/{id}/agenda (300 items)",
    6: "POST /v1/placements/{id}/deposit/entries",
    7: "GET /v1/applications?status=waiting (50)",
    8: "GET /v1/placements?active=true (landlord, 50)",
}
READS = (1, 2, 3, 4, 5)
WRITE = 6
MIB = 1024.0


def run_figures(line):
    w = line["wrk"]
    seconds = w["duration_us"] / 1e6
    lat = w["latency_us"]
    return {
        "scenario": line["scenario"], "name": line["name"], "connections": line["connections"],
        "phase": line["phase"], "requests": w["requests"],
        "rps": round(w["requests"] / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": lat["p50"] / 1000.0, "p90_ms": lat["p90"] / 1000.0, "p99_ms": lat["p99"] / 1000.0,
        "max_ms": lat["max"] / 1000.0, "mean_ms": round(lat["mean"] / 1000.0, 3),
        "non2xx": w["non2xx"],
        "socket_errors": w["errors_connect"] + w["errors_read"] + w["errors_write"] + w["errors_timeout"],
        "vmhwm_kib": line["vmhwm_kib"], "vmrss_kib": line["vmrss_kib"], "audit_pending": line.get("audit_pending"),
        "bytes_per_response": round(w["bytes"] / w["requests"]) if w["requests"] else 0,
    }


def machine():
    cpu = ""
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release()}


def git_state(root):
    def git(*args):
        try:
            return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": git("rev-parse", "HEAD"), "dirty_src": bool(git("status", "--porcelain", "--", "src", "include",
                                                                       "migrations"))}


def best(results, scenario):
    runs = [r for r in results["runs"] if r["scenario"] == scenario and r["phase"] == "measure"]
    return max(runs, key=lambda r: r["rps"]) if runs else None


def at(results, scenario, connections, phase="measure"):
    for r in results["runs"]:
        if r["scenario"] == scenario and r["connections"] == connections and r["phase"] == phase:
            return r
    return None


def other_scale_result(results, results_dir, compare):
    """The run of the other scale to set the scale target against: the --compare file when it is one, else the
    newest such file in the results directory."""
    want = "large" if results["scale"] == "small" else "small"
    if compare and compare.get("scale") == want:
        return compare, compare.get("_path")
    if results_dir:
        for path in sorted(glob.glob(os.path.join(results_dir, "*.json")), reverse=True):
            try:
                data = json.load(open(path))
            except (OSError, ValueError):
                continue
            if data.get("scale") == want and data.get("stamp") != results.get("stamp"):
                return data, path
    return None, None


def evaluate(results, results_dir=None, compare=None):
    pg = results["pgbench"]
    select = (pg.get("select-only") or {}).get("tps")
    tpcb = (pg.get("tpcb-like") or {}).get("tps")
    targets = []

    def target(name, value, ok, detail):
        targets.append({"target": name, "value": value, "pass": ok, "detail": detail})

    def ratio(a, b):
        return round(a / b, 3) if a is not None and b else None

    b = {n: best(results, n) for n in SCENARIOS}
    rps = {n: (b[n]["rps"] if b[n] else None) for n in SCENARIOS}
    # Each scenario's floor is the one measured right after it (same load), when the run has rounds; else the one
    # measured before the daemon started.
    rounds = {str(x["round"]): x["tps"] for x in results.get("pgbench_rounds", [])}
    floors = {str(n): rounds.get(str(n)) or (tpcb if n == WRITE else select) for n in SCENARIOS}
    ratios = {str(n): ratio(rps[n], floors[str(n)]) for n in SCENARIOS}
    select_rounds = sorted(x["tps"] for x in results.get("pgbench_rounds", []) if x["kind"] == "select-only"
                           and x["tps"])
    results["figures"] = {"best_rps": {str(n): rps[n] for n in SCENARIOS}, "ratio_to_floor": ratios,
                          "floor": {"select_only_tps": select, "tpcb_tps": tpcb}, "floor_of": floors,
                          "select_only_rounds": {"min": select_rounds[0], "median":
                                                 select_rounds[len(select_rounds) // 2], "max": select_rounds[-1]}
                          if select_rounds else None}

    r = ratios["4"]
    target("(4) scoped read >= 0.6x pgbench select-only", r, r is not None and r >= 0.6,
           f"{rps[4]} req/s vs {floors['4']} tps")
    r = ratios["3"]
    target("(3) status check >= 0.4x pgbench select-only", r, r is not None and r >= 0.4,
           f"{rps[3]} req/s vs {floors['3']} tps")
    for n in READS:
        run = at(results, n, 64)
        if run is None or run["requests"] == 0:
            target(f"({n}) p99 < 20 ms at 64 connections", None, False,
                   f"{SCENARIOS[n]}: no request completed during the run")
            continue
        p99 = run["p99_ms"]
        late = run["socket_errors"]
        target(f"({n}) p99 < 20 ms at 64 connections", p99, p99 < 20.0 and late == 0,
               f"{SCENARIOS[n]}: p99 {p99} ms" + (f", {late} socket errors/timeouts" if late else ""))
    r = ratio(rps[2], rps[1])
    target("(2) /v1/me >= 0.7x /healthz", r, r is not None and r >= 0.7, f"{rps[2]} vs {rps[1]} req/s")
    r = ratios["6"]
    target("(6) write >= 0.5x pgbench TPC-B", r, r is not None and r >= 0.5,
           f"{rps[6]} req/s vs {floors['6']} tps")
    r = ratios.get("7")
    if r is not None:
        target("(7) waiting list page >= 0.2x pgbench select-only", r, r >= 0.2,
               f"{rps[7]} req/s vs {floors['7']} tps")
    other, path = other_scale_result(results, results_dir, compare)
    if other is None:
        target("(3) large set within 1.25x of small set", None, None,
               "needs a run of the other scale in bench/results (or --compare one)")
    else:
        small, large = (results, other) if results["scale"] == "small" else (other, results)
        s3 = (small.get("figures") or {}).get("best_rps", {}).get("3")
        l3 = (large.get("figures") or {}).get("best_rps", {}).get("3")
        r = round(s3 / l3, 3) if s3 and l3 else None
        target("(3) large set within 1.25x of small set", r, r is not None and r <= 1.25,
               f"small {s3} req/s ({small.get('stamp')}), large {l3} req/s ({large.get('stamp')}); "
               f"other run: {os.path.basename(path) if path else '?'}")
    peaks = {}
    for c in (64, 256):
        phase = "rss" if c == 256 else "measure"
        runs = [x for x in results["runs"] if x["connections"] == c and x["phase"] == phase]
        peaks[str(c)] = max((x["vmhwm_kib"] for x in runs), default=None)
    results["figures"]["peak_rss_kib"] = peaks
    p = peaks.get("256")
    target("peak RSS < 32 MiB at 256 connections (scenarios 3-6)", round(p / MIB, 1) if p else None, p is not None and p < 32 * MIB,
           f"VmHWM {p} KiB" + ("" if results["meta"].get("hwm_reset", 1) else " (peak not resettable: cumulative)"))
    results["targets"] = targets
    return results


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def print_results(results):
    meta = results["meta"]
    print()
    print(f"commissiond benchmark, {results['scale']} scale, {results['duration_s']} s per run, "
          f"{results['machine']['cores']} cores ({results['machine']['cpu']}), {results['stamp']}")
    gen = meta.get("generation_s", {})
    rows = meta.get("rows", {})
    print(f"data set: {rows.get('people')} people, {rows.get('placements')} placements, "
          f"{rows.get('deposit_entries')} ledger entries, {rows.get('audit_log')} audit rows, "
          f"{rows.get('database_mb')} MB; generated in {gen.get('total')} s "
          f"(tables {gen.get('main')} s, audit {gen.get('audit')} s, vacuum {gen.get('vacuum_analyze')} s)")
    d = meta.get("daemon", {})
    print(f"daemon: --threads {d.get('threads')} (database connections for requests), log level "
          f"{d.get('log_level')}, idle RSS {fmt((d.get('rss_idle_kib') or 0) / MIB, '.1f')} MiB")
    pg = results["pgbench"]
    for kind in ("select-only", "tpcb-like"):
        x = pg.get(kind) or {}
        print(f"pgbench {kind:<12} {x.get('clients')} clients: {fmt(x.get('tps'), '10.1f')} tps, "
              f"latency avg {fmt(x.get('latency_avg_ms'), '.3f')} ms")
    print()
    print(f"{'scenario':<46}{'conns':>6}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}"
          f"{'HWM MiB':>9}{'chain lag':>10}")
    for r in results["runs"]:
        if r["phase"] == "warmup":
            continue
        label = f"{r['scenario']} {SCENARIOS[r['scenario']]}"
        print(f"{label:<46}{r['connections']:>6}{r['rps']:>11.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{r['non2xx']:>9}{r['socket_errors']:>9}{r['vmhwm_kib'] / MIB:>9.1f}{fmt(r.get('audit_pending'), ''):>10}")
    f = results["figures"]
    print()
    print("ratio to PostgreSQL's floor (best req/s over 1/16/64 connections; reads / select-only, write / TPC-B;")
    print("each against the floor measured right after it, when the run has rounds):")
    for n in SCENARIOS:
        if str(n) not in f["best_rps"]:
            continue
        floor = "TPC-B" if n == WRITE else "select-only"
        print(f"  {n} {SCENARIOS[n]:<44} {fmt(f['best_rps'][str(n)], '10.1f')} req/s  "
              f"{fmt(f['ratio_to_floor'][str(n)], '.3f')}x {floor} ({fmt((f.get('floor_of') or {}).get(str(n)), '.0f')} tps)")
    sr = f.get("select_only_rounds")
    if sr:
        print(f"select-only floor over the rounds: min {sr['min']:.0f}, median {sr['median']:.0f}, max {sr['max']:.0f} "
              f"tps (a wide spread: the machine's load changed during the run)")
    pk = f.get("peak_rss_kib", {})
    print(f"peak RSS (VmHWM): {fmt((pk.get('64') or 0) / MIB, '.1f')} MiB at 64 connections, "
          f"{fmt((pk.get('256') or 0) / MIB, '.1f')} MiB at 256 connections")
    print()
    print("targets:")
    for t in results["targets"]:
        state = "n/a " if t["pass"] is None else ("PASS" if t["pass"] else "MISS")
        print(f"  {state}  {t['target']:<46} {fmt(t['value'], '')}  ({t['detail']})")
    print("(chain lag: audit entries not yet chained when the run ended; the next run waits until it is 0)")
    errs = meta.get("daemon_log_errors")
    if errs:
        print(f"note: the daemon logged {errs} error line(s) during the run")


def print_compare(new, old):
    print()
    print(f"side by side: {old.get('stamp')} ({old.get('scale')}) -> {new.get('stamp')} ({new.get('scale')})")
    print(f"{'scenario':<46}{'conns':>6}{'old req/s':>11}{'new req/s':>11}{'change':>9}{'old p99':>9}{'new p99':>9}")
    keys = []
    for r in old["runs"] + new["runs"]:
        k = (r["scenario"], r["connections"], r["phase"])
        if r["phase"] != "warmup" and k not in keys:
            keys.append(k)
    for k in sorted(keys, key=lambda k: (k[2] != "measure", k[0], k[1])):
        o = at(old, k[0], k[1], k[2])
        n = at(new, k[0], k[1], k[2])
        change = f"{(n['rps'] / o['rps'] - 1) * 100:+.1f}%" if o and n and o["rps"] else "-"
        label = f"{k[0]} {SCENARIOS[k[0]]}" + (" [rss]" if k[2] == "rss" else "")
        print(f"{label:<46}{k[1]:>6}{fmt(o and o['rps'], '11.1f'):>11}{fmt(n and n['rps'], '11.1f'):>11}"
              f"{change:>9}{fmt(o and o['p99_ms'], '9.2f'):>9}{fmt(n and n['p99_ms'], '9.2f'):>9}")
    for kind in ("select-only", "tpcb-like"):
        o = (old["pgbench"].get(kind) or {}).get("tps")
        n = (new["pgbench"].get(kind) or {}).get("tps")
        print(f"{'pgbench ' + kind:<52}{fmt(o, '11.1f'):>11}{fmt(n, '11.1f'):>11}")
    for c in ("64", "256"):
        o = (old.get("figures") or {}).get("peak_rss_kib", {}).get(c)
        n = (new.get("figures") or {}).get("peak_rss_kib", {}).get(c)
        print(f"{'peak RSS MiB at ' + c + ' connections':<52}{fmt(o and o / MIB, '11.1f'):>11}"
              f"{fmt(n and n / MIB, '11.1f'):>11}")
    ot = {t["target"]: t for t in old.get("targets", [])}
    print("targets (old -> new):")
    for t in new.get("targets", []):
        o = ot.get(t["target"])
        def state(x):
            return "n/a" if x is None or x["pass"] is None else ("PASS" if x["pass"] else "MISS")
        print(f"  {state(o):>4} -> {state(t):<4} {t['target']}")


def load(path):
    data = json.load(open(path))
    data["_path"] = path
    return data


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    for opt in ("--scale", "--stamp", "--meta", "--runs", "--pgbench", "--out", "--results-dir"):
        w.add_argument(opt, required=True)
    w.add_argument("--duration", type=int, required=True)
    w.add_argument("--compare")
    s = sub.add_parser("show")
    s.add_argument("file")
    s.add_argument("--compare")
    s.add_argument("--results-dir")
    a = ap.parse_args()
    compare = load(a.compare) if a.compare else None
    if a.cmd == "write":
        runs = [run_figures(json.loads(l)) for l in open(a.runs) if l.strip()]
        pg, rounds = {}, []
        for l in open(a.pgbench):
            if l.strip():
                x = json.loads(l)
                if x.get("round", "start") == "start":
                    pg[x["kind"]] = x
                else:
                    rounds.append(x)
        root = os.path.dirname(os.path.dirname(os.path.abspath(a.out.rstrip("/"))))
        results = {"version": 1, "stamp": a.stamp, "scale": a.scale, "duration_s": a.duration, "machine": machine(),
                   "git": git_state(os.path.dirname(root)), "meta": json.load(open(a.meta)), "pgbench": pg,
                   "pgbench_rounds": rounds, "runs": runs}
        evaluate(results, a.results_dir, compare)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out + ".tmp", "w") as f:
            json.dump(results, f, indent=1)
        os.replace(a.out + ".tmp", a.out)
    else:
        results = load(a.file)
        evaluate(results, a.results_dir or os.path.dirname(os.path.abspath(a.file)), compare)
    print_results(results)
    if compare:
        print_compare(results, compare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
