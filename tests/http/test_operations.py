#!/usr/bin/env python3
"""What an operator's tools rely on: HEAD wherever GET is (same status and headers, no body; uptime checks use
it); 405 with Allow; /metrics with the process's figures, the build, open HTTP connections and the audit backlog;
a listening failure that says why; on a real hot standby (pg_basebackup of the test cluster), /readyz 503 and
writes 503 read-only while reads are served; and a stuck database (a lock held from psql) answered 503 with
Retry-After within --lock-timeout or --statement-timeout, never a hang.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Session, Suite, check, clean_env, daemon_refuses, expect_problem,  # noqa: E402
                     expect_status, http_call, pg_cluster_script, poll, psql_path, run)

ORGS = "/v1/organisations"


def metric(text, name):
    """The value of the sample NAME (with its labels, if any, as written) in the Prometheus text, or None."""
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


class LockHolder:
    """A psql session holding LOCK TABLE on DB until closed: a database that does not answer in time."""

    def __init__(self, db, table):
        self.db = db
        self.proc = subprocess.Popen([psql_path(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=clean_env())
        self.table = table
        # The transaction stays open while psql waits for more input.
        self.proc.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n" % table)
        self.proc.stdin.flush()
        held, _ = poll(lambda: db.sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                      "WHERE c.relname = '%s' AND l.mode = 'AccessExclusiveLock' AND l.granted"
                                      % table) == "1", 10)
        if not held:
            self.close()
            raise AssertionError("psql did not take the lock")

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.db.sql("SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = '%s' AND l.mode = 'AccessExclusiveLock'" % self.table)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Standby:
    """A hot standby of the test cluster: pg_basebackup -R into a directory of its own, started by
    tests/lib/pg-cluster (as the cluster's owner, postgres, when run as root), destroyed on close."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cd-standby-", dir="/tmp")
        backup = [os.path.join(os.environ.get("PG_BINDIR", ""), "pg_basebackup") if os.environ.get("PG_BINDIR")
                  else "pg_basebackup", "-D", os.path.join(self.dir, "data"), "-R", "-X", "stream", "-c", "fast", "--no-sync",
                  "-h", os.environ["PGHOST"], "-p", os.environ["PGPORT"], "-U", os.environ["PGUSER"]]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            backup = ["runuser", "-u", "postgres", "--"] + backup
        try:
            run(backup, timeout=120)
            out = run([pg_cluster_script(), "start", self.dir], timeout=120).stdout
        except Exception:
            self.close()
            raise
        exports = dict(re.findall(r"^export (PGHOST|PGPORT)=(\S+)$", out, re.M))
        self.host, self.port = exports["PGHOST"], exports["PGPORT"]

    def conninfo(self, db):
        return "host=%s port=%s dbname=%s" % (self.host, self.port, db.name)

    def close(self):
        run([pg_cluster_script(), "destroy", self.dir], check=False, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def head_like_get(d, path, token=None):
    g = d.call("GET", path, token=token)
    h = d.call("HEAD", path, token=token)
    check(h.status == g.status, "HEAD %s answers %d, GET %d" % (path, h.status, g.status), h)
    check(h.raw == b"", "HEAD %s has a body: %r" % (path, h.raw[:80]), h)
    for name in ("content-type", "etag", "cache-control", "retry-after"):
        check(h.headers.get(name) == g.headers.get(name),
              "HEAD %s: %s %r, GET: %r" % (path, name, h.headers.get(name), g.headers.get(name)), h)
    if "content-length" in g.headers and path != "/metrics":  # the figures move between two calls
        check(h.headers.get("content-length") == g.headers["content-length"],
              "HEAD %s announces %r bytes, GET sends %r" % (path, h.headers.get("content-length"),
                                                            g.headers["content-length"]), h)
    return h, g


def body(suite):
    with Database() as db:
        commission = db.commission_create("Commission exploitée")
        coord = db.token_create(commission, "coordinator", label="coordination")
        with Daemon(db) as d:
            r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Partenaire"})
            expect_status(r, 201)
            org = r.body["id"]
            team = db.organisation_create(commission, "care_team", "Équipe de secteur")
            r = d.call("POST", "/v1/people", token=coord.token,
                       body={"family_name": "Martin", "given_names": "Paul", "birth_date": "1970-01-02",
                             "care_team_id": team})
            expect_status(r, 201)
            person = r.body["id"]

            with suite.case("HEAD is served wherever GET is: same status and headers, no body"):
                for path, token in (("/healthz", None), ("/readyz", None), ("/metrics", None),
                                    ("/v1/me", coord.token), (ORGS, coord.token), (ORGS + "/" + org, coord.token),
                                    (ORGS + "/00000000-0000-4000-8000-000000000000", coord.token)):
                    head_like_get(d, path, token)
                h, _ = head_like_get(d, ORGS)  # no token: 401 as for GET
                expect_status(h, 401)

            with suite.case("HEAD is logged as HEAD and audited as a read"):
                expect_status(d.call("HEAD", "/v1/people/" + person, token=coord.token), 200)
                d.call("HEAD", ORGS + "/" + org, token=coord.token)
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("method") == "HEAD"
                                   and e.get("route") == "/v1/organisations/{id}", 5)
                check(entry is not None, "no request line for HEAD %s/{id}" % ORGS)
                audited, _ = poll(lambda: db.sql("SELECT action FROM audit_log WHERE method = 'HEAD' AND object_id = '%s'"
                                                 % person), 10)
                check(audited == "read", "HEAD of a person audited as %r" % audited)

            with suite.case("405 names the methods served in Allow (HEAD with GET)"):
                r = d.call("DELETE", ORGS, token=coord.token)
                expect_problem(r, 405, "method-not-allowed")
                allow = [m.strip() for m in r.headers.get("allow", "").split(",")]
                check(sorted(allow) == ["GET", "HEAD", "POST"], "Allow: %r" % r.headers.get("allow"), r)
                r = d.call("POST", "/healthz")
                expect_problem(r, 405, "method-not-allowed")
                check(r.headers.get("allow") == "GET, HEAD", "Allow: %r" % r.headers.get("allow"), r)

            with suite.case("/metrics: process figures, build info, open HTTP connections, audit backlog"):
                with Session(d.port) as s1, Session(d.port) as s2:
                    expect_status(s1.call("GET", "/healthz"), 200)
                    expect_status(s2.call("GET", "/healthz"), 200)
                    text = d.call("GET", "/metrics").raw.decode()
                    check((metric(text, "commissiond_http_connections_open") or 0) >= 3,
                          "two kept-alive connections and this one are not counted open: %r"
                          % metric(text, "commissiond_http_connections_open"))
                    with open("/proc/%d/stat" % d.proc.pid) as f:
                        rss_pages = int(f.read().rsplit(")", 1)[1].split()[21])
                rss = metric(text, "process_resident_memory_bytes")
                check(rss is not None and 0.5 * rss_pages * os.sysconf("SC_PAGESIZE") <= rss
                      <= 2 * rss_pages * os.sysconf("SC_PAGESIZE") and rss > 1 << 20,
                      "process_resident_memory_bytes %r against /proc's %d pages" % (rss, rss_pages))
                fds = metric(text, "process_open_fds")
                real_fds = len(os.listdir("/proc/%d/fd" % d.proc.pid))
                check(fds is not None and abs(fds - real_fds) <= 4, "process_open_fds %r, /proc: %d" % (fds, real_fds))
                check(metric(text, "process_max_fds") is not None, "no process_max_fds")
                cpu = metric(text, "process_cpu_seconds_total")
                check(cpu is not None and cpu >= 0, "process_cpu_seconds_total: %r" % cpu)
                start = metric(text, "process_start_time_seconds")
                check(start is not None and time.time() - 120 < start <= time.time(),
                      "process_start_time_seconds %r is not this test's start" % start)
                version = subprocess.run([os.environ["COMMISSIOND_BIN"], "--version"], capture_output=True,
                                         text=True).stdout.split()
                m = re.search(r'^commissiond_build_info\{version="([^"]+)",schema="(\d+)"\} 1$', text, re.M)
                check(m is not None and m.group(1) == version[1], "build info %r, --version %r"
                      % (m.group(0) if m else None, version))
                check(metric(text, "commissiond_audit_queued") is not None, "no audit backlog gauge")
                text = d.call("GET", "/metrics").raw.decode()
                check((metric(text, "commissiond_http_connections_open") or 99) <= 2,
                      "closed connections still counted open: %r" % metric(text, "commissiond_http_connections_open"))

        with suite.case("a port already taken: `cannot listen` says why"):
            with socket.socket() as taken:
                taken.bind(("127.0.0.1", 0))
                taken.listen(1)
                port = taken.getsockname()[1]
                args = [os.environ["COMMISSIOND_BIN"], "--db", db.conninfo, "--listen", "127.0.0.1:%d" % port]
                p = subprocess.run(args, capture_output=True, text=True, timeout=30, env=clean_env())
                check(p.returncode == 1, "exit %d" % p.returncode)
                check("cannot listen on 127.0.0.1:%d: Address already in use" % port in p.stderr,
                      "the refusal does not say why: %r" % p.stderr)

        with suite.case("--listen [::1]:0 serves IPv6 (only), and logs the IPv6 client"):
            with Daemon(db, listen="[::1]:0") as d:
                expect_status(http_call(d.port, "GET", "/healthz", host="::1"), 200)
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("client") == "::1", 5)
                check(entry is not None, "no request line from ::1")
                try:
                    http_call(d.port, "GET", "/healthz", timeout=2)
                    check(False, "an IPv6 listener answered on 127.0.0.1")
                except OSError:
                    pass

        with suite.case("--statement-timeout and --lock-timeout must be milliseconds"):
            rc, err = daemon_refuses(db, lock_timeout="5s")
            check(rc == 2 and "--lock-timeout" in err, "a bad --lock-timeout: %r %r" % (rc, err))

        with Standby() as standby, Daemon(standby.conninfo(db)) as d:
            with suite.case("on a hot standby (in recovery): /readyz 503 read-only; reads served, writes 503"):
                check(run([psql_path(), "-X", "-A", "-t", "-d", standby.conninfo(db), "-c",
                           "SELECT pg_is_in_recovery()"]).stdout.strip() == "t", "the standby is not in recovery")
                r = d.call("GET", "/readyz")
                expect_problem(r, 503, "read-only")
                check(r.headers.get("retry-after", "").isdigit(), "no Retry-After", r)
                expect_status(d.call("HEAD", "/readyz"), 503)
                r = d.call("GET", ORGS + "/" + org, token=coord.token)
                expect_status(r, 200)
                r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Sur le secours"})
                expect_problem(r, 503, "read-only")
                check(r.headers.get("retry-after", "").isdigit(), "no Retry-After", r)

        with Daemon(db, lock_timeout=500, statement_timeout=0) as d:
            with suite.case("a write behind a lock held from psql: 503 with Retry-After within --lock-timeout"):
                with LockHolder(db, "organisations"):
                    started = time.monotonic()
                    r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Bloqué"},
                               timeout=20)
                    took = time.monotonic() - started
                    expect_problem(r, 503, "service-unavailable")
                    check(r.headers.get("retry-after", "").isdigit(), "no Retry-After", r)
                    check(took < 3, "the 503 took %.1f s with a 0.5 s lock timeout" % took)
                r = d.call("POST", ORGS, token=coord.token, body={"kind": "partner", "name": "Débloqué"})
                expect_status(r, 201)
                check(db.sql("SELECT count(*) FROM organisations WHERE name = 'Bloqué'") == "0",
                      "the refused write left a row")

        with Daemon(db, lock_timeout=0, statement_timeout=700) as d:
            with suite.case("a read stuck behind a lock: 503 within --statement-timeout"):
                with LockHolder(db, "organisations"):
                    started = time.monotonic()
                    r = d.call("GET", ORGS, token=coord.token, timeout=20)
                    took = time.monotonic() - started
                    expect_problem(r, 503, "service-unavailable")
                    check(took < 3, "the 503 took %.1f s with a 0.7 s statement timeout" % took)
                expect_status(d.call("GET", ORGS, token=coord.token), 200)


if __name__ == "__main__":
    Suite("http-operations").main(body)
