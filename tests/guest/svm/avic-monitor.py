#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Host side of the AVIC bare-metal tests (avic.c) that need QEMU's monitor.

  avic-monitor.py [common options] counters TEST KEY=VALUE...
      Boot the test kernel with "TEST halt"; once it reports PASS,
      query-avic (QMP) must show, for the one vCPU, each KEY (a field of
      the answer, or exit-0xNNN for the count of that #VMEXIT code) equal
      to VALUE; "info avic" (HMP) must answer.

  avic-monitor.py [common options] migrate
      Boot "avic-migrate halt": the L2 guest, with AVIC, has IRR 0x50,
      0x70, 0x90 pending and 0x80 in service in its backing page, and
      spins with IF=0 until an NMI.  Stop it mid-VMRUN, check query-avic
      (active, one VMRUN with AVIC, nothing delivered), migrate it to a
      file, start a second QEMU from that file (-incoming): AVIC must be
      active there; cont, still nothing delivered while IF=0; inject-nmi:
      the kernel checks that the guest then gets 0x90, and after its EOI
      of 0x80, 0x70 and 0x50, with no exit; the destination's counters
      show those 3 deliveries and the one VMMCALL exit.

Uses monitor-check.py's helpers.  Exit status 0 when everything held.
"""

import importlib.util
import json
import os
import sys
import time

from irqhint.monitor import Monitor

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "monitor_check", os.path.join(HERE, "monitor-check.py"))
mc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mc)
check = mc.check

CPU = "qemu64,svm=on,npt=on,avic=on"


def avic(q):
    r = q.cmd("query-avic")
    check(isinstance(r, list) and len(r) == 1, f"query-avic: {json.dumps(r)}")
    return r[0]


def exits(c, code):
    for e in c.get("vmexit-codes", []):
        if e["code"] == code:
            return e["count"]
    return 0


def value(c, key):
    if key.startswith("exit-"):
        return exits(c, int(key[5:], 16))
    return c[key]


def do_counters(a):
    proc, serial, qmp = mc.start(a, "avic-counters-" + a.test, f"{a.test} halt",
                                 cpu=CPU)
    q = None
    try:
        mc.wait_pass(proc, serial)
        q = Monitor(qmp, timeout=30)
        c = avic(q)
        print("  query-avic: " + json.dumps(c))
        check(c["enabled"], "enabled: true")
        for kv in a.expect:
            key, want = kv.split("=", 1)
            got = value(c, key)
            check(got == int(want, 0), f"{key}: {got} (expected {want})")
        text = q.hmp("info avic")
        print("  info avic: " + text.strip())
        check("AVIC enabled" in text, "HMP info avic answers")
    finally:
        mc.stop_qemu(proc, q)


def do_migrate(a):
    state = os.path.join(a.dir, "avic-migrate.state")
    src, serial1, qmp1 = mc.start(a, "avic-migrate-src", "avic-migrate halt",
                                  cpu=CPU)
    q = None
    try:
        mc.wait_serial(src, serial1, "AVIC-MIGRATE-READY", 60)
        time.sleep(0.5)
        q = Monitor(qmp1, timeout=30)
        q.cmd("stop")
        c = avic(q)
        check(c["active"] and c["avic-vmruns"] == 1 and c["deliveries"] == 0
              and c["vmexits"] == 0,
              f"source, stopped mid-VMRUN: active {c['active']}, "
              f"{c['avic-vmruns']} VMRUNs with AVIC, {c['deliveries']} "
              f"delivered, {c['vmexits']} #VMEXITs (expected true, 1, 0, 0)")
        mc.migrate_to_file(q, state)
    finally:
        mc.stop_qemu(src, q)

    dst, serial2, qmp2 = mc.start(a, "avic-migrate-dst", "avic-migrate halt",
                                  ["-incoming", "defer", "-S"], cpu=CPU)
    q = None
    try:
        q = Monitor(qmp2, timeout=30)
        st = mc.migrate_from_file(q, state)
        check(st == "completed", f"incoming migration: {st}")
        c = avic(q)
        check(c["active"], f"destination: AVIC active {c['active']}")
        q.cmd("cont")
        time.sleep(0.5)
        c = avic(q)
        check(c["active"] and c["deliveries"] == 0 and c["vmexits"] == 0,
              f"destination, running, guest still with IF=0: active "
              f"{c['active']}, {c['deliveries']} delivered, {c['vmexits']} "
              "#VMEXITs (expected true, 0, 0)")
        q.cmd("inject-nmi")
        line, text = mc.wait_serial(dst, serial2, "IDTS-RESULT:", 60)
        print("\n".join("  | " + s for s in text.splitlines() if s.strip()))
        check("PASS" in line, f"kernel after migration: {line}")
        c = avic(q)
        print("  query-avic: " + json.dumps(c))
        check(c["deliveries"] == 3 and c["vmexits"] == 1 and exits(c, 0x81) == 1
              and c["noaccel"] == 0 and c["errors"] == 0,
              f"destination's counters: {c['deliveries']} delivered, "
              f"{c['vmexits']} #VMEXITs ({exits(c, 0x81)} VMMCALL), "
              f"{c['noaccel']} noaccel, {c['errors']} errors (expected 3, 1, "
              "1, 0, 0)")
    finally:
        mc.stop_qemu(dst, q)


def corrupt(state, what):
    """Edit the cpu/avic subsection of a saved stream in place."""
    data = bytearray(open(state, "rb").read())
    fields, version = mc.subsection(data, "cpu/avic")
    check(version >= 2, f"cpu/avic version {version} (expected 2)")
    # active (1), APIC BAR, backing page, logical, physical (4 x 8), max
    # index (4), trap pending (1), its exit code (8), ...
    bar, backing, logical, physical = (fields + 1 + 8 * i for i in range(4))
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
    print(f"  stream edited: {what}")
    open(state, "wb").write(bytes(data))


def do_refuse(a):
    """A hostile cpu/avic stream is refused, with the reason VMRUN gives."""
    state = os.path.join(a.dir, "avic-refuse.state")
    want = {"lapic": "backing page is not writable RAM",
            "hpet": "physical APIC ID table is not RAM",
            "unaligned": "address not page-aligned",
            "trap": "pending trap-style #VMEXIT with exit code 0x81"}[a.what2]
    src, serial, qmp = mc.start(a, "avic-refuse-src", "avic-migrate halt",
                                cpu=CPU)
    q = None
    try:
        mc.wait_serial(src, serial, "AVIC-MIGRATE-READY", 60)
        q = Monitor(qmp, timeout=30)
        mc.migrate_to_file(q, state)
    finally:
        mc.stop_qemu(src, q)
    corrupt(state, a.what2)
    mc.expect_refused(a, state, "avic-migrate halt", CPU, want)


def main():
    p, sub = mc.arg_parser()
    c = sub.add_parser("counters")
    c.add_argument("test")
    c.add_argument("expect", nargs="+")
    sub.add_parser("migrate")
    r = sub.add_parser("refuse")
    r.add_argument("what2", choices=("lapic", "hpet", "unaligned", "trap"))
    return mc.run(p, {"counters": do_counters, "migrate": do_migrate,
                      "refuse": do_refuse})


if __name__ == "__main__":
    sys.exit(main())
