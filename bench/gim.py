#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: posting an interrupt through GIM vs a plain MSI to the LAPIC.

Driven through GIM's guest-visible interface only, from inside a guest:
the test kernel of tests/guest/svm (test "gim-bench", gim-bench.c) finds
gim on the PCI bus, programs its table, log, route 0 and interface 0 as an
L1 hypervisor would, and then, with interrupts off, times with the TSC
COUNT stores of each kind, alternating the kinds round after round (10
rounds, the best round of each):

- plain MSI: data 0x40 stored at 0xfee00000 (QEMU takes a CPU store there
  as an MSI to the LAPIC);
- GIM post: message 0 stored to GIM's doorbell BAR: the IRR bit set in the
  table, the vector merged into interface 0's list register; its doorbell
  is still pending, so no MSI-X (a posted-interrupt ON bit);
- GIM post that rings: interface 0's STATUS.DOORBELL cleared first (one
  register store, as a vCPU that acks at once), so that every post rings
  the doorbell MSI-X too; the cost of that STATUS store alone, measured
  in the same rounds, is subtracted.

All are TCG MMIO stores from the same kind of loop, so the loop and the
store itself cost the same on both sides and what differs is QEMU's work
behind them.  The STATUS store alone (an MMIO store that does next to
nothing behind it) shows what any such store costs.  The kernel then checks GIM's counters against the stores
(every post an output delivered, none dropped or logged).  Three boots;
the median ratio is the result (goal: <= 1.5).  Times are host TSC cycles
(the TSC of a TCG guest is the host's).
"""

import os
import re
import subprocess
import sys

from irqhint.svm import PASS_STATUS, boot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = 3


def run_boot(qemu, kernel, count, work, name):
    """One boot on QEMUMachine (irqhint.svm): the kernel's GIM-BENCH
    numbers."""
    rc, out, log = boot(qemu, kernel, work, name, f"gim-bench n={count}",
                        "qemu64,svm=on", ["-device", "gim"], timeout=120)
    stats = re.search(r"^GIM-BENCH (.*)$", out, re.M)
    if rc != PASS_STATUS or "IDTS-RESULT: PASS" not in out or not stats:
        sys.exit(f"gim: the test kernel failed (status {rc}):\n"
                 f"{out[-2000:]}{log}")
    return {k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", stats.group(1))}


def main():
    qemu = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    build = os.path.dirname(os.path.abspath(qemu))
    work = os.path.join(build, "irqhint-bench-gim")
    os.makedirs(work, exist_ok=True)
    # The test kernel is a test asset (scripts/test-assets.sh).
    mk = subprocess.run([os.path.join(ROOT, "scripts", "test-assets.sh"), build,
                         "svm-tests.elf"], capture_output=True, text=True, check=False)
    if mk.returncode:
        sys.exit(f"gim: could not build the test kernel:\n{mk.stdout}"
                 f"{mk.stderr}")
    kernel = mk.stdout.split()[-1]

    pending, ringing = [], []
    for run in range(RUNS):
        s = run_boot(qemu, kernel, count, work, f"run{run}")
        n = s["n"]
        msi, post, store = s["msi"] / n, s["gim"] / n, s["clear"] / n
        ring = (s["ring"] - s["clear"]) / n
        pending.append(post / msi)
        ringing.append(ring / msi)
        print(f"  run {run}: host TSC cycles per store, best of "
              f"{s['rounds']} rounds x {n}: plain MSI {msi:.0f}, GIM post "
              f"{post:.0f} (ratio {pending[-1]:.2f}), GIM post that rings "
              f"{ring:.0f} = {s['ring'] / n:.0f} - STATUS store "
              f"{store:.0f} (ratio {ringing[-1]:.2f}); "
              f"{s['in']} posts counted by GIM")

    def median(v):
        return sorted(v)[RUNS // 2]
    p, r = median(pending), median(ringing)
    print(f"gim-post, guest stores under TCG: GIM/MSI ratio {p:.2f} with "
          f"the vCPU's doorbell pending ({'meets' if p <= 1.5 else 'MISSES'}"
          f" the <= 1.5 goal), {r:.2f} when every post rings it "
          f"({'meets' if r <= 1.5 else 'MISSES'} the goal); median of "
          f"{RUNS} boots, logs in {work}")

if __name__ == "__main__":
    main()
