#!/usr/bin/env python3
"""Self-test of count-results (tests/run's closing line): every meson result is counted where it belongs, and with
--ci a skip that is not declared expected counts as a failure. TAP output (meson protocol 'tap')."""

import json
import os
import subprocess
import sys
import tempfile

COUNT = os.path.join(os.path.dirname(os.path.realpath(__file__)), "count-results")


def record(name, result):
    return json.dumps({"name": "commissiond:unit / " + name, "result": result, "stdout": ""})


LOG = [record("a", "OK"), record("b", "EXPECTEDFAIL"), record("c", "FAIL"), record("d", "TIMEOUT"),
       record("e", "ERROR"), record("f", "UNEXPECTEDPASS"), record("g", "SKIP"), record("h", "SKIP"),
       "not json", json.dumps({"name": "no result"})]

# name, testlog lines (None: no file), arguments, expected stdout, a text stderr must contain ("" for none)
CASES = [
    ("each result counted once, in its place", LOG, [], "2 4 2", "commissiond:unit / g skipped"),
    ("--ci: an undeclared skip fails", LOG, ["--ci"], "2 6 0", "g skipped, and it is not an expected skip"),
    ("--ci: a declared skip stays a skip (short name)", LOG, ["--ci", "--expected-skip", "g"], "2 5 1",
     "h skipped, and it is not an expected skip"),
    ("--ci: a declared skip stays a skip (full name)", LOG,
     ["--ci", "--expected-skip", "commissiond:unit / g", "--expected-skip", "h"], "2 4 2", ""),
    ("a declaration without --ci changes nothing", LOG, ["--expected-skip", "g"], "2 4 2", ""),
    ("no testlog: nothing counted", None, ["--ci"], "0 0 0", ""),
]


def main():
    print("1..%d" % len(CASES))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for number, (name, lines, args, want, err) in enumerate(CASES, 1):
            path = os.path.join(tmp, "testlog%d.json" % number)
            if lines is not None:
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
            p = subprocess.run([sys.executable, COUNT, path] + args, capture_output=True, text=True, timeout=60)
            if p.returncode == 0 and p.stdout.strip() == want and err in p.stderr:
                print("ok %d - %s" % (number, name))
            else:
                failed += 1
                print("not ok %d - %s (exit %d, printed %r, wanted %r and %r on stderr)"
                      % (number, name, p.returncode, p.stdout.strip(), want, err))
                print("\n".join("# " + line for line in p.stderr.splitlines()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
