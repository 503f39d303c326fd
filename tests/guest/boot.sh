#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot the Debian guest kernel with an initramfs under QEMU (TCG), save the
# serial console log, and exit with the guest test's status.
#
# Usage: tests/guest/boot.sh [options] [-- extra QEMU arguments]
#
# Options (defaults in brackets):
#   --qemu PATH       QEMU binary [$QEMU, else the build directory's
#                     qemu-system-x86_64 from ./configure --print-builddir]
#   --kernel PATH     kernel [scripts/guest-kernel.sh --get vmlinuz, which
#                     follows IRQHINT_GUEST_SERIES=6.1|6.12]
#   --initrd PATH     initramfs (tests/guest/mkinitramfs.sh) [required]
#   --append STR      appended to "console=ttyS0 panic=-1 ..." (repeatable)
#   --log PATH        console log [./boot.log]
#   --qmp PATH        QMP unix socket path [a temporary one]
#   --timeout SECS    kill QEMU after SECS [300]
#   --smp N           [4]
#   --mem MB          [512]
#   --machine TYPE    [q35]
#   --cpu MODEL       [QEMU's default]
#   --quiet           do not copy the console to stdout
#
# -nodefaults: no default NIC and no empty default CD-ROM (SeaBIOS waits
# ~30 s under TCG for the latter before it boots the kernel).
#
# The console log is written while the guest runs (console on ttyS0, also
# copied to stdout unless --quiet).  QEMU runs with -no-reboot, so a
# poweroff or panic ends it.
#
# Exit status: 124 if the timeout hit; 126 for a usage or setup error (the
# log is emptied first, so no stale result survives); 123 if QEMU exited
# with an error; else the N of the "IRQHINT-TEST-EXIT: N" line the initramfs'
# /init prints; 125 if that line is missing (the guest died before
# reporting).
#
# To talk QMP to the running QEMU, pass --qmp PATH and run boot.sh in the
# background; the socket exists once QEMU has started.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

die() { echo "boot.sh: $*" >&2; exit 126; }

qemu=${QEMU:-}
kernel=
initrd=
append=
log=boot.log
qmp=
timeout=300
smp=4
mem=512
machine=q35
cpu=
quiet=0

while [ $# -gt 0 ]; do
    case $1 in
    --qemu|--kernel|--initrd|--append|--log|--qmp|--timeout|--smp|--mem|--machine|--cpu)
        [ $# -ge 2 ] || die "$1 needs an argument" ;;&
    --qemu) qemu=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --append) append="$append $2"; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --qmp) qmp=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --machine) machine=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (extra QEMU arguments go after --)" ;;
    esac
done

mkdir -p "$(dirname "$log")"
: > "$log"

if [ -z "$qemu" ]; then
    qemu=$("$REPO/configure" --print-builddir)/qemu-system-x86_64
fi
[ -x "$qemu" ] || die "QEMU binary $qemu not found"
[ -n "$kernel" ] || kernel=$("$REPO/scripts/guest-kernel.sh" --get vmlinuz)
[ -f "$kernel" ] || die "kernel $kernel not found"
[ -n "$initrd" ] || die "--initrd is required"
[ -f "$initrd" ] || die "initrd $initrd not found"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$qmp" ] || qmp=$tmp/qmp.sock
rm -f "$qmp"

# Firmware: an uninstalled build finds its own through qemu-bundle; be
# explicit so that a binary elsewhere works too.
datadir=
for d in "$(dirname "$qemu")/qemu-bundle/usr/local/share/qemu" \
         "$(dirname "$qemu")/pc-bios"; do
    if [ -e "$d/bios-256k.bin" ]; then
        datadir=$d
        break
    fi
done

args=(
    -machine "$machine" -accel tcg
    -smp "$smp" -m "$mem"
    -kernel "$kernel" -initrd "$initrd"
    -append "console=ttyS0 panic=-1 oops=panic loglevel=7$append"
    -nodefaults -display none -vga none -monitor none -no-reboot
    -chardev "stdio,id=con,signal=off,logfile=$log"
    -serial chardev:con
    -qmp "unix:$qmp,server=on,wait=off"
)
[ -z "$datadir" ] || args+=(-L "$datadir")
[ -z "$cpu" ] || args+=(-cpu "$cpu")
args+=("$@")

echo "boot.sh: $qemu ${args[*]}" >&2
errlog=$tmp/qemu.err
# One boot: a crash is reported, never retried (a retry hides it).
set +e
if [ "$quiet" = 1 ]; then
    timeout -k 10 "$timeout" "$qemu" "${args[@]}" </dev/null >/dev/null \
        2> >(tee "$errlog" >&2)
else
    timeout -k 10 "$timeout" "$qemu" "${args[@]}" </dev/null \
        2> >(tee "$errlog" >&2)
fi
rc=$?
set -e
wait

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "boot.sh: timeout after ${timeout}s (log: $log)" >&2
    exit 124
fi
if [ "$rc" != 0 ]; then
    echo "boot.sh: QEMU exited with status $rc (log: $log)" >&2
    exit 123
fi
status=$(sed -n 's/^IRQHINT-TEST-EXIT: \([0-9][0-9]*\).*/\1/p' "$log" | tail -n1)
if [ -z "$status" ]; then
    echo "boot.sh: no IRQHINT-TEST-EXIT line in $log" >&2
    exit 125
fi
exit "$status"
