# SPDX-License-Identifier: GPL-2.0-or-later
"""Python shared by irqhint's scripts, tests and benchmarks.

It talks to QEMU through QEMU's own Python packages (qemu.qmp,
qemu.machine), which come from the fetched QEMU source: run with
PYTHONPATH=<this directory's parent>:<QEMU source>/python, as the
Makefile does.

    irqhint.cli       command-line helpers (argparse)
    irqhint.guest     a Linux guest on QEMUMachine with a control channel
                      (the guest tests, the demo, bench/)
    irqhint.l1        an L1 hypervisor on QEMUMachine: console, bounded QMP
    irqhint.avic      the AVIC test's host side (L1 KVM + avic-vmm)
    irqhint.iommu_ga  the AMD IOMMU guest-mode test's host side
    irqhint.qtest     QEMU under -accel qtest: play the guest and the
                      management layer (demo, benchmarks)
"""
