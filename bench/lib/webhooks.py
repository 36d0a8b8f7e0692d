#!/usr/bin/env python3
"""bench/webhooks' body: one write load, three receivers (none subscribed, one answering after 5 s, one never
answering), each phase SECONDS long; prints requests per second and latencies of the API, and the deliveries."""
import http.client
import http.server
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "tests", "http"))
from harness import Daemon, Database  # noqa: E402

CLIENTS = 8


class SlowHandler(http.server.BaseHTTPRequestHandler):
    delay = 5.0

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class FastHandler(SlowHandler):
    delay = 0.0


def slow_receiver(handler=SlowHandler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d/hook" % server.server_address[1]


def silent_receiver():
    """Accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []

    def accept():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            held.append(c)
    threading.Thread(target=accept, daemon=True).start()
    return s, "http://127.0.0.1:%d/hook" % s.getsockname()[1]


def load(port, token, seconds):
    """CLIENTS threads POSTing sessions for SECONDS on keep-alive connections: (requests, errors, latencies)."""
    stop = time.monotonic() + seconds
    lat, errors = [], [0]
    lock = threading.Lock()

    def client(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        mine = []
        while time.monotonic() < stop:
            i += 1
            body = json.dumps({"session_date": "2027-%02d-%02d" % (1 + (n + i) % 12, 1 + i % 28), "town": "Lille",
                               "chair_name": "Bench %d" % n})
            t0 = time.monotonic()
            conn.request("POST", "/v1/sessions", body=body, headers={"Authorization": "Bearer " + token,
                                                                      "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            mine.append(time.monotonic() - t0)
            if r.status != 201:
                with lock:
                    errors[0] += 1
        with lock:
            lat.extend(mine)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(lat), errors[0], lat


def report(name, seconds, n, errors, lat):
    lat = sorted(lat)
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else 0
    print("%-44s %8.1f req/s  p50 %6.2f ms  p99 %7.2f ms  non-201 %d" % (
        name, n / seconds, statistics.median(lat) * 1000 if lat else 0, p99 * 1000, errors))
    return n / seconds


def main():
    seconds = int(sys.argv[1])
    with Database() as db, tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "webhook.key")
        with open(key, "w") as f:
            f.write(os.urandom(32).hex())
        os.chmod(key, 0o600)
        with Daemon(db, threads=2, webhook_key_file=key, webhook_allow_http=True, webhook_allow_private=True,
                    webhook_workers=2, webhook_timeout=2) as d:
            c = db.commission_create("Banc webhooks")
            token = db.token_create(c, "coordinator").token
            print("commissiond: 2 worker threads, 2 webhook delivery threads (--webhook-timeout 2), %d clients, "
                  "%d s per phase" % (CLIENTS, seconds))
            base = report("no subscription", seconds, *load(d.port, token, seconds))

            def subscribe(url):
                r = d.call("POST", "/v1/webhooks", token=token, body={"url": url, "event_types": ["session.planned"]})
                assert r.status == 201, r
                return r.body["id"]

            def unsubscribe(wid):
                etag = d.call("GET", "/v1/webhooks/%s" % wid, token=token).headers["etag"]
                d.call("PATCH", "/v1/webhooks/%s" % wid, token=token, body={"active": False}, headers={"If-Match": etag})
            fast_server, fast_url = slow_receiver(FastHandler)
            fast_id = subscribe(fast_url)
            fast = report("a subscriber answering at once", seconds, *load(d.port, token, seconds))
            unsubscribe(fast_id)
            server, url = slow_receiver()
            r = d.call("POST", "/v1/webhooks", token=token, body={"url": url, "event_types": ["session.planned"]})
            assert r.status == 201, r
            slow_id = r.body["id"]
            slow = report("a subscriber answering after 5 s", seconds, *load(d.port, token, seconds))
            d.call("PATCH", "/v1/webhooks/%s" % slow_id, token=token, body={"active": False},
                   headers={"If-Match": d.call("GET", "/v1/webhooks/%s" % slow_id, token=token).headers["etag"]})
            sock, url2 = silent_receiver()
            r = d.call("POST", "/v1/webhooks", token=token, body={"url": url2, "event_types": ["session.planned"]})
            assert r.status == 201, r
            silent = report("a subscriber that never answers", seconds, *load(d.port, token, seconds))
            counts = db.sql("SET commissiond.scope = 'all'; SELECT status || ' ' || count(*) FROM webhook_deliveries "
                            "GROUP BY status ORDER BY status").split()
            attempts = db.sql("SET commissiond.scope = 'all'; SELECT count(*) FROM webhook_attempts").split()[-1]
            print("deliveries: %s; attempts made during the run: %s (two threads, each held 5 s or 2 s by an "
                  "attempt)" % (" ".join(x for x in counts if x != "SET"), attempts))
            print("API throughput, relative to a subscriber answering at once (the cost of recording the event and "
                  "its delivery is in all three): slow %.2fx, silent %.2fx; with no subscriber at all: %.2fx" % (
                      slow / fast, silent / fast, base / fast))
            fast_server.shutdown()
            server.shutdown()
            sock.close()


if __name__ == "__main__":
    main()
