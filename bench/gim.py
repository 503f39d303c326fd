#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: posting an interrupt through GIM vs a plain MSI to the LAPIC.

QEMU runs with -device gim.  Acting as the L1 hypervisor over the qtest
protocol, this script puts GIM's pending table and log in guest RAM,
routes interrupt 0 to (guest 0, dest 0, vector 0x30), schedules that
guest on interface 0 and enables MSI-X, so each post sets the IRR bit,
fills a list register and raises the interface's doorbell MSI.  Then:

- x-gim-bench posts COUNT messages through GIM and COUNT plain MSIs,
  alternating rounds in one process, best round of each (goal: ratio
  <= 1.5), once with the interface's doorbell rung on every post (a vCPU
  that acks at once) and once with it left pending (not rung again);
- x-gim-stress posts 10^7 messages with random routing, checking after
  every post that nothing accepted was lost (goal: 0 lost).
"""

import sys

from irqhint.qtest import PCI_CAP_ID_MSIX, Qemu

GIM_DEVFN = 4 << 3
REGS, DOORBELL, MSIX = 0xfe000000, 0xfe002000, 0xfe003000
TABLE, LOG = 0x200000, 0x300000


def setup(vm):
    vm.cfg_write(GIM_DEVFN, 0x10, REGS)
    vm.cfg_write(GIM_DEVFN, 0x18, DOORBELL)
    vm.cfg_write(GIM_DEVFN, 0x20, MSIX)
    vm.cfg_write(GIM_DEVFN, 0x04, 0x6)               # memory + bus master
    cap = vm.find_cap(GIM_DEVFN, PCI_CAP_ID_MSIX)
    assert cap, "gim has no MSI-X capability"
    table_off = vm.cfg_read(GIM_DEVFN, cap + 4, 4) & ~7
    entry = MSIX + table_off                          # vector 0
    vm.qt(f"writel {entry:#x} 0xfee00000")
    vm.qt(f"writel {entry + 4:#x} 0x0")
    vm.qt(f"writel {entry + 8:#x} 0x41")
    vm.qt(f"writel {entry + 12:#x} 0x0")              # unmasked
    ctrl = vm.cfg_read(GIM_DEVFN, cap, 4)
    vm.cfg_write(GIM_DEVFN, cap, ctrl | (1 << 31))    # MSI-X enable

    def reg(off, val):
        vm.qt(f"writel {REGS + off:#x} {val:#x}")
    reg(0x010, TABLE)
    reg(0x014, 0)
    reg(0x018, 4)               # guests
    reg(0x01c, 8)               # dests
    reg(0x020, LOG)
    reg(0x024, 0)
    reg(0x028, 4096)            # log records
    reg(0x1000, 1)              # route 0: DELIVER
    reg(0x1004, 0)              # guest 0, dest 0
    reg(0x1008, 0x30)           # vector 0x30
    reg(0x008, 1)               # enable
    reg(0x400, 1 << 31)         # interface 0 runs guest 0 dest 0
    info = vm.cmd("query-gim")
    assert info["enabled"], info


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    vm = Qemu(binary, ["-m", "64", "-device", "gim,addr=04.0"])
    try:
        setup(vm)
        for ring, what in ((True, "doorbell rung on every post (vCPU acks "
                                  "at once)"),
                           (False, "doorbell pending, not rung again "
                                   "(posted-interrupt ON bit)")):
            ratios = []
            for run in range(3):
                r = vm.cmd("x-gim-bench", irq=0, count=count, ring=ring)
                ratios.append(r["gim-ns"] / r["msi-ns"])
                print(f"  run {run}: plain MSI {r['msi-ns']:.1f} ns, through "
                      f"GIM {r['gim-ns']:.1f} ns, ratio {ratios[-1]:.3f}")
            median = sorted(ratios)[1]
            print(f"gim-post, {what}: GIM/MSI ratio {median:.3f} "
                  f"({'meets' if median <= 1.5 else 'MISSES'} the <= 1.5 "
                  f"goal)")

        s = vm.cmd("x-gim-stress", count=10000000, seed=42)
        print(f"gim-stress: {s['inputs']} posts with random routing: "
              f"{s['outputs']} outputs, {s['dropped']} dropped, "
              f"{s['coalesced']} coalesced, {s['delivered']} delivered, "
              f"{s['logged']} logged, {s['log-lost']} not logged (pending "
              f"in the table), {s['lost']} lost "
              f"({'meets' if s['lost'] == 0 else 'MISSES'} the 0 lost goal)")
    finally:
        vm.quit()


if __name__ == "__main__":
    main()
