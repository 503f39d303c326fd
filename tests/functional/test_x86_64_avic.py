#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""AVIC under TCG driven by an unmodified Linux KVM (issue 13): Debian's
6.1 and 6.12 kernels as the L1 hypervisor (kvm_amd avic=1) under our
QEMU, -cpu max,svm=on,avic=on and -cpu max,svm=on, with our small VMM
(tests/guest/avic/avic-vmm.c, built by meson) running L2 payloads in it.
Each boot is irqhint.avic (python/irqhint/avic.py: it reads QEMU's AVIC
counters, query-avic, around each payload; its header says what each
check checks), one per (kernel, mode), shared by that boot's test
methods.  Per payload 20 s at most (a healthy one takes 5 at most); a
boot gives up on an L1 that makes no progress for 60 s, so that a broken
AVIC costs minutes, not the whole check.

A last boot runs nested SVM under -icount (no AVIC): an interrupt L1 KVM
injects with EVENTINJ is delivered once (QEMU left the vector as a
pending exception and delivered it again when -icount's budget ended the
execution loop).

AVIC_SERIES and AVIC_MODES (environment) narrow the boots (default "6.1
6.12" and "on off"; the -icount boot is a 6.1 one); the others' tests
are skipped.
"""

import os

from irqhint import avic
from irqhint_l1 import L1KvmTest, add_checks

PAYLOADS = [(f"payload-{p}", f"payload {p}") for p in avic.ALL_PAYLOADS]
BOOTED = [("l1-booted", "L1 booted and loaded kvm_amd")]
CHECKS_ON = BOOTED + [
    ("kvm-avic", "kvm_amd avic=1 reports AVIC enabled"),
    ("not-inhibited", "KVM's VMs are not AVIC-inhibited"),
] + PAYLOADS + [
    ("query-avic", "QEMU counts AVIC over QMP (query-avic)"),
    ("avic-vmruns", "avic-vmruns grow in every payload"),
    ("ping-pong-no-exits", avic.PING_PONG_NO_EXITS),
    ("ipi-halted-incomplete", avic.IPI_HALTED),
    ("msi-doorbell", avic.MSI_DOORBELL),
]
CHECKS_OFF = BOOTED + [
    ("kvm-no-avic", "kvm_amd runs without AVIC"),
] + PAYLOADS + [
    ("query-avic", "QEMU counts AVIC over QMP (query-avic)"),
    ("ping-pong-exits", avic.PING_PONG_EXITS),
    ("no-avic-vmruns", "no VMRUN has AVIC enabled"),
]
ICOUNT_PAYLOADS = ["ping-pong:300", "self-ipi", "tpr"]
CHECKS_ICOUNT = BOOTED + [(f"payload-{p.split(':')[0]}", f"payload {p.split(':')[0]}")
                          for p in ICOUNT_PAYLOADS]


class AvicL1Kvm(L1KvmTest):

    def initrd(self, series):
        """The L1 initramfs of SERIES with this build's VMM (once)."""
        def run():
            work = self.work(f"initrd-{series}")
            os.makedirs(work, exist_ok=True)
            path = os.path.join(work, "initrd.cpio.gz")
            if os.path.exists(path):
                os.unlink(path)
            with open(os.path.join(work, "build.log"), "w") as log:
                avic.build_initrd(path, series, self.vmm(), log)
            return path
        return self.shared(("initrd", series), run)

    def avic_boot(self, series, mode, icount=False):
        name = f"{series}-icount" if icount else f"{series}-avic-{mode}"
        if series not in os.environ.get("AVIC_SERIES", "6.1 6.12").split() or \
                (not icount and mode not in os.environ.get("AVIC_MODES", "on off").split()):
            self.skipTest(f"{name} not in AVIC_SERIES/AVIC_MODES")

        def run():
            work = self.work(name)
            kw = {}
            if icount:
                kw = {"icount": True, "payloads": ",".join(ICOUNT_PAYLOADS),
                      "vmm_timeout": 60, "label": f"avic {series} -icount"}
            opts = avic.options(qemu=self.qemu_bin, series=series, avic=mode, dir=work,
                                initrd=self.initrd(series), vmm=self.vmm(),
                                timeout=230, **dict({"vmm_timeout": 20,
                                                     "label": f"avic {series} avic={mode}"},
                                                    **kw))
            r = avic.Run(opts, out=self.log_line)
            r.prepare()
            r.boot(self.get_vm(name=name))
            r.check()
            return r
        return self.shared(name, run)


for _series, _prefix in (("6.1", "61"), ("6.12", "612")):
    for _mode, _checks in (("on", CHECKS_ON), ("off", CHECKS_OFF)):
        _method = f"boot_{_prefix}_{_mode}"
        setattr(AvicL1Kvm, _method,
                lambda self, s=_series, m=_mode: self.avic_boot(s, m))
        add_checks(AvicL1Kvm, f"{_prefix}_avic_{_mode}", _method, _checks,
                   f"avic {_series} avic={_mode}")
AvicL1Kvm.boot_61_icount = lambda self: self.avic_boot("6.1", "off", icount=True)
add_checks(AvicL1Kvm, "61_icount", "boot_61_icount", CHECKS_ICOUNT, "avic 6.1 -icount")

if __name__ == '__main__':
    L1KvmTest.main()
