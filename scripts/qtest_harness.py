# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive QEMU as a guest would, over the qtest protocol, plus QMP.

Used by the demo and the benchmarks: QEMU runs with -accel qtest, and
this module plays the guest (port I/O, MMIO) on one socket and the
management layer (QMP) on another.
"""

import json
import os
import socket
import subprocess
import tempfile

EDU_DEVFN = 5 << 3
EDU_BAR = 0xfe000000


class QMPClient:
    """A QMP client over a connected file object (greeting read here)."""

    def __init__(self, f):
        self.f = f
        json.loads(self.f.readline())          # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError(f"{name}: QMP connection closed")
            rsp = json.loads(line)
            if "event" in rsp:
                continue
            if "error" in rsp:
                raise RuntimeError(f"{name}: {rsp['error']['desc']}")
            return rsp["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})


class Qemu:
    def __init__(self, binary, args):
        self.dir = tempfile.mkdtemp(prefix="irqhint-demo-")
        qtest_path = os.path.join(self.dir, "qtest.sock")
        qmp_path = os.path.join(self.dir, "qmp.sock")
        listeners = []
        for path in (qtest_path, qmp_path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            listeners.append(s)
        self.proc = subprocess.Popen(
            [binary, "-machine", "pc", "-accel", "qtest", "-display", "none",
             "-nodefaults", "-qtest", "unix:" + qtest_path,
             "-qtest-log", "/dev/null",
             "-qmp", "unix:" + qmp_path] + args)
        for s in listeners:
            s.settimeout(30)
        self.qtest = listeners[0].accept()[0].makefile("rw")
        self.monitor = QMPClient(listeners[1].accept()[0].makefile("rw"))

    def cmd(self, name, **args):
        return self.monitor.cmd(name, **args)

    def hmp(self, line):
        return self.monitor.hmp(line)

    def qt(self, line):
        self.qtest.write(line + "\n")
        self.qtest.flush()
        while True:
            rsp = self.qtest.readline().split()
            if rsp and rsp[0] == "OK":
                return int(rsp[1], 16) if len(rsp) > 1 else None
            if rsp and rsp[0] == "FAIL":
                raise RuntimeError(f"qtest: {line}")

    def pci_addr(self, devfn, off):
        return 0x80000000 | (devfn << 8) | (off & 0xfc)

    def cfg_read(self, devfn, off, size=4):
        self.qt(f"outl 0xcf8 {self.pci_addr(devfn, off):#x}")
        val = self.qt("inl 0xcfc")
        return (val >> ((off & 3) * 8)) & ((1 << (size * 8)) - 1)

    def cfg_write(self, devfn, off, val):
        self.qt(f"outl 0xcf8 {self.pci_addr(devfn, off):#x}")
        self.qt(f"outl 0xcfc {val:#x}")

    def quit(self):
        try:
            self.cmd("quit")
        except Exception:
            pass
        self.proc.wait(10)


def edu_raise(vm, n=1):
    """Make edu raise (and acknowledge) its interrupt @n times."""
    for _ in range(n):
        vm.qt(f"writel {EDU_BAR + 0x60:#x} 0x1")
        vm.qt(f"writel {EDU_BAR + 0x64:#x} 0x1")


def edu_enable_msi(vm):
    vm.cfg_write(EDU_DEVFN, 0x10, EDU_BAR)            # BAR0
    vm.cfg_write(EDU_DEVFN, 0x04, 0x6)                # memory + bus master
    cap = vm.cfg_read(EDU_DEVFN, 0x34, 1)
    while cap and vm.cfg_read(EDU_DEVFN, cap, 1) != 0x05:   # MSI
        cap = vm.cfg_read(EDU_DEVFN, cap + 1, 1)
    assert cap, "edu has no MSI capability"
    flags = vm.cfg_read(EDU_DEVFN, cap, 4) >> 16
    vm.cfg_write(EDU_DEVFN, cap + 4, 0xfee00000)      # to the LAPIC
    data_off = 12 if flags & 0x80 else 8
    if flags & 0x80:
        vm.cfg_write(EDU_DEVFN, cap + 8, 0)
    vm.cfg_write(EDU_DEVFN, cap + data_off, 0x41)     # vector 0x41
    vm.cfg_write(EDU_DEVFN, cap, (vm.cfg_read(EDU_DEVFN, cap, 4) |
                                  (1 << 16)))          # MSI enable
