#!/usr/bin/env python3
"""Behind a reverse proxy: Debian's real nginx, started by this test on loopback (config written here), in front of
commissiond with --trusted-proxy. The failed-authentication limit and the request log follow the client's address
(the right-most untrusted hop of X-Forwarded-For), not the proxy's: one client's 31 bad tokens do not lock out
another client; the audit trail records it too (a write, an asynchronous and a synchronous read) and still
verifies. A client cannot choose its address by sending X-Forwarded-For, neither through the proxy (nginx
appends the real one) nor directly from a peer that is not a trusted proxy. And two instances on one database share
the limit (auth_failures in PostgreSQL): N instances give the limit of one.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, LoopbackService, Suite, call_from, check, daemon_refuses,  # noqa: E402
                     expect_problem, expect_status, poll)

LIMIT = 30


def bad_token(tag):
    """A well formed (when TAG is base64url), unknown token; each case its own, since failures also count by token
    selector."""
    return "cd_" + (tag * 16)[:16] + "R" * 43


class Nginx(LoopbackService):
    """Debian's nginx as a reverse proxy to 127.0.0.1:UPSTREAM, as deploy/nginx.conf.example sets its headers."""

    log_name = "error.log"

    def __init__(self, upstream):
        super().__init__("nginx", "nginx")
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers otherwise drop to nobody
        conf = """%sworker_processes 1;
daemon off;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path %s/body; proxy_temp_path %s/proxy; fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;
  upstream commissiond { server 127.0.0.1:%d; keepalive 8; }
  server {
    listen 127.0.0.1:%d;
    location / {
      proxy_pass http://commissiond;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP $remote_addr;
    }
  }
}
""" % ((user,) + (self.dir,) * 7 + (upstream, self.port))
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.launch([self.binary, "-e", os.path.join(self.dir, "error.log"), "-p", self.dir, "-c", path])



class HAProxy(LoopbackService):
    """Debian's HAProxy in front of 127.0.0.1:UPSTREAM with `option forwardfor`, which adds an X-Forwarded-For line of
    its own after any the client sent (the daemon must read every line, in order)."""

    def __init__(self, upstream):
        super().__init__("haproxy", "haproxy")
        conf = """global
    pidfile %s/haproxy.pid
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option forwardfor
frontend api
    bind 127.0.0.1:%d
    default_backend commissiond
backend commissiond
    server daemon 127.0.0.1:%d
""" % (self.dir, self.port, upstream)
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(conf)
        self.launch([self.binary, "-db", "-f", path])


def request_logs(d):
    return [e for e in d.logs if e.get("msg") == "request"]


def body(suite):
    with Database() as db:
        commission = db.commission_create("Commission derrière un proxy")
        coord = db.token_create(commission, "coordinator", label="coordination")

        with Daemon(db, auth_failure_limit=LIMIT, trusted_proxy="127.0.0.1/32") as d, Nginx(d.port) as nginx:
            with suite.case("through nginx: 31 bad tokens from one client, then another client's valid token: 200"):
                statuses = [call_from("127.0.0.2", nginx.port, "GET", "/v1/me", token=bad_token("A")).status
                            for _ in range(LIMIT + 1)]
                check(statuses[:LIMIT] == [401] * LIMIT, "the first %d bad tokens answer 401: %r" % (LIMIT, statuses))
                check(statuses[LIMIT] == 429, "the %dth bad token answers 429: %r" % (LIMIT + 1, statuses[LIMIT]))
                r = call_from("127.0.0.3", nginx.port, "GET", "/v1/me", token=str(coord))
                expect_status(r, 200)
                check(r.body["token_id"] == coord.id, "another client is served", r)
                expect_problem(call_from("127.0.0.2", nginx.port, "GET", "/v1/me", token=str(coord)), 429,
                               "too-many-requests")

            with suite.case("the request log names the client behind the proxy, not the proxy"):
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("client") == "127.0.0.3"
                                   and e.get("status") == 200, 5)
                check(entry is not None, "no request line with client 127.0.0.3: %r" % request_logs(d)[-3:])
                check(not any(e.get("client") == "127.0.0.1" for e in request_logs(d)),
                      "a request was logged with the proxy's address")

            with suite.case("through nginx, a client's own X-Forwarded-For does not change its address"):
                statuses = []
                for i in range(LIMIT + 1):
                    headers = {"X-Forwarded-For": "10.77.0.%d" % (i + 1)}
                    statuses.append(call_from("127.0.0.4", nginx.port, "GET", "/v1/me", token=bad_token(chr(66 + i)),
                                              headers=headers).status)
                check(statuses == [401] * LIMIT + [429],
                      "rotating a spoofed X-Forwarded-For evaded the limit: %r" % statuses)
                check(not any(str(e.get("client", "")).startswith("10.77.") for e in request_logs(d)),
                      "a spoofed address was taken as the client")

            with suite.case("the audit trail records the client behind the proxy: a write, a read; the chain verifies"):
                team = db.organisation_create(commission, "care_team", "Équipe de secteur")
                r = call_from("127.0.0.3", nginx.port, "POST", "/v1/people", token=str(coord),
                              body={"family_name": "Lenoir", "given_names": "Anne", "birth_date": "1968-05-04",
                                    "care_team_id": team})
                expect_status(r, 201)
                person = r.body["id"]
                expect_status(call_from("127.0.0.11", nginx.port, "GET", "/v1/people/" + person, token=str(coord)),
                              200)
                query = ("SELECT string_agg(action || ' ' || coalesce(host(client_address), '-'), ',' ORDER BY id) "
                         "FROM audit_log WHERE object_id = '%s'" % person)
                rows, _ = poll(lambda: db.sql(query).count(",") >= 1 and db.sql(query), 10)
                check(rows == "create 127.0.0.3,read 127.0.0.11", "audit entries of the person: %r" % rows)
                db.ctl("audit", "chain")
                verify = db.ctl("audit", "verify", check=False)
                check(verify.returncode == 0, "audit verify: %s %s" % (verify.stdout, verify.stderr))

            with suite.case("through HAProxy (option forwardfor adds its own line): spoofed lines ignored, "
                            "the limit holds"), HAProxy(d.port) as haproxy:
                statuses = [call_from("127.0.0.12", haproxy.port, "GET", "/v1/me", token=bad_token("h%d" % i),
                                      headers={"X-Forwarded-For": "10.66.0.%d" % (i + 1)}).status
                            for i in range(LIMIT + 1)]
                check(statuses == [401] * LIMIT + [429], "through HAProxy: %r" % statuses)
                r = call_from("127.0.0.13", haproxy.port, "GET", "/v1/me", token=str(coord),
                              headers={"X-Forwarded-For": "127.0.0.12"})  # another client naming the locked one
                expect_status(r, 200)
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("client") == "127.0.0.13", 5)
                check(entry is not None, "the client behind HAProxy is not in the log")
                check(not any(str(e.get("client", "")).startswith("10.66.") for e in request_logs(d)),
                      "a spoofed address was taken as the client")

        with Daemon(db, auth_failure_limit=3, trusted_proxy="127.0.0.1/32") as d:
            with suite.case("directly from a peer that is not a trusted proxy, X-Forwarded-For is ignored"):
                statuses = [call_from("127.0.0.5", d.port, "GET", "/v1/me", token=bad_token(chr(97 + i)),
                                      headers={"X-Forwarded-For": "10.88.0.%d" % i}).status for i in range(4)]
                check(statuses == [401, 401, 401, 429], "spoofed headers from an untrusted peer: %r" % statuses)
                expect_problem(call_from("127.0.0.5", d.port, "GET", "/v1/me", token=str(coord),
                                         headers={"X-Forwarded-For": "10.88.0.200"}), 429, "too-many-requests")
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("client") == "127.0.0.5", 5)
                check(entry is not None, "the untrusted peer's own address is not in the log")
                check(not any(str(e.get("client", "")).startswith("10.88.") for e in request_logs(d)),
                      "an untrusted peer chose its address")

        with Daemon(db, trusted_proxy="127.0.0.0/8,::1", proxy_header="forwarded", audit_reads="sync") as d:
            with suite.case("--proxy-header forwarded: RFC 7239 for= names the client (IPv6, quoted, with a port)"):
                r = call_from("127.0.0.6", d.port, "GET", "/healthz",
                              headers={"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.9',
                                       "X-Forwarded-For": "198.51.100.1"})
                expect_status(r, 200)
                entry = d.wait_log(lambda e: e.get("msg") == "request" and e.get("client") == "2001:db8:cafe::17", 5)
                check(entry is not None, "the Forwarded client is not in the log: %r" % request_logs(d)[-1:])
                # --audit-reads sync: the entry is committed before the answer, with its client.
                r = call_from("127.0.0.6", d.port, "GET", "/v1/people/" + person, token=str(coord),
                              headers={"Forwarded": "for=198.51.100.23"})
                expect_status(r, 200)
                rows = db.sql("SELECT host(client_address) FROM audit_log WHERE request_id = '%s'"
                              % r.headers["x-request-id"])
                check(rows == "198.51.100.23", "the synchronous read's entry records %r" % rows)

        with Daemon(db, trusted_proxy="127.0.0.0/8,::1", proxy_header="forwarded") as d:
            with suite.case("a queued read's entry (written by COPY, binary) records an IPv6 and an IPv4 client; "
                            "the chain verifies"):
                ids = []
                for client in ("[2001:db8:cafe::42]", "203.0.113.7"):
                    r = call_from("127.0.0.6", d.port, "GET", "/v1/people/" + person, token=str(coord),
                                  headers={"Forwarded": 'for="%s"' % client})
                    expect_status(r, 200)
                    ids.append(r.headers["x-request-id"])
                query = ("SELECT string_agg(host(client_address), ',' ORDER BY id) FROM audit_log "
                         "WHERE request_id IN ('%s', '%s')" % tuple(ids))
                rows, _ = poll(lambda: db.sql(query).count(",") == 1 and db.sql(query), 10)
                check(rows == "2001:db8:cafe::42,203.0.113.7", "the queued reads' entries record %r" % rows)
                db.ctl("audit", "chain")
                verify = db.ctl("audit", "verify", check=False)
                check(verify.returncode == 0, "audit verify: %s %s" % (verify.stdout, verify.stderr))

        with suite.case("a bad --trusted-proxy or --proxy-header is refused at start, naming it"):
            rc, out = daemon_refuses(db, trusted_proxy="10.0.0.0/33")
            check(rc == 2 and "--trusted-proxy" in out and "10.0.0.0/33" in out,
                  "the refusal does not name the network: %r %r" % (rc, out))
            rc, out = daemon_refuses(db, proxy_header="x-real-ip")
            check(rc == 2 and "--proxy-header" in out, "the refusal does not name the option: %r %r" % (rc, out))

        # Two instances on the same database: the failures of both count together.
        with Daemon(db, auth_failure_limit=3) as d1, Daemon(db, auth_failure_limit=3) as d2:
            with suite.case("two instances give the limit of one: 3 failures across both, then 429 on each"):
                # Start at the top of a minute's first 50 s, so that the counted minute does not end mid-case.
                second = time.gmtime().tm_sec
                if second > 50:
                    time.sleep(61 - second)
                seen = []
                for d in (d1, d2, d1):
                    token = bad_token("x" if d is d1 else "y")
                    seen.append(call_from("127.0.0.7", d.port, "GET", "/v1/me", token=token).status)
                check(seen == [401, 401, 401], "the first three failures, across two instances: %r" % seen)
                r = call_from("127.0.0.7", d2.port, "GET", "/v1/me", token=bad_token("z"))
                expect_problem(r, 429, "too-many-requests")  # per process, d2 would have seen only one failure
                retry = r.headers.get("retry-after", "")
                check(retry.isdigit() and 1 <= int(retry) <= 60, "Retry-After 1..60: %r" % retry, r)
                for d in (d1, d2):
                    expect_problem(call_from("127.0.0.7", d.port, "GET", "/v1/me", token=str(coord)), 429,
                                   "too-many-requests")
                    expect_status(call_from("127.0.0.8", d.port, "GET", "/v1/me", token=str(coord)), 200)
                rows = db.sql("SELECT failures FROM auth_failures WHERE key = 'address:127.0.0.7'")
                check(rows.strip() == "4", "the shared counter holds every failure of both instances: %r" % rows)

            with suite.case("a token polled after its revocation is limited by its selector, from any address"):
                revoked = db.token_create(commission, "coordinator", label="intégration révoquée")
                db.token_revoke(revoked.id)
                seen = [call_from("127.0.0.%d" % (20 + i), (d1, d2)[i % 2].port, "GET", "/v1/me",
                                  token=str(revoked)).status for i in range(4)]
                check(seen == [401, 401, 401, 429], "a revoked token polled from four addresses: %r" % seen)
                expect_status(call_from("127.0.0.30", d1.port, "GET", "/v1/me", token=str(coord)), 200)


if __name__ == "__main__":
    Suite("http-proxies").main(body)
