#!/usr/bin/env python3
"""Deposit accounts kept incrementally (migrations/0023, issue 15): what the lists, the write and the answers rely on.

- deposit_totals, kept by a trigger on the ledger, equals the ledger's aggregate (the sums deposit_accounts computed
  before 0023, reversals counted against the kind they reverse) after random sequences of entries: payments,
  refunds, deductions, write-offs, penalty entries, reversals, refusals (a refund over the balance changes nothing)
  and exits. The seed is printed; DEPOSIT_SEED=N replays a run. After each step no account owing a penalty today is
  missing from the candidates the penalty lists walk (migrations/0040), and at the end GET
  /v1/deposits?status=penalty_unpaid lists exactly the accounts that owe one; the shortest month's boundary (an exit
  on 1 February, refunded on 1 or 2 March) is a dated case.
- No statement of the deposit write (the entry, its triggers, the account read back, idempotency, audit) reads a
  ledger table by a sequential scan on a realistic commission (bench/lib/gen.sql, analyzed): auto_explain logs
  every plan of the daemon's sessions, nested statements included.
- A deposit entry costs two round trips to the database, counted by the daemon in the request's log line
  (db_round_trips): BEGIN, the Idempotency-Key's claim and the entry go together, and the audit entry and the
  key's response go with the COMMIT (libpq pipeline mode). What goes with the COMMIT is there after it (the trail,
  the key's replay); a refusal leaves no key and is recorded after the rollback. A key already used replays its
  first answer even where the entry, made again, would now be refused (the claim sent with the entry is read
  before the entry's refusal counts). A move-in is three (its insert, the application's move and the placement's
  read sent together; a full unit's 409 also on a session that had not prepared them), a decision four, a review
  three and its PATCH three. A one-record read is one round trip.
- A page of GET /v1/deposits (each status, and none; one landlord's; a landlord's and a curator's own, the one with
  the fewest accounts: a share that shrinks as the commission grows) reads about as many rows at 4N accounts as at
  N, under generic plans (plan_cache_mode = force_generic_plan), counted in the plans auto_explain logs with their
  actual rows.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import json
import os
import random
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, env, expect_problem, expect_status, poll, run, psql_path  # noqa: E402
from test_placements import DEPOSIT, RENT, World, day, list_all  # noqa: E402

GEN_SQL = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "bench", "lib", "gen.sql")
TOTALS = ("balance_cents", "paid_cents", "refunded_cents", "deducted_cents", "written_off_cents",
          "penalty_claimed_cents", "penalty_received_cents", "penalty_waived_cents", "last_moved_on", "entries",
          "exited")
KINDS = ("paid", "refunded", "deducted", "written_off", "penalty_claimed", "penalty_received", "penalty_waived")
# The ledger's aggregate from scratch (as deposit_accounts computed it before migrations/0023) for every placement,
# next to its totals row: the rows that differ, or that one side lacks.
DIFFERENCES = """
WITH agg AS (
  SELECT e.commission_id, e.placement_id, sum(e.effect_cents) AS balance_cents,
    %s,
    max(e.entry_date) FILTER (WHERE e.effect_cents <> 0) AS last_moved_on, count(*) AS entries
  FROM deposit_entries e LEFT JOIN deposit_entries r ON r.id = e.reverses_entry_id
  GROUP BY e.commission_id, e.placement_id),
ledger AS (
  SELECT pl.commission_id, pl.id AS placement_id, coalesce(a.balance_cents, 0) AS balance_cents,
    %s, a.last_moved_on, coalesce(a.entries, 0) AS entries, pl.exit_date IS NOT NULL AS exited
  FROM placements pl LEFT JOIN agg a ON a.commission_id = pl.commission_id AND a.placement_id = pl.id)
SELECT coalesce(l.placement_id, t.placement_id) || ' ledger ' || row(l.*)::text || ' totals ' || row(t.*)::text
FROM ledger l FULL JOIN (SELECT commission_id, placement_id, %s FROM deposit_totals) t
  ON t.commission_id = l.commission_id AND t.placement_id = l.placement_id
WHERE row(l.*)::text IS DISTINCT FROM row(t.*)::text
""" % (",\n    ".join("coalesce(sum(CASE WHEN coalesce(r.kind, e.kind) = '%s' THEN (CASE WHEN e.kind = 'reversal' "
                       "THEN -1 ELSE 1 END) * e.amount_cents END), 0) AS %s_cents" % (k, k) for k in KINDS),
       ", ".join("coalesce(a.%s_cents, 0) AS %s_cents" % (k, k) for k in KINDS),
       ", ".join(TOTALS))
# The accounts whose totals row is not what the penalty lists walk (migrations/0040): a copy of the placement's exit
# date or of whether a provision was set that differs, or an account owing a penalty today that is not a candidate.
MISSED_PENALTIES = """
SELECT t.placement_id || ' totals ' || row(t.exit_date, t.provisioned, t.penalty_candidate)::text || ' account '
  || row(da.exit_date, da.provision_cents, da.penalty_unpaid_cents)::text
FROM deposit_totals t JOIN deposit_accounts da ON da.commission_id = t.commission_id
  AND da.placement_id = t.placement_id
WHERE t.exit_date IS DISTINCT FROM da.exit_date OR t.provisioned <> (da.provision_cents > 0)
  OR (da.penalty_unpaid_cents > 0 AND NOT t.penalty_candidate)
"""
SCANNED_TABLES = ("deposit_entries", "deposit_totals", "placements", "units", "people", "idempotency_keys")


def case_totals_property(suite, db, d):
    seed = int(os.environ.get("DEPOSIT_SEED") or random.SystemRandom().randrange(1 << 30))
    print("     seed %d (DEPOSIT_SEED=%d replays it)" % (seed, seed))
    rng = random.Random(seed)
    with suite.case("totals: after random entries, reversals, refusals and exits, each account's totals row "
                    "equals its ledger's aggregate (seed %d)" % seed):
        w = World(db, d, "Totaux")
        people = [w.person() for _ in range(4)]
        apps = w.approve(people)
        w.backdate(apps, 400)
        placements = []
        for a in apps:
            r = w.start(a, w.unit(), day(-300 - rng.randrange(60)))
            expect_status(r, 201)
            placements.append(r.body["id"])
        entries = {q: [] for q in placements}     # placement -> [(id, kind, amount)] not reversed, not reversals
        seen = {q: set() for q in placements}     # placement -> the ids of its entries
        exited = set()
        steps = 90

        def do_step():
            q = rng.choice(placements)
            balance = int(w.account(q)["balance_cents"])
            action = rng.choice(["paid", "paid", "refunded", "deducted", "written_off", "reversal", "reversal",
                                 "penalty", "overdraw", "exit"])
            when = day(-rng.randrange(250))
            if action == "exit" and q not in exited:
                expect_status(w.exit(q, day(-rng.randrange(200))), 200)
                exited.add(q)
                return action
            if action == "exit":
                action = "paid"
            if action == "overdraw":
                r = w.entry(q, "refunded", balance + 1 + rng.randrange(5000), when)
                expect_status(r, 409)
                return action
            if action == "penalty":
                # penalty entries are refused through the API until a penalty accrues: written as the import does
                kind = rng.choice(["penalty_claimed", "penalty_received", "penalty_waived"])
                amount = 1 + rng.randrange(20000)
                entry_id = db.sql("SET commissiond.scope = 'all'; INSERT INTO deposit_entries (commission_id, "
                                  "placement_id, kind, amount_cents, effect_cents, entry_date, justification, role) "
                                  "SELECT commission_id, id, '%s', %d, 0, '%s', 'test', 'coordinator' FROM placements "
                                  "WHERE id = '%s' RETURNING id" % (kind, amount, when, q)).splitlines()[-1]
                entries[q].append((entry_id, kind, amount))
                seen[q].add(entry_id)
                return action
            if action == "reversal":
                if not entries[q]:
                    return action
                entry_id, kind, amount = entries[q].pop(rng.randrange(len(entries[q])))
                r = w.entry(q, "reversal", None, when, justification="saisie erronée", reverses=entry_id)
                expect_status(r, 409 if kind == "paid" and amount > balance else 201)
                if r.status == 409:
                    entries[q].append((entry_id, kind, amount))
                else:
                    seen[q] |= {e["id"] for e in r.body["entries"]}
                return action
            if action in ("refunded", "deducted", "written_off") and balance == 0:
                action = "paid"
            amount = 1 + rng.randrange(60000 if action == "paid" else balance)
            who = "landlord" if action in ("refunded", "deducted") and rng.random() < 0.5 else "coordinator"
            r = w.entry(q, action, amount, when, who=who,
                        justification="remise en état" if action in ("deducted", "written_off") else None)
            expect_status(r, 201)
            # the write answers the bytes a read of the account gives (both written as text, src/api/deposits.c)
            g = w.call("GET", "/v1/placements/%s/deposit" % q, who)
            check(g.status == 200 and g.raw == r.raw, "the entry's answer is not the account as GET reads it", g)
            new = [e for e in r.body["entries"] if e["id"] not in seen[q]]
            check(len(new) == 1 and new[0]["kind"] == action and new[0]["amount_cents"] == amount,
                  "the answer's ledger holds the new entry", r)
            seen[q].add(new[0]["id"])
            entries[q].append((new[0]["id"], action, amount))
            return action

        for step in range(steps):
            action = do_step()
            differences = db.sql(DIFFERENCES)
            check(differences == "", "step %d (%s): totals differ from the ledger:\n%s" % (step, action, differences))
            missed = db.sql(MISSED_PENALTIES)
            check(missed == "", "step %d (%s): accounts the penalty lists miss:\n%s" % (step, action, missed))
        differences = db.sql(DIFFERENCES)
        check(differences == "", "at the end: totals differ from the ledger:\n%s" % differences)
        check(db.sql("SELECT count(*) FROM deposit_totals") == db.sql("SELECT count(*) FROM placements"),
              "one totals row per placement")
        # what the API answers is the ledger's aggregate too
        for q in placements:
            account = w.account(q)
            want = db.sql("SELECT coalesce(sum(effect_cents), 0) FROM deposit_entries WHERE placement_id = '%s'" % q)
            check(str(account["balance_cents"]) == want, "balance of %s: %s, the ledger says %s"
                  % (q, account["balance_cents"], want))
        # a list's item is the account without its ledger
        items = {x["placement_id"]: x for x in list_all(w, "/v1/deposits")}
        for q in placements:
            account = w.account(q)
            del account["entries"]
            check(items.get(q) == account, "the list's item of %s is not its account: %s against %s"
                  % (q, items.get(q), account))
        # the penalties unpaid listed are those the accounts owe today
        owing = {q for q in placements if int(w.account(q)["penalty_unpaid_cents"]) > 0}
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits?status=penalty_unpaid")} & set(placements)
        check(listed == owing, "penalty_unpaid lists %s, the accounts owe a penalty: %s" % (sorted(listed),
                                                                                           sorted(owing)))
        print("     %d of %d accounts owe a penalty at the end" % (len(owing), len(placements)))


def case_penalty_shortest_month(suite, db, d):
    with suite.case("penalty_unpaid: exits on 1 February 2026, the refund due on 1 March (one month: 28 days, loi "
                    "n° 89-462 art. 22): refunded on 1 March, on time, never listed; on 2 March, a started month "
                    "late, listed with 10 % of the rent for the coordinator and the landlord; the penalty received, "
                    "no longer listed"):
        w = World(db, d, "Février")
        apps = w.approve([w.person(), w.person()])
        w.backdate(apps, (datetime.date.today() - datetime.date(2025, 10, 1)).days)
        pids = []
        for a in apps:
            r = w.start(a, w.unit(), "2025-11-03")
            expect_status(r, 201)
            pids.append(r.body["id"])
            expect_status(w.entry(r.body["id"], "paid", DEPOSIT, "2025-11-03"), 201)
            expect_status(w.exit(r.body["id"], "2026-02-01", matches=True), 200)
        on_time, late = pids
        expect_status(w.entry(on_time, "refunded", DEPOSIT, "2026-03-01", who="landlord"), 201)
        expect_status(w.entry(late, "refunded", DEPOSIT, "2026-03-02", who="landlord"), 201)
        for who in ("coordinator", "landlord"):
            listed = {x["placement_id"]: x for x in list_all(w, "/v1/deposits?status=penalty_unpaid", who)}
            check(on_time not in listed, "%s: the refund on 1 March was on time, not listed" % who, listed.get(on_time))
            x = listed.get(late)
            check(x is not None and x["status"] == "settled" and x["refund_due_on"] == "2026-03-01"
                  and x["months_late"] == 1 and x["penalty_unpaid_cents"] == RENT // 10,
                  "%s: the refund on 2 March is a started month late, 10 %% of the rent unpaid: %r" % (who, x))
        expect_status(w.entry(late, "penalty_received", RENT // 10, "2026-04-01"), 201)
        listed = {x["placement_id"] for x in list_all(w, "/v1/deposits?status=penalty_unpaid")}
        check(late not in listed and on_time not in listed, "the penalty received in full: no longer listed")


# ---------------------------------------------------------------------------------------------------------------
# Plans on a realistic commission


def generate(db, people):
    """bench/lib/gen.sql's commission of PEOPLE people in DB (one commission), analyzed; its id."""
    psql = [psql_path(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name]
    run(psql + ["-v", "ncomm=1", "-v", "npeople=%d" % people, "-v", "today=%s" % day(0), "-f", GEN_SQL], timeout=300)
    lib = os.path.dirname(GEN_SQL)  # the plan, then the rows of commission 1, then the checks (bench/lib/gen.sql)
    run(psql + ["-v", "cfrom=1", "-v", "cto=1", "-f", os.path.join(lib, "gen-load.sql")], timeout=300)
    run(psql + ["-f", os.path.join(lib, "gen-finish.sql")], timeout=300)
    db.sql("VACUUM (ANALYZE)")
    return db.sql("SELECT id FROM commissions")


def past_keys(db, token_id, commission):
    """A token that has written for a while: 20 000 past Idempotency-Keys, analyzed (on a handful of rows a
    sequential scan would be the right plan)."""
    db.sql("INSERT INTO idempotency_keys (token_id, key, commission_id, request_hash, status, created_at) "
           "SELECT '%s', 'past-' || i, '%s', decode(md5(i::text), 'hex'), 201, now() - interval '1 hour' "
           "FROM generate_series(1, 20000) i; ANALYZE idempotency_keys" % (token_id, commission))


def explain_settings(db, analyze):
    """auto_explain for every session the daemon opens on DB from now on, nested statements included."""
    settings = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
                "auto_explain.log_nested_statements": "on", "auto_explain.log_format": "json",
                "auto_explain.log_analyze": "on" if analyze else "off",
                "plan_cache_mode": "force_generic_plan"}
    for k, v in settings.items():
        db.sql("ALTER DATABASE \"%s\" SET %s = '%s'" % (db.name, k, v))


class ServerLog:
    """The plans auto_explain wrote for DB's sessions in the server log ($PG_CLUSTER_DIR/log, lines prefixed
    '%m [%p] %q%u@%d ' by tests/lib/pg-cluster) since mark()."""

    RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[\d+\] ", re.M)

    def __init__(self, db):
        self.path = os.path.join(env("PG_CLUSTER_DIR"), "log")
        self.db = db
        self.mark()

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def plans(self):
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
        starts = [m.start() for m in self.RECORD.finditer(text)] + [len(text)]
        plans = []
        for a, b in zip(starts, starts[1:]):
            record = text[a:b]
            head, _, rest = record.partition("\n")
            if "@%s " % self.db.name not in head or "plan:" not in head:
                continue
            plans.append(json.loads(rest))
        return plans


def nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(plan):
    """Rows the scans of PLAN read: what they returned and what their filters removed, over all their loops."""
    total = 0
    for n in nodes(plan["Plan"]):
        if "Scan" in n["Node Type"] and n["Node Type"] != "Function Scan":
            loops = n.get("Actual Loops", 1)
            total += (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)
                      + n.get("Rows Removed by Index Recheck", 0)) * loops
    return total


def seq_scans(plan):
    return ["%s (%s)" % (n.get("Relation Name"), plan.get("Query Text", "")[:120].replace("\n", " "))
            for n in nodes(plan["Plan"]) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in SCANNED_TABLES]


def case_write_plans(suite):
    with suite.case("write plans: no statement of a deposit write (payment, refund, deduction, write-off, reversal, "
                    "penalty entry) scans a ledger table sequentially on a commission of 4 000 people"):
        with Database(prefix="cd_http_depplan") as db:
            commission = generate(db, 4000)
            token, token_id = db.token_create(commission, "coordinator", label="plans")
            accounts = db.sql("SET commissiond.scope = 'all'; SELECT placement_id || ' ' || status || ' ' || "
                              "balance_cents || ' ' || penalty_cents FROM deposit_accounts WHERE balance_cents > 0 "
                              "ORDER BY placement_id").splitlines()[1:]
            held = [a.split() for a in accounts if a.split()[1] == "held"]
            overdue = [a.split() for a in accounts if a.split()[1] == "overdue" and int(a.split()[3]) > 0]
            check(len(held) > 100 and overdue, "the generated commission has held and overdue accounts")
            past_keys(db, token_id, commission)
            explain_settings(db, analyze=False)
            log = ServerLog(db)
            with Daemon(db) as d:

                def post(q, kind, amount=None, **extra):
                    body = {"kind": kind, "entry_date": day(0)}
                    if amount is not None:
                        body["amount_cents"] = amount
                    body.update(extra)
                    r = d.call("POST", "/v1/placements/%s/deposit/entries" % q, token=token, body=body,
                               headers={"Idempotency-Key": uuid.uuid4().hex})
                    expect_status(r, 201)
                    return r.body

                for i in range(3):
                    q = held[i][0]
                    post(q, "paid", 1000)
                    post(q, "refunded", 300)
                    account = post(q, "deducted", 200, justification="remise en état")
                    post(q, "written_off", 100, justification="irrécouvrable")
                    post(q, "reversal", reverses_entry_id=account["entries"][-1]["id"], justification="erreur")
                q, _, _, penalty = overdue[0]
                post(q, "penalty_claimed", int(penalty))
                post(q, "penalty_received", 1)
                d.stop()
            plans = log.plans()
            check(len(plans) > 50, "auto_explain logged the daemon's plans (%d)" % len(plans))
            texts = " ".join(p.get("Query Text", "") for p in plans)
            check("deposit_entry_record" in texts and "deposit_totals" in texts,
                  "the write's statements and the totals trigger's are among them")
            found = [s for p in plans for s in seq_scans(p)]
            check(not found, "sequential scans in the write's plans:\n" + "\n".join(found))


def case_list_pages(suite):
    with suite.case("list pages: a page of GET /v1/deposits (no status, held, outstanding, overdue, settled, "
                    "not_paid, penalty_unpaid; one landlord's; a landlord's and a curator's own) reads about as many "
                    "rows at 16 000 people as at 4 000"):
        # (query, who): who is the coordinator, or the landlord or curator service with the fewest accounts (the
        # generator gives a commission more landlords and curator services as it grows: a scope's share shrinks).
        queries = [(q, "coordinator") for q in (
            "", "status=held", "status=overdue", "status=outstanding", "status=settled", "status=not_paid",
            "status=penalty_unpaid", "status=held&landlord_org_id={landlord}",
            "status=settled&landlord_org_id={landlord}", "status=outstanding&landlord_org_id={landlord}",
            "landlord_org_id={landlord}")]
        queries += [(q, who) for who in ("landlord", "curator") for q in ("", "status=held", "status=settled",
                                                                            "status=outstanding",
                                                                            "status=penalty_unpaid")]
        read, owed = {}, {}
        for people in (4000, 16000):
            with Database(prefix="cd_http_deplist") as db:
                commission = generate(db, people)
                orgs = {}
                for who, column in (("landlord", "landlord_org_id"), ("curator", "curator_org_id")):
                    orgs[who] = db.sql("SET commissiond.scope = 'all'; SELECT pl.%s FROM placements pl "
                                       "JOIN organisations o ON o.commission_id = pl.commission_id "
                                       "AND o.id = pl.%s WHERE o.kind IN ('landlord', 'curator_service') "
                                       "GROUP BY 1 ORDER BY count(*), 1 LIMIT 1" % (column, column)).splitlines()[-1]
                tokens = {"coordinator": db.token_create(commission, "coordinator", label="lists").token}
                for who in ("landlord", "curator"):
                    tokens[who] = db.token_create(commission, who, scope=orgs[who], label=who).token
                owed[people] = int(db.sql("SELECT count(*) FROM deposit_totals WHERE balance_cents > 0 AND exited"))
                explain_settings(db, analyze=True)
                with Daemon(db) as d:
                    for q, who in queries:
                        path = "/v1/deposits?limit=20&" + q.format(landlord=orgs["landlord"])
                        log = ServerLog(db)
                        r = d.call("GET", path, token=tokens[who])
                        expect_status(r, 200)
                        check(len(r.json["items"]) == 20 or "status=" in q,
                              "%s (%s): a full page (%d)" % (path, who, len(r.json["items"])))
                        lists = [p for p in log.plans() if "LIMIT" in p.get("Query Text", "")
                                 and "deposit_" in p.get("Query Text", "")]
                        check(len(lists) == 1, "%s: one list statement logged (%d)" % (path, len(lists)))
                        read[(q, who, people)] = rows_read(lists[0])
                    d.stop()
        report = ["%-45s %-11s %6d rows at 4 000, %6d at 16 000" % (q or "(no status)", who, read[(q, who, 4000)],
                                                                    read[(q, who, 16000)]) for q, who in queries]
        print("     " + "\n     ".join(report))
        # Overdue depends on the day (a refund falls due without a write): it reads the accounts owing a refund,
        # all of them when few are overdue (gen.sql leaves 3 exits in 20 unrefunded, so they grow with its
        # commission): bounded by those, never by the commission's history. Outstanding reads the accounts owing a
        # refund after an exit of the last two months (migrations/0040), penalty_unpaid the accounts that may owe a
        # penalty: both are checked as the other pages.
        grown = [line for (q, who), line in zip(queries, report)
                 if q != "status=overdue" and read[(q, who, 16000)] > 1.5 * read[(q, who, 4000)] + 50]
        check(not grown, "pages that read more rows as the commission grows:\n" + "\n".join(grown))
        for people in (4000, 16000):
            check(read[("status=overdue", "coordinator", people)] <= 10 * owed[people] + 200, "overdue at %d people "
                  "read %d rows for %d accounts owing a refund" % (people, read[("status=overdue", "coordinator",
                                                                                 people)], owed[people]))


def round_trips(d, r):
    """The database round trips of the request answered R, from its log line."""
    rid = r.headers.get("x-request-id")
    line = d.wait_log(lambda e: e.get("msg") == "request" and e.get("request_id") == rid, 5)
    check(line is not None and "db_round_trips" in line, "no request log line with db_round_trips for %s" % rid)
    return line["db_round_trips"]


def case_round_trips(suite, db):
    # One worker: every request on the same connection, whose statements the first writes prepared.
    with suite.case("round trips: a deposit entry costs two (BEGIN, the Idempotency-Key's claim and the entry; "
                    "the audit entry and the key's response with COMMIT), and each stays in the trail and the key"):
        with Daemon(db, threads=1) as d:
            w = World(db, d, "Allers-retours")
            q = w.place(w.unit())["id"]
            for kind, amount in (("paid", 50000), ("refunded", 100)):  # prepares every statement of the write
                expect_status(w.entry(q, kind, amount), 201)
            key = uuid.uuid4().hex
            r = w.entry(q, "refunded", 200, key=key)
            expect_status(r, 201)
            trips = round_trips(d, r)
            check(trips == 2, "the entry took %d round trips, expected 2" % trips)
            rid = r.headers.get("x-request-id")
            check(db.sql("SELECT count(*) FROM audit_log WHERE request_id = '%s' AND action = 'create' AND "
                         "status = 201" % rid) == "1", "the write's audit entry is not in the trail")
            again = w.entry(q, "refunded", 200, key=key)
            expect_status(again, 201)
            check(again.headers.get("idempotent-replayed") == "true" and again.body == r.body,
                  "the key's response was not recorded with the COMMIT", again)
            # a key whose entry emptied the account: made again, the entry would be refused (409); the key
            # replays its first answer instead, and the ledger keeps one entry
            balance = w.call("GET", "/v1/placements/%s/deposit" % q).json["balance_cents"]
            key = uuid.uuid4().hex
            emptied = w.entry(q, "refunded", balance, key=key)
            expect_status(emptied, 201)
            entries = len(emptied.json["entries"])
            again = w.entry(q, "refunded", balance, key=key)
            expect_status(again, 201)
            check(again.headers.get("idempotent-replayed") == "true" and again.body == emptied.body,
                  "a key whose entry would now be refused did not replay its first answer", again)
            check(len(w.call("GET", "/v1/placements/%s/deposit" % q).json["entries"]) == entries,
                  "the replay added an entry")
            expect_problem(w.entry(q, "refunded", 100, key=key), 409, "idempotency-key-reused",
                           field="header:Idempotency-Key")
            expect_status(w.entry(q, "paid", balance), 201)
            # a refusal in the transaction (the balance would go negative): nothing of it stays
            before = db.sql("SELECT count(*) FROM idempotency_keys")
            refused = w.entry(q, "refunded", 10 ** 7)
            expect_status(refused, 409)
            check(db.sql("SELECT count(*) FROM idempotency_keys") == before, "a refused entry's key stayed")
            rid = refused.headers.get("x-request-id")
            recorded, _ = poll(lambda: db.sql("SELECT count(*) FROM audit_log WHERE request_id = '%s' AND status = 409"
                                              % rid) == "1", 10)  # by the audit thread, within about 100 ms
            check(recorded, "the refusal is not in the trail (recorded after the rollback)")
            # a move-in: BEGIN, the key's claim and the application with its unit's status; the insert, the
            # application's move and the placement read back; the audit entry and the key's response with COMMIT
            u = w.unit()
            w.place(u)  # prepares every statement of the move-in
            (app,) = w.approve([w.person()])
            r = w.start(app, w.unit(), day(0))
            expect_status(r, 201)
            trips = round_trips(d, r)
            check(trips == 3, "the move-in took %d round trips, expected 3" % trips)
            check(db.sql("SELECT count(*) FROM placements WHERE id = '%s' AND application_id = '%s'"
                         % (r.body["id"], app)) == "1", "the move-in's placement is not stored", r)
            check(w.call("GET", "/v1/applications/%s" % app).json["status"] == "placed",
                  "the move-in's application is not placed")
            # the insert refused (the unit is full) in the same round trip: 409, nothing of it stays
            (app2,) = w.approve([w.person()])
            placements = db.sql("SELECT count(*) FROM placements")
            full = w.start(app2, u, day(0))
            expect_problem(full, 409, "conflict")
            check("no free place" in json.dumps(full.json), "a full unit's refusal does not say so", full)
            check(db.sql("SELECT count(*) FROM placements") == placements and
                  w.call("GET", "/v1/applications/%s" % app2).json["status"] == "approved",
                  "a refused move-in left a placement or moved its application")
            # a one-record read: the placement as its landlord sees it (the first read looks the token up)
            for _ in range(2):
                r = w.call("GET", "/v1/placements/%s" % q, "landlord")
                expect_status(r, 200)
            trips = round_trips(d, r)
            check(trips == 1, "a placement read took %d round trips, expected 1" % trips)
            # a review: BEGIN, the key's claim and the placement's lock; the insert, its parts and the review read
            # back; COMMIT. A PATCH of a part: BEGIN with the review's lock; the part and the read back; COMMIT.
            pl = w.place(w.unit())["id"]
            parts = {"care_followup": "Suivi mensuel", "rent_status": "up_to_date", "housing": "Entretenu",
                     "autonomy": "Autonome", "outcome": "continue"}
            for _ in range(2):  # the first prepares the statements
                r = w.call("POST", "/v1/placements/%s/reviews" % pl, body=dict(parts, review_date=day(0)),
                           headers={"Idempotency-Key": uuid.uuid4().hex})
                expect_status(r, 201)
            trips = round_trips(d, r)
            check(trips == 3, "the review took %d round trips, expected 3" % trips)
            review = r.json
            check(review["care_followup"]["text"] == "Suivi mensuel" and review["outcome"]["value"] == "continue"
                  and review["version"] == 1, "the review's answer does not show its parts written", r)
            for text in ("Suivi hebdomadaire", "Suivi bimensuel"):
                r = w.call("PATCH", "/v1/reviews/%s" % review["id"], body={"care_followup": text},
                           headers={"If-Match": r.headers["etag"]})
                expect_status(r, 200)
            trips = round_trips(d, r)
            check(trips == 3, "the review's PATCH took %d round trips, expected 3" % trips)
            check(r.json["care_followup"]["text"] == "Suivi bimensuel" and r.json["version"] == 3,
                  "the PATCH's answer is not the review as written", r)
            (app3,) = w.approve([w.person()])
            # a decision: BEGIN with the session's lock; the item's lock; the decision, the application's move and
            # the agenda read back; the audit entry with COMMIT
            apps = [w.application(w.person()) for _ in range(2)]
            s = w.ok(201, "POST", "/v1/sessions", body={"session_date": day(0), "town": "Lille",
                                                         "chair_name": "M. le maire"}).body["id"]
            w.ok(200, "POST", "/v1/sessions/%s/agenda/build" % s)
            w.ok(200, "POST", "/v1/sessions/%s/open" % s)
            items = {i["application"]["id"]: i["id"] for i in w.ok(200, "GET", "/v1/sessions/%s/agenda" % s)
                     .body["items"] if i.get("application")}
            for a in apps:
                r = w.ok(201, "POST", "/v1/sessions/%s/decisions" % s, body={"agenda_item_id": items[a],
                                                                             "outcome": "approve"})
            trips = round_trips(d, r)
            check(trips == 4, "the decision took %d round trips, expected 4" % trips)
            decided = [i for i in r.body["items"] if i.get("application") and i["application"]["id"] == apps[1]]
            check(len(decided) == 1 and (decided[0].get("decision") or {}).get("outcome") == "approve" and
                  decided[0]["application"]["status"] == "approved",
                  "the decision's answer does not show its agenda item decided", r)
            d.stop()
        # a session that has not prepared the move-in's statements (its first request) sends the insert on its own
        # before preparing the next one: the refusal of a full unit is still a 409, not a database error
        with Daemon(db, threads=1) as d:
            w.d = d
            full = w.start(app3, u, day(0))
            expect_problem(full, 409, "conflict")
            check("no free place" in json.dumps(full.json), "a full unit's refusal does not say so", full)
            d.stop()


def body(suite):
    with Database() as db:
        with Daemon(db) as d:
            case_totals_property(suite, db, d)
            case_penalty_shortest_month(suite, db, d)
            d.stop()
        case_round_trips(suite, db)
    case_write_plans(suite)
    case_list_pages(suite)


if __name__ == "__main__":
    Suite("deposit-totals").main(body, needs=("PG_CLUSTER_DIR",))
