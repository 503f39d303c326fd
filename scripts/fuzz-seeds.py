#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs for `make fuzz`: generic-fuzz inputs that set a device up.

Without them the fuzzer spends its minutes on register decoding and never
gets a device into a working state: in 4 minutes it never made an MSI
reach irqhint's observer, and never enabled GIM with a valid table (no
output was ever posted).  Each seed is a short program in generic-fuzz's
input format (tests/qtest/fuzz/generic_fuzz.c: an opcode byte, its
arguments, "FUZZ" between commands); libFuzzer mutates from there.

generic-fuzz maps the BARs itself, and an MMIO command names its region by
an index into the fuzzed regions of the current memory map; the indices
below were read from a QTEST_LOG run of each configuration of
scripts/fuzz.sh.  If a configuration changes, a seed merely starts
somewhere less useful.

Usage: fuzz-seeds.py TARGET DIR    (TARGET: irqhint, gim)
"""

import os
import struct
import sys

OP_WRITE, OP_PCI_WRITE = 3, 5
B, W, L = 0, 1, 2
LAPIC_MSI = 0xfee00000


def mmio(region, off, size, val):
    return bytes([OP_WRITE]) + struct.pack('<BBxxIQ', size, region, off, val)


def pci(dev, off, size, val):
    return bytes([OP_PCI_WRITE]) + struct.pack('<BBBxI', size, dev, off, val)


def edu_msi(dev, addr, data):
    """edu's MSI capability is at 0x40 (64-bit address)."""
    return [pci(dev, 0x44, L, addr), pci(dev, 0x48, L, 0),
            pci(dev, 0x4c, W, data), pci(dev, 0x42, W, 0x81)]


def irqhint():
    # -device irqhint -device virtio-rng-pci -device edu -device edu
    # PCI devices: 0 irqhint, 1 virtio-rng, 2 edu@05.0, 3 edu@04.0.
    # Regions: 0 irqhint MSI-X table, 2 irqhint common cfg, 13 edu@04.0.
    setup = edu_msi(2, LAPIC_MSI, 0x30) + edu_msi(3, LAPIC_MSI, 0x31)
    # irqhint's config vector 0 -> the LAPIC; MSI-X on (cap 0x98); DRIVER_OK
    setup += [mmio(0, 0x0, L, LAPIC_MSI), mmio(0, 0x4, L, 0),
              mmio(0, 0x8, L, 0x32), mmio(0, 0xc, L, 0),
              pci(0, 0x9a, W, 0x8000),
              mmio(2, 0x10, W, 0), mmio(2, 0x14, B, 0x7)]
    raise_ = [mmio(13, 0x60, L, 1)]         # edu@04.0: an MSI, a new source
    return {'irqhint-setup': setup,
            'irqhint-msi': setup + raise_,
            'irqhint-msi-twice': setup + raise_ + [mmio(13, 0x64, L, 1)] + raise_}


def gim():
    # -device gim -device edu
    # PCI devices: 0 gim, 1 edu.  Regions: 0 registers, 1 doorbell
    # (0xe0002000), 2 MSI-X table, 4 edu (docs/specs/gim.rst).
    regs, door, table, edu = 0, 1, 2, 4
    setup = []
    for i in range(5):                       # 4 interfaces + the log: LAPIC
        setup += [mmio(table, 16 * i, L, LAPIC_MSI), mmio(table, 16 * i + 8, L, 0x40 + i),
                  mmio(table, 16 * i + 12, L, 0)]
    setup += [pci(0, 0x42, W, 0x8000)]      # MSI-X on (cap 0x40)
    # The spec's worked example: table at 16 MiB, 2 guests x 4 dests,
    # a 64-record log; route 7 delivers to guest 1 dest 2, vector 0x41.
    setup += [mmio(regs, 0x10, L, 0x1000000), mmio(regs, 0x14, L, 0),
              mmio(regs, 0x18, L, 2), mmio(regs, 0x1c, L, 4),
              mmio(regs, 0x20, L, 0x1002000), mmio(regs, 0x24, L, 0),
              mmio(regs, 0x28, L, 64), mmio(regs, 0x08, L, 1),
              mmio(regs, 0x1074, L, 0x00020001), mmio(regs, 0x1078, L, 0x41),
              mmio(regs, 0x1070, L, 1)]
    post = [mmio(door, 0, L, 7)]
    run = [mmio(regs, 0x400, L, 0x80020001)]     # RUNNING(0) = guest 1 dest 2
    edu_in = edu_msi(1, 0xe0002000, 7) + [mmio(edu, 0x60, L, 1)]
    return {'gim-setup': setup,
            'gim-logged': setup + post,
            'gim-delivered': setup + post + run + post + [mmio(regs, 0x40c, L, 1)],
            'gim-edu-msi': setup + run + edu_in}


def main():
    target, out = sys.argv[1], sys.argv[2]
    seeds = {'irqhint': irqhint, 'gim': gim}[target]()
    os.makedirs(out, exist_ok=True)
    for name, cmds in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(b'FUZZ'.join(cmds))


if __name__ == '__main__':
    main()
