#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Interrupts raised by an iothread: a guest boot (Debian 12's 6.1 kernel)
with virtio-blk and virtio-scsi on -object iothread,id=io0.

With an iothread a disk's requests complete in that thread, so the host
CPU that raises the completion interrupt is the iothread's, not the main
loop's nor a vCPU's.  QEMU runs pinned to host CPU slot 0 (main loop,
vCPU threads); vCPU 0 is placed there and vCPU 1 on slot 1
(irqhint-set-placement), so exactly one vCPU shares each host CPU.  The
host (irqhint.guest, "pin-iothread") pins io0's thread to slot 1, then
back to slot 0.  The guest (tests/guest/iothread-test.sh) reads each disk
with O_DIRECT and checks that the hint (query-irqhint and the driver's
table) names the vCPU sharing io0's host CPU, that the disk's completion
IRQ affinity follows, that its completions are counted on that CPU
(/proc/interrupts), and that all of it moves when io0 is re-pinned.
Slot 1 differs from the main loop's CPU, so a QEMU that saw the main loop
(not io0) raise the interrupt fails the first check.

Why vectors=2 on both devices: Linux gives virtio queues with a vector of
their own *managed* IRQs (virtio_pci requests per-queue vectors with
PCI_IRQ_AFFINITY): the kernel owns their affinity, and the irqhint driver
reports such an entry ("skipped:managed") instead of forcing it.  With
fewer MSI-X vectors than 1 + the queues, virtio_pci falls back to one
shared "virtioN-virtqueues" vector requested without affinity spreading:
an ordinary IRQ whose affinity the driver applies.  The guest checks that
the IRQ is unmanaged before anything else.
"""

import os

from irqhint_linux import ROOT, LinuxGuestTest, add_checks, prepare

CHECKS = [
    ("blk-hint", "virtio-blk: the hint names the vCPU on the iothread's host CPU"),
    ("blk-irq", "virtio-blk: completion IRQ affinity and delivery follow the hint"),
    ("scsi-hint", "virtio-scsi: the hint names the vCPU on the iothread's host CPU"),
    ("scsi-irq", "virtio-scsi: completion IRQ affinity and delivery follow the hint"),
    ("blk-move", "virtio-blk: re-pinning the iothread moves hint, IRQ and completions"),
    ("scsi-move", "virtio-scsi: re-pinning the iothread moves hint, IRQ and completions"),
]


class IrqhintIothread(LinuxGuestTest):

    def iothread_boot(self):
        def run():
            work = self.build_file("tests", "functional", self.arch,
                                   f"{type(self).__name__}-boot")
            kernel, initrd = prepare(work, "6.1",
                                     os.path.join(ROOT, "tests", "guest", "iothread-test.sh"),
                                     extra_modules="virtio_scsi sd_mod")
            images = {}
            for name in ("blk", "scsi"):
                images[name] = os.path.join(work, f"{name}.img")
                with open(images[name], "wb") as f:
                    f.truncate(16 << 20)
            return self.boot(work, kernel, initrd, [
                "-device", "irqhint",
                "-object", "iothread,id=io0",
                "-blockdev", f"driver=file,filename={images['blk']},node-name=blk",
                "-device", "virtio-blk-pci,drive=blk,iothread=io0,num-queues=2,"
                "vectors=2,addr=04.0",
                "-blockdev", f"driver=file,filename={images['scsi']},node-name=scsi",
                "-device", "virtio-scsi-pci,id=scsi0,iothread=io0,num_queues=2,"
                "vectors=2,addr=05.0",
                "-device", "scsi-hd,drive=scsi,bus=scsi0.0"],
                append=["irqhint.load=0"], smp=2, timeout=110)
        self.need_cpus(2, "the iothread and the main loop apart")
        return self.shared("boot", run)


add_checks(IrqhintIothread, "61", "iothread_boot", CHECKS)

if __name__ == '__main__':
    LinuxGuestTest.main()
