# SPDX-License-Identifier: GPL-2.0-or-later
"""What the functional tests that boot the bare-metal SVM test kernel
share (test_x86_64_idt_shadow.py, test_x86_64_avic_svm.py,
test_x86_64_tcg_memmap.py): SvmKernelTest, on irqhint.svm's boots.  The
kernel is built by meson (tests/meson.build) and named by
IRQHINT_SVM_KERNEL.
"""

import os
import sys
import time

from irqhint.svm import (PASS_STATUS, check, configure, fw_dir, migrate_from_file,
                         migrate_to_file, serial_text, stop)
from qemu_test import QemuSystemTest

class SvmKernelTest(QemuSystemTest):
    """A functional test that boots the SVM test kernel."""

    CPU = "qemu64,svm=on"

    def setUp(self):
        super().setUp()
        self.kernel = os.environ.get("IRQHINT_SVM_KERNEL", "")
        if not os.path.exists(self.kernel):
            self.fail("the SVM test kernel was not built (IRQHINT_SVM_KERNEL="
                      f"'{self.kernel}'; meson builds it: tests/meson.build)")
        self.require_accelerator("tcg")

    def svm_vm(self, name, append, cpu=None, machine="pc", extra=(), qmp=True):
        """A QEMUMachine for one boot (not launched) and its COM1 file."""
        serial = os.path.join(self.outputdir, name + ".serial")
        vm = self.get_vm(name=name)
        configure(vm, self.kernel, serial, append, cpu or self.CPU, machine,
                  extra, qmp)
        return vm, serial

    def boot(self, append, cpu=None, timeout=60):
        """One boot that must end with IDTS-RESULT: PASS and status 33."""
        name = "boot-" + "-".join(append.split()[:2]).replace("=", "-")
        vm, serial = self.svm_vm(name, append, cpu, qmp=False)
        vm.launch()
        vm.wait(timeout=timeout)
        rc = vm.exitcode()
        text = serial_text(serial)
        line = next((ln for ln in text.split("\n")
                     if ln.startswith("IDTS-RESULT:")), None)
        fails = [ln.strip() for ln in text.split("\n") if ln.startswith("  FAIL")]
        self.assertIsNotNone(line, f"the kernel did not report (status {rc}):\n"
                             f"{text[-2000:]}\n{vm.get_log() or ''}")
        self.assertTrue(line.startswith("IDTS-RESULT: PASS") and rc == PASS_STATUS,
                        f"{line} (status {rc}): " + "; ".join(fails[:5]))

    def migrate(self, src, name, append, state):
        """Migrate SRC (launched, its kernel ready) through the file
        STATE into a new VM NAME booted with APPEND (-incoming defer,
        paused); SRC is shut down.  The destination and its COM1 file."""
        migrate_to_file(src, state)
        src.shutdown()
        dst, serial = self.svm_vm(name, append, extra=["-incoming", "defer", "-S"])
        dst.launch()
        st = migrate_from_file(dst, state)
        check(st == "completed", f"incoming migration: {st}")
        return dst, serial

    def refused(self, regex, *args):
        """QEMU must refuse ARGS at start-up: status 1 and a message
        matching REGEX."""
        import re
        vm = self.get_vm(name="refused-%d" % len(self._vms))
        vm.set_machine("pc")
        vm.set_qmp_monitor(False)
        vm.add_args("-nodefaults", "-L", fw_dir(vm.binary), *args)
        vm.launch()
        vm.wait(timeout=30)
        log = vm.get_log() or ""
        self.assertEqual(vm.exitcode(), 1, log)
        self.assertRegex(log, re.compile(regex, re.I))

    def expect_refused(self, state, append, cpu, want):
        """Load STATE into a new destination: it must refuse it
        cleanly (exit status 1, not an abort) and say WANT."""
        vm, _ = self.svm_vm("refuse-dst", append, cpu, extra=["-incoming", "defer", "-S"])
        vm.launch()
        st = None
        try:
            st = migrate_from_file(vm, state)
        except Exception as e:      # QEMU left while we asked
            print(f"  QMP: {e} (QEMU left)", file=sys.stderr)
        deadline = time.monotonic() + 30
        while vm.is_running() and time.monotonic() < deadline:
            time.sleep(0.1)
        running = vm.is_running()
        stop(vm)
        log = vm.get_log() or ""
        check(st != "completed", f"incoming migration not completed ({st})")
        check(not running and vm.exitcode() == 1,
              f"the destination exited with status {vm.exitcode()} "
              "(expected 1: a clean refusal, not an abort)")
        check(want in log, f"it said why: '{want}': {log[-500:]}")

def add_boots(cls, boots):
    """Add a test method to CLS for each (method, doc, cpu, append) of
    BOOTS: one boot that must pass."""
    for method, doc, cpu, append in boots:
        def test(self, cpu=cpu, append=append):
            self.boot(append, cpu)
        test.__doc__ = doc
        test.__name__ = "test_" + method
        setattr(cls, test.__name__, test)


