#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Re-pin latency of bench/locality.sh, on one clock.

For each "REPIN-AT I vcpu K host-time T generation G" line the guest
printed (T: the host's wall clock just before it re-pinned the vCPU
threads so that vCPU K is the one co-located with the raising host CPU;
G: the generation of the table with which the guest's driver moved
virtio-net's interrupts to vCPU K), and each "MAIN-AT I slot S host-time
T generation G" line (the same for a re-pin of QEMU's main loop), find in QEMU's trace log
(-trace virtio_irqhint_applied -msg timestamp=on, the same wall clock)
when the driver reported it had applied generation G or a later one
(VIRTIO_IRQHINT_F_APPLIED): the report follows the new affinity, so the
interval bounds the re-pin's latency from above.  Under TCG the guest's
clocks run at the host's rate: it is also the guest's time.

Usage: locality-host.py TRACE_LOG GUEST_OUTPUT
"""

import re
import sys

TRACE_RE = re.compile(r"^\d+@(\d+\.\d+):virtio_irqhint_applied .*"
                      r"applied generation (\d+)")
REPIN_RE = re.compile(r"(REPIN|MAIN)-AT (\d+) (?:vcpu|slot) \d+ "
                      r"host-time (\d+\.\d+) generation (\d+)")
WHAT = {"REPIN": "re-pin of vCPU threads, {n} re-pins alone",
        "MAIN": "re-pin of the main loop, {n} re-pins, a ping every 2 ms"}


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().split("\n")[-1], file=sys.stderr)
        return 2
    reports = []
    with open(argv[1], errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if m:
                reports.append((float(m.group(1)), int(m.group(2))))
    repins = {"REPIN": [], "MAIN": []}
    with open(argv[2], errors="replace") as f:
        for line in f:
            m = REPIN_RE.search(line)
            if m:
                repins[m.group(1)].append((int(m.group(2)),
                                           float(m.group(3)),
                                           int(m.group(4))))
    if not repins["REPIN"]:
        print("locality: no re-pin was timed", file=sys.stderr)
        return 1

    rc = 0
    for kind, timed in repins.items():
        lats, missing = [], []
        for i, at, gen in timed:
            done = next((t for t, g in reports if t > at and g >= gen), None)
            if done is None:
                missing.append(i)
            else:
                lats.append((done - at) * 1000)
        if lats:
            lats.sort()
            n = len(lats)
            print(f"  {WHAT[kind].format(n=len(timed))}, from the host's "
                  f"re-pin to the driver's report (goal: max <= 10 ms): "
                  f"min {lats[0]:.1f}, median {lats[(n - 1) // 2]:.1f}, "
                  f"90th percentile {lats[(9 * n - 1) // 10]:.1f}, "
                  f"max {lats[-1]:.1f} ms ({n} changes)")
        if missing:
            print(f"locality: {kind.lower()} re-pins {missing}: no report "
                  "from the driver of the new table in the trace log",
                  file=sys.stderr)
            rc = 1
    return rc

if __name__ == "__main__":
    sys.exit(main(sys.argv))
