#!/usr/bin/env python3
"""The hot writes' plans on a realistic commission (issue 15: no write whose cost grows with the database).

A move-in, a decision, a review, an incident and an exit are made through the daemon on bench/lib/gen.sql's
commission of 4 000 people (analyzed), with auto_explain logging every plan of the daemon's sessions, nested
statements (the triggers') included, under generic plans (plan_cache_mode = force_generic_plan: what a statement
runs after its fifth execution on a connection). In those plans:

- every index scan constrains its index's leading column (an index scan on a later column alone walks the whole
  index, every commission's rows: the capacity check of a placement did, migrations/0029);
- no table of the commission's data is read by a sequential scan.

Then a dry run of an import of people and one of units (POST /v1/imports): each row's look-ups (its care team
and curator by name, the person by birth date and names, the landlord and the unit by address) read their own
commission's rows, through an index whose condition names the commission (migrations/0032: they read the key's
rows of every commission, or every unit, and kept their commission's by a filter).

Then the reports and the list pages, their plans with their actual rows (auto_explain's analyze): no scan repeated
in a loop reads more than a few rows a loop (the reports kept a decision when no later one corrected it, and each
such look-up read every decision of the commission: migrations/0034), a page reads the range of its index its rows
are in, neither filtering out nor sorting more than a few rows beyond them (a page that sorts reads every row after
the cursor: the open incidents' did, migrations/0033), and a page of units, vacant or not, reads about its own rows of units (a vacant
page read every unit of the commission, migrations/0035).

Then 20 of each hot write on one connection under PostgreSQL's own plan choice, with pg_stat_statements counting
each statement's plannings, nested ones included: none is planned at more than half of its calls (a LANGUAGE sql
function with a subquery, or a look-up whose generic plan costs more than its custom one, was planned at every
call: migrations/0038).

Last, keyed writes with the idempotency keys analyzed empty: each response is recorded in its key's row by a TID
scan of the claim's ctid (recorded by (token, key), the generic plan on an empty table's statistics was a
sequential scan, read again at every write as the table grew).

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import json
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_status  # noqa: E402
from test_deposit_totals import ServerLog, explain_settings, generate, nodes, past_keys  # noqa: E402
from test_placements import day  # noqa: E402

# The tables that grow with the commissions' people; a sequential scan of a handful of rows elsewhere (sessions:
# four a year; the audit trail, which this data set does not generate) is the right plan.
DATA_TABLES = ("people", "applications", "application_events", "agenda_items", "decisions", "placements", "units",
               "reviews", "incidents", "deposit_entries", "deposit_totals", "person_status", "idempotency_keys",
               "care_notes", "organisations")
SCANS = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def leading_columns(db):
    """Each index of the public schema: the name of its first column (None for an expression)."""
    out = db.sql("SELECT c.relname || ' ' || coalesce(a.attname, '-') FROM pg_index i "
                 "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                 "WHERE n.nspname = 'public'")
    return {name: (None if col == "-" else col) for name, col in (line.split() for line in out.splitlines())}


def problems(plans, leading):
    """The scans of PLANS that walk a whole index or a data table, with the statement they belong to."""
    found = []
    for p in plans:
        text = " ".join(p.get("Query Text", "").split())[:160]
        for n in nodes(p["Plan"]):
            if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in DATA_TABLES:
                found.append("sequential scan of %s in: %s" % (n["Relation Name"], text))
            if n["Node Type"] in SCANS:
                column = leading.get(n.get("Index Name"))
                cond = n.get("Index Cond", "")
                if column is not None and "(%s " % column not in cond and "(%s)" % column not in cond:
                    found.append("index %s (leading column %s) scanned by %r in: %s"
                                 % (n.get("Index Name"), column, cond, text))
    return found


def body(suite):
    with suite.case("write plans: a move-in, a decision, a review, an incident and an exit on a commission of "
                    "4 000 people scan no index without its leading column and no data table sequentially"):
        with Database(prefix="cd_http_wplans") as db:
            commission = generate(db, 4000)
            token, token_id = db.token_create(commission, "coordinator", label="plans")
            today = day(0)
            ((app, unit),) = move_in_pairs(db, commission, today, 1)
            ((session, item),) = scheduled_items(db, 1)
            running = running_placements(db, commission, 2)
            check(len(running) == 2, "the generated commission has running placements")
            past_keys(db, token_id, commission)
            explain_settings(db, analyze=False)
            log = ServerLog(db)
            with Daemon(db) as d:

                def post(path, body, status=201):
                    r = d.call("POST", path, token=token, body=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                    expect_status(r, status)
                    return r.body

                post("/v1/placements", {"application_id": app, "unit_id": unit, "move_in_date": today,
                                        "lease": "direct_lease"})
                post("/v1/sessions/%s/decisions" % session, {"agenda_item_id": item, "outcome": "approve"})
                post("/v1/placements/%s/reviews" % running[0], {"review_date": today, "rent_status": "up_to_date"})
                post("/v1/placements/%s/incidents" % running[0], {"kind": "disturbance", "description": "bruit",
                                                                 "occurred_on": today})
                post("/v1/placements/%s/exit" % running[1], {"exit_date": today, "exit_reason": "other_housing",
                                                             "inspection_matches": True}, status=200)
                d.stop()
            plans = log.plans()
            texts = " ".join(p.get("Query Text", "") for p in plans)
            check(len(plans) > 50 and "coalesce(max(n), 0)" in texts,
                  "auto_explain logged the writes' plans, the capacity check's among them (%d)" % len(plans))
            found = problems(plans, leading_columns(db))
            check(not found, "scans that grow with the database:\n" + "\n".join(sorted(set(found))))
            import_plans(suite, db, commission, token)
            read_plans(suite, db, token)
            day_of_move_ins(suite, db, commission, token)
            planned_once(suite, db, commission, token)
            fresh_keys(suite, db, commission, token)


def move_in_pairs(db, commission, today, count):
    """Up to COUNT (approved application, unit) pairs of COMMISSION that can move in on TODAY: each application
    once, each unit as many times as it has free places that day (bench/run's move-in pool)."""
    out = db.sql("""SET commissiond.scope = 'all';
        WITH free AS (
          SELECT u.id, generate_series(1, u.places - (SELECT count(*)::integer FROM placements pl
            WHERE pl.commission_id = u.commission_id AND pl.unit_id = u.id AND pl.move_in_date <= '%s'
              AND (pl.exit_date IS NULL OR pl.exit_date > '%s'))) AS place
          FROM units u WHERE u.commission_id = '%s' AND u.status IN ('available', 'occupied')),
        f AS (SELECT id, row_number() OVER (ORDER BY md5(id::text || place)) AS n FROM free),
        a AS (SELECT id, row_number() OVER (ORDER BY md5(id::text)) AS n FROM applications
              WHERE commission_id = '%s' AND status = 'approved')
        SELECT a.id || ' ' || f.id FROM a JOIN f USING (n) ORDER BY n LIMIT %d
        """ % (today, today, commission, commission, count))
    return [tuple(line.split()) for line in out.splitlines() if " " in line]


def scheduled_items(db, count):
    """Up to COUNT (session, agenda item) pairs of the open session whose application is scheduled (to decide)."""
    out = db.sql("SET commissiond.scope = 'all'; SELECT i.session_id || ' ' || i.id FROM agenda_items i "
                 "JOIN applications a ON a.commission_id = i.commission_id AND a.id = i.application_id "
                 "JOIN sessions s ON s.id = i.session_id WHERE s.status = 'open' AND a.status = 'scheduled' "
                 "ORDER BY i.id LIMIT %d" % count)
    return [tuple(line.split()) for line in out.splitlines() if " " in line]


def running_placements(db, commission, count):
    """Up to COUNT placements of COMMISSION without an exit date, by id."""
    return db.sql("SET commissiond.scope = 'all'; SELECT id FROM placements WHERE commission_id = '%s' "
                  "AND exit_date IS NULL ORDER BY id LIMIT %d" % (commission, count)).splitlines()


LOOKED_UP = ("organisations", "units", "people")


def lookups(plans):
    """The plans of statements that read organisations, units or people (SELECT ... FROM KIND alias ...)."""
    for p in plans:
        text = " ".join(p.get("Query Text", "").split())
        if any(text.startswith("SELECT") and " FROM %s " % t in text for t in LOOKED_UP):
            yield p


def scans_without_commission(plans):
    """The scans of an organisation, unit or person in the import's look-ups (SELECT ... FROM KIND alias WHERE)
    whose index condition names neither the commission nor the row's id."""
    found = []
    for p in lookups(plans):
        text = " ".join(p.get("Query Text", "").split())
        for n in nodes(p["Plan"]):
            if n.get("Relation Name") in LOOKED_UP and n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan"):
                if n["Node Type"] == "Seq Scan" or "commission_id" not in n.get("Recheck Cond", ""):
                    found.append("%s of %s in: %s" % (n["Node Type"], n["Relation Name"], text[:160]))
            if n["Node Type"] in ("Index Scan", "Index Only Scan") and n.get("Relation Name") in LOOKED_UP \
                    and "commission_id" not in n.get("Index Cond", "") \
                    and not n.get("Index Cond", "").startswith("(id = "):
                found.append("index %s by %r in: %s" % (n.get("Index Name"), n.get("Index Cond"), text[:160]))
    return found


def import_plans(suite, db, commission, token):
    q = "SET commissiond.scope = 'all'; "
    team, curator, landlord = (db.sql(q + "SELECT name FROM organisations WHERE commission_id = '%s' AND kind = '%s' "
                                      "ORDER BY name LIMIT 1" % (commission, kind)).splitlines()[-1]
                               for kind in ("care_team", "curator_service", "landlord"))
    born = db.sql(q + "SELECT family_name || ';' || given_names || ';' || to_char(birth_date, 'DD/MM/YYYY') "
                  "FROM people WHERE commission_id = '%s' ORDER BY id LIMIT 3" % commission).splitlines()[-3:]
    label, kind, address, town, owner, places = db.sql(
        q + "SELECT u.label || '|' || u.kind || '|' || u.address || '|' || u.town || '|' || o.name || '|' || u.places "
        "FROM units u "
        "JOIN organisations o ON o.id = u.landlord_org_id WHERE u.commission_id = '%s' AND (person_name_key(u.address), "
        "person_name_key(u.town)) IN (SELECT person_name_key(address), person_name_key(town) FROM units WHERE "
        "commission_id = '%s' GROUP BY 1, 2 HAVING count(*) = 1) ORDER BY u.id LIMIT 1"  # one unit at its address
        % (commission, commission)).splitlines()[-1].split("|")
    people = ["Nom;Prénom;Date de naissance;Équipe de soins;Mesure de protection;Mandataire"]
    people += ["%s;\"%s\";Aucune;" % (b, team) for b in born]  # existing people: found, then compared
    people += ["Nouveau%d;Prénom;0%d/02/1971;\"%s\";Curatelle simple;\"%s\"" % (i, i + 1, team, curator)
               for i in range(3)]
    units = ["Libellé;Type;Adresse;Commune;Bailleur;Places;Loyer;Charges;Dépôt de garantie"]
    units += ["\"%s\";%s;\"%s\";\"%s\";\"%s\";%s;400;30;400" % (label, kind, address, town, owner, places)]
    units += ["T%d;Appartement HLM;%d rue Neuve;Lille;\"%s\";1;400;30;400" % (i, i, landlord) for i in range(3)]
    with suite.case("import plans: a row's care team, curator, person, landlord and unit are looked up in the "
                    "commission's own index entries, never in every commission's rows"):
        log = ServerLog(db)
        with Daemon(db) as d:
            for kind, lines in (("people", people), ("units", units)):
                r = d.call("POST", "/v1/imports?kind=" + kind, token=token, raw_body=("\r\n".join(lines) +
                           "\r\n").encode(), headers={"Content-Type": "text/csv"})
                expect_status(r, 201)
                check(r.body["counts"]["error"] == 0, "the %s file has no error" % kind, r)
            d.stop()
        plans = log.plans()
        texts = " ".join(" ".join(p.get("Query Text", "").split()) for p in plans)
        check(all(" FROM %s " % t in texts for t in LOOKED_UP),
              "auto_explain logged the look-ups of organisations, units and people")
        found = scans_without_commission(plans) + problems(list(lookups(plans)), leading_columns(db))
        check(not found, "look-ups that read other commissions' rows:\n" + "\n".join(sorted(set(found))))


READS = ("/v1/reports/assembly?year={year}", "/v1/reports/activity?from={year}-01-01&to={year}-12-31",
         "/v1/incidents?status=open&limit=50", "/v1/incidents?status=acknowledged&limit=50",
         "/v1/incidents?status=closed&limit=50", "/v1/applications?status=waiting&limit=50",
         "/v1/placements?active=true&limit=50", "/v1/reviews?status=due&limit=50",
         "/v1/deposits?status=held&limit=50", "/v1/units?status=vacant&limit=50", "/v1/units?limit=50",
         # one unit in 15 is a transitional place; Wattrelos is the last of the eight towns in the units' order
         "/v1/units?kind=transitional_place&limit=50", "/v1/units?town=Wattrelos&limit=50",
         "/v1/units?status=vacant&kind=foyer_place&limit=50")


def unit_rows(plans, most=150):
    """Statements that read more than MOST rows of units or of their vacancy periods: a page of 50 units (vacant or
    not) reads its 50 rows and a few more, not the commission's units (a vacant page counted every unit's stays of
    today until migrations/0035)."""
    found = []
    for p in (p for p in plans if "u.places AS places" in p.get("Query Text", "")):  # rows of the API's Unit
        read = sum(n.get("Actual Loops", 1) * (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0))
                   for n in nodes(p["Plan"]) if "Scan" in n["Node Type"]
                   and n.get("Relation Name") in ("units", "unit_vacancies"))
        if read > most:
            found.append("%d rows of units read, in: %s" % (read, " ".join(p.get("Query Text", "").split())[:200]))
    return found


def repeated_scans(plans, most=200):
    """Scans of a table run in a loop, 20 times or more, that read more than MOST rows a loop (a materialized
    table's rows read again at each loop count; a materialized result computed once, such as an aggregate, does
    not)."""
    found = []
    for p in plans:
        for n in nodes(p["Plan"]):
            loops = n.get("Actual Loops", 1)
            per_loop = n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)
            table = "Scan" in n["Node Type"] or (n["Node Type"] == "Materialize" and any(
                "Relation Name" in c for c in n.get("Plans", [])))
            if table and loops >= 20 and per_loop > most:
                found.append("%s on %s: %d rows a loop, %d loops, in: %s" % (
                    n["Node Type"], n.get("Relation Name") or n.get("Index Name") or n["Plans"][0].get("Relation Name"),
                    per_loop, loops,
                    " ".join(p.get("Query Text", "").split())[:160]))
    return found


CURSOR = re.compile(r"\) > \(\$\d+")  # a list page's statement: its rows after the cursor's key


def page_reads(plans, page=50, most=10):
    """In a list page's plan (its rows after the cursor, ORDER BY the list's key LIMIT the page), a scan whose filter
    read and left more than MOST rows a loop, or a sort of more than the page and MOST rows: the page is one range of its
    index, stopped by the page's size (the running placements' few with an exit date ahead are sorted with it); a
    scan or a sort of the rows after the cursor reads every one of them (the open incidents' page did, migrations/0033)."""
    found = []
    for p in plans:
        text = " ".join(p.get("Query Text", "").split())
        if not CURSOR.search(text):
            continue
        for n in nodes(p["Plan"]):
            removed = n.get("Rows Removed by Filter", 0)  # a loop's (a look-up per row of the page: its own few)
            if "Scan" in n["Node Type"] and removed > most:
                found.append("%d rows of %s a loop read and left by a filter, in: %s" % (
                    removed, n.get("Relation Name") or n.get("Index Name"), text[:200]))
            if n["Node Type"] in ("Sort", "Incremental Sort"):
                rows = max(c.get("Actual Rows", 0) * c.get("Actual Loops", 1) for c in n["Plans"])
                if rows > page + most:
                    found.append("%d rows sorted, in: %s" % (rows, text[:200]))
    return found


def read_plans(suite, db, token):
    with suite.case("read plans: the reports and list pages repeat no scan of many rows, a page reads its range "
                    "and sorts no more than itself, a page of units reads about its own rows (actual rows, "
                    "commission of 4 000 people)"):
        explain_settings(db, analyze=True)
        # Nested loops only: whatever join PostgreSQL would choose on another data set, a table looked up at each
        # row of a loop must be looked up through an index (here it may hash the whole table once instead, which
        # hides a missing index until the commission is larger).
        for setting in ("enable_hashjoin", "enable_mergejoin"):
            db.sql("ALTER DATABASE \"%s\" SET %s = off" % (db.name, setting))
        log = ServerLog(db)
        year = db.sql("SET commissiond.scope = 'all'; SELECT extract(year FROM decided_on)::integer FROM decisions "
                      "GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1").splitlines()[-1]  # the busiest year
        with Daemon(db) as d:
            for path in READS:
                for _ in range(2):  # the first plan and the cached one
                    expect_status(d.call("GET", path.format(year=year), token=token), 200)
            d.stop()
        plans = log.plans()
        texts = " ".join(p.get("Query Text", "") for p in plans)
        pages = sum(1 for p in plans if CURSOR.search(p.get("Query Text", "")))
        check(pages >= 2 * (len(READS) - 3) and "corrects_decision_id" in texts,  # not the reports, not deposits
              "auto_explain logged the pages (%d) and the reports' statements (%d plans)" % (pages, len(plans)))
        check("unit_vacancies" in texts, "auto_explain logged the vacant units' page")
        found = repeated_scans(plans) + ["a page: " + t for t in page_reads(plans)] + unit_rows(plans)
        check(not found, "reads that grow with the commission:\n" + "\n".join(sorted(set(found))))


def filtered_rows(plans, most=10):
    """Index scans that leave more than MOST rows a loop to their filter: rows read to be thrown away (a sequential
    scan of a table of a few hundred rows is the right plan here; of a data table, problems() reports it)."""
    found = []
    for p in plans:
        for n in nodes(p["Plan"]):
            removed = n.get("Rows Removed by Filter", 0)
            if n["Node Type"] in SCANS + ("Bitmap Heap Scan",) and removed > most * n.get("Actual Loops", 1):
                found.append("%s on %s: %d rows left by the filter %r, in: %s" % (
                    n["Node Type"], n.get("Index Name") or n.get("Relation Name"), removed, n.get("Filter"),
                    " ".join(p.get("Query Text", "").split())[:160]))
    return found


def day_of_move_ins(suite, db, commission, token, count=40):
    with suite.case("a day of move-ins: the %d-th move-in of the day reads its own unit's stays, not the "
                    "commission's move-ins of the day (actual rows)" % count):
        today = day(0)
        pairs = move_in_pairs(db, commission, today, count)
        check(len(pairs) == count, "the commission has %d approved applications and free places (%d)"
              % (count, len(pairs)))
        with Daemon(db) as d:
            for i, (app, unit) in enumerate(pairs):
                if i == count - 1:
                    log = ServerLog(db)  # the last one's plans: every move-in of the day before it is written
                r = d.call("POST", "/v1/placements", token=token, body={
                    "application_id": app, "unit_id": unit, "move_in_date": today, "lease": "direct_lease"},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
                expect_status(r, 201)
            d.stop()
        plans = log.plans()
        check(any("unit_vacancies" in p.get("Query Text", "") for p in plans),
              "auto_explain logged the move-in's vacancy refresh (%d plans)" % len(plans))
        found = filtered_rows(plans)
        check(not found, "a move-in's reads that grow with the day's move-ins:\n" + "\n".join(sorted(set(found))))


def planned_once(suite, db, commission, token, count=20):
    with suite.case("%d of each hot write (move-in, decision, review, incident, deposit entry, exit) on one "
                    "connection: no statement, the triggers' and functions' included, is planned at every call "
                    "(pg_stat_statements' plan counts)" % count):
        check("pg_stat_statements" in db.sql("SHOW shared_preload_libraries"),
              "the cluster preloads pg_stat_statements (tests/run's does: PG_CLUSTER_PRELOAD)")
        # PostgreSQL's own plan choice again (explain_settings() forced generic plans), and every nested statement
        # counted with its planning.
        db.sql('ALTER DATABASE "%s" RESET ALL' % db.name)
        for k, v in (("pg_stat_statements.track", "all"), ("pg_stat_statements.track_planning", "on")):
            db.sql("ALTER DATABASE \"%s\" SET %s = '%s'" % (db.name, k, v))
        db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        today = day(0)
        pairs = move_in_pairs(db, commission, today, count)
        items = scheduled_items(db, count)
        running = running_placements(db, commission, 2 * count)
        check(len(pairs) == count and len(items) == count and len(running) == 2 * count,
              "the commission has %d move-ins, decisions and running placements to write (%d, %d, %d)"
              % (count, len(pairs), len(items), len(running)))
        db.sql("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = '%s'), 0)"
               % db.name)
        with Daemon(db, threads=1) as d:

            def post(path, body, status=201):
                r = d.call("POST", path, token=token, body=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                expect_status(r, status)

            for i in range(count):
                app, unit = pairs[i]
                session, item = items[i]
                kept, leaving = running[i], running[count + i]
                post("/v1/placements", {"application_id": app, "unit_id": unit, "move_in_date": today,
                                        "lease": "direct_lease"})
                post("/v1/sessions/%s/decisions" % session, {"agenda_item_id": item, "outcome": "approve"})
                post("/v1/placements/%s/reviews" % kept, {"review_date": today, "rent_status": "up_to_date"})
                post("/v1/placements/%s/incidents" % kept, {"kind": "disturbance", "description": "bruit",
                                                           "occurred_on": today})
                post("/v1/placements/%s/deposit/entries" % kept, {"kind": "paid", "amount_cents": 100,
                                                                 "entry_date": today})
                post("/v1/placements/%s/exit" % leaving, {"exit_date": today, "exit_reason": "other_housing",
                                                          "inspection_matches": True}, status=200)
            d.stop()
        # A prepared statement (or a function's) is planned for its first five calls, then runs its generic plan
        # unless PostgreSQL judges the generic plan dearer: then it is planned again at every call, as is every
        # statement of a LANGUAGE sql function that cannot be inlined (once per calling statement).
        rows = db.sql("SELECT s.plans || ' ' || s.calls || ' ' || regexp_replace(left(s.query, 150), '\\s+', ' ', "
                      "'g') FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid AND d.datname = '%s' "
                      "WHERE s.calls >= %d" % (db.name, count)).splitlines()
        check(len(rows) > 20, "pg_stat_statements counted the writes' statements (%d)" % len(rows))
        again = ["planned %s times in %s calls: %s" % tuple(r.split(" ", 2)) for r in rows
                 if 2 * int(r.split()[0]) > int(r.split()[1])]
        check(not again, "statements planned again at every call:\n" + "\n".join(sorted(again)))


def fresh_keys(suite, db, commission, token, count=30):
    with suite.case("%d keyed deposit entries on one connection, the idempotency keys emptied to no page and analyzed "
                    "(a fresh install, a quiet day's purge then a vacuum): each response is recorded in its claimed "
                    "row without a scan of the keys (generic plans), and a key sent again replays it" % count):
        # TRUNCATE leaves the table as a vacuum after the purge does: no page at all. A sequential scan of it then
        # costs less than any index or TID fetch, and a generic plan made at the first writes keeps it.
        db.sql("TRUNCATE idempotency_keys")
        db.sql("ANALYZE idempotency_keys")
        explain_settings(db, analyze=False)
        log = ServerLog(db)
        (placement,) = running_placements(db, commission, 1)
        path = "/v1/placements/%s/deposit/entries" % placement
        body = {"kind": "paid", "amount_cents": 100, "entry_date": day(0)}
        with Daemon(db, threads=1) as d:
            keys = [uuid.uuid4().hex for _ in range(count)]
            first = [expect_status(d.call("POST", path, token=token, body=body, headers={"Idempotency-Key": k}),
                                   201) for k in keys]
            again = d.call("POST", path, token=token, body=body, headers={"Idempotency-Key": keys[-1]})
            check(expect_status(again, 201).body == first[-1].body, "the last key sent again replays its response",
                  again)
            check(again.headers.get("idempotent-replayed") == "true", "the replay says so", again)
            d.stop()
        plans = log.plans()  # the daemon's, before this test's own query below
        rows = json.loads(db.sql("SELECT coalesce(json_agg(json_build_array(key, status, location, body)), '[]') "
                                 "FROM idempotency_keys"))
        stored = {k: (status, location, json.loads(text)) for k, status, location, text in rows}
        check(len(rows) == count, "one row per key, the claimed one (%d rows for %d keys)" % (len(rows), count))
        check(all(stored.get(k) == (201, r.headers.get("location"), r.body) for k, r in zip(keys, first)),
              "each key's row holds its first response: status, Location, body")
        seq = {p.get("Query Text", "")[:120] for p in plans for n in nodes(p["Plan"])
               if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "idempotency_keys"}
        check(not seq, "sequential scans of the keys: %s" % sorted(seq))
        records = [p for p in plans if p.get("Query Text", "").startswith("INSERT INTO idempotency_keys")
                   and "DO UPDATE" in p.get("Query Text", "")]
        check(len(records) >= count, "auto_explain logged each record's plan (%d)" % len(records))
        arbiters = {(p["Plan"].get("Conflict Resolution"), tuple(p["Plan"].get("Conflict Arbiter Indexes", [])))
                    for p in records}
        check(arbiters == {("UPDATE", ("idempotency_keys_pkey",))},
              "the record finds the claimed row by the key's unique index: %s" % sorted(arbiters))


if __name__ == "__main__":
    Suite("write-plans").main(body, needs=("PG_CLUSTER_DIR",))
