#!/usr/bin/env python3
"""The audit chain's head anchored outside the database: commissionctl audit keygen | checkpoint | verify.

keygen writes a key file of mode 600 (never over an existing file) and prints its public key; checkpoint refuses a
key file others may read, and signs the chain's head (after chaining what is pending) to a file or stdout. verify
--checkpoint passes on an intact chain, also once it has grown; it refuses a checkpoint altered after signing, one
signed by another key than --public-key, and a file that is no checkpoint. The newest entries deleted behind the
trigger's back: verify alone still passes (what a checkpoint is for), verify --checkpoint exits 1 naming the
deleted entries; the chain then grown again past the checkpoint's position with other entries: exit 1 naming the
checkpoint's entry.

Exit 0: all passed; 1: a failure; 77: skipped.
"""
import os
import re
import shutil
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from harness import Daemon, Database, Suite, check, expect_status  # noqa: E402

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def write_entries(db, token, n):
    """N audited writes (organisations created through the API), then every pending entry chained."""
    with Daemon(db) as d:
        for i in range(n):
            expect_status(d.call("POST", "/v1/organisations", token=str(token),
                                 body={"kind": "partner", "name": "Partenaire %d" % i}), 201)
    db.ctl("audit", "chain")


def fields(path):
    """The lines of a checkpoint file as {name: value}."""
    with open(path, encoding="utf-8") as f:
        return dict(line.split(" ", 1) for line in f.read().splitlines()[1:])


def head(db):
    return int(db.sql("SELECT coalesce(max(chain_pos), 0) FROM audit_log"))


def delete_newest(db, n):
    """Deletes the N newest chained entries behind the append-only trigger's back, as an intruder would."""
    db.sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; "
           "DELETE FROM audit_log WHERE chain_pos > (SELECT max(chain_pos) - %d FROM audit_log); "
           "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;" % n)


def main(suite):
    tmp = tempfile.mkdtemp(prefix="cd-checkpoint-")
    try:
        with Database() as db:
            cases(suite, db, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cases(suite, db, tmp):
    commission = db.commission_create("Commission Ancrage")
    coord = db.token_create(commission, "coordinator", label="coordination")
    key, pub = os.path.join(tmp, "checkpoint.key"), None
    s = {}

    with suite.case("keygen: a key file of mode 600 and its public key, never over an existing file"):
        p = db.ctl("audit", "keygen", "--key", key)
        pub = Database.last_line(p)
        check(HEX64.match(pub), "the public key is printed last: %r" % p.stdout)
        check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "mode %o" % stat.S_IMODE(os.stat(key).st_mode))
        with open(key, encoding="utf-8") as f:
            before = f.read()
        check(pub in before and len([ln for ln in before.splitlines() if HEX64.match(ln)]) == 1,
              "the file names its public key and holds one seed")
        p = db.ctl("audit", "keygen", "--key", key, check=False)
        check(p.returncode == 1 and "never overwritten" in p.stderr, "second keygen: %d %r" % (p.returncode, p.stderr))
        with open(key, encoding="utf-8") as f:
            check(f.read() == before, "the key is unchanged")
        s["pub"] = pub

    with suite.case("checkpoint refuses a key file others may read, and a file that is no key"):
        loose = os.path.join(tmp, "loose.key")
        shutil.copy(key, loose)
        os.chmod(loose, 0o644)
        p = db.ctl("audit", "checkpoint", "--key", loose, check=False)
        check(p.returncode == 1 and "chmod 600" in p.stderr, "mode 644: %d %r" % (p.returncode, p.stderr))
        junk = os.path.join(tmp, "junk.key")
        with open(junk, "w", encoding="utf-8") as f:
            f.write("not a key\n")
        os.chmod(junk, 0o600)
        p = db.ctl("audit", "checkpoint", "--key", junk, check=False)
        check(p.returncode == 1 and "not a key" in p.stderr, "junk: %d %r" % (p.returncode, p.stderr))

    with suite.case("an intact chain passes its checkpoint, by key or key file, and still does once it has grown"):
        write_entries(db, coord, 6)
        n = head(db)
        check(n >= 6, "entries were chained: %d" % n)
        cp1 = s["cp1"] = os.path.join(tmp, "cp1")
        p = db.ctl("audit", "checkpoint", "--key", key, "--out", cp1)
        check(("entry %d " % n) in p.stdout, "checkpoint names the head: %r" % p.stdout)
        f = fields(cp1)
        check(f["position"] == str(n) and HEX64.match(f["hash"]) and f["key"] == s["pub"], "fields %r" % f)
        check(f["hash"] == db.sql("SELECT encode(hash, 'hex') FROM audit_log WHERE chain_pos = %d" % n),
              "the hash is the head's")
        p = db.ctl("audit", "verify", "--checkpoint", cp1, "--public-key", s["pub"])
        check("intact" in p.stdout and ("entry %d of the checkpoint" % n) in p.stdout, "verify: %r" % p.stdout)
        pub_file = os.path.join(tmp, "checkpoint.pub")
        with open(pub_file, "w", encoding="utf-8") as fp:
            fp.write("# the audit checkpoints' public key\n%s\n" % s["pub"])
        db.ctl("audit", "verify", "--checkpoint", cp1, "--public-key", pub_file)
        write_entries(db, coord, 3)
        check(head(db) > n, "the chain grew")
        db.ctl("audit", "verify", "--checkpoint", cp1, "--public-key", s["pub"])
        p = db.ctl("audit", "checkpoint", "--key", key)
        check(p.stdout.startswith("commissiond audit checkpoint 1\nposition %d\n" % head(db)),
              "without --out, the checkpoint on stdout: %r" % p.stdout)

    with suite.case("a checkpoint altered after signing, or signed by another key, fails its signature"):
        with open(s["cp1"], encoding="utf-8") as f:
            text = f.read()
        n = int(fields(s["cp1"])["position"])
        altered = os.path.join(tmp, "altered")
        with open(altered, "w", encoding="utf-8") as f:
            f.write(text.replace("position %d\n" % n, "position %d\n" % (n - 1)))
        for extra in (["--public-key", s["pub"]], []):
            p = db.ctl("audit", "verify", "--checkpoint", altered, *extra, check=False)
            check(p.returncode == 1 and "bad signature" in p.stdout and "altered or forged" in p.stdout,
                  "altered position %s: %d %r" % (extra, p.returncode, p.stdout))
        other_key = os.path.join(tmp, "other.key")
        db.ctl("audit", "keygen", "--key", other_key)
        forged = os.path.join(tmp, "forged")
        db.ctl("audit", "checkpoint", "--key", other_key, "--out", forged)
        p = db.ctl("audit", "verify", "--checkpoint", forged, "--public-key", s["pub"], check=False)
        check(p.returncode == 1 and "signed by another key" in p.stdout, "forged: %d %r" % (p.returncode, p.stdout))
        # Without a trusted key, a well-signed forgery is only as good as the key it names: verify says so.
        p = db.ctl("audit", "verify", "--checkpoint", forged, check=False)
        check(p.returncode == 0 and "--public-key" in p.stderr, "no trusted key: %d %r" % (p.returncode, p.stderr))
        p = db.ctl("audit", "verify", "--checkpoint", key, check=False)
        check(p.returncode == 1 and "not an audit checkpoint" in p.stdout, "a key file: %d %r" % (p.returncode,
                                                                                             p.stdout))
        p = db.ctl("audit", "verify", "--public-key", s["pub"], check=False)
        check(p.returncode == 2, "--public-key without --checkpoint is a usage error: %d" % p.returncode)

    with suite.case("the newest entries deleted: verify alone passes, verify --checkpoint exits 1 naming them"):
        cp2 = s["cp2"] = os.path.join(tmp, "cp2")
        db.ctl("audit", "checkpoint", "--key", key, "--out", cp2)
        n = int(fields(cp2)["position"])
        delete_newest(db, 3)
        check(head(db) == n - 3, "three entries deleted: head %d" % head(db))
        p = db.ctl("audit", "verify", check=False)
        check(p.returncode == 0, "without a checkpoint the truncated chain looks intact: %r" % p.stdout)
        p = db.ctl("audit", "verify", "--checkpoint", cp2, "--public-key", s["pub"], check=False)
        check(p.returncode == 1, "verify --checkpoint exit %d: %r %r" % (p.returncode, p.stdout, p.stderr))
        check(("BROKEN at entry %d" % (n - 2)) in p.stdout and ("entries %d to %d were deleted" % (n - 2, n))
              in p.stdout, "names the deleted entries: %r" % p.stdout)
        # An older checkpoint, still within what remains, passes.
        db.ctl("audit", "verify", "--checkpoint", s["cp1"], "--public-key", s["pub"])

    with suite.case("deleted, then the chain grown again past the checkpoint: exit 1 naming its entry"):
        n = int(fields(s["cp2"])["position"])
        write_entries(db, coord, 5)
        check(head(db) > n, "the chain reaches past the checkpoint again: %d" % head(db))
        p = db.ctl("audit", "verify", check=False)
        check(p.returncode == 0, "the chain itself is consistent: %r" % p.stdout)
        p = db.ctl("audit", "verify", "--checkpoint", s["cp2"], "--public-key", s["pub"], check=False)
        check(p.returncode == 1 and ("BROKEN at entry %d" % n) in p.stdout and "rewritten" in p.stdout,
              "names the checkpoint's entry: %d %r" % (p.returncode, p.stdout))


if __name__ == "__main__":
    Suite("test_checkpoint").main(main)
