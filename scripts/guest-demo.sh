#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The demo: boots Debian's 6.1 kernel under TCG (4 vCPUs) with
# -device irqhint and virtio-net, and shows the hint table QEMU publishes
# (HMP info irqhint), and virtio-net's IRQ affinity and per-CPU interrupt
# counts before and after the guest driver applies the hints, then after
# a placement change; then disk I/O on virtio-blk run by an iothread
# (-object iothread), whose completion interrupts follow the iothread
# from one host CPU to the other.
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
# shellcheck source=guest/tools/host-lib.sh
. "$ROOT/guest/tools/host-lib.sh"

[ -x "$QEMU" ] || { echo "guest-demo: no $QEMU (run make first)" >&2; exit 1; }
ncpu=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
if [ "$ncpu" -lt 2 ]; then
    echo "guest-demo: needs 2 host CPUs to place vCPUs apart, this process may use $ncpu" >&2
    exit 1
fi

echo "irqhint demo: preparing the guest (kernel, irqhint.ko, initramfs; log: $WORK/prepare.log)"
irqhint_prepare_guest guest-demo "$ROOT/guest/tools/demo-guest.sh" || exit 1
truncate -s 16M "$WORK/disk.img"
echo "irqhint demo: booting Linux under TCG: -smp 4 -device irqhint -device virtio-net-pci"
echo "  -object iothread,id=io0 -device virtio-blk-pci,iothread=io0 (console: $WORK/console.log)"
echo

rc=0
# vectors=2: one shared queue vector, which Linux does not manage (see
# tests/functional/test_x86_64_irqhint_iothread.py), so the driver may move it.
irqhint_run_guest guest-demo 200 \
    -object iothread,id=io0 \
    -blockdev "driver=file,filename=$WORK/disk.img,node-name=disk0" \
    -device virtio-blk-pci,drive=disk0,iothread=io0,num-queues=2,vectors=2,addr=04.0 \
    || rc=$?
exit $rc
