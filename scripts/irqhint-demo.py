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

import os
import sys
import time

from irqhint.qtest import Qemu, edu_enable_msi, edu_raise


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
        edu_raise(vm, 5)
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
        edu_raise(vm)
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
