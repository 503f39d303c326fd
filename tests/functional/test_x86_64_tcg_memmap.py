#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Memory map changes under MMIO (patches/0024a, MTTCG): the test kernel
of tests/guest/svm (memmap.c) reads the HPET 10^6 times and sends itself
10^4 IPIs through the LAPIC's MMIO (ICR, then EOI) on 2 vCPUs of a q35
machine while the monitor rewrites Q35's PAM registers (each byte write
a memory map change).  Every read must return the HPET's value, every
IPI must be handled once, and QEMU must not abort in
iotlb_to_section().  Three boots; the soak runs more
(irqhint_svm.py race).
"""

import os

from irqhint.svm import memmap_race
from irqhint_svm import SvmKernelTest

RUNS = 3


class TcgMemmap(SvmKernelTest):

    def test_race(self):
        """memory map changes under MMIO: 3 boots, each 10^6 HPET reads
        (every one the HPET's value) and 10^4 self-IPIs with ICR and EOI
        through MMIO (each once), no abort"""
        for run in range(1, RUNS + 1):
            vm = self.get_vm(name=f"memmap-{run}")
            memmap_race(vm, self.kernel, os.path.join(self.outputdir, f"memmap-{run}.serial"),
                        1000, 100)


if __name__ == '__main__':
    SvmKernelTest.main()
