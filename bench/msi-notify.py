#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: the cost the irqhint observer adds to an MSI notification.

A guest drives it, through guest-visible interfaces only: the test kernel
of tests/guest/svm (built here with the host gcc), test "msi-bench"
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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from irqhint.monitor import Monitor

# The two sides: QEMU with and without the observer.
ON_ARGS = ["-device", "irqhint"]
OFF_ARGS = []
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_kernel(work):
    out = os.path.join(work, "build")
    log = os.path.join(work, "build.log")
    with open(log, "w") as f:
        rc = subprocess.call(["make", "-s", "-C",
                              os.path.join(ROOT, "tests/guest/svm"),
                              "O=" + out], stdout=f, stderr=f)
    if rc:
        sys.stdout.write(open(log).read())
        sys.exit("msi-notify: could not build the test kernel")
    return os.path.join(out, "svm-tests.elf")


class Guest:
    def __init__(self, name, binary, kernel, chunks, work, sockdir, extra):
        self.name = name
        self.serial = os.path.join(work, name + ".serial")
        qmp = os.path.join(sockdir, name + ".qmp")
        fw = os.path.join(os.path.dirname(binary),
                          "qemu-bundle/usr/local/share/qemu")
        for p in (self.serial, qmp):
            if os.path.exists(p):
                os.unlink(p)
        args = [binary, "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64",
                "-m", "64", "-display", "none", "-nodefaults",
                "-monitor", "none", "-no-reboot", "-L", fw,
                "-kernel", kernel, "-append", f"msi-bench n={chunks}",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-device", "edu,addr=05.0",
                "-serial", "file:" + self.serial,
                "-qmp", f"unix:{qmp},server=on,wait=off", *extra]
        self.err = open(os.path.join(work, name + ".stderr"), "w")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)
        self.mon = Monitor(qmp, timeout=60, proc=self.proc)
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
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        sys.exit(f"msi-notify: {self.name}: no '{prefix}' line "
                 f"(see {self.serial})")

    def pin(self, cpu):
        """Every thread of QEMU onto host CPU CPU."""
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                os.sched_setaffinity(int(tid), {cpu})
            except OSError:
                pass        # a thread that just ended

    def round(self):
        """TSC ticks per MSI: the median difference of a round's chunks."""
        self.mon.cmd("inject-nmi")
        f = dict(w.split("=") for w in self.line("MSIB-ROUND").split()[2:])
        return int(f["diff"]) / int(f["writes"])

    def quit(self):
        try:
            self.mon.cmd("quit")
        except RuntimeError:
            pass
        self.mon.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


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
    kernel = build_kernel(work)
    # UNIX socket paths must stay short: keep them in /tmp.
    sockdir = tempfile.mkdtemp(prefix="msib-")
    cpu = max(os.sched_getaffinity(0))
    pairs = []
    per = {"on": [[] for _ in range(per_side)],
           "off": [[] for _ in range(per_side)]}
    try:
        for i in range(per_side):
            pairs.append({
                name: Guest(f"{name}{i}", binary, kernel, chunks, work,
                            sockdir, extra)
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
        shutil.rmtree(sockdir, True)
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
