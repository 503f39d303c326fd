#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# AVIC benchmark: one IPI from an L2 vCPU to another running L2 vCPU, with
# AVIC (-cpu max,svm=on,avic=on) vs without (-cpu max,svm=on), side by
# side in one run.  L1 is Debian's unmodified KVM (kvm_amd avic=1; the
# 6.1 kernel, KERNEL=6.12 for the other); L2 is a ping-pong payload of
# our small VMM (tests/guest/avic/avic-vmm.c): N round trips between two
# vCPUs, so 2N IPIs.  PAYLOAD=ping-pong-hlt (the default): the waiting
# vCPU halts in the guest (the VMM turns HLT exits off), so that -icount's
# round robin does not count spinning; PAYLOAD=ping-pong: it spins.
#
# Usage: bench/avic.sh BUILD_DIR  (N=round trips [300], KERNEL=6.1|6.12,
#                                  PAYLOAD=ping-pong-hlt|ping-pong)
#
# Both boots run under -icount shift=0: the TSC counts executed guest
# instructions (all vCPUs, L1 and L2 together, 1 per ns).
#   #VMEXITs per IPI        QEMU's count (query-avic) over the measured
#                           part, all vCPUs; "not INTR" leaves out
#                           SVM_EXIT_INTR (L1's own interrupts: its timer)
#   instructions per IPI    TSC at the target's handler - TSC just before
#   (latency)               the sender's ICR write (the guest's count)
#   instructions per IPI    TSC over the measured part / 2N: everything
#   (throughput)            every vCPU executed per IPI, spinning included
# Goals (issue 13): 0 exits; >= 5x fewer instructions.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QEMU=${QEMU:-$BUILD/qemu-system-x86_64}
WORK=$BUILD/irqhint-bench-avic
N=${N:-300}
KERNEL=${KERNEL:-6.1}
PAYLOAD=${PAYLOAD:-ping-pong-hlt}
mkdir -p "$WORK"
# The initramfs holds the VMM: build it again, from this tree.
rm -f "$WORK"/initrd-*.cpio.gz

[ -x "$QEMU" ] || { echo "avic: no $QEMU (run make first)" >&2; exit 1; }
fw=$(dirname "$QEMU")/qemu-bundle/usr/local/share/qemu

run() {
    local mode=$1 rc=0
    /usr/bin/python3 -m irqhint.avic --qemu "$QEMU" \
        --fw "$fw" --series "$KERNEL" --avic "$mode" --dir "$WORK/$mode" \
        --initrd "$WORK/initrd-$KERNEL.cpio.gz" --payloads "$PAYLOAD:$N" \
        --icount --timeout 600 --vmm-timeout 120 --json "$WORK/$mode.json" \
        >"$WORK/$mode.log" 2>&1 || rc=$?
    if [ ! -s "$WORK/$mode.json" ]; then
        echo "avic: the avic=$mode run failed (status $rc):" >&2
        tail -30 "$WORK/$mode.log" >&2
        exit 1
    fi
}
run on
run off

/usr/bin/python3 - "$WORK" "$N" "$KERNEL" "$PAYLOAD" <<'EOF'
import json, re, sys

work, n, kernel, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
COUNTERS = ("vmexits", "avic-vmruns", "deliveries", "ipis", "doorbells",
            "incomplete-ipi", "noaccel")


def load(mode):
    j = json.load(open(f"{work}/{mode}.json"))
    r = {"ok": False, "why": "", "exits": None, "non_intr": None, "codes": {},
         "lat": None, "tput": None, "avic": j["l1"].get("dmesg-avic") == "enabled"}
    res = j["payloads"].get(payload)
    if not res:
        r["why"] = payload + " did not report"
        return r
    if res[0] != "PASS":
        r["why"] = payload + " failed: " + res[1]
        return r
    r["ok"] = True
    m = re.search(r"tsc_per_ipi=(\d+) ipi_latency_tsc=(-?\d+)/(-?\d+)/(-?\d+)", res[1])
    if m:
        r["tput"] = int(m.group(1))
        r["lat"] = int(m.group(3))
        r["lat_min"], r["lat_max"] = int(m.group(2)), int(m.group(4))
    ph = j["phases"].get(payload, {})
    b, e = ph.get("begin"), ph.get("end")
    if b and e:
        codes = {}
        for c in set(b["codes"]) | set(e["codes"]):
            d = e["codes"].get(c, 0) - b["codes"].get(c, 0)
            if d:
                codes[int(c)] = d
        r["codes"] = codes
        r["exits"] = e["vmexits"] - b["vmexits"]
        r["non_intr"] = sum(v for c, v in codes.items() if c != 0x60)
        for k in COUNTERS:
            r[k] = e[k] - b[k]
    return r


on, off = load("on"), load("off")
ipis = 2 * n


def per(x):
    return "-" if x is None else f"{x / ipis:.2f}"


def ratio(a, b):
    if a is None or b is None:
        return "-"
    return "inf" if b == 0 else f"{a / b:.1f}x"


print(f"AVIC vs no AVIC: {n} {payload} round trips ({ipis} IPIs) between two running "
      f"L2 vCPUs per side, L1 = Debian {kernel} KVM, TCG -icount shift=0, one run")
for name, r in (("AVIC", on), ("no AVIC", off)):
    if not r["ok"]:
        print(f"  {name}: {r['why']}")
    if name == "AVIC" and not r["avic"]:
        print("  AVIC: *** kvm_amd did not enable AVIC: this QEMU does not offer it ***")
row = "  {:<40} {:>14} {:>14} {:>10}".format
print(row("", "AVIC", "no AVIC", "ratio"))
print(row("#VMEXITs per IPI (all)", per(on["exits"]), per(off["exits"]),
          ratio(off["exits"], on["exits"])))
print(row("#VMEXITs per IPI (not INTR)", per(on["non_intr"]), per(off["non_intr"]),
          ratio(off["non_intr"], on["non_intr"])))
print(row("instructions per IPI (latency, avg)", on["lat"] or "-", off["lat"] or "-",
          ratio(off["lat"], on["lat"])))
print(row("instructions per IPI (throughput)", on["tput"] or "-", off["tput"] or "-",
          ratio(off["tput"], on["tput"])))
for name, r in (("AVIC", on), ("no AVIC", off)):
    if r["codes"]:
        print(f"  exit codes, {name}: " + ", ".join(
            f"{c:#x} {v}" for c, v in sorted(r["codes"].items())))
    if r.get("ipis") is not None:
        print(f"  AVIC counters, {name}: " + " ".join(
            f"{k}={r[k]}" for k in COUNTERS if k != "vmexits"))
goal_exits = "yes" if on["non_intr"] == 0 and on["ok"] else "no"
goal_ins = "no"
if on["lat"] and off["lat"] and off["lat"] >= 5 * on["lat"]:
    goal_ins = "yes"
print(f"  goals: 0 exits per IPI (not INTR): {goal_exits}; >= 5x fewer instructions "
      f"per IPI (latency): {goal_ins}")
print(f"  logs: {work}")
EOF
