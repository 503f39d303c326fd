#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the functional tests that boot the bare-metal SVM test kernel
(tests/guest/svm: one multiboot kernel that is a small L1 hypervisor with
two L2 guests) share: test_x86_64_idt_shadow.py, test_x86_64_avic_svm.py,
test_x86_64_tcg_memmap.py.

The kernel is built by meson (tests/meson.build, target svm-tests.elf)
and named by IRQHINT_SVM_KERNEL.  Each boot is a QEMUMachine (the
framework's launcher, QMP through its own client): -kernel, -append
"TEST [options]", COM1 to a file; the kernel ends with "IDTS-RESULT:
PASS|FAIL" on COM1 and leaves through isa-debug-exit (status 33 on pass,
35 on fail).

As a program, for the soak (tests/guest/soak/drivers.py) and by hand:

    irqhint_svm.py --qemu Q --kernel K --dir D race [--n N] [--runs R]

runs the memory map race of test_x86_64_tcg_memmap.py with the same
code; exit status 0 when it held, else 1 with a line "FAILED: why".
"""

import argparse
import os
import sys
import time

from qemu.machine import QEMUMachine

DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
PASS_STATUS = 33


class Failed(AssertionError):
    pass


def check(ok, what):
    """Print WHAT as a check; raise Failed (an AssertionError, so a test
    fails rather than errors) unless OK."""
    print(("  ok   " if ok else "  FAIL ") + what, file=sys.stderr)
    if not ok:
        raise Failed(what)


def fw_dir(qemu):
    """The firmware directory of the build QEMU belongs to."""
    return os.path.join(os.path.dirname(os.path.abspath(qemu)),
                        "qemu-bundle", "usr", "local", "share", "qemu")


def configure(vm, kernel, serial, append, cpu, machine="pc", extra=(), qmp=True):
    """Make VM (a QEMUMachine not yet launched) boot KERNEL with APPEND,
    COM1 to the file SERIAL."""
    if os.path.exists(serial):
        os.unlink(serial)
    vm.set_machine(machine)
    vm.set_qmp_monitor(qmp)
    vm.add_args("-accel", "tcg", "-cpu", cpu, "-m", "64", "-nodefaults",
                "-no-reboot", "-L", fw_dir(vm.binary), "-kernel", kernel,
                "-append", append, *DEBUG_EXIT, "-serial", "file:" + serial,
                *extra)
    return vm


def serial_text(serial):
    try:
        with open(serial, errors="replace") as f:
            return f.read().replace("\r", "")
    except FileNotFoundError:
        return ""


def wait_serial(vm, serial, marker, timeout=60):
    """The first whole line of SERIAL that starts with MARKER, and all of
    SERIAL's text; Failed when QEMU ends or TIMEOUT passes first."""
    deadline = time.monotonic() + timeout
    while True:
        text = serial_text(serial)
        exited = not vm.is_running()
        lines = text.split("\n")
        if not exited:
            # The kernel may be half-way through the line we want.
            lines = lines[:-1]
        for line in lines:
            if line.startswith(marker):
                return line, text
        if exited or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    print(text, file=sys.stderr)
    state = f"exited {vm.exitcode()}" if exited else "still running"
    raise Failed(f"no '{marker}' on the serial console (QEMU {state})")


def wait_pass(vm, serial):
    line, text = wait_serial(vm, serial, "IDTS-RESULT:")
    if "PASS" not in line:
        print(text, file=sys.stderr)
    check("PASS" in line, f"kernel: {line}")


def migrate_to_file(vm, state):
    vm.cmd("stop")
    vm.cmd("migrate", uri=f"exec:cat > {state}")
    st = None
    for _ in range(600):
        st = vm.cmd("query-migrate").get("status")
        if st in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    check(st == "completed", f"migration to a file: {st}")


def migrate_from_file(vm, state):
    vm.cmd("migrate-incoming", uri=f"exec:cat {state}")
    st = None
    for _ in range(600):
        st = vm.cmd("query-migrate").get("status")
        if st in ("completed", "failed"):
            break
        time.sleep(0.05)
    return st


def subsection(data, name):
    """Where the fields of subsection NAME start in a saved stream DATA,
    and its version: (offset, version)."""
    tag = b"\x05" + bytes([len(name)]) + name.encode()
    at = data.find(tag)
    check(at >= 0, f"the stream has a {name} subsection")
    at += len(tag)
    return at + 4, int.from_bytes(data[at:at + 4], "big")


def stop(vm):
    """Shut VM down; one that left by itself (isa-debug-exit) is not an
    error here: its exit status is vm.exitcode()."""
    try:
        vm.shutdown()
    except Exception as e:      # AbnormalShutdown: its QMP was gone
        if vm.exitcode() is None:
            raise
        print(f"  QEMU had left (status {vm.exitcode()}): {e}", file=sys.stderr)


def hmp(vm, line):
    return vm.cmd("human-monitor-command", command_line=line)


# The memory map race (patches/0024a): the kernel reads the HPET and
# sends itself IPIs through MMIO on 2 vCPUs while the monitor rewrites
# Q35's PAM registers.  Two PAM layouts: everything read/write (the
# fewest sections: 7 here), then read/write and read-only in turn in
# every 16 KiB segment (the most: 21).  A TLB entry of the one map
# looked up in the other names a section that does not exist or is
# another region.
PAM_CONFIGS = ([0x30] + [0x33] * 6, [0x10] + [0x31] * 6)


def set_pam(vm, pam):
    """Seven byte writes through ports 0xcf8/0xcfc: seven map changes."""
    for i, b in enumerate(pam):
        hmp(vm, f"o /l 0xcf8 {0x80000090 + (i & ~3):#x}")
        hmp(vm, f"o /b {0xcfc + (i & 3):#x} {b:#x}")
    return len(pam)


def memmap_race(vm, kernel, serial, n, minimum):
    """One boot of the race on VM (a QEMUMachine not yet launched)."""
    configure(vm, kernel, serial, f"memmap n={n}", "qemu64", machine="q35",
              extra=["-smp", "2"])
    vm.launch()
    try:
        wait_serial(vm, serial, "MEMMAP-READY")
        changes = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if "MEMMAP-DONE" in serial_text(serial) or not vm.is_running():
                break
            try:
                for pam in PAM_CONFIGS:
                    changes += set_pam(vm, pam)
            except Exception:       # QEMU ended: the kernel is done (or died)
                break
        print(f"  ..   {changes} memory map changes while the kernel read",
              file=sys.stderr)
        wait_pass(vm, serial)
        check(changes >= minimum, f"{changes} map changes during the reads "
              f"(at least {minimum}, else the run proved nothing)")
    finally:
        stop(vm)
    check(vm.exitcode() == PASS_STATUS, f"QEMU's exit status {vm.exitcode()} "
          f"(expected {PASS_STATUS}: the kernel's own exit)")


try:
    from qemu_test import QemuSystemTest
except ImportError:         # as a program: no test framework needed
    QemuSystemTest = None

if QemuSystemTest is not None:
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


def main():
    ap = argparse.ArgumentParser(description="the memory map race (soak)")
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--dir", required=True)
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("race")
    r.add_argument("--n", type=int, default=100)
    r.add_argument("--min", type=int, default=100)
    r.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    try:
        for run in range(1, a.runs + 1):
            print(f"# run {run} of {a.runs}", file=sys.stderr)
            vm = QEMUMachine(a.qemu, name=f"memmap-{run}", base_temp_dir=a.dir,
                             log_dir=a.dir)
            memmap_race(vm, a.kernel, os.path.join(a.dir, f"memmap-{run}.serial"),
                        a.n, a.min)
    except Exception as e:          # Failed, or QEMU's own failure
        print(f"FAILED: {type(e).__name__}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
