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

Guest memory cannot be written directly: generic-fuzz fills what a device
reads from RAM with the current DMA patterns (OP_ADD_DMA_PATTERN), in
turn, one pattern per read.  The amd-iommu seeds use that to hand the IOMMU
its device table entry, IRTE and commands: the patterns are added in the
order in which the IOMMU reads them.

Usage: fuzz-seeds.py TARGET DIR    (TARGET: irqhint, gim, amd-iommu)
"""

import os
import struct
import sys

OP_WRITE, OP_PCI_WRITE, OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS = 3, 5, 7, 8
OP_CLOCK_STEP = 9
B, W, L, Q = 0, 1, 2, 3
LAPIC_MSI = 0xfee00000


def mmio(region, off, size, val):
    return bytes([OP_WRITE]) + struct.pack('<BBxxIQ', size, region, off, val)


def pci(dev, off, size, val):
    return bytes([OP_PCI_WRITE]) + struct.pack('<BBBxI', size, dev, off, val)


def dma_pattern(data, index=0, stride=0):
    """The next RAM read by a device is filled with @data, repeated."""
    assert b'FUZZ' not in data
    return bytes([OP_ADD_DMA_PATTERN, index, stride]) + data


def clear_dma_patterns():
    return bytes([OP_CLEAR_DMA_PATTERNS])


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


# AMD IOMMU (hw/i386/amd_iommu.c, amd_iommu-ga.c, docs/specs/amd-iommu-ga.rst)
AMDVI_DEVTAB, AMDVI_CMDBUF, AMDVI_EVTLOG, AMDVI_CONTROL = 0x0, 0x8, 0x10, 0x18
AMDVI_GA_BASE, AMDVI_GA_TAIL_ADDR = 0xe0, 0xe8
AMDVI_CMD_HEAD, AMDVI_CMD_TAIL, AMDVI_EVT_HEAD, AMDVI_EVT_TAIL = \
    0x2000, 0x2008, 0x2010, 0x2018
AMDVI_STATUS, AMDVI_GA_HEAD, AMDVI_GA_TAIL = 0x2020, 0x2040, 0x2048
CTL_IOMMU_EN, CTL_EVTLOG_EN, CTL_EVTINT_EN, CTL_COMWAITINT_EN = 1, 4, 8, 0x10
CTL_CMDBUF_EN, CTL_GA_EN, CTL_GAM_VAPIC = 1 << 12, 1 << 17, 1 << 25
CTL_GALOG_EN, CTL_GAINT_EN = 1 << 28, 1 << 29
CTL_ALL = (CTL_IOMMU_EN | CTL_EVTLOG_EN | CTL_EVTINT_EN | CTL_COMWAITINT_EN |
           CTL_CMDBUF_EN | CTL_GA_EN | CTL_GAM_VAPIC | CTL_GALOG_EN |
           CTL_GAINT_EN)
# Guest memory (-m 512M); NOT_RAM is unassigned.
DEVTAB, IRT, PAGE, GALOG, GATAIL = 0x100000, 0x200000, 0x300000, 0x400000, 0x401000
EVTLOG, CMDBUF, IOMMU_MSI_RAM = 0x500000, 0x600000, 0x700000
NOT_RAM = 0x40000000


def q(*vals):
    return struct.pack('<%dQ' % len(vals), *vals)


def dte(irt, intctl=2, int_tab_len=9):
    """Device table entry: valid, no translation, IV, IntCtl, IRT root."""
    return q(1, 0, irt | (int_tab_len << 1) | 1 | (intctl << 60), 0)


def irte_ga(vector, dest=0, tag=0x1234, page=PAGE, guest=True,
            running=False, log_intr=False):
    """128-bit IRTE; guest mode: GARootPtr = @page, GATag = @tag."""
    lo = 1 | ((dest & 0xffffff) << 8)
    if guest:
        lo |= (1 << 7) | (tag << 32)
        lo |= (1 << 6) if running else 0
        lo |= (1 << 2) if log_intr else 0
        hi = vector | (page & 0x000ffffffffff000) | ((dest >> 24) << 56)
    else:
        hi = vector
    return q(lo, hi)


def irte_legacy(vector, dest=0):
    """32-bit IRTE (GAEn=0): RemapEn, fixed, physical."""
    return struct.pack('<I', 1 | (dest << 8) | (vector << 16))


def cmd(opcode, lo=0, hi=0):
    return q(lo | (opcode << 60), hi)


def amd_iommu():
    # -M q35 -device amd-iommu,intremap=on,ga-vapic=on -device edu,addr=04.0
    # PCI devices: 0 the IOMMU (MSI capability at 0x60), 1 edu (devid
    # 0x20, MSI at 0x40).  Regions: 0 edu's BAR, 1 the IOMMU's registers.
    iommu_pci, edu_pci, edu, regs = 0, 1, 0, 1

    def reg(off, val):
        return mmio(regs, off, Q, val)

    def iommu_msi(addr, data=0x35):
        return [pci(iommu_pci, 0x64, L, addr), pci(iommu_pci, 0x68, L, 0),
                pci(iommu_pci, 0x6c, W, data), pci(iommu_pci, 0x62, W, 0x81)]

    def setup(control=CTL_ALL, ga_head=0, evt_head=0):
        # The IOMMU's MSI to the LAPIC, edu's MSI (data = IRTE index 3)
        # into the IOMMU; event log, command buffer and GA log at their
        # places, then the control register.  The event log and command
        # buffer are set before anything can log an event or run a command.
        return (iommu_msi(LAPIC_MSI) + edu_msi(edu_pci, LAPIC_MSI, 3) +
                [reg(AMDVI_EVTLOG, EVTLOG | (8 << 56)),
                 reg(AMDVI_EVT_HEAD, evt_head), reg(AMDVI_EVT_TAIL, 0),
                 reg(AMDVI_CMDBUF, CMDBUF | (8 << 56)),
                 reg(AMDVI_GA_BASE, GALOG | (8 << 56)),
                 reg(AMDVI_GA_TAIL_ADDR, GATAIL),
                 reg(AMDVI_GA_HEAD, ga_head), reg(AMDVI_GA_TAIL, 0),
                 reg(AMDVI_DEVTAB, DEVTAB),
                 reg(AMDVI_CONTROL, control)])

    clock = [bytes([OP_CLOCK_STEP])] * 10     # edu's DMA timer: 100 ms

    def plant(entries):
        # The IOMMU reads a 128-bit IRTE with one atomic load from RAM,
        # which generic-fuzz's DMA patterns do not fill.  So, before the
        # IOMMU is enabled (no translation), edu reads the IRTE table with
        # its DMA: the pattern fills it and it stays in RAM.
        # @entries: {index: 16 bytes}.
        n = max(entries) + 1
        table = b''.join(entries.get(i, bytes(16)) for i in range(n))
        return [clear_dma_patterns(), dma_pattern(table),
                mmio(edu, 0x80, Q, IRT), mmio(edu, 0x88, Q, 0x40000),
                mmio(edu, 0x90, Q, len(table)), mmio(edu, 0x98, Q, 1)] + \
            clock + [clear_dma_patterns()]

    def msi(n=1, legacy=None):
        # An edu MSI: the IOMMU reads the DTE (a DMA pattern), then the
        # IRTE: a planted 128-bit one, or a 32-bit one (a DMA pattern).
        return [clear_dma_patterns(), dma_pattern(dte(IRT))] + \
            ([dma_pattern(legacy)] if legacy else []) + \
            [mmio(edu, 0x60, L, 1)] * n

    def commands(*cmds):
        # The IOMMU reads one command per pattern, in turn.
        return [clear_dma_patterns()] + [dma_pattern(c) for c in cmds] + \
            [reg(AMDVI_CMD_TAIL, 16 * len(cmds))]

    # edu's DMA (RAM -> edu, then its MSI) translated by a one-level page
    # table: the IOMMU reads the DTE, the PTE, then edu reads RAM.
    dma = [clear_dma_patterns(),
           dma_pattern(q(1 | 2 | (1 << 9) | 0x900000 | (3 << 61), 0,
                         IRT | (9 << 1) | 1 | (2 << 60), 0)),
           dma_pattern(q(1 | 0xa00000 | (3 << 61))),
           dma_pattern(b'\xa5' * 8),
           mmio(edu, 0x80, Q, 0x1000), mmio(edu, 0x88, Q, 0x40000),
           mmio(edu, 0x90, Q, 0x80), mmio(edu, 0x98, Q, 1 | 4)] + clock

    seeds = {
        'amd-iommu-setup': setup(),
        'amd-iommu-edu-dma': setup() + dma,
        'amd-iommu-remap':
            plant({3: irte_ga(0x40, guest=False)}) + setup() + msi(),
        'amd-iommu-ga-running':
            plant({3: irte_ga(0x41, dest=0, running=True)}) + setup() + msi(2),
        'amd-iommu-ga-log':
            plant({3: irte_ga(0x42, running=False, log_intr=True)}) +
            setup() + msi(3) +
            [reg(AMDVI_GA_HEAD, 24), reg(AMDVI_STATUS, 1 << 10)],
        # Head just past the tail: the first record overflows the log;
        # Linux's restart: GALogEn off, overflow cleared, GALogEn on.
        'amd-iommu-ga-overflow':
            plant({3: irte_ga(0x43, log_intr=True)}) + setup(ga_head=8) +
            msi(2) +
            [reg(AMDVI_CONTROL, CTL_ALL & ~CTL_GALOG_EN),
             reg(AMDVI_STATUS, 1 << 9), reg(AMDVI_CONTROL, CTL_ALL)] + msi(),
        # Backing page and IRTE table outside RAM: events in the event log.
        'amd-iommu-ga-bad-page':
            plant({3: irte_ga(0x44, page=NOT_RAM, running=True)}) + setup() +
            msi(),
        'amd-iommu-ga-bad-irt':
            setup() + [clear_dma_patterns(), dma_pattern(dte(NOT_RAM)),
                       mmio(edu, 0x60, L, 1)],
        # Guest mode not enabled (GAMEn=0): the IRTE is refused.
        'amd-iommu-ga-off':
            plant({3: irte_ga(0x45, running=True)}) +
            setup(CTL_ALL & ~CTL_GAM_VAPIC) + msi(),
        # GAEn=0: 32-bit IRTEs.
        'amd-iommu-legacy':
            setup(CTL_ALL & ~(CTL_GA_EN | CTL_GAM_VAPIC)) +
            msi(legacy=irte_legacy(0x46)),
        # Event log full: head one entry past the tail.
        'amd-iommu-evtlog-full':
            plant({3: irte_ga(0x47, page=NOT_RAM)}) + setup(evt_head=16) +
            msi(2) + [reg(AMDVI_STATUS, 3)],
        # COMPLETION_WAIT (store to RAM + interrupt),
        # INVALIDATE_INTERRUPT_TABLE, INVALIDATE_ALL, an illegal opcode.
        'amd-iommu-cmdbuf':
            setup() + commands(cmd(1, IOMMU_MSI_RAM | 3, 0x5a5a),
                               cmd(5), cmd(8), cmd(0xf, 0x123, 0x456)) +
            [reg(AMDVI_STATUS, 1 << 2)],
        # INVALIDATE_INTERRUPT_TABLE with reserved bits, COMPLETION_WAIT
        # storing outside RAM; then the head moved by software.
        'amd-iommu-cmdbuf-errors':
            setup() + commands(cmd(5, 0xffff0000), cmd(1, NOT_RAM | 1, 7),
                               cmd(0)) +
            [reg(AMDVI_CMD_HEAD, 0x10)],
        # The IOMMU's own MSI into RAM, a guest-mode delivery with a GA
        # log interrupt (IRTE 3), an invalidation, then a delivery to a
        # running vCPU (IRTE 4).
        'amd-iommu-ga-log-cmd':
            plant({3: irte_ga(0x48, log_intr=True),
                   4: irte_ga(0x49, running=True)}) +
            setup() + iommu_msi(IOMMU_MSI_RAM) + msi() + commands(cmd(5)) +
            [pci(edu_pci, 0x4c, W, 4)] + msi(),
    }
    return seeds


def main():
    target, out = sys.argv[1], sys.argv[2]
    seeds = {'irqhint': irqhint, 'gim': gim,
             'amd-iommu': amd_iommu}[target]()
    os.makedirs(out, exist_ok=True)
    for name, cmds in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(b'FUZZ'.join(cmds))


if __name__ == '__main__':
    main()
