# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive QEMU as a guest would, over the qtest protocol, plus QMP.

QEMU runs with -accel qtest (qemu.machine.QEMUQtestMachine); this side
plays the guest (port I/O, MMIO, PCI configuration space) and the
management layer (QMP).  Used by the demo and the benchmarks.
"""

import tempfile

from qemu.machine import QEMUQtestMachine
from qemu.qmp import ExecuteError

EDU_DEVFN = 5 << 3
EDU_BAR = 0xfe000000
PCI_CAP_ID_MSI = 0x05
PCI_CAP_ID_MSIX = 0x11


class Qemu:
    def __init__(self, binary, args):
        self.vm = QEMUQtestMachine(
            binary, ["-machine", "pc", "-nodefaults",
                     "-qtest-log", "/dev/null"] + list(args),
            base_temp_dir=tempfile.gettempdir())
        self.vm.launch()

    def cmd(self, name, **args):
        try:
            return self.vm.cmd(name, args_dict=args)
        except ExecuteError as e:
            raise RuntimeError(f"{name}: {e}") from e

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def qt(self, line):
        rsp = self.vm.qtest(line).split()
        if not rsp or rsp[0] != "OK":
            raise RuntimeError(f"qtest: {line}: {' '.join(rsp)}")
        return int(rsp[1], 16) if len(rsp) > 1 else None

    def pci_addr(self, devfn, off):
        return 0x80000000 | (devfn << 8) | (off & 0xfc)

    def cfg_read(self, devfn, off, size=4):
        self.qt(f"outl 0xcf8 {self.pci_addr(devfn, off):#x}")
        val = self.qt("inl 0xcfc")
        return (val >> ((off & 3) * 8)) & ((1 << (size * 8)) - 1)

    def cfg_write(self, devfn, off, val):
        self.qt(f"outl 0xcf8 {self.pci_addr(devfn, off):#x}")
        self.qt(f"outl 0xcfc {val:#x}")

    def find_cap(self, devfn, cap_id):
        """The offset of DEVFN's capability CAP_ID, or 0."""
        cap = self.cfg_read(devfn, 0x34, 1)
        while cap and self.cfg_read(devfn, cap, 1) != cap_id:
            cap = self.cfg_read(devfn, cap + 1, 1)
        return cap

    def quit(self):
        self.vm.shutdown()


def edu_raise(vm, n=1):
    """Make edu raise (and acknowledge) its interrupt N times."""
    for _ in range(n):
        vm.qt(f"writel {EDU_BAR + 0x60:#x} 0x1")
        vm.qt(f"writel {EDU_BAR + 0x64:#x} 0x1")


def edu_enable_msi(vm):
    vm.cfg_write(EDU_DEVFN, 0x10, EDU_BAR)            # BAR0
    vm.cfg_write(EDU_DEVFN, 0x04, 0x6)                # memory + bus master
    cap = vm.find_cap(EDU_DEVFN, PCI_CAP_ID_MSI)
    assert cap, "edu has no MSI capability"
    flags = vm.cfg_read(EDU_DEVFN, cap, 4) >> 16
    vm.cfg_write(EDU_DEVFN, cap + 4, 0xfee00000)      # to the LAPIC
    data_off = 12 if flags & 0x80 else 8
    if flags & 0x80:
        vm.cfg_write(EDU_DEVFN, cap + 8, 0)
    vm.cfg_write(EDU_DEVFN, cap + data_off, 0x41)     # vector 0x41
    vm.cfg_write(EDU_DEVFN, cap, (vm.cfg_read(EDU_DEVFN, cap, 4) |
                                  (1 << 16)))          # MSI enable
