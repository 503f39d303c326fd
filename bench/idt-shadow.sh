#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IDT shadowing benchmark: exits per assigned-device interrupt and guest
# instructions per delivery, shadowing (direct delivery) vs the classic
# intercept-and-inject path, side by side in one run.
#
# Usage: bench/idt-shadow.sh BUILD_DIR        (N=interrupts per side [1000])
#
# Setup: the L1 test kernel of tests/guest/svm (a test asset:
# scripts/test-assets.sh) under TCG with -icount shift=0, so that the TSC counts executed
# guest instructions (1 per ns).  Guest A raises N interrupts, one at a
# time, with a self-IPI at vector 0x40 (its "assigned device") and waits
# for its handler (vector 0x41):
#   shadowing:  -cpu ...,idt-shadow=on, the VMCB's table has 0x40 DIRECT
#               -> 0x41 (kernel test "direct");
#   classic:    -cpu ...,idt-shadow off: #VMEXIT(INTR), L1 takes the
#               interrupt through its IDT, EOIs, injects 0x41 with
#               EVENTINJ at the next VMRUN (kernel test "baseline").
# Instructions per delivery = TSC at A's handler entry - TSC just before
# the ICR write, counted by the guest; exits come from L1's own count.
# The same pair is then run without -icount for host time (TSC cycles),
# which is informational only: it depends on the host.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QEMU=$BUILD/qemu-system-x86_64
WORK=$BUILD/irqhint-bench-idt-shadow
N=${N:-1000}
mkdir -p "$WORK"

[ -x "$QEMU" ] || { echo "idt-shadow: no $QEMU (run make first)" >&2; exit 1; }
KERNEL=$("$ROOT/scripts/test-assets.sh" "$BUILD" svm-tests.elf) || {
    echo "idt-shadow: could not build the test kernel" >&2
    exit 1
}

# boot NAME CPU APPEND [QEMU ARGS...]: prints the kernel's IDTS-STATS line.
boot() {
    local name=$1 cpu=$2 append=$3 log=$WORK/$1.log rc=0
    shift 3
    # One boot on QEMUMachine (python/irqhint/svm.py): COM1's text out.
    /usr/bin/python3 -m irqhint.svm --qemu "$QEMU" --kernel "$KERNEL" --dir "$WORK" \
        boot --name "$name" --cpu "$cpu" --append "$append" -- "$@" \
        >"$log" 2>"$WORK/$name.stderr" || rc=$?
    if [ "$rc" -ne 33 ] || ! grep -q '^IDTS-RESULT: PASS' "$log"; then
        echo "idt-shadow: the $name run failed (status $rc):" >&2
        tr -d '\r' <"$log" | tail -20 >&2
        cat "$WORK/$name.stderr" >&2
        exit 1
    fi
    tr -d '\r' <"$log" | grep -m1 '^IDTS-STATS'
}

# field LINE KEY
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }

# ratio A B DECIMALS: A / B
ratio() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { if (b == 0) print "inf"; else printf "%.*f", d, a / b }'; }

on="qemu64,svm=on,idt-shadow=on"
off="qemu64,svm=on"
ic_direct=$(boot icount-direct "$on" "direct idts=1 n=$N" -icount shift=0)
ic_classic=$(boot icount-classic "$off" "baseline idts=0 n=$N" -icount shift=0)
ht_direct=$(boot host-direct "$on" "direct idts=1 n=$N")
ht_classic=$(boot host-classic "$off" "baseline idts=0 n=$N")

for v in ic_direct ic_classic ht_direct ht_classic; do
    line=${!v}
    if [ "$(field "$line" n)" != "$N" ] || [ "$(field "$line" deliveries)" != "$N" ]; then
        echo "idt-shadow: $v: unexpected stats: $line" >&2
        exit 1
    fi
done

d_exits=$(field "$ic_direct" intr_exits)
c_exits=$(field "$ic_classic" intr_exits)
d_ins=$(field "$ic_direct" lat_avg)
c_ins=$(field "$ic_classic" lat_avg)
d_host=$(field "$ht_direct" lat_avg)
c_host=$(field "$ht_classic" lat_avg)
ins_ratio=$(ratio "$c_ins" "$d_ins" 1)
host_ratio=$(ratio "$c_host" "$d_host" 1)

echo "IDT shadowing vs intercept-and-inject: $N self-IPIs per side, TCG nested SVM, one run"
row() { printf '  %-34s %14s %18s %10s\n' "$@"; }
row "" "shadowing" "intercept+inject" "ratio"
row "exits per interrupt" "$(ratio "$d_exits" "$N" 2)" "$(ratio "$c_exits" "$N" 2)" "-"
row "instructions per delivery (icount)" "$d_ins" "$c_ins" "${ins_ratio}x"
row "  min / max" "$(field "$ic_direct" lat_min) / $(field "$ic_direct" lat_max)" \
    "$(field "$ic_classic" lat_min) / $(field "$ic_classic" lat_max)" ""
row "host TSC cycles per delivery (avg)" "$d_host" "$c_host" "${host_ratio}x"
echo "  (instructions: -icount shift=0, TSC at handler entry - TSC before the ICR write;"
echo "   host cycles: without icount, informational, depends on the host)"
goal_exits=no; [ "$d_exits" -eq 0 ] && goal_exits=yes
goal_ins=no; awk -v r="$ins_ratio" 'BEGIN { exit !(r == "inf" || r >= 5) }' && goal_ins=yes
echo "  goals: 0 exits per interrupt: $goal_exits; >= 5x fewer instructions: $goal_ins"
echo "  logs: $WORK"
