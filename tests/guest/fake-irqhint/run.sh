#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Self-test of the irqhint guest driver against fake_irqhint, a software
# virtio-irqhint device (no QEMU device needed): boots the Debian guest
# kernel under TCG with virtio-net, virtio-blk and q35's AHCI, and runs
# selftest.sh in the guest.  Exit status: the number of failed checks
# (or boot.sh's status: 124 timeout, 125 no result).
#
# Usage: tests/guest/fake-irqhint/run.sh [OUTDIR]   (QEMU=... to override)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"

EXTRA_MODULES=ahci "$HERE/../mkinitramfs.sh" "$out/initrd.cpio.gz" \
    "$HERE/selftest.sh:test.sh"
truncate -s 16M "$out/disk.img"

set +e
"$HERE/../boot.sh" --initrd "$out/initrd.cpio.gz" --log "$out/console.log" \
    --append "fake_irqhint=1" --timeout 600 --quiet -- \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=03.0 \
    -drive file="$out/disk.img",if=none,id=d0,format=raw \
    -device virtio-blk-pci,drive=d0,addr=04.0
rc=$?
set -e
grep -E '^(PASS|FAIL|selftest):' "$out/console.log" | tr -d '\r' || true
echo "fake-irqhint selftest: status $rc (console log: $out/console.log)"
exit $rc
