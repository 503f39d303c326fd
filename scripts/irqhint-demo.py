#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""irqhint demo: a real device raises MSIs, irqhint publishes hints.

QEMU runs with -device irqhint and the 'edu' PCI device.  Acting as the
guest over the qtest protocol, this script programs edu's MSI capability
and makes edu raise interrupts; irqhint observes each MSI, finds the vCPUs
that run on the host CPU that raised it, and publishes the hint.  Over QMP
it then shows the hint table, changes the vCPU placement as a management
layer would, and shows the hint follow.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

EDU_DEVFN = 5 << 3
EDU_BAR = 0xfe000000


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
             "-qmp", "unix:" + qmp_path] + args)
        for s in listeners:
            s.settimeout(30)
        self.qtest = listeners[0].accept()[0].makefile("rw")
        self.qmp = listeners[1].accept()[0].makefile("rw")
        json.loads(self.qmp.readline())          # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.qmp.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.qmp.flush()
        while True:
            rsp = json.loads(self.qmp.readline())
            if "event" in rsp:
                continue
            if "error" in rsp:
                raise RuntimeError(f"{name}: {rsp['error']['desc']}")
            return rsp["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

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
        val = self.qt(f"inl 0xcfc")
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


def show(vm, title):
    print(f"\n=== {title}")
    print(vm.hmp("info irqhint").rstrip())


def wait_for(vm, pred):
    for _ in range(500):
        info = vm.cmd("query-irqhint")
        if pred(info):
            return info
        time.sleep(0.01)
    raise RuntimeError("irqhint did not publish in time")


def main():
    binary = sys.argv[1]
    host_cpus = os.cpu_count()
    print("irqhint demo: QEMU with -device irqhint, -smp 4, and the edu "
          "PCI device (00:05.0) raising MSIs")
    vm = Qemu(binary, ["-smp", "4", "-device", "irqhint",
                       "-device", "edu,addr=05.0"])
    try:
        show(vm, "before any interrupt: the vCPU map, no sources")
        edu_enable_msi(vm)
        for _ in range(5):
            vm.qt(f"writel {EDU_BAR + 0x60:#x} 0x1")  # raise interrupt
            vm.qt(f"writel {EDU_BAR + 0x64:#x} 0x1")  # acknowledge it
        info = wait_for(vm, lambda i: i["sources"] and
                        i["sources"][0]["events"] >= 5)
        src = info["sources"][0]
        show(vm, f"edu raised 5 MSIs from host CPU {src['host-cpu']}")

        raiser = src["host-cpu"]
        other = (raiser + 1) % host_cpus
        gen = info["generation"]
        print(f"\n>>> management pins vCPU 2 to host CPU {raiser} "
              f"and the others to host CPU {other}")
        for vcpu in range(4):
            vm.cmd("irqhint-set-placement", **{
                "cpu-index": vcpu,
                "host-cpu": raiser if vcpu == 2 else other})
        vm.qt(f"writel {EDU_BAR + 0x60:#x} 0x1")
        vm.qt(f"writel {EDU_BAR + 0x64:#x} 0x1")
        info = wait_for(vm, lambda i: i["generation"] > gen)
        show(vm, "the hint follows the placement")
        hint = info["sources"][0]["hint"]
        print(f"\nguest-visible table: generation {info['generation']}, "
              f"{info['entries']} entr{'y' if info['entries'] == 1 else 'ies'}"
              f"; edu's MSI 0 -> APIC IDs {hint} "
              f"({info['sources'][0]['reason']})")
    finally:
        vm.quit()


if __name__ == "__main__":
    main()
