#!/usr/bin/env python3
"""deploy/commissiond.conf (the package's /etc/commissiond/commissiond.conf) documents every setting: each
environment variable that `commissiond --help` names ([COMMISSIOND_...]) has its commented line `#NAME=default`
there, and the file names no variable that neither commissiond nor commissionctl reads. Exit 0 or 1."""
import os
import re
import subprocess
import sys

CTL_ONLY = {"COMMISSIOND_MIGRATIONS"}  # read by commissionctl (migrate), documented in the same file


def main():
    daemon = os.environ["COMMISSIOND_BIN"]
    conf = os.path.join(os.environ["COMMISSIOND_SOURCE_ROOT"], "deploy", "commissiond.conf")
    help_text = subprocess.run([daemon, "--help"], capture_output=True, text=True, check=True).stdout
    daemon_vars = set(re.findall(r"\[(COMMISSIOND_[A-Z_]+)\]", help_text))
    with open(conf, encoding="utf-8") as f:
        conf_vars = set(re.findall(r"^#(COMMISSIOND_[A-Z_]+)=", f.read(), re.M))
    missing = sorted(daemon_vars - conf_vars)
    unknown = sorted(conf_vars - daemon_vars - CTL_ONLY)
    if not daemon_vars:
        print("FAIL: commissiond --help names no [COMMISSIOND_...] variable")
        return 1
    for name in missing:
        print("FAIL: %s (commissiond --help) has no commented line #%s=<default> in deploy/commissiond.conf"
              % (name, name))
    for name in unknown:
        print("FAIL: deploy/commissiond.conf sets %s, which neither commissiond nor commissionctl reads" % name)
    if missing or unknown:
        return 1
    print("ok: the %d variables of commissiond --help, and COMMISSIOND_MIGRATIONS, are in deploy/commissiond.conf"
          % len(daemon_vars))
    return 0


if __name__ == "__main__":
    sys.exit(main())
