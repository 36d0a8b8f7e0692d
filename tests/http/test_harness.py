#!/usr/bin/env python3
"""Self-test of harness.Suite: a skip never hides a failure, and a file that runs no case fails.

Each case writes a small test file that uses Suite the way the http tests do, runs it with the environment
require_env() wants (stand-in binaries: no database is touched), and checks its exit status, the status meson
reads: 0 passed, 1 failed, 77 skipped. TAP output (meson protocol 'tap'); needs no database.
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))

# name, body of the test file's main(suite), the exit status it must have, a line its output must contain.
CASES = [
    ("every case passes: 0",
     "with suite.case('a'): pass\nwith suite.case('b'): pass", 0, "2 cases ok, 0 failed, 0 skipped"),
    ("a failure, then a skipped case: 1",
     "with suite.case('a'): assert False\nwith suite.case('b'): raise Skip('no tool')", 1, "FAIL a"),
    ("a skipped case, then a failure: 1",
     "with suite.case('a'): raise Skip('no tool')\nwith suite.case('b'): assert False", 1, "FAIL b"),
    ("a failure, then the rest of the file skipped: 1",
     "with suite.case('a'): assert False\nraise Skip('no tool')", 1, "SKIP the rest of selftest: no tool"),
    ("a skipped case does not stop the file: the next case runs",
     "with suite.case('a'): raise Skip('no tool')\nwith suite.case('b'): print('case b ran')", 77, "case b ran"),
    ("a passed case and a skipped one: 77",
     "with suite.case('a'): pass\nwith suite.case('b'): raise Skip('no tool')", 77, "1 cases ok, 0 failed, 1 skipped"),
    ("the file skipped before any case: 77",
     "raise Skip('no tool')", 77, "SKIP the rest of selftest: no tool"),
    ("a broken fixture: 1",
     "with suite.case('a'): pass\nraise RuntimeError('fixture broke')", 1, "FAIL fixture of selftest"),
    ("a file that runs no case: 1",
     "pass", 1, "FAIL selftest ran no case"),
]

CHILD = """import sys
sys.path.insert(0, %r)
from harness import Skip, Suite


def main(suite):
%s


Suite("selftest").main(main)
"""


def run_case(tmp, number, body, env):
    path = os.path.join(tmp, "case%d.py" % number)
    with open(path, "w", encoding="utf-8") as f:
        f.write(CHILD % (HERE, "\n".join("    " + line for line in body.splitlines())))
    p = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, p.stdout + p.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        # require_env() wants a PostgreSQL address, executables and psql: stand-ins, never run.
        stub = os.path.join(tmp, "stub")
        with open(stub, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(stub, 0o755)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(stub, os.path.join(bindir, "psql"))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGHOST": tmp, "PGUSER": "nobody",
               "COMMISSIOND_BIN": stub, "COMMISSIONCTL_BIN": stub, "COMMISSIOND_MIGRATIONS": tmp,
               "PG_BINDIR": bindir}
        print("1..%d" % len(CASES))
        failed = 0
        for number, (name, body, want, line) in enumerate(CASES, 1):
            rc, output = run_case(tmp, number, body, env)
            if rc == want and line in output:
                print("ok %d - %s" % (number, name))
            else:
                failed += 1
                print("not ok %d - %s (exit %d, wanted %d and a line with %r)" % (number, name, rc, want, line))
                print("\n".join("# " + text for text in output.splitlines()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
