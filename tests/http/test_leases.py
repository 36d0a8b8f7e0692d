#!/usr/bin/env python3
"""Money and leases as the law has them (issue 13): what the commission relies on.

- Loi n° 89-462 art. 22, co-owned buildings: the landlord may keep a provision of at most 20 % of the deposit until
  the building's accounts are approved, then settles within the month after: a second due date. The account shows
  both, each part's delay adds started months to the penalty, and a settled account keeps it.
- Leases as signed (CCH L442-8-3): a sliding lease comes with a tripartite review every six months (due and overdue
  like quarterly reviews, on the agenda), the notice to the prefect two months before the period ends, and the
  slide, which ends the association's lease without ending the person's housing (no vacancy; a success in the
  activity report). The deposit clause: without it the refund goes to the tenant, and the account warns.
- Rent arrears plans: instalments summing to the total, payments by the landlord or the curator, a state computed
  by date (on_track, late, paid_off), late plans on the next session's agenda.
- The curator's status check: both due dates, the lease and its next step, the arrears plans of the current
  placement only.

Dates are computed from today (UTC) when the test runs; the calendar arithmetic is done here, independently of the
server (test_placements.py's add_months / started_months_late).

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (ALL_RESPONSES, Daemon, Database, Suite, check, expect_problem, expect_status, leaks,  # noqa: E402
                     sql_refusal)
from test_placements import (DEPOSIT, RENT, World, add_months, day, list_all, parse,  # noqa: E402
                             started_months_late, utc_today)


class Leases(World):
    """World with co-owned units and any lease."""

    def unit(self, places=1, landlord="ll", status=None, rent=RENT, deposit=DEPOSIT, co_owned=False):
        uid = super().unit(places=places, landlord=landlord, status=status, rent=rent, deposit=deposit)
        if co_owned:
            etag = self.ok(200, "GET", "/v1/units/%s" % uid).headers["etag"]
            r = self.ok(200, "PATCH", "/v1/units/%s" % uid, body={"co_owned": True}, headers={"If-Match": etag})
            check(r.body["co_owned"] is True, "the unit is recorded in a co-owned building", r)
        return uid

    def placed(self, unit, move_in_offset, lease="sliding_lease", extra=None):
        """A fresh person placed in UNIT since today + MOVE_IN_OFFSET under LEASE; the placement body."""
        person = self.person()
        (app,) = self.approve([person])
        if move_in_offset < 0:
            self.backdate([app], -move_in_offset + 5)
        body = {"application_id": app, "unit_id": unit, "move_in_date": day(move_in_offset), "lease": lease}
        body.update(extra or {})
        r = self.call("POST", "/v1/placements", body=body)
        expect_status(r, 201)
        self.placements[r.body["id"]] = {"landlord": self.units[unit], "exit": None, "matches": None, "paid": 0,
                                         "refunded": 0, "deducted": 0, "written_off": 0, "person": person,
                                         "app": app, "unit": unit}
        return r.body

    def provision(self, pid, amount, approved=None, who="landlord", justification="Charges de copropriété"):
        body = {"amount_cents": amount, "justification": justification}
        if approved is not None:
            body["accounts_approved_on"] = approved
        return self.call("PUT", "/v1/placements/%s/deposit/provision" % pid, who, body=body)


def case_provision(suite, w):
    """Loi n° 89-462 art. 22: the provision of a co-owned building and its second due date."""
    with suite.case("provision: only on a unit of a co-owned building, after the exit, at most 20 % of the deposit "
                    "paid; curator 403, another landlord 404; refusals change nothing"):
        plain = w.placed(w.unit(), -300)["id"]
        expect_status(w.entry(plain, "paid", DEPOSIT, entry_date=day(-299)), 201)
        expect_status(w.exit(plain, day(-60)), 200)
        r = w.provision(plain, 1000)
        expect_problem(r, 409, "invalid-state")
        check(r.body.get("co_owned") is False, "the refusal says the unit is not co-owned", r)
        pid = w.placed(w.unit(co_owned=True), -300)["id"]
        expect_status(w.entry(pid, "paid", DEPOSIT, entry_date=day(-299)), 201)
        expect_problem(w.provision(pid, 1000), 409, "invalid-state")  # not ended yet
        expect_status(w.exit(pid, day(-60)), 200)
        r = w.provision(pid, DEPOSIT // 5 + 1)
        expect_problem(r, 422, "validation-failed", field="/amount_cents")
        check(r.body.get("max_cents") == DEPOSIT // 5, "the refusal gives the maximum, 20 %% of %d" % DEPOSIT, r)
        expect_problem(w.provision(pid, 1000, approved=day(1)), 422, "validation-failed",
                       field="/accounts_approved_on")
        expect_problem(w.provision(pid, 1000, approved=day(-61)), 422, "validation-failed",
                       field="/accounts_approved_on")
        expect_problem(w.provision(pid, 1000, who="curator"), 403, "forbidden")
        expect_problem(w.provision(pid, 1000, who="landlord2"), 404, "not-found")
        for who in ("coordinator", "curator", "landlord"):
            b = w.account(pid, who)
            check(b["provision"] is None and b["provision_due_on"] is None and b["co_owned"] is True,
                  "%s: no provision recorded by the refusals" % who, b)
        w.co_owned = pid

    with suite.case("provision: the rest refunded in time, the provision held while the accounts are not approved: "
                    "outstanding after the first due date, no penalty; then due the month after the approval"):
        pid = w.co_owned
        exit_day = parse(day(-60))
        due = add_months(exit_day, 1)
        kept = DEPOSIT // 5
        expect_status(w.entry(pid, "refunded", DEPOSIT - kept, entry_date=day(-50), who="landlord"), 201)
        r = w.provision(pid, kept, justification="Arrêté provisoire des charges 2026")
        expect_status(r, 200)
        b = r.body
        check(b["refund_due_on"] == due.isoformat() and b["provision_due_on"] is None
              and b["provision"] == {"amount_cents": kept, "max_cents": kept,
                                     "justification": "Arrêté provisoire des charges 2026",
                                     "accounts_approved_on": None}
              and b["balance_cents"] == kept and b["status"] == "outstanding" and b["months_late"] == 0
              and b["penalty_cents"] == 0,
              "the provision held, the first due date (%s) passed, nothing late: %r" % (due, b))
        # the accounts approved 40 days ago: the provision was due 10 days ago, one started month late today
        approved = parse(day(-40))
        second = add_months(approved, 1)
        r = w.provision(pid, kept, approved=approved.isoformat(), justification="Arrêté provisoire des charges 2026")
        b = expect_status(r, 200).body
        months = started_months_late(second, utc_today())
        check(b["provision_due_on"] == second.isoformat() and b["refund_due_on"] == due.isoformat()
              and b["status"] == ("overdue" if months else "outstanding") and b["months_late"] == months
              and b["penalty_cents"] == RENT * months // 10,
              "both due dates; the provision due on %s, %d started months late: %r" % (second, months, b))
        check(months >= 1, "the fixture makes the provision late (%s)" % second)
        r2 = w.provision(pid, kept, approved=approved.isoformat(), justification="Arrêté provisoire des charges 2026")
        check(expect_status(r2, 200).body == b, "the same PUT again changes nothing", r2)
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits?status=overdue")}
        check(pid in listed, "listed as overdue")
        st = w.ok(200, "GET", "/v1/people/%s/status" % w.placements[pid]["person"], "curator").body["deposit"]
        check(st["refund_due_on"] == due.isoformat() and st["provision_due_on"] == second.isoformat()
              and st["provision_cents"] == kept and st["status"] == b["status"]
              and st["penalty_cents"] == b["penalty_cents"], "the curator's status shows both due dates: %r" % st)
        # settled late: the penalty stays
        expect_status(w.entry(pid, "refunded", kept, who="landlord"), 201)
        b = w.account(pid)
        check(b["status"] == "settled" and b["months_late"] == months and b["penalty_cents"] == RENT * months // 10
              and b["penalty_unpaid_cents"] == RENT * months // 10,
              "settled late, the provision's penalty stays: %r" % b)
        for who in ("coordinator", "landlord", "curator"):
            listed = {x["placement_id"]: x for x in list_all(w, "/v1/deposits?status=penalty_unpaid", who)}
            check(pid in listed and listed[pid]["penalty_unpaid_cents"] == RENT * months // 10,
                  "%s: listed among the penalties unpaid: %r" % (who, listed.get(pid)))
        doc = w.ok(200, "GET", "/v1/people/%s/export" % w.placements[pid]["person"]).body
        provisions = [pl["deposit_provision"] for pl in doc["placements"] if pl["id"] == pid]
        check(provisions and provisions[0]["amount_cents"] == kept
              and provisions[0]["accounts_approved_on"] == approved.isoformat(),
              "the right of access holds the provision: %r" % provisions)

    with suite.case("provision: the rest refunded late adds its own months; the provision within its month adds none; "
                    "the curator's status says so"):
        pid = w.placed(w.unit(co_owned=True), -400)["id"]
        expect_status(w.entry(pid, "paid", DEPOSIT, entry_date=day(-399)), 201)
        exit_day = parse(day(-200))
        expect_status(w.exit(pid, exit_day.isoformat(), matches=False), 200)
        due = add_months(exit_day, 2)
        back = parse(day(-100))  # the part beyond the provision, late
        kept = 10000
        expect_status(w.entry(pid, "refunded", DEPOSIT - kept, entry_date=back.isoformat(), who="landlord"), 201)
        approved = parse(day(-30))
        expect_status(w.provision(pid, kept, approved=approved.isoformat()), 200)
        expect_status(w.entry(pid, "refunded", kept, entry_date=day(-5), who="landlord"), 201)
        b = w.account(pid)
        first = started_months_late(due, back)
        check(first >= 1, "the fixture is late for the first part")
        check(b["status"] == "settled" and b["refund_due_on"] == due.isoformat()
              and b["provision_due_on"] == add_months(approved, 1).isoformat() and b["months_late"] == first
              and b["penalty_cents"] == RENT * first // 10,
              "only the first part's %d months: %r" % (first, b))
        st = w.ok(200, "GET", "/v1/people/%s/status" % w.placements[pid]["person"], "curator").body["deposit"]
        check(st["status"] == "settled" and st["refund_due_on"] == due.isoformat() and st["months_late"] == first
              and st["penalty_cents"] == RENT * first // 10 and st["penalty_unpaid_cents"] == RENT * first // 10,
              "the curator's status counts the first part's months from the ledger too: %r" % st)


def case_refund_clause(suite, w):
    """Cass. 3e civ., 14 June 2006: a deposit advanced by the association goes back to the tenant unless the lease
    says otherwise: recorded, and a warning on the account when missing."""
    with suite.case("refund clause: not recorded, then absent, then present: the account says who the refund goes "
                    "to and warns while it is not the association"):
        pid = w.placed(w.unit(places=1), -10, lease="association_main_tenant")["id"]
        b = w.account(pid)
        check(b["warnings"] == [] and b["refund_to"] is None, "nothing paid: no warning", b)
        expect_status(w.entry(pid, "paid", DEPOSIT, entry_date=day(-9)), 201)
        b = w.account(pid)
        check([x["code"] for x in b["warnings"]] == ["refund_clause_not_recorded"] and b["refund_to"] is None
              and b["refund_to_association"] is None and b["lease"] == "association_main_tenant",
              "paid, clause not recorded: warned: %r" % b)
        etag = w.ok(200, "GET", "/v1/placements/%s" % pid).headers["etag"]
        expect_problem(w.call("PATCH", "/v1/placements/%s" % pid, body={"refund_to_association": False}), 428,
                       "precondition-required")
        r = w.call("PATCH", "/v1/placements/%s" % pid, body={"refund_to_association": False},
                   headers={"If-Match": etag})
        check(expect_status(r, 200).body["refund_to_association"] is False, "recorded", r)
        b = w.account(pid)
        check([x["code"] for x in b["warnings"]] == ["refund_goes_to_tenant"] and b["refund_to"] == "tenant",
              "no clause: the refund goes to the tenant, warned: %r" % b)
        expect_problem(w.call("PATCH", "/v1/placements/%s" % pid, body={"refund_to_association": True},
                              headers={"If-Match": etag}), 412, "precondition-failed")
        expect_problem(w.call("PATCH", "/v1/placements/%s" % pid, "curator", body={"refund_to_association": True},
                              headers={"If-Match": r.headers["etag"]}), 403, "forbidden")
        r = w.call("PATCH", "/v1/placements/%s" % pid, body={"refund_to_association": True},
                   headers={"If-Match": r.headers["etag"]})
        expect_status(r, 200)
        b = w.account(pid, "landlord")
        check(b["warnings"] == [] and b["refund_to"] == "association" and b["refund_to_association"] is True,
              "the clause: the refund goes to the association, no warning: %r" % b)
        r = w.call("POST", "/v1/placements", body={"application_id": w.approve([w.person()])[0],
                                                   "unit_id": w.unit(), "move_in_date": day(0), "lease": "direct_lease",
                                                   "refund_to_association": True, "pay_deposit": True})
        b = expect_status(r, 201).body
        check(b["refund_to_association"] is True and b["lease_holder"] == "tenant" and b["sliding"] is None,
              "recorded at the start: %r" % b)
        check(w.account(b["id"])["warnings"] == [], "no warning with the clause")


def case_sliding(suite, w):
    """CCH L442-8-3: a sliding lease's tripartite reviews, the notice to the prefect and the slide."""
    with suite.case("sliding: the tripartite review is due six months after the start, the prefect's notice two "
                    "months before; both overdue; listed; validation of the lease's dates"):
        unit = w.unit(places=2)
        start = parse(day(-200))
        b = w.placed(unit, -200)
        pid = b["id"]
        review_due = add_months(start, 6)
        notice_due = add_months(review_due, -2)
        check(review_due < utc_today(), "the fixture's review is overdue (%s)" % review_due)
        s = b["sliding"]
        check(b["lease_holder"] == "association" and s["start_date"] == start.isoformat()
              and s["tripartite_review_on"] == review_due.isoformat() and s["tripartite_review_status"] == "overdue"
              and s["prefect_notice_due_on"] == notice_due.isoformat() and s["prefect_notice_sent_on"] is None
              and s["slid_on"] is None and s["last_tripartite_review_on"] is None
              and s["next_step"] == {"step": "prefect_notice", "due_on": notice_due.isoformat(), "status": "overdue"},
              "a sliding lease's calendar: %r" % s)
        # a quarterly review a month ago does not count: the tripartite one is still overdue and due first
        expect_status(w.call("POST", "/v1/placements/%s/reviews" % pid, body={"review_date": day(-30),
                                                                               "rent_status": "up_to_date"}), 201)
        items = {x["placement_id"]: x for x in list_all(w, "/v1/reviews?status=overdue")}
        check(pid in items and items[pid]["next_review_on"] == review_due.isoformat()
              and items[pid]["tripartite_review_on"] == review_due.isoformat(),
              "the tripartite review is overdue in the review schedule: %r" % items.get(pid))
        for status in ("notice_due", "review_due"):
            listed = {x["placement_id"] for x in list_all(w, "/v1/sliding-leases?status=%s" % status)}
            check(pid in listed, "listed with status=%s" % status)
        check(pid in {x["placement_id"] for x in list_all(w, "/v1/sliding-leases", "landlord")},
              "the landlord of the unit lists it")
        check(pid not in {x["placement_id"] for x in list_all(w, "/v1/sliding-leases", "landlord2")},
              "another landlord does not")
        expect_problem(w.call("GET", "/v1/sliding-leases", "observer"), 403, "forbidden")
        expect_problem(w.call("GET", "/v1/sliding-leases?status=late"), 400, "invalid-query")
        (app,) = w.approve([w.person()])
        base = {"application_id": app, "unit_id": unit, "move_in_date": day(0)}
        expect_problem(w.call("POST", "/v1/placements", body=dict(base, lease="direct_lease",
                                                                  planned_slide_on=day(100))),
                       422, "validation-failed", field="/planned_slide_on")
        expect_problem(w.call("POST", "/v1/placements", body=dict(base, lease="sliding_lease",
                                                                  sliding_start_date=day(-1))),
                       422, "validation-failed", field="/sliding_start_date")
        expect_problem(w.call("POST", "/v1/placements", body=dict(base, lease="sliding_lease",
                                                                  planned_slide_on=day(-1))),
                       422, "validation-failed", field="/planned_slide_on")
        w.sliding = pid

    with suite.case("sliding: the due tripartite review reaches the next session's agenda; a tripartite review "
                    "restarts the six months"):
        pid = w.sliding
        s = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(7), "town": "Lille",
                                                     "chair_name": "M. le maire"}).body["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s).body["items"]
        review = [i for i in items if i["kind"] == "review" and i["placement"]["id"] == pid]
        check(len(review) == 1, "a review item for the sliding lease (its quarterly review is not due)", items)
        r = w.call("POST", "/v1/placements/%s/reviews" % pid, body={"review_date": day(0), "tripartite": True,
                                                                     "housing": "Bail proposé"})
        check(expect_status(r, 201).body["tripartite"] is True, "a tripartite review", r)
        b = w.ok(200, "GET", "/v1/placements/%s" % pid).body["sliding"]
        review_due = add_months(utc_today(), 6)
        check(b["last_tripartite_review_on"] == day(0) and b["tripartite_review_on"] == review_due.isoformat()
              and b["prefect_notice_due_on"] == add_months(review_due, -2).isoformat()
              and b["tripartite_review_status"] == "scheduled",
              "the next tripartite review six months after it: %r" % b)
        items = {x["placement_id"]: x for x in list_all(w, "/v1/reviews")}
        check(items[pid]["next_review_on"] == add_months(utc_today(), 3).isoformat(),
              "the next review is the quarterly one again", items[pid])

    with suite.case("sliding: the notice to the prefect, once per period; no longer listed as due"):
        pid = w.placed(w.unit(), -150)["id"]
        period_end = add_months(parse(day(-150)), 6)
        key = uuid.uuid4().hex
        body = {"sent_on": day(0), "proposes_lease": True, "comment": "Bail proposé, avis favorable"}
        expect_problem(w.call("POST", "/v1/placements/%s/prefect-notices" % pid, "landlord", body=body,
                              headers={"Idempotency-Key": key}), 403, "forbidden")
        r = w.call("POST", "/v1/placements/%s/prefect-notices" % pid, body=body, headers={"Idempotency-Key": key})
        s = expect_status(r, 201).body["sliding"]
        check(s["prefect_notice_sent_on"] == day(0) and s["next_step"]["step"] == "tripartite_review"
              and s["next_step"]["due_on"] == period_end.isoformat(), "sent for the period ending %s: %r"
              % (period_end, s), r)
        r2 = w.call("POST", "/v1/placements/%s/prefect-notices" % pid, body=body, headers={"Idempotency-Key": key})
        check(expect_status(r2, 201).body == r.body, "the same key replays", r2)
        r = w.call("POST", "/v1/placements/%s/prefect-notices" % pid, body=dict(body, proposes_lease=False))
        expect_problem(r, 409, "conflict")
        check(r.body.get("period_end") == period_end.isoformat(), "the period is named", r)
        listed = {x["placement_id"] for x in list_all(w, "/v1/sliding-leases?status=notice_due")}
        check(pid not in listed, "no longer listed with status=notice_due")
        expect_problem(w.call("POST", "/v1/placements/%s/prefect-notices" % pid, body=dict(body, sent_on=day(1))),
                       422, "validation-failed", field="/sent_on")
        direct = w.placed(w.unit(), -10, lease="direct_lease")["id"]
        expect_problem(w.call("POST", "/v1/placements/%s/prefect-notices" % direct, body=body), 409, "invalid-state")

    with suite.case("sliding: the slide ends the association's lease, not the housing: no vacancy, a success in the "
                    "activity report; the same slide again changes nothing"):
        unit = w.unit(places=1)
        b = w.placed(unit, -100, extra={"planned_slide_on": day(-2)})
        pid = b["id"]
        check(b["sliding"]["next_step"] == {"step": "slide", "due_on": day(-2), "status": "overdue"},
              "the planned slide is the next step: %r" % b["sliding"])
        report = "/v1/reports/activity?from=%s&to=%s" % (day(-1), day(0))
        before = w.ok(200, "GET", report).body["placements"]
        occupancy = w.ok(200, "GET", "/v1/reports/occupancy").body
        expect_problem(w.call("POST", "/v1/placements/%s/slide" % pid, body={"slid_on": day(1)}), 422,
                       "validation-failed", field="/slid_on")
        expect_problem(w.call("POST", "/v1/placements/%s/slide" % pid, body={"slid_on": day(-101)}), 422,
                       "validation-failed", field="/slid_on")
        expect_problem(w.call("POST", "/v1/placements/%s/slide" % pid, "curator", body={"slid_on": day(0)}), 403,
                       "forbidden")
        r = w.call("POST", "/v1/placements/%s/slide" % pid, body={"slid_on": day(0)})
        b = expect_status(r, 200).body
        check(b["status"] == "active" and b["exit_date"] is None and b["lease_holder"] == "tenant"
              and b["sliding"]["slid_on"] == day(0) and b["sliding"]["next_step"] is None
              and b["sliding"]["tripartite_review_on"] is None, "slid, still at home: %r" % b, r)
        r2 = w.call("POST", "/v1/placements/%s/slide" % pid, body={"slid_on": day(0)})
        check(expect_status(r2, 200).body["version"] == b["version"], "the same slide again: unchanged", r2)
        expect_problem(w.call("POST", "/v1/placements/%s/slide" % pid, body={"slid_on": day(-1)}), 409,
                       "invalid-state")
        u = w.ok(200, "GET", "/v1/units/%s" % unit).body
        check(u["occupied_places"] == 1 and u["vacant_places"] == 0, "the place stays taken: %r" % u)
        check(w.ok(200, "GET", "/v1/reports/occupancy").body == occupancy, "the occupancy report is unchanged")
        check(unit not in {x["id"] for x in list_all(w, "/v1/units?status=vacant")}, "not listed as vacant")
        after = w.ok(200, "GET", report).body["placements"]
        check(after["slides"] == before["slides"] + 1 and after["lease_transfers"] == before["lease_transfers"] + 1
              and after["exits"] == before["exits"], "a success, not an exit: %r -> %r" % (before, after))
        direct = w.placed(w.unit(), -10, lease="direct_lease")["id"]
        r = w.call("POST", "/v1/placements/%s/slide" % direct, body={"slid_on": day(0)})
        expect_problem(r, 409, "invalid-state")
        check(r.body.get("lease") == "direct_lease", "the refusal names the lease", r)
        st = w.ok(200, "GET", "/v1/people/%s/status" % w.placements[pid]["person"], "curator").body["placement"]
        check(st["lease_holder"] == "tenant" and st["sliding"]["slid_on"] == day(0), "the status shows it: %r" % st)


def case_arrears(suite, w):
    """Rent arrears repayment plans: instalments summing to the total, payments, a state by date, the agenda."""
    def plan_path(iid):
        return "/v1/incidents/%s/arrears-plan" % iid

    def pay(iid, amount, paid_on=None, who="landlord", key=None):
        return w.call("POST", plan_path(iid) + "/payments", who, body={"paid_on": paid_on or day(0),
                                                                        "amount_cents": amount},
                      headers={"Idempotency-Key": key or uuid.uuid4().hex})

    with suite.case("arrears plan: instalments sum exactly to the total; only on rent arrears; once; who may set it "
                    "up; the database checks the sum too"):
        pid = w.placed(w.unit(), -120, lease="association_main_tenant")["id"]
        r = w.call("POST", "/v1/placements/%s/incidents" % pid, "landlord",
                   body={"kind": "rent_arrears", "description": "Trois mois de loyer impayés", "arrears_cents": 30000,
                         "occurred_on": day(-50)})
        iid = expect_status(r, 201).body["id"]
        other = expect_status(w.call("POST", "/v1/placements/%s/incidents" % pid, body={
            "kind": "disturbance", "description": "Bruit", "occurred_on": day(-3)}), 201).body["id"]
        instalments = [{"due_on": day(-40), "amount_cents": 10000}, {"due_on": day(-10), "amount_cents": 10000},
                       {"due_on": day(20), "amount_cents": 10000}]
        good = {"total_cents": 30000, "instalments": instalments}
        expect_problem(w.call("POST", plan_path(iid), "curator", body=dict(good, total_cents=30001)), 422,
                       "validation-failed", field="/instalments")
        for bad in ([], "x", [{"due_on": day(1)}], [{"due_on": "2027-02-30", "amount_cents": 30000}],
                    [{"due_on": day(1), "amount_cents": 0}], [{"due_on": day(1), "amount_cents": 30000, "x": 1}]):
            expect_problem(w.call("POST", plan_path(iid), "curator", body=dict(good, instalments=bad)), 422,
                           "validation-failed")
        r = w.call("POST", plan_path(other), body=good)
        expect_problem(r, 409, "invalid-state")
        check(r.body.get("kind") == "disturbance", "the refusal names the kind", r)
        expect_problem(w.call("POST", plan_path(iid), "caregiver", body=good), 403, "forbidden")
        expect_problem(w.call("POST", plan_path(iid), "curator2", body=good), 404, "not-found")
        expect_problem(w.call("POST", plan_path(iid), "landlord2", body=good), 404, "not-found")
        expect_problem(w.call("GET", plan_path(iid)), 404, "not-found")
        r = w.call("POST", plan_path(iid), "curator", body=good, headers={"Idempotency-Key": "plan-" + iid})
        b = expect_status(r, 201).body
        check(r.headers.get("location") == plan_path(iid) and b["total_cents"] == 30000 and b["paid_cents"] == 0
              and b["created_by_role"] == "curator"
              and b["instalments"] == sorted(instalments, key=lambda x: x["due_on"]),
              "the plan as set up: %r" % b, r)
        check(b["state"] == "late" and b["next_due_on"] == day(-40) and b["next_due_cents"] == 10000
              and b["due_cents"] == 20000, "nothing paid, two instalments past: late since %s: %r" % (day(-40), b))
        r = w.call("POST", plan_path(iid), body=good)
        expect_problem(r, 409, "conflict")
        check(r.body.get("plan_id") == b["id"], "the refusal names the plan", r)
        sqlstate, constraint, _ = sql_refusal(w.db.name, (
            "INSERT INTO arrears_plans (commission_id, incident_id, total_cents, created_by_role) SELECT "
            "commission_id, id, 5000, 'coordinator' FROM incidents WHERE id = '%s'" % other))
        check(sqlstate == "23514" and constraint == "arrears_plans_instalments_sum",
              "a plan typed in SQL without its instalments is refused at commit (%s %s)" % (sqlstate, constraint))
        w.arrears = {"placement": pid, "incident": iid, "plan": b["id"]}

    with suite.case("arrears plan: late by date, on the next session's agenda even once the incident is closed; "
                    "payments by the landlord or the curator, idempotent, never past the total"):
        iid = w.arrears["incident"]
        expect_status(pay(iid, 10000, paid_on=day(-39)), 201)
        b = w.ok(200, "GET", plan_path(iid), "landlord").body
        check(b["state"] == "late" and b["paid_cents"] == 10000 and b["next_due_on"] == day(-10),
              "the second instalment (%s) is not covered: late: %r" % (day(-10), b))
        expect_status(w.call("POST", "/v1/incidents/%s/close" % iid, body={"closing_note": "Plan d'apurement"}), 200)
        late = {x["incident_id"] for x in list_all(w, "/v1/arrears-plans?state=late", "curator")}
        check(iid in late, "listed as late")
        s = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(10), "town": "Lille",
                                                     "chair_name": "M. le maire"}).body["id"]
        items = w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s).body["items"]
        mine = [i for i in items if i["kind"] == "incident" and (i.get("incident") or {}).get("id") == iid]
        check(len(mine) == 1 and mine[0]["incident"]["status"] == "closed"
              and mine[0]["incident"]["arrears_plan_state"] == "late",
              "the closed incident with a late plan is on the agenda", items)
        caregiver = w.ok(200, "GET", "/v1/sessions/%s/agenda" % s, "caregiver").body["items"]
        seen = [i for i in caregiver if (i.get("incident") or {}).get("id") == iid]
        check(all(i["incident"]["arrears_plan_state"] is None for i in seen), "a caregiver does not see the plan")
        expect_problem(w.call("GET", plan_path(iid), "caregiver"), 403, "forbidden")
        expect_problem(w.call("POST", plan_path(iid) + "/payments", "curator",
                              body={"paid_on": day(0), "amount_cents": 10000}), 428, "precondition-required")
        expect_problem(pay(iid, 10000, paid_on=day(1)), 422, "validation-failed", field="/paid_on")
        key = uuid.uuid4().hex
        r = pay(iid, 10000, who="curator", key=key)
        b = expect_status(r, 201).body
        check(b["state"] == "on_track" and b["paid_cents"] == 20000 and b["next_due_on"] == day(20)
              and b["next_due_cents"] == 10000 and [p["recorded_by_role"] for p in b["payments"]] ==
              ["landlord", "curator"], "covered up to today: on track: %r" % b, r)
        r2 = pay(iid, 10000, who="curator", key=key)
        check(expect_status(r2, 201).body == b, "the same key replays and pays once", r2)
        r = pay(iid, 10001)
        expect_problem(r, 409, "conflict")
        check(r.body.get("paid_cents") == 20000 and r.body.get("total_cents") == 30000, "what remains is said", r)
        st = w.ok(200, "GET", "/v1/people/%s/status" % w.placements[w.arrears["placement"]]["person"],
                  "curator").body
        check(st["arrears_plans"] == [{"incident_id": iid, "state": "on_track", "total_cents": 30000,
                                       "paid_cents": 20000, "next_due_on": day(20), "next_due_cents": 10000}],
              "the curator's status tells the plan's state: %r" % st["arrears_plans"])
        expect_status(pay(iid, 10000), 201)
        b = w.ok(200, "GET", plan_path(iid)).body
        check(b["state"] == "paid_off" and b["next_due_on"] is None and b["next_due_cents"] is None,
              "paid off: %r" % b)
        check(iid in {x["incident_id"] for x in list_all(w, "/v1/arrears-plans?state=paid_off")}, "listed paid off")
        person = w.placements[w.arrears["placement"]]["person"]
        doc = w.ok(200, "GET", "/v1/people/%s/export" % person).body
        plans = [ap for pl in doc["placements"] for ap in pl["arrears_plans"]]
        check(len(plans) == 1 and plans[0]["incident_id"] == iid and len(plans[0]["instalments"]) == 3
              and sum(x["amount_cents"] for x in plans[0]["payments"]) == 30000,
              "the right of access holds the plan, its instalments and payments: %r" % plans)

    with suite.case("arrears plan: an instalment due today is not late yet; the status tells only the arrears of the "
                    "current placement"):
        pid = w.placed(w.unit(), -60, lease="association_main_tenant")["id"]
        r = w.call("POST", "/v1/placements/%s/incidents" % pid, "landlord",
                   body={"kind": "rent_arrears", "description": "Loyer impayé", "arrears_cents": 5000,
                         "occurred_on": day(-20)})
        iid = expect_status(r, 201).body["id"]
        b = expect_status(w.call("POST", plan_path(iid), "landlord", body={
            "total_cents": 5000, "instalments": [{"due_on": day(0), "amount_cents": 5000}]}), 201).body
        check(b["state"] == "on_track" and b["next_due_on"] == day(0), "due today: on track: %r" % b)
        person = w.placements[pid]["person"]
        st = w.ok(200, "GET", "/v1/people/%s/status" % person, "curator").body
        check([x["incident_id"] for x in st["arrears_plans"]] == [iid]
              and iid in [x["id"] for x in st["open_incidents"]], "while it runs: the plan and the arrears", st)
        expect_status(w.exit(pid, day(0), reason="other_housing"), 200)
        st = w.ok(200, "GET", "/v1/people/%s/status" % person, "curator").body
        check(st["arrears_plans"] == [] and iid not in [x["id"] for x in st["open_incidents"]] and st["rent"] is None,
              "after the exit: neither the plan nor the arrears of that placement: %r" % st)


def body(suite):
    with Database() as db:
        with Daemon(db, threads=2) as d:
            w = Leases(db, d, "Baux")
            case_provision(suite, w)
            case_refund_clause(suite, w)
            case_sliding(suite, w)
            case_arrears(suite, w)
            with suite.case("no response holds SQL or PostgreSQL's words; no 5xx; no database error logged"):
                found = leaks()
                check(not found, "internal details in responses:\n" + "\n".join(
                    "%r in %s %s -> %d: %s" % (x, r.method, r.path, r.status, r.text[:300]) for r, x in found))
                bad = [r for r in ALL_RESPONSES if r.status >= 500]
                check(not bad, "5xx answers:\n" + "\n".join(repr(r) for r in bad[:5]))
                check("database error" not in d.log_text(), "a database error was logged")
            d.stop()


if __name__ == "__main__":
    Suite("leases").main(body)
