#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the images of the real-VMM soak (tests/guest/vmm/), cached:
#
#   L2: the IPI workload ipiload (static, host gcc) as /bin/ipiload and
#       l2-test.sh as /test.sh in guest/tools/mkinitramfs.sh's initramfs
#       (+ virtio-rng);
#   L1: mkinitramfs.sh's initramfs with kvm + kvm-amd (+ vfio-pci),
#       l1-vmm.sh as /test.sh, Debian 12's qemu-system-x86_64 from
#       scripts/guest-vmm.sh with the libraries it loads and its firmware
#       at their usual paths, and the L2 kernel (the same Debian kernel)
#       and initramfs under /l2/.  Left uncompressed: under TCG, the
#       kernel unpacks a plain cpio much faster than a gzip'ed one.
#
# Usage: tests/guest/vmm/mkimages.sh --series 6.1|6.12
# Prints KERNEL=<L1 kernel> and INITRD=<L1 initramfs>.  The images live in
# ${XDG_CACHE_HOME:-~/.cache}/irqhint/guest/vmm-img/SERIES-HASH/, HASH
# over everything that goes into them, so concurrent and later runs reuse
# them (built under a lock).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest

die() { echo "vmm-mkimages: $*" >&2; exit 1; }

series=
while [ $# -gt 0 ]; do
    case $1 in
    --series) [ $# -ge 2 ] || die "--series needs an argument"; series=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
    esac
done
case $series in
6.1|6.12) ;;
*) die "--series 6.1|6.12" ;;
esac

eval "$("$REPO/scripts/guest-kernel.sh" --series "$series")"
eval "$("$REPO/scripts/guest-vmm.sh")"
if [ -z "${KVER:-}" ] || [ -z "${VMM_QEMU:-}" ]; then
    die "no kernel or no VMM"
fi

hash=$( { echo "$KVER $VMM_VERSION v1"
          cat "$HERE/ipiload.c" "$HERE/l2-test.sh" "$HERE/l1-vmm.sh" \
              "$HERE/mkimages.sh" "$REPO/guest/tools/mkinitramfs.sh"; } |
        sha256sum | cut -c1-12)
OUT=$CACHE/vmm-img/$series-$hash
mkdir -p "$CACHE/vmm-img"
exec 9>"$CACHE/vmm-img/.lock"
flock 9
if [ ! -f "$OUT/l1.cpio" ]; then
    rm -rf "$OUT.tmp"
    mkdir -p "$OUT.tmp"
    gcc -O2 -Wall -static -pthread -o "$OUT.tmp/ipiload" "$HERE/ipiload.c"
    IRQHINT_KO=none FAKE_KO=none MODDIR=$MODDIR EXTRA_MODULES=virtio_rng \
        "$REPO/guest/tools/mkinitramfs.sh" "$OUT.tmp/l2.cpio.gz" \
        "$HERE/l2-test.sh:test.sh" "$OUT.tmp/ipiload:bin/ipiload"
    files=("$HERE/l1-vmm.sh:test.sh" "$VMLINUZ:l2/vmlinuz"
           "$OUT.tmp/l2.cpio.gz:l2/initrd.img"
           "$VMM_QEMU:usr/bin/qemu-system-x86_64"
           "$VMM_LOADER:lib64/ld-linux-x86-64.so.2")
    while read -r lib; do
        files+=("$lib:${lib#"$VMM_ROOT"/}")
    done < <("$REPO/scripts/guest-vmm.sh" --libs | tail -n +2)
    for f in linuxboot_dma.bin kvmvapic.bin multiboot_dma.bin; do
        [ -f "$VMM_FW/$f" ] && files+=("$VMM_FW/$f:usr/share/qemu/$f")
    done
    files+=("$VMM_BIOS/bios-256k.bin:usr/share/seabios/bios-256k.bin")
    IRQHINT_KO=none FAKE_KO=none MODDIR=$MODDIR \
        EXTRA_MODULES="kvm kvm-amd vfio vfio-iommu-type1 vfio-pci-core vfio-pci" \
        "$REPO/guest/tools/mkinitramfs.sh" "$OUT.tmp/l1.cpio.gz" "${files[@]}"
    gzip -dc "$OUT.tmp/l1.cpio.gz" > "$OUT.tmp/l1.cpio"
    rm "$OUT.tmp/l1.cpio.gz"
    rm -rf "$OUT"
    mv "$OUT.tmp" "$OUT"
    # Older images of this series (a QEMU running one has read it).
    for old in "$CACHE/vmm-img/$series"-*; do
        [ "$old" = "$OUT" ] || rm -rf "$old"
    done
fi
echo "KERNEL=$VMLINUZ"
echo "INITRD=$OUT/l1.cpio"
