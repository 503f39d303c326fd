#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the qtest paths of BINARY that match PATTERN, each in a process
of its own (a failed assertion aborts the whole process, which would
hide the paths after it), and report them as one TAP stream.

    tap-qtest.py BINARY PATTERN

PATTERN is a Python regular expression searched for in each path that
`BINARY -l` lists.  QTEST_QEMU_BINARY must be set.  A path whose own
TAP says it was skipped is reported skipped, with its reason.
"""

import os
import re
import subprocess
import sys

TIMEOUT = 300


def main():
    binary, pattern = sys.argv[1], sys.argv[2]
    if not os.access(binary, os.X_OK):
        print("1..1")
        print(f"not ok 1 {os.path.basename(binary)} # not built: {binary}")
        return 1
    listing = subprocess.run([binary, "-l"], capture_output=True, text=True,
                             timeout=60).stdout
    paths = [p for p in listing.split() if p.startswith("/") and re.search(pattern, p)]
    print(f"1..{max(len(paths), 1)}", flush=True)
    if not paths:
        print(f"not ok 1 {os.path.basename(binary)}: no test path matches {pattern}")
        return 1
    failed = 0
    for n, path in enumerate(paths, 1):
        try:
            p = subprocess.run([binary, "--tap", "-p", path], capture_output=True,
                               text=True, timeout=TIMEOUT)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
                else (e.stdout or "")
            out += f"\ntimed out after {TIMEOUT} s"
            rc = -1
        lines = out.splitlines()
        skip = [re.sub(r"^ok .*# SKIP *", "", ln) for ln in lines
                if re.match(r"^ok .*# SKIP", ln)]
        if any(ln.startswith("not ok") for ln in lines) or \
                rc != 0 or not any(ln.startswith("ok ") for ln in lines):
            failed += 1
            print(f"not ok {n} {path}" + ("" if rc == 0 else f" (exit status {rc})"))
            for ln in lines[-40:]:
                print(f"# | {ln}")
        elif skip:
            print(f"ok {n} {path} # SKIP {skip[0]}")
        else:
            print(f"ok {n} {path}")
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
