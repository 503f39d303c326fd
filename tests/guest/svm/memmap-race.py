#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Host side of the test kernel's "memmap" test (memmap.c).

  memmap-race.py --qemu Q --kernel K --fw FW --dir D race [--n N] [--min M]
                 [--runs R]

R times (each a new QEMU): boots "memmap n=N" on -machine q35 with 2
vCPUs; once the kernel says MEMMAP-READY, changes the memory map from the monitor (HMP "o" to the
PAM registers of the host bridge, i.e. from QEMU's main thread) until the
kernel's result line appears.  Passes when the kernel reports PASS (every
HPET read gave the HPET's value), QEMU did not abort, and at least M map
changes happened while the kernel read (else the run proved nothing).
"""

import importlib.util
import os
import sys
import time

from irqhint.monitor import Monitor

_spec = importlib.util.spec_from_file_location(
    "monitor_check", os.path.join(os.path.dirname(__file__), "monitor-check.py"))
mc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mc)

# Q35's PAM registers (MCH config 0x90-0x96: 0xc0000-0xfffff): all
# read/write (the fewest sections: 7 here), then read/write and read-only
# in turn in every 16 KiB segment (the most: 21).  A TLB entry of the
# one map looked up in the other names a section that does not exist or
# is another region.
PAM_CONFIGS = ([0x30] + [0x33] * 6, [0x10] + [0x31] * 6)


def set_pam(q, pam):
    """Seven byte writes through ports 0xcf8/0xcfc: seven map changes."""
    for i, b in enumerate(pam):
        q.hmp(f"o /l 0xcf8 {0x80000090 + (i & ~3):#x}")
        q.hmp(f"o /b {0xcfc + (i & 3):#x} {b:#x}")
    return len(pam)


def do_race(a):
    for run in range(1, a.runs + 1):
        print(f"# run {run} of {a.runs}")
        race_once(a, f"memmap-{run}")


def race_once(a, name):
    proc, serial, qmp = mc.start(a, name, f"memmap n={a.n}",
                                 extra=["-smp", "2"], cpu="qemu64",
                                 machine="q35")
    q = Monitor(qmp, timeout=60)
    try:
        mc.wait_serial(proc, serial, "MEMMAP-READY", 60)
        changes = 0
        done = False
        deadline = time.time() + 600
        while not done and time.time() < deadline:
            with open(serial, errors="replace") as f:
                done = "MEMMAP-DONE" in f.read()
            if done or proc.poll() is not None:
                break
            try:
                for pam in PAM_CONFIGS:
                    changes += set_pam(q, pam)
            except RuntimeError:
                break           # QEMU ended: the kernel is done (or died)
        print(f"  ..   {changes} memory map changes while the kernel read")
        mc.wait_pass(proc, serial)
        mc.check(changes >= a.min, f"{changes} map changes during the reads "
                 f"(at least {a.min}, else the run proved nothing)")
    finally:
        mc.stop_qemu(proc, q)


def main():
    p, sub = mc.arg_parser()
    r = sub.add_parser("race")
    r.add_argument("--n", type=int, default=100)
    r.add_argument("--min", type=int, default=100)
    r.add_argument("--runs", type=int, default=1)
    return mc.run(p, {"race": do_race})


if __name__ == "__main__":
    sys.exit(main())
