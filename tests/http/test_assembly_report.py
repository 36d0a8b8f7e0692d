#!/usr/bin/env python3
"""/v1/reports/assembly: the yearly assembly's figures, as JSON, CSV for a French spreadsheet and a printable page.

A commission's year is built through the API: units in three towns, sessions on known dates (the day before the
year, its first day, its middle, its last day, the day after), applications examined at them (approved, refused,
deferred then approved), move-ins, exits for several reasons, reviews, incidents, deposit entries. Only what the
API stamps with "now" is dated back with psql: the submission instants, a withdrawal's and a lapse's history line,
a unit's withdrawal. The year is two years ago, so that every act is in the past whatever the day of the run.
Every figure is computed again here from the plan (wait medians and means included), with an act on the day before
the period (not counted), on its first and last days (counted) and on the day after (not counted); the literal
values of the plan are asserted as well, so that the test's arithmetic cannot drift with the report's. The CSV is
checked byte by byte where a spreadsheet cares (BOM, separator, CRLF, decimal comma, French headers, formulas
neutralised), the page for its French dates and labels; coordinator and observer read it, other roles get 403.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import csv
import datetime
import decimal
import io
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, Suite, check, expect_problem, expect_status, json_differences,  # noqa: E402
                     leaks)

ASSEMBLY = "/v1/reports/assembly"
KINDS = ["hlm_apartment", "foyer_place", "transitional_place", "residence_place"]
EXIT_GROUPS = {"lease_transferred": "lease_transferred", "other_housing": "other_housing",
               "hospitalisation": "care", "care_facility": "care", "eviction": "tenancy_ended",
               "departure_without_notice": "tenancy_ended", "death": "other", "other": "other"}
INCIDENT_GROUPS = {"rent_arrears": "rent_arrears", "disturbance": "disturbance", "damage": "damage",
                   "prolonged_absence": "prolonged_absence", "other": "other", "hospitalisation": "other"}
FORMULA_TOWN = "=SOMME(1;2)"  # a town a spreadsheet would run as a formula, holding the separator
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


YEAR = utc_today().year - 2
FROM = datetime.date(YEAR, 1, 1)
TO = datetime.date(YEAR, 12, 31)
DAY = datetime.timedelta(days=1)


def d(month, day, year=YEAR):
    return datetime.date(year, month, day)


BEFORE = FROM - DAY  # the day before the period
AFTER = TO + DAY     # the day after

# Units: name -> (kind, town, places, status at creation, withdrawn on).
UNITS = {
    "U1": ("hlm_apartment", "Lille", 2, "available", None),
    "U2": ("foyer_place", "Lille", 1, "available", None),
    "U3": ("residence_place", "Roubaix", 3, "available", None),
    "U4": ("hlm_apartment", "Roubaix", 1, "out_of_service", None),
    "U5": ("transitional_place", FORMULA_TOWN, 1, "available", None),
    "U6": ("residence_place", "Roubaix", 2, "available", d(6, 30)),
}

# Sessions: name -> date.
SESSIONS = {"S0a": d(10, 15, YEAR - 1), "S0": BEFORE, "S1": FROM, "S2": d(6, 15), "S3": TO, "S4": d(1, 5, YEAR + 1)}

# Applications: name -> (submitted (date, hh:mm:ss), decisions [(session, outcome, reason)], placement (unit,
# move-in, exit (date, reason) or None) or None, withdrawn on, lapsed on).
APPS = {
    "A": ((d(12, 1, YEAR - 1), "10:00:00"), [("S0", "approve", None)], ("U1", BEFORE, (FROM, "lease_transferred")),
          None, None),
    "B": ((BEFORE, "23:59:59"), [("S1", "approve", None)], ("U2", d(1, 10), (TO, "hospitalisation")), None, None),
    "C": ((FROM, "00:00:00"), [("S1", "refuse", "incomplete_file")], None, None, None),
    "D": ((d(2, 1), "09:30:00"), [("S2", "defer", None), ("S3", "approve", None)], ("U3", d(1, 10, YEAR + 1), None),
          None, None),
    "E": ((d(3, 1), "14:00:00"), [("S2", "approve", None)], ("U3", d(7, 1), None), None, None),
    "F": ((TO, "23:59:59"), [], None, None, None),
    "G": ((AFTER, "00:00:00"), [("S4", "refuse", "outside_sector")], None, None, None),
    "H": ((d(4, 1), "08:00:00"), [], None, d(5, 2), None),
    "I": ((d(6, 1, YEAR - 1), "08:00:00"), [("S0a", "approve", None)], None, None, TO),
    "J": ((d(9, 1), "11:00:00"), [("S3", "approve", None)], ("U1", TO, None), None, None),
    "K": ((d(11, 1, YEAR - 1), "08:00:00"), [("S0", "approve", None)], ("U1", BEFORE, None), None, None),
    "L": ((d(10, 1, YEAR - 1), "08:00:00"), [("S0a", "approve", None)], ("U2", d(10, 20, YEAR - 1),
                                                                          (BEFORE, "eviction")), None, None),
    "M": ((d(2, 15), "16:00:00"), [("S2", "approve", None)], ("U3", d(6, 20), (d(8, 1), "death")), None, None),
    "N": ((d(12, 1, YEAR - 1), "08:00:00"), [], None, BEFORE, None),
}

# Reviews (placement of application, date) and incidents (placement, kind, date).
REVIEWS = [("K", BEFORE), ("K", d(3, 31)), ("E", TO), ("K", AFTER)]
INCIDENTS = [("K", "damage", BEFORE), ("K", "rent_arrears", FROM), ("K", "disturbance", d(5, 5)),
             ("K", "hospitalisation", TO), ("K", "damage", AFTER)]
# Deposit entries in ledger order: (placement, kind, amount, date, reverses index or None). A's refund is late, so
# that a penalty may be claimed.
ENTRIES = [
    ("K", "paid", 40000, BEFORE, None),
    ("A", "paid", 30000, BEFORE, None),
    ("A", "refunded", 25000, d(3, 10), None),
    ("A", "deducted", 5000, TO, None),
    ("A", "penalty_claimed", 4000, d(4, 1), None),
    ("A", "penalty_received", 4000, AFTER, None),
    ("B", "paid", 35050, d(1, 10), None),
    ("B", "paid", 1000, d(1, 11), None),
    ("B", "reversal", None, d(2, 1), 7),
    ("E", "paid", 123456, d(7, 1), None),
    ("B", "refunded", 35050, d(1, 15, YEAR + 1), None),
]

NAMES = [("Assembleaz%s" % chr(65 + i), "Ondine%s" % chr(65 + i)) for i in range(len(APPS))]


# ---------------------------------------------------------------------------------------------------------------
# What the report must say, computed from the plan


def within(day, first=FROM, last=TO):
    return first <= day <= last


def wait_figures(waits):
    if not waits:
        return {"count": 0, "median": None, "mean": None, "max": None}
    one = decimal.Decimal("0.1")
    mean = (decimal.Decimal(sum(waits)) / len(waits)).quantize(one, rounding=decimal.ROUND_HALF_UP)
    median = decimal.Decimal(str(statistics.median(waits))).quantize(one, rounding=decimal.ROUND_HALF_UP)
    return {"count": len(waits), "median": float(median), "mean": float(mean), "max": max(waits)}


def expected(first=FROM, last=TO):
    decided = []  # (app, outcome, session date)
    for name, (_, decisions, _, _, _) in APPS.items():
        for session, outcome, _ in decisions:
            if within(SESSIONS[session], first, last):
                decided.append((name, outcome, SESSIONS[session]))
    placements = {n: a[2] for n, a in APPS.items() if a[2] is not None}
    eve = first - DAY

    def housed_on(p, day):
        return p[1] <= day and (p[2] is None or p[2][0] > day)

    exits = [(n, p) for n, p in placements.items() if p[2] is not None and within(p[2][0], first, last)]
    move_ins = [(n, p) for n, p in placements.items() if within(p[1], first, last)]
    reasons = {g: 0 for g in ("lease_transferred", "other_housing", "care", "tenancy_ended", "other")}
    for _, p in exits:
        reasons[EXIT_GROUPS[p[2][1]]] += 1
    incidents = {g: 0 for g in ("rent_arrears", "disturbance", "damage", "prolonged_absence", "other")}
    for _, kind, day in INCIDENTS:
        if within(day, first, last):
            incidents[INCIDENT_GROUPS[kind]] += 1
    deposits = {k: 0 for k in ("paid", "refunded", "deducted", "written_off", "penalty_claimed",
                               "penalty_received", "penalty_waived")}
    for _, kind, amount, day, reverses in ENTRIES:
        if not within(day, first, last):
            continue
        if kind == "reversal":
            deposits[ENTRIES[reverses][1]] -= ENTRIES[reverses][2]
        else:
            deposits[kind] += amount

    def places_row(units):
        row = {"units": 0, "places": 0, "occupied": 0, "vacant": 0, "out_of_service": 0, "move_ins": 0, "exits": 0}
        for u in units:
            kind, town, places, status, withdrawn = UNITS[u]
            row["move_ins"] += sum(1 for _, p in move_ins if p[0] == u)
            row["exits"] += sum(1 for _, p in exits if p[0] == u)
            if withdrawn is not None and withdrawn <= last:
                continue
            occupied = sum(1 for p in placements.values() if p[0] == u and housed_on(p, last))
            row["units"] += 1
            row["places"] += places
            row["occupied"] += occupied
            if status == "out_of_service":
                row["out_of_service"] += places
            else:
                row["vacant"] += max(places - occupied, 0)
        return row

    towns = {}
    for u, (_, town, _, _, _) in UNITS.items():
        towns.setdefault(town, []).append(u)
    town_rows = {t: places_row(us) for t, us in towns.items()}
    town_rows = {t: r for t, r in town_rows.items() if r["units"] or r["move_ins"] or r["exits"]}
    return {
        "commission": "Commission de l'assemblée",
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "applications": {
            "received": sum(1 for a in APPS.values() if within(a[0][0], first, last)),
            "examined": len({n for n, _, _ in decided}),
            "decided": {o: sum(1 for _, oc, _ in decided if oc == o) for o in ("approve", "refuse", "defer")},
            "withdrawn": sum(1 for a in APPS.values() if a[3] is not None and within(a[3], first, last)),
            "lapsed": sum(1 for a in APPS.values() if a[4] is not None and within(a[4], first, last)),
        },
        "people_housed": {
            "at_start": sum(1 for p in placements.values() if housed_on(p, eve)),
            "at_end": sum(1 for p in placements.values() if housed_on(p, last)),
            "during": sum(1 for p in placements.values() if housed_on(p, eve) or within(p[1], first, last)),
        },
        "placements": {"move_ins": len(move_ins), "exits": len(exits), "exit_reasons": reasons},
        "wait_days": {
            "to_decision": wait_figures([(day - APPS[n][0][0]).days for n, o, day in decided
                                         if o in ("approve", "refuse")]),
            "to_move_in": wait_figures([(p[1] - APPS[n][0][0]).days for n, p in move_ins]),
        },
        "places": {
            "unit_kinds": [dict(unit_kind=k, **places_row([u for u in UNITS if UNITS[u][0] == k])) for k in KINDS],
            "towns": town_rows,  # compared as a mapping: the order is the database's collation
            "total": places_row(list(UNITS)),
        },
        "reviews_held": sum(1 for _, day in REVIEWS if within(day, first, last)),
        "incidents": incidents,
        "sessions": sum(1 for day in SESSIONS.values() if within(day, first, last)),
        "deposits": dict({"%s_cents" % k: v for k, v in deposits.items()}, currency="EUR"),
    }


# ---------------------------------------------------------------------------------------------------------------
# Building the year through the API


class World:
    pass


def build(d_, db):
    w = World()
    w.commission = c = db.commission_create("Commission de l'assemblée")
    team = db.organisation_create(c, "care_team", "EPSM Secteur 59G21")
    curator_org = db.organisation_create(c, "curator_service", "UDAF")
    landlord = db.organisation_create(c, "landlord", "Bailleur Partenaires")
    w.tokens = {
        "coordinator": db.token_create(c, "coordinator").token,
        "observer": db.token_create(c, "observer").token,
        "caregiver": db.token_create(c, "caregiver", scope=team).token,
        "curator": db.token_create(c, "curator", scope=curator_org).token,
        "landlord": db.token_create(c, "landlord", scope=landlord).token,
    }
    coord = w.tokens["coordinator"]

    def call(method, path, body=None, status=201, headers=None):
        r = d_.call(method, path, token=coord, body=body, headers=headers)
        expect_status(r, status)
        return r.body

    w.units = {}
    for name, (kind, town, places, status, _) in UNITS.items():
        w.units[name] = call("POST", "/v1/units", {
            "kind": kind, "label": "Logement %s" % name, "address": "1 rue de la Paix", "town": town,
            "landlord_org_id": landlord, "places": places, "rent_cents": 40000, "charges_cents": 5000,
            "deposit_cents": 40000, "status": status})["id"]
        # The units were there before the years the test reads: their first status line is dated back.
        db.sql("UPDATE unit_status_changes SET at = '%s 00:00:00+00' WHERE unit_id = '%s'"
               % (d(1, 1, YEAR - 3), w.units[name]))
    w.apps, w.people = {}, []
    for i, name in enumerate(APPS):
        family, given = NAMES[i]
        p = call("POST", "/v1/people", {"family_name": family, "given_names": given,
                                        "birth_date": "1971-02-%02d" % (i + 1), "care_team_id": team})
        w.people.append(p["id"])
        w.apps[name] = call("POST", "/v1/applications", {"person_id": p["id"], "situation": "Situation %s" % name,
                                                         "submit": True})["id"]
    # The submissions' instants (the API stamps "now").
    for name, ((day, hms), _, _, _, _) in APPS.items():
        db.sql("UPDATE applications SET submitted_at = '%s %s+00' WHERE id = '%s'" % (day, hms, w.apps[name]))
    w.placements = {}

    def start(name):
        unit, move_in, exit_ = APPS[name][2]
        pl = call("POST", "/v1/placements", {"application_id": w.apps[name], "unit_id": w.units[unit],
                                             "move_in_date": move_in.isoformat(), "lease": "sliding_lease"})
        w.placements[name] = pl["id"]

    def leave(name):
        _, _, exit_ = APPS[name][2]
        call("POST", "/v1/placements/%s/exit" % w.placements[name],
             {"exit_date": exit_[0].isoformat(), "exit_reason": exit_[1], "inspection_matches": True}, status=200)

    # Sessions in date order: each agenda holds what it decides; placements start after their session, exits
    # are recorded once no later move-in needs the place they free... in date order, move-ins and exits alike.
    w.sessions = {}
    for session, day in sorted(SESSIONS.items(), key=lambda kv: kv[1]):
        sid = call("POST", "/v1/sessions", {"session_date": day.isoformat(), "town": "Lille",
                                            "chair_name": "Mme la maire"})["id"]
        w.sessions[session] = sid
        names = [n for n, a in APPS.items() if any(s == session for s, _, _ in a[1])]
        for name in names:
            call("POST", "/v1/sessions/%s/agenda/items" % sid, {"application_id": w.apps[name]})
        agenda = call("GET", "/v1/sessions/%s/agenda" % sid, status=200)
        by_app = {i["application"]["id"]: i["id"] for i in agenda["items"] if i.get("application")}
        items = {name: by_app[w.apps[name]] for name in names}
        call("POST", "/v1/sessions/%s/open" % sid, status=200)
        for name, item in items.items():
            for s, outcome, reason in APPS[name][1]:
                if s == session:
                    body = {"agenda_item_id": item, "outcome": outcome}
                    if reason:
                        body["refusal_reason"] = reason
                    call("POST", "/v1/sessions/%s/decisions" % sid, body)
        call("POST", "/v1/sessions/%s/close" % sid, status=200)
    # Move-ins and exits in date order (an exit frees its place on its day, before that day's move-ins).
    events = []
    for name, (_, _, placement, _, _) in APPS.items():
        if placement is not None:
            events.append((placement[1], 1, name, start))
            if placement[2] is not None:
                events.append((placement[2][0], 0, name, leave))
    for _, _, name, act in sorted(events, key=lambda e: (e[0], e[1])):
        act(name)
    # Withdrawals through the API, then dated.
    for name, (_, _, _, withdrawn, _) in APPS.items():
        if withdrawn is not None:
            call("POST", "/v1/applications/%s/transitions" % w.apps[name], {"to": "withdrawn"}, status=200)
            db.sql("UPDATE application_events SET at = '%s 12:00:00+00' WHERE application_id = '%s' AND "
                   "to_status = 'withdrawn'" % (withdrawn, w.apps[name]))
    # The daily upkeep lapses the approval never followed by a move-in (I); its history line is dated.
    db.ctl("maintenance")
    for name, (_, _, _, _, lapsed) in APPS.items():
        if lapsed is not None:
            db.sql("UPDATE application_events SET at = '%s 03:00:00+00' WHERE application_id = '%s' AND "
                   "to_status = 'lapsed'" % (lapsed, w.apps[name]))
    # A unit withdrawn during the year (its history line dated).
    for name, (_, _, _, _, withdrawn) in UNITS.items():
        if withdrawn is not None:
            r = d_.call("GET", "/v1/units/%s" % w.units[name], token=coord)
            call("PATCH", "/v1/units/%s" % w.units[name], {"status": "withdrawn"}, status=200,
                 headers={"If-Match": r.headers["etag"]})
            db.sql("UPDATE unit_status_changes SET at = '%s 12:00:00+00' WHERE unit_id = '%s' AND "
                   "to_status = 'withdrawn'" % (withdrawn, w.units[name]))
    for app, day in REVIEWS:
        call("POST", "/v1/placements/%s/reviews" % w.placements[app], {"review_date": day.isoformat()})
    for app, kind, day in INCIDENTS:
        body = {"kind": kind, "description": "Constaté", "occurred_on": day.isoformat()}
        if kind == "rent_arrears":
            body["arrears_cents"] = 30000
        call("POST", "/v1/placements/%s/incidents" % w.placements[app], body)
    entry_ids = []
    for i, (app, kind, amount, day, reverses) in enumerate(ENTRIES):
        body = {"kind": kind, "entry_date": day.isoformat()}
        if amount is not None:
            body["amount_cents"] = amount
        if kind in ("deducted", "reversal", "penalty_waived"):
            body["justification"] = "écriture de l'année"
        if reverses is not None:
            body["reverses_entry_id"] = entry_ids[reverses]
        account = call("POST", "/v1/placements/%s/deposit/entries" % w.placements[app], body,
                       headers={"Idempotency-Key": "assembly-entry-%d" % i})
        entry_ids.append(account["entries"][-1]["id"])
    return w


# ---------------------------------------------------------------------------------------------------------------
# Reading it


def as_compared(body):
    """BODY with its towns as a mapping (their order is the database's collation)."""
    if isinstance(body, dict) and isinstance(body.get("places"), dict):
        towns = body["places"].get("towns")
        if isinstance(towns, list):
            body = dict(body, places=dict(body["places"], towns={t["town"]: {k: v for k, v in t.items()
                                                                                  if k != "town"} for t in towns}))
    return body


def expect_report(r, want):
    expect_status(r, 200)
    check(r.headers.get("content-type") == "application/json", "Content-Type is not application/json", r)
    diff = json_differences(as_compared(r.body), want)
    check(not diff, "the report differs from the plan:\n  " + "\n  ".join(diff), r)


def long_fr(day):
    return "%s %d%s %s %d" % (WEEKDAYS[day.weekday()], day.day, "er" if day.day == 1 else "", MONTHS[day.month - 1],
                              day.year)


def euros_fr(cents):
    return "%s%d,%02d" % ("-" if cents < 0 else "", abs(cents) // 100, abs(cents) % 100)


def cases(suite):
    with Database() as db, Daemon(db) as d_:
        w = build(d_, db)
        coord, observer = w.tokens["coordinator"], w.tokens["observer"]
        year = "%s?year=%d" % (ASSEMBLY, YEAR)

        with suite.case("every figure of the year matches the plan, boundaries and wait times included"):
            want = expected()
            # The plan, known in advance (a guard on the test's own arithmetic).
            check(want["applications"] == {"received": 7, "examined": 6,
                                           "decided": {"approve": 5, "refuse": 1, "defer": 1},
                                           "withdrawn": 1, "lapsed": 1}, "plan: %r" % want["applications"])
            leap = 1 if YEAR % 4 == 0 else 0  # 29 February lengthens the waits that cross it
            check(want["wait_days"]["to_decision"] == {"count": 6, "median": 113.0 + 0.5 * leap,
                                                       "mean": 113.8 if leap else 113.5, "max": 333 + leap},
                  "plan: %r" % want["wait_days"])
            check(want["wait_days"]["to_move_in"] == {"count": 4, "median": 121.5, "mean": 94.8 if leap else 94.5,
                                                      "max": 125 + leap}, "plan: %r" % want["wait_days"])
            check(want["people_housed"] == {"at_start": 2, "at_end": 3, "during": 6}
                  and want["placements"] == {"move_ins": 4, "exits": 3, "exit_reasons": {
                      "lease_transferred": 1, "other_housing": 0, "care": 1, "tenancy_ended": 0, "other": 1}}
                  and want["sessions"] == 3 and want["reviews_held"] == 2
                  and want["incidents"] == {"rent_arrears": 1, "disturbance": 1, "damage": 0,
                                            "prolonged_absence": 0, "other": 1}
                  and want["deposits"]["paid_cents"] == 35050 + 123456 and want["deposits"]["refunded_cents"] == 25000
                  and want["deposits"]["penalty_claimed_cents"] == 4000
                  and want["places"]["total"] == {"units": 5, "places": 8, "occupied": 3, "vacant": 4,
                                                  "out_of_service": 1, "move_ins": 4, "exits": 3}
                  and want["places"]["towns"]["Lille"] == {"units": 2, "places": 3, "occupied": 2, "vacant": 1,
                                                           "out_of_service": 0, "move_ins": 2, "exits": 2},
                  "plan: %r" % want)
            # The people housed add up: at the start, plus move-ins, less exits.
            check(want["people_housed"]["at_start"] + want["placements"]["move_ins"] - want["placements"]["exits"]
                  == want["people_housed"]["at_end"], "the plan does not add up")
            expect_report(d_.call("GET", year, token=coord), want)
            expect_report(d_.call("GET", "%s?from=%s&to=%s" % (ASSEMBLY, FROM, TO), token=observer), want)

        with suite.case("other periods: each boundary moved by a day, one day, several years"):
            for first, last in ((FROM + DAY, TO), (FROM, TO - DAY), (BEFORE, TO), (FROM, AFTER), (FROM, FROM),
                                (TO, TO), (BEFORE, BEFORE), (d(1, 1, YEAR - 1), d(12, 31, YEAR + 1))):
                expect_report(d_.call("GET", "%s?from=%s&to=%s" % (ASSEMBLY, first, last), token=coord),
                              expected(first, last))
            r = d_.call("GET", "%s?from=%s&to=%s" % (ASSEMBLY, d(3, 1), d(3, 2)), token=coord)
            expect_status(r, 200)
            check(r.body["wait_days"]["to_decision"] == {"count": 0, "median": None, "mean": None, "max": None},
                  "a period without decision has wait figures", r)

        with suite.case("wait times: median of an even count is the mean of the middle two"):
            r = d_.call("GET", year, token=coord)
            expect_status(r, 200)
            waits = sorted((SESSIONS[s] - APPS[n][0][0]).days for n, a in APPS.items() for s, o, _ in a[1]
                           if o != "defer" and within(SESSIONS[s]))
            check(len(waits) % 2 == 0 and r.body["wait_days"]["to_decision"]["median"] ==
                  (waits[len(waits) // 2 - 1] + waits[len(waits) // 2]) / 2.0, "median: %r" % waits, r)
            check(r.body["wait_days"]["to_move_in"]["max"] == (d(6, 20) - d(2, 15)).days,
                  "the longest wait to a move-in is M's", r)

        with suite.case("CSV for a French spreadsheet: BOM, ';', CRLF, French headers, decimal comma"):
            for how in ({"path": year + "&format=csv"}, {"path": year, "headers": {"Accept": "text/csv"}},
                        {"path": year, "headers": {"Accept": "text/csv; header=present; charset=utf-8"}},
                        {"path": year + "&sep=semicolon&headers=fr", "headers": {"Accept": "text/csv"}}):
                r = d_.call("GET", how["path"], token=observer, headers=how.get("headers"))
                expect_status(r, 200)
                check(r.headers.get("content-type") == "text/csv; charset=utf-8",
                      "Content-Type: %r" % r.headers.get("content-type"), r)
                check(r.raw.startswith(b"\xef\xbb\xbfRubrique;Indicateur;Valeur\r\n"),
                      "the CSV does not start with the BOM and the French header line", r)
                check(r.raw.endswith(b"\r\n") and b"\n" not in r.raw.replace(b"\r\n", b""), "lines not in CRLF", r)
            text = r.raw.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
            check(all(len(row) == 3 for row in rows), "a line has not three fields", r)
            lines = {(row[0], row[1]): row[2] for row in rows[1:]}
            want = expected()
            checks = {
                ("Période", "Du"): long_fr(FROM), ("Période", "Au"): long_fr(TO),
                ("Commission", "Nom"): "Commission de l'assemblée",
                ("Demandes", "Demandes reçues (déposées)"): "7", ("Demandes", "Accords"): "5",
                ("Demandes", "Ajournements"): "1", ("Demandes", "Demandes retirées"): "1",
                ("Délai du dépôt à la décision (jours)", "Médiane"):
                    ("%.1f" % want["wait_days"]["to_decision"]["median"]).replace(".", ","),
                ("Délai du dépôt à la décision (jours)", "Moyenne"):
                    ("%.1f" % want["wait_days"]["to_decision"]["mean"]).replace(".", ","),
                ("Délai du dépôt à l'entrée dans le logement (jours)", "Médiane"):
                    ("%.1f" % want["wait_days"]["to_move_in"]["median"]).replace(".", ","),
                ("Personnes logées", "Au début de la période"): "2",
                ("Motifs de sortie", "Orientation vers le soin ou une structure adaptée"): "1",
                ("Places : Appartements HLM", "Hors service"): "1",
                ("Places à Lille", "Entrées"): "2", ("Places : ensemble", "Places"): "8",
                ("Incidents", "Impayés de loyer"): "1", ("Incidents", "Autres incidents"): "1",
                ("Cautions (euros)", "Versées aux bailleurs"): euros_fr(35050 + 123456),
                ("Cautions (euros)", "Restituées"): "250,00",
                ("Cautions (euros)", "Pénalités de retard réclamées"): "40,00",
            }
            for key, value in checks.items():
                check(lines.get(key) == value, "CSV %r is %r, expected %r" % (key, lines.get(key), value), r)
            check(euros_fr(35050 + 123456) == "1585,06", "the plan's euros")
            check(lines.get(("Places à =SOMME(1;2)", "Places")) == "1" and b'"Places \xc3\xa0 =SOMME(1;2)"' in r.raw,
                  "a town holding the separator is not quoted", r)
            check(not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row),
                  "a cell starts with a formula character", r)
            check("Hospitalisation" not in text and "hospitalisation" not in text and "décès" not in text.lower(),
                  "the CSV names a health reason", r)

        with suite.case("CSV options: sep=comma (decimal point), headers=en (the JSON names)"):
            r = d_.call("GET", year + "&format=csv&sep=comma&headers=en", token=coord)
            expect_status(r, 200)
            check(r.raw.startswith(b"\xef\xbb\xbfsection,metric,value\r\n"), "English header line", r)
            rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"), newline="")))
            lines = {(row[0], row[1]): row[2] for row in rows[1:]}
            want = expected()
            for key, value in {("period", "from"): FROM.isoformat(), ("applications", "received"): "7",
                               ("applications.decided", "approve"): "5",
                               ("wait_days.to_decision", "median"): "%.1f" % want["wait_days"]["to_decision"]["median"],
                               ("places.unit_kinds.foyer_place", "exits"): "1", ("places.total", "units"): "5",
                               ("places.towns.=SOMME(1;2)", "places"): "1", ("summary", "sessions"): "3",
                               ("deposits", "paid_eur"): "1585.06", ("deposits", "refunded_eur"): "250.00"}.items():
                check(lines.get(key) == value, "CSV %r is %r, expected %r" % (key, lines.get(key), value), r)
            r = d_.call("GET", year + "&format=csv&headers=en", token=coord)
            check(r.raw.startswith(b"\xef\xbb\xbfsection;metric;value\r\n") and b";1585,06\r\n" in r.raw,
                  "headers=en keeps ';' and the decimal comma", r)

        with suite.case("printable page: French, long dates, labels, euros, A4"):
            for how in ({"path": year + "&format=html"}, {"path": year, "headers": {"Accept": "text/html"}}):
                r = d_.call("GET", how["path"], token=coord, headers=how.get("headers"))
                expect_status(r, 200)
                check(r.headers.get("content-type") == "text/html; charset=utf-8", "Content-Type", r)
            page = r.text
            for words in ('<html lang="fr">', "Du %s au %s" % (long_fr(FROM), long_fr(TO)),
                          "Rapport d'activité de la commission appartement", "Commission de l&#39;assemblée",
                          "Appartements HLM", "Places par commune", "Accords devenus caducs",
                          "Bail glissé au nom de la personne", "1\u00a0585,06\u00a0€", "250,00\u00a0€",
                          "@page{size:A4", "Règles de comptage", "=SOMME(1;2)"):
                check(words in page, "the page lacks %r" % words, r)
            check("hospitalisation" not in page.lower() and "décès" not in page.lower(),
                  "the page names a health reason", r)
            check("<script" not in page, "the page holds a script", r)

        with suite.case("negotiation: JSON by default, format= wins over Accept, 406 for none"):
            for accept in (None, "*/*", "application/json", "application/json, text/csv;q=0.5",
                           "image/png, */*;q=0.1"):
                expect_report(d_.call("GET", year, token=coord, headers={"Accept": accept}), expected())
            expect_report(d_.call("GET", year + "&format=json", token=coord, headers={"Accept": "text/csv"}),
                          expected())
            for accept in ("application/xml", "image/png", "text/csv;q=0, application/json;q=0, text/html;q=0"):
                expect_problem(d_.call("GET", year, token=coord, headers={"Accept": accept}), 406, "not-acceptable")

        with suite.case("400 invalid-query names the parameter"):
            for query, fields in (("", ["query:from", "query:to"]), ("?year=25", ["query:year"]),
                                  ("?year=%d&from=%s" % (YEAR, FROM), ["query:year"]),
                                  ("?from=%s&to=%s" % (TO, FROM), ["query:to"]),
                                  ("?from=2010-01-01&to=2020-01-02", ["query:to"]),
                                  ("?year=%d&format=pdf" % YEAR, ["query:format"]),
                                  ("?year=%d&sep=tab" % YEAR, ["query:sep"]),
                                  ("?year=%d&headers=de" % YEAR, ["query:headers"]),
                                  ("?year=%d&town=Lille" % YEAR, ["query:town"])):
                expect_problem(d_.call("GET", ASSEMBLY + query, token=coord), 400, "invalid-query", fields=fields)

        with suite.case("access: coordinator and observer; caregiver, curator, landlord 403; none 401"):
            for role in ("caregiver", "curator", "landlord"):
                for suffix in ("", "&format=csv", "&format=html"):
                    expect_problem(d_.call("GET", year + suffix, token=w.tokens[role]), 403, "forbidden")
            expect_problem(d_.call("GET", year, token=None), 401, "unauthorized")
            other = db.commission_create("Commission voisine")
            r = d_.call("GET", year, token=db.token_create(other, "observer").token)
            expect_status(r, 200)
            check(r.body["applications"]["received"] == 0 and r.body["places"]["total"]["units"] == 0
                  and r.body["places"]["towns"] == [] and r.body["wait_days"]["to_move_in"]["count"] == 0,
                  "another commission sees this one's figures", r)

        with suite.case("CSV: a text cell starting with = + - @ is neutralised, quotes doubled"):
            for name in ('=HYPERLINK("http://x";"clic")', "+33 Commission", "-Commission", "@Commission"):
                token = db.token_create(db.commission_create(name), "observer").token
                for sep, q in (("semicolon", ";"), ("comma", ",")):
                    r = d_.call("GET", year + "&format=csv&sep=" + sep, token=token)
                    expect_status(r, 200)
                    rows = list(csv.reader(io.StringIO(r.raw.decode("utf-8-sig"), newline=""), delimiter=q))
                    check(rows[1][2] == "'" + name, "the commission's name is %r" % rows[1][2], r)
                    if name.startswith("=H"):
                        check(b"\r\nCommission;Nom;\"'=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\"\r\n" in r.raw
                              or sep == "comma", "the cell is not quoted with its quotes doubled", r)

        with suite.case("no person in any form of the report"):
            for suffix in ("", "&format=csv", "&format=html", "&format=csv&headers=en"):
                r = d_.call("GET", year + suffix, token=observer)
                expect_status(r, 200)
                for family, given in NAMES:
                    check(family not in r.text and given not in r.text, "a person's name is in the report", r)
                for pid in w.people + list(w.apps.values()):
                    check(pid not in r.text, "an id is in the report", r)

        with suite.case("no internal detail in any response"):
            found = leaks()
            check(not found, "internal detail leaked: %s" % ["%r (%s)" % (r, word) for r, word in found[:3]])


if __name__ == "__main__":
    Suite("http-assembly-report").main(cases)
