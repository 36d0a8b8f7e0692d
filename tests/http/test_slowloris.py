#!/usr/bin/env python3
"""Connections cannot be held hostage: a request line and headers, or a body, trickled one byte at a time are cut
off after --header-timeout / --body-timeout in all (not reset by each byte); past --max-connections or
--per-ip-connections a new client is answered 503 problem+json at once instead of nothing; a bounded slowloris on
loopback (one address, more connections than --max-connections) does not lock out a client from another address.

Bounded: at most 60 sockets, each test a few seconds, all on 127.0.0.0/8. Exit 0: all passed; 1: a failure; 77:
skipped.
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, RawConn, Suite, check, expect_problem, expect_status  # noqa: E402

OTHER_ADDRESS = "127.0.0.2"  # another client: the kernel routes all of 127.0.0.0/8 to loopback


def connect(port, source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return s


def closed_by_server(sock, trickle, within):
    """Sends TRICKLE one byte every 0.25 s until the server closes the connection (or WITHIN seconds pass);
    returns the seconds it took, or None when it stayed open."""
    t0 = time.monotonic()
    i = 0
    sock.settimeout(0.25)
    while time.monotonic() - t0 < within:
        try:
            sock.send(trickle[i % len(trickle):i % len(trickle) + 1])
            i += 1
            data = sock.recv(4096)
            if data == b"" or data.startswith(b"HTTP/"):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:  # reset, broken pipe: closed
            return time.monotonic() - t0
    return None


def get_from(port, path, source, token=None, timeout=5):
    """One GET on a fresh connection from SOURCE; returns (Response, seconds)."""
    t0 = time.monotonic()
    c = RawConn.__new__(RawConn)
    c.sock = connect(port, source)
    c.buf = b""
    c.method, c.path = "GET", path
    try:
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
        if token:
            head += "Authorization: Bearer %s\r\n" % token
        c.sock.sendall((head + "\r\n").encode())
        r = c.read_response(timeout=timeout)
    finally:
        c.close()
    return r, time.monotonic() - t0


def refused_then_served(d, coord, n, word, other_served=False):
    """With N idle connections from 127.0.0.1 held open, a request from 127.0.0.1 is answered 503 problem+json at
    once, naming WORD, with Connection: close and Retry-After (and, with OTHER_SERVED, one from another address is
    served); once they are closed, 200."""
    held = [connect(d.port) for _ in range(n)]
    try:
        time.sleep(0.3)
        r, took = get_from(d.port, "/v1/me", "127.0.0.1", token=coord.token)
        expect_problem(r, 503, "service-unavailable")
        check(word in r.body["detail"], "the detail does not say %r" % word, r)
        check(took < 1.5, "the 503 took %.2f s" % took, r)
        check(r.headers.get("connection", "").lower() == "close", "no Connection: close", r)
        check(r.headers.get("retry-after"), "no Retry-After", r)
        if other_served:
            expect_status(get_from(d.port, "/v1/me", OTHER_ADDRESS, token=coord.token)[0], 200)
    finally:
        for s in held:
            s.close()
    time.sleep(0.5)
    expect_status(get_from(d.port, "/v1/me", "127.0.0.1", token=coord.token)[0], 200)


def body(suite):
    with Database() as db:
        commission = db.commission_create("Commission lente")
        coord = db.token_create(commission, "coordinator", label="coordination")

        with Daemon(db, header_timeout=2, body_timeout=2, timeout=30) as d:
            with suite.case("headers trickled one byte every 0.25 s: cut after --header-timeout (2 s) in all"):
                s = connect(d.port)
                try:
                    took = closed_by_server(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200, 8)
                finally:
                    s.close()
                check(took is not None, "the connection was still open after 8 s of trickled headers")
                check(1.5 <= took <= 4, "cut after %.2f s, expected about 2 s" % took)

            with suite.case("a body trickled one byte every 0.25 s: cut after --body-timeout (2 s) in all"):
                s = connect(d.port)
                try:
                    s.sendall(("POST /v1/organisations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                               "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n" % coord.token).encode())
                    took = closed_by_server(s, b'{"kind": "partner", "name": "' + b"x" * 400, 8)
                finally:
                    s.close()
                check(took is not None, "the connection was still open after 8 s of a trickled body")
                check(1.5 <= took <= 4, "cut after %.2f s, expected about 2 s" % took)
                check(db.sql("SELECT count(*) FROM organisations") == "0", "the trickled body created something")

            with suite.case("an idle kept-alive connection has --header-timeout for its next request"):
                with d.session() as sess:
                    expect_status(sess.call("GET", "/healthz"), 200)
                    time.sleep(1)
                    expect_status(sess.call("GET", "/healthz"), 200)  # the clock started again after the answer
                s = connect(d.port)
                try:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    s.settimeout(5)
                    first = s.recv(4096)
                    check(first.startswith(b"HTTP/1.1 200"), "no 200 on the kept-alive connection: %r" % first[:60])
                    t0 = time.monotonic()
                    rest = s.recv(4096)  # nothing more is sent: the server closes the connection
                    took = time.monotonic() - t0
                    check(rest == b"" and took <= 4, "an idle kept-alive connection stayed %.2f s (%r)" % (took, rest))
                except socket.timeout:
                    check(False, "an idle kept-alive connection was not closed within 5 s")
                finally:
                    s.close()

        with Daemon(db, max_connections=8, per_ip_connections=0, threads=2) as d:
            with suite.case("past --max-connections a new client is answered 503 problem+json at once"):
                refused_then_served(d, coord, 8, "connection limit")

        with Daemon(db, per_ip_connections=3, threads=2) as d:
            with suite.case("past --per-ip-connections the address is answered 503 at once; another is served"):
                refused_then_served(d, coord, 3, "address", other_served=True)

        with Daemon(db, max_connections=40, header_timeout=3, threads=2) as d:
            with suite.case("a slowloris from one address (45 connections, 1 byte a second, --max-connections 40) "
                            "locks nobody else out, and each of its connections is cut within --header-timeout"):
                stop = threading.Event()
                socks, lasted = [], []
                lock = threading.Lock()

                def loris(n):
                    try:
                        s = connect(d.port)
                    except OSError:
                        return
                    t0 = time.monotonic()
                    with lock:
                        socks.append(s)
                    s.settimeout(0.1)
                    line = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % n + b"a" * 100
                    i = 0
                    while not stop.is_set() and i < len(line):
                        try:
                            s.send(line[i:i + 1])
                            i += 1
                            s.recv(4096)  # the server closed the connection (or answered: it may not)
                            break
                        except socket.timeout:
                            pass
                        except OSError:
                            break
                        stop.wait(1.0)
                    if not stop.is_set():
                        with lock:
                            lasted.append(time.monotonic() - t0)

                threads = [threading.Thread(target=loris, args=(n,), daemon=True) for n in range(45)]
                for t in threads:
                    t.start()
                try:
                    time.sleep(1.0)
                    worst = 0.0
                    for _ in range(12):
                        r, took = get_from(d.port, "/v1/me", OTHER_ADDRESS, token=coord.token)
                        expect_status(r, 200)
                        worst = max(worst, took)
                        time.sleep(0.25)
                    check(worst < 1.0, "a client from another address waited %.2f s" % worst)
                    for t in threads:
                        t.join(8)
                finally:
                    stop.set()
                    for t in threads:
                        t.join(10)
                    for s in socks:
                        s.close()
                print("     another address: 12 requests answered 200, the slowest in %.3f s; the slowloris "
                      "connections lasted %.1f to %.1f s" % (worst, min(lasted or [0]), max(lasted or [0])))
                check(len(lasted) == 45, "only %d of 45 slowloris connections were closed by the server" % len(lasted))
                check(max(lasted) <= 3 + 1.5, "a slowloris connection lasted %.1f s (--header-timeout 3)" % max(lasted))


if __name__ == "__main__":
    Suite("http-slowloris").main(body)
