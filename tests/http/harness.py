"""Fixtures for commissiond's HTTP integration tests (Python 3 standard library only).

- Database(): a throwaway database (unique name), migrated with `commissionctl migrate`, dropped at the end
  (DROP DATABASE ... WITH (FORCE)); its helpers run commissionctl (commission_create, organisation_create,
  token_create, token_revoke, ...) and psql (sql()).
- Daemon(db, **opts): `commissiond --listen 127.0.0.1:0 --threads 2` on that database; its stderr (one JSON object
  per line) is collected in a thread; call() sends a request with a fresh connection.
- Session: a keep-alive HTTP connection; RawConn: a raw socket for what http.client cannot do (partial bodies).
- Step / run_scenario(): labelled requests whose saved values ({name}) feed later steps.
- Suite: counts the cases of a test file, prints one line per case and a summary, exits 0 (every case passed),
  1 (a case or the file's fixture failed, or no case ran) or 77 (a case or the file was skipped and none failed).

The environment comes from meson (tests/meson.build) and tests/run: PGHOST, PGPORT, PGUSER (a running PostgreSQL,
superuser, trust), COMMISSIOND_BIN, COMMISSIONCTL_BIN, COMMISSIOND_MIGRATIONS; PG_CLUSTER_DIR for tests that stop
and start the server. A missing variable skips the test (exit 77).
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP = 77
HERE = os.path.dirname(os.path.realpath(__file__))

# Generous: under AddressSanitizer the daemon and commissionctl are several times slower.
STARTUP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0
STOP_TIMEOUT = 20.0

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$")
TOKEN_RE = re.compile(r"^cd_[A-Za-z0-9_-]{59}$")

# Daemon options that the environment could set behind a test's back (read_options() reads them first).
DAEMON_ENV = ("COMMISSIOND_DB", "COMMISSIOND_LISTEN", "COMMISSIOND_THREADS", "COMMISSIOND_MAX_BODY",
              "COMMISSIOND_TIMEOUT", "COMMISSIOND_SHUTDOWN_TIMEOUT", "COMMISSIOND_MAX_CONNECTIONS",
              "COMMISSIOND_PER_IP_CONNECTIONS", "COMMISSIOND_LOG_LEVEL", "COMMISSIOND_AUTH_FAILURE_LIMIT",
              "COMMISSIOND_AUDIT_BACKLOG", "COMMISSIOND_AUDIT_READS", "COMMISSIOND_HEADER_TIMEOUT",
              "COMMISSIOND_BODY_TIMEOUT", "COMMISSIOND_TRUSTED_PROXY", "COMMISSIOND_PROXY_HEADER",
              "COMMISSIOND_STATEMENT_TIMEOUT", "COMMISSIOND_LOCK_TIMEOUT", "COMMISSIOND_IMPORT_TIMEOUT")


class Skip(Exception):
    pass


def env(name):
    value = os.environ.get(name)
    if not value:
        raise Skip("%s is not set" % name)
    return value


def require_env(*extra):
    """Exits 77 (skipped) when a variable the tests need is missing."""
    try:
        for name in ("PGHOST", "PGUSER", "COMMISSIOND_BIN", "COMMISSIONCTL_BIN", "COMMISSIOND_MIGRATIONS") + extra:
            env(name)
        for name in ("COMMISSIOND_BIN", "COMMISSIONCTL_BIN"):
            if not os.access(os.environ[name], os.X_OK):
                raise Skip("%s=%s is not an executable" % (name, os.environ[name]))
        if psql_path() is None:
            raise Skip("psql not found (PG_BINDIR or PATH)")
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(SKIP)


def psql_path():
    bindir = os.environ.get("PG_BINDIR")
    if bindir and os.access(os.path.join(bindir, "psql"), os.X_OK):
        return os.path.join(bindir, "psql")
    return shutil.which("psql")


def pg_cluster_script():
    script = os.environ.get("PG_CLUSTER")
    if script and os.access(script, os.X_OK):
        return script
    return os.path.join(os.path.dirname(HERE), "lib", "pg-cluster")


def clean_env(extra=None):
    e = {k: v for k, v in os.environ.items() if k not in DAEMON_ENV}
    if extra:
        e.update(extra)
    return e


# ---------------------------------------------------------------------------------------------------------------
# Database and commissionctl


class CommandFailed(AssertionError):
    pass


def run(args, check=True, timeout=60, env_extra=None, input=None):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=clean_env(env_extra), input=input)
    if check and p.returncode != 0:
        raise CommandFailed("command %r exited %d\nstdout: %s\nstderr: %s" % (args, p.returncode, p.stdout, p.stderr))
    return p


def admin_sql(query, dbname="postgres"):
    """Runs QUERY with psql on DBNAME (ON_ERROR_STOP); returns the unaligned, tuples-only output."""
    p = run([psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-c", query])
    return p.stdout.rstrip("\n")


class Token(tuple):
    """(token, id), also with .token, .id, .secret (the 43 characters after the selector) and .selector."""

    def __new__(cls, token, token_id):
        return super().__new__(cls, (token, token_id))

    token = property(lambda self: self[0])
    id = property(lambda self: self[1])
    selector = property(lambda self: self[0][3:19])
    secret = property(lambda self: self[0][19:])

    def __str__(self):
        return self[0]


class Database:
    """A uniquely named, migrated database; a context manager that drops it (WITH (FORCE)) at the end."""

    def __init__(self, migrate=True, prefix="cd_http"):
        self.name = "%s_%d_%s" % (prefix, os.getpid(), secrets.token_hex(4))
        self.conninfo = "dbname=%s" % self.name
        self.migrate_on_create = migrate
        self.created = False

    def __enter__(self):
        admin_sql('CREATE DATABASE "%s"' % self.name)
        self.created = True
        try:
            if self.migrate_on_create:
                self.migrate()
        except BaseException:
            self.drop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.drop()
        except CommandFailed as e:
            if exc_type is None:
                raise
            print("warning: could not drop database %s: %s" % (self.name, e), file=sys.stderr)
        return False

    def drop(self, attempts=5):
        """Drops the database; retried for a few seconds (PostgreSQL may be restarting under a lifecycle test)."""
        if not self.created:
            return
        for attempt in range(attempts):
            try:
                admin_sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)
                break
            except CommandFailed:
                if attempt + 1 == attempts:
                    raise
                time.sleep(2)
        self.created = False

    def sql(self, query):
        return admin_sql(query, self.name)

    # commissionctl
    def ctl(self, *args, check=True, timeout=60):
        return run([env("COMMISSIONCTL_BIN"), "--db", self.conninfo] + [str(a) for a in args], check=check,
                   timeout=timeout)

    @staticmethod
    def last_line(p):
        lines = [line for line in p.stdout.splitlines() if line.strip()]
        if not lines:
            raise CommandFailed("no output from %r: stderr %s" % (p.args, p.stderr))
        return lines[-1].strip()

    def migrate(self):
        return self.ctl("migrate")

    def commission_create(self, name):
        return self.last_line(self.ctl("commission", "create", name))

    def organisation_create(self, commission, kind, name):
        return self.last_line(self.ctl("organisation", "create", "--commission", commission, "--kind", kind,
                                       "--name", name))

    def token_create(self, commission, role, scope=None, expires=None, label="t"):
        """Issues a token; returns Token(token, id). The id is the one of the `token <id> (` line."""
        args = ["token", "create", "--commission", commission, "--role", role, "--label", label]
        if scope is not None:
            args += ["--scope", scope]
        if expires is not None:
            args += ["--expires", expires]
        p = self.ctl(*args)
        token = self.last_line(p)
        m = re.search(r"^token ([0-9a-f-]{36}) \(", p.stdout, re.M)
        if not TOKEN_RE.match(token) or m is None:
            raise CommandFailed("unexpected token create output: %r" % p.stdout)
        return Token(token, m.group(1))

    def token_revoke(self, token_id):
        return self.ctl("token", "revoke", str(token_id))


class Cluster:
    """Another PostgreSQL cluster, of its own (tests/lib/pg-cluster in a new directory under /tmp, which the
    postgres user reaches when we are root); a context manager that destroys it. .env holds its PGHOST and PGPORT
    (for run(..., env_extra=cluster.env)), .conninfo(DBNAME) reaches DBNAME there."""

    def __init__(self, prefix="cd-cluster-"):
        self.dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        self.env = {}

    def __enter__(self):
        try:
            p = run([pg_cluster_script(), "start", self.dir], timeout=120)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        exports = dict(re.findall(r"^export (\w+)=(.*)$", p.stdout, re.M))
        self.env = {k: shlex.split(exports[k])[0] for k in ("PGHOST", "PGPORT")}
        return self

    def __exit__(self, *exc):
        run([pg_cluster_script(), "destroy", self.dir], check=False, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def conninfo(self, dbname):
        return "host=%s port=%s dbname=%s" % (self.env["PGHOST"], self.env["PGPORT"], dbname)

    def sql(self, query, dbname="postgres"):
        p = run([psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-c", query],
                env_extra=self.env)
        return p.stdout.rstrip("\n")


# ---------------------------------------------------------------------------------------------------------------
# HTTP

ALL_RESPONSES = []  # every Response of the process, for checks over all bodies
_responses_lock = threading.Lock()


class Response:
    """status, headers (lower-case names), body (parsed JSON, else text); raw (bytes). Unpacks into 3."""

    def __init__(self, status, headers, raw, method="", path="", reason=""):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.method = method
        self.path = path
        self.reason = reason
        self.text = raw.decode("utf-8", "replace")
        ctype = headers.get("content-type", "")
        self.body = self.text
        if "json" in ctype:
            try:
                self.body = json.loads(self.text)
            except ValueError:
                pass
        with _responses_lock:
            ALL_RESPONSES.append(self)

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    @property
    def json(self):
        return self.body

    def __repr__(self):
        return "<%s %s -> %d %s>" % (self.method, self.path, self.status, self.text[:300])


def _headers_dict(pairs):
    out = {}
    for k, v in pairs:
        k = k.lower()
        out[k] = "%s, %s" % (out[k], v) if k in out else v
    return out


def _encode(body, raw_body, headers):
    headers = dict(headers or {})
    if raw_body is not None:
        data = raw_body if isinstance(raw_body, bytes) else raw_body.encode("utf-8")
    elif body is not None:
        data = json.dumps(body).encode("utf-8")
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    else:
        data = None
    return data, headers


def _auth(headers, token):
    if token is not None:
        headers["Authorization"] = "Bearer %s" % token
    return headers


def http_call(port, method, path, token=None, body=None, headers=None, raw_body=None, timeout=HTTP_TIMEOUT,
              host="127.0.0.1"):
    """One request on a fresh connection; returns a Response. headers may hold a value None: not sent."""
    data, hdrs = _encode(body, raw_body, headers)
    hdrs = _auth(hdrs, token)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in hdrs.items():
            if v is not None:
                conn.putheader(k, v)
        if data is not None and not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        raw = resp.read()
        return Response(resp.status, _headers_dict(resp.getheaders()), raw, method, path, resp.reason)
    finally:
        conn.close()


class Session:
    """A keep-alive connection: requests one after another on the same socket."""

    def __init__(self, port, timeout=HTTP_TIMEOUT):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method, path, token=None, body=None, headers=None, raw_body=None):
        data, hdrs = _encode(body, raw_body, headers)
        hdrs = {k: v for k, v in _auth(hdrs, token).items() if v is not None}
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        return Response(resp.status, _headers_dict(resp.getheaders()), raw, method, path, resp.reason)

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class RawConn:
    """A raw TCP connection for requests http.client cannot send (headers without their body, slow uploads)."""

    def __init__(self, port, timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.method = self.path = ""

    def send(self, data):
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        m = re.match(rb"([A-Z]+) (\S+) HTTP/1\.[01]\r\n", data)
        if m:
            self.method, self.path = m.group(1).decode(), m.group(2).decode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, timeout=HTTP_TIMEOUT, method=None, path=None):
        """Reads one response (status line, headers, body by Content-Length or chunks, else until close)."""
        method = self.method if method is None else method
        path = self.path if path is None else path
        self.sock.settimeout(timeout)
        status_line = self._line().decode("latin-1")
        parts = status_line.split(" ", 2)
        status = int(parts[1])
        pairs = []
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            pairs.append((k.strip(), v.strip()))
        headers = _headers_dict(pairs)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raw = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                raw += self._exactly(size)
                self._line()
        elif "content-length" in headers:
            raw = self._exactly(int(headers["content-length"]))
        else:
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            raw, self.buf = self.buf, b""
        return Response(status, headers, raw, method, path, parts[2] if len(parts) > 2 else "")

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def request_head(method, path, headers):
    """The bytes of a request line and headers (no body)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    lines += ["%s: %s" % (k, v) for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---------------------------------------------------------------------------------------------------------------
# The daemon


class DaemonFailed(AssertionError):
    pass


class Daemon:
    """commissiond on DB (a Database or a conninfo), port chosen by the kernel; a context manager.

    Extra options become flags: Daemon(db, max_body=2048) adds `--max-body 2048`; value True adds the bare flag.
    """

    def __init__(self, db, threads=2, start=True, **opts):
        self.conninfo = db.conninfo if isinstance(db, Database) else db
        self.args = [env("COMMISSIOND_BIN"), "--db", self.conninfo, "--listen", "127.0.0.1:0",
                     "--threads", str(threads)]
        # Tests fail authentications on purpose, many per minute: no throttling unless a test asks for it.
        opts.setdefault("auth_failure_limit", 0)
        for k, v in opts.items():
            flag = "--" + k.replace("_", "-")
            self.args += [flag] if v is True else [flag, str(v)]
        self.lines = []  # every stderr line, as text
        self.logs = []   # those that are JSON objects
        self.stdout = []
        self.port = None
        self.proc = None
        self._cond = threading.Condition()
        self._threads = []
        if start:
            self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env())
        for target in (self._read_stderr, self._read_stdout):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        line = self.wait_log(lambda e: e.get("msg") == "listening", STARTUP_TIMEOUT)
        if line is None:
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            raise DaemonFailed("commissiond did not log \"listening\" within %.0f s (exit %s); stderr:\n%s"
                               % (STARTUP_TIMEOUT, self.proc.returncode, "\n".join(self.lines)))
        self.port = int(line["address"].rsplit(":", 1)[1])
        return self

    def _read_stderr(self):
        for raw in self.proc.stderr:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(text)
                try:
                    entry = json.loads(text)
                    if isinstance(entry, dict):
                        self.logs.append(entry)
                except ValueError:
                    pass
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            self.stdout.append(raw.decode("utf-8", "replace"))

    def wait_log(self, predicate, timeout):
        """The first JSON log line satisfying PREDICATE, waiting up to TIMEOUT seconds; None if none came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for entry in self.logs[seen:]:
                    if predicate(entry):
                        return entry
                seen = len(self.logs)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._threads[0].is_alive()):
                    return None
                self._cond.wait(min(left, 0.1))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        rc = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self, expect=0, timeout=STOP_TIMEOUT):
        """SIGTERM, wait; asserts the exit status is EXPECT (None: anything). Returns it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.wait()
            raise DaemonFailed("commissiond did not exit within %.0f s of SIGTERM" % timeout)
        if expect is not None and rc != expect:
            raise DaemonFailed("commissiond exited %s, expected %s; last stderr lines:\n%s"
                               % (rc, expect, "\n".join(self.lines[-30:])))
        self.check_sanitizers()
        return rc

    def check_sanitizers(self):
        """Fails when AddressSanitizer / UndefinedBehaviorSanitizer reported anything on stderr."""
        with self._cond:
            bad = [i for i, line in enumerate(self.lines)
                   if "Sanitizer" in line or "runtime error:" in line or "LeakSanitizer" in line]
            if bad:
                raise DaemonFailed("sanitizer report in commissiond's stderr:\n%s"
                                   % "\n".join(self.lines[bad[0]:bad[0] + 40]))

    def non_json_lines(self):
        """The stderr lines that are not one JSON object with ts, level and msg."""
        out = []
        with self._cond:
            for line in self.lines:
                try:
                    e = json.loads(line)
                    ok = isinstance(e, dict) and all(k in e for k in ("ts", "level", "msg"))
                except ValueError:
                    ok = False
                if not ok:
                    out.append(line)
        return out

    def kill(self):
        if self.running():
            self.proc.kill()
        if self.proc is not None:
            self.wait()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.kill()
        elif self.running():
            self.stop()
        return False

    def call(self, method, path, token=None, body=None, headers=None, raw_body=None, timeout=HTTP_TIMEOUT):
        return http_call(self.port, method, path, token=token, body=body, headers=headers, raw_body=raw_body,
                         timeout=timeout)

    def session(self):
        return Session(self.port)

    def raw(self):
        return RawConn(self.port)

    def log_text(self):
        with self._cond:
            return "\n".join(self.lines)


def daemon_refuses(db, timeout=STARTUP_TIMEOUT, **opts):
    """Runs commissiond on DB expecting it to refuse to start; returns (exit status, stderr text)."""
    conninfo = db.conninfo if isinstance(db, Database) else db
    args = [env("COMMISSIOND_BIN"), "--db", conninfo, "--listen", "127.0.0.1:0", "--threads", "1"]
    for k, v in opts.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=clean_env(), text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, err = p.communicate()
        raise DaemonFailed("commissiond kept running (expected a refusal); stderr:\n%s" % err)
    return p.returncode, err


# ---------------------------------------------------------------------------------------------------------------
# Assertions


class Mismatch(AssertionError):
    pass


def describe(r):
    return "%s %s -> %d\n  headers: %s\n  body: %s" % (r.method, r.path, r.status, r.headers, r.text[:1500])


def json_differences(got, want, path=""):
    """The differences between two JSON values, as readable lines (empty when equal, types included)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = ["%s/%s: missing" % (path, k) for k in want if k not in got]
        out += ["%s/%s: unexpected" % (path, k) for k in got if k not in want]
        for k in want:
            if k in got:
                out += json_differences(got[k], want[k], "%s/%s" % (path, k))
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        out = []
        for i, (g, x) in enumerate(zip(got, want)):
            out += json_differences(g, x, "%s/%d" % (path, i))
        return out
    if got != want or type(got) is not type(want):
        return ["%s: got %r, expected %r" % (path, got, want)]
    return []


def check(cond, message, r=None):
    if not cond:
        raise Mismatch(message + ("\n  " + describe(r) if r is not None else ""))


def expect_status(r, status):
    statuses = status if isinstance(status, (tuple, list, set)) else (status,)
    check(r.status in statuses, "expected status %s, got %d" % (status, r.status), r)
    return r


def expect_problem(r, status, code, field=None, fields=None):
    """R is a problem+json of STATUS and CODE with every member the contract names; FIELD (or every one of
    FIELDS) appears in its errors[].field."""
    expect_status(r, status)
    check(r.headers.get("content-type", "").split(";")[0].strip() == "application/problem+json",
          "Content-Type is not application/problem+json", r)
    b = r.body
    check(isinstance(b, dict), "the body is not a JSON object", r)
    check(b.get("type") == "urn:commissiond:problem:%s" % code, "type is not urn:commissiond:problem:%s" % code, r)
    check(b.get("code") == code, "code is not %s" % code, r)
    check(b.get("status") == status, "status member is not %d" % status, r)
    check(isinstance(b.get("title"), str) and b["title"], "title missing", r)
    check(isinstance(b.get("detail"), str) and b["detail"], "detail missing", r)
    rid = r.headers.get("x-request-id")
    check(rid is not None and b.get("request_id") == rid, "request_id does not equal the X-Request-Id header", r)
    check(r.headers.get("cache-control") == "no-store", "no Cache-Control: no-store", r)
    check(r.headers.get("x-content-type-options") == "nosniff", "no X-Content-Type-Options: nosniff", r)
    wanted = ([field] if field is not None else []) + list(fields or [])
    if wanted:
        errs = b.get("errors")
        check(isinstance(errs, list) and all(isinstance(e, dict) and isinstance(e.get("field"), str)
                                             and isinstance(e.get("reason"), str) and e["reason"]
                                             for e in errs),
              "errors is not a list of {field, reason}", r)
        got = [e["field"] for e in errs]
        for f in wanted:
            check(f in got, "errors[].field does not name %s (got %s)" % (f, got), r)
    if status == 401:
        check(r.headers.get("www-authenticate", "").startswith("Bearer"), "no WWW-Authenticate: Bearer", r)
    if status == 405:
        check("allow" in r.headers, "no Allow header", r)
    return b


def error_fields(r):
    return [e.get("field") for e in (r.body.get("errors") or [])] if isinstance(r.body, dict) else []


LEAK_WORDS = ("SQL", "postgres", "Postgres", "ERROR:", "syntax", "SQLSTATE", "libpq", ".c:")


def leaks(responses=None):
    """The responses whose body holds an internal detail (SQL, PostgreSQL's words), as (response, word)."""
    found = []
    for r in ALL_RESPONSES if responses is None else responses:
        # next_cursor is opaque base64url, and so are the random parts of tokens and share links: any three letters
        # can turn up in them by chance (seen: a share's url holding "SQL"); runs of 20 or more base64url
        # characters are such values, never words of an error message
        text = re.sub(r'"next_cursor":\s*"[^"]*"', "", r.text)
        text = re.sub(r"[A-Za-z0-9_-]{20,}", " ", text)
        for w in LEAK_WORDS:
            if w in text:
                found.append((r, w))
    return found


def case_no_leak_no_5xx(suite):
    """The closing case of a scenario: no response so far held an internal detail or was a 5xx."""
    with suite.case("no response holds SQL or PostgreSQL's words; no 5xx"):
        found = leaks()
        check(not found, "internal details in responses: %s" % found[:3])
        bad = [r for r in ALL_RESPONSES if r.status >= 500]
        check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))


def poll(fn, timeout, interval=0.05):
    """Calls FN every INTERVAL until it returns a true value or TIMEOUT passes; returns (value, elapsed)."""
    start = time.monotonic()
    while True:
        value = fn()
        elapsed = time.monotonic() - start
        if value or elapsed >= timeout:
            return value, elapsed
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------------------------
# Scenarios: labelled steps


class Step:
    """One labelled request. PATH, BODY, HEADERS and TOKEN may refer to saved values as {name}.

    token: a name in the scenario's tokens (or a literal token); expect: a status or a tuple of them;
    problem: the expected problem code (then expect_problem() is checked, with field); check: a function of the
    Response that returns a false value or raises to fail; save: {name: where}, where is a member name of the body
    ("id", or a path "scope/id"), or "header:etag" for a header.
    """

    def __init__(self, label, method, path, token=None, body=None, expect=200, check=None, save=None,
                 headers=None, raw_body=None, problem=None, field=None):
        self.label, self.method, self.path, self.token = label, method, path, token
        self.body, self.expect, self.check, self.save = body, expect, check, save or {}
        self.headers, self.raw_body, self.problem, self.field = headers, raw_body, problem, field


class ScenarioFailed(AssertionError):
    pass


_VAR = re.compile(r"\{(\w+)\}")


def substitute(value, saved):
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(saved[m.group(1)]) if m.group(1) in saved else m.group(0), value)
    if isinstance(value, dict):
        return {substitute(k, saved): substitute(v, saved) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [substitute(v, saved) for v in value]
    return value


def _extract(r, where):
    if where.startswith("header:"):
        return r.headers.get(where[7:].lower())
    value = r.body
    for part in where.split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def run_scenario(daemon, steps, tokens=None, saved=None, verbose=False):
    """Runs STEPS in order against DAEMON; returns the saved values. Raises ScenarioFailed at the first failure,
    naming the step's label, its request, the expected and actual status and the response body."""
    tokens = tokens or {}
    saved = dict(saved or {})
    for step in steps:
        path = substitute(step.path, saved)
        body = substitute(step.body, saved)
        headers = substitute(step.headers, saved)
        token = tokens.get(step.token, step.token) if step.token is not None else None
        token = substitute(token, saved)
        r = daemon.call(step.method, path, token=token, body=body, headers=headers, raw_body=step.raw_body)
        try:
            if step.problem is not None:
                expect_problem(r, step.expect, step.problem, field=step.field)
            else:
                expect_status(r, step.expect)
            if step.check is not None:
                ok = step.check(r)
                check(ok is None or ok, "check failed", r)
            for name, where in step.save.items():
                saved[name] = _extract(r, where)
        except (AssertionError, KeyError, IndexError, TypeError) as e:
            raise ScenarioFailed(
                "step %r failed: %s %s%s\n  request headers: %s\n  request body: %s\n  expected %s, got %d\n"
                "  response headers: %s\n  response body: %s\n  (%s: %s)"
                % (step.label, step.method, path, " (token %s)" % step.token if step.token else "", headers,
                   json.dumps(body) if body is not None else step.raw_body, step.expect, r.status, r.headers,
                   r.text[:2000], type(e).__name__, e)) from None
        if verbose:
            print("  step %-40s %s %s -> %d" % (step.label, step.method, path, r.status))
    return saved


# ---------------------------------------------------------------------------------------------------------------
# Test files


class Suite:
    """The cases of one test file. `with suite.case("name"):` runs a block as one case (an exception fails it, a
    Skip skips it, and the file goes on); suite.main(fn) runs the file's body and exits with status():
    a failure always wins over a skip, and a file that ran no case fails."""

    def __init__(self, name):
        self.name = name
        self.passed = []
        self.failed = []
        self.skipped = []
        self.started = time.monotonic()

    @contextlib.contextmanager
    def case(self, name):
        t0 = time.monotonic()
        try:
            yield
        except Skip as e:
            self.skipped.append(name)
            print("SKIP %s: %s" % (name, e))
        except Exception as e:  # noqa: BLE001 - every failure is reported, the file goes on
            self.failed.append(name)
            print("FAIL %s (%.2f s)" % (name, time.monotonic() - t0))
            if isinstance(e, (Mismatch, ScenarioFailed, CommandFailed, DaemonFailed)):
                print("     " + str(e).replace("\n", "\n     "))
            else:
                print("     " + traceback.format_exc().replace("\n", "\n     "))
        else:
            self.passed.append(name)
            print("ok   %s (%.2f s)" % (name, time.monotonic() - t0))
        sys.stdout.flush()

    def status(self):
        """0 every case passed; 1 a case or the fixture failed, or no case ran at all; 77 skipped (none failed)."""
        if self.failed:
            return 1
        if self.skipped:
            return SKIP
        return 0 if self.passed else 1

    def main(self, body, needs=()):
        require_env(*needs)
        try:
            body(self)
        except Skip as e:  # the rest of the file is skipped; what ran before still counts
            self.skipped.append("(rest of the file: %s)" % e)
            print("SKIP the rest of %s: %s" % (self.name, e))
        except Exception:  # noqa: BLE001 - a broken fixture fails the file
            self.failed.append("(fixture)")
            print("FAIL fixture of %s\n%s" % (self.name, traceback.format_exc()))
        if not (self.passed or self.failed or self.skipped):
            print("FAIL %s ran no case" % self.name)
        print("%s: %d cases ok, %d failed%s, %d skipped%s (%.1f s)" % (
            self.name, len(self.passed), len(self.failed),
            (": " + "; ".join(self.failed)) if self.failed else "", len(self.skipped),
            (": " + "; ".join(self.skipped)) if self.skipped else "", time.monotonic() - self.started))
        sys.stdout.flush()
        sys.exit(self.status())


# ---------------------------------------------------------------------------------------------------------------
# What PostgreSQL refused, and requests from another loopback address


def sql_refusal(dbname, query):
    """Runs QUERY with psql on DBNAME expecting PostgreSQL to refuse it; returns (sqlstate, constraint, message) of
    the error (constraint None when the error names none). Raises Mismatch when the query succeeds."""
    p = run([psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-d", dbname,
             "-c", query], check=False)
    if p.returncode == 0:
        raise Mismatch("PostgreSQL accepted: %s" % query)
    error = re.search(r"^(?:psql:[^\n]*?)?ERROR:  ([0-9A-Z]{5}): (.*)$", p.stderr, re.M)
    if error is None:
        raise Mismatch("psql failed without a PostgreSQL error (exit %d): %s" % (p.returncode, p.stderr))
    constraint = re.search(r"^CONSTRAINT NAME:  (\S+)$", p.stderr, re.M)
    return error.group(1), constraint.group(1) if constraint else None, error.group(2)


def raw_from(source, port, timeout=HTTP_TIMEOUT):
    """A RawConn to the daemon whose socket is bound to the loopback address SOURCE (127.0.0.2, ...): the daemon
    sees another client address."""
    c = RawConn.__new__(RawConn)
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    c.buf = b""
    c.method = c.path = ""
    return c


def call_from(source, port, method, path, token=None, headers=None, timeout=HTTP_TIMEOUT, body=None):
    """One request (BODY: a JSON value, or None) from the loopback address SOURCE, on a fresh connection; returns the
    Response."""
    data, hdrs = _encode(body, None, headers)
    hdrs = _auth(hdrs, token)
    hdrs["Connection"] = "close"
    if data is not None:
        hdrs["Content-Length"] = str(len(data))
    with raw_from(source, port, timeout) as c:
        c.send(request_head(method, path, hdrs) + (data or b""))
        return c.read_response(timeout)


# ---------------------------------------------------------------------------------------------------------------
# Real components a test puts around the daemon (nginx, PgBouncer...)


class LoopbackService:
    """A program (the Debian package's binary) a test starts on 127.0.0.1:port with a configuration it writes into
    its own temporary folder `dir`; a context manager that stops it and removes the folder. Subclasses write their
    configuration, then call launch(args)."""

    name = "service"

    def __init__(self, binary, package):
        self.binary = shutil.which(binary) or next(
            (p for p in ("/usr/sbin/" + binary, "/usr/bin/" + binary) if os.access(p, os.X_OK)), None)
        if self.binary is None:
            raise Skip("%s is not installed (Debian package %s)" % (binary, package))
        self.dir = tempfile.mkdtemp(prefix="cd-%s-" % binary)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = None

    def launch(self, args):
        """Starts ARGS and waits until the port accepts connections (10 s at most)."""
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)

        def listening():
            if self.proc.poll() is not None:
                return "exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return "up"
            except OSError:
                return None
        state, _ = poll(listening, 10)
        if state != "up":
            self.close()
            raise AssertionError("%s did not start (%s): %s" % (self.binary, state or "no answer", self.log()))

    log_name = None  # the program's log file in `dir`, if it writes one

    def log(self):
        """The end of the program's log, for a failure's message."""
        try:
            with open(os.path.join(self.dir, self.log_name)) as f:
                return f.read()[-2000:]
        except (OSError, TypeError):
            return ""

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
