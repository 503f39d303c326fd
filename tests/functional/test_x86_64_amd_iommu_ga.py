#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AMD IOMMU's guest virtual APIC mode end to end (issue 14):
Debian's 6.1 and 6.12 kernels as L1 (kvm_amd avic=1, vfio-pci) under
-device amd-iommu,intremap=on,ga-vapic=on assign edu to an L2 through
VFIO and a KVM irqfd (tests/guest/avic/l1-iommu.sh, avic-vmm --vfio,
built by meson).  Each boot is irqhint.iommu_ga (python/irqhint/
iommu_ga.py, whose header says what each check checks), one per kernel,
shared by that boot's test methods.  IOMMU_GA_N (environment) is the
interrupts per phase (default 1000); IOMMU_GA_SERIES narrows the kernels
(default "6.1 6.12"; the others' tests are skipped).
"""

import os
import subprocess

from irqhint import iommu_ga
from irqhint_l1 import L1KvmTest, add_checks
from irqhint_linux import ROOT

CHECKS = [
    ("remapping", "amd_iommu: interrupt remapping"),
    ("guest-vapic", "amd_iommu: guest virtual APIC mode"),
    ("kvm-avic", "kvm_amd: AVIC"),
    ("vfio-msis", "edu assigned to L2 by VFIO + irqfd: N MSIs to a running and N "
     "to a halted vCPU, each once at the right vector"),
    ("posted-rang", "the IOMMU posted and rang the running vCPU (msi-run)"),
    ("ga-log", "the halted vCPU's interrupts went through the GA log"),
    ("few-exits", "no #VMEXIT per interrupt on the running L2 vCPU's CPU"),
    ("msi-run-no-exits", "msi-run: 0 #VMEXITs to L1 per interrupt on the running "
     "L2 vCPU's CPU (not INTR)"),
]


class AmdIommuGa(L1KvmTest):

    def ga_boot(self, series):
        if series not in os.environ.get("IOMMU_GA_SERIES", "6.1 6.12").split():
            self.skipTest(f"{series} not in IOMMU_GA_SERIES")

        def run():
            work = self.work(series)
            os.makedirs(work, exist_ok=True)
            kernel = subprocess.run(
                [os.path.join(ROOT, "scripts", "guest-kernel.sh"), "--series", series,
                 "--get", "vmlinuz"], capture_output=True, text=True, check=True,
                timeout=1200).stdout.strip()
            initrd = os.path.join(work, "initrd.cpio.gz")
            if os.path.exists(initrd):
                os.unlink(initrd)
            with open(os.path.join(work, "initrd.log"), "w") as log:
                iommu_ga.build_initrd(initrd, series, self.vmm(), log)
            r = iommu_ga.Run(iommu_ga.options(
                qemu=self.qemu_bin, kernel=kernel, initrd=initrd, dir=work,
                n=int(os.environ.get("IOMMU_GA_N", "1000")), timeout=280,
                label=f"amd-iommu-ga {series}"), out=self.log_line)
            r.boot(self.get_vm(name=f"iommu-{series}"))
            r.verdict()
            return r
        return self.shared(series, run)

    def boot_61(self):
        return self.ga_boot("6.1")

    def boot_612(self):
        return self.ga_boot("6.12")


add_checks(AmdIommuGa, "61", "boot_61", CHECKS, "amd-iommu-ga 6.1")
add_checks(AmdIommuGa, "612", "boot_612", CHECKS, "amd-iommu-ga 6.12")

if __name__ == '__main__':
    L1KvmTest.main()
