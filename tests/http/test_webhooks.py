#!/usr/bin/env python3
"""Webhooks against a real receiver (an HTTP server started here): the event of a committed change arrives, signed
as Standard Webhooks says (verified here with Python's own hmac, not the server's code); a refused change sends
nothing; payloads carry ids, types and dates, never a name or a text; a landlord's subscription hears only of its
units and nothing medical, a curator's only of its protected people; a receiver down for a while gets every event
once it is back; two daemons on one database deliver each event once; a rotated secret verifies with both keys
during the overlap; a failed delivery can be sent again; time-based events are recorded once however often the
maintenance runs; endpoints on private addresses and plain http are refused unless allowed; without a webhook key
the routes say so.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Suite, check, daemon_refuses, expect_problem, expect_status,  # noqa: E402
                     poll)

ALL_TYPES = ["application.submitted", "application.decided", "session.planned", "session.closed",
             "placement.started", "placement.ended", "deposit.paid", "deposit.refund_due", "deposit.refund_overdue",
             "deposit.penalty_accruing", "review.due", "review.overdue", "incident.reported", "incident.handled",
             "agreement.expiring", "token.expiring"]
DATA_KEYS = {"application_id", "person_id", "submitted_at", "session_id", "decision_id", "outcome", "decided_on",
             "corrects_decision_id", "session_date", "closed_at", "placement_id", "unit_id", "move_in_date",
             "exit_date", "entry_id", "amount_cents", "entry_date", "incident_id", "occurred_on", "status",
             "refund_due_on", "months_late", "penalty_unpaid_cents", "next_review_on", "agreement_id", "end_date",
             "token_id", "expires_at"}


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST (headers, body); answers STATUS (200 by default).
    stop() closes its socket (connections refused); start() listens again on the same port."""

    def __init__(self, port=0):
        self.received = []
        self.status = 200
        self.lock = threading.Lock()
        self.port = port
        self.server = None
        self.start()

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    headers["x-path"] = self.path  # which subscription it was for
                    receiver.received.append((headers, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def events(self):
        with self.lock:
            return [(h, json.loads(b)) for h, b in self.received]

    def wait_for(self, pred, timeout=20, what="an event"):
        found, _ = poll(lambda: [e for e in self.events() if pred(e[1])], timeout, 0.1)
        check(found, "the receiver got %s within %d s (it got: %s)" % (what, timeout,
                                                                       [e[1]["type"] for e in self.events()]))
        return found


def verify(headers, body, secret):
    """Standard Webhooks: HMAC-SHA256 with the base64 key after whsec_, over id.timestamp.body; one of the
    space-separated v1 signatures must match."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (headers["webhook-id"], headers["webhook-timestamp"])).encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in sigs)


def raw_events(r):
    with r.lock:
        return list(r.received)


def key_file(tmp, mode=0o600):
    path = os.path.join(tmp, "webhook.key")
    with open(path, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(path, mode)
    return path


class World:
    counter = 0

    def __init__(self, db, d, name):
        self.db, self.d = db, d
        c = self.commission = db.commission_create(name)
        self.org = {k: db.organisation_create(c, kind, name + " " + k) for k, kind in
                    [("team", "care_team"), ("cur", "curator_service"), ("cur2", "curator_service"),
                     ("ll", "landlord"), ("ll2", "landlord"), ("partner", "partner")]}
        self.tok = {"coordinator": db.token_create(c, "coordinator").token,
                    "caregiver": db.token_create(c, "caregiver", scope=self.org["team"]).token,
                    "landlord": db.token_create(c, "landlord", scope=self.org["ll"]).token,
                    "observer": db.token_create(c, "observer").token}

    def ok(self, status, method, path, who="coordinator", body=None, headers=None):
        r = self.d.call(method, path, token=self.tok[who], body=body, headers=headers)
        expect_status(r, status)
        return r

    def person(self, curator="cur"):
        World.counter += 1
        body = {"family_name": "Secretname%d" % World.counter, "given_names": "Hiddenfirst", "birth_date":
                "1970-01-%02d" % (1 + World.counter % 28), "care_team_id": self.org["team"],
                "confirm_duplicate": True, "protection": "curatelle_renforcee", "curator_org_id": self.org[curator]}
        return self.ok(201, "POST", "/v1/people", body=body).body["id"]

    def unit(self, landlord="ll"):
        World.counter += 1
        return self.ok(201, "POST", "/v1/units", body={
            "kind": "hlm_apartment", "label": "T2 n°%d" % World.counter, "address": "%d rue Solférino" % World.counter,
            "town": "Lille", "landlord_org_id": self.org[landlord], "places": 1, "rent_cents": 40000,
            "charges_cents": 5000, "deposit_cents": 40000}).body["id"]

    def subscribe(self, url, types=None, org=None, expect=201, **kw):
        body = {"url": url, "event_types": ALL_TYPES if types is None else types}
        if org is not None:
            body["org_id"] = self.org[org]
        body.update(kw)
        r = self.d.call("POST", "/v1/webhooks", token=self.tok["coordinator"], body=body,
                        headers={"Idempotency-Key": uuid.uuid4().hex})
        expect_status(r, expect)
        return r

    def placed(self, landlord="ll", curator="cur"):
        """A person approved at a new session and moved into a new unit of LANDLORD today: (person, app, placement,
        session, unit)."""
        p = self.person(curator)
        a = self.ok(201, "POST", "/v1/applications", body={"person_id": p, "situation": "Situation confidentielle",
                                                            "submit": True}).body["id"]
        s = self.ok(201, "POST", "/v1/sessions", body={"session_date": day(0), "town": "Lille",
                                                        "chair_name": "Mme la présidente"}).body["id"]
        self.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s)
        self.ok(200, "POST", "/v1/sessions/%s/open" % s)
        items = self.ok(200, "GET", "/v1/sessions/%s/agenda" % s).body["items"]
        item = [i for i in items if (i.get("application") or {}).get("id") == a][0]["id"]
        self.ok(201, "POST", "/v1/sessions/%s/decisions" % s, body={"agenda_item_id": item, "outcome": "approve"})
        u = self.unit(landlord)
        pl = self.ok(201, "POST", "/v1/placements", body={"application_id": a, "unit_id": u, "move_in_date": day(0),
                                                          "lease": "sliding_lease"}).body["id"]
        return p, a, pl, s, u


def case_not_configured(suite, db):
    with suite.case("without a webhook key the routes answer 503 and say why; a key readable by others is refused"):
        with tempfile.TemporaryDirectory() as tmp:
            with Daemon(db) as d:
                w = World(db, d, "Sans clé")
                r = w.subscribe("https://hooks.example.org/x", expect=503)
                expect_problem(r, 503, "service-unavailable")
                check("--webhook-key-file" in r.body["detail"], "the 503 names the option", r)
                check(db.sql("SELECT count(*) FROM webhook_subscriptions").strip() == "0", "nothing was stored")
            daemon_refuses(db, webhook_key_file=key_file(tmp, 0o644))
            daemon_refuses(db, webhook_key_file=os.path.join(tmp, "missing.key"))


def case_validation(suite, db, tmp):
    with suite.case("endpoints: https only, no private address, known event types, an organisation that can hear"):
        with Daemon(db, webhook_key_file=key_file(tmp)) as d:
            w = World(db, d, "Validation")
            for url, why in [("http://hooks.example.org/x", "https"), ("https://127.0.0.1/x", "private"),
                             ("https://10.1.2.3/x", "private"), ("https://[::1]/x", "private"),
                             ("https://localhost/x", "private"), ("https://user@hooks.example.org/x", "user"),
                             ("https://192.168.1.10:8443/x", "private"), ("https://169.254.169.254/latest", "private"),
                             ("ftp://hooks.example.org/x", "https")]:
                r = w.subscribe(url, expect=422)
                expect_problem(r, 422, "validation-failed", field="/url")
            r = w.subscribe("https://hooks.example.org/x", types=["placement.started", "person.renamed"], expect=422)
            expect_problem(r, 422, "validation-failed", field="/event_types/1")
            r = w.subscribe("https://hooks.example.org/x", types=["placement.started", "placement.started"],
                            expect=422)
            expect_problem(r, 422, "validation-failed", field="/event_types/1")
            r = w.subscribe("https://hooks.example.org/x", types=[], expect=422)
            expect_problem(r, 422, "validation-failed", field="/event_types")
            r = w.subscribe("https://hooks.example.org/x", org="partner", expect=422)
            expect_problem(r, 422, "validation-failed", field="/org_id")
            check(db.sql("SELECT count(*) FROM webhook_subscriptions").strip() == "0", "nothing was stored")
            r = w.subscribe("https://hooks.example.org/x", org="ll")
            check(r.body["secret"].startswith("whsec_") and len(base64.b64decode(r.body["secret"][6:])) == 32,
                  "the secret is shown once, whsec_ and 32 bytes", r)
            g = w.ok(200, "GET", "/v1/webhooks/%s" % r.body["id"])
            check("secret" not in g.body and r.body["secret"] not in g.text, "a read never shows the secret", g)
            stored = db.sql("SELECT encode(secret_box, 'hex') FROM webhook_subscriptions").strip()
            check(base64.b64decode(r.body["secret"][6:]).hex() not in stored, "the database holds no clear secret")
            r = d.call("POST", "/v1/webhooks", token=w.tok["landlord"], body={"url": "https://a.example/x",
                                                                              "event_types": ["session.planned"]})
            expect_problem(r, 403, "forbidden")


def case_delivery(suite, db, tmp):
    rec = Receiver()
    with Daemon(db, webhook_key_file=key_file(tmp), webhook_allow_http=True, webhook_allow_private=True,
                webhook_retry_base=1) as d:
        w = World(db, d, "Livraisons")
        whole = w.subscribe(rec.url).body
        landlord = w.subscribe(rec.url + "?who=ll", org="ll").body
        curator = w.subscribe(rec.url + "?who=cur2", org="cur2").body
        secrets = {whole["id"]: whole["secret"], landlord["id"]: landlord["secret"], curator["id"]: curator["secret"]}

        with suite.case("the events of committed changes arrive once each, signed, with ids and dates only"):
            p, a, pl, s, u = w.placed()
            w.ok(201, "POST", "/v1/placements/%s/deposit/entries" % pl, body={"kind": "paid", "amount_cents": 40000,
                                                                              "entry_date": day(0)},
                 headers={"Idempotency-Key": uuid.uuid4().hex})
            inc = w.ok(201, "POST", "/v1/placements/%s/incidents" % pl, who="caregiver",
                       body={"kind": "hospitalisation", "description": "Hospitalisation en psychiatrie",
                             "occurred_on": day(0)}).body["id"]
            inc2 = w.ok(201, "POST", "/v1/placements/%s/incidents" % pl, who="landlord",
                        body={"kind": "disturbance", "description": "Bruit signalé par les voisins",
                              "occurred_on": day(0)}).body["id"]
            w.ok(200, "POST", "/v1/placements/%s/exit" % pl, body={"exit_date": day(0), "exit_reason": "other_housing",
                                                                   "inspection_matches": True})
            wanted = {"application.submitted", "application.decided", "session.planned", "placement.started",
                      "deposit.paid", "incident.reported", "placement.ended"}
            rec.wait_for(lambda e: e["type"] == "placement.ended", what="placement.ended")
            time.sleep(0.5)
            got = {e["type"] for _, e in rec.events()}
            check(wanted <= got, "every event of the changes arrived: missing %s" % (wanted - got))
            for h, b in raw_events(rec):
                e = json.loads(b)
                check(h["webhook-id"] == e["id"], "webhook-id is the event's id")
                check(abs(int(h["webhook-timestamp"]) - time.time()) < 120, "webhook-timestamp is now")
                check(any(verify(h, b, sec) for sec in secrets.values()), "the signature verifies: %s" % h)
                check(b"Secretname" not in b and b"Hiddenfirst" not in b and b"confidentielle" not in b
                      and b"Hospitalisation" not in b and b"hospitalisation" not in b and b"voisins" not in b,
                      "no name, text or health word in a payload: %s" % b)
                check(set(e["data"]) <= DATA_KEYS, "the payload holds ids, types and dates only: %s" % e["data"])
            subs = db.sql("SELECT d.subscription_id || ' ' || e.type || ' ' || coalesce(e.data->>'incident_id', '') "
                          "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id").split("\n")
            by_sub = {}
            for line in filter(None, (x.strip() for x in subs)):
                sid, typ, incident = (line.split(" ") + [""])[:3]
                by_sub.setdefault(sid, []).append((typ, incident))
            ll_types = {t for t, _ in by_sub.get(landlord["id"], [])}
            check(not any(t.startswith("application.") for t in ll_types), "a landlord hears of no application")
            check({"placement.started", "deposit.paid", "placement.ended"} <= ll_types,
                  "the landlord hears of its unit's placement: %s" % ll_types)
            ll_incidents = {i for t, i in by_sub.get(landlord["id"], []) if t == "incident.reported"}
            check(ll_incidents == {inc2}, "the landlord hears of the incident it reported, not the hospitalisation")
            check(inc in {i for t, i in by_sub.get(whole["id"], [])}, "the commission hears of the hospitalisation")
            cur2 = {t for t, _ in by_sub.get(curator["id"], [])}
            check(cur2 <= {"session.planned", "session.closed"},
                  "another curator service hears of nobody it does not protect: %s" % cur2)
            sent = len(raw_events(rec))
            deliveries = int(db.sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'").strip())
            check(sent == deliveries, "each delivery was sent once (%d sent, %d delivered)" % (sent, deliveries))
            log = w.ok(200, "GET", "/v1/webhooks/%s/deliveries" % whole["id"]).body["items"]
            check(log and all(x["status"] == "delivered" and x["last_status_code"] == 200 and x["attempts"] == 1
                              for x in log), "the delivery log says delivered, 200, one attempt: %s" % log[:2])

        with suite.case("a refused change records no event and sends nothing"):
            before = db.sql("SELECT count(*) FROM webhook_events").strip()
            u2 = w.unit()
            _, a2, pl2, _, u3 = w.placed()
            r = d.call("POST", "/v1/placements", token=w.tok["coordinator"],
                       body={"application_id": a2, "unit_id": u2, "move_in_date": day(0), "lease": "sliding_lease"})
            check(r.status in (409, 422), "a second move-in of the same application is refused", r)
            time.sleep(1.5)
            started = [e for _, e in rec.events() if e["type"] == "placement.started"
                       and e["data"]["unit_id"] == u2]
            check(not started, "no placement.started for the refused move-in")
            check(int(db.sql("SELECT count(*) FROM webhook_events").strip()) > int(before), "the committed ones did")

        with suite.case("a receiver down for a while gets every event once it is back"):
            rec.stop()
            n = len(rec.events())
            s2 = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(30), "town": "Lille",
                                                          "chair_name": "M. Dupont"}).body["id"]
            attempted, _ = poll(lambda: db.sql("SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON "
                                               "e.id = d.event_id WHERE e.data->>'session_id' = '%s' AND d.attempts"
                                               " >= 1 AND d.status = 'pending' AND d.last_error IS NOT NULL" % s2
                                               ).strip() == "3", 20, 0.2)
            check(attempted, "the three subscriptions' deliveries failed and wait for a retry")
            rec.start()
            rec.wait_for(lambda e: e["data"].get("session_id") == s2, timeout=30, what="the session after restart")
            got, _ = poll(lambda: len([e for _, e in rec.events()[n:] if e["data"].get("session_id") == s2]) == 3,
                          30, 0.2)
            check(got, "each subscription got it once back up")
            m = d.call("GET", "/metrics").text
            check('commissiond_webhook_attempts_total{outcome="retried"}' in m and
                  'commissiond_webhook_attempts_total{outcome="delivered"}' in m, "metrics count the outcomes")

        with suite.case("a rotated secret: both verify during the overlap, the new one after"):
            r = w.ok(200, "POST", "/v1/webhooks/%s/rotate-secret" % whole["id"], body={"overlap_seconds": 3600})
            new = r.body["secret"]
            check(new != whole["secret"] and r.body["previous_secret_until"], "a new secret, the old one until", r)
            n = len(rec.events())
            s3 = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(60), "town": "Lille",
                                                          "chair_name": "M. Dupont"}).body["id"]
            rec.wait_for(lambda e: e["data"].get("session_id") == s3, what="the session after rotation")
            time.sleep(0.5)
            for h, b in raw_events(rec)[n:]:
                if json.loads(b)["data"].get("session_id") == s3 and len(h["webhook-signature"].split(" ")) == 2:
                    check(verify(h, b, new) and verify(h, b, whole["secret"]), "both keys verify during overlap")
                    break
            else:
                check(False, "a delivery carried two signatures during the overlap")
            w.ok(200, "POST", "/v1/webhooks/%s/rotate-secret" % whole["id"], body={"overlap_seconds": 0})

        with suite.case("a failed delivery is sent again on request, and a disabled subscription gets nothing"):
            rec.status = 500
            n = len(rec.events())
            bad = w.subscribe(rec.url + "?fail", types=["session.planned"]).body
            s4 = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(90), "town": "Lille",
                                                          "chair_name": "M. Dupont"}).body["id"]
            rec.wait_for(lambda e: e["data"].get("session_id") == s4, what="a first attempt")
            db.sql("UPDATE webhook_deliveries SET status = 'failed' WHERE subscription_id = '%s'" % bad["id"])
            rec.status = 200
            log = w.ok(200, "GET", "/v1/webhooks/%s/deliveries?status=failed" % bad["id"]).body["items"]
            check(len(log) == 1 and log[0]["last_status_code"] == 500, "the log shows the failed delivery", log)
            r = w.ok(200, "POST", "/v1/webhooks/%s/deliveries/%s/retry" % (bad["id"], log[0]["id"]))
            check(r.body["status"] == "pending", "the retry makes it pending", r)
            done, _ = poll(lambda: w.ok(200, "GET", "/v1/webhooks/%s/deliveries" % bad["id"]).body["items"][0]
                           ["status"] == "delivered", 20, 0.2)
            check(done, "the retried delivery was delivered")
            r = d.call("POST", "/v1/webhooks/%s/deliveries/%s/retry" % (whole["id"], log[0]["id"]),
                       token=w.tok["coordinator"])
            expect_problem(r, 404, "not-found")
            g = w.ok(200, "GET", "/v1/webhooks/%s" % bad["id"])
            w.ok(200, "PATCH", "/v1/webhooks/%s" % bad["id"], body={"active": False},
                 headers={"If-Match": g.headers["etag"]})
            n = len(rec.events())
            w.ok(201, "POST", "/v1/sessions", body={"session_date": day(120), "town": "Lille",
                                                    "chair_name": "M. Dupont"})
            time.sleep(2)
            check(not [h for h, _ in raw_events(rec)[n:] if h["x-path"].endswith("?fail")],
                  "nothing more reached the disabled subscription's endpoint")
            later = db.sql("SELECT count(*) FROM webhook_deliveries WHERE subscription_id = '%s'" % bad["id"]).strip()
            check(later == "1", "a disabled subscription is given no delivery of later events (%s)" % later)

        with suite.case("time-based events are recorded once, however often the maintenance runs"):
            db.sql("INSERT INTO agreements (commission_id, org_id, reference, signatory, start_date, end_date) VALUES "
                   "('%s', '%s', 'CONV-%s', 'M. X', current_date - 300, current_date + 20)"
                   % (w.commission, w.org["ll"], uuid.uuid4().hex[:8]))
            db.ctl("maintenance")
            db.ctl("maintenance")
            rec.wait_for(lambda e: e["type"] == "agreement.expiring", what="agreement.expiring")
            time.sleep(1)
            n = db.sql("SELECT count(*) FROM webhook_events WHERE type = 'agreement.expiring'").strip()
            check(n == "1", "one agreement.expiring event, not two (%s)" % n)
            ll = db.sql("SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id "
                        "WHERE e.type = 'agreement.expiring' AND d.subscription_id = '%s'" % landlord["id"]).strip()
            check(ll == "1", "the agreement's landlord hears of it")
    rec.stop()


def case_two_instances(suite, db, tmp):
    with suite.case("two daemons on one database deliver each event once"):
        rec = Receiver()
        key = key_file(tmp)
        opts = dict(webhook_key_file=key, webhook_allow_http=True, webhook_allow_private=True, webhook_retry_base=1,
                    webhook_workers=3)
        with Daemon(db, **opts) as d1, Daemon(db, **opts) as d2:
            w = World(db, d1, "Deux instances")
            w.subscribe(rec.url, types=["session.planned"])
            w2 = World.__new__(World)
            w2.__dict__.update(w.__dict__, d=d2)
            sessions = []
            for i in range(30):
                who = w if i % 2 else w2
                sessions.append(who.ok(201, "POST", "/v1/sessions", body={"session_date": day(i + 1), "town": "Lille",
                                                                           "chair_name": "M. %d" % i}).body["id"])
            got, _ = poll(lambda: len({e["data"]["session_id"] for _, e in rec.events()}) >= 30, 30, 0.2)
            check(got, "every session's event arrived")
            time.sleep(1)
            ids = [h["webhook-id"] for h, _ in raw_events(rec)]
            check(len(ids) == len(set(ids)) == 30, "30 events, each once: %d sent, %d distinct"
                  % (len(ids), len(set(ids))))
        rec.stop()


def body(suite):
    with Database() as db, tempfile.TemporaryDirectory() as tmp:
        case_not_configured(suite, db)
        case_validation(suite, db, tmp)
        case_delivery(suite, db, tmp)
    with Database() as db, tempfile.TemporaryDirectory() as tmp:
        case_two_instances(suite, db, tmp)


if __name__ == "__main__":
    Suite("webhooks").main(body)
