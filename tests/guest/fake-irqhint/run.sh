#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Self-test of the irqhint guest driver against fake_irqhint, a software
# virtio-irqhint device (no QEMU device needed): boots the Debian guest
# kernel under TCG with virtio-net, virtio-blk and q35's AHCI, and runs
# selftest.sh in the guest.  Exit status: the number of failed checks
# (or the launcher's: 124 timeout, 125 no result; see irqhint.guest).
# make check runs the same boot from tests/functional/test_x86_64_irqhint_guest.py.
#
# Usage: tests/guest/fake-irqhint/run.sh [OUTDIR]   (QEMU=... to override)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PYTHONPATH=$ROOT/python:$(dirname "$("$ROOT/configure" --print-builddir)")/src/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
out=${1:-$(mktemp -d)}
mkdir -p "$out"

EXTRA_MODULES=ahci "$ROOT/guest/tools/mkinitramfs.sh" "$out/initrd.cpio.gz" \
    "$HERE/selftest.sh:test.sh"
truncate -s 16M "$out/disk.img"

set +e
/usr/bin/python3 -m irqhint.guest ${QEMU:+--qemu "$QEMU"} \
    --initrd "$out/initrd.cpio.gz" --log "$out/console.log" \
    --append "fake_irqhint=1" --timeout 600 -- \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=03.0 \
    -drive file="$out/disk.img",if=none,id=d0,format=raw \
    -device virtio-blk-pci,drive=d0,addr=04.0
rc=$?
set -e
grep -E '^(PASS|FAIL|selftest):' "$out/console.log" | tr -d '\r' || true
echo "fake-irqhint selftest: status $rc (console log: $out/console.log)"
exit $rc
