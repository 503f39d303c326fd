#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the guest image (`make guest-image`): a Debian guest kernel and an
# initramfs with the irqhint guest driver that boots to a shell on the
# serial console (or, with irqhint.demo on the kernel command line, a small
# demo loop first).  No test control channel, no test module: for trying
# irqhint by hand or under libvirt.  README.md ("Trying irqhint by hand")
# has the QEMU command line.
#
# Usage: scripts/guest-image.sh OUTDIR
#   IRQHINT_GUEST_SERIES=6.1|6.12 picks the kernel (default 6.1).
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.img (world-readable, so that
# libvirt's qemu user can read them from a directory it can reach), and
# OUTDIR/README with the kernel version and the command line.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "guest-image: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$ROOT/scripts/guest-kernel.sh" >/dev/null
kver=$("$ROOT/scripts/guest-kernel.sh" --get kver)
FAKE_KO=none EXTRA_MODULES="virtio_scsi sd_mod" \
    "$ROOT/guest/tools/mkinitramfs.sh" "$out/initrd.img" \
    "$ROOT/guest/image/autorun.sh:autorun.sh" \
    "$ROOT/guest/image/irqhint-status:bin/irqhint-status"
install -m 644 "$("$ROOT/scripts/guest-kernel.sh" --get vmlinuz)" "$out/vmlinuz"
chmod 644 "$out/initrd.img"
chmod 755 "$out"

cat >"$out/README" <<TXT
irqhint guest image: Linux $kver, the irqhint driver loaded at boot.
Boot it (the serial console is this terminal; Ctrl-A x quits):

  qemu-system-x86_64 -machine q35 -accel tcg -smp 4 -m 512 \\
      -nodefaults -display none -serial mon:stdio \\
      -kernel $out/vmlinuz -initrd $out/initrd.img \\
      -append "console=ttyS0 irqhint.demo" \\
      -device irqhint \\
      -netdev user,id=n0 -device virtio-net-pci,netdev=n0

In the guest: irqhint-status.  Without irqhint.demo: straight to a shell.
TXT
echo "guest-image: $out/vmlinuz and $out/initrd.img (Linux $kver)"
sed -n '2,$p' "$out/README"
