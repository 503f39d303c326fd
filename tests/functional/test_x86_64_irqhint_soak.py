#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The irqhint soak in make check: the harness's self-test and a short
soak (a few runs of each cheap configuration, 3 at once), and the MSI race
(runs of iommu-ga-off-tick, 3 at once).

Run by meson (tests/meson.build: func-x86_64_irqhint_soak) with QEMU_TEST_QEMU_BINARY and
QEMU_BUILD_ROOT set and PYTHONPATH holding QEMU's python/ and
tests/functional/ (qemu_test); `make soak` is the long form
(irqhint_soak.py).  Environment: SOAK_SHORT_RUNS (runs of each
configuration, default 2), SOAK_SHORT_CONFIGS (default: the cheap ones),
SOAK_RACE_RUNS (runs of the MSI race, default 6),
SOAK_JOBS (default 3), SOAK_CHECK_DIR (where each test leaves its runs,
OUTDIR/summary.json and OUTDIR/table.txt, in a directory named after the
test method; default: its output directory under
BUILD/tests/functional/x86_64/).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qemu_test import QemuSystemTest  # noqa: E402

import irqhint_soak as soak  # noqa: E402

SELFTEST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "irqhint_soak_selftest_driver.py")


def selftest_config(mode):
    return soak.Config(f"selftest-{mode}", SELFTEST, ["--mode", mode], 60)


class IrqhintSoak(QemuSystemTest):

    def runner(self, configs, runs, **kw):
        build = os.path.dirname(os.path.abspath(self.qemu_bin))
        out = self.outputdir
        if os.environ.get("SOAK_CHECK_DIR"):
            out = os.path.join(os.environ["SOAK_CHECK_DIR"], self._testMethodName)
        os.makedirs(out, exist_ok=True)
        return soak.Runner(build, out, configs, runs=runs, qemu=self.qemu_bin, quiet=True,
                           **kw), out

    def report(self, out, text):
        self.log.info("\n" + text)
        print("\n" + text, file=sys.stderr)
        with open(os.path.join(out, "soak.log")) as f:
            print(f.read(), file=sys.stderr)

    def test_selftest_hang(self):
        """A run that prints nothing is a hang; its state is saved first,
        from a live QEMU (monitor answers) and a stopped one (it does not),
        and QEMU is gone afterwards."""
        cfgs = [selftest_config("silent"), selftest_config("stopped")]
        r, out = self.runner(cfgs, 1, jobs=2, stall=10, bound=60)
        t0 = time.monotonic()
        rows, text = r.run()
        self.report(out, text)
        self.assertLess(time.monotonic() - t0, 400, "the capture is bounded")
        for row in rows:
            self.assertEqual((row["runs"], row["hangs"], row["pass"]), (1, 1, 0), text)
        self.assertFalse(soak.clean(rows))
        live = os.path.join(r.results[0].dir if r.results[0].cfg is cfgs[0]
                            else r.results[1].dir, "hang")
        stopped = os.path.join(next(x.dir for x in r.results if x.cfg is cfgs[1]), "hang")
        for sample in ("lapic-1.txt", "lapic-2.txt"):
            with open(os.path.join(live, sample)) as f:
                text = f.read()
            # Both vCPUs, each with its LAPIC registers.
            self.assertEqual(text.count("=== vCPU "), 2, text)
            self.assertEqual(text.count("info lapic "), 2, text)
            self.assertEqual(text.count("ISR"), 2, text)
        with open(os.path.join(live, "registers.txt")) as f:
            text = f.read()
        self.assertEqual(text.count("CPU#"), 2, text)
        self.assertEqual(text.count("IP="), 2, text)
        with open(os.path.join(live, "qmp.json")) as f:
            q = json.load(f)
        for k in ("query-avic", "query-idt-shadow", "query-amd-iommu-ga", "query-gim",
                  "query-cpus-fast"):
            self.assertIn(k, q)
        for d in (live, stopped):
            with open(os.path.join(d, "stacks-proc.txt")) as f:
                text = f.read()
            self.assertIn("CPU 0/TCG", text)
            self.assertIn("CPU 1/TCG", text)
            with open(os.path.join(d, "stacks-gdb.txt")) as f:
                gdb = f.read()
            if "no gdb" not in gdb:
                self.assertIn("Thread", gdb)
        self.assertTrue(os.path.exists(os.path.join(stopped, "qmp-error.txt")))
        for x in r.results:
            with open(os.path.join(x.dir, "qemu.pid")) as f:
                pid = int(f.read())
            self.assertFalse(soak.alive(pid), f"QEMU {pid} still there")

    def test_selftest_counts(self):
        """Lost and duplicated interrupts fail a run that did not hang; a
        driver that contradicts itself or writes no result, or that is
        missing, is an error, never a pass."""
        cfgs = [selftest_config(m) for m in ("lost", "dup", "liar", "none")]
        missing = soak.Config("missing", "/nonexistent/driver", [], 60,
                              prep=lambda runner: (_ for _ in ()).throw(
                                  soak.SetupError("driver missing: /nonexistent/driver")))
        r, out = self.runner(cfgs + [missing], 1, jobs=3, stall=30)
        rows, text = r.run()
        self.report(out, text)
        by = {row["config"]: row for row in rows}
        self.assertEqual((by["selftest-lost"]["fails"], by["selftest-lost"]["lost"]), (1, 1))
        self.assertEqual((by["selftest-dup"]["fails"], by["selftest-dup"]["duplicated"]),
                         (1, 1))
        self.assertEqual(by["selftest-liar"]["errors"], 1)
        self.assertEqual(by["selftest-none"]["errors"], 1)
        self.assertEqual(by["missing"]["errors"], 1)
        self.assertIn("driver missing", next(x.reason for x in r.results
                                             if x.cfg is missing))
        self.assertFalse(soak.clean(rows))
        self.assertIn("selftest-dup", text)

    def test_short_soak(self):
        """A few runs of each cheap configuration, 3 at once: no hang, no
        lost or duplicated interrupt, no error."""
        names = (os.environ.get("SOAK_SHORT_CONFIGS") or
                 " ".join(c.name for c in soak.CONFIGS if c.cheap)).replace(",", " ").split()
        runs = int(os.environ.get("SOAK_SHORT_RUNS") or 2)
        r, out = self.runner([soak.BY_NAME[n] for n in names], runs,
                             jobs=int(os.environ.get("SOAK_JOBS") or 3),
                             stall=int(os.environ.get("SOAK_STALL") or 150))
        rows, text = r.run()
        self.report(out, text)
        self.assertTrue(soak.clean(rows), text)

    def test_msi_race(self):
        """A device's MSIs to a running L2 vCPU with AVIC, through VFIO and a
        KVM irqfd, with L1's own timer interrupts coming on the vCPU's CPU
        (iommu-ga-off-tick), 3 QEMUs at once: a doorbell taken together
        with L1's interrupt once left the vector waiting for ever
        (patches/0013a; before it 6 of 6 runs stalled, after it none)."""
        runs = int(os.environ.get("SOAK_RACE_RUNS") or 6)
        # Tracing VMRUN's AVIC set-up makes it slower: the doorbell and
        # L1's interrupt arrive together right after it more often.
        trace = os.environ.get("SOAK_TRACE")
        os.environ["SOAK_TRACE"] = trace or "avic_vmrun,avic_update"
        r, out = self.runner([soak.BY_NAME["iommu-ga-off-tick"]], runs,
                             jobs=int(os.environ.get("SOAK_JOBS") or 3),
                             stall=int(os.environ.get("SOAK_STALL") or 150))
        try:
            rows, text = r.run()
        finally:
            if trace is None:
                del os.environ["SOAK_TRACE"]
        self.report(out, text)
        self.assertTrue(soak.clean(rows), text)


if __name__ == '__main__':
    QemuSystemTest.main()
