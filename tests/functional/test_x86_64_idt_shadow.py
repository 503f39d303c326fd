#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""IDT shadowing for nested SVM under TCG (-cpu ...,svm=on,idt-shadow=on).

Each boot test is one boot of the bare-metal L1 test kernel
(tests/guest/svm, built by meson; see irqhint_svm.py): the kernel runs
two L2 guests (VMCBs A and B) and checks, from the exits it sees and
the deliveries the guests count, what the CPU did.  The monitor tests
check QEMU's side: query-idt-shadow / info idt-shadow counters, held
vectors, migration in the middle of a VMRUN and hostile migration
streams.  The refusal tests are QEMU start-ups only.
"""

import os
import time

from irqhint.svm import check, hmp, migrate_to_file, subsection, wait_pass, wait_serial
from irqhint_svm import SvmKernelTest, add_boots

ON = "qemu64,svm=on,idt-shadow=on"
OFF = "qemu64,svm=on"

BOOTS = [
    ("cpuid_on", "CPUID 0x40000001 advertises IDT shadowing with idt-shadow=on",
     ON, "cpuid idts=1"),
    ("cpuid_off", "CPUID 0x40000001 does not advertise it by default",
     OFF, "cpuid idts=0"),
    ("direct", "direct: device vector straight to guest A's handler, 0 exits",
     ON, "direct idts=1"),
    ("remap", "remap: guest B's vector exits A acked (EXITINFO1 = ACKED | "
     "vector), remapped and injected into B", ON, "remap idts=1"),
    ("masked", "masked: a DIRECT vector with IF=0, in an interrupt shadow, or "
     "across sti; hlt is held and delivered directly, no exit", ON, "masked idts=1"),
    ("hlt", "hlt: a held DIRECT vector does not wake a guest halted with IF=0",
     ON, "hlt idts=1"),
    ("starve", "starve: a DIRECT vector held for a guest spinning with IF=0 "
     "does not block L1's lower-priority timer: it exits on time", ON, "starve idts=1"),
    ("virq", "virq: a virtual interrupt (V_IRQ) queued by L1 survives a direct "
     "delivery", ON, "virq idts=1"),
    ("snapshot", "snapshot: the table is read at VMRUN; later writes count from "
     "the next VMRUN", ON, "snapshot idts=1"),
    ("baseline_off", "baseline: intercept-and-inject without the feature",
     OFF, "baseline idts=0"),
    ("baseline_on", "baseline: feature on, VMCB not enabled: classic exits "
     "(EXITINFO1 0)", ON, "baseline idts=1"),
    ("baseline_magic", "baseline: feature off, VMCB shadowing fields filled in "
     "are ignored", OFF, "baseline magic idts=0"),
    ("bad_table", "bad-table: bad tables/controls (beyond RAM, MMIO, ROM, "
     "read-only RAM, unknown CTL bits with or without ENABLE) fail VMRUN with "
     "SVM_EXIT_ERR, IDTS_ERR | reason; then a good VMRUN", ON, "bad-table idts=1"),
    ("nmi", "nmi: NMI, exceptions and INT n keep their architectural behaviour",
     ON, "nmi idts=1"),
    ("priority", "priority: held/arriving DIRECT vectors follow the APIC's "
     "priority rules: no equal or lower class nests before the EOI (handler "
     "with IF=1), a higher one does, V_TPR (CR8), or the LAPIC's TPR without "
     "V_INTR_MASKING, holds them back, also across sti; hlt",
     ON + ",cr8legacy=on", "priority idts=1"),
]


class IdtShadow(SvmKernelTest):

    CPU = ON

    def counters(self, vm):
        r = vm.cmd("query-idt-shadow")
        check(isinstance(r, list) and len(r) == 1, f"query-idt-shadow: {r}")
        return r[0]

    def check_counters(self, test, direct, exits, errors):
        vm, serial = self.svm_vm("counters-" + test, f"{test} idts=1 halt")
        vm.launch()
        wait_pass(vm, serial)
        c = self.counters(vm)
        check(c["enabled"], "enabled: true")
        for key, want in (("direct", direct), ("exits", exits), ("errors", errors)):
            if want is not None:
                check(c[key] == want, f"{key}: {c[key]} (expected {want})")
        text = hmp(vm, "info idt-shadow")
        check(f"{c['direct']} direct" in text and f"{c['exits']} exits" in text,
              f"HMP shows the same counters: {text.strip()}")

    def test_counters_direct(self):
        """counters: query-idt-shadow / info idt-shadow after direct (100
        direct, 0 exits)"""
        self.check_counters("direct", 100, 0, 0)

    def test_counters_remap(self):
        """counters: after remap (100 direct, 200 vectored exits)"""
        self.check_counters("remap", 100, 200, 0)

    def test_counters_bad_table(self):
        """counters: after bad-table (13 bad tables)"""
        self.check_counters("bad-table", None, None, 13)

    def test_counters_starve(self):
        """counters: after starve (1 held and delivered direct, 1 vectored
        exit: L1's timer)"""
        self.check_counters("starve", 1, 1, 0)

    def test_migrate(self):
        """migration in the middle of a VMRUN keeps shadowing (state, table,
        counters)"""
        state = os.path.join(self.workdir, "migrate.state")
        src, serial = self.svm_vm("migrate-src", "migrate idts=1 halt")
        src.launch()
        wait_serial(src, serial, "IDTS-MIGRATE-READY")
        time.sleep(0.5)
        src.cmd("stop")
        before = self.counters(src)
        check(before["active"] and before["direct"] > 0 and before["exits"] == 0,
              f"source, stopped mid-VMRUN: active, {before['direct']} direct, "
              f"{before['exits']} exits")
        dst, serial = self.migrate(src, "migrate-dst", "migrate idts=1 halt", state)
        after = self.counters(dst)
        check(all(after[k] == before[k] for k in ("active", "direct", "exits", "errors")),
              f"destination: active {after['active']}, {after['direct']} direct, "
              f"{after['exits']} exits (as on the source)")
        dst.cmd("cont")
        time.sleep(0.5)
        dst.cmd("inject-nmi")
        line, _ = wait_serial(dst, serial, "IDTS-RESULT:")
        check("PASS" in line, f"kernel after migration: {line}")
        end = self.counters(dst)
        check(end["direct"] > after["direct"] and end["exits"] == 0,
              f"after cont: {end['direct']} direct ({end['direct'] - after['direct']} "
              f"since the migration), {end['exits']} exits")

    def check_held(self, vm, where):
        c = self.counters(vm)
        check(c["active"] and c.get("pending") == [0x40] and c.get("held") == 1
              and c["direct"] == 0 and c["exits"] == 0,
              f"{where}: active {c['active']}, pending {c.get('pending')}, "
              f"held {c.get('held')}, {c['direct']} direct, {c['exits']} exits "
              f"(expected true, [64], 1, 0, 0)")
        text = hmp(vm, "info idt-shadow")
        check("1 held" in text and "pending: 0x40" in text,
              f"HMP shows 0x40 held and pending: {text.strip()}")

    def held_source(self, name):
        vm, serial = self.svm_vm(name, "held idts=1 halt")
        vm.launch()
        wait_serial(vm, serial, "IDTS-HELD-READY")
        time.sleep(0.3)
        return vm, serial

    def held(self, migrate):
        state = os.path.join(self.workdir, "held.state")
        vm, serial = self.held_source("held-src")
        self.check_held(vm, "held, guest spinning with IF=0")
        if migrate:
            vm, serial = self.migrate(vm, "held-dst", "held idts=1 halt", state)
            self.check_held(vm, "destination")
            vm.cmd("cont")
            time.sleep(0.3)
            self.check_held(vm, "destination, running, guest still with IF=0")
        vm.cmd("inject-nmi")
        line, _ = wait_serial(vm, serial, "IDTS-RESULT:")
        check("PASS" in line, f"kernel: {line}")
        c = self.counters(vm)
        check(c.get("pending") == [] and c["direct"] == 1 and c["exits"] == 0,
              f"after the NMI: pending {c.get('pending')}, {c['direct']} "
              f"direct, {c['exits']} exits (expected [], 1, 0)")

    def test_held(self):
        """held: query-idt-shadow / info idt-shadow show the DIRECT vector
        held for a guest with IF=0"""
        self.held(False)

    def test_held_migrate(self):
        """held: a held DIRECT vector migrates and is delivered directly
        after the migration"""
        self.held(True)

    def refuse(self, what):
        state = os.path.join(self.workdir, "refuse.state")
        want = {"off": "IDT shadowing state for a CPU without it",
                "entry": "entry 0xff has reserved bits set",
                "pending": "vector 0x20 held for the guest but not DIRECT"}[what]
        vm, _ = self.held_source("refuse-src")
        migrate_to_file(vm, state)
        vm.shutdown()
        if what != "off":
            with open(state, "rb") as f:
                data = bytearray(f.read())
            fields, version = subsection(data, "cpu/idt_shadow")
            table = fields + 1                  # active (1), table (256 x 4), ...
            if what == "entry":
                off = table + 4 * 0xff
                data[off:off + 4] = (0x40000000).to_bytes(4, "big")
            else:
                check(version >= 2, f"the subsection carries held vectors "
                      f"(version {version})")
                # ..., direct, exits, errors (3 x 8), pending (8 x 4)
                off = table + 4 * 256 + 24 + 4 * 1
                word = int.from_bytes(data[off:off + 4], "big") | 1
                data[off:off + 4] = word.to_bytes(4, "big")
            with open(state, "wb") as f:
                f.write(bytes(data))
        self.expect_refused(state, "held idts=1 halt", OFF if what == "off" else ON, want)

    def test_refuse_off(self):
        """migration refused cleanly: cpu/idt_shadow into a CPU with
        idt-shadow=off"""
        self.refuse("off")

    def test_refuse_entry(self):
        """migration refused cleanly: cpu/idt_shadow with reserved bits in a
        table entry"""
        self.refuse("entry")

    def test_refuse_pending(self):
        """migration refused cleanly: cpu/idt_shadow holding a vector that is
        not DIRECT"""
        self.refuse("pending")

    def test_refused_without_svm(self):
        """refused without SVM (-cpu qemu64,svm=off)"""
        self.refused("needs svm=on", "-accel", "tcg", "-cpu", "qemu64,svm=off,idt-shadow=on")

    def test_refused_qtest(self):
        """refused under a non-TCG accelerator (qtest), naming posted
        interrupts / AVIC"""
        self.refused("posted interrupts.*AVIC", "-accel", "qtest",
                     "-cpu", "qemu64,svm=on,idt-shadow=on")

    def test_refused_kvm(self):
        """refused under KVM, naming posted interrupts / AVIC"""
        if not (os.access("/dev/kvm", os.R_OK | os.W_OK)):
            self.skipTest("no usable /dev/kvm on this machine: KVM refusal not exercised")
        self.refused("posted interrupts.*AVIC", "-accel", "kvm", "-cpu", "host,idt-shadow=on")


add_boots(IdtShadow, BOOTS)

if __name__ == '__main__':
    SvmKernelTest.main()
