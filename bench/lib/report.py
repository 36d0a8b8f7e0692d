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
    9: "GET /v1/applications?status=waiting (curator)",
    10: "GET /v1/placements?active=true (50)",
    11: "GET /v1/reviews?status=due (50)",
    12: "GET /v1/incidents?status=open (50)",
    13: "GET /v1/units?status=vacant (50)",
    14: "POST /v1/placements (move-in)",
    15: "POST /v1/sessions/{id}/decisions",
}
WRITES = (6, 14, 15)           # compared with pgbench TPC-B-like; the others with select-only
ONE_RECORD = (1, 2, 3, 4, 6, 14)  # the p99 target at 64 connections
MIB = 1024.0


def run_figures(line):
    w = line["wrk"]
    seconds = w["duration_us"] / 1e6
    lat = w["latency_us"]
    return {
        "scenario": line["scenario"], "name": line["name"], "connections": line["connections"],
        "phase": line["phase"], "round": line.get("round", 1), "requests": w["requests"],
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


def best(results, scenario, rnd=None):
    runs = [r for r in results["runs"] if r["scenario"] == scenario and r["phase"] == "measure"
            and (rnd is None or r.get("round", 1) == rnd)]
    return max(runs, key=lambda r: r["rps"]) if runs else None


def at(results, scenario, connections, phase="measure", rnd=1):
    for r in results["runs"]:
        if (r["scenario"] == scenario and r["connections"] == connections and r["phase"] == phase
                and (phase != "measure" or r.get("round", 1) == rnd)):
            return r
    return None


def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def spread(values):
    v = [x for x in values if x is not None]
    return {"median": round(median(v), 3), "min": min(v), "max": max(v), "n": len(v)} if v else None


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
            if data.get("scale") == want and data.get("stamp") != results.get("stamp") and data.get("version", 1) >= 2:
                return data, path
    return None, None


def evaluate(results, results_dir=None, compare=None):
    """Per round and scenario: the best req/s over the connection counts and its ratio to the floor measured right
    after it in that round (select-only for reads, TPC-B-like for writes); over the rounds, each ratio's median and
    spread, and the floors' median and spread. The targets read the medians."""
    targets = []

    def target(name, value, ok, detail):
        targets.append({"target": name, "value": value, "pass": ok, "detail": detail})

    def ratio(a, b):
        return round(a / b, 4) if a is not None and b else None

    rounds = sorted({r.get("round", 1) for r in results["runs"] if r["phase"] == "measure"}) or [1]
    floor_after = {}
    for x in results.get("pgbench_rounds", []):
        floor_after[(x.get("round", 1), str(x.get("after", x.get("round"))))] = x
    per_round = {}
    for n in SCENARIOS:
        rows = []
        for rnd in rounds:
            b = best(results, n, rnd)
            f = floor_after.get((rnd, str(n)))
            ftps = f["tps"] if f else None
            if ftps is None:  # a results file without rounds: the floor taken before the daemon started
                ftps = ((results["pgbench"].get("tpcb-like" if n in WRITES else "select-only") or {}).get("tps"))
            rows.append({"round": rnd, "rps": b["rps"] if b else None, "floor_tps": ftps,
                         "ratio": ratio(b["rps"] if b else None, ftps)})
        per_round[str(n)] = rows
    figures = {
        "per_round": per_round,
        "best_rps": {n: median(r["rps"] for r in rows) for n, rows in per_round.items()},
        "ratio": {n: spread(r["ratio"] for r in rows) for n, rows in per_round.items()},
        "floors": {},
    }
    for kind in ("select-only", "tpcb-like"):
        tps = [x["tps"] for x in results.get("pgbench_rounds", []) if x["kind"] == kind and x["tps"]]
        start = (results["pgbench"].get(kind) or {}).get("tps")
        figures["floors"][kind] = spread(tps + ([start] if start else []))
    results["figures"] = figures

    def med(n):
        r = figures["ratio"].get(str(n))
        return r["median"] if r else None

    def ratio_target(n, floor, limit):
        r = med(n)
        sp = figures["ratio"].get(str(n))
        target(f"({n}) {SCENARIOS[n]} >= {limit}x {floor}", r, None if r is None else r >= limit,
               f"{figures['best_rps'][str(n)]} req/s" + (f"; ratio over {sp['n']} round(s) {sp['min']:.3f}-"
                                                          f"{sp['max']:.3f}" if sp else ""))

    ratio_target(4, "pgbench select-only", 0.6)
    ratio_target(3, "pgbench select-only", 0.5)
    ratio_target(7, "pgbench select-only", 0.2)
    ratio_target(9, "pgbench select-only", 0.2)
    ratio_target(5, "pgbench select-only", 0.02)
    ratio_target(6, "pgbench TPC-B-like", 0.5)
    for n in ONE_RECORD:
        # The runs at 64 connections (a pool scenario with fewer lines than that ran with as many connections as
        # it had lines: its largest count stands in, and is named).
        measured = [r for r in results["runs"] if r["scenario"] == n and r["phase"] == "measure"
                    and r["connections"] <= 64]
        top = max((r["connections"] for r in measured), default=None)
        runs = [r for r in measured if r["connections"] == top]
        if not runs or not any(r["requests"] for r in runs):
            target(f"({n}) p99 < 20 ms at 64 connections", None, False,
                   f"{SCENARIOS[n]}: no request completed at 64 connections")
            continue
        p99 = max(r["p99_ms"] for r in runs)
        late = sum(r["socket_errors"] for r in runs)
        target(f"({n}) p99 < 20 ms at 64 connections", p99, p99 < 20.0 and late == 0,
               f"{SCENARIOS[n]}: p99 {p99} ms (worst round" + (f", at {top} connections" if top != 64 else "") + ")"
               + (f", {late} socket errors/timeouts" if late else ""))
    other, path = other_scale_result(results, results_dir, compare)
    if other is None:
        target("large set within 1.25x of small set (every scenario)", None, None,
               "needs a run of the other scale in bench/results (or --compare one)")
    else:
        small, large = (results, other) if results["scale"] == "small" else (other, results)
        sb = (small.get("figures") or {}).get("best_rps", {})
        lb = (large.get("figures") or {}).get("best_rps", {})
        for n in SCENARIOS:
            s_, l_ = sb.get(str(n)), lb.get(str(n))
            r = round(s_ / l_, 3) if s_ and l_ else None
            target(f"({n}) large set within 1.25x of small set", r, None if r is None else r <= 1.25,
                   f"{SCENARIOS[n]}: small {s_} req/s ({small.get('stamp')}), large {l_} req/s "
                   f"({large.get('stamp')}); other run: {os.path.basename(path) if path else '?'}")
    peaks = {}
    for c in (64, 256):
        phase = "rss" if c == 256 else "measure"
        runs = [x for x in results["runs"] if x["connections"] == c and x["phase"] == phase]
        peaks[str(c)] = max((x["vmhwm_kib"] for x in runs), default=None)
    figures["peak_rss_kib"] = peaks
    p = peaks.get("256")
    target("peak RSS <= 32 MiB at 256 connections", round(p / MIB, 1) if p else None, p is not None and p <= 32 * MIB,
           f"VmHWM {p} KiB" + ("" if results["meta"].get("hwm_reset", 1) else " (peak not resettable: cumulative)"))
    results["targets"] = targets
    return results


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def print_results(results):
    meta = results["meta"]
    print()
    print(f"commissiond benchmark, {results['scale']} scale, {results['duration_s']} s per run, "
          f"{results.get('rounds', 1)} round(s), {results['machine']['cores']} cores ({results['machine']['cpu']}), "
          f"{results['stamp']}")
    gen = meta.get("generation_s", {})
    rows = meta.get("rows", {})
    print(f"data set: {rows.get('people')} people, {rows.get('placements')} placements, "
          f"{rows.get('deposit_entries')} ledger entries, {rows.get('audit_log')} audit rows, "
          f"{rows.get('database_mb')} MB; generated in {gen.get('total')} s (rows {gen.get('rows')} s, "
          f"audit {gen.get('audit')} s with the checks {gen.get('finish')} s, vacuum {gen.get('vacuum_analyze')} s; {gen.get('cpu', '-')} CPU s)"
          + (" [reused cluster]" if meta.get("reused_cluster") else ""))
    d = meta.get("daemon", {})
    print(f"daemon: --threads {d.get('threads')} (database connections for requests), log level "
          f"{d.get('log_level')}, idle RSS {fmt((d.get('rss_idle_kib') or 0) / MIB, '.1f')} MiB")
    print()
    print(f"{'scenario':<50}{'rnd':>4}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>9}"
          f"{'non-2xx':>8}{'sock err':>9}{'HWM MiB':>8}{'chain lag':>10}")
    for r in results["runs"]:
        if r["phase"] == "warmup":
            continue
        label = f"{r['scenario']} {SCENARIOS[r['scenario']]}" + (" [rss]" if r["phase"] == "rss" else "")
        print(f"{label:<50}{r.get('round', 1) if r['phase'] == 'measure' else '-':>4}{r['connections']:>6}"
              f"{r['rps']:>10.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['requests']:>9}"
              f"{r['non2xx']:>8}{r['socket_errors']:>9}{r['vmhwm_kib'] / MIB:>8.1f}{fmt(r.get('audit_pending'), ''):>10}")
    f = results["figures"]
    print()
    print("ratio to PostgreSQL's floor: best req/s over 1/16/64 connections divided by the floor measured right after")
    print("it in the same round (reads: pgbench select-only; writes: TPC-B-like); median and min-max over the rounds:")
    for n in SCENARIOS:
        rows = f["per_round"].get(str(n)) or []
        if not any(r["rps"] for r in rows):
            continue
        floor = "TPC-B" if n in WRITES else "select-only"
        sp = f["ratio"].get(str(n)) or {}
        each = " ".join(fmt(r["ratio"], ".3f") for r in rows)
        bad = sum(r["non2xx"] + r["socket_errors"] for r in results["runs"]
                  if r["scenario"] == n and r["phase"] == "measure")
        print(f"  {n:>2} {SCENARIOS[n]:<48} {fmt(f['best_rps'].get(str(n)), '9.1f')} req/s  "
              f"{fmt(sp.get('median'), '.3f')}x {floor:<11} (min {fmt(sp.get('min'), '.3f')}, "
              f"max {fmt(sp.get('max'), '.3f')}; rounds: {each})" + (f"  [{bad} non-2xx or socket errors]" if bad else ""))
    for kind, label in (("select-only", "select-only"), ("tpcb-like", "TPC-B-like")):
        sp = f["floors"].get(kind)
        if sp:
            wide = sp["min"] and sp["max"] / sp["min"] > 1.2
            print(f"floor pgbench {label:<12}: median {sp['median']:.0f} tps, min {sp['min']:.0f}, max {sp['max']:.0f} "
                  f"over {sp['n']} measurements" + (" (spread over 20%: the machine's load changed during the run)"
                                                    if wide else ""))
    imp = meta.get("import")
    if imp:
        print(f"import of {imp['rows']} people ({imp['bytes'] / 1048576:.1f} MiB): dry run {imp['dry_run_s']} s, "
              f"commit {imp['commit_s']} s: {imp['rows_per_s']} rows/s")
    pk = f.get("peak_rss_kib", {})
    print(f"peak RSS (VmHWM): {fmt((pk.get('64') or 0) / MIB, '.1f')} MiB at 64 connections, "
          f"{fmt((pk.get('256') or 0) / MIB, '.1f')} MiB at 256 connections")
    print()
    print("targets:")
    for t in results["targets"]:
        state = "n/a " if t["pass"] is None else ("PASS" if t["pass"] else "MISS")
        print(f"  {state}  {t['target']:<58} {fmt(t['value'], '')}  ({t['detail']})")
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
        label = f"{k[0]} {SCENARIOS.get(k[0], '?')}" + (" [rss]" if k[2] == "rss" else "")
        print(f"{label:<46}{k[1]:>6}{fmt(o and o['rps'], '11.1f'):>11}{fmt(n and n['rps'], '11.1f'):>11}"
              f"{change:>9}{fmt(o and o['p99_ms'], '9.2f'):>9}{fmt(n and n['p99_ms'], '9.2f'):>9}")
    for kind in ("select-only", "tpcb-like"):
        o = (((old.get("figures") or {}).get("floors") or {}).get(kind) or {}).get("median") \
            or (old["pgbench"].get(kind) or {}).get("tps")
        n = (((new.get("figures") or {}).get("floors") or {}).get(kind) or {}).get("median") \
            or (new["pgbench"].get(kind) or {}).get("tps")
        print(f"{'pgbench ' + kind + ' (median)':<52}{fmt(o, '11.1f'):>11}{fmt(n, '11.1f'):>11}")
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
    w.add_argument("--rounds", type=int, default=1)
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
                if x.get("after", x.get("round", "start")) == "start":
                    pg[x["kind"]] = x
                else:
                    rounds.append(x)
        root = os.path.dirname(os.path.dirname(os.path.abspath(a.out.rstrip("/"))))
        results = {"version": 2, "stamp": a.stamp, "scale": a.scale, "duration_s": a.duration, "rounds": a.rounds,
                   "machine": machine(),
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
