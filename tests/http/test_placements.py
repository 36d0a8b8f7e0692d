#!/usr/bin/env python3
"""/v1/placements and the deposits (cautions): what the users of the commission rely on.

Placements start from an approved application (which becomes 'placed'), never before the decision, only in a unit
in service; the database refuses a unit over its places on any day (the exit day frees the place), even for two
concurrent requests, and a person in two homes at once. Scope: the coordinator sees everything, the person's care
team and curator see it, the landlord of the unit sees a reduced view (no application, session, exit reason or
comment, birth date or person id), everyone else 404; observers 403. The exit is the coordinator's, once.

Deposits: an append-only ledger in integer cents whose balance never goes negative. Posting an entry needs an
Idempotency-Key (428 without), so a retry never pays twice. The landlord of the unit records refunds and deductions
(justified); the curator of the person reads; caregivers and observers get 403. Reversals cancel one entry once.
After an exit the refund is due one month later (inspection matches) or two; then the account is overdue and the
penalty is 10% of the monthly rent (without charges) per started month late. The report per landlord is aggregate
figures only.

Every fixture is built through the API (people, units, applications, a session that approves them); dates in the
past come from backdating the decision with psql before the placement starts.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import calendar
import datetime
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, TIMESTAMP_RE, UUID_RE, CommandFailed, Daemon, Database, Suite, check,  # noqa: E402
                     expect_problem, expect_status, leaks, poll, sql_refusal)

MISSING = "00000000-0000-4000-8000-000000000000"
LEASE_MEMBERS = {"lease_holder", "refund_to_association", "sliding"}  # the lease as signed (issue 13 item 4)
FULL_MEMBERS = {"id", "person", "unit", "move_in_date", "lease", "exit_date", "status", "version", "application_id",
                "session_id", "exit_reason", "exit_comment", "exit_inspection_matches", "created_at",
                "updated_at"} | LEASE_MEMBERS
LANDLORD_MEMBERS = {"id", "person", "unit", "move_in_date", "lease", "exit_date", "status", "version"} | LEASE_MEMBERS
HIDDEN_FROM_LANDLORD = FULL_MEMBERS - LANDLORD_MEMBERS
UNIT_MEMBERS = {"id", "label", "address", "town", "kind", "landlord_org_id"}
ACCOUNT_MEMBERS = {"placement_id", "person", "unit_id", "landlord_org_id", "currency", "expected_cents",
                   "balance_cents", "paid_cents", "refunded_cents", "deducted_cents", "written_off_cents", "status",
                   "move_in_date", "exit_date", "exit_inspection_matches", "refund_due_on", "months_late",
                   "penalty_cents", "settled_on", "penalty_claimed_cents", "penalty_received_cents",
                   "penalty_waived_cents", "penalty_unpaid_cents", "co_owned", "provision", "provision_due_on", "lease",
                   "refund_to_association", "refund_to", "warnings"}
ENTRY_MEMBERS = {"id", "kind", "amount_cents", "effect_cents", "entry_date", "justification", "reverses_entry_id",
                 "recorded_by_role", "created_at"}
REPORT_MEMBERS = {"accounts", "paid_cents", "held_cents", "refunded_cents", "deducted_cents", "written_off_cents",
                  "overdue_accounts", "overdue_held_cents", "outstanding_accounts", "currency", "penalties"}
PENALTY_MEMBERS = {"accrued_cents", "claimed_cents", "received_cents", "waived_cents", "unpaid_cents",
                   "unpaid_accounts"}
MOVES_MONEY = {"paid", "refunded", "deducted", "written_off"}
RENT = 42005        # odd on purpose: the penalty is rounded down to the cent
DEPOSIT = 80000
KEY = object()      # entry(): make a fresh Idempotency-Key


# ---------------------------------------------------------------------------------------------------------------
# Calendar, computed here independently of the server


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    """Today (UTC) plus OFFSET days, as YYYY-MM-DD."""
    return (utc_today() + datetime.timedelta(days=offset)).isoformat()


def parse(text):
    return datetime.date.fromisoformat(text)


def add_months(d, months):
    """D plus MONTHS calendar months, the day clamped to the end of a shorter month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def refund_due(exit_date, matches):
    return add_months(exit_date, 1 if matches else 2)


def due_today_exit(today):
    """(exit day, inspection matches) of an exit whose refund is due on TODAY; every day has one."""
    for back in range(28, 63):
        for matches in (True, False):
            exit_day = today - datetime.timedelta(days=back)
            if refund_due(exit_day, matches) == today:
                return exit_day, matches
    raise AssertionError("no exit is due on %s" % today)


def started_months_late(due, on):
    """How many months of delay have begun on ON for a refund due on DUE: month k (k = 1, 2, ...) of the delay
    covers the days after due + (k-1) months up to due + k months."""
    return sum(1 for k in range(0, 1200) if add_months(due, k) < on)


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: one commission with its organisations and tokens, built through the API


class World:
    """A commission with two care teams, two curator services, two landlords and a token for each role; helpers
    that build people, units, approved applications and placements through the API, and the ledger of every
    deposit entry posted (to check the report against)."""

    counter = 0

    def __init__(self, db, d, name):
        self.db, self.d, self.name = db, d, name
        c = self.commission = db.commission_create(name)
        self.org = {
            "team": db.organisation_create(c, "care_team", name + " CMP Fives"),
            "team2": db.organisation_create(c, "care_team", name + " CMP Hellemmes"),
            "cur": db.organisation_create(c, "curator_service", name + " UDAF"),
            "cur2": db.organisation_create(c, "curator_service", name + " ATINORD"),
            "ll": db.organisation_create(c, "landlord", name + " Lille Métropole Habitat"),
            "ll2": db.organisation_create(c, "landlord", name + " Vilogia"),
        }
        self.tok = {
            "coordinator": db.token_create(c, "coordinator", label="coordination").token,
            "caregiver": db.token_create(c, "caregiver", scope=self.org["team"], label="CMP Fives").token,
            "caregiver2": db.token_create(c, "caregiver", scope=self.org["team2"], label="CMP Hellemmes").token,
            "curator": db.token_create(c, "curator", scope=self.org["cur"], label="UDAF").token,
            "curator2": db.token_create(c, "curator", scope=self.org["cur2"], label="ATINORD").token,
            "landlord": db.token_create(c, "landlord", scope=self.org["ll"], label="LMH").token,
            "landlord2": db.token_create(c, "landlord", scope=self.org["ll2"], label="Vilogia").token,
            "observer": db.token_create(c, "observer", label="sous-groupe logement").token,
        }
        self.people = {}      # person id -> family name
        self.units = {}       # unit id -> landlord org id
        self.placements = {}  # placement id -> {landlord, exit, matches, paid, refunded, deducted, written_off}
        self.entries = {}     # entry id -> (kind, amount, reversed entry id)

    # -- requests
    def call(self, method, path, who="coordinator", body=None, headers=None, raw_body=None):
        token = self.tok.get(who, who)
        return self.d.call(method, path, token=token, body=body, headers=headers, raw_body=raw_body)

    def ok(self, status, method, path, who="coordinator", body=None, headers=None):
        r = self.call(method, path, who, body, headers)
        expect_status(r, status)
        return r

    # -- fixtures
    def person(self, team="team", curator="cur"):
        World.counter += 1
        family = "Famille%s%04d" % (self.name.replace(" ", ""), World.counter)
        body = {"family_name": family, "given_names": "Prénom %d" % World.counter,
                "birth_date": "19%02d-%02d-%02d" % (40 + World.counter % 50, 1 + World.counter % 12,
                                                    1 + World.counter % 28),
                "care_team_id": self.org[team], "confirm_duplicate": True}
        if curator is not None:
            body.update(protection="curatelle_renforcee", curator_org_id=self.org[curator])
        pid = self.ok(201, "POST", "/v1/people", body=body).body["id"]
        self.people[pid] = family
        return pid

    def unit(self, places=1, landlord="ll", status=None, rent=RENT, deposit=DEPOSIT):
        World.counter += 1
        body = {"kind": "hlm_apartment", "label": "T2 n°%d" % World.counter, "address": "%d rue Pierre Legrand"
                % World.counter, "town": "Lille", "landlord_org_id": self.org[landlord], "places": places,
                "rent_cents": rent, "charges_cents": 5000, "deposit_cents": deposit}
        if status is not None:
            body["status"] = status
        r = self.ok(201, "POST", "/v1/units", body=body)
        self.units[r.body["id"]] = self.org[landlord]
        return r.body["id"]

    def application(self, person, submit=True):
        body = {"person_id": person, "situation": "Sortie d'hospitalisation", "submit": submit}
        return self.ok(201, "POST", "/v1/applications", body=body).body["id"]

    def approve(self, people):
        """One submitted application per person of PEOPLE (a person may repeat), put on a new session's agenda and
        approved there; returns the application ids, in order."""
        apps = [self.application(p) for p in people]
        s = self.ok(201, "POST", "/v1/sessions", body={"session_date": day(0), "town": "Lille",
                                                        "chair_name": "M. le maire"}).body["id"]
        self.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s)
        self.ok(200, "POST", "/v1/sessions/%s/open" % s)
        items = self.ok(200, "GET", "/v1/sessions/%s/agenda" % s).body["items"]
        by_app = {item["application"]["id"]: item["id"] for item in items if item.get("application")}
        for a in apps:
            check(a in by_app, "application %s is on the agenda" % a)
            self.ok(201, "POST", "/v1/sessions/%s/decisions" % s, body={"agenda_item_id": by_app[a],
                                                                         "outcome": "approve"})
        self.session = s
        return apps

    def backdate(self, apps, days):
        """The decisions of APPS were taken DAYS ago (so that a move-in in the past is legal)."""
        self.db.sql("UPDATE applications SET decided_at = now() - interval '%d days', decided_on = current_date - %d "
                    "WHERE id IN (%s)" % (days, days, ", ".join("'%s'" % a for a in apps)))

    def start(self, app, unit, move_in, lease="sliding_lease", who="coordinator", headers=None):
        return self.call("POST", "/v1/placements", who, body={"application_id": app, "unit_id": unit,
                                                              "move_in_date": move_in, "lease": lease},
                         headers=headers)

    def place(self, unit, move_in_offset=0, person=None):
        """A person (new unless PERSON) placed in UNIT since today + MOVE_IN_OFFSET; returns the placement body."""
        person = person or self.person()
        (app,) = self.approve([person])
        if move_in_offset < 0:
            self.backdate([app], -move_in_offset + 5)
        r = self.start(app, unit, day(move_in_offset))
        expect_status(r, 201)
        self.placements[r.body["id"]] = {"landlord": self.units[unit], "exit": None, "matches": None, "paid": 0,
                                         "refunded": 0, "deducted": 0, "written_off": 0, "person": person,
                                         "app": app, "unit": unit}
        return r.body

    def exit(self, placement, exit_date, matches=True, reason="lease_transferred", comment=None, who="coordinator"):
        body = {"exit_date": exit_date, "exit_reason": reason, "inspection_matches": matches}
        if comment is not None:
            body["exit_comment"] = comment
        r = self.call("POST", "/v1/placements/%s/exit" % placement, who, body=body)
        if r.status == 200 and placement in self.placements:
            self.placements[placement].update(exit=parse(exit_date), matches=matches)
        return r

    def entry(self, placement, kind, amount=None, entry_date=None, who="coordinator", key=KEY, justification=None,
              reverses=None, extra=None):
        """POST a deposit entry; KEY None sends no Idempotency-Key. A 201 that is not a replay is added to the
        ledger kept here (what was posted, not what the server says)."""
        body = {"kind": kind, "entry_date": entry_date or day(0)}
        if amount is not None:
            body["amount_cents"] = amount
        if justification is not None:
            body["justification"] = justification
        if reverses is not None:
            body["reverses_entry_id"] = reverses
        body.update(extra or {})
        headers = {"Idempotency-Key": uuid.uuid4().hex if key is KEY else key} if key is not None else None
        r = self.call("POST", "/v1/placements/%s/deposit/entries" % placement, who, body=body, headers=headers)
        if r.status == 201 and "idempotent-replayed" not in r.headers and placement in self.placements:
            new = [e for e in r.body["entries"] if e["id"] not in self.entries]
            check(len(new) == 1, "a new entry appears in the ledger", r)
            ledger = self.placements[placement]
            moved = kind in MOVES_MONEY
            if kind == "reversal":
                rkind, ramount, _ = self.entries[reverses]
                ledger[rkind] = ledger.get(rkind, 0) - ramount
                moved = rkind in MOVES_MONEY
                self.entries[new[0]["id"]] = (kind, ramount, reverses)
            else:
                ledger[kind] = ledger.get(kind, 0) + amount
                self.entries[new[0]["id"]] = (kind, amount, None)
            if moved:
                ledger["moved_on"] = max(ledger.get("moved_on") or parse(body["entry_date"]), parse(body["entry_date"]))
        return r

    def account(self, placement, who="coordinator"):
        r = self.ok(200, "GET", "/v1/placements/%s/deposit" % placement, who)
        check_account(r)
        return r.body

    # -- what the server should say, computed from what was posted
    def expected(self, placement, on=None):
        on = on or utc_today()
        p = self.placements[placement]
        balance = p["paid"] - p["refunded"] - p["deducted"] - p["written_off"]
        due = refund_due(p["exit"], p["matches"]) if p["exit"] else None
        if p["exit"] is None:
            status = "held" if balance > 0 else "not_paid"
        elif balance == 0:
            status = "settled"
        elif on > due:
            status = "overdue"
        else:
            status = "outstanding"
        # loi n° 89-462 art. 22: the penalty runs from the due day until the account is settled (the last entry
        # that moved money, not before the exit), or until today; settled late keeps it.
        settled_on = max(p.get("moved_on") or p["exit"], p["exit"]) if p["exit"] and balance == 0 else None
        months = started_months_late(due, settled_on or on) if due else 0
        penalty = RENT * months // 10
        received, waived = p.get("penalty_received", 0), p.get("penalty_waived", 0)
        return {"balance_cents": balance, "paid_cents": p["paid"], "refunded_cents": p["refunded"],
                "deducted_cents": p["deducted"], "written_off_cents": p["written_off"], "status": status,
                "refund_due_on": due.isoformat() if due else None, "months_late": months,
                "penalty_cents": penalty, "settled_on": settled_on.isoformat() if settled_on else None,
                "penalty_claimed_cents": p.get("penalty_claimed", 0), "penalty_received_cents": received,
                "penalty_waived_cents": waived, "penalty_unpaid_cents": max(penalty - received - waived, 0)}


def check_account(r, entries=True):
    b = r.body
    members = ACCOUNT_MEMBERS | ({"entries"} if entries else set())
    check(isinstance(b, dict) and set(b) == members, "members of a DepositAccount: %s" % sorted(members), r)
    check(b["currency"] == "EUR", "currency is EUR", r)
    check(set(b["person"]) == {"family_name", "given_names"}, "person is {family_name, given_names}", r)
    check(b["balance_cents"] == b["paid_cents"] - b["refunded_cents"] - b["deducted_cents"] - b["written_off_cents"],
          "balance = paid - refunded - deducted - written off", r)
    check(b["balance_cents"] >= 0, "the balance is never negative", r)
    if entries:
        for e in b["entries"]:
            check(set(e) == ENTRY_MEMBERS, "members of a DepositEntry: %s" % sorted(ENTRY_MEMBERS), r)
            check(TIMESTAMP_RE.match(e["created_at"]), "created_at is a timestamp", r)
        check(sum(e["effect_cents"] for e in b["entries"]) == b["balance_cents"],
              "the balance is the sum of the entries' effects", r)
    return b


def list_all(w, path, who="coordinator", limit=200):
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(100):
        r = w.ok(200, "GET", "%s%slimit=%d%s" % (path, sep, limit, "&cursor=" + cursor if cursor else ""), who)
        check(set(r.body) == {"items", "next_cursor"}, "a list is {items, next_cursor}", r)
        check(len(r.body["items"]) <= limit, "at most limit items", r)
        items += r.body["items"]
        cursor = r.body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 100 pages")


def concurrently(calls):
    """Runs the CALLS (functions returning a Response) at the same moment, each in a thread; returns the
    responses, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def go(i):
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def app_status(w, app):
    return w.ok(200, "GET", "/v1/applications/%s" % app).body["status"]


def ledger_rows(db):
    return db.sql("SELECT count(*) || ' ' || coalesce(sum(effect_cents), 0) FROM deposit_entries")


# ---------------------------------------------------------------------------------------------------------------
# Cases


def case_start(suite, w, other):
    with suite.case("start: 201 with Location and ETag, the application becomes placed, replay by key"):
        unit = w.unit(places=3)
        person = w.person()
        (app,) = w.approve([person])
        check(app_status(w, app) == "approved", "the application is approved before")
        key = "start-" + uuid.uuid4().hex
        r = w.start(app, unit, day(0), lease="association_main_tenant", headers={"Idempotency-Key": key})
        expect_status(r, 201)
        b = r.body
        check(set(b) == FULL_MEMBERS, "members of a Placement (coordinator): %s" % sorted(FULL_MEMBERS), r)
        check(UUID_RE.match(b["id"]), "id is a UUID", r)
        check(r.headers.get("location") == "/v1/placements/%s" % b["id"], "Location is the placement's path", r)
        check(r.headers.get("etag") == '"v1"' and b["version"] == 1, "ETag \"v1\", version 1", r)
        check(b["application_id"] == app and b["session_id"] == w.session, "application and deciding session", r)
        check(b["person"]["id"] == person and set(b["person"]) == {"id", "family_name", "given_names", "birth_date"},
              "the person, in full", r)
        check(set(b["unit"]) == UNIT_MEMBERS and b["unit"]["id"] == unit
              and b["unit"]["landlord_org_id"] == w.org["ll"], "the unit", r)
        check(b["move_in_date"] == day(0) and b["lease"] == "association_main_tenant", "move-in and lease", r)
        check(b["exit_date"] is None and b["exit_reason"] is None and b["exit_comment"] is None
              and b["exit_inspection_matches"] is None and b["status"] == "active", "active, no exit", r)
        check(TIMESTAMP_RE.match(b["created_at"]) and TIMESTAMP_RE.match(b["updated_at"]), "timestamps", r)
        check(app_status(w, app) == "placed", "the application is placed")
        g = w.ok(200, "GET", r.headers["location"])
        check(g.body == b and g.headers.get("etag") == '"v1"', "GET answers the same placement and ETag", g)
        again = w.start(app, unit, day(0), lease="association_main_tenant", headers={"Idempotency-Key": key})
        expect_status(again, 201)
        check(again.headers.get("idempotent-replayed") == "true", "the retry is a replay", again)
        check(again.body["id"] == b["id"] and again.headers.get("location") == r.headers["location"]
              and again.headers.get("etag") == '"v1"', "the replay answers the first placement", again)
        check(again.raw == r.raw and g.raw == r.raw, "the replay and GET answer the creation's bytes", again)
        check(len(list_all(w, "/v1/placements?person_id=%s" % person)) == 1, "one placement, not two")
        w.placements[b["id"]] = {"landlord": w.org["ll"], "exit": None, "matches": None, "paid": 0, "refunded": 0,
                                 "deducted": 0, "written_off": 0, "person": person, "app": app, "unit": unit}

        # the same application again: it is placed now
        r = w.start(app, unit, day(0))
        expect_problem(r, 409, "invalid-state")
        check(r.body.get("current_status") == "placed", "current_status is placed", r)
        other_key = w.start(app, unit, day(0), lease="direct_lease", headers={"Idempotency-Key": key})
        expect_problem(other_key, 409, "idempotency-key-reused", field="header:Idempotency-Key")

    with suite.case("start: only from an approved application (409 invalid-state with current_status)"):
        unit = w.unit(places=3)
        draft = w.application(w.person(), submit=False)
        submitted = w.application(w.person())
        for app, status in ((draft, "draft"), (submitted, "submitted")):
            r = w.start(app, unit, day(0))
            expect_problem(r, 409, "invalid-state")
            check(r.body.get("current_status") == status, "current_status is %s" % status, r)
            check(app_status(w, app) == status, "the application is still %s" % status)
        check(list_all(w, "/v1/placements?unit_id=%s" % unit) == [], "nothing was placed in the unit")

    with suite.case("start: move-in before the decision is 422 /move_in_date"):
        unit = w.unit(places=3)
        (app,) = w.approve([w.person()])
        r = w.start(app, unit, day(-1))
        expect_problem(r, 422, "validation-failed", field="/move_in_date")
        check(app_status(w, app) == "approved", "the application is still approved")
        w.backdate([app], 30)
        r = w.start(app, unit, day(-31))
        expect_problem(r, 422, "validation-failed", field="/move_in_date")
        r = w.start(app, unit, day(-30))
        expect_status(r, 201)
        check(r.body["move_in_date"] == day(-30), "move-in on the decision's day", r)

    with suite.case("start: a withdrawn, out-of-service or unknown unit is 422 /unit_id"):
        withdrawn = w.unit(places=2)
        etag = w.ok(200, "GET", "/v1/units/%s" % withdrawn).headers["etag"]
        w.ok(200, "PATCH", "/v1/units/%s" % withdrawn, body={"status": "withdrawn", "status_reason": "vendu"},
             headers={"If-Match": etag})
        out_of_service = w.unit(places=2, status="out_of_service")
        occupied = w.unit(places=2, status="occupied")
        foreign_unit = other.unit(places=2)
        apps = w.approve([w.person(), w.person()])
        for unit, what in ((withdrawn, "withdrawn"), (out_of_service, "out of service"), (MISSING, "unknown"),
                           (foreign_unit, "of another commission")):
            r = w.start(apps[0], unit, day(0))
            expect_problem(r, 422, "validation-failed", field="/unit_id")
            check(app_status(w, apps[0]) == "approved", "a refused start (%s unit) leaves it approved" % what)
        expect_status(w.start(apps[1], occupied, day(0)), 201)

    with suite.case("start: unknown application (or another commission's) is 422 /application_id"):
        unit = w.unit()
        (foreign_app,) = other.approve([other.person()])
        for app in (MISSING, foreign_app):
            expect_problem(w.start(app, unit, day(0)), 422, "validation-failed", field="/application_id")
        check(app_status(other, foreign_app) == "approved", "the other commission's application is untouched")

    with suite.case("start: body validation names every field"):
        r = w.call("POST", "/v1/placements", body={})
        expect_problem(r, 422, "validation-failed",
                       fields=["/application_id", "/unit_id", "/move_in_date", "/lease"])
        r = w.call("POST", "/v1/placements", body={"application_id": "x", "unit_id": MISSING,
                                                   "move_in_date": "2026-02-30", "lease": "bail", "colour": 1})
        expect_problem(r, 422, "validation-failed",
                       fields=["/application_id", "/move_in_date", "/lease", "/colour"])
        expect_problem(w.call("POST", "/v1/placements", raw_body="{", headers={"Content-Type": "application/json"}),
                       400, "invalid-json")

    with suite.case("start: caregiver, curator, landlord and observer get 403"):
        unit = w.unit()
        person = w.person()
        (app,) = w.approve([person])
        for who in ("caregiver", "curator", "landlord", "observer"):
            expect_problem(w.start(app, unit, day(0), who=who), 403, "forbidden")
        check(app_status(w, app) == "approved", "nothing started")


def case_capacity(suite, w):
    with suite.case("capacity: a full unit refuses an overlapping stay; the exit day frees the place"):
        unit = w.unit(places=1)
        first = w.place(unit, -150)
        y = w.person()
        (app_y,) = w.approve([y])
        w.backdate([app_y], 200)
        for move_in in (-100, -150, -180, 0):  # during the first stay, on its first day, before it (open-ended)
            r = w.start(app_y, unit, day(move_in))
            expect_problem(r, 409, "conflict")
        check(app_status(w, app_y) == "approved", "the refused application is still approved")
        w.ok(200, "POST", "/v1/placements/%s/exit" % first["id"],
             body={"exit_date": day(-60), "exit_reason": "other_housing", "inspection_matches": True})
        w.placements[first["id"]].update(exit=parse(day(-60)), matches=True)
        expect_problem(w.start(app_y, unit, day(-61)), 409, "conflict")   # the day before the exit: still there
        r = w.start(app_y, unit, day(-60))                                  # the exit day: the place is free
        expect_status(r, 201)
        w.placements[r.body["id"]] = {"landlord": w.org["ll"], "exit": None, "matches": None, "paid": 0,
                                      "refunded": 0, "deducted": 0, "written_off": 0, "person": y, "app": app_y,
                                      "unit": unit}
        (app_z,) = w.approve([w.person()])
        w.backdate([app_z], 200)
        expect_problem(w.start(app_z, unit, day(-10)), 409, "conflict")
        r = w.start(app_z, unit, day(-70))  # before the second stay, after the first: [d-70, ∞) holds d-60
        expect_problem(r, 409, "conflict")
        check(len(list_all(w, "/v1/placements?unit_id=%s" % unit)) == 2, "two placements in the unit")

    with suite.case("capacity: a unit of 2 places takes 2 people, not 3; after an exit, the next one"):
        unit = w.unit(places=2)
        w.place(unit, 0)
        second = w.place(unit, 0)
        (app,) = w.approve([w.person()])
        expect_problem(w.start(app, unit, day(0)), 409, "conflict")
        w.ok(200, "POST", "/v1/placements/%s/exit" % second["id"],
             body={"exit_date": day(0), "exit_reason": "hospitalisation", "inspection_matches": False})
        expect_status(w.start(app, unit, day(0)), 201)

    with suite.case("capacity: one home at a time for a person (409 conflict), a new one from the exit day"):
        person = w.person()
        apps = w.approve([person, person])
        w.backdate(apps, 200)
        u1, u2 = w.unit(places=5), w.unit(places=5)
        r = w.start(apps[0], u1, day(-100))
        expect_status(r, 201)
        first = r.body["id"]
        for unit, move_in in ((u2, -50), (u1, -50), (u2, -150), (u2, 0)):
            expect_problem(w.start(apps[1], unit, day(move_in)), 409, "conflict")
        w.ok(200, "POST", "/v1/placements/%s/exit" % first,
             body={"exit_date": day(-40), "exit_reason": "other_housing", "inspection_matches": True})
        expect_problem(w.start(apps[1], u2, day(-41)), 409, "conflict")
        expect_status(w.start(apps[1], u2, day(-40)), 201)
        check(len(list_all(w, "/v1/placements?person_id=%s" % person)) == 2, "two placements, one after the other")

    with suite.case("capacity: two concurrent starts into the last place: exactly one 201 and one 409"):
        rounds = 6
        people = [w.person() for _ in range(2 * rounds)]
        apps = w.approve(people)
        for n in range(rounds):
            unit = w.unit(places=1)
            pair = apps[2 * n:2 * n + 2]
            results = concurrently([lambda a=a: w.start(a, unit, day(0)) for a in pair])
            statuses = sorted(r.status for r in results)
            check(statuses == [201, 409], "round %d: statuses %s, expected [201, 409]:\n  %r\n  %r"
                  % (n, statuses, results[0], results[1]))
            loser = [r for r in results if r.status == 409][0]
            expect_problem(loser, 409, "conflict")
            winner = [r for r in results if r.status == 201][0]
            placed = list_all(w, "/v1/placements?unit_id=%s" % unit)
            check([p["id"] for p in placed] == [winner.body["id"]], "round %d: one placement in the unit" % n)
            check(w.db.sql("SELECT count(*) FROM placements WHERE unit_id = '%s'" % unit) == "1",
                  "round %d: one row in the database" % n)
            lost_app = [a for a in pair if a != winner.body["application_id"]][0]
            check(app_status(w, lost_app) == "approved", "round %d: the losing application is still approved" % n)
            check(app_status(w, winner.body["application_id"]) == "placed", "round %d: the winner is placed" % n)


def case_places(suite, w):
    """Issue 13 item 7: a unit's places never fall below the people it houses today or on a later day; the
    database refuses it (migrations/0009), through the API (409 naming the count) and in SQL typed by hand."""
    def patch(unit, places):
        etag = w.ok(200, "GET", "/v1/units/%s" % unit).headers["etag"]
        return w.call("PATCH", "/v1/units/%s" % unit, body={"places": places}, headers={"If-Match": etag})

    with suite.case("places: lowering a unit's places below the people housed today is 409 with their count"):
        unit = w.unit(places=3)
        w.place(unit, -30)
        w.place(unit, 0)
        r = patch(unit, 1)
        expect_problem(r, 409, "conflict", field="/places")
        check(r.body.get("occupied_places") == 2 and r.body.get("on") == day(0), "2 people housed today", r)
        got = w.ok(200, "GET", "/v1/units/%s" % unit).body
        check(got["places"] == 3, "the places did not change", got)
        expect_status(patch(unit, 2), 200)
        check(w.ok(200, "GET", "/v1/units/%s" % unit).body["places"] == 2, "2 places for 2 people")

    with suite.case("places: a move-in planned for a later day counts; after the exits the places may fall"):
        unit = w.unit(places=2)
        now = w.place(unit, -10)
        w.place(unit, 20)
        r = patch(unit, 1)
        expect_problem(r, 409, "conflict", field="/places")
        check(r.body.get("occupied_places") == 2 and r.body.get("on") == day(20), "2 people on the move-in day", r)
        expect_status(w.exit(now["id"], day(5)), 200)
        expect_status(patch(unit, 1), 200)

    with suite.case("places: SQL typed by hand is refused by the database too"):
        unit = w.unit(places=2)
        w.place(unit, 0)
        w.place(unit, 0)
        try:
            w.db.sql("UPDATE units SET places = 1 WHERE id = '%s'" % unit)
            refused = None
        except CommandFailed as e:
            refused = str(e)
        check(refused is not None and "2 people housed" in refused,
              "the database refused the UPDATE: %r" % refused)
        check(w.db.sql("SELECT places FROM units WHERE id = '%s'" % unit) == "2", "still 2 places")
        w.db.sql("UPDATE units SET places = 4 WHERE id = '%s'" % unit)
        check(w.db.sql("SELECT places FROM units WHERE id = '%s'" % unit) == "4", "raising is free")


def case_views(suite, w):
    with suite.case("views: coordinator, the person's caregiver and curator read it in full"):
        unit = w.unit(places=3)
        p = w.place(unit, 0)
        w.views = {"placement": p, "unit": unit}
        for who in ("coordinator", "caregiver", "curator"):
            r = w.ok(200, "GET", "/v1/placements/%s" % p["id"], who)
            check(set(r.body) == FULL_MEMBERS, "%s sees the full Placement" % who, r)
            check(r.body["person"]["id"] == p["person"]["id"] and "birth_date" in r.body["person"],
                  "%s sees the person in full" % who, r)
            check(r.headers.get("etag") == '"v%d"' % r.body["version"], "ETag", r)
            ids = [x["id"] for x in list_all(w, "/v1/placements", who)]
            check(p["id"] in ids, "%s finds it in the list" % who)

    with suite.case("views: another care team or curator service: 404, not listed"):
        p = w.views["placement"]
        for who in ("caregiver2", "curator2"):
            expect_problem(w.call("GET", "/v1/placements/%s" % p["id"], who), 404, "not-found")
            ids = [x["id"] for x in list_all(w, "/v1/placements", who)]
            check(p["id"] not in ids, "%s does not find it in the list" % who)
            check(list_all(w, "/v1/placements?unit_id=%s" % w.views["unit"], who) == [],
                  "%s: filtering on the unit shows nothing" % who)

    with suite.case("views: the landlord of the unit sees the reduced view; another landlord 404"):
        p = w.views["placement"]
        r = w.ok(200, "GET", "/v1/placements/%s" % p["id"], "landlord")
        b = r.body
        check(set(b) == LANDLORD_MEMBERS, "members of the landlord's view: %s" % sorted(LANDLORD_MEMBERS), r)
        for hidden in HIDDEN_FROM_LANDLORD:
            check(hidden not in b, "no %s for a landlord" % hidden, r)
        check(b["person"] == {"family_name": p["person"]["family_name"], "given_names": p["person"]["given_names"]},
              "the person is only named: no id, no birth date", r)
        check(p["person"]["id"] not in r.text and p["person"]["birth_date"] not in r.text
              and p["application_id"] not in r.text and p["session_id"] not in r.text,
              "neither the person's id nor birth date nor the application or session appear", r)
        check(b["unit"]["id"] == w.views["unit"] and r.headers.get("etag") == '"v1"', "the unit; ETag", r)
        items = list_all(w, "/v1/placements", "landlord")
        check(p["id"] in [x["id"] for x in items], "listed for the landlord")
        for x in items:
            check(set(x) == LANDLORD_MEMBERS, "every item of the landlord's list is reduced: %r" % x)
            check(w.units.get(x["unit"]["id"]) == w.org["ll"], "a landlord lists only its units' placements")
        expect_problem(w.call("GET", "/v1/placements/%s" % p["id"], "landlord2"), 404, "not-found")
        check(p["id"] not in [x["id"] for x in list_all(w, "/v1/placements", "landlord2")], "not listed for another")

    with suite.case("views: an exit to hospital or a care facility is 'confidential' for the curator, without "
                    "comment; the care side reads it; the landlord never"):
        unit = w.unit(places=4)
        exits = {}
        for reason in ("hospitalisation", "care_facility", "other_housing"):
            p = w.place(unit, -30)
            r = w.exit(p["id"], day(-1), reason=reason, comment="Commentaire de sortie (%s)" % reason)
            expect_status(r, 200)
            exits[p["id"]] = (reason, p["person"]["id"])
        for pid, (reason, person) in exits.items():
            health = reason != "other_housing"
            for who in ("coordinator", "caregiver"):
                b = w.ok(200, "GET", "/v1/placements/%s" % pid, who).body
                check(b["exit_reason"] == reason and b["exit_comment"] == "Commentaire de sortie (%s)" % reason,
                      "%s reads the exit reason %s and its comment: %r" % (who, reason, b))
            r = w.ok(200, "GET", "/v1/placements/%s" % pid, "curator")
            listed = list_all(w, "/v1/placements?person_id=%s" % person, "curator")
            check([x["id"] for x in listed] == [pid], "the curator lists the placement", r)
            for b, where in ((r.body, "GET"), (listed[0], "list")):
                check(b["exit_reason"] == ("confidential" if health else reason) and b["exit_comment"] is None,
                      "curator (%s), exit %s: exit_reason %r, exit_comment %r; expected %r and no comment"
                      % (where, reason, b["exit_reason"], b["exit_comment"], "confidential" if health else reason),
                      r)
            if health:
                check(reason not in r.text, "the curator's answer does not name %s" % reason, r)
            r = w.ok(200, "GET", "/v1/placements/%s" % pid, "landlord")
            check("exit_reason" not in r.body and reason not in r.text and "Commentaire" not in r.text,
                  "the landlord reads neither reason nor comment", r)
        r = w.exit(w.place(unit, -5)["id"], day(0), reason="confidential")
        expect_problem(r, 422, "validation-failed", field="/exit_reason")

    with suite.case("views: the observer gets 403; bad ids and queries 400; unknown 404"):
        p = w.views["placement"]
        expect_problem(w.call("GET", "/v1/placements/%s" % p["id"], "observer"), 403, "forbidden")
        expect_problem(w.call("GET", "/v1/placements", "observer"), 403, "forbidden")
        expect_problem(w.call("GET", "/v1/placements/%s" % MISSING), 404, "not-found")
        expect_problem(w.call("GET", "/v1/placements/nope"), 400, "invalid-id", field="path:id")
        for query, field in (("active=yes", "query:active"), ("unit_id=x", "query:unit_id"),
                             ("person_id=1", "query:person_id"), ("limit=0", "query:limit"),
                             ("cursor=bm90LWpzb24", "query:cursor"), ("colour=red", None)):
            r = w.call("GET", "/v1/placements?" + query)
            expect_problem(r, 400, "invalid-query", field=field)

    with suite.case("views: filters active, unit_id, person_id; keyset pages"):
        unit = w.unit(places=4)
        ended = w.place(unit, -100)
        w.ok(200, "POST", "/v1/placements/%s/exit" % ended["id"],
             body={"exit_date": day(-20), "exit_reason": "care_facility", "inspection_matches": True})
        planned_exit = w.place(unit, -10)
        w.ok(200, "POST", "/v1/placements/%s/exit" % planned_exit["id"],
             body={"exit_date": day(30), "exit_reason": "other_housing", "inspection_matches": True})
        current = w.place(unit, 0)
        every = {ended["id"], planned_exit["id"], current["id"]}
        in_unit = list_all(w, "/v1/placements?unit_id=%s" % unit)
        check({x["id"] for x in in_unit} == every, "unit_id lists the unit's placements")
        by_id = {x["id"]: x for x in in_unit}
        check(by_id[ended["id"]]["status"] == "ended" and by_id[planned_exit["id"]]["status"] == "active"
              and by_id[current["id"]]["status"] == "active", "status: ended after the exit date, active before")
        active = list_all(w, "/v1/placements?active=true&unit_id=%s" % unit)
        check({x["id"] for x in active} == {planned_exit["id"], current["id"]}, "active=true: %s"
              % [x["id"] for x in active])
        inactive = list_all(w, "/v1/placements?active=false&unit_id=%s" % unit)
        check([x["id"] for x in inactive] == [ended["id"]], "active=false: the ended one")
        mine = list_all(w, "/v1/placements?person_id=%s" % current["person"]["id"])
        check([x["id"] for x in mine] == [current["id"]], "person_id lists the person's placements")
        # pages of 1 over the whole commission: every placement once, in (move-in, id) order
        everything = list_all(w, "/v1/placements")
        paged = list_all(w, "/v1/placements", limit=1)
        check([x["id"] for x in paged] == [x["id"] for x in everything], "pages of one give the same list")
        keys = [(x["move_in_date"], x["id"]) for x in everything]
        check(keys == sorted(keys) and len(set(keys)) == len(keys), "ordered by move-in date, then id")
        two = list_all(w, "/v1/placements?unit_id=%s" % unit, limit=2)
        check(len(two) == 3, "filters hold across pages")


def case_exit(suite, w):
    with suite.case("exit: 200 with the exit fields and a new version; only once; not before the move-in"):
        unit = w.unit(places=2)
        p = w.place(unit, -100)
        pid = p["id"]
        r = w.exit(pid, day(-101))
        expect_problem(r, 422, "validation-failed", field="/exit_date")
        r = w.call("POST", "/v1/placements/%s/exit" % pid, body={})
        expect_problem(r, 422, "validation-failed", fields=["/exit_date", "/exit_reason", "/inspection_matches"])
        r = w.call("POST", "/v1/placements/%s/exit" % pid,
                   body={"exit_date": day(-1), "exit_reason": "moved", "inspection_matches": "yes", "x": 1})
        expect_problem(r, 422, "validation-failed", fields=["/exit_reason", "/inspection_matches", "/x"])
        for who in ("landlord", "caregiver", "curator", "observer"):
            expect_problem(w.exit(pid, day(-1), who=who), 403, "forbidden")
        check(w.ok(200, "GET", "/v1/placements/%s" % pid).body["exit_date"] is None, "refused exits changed nothing")
        r = w.exit(pid, day(-1), matches=False, reason="lease_transferred", comment="Bail glissé au locataire")
        expect_status(r, 200)
        b = r.body
        check(b["exit_date"] == day(-1) and b["exit_reason"] == "lease_transferred"
              and b["exit_comment"] == "Bail glissé au locataire" and b["exit_inspection_matches"] is False,
              "the exit fields", r)
        check(b["status"] == "ended" and b["version"] == 2 and r.headers.get("etag") == '"v2"', "ended, v2", r)
        again = w.exit(pid, day(0))
        expect_problem(again, 409, "invalid-state")
        check(again.body.get("current_status") == "ended", "current_status is ended", again)
        check(w.ok(200, "GET", "/v1/placements/%s" % pid).body["exit_date"] == day(-1), "the first exit stays")
        expect_problem(w.exit(MISSING, day(0)), 404, "not-found")
        expect_problem(w.call("POST", "/v1/placements/xyz/exit", body={}), 400, "invalid-id", field="path:id")
        r = w.ok(200, "GET", "/v1/placements/%s" % pid, "landlord")
        check(set(r.body) == LANDLORD_MEMBERS and r.body["exit_date"] == day(-1) and r.body["status"] == "ended",
              "the landlord sees the exit date, not its reason", r)


def case_deposits(suite, w):
    unit = w.unit(places=2)
    p = w.place(unit, -60)
    pid = p["id"]
    other_unit = w.unit(places=2)
    other = w.place(other_unit, 0)
    expect_status(w.entry(other["id"], "paid", 1000), 201)
    path = "/v1/placements/%s/deposit" % pid
    entries = path + "/entries"

    with suite.case("deposits: a new placement's account is empty (not_paid), with the unit's deposit expected"):
        b = w.account(pid)
        check(b["status"] == "not_paid" and b["balance_cents"] == 0 and b["entries"] == []
              and b["expected_cents"] == DEPOSIT and b["unit_id"] == unit and b["landlord_org_id"] == w.org["ll"]
              and b["move_in_date"] == day(-60) and b["exit_date"] is None and b["refund_due_on"] is None
              and b["months_late"] == 0 and b["penalty_cents"] == 0, "an empty account: %r" % b)

    with suite.case("deposits: 'paid' without Idempotency-Key is 428 naming header:Idempotency-Key; nothing paid"):
        before = ledger_rows(w.db)
        r = w.entry(pid, "paid", DEPOSIT, key=None)
        expect_problem(r, 428, "precondition-required", field="header:Idempotency-Key")
        check(ledger_rows(w.db) == before and w.account(pid)["entries"] == [], "nothing was recorded")
        expect_problem(w.entry(pid, "paid", DEPOSIT, key="clé avec espace"), 422, "validation-failed",
                       field="header:Idempotency-Key")

    with suite.case("deposits: paid with a key is 201; the same key and body replay it and never pay twice"):
        r = w.entry(pid, "paid", DEPOSIT, entry_date=day(-59), key="pay-" + pid)
        expect_status(r, 201)
        b = check_account(r)
        check(r.headers.get("location") == path, "Location is the deposit's path", r)
        check(b["balance_cents"] == DEPOSIT and b["paid_cents"] == DEPOSIT and b["status"] == "held", "held", r)
        (e,) = b["entries"]
        check(e["kind"] == "paid" and e["amount_cents"] == DEPOSIT and e["effect_cents"] == DEPOSIT
              and e["entry_date"] == day(-59) and e["recorded_by_role"] == "coordinator"
              and e["justification"] is None and e["reverses_entry_id"] is None, "the entry", r)
        for attempt in range(2):
            again = w.entry(pid, "paid", DEPOSIT, entry_date=day(-59), key="pay-" + pid)
            expect_status(again, 201)
            check(again.headers.get("idempotent-replayed") == "true", "Idempotent-Replayed: true", again)
            check(again.body == r.body and again.headers.get("location") == path, "the same answer", again)
        # the same body written differently is the same request
        raw = '{ "entry_date" : "%s", "amount_cents": %d, "kind":"paid" }' % (day(-59), DEPOSIT)
        again = w.call("POST", entries, raw_body=raw, headers={"Content-Type": "application/json",
                                                                "Idempotency-Key": "pay-" + pid})
        expect_status(again, 201)
        check(again.headers.get("idempotent-replayed") == "true", "member order and spaces do not matter", again)
        now = w.account(pid)
        check(now["balance_cents"] == DEPOSIT and len(now["entries"]) == 1, "paid once: %r" % now)
        r = w.entry(pid, "paid", DEPOSIT + 1, entry_date=day(-59), key="pay-" + pid)
        expect_problem(r, 409, "idempotency-key-reused", field="header:Idempotency-Key")
        check(len(w.account(pid)["entries"]) == 1, "still one entry")

    with suite.case("deposits: a refund over the balance is 409 conflict and records nothing"):
        before = ledger_rows(w.db)
        key = "too-much-" + pid
        for attempt in range(2):  # refused, so the key keeps no answer: the same request is refused again
            expect_problem(w.entry(pid, "refunded", DEPOSIT + 1, key=key), 409, "conflict")
        check(ledger_rows(w.db) == before, "nothing was recorded")
        check(w.account(pid)["balance_cents"] == DEPOSIT, "the balance is unchanged")

    with suite.case("deposits: the landlord of the unit records refunds and justified deductions, not payments"):
        r = w.entry(pid, "refunded", 30000, who="landlord")
        expect_status(r, 201)
        check(r.body["balance_cents"] == DEPOSIT - 30000 and r.body["refunded_cents"] == 30000, "refunded", r)
        check(r.body["entries"][-1]["recorded_by_role"] == "landlord", "recorded by the landlord", r)
        expect_problem(w.entry(pid, "deducted", 5000, who="landlord"), 422, "validation-failed",
                       field="/justification")
        r = w.entry(pid, "deducted", 5000, who="landlord", justification="Remise en peinture de la chambre")
        expect_status(r, 201)
        check(r.body["balance_cents"] == DEPOSIT - 35000 and r.body["deducted_cents"] == 5000, "deducted", r)
        check(r.body["entries"][-1]["justification"] == "Remise en peinture de la chambre", "justification kept", r)
        for kind in ("paid", "written_off"):
            expect_problem(w.entry(pid, kind, 100, who="landlord"), 422, "validation-failed", field="/kind")
        expect_problem(w.entry(pid, "reversal", who="landlord", justification="x",
                               reverses=r.body["entries"][-1]["id"]), 422, "validation-failed", field="/kind")
        expect_problem(w.entry(pid, "refunded", 100, who="landlord2"), 404, "not-found")
        expect_problem(w.call("GET", path, "landlord2"), 404, "not-found")
        check(w.account(pid, "landlord")["balance_cents"] == DEPOSIT - 35000, "the landlord reads its account")

    with suite.case("deposits: the curator reads (200) but cannot post (403); caregiver and observer 403"):
        b = w.account(pid, "curator")
        check(b["balance_cents"] == DEPOSIT - 35000 and len(b["entries"]) == 3, "the curator's read", b)
        expect_problem(w.call("GET", path, "curator2"), 404, "not-found")
        for who in ("curator", "caregiver", "observer", "curator2"):
            expect_problem(w.entry(pid, "refunded", 100, who=who), 403, "forbidden")
        for who in ("caregiver", "observer"):
            expect_problem(w.call("GET", path, who), 403, "forbidden")
            expect_problem(w.call("GET", "/v1/deposits", who), 403, "forbidden")
        check(len(w.account(pid)["entries"]) == 3, "no entry was added")

    with suite.case("deposits: reversals restore the balance, once; not of a reversal; justified; same amount"):
        ledger = {e["id"]: e for e in w.account(pid)["entries"]}
        refund = [e for e in ledger.values() if e["kind"] == "refunded"][0]
        deduction = [e for e in ledger.values() if e["kind"] == "deducted"][0]
        expect_problem(w.entry(pid, "reversal", reverses=refund["id"]), 422, "validation-failed",
                       field="/justification")
        expect_problem(w.entry(pid, "reversal", justification="erreur"), 422, "validation-failed",
                       field="/reverses_entry_id")
        expect_problem(w.entry(pid, "refunded", 100, reverses=refund["id"]), 422, "validation-failed",
                       field="/reverses_entry_id")
        expect_problem(w.entry(pid, "reversal", 29999, justification="erreur", reverses=refund["id"]), 422,
                       "validation-failed", field="/amount_cents")
        for unknown in (MISSING, w.account(other["id"])["entries"][0]["id"]):
            expect_problem(w.entry(pid, "reversal", justification="erreur", reverses=unknown), 422,
                           "validation-failed", field="/reverses_entry_id")
        r = w.entry(pid, "reversal", justification="Virement rejeté par la banque", reverses=refund["id"])
        expect_status(r, 201)
        b = check_account(r)
        check(b["balance_cents"] == DEPOSIT - 5000 and b["refunded_cents"] == 0, "the refund is cancelled", r)
        rev = b["entries"][-1]
        check(rev["kind"] == "reversal" and rev["amount_cents"] == 30000 and rev["effect_cents"] == 30000
              and rev["reverses_entry_id"] == refund["id"], "the reversal entry: %r" % rev, r)
        expect_problem(w.entry(pid, "reversal", justification="encore", reverses=refund["id"]), 409, "conflict")
        paid = [e for e in ledger.values() if e["kind"] == "paid"][0]
        expect_problem(w.entry(pid, "reversal", justification="virement annulé", reverses=paid["id"]), 409,
                       "conflict")  # the landlord already gave back 5000 of it: the balance would be negative
        expect_problem(w.entry(pid, "reversal", justification="annuler l'annulation", reverses=rev["id"]), 422,
                       "validation-failed", field="/reverses_entry_id")
        r = w.entry(pid, "reversal", 5000, justification="Peinture à la charge du bailleur", reverses=deduction["id"])
        expect_status(r, 201)
        check(r.body["balance_cents"] == DEPOSIT and r.body["deducted_cents"] == 0, "the deduction is cancelled", r)
        check(len(w.account(pid)["entries"]) == 5, "five entries: paid, refund, deduction, two reversals")

    with suite.case("deposits: other validation: amounts, dates, kinds, ids"):
        expect_problem(w.entry(pid, "refunded", 100, entry_date=day(1)), 422, "validation-failed",
                       field="/entry_date")
        expect_problem(w.entry(pid, "paid"), 422, "validation-failed", field="/amount_cents")
        for amount in (0, -100, 100000001, 12.5, "100"):
            expect_problem(w.entry(pid, "paid", amount), 422, "validation-failed", field="/amount_cents")
        expect_problem(w.entry(pid, "gift", 100), 422, "validation-failed", field="/kind")
        expect_problem(w.entry(pid, "paid", 100, extra={"currency": "USD"}), 422, "validation-failed",
                       field="/currency")
        expect_problem(w.entry(MISSING, "paid", 100), 404, "not-found")
        expect_problem(w.call("GET", "/v1/placements/%s/deposit" % MISSING), 404, "not-found")
        expect_problem(w.call("GET", "/v1/placements/x/deposit"), 400, "invalid-id", field="path:id")
        check(len(w.account(pid)["entries"]) == 5, "no entry was added")

    with suite.case("deposits: the ledger is append-only: no route edits an entry, the database refuses too"):
        entry_id = w.account(pid)["entries"][0]["id"]
        for method in ("PATCH", "DELETE", "PUT"):
            r = w.call(method, entries, body={"amount_cents": 1} if method != "DELETE" else None)
            expect_problem(r, 405, "method-not-allowed")
            check("POST" in r.headers.get("allow", ""), "Allow names POST", r)
            r = w.call(method, "%s/%s" % (entries, entry_id), body={"amount_cents": 1} if method != "DELETE" else None)
            expect_problem(r, 404, "route-not-found")
        for method in ("PATCH", "DELETE", "PUT", "POST"):
            r = w.call(method, path, body={"balance_cents": 0} if method != "DELETE" else None)
            expect_problem(r, 405, "method-not-allowed")
        # Refused by the ledger's own rules (SQLSTATE 23514, check_violation, naming the rule), not by any error.
        for statement in ("UPDATE deposit_entries SET amount_cents = 1 WHERE id = '%s'" % entry_id,
                          "DELETE FROM deposit_entries WHERE id = '%s'" % entry_id):
            refusal = sql_refusal(w.db.name, statement)
            check(refusal[:2] == ("23514", "deposit_entries_append_only"),
                  "%s: refused with %r, expected 23514 deposit_entries_append_only" % (statement, refusal))
        statement = ("INSERT INTO deposit_entries (commission_id, placement_id, kind, amount_cents, effect_cents, "
                     "entry_date, role) VALUES ('%s', '%s', 'refunded', %d, %d, current_date, 'coordinator')"
                     % (w.commission, pid, DEPOSIT + 1, -(DEPOSIT + 1)))
        refusal = sql_refusal(w.db.name, statement)
        check(refusal[:2] == ("23514", "deposit_balance_not_negative"),
              "a refund over the balance: refused with %r, expected 23514 deposit_balance_not_negative" % (refusal,))
        # the same entry within the balance is accepted: the refusal above was for the balance alone
        within = statement.replace("%d, %d, current_date" % (DEPOSIT + 1, -(DEPOSIT + 1)),
                                   "1, -1, current_date")
        w.db.sql("BEGIN; %s; ROLLBACK" % within)
        b = w.account(pid)
        check(b["balance_cents"] == DEPOSIT and len(b["entries"]) == 5, "unchanged: %r" % b)

    with suite.case("deposits: two concurrent refunds of 60% each: one 201, one 409; the balance stays >= 0"):
        for n in range(3):
            unit = w.unit(places=1)
            q = w.place(unit, 0)["id"]
            expect_status(w.entry(q, "paid", 10000), 201)
            results = concurrently([lambda: w.entry(q, "refunded", 6000, who="landlord")] * 2)
            statuses = sorted(r.status for r in results)
            check(statuses == [201, 409], "round %d: %s:\n  %r\n  %r" % (n, statuses, results[0], results[1]))
            expect_problem([r for r in results if r.status == 409][0], 409, "conflict")
            b = w.account(q)
            check(b["balance_cents"] == 4000 and len(b["entries"]) == 2, "round %d: one refund: %r" % (n, b))

    with suite.case("deposits: a refused entry under an Idempotency-Key leaves no trace (the corrected request "
                    "may use the same key)"):
        # The contract (api/openapi.yaml, "Creations: Idempotency-Key"): "only a completed creation is remembered:
        # a request that was refused (4xx) or failed (5xx) leaves no trace, and may be corrected and sent again
        # under the same key."
        paid = [e for e in w.account(pid)["entries"] if e["kind"] == "paid"][0]
        key = "reverse-" + pid
        r = w.entry(pid, "reversal", 1, justification="mauvais montant", reverses=paid["id"], key=key)
        expect_problem(r, 422, "validation-failed", field="/amount_cents")
        r = w.entry(pid, "refunded", 1000, key=key)
        expect_status(r, 201)
        r = w.entry(other["id"], "refunded", 1000, key="another-" + pid, who="landlord2")
        expect_problem(r, 404, "not-found")
        r = w.entry(other["id"], "refunded", 1000, key="another-" + pid, who="landlord2")
        expect_problem(r, 404, "not-found")


def case_idempotent_refusal_start(suite, w):
    with suite.case("start: a refused start under an Idempotency-Key leaves no trace (the corrected request may "
                    "use the same key)"):
        unit = w.unit(places=2)
        (app,) = w.approve([w.person()])
        key = "start-refused-" + app
        r = w.start(app, unit, day(-3), headers={"Idempotency-Key": key})
        expect_problem(r, 422, "validation-failed", field="/move_in_date")
        r = w.start(app, unit, day(-3), headers={"Idempotency-Key": key})
        expect_problem(r, 422, "validation-failed", field="/move_in_date")
        r = w.start(app, unit, day(0), headers={"Idempotency-Key": key})
        expect_status(r, 201)


def case_delays(suite, w):
    """A world of its own: every account of it is known, for the lists and the report."""
    late = {}

    with suite.case("legal delays: refund due 1 month after the exit when the inspections match, else 2"):
        matching = w.place(w.unit(places=1), -300)["id"]
        expect_status(w.entry(matching, "paid", DEPOSIT, entry_date=day(-299)), 201)
        r = w.exit(matching, day(-200), matches=True)
        expect_status(r, 200)
        b = w.account(matching)
        check(b["refund_due_on"] == add_months(parse(day(-200)), 1).isoformat(), "due one month later: %r" % b)
        not_matching = w.place(w.unit(places=1, landlord="ll2"), -300)["id"]
        expect_status(w.entry(not_matching, "paid", DEPOSIT, entry_date=day(-299)), 201)
        expect_status(w.entry(not_matching, "refunded", 20000, who="landlord2"), 201)
        expect_status(w.exit(not_matching, day(-100), matches=False), 200)
        b = w.account(not_matching)
        check(b["refund_due_on"] == add_months(parse(day(-100)), 2).isoformat(), "due two months later: %r" % b)
        # the last day of a month 31 days long, followed by a shorter one: the due day is clamped
        d = parse(day(-130))
        while not (d.day == 31 and calendar.monthrange(*add_months(d.replace(day=1), 1).timetuple()[:2])[1] < 31):
            d -= datetime.timedelta(days=1)
        clamped = w.place(w.unit(places=1), -((utc_today() - d).days + 10))["id"]
        expect_status(w.entry(clamped, "paid", DEPOSIT), 201)
        expect_status(w.exit(clamped, d.isoformat(), matches=True), 200)
        b = w.account(clamped)
        check(b["refund_due_on"] == add_months(d, 1).isoformat() and add_months(d, 1).day < 31,
              "exit %s: due %s, expected %s (end of the shorter month)" % (d, b["refund_due_on"], add_months(d, 1)))
        late.update(matching=matching, not_matching=not_matching, clamped=clamped)

    with suite.case("legal delays: overdue with months late and the penalty (10% of the rent per started month)"):
        for name, pid in late.items():
            b = w.account(pid)
            exp = w.expected(pid)
            check(exp["status"] == "overdue" and exp["months_late"] >= 1, "the fixture is overdue (%s)" % name)
            check_against_body(b, exp, name)
            check(b["penalty_cents"] == RENT * b["months_late"] // 10, "penalty = rent * months / 10 (%s)" % name)
        check(w.account(late["matching"])["months_late"] == started_months_late(
            add_months(parse(day(-200)), 1), utc_today()), "months late of the first one")

    with suite.case("legal delays: within the delay it is outstanding; refunded in full it is settled"):
        recent = w.place(w.unit(places=1), -40)["id"]
        expect_status(w.entry(recent, "paid", DEPOSIT), 201)
        expect_status(w.exit(recent, day(-10), matches=True), 200)
        b = w.account(recent)
        check_against_body(b, w.expected(recent), "recent")
        check(b["status"] == "outstanding" and b["months_late"] == 0 and b["penalty_cents"] == 0, "outstanding", b)
        # An exit whose refund is due today: one month after it (inspections match) or two (they do not). Every
        # day is the due day of such an exit, even the 29th to 31st of a month after a shorter one (31 March is
        # two months after 31 January), so the check below always runs.
        today = utc_today()
        exit_day, matches = due_today_exit(today)
        due_today = w.place(w.unit(places=1, landlord="ll2"), -((today - exit_day).days + 10))["id"]
        expect_status(w.entry(due_today, "paid", DEPOSIT), 201)
        expect_status(w.exit(due_today, exit_day.isoformat(), matches=matches), 200)
        b = w.account(due_today)
        check(b["refund_due_on"] == today.isoformat(), "exit %s, inspections %s: due %s"
              % (exit_day, "matching" if matches else "not matching", today), b)
        if utc_today() == today:
            check(b["status"] == "outstanding" and b["months_late"] == 0 and b["penalty_cents"] == 0,
                  "on the due day: outstanding, no penalty", b)
        else:  # the run crossed midnight UTC: the due day is yesterday now
            check_against_body(b, w.expected(due_today), "due yesterday")
        settled = w.place(w.unit(places=1), -300)["id"]
        expect_status(w.entry(settled, "paid", DEPOSIT, entry_date=day(-299)), 201)
        expect_status(w.exit(settled, day(-200), matches=False), 200)
        expect_status(w.entry(settled, "refunded", DEPOSIT - 7000, who="landlord"), 201)
        b = w.account(settled)
        check(b["status"] == "overdue", "partly refunded late: still overdue", b)
        expect_status(w.entry(settled, "deducted", 7000, who="landlord", justification="Serrure changée"), 201)
        b = w.account(settled)
        check_against_body(b, w.expected(settled), "settled")
        check(b["status"] == "settled" and b["balance_cents"] == 0 and b["settled_on"] == day(0)
              and b["months_late"] >= 1 and b["penalty_cents"] == RENT * b["months_late"] // 10
              and b["penalty_unpaid_cents"] == b["penalty_cents"], "settled late: the penalty stays owed: %r" % b)
        held = w.place(w.unit(places=1, landlord="ll2"), -20)["id"]
        expect_status(w.entry(held, "paid", DEPOSIT), 201)
        written_off = w.place(w.unit(places=1), -400)["id"]
        expect_status(w.entry(written_off, "paid", DEPOSIT, entry_date=day(-399)), 201)
        expect_status(w.exit(written_off, day(-300), matches=True), 200)
        expect_status(w.entry(written_off, "refunded", 50000, who="landlord"), 201)
        expect_status(w.entry(written_off, "written_off", DEPOSIT - 50000, justification="Bailleur en liquidation"),
                      201)
        check(w.account(written_off)["status"] == "settled", "written off: settled")
        w.place(w.unit(places=1), 0)  # not paid yet
        for pid in w.placements:
            check_against_body(w.account(pid), w.expected(pid), pid)

    with suite.case("GET /v1/deposits?status=...: exactly the accounts in that status; a landlord its own"):
        for status in ("overdue", "outstanding", "settled", "held", "not_paid", "penalty_unpaid"):
            want = {pid for pid in w.placements if w.expected(pid)["status"] == status
                    or (status == "penalty_unpaid" and w.expected(pid)["penalty_unpaid_cents"] > 0)}
            items = list_all(w, "/v1/deposits?status=" + status)
            check({x["placement_id"] for x in items} == want, "status=%s: %s, expected %s"
                  % (status, sorted(x["placement_id"] for x in items), sorted(want)))
            for x in items:
                check(set(x) == ACCOUNT_MEMBERS, "a listed account has no ledger: %r" % x)
                check_against_body(x, w.expected(x["placement_id"]), "listed ")
            for who, org in (("landlord", "ll"), ("landlord2", "ll2")):
                mine = {pid for pid in want if w.placements[pid]["landlord"] == w.org[org]}
                items = list_all(w, "/v1/deposits?status=" + status, who)
                check({x["placement_id"] for x in items} == mine, "%s, status=%s: only its own" % (who, status))
            filtered = list_all(w, "/v1/deposits?status=%s&landlord_org_id=%s" % (status, w.org["ll2"]))
            check({x["placement_id"] for x in filtered}
                  == {pid for pid in want if w.placements[pid]["landlord"] == w.org["ll2"]}, "landlord_org_id filter")
        check(len(list_all(w, "/v1/deposits", limit=1)) == len(w.placements), "pages of one list every account")
        curator = {x["placement_id"] for x in list_all(w, "/v1/deposits", "curator")}
        check(curator == set(w.placements), "the curator of every person lists every account")
        check(list_all(w, "/v1/deposits", "curator2") == [], "another curator service lists none")
        for query, field in (("status=late", "query:status"), ("status=", "query:status"),
                             ("landlord_org_id=x", "query:landlord_org_id"), ("limit=-1", "query:limit"),
                             ("sort=name", None)):
            expect_problem(w.call("GET", "/v1/deposits?" + query), 400, "invalid-query", field=field)

    with suite.case("GET /v1/deposits for a curator: a person's accounts follow them to another curator service, "
                    "and back"):
        pid = next(iter(w.placements))
        person = w.placements[pid]["person"]
        for there, gone in (("cur2", "curator"), ("cur", "curator2")):
            etag = w.ok(200, "GET", "/v1/people/%s" % person).headers["etag"]
            w.ok(200, "PATCH", "/v1/people/%s" % person, body={"curator_org_id": w.org[there]},
                 headers={"If-Match": etag})
            mine = {p for p, x in w.placements.items() if x["person"] == person}
            now = "curator2" if there == "cur2" else "curator"
            for status in ("", "?status=" + w.account(pid)["status"]):
                listed = {x["placement_id"] for x in list_all(w, "/v1/deposits" + status, now)}
                check(mine <= listed, "%s lists the person's accounts%s once it protects them" % (now, status))
                listed = {x["placement_id"] for x in list_all(w, "/v1/deposits" + status, gone)}
                check(not (mine & listed), "%s no longer lists them%s" % (gone, status))
    return late


def case_penalty(suite, w):
    """Issue 13 item 1: the late-refund penalty (loi n° 89-462 art. 22) stays visible after the refund; the
    association records it claimed, received and waived (with the reason); penalty_unpaid lists what is owed."""
    with suite.case("penalty: refunded late, the account is settled and still shows the penalty it earned"):
        pid = w.place(w.unit(places=1), -400)["id"]
        expect_status(w.entry(pid, "paid", DEPOSIT, entry_date=day(-399)), 201)
        r = w.call("POST", "/v1/placements/%s/reviews" % pid, body={"review_date": day(-250), "rent_status": "arrears",
                                                                     "arrears_cents": 15000})
        expect_status(r, 201)
        expect_status(w.exit(pid, day(-200), matches=True), 200)
        due = add_months(parse(day(-200)), 1)
        expect_status(w.entry(pid, "refunded", DEPOSIT, entry_date=day(-100), who="landlord"), 201)
        b = w.account(pid)
        months = started_months_late(due, parse(day(-100)))
        check(months >= 2, "the fixture is several months late (%d)" % months)
        check(b["status"] == "settled" and b["settled_on"] == day(-100) and b["months_late"] == months
              and b["penalty_cents"] == RENT * months // 10 and b["penalty_unpaid_cents"] == RENT * months // 10,
              "settled on the refund day, %d started months: %d cents owed: %r" % (months, RENT * months // 10, b))
        check_against_body(b, w.expected(pid), "penalty")
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits?status=penalty_unpaid")}
        check(pid in listed, "listed with status=penalty_unpaid")
        w.penalty = {"placement": pid, "owed": RENT * months // 10}
        person = w.placements[pid]["person"]
        for who in ("coordinator", "curator"):
            r = w.ok(200, "GET", "/v1/people/%s/status" % person, who)
            check(r.body["deposit"] == {"balance_cents": 0, "currency": "EUR", "status": "settled",
                                        "refund_due_on": due.isoformat(), "months_late": months,
                                        "penalty_cents": RENT * months // 10,
                                        "penalty_unpaid_cents": RENT * months // 10, "provision_cents": 0,
                                        "provision_due_on": None},
                  "%s's status check: the deposit's due date and penalty" % who, r)
            check(r.body["rent"] is None, "%s's status check: no arrears of a placement that has ended" % who, r)

    with suite.case("penalty: claimed, received, waived with a reason; never more than accrued; coordinator only"):
        pid, owed = w.penalty["placement"], w.penalty["owed"]
        expect_problem(w.entry(pid, "penalty_waived", 1000), 422, "validation-failed", field="/justification")
        expect_problem(w.entry(pid, "penalty_received", 1000, who="landlord"), 422, "validation-failed",
                       field="/kind")
        r = w.entry(pid, "penalty_claimed", owed + 1)
        expect_problem(r, 409, "conflict", field="/amount_cents")
        check(r.body.get("penalty_cents") == owed, "the refusal says what accrued", r)
        expect_status(w.entry(pid, "penalty_claimed", owed), 201)
        expect_status(w.entry(pid, "penalty_received", owed - 1000), 201)
        expect_problem(w.entry(pid, "penalty_received", 1001), 409, "conflict", field="/amount_cents")
        r = w.entry(pid, "penalty_waived", 1000, justification="Le locataire n'a pas donné sa nouvelle adresse")
        expect_status(r, 201)
        check(all(e["effect_cents"] == 0 for e in r.body["entries"] if e["kind"].startswith("penalty_")),
              "penalty entries move no deposit money", r)
        b = w.account(pid)
        check(b["balance_cents"] == 0 and b["status"] == "settled" and b["penalty_cents"] == owed
              and b["penalty_claimed_cents"] == owed and b["penalty_received_cents"] == owed - 1000
              and b["penalty_waived_cents"] == 1000 and b["penalty_unpaid_cents"] == 0, "paid off: %r" % b)
        check_against_body(b, w.expected(pid), "penalty paid")
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits?status=penalty_unpaid")}
        check(pid not in listed, "no longer listed with status=penalty_unpaid")
        held = w.place(w.unit(places=1), -20)["id"]
        expect_status(w.entry(held, "paid", DEPOSIT), 201)
        expect_problem(w.entry(held, "penalty_claimed", 100), 409, "conflict", field="/kind")


def case_residence(suite, w):
    """Issue 13 item 2: a residence or foyer is the landlord of its places: a landlord token scoped to a
    `residence` organisation sees and writes only its places' placements and deposits."""
    with suite.case("residence: a landlord token scoped to a residence sees and writes only its places"):
        c = w.commission
        w.org["res"] = w.db.organisation_create(c, "residence", w.name + " Résidence André Breton")
        w.tok["residence"] = w.db.token_create(c, "landlord", scope=w.org["res"], label="Résidence").token
        r = w.ok(201, "POST", "/v1/tokens", body={"role": "landlord", "scope_org_id": w.org["res"],
                                                 "label": "Foyer, par l'API"})
        check(r.body["role"] == "landlord" and r.body["scope_org_id"] == w.org["res"], "created through the API", r)
        unit = w.unit(places=12, landlord="res")
        mine = w.place(unit, -10)["id"]
        theirs = w.place(w.unit(places=1), -10)["id"]
        for pid in (mine, theirs):
            expect_status(w.entry(pid, "paid", DEPOSIT, entry_date=day(-9)), 201)
        r = w.ok(200, "GET", "/v1/placements/%s" % mine, "residence")
        check(set(r.body) == LANDLORD_MEMBERS, "the landlord's view of its place's placement", r)
        expect_problem(w.call("GET", "/v1/placements/%s" % theirs, "residence"), 404, "not-found")
        expect_problem(w.call("GET", "/v1/placements/%s/deposit" % theirs, "residence"), 404, "not-found")
        expect_status(w.exit(mine, day(-1), matches=True), 200)
        expect_status(w.entry(mine, "refunded", DEPOSIT, who="residence"), 201)
        check(w.account(mine, "residence")["status"] == "settled", "the residence refunded its place's deposit")
        r = w.entry(theirs, "refunded", 100, who="residence")
        expect_problem(r, 404, "not-found")
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits", "residence")}
        check(listed == {mine}, "the residence lists only its places' deposits: %r" % listed)
        expect_problem(w.entry(mine, "paid", 100, who="residence"), 422, "validation-failed", field="/kind")


def case_pay_at_move_in(suite, w):
    """Issue 13 item 3: the move-in pays the deposit in one call, one transaction, idempotent."""
    with suite.case("move-in pays the deposit in one call: true (the unit's), an amount; replay pays once"):
        unit = w.unit(places=3)
        (app,) = w.approve([w.person()])
        body = {"application_id": app, "unit_id": unit, "move_in_date": day(0), "lease": "direct_lease",
                "pay_deposit": True}
        key = uuid.uuid4().hex
        r = w.call("POST", "/v1/placements", body=body, headers={"Idempotency-Key": key})
        expect_status(r, 201)
        pid = r.body["id"]
        r2 = w.call("POST", "/v1/placements", body=body, headers={"Idempotency-Key": key})
        expect_status(r2, 201)
        check(r2.body["id"] == pid, "the replay answers the same placement", r2)
        b = w.account(pid)
        check(b["paid_cents"] == DEPOSIT and b["status"] == "held" and len(b["entries"]) == 1
              and b["entries"][0]["kind"] == "paid" and b["entries"][0]["entry_date"] == day(0),
              "one paid entry of the unit's deposit: %r" % b)
        (app2,) = w.approve([w.person()])
        r = w.call("POST", "/v1/placements", body=dict(body, application_id=app2, pay_deposit=30000))
        expect_status(r, 201)
        check(w.account(r.body["id"])["paid_cents"] == 30000, "an amount sent is paid")
        (app3,) = w.approve([w.person()])
        r = w.call("POST", "/v1/placements", body=dict(body, application_id=app3, pay_deposit=False))
        expect_status(r, 201)
        check(w.account(r.body["id"])["entries"] == [], "false pays nothing")

    with suite.case("move-in with the deposit: a refusal records neither; a bad pay_deposit is 422"):
        unit = w.unit(places=1)
        w.place(unit, 0)
        (app,) = w.approve([w.person()])
        before = ledger_rows(w.db)
        body = {"application_id": app, "unit_id": unit, "move_in_date": day(0), "lease": "direct_lease",
                "pay_deposit": True}
        expect_problem(w.call("POST", "/v1/placements", body=body), 409, "conflict")
        check(ledger_rows(w.db) == before, "no deposit entry without the placement")
        check(app_status(w, app) == "approved", "the application is still approved")
        for bad in ("yes", 0, -5, 100000001, 1.5, None, [1]):
            expect_problem(w.call("POST", "/v1/placements", body=dict(body, pay_deposit=bad)), 422,
                           "validation-failed", field="/pay_deposit")
        check(ledger_rows(w.db) == before, "still no entry")


def check_against_body(body, expected, what):
    for k, v in expected.items():
        check(body[k] == v, "%s: %s is %r, expected %r (account %r)" % (what, k, body[k], v, body))


def case_report(suite, w):
    with suite.case("report: per landlord and in total, the sums of the entries posted; no person in it"):
        today = utc_today()
        want = {}
        for pid, p in w.placements.items():
            exp = w.expected(pid, today)
            row = want.setdefault(p["landlord"], dict.fromkeys(REPORT_MEMBERS - {"currency", "penalties"}, 0))
            row["accounts"] += 1
            row["paid_cents"] += p["paid"]
            row["held_cents"] += exp["balance_cents"]
            row["refunded_cents"] += p["refunded"]
            row["deducted_cents"] += p["deducted"]
            row["written_off_cents"] += p["written_off"]
            row["overdue_accounts"] += exp["status"] == "overdue"
            row["overdue_held_cents"] += exp["balance_cents"] if exp["status"] == "overdue" else 0
            row["outstanding_accounts"] += exp["status"] == "outstanding"
            pen = row.setdefault("penalties", dict.fromkeys(PENALTY_MEMBERS, 0))
            pen["accrued_cents"] += exp["penalty_cents"]
            pen["claimed_cents"] += exp["penalty_claimed_cents"]
            pen["received_cents"] += exp["penalty_received_cents"]
            pen["waived_cents"] += exp["penalty_waived_cents"]
            pen["unpaid_cents"] += exp["penalty_unpaid_cents"]
            pen["unpaid_accounts"] += exp["penalty_unpaid_cents"] > 0
        total = {k: sum(row[k] for row in want.values()) for k in REPORT_MEMBERS - {"currency", "penalties"}}
        total["penalties"] = {k: sum(row["penalties"][k] for row in want.values()) for k in PENALTY_MEMBERS}
        check(total["penalties"]["unpaid_accounts"] >= 1 and total["penalties"]["received_cents"] > 0
              and total["penalties"]["waived_cents"] > 0, "the fixture covers the penalties: %r" % total)
        check(total["overdue_accounts"] >= 2 and total["outstanding_accounts"] >= 1 and total["deducted_cents"] > 0
              and total["written_off_cents"] > 0, "the fixture covers every figure: %r" % total)
        for who in ("coordinator", "observer"):
            r = w.ok(200, "GET", "/v1/reports/deposits", who)
            check(set(r.body) == {"landlords", "total"}, "a report is {landlords, total}", r)
            check(set(r.body["total"]) == REPORT_MEMBERS and r.body["total"]["currency"] == "EUR", "total members", r)
            check({k: r.body["total"][k] for k in total} == total, "total: %r, expected %r"
                  % (r.body["total"], total), r)
            got = {}
            for row in r.body["landlords"]:
                check(set(row) == REPORT_MEMBERS | {"landlord_org_id", "landlord_name"}, "landlord row members", r)
                got[row["landlord_org_id"]] = {k: row[k] for k in REPORT_MEMBERS - {"currency"}}
                check(set(row["penalties"]) == PENALTY_MEMBERS, "penalties members", r)
            check(got == want, "per landlord: %r, expected %r" % (got, want), r)
            names = {row["landlord_org_id"]: row["landlord_name"] for row in r.body["landlords"]}
            check(names == {w.org["ll"]: w.name + " Lille Métropole Habitat", w.org["ll2"]: w.name + " Vilogia"},
                  "landlords are named", r)
            check("family_name" not in r.text and "given_names" not in r.text and "person" not in r.text,
                  "no personal data member", r)
            for pid, p in w.placements.items():
                check(pid not in r.text and p["person"] not in r.text, "no placement or person id", r)
            for family in w.people.values():
                check(family not in r.text, "no name of a person", r)
        for who in ("landlord", "landlord2", "caregiver", "curator"):
            expect_problem(w.call("GET", "/v1/reports/deposits", who), 403, "forbidden")


def case_report_empty(suite, w):
    with suite.case("report: a commission without placements has zero totals"):
        r = w.ok(200, "GET", "/v1/reports/deposits", "observer")
        check(r.body["landlords"] == [] and r.body["total"] == dict(
            dict.fromkeys(REPORT_MEMBERS - {"currency", "penalties"}, 0), currency="EUR",
            penalties=dict.fromkeys(PENALTY_MEMBERS, 0)), "zeros", r)


def case_time_zone(suite):
    """"Today" is the UTC day: in C (src/domain/dates.c date_today(): a placement's status, months late) and in SQL
    (current_date in the deposit_accounts view and the active filter of the placements list). The database
    session's default TimeZone is the server's setting (on a French deployment, typically Europe/Paris): in a zone
    whose date differs from the UTC date, both sides must still agree."""
    with suite.case("dates: status, list filters and delays agree whatever the database's TimeZone"):
        hour = datetime.datetime.now(datetime.timezone.utc).hour
        # a zone whose date differs from the UTC date right now
        zone, shift = ("Pacific/Kiritimati", 1) if hour >= 10 else ("Etc/GMT+12", -1)
        with Database(prefix="cd_http_tz") as db:
            db.sql("ALTER DATABASE \"%s\" SET timezone TO '%s'" % (db.name, zone))
            with Daemon(db, threads=2) as d:
                w = World(db, d, "Fuseau")
                unit = w.unit(places=3)
                # a placement whose (UTC) refund is due today, or was due yesterday
                due = utc_today() if shift > 0 else utc_today() - datetime.timedelta(days=1)
                exit_day, matches = None, True
                for back in range(28, 70):  # one month before (inspection matches), else two (it does not)
                    for m in (True, False):
                        if exit_day is None and refund_due(due - datetime.timedelta(days=back), m) == due:
                            exit_day, matches = due - datetime.timedelta(days=back), m
                p = w.place(unit, -((utc_today() - exit_day).days + 5))["id"]
                expect_status(w.entry(p, "paid", DEPOSIT), 201)
                expect_status(w.exit(p, exit_day.isoformat(), matches=matches), 200)
                b = w.account(p)
                exp = w.expected(p)
                problems = []
                if b["status"] != exp["status"] or b["months_late"] != exp["months_late"]:
                    problems.append("deposit of a refund due %s (UTC today %s): status %s, months_late %d; "
                                    "expected %s, %d" % (due, utc_today(), b["status"], b["months_late"],
                                                         exp["status"], exp["months_late"]))
                if b["status"] == "overdue" and b["months_late"] == 0:
                    problems.append("'overdue' with months_late 0 and no penalty")
                # a placement whose exit is tomorrow (UTC) is active; so is one that ends today in a zone behind
                q = w.place(unit, -5)["id"]
                exit_q = day(1) if shift > 0 else day(0)
                expect_status(w.exit(q, exit_q), 200)
                status = w.ok(200, "GET", "/v1/placements/%s" % q).body["status"]
                active = {x["id"] for x in list_all(w, "/v1/placements?active=true&unit_id=%s" % unit)}
                if (status == "active") != (q in active):
                    problems.append("placement exiting %s (UTC today %s) says status %r but active=true %s it"
                                    % (exit_q, utc_today(), status, "lists" if q in active else "does not list"))
                check(not problems, "with the database's TimeZone %s:\n  " % zone + "\n  ".join(problems))
                d.stop()


def case_lock_order(suite):
    """migrations/0003-placements.sql says that the unit row (for the capacity) and the placement row (for the
    balance) are locked so that concurrent writers are serialized. The INSERT's foreign-key checks take FOR KEY
    SHARE on those very rows first; the triggers' FOR UPDATE then conflicts with the other writer's KEY SHARE:
    two concurrent writers deadlock, PostgreSQL aborts one after deadlock_timeout (1 s) and the daemon retries it
    (with more writers the retries can run out: 409 "A concurrent change ..." instead of the real reason). The
    race window is a few microseconds; a test-only trigger that fires between the foreign-key checks and the
    capacity/balance triggers (triggers fire in name order) widens it so that it is hit every time."""
    with suite.case("locks: concurrent starts into one unit and concurrent entries on one deposit wait for each "
                    "other without deadlock"):
        with Database(prefix="cd_http_locks") as db:
            db.sql("CREATE FUNCTION test_widen_race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "PERFORM pg_sleep(0.3); RETURN NULL; END $$; "
                   "CREATE TRIGGER a_test_widen_race AFTER INSERT ON placements FOR EACH ROW "
                   "EXECUTE FUNCTION test_widen_race(); "
                   "CREATE TRIGGER a_test_widen_race AFTER INSERT ON deposit_entries FOR EACH ROW "
                   "EXECUTE FUNCTION test_widen_race()")
            with Daemon(db, threads=4) as d:
                w = World(db, d, "Verrous")
                apps = w.approve([w.person() for _ in range(4)])
                outcomes, slowest = [], 0.0
                for n in range(2):
                    unit = w.unit(places=1)
                    t0 = time.monotonic()
                    rs = concurrently([lambda a=a: w.start(a, unit, day(0)) for a in apps[2 * n:2 * n + 2]])
                    slowest = max(slowest, time.monotonic() - t0)
                    outcomes.append(sorted(r.status for r in rs))
                    for r in rs:
                        if r.status == 409:
                            check("free place" in r.body["detail"], "refused for the unit being full", r)
                for n in range(2):
                    q = w.place(w.unit(places=1), 0)["id"]
                    expect_status(w.entry(q, "paid", 10000), 201)
                    t0 = time.monotonic()
                    rs = concurrently([lambda: w.entry(q, "refunded", 6000, who="landlord")] * 2)
                    slowest = max(slowest, time.monotonic() - t0)
                    outcomes.append(sorted(r.status for r in rs))
                d.stop()
            check(outcomes == [[201, 409]] * 4, "one winner, one refusal each time: %s" % outcomes)
            # a backend flushes its statistics as it exits: once the daemon's backends are gone, a deadlock shows
            # (and a little more time for it to show, in case the flush comes after the backend leaves the list)
            gone, _ = poll(lambda: db.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND pid <> pg_backend_pid()") == "0", 20)
            check(gone, "the daemon's database sessions did not end within 20 s")
            query = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            count, _ = poll(lambda: db.sql(query) if db.sql(query) != "0" else None, 2)
            count = count or "0"
            check(count == "0", "%s deadlock(s) between two concurrent writers (slowest pair %.1f s): the INSERT's "
                  "foreign-key check holds FOR KEY SHARE on the unit (placement) row that the trigger then locks "
                  "FOR UPDATE" % (count, slowest))


# ---------------------------------------------------------------------------------------------------------------


def body(suite):
    with Database() as db:
        with Daemon(db, threads=4) as d:
            a = World(db, d, "Commission A")
            other = World(db, d, "Commission B")
            case_start(suite, a, other)
            case_capacity(suite, a)
            case_places(suite, a)
            case_views(suite, a)
            case_exit(suite, a)
            case_deposits(suite, a)
            case_idempotent_refusal_start(suite, a)
            case_residence(suite, a)
            case_pay_at_move_in(suite, a)
            money = World(db, d, "Commission C")
            case_delays(suite, money)
            case_penalty(suite, money)
            case_report(suite, money)
            case_report_empty(suite, World(db, d, "Commission D"))
            with suite.case("no response holds SQL or PostgreSQL's words; no 5xx; no database error logged"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (w, r.method, r.path, r.status, r.text[:300]) for r, w in found))
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
                check("database error" not in d.log_text(), "a database error was logged:\n" + "\n".join(
                    line for line in d.log_text().splitlines() if "database error" in line))
            d.stop()
    case_time_zone(suite)
    case_lock_order(suite)


if __name__ == "__main__":
    Suite("placements").main(body)
