#!/usr/bin/env python3
"""What the README promises of commissiond's options and of its start and stop, over real sockets.

- --max-connections N: N connections are served at once; one more is not served (MHD leaves it unaccepted) until
  one of them closes.
- --per-ip-connections N: N connections from one address; one more from that address is not served (closed), while
  another address (127.0.0.2 on loopback) is.
- --timeout SECONDS: a connection idle that long is closed by the daemon (well before the default 30 s); one that
  keeps sending requests is not.
- Connected as a PostgreSQL superuser, the daemon logs a warning at start-up (row-level security is bypassed); as
  an ordinary role it does not, and serves.
- SIGTERM arriving while clients close their keep-alive connections stops the daemon cleanly, every time (exit 0,
  the "stopped" line): a stop that aborts loses the audit entries still queued. The stop is repeated because what
  it guards against is a race between the workers and the stop (libmicrohttpd's own quiesce, with epoll workers,
  aborted about once in 150 such stops; the daemon now accepts connections itself: src/daemon/acceptor.c).
- A clean stop (SIGTERM) writes the read audit entries still queued: reads made while the audit table is locked
  (so that their entries cannot be written yet) are all in the trail once the daemon has exited 0.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import re
import secrets
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Suite, admin_sql, check, clean_env, expect_status, poll,  # noqa: E402
                     psql_path)

# A connection that is not served gets no answer: how long to listen for one before saying so. A wrongly served
# request is answered in milliseconds; a longer wait only makes the test slower, never wrong.
NOT_SERVED_AFTER = 1.5
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def connect(d, source="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", d.port), timeout=timeout, source_address=(source, 0))


def served(sock, timeout=10):
    """Sends GET /healthz on SOCK; True when the whole HTTP answer comes within TIMEOUT, False when the connection
    is closed or says nothing."""
    sock.settimeout(timeout)
    data = b""
    try:
        sock.sendall(HEALTHZ)
        while True:
            head, sep, rest = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length: *([0-9]+)", head)
            if sep and length and len(rest) >= int(length.group(1)):
                break
            chunk = sock.recv(4096)
            if not chunk:
                return False
            data += chunk
    except (socket.timeout, ConnectionError):
        return False
    if data.startswith(b"HTTP/1.1 503") and b"application/problem+json" in data:
        return False  # refused at the limit: the daemon's prompt 503 (README, --max-connections)
    check(data.startswith(b"HTTP/1.1 200"), "GET /healthz answered %r" % data[:60])
    return True


def closed_by_peer(sock, timeout):
    """Waits up to TIMEOUT for the daemon to close SOCK; the seconds it took, or None if it stayed open."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except ConnectionError:
        pass
    return time.monotonic() - t0


def fresh_served(d, source="127.0.0.1"):
    s = connect(d, source)
    try:
        return served(s, NOT_SERVED_AFTER * 2)
    finally:
        s.close()


def check_limit(d, n, what, meanwhile=None):
    """N connections from 127.0.0.1 are served and kept open; one more is not served; MEANWHILE() (if any) runs
    while the limit is reached; once one of the N closes, a new connection is served again."""
    kept = [connect(d) for _ in range(n)]
    try:
        for i, s in enumerate(kept):
            check(served(s), "connection %d of %d was not served (%s)" % (i + 1, n, what))
        extra = connect(d)
        check(not served(extra, NOT_SERVED_AFTER), "connection %d was served (%s)" % (n + 1, what))
        extra.close()
        if meanwhile is not None:
            meanwhile()
        kept.pop().close()
        again, took = poll(lambda: fresh_served(d), 10, 0.1)
        check(again, "no new connection served %.1f s after one of the %d closed (%s)" % (took, n, what))
        for i, s in enumerate(kept):
            check(served(s), "the kept connection %d is still served (%s)" % (i + 1, what))
    finally:
        for s in kept:
            s.close()


def case_max_connections(suite, db):
    with suite.case("--max-connections 3: three connections are served, a fourth is not until one closes"):
        with Daemon(db, threads=2, max_connections=3, per_ip_connections=0) as d:
            check_limit(d, 3, "--max-connections 3")


def case_per_ip(suite, db):
    with suite.case("--per-ip-connections 2: a third connection from 127.0.0.1 is not served, 127.0.0.2 is"):
        with Daemon(db, threads=2, per_ip_connections=2) as d:
            def other_address():
                other = [connect(d, "127.0.0.2") for _ in range(2)]
                for i, s in enumerate(other):
                    check(served(s), "connection %d from 127.0.0.2 was not served" % (i + 1))
                for s in other:
                    s.close()

            check_limit(d, 2, "--per-ip-connections 2, from 127.0.0.1", other_address)


def case_timeout(suite, db):
    with suite.case("--timeout 2: an idle connection is closed after about 2 s; a busy one stays open"):
        # --header-timeout 30: the watchdog's limit for a request line (10 s by default, counted from the end of the
        # previous request) would otherwise close an idle connection within the 12 s this case waits, and hide a
        # --timeout that does nothing
        with Daemon(db, threads=2, timeout=2, header_timeout=30) as d:
            after_request = connect(d)
            silent = connect(d)
            busy = None
            try:
                check(served(after_request), "the first request was not served")
                t0 = time.monotonic()
                # the daemon's default is 30 s: a close within 12 s is the option's
                took = closed_by_peer(after_request, 12)
                check(took is not None, "a connection idle after a request was still open after 12 s")
                check(took >= 1.0, "an idle connection was closed after %.1f s, before the 2 s timeout" % took)
                took = closed_by_peer(silent, max(0.5, 12 - (time.monotonic() - t0)))
                check(took is not None, "a connection that never sent anything was still open after 12 s")
                # 0.3 s between requests for 4 s: never idle for 2 s, so the same connection serves them all
                busy = connect(d)
                end = time.monotonic() + 4
                n = 0
                while time.monotonic() < end:
                    check(served(busy), "request %d on a busy connection was not served (closed?)" % (n + 1))
                    n += 1
                    time.sleep(0.3)
            finally:
                for s in (after_request, silent, busy):
                    if s is not None:
                        s.close()


STOPS = 40


def case_stop_as_connections_close(suite, db):
    with suite.case("SIGTERM as clients close their connections: %d stops, each exits 0 after \"stopped\"" % STOPS):
        for i in range(STOPS):
            d = Daemon(db, threads=2)
            with d:
                socks = [connect(d) for _ in range(6)]
                for s in socks:
                    check(served(s), "stop %d: a request was not served" % (i + 1))
                for s in socks:
                    s.close()
                d.signal()
                rc = d.wait()
                check(rc == 0, "stop %d of %d: commissiond exited %d, expected 0; last lines: %s"
                      % (i + 1, STOPS, rc, d.lines[-3:]))
                check(any(e.get("msg") == "stopped" for e in d.logs), "stop %d: no \"stopped\" line" % (i + 1))


def superuser_warnings(d):
    return [e for e in d.logs if e.get("level") == "warn" and "superuser" in e.get("msg", "")]


def case_superuser(suite, db):
    with suite.case("connected as a superuser the daemon warns at start-up; as an ordinary role it does not"):
        with Daemon(db, threads=1) as d:
            check(admin_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t",
                  "the tests connect as a superuser")
            check(len(superuser_warnings(d)) == 1, "no (single) superuser warning: %s" % d.lines[:5])
            check(d.logs.index(superuser_warnings(d)[0]) < d.logs.index(d.wait_log(
                lambda e: e.get("msg") == "listening", 1)), "the warning comes before \"listening\"")
        role = "cd_ordinary_%d_%s" % (os.getpid(), secrets.token_hex(3))
        db.sql("CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA public TO %s; "
               "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %s; "
               "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %s" % (role, role, role, role))
        try:
            c = db.commission_create("Commission rôle ordinaire")
            tok = db.token_create(c, "coordinator").token
            with Daemon("%s user=%s" % (db.conninfo, role), threads=1) as d:
                check(not superuser_warnings(d), "a superuser warning for an ordinary role: %s"
                      % superuser_warnings(d))
                r = d.call("GET", "/v1/me", token=tok)
                expect_status(r, 200)
                check(r.body["commission"]["id"] == c, "served as the ordinary role", r)
        finally:
            db.sql("DROP OWNED BY %s; DROP ROLE %s" % (role, role))


def task_count(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


def case_stop_writes_queued_reads(suite, db):
    with suite.case("SIGTERM: the read audit entries still queued are written before the daemon exits"):
        c = db.commission_create("Commission arrêt")
        tok = db.token_create(c, "coordinator").token
        team = db.organisation_create(c, "care_team", "CMP")
        threads = 2
        d = Daemon(db, threads=threads)
        locker = None
        try:
            person = d.call("POST", "/v1/people", token=tok, body={
                "family_name": "Arrêt", "given_names": "Paul", "birth_date": "1970-01-02", "care_team_id": team})
            expect_status(person, 201)
            # Hold a lock on the audit table that the audit thread's insert waits for: the entries of the reads
            # below stay queued in the daemon until the lock goes, which is after SIGTERM.
            locker = subprocess.Popen([psql_path(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name],
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True, env=clean_env())
            locker.stdin.write("BEGIN;\nLOCK TABLE audit_log IN SHARE MODE;\n")
            locker.stdin.flush()
            lock = ("SELECT count(*) FROM pg_locks l JOIN pg_class t ON t.oid = l.relation WHERE t.relname = "
                    "'audit_log' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND l.mode %s AND %s l.granted")
            held, _ = poll(lambda: db.sql(lock % ("= 'ShareLock'", "")) == "1", 10)
            check(held, "the lock on audit_log was not granted within 10 s")
            # A first read, and the audit thread waits for the lock (writing that entry, or chaining the creation's):
            # from then on, the entries of the reads below stay queued until after SIGTERM, whatever the timing.
            first = "stop-first-" + secrets.token_hex(4)
            expect_status(d.call("GET", "/v1/people/%s" % person.body["id"], token=tok,
                                 headers={"X-Request-Id": first}), 200)
            waiting, _ = poll(lambda: db.sql(lock % ("<> 'ShareLock'", "NOT")) != "0", 10)
            check(waiting, "the audit thread did not try to write within 10 s")
            rids = ["stop-%d-%s" % (i, secrets.token_hex(4)) for i in range(20)]
            for x in rids:
                expect_status(d.call("GET", "/v1/people/%s" % person.body["id"], token=tok,
                                     headers={"X-Request-Id": x}), 200)
            rids.append(first)
            written = "SELECT count(*) FROM audit_log WHERE request_id IN (%s)" % ", ".join("'%s'" % x for x in rids)
            check(db.sql(written) == "0", "entries were written while the table was locked")
            tasks = task_count(d.proc.pid)
            d.signal()
            check(d.wait_log(lambda e: e.get("msg") == "stopping", 10) is not None, "no \"stopping\" line")
            # The HTTP workers are gone once the daemon has stopped serving; it then stops the audit thread, which
            # is still waiting for the lock, and must write the queued entries once it can.
            gone, _ = poll(lambda: task_count(d.proc.pid) <= tasks - threads, 10)
            check(gone, "the HTTP worker threads did not stop within 10 s")
            time.sleep(0.3)  # the main thread asks the audit thread to stop (a margin; it never makes this fail)
            check(d.running(), "the daemon exited with its audit entries unwritable")
            locker.stdin.write("COMMIT;\n")
            locker.stdin.close()
            locker.wait(30)
            locker = None
            rc = d.wait(30)
            check(rc == 0, "exit status %s after SIGTERM" % rc)
            check(db.sql(written) == str(len(rids)), "%s of the %d queued read entries were written at the stop"
                  % (db.sql(written), len(rids)))
            check(db.ctl("audit", "verify", check=False).returncode == 0, "audit verify after the stop")
        finally:
            if locker is not None:
                locker.kill()
                locker.wait()
            d.kill()


def body(suite):
    with Database(prefix="cd_http_opts") as db:
        case_max_connections(suite, db)
        case_per_ip(suite, db)
        case_timeout(suite, db)
        case_stop_as_connections_close(suite, db)
        case_superuser(suite, db)
        case_stop_writes_queued_reads(suite, db)


if __name__ == "__main__":
    Suite("http-daemon-options").main(body)
