#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Summarize a `meson test` run of tests/meson.build: every TAP result
of every test, then one line "N passed, N failed" (", N skipped" when
something was skipped, each with its reason above it).

    check-summary.py MESON_BUILD_DIR

Each TAP "ok" is a pass, "not ok" a failure, "ok ... # SKIP why" a skip.
A test that meson marks failed (timeout, exit status, a TAP plan that
does not match) with no failed result of its own counts as one more
failure, named after the test.  Exit status 1 if anything failed.
"""

import json
import os
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b\s*\d*\s*(?:- )?(.*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$",
                 re.IGNORECASE)


def main():
    log = os.path.join(sys.argv[1], "meson-logs", "testlog.json")
    passed = failed = 0
    skips = []
    try:
        with open(log) as f:
            tests = [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        print(f"FAIL meson ran no test (no {log}): its test assets did not build?")
        print()
        print("0 passed, 1 failed")
        return 1
    for t in tests:
        name, res = t["name"], t["result"]
        own_fail = False
        in_fail = False
        results = 0
        for line in (t.get("stdout") or "").splitlines():
            if line.startswith("#"):
                if in_fail:
                    print("    " + line.lstrip("#").lstrip())
                continue
            m = TAP.match(line)
            if not m:
                continue
            results += 1
            in_fail = False
            what = m.group(2) or name
            if m.group(1).lower() == "not ok" and not m.group(3):
                failed += 1
                own_fail = in_fail = True
                print(f"FAIL {what}")
            elif m.group(3) and m.group(3).upper() == "SKIP":
                why = m.group(4) or "no reason given"
                skips.append(f"{what}: {why}")
                print(f"SKIP {what}: {why}")
            else:
                passed += 1
                print(f"PASS {what}")
        bad = res not in ("OK", "SKIP", "EXPECTEDFAIL")
        if bad and not own_fail:
            failed += 1
            print(f"FAIL {name}: meson reports {res}"
                  f"{' after %.0f s' % t['duration'] if 'duration' in t else ''}"
                  f"{'' if results else ', no TAP results'}")
        if bad:
            err = (t.get("stderr") or "").splitlines()[-30:]
            for line in err:
                print(f"    | {line}")
    print()
    if skips:
        print("skipped:")
        for s in skips:
            print(f"  {s}")
        print(f"{passed} passed, {failed} failed, {len(skips)} skipped")
    else:
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
