#!/usr/bin/env python3
"""Through Debian's real PgBouncer (started by this test on loopback, config written here). In transaction (or
statement) pool mode commissiond cannot work (prepared statements, the row-level security setting and LISTEN are per
session): it refuses to start, saying so. In session mode it works: writes, reads under concurrency without a 500,
and a revocation reaching the running daemon.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import pwd
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import (Daemon, Database, LoopbackService, Suite, check, daemon_refuses, expect_problem,  # noqa: E402
                     expect_status, http_call, poll)

ORGS = "/v1/organisations"


class PgBouncer(LoopbackService):
    """PgBouncer on 127.0.0.1 in POOL_MODE, in front of the test cluster (PGHOST, PGPORT). PgBouncer refuses to
    run as root: as root it runs as the cluster's owner, postgres."""

    log_name = "pgbouncer.log"

    def __init__(self, pool_mode):
        super().__init__("pgbouncer", "pgbouncer")
        host, port = os.environ.get("PGHOST", "/var/run/postgresql"), os.environ.get("PGPORT", "5432")
        user = os.environ.get("PGUSER", "postgres")
        conf = """[databases]
* = host=%s port=%s user=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = %s
default_pool_size = 8
max_client_conn = 200
server_reset_query = DISCARD ALL
logfile = %s/pgbouncer.log
pidfile = %s/pgbouncer.pid
""" % (host, port, user, self.port, pool_mode, self.dir, self.dir)
        path = os.path.join(self.dir, "pgbouncer.ini")
        with open(path, "w") as f:
            f.write(conf)
        args = [self.binary, path]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for p in (self.dir, path):
                os.chown(p, owner.pw_uid, owner.pw_gid)
            args = ["runuser", "-u", "postgres", "--"] + args  # runuser passes SIGTERM on
        self.launch(args)

    def conninfo(self, db):
        return "host=127.0.0.1 port=%d dbname=%s" % (self.port, db.name)



def body(suite):
    with Database() as db:
        commission = db.commission_create("Commission derrière PgBouncer")
        coord = db.token_create(commission, "coordinator", label="coordination")

        for mode in ("transaction", "statement"):
            with suite.case("PgBouncer pool_mode=%s: commissiond refuses to start, saying why" % mode):
                with PgBouncer(mode) as bouncer:
                    rc, err = daemon_refuses(bouncer.conninfo(db))
                    check(rc == 1, "exit %r" % rc)
                    check("pool_mode=session" in err and "transaction" in err,
                          "the refusal does not say what to do: %r" % err)

        with PgBouncer("session") as bouncer, Daemon(bouncer.conninfo(db), threads=2) as d:
            with suite.case("PgBouncer pool_mode=session: concurrent writes and reads, no 500"):
                statuses = []
                lock = threading.Lock()

                def work(n):
                    for i in range(15):
                        r = http_call(d.port, "POST", ORGS, token=str(coord),
                                      body={"kind": "partner", "name": "Partenaire %d-%d" % (n, i)})
                        g = http_call(d.port, "GET", ORGS + "?limit=5", token=str(coord))
                        with lock:
                            statuses.extend([r.status, g.status])
                threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
                check(len(statuses) == 120 and set(statuses) <= {200, 201},
                      "statuses through PgBouncer: %r" % sorted(set(statuses)))
                check(db.sql("SELECT count(*) FROM organisations WHERE name LIKE 'Partenaire %'") == "60",
                      "not every write was kept")

            with suite.case("PgBouncer pool_mode=session: a revocation reaches the running daemon"):
                other = db.token_create(commission, "coordinator", label="à révoquer")
                expect_status(http_call(d.port, "GET", "/v1/me", token=str(other)), 200)  # now cached
                db.token_revoke(other.id)
                status, _ = poll(lambda: http_call(d.port, "GET", "/v1/me", token=str(other)).status == 401, 5)
                check(status, "a revoked token still served through PgBouncer after 5 s")
                expect_problem(http_call(d.port, "GET", "/v1/me", token=str(other)), 401, "unauthorized")


if __name__ == "__main__":
    Suite("http-pgbouncer").main(body)
