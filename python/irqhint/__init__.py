# SPDX-License-Identifier: GPL-2.0-or-later
"""Python shared by irqhint's scripts, tests and benchmarks.

It talks to QEMU through QEMU's own Python packages (qemu.qmp,
qemu.machine), which come from the fetched QEMU source: run with
PYTHONPATH=<this directory's parent>:<QEMU source>/python, as the
Makefile does.

    irqhint.cli       command-line helpers (argparse)
    irqhint.guest     a Linux guest on QEMUMachine with a control channel
                      (the guest tests, the demo, bench/)
    irqhint.monitor   QMP to a QEMU that listens on a unix socket
    irqhint.qtest     QEMU under -accel qtest: play the guest and the
                      management layer (demo, benchmarks)
"""
