#!/usr/bin/env python3
"""High availability as README's Operations / High availability says, on loopback with deploy/ha-demo: a primary
(node a) and its streaming standby (node b, pg_basebackup -R); commissiond on the multi-host conninfo
`host=...,... target_session_attrs=read-write`. Its writes land on the primary. The primary stopped and the standby
promoted (deploy/ha-demo failover), the same daemon reconnects by itself and its writes succeed on the new primary,
with what was written before. The old primary restarted (deploy/ha-demo start-node) is fenced: it runs as a
standby of the new primary, refuses a write, follows the new primary's writes; a daemon started afterwards, with
the old primary still listed first, writes to the new one. The audit chain is whole after all that. Last, what
the fencing prevents: the old primary started on its own, without standby.signal, is a second primary, and a daemon
listing it first writes there, on a history the new primary never sees. Then, with synchronous replication (deploy/ha-demo start DIR sync): every
write answered 201 just before the primary crashes (stop -m immediate) is on the promoted standby.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (CommandFailed, Daemon, Suite, check, env, expect_status, pg_cluster_script, poll,  # noqa: E402
                     psql_path, run)

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))), "deploy",
                    "ha-demo")


class Pair:
    """The two nodes of a deploy/ha-demo in DIR."""

    def __init__(self, directory):
        self.dir = directory
        self.conninfo = None

    def demo(self, *args, timeout=120):
        return run([DEMO] + list(args[:1]) + [self.dir] + list(args[1:]), timeout=timeout)

    def start(self, *mode):
        self.conninfo = self.demo("start", *mode).stdout.strip().splitlines()[-1] + " dbname=commissiond"

    def prepare(self):
        """The database, migrated, a commission and its coordinator's token (returned)."""
        self.psql("a", "CREATE DATABASE commissiond", dbname="postgres")
        ctl(self, "migrate")
        commission = last_line(ctl(self, "commission", "create", "Commission appartement de Lille"))
        return last_line(ctl(self, "token", "create", "--commission", commission, "--role", "coordinator",
                             "--label", "ha"))

    def status(self):
        """{node: (port, role)} from `ha-demo status`."""
        out = {}
        for line in self.demo("status").stdout.splitlines():
            node, _, port, role = line.split()[:4]
            out[node] = (port, role)
        return out

    def psql(self, node, query, dbname="commissiond", check_rc=True):
        port = self.status()[node][0]
        return run([psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port,
                    "-U", env("PGUSER"), "-d", dbname, "-c", query], check=check_rc)

    def has_org(self, node, name):
        p = self.psql(node, "SELECT count(*) FROM organisations WHERE name = '%s'" % name, check_rc=False)
        return p.returncode == 0 and p.stdout.strip() == "1"


def ctl(pair, *args):
    return run([env("COMMISSIONCTL_BIN"), "--db", pair.conninfo] + list(args))


def last_line(p):
    return p.stdout.strip().splitlines()[-1]


def post_org(d, token, name):
    return d.call("POST", "/v1/organisations", token=token, body={"kind": "partner", "name": name})


def main(suite):
    for body in (cases, sync_cases):
        directory = tempfile.mkdtemp(prefix="cd-ha-", dir="/tmp")
        os.chmod(directory, 0o755)
        try:
            body(suite, Pair(directory))
        finally:
            run([DEMO, "destroy", directory], check=False, timeout=120)
            shutil.rmtree(directory, ignore_errors=True)


def cases(suite, pair):
    pair.start()
    check(pair.status() == {"a": (pair.status()["a"][0], "primary"), "b": (pair.status()["b"][0], "standby")},
          "a primary and a standby: %r" % pair.status())
    token = pair.prepare()

    with Daemon(pair.conninfo) as d:
        with suite.case("through the multi-host conninfo, writes land on the primary and reach the standby"):
            expect_status(post_org(d, token, "Avant bascule"), 201)
            check(pair.has_org("a", "Avant bascule"), "the write is on node a")
            seen, _ = poll(lambda: pair.has_org("b", "Avant bascule"), 10)
            check(seen, "the standby replays it within 10 s")

        with suite.case("failover: the same daemon reconnects by itself and writes on the promoted standby"):
            t0 = time.monotonic()
            pair.demo("failover")
            promoted = time.monotonic()
            r, _ = poll(lambda: post_org(d, token, "Après bascule").status == 201 or None, 30, interval=0.1)
            check(r, "no successful write within 30 s of the promotion")
            print("     failover (stop a, promote b) %.2f s; first write on b %.2f s after the promotion"
                  % (promoted - t0, time.monotonic() - promoted))
            check(pair.status()["b"][1] == "primary" and pair.status()["a"][1] == "stopped",
                  "b promoted, a stopped: %r" % pair.status())
            check(pair.has_org("b", "Après bascule"), "the write is on node b")
            r = expect_status(d.call("GET", "/v1/organisations?limit=200", token=token), 200)
            names = {o["name"] for o in r.body["items"]}
            check("Avant bascule" in names, "what was written before the failover is there: %r" % names)

        with suite.case("the old primary restarted is fenced: a standby that refuses writes and follows b"):
            pair.demo("start-node", "a")
            check(pair.status()["a"][1] == "standby", "a restarted as a standby: %r" % pair.status())
            p = pair.psql("a", "CREATE TABLE split_brain_probe (x int)", check_rc=False)
            check(p.returncode != 0 and "read-only transaction" in p.stderr, "a refuses a write: %r" % p.stderr)
            expect_status(post_org(d, token, "Après retour de a"), 201)
            check(pair.has_org("b", "Après retour de a"), "the daemon still writes on b")
            seen, _ = poll(lambda: pair.has_org("a", "Après retour de a"), 15)
            check(seen, "a replays b's writes within 15 s")

    with suite.case("a daemon started after the failover, old primary listed first, writes on the new primary"):
        with Daemon(pair.conninfo) as d:
            expect_status(post_org(d, token, "Nouveau démon"), 201)
        check(pair.has_org("b", "Nouveau démon"), "the write is on node b")

    with suite.case("the audit chain is whole after the failover"):
        ctl(pair, "audit", "chain")
        try:
            ctl(pair, "audit", "verify")
        except CommandFailed as e:
            raise AssertionError("audit verify after the failover: %s" % e) from None

    with suite.case("what the fencing prevents: the old primary started without it takes writes (split brain)"):
        node_a = os.path.join(pair.dir, "a")
        run([pg_cluster_script(), "stop-server", node_a])
        os.remove(os.path.join(node_a, "data", "standby.signal"))
        run([pg_cluster_script(), "start-server", node_a])
        check(pair.status()["a"][1] == "primary" and pair.status()["b"][1] == "primary", "two primaries: %r"
              % pair.status())
        with Daemon(pair.conninfo) as d:
            expect_status(post_org(d, token, "Cerveau divisé"), 201)
        check(pair.has_org("a", "Cerveau divisé") and not pair.has_org("b", "Cerveau divisé"),
              "the daemon wrote on the old primary, which b never sees")


def sync_cases(suite, pair):
    pair.start("sync")
    token = pair.prepare()
    with suite.case("synchronous replication: every write answered 201 survives a crash of the primary"):
        names = ["Synchrone %d" % i for i in range(20)]
        with Daemon(pair.conninfo) as d:
            for name in names:
                expect_status(post_org(d, token, name), 201)
            pair.demo("failover", "immediate")
            ok, _ = poll(lambda: post_org(d, token, "Après le crash").status == 201 or None, 30, interval=0.1)
            check(ok, "no successful write on b within 30 s of the promotion")
        p = pair.psql("b", "SELECT count(*) FROM organisations WHERE name LIKE 'Synchrone %'")
        check(p.stdout.strip() == str(len(names)), "all %d writes answered 201 are on b: %s"
              % (len(names), p.stdout.strip()))


if __name__ == "__main__":
    Suite("test_ha").main(main)
