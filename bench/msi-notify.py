#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: the cost the irqhint observer adds to an MSI notification.

A guest drives it, through guest-visible interfaces only: the test kernel
of tests/guest/svm (a test asset: scripts/test-assets.sh), test "msi-bench"
(msibench.c), points edu's MSI at its LAPIC (held pending there by the
task priority, so that delivering it is not timed) and writes edu's
"raise interrupt" register in a loop (each write: msi_notify(), the
observer, the LAPIC), in chunks of 1000 alternating with as many writes
to a register that sends nothing (the same MMIO path), timed with the
TSC.  The median over a round's chunks of the difference is what one MSI
notification costs.

QEMUs under TCG, half with -device irqhint and half without, all pinned
to one host CPU once booted, run their rounds in turn, each round going
through the pairs (with, without) in alternating order; an idle guest
waits in HLT.  The first round of each warms up and is not counted.
Several QEMUs per side, because one QEMU process differs from the next
by a few percent (up to ~20%) in what the same guest loop costs, however
many rounds it runs (layout in host memory and caches): the ratio is of
the means over the QEMUs of each side, printed with its standard error.
Goal: < 2% added.

Usage: bench/msi-notify.py QEMU_BINARY [QEMUS_PER_SIDE [ROUNDS [CHUNKS]]]
(CHUNKS: thousands of writes of each kind per round).
"""

import os
import statistics
import subprocess
import sys
import time

from irqhint.svm import configure
from qemu.machine import QEMUMachine

# The two sides: QEMU with and without the observer.
ON_ARGS = ["-device", "irqhint"]
OFF_ARGS = []
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_kernel(binary):
    """The SVM test kernel, a test asset (scripts/test-assets.sh)."""
    r = subprocess.run([os.path.join(ROOT, "scripts", "test-assets.sh"),
                        os.path.dirname(os.path.abspath(binary)), "svm-tests.elf"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.stdout.write(r.stdout + r.stderr)
        sys.exit("msi-notify: could not build the test kernel")
    return r.stdout.split()[-1]


class Guest:
    def __init__(self, name, binary, kernel, chunks, work, extra):
        self.name = name
        self.serial = os.path.join(work, name + ".serial")
        # QEMU's launcher and QMP client (python/irqhint/svm.py sets the
        # kernel's boot up).
        self.vm = QEMUMachine(binary, name=name, base_temp_dir=work, log_dir=work)
        configure(self.vm, kernel, self.serial, f"msi-bench n={chunks}", "qemu64",
                  extra=["-device", "edu,addr=05.0", *extra])
        self.vm.launch()
        self.pos = 0

    def line(self, prefix, timeout=120):
        """The next whole serial line starting with PREFIX."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.serial, errors="replace") as f:
                f.seek(self.pos)
                text = f.read()
            for ln in text.split("\n")[:-1]:
                self.pos += len(ln) + 1
                ln = ln.replace("\r", "")
                if ln.startswith(prefix):
                    return ln
                if "IDTS-RESULT: FAIL" in ln:
                    sys.exit(f"msi-notify: {self.name}: {ln}")
            if not self.vm.is_running():
                break
            time.sleep(0.01)
        sys.exit(f"msi-notify: {self.name}: no '{prefix}' line "
                 f"(see {self.serial})")

    def pin(self, cpu):
        """Every thread of QEMU onto host CPU CPU."""
        for tid in os.listdir(f"/proc/{self.vm.get_pid()}/task"):
            try:
                os.sched_setaffinity(int(tid), {cpu})
            except OSError:
                pass        # a thread that just ended

    def round(self):
        """TSC ticks per MSI: the median difference of a round's chunks."""
        self.vm.cmd("inject-nmi")
        f = dict(w.split("=") for w in self.line("MSIB-ROUND").split()[2:])
        return int(f["diff"]) / int(f["writes"])

    def quit(self):
        try:
            self.vm.shutdown()
        except Exception:       # gone already: nothing to stop
            pass


def mean_se(v):
    se = statistics.stdev(v) / len(v) ** 0.5 if len(v) > 1 else 0
    return statistics.mean(v), se


def main():
    binary = sys.argv[1]
    per_side = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    chunks = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    work = os.path.join(os.path.dirname(binary), "irqhint-bench-msi-notify")
    os.makedirs(work, exist_ok=True)
    kernel = build_kernel(binary)
    cpu = max(os.sched_getaffinity(0))
    pairs = []
    per = {"on": [[] for _ in range(per_side)],
           "off": [[] for _ in range(per_side)]}
    try:
        for i in range(per_side):
            pairs.append({
                name: Guest(f"{name}{i}", binary, kernel, chunks, work, extra)
                for name, extra in (("on", ON_ARGS), ("off", OFF_ARGS))})
        for p in pairs:
            for g in p.values():
                g.line("MSIB-READY")
                g.pin(cpu)
        for r in range(rounds + 1):
            for i, p in enumerate(pairs):
                order = ("on", "off") if (r + i) % 2 else ("off", "on")
                for name in order:
                    t = p[name].round()
                    if r:       # round 0 warms up
                        per[name][i].append(t)
    finally:
        for p in pairs:
            for g in p.values():
                g.quit()
    med = {n: [statistics.median(v) for v in per[n]] for n in per}
    for i in range(per_side):
        print(f"QEMU pair {i}: TSC ticks per MSI (median of {rounds} "
              f"rounds): without {med['off'][i]:.1f}, with irqhint "
              f"{med['on'][i]:.1f}")
    (on, on_se), (off, off_se) = mean_se(med["on"]), mean_se(med["off"])
    ratio = on / off
    se = ratio * ((on_se / on) ** 2 + (off_se / off) ** 2) ** 0.5
    added = (ratio - 1) * 100
    verdict = "meets" if added < 2 else "MISSES"
    print(f"msi-notify: with/without -device irqhint ratio {ratio:.4f} "
          f"({added:+.2f}% +- {se * 100:.2f}% added; {verdict} the < 2% "
          f"goal; guest-driven, {per_side}+{per_side} QEMUs x {rounds} "
          f"rounds x {chunks * 1000} MSIs; an MSI costs {off:.0f} TSC "
          f"ticks without)")


if __name__ == "__main__":
    main()
