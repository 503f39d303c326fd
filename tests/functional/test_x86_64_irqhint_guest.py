#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The irqhint guest driver against the real device (-device irqhint), on
Debian 12's 6.1 and bookworm-backports' 6.12 kernels, and against
fake_irqhint.

One boot per kernel: -smp 4, -device irqhint and virtio-net-pci (slirp)
at 00:03.0.  QEMU runs pinned to one host CPU, so virtio-net's interrupts
are raised there; the guest script (tests/guest/boot-test.sh) asks the
host over the control channel (irqhint.guest) to place vCPU K on that CPU
and the others elsewhere (irqhint-set-placement) and checks from inside
the guest what the driver did.  A second boot per kernel runs the
driver's self-test against fake_irqhint (tests/guest/fake-irqhint), a
software device inside the guest that plays what QEMU cannot be made to
(and QEMU has no command to make it): hostile entries of every kind,
entry counts past the table, a generation that never settles, tables
under concurrent change, a transport whose configuration generation
changes on every read.  Each check is a test method of its own.
"""

import os
import re

from irqhint_linux import ROOT, LinuxGuestTest, add_checks, prepare

CHECKS = [
    ("a", "driver binds and reads the table"),
    ("b", "placement sets IRQ affinity and delivery"),
    ("c", "re-placement moves the IRQ"),
    ("d", "rmmod restores, insmod re-applies"),
]


class IrqhintGuest(LinuxGuestTest):

    def work(self, name):
        return self.build_file("tests", "functional", self.arch,
                               f"{type(self).__name__}-{name}")

    def guest_boot(self, series):
        def run():
            work = self.work(f"boot-{series}")
            kernel, initrd = prepare(work, series, os.path.join(ROOT, "tests", "guest",
                                                                "boot-test.sh"))
            return self.boot(work, kernel, initrd, [
                "-device", "irqhint",
                "-netdev", "user,id=n0",
                "-device", "virtio-net-pci,netdev=n0,addr=03.0,vectors=4,romfile="],
                append=["irqhint.load=0"], timeout=200)
        self.need_cpus(2, "placement puts vCPUs on different ones")
        return self.shared(("boot", series), run)

    def boot_61(self):
        return self.guest_boot("6.1")

    def boot_612(self):
        return self.guest_boot("6.12")

    def fake_boot(self, series):
        def run():
            work = self.work(f"fake-{series}")
            kernel, initrd = prepare(work, series,
                                     os.path.join(ROOT, "tests", "guest", "fake-irqhint",
                                                  "selftest.sh"),
                                     extra_modules="ahci", fake=True)
            disk = os.path.join(work, "disk.img")
            with open(disk, "wb") as f:
                f.truncate(16 << 20)
            return self.boot(work, kernel, initrd, [
                "-netdev", "user,id=n0",
                "-device", "virtio-net-pci,netdev=n0,addr=03.0",
                "-drive", f"file={disk},if=none,id=d0,format=raw",
                "-device", "virtio-blk-pci,drive=d0,addr=04.0"],
                append=["fake_irqhint=1"], timeout=600)
        self.need_cpus(2, "runs with the other guest boot tests")
        return self.shared(("fake", series), run)

    def check_selftest(self, boot, section=None):
        rc, text = boot
        lines = [ln for ln in text.split("\n") if re.match(r"^(PASS|FAIL): ", ln)]
        if section:
            lines = [ln for ln in lines if ln.startswith((f"PASS: {section}:",
                                                          f"FAIL: {section}:"))]
        fails = [ln for ln in lines if ln.startswith("FAIL")]
        self.assertTrue(lines, f"the selftest{' section ' + section if section else ''} "
                        f"reported nothing (status {rc}); console tail:\n{text[-3000:]}")
        self.assertFalse(fails, "\n".join(fails))
        if not section:
            self.assertEqual(rc, 0, f"selftest status {rc}")

    def test_61_selftest(self):
        """6.1: the driver's selftest with fake_irqhint"""
        self.check_selftest(self.fake_boot("6.1"))

    def test_61_hostile_transport(self):
        """6.1: the driver stays responsive to a hostile transport
        generation"""
        self.check_selftest(self.fake_boot("6.1"), "hostile transport")

    def test_612_selftest(self):
        """6.12: the driver's selftest with fake_irqhint"""
        self.check_selftest(self.fake_boot("6.12"))

    def test_612_hostile_transport(self):
        """6.12: the driver stays responsive to a hostile transport
        generation"""
        self.check_selftest(self.fake_boot("6.12"), "hostile transport")


add_checks(IrqhintGuest, "61", "boot_61", CHECKS)
add_checks(IrqhintGuest, "612", "boot_612", CHECKS)

if __name__ == '__main__':
    LinuxGuestTest.main()
