#!/usr/bin/env python3
"""/v1/reports/activity and /v1/reports/occupancy: the aggregate figures of the commission.

A commission is built through the API (people, units, applications, one session with its agenda, decisions and a
correction, placements, exits, deposit entries, agreements, sessions), then dated in the past with psql where the
API only records "now" (submissions, decisions, move-ins, status history, reviews). Every figure of the activity
report is computed again here from what the test created, with items on the first and last day of the period
(counted) and on the day before and after (not counted). The CSV form (Accept: text/csv) carries the same figures
as the JSON; Accept with neither is 406; bad or unknown query parameters are 400 invalid-query naming the field;
coordinator and observer read the reports, caregiver, curator and landlord get 403; no person's name appears.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import csv
import datetime
import decimal
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Suite, check, expect_problem, expect_status, json_differences,  # noqa: E402
                     leaks)

ACTIVITY = "/v1/reports/activity"
OCCUPANCY = "/v1/reports/occupancy"
KINDS = ["hlm_apartment", "foyer_place", "transitional_place", "residence_place"]
REFUSAL_REASONS = ["no_suitable_unit", "care_project_not_ready", "incomplete_file", "outside_sector",
                   "needs_other_structure", "other"]
EXIT_REASONS = ["lease_transferred", "other_housing", "hospitalisation", "care_facility", "eviction",
                "departure_without_notice", "death", "other"]


def utc_today():
    """The server's "today" (UTC), asked at every use: a run may cross midnight."""
    return datetime.datetime.now(datetime.timezone.utc).date()


# The day the run started: the fixture's dates are planned from it (explicit dates, whatever the clock says later);
# what the server computes from its own today (overdue, the default occupancy day) is compared with utc_today().
RUN_DAY = utc_today()
F = RUN_DAY - datetime.timedelta(days=300)  # the period's first day
E = RUN_DAY - datetime.timedelta(days=30)   # its last day
DAY = datetime.timedelta(days=1)


def days(n):
    return datetime.timedelta(days=n)


def at(date, hh=0, mm=0, ss=0):
    """A UTC instant on DATE."""
    return datetime.datetime(date.year, date.month, date.day, hh, mm, ss, tzinfo=datetime.timezone.utc)


def ts(instant):
    return instant.strftime("%Y-%m-%d %H:%M:%S+00")


def add_months(d, n):
    index = d.year * 12 + d.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    length = [31, 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28, 31, 30, 31, 30, 31, 31, 30,
              31, 30, 31][month - 1]
    return datetime.date(year, month, min(d.day, length))


def in_period(d, first=F, last=E):
    return first <= d <= last


# ---------------------------------------------------------------------------------------------------------------
# The data, as the test plans it. Every date is relative to the period F..E (F = today - 300, E = today - 30).

# Applications: name -> (submitted_at, decision or None, correction or None, placement or None). A decision is
# (outcome, refusal_reason, decided_at); a placement (unit, move_in_date, exit or None), exit (date, reason,
# inspection_matches).
APPS = {
    "a1": (at(F), ("approve", None, at(F)), None, None),                                     # on `from`
    "a2": (at(F - DAY, 23, 59, 59), ("refuse", "no_suitable_unit", at(F - DAY, 23, 59, 59)), None, None),  # before
    "a3": (at(E, 23, 59, 59), ("refuse", "incomplete_file", at(E, 23, 59, 59)), None, None),  # on `to`
    "a4": (at(E + DAY), ("defer", None, at(E + DAY)), None, None),                           # after
    "a5": (at(F - days(50), 10), ("approve", None, at(F + days(10))),                        # corrected in period
           ("refuse", "outside_sector", at(F + days(11), 9)), None),
    "a6": (at(F - days(20), 12), ("defer", None, at(F + days(30))), None, None),
    "a7": (at(F - days(10)), ("approve", None, at(F - days(3))), None, ("u1", F, None)),
    "a8": (at(F - days(7)), ("approve", None, at(F + days(6), 15)), None,
           ("u2", E, (E + DAY, "hospitalisation", True))),
    "a9": (at(F - days(100)), ("approve", None, at(F - days(60))), None,
           ("u2", F - DAY, (F, "lease_transferred", True))),
    "a10": (at(F - days(30)), ("approve", None, at(E - days(5))),                             # corrected after
            ("refuse", "care_project_not_ready", at(E + days(3))), None),
    "a11": (at(F - days(300)), ("approve", None, at(F - days(290))), None,
            ("u5", F - days(200), (F - DAY, "eviction", False))),
    "a12": (at(F - days(2)), ("approve", None, at(RUN_DAY - days(10))), None, ("u5", E, None)),
    "a13": (at(F - days(5)), ("approve", None, at(F + days(15))), None, ("u2", F + days(20), None)),
    "a14": (at(F - days(25)), ("approve", None, at(F + days(35))), None, ("u5", F + days(40), None)),
    "a15": (at(F - days(60)), ("approve", None, at(F - days(40))), None,
            ("u5", F - days(30), (E, "other_housing", False))),
    "a16": (None, None, None, None),                                                          # a draft
    "a17": (at(F + days(100)), None, None, None),                                             # still waiting
}

# Units: name -> (kind, places, status at creation, landlord, status history after creation [(instant, status)]).
UNITS = {
    "u1": ("hlm_apartment", 1, "available", "landlord", []),
    "u2": ("foyer_place", 3, "available", "residence", []),
    "u3": ("hlm_apartment", 2, "out_of_service", "landlord", []),
    "u4": ("transitional_place", 1, "available", "residence", [(at(E - DAY, 12), "withdrawn")]),
    "u5": ("residence_place", 2, "available", "residence", []),
    "u6": ("residence_place", 1, "available", "residence", [(at(E + DAY, 12), "withdrawn")]),
}
UNIT_CREATED = at(F - days(400))  # the status history's first record, dated back

# Reviews: (placement of application, review_date).
# a7 is overdue by its move-in (no review), a14 by its last review; a12 and a13 are not.
REVIEWS = [("a9", F - DAY), ("a13", F), ("a13", RUN_DAY - days(20)), ("a14", F + days(50)), ("a15", E + DAY),
           ("a12", E)]

# Deposit entries: (placement of application, kind, amount, justification, reverses index or None).
ENTRIES = [
    ("a7", "paid", 42000, None, None),
    ("a7", "paid", 1000, None, None),
    ("a7", "reversal", None, "saisie en double", 1),
    ("a9", "paid", 30000, None, None),
    ("a9", "refunded", 20000, None, None),
    ("a9", "deducted", 5000, "remise en état", None),
    ("a15", "paid", 10000, None, None),
    ("a8", "paid", 50000, None, None),
    ("a8", "written_off", 50000, "accord du bureau", None),
]

# Agreements (end dates) and sessions (dates; the first one holds the decisions).
AGREEMENT_ENDS = [E + days(90), E + days(91), F - days(10), E]
SESSION_DATES = [F, F - DAY, E, E + DAY]

NAMES = [("Vauquelinoz%s" % chr(65 + i), "Eudoxie%s" % chr(65 + i)) for i in range(len(APPS))]


# ---------------------------------------------------------------------------------------------------------------
# What the reports must say, computed from the plan


def expected_activity(first, last):
    standing = []
    for name, (submitted, decision, correction, _) in APPS.items():
        if decision is None:
            continue
        d = correction if correction is not None else decision
        if in_period(d[2].date(), first, last):
            standing.append((d[0], d[1], (d[2].date() - submitted.date()).days))
    decided = {o: sum(1 for s in standing if s[0] == o) for o in ("approve", "refuse", "defer")}
    reasons = {r: sum(1 for s in standing if s[0] == "refuse" and s[1] == r) for r in REFUSAL_REASONS}
    waits = [s[2] for s in standing if s[0] in ("approve", "refuse")]
    average = None
    if waits:
        average = float((decimal.Decimal(sum(waits)) / len(waits)).quantize(decimal.Decimal("0.1"),
                                                                             rounding=decimal.ROUND_HALF_UP))
    placements = [(n, a[3]) for n, a in APPS.items() if a[3] is not None]
    exits = {r: sum(1 for _, p in placements if p[2] and p[2][1] == r and in_period(p[2][0], first, last))
             for r in EXIT_REASONS}
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "applications": {
            "received": sum(1 for a in APPS.values() if a[0] is not None and in_period(a[0].date(), first, last)),
            "decided": decided,
            "refusal_reasons": reasons,
            "average_waiting_days": average,
        },
        "placements": {
            "admissions": sum(1 for _, p in placements if in_period(p[1], first, last)),
            "exits": exits,
            "lease_transfers": exits["lease_transferred"],
            "slides": 0,  # no sliding lease slides here (tests/http/test_leases.py)
        },
        "occupancy": expected_occupancy(last),
        "deposits": expected_deposits(),
        "reviews": expected_reviews(first, last),
        "agreements_to_renew": sum(1 for end in AGREEMENT_ENDS if end <= last + days(90)),
        "sessions": sum(1 for s in SESSION_DATES if in_period(s, first, last)),
    }


def unit_status_on(name, day):
    kind, places, status, _, history = UNITS[name]
    changes = [(UNIT_CREATED, status)] + history
    end_of_day = at(day + DAY)
    known = [s for instant, s in changes if instant < end_of_day]
    return known[-1] if known else status


def expected_occupancy(day, total=False):
    rows = []
    for kind in KINDS:
        row = {"unit_kind": kind, "units": 0, "places": 0, "occupied": 0, "vacant": 0, "out_of_service": 0}
        for name, (k, places, _, _, _) in UNITS.items():
            status = unit_status_on(name, day)
            if k != kind or status == "withdrawn":
                continue
            occupied = sum(1 for a in APPS.values() if a[3] is not None and a[3][0] == name and a[3][1] <= day
                           and (a[3][2] is None or a[3][2][0] > day))
            row["units"] += 1
            row["places"] += places
            row["occupied"] += occupied
            if status == "out_of_service":
                row["out_of_service"] += places
            else:
                row["vacant"] += max(places - occupied, 0)
        rows.append(row)
    if not total:
        return rows
    return rows, {k: sum(r[k] for r in rows) for k in ("units", "places", "occupied", "vacant", "out_of_service")}


def expected_deposits():
    totals = {"paid": 0, "held": 0, "refunded": 0, "deducted": 0, "written_off": 0, "overdue_accounts": 0,
              "currency": "EUR"}
    sign = {"paid": 1, "refunded": -1, "deducted": -1, "written_off": -1}
    balance = {}
    for i, (app, kind, amount, _, reverses) in enumerate(ENTRIES):
        if kind == "reversal":
            _, kind, amount, _, _ = ENTRIES[reverses]
            totals[kind] -= amount
            balance[app] = balance.get(app, 0) - sign[kind] * amount
        else:
            totals[kind] += amount
            balance[app] = balance.get(app, 0) + sign[kind] * amount
    totals["held"] = sum(balance.values())
    for app, b in balance.items():
        placement = APPS[app][3]
        if b > 0 and placement[2] is not None:
            exit_date, _, matches = placement[2]
            if utc_today() > add_months(exit_date, 1 if matches else 2):
                totals["overdue_accounts"] += 1
    return totals


def expected_reviews(first, last):
    today = utc_today()
    overdue = 0
    for name, a in APPS.items():
        p = a[3]
        if p is None or p[1] > today or (p[2] is not None and p[2][0] <= today):
            continue
        dates = [d for app, d in REVIEWS if app == name]
        due = add_months(max(dates) if dates else p[1], 3)
        overdue += due < today
    return {"done": sum(1 for _, d in REVIEWS if in_period(d, first, last)), "overdue": overdue}


def flatten(body):
    """The (section, metric) -> value lines the CSV form must hold for a JSON report."""
    out = []

    def walk(section, obj, skip=None):
        for key, value in obj.items():
            if key == skip:
                continue
            sub = "%s.%s" % (section, key) if section else key
            if isinstance(value, dict):
                walk(sub, value)
            elif isinstance(value, list):
                for item in value:
                    walk("%s.%s" % (sub, item.get("unit_kind", "total")), item, "unit_kind")
            else:
                text = "" if value is None else ("%.1f" % value if isinstance(value, float) else str(value))
                out.append((section or "summary", key, text))

    walk(None, body)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Building the commission


class World:
    pass


def build(d, db):
    w = World()
    w.commission = c = db.commission_create("Commission rapports")
    team = db.organisation_create(c, "care_team", "EPSM Secteur 59G21")
    curator_org = db.organisation_create(c, "curator_service", "UDAF")
    landlord = db.organisation_create(c, "landlord", "Bailleur Partenaires")
    residence = db.organisation_create(c, "residence", "Résidence André Breton")
    orgs = {"landlord": landlord, "residence": residence}
    w.tokens = {
        "coordinator": db.token_create(c, "coordinator").token,
        "observer": db.token_create(c, "observer").token,
        "caregiver": db.token_create(c, "caregiver", scope=team).token,
        "curator": db.token_create(c, "curator", scope=curator_org).token,
        "landlord": db.token_create(c, "landlord", scope=landlord).token,
    }
    coord = w.tokens["coordinator"]

    def post(path, body, status=201, headers=None):
        r = d.call("POST", path, token=coord, body=body, headers=headers)
        expect_status(r, status)
        return r.body

    # Units, their status history dated back.
    w.units = {}
    for name, (kind, places, status, owner, history) in UNITS.items():
        u = post("/v1/units", {"kind": kind, "label": "Logement %s" % name, "address": "1 rue de la Paix",
                               "town": "Lille", "landlord_org_id": orgs[owner], "places": places,
                               "rent_cents": 40000, "charges_cents": 5000, "deposit_cents": 40000,
                               "status": status})
        w.units[name] = u["id"]
        db.sql("UPDATE unit_status_changes SET at = '%s' WHERE unit_id = '%s'" % (ts(UNIT_CREATED), u["id"]))
    # People and applications.
    w.apps, w.people = {}, []
    for i, (name, (submitted, _, _, _)) in enumerate(APPS.items()):
        family, given = NAMES[i]
        p = post("/v1/people", {"family_name": family, "given_names": given, "birth_date": "1970-01-%02d" % (i + 1),
                                "care_team_id": team, "protection": "curatelle_simple",
                                "curator_org_id": curator_org, "confirm_duplicate": True})
        w.people.append(p["id"])
        a = post("/v1/applications", {"person_id": p["id"], "situation": "Situation de %s" % name,
                                      "submit": submitted is not None})
        w.apps[name] = a["id"]
    # Sessions; the first one decides every application with a decision.
    w.sessions = [post("/v1/sessions", {"session_date": s.isoformat(), "town": "Lille",
                                        "chair_name": "Mme la maire"})["id"] for s in SESSION_DATES]
    s = w.sessions[0]
    post("/v1/sessions/%s/agenda/build" % s, None, status=(200, 201))
    post("/v1/sessions/%s/open" % s, None, status=200)
    agenda = d.call("GET", "/v1/sessions/%s/agenda" % s, token=coord).body
    items = {i["application"]["id"]: i["id"] for i in agenda["items"]
             if i.get("kind") == "application" and i.get("application")}
    for name, (_, decision, correction, _) in APPS.items():
        if decision is None:
            continue
        body = {"agenda_item_id": items[w.apps[name]], "outcome": decision[0]}
        if decision[1]:
            body["refusal_reason"] = decision[1]
        post("/v1/sessions/%s/decisions" % s, body)
        if correction is not None:
            agenda = d.call("GET", "/v1/sessions/%s/agenda" % s, token=coord).body
            decision_id = [i for i in agenda["items"] if i["id"] == items[w.apps[name]]][0]["decision"]["id"]
            body = {"outcome": correction[0], "comment": "erreur matérielle"}
            if correction[1]:
                body["refusal_reason"] = correction[1]
            post("/v1/sessions/%s/decisions/%s/corrections" % (s, decision_id), body)
    # Placements: started today (the API refuses a move-in before the decision), dated back, then exited.
    w.placements = {}
    # Those that end first, so that each unit has room today for the next one.
    for name, (_, _, _, placement) in sorted(APPS.items(), key=lambda kv: kv[1][3] is None or kv[1][3][2] is None):
        if placement is None:
            continue
        unit, move_in, exit_ = placement
        pl = post("/v1/placements", {"application_id": w.apps[name], "unit_id": w.units[unit],
                                     "move_in_date": utc_today().isoformat(), "lease": "sliding_lease"})
        w.placements[name] = pl["id"]
        db.sql("UPDATE placements SET move_in_date = '%s' WHERE id = '%s'" % (move_in, pl["id"]))
        if exit_ is not None:
            post("/v1/placements/%s/exit" % pl["id"], {"exit_date": exit_[0].isoformat(), "exit_reason": exit_[1],
                                                      "inspection_matches": exit_[2]}, status=200)
    # Unit status changes after creation (a withdrawal), dated.
    for name, (_, _, _, _, history) in UNITS.items():
        for instant, status in history:
            r = d.call("GET", "/v1/units/%s" % w.units[name], token=coord)
            expect_status(r, 200)
            r = d.call("PATCH", "/v1/units/%s" % w.units[name], token=coord, body={"status": status},
                       headers={"If-Match": r.headers["etag"]})
            expect_status(r, 200)
            db.sql("UPDATE unit_status_changes SET at = '%s' WHERE unit_id = '%s' AND to_status = '%s'"
                   % (ts(instant), w.units[name], status))
    # Deposits, through the ledger (with an Idempotency-Key).
    entry_ids = []
    for i, (app, kind, amount, justification, reverses) in enumerate(ENTRIES):
        body = {"kind": kind, "entry_date": utc_today().isoformat()}
        if amount is not None:
            body["amount_cents"] = amount
        if justification is not None:
            body["justification"] = justification
        if reverses is not None:
            body["reverses_entry_id"] = entry_ids[reverses]
        account = post("/v1/placements/%s/deposit/entries" % w.placements[app], body,
                       headers={"Idempotency-Key": "entry-%d" % i})
        entry_ids.append(account["entries"][-1]["id"])
    # Agreements with the landlord.
    for i, end in enumerate(AGREEMENT_ENDS):
        post("/v1/agreements", {"org_id": landlord, "reference": "CONV-%d" % i, "signatory": "M. le président",
                                "start_date": (end - days(1000)).isoformat(), "end_date": end.isoformat()})
    # Reviews (dated in the past: recorded with psql).
    for app, review_date in REVIEWS:
        db.sql("INSERT INTO reviews (commission_id, placement_id, review_date) VALUES ('%s', '%s', '%s')"
               % (c, w.placements[app], review_date))
    # The dates the API recorded as "now", and the decisions' dates (as if taken at sessions on those days).
    for name, (submitted, decision, correction, _) in APPS.items():
        app = w.apps[name]
        if submitted is not None:
            db.sql("UPDATE applications SET submitted_at = '%s' WHERE id = '%s'" % (ts(submitted), app))
        if decision is not None:
            db.sql("UPDATE decisions SET decided_at = '%s', decided_on = '%s' WHERE application_id = '%s' AND "
                   "corrects_decision_id IS NULL" % (ts(decision[2]), decision[2].date(), app))
        if correction is not None:
            db.sql("UPDATE decisions SET decided_at = '%s', decided_on = '%s' WHERE application_id = '%s' AND "
                   "corrects_decision_id IS NOT NULL" % (ts(correction[2]), correction[2].date(), app))
    return w


# ---------------------------------------------------------------------------------------------------------------
# Cases


def activity(d, token, first=F, last=E, headers=None):
    return d.call("GET", "%s?from=%s&to=%s" % (ACTIVITY, first, last), token=token, headers=headers)


def expect_report(r, want):
    expect_status(r, 200)
    check(r.headers.get("content-type") == "application/json", "Content-Type is not application/json", r)
    diff = json_differences(r.body, want)
    check(not diff, "the report differs from the data:\n  " + "\n  ".join(diff), r)


def parse_csv(r):
    expect_status(r, 200)
    check(r.headers.get("content-type") == "text/csv; charset=utf-8", "Content-Type is not text/csv; charset=utf-8",
          r)
    check(r.text.endswith("\r\n") and "\n" not in r.text.replace("\r\n", ""), "CSV lines do not end in CRLF", r)
    rows = list(csv.reader(io.StringIO(r.text, newline="")))
    check(rows and rows[0] == ["section", "metric", "value"], "the CSV does not start with its header line", r)
    check(all(len(row) == 3 for row in rows), "a CSV line has not three fields", r)
    return [tuple(row) for row in rows[1:]]


def cases(suite):
    with Database() as db, Daemon(db) as d:
        w = build(d, db)
        coord, observer = w.tokens["coordinator"], w.tokens["observer"]

        with suite.case("activity: every figure matches the data, boundaries included"):
            want = expected_activity(F, E)
            # The plan itself exercises what it should (a guard on the test's own arithmetic).
            check(want["applications"]["received"] == 3 and want["applications"]["decided"] ==
                  {"approve": 4, "refuse": 2, "defer": 1}, "the plan is not what the test expects: %r" % want)
            check(want["placements"]["admissions"] == 5 and want["placements"]["exits"]["lease_transferred"] == 1
                  and want["placements"]["exits"]["other_housing"] == 1 and want["sessions"] == 2
                  and want["reviews"] == {"done": 3, "overdue": 2} and want["agreements_to_renew"] == 3
                  and want["deposits"]["held"] == 57000 and want["deposits"]["overdue_accounts"] == 1,
                  "the plan is not what the test expects: %r" % want)
            expect_report(activity(d, coord), want)
            expect_report(activity(d, observer), want)

        with suite.case("activity: other periods (one day, a boundary moved by a day)"):
            for first, last in ((F, F), (E, E), (F + DAY, E - DAY), (F - DAY, E + DAY), (F - days(400), RUN_DAY)):
                expect_report(activity(d, coord, first, last), expected_activity(first, last))
            r = activity(d, coord, E + days(10), E + days(10))
            expect_report(r, expected_activity(E + days(10), E + days(10)))
            check(r.body["applications"]["average_waiting_days"] is None, "an empty period has an average", r)

        with suite.case("activity: withdrawn units leave the occupancy from their withdrawal"):
            r = activity(d, coord)
            kinds = {row["unit_kind"]: row for row in r.body["occupancy"]}
            check(kinds["transitional_place"]["units"] == 0, "a unit withdrawn before `to` is counted", r)
            check(kinds["residence_place"]["units"] == 2, "a unit withdrawn after `to` is left out", r)
            r = activity(d, coord, F, E - days(2))
            kinds = {row["unit_kind"]: row for row in r.body["occupancy"]}
            check(kinds["transitional_place"]["units"] == 1, "a unit withdrawn after `to` is left out", r)
            check(kinds["hlm_apartment"]["out_of_service"] == 2, "out_of_service is not the places out of service",
                  r)

        with suite.case("occupancy: per unit kind and in all, on a date and today"):
            for day in (E, E - days(2), F, RUN_DAY, E + DAY):
                rows, total = expected_occupancy(day, total=True)
                expect_report(d.call("GET", "%s?date=%s" % (OCCUPANCY, day), token=observer),
                              {"date": day.isoformat(), "unit_kinds": rows, "total": total})
            today = utc_today()
            rows, total = expected_occupancy(today, total=True)
            expect_report(d.call("GET", OCCUPANCY, token=coord),
                          {"date": today.isoformat(), "unit_kinds": rows, "total": total})
            r = d.call("GET", "%s?date=%s" % (OCCUPANCY, E), token=coord)
            a = activity(d, coord)
            check(r.body["unit_kinds"] == a.body["occupancy"], "occupancy differs from the activity's", r)

        with suite.case("CSV: the same figures as the JSON, RFC 4180"):
            j = activity(d, coord)
            for accept in ("text/csv", "text/csv; charset=utf-8", "text/*", "application/json;q=0.5, text/csv",
                           "text/csv, */*;q=0.1"):
                r = activity(d, observer, headers={"Accept": accept})
                got = parse_csv(r)
                check(got == flatten(j.body), "CSV (Accept: %s) differs from the JSON:\n%s\n%s"
                      % (accept, got, flatten(j.body)), r)
            lines = dict(((s, m), v) for s, m, v in parse_csv(activity(d, coord, headers={"Accept": "text/csv"})))
            check(lines[("applications.decided", "approve")] == "4" and lines[("summary", "sessions")] == "2"
                  and lines[("occupancy.foyer_place", "occupied")] == "2" and lines[("period", "from")] == str(F),
                  "CSV lines are not named section,metric: %r" % lines)
            for day in (E, RUN_DAY):
                j = d.call("GET", "%s?date=%s" % (OCCUPANCY, day), token=coord)
                r = d.call("GET", "%s?date=%s" % (OCCUPANCY, day), token=coord, headers={"Accept": "text/csv"})
                check(parse_csv(r) == flatten(j.body), "occupancy CSV differs from its JSON", r)
            r = activity(d, coord, E + days(10), E + days(10), headers={"Accept": "text/csv"})
            check(("applications", "average_waiting_days", "") in parse_csv(r), "a null is not an empty field", r)

        with suite.case("content negotiation: JSON by default, 406 for neither"):
            for accept in (None, "*/*", "application/json", "application/*", "application/json, text/csv",
                           "text/csv;q=0.5, application/json", "text/html, */*;q=0.8"):
                r = activity(d, coord, headers={"Accept": accept})
                expect_report(r, expected_activity(F, E))
            for accept in ("text/html", "application/xml", "image/png, text/plain",
                           "text/csv;q=0, application/json;q=0", "*/*;q=0"):
                expect_problem(activity(d, coord, headers={"Accept": accept}), 406, "not-acceptable")
                expect_problem(d.call("GET", OCCUPANCY, token=coord, headers={"Accept": accept}), 406,
                               "not-acceptable")

        with suite.case("400 invalid-query: missing, malformed, reversed, too long, unknown"):
            bad = [
                ("", ["query:from", "query:to"]),
                ("?to=%s" % E, ["query:from"]),
                ("?from=%s" % F, ["query:to"]),
                ("?from=2024-13-01&to=%s" % E, ["query:from"]),
                ("?from=%s&to=2025-02-30" % F, ["query:to"]),
                ("?from=%s&to=yesterday" % F, ["query:to"]),
                ("?from=%s&to=%s" % (E, F), ["query:to"]),
                ("?from=2010-01-01&to=2020-01-02", ["query:to"]),
                ("?from=%s&to=%s&landlord=x" % (F, E), ["query:landlord"]),
            ]
            for query, fields in bad:
                expect_problem(d.call("GET", ACTIVITY + query, token=coord), 400, "invalid-query", fields=fields)
            # invalid-query comes before not-acceptable, forbidden before both
            expect_problem(d.call("GET", ACTIVITY + "?from=x&to=%s" % E, token=coord, headers={"Accept": "text/html"}),
                           400, "invalid-query", field="query:from")
            expect_problem(d.call("GET", ACTIVITY + "?from=x", token=w.tokens["landlord"],
                                  headers={"Accept": "text/html"}), 403, "forbidden")
            expect_status(d.call("GET", ACTIVITY + "?from=2010-01-01&to=2020-01-01", token=coord), 200)
            expect_status(d.call("GET", ACTIVITY + "?from=2024-02-29&to=2024-02-29", token=coord), 200)
            for query, field in (("?date=2024-02-30", "query:date"), ("?date=", "query:date"),
                                 ("?day=2024-01-01", "query:day")):
                expect_problem(d.call("GET", OCCUPANCY + query, token=coord), 400, "invalid-query", field=field)

        with suite.case("access: coordinator and observer 200, other roles 403"):
            for role in ("coordinator", "observer"):
                expect_status(activity(d, w.tokens[role]), 200)
                expect_status(d.call("GET", OCCUPANCY, token=w.tokens[role]), 200)
            for role in ("caregiver", "curator", "landlord"):
                expect_problem(activity(d, w.tokens[role]), 403, "forbidden")
                expect_problem(d.call("GET", OCCUPANCY, token=w.tokens[role]), 403, "forbidden")
                expect_problem(activity(d, w.tokens[role], headers={"Accept": "text/csv"}), 403, "forbidden")
            expect_problem(activity(d, None), 401, "unauthorized")
            expect_problem(d.call("GET", OCCUPANCY, token=None), 401, "unauthorized")

        with suite.case("no personal data in the reports"):
            bodies = [activity(d, coord, F - days(400), RUN_DAY), activity(d, observer, headers={"Accept": "text/csv"}),
                      d.call("GET", OCCUPANCY, token=coord), activity(d, coord)]
            for r in bodies:
                expect_status(r, 200)
                for family, given in NAMES:
                    check(family not in r.text and given not in r.text, "a person's name is in a report", r)
                for pid in w.people:
                    check(pid not in r.text, "a person's id is in a report", r)
                check("family_name" not in r.text and "given_names" not in r.text, "a name member in a report", r)

        with suite.case("deposits agree with /v1/reports/deposits"):
            r = activity(d, coord)
            total = d.call("GET", "/v1/reports/deposits", token=coord).body["total"]
            dep = r.body["deposits"]
            check(all(dep[k] == total["%s_cents" % k] for k in ("paid", "held", "refunded", "deducted", "written_off"))
                  and dep["overdue_accounts"] == total["overdue_accounts"],
                  "deposits differ from /v1/reports/deposits: %r vs %r" % (dep, total), r)

        with suite.case("an empty commission reports zeros"):
            other = db.commission_create("Commission vide")
            token = db.token_create(other, "observer").token
            r = activity(d, token)
            expect_status(r, 200)
            b = r.body
            check(b["applications"]["received"] == 0 and b["applications"]["average_waiting_days"] is None
                  and all(v == 0 for v in b["applications"]["refusal_reasons"].values())
                  and all(v == 0 for v in b["placements"]["exits"].values())
                  and [row["unit_kind"] for row in b["occupancy"]] == KINDS
                  and all(row["units"] == 0 for row in b["occupancy"]) and b["deposits"]["held"] == 0
                  and b["sessions"] == 0 and b["agreements_to_renew"] == 0, "an empty commission has figures", r)
            r = d.call("GET", OCCUPANCY, token=token)
            expect_status(r, 200)
            check(r.body["total"] == {"units": 0, "places": 0, "occupied": 0, "vacant": 0, "out_of_service": 0},
                  "an empty commission has occupancy", r)

        with suite.case("no internal detail in any response"):
            found = leaks()
            check(not found, "internal detail leaked: %s" % ["%r (%s)" % (r, word) for r, word in found[:3]])


if __name__ == "__main__":
    Suite("http-reports").main(cases)
