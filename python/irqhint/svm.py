#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boots of the bare-metal SVM test kernel (tests/guest/svm: one
multiboot kernel that is a small L1 hypervisor with two L2 guests), for
the functional tests (tests/functional/irqhint_svm.py and the tests that
use it), the soak and bench/.

The kernel is a test asset built by meson (tests/meson.build, target
svm-tests.elf; scripts/test-assets.sh BUILD svm-tests.elf builds it and
prints its path).  Each boot is a QEMUMachine (QEMU's launcher, QMP
through its own client): -kernel, -append "TEST [options]", COM1 to a
file; the kernel ends with "IDTS-RESULT: PASS|FAIL" on COM1 and leaves
through isa-debug-exit (status 33 on pass, 35 on fail).

As a program (python3 -m irqhint.svm):

    --qemu Q --kernel K --dir D race [--n N] [--runs R]
        the memory map race of test_x86_64_tcg_memmap.py (the soak);
        exit status 0 when it held, else 1 with a line "FAILED: why"
    --qemu Q --kernel K --dir D boot --cpu CPU --append A [QEMU ARGS...]
        one boot (bench/): prints COM1's text, exits with QEMU's status
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
    """One boot of the race on VM (a QEMUMachine not yet launched).  The
    kernel halts after its result ("halt") and QEMU is quit over QMP: a
    guest that leaves through isa-debug-exit calls exit() in its vCPU
    thread while the monitor may still be changing the memory map, and
    QEMU then sometimes dies of SIGSEGV in its exit path (seen 1 in ~10
    boots under load), which is not what this test is about."""
    configure(vm, kernel, serial, f"memmap n={n} halt", "qemu64", machine="q35",
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
    check(vm.exitcode() == 0, f"QEMU's exit status {vm.exitcode()} (expected 0: "
          "quit over QMP after the kernel's result)")


def boot(qemu, kernel, workdir, name, append, cpu, extra=(), timeout=300):
    """One boot to its end, no QMP: (QEMU's exit status, COM1's text,
    QEMU's own output)."""
    vm = QEMUMachine(qemu, name=name, base_temp_dir=workdir, log_dir=workdir)
    serial = os.path.join(workdir, name + ".serial")
    configure(vm, kernel, serial, append, cpu, extra=extra, qmp=False)
    vm.launch()
    try:
        vm.wait(timeout=timeout)
    except Exception:           # killed after TIMEOUT
        pass
    return vm.exitcode(), serial_text(serial), vm.get_log() or ""


def main():
    ap = argparse.ArgumentParser(description="boots of the SVM test kernel")
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--dir", required=True)
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("race")
    r.add_argument("--n", type=int, default=100)
    r.add_argument("--min", type=int, default=100)
    r.add_argument("--runs", type=int, default=1)
    b = sub.add_parser("boot")
    b.add_argument("--cpu", required=True)
    b.add_argument("--append", required=True)
    b.add_argument("--name", default="boot")
    b.add_argument("--timeout", type=int, default=300)
    b.add_argument("extra", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if a.what == "boot":
        rc, text, log = boot(a.qemu, a.kernel, a.dir, a.name, a.append, a.cpu,
                             [x for x in a.extra if x != "--"], a.timeout)
        sys.stdout.write(text)
        sys.stderr.write(log)
        return rc if rc is not None else 124
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
