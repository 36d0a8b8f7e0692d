#!/usr/bin/env python3
"""The access matrix (OWASP API1 object level, API3 property level, API5 function level), generated from the spec.

tests/http/access_matrix.tsv holds, for every operation of api/openapi.yaml, the status each role must get when
the object the request addresses is in its scope, of its commission but outside its scope, or of another
commission (its header explains the notation). This file:

- fails when the spec has an operation the table lacks, or the table a line the spec lacks, or a line has no
  request builder here (so a new route cannot escape the matrix);
- builds, through the API, two commissions with the same set of objects: in each, two care teams, two curator
  services and two landlords ("side 1" and "side 2"), a person of each side (followed by the side's team,
  protected by its curator service, living in its landlord's unit) with applications, a session with its agenda
  and decisions, placements, deposit entries, reviews, incidents, agreements and care notes;
- sends every cell's request with the token of that role (side 1 of commission A) and compares the status with
  the table; writes run on objects made afresh for each request, so every request is valid but for access;
- checks every successful answer of the run against FORBIDDEN_MEMBERS (field-level views) and against the ids the
  token may never see (no object of the other commission, no person or case of the other side, ...);
- runs BODY_ID_CASES (a path in scope, a body or a list filter naming what is not, incidents a role may not
  read on a placement it reads) and member_cases() (a body setting a member the role may not set: refused with
  4xx, and nothing changed); checks that the printable minutes name no one the reader may not see, and that an
  Idempotency-Key never replays to another token.

ACCESS_MATRIX_VERBOSE=1 prints every request of the run with its status.

A mismatch is reported as `METHOD path role situation: expected X, got Y`; the table says what least privilege
demands, so a failure here is the daemon's (or a new route's) to fix, not the table's to copy.

Needs PyYAML (Debian's python3-yaml). Exit 0: all passed; 1: a failure; 77: skipped.
"""
import datetime
import json
import os
import re
import secrets
import sys
import tempfile
import time

try:
    import yaml
except ImportError:
    # A python3 outside Debian's (pyenv, venv) does not see python3-yaml's dist-packages: use Debian's own. Without
    # PyYAML the file fails (never skips): a route must not escape the matrix because a module is missing.
    _debian_python = "/usr/bin/python3"
    if not os.environ.get("ACCESS_MATRIX_REEXEC") and os.access(_debian_python, os.X_OK) \
            and os.path.realpath(sys.executable) != os.path.realpath(_debian_python):
        os.environ["ACCESS_MATRIX_REEXEC"] = "1"
        os.execv(_debian_python, [_debian_python, os.path.abspath(__file__)] + sys.argv[1:])
    print("FAIL access-matrix: PyYAML is missing (apt-get install python3-yaml)")
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Mismatch, Suite, describe, poll  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.environ.get("COMMISSIOND_SPEC") or os.path.join(ROOT, "api", "openapi.yaml")
TABLE = os.path.join(HERE, "access_matrix.tsv")

ROLES = ("coordinator", "caregiver", "curator", "landlord", "observer")
SCOPED = ("caregiver", "curator", "landlord")
SITUATIONS = ("in", "out", "other")  # a / b / c of the table
SITUATION_NAME = {"in": "a (in scope)", "out": "b (same commission, out of scope)", "other": "c (other commission)",
                  None: "(no object)"}
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
CELL_RE = re.compile(r"^(?:[1-5][0-9][0-9]|-)(?:/(?:[1-5][0-9][0-9]|-)/(?:[1-5][0-9][0-9]|-))?$")
UUID_IN_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Field-level views: the JSON members a role must never receive, at any depth of any successful answer. A member
# present with the value null is tolerated (it tells nothing); any other value is a leak.
FORBIDDEN_MEMBERS = {
    "landlord": {"situation", "care_followup", "care_team_id", "care_notes", "body", "autonomy", "birth_date",
                 "application_id", "exit_comment"},
    "curator": {"situation", "care_followup", "care_notes", "body", "exit_comment"},
    "observer": {"family_name", "given_names", "birth_date", "situation"},
}
# Values a role must never receive under these member names: health information. An incident kind masked as
# "confidential" is a hospitalisation by construction (it is the only kind masked), so it tells the same.
# A curator reads an exit to hospital or to a care facility as "confidential" (PlacementExitReason).
HEALTH_EXITS = {"hospitalisation", "care_facility"}
FORBIDDEN_VALUES = {
    "landlord": {"kind": {"hospitalisation", "confidential"}, "exit_reason": HEALTH_EXITS | {"confidential"}},
    # the spec: a curator never sees a hospitalisation
    "curator": {"kind": {"hospitalisation", "confidential"}, "exit_reason": HEALTH_EXITS},
}

VERBOSE = os.environ.get("ACCESS_MATRIX_VERBOSE") == "1"  # print every request of the run and its status


def today():
    """Today (UTC) as YYYY-MM-DD, asked at every use: a run may cross midnight."""
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def session_day():
    """The day of the sessions the run plans: in 60 days."""
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=60)).isoformat()


def rnd(prefix="x"):
    return "%s-%s" % (prefix, secrets.token_hex(4))


def uuids_in(value, out=None):
    """Every UUID-shaped string in a JSON value (lower-cased)."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for v in value.values():
            uuids_in(v, out)
    elif isinstance(value, list):
        for v in value:
            uuids_in(v, out)
    elif isinstance(value, str) and UUID_IN_TEXT.match(value):
        out.add(value.lower())
    return out


def walk_members(value, path="$"):
    """(json path, member name, value, the object holding it) of every member of every object in VALUE."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k, v, value
            yield from walk_members(v, "%s.%s" % (path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_members(v, "%s[%d]" % (path, i))


# ---------------------------------------------------------------------------------------------------------------
# The spec and the table


def load_spec():
    with open(SPEC, encoding="utf-8") as f:
        return yaml.safe_load(f)


def spec_operations():
    spec = load_spec()
    ops = []
    for path, item in (spec.get("paths") or {}).items():
        for method in item:
            if method in HTTP_METHODS:
                ops.append((method.upper(), path))
    return ops


class Row:
    def __init__(self, line_no, method, path, cells):
        self.line_no, self.method, self.path = line_no, method, path
        self.cells = cells  # role -> list of 1 or 3 strings ("200", "-")

    @property
    def key(self):
        return (self.method, self.path)

    def expected(self, role, situation):
        cell = self.cells[role]
        if situation is None:
            return cell[0]
        return cell[SITUATIONS.index(situation)]

    def situations(self):
        return SITUATIONS if len(self.cells[ROLES[0]]) == 3 else (None,)


def read_table():
    """The table's rows, and the problems of its form (a list of strings)."""
    rows, problems, header = [], [], None
    with open(TABLE, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = [c.strip() for c in line.split("\t")]
            if header is None:
                header = cols
                if cols != ["method", "path"] + list(ROLES):
                    problems.append("line %d: the header must be method, path, %s (tab-separated), not %r"
                                    % (no, ", ".join(ROLES), cols))
                continue
            if len(cols) != 2 + len(ROLES):
                problems.append("line %d: %d tab-separated columns, expected %d" % (no, len(cols), 2 + len(ROLES)))
                continue
            bad = [c for c in cols[2:] if not CELL_RE.match(c)]
            if bad:
                problems.append("line %d: cells %r are not STATUS or A/B/C (a status or -)" % (no, bad))
                continue
            cells = {role: cols[2 + i].split("/") for i, role in enumerate(ROLES)}
            if len({len(c) for c in cells.values()}) != 1:
                problems.append("line %d: mixes one-status and three-status cells" % no)
                continue
            rows.append(Row(no, cols[0].upper(), cols[1], cells))
    seen = {}
    for r in rows:
        if r.key in seen:
            problems.append("line %d: %s %s already on line %d" % (r.line_no, r.method, r.path, seen[r.key]))
        seen.setdefault(r.key, r.line_no)
    return rows, problems


# ---------------------------------------------------------------------------------------------------------------
# The worlds: one commission each, built through the API


class FixtureFailed(AssertionError):
    pass


class World:
    """A commission with side 1 and side 2 (care team, curator service, landlord, each with a token), and what
    the matrix needs. Everything is made by its coordinator through the API; ids are kept by kind and side."""

    def __init__(self, db, daemon, name):
        self.db, self.d, self.name = db, daemon, name
        self.cid = db.commission_create(name)
        self.coord = db.token_create(self.cid, "coordinator", label="coordinator %s" % name).token
        self.seen = set()                    # every id of this commission seen in an answer
        self.personal = {1: set(), 2: set()}  # people of a side and their cases (applications, placements, ...)
        self.housing = {1: set(), 2: set()}   # units and agreements of a side's landlord
        self.people = set()                  # every person of the commission
        self.hidden_from_landlords = set()   # incidents not reported by a landlord (the incident routes hide them)
        self.hospitalisations = set()        # hospitalisation incidents (hidden from curators)
        self.what = {}                       # id -> what it is, for the reports
        self.family = {}                     # person id -> family name
        self.org, self.tok, self.tok_id = {}, {}, {}
        self.U, self.Ag, self.P, self.App, self.Pl, self.Rv, self.I, self.Ih, self.Ic, self.CN = ({} for _ in range(10))
        self.Ap = {}  # side -> rent arrears incident with a repayment plan

    # -- plumbing
    def call(self, method, path, body=None, token=None, headers=None, expect=(200, 201)):
        r = self.d.call(method, path, token=token or self.coord, body=body, headers=headers)
        if r.status not in expect:
            raise FixtureFailed("fixture of %s: %s" % (self.name, describe(r)))
        uuids_in(r.body, self.seen)
        return r.body

    def etag(self, path):
        r = self.d.call("GET", path, token=self.coord)
        if r.status != 200 or "etag" not in r.headers:
            raise FixtureFailed("fixture of %s: no ETag: %s" % (self.name, describe(r)))
        return r.headers["etag"]

    def side_org(self, kind, side):
        return self.org["%s%d" % (kind, side)]

    # -- the objects; fresh ones for the writes
    def organisation(self, kind="partner", name=None):
        return self.call("POST", "/v1/organisations", {"kind": kind, "name": name or rnd("org " + self.name)})["id"]

    def token(self, role, scope=None):
        body = {"role": role, "label": rnd("%s %s" % (role, self.name))}
        if scope is not None:
            body["scope_org_id"] = scope
        r = self.call("POST", "/v1/tokens", body)
        return r["token"], r["id"]

    def person(self, side):
        pid = self.call("POST", "/v1/people", {
            "family_name": rnd("Nom%d" % side), "given_names": "Prénom", "birth_date": "1978-04-0%d" % side,
            "care_team_id": self.side_org("team", side), "protection": "curatelle_renforcee",
            "curator_org_id": self.side_org("cur", side), "confirm_duplicate": True})["id"]
        self.personal[side].add(pid)
        self.people.add(pid)
        self.what[pid] = "person of side %d" % side
        return pid

    def unit(self, side, places=100, co_owned=False):
        uid = self.call("POST", "/v1/units", {
            "kind": "hlm_apartment", "label": rnd("T2"), "address": "1 rue des Tilleuls", "town": "Lille",
            "landlord_org_id": self.side_org("ll", side), "places": places, "rent_cents": 40000,
            "charges_cents": 5000, "deposit_cents": 40000, "co_owned": co_owned})["id"]
        self.housing[side].add(uid)
        self.what[uid] = "unit of landlord %d" % side
        return uid

    def agreement(self, side):
        aid = self.call("POST", "/v1/agreements", {
            "org_id": self.side_org("ll", side), "reference": rnd("CONV"), "signatory": "Mme Martin",
            "start_date": "2026-01-01", "end_date": "2028-12-31", "unit_ids": [self.U[side]]})["id"]
        self.housing[side].add(aid)
        self.what[aid] = "agreement of landlord %d" % side
        return aid

    def application(self, side, person=None, submit=False):
        aid = self.call("POST", "/v1/applications", {
            "person_id": person or self.P[side], "situation": "Sortie d'hospitalisation, suivi CMP (%s)" % side,
            "submit": submit})["id"]
        self.personal[side].add(aid)
        self.what[aid] = "application of side %d" % side
        return aid

    def approved_application(self, side):
        """An approved application of a fresh person of SIDE (forced by the coordinator)."""
        aid = self.application(side, person=self.person(side))
        self.call("POST", "/v1/applications/%s/transitions" % aid,
                  {"to": "approved", "force": True, "reason": "Décision du bureau (test)"})
        return aid

    def placement(self, side, paid=True, unit=None):
        """A placement of a fresh person of SIDE in the side's unit (or UNIT), its deposit paid."""
        app = self.approved_application(side)
        pl = self.call("POST", "/v1/placements", {"application_id": app, "unit_id": unit or self.U[side],
                                                  "move_in_date": today(), "lease": "sliding_lease"})["id"]
        self.personal[side].add(pl)
        self.what[pl] = "placement of side %d" % side
        if paid:
            self.deposit_paid(pl)
        return pl

    def ended_in_co_owned(self, side):
        """A placement of SIDE in a fresh unit of a co-owned building, its deposit paid, ended today."""
        pl = self.placement(side, unit=self.unit(side, places=1, co_owned=True))
        self.call("POST", "/v1/placements/%s/exit" % pl,
                  {"exit_date": today(), "exit_reason": "other_housing", "inspection_matches": True})
        return pl

    def deposit_paid(self, pl):
        body = self.call("POST", "/v1/placements/%s/deposit/entries" % pl,
                         {"kind": "paid", "amount_cents": 40000, "entry_date": today()},
                         headers={"Idempotency-Key": rnd("pay")})
        for e in body.get("entries") or []:
            self.personal[1 if pl in self.personal[1] else 2].add(e["id"])

    def review(self, side, pl=None, parts=False):
        body = {"review_date": today()}
        if parts:
            body.update({"care_followup": "Consultations mensuelles au CMP", "rent_status": "up_to_date",
                         "housing": "Logement entretenu", "autonomy": "Fait ses courses seul",
                         "outcome": "continue"})
        rid = self.call("POST", "/v1/placements/%s/reviews" % (pl or self.Pl[side]), body)["id"]
        self.personal[side].add(rid)
        self.what[rid] = "review of side %d" % side
        return rid

    def incident(self, side, pl=None, token=None, kind="disturbance"):
        iid = self.call("POST", "/v1/placements/%s/incidents" % (pl or self.Pl[side]),
                        {"kind": kind, "description": "Bruit signalé par les voisins (%s)" % kind,
                         "occurred_on": today()}, token=token)["id"]
        self.personal[side].add(iid)
        reporter = "the coordinator" if token is None else next(
            ("%s %d" % k for k, v in self.tok.items() if v == token), "?")
        self.what[iid] = "%s incident on side %d's placement, reported by %s" % (kind, side, reporter)
        if token is None or token not in (self.tok.get(("landlord", 1)), self.tok.get(("landlord", 2))):
            self.hidden_from_landlords.add(iid)
        if kind == "hospitalisation":
            self.hospitalisations.add(iid)
        return iid

    def webhook(self, side=1):
        """A subscription for the side's landlord (webhooks are the coordinator's whatever the side)."""
        return self.call("POST", "/v1/webhooks", {"url": "https://hooks.example.org/%s" % rnd("h"),
                                                  "org_id": self.side_org("ll", side),
                                                  "event_types": ["session.planned"]})["id"]

    def webhook_delivery(self, side=1):
        """A subscription and one delivery to it (the event of a new session): (subscription, delivery)."""
        w = self.webhook(side)
        self.session()
        items = self.call("GET", "/v1/webhooks/%s/deliveries" % w)["items"]
        return w, items[0]["id"]
    def arrears_plan(self, side, plan=True):
        """A rent arrears incident on SIDE's placement reported by its landlord, with a repayment plan unless not
        PLAN; its id."""
        iid = self.call("POST", "/v1/placements/%s/incidents" % self.Pl[side],
                        {"kind": "rent_arrears", "description": "Loyers impayés (%d)" % side, "arrears_cents": 60000,
                         "occurred_on": today()}, token=self.tok[("landlord", side)])["id"]
        self.personal[side].add(iid)
        self.what[iid] = "rent arrears incident of side %d, reported by its landlord" % side
        if plan:
            body = self.call("POST", "/v1/incidents/%s/arrears-plan" % iid,
                             {"total_cents": 60000, "instalments": [{"due_on": today(), "amount_cents": 60000}]})
            self.personal[side].add(body["id"])
            self.what[body["id"]] = "arrears plan of side %d" % side
        return iid

    def session(self, status="planned", day=None):
        """A session on DAY (by default: session_day() for a planned one, today for one opened, as a session opens
        on its date or later)."""
        day = day or (today() if status in ("open", "closed") else session_day())
        sid = self.call("POST", "/v1/sessions",
                        {"session_date": day, "town": "Lille", "chair_name": "M. le maire"})["id"]
        if status in ("open", "closed"):
            self.call("POST", "/v1/sessions/%s/open" % sid)
        if status == "closed":
            self.call("POST", "/v1/sessions/%s/close" % sid, {"defer_undecided": True})
        return sid

    def item(self, side=1):
        """A fresh application of SIDE put on the open session's agenda; its item id."""
        app = self.application(side, submit=True)
        agenda = self.call("POST", "/v1/sessions/%s/agenda/items" % self.S_open, {"application_id": app})
        for it in agenda["items"]:
            if it.get("application") and it["application"]["id"] == app:
                return it["id"]
        raise FixtureFailed("fixture of %s: the new item is not on the agenda" % self.name)

    def decision(self, side=1):
        item = self.item(side)
        agenda = self.call("POST", "/v1/sessions/%s/decisions" % self.S_open,
                           {"agenda_item_id": item, "outcome": "approve"})
        for it in agenda["items"]:
            if it["id"] == item and it.get("decision"):
                return it["decision"]["id"]
        raise FixtureFailed("fixture of %s: the decision is not on the agenda" % self.name)

    # -- the whole set
    def build(self):
        for side in (1, 2):
            self.org["team%d" % side] = self.organisation("care_team", "Equipe %d %s" % (side, self.name))
            self.org["cur%d" % side] = self.organisation("curator_service", "UDAF %d %s" % (side, self.name))
            self.org["ll%d" % side] = self.organisation("landlord", "Bailleur %d %s" % (side, self.name))
        for side in (1, 2):
            for role, kind in (("caregiver", "team"), ("curator", "cur"), ("landlord", "ll")):
                self.tok[(role, side)], self.tok_id[(role, side)] = self.token(role, self.side_org(kind, side))
        self.tok[("observer", 1)], self.tok_id[("observer", 1)] = self.token("observer")
        for side in (1, 2):
            self.U[side] = self.unit(side)
            self.Ag[side] = self.agreement(side)
            self.P[side] = self.person(side)
            self.App[side] = self.application(side)  # a draft: never picked by an agenda build
        # The session that approved the placements: built, opened, decided, closed (its minutes name them).
        placed = {side: self.application(side, submit=True) for side in (1, 2)}
        self.Px = self.person(1)  # side 1's person who left for hospital
        placed["x"] = self.application(1, person=self.Px, submit=True)
        self.S = self.session(day=today())
        agenda = self.call("POST", "/v1/sessions/%s/agenda/build" % self.S)
        self.call("POST", "/v1/sessions/%s/open" % self.S)
        self.call("PUT", "/v1/sessions/%s/attendance" % self.S,
                  {"attendees": [{"group": "care_team", "name": "Dr Lefort"}]})
        for it in agenda["items"]:
            app = (it.get("application") or {}).get("id")
            side = 2 if app == placed[2] else 1
            self.call("POST", "/v1/sessions/%s/decisions" % self.S,
                      {"agenda_item_id": it["id"], "outcome": "approve", "unit_id": self.U[side]})
        self.call("POST", "/v1/sessions/%s/close" % self.S)
        self.Decided = placed
        for side in (1, 2):
            self.Pl[side] = self.call("POST", "/v1/placements", {
                "application_id": placed[side], "unit_id": self.U[side], "move_in_date": today(),
                "lease": "sliding_lease"})["id"]
            self.personal[side].add(self.Pl[side])
            self.what[self.Pl[side]] = "placement of side %d" % side
            self.deposit_paid(self.Pl[side])
        self.Plx = self.call("POST", "/v1/placements", {"application_id": placed["x"], "unit_id": self.U[1],
                                                        "move_in_date": today(), "lease": "sliding_lease"})["id"]
        self.personal[1].add(self.Plx)
        self.deposit_paid(self.Plx)
        self.call("POST", "/v1/placements/%s/exit" % self.Plx, {
            "exit_date": today(), "exit_reason": "hospitalisation", "inspection_matches": True,
            "exit_comment": "Hospitalisé en urgence au CHS, décompensation"})
        for side in (1, 2):
            self.Rv[side] = self.review(side, parts=True)
            self.I[side] = self.incident(side, token=self.tok[("landlord", side)])
            self.Ih[side] = self.incident(side, token=self.tok[("caregiver", side)], kind="hospitalisation")
            self.Ic[side] = self.incident(side, token=self.tok[("caregiver", side)], kind="prolonged_absence")
            self.Ap[side] = self.arrears_plan(side)
            note = self.call("POST", "/v1/people/%s/care-notes" % self.P[side],
                             {"body": "Entretien infirmier, traitement bien pris (%d)" % side},
                             token=self.tok[("caregiver", side)])
            self.CN[side] = note["id"]
            self.what[note["id"]] = "care note of side %d" % side
            self.personal[side].add(note["id"])
        # The open session: review and incident items (a hospitalisation among them), and an application.
        self.S_open = self.session()
        self.call("POST", "/v1/sessions/%s/agenda/build" % self.S_open)
        # Built for session_day() (reviews due by then), held today: a session opens on its date or later.
        self.call("PATCH", "/v1/sessions/%s" % self.S_open, {"session_date": today()},
                  headers={"If-Match": self.etag("/v1/sessions/%s" % self.S_open)})
        self.call("POST", "/v1/sessions/%s/open" % self.S_open)
        self.item(1)
        self.item(2)
        return self


# ---------------------------------------------------------------------------------------------------------------
# The requests: one builder per operation of the table


class Ctx:
    """One cell's request: ROLE's token (side 1 of commission A), SITUATION; W and SIDE name the object's world
    and side (a: A/1, b: A/2, c: B/1)."""

    def __init__(self, A, B, role, situation):
        self.A, self.B, self.role, self.situation = A, B, role, situation
        self.w = B if situation == "other" else A
        self.side = 2 if situation == "out" else 1

    @property
    def own_org(self):
        kind = {"caregiver": "team", "curator": "cur", "landlord": "ll"}.get(self.role, "team")
        return self.w.side_org(kind, self.side)


class Req:
    def __init__(self, path, body=None, headers=None, etag_of=None, raw_body=None):
        self.path, self.body, self.headers, self.etag_of = path, body, dict(headers or {}), etag_of
        self.raw_body = raw_body  # a body that is not JSON (a CSV file)
        self.path_world_b = False  # the object is commission B's: its coordinator reads the ETag


BUILDERS = {}


def op(method, path):
    def deco(fn):
        BUILDERS[(method, path)] = fn
        return fn
    return deco


def plain(method, path, query=""):
    BUILDERS[(method, path)] = lambda x: Req(path + query)


for _m, _p, _q in (("GET", "/healthz", ""), ("GET", "/readyz", ""), ("GET", "/metrics", ""), ("GET", "/v1/me", ""),
                   ("GET", "/", ""), ("GET", "/v1/web/session", ""), ("DELETE", "/v1/web/session", ""),
                   ("GET", "/v1/organisations", "?limit=200"), ("GET", "/v1/tokens", "?limit=200"),
                   ("GET", "/v1/webhooks", "?limit=200"),
                   ("GET", "/v1/applications", "?limit=200"), ("GET", "/v1/people", "?limit=200"),
                   ("GET", "/v1/people/duplicates", "?limit=200"), ("GET", "/v1/units/free-places", ""),
                   ("GET", "/v1/units", "?limit=200"), ("GET", "/v1/agreements", "?limit=200"),
                   ("GET", "/v1/sessions", "?limit=200"),
                   ("GET", "/v1/reports/activity", "?from=%s-01-01&to=%s" % (today()[:4], today())),
                   ("GET", "/v1/reports/occupancy", ""), ("GET", "/v1/reports/assembly", "?year=%s" % today()[:4]),
                   ("GET", "/v1/reviews", "?limit=200"),
                   ("GET", "/v1/incidents", "?limit=200"), ("GET", "/v1/placements", "?limit=200"),
                   ("GET", "/v1/deposits", "?limit=200"), ("GET", "/v1/reports/deposits", ""),
                   ("GET", "/v1/audit", "?limit=200"), ("GET", "/v1/shares", "?limit=200"),
                   ("GET", "/v1/exports", "?kind=people")):
    plain(_m, _p, _q)

# What a list must hold for a role that may read it: side 1's object of commission A.
MUST_LIST = {
    ("GET", "/v1/organisations"): lambda A, role: A.side_org({"curator": "cur", "landlord": "ll"}.get(role, "team"), 1),
    ("GET", "/v1/tokens"): lambda A, role: A.tok_id[("caregiver", 1)],
    ("GET", "/v1/applications"): lambda A, role: A.App[1],
    ("GET", "/v1/people"): lambda A, role: A.P[1],
    ("GET", "/v1/units"): lambda A, role: A.U[1],
    ("GET", "/v1/agreements"): lambda A, role: A.Ag[1],
    ("GET", "/v1/sessions"): lambda A, role: A.S,
    ("GET", "/v1/reviews"): lambda A, role: A.Pl[1],
    ("GET", "/v1/incidents"): lambda A, role: A.I[1],
    ("GET", "/v1/placements"): lambda A, role: A.Pl[1],
    ("GET", "/v1/deposits"): lambda A, role: A.Pl[1],
    ("GET", "/v1/sliding-leases"): lambda A, role: A.Pl[1],
    ("GET", "/v1/arrears-plans"): lambda A, role: A.Ap[1],
}


def org_body(x):
    return {"kind": "partner", "name": rnd("Partenaire")}


op("POST", "/v1/organisations")(lambda x: Req("/v1/organisations", org_body(x)))
op("GET", "/assets/{file}")(lambda x: Req("/assets/app.js"))
op("POST", "/v1/web/session")(
    lambda x: Req("/v1/web/session", {"token": x.A.coord if x.role == "coordinator" else x.A.tok[(x.role, 1)]}))
op("GET", "/v1/organisations/{id}")(lambda x: Req("/v1/organisations/%s" % x.own_org))
op("PATCH", "/v1/organisations/{id}")(
    lambda x: Req("/v1/organisations/%s" % x.own_org, {"phone": "+33 3 20 00 00 0%d" % x.side}, etag_of=True))


@op("POST", "/v1/tokens")
def _(x):
    return Req("/v1/tokens", {"role": "caregiver", "scope_org_id": x.w.side_org("team", x.side), "label": rnd("t")})


def token_of(x):
    role = x.role if x.role in SCOPED else "caregiver"
    return x.w.tok_id[(role, x.side)]


op("GET", "/v1/tokens/{id}")(lambda x: Req("/v1/tokens/%s" % token_of(x)))
op("POST", "/v1/webhooks")(lambda x: Req("/v1/webhooks", {"url": "https://hooks.example.org/m", "org_id":
                                                         x.w.side_org("ll", x.side), "event_types": ["session.planned"]}))
op("GET", "/v1/webhooks/{id}")(lambda x: Req("/v1/webhooks/%s" % x.w.webhook(x.side)))
op("PATCH", "/v1/webhooks/{id}")(
    lambda x: Req("/v1/webhooks/%s" % x.w.webhook(x.side), {"description": "Bailleur"}, etag_of=True))
op("DELETE", "/v1/webhooks/{id}")(lambda x: Req("/v1/webhooks/%s" % x.w.webhook(x.side)))
op("POST", "/v1/webhooks/{id}/rotate-secret")(
    lambda x: Req("/v1/webhooks/%s/rotate-secret" % x.w.webhook(x.side), {"overlap_seconds": 60}))
op("GET", "/v1/webhooks/{id}/deliveries")(lambda x: Req("/v1/webhooks/%s/deliveries" % x.w.webhook(x.side)))
op("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry")(
    lambda x: Req("/v1/webhooks/%s/deliveries/%s/retry" % x.w.webhook_delivery(x.side)))
op("POST", "/v1/tokens/{id}/revoke")(lambda x: Req("/v1/tokens/%s/revoke" % x.w.token("observer")[1]))
op("POST", "/v1/tokens/{id}/sign-in-links")(lambda x: Req("/v1/tokens/%s/sign-in-links" % x.w.token("observer")[1]))


@op("POST", "/v1/applications")
def _(x):
    return Req("/v1/applications", {"person_id": x.w.P[x.side], "situation": "Demande de logement (matrice)"})


op("GET", "/v1/applications/{id}")(lambda x: Req("/v1/applications/%s" % x.w.App[x.side]))
op("GET", "/v1/applications/{id}/history")(lambda x: Req("/v1/applications/%s/history" % x.w.App[x.side]))
# The applications the first session decided (a draft has no letter: 409).
op("GET", "/v1/applications/{id}/decision-letter")(
    lambda x: Req("/v1/applications/%s/decision-letter" % x.w.Decided[x.side], headers={"Accept": "text/html"}))
op("PATCH", "/v1/applications/{id}")(
    lambda x: Req("/v1/applications/%s" % x.w.application(x.side), {"urgency": "high"}, etag_of=True))
op("POST", "/v1/applications/{id}/transitions")(
    lambda x: Req("/v1/applications/%s/transitions" % x.w.application(x.side),
                  {"to": "withdrawn", "reason": "A trouvé un logement"}))


@op("POST", "/v1/people")
def _(x):
    body = {"family_name": rnd("Nouveau"), "given_names": "Jeanne", "birth_date": "1980-02-02",
            "care_team_id": x.w.side_org("team", x.side)}
    if x.role == "curator":
        body.update({"protection": "curatelle_simple", "curator_org_id": x.w.side_org("cur", x.side)})
    return Req("/v1/people", body)


op("GET", "/v1/people/{id}")(lambda x: Req("/v1/people/%s" % x.w.P[x.side]))
op("PATCH", "/v1/people/{id}")(
    lambda x: Req("/v1/people/%s" % x.w.person(x.side), {"phone": "+33 6 00 00 00 01"}, etag_of=True))
op("GET", "/v1/people/{id}/care-notes")(lambda x: Req("/v1/people/%s/care-notes" % x.w.P[x.side]))
op("POST", "/v1/people/{id}/care-notes")(
    lambda x: Req("/v1/people/%s/care-notes" % x.w.P[x.side], {"body": "Visite à domicile (matrice)"}))
op("GET", "/v1/people/{id}/status")(lambda x: Req("/v1/people/%s/status" % x.w.P[x.side]))
op("GET", "/v1/people/{id}/export")(lambda x: Req("/v1/people/%s/export" % x.w.P[x.side]))
op("PUT", "/v1/people/{id}/information")(
    lambda x: Req("/v1/people/%s/information" % x.w.P[x.side],
                  {"informed_on": "2026-01-05", "informed_by": "Infirmière du CMP", "means": "oral"}))
# Two fresh files of the object's side (and world): linked, or marked distinct.
op("POST", "/v1/people/{id}/link")(
    lambda x: Req("/v1/people/%s/link" % x.w.person(x.side), {"other_person_id": x.w.person(x.side)}))
op("POST", "/v1/people/{id}/distinct")(
    lambda x: Req("/v1/people/%s/distinct" % x.w.person(x.side), {"other_person_id": x.w.person(x.side)}))


def import_file():
    return ("Nom;Type\r\n%s;Partenaire\r\n" % rnd("Partenaire")).encode("utf-8")


op("POST", "/v1/imports")(
    lambda x: Req("/v1/imports?kind=organisations", raw_body=import_file(), headers={"Content-Type": "text/csv"}))


@op("POST", "/v1/imports/{id}/commit")
def _(x):
    """A fresh dry run of the object's commission, made by its coordinator."""
    r = x.w.d.call("POST", "/v1/imports?kind=organisations", token=x.w.coord, raw_body=import_file(),
                   headers={"Content-Type": "text/csv"})
    if r.status != 201:
        raise FixtureFailed("fixture of %s: %s" % (x.w.name, describe(r)))
    return Req("/v1/imports/%s/commit" % r.body["id"])


@op("POST", "/v1/units")
def _(x):
    return Req("/v1/units", {"kind": "foyer_place", "label": rnd("Place"), "address": "2 rue", "town": "Roubaix",
                             "landlord_org_id": x.w.side_org("ll", x.side), "places": 2, "rent_cents": 30000,
                             "charges_cents": 2000, "deposit_cents": 30000})


op("GET", "/v1/units/{id}")(lambda x: Req("/v1/units/%s" % x.w.U[x.side]))
op("GET", "/v1/units/{id}/history")(lambda x: Req("/v1/units/%s/history" % x.w.U[x.side]))
op("PATCH", "/v1/units/{id}")(
    lambda x: Req("/v1/units/%s" % x.w.unit(x.side), {"label": rnd("T3")}, etag_of=True))


@op("POST", "/v1/agreements")
def _(x):
    return Req("/v1/agreements", {"org_id": x.w.side_org("ll", x.side), "reference": rnd("CONV"),
                                  "signatory": "M. Durand", "start_date": "2026-01-01", "end_date": "2029-06-30",
                                  "unit_ids": [x.w.U[x.side]]})


op("GET", "/v1/agreements/{id}")(lambda x: Req("/v1/agreements/%s" % x.w.Ag[x.side]))
op("PATCH", "/v1/agreements/{id}")(
    lambda x: Req("/v1/agreements/%s" % x.w.agreement(x.side), {"signatory": "Mme Leroy"}, etag_of=True))
op("POST", "/v1/agreements/{id}/renewals")(
    lambda x: Req("/v1/agreements/%s/renewals" % x.w.agreement(x.side),
                  {"new_end_date": "2030-12-31", "signatory": "M. Durand"}))

op("POST", "/v1/sessions")(
    lambda x: Req("/v1/sessions", {"session_date": session_day(), "town": "Roubaix", "chair_name": "Mme Dupont"}))
op("GET", "/v1/sessions/{id}")(lambda x: Req("/v1/sessions/%s" % x.w.S))
op("PATCH", "/v1/sessions/{id}")(
    lambda x: Req("/v1/sessions/%s" % x.w.session(), {"place": "Salle des fêtes"}, etag_of=True))
op("POST", "/v1/sessions/{id}/open")(lambda x: Req("/v1/sessions/%s/open" % x.w.session(day=today())))
op("POST", "/v1/sessions/{id}/cancel")(lambda x: Req("/v1/sessions/%s/cancel" % x.w.session()))
op("POST", "/v1/sessions/{id}/close")(lambda x: Req("/v1/sessions/%s/close" % x.w.session("open")))
op("PUT", "/v1/sessions/{id}/attendance")(
    lambda x: Req("/v1/sessions/%s/attendance" % x.w.session(),
                  {"attendees": [{"group": "elected_officials", "name": "Mme Dupont"}]}))
op("GET", "/v1/sessions/{id}/agenda")(lambda x: Req("/v1/sessions/%s/agenda" % x.w.S_open))
op("GET", "/v1/sessions/{id}/minutes")(lambda x: Req("/v1/sessions/%s/minutes" % x.w.S))
# The feed takes its token in the URL, and only a calendar token: each role's own token there is 403.
op("GET", "/v1/calendar.ics")(
    lambda x: Req("/v1/calendar.ics?token=%s" % (x.A.coord if x.role == "coordinator" else x.A.tok[(x.role, 1)])))
op("POST", "/v1/sessions/{id}/agenda/build")(lambda x: Req("/v1/sessions/%s/agenda/build" % x.w.session()))
op("POST", "/v1/sessions/{id}/agenda/items")(
    lambda x: Req("/v1/sessions/%s/agenda/items" % x.w.S_open,
                  {"application_id": x.w.application(x.side, submit=True)}))
op("PATCH", "/v1/sessions/{id}/agenda/items/{item_id}")(
    lambda x: Req("/v1/sessions/%s/agenda/items/%s" % (x.w.S_open, x.w.item(x.side)), {"note": "A voir"}))
op("DELETE", "/v1/sessions/{id}/agenda/items/{item_id}")(
    lambda x: Req("/v1/sessions/%s/agenda/items/%s" % (x.w.S_open, x.w.item(x.side))))
op("POST", "/v1/sessions/{id}/decisions")(
    lambda x: Req("/v1/sessions/%s/decisions" % x.w.S_open, {"agenda_item_id": x.w.item(x.side), "outcome": "defer"}))
op("POST", "/v1/sessions/{id}/decisions/{decision_id}/corrections")(
    lambda x: Req("/v1/sessions/%s/decisions/%s/corrections" % (x.w.S_open, x.w.decision(x.side)),
                  {"outcome": "refuse", "refusal_reason": "other", "comment": "Erreur de saisie"}))

# The parts of a review each role writes (the spec's table); the observer sends the curator's.
REVIEW_PARTS = {
    "coordinator": {"care_followup": "Suivi mensuel", "rent_status": "up_to_date", "housing": "Entretenu",
                    "autonomy": "Autonome", "outcome": "continue"},
    "caregiver": {"care_followup": "Suivi mensuel", "housing": "Entretenu", "autonomy": "Autonome",
                  "outcome": "continue"},
    "curator": {"rent_status": "up_to_date"},
    "landlord": {"rent_status": "up_to_date", "housing": "Entretenu"},
    "observer": {"rent_status": "up_to_date"},
}

op("GET", "/v1/placements/{id}/reviews")(lambda x: Req("/v1/placements/%s/reviews" % x.w.Pl[x.side]))
op("POST", "/v1/placements/{id}/reviews")(
    lambda x: Req("/v1/placements/%s/reviews" % x.w.Pl[x.side], dict(REVIEW_PARTS[x.role], review_date=today())))
op("GET", "/v1/reviews/{id}")(lambda x: Req("/v1/reviews/%s" % x.w.Rv[x.side]))
op("PATCH", "/v1/reviews/{id}")(
    lambda x: Req("/v1/reviews/%s" % x.w.review(x.side), dict(REVIEW_PARTS[x.role]), etag_of=True))
op("POST", "/v1/placements/{id}/incidents")(
    lambda x: Req("/v1/placements/%s/incidents" % x.w.Pl[x.side],
                  {"kind": "disturbance", "description": "Tapage nocturne (matrice)", "occurred_on": today()}))
op("GET", "/v1/incidents/{id}")(lambda x: Req("/v1/incidents/%s" % x.w.I[x.side]))
op("POST", "/v1/incidents/{id}/acknowledge")(
    lambda x: Req("/v1/incidents/%s/acknowledge" % x.w.incident(x.side)))
op("POST", "/v1/incidents/{id}/close")(
    lambda x: Req("/v1/incidents/%s/close" % x.w.incident(x.side), {"closing_note": "Rencontre avec le voisinage"}))
op("POST", "/v1/placements")(
    lambda x: Req("/v1/placements", {"application_id": x.w.approved_application(x.side), "unit_id": x.w.U[x.side],
                                     "move_in_date": today(), "lease": "direct_lease"}))
op("GET", "/v1/placements/{id}")(lambda x: Req("/v1/placements/%s" % x.w.Pl[x.side]))
op("POST", "/v1/placements/{id}/exit")(
    lambda x: Req("/v1/placements/%s/exit" % x.w.placement(x.side, paid=False),
                  {"exit_date": today(), "exit_reason": "other_housing", "inspection_matches": True}))
op("GET", "/v1/placements/{id}/deposit")(lambda x: Req("/v1/placements/%s/deposit" % x.w.Pl[x.side]))


@op("POST", "/v1/placements/{id}/deposit/entries")
def _(x):
    kind = "paid" if x.role == "coordinator" else "refunded"
    return Req("/v1/placements/%s/deposit/entries" % x.w.placement(x.side),
               {"kind": kind, "amount_cents": 1000, "entry_date": today()}, {"Idempotency-Key": rnd("entry")})


op("PATCH", "/v1/placements/{id}")(
    lambda x: Req("/v1/placements/%s" % x.w.placement(x.side, paid=False), {"refund_to_association": True},
                  etag_of=True))
op("POST", "/v1/placements/{id}/slide")(
    lambda x: Req("/v1/placements/%s/slide" % x.w.placement(x.side, paid=False), {"slid_on": today()}))
op("POST", "/v1/placements/{id}/prefect-notices")(
    lambda x: Req("/v1/placements/%s/prefect-notices" % x.w.placement(x.side, paid=False),
                  {"sent_on": today(), "proposes_lease": False}))
plain("GET", "/v1/sliding-leases", "?limit=200")
plain("GET", "/v1/arrears-plans", "?limit=200")
op("GET", "/v1/incidents/{id}/arrears-plan")(lambda x: Req("/v1/incidents/%s/arrears-plan" % x.w.Ap[x.side]))
op("POST", "/v1/incidents/{id}/arrears-plan")(
    lambda x: Req("/v1/incidents/%s/arrears-plan" % x.w.arrears_plan(x.side, plan=False),
                  {"total_cents": 30000, "instalments": [{"due_on": today(), "amount_cents": 30000}]}))
op("POST", "/v1/incidents/{id}/arrears-plan/payments")(
    lambda x: Req("/v1/incidents/%s/arrears-plan/payments" % x.w.arrears_plan(x.side),
                  {"paid_on": today(), "amount_cents": 1000}, {"Idempotency-Key": rnd("pay")}))
op("PUT", "/v1/placements/{id}/deposit/provision")(
    lambda x: Req("/v1/placements/%s/deposit/provision" % x.w.ended_in_co_owned(x.side),
                  {"amount_cents": 1000, "justification": "Charges de copropriété (matrice)"}))
# Each role shares a document it reads: the occupancy report (coordinator, observer), the minutes (the others).
op("POST", "/v1/shares")(lambda x: Req("/v1/shares", {"path": "/v1/reports/occupancy" if x.role in (
    "coordinator", "observer") else "/v1/sessions/%s/minutes" % x.A.S, "format": "json"}))


@op("DELETE", "/v1/shares/{id}")
def _(x):
    # a: the role's own share; b: the coordinator's share in the same commission; c: one of commission B.
    own = x.situation == "in" and x.role != "coordinator"
    owner = x.w.tok[(x.role, 1)] if own else x.w.coord
    path = ("/v1/reports/occupancy" if not own or x.role == "observer" else "/v1/sessions/%s/minutes" % x.w.S)
    return Req("/v1/shares/%s" % x.w.call("POST", "/v1/shares", {"path": path, "format": "json"}, token=owner)["id"])


# Opening a link takes no token (the role's is sent all the same): the coordinator's share of a report.
op("GET", "/s/{capability}")(
    lambda x: Req(x.A.call("POST", "/v1/shares", {"path": "/v1/reports/occupancy", "format": "json"})["url"]))


# ---------------------------------------------------------------------------------------------------------------
# Running the matrix


class Run:
    """The requests of the run made with A's role tokens, for the checks over every answer."""

    def __init__(self, A, B):
        self.A, self.B = A, B
        self.answers = []  # (role, label, Response)
        self.sent = set()  # every id A's tokens sent (path or body): the audit trail records them

    def token(self, role):
        return self.A.coord if role == "coordinator" else self.A.tok[(role, 1)]

    def send(self, role, method, req, label):
        headers = dict(req.headers)
        if req.etag_of:
            # The owning commission's coordinator reads the current ETag: a stale one would answer 412, whoever asks.
            w = self.B if req.path_world_b else self.A
            headers["If-Match"] = w.etag(req.path)
        uuids_in(req.body, self.sent)
        self.sent |= {m.lower() for m in re.findall(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", req.path)}
        r = self.A.d.call(method, req.path, token=self.token(role), body=req.body, headers=headers or None,
                          raw_body=req.raw_body)
        self.answers.append((role, label, r))
        if VERBOSE:
            detail = r.body.get("detail", "") if isinstance(r.body, dict) else ""
            print("     %-11s %s -> %d %s" % (role, label, r.status, detail[:100]))
        return r

    # -- what may never be seen
    def forbidden_ids(self, role, path):
        """The ids ROLE's token may never receive in an answer to PATH."""
        A, B = self.A, self.B
        ids = set(B.seen)
        if path == "/v1/audit":
            ids -= self.sent  # the trail records the ids a request named, whoever they belong to
        people2 = A.people & A.personal[2]
        # Incidents the incident routes never show: to a landlord, those no landlord reported (on its own units
        # too); to a curator, the hospitalisations.
        if role == "landlord":
            ids |= A.hidden_from_landlords
        if role == "curator":
            ids |= A.hospitalisations
        if path.startswith("/v1/sessions"):
            # The agenda and the minutes list every item of the session to every role of the commission (the
            # spec): application, placement and incident ids; but a person only to who may see them.
            if role in SCOPED:
                ids |= people2
            if role in ("landlord", "observer"):
                ids |= A.people
            return ids
        if role in SCOPED:
            ids |= A.personal[2]
        if role == "landlord":
            ids |= A.housing[2] | A.people
        if role == "observer":
            ids |= A.people | A.personal[1] | A.personal[2]
        return ids


def run_cell(run, row, role, situation):
    """Sends the request of one cell; returns None or a mismatch line."""
    expected = row.expected(role, situation)
    if expected == "-":
        return None
    x = Ctx(run.A, run.B, role, situation)
    req = BUILDERS[row.key](x)
    req.path_world_b = x.w is run.B
    label = "%s %s %s %s" % (row.method, row.path, role, SITUATION_NAME[situation])
    r = run.send(role, row.method, req, label)
    problems = []
    if str(r.status) != expected:
        detail = r.body.get("detail") if isinstance(r.body, dict) else r.text[:120]
        problems.append("%s: expected %s, got %d (%s)" % (label, expected, r.status, detail))
    elif r.status == 200 and row.key in MUST_LIST:
        want = MUST_LIST[row.key](run.A, role)
        if want not in uuids_in(r.body):
            problems.append("%s: 200 without the in-scope object %s" % (label, want))
    if expected == "404" and row.method == "GET" and situation in ("out", "other"):
        # The 404 must be the scope's, not a fixture's mistake: the object's own coordinator reads it.
        own = x.w.d.call("GET", req.path, token=x.w.coord)
        if own.status != 200:
            problems.append("%s: fixture: its own coordinator gets %d on %s" % (label, own.status, req.path))
    return problems


def check_views(answers, what):
    """Field-level views over every successful answer: the lines of what leaked (WHAT names the objects)."""
    out = []
    for role, label, r in answers:
        if not 200 <= r.status < 300 or not isinstance(r.body, (dict, list)):
            continue
        members = FORBIDDEN_MEMBERS.get(role, set())
        values = FORBIDDEN_VALUES.get(role, {})
        for path, name, value, holder in walk_members(r.body):
            of = what.get(str(holder.get("id", "")).lower())
            of = " (the %s)" % of if of else ""
            if name in members and value is not None:
                out.append("%s: %s holds %s = %s%s"
                           % (label, path, name, json.dumps(value, ensure_ascii=False)[:60], of))
            if name in values and isinstance(value, str) and value in values[name]:
                out.append("%s: %s.%s is %r%s" % (label, path, name, value, of))
    return out


def check_ids(run):
    out = []
    for role, label, r in run.answers:
        if not 200 <= r.status < 300 or not isinstance(r.body, (dict, list)):
            continue
        leaked = uuids_in(r.body) & run.forbidden_ids(role, r.path.split("?")[0])
        if leaked:
            names = sorted({run.A.what.get(i) or ("an object of commission B" if i in run.B.seen else i)
                            for i in leaked})
            out.append("%s: holds %d id(s) out of the token's reach: %s" % (label, len(leaked), "; ".join(names)))
    return out


def dedup(lines, limit=60):
    """Groups identical messages (same label and finding) and caps the count."""
    seen, out = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out[:limit] + (["... and %d more" % (len(out) - limit)] if len(out) > limit else [])


# ---------------------------------------------------------------------------------------------------------------
# Body ids: a path in scope with a body naming what is not (or a list filter naming what is not)

# (label, role, method, path(A, B), body(A, B) or None, expected status)
BODY_ID_CASES = [
    ("coordinator of A: a person's care team of B", "coordinator", "PATCH",
     lambda A, B: "/v1/people/%s" % A.person(1), lambda A, B: {"care_team_id": B.org["team1"]}, 422),
    ("coordinator of A: a person's curator service of B", "coordinator", "PATCH",
     lambda A, B: "/v1/people/%s" % A.person(1), lambda A, B: {"curator_org_id": B.org["cur1"]}, 422),
    ("coordinator of A: an agreement of A's landlord with B's unit", "coordinator", "POST",
     lambda A, B: "/v1/agreements",
     lambda A, B: {"org_id": A.org["ll1"], "reference": rnd("CONV"), "signatory": "x", "start_date": "2026-01-01",
                   "end_date": "2028-01-01", "unit_ids": [B.U[1]]}, 422),
    ("coordinator of A: B's unit into an agreement of A", "coordinator", "PATCH",
     lambda A, B: "/v1/agreements/%s" % A.agreement(1), lambda A, B: {"unit_ids": [B.U[1]]}, 422),
    ("coordinator of A: a placement of A's application in B's unit", "coordinator", "POST",
     lambda A, B: "/v1/placements",
     lambda A, B: {"application_id": A.approved_application(1), "unit_id": B.U[1], "move_in_date": today(),
                   "lease": "sliding_lease"}, 422),
    ("coordinator of A: B's application on A's agenda", "coordinator", "POST",
     lambda A, B: "/v1/sessions/%s/agenda/items" % A.S_open,
     lambda A, B: {"application_id": B.application(1, submit=True)}, 422),
    ("coordinator of A: an approval in A's session naming B's unit", "coordinator", "POST",
     lambda A, B: "/v1/sessions/%s/decisions" % A.S_open,
     lambda A, B: {"agenda_item_id": A.item(1), "outcome": "approve", "unit_id": B.U[1]}, 422),
    ("coordinator of A: a decision in A's session on B's agenda item", "coordinator", "POST",
     lambda A, B: "/v1/sessions/%s/decisions" % A.S_open,
     lambda A, B: {"agenda_item_id": B.item(1), "outcome": "defer"}, 404),
    ("coordinator of A: A's session, B's agenda item", "coordinator", "PATCH",
     lambda A, B: "/v1/sessions/%s/agenda/items/%s" % (A.S_open, B.item(1)), lambda A, B: {"note": "x"}, 404),
    ("coordinator of A: A's session, B's decision corrected", "coordinator", "POST",
     lambda A, B: "/v1/sessions/%s/decisions/%s/corrections" % (A.S_open, B.decision(1)),
     lambda A, B: {"outcome": "refuse", "refusal_reason": "other", "comment": "x"}, 404),
    ("coordinator of A: a landlord token scoped to B's landlord", "coordinator", "POST",
     lambda A, B: "/v1/tokens", lambda A, B: {"role": "landlord", "scope_org_id": B.org["ll1"], "label": "x"}, 422),
    ("caregiver: a person protected by B's curator service", "caregiver", "POST",
     lambda A, B: "/v1/people",
     lambda A, B: {"family_name": rnd("N"), "given_names": "P", "birth_date": "1970-01-01",
                   "protection": "tutelle", "curator_org_id": B.org["cur1"]}, 422),
    ("curator: a person of its service followed by B's care team", "curator", "POST",
     lambda A, B: "/v1/people",
     lambda A, B: {"family_name": rnd("N"), "given_names": "P", "birth_date": "1970-01-01",
                   "care_team_id": B.org["team1"], "protection": "tutelle", "curator_org_id": A.org["cur1"]}, 422),
    ("caregiver: applications filtered on a person of team 2", "caregiver", "GET",
     lambda A, B: "/v1/applications?person_id=%s" % A.P[2], None, 200),
    ("caregiver: people filtered on team 2", "caregiver", "GET",
     lambda A, B: "/v1/people?care_team_id=%s" % A.org["team2"], None, 200),
    ("curator: placements filtered on a person of curator 2", "curator", "GET",
     lambda A, B: "/v1/placements?person_id=%s" % A.P[2], None, 200),
    ("landlord: placements filtered on landlord 2's unit", "landlord", "GET",
     lambda A, B: "/v1/placements?unit_id=%s" % A.U[2], None, 200),
    ("landlord: incidents filtered on landlord 2's placement", "landlord", "GET",
     lambda A, B: "/v1/incidents?placement_id=%s" % A.Pl[2], None, 200),
    ("landlord: deposits filtered on landlord 2", "landlord", "GET",
     lambda A, B: "/v1/deposits?landlord_org_id=%s" % A.org["ll2"], None, 200),
    ("landlord: units filtered on landlord 2", "landlord", "GET",
     lambda A, B: "/v1/units?landlord_org_id=%s" % A.org["ll2"], None, 200),
    ("landlord: agreements filtered on landlord 2", "landlord", "GET",
     lambda A, B: "/v1/agreements?org_id=%s" % A.org["ll2"], None, 200),
    ("coordinator of A: audit trail filtered on B's person", "coordinator", "GET",
     lambda A, B: "/v1/audit?object=%s" % B.P[1], None, 200),
    # Incidents on a placement in scope that the role still may not read (the spec: a landlord reads what
    # landlords reported, a curator never a hospitalisation).
    ("landlord: a caregiver's report on its own unit's placement", "landlord", "GET",
     lambda A, B: "/v1/incidents/%s" % A.Ic[1], None, 404),
    ("landlord: a hospitalisation on its own unit's placement", "landlord", "GET",
     lambda A, B: "/v1/incidents/%s" % A.Ih[1], None, 404),
    ("curator: a hospitalisation of its protected person", "curator", "GET",
     lambda A, B: "/v1/incidents/%s" % A.Ih[1], None, 404),
    ("caregiver: its own report on its person's placement", "caregiver", "GET",
     lambda A, B: "/v1/incidents/%s" % A.Ic[1], None, 200),
]


# ---------------------------------------------------------------------------------------------------------------
# Members a role may not set: refused (4xx), and nothing changed


def snapshot(w, path):
    r = w.d.call("GET", path, token=w.coord)
    if r.status != 200:
        raise FixtureFailed("snapshot %s: %s" % (path, describe(r)))
    return r.body


def member_cases(A, B):
    """(label, role, method, path, body, the path whose answer to A's coordinator must not change)"""
    p1 = A.person(1)
    pl = A.Pl[1]
    cases = [
        ("caregiver moves its person to team 2", "caregiver", "PATCH", "/v1/people/%s" % p1,
         {"care_team_id": A.org["team2"]}, "/v1/people/%s" % p1),
        ("curator moves its person to curator service 2", "curator", "PATCH", "/v1/people/%s" % p1,
         {"curator_org_id": A.org["cur2"]}, "/v1/people/%s" % p1),
        ("curator moves its person to team 2", "curator", "PATCH", "/v1/people/%s" % p1,
         {"care_team_id": A.org["team2"]}, "/v1/people/%s" % p1),
        ("caregiver sends commission_id on a person", "caregiver", "PATCH", "/v1/people/%s" % p1,
         {"phone": "0600000009", "commission_id": B.cid}, "/v1/people/%s" % p1),
        ("curator sends role on a person", "curator", "PATCH", "/v1/people/%s" % p1,
         {"phone": "0600000008", "role": "coordinator"}, "/v1/people/%s" % p1),
        ("caregiver sends scope_org_id on a person", "caregiver", "PATCH", "/v1/people/%s" % p1,
         {"phone": "0600000007", "scope_org_id": A.org["team2"]}, "/v1/people/%s" % p1),
        ("coordinator sends commission_id on a person", "coordinator", "PATCH", "/v1/people/%s" % p1,
         {"commission_id": B.cid}, "/v1/people/%s" % p1),
        ("caregiver creates a person with commission_id", "caregiver", "POST", "/v1/people",
         {"family_name": "Fantome", "given_names": "A", "birth_date": "1970-01-01", "commission_id": B.cid},
         "/v1/people?q=Fantome"),
        ("caregiver creates an application with role", "caregiver", "POST", "/v1/applications",
         {"person_id": A.P[1], "situation": "x", "role": "coordinator"}, "/v1/applications?person_id=%s" % A.P[1]),
        ("curator creates an application with scope", "curator", "POST", "/v1/applications",
         {"person_id": A.P[1], "situation": "x", "scope": "all"}, "/v1/applications?person_id=%s" % A.P[1]),
        ("curator writes an application's situation", "curator", "PATCH", "/v1/applications/%s" % A.App[1],
         {"situation": "Réécrite par le curateur"}, "/v1/applications/%s" % A.App[1]),
        ("caregiver forces a transition", "caregiver", "POST", "/v1/applications/%s/transitions" % A.App[1],
         {"to": "approved", "force": True, "reason": "x"}, "/v1/applications/%s" % A.App[1]),
        ("landlord posts a deposit payment", "landlord", "POST", "/v1/placements/%s/deposit/entries" % pl,
         {"kind": "paid", "amount_cents": 1000, "entry_date": today()}, "/v1/placements/%s/deposit" % pl),
        ("landlord writes off a deposit", "landlord", "POST", "/v1/placements/%s/deposit/entries" % pl,
         {"kind": "written_off", "amount_cents": 1000, "entry_date": today()}, "/v1/placements/%s/deposit" % pl),
        ("landlord sends commission_id on a deposit entry", "landlord", "POST",
         "/v1/placements/%s/deposit/entries" % pl,
         {"kind": "refunded", "amount_cents": 1000, "entry_date": today(), "commission_id": B.cid},
         "/v1/placements/%s/deposit" % pl),
        ("curator writes a review's care follow-up", "curator", "POST", "/v1/placements/%s/reviews" % pl,
         {"review_date": today(), "care_followup": "x"}, "/v1/placements/%s/reviews" % pl),
        ("landlord writes a review's autonomy", "landlord", "POST", "/v1/placements/%s/reviews" % pl,
         {"review_date": today(), "autonomy": "x"}, "/v1/placements/%s/reviews" % pl),
        ("landlord sends scope on a review", "landlord", "POST", "/v1/placements/%s/reviews" % pl,
         {"review_date": today(), "housing": "x", "scope": "all"}, "/v1/placements/%s/reviews" % pl),
        ("landlord rewrites a review's care follow-up", "landlord", "PATCH", "/v1/reviews/%s" % A.Rv[1],
         {"care_followup": "x"}, "/v1/reviews/%s" % A.Rv[1]),
        ("curator rewrites a review's outcome", "curator", "PATCH", "/v1/reviews/%s" % A.Rv[1],
         {"outcome": "prepare_exit"}, "/v1/reviews/%s" % A.Rv[1]),
        ("curator reports a hospitalisation", "curator", "POST", "/v1/placements/%s/incidents" % pl,
         {"kind": "hospitalisation", "description": "x", "occurred_on": today()},
         "/v1/incidents?placement_id=%s&limit=200" % pl),
        ("landlord reports a hospitalisation", "landlord", "POST", "/v1/placements/%s/incidents" % pl,
         {"kind": "hospitalisation", "description": "x", "occurred_on": today()},
         "/v1/incidents?placement_id=%s&limit=200" % pl),
        ("landlord sends role on an incident", "landlord", "POST", "/v1/placements/%s/incidents" % pl,
         {"kind": "damage", "description": "x", "occurred_on": today(), "role": "coordinator"},
         "/v1/incidents?placement_id=%s&limit=200" % pl),
        ("caregiver adds a care note with commission_id", "caregiver", "POST", "/v1/people/%s/care-notes" % A.P[1],
         {"body": "x", "commission_id": B.cid}, "/v1/people/%s/care-notes?limit=200" % A.P[1]),
        ("coordinator issues a token with commission_id of B", "coordinator", "POST", "/v1/tokens",
         {"role": "observer", "label": "x", "commission_id": B.cid}, "/v1/tokens?limit=200"),
        ("coordinator creates an organisation with commission_id of B", "coordinator", "POST", "/v1/organisations",
         {"kind": "partner", "name": "Fantome", "commission_id": B.cid}, "/v1/organisations?limit=200"),
        ("coordinator moves a unit to landlord 2", "coordinator", "PATCH", "/v1/units/%s" % A.U[1],
         {"landlord_org_id": A.org["ll2"]}, "/v1/units/%s" % A.U[1]),
        ("coordinator sends commission_id on a session", "coordinator", "POST", "/v1/sessions",
         {"session_date": session_day(), "town": "Lille", "chair_name": "x", "commission_id": B.cid},
         "/v1/sessions?limit=200"),
    ]
    return cases


VOLATILE = {"last_used_at", "waiting_days", "updated_at"}


def stable(value):
    """VALUE without the members that move by themselves (a token's last use, waiting days)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------


def main(suite):
    ops = spec_operations()
    rows, form = read_table()
    by_key = {r.key: r for r in rows}

    with suite.case("the table is well formed"):
        if form:
            raise Mismatch("\n".join(form))

    with suite.case("every operation of the spec has a line in the table, and every line an operation"):
        spec_keys = set(ops)
        missing = [k for k in ops if k not in by_key]
        extra = [r.key for r in rows if r.key not in spec_keys]
        msg = ["spec operation without a line in tests/http/access_matrix.tsv: %s %s" % k for k in missing]
        msg += ["line of tests/http/access_matrix.tsv that the spec lacks: %s %s" % k for k in extra]
        if msg:
            raise Mismatch("\n".join(msg))

    with suite.case("every line of the table has a request builder in this test"):
        missing = [r.key for r in rows if r.key not in BUILDERS]
        stale = [k for k in BUILDERS if k not in by_key]
        msg = ["no request builder for %s %s" % k for k in missing]
        msg += ["a request builder for %s %s, which the table lacks" % k for k in stale]
        if msg:
            raise Mismatch("\n".join(msg))

    runnable = [r for r in rows if r.key in BUILDERS]
    with Database(prefix="cd_matrix") as db, tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "webhook.key")
        with open(key, "w") as f:
            f.write(secrets.token_hex(32))
        os.chmod(key, 0o600)
        # Webhooks are subscribed (a key) but never sent (no worker): the endpoints are fictitious.
        with Daemon(db, threads=4, webhook_key_file=key, webhook_workers=0) as d:
            t0 = time.monotonic()
            A = World(db, d, "A").build()
            B = World(db, d, "B").build()
            print("     (fixtures: %.1f s)" % (time.monotonic() - t0))
            run = Run(A, B)
            # Reads first, on the fixtures as built; then the writes, each on fresh objects.
            ordered = [r for r in runnable if r.method == "GET"] + [r for r in runnable if r.method != "GET"]
            for row in ordered:
                with suite.case("%s %s" % (row.method, row.path)):
                    problems = []
                    for role in ROLES:
                        for situation in row.situations():
                            problems += run_cell(run, row, role, situation) or []
                    if problems:
                        raise Mismatch("\n".join(problems))

            with suite.case("body ids, list filters and incidents out of scope (BODY_ID_CASES)"):
                problems = []
                for label, role, method, path_fn, body_fn, expected in BODY_ID_CASES:
                    req = Req(path_fn(A, B), body_fn(A, B) if body_fn else None)
                    if method == "PATCH" and not req.path.startswith("/v1/sessions"):
                        req.headers["If-Match"] = A.etag(req.path)
                    req.path_world_b = False
                    r = run.send(role, method, req, "%s (%s %s)" % (label, method, req.path))
                    if r.status != expected:
                        detail = r.body.get("detail") if isinstance(r.body, dict) else r.text[:120]
                        problems.append("%s: %s %s as %s: expected %d, got %d (%s)"
                                        % (label, method, req.path, role, expected, r.status, detail))
                if problems:
                    raise Mismatch("\n".join(problems))

            with suite.case("the printable minutes name only the people the reader may see"):
                problems = []
                names = {side: snapshot(A, "/v1/people/%s" % A.P[side])["family_name"] for side in (1, 2)}
                for role, visible in (("coordinator", {1, 2}), ("caregiver", {1}), ("curator", {1}),
                                      ("landlord", set()), ("observer", None)):
                    r = run.send(role, "GET", Req("/v1/sessions/%s/minutes" % A.S, headers={"Accept": "text/html"}),
                                 "GET /v1/sessions/{id}/minutes (HTML) %s" % role)
                    if visible is None:  # observers read aggregates only
                        if r.status != 403:
                            problems.append("HTML minutes as %s: %d, not 403" % (role, r.status))
                        continue
                    if r.status != 200 or "text/html" not in r.headers.get("content-type", ""):
                        problems.append("HTML minutes as %s: %d %s" % (role, r.status, r.headers.get("content-type")))
                        continue
                    for side in (1, 2):
                        if (names[side] in r.text) != (side in visible):
                            problems.append("HTML minutes as %s: the person of side %d is %s" % (
                                role, side, "named" if side not in visible else "not named"))
                if problems:
                    raise Mismatch("\n".join(problems))

            with suite.case("an Idempotency-Key replays only to the token that used it"):
                problems = []
                key = rnd("shared-key")
                for path, body, first, second, expected in (
                        ("/v1/applications", {"person_id": A.P[1], "situation": "Demande (clé partagée)"},
                         A.tok[("caregiver", 1)], A.tok[("caregiver", 2)], 422),
                        ("/v1/placements/%s/deposit/entries" % A.Pl[1],
                         {"kind": "refunded", "amount_cents": 100, "entry_date": today()},
                         A.tok[("landlord", 1)], A.tok[("landlord", 2)], 404)):
                    r1 = d.call("POST", path, token=first, body=body, headers={"Idempotency-Key": key})
                    r2 = d.call("POST", path, token=second, body=body, headers={"Idempotency-Key": key})
                    if r1.status != 201:
                        problems.append("fixture: POST %s as side 1 answered %d" % (path, r1.status))
                    if r2.status != expected or "idempotent-replayed" in r2.headers:
                        problems.append("POST %s with side 1's key, as side 2: expected %d, got %d%s"
                                        % (path, expected, r2.status,
                                           " (a replay)" if "idempotent-replayed" in r2.headers else ""))
                if problems:
                    raise Mismatch("\n".join(problems))

            with suite.case("members a role may not set are refused, and nothing changes"):
                problems = []
                for label, role, method, path, body, watch in member_cases(A, B):
                    before = stable(snapshot(A, watch))
                    req = Req(path, body, {"Idempotency-Key": rnd("k")} if "deposit" in path else None)
                    if method == "PATCH":
                        req.headers["If-Match"] = A.etag(path)
                    req.path_world_b = False
                    r = run.send(role, method, req, "%s (%s %s)" % (label, method, path))
                    after = stable(snapshot(A, watch))
                    if not 400 <= r.status < 500:
                        problems.append("%s: %s %s as %s: expected a refusal (4xx), got %d"
                                        % (label, method, path, role, r.status))
                    if after != before:
                        problems.append("%s: %s %s as %s answered %d but changed %s"
                                        % (label, method, path, role, r.status, watch))
                if problems:
                    raise Mismatch("\n".join(problems))

            with suite.case("field-level views: no forbidden member in any successful answer"):
                leaks = check_views(run.answers, A.what)
                if leaks:
                    raise Mismatch("\n".join(dedup(leaks)))

            with suite.case("every exit_reason answered is a value of the spec's PlacementExitReason; the curator "
                            "reads the hospitalisation as 'confidential'"):
                allowed = set(load_spec()["components"]["schemas"]["PlacementExitReason"]["enum"])
                seen, problems = {}, []
                for role, label, r in run.answers:
                    if 200 <= r.status < 300 and isinstance(r.body, (dict, list)):
                        for path, name, value, _ in walk_members(r.body):
                            if name == "exit_reason" and value is not None:
                                seen.setdefault(role, set()).add(value)
                                if value not in allowed:
                                    problems.append("%s: %s is %r, not a PlacementExitReason %s"
                                                    % (label, path, value, sorted(allowed)))
                if "confidential" not in seen.get("curator", set()):
                    problems.append("the curator never read the hospitalised exit as 'confidential': %s"
                                    % sorted(seen.get("curator", set())))
                if "hospitalisation" not in seen.get("coordinator", set()):
                    problems.append("the coordinator never read the hospitalised exit")
                if problems:
                    raise Mismatch("\n".join(dedup(problems)))

            with suite.case("no successful answer holds an id out of the token's reach"):
                leaks = check_ids(run)
                if leaks:
                    raise Mismatch("\n".join(dedup(leaks)))
            with suite.case("no audit entry of one commission names another commission's person"):
                # Every request above has been answered; one more marked read, and once its entry is written every
                # earlier read's entry is too (the audit thread empties every worker's queue on each pass).
                marker = rnd("audit-marker")
                expect = d.call("GET", "/v1/people/%s" % A.P[1], token=A.coord, headers={"X-Request-Id": marker})
                if expect.status != 200:
                    raise Mismatch("marker read answered %d" % expect.status)
                written, _ = poll(lambda: db.sql("SELECT count(*) FROM audit_log WHERE request_id = '%s'"
                                                 % marker).strip() == "1", 30.0, 0.1)
                if not written:
                    raise Mismatch("the marker read's audit entry was not written within 30 s")
                # The matrix sent commission B's objects to commission A's tokens (situation c, answered 404):
                # those entries exist, and none may carry a person of B.
                foreign = db.sql(
                    "SELECT count(*) FROM audit_log e WHERE e.commission_id = '%s' AND e.status = 404 AND "
                    "e.object_type IN ('placements', 'applications', 'reviews', 'incidents', 'deposit_entries') "
                    "AND e.object_id IN (SELECT id FROM placements WHERE commission_id = '%s' UNION ALL "
                    "SELECT id FROM applications WHERE commission_id = '%s' UNION ALL "
                    "SELECT id FROM reviews WHERE commission_id = '%s' UNION ALL "
                    "SELECT id FROM incidents WHERE commission_id = '%s')"
                    % (A.cid, B.cid, B.cid, B.cid, B.cid)).strip()
                if int(foreign or 0) < 10:
                    raise Mismatch("expected the 404s on commission B's cases in A's trail, found %s" % foreign)
                crossed = db.sql(
                    "SELECT e.method || ' ' || e.route || ' ' || e.status FROM audit_log e "
                    "JOIN people p ON p.id = e.person_id WHERE p.commission_id <> e.commission_id "
                    "ORDER BY e.id LIMIT 20").strip()
                if crossed:
                    raise Mismatch("audit entries naming another commission's person:\n" + crossed)
            print("     (%d requests in the matrix run)" % len(run.answers))


if __name__ == "__main__":
    Suite("access-matrix").main(main)
