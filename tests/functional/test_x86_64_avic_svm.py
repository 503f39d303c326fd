#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""AVIC for nested SVM under TCG (-cpu ...,svm=on,avic=on): the bare-metal
L1 tests.

The test kernel of tests/guest/svm (avic.c, built by meson; see
irqhint_svm.py) is an L1 hypervisor that runs an L2 guest with AVIC and
nested paging and checks every architected exit (exit codes,
EXITINFO1/2, RIP) and the backing pages' contents (AMD APM Vol. 2
15.29).  Each boot test is one boot; the monitor tests check QEMU's
counters (query-avic, info avic), migrate a VM in the middle of an AVIC
guest, and feed hostile cpu/avic streams to a destination.
"""

import os
import time

from irqhint.svm import check, hmp, migrate_to_file, subsection, wait_pass, wait_serial
from irqhint_svm import SvmKernelTest, add_boots

ON = "qemu64,svm=on,npt=on,avic=on"
OFF = "qemu64,svm=on,npt=on"

BOOTS = [
    ("cpuid_on", "CPUID Fn8000_000A EDX[13] set with avic=on; the doorbell MSR "
     "for our own APIC ID outside guest mode is harmless", ON, "avic-cpuid avic=1"),
    ("cpuid_off", "CPUID Fn8000_000A EDX[13] clear without avic=on; doorbell MSR "
     "RDMSR and WRMSR #GP; VMCB AVIC enable ignored", OFF, "avic-cpuid avic=0"),
    ("vmrun", "VMRUN: bad AVIC setups (no nested paging; backing page beyond "
     "RAM, MMIO, ROM, read-only RAM; tables not RAM; beyond the physical "
     "address width) fail with VMEXIT_INVALID, then a good VMRUN works",
     ON, "avic-vmrun"),
    ("read", "reads: accelerated registers from the backing page; others and "
     "non-4-byte/unaligned: AVIC_NOACCEL fault-style", ON, "avic-read"),
    ("write", "writes: TPR/EOI/ICR2 accelerated, level EOI and "
     "ID/LDR/DFR/SPIV/ESR/LVT/TMICT/TDCR trap-style, the rest fault-style",
     ON, "avic-write"),
    ("deliver", "delivery from the backing page: priority vs TPR/ISR, IF and "
     "V_INTR_MASKING, interrupt shadow, HLT, V_TPR, level EOI", ON, "avic-deliver"),
    ("ipi", "IPIs: accelerated self/physical/logical (flat, cluster); "
     "AVIC_INCOMPLETE_IPI for each cause", ON, "avic-ipi"),
    ("trap", "trap-style exits at the instruction boundary: AVIC_NOACCEL and "
     "AVIC_INCOMPLETE_IPI before a single-step #DB (in EXITINTINFO, injected "
     "again by L1); rep stos exits after the iteration that made the access",
     ON, "avic-trap"),
    ("fetch", "an instruction fetch from the APIC page: later reads and writes "
     "still go to the backing page", ON, "avic-fetch"),
]


def exits(c, code):
    return next((e["count"] for e in c.get("vmexit-codes", []) if e["code"] == code), 0)


class AvicSvm(SvmKernelTest):

    CPU = ON

    def avic(self, vm):
        r = vm.cmd("query-avic")
        check(isinstance(r, list) and len(r) == 1, f"query-avic: {r}")
        return r[0]

    def check_counters(self, test, **want):
        """Boot TEST; once it passed, query-avic must show WANT (a field of
        the answer, or exit_NNN for the count of #VMEXIT code 0xNNN,
        exit_m1 for -1); info avic must answer."""
        vm, serial = self.svm_vm("counters-" + test, f"{test} halt")
        vm.launch()
        wait_pass(vm, serial)
        c = self.avic(vm)
        check(c["enabled"], "enabled: true")
        for key, value in want.items():
            if key == "exit_m1":
                got = exits(c, -1)
            elif key.startswith("exit_"):
                got = exits(c, int(key[5:], 16))
            else:
                got = c[key.replace("_", "-")]
            check(got == value, f"{key}: {got} (expected {value})")
        text = hmp(vm, "info avic")
        check("AVIC enabled" in text, f"HMP info avic answers: {text.strip()[:200]}")

    def test_counters_vmrun(self):
        """counters: query-avic after avic-vmrun (17 refused VMRUNs, 17
        VMEXIT_INVALID)"""
        self.check_counters("avic-vmrun", errors=17, exit_m1=17)

    def test_counters_write(self):
        """counters: query-avic after avic-write (50 AVIC_NOACCEL)"""
        self.check_counters("avic-write", noaccel=50, exit_402=50, incomplete_ipi=0,
                            errors=0)

    def test_counters_ipi(self):
        """counters: query-avic after avic-ipi (13 AVIC_INCOMPLETE_IPI, 8 IPIs
        posted, 3 deliveries)"""
        self.check_counters("avic-ipi", incomplete_ipi=13, exit_401=13, ipis=8,
                            deliveries=3, noaccel=0, errors=0)

    def test_counters_trap(self):
        """counters: query-avic after avic-trap (3 AVIC_NOACCEL, 1
        AVIC_INCOMPLETE_IPI, each exit once)"""
        self.check_counters("avic-trap", noaccel=3, exit_402=3, incomplete_ipi=1,
                            exit_401=1, errors=0)

    def test_migrate(self):
        """migration in the middle of an AVIC guest with IRR pending and ISR
        in service: delivered in order on the destination, no exit"""
        state = os.path.join(self.workdir, "avic-migrate.state")
        src, serial = self.svm_vm("avic-migrate-src", "avic-migrate halt")
        src.launch()
        wait_serial(src, serial, "AVIC-MIGRATE-READY")
        time.sleep(0.5)
        src.cmd("stop")
        c = self.avic(src)
        check(c["active"] and c["avic-vmruns"] == 1 and c["deliveries"] == 0
              and c["vmexits"] == 0,
              f"source, stopped mid-VMRUN: active {c['active']}, "
              f"{c['avic-vmruns']} VMRUNs with AVIC, {c['deliveries']} "
              f"delivered, {c['vmexits']} #VMEXITs (expected true, 1, 0, 0)")
        dst, serial = self.migrate(src, "avic-migrate-dst", "avic-migrate halt", state)
        c = self.avic(dst)
        check(c["active"], f"destination: AVIC active {c['active']}")
        dst.cmd("cont")
        time.sleep(0.5)
        c = self.avic(dst)
        check(c["active"] and c["deliveries"] == 0 and c["vmexits"] == 0,
              f"destination, running, guest still with IF=0: active "
              f"{c['active']}, {c['deliveries']} delivered, {c['vmexits']} "
              "#VMEXITs (expected true, 0, 0)")
        dst.cmd("inject-nmi")
        line, _ = wait_serial(dst, serial, "IDTS-RESULT:")
        check("PASS" in line, f"kernel after migration: {line}")
        c = self.avic(dst)
        check(c["deliveries"] == 3 and c["vmexits"] == 1 and exits(c, 0x81) == 1
              and c["noaccel"] == 0 and c["errors"] == 0,
              f"destination's counters: {c['deliveries']} delivered, "
              f"{c['vmexits']} #VMEXITs ({exits(c, 0x81)} VMMCALL), "
              f"{c['noaccel']} noaccel, {c['errors']} errors (expected 3, 1, "
              "1, 0, 0)")

    def refuse(self, what):
        """A hostile cpu/avic stream is refused, with the reason VMRUN
        gives."""
        state = os.path.join(self.workdir, "avic-refuse.state")
        want = {"lapic": "backing page is not writable RAM",
                "hpet": "physical APIC ID table is not RAM",
                "unaligned": "address not page-aligned",
                "trap": "pending trap-style #VMEXIT with exit code 0x81"}[what]
        src, serial = self.svm_vm("avic-refuse-src", "avic-migrate halt")
        src.launch()
        wait_serial(src, serial, "AVIC-MIGRATE-READY")
        migrate_to_file(src, state)
        src.shutdown()
        with open(state, "rb") as f:
            data = bytearray(f.read())
        fields, version = subsection(data, "cpu/avic")
        check(version >= 2, f"cpu/avic version {version} (expected 2)")
        # active (1), APIC BAR, backing page, logical, physical (4 x 8), max
        # index (4), trap pending (1), its exit code (8), ...
        _, backing, logical, physical = (fields + 1 + 8 * i for i in range(4))
        trap = fields + 1 + 32 + 4
        edits = {
            "lapic": [(backing, 0xfee00000, 8)],
            "hpet": [(physical, 0xfed00000, 8)],
            "unaligned": [(logical, int.from_bytes(data[logical:logical + 8],
                                                   "big") | 0x10, 8)],
            "trap": [(trap, 1, 1), (trap + 1, 0x81, 8)],
        }[what]
        for off, val, size in edits:
            data[off:off + size] = val.to_bytes(size, "big")
        with open(state, "wb") as f:
            f.write(bytes(data))
        self.expect_refused(state, "avic-migrate halt", ON, want)

    def test_refuse_lapic(self):
        """a cpu/avic stream with the backing page on the LAPIC (MMIO) is
        refused: not writable RAM"""
        self.refuse("lapic")

    def test_refuse_hpet(self):
        """a cpu/avic stream with the physical APIC ID table on the HPET is
        refused"""
        self.refuse("hpet")

    def test_refuse_unaligned(self):
        """a cpu/avic stream with an unaligned logical table is refused"""
        self.refuse("unaligned")

    def test_refuse_trap(self):
        """a cpu/avic stream with a pending trap-style exit that is not
        AVIC's is refused"""
        self.refuse("trap")


add_boots(AvicSvm, BOOTS)

if __name__ == '__main__':
    SvmKernelTest.main()
