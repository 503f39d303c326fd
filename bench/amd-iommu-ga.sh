#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# AMD IOMMU guest-mode benchmark (issue 14): an assigned device's
# interrupt into a running L2 vCPU, guest virtual APIC mode
# (-device amd-iommu,intremap=on,ga-vapic=on: the IOMMU posts it into the
# vCPU's vAPIC backing page and rings its CPU) vs remapped mode (the same
# without ga-vapic: the IRTE sends it to L1, whose KVM gets it through
# VFIO's eventfd and the irqfd and injects it), side by side in one run.
# L1 is Debian's unmodified kernel (kvm_amd avic=1, vfio-pci; 6.1,
# KERNEL=6.12 for the other) on -cpu max,svm=on,avic=on; edu is assigned
# to an L2 of our VMM (tests/guest/avic/avic-vmm.c --vfio), whose payload
# dev-irq-hlt has the L2 vCPU write edu's "raise interrupt" register
# (BAR0, mapped into the L2) N times, each MSI routed to that vCPU itself,
# waiting for it halted in the guest (HLT exits off, so that -icount's
# round robin counts no spinning; PAYLOAD=dev-irq spins instead).  In L1
# edu's IRQ is pinned to the CPU that runs the L2 vCPU (IRQ_CPU=1; the
# VMM pins vCPU 0 there), the case an exit-less path is for.
#
# Usage: bench/amd-iommu-ga.sh BUILD_DIR  (N=interrupts [1000],
#                           KERNEL=6.1|6.12, PAYLOAD=dev-irq-hlt|dev-irq,
#                           IRQ_CPU=L1 CPU of edu's IRQ [1])
#
# Both boots run under -icount shift=0: the TSC counts executed guest
# instructions (all vCPUs, L1 and L2 together, 1 per ns).
#   #VMEXITs per interrupt    QEMU's count (query-avic) over exactly the
#                             measured part (the VMM's --sync phase), on
#                             the L2 vCPU's CPU and on all CPUs; "not
#                             INTR" leaves out SVM_EXIT_INTR (physical
#                             interrupts to L1: L1's timer, and in
#                             remapped mode the device's own interrupt)
#   instructions per interrupt TSC at the L2's handler - TSC just before
#   (latency)                 its write to the device (the guest's count)
#   instructions per interrupt TSC over the measured part / N: everything
#   (throughput)              every vCPU executed per interrupt
# Goals (issue 14): 0 exits; >= 5x fewer instructions.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QEMU=${QEMU:-$BUILD/qemu-system-x86_64}
WORK=$BUILD/irqhint-bench-amd-iommu-ga
N=${N:-1000}
KERNEL=${KERNEL:-6.1}
PAYLOAD=${PAYLOAD:-dev-irq-hlt}
IRQ_CPU=${IRQ_CPU:-1}
mkdir -p "$WORK"
# The initramfs holds the VMM: build it again, from this tree.
rm -f "$WORK"/initrd-*.cpio.gz

[ -x "$QEMU" ] || { echo "amd-iommu-ga: no $QEMU (run make first)" >&2; exit 1; }
fw=$(dirname "$QEMU")/qemu-bundle/usr/local/share/qemu
if ! "$QEMU" -device amd-iommu,help 2>/dev/null | grep -q ga-vapic; then
    echo "amd-iommu-ga: $QEMU has no amd-iommu ga-vapic property" >&2
    exit 1
fi
# The L1 VMM is a test asset (scripts/test-assets.sh).
vmm=$("$ROOT/scripts/test-assets.sh" "$BUILD" avic-vmm) ||
    { echo "amd-iommu-ga: building the VMM failed" >&2; exit 1; }
kernel=$("$ROOT/scripts/guest-kernel.sh" --series "$KERNEL" --get vmlinuz)
initrd=$WORK/initrd-$KERNEL.cpio.gz
IRQHINT_GUEST_SERIES=$KERNEL IRQHINT_KO=none FAKE_KO=none \
    EXTRA_MODULES="kvm kvm-amd vfio vfio-iommu-type1 vfio-pci-core vfio-pci" \
    "$ROOT/guest/tools/mkinitramfs.sh" "$initrd" \
    "$ROOT/tests/guest/avic/l1-iommu.sh:test.sh" \
    "$vmm:bin/avic-vmm" >"$WORK/initrd.log" 2>&1 ||
    { echo "amd-iommu-ga: the initramfs failed:" >&2; tail -20 "$WORK/initrd.log" >&2; exit 1; }

run() {
    local ga=$1 rc=0
    rm -f "$WORK/$ga.json"
    timeout -k 10 200 /usr/bin/python3 -m irqhint.iommu_ga \
        --qemu "$QEMU" --fw "$fw" --kernel "$kernel" --initrd "$initrd" \
        --n "$N" --payload "$PAYLOAD" --irq-cpu "$IRQ_CPU" --ga "$ga" --icount \
        --dir "$WORK/$ga" --label "ga-vapic=$ga" --timeout 180 \
        --json "$WORK/$ga.json" >"$WORK/$ga.log" 2>&1 || rc=$?
    if [ ! -s "$WORK/$ga.json" ]; then
        echo "amd-iommu-ga: the ga-vapic=$ga run failed (status $rc):" >&2
        tail -30 "$WORK/$ga.log" >&2
        exit 1
    fi
}
run on
run off

/usr/bin/python3 - "$WORK" "$N" "$KERNEL" "$PAYLOAD" "$IRQ_CPU" <<'EOF'
import json, re, sys

work, n, kernel, payload, irq_cpu = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
VCPU_CPU = "1"          # the VMM pins L2 vCPU 0 to L1 CPU 1


def load(ga):
    j = json.load(open(f"{work}/{ga}.json"))
    r = {"ok": False, "why": "", "guest-vapic": j.get("guest-vapic"), "lat": None,
         "tput": None, "exits": None, "non_intr": None, "all_exits": None,
         "all_non_intr": None, "codes": {}, "ga": {}}
    line = next((ln for ln in j["vmm"] if ln.startswith(f"AVIC-VMM: {payload} ")), None)
    if not line:
        r["why"] = payload + " did not report"
        return r
    if " PASS " not in line:
        r["why"] = line
        return r
    r["ok"] = True
    m = re.search(r"tsc_per_irq=(\d+) irq_latency_tsc=(-?\d+)/(-?\d+)/(-?\d+)", line)
    if m:
        r["tput"], r["lat"] = int(m.group(1)), int(m.group(3))
        r["lat_min"], r["lat_max"] = int(m.group(2)), int(m.group(4))
    ph = j["phases"].get(payload) or {}
    cpus = ph.get("cpus") or {}
    if cpus:
        me = cpus.get(VCPU_CPU, {})
        r["codes"] = {int(c): v for c, v in me.get("codes", {}).items()}
        r["exits"], r["non_intr"] = me.get("vmexits"), me.get("non-intr")
        r["all_exits"] = sum(c["vmexits"] for c in cpus.values())
        r["all_non_intr"] = sum(c["non-intr"] for c in cpus.values())
        r["deliveries"], r["doorbells"] = me.get("deliveries"), me.get("doorbells")
    r["ga"] = ph.get("ga") or {}
    return r


on, off = load("on"), load("off")


def per(x):
    return "-" if x is None else f"{x / n:.3f}"


def ratio(a, b):
    if a is None or b is None or a == b == 0:
        return "-"
    return "inf" if b == 0 else f"{a / b:.1f}x"


print(f"AMD IOMMU guest mode vs remapped: {n} {payload} device interrupts (edu, assigned "
      f"by VFIO) into a running L2 vCPU per side, L1 = Debian {kernel} KVM with AVIC, "
      f"edu's L1 IRQ on CPU {irq_cpu}, TCG -icount shift=0, one run")
for name, r in (("guest mode", on), ("remapped", off)):
    if not r["ok"]:
        print(f"  {name}: {r['why']}")
if not on["guest-vapic"]:
    print("  guest mode: *** amd_iommu did not report 'Virtual APIC enabled' ***")
if off["guest-vapic"]:
    print("  remapped: *** amd_iommu reported 'Virtual APIC enabled' without ga-vapic ***")
row = "  {:<46} {:>12} {:>12} {:>8}".format
print(row("", "guest mode", "remapped", "ratio"))
print(row("#VMEXITs per interrupt, L2 vCPU's CPU (all)", per(on["exits"]), per(off["exits"]),
          ratio(off["exits"], on["exits"])))
print(row("#VMEXITs per interrupt, L2 vCPU's CPU (not INTR)", per(on["non_intr"]),
          per(off["non_intr"]), ratio(off["non_intr"], on["non_intr"])))
print(row("#VMEXITs per interrupt, all CPUs (all)", per(on["all_exits"]),
          per(off["all_exits"]), ratio(off["all_exits"], on["all_exits"])))
print(row("instructions per interrupt (latency, avg)", on["lat"] or "-", off["lat"] or "-",
          ratio(off["lat"], on["lat"])))
print(row("instructions per interrupt (throughput)", on["tput"] or "-", off["tput"] or "-",
          ratio(off["tput"], on["tput"])))
for name, r in (("guest mode", on), ("remapped", off)):
    if r["ok"] and r["lat"] is not None:
        print(f"  {name}: latency min/avg/max {r['lat_min']}/{r['lat']}/{r['lat_max']}; "
              f"CPU {VCPU_CPU} exits by code: " + (", ".join(
                  f"{c:#x} {v}" for c, v in sorted(r["codes"].items())) or "none")
              + f"; AVIC deliveries {r.get('deliveries')}, doorbells {r.get('doorbells')}; "
              f"IOMMU posted {r['ga'].get('posted')}, doorbells {r['ga'].get('doorbells')}, "
              f"GA-log records {r['ga'].get('log-records')}")
# 0 exits: none but INTR on the vCPU's CPU, and those few (L1's own
# interrupts, not one per device interrupt).
goal_exits = ("yes" if on["ok"] and on["non_intr"] == 0 and on["exits"] is not None
              and on["exits"] < 0.05 * n else "no")
goal_ins = ("yes" if on["ok"] and off["ok"] and on["lat"] and off["lat"]
            and off["lat"] >= 5 * on["lat"] else "no")
print(f"  goals: 0 #VMEXITs per interrupt in guest mode (none but L1's own INTR, "
      f"{per(on['exits'])} per interrupt): {goal_exits}; >= 5x fewer instructions per "
      f"interrupt (latency, {ratio(off['lat'], on['lat'])}): {goal_ins}")
print(f"  logs: {work}")
EOF
