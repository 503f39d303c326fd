#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The demo: boots Debian's 6.1 kernel under TCG (4 vCPUs) with
# -device irqhint and virtio-net, and shows the hint table QEMU publishes
# (HMP info irqhint), and virtio-net's IRQ affinity and per-CPU interrupt
# counts before and after the guest driver applies the hints, then after
# a placement change.
#
# Usage: scripts/guest-demo.sh BUILD_DIR
# Needs root on first use (apt-get: guest kernel, headers, busybox-static).
# QEMU runs pinned to one host CPU (where it raises interrupts); the
# placement puts one vCPU there and the others on a second host CPU.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QEMU=$BUILD/qemu-system-x86_64
WORK=$BUILD/irqhint-demo
mkdir -p "$WORK"

[ -x "$QEMU" ] || { echo "guest-demo: no $QEMU (run make first)" >&2; exit 1; }
ncpu=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
if [ "$ncpu" -lt 2 ]; then
    echo "guest-demo: needs 2 host CPUs to place vCPUs apart, this process may use $ncpu" >&2
    exit 1
fi

echo "irqhint demo: preparing the guest (kernel, irqhint.ko, initramfs; log: $WORK/prepare.log)"
if ! { "$ROOT/scripts/guest-kernel.sh" &&
       FAKE_KO=none "$ROOT/tests/guest/mkinitramfs.sh" "$WORK/initrd.cpio.gz" \
           "$ROOT/tests/guest/demo-guest.sh:test.sh" \
           "$ROOT/tests/guest/guest-lib.sh:lib/guest-lib.sh"; } >"$WORK/prepare.log" 2>&1; then
    tail -20 "$WORK/prepare.log" >&2
    echo "guest-demo: preparing the guest failed" >&2
    exit 1
fi
echo "irqhint demo: booting Linux under TCG: -smp 4 -device irqhint -device virtio-net-pci (console: $WORK/console.log)"
echo

set +e
/usr/bin/python3 "$ROOT/tests/guest/irqhint_host.py" --qemu "$QEMU" \
    --initrd "$WORK/initrd.cpio.gz" --log "$WORK/console.log" \
    --transcript "$WORK/control.log" --boot-log "$WORK/boot.log" --append irqhint.load=0 --timeout 150 -- \
    -device irqhint \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=03.0,romfile=
rc=$?
set -e
if [ $rc -ne 0 ]; then
    cat "$WORK/boot.log" >&2
    echo "guest-demo: the guest failed (status $rc); console tail:" >&2
    tr -d '\r' <"$WORK/console.log" | tail -30 >&2
fi
exit $rc
