#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make install` / `make uninstall`: put our QEMU where any user (libvirt's
# libvirt-qemu) can run it, next to Debian's qemu package without touching
# it, and take exactly that away again.
#
#   scripts/install.sh install BUILD_DIR [PREFIX]    (PREFIX: /usr/local)
#   scripts/install.sh uninstall [PREFIX]
#
# Layout (QEMU is relocatable: it finds its data directory as
# <dir of the real binary>/../share/qemu, the build's bindir -> datadir
# relation, /usr/local/bin -> /usr/local/share/qemu; /proc/self/exe
# resolves symlinks):
#
#   PREFIX/bin/qemu-system-x86_64-irqhint -> ../lib/irqhint/bin/qemu-system-x86_64
#   PREFIX/lib/irqhint/bin/qemu-system-x86_64        the binary (0755)
#   PREFIX/lib/irqhint/share/qemu/keymaps/*          copied from our source
#   PREFIX/lib/irqhint/share/qemu/<firmware>         symlinks to Debian's
#       firmware packages, as ./configure links them into the build's
#       qemu-bundle: /usr/share/qemu (qemu-system-data: kvmvapic.bin,
#       linuxboot_dma.bin, ...), /usr/share/seabios (bios-256k.bin,
#       vgabios*), /usr/lib/ipxe/qemu (efi-*.rom, pxe-*.rom NIC roms)
#   PREFIX/lib/irqhint/install-manifest              what this installed
#
# Why not /usr/local/bin/qemu-system-x86_64 and /usr/local/share/qemu:
# /usr/local/bin comes before /usr/bin in PATH, so that name would shadow
# Debian's qemu-system-x86_64 for every user and tool, and
# /usr/local/share/qemu is where any other locally built QEMU installs its
# data.  A suffixed name and a private data directory clash with neither.
# Why not `meson install`: it installs every tool and document of the
# build under the build's prefix (qemu-img, qemu-io, qemu-nbd, man pages,
# icons, ... into /usr/local/bin and /usr/local/share, the clash above),
# builds all of them first, and --disable-install-blobs leaves the
# firmware out anyway.  The binary needs only the files above at run time
# (no modules: the build has CONFIG_MODULES off).
set -euo pipefail
umask 022

die() { echo "install: $*" >&2; exit 1; }
FW_DIRS="/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu"

uninstall() {
    local prefix=$1 manifest=$1/lib/irqhint/install-manifest f n
    [ -f "$manifest" ] || { echo "uninstall: nothing installed in $prefix (no $manifest)"; return 0; }
    local -a paths
    mapfile -t paths <"$manifest"
    # Files and links first (the manifest last), then the directories we
    # created, deepest first.
    for f in "${paths[@]}"; do
        [ -d "$f" ] && [ ! -L "$f" ] && continue
        [ "$f" = "$manifest" ] || rm -f -- "$f"
    done
    rm -f -- "$manifest"
    printf '%s\n' "${paths[@]}" | sort -r | while IFS= read -r f; do
        if [ -d "$f" ] && [ ! -L "$f" ]; then
            rmdir -- "$f" 2>/dev/null ||
                echo "uninstall: left $f (not empty: holds files we did not install)" >&2
        fi
    done
    n=${#paths[@]}
    rmdir -- "$prefix/lib/irqhint" 2>/dev/null || true
    echo "uninstall: removed the irqhint QEMU from $prefix ($n paths)"
}

# mkdir_m DIR: create DIR (and missing parents), recording each one made.
mkdir_m() {
    local d=$1
    [ -d "$d" ] && return 0
    mkdir_m "$(dirname "$d")"
    mkdir -m 755 "$d"
    echo "$d" >>"$RECORD"
}

install_all() {
    local build=$1 prefix=$2 f n
    local qemu=$build/qemu-system-x86_64
    local bundle=$build/qemu-bundle/usr/local/share/qemu
    [ -x "$qemu" ] || die "no $qemu (run make first)"
    [ -d "$bundle/keymaps" ] || die "no $bundle/keymaps (run ./configure and make first)"
    for d in $FW_DIRS; do
        [ -d "$d" ] || die "firmware directory $d missing (install qemu-system-data, seabios, ipxe-qemu)"
    done
    case $prefix in /*) ;; *) die "PREFIX must be absolute: $prefix" ;; esac

    # A second install replaces the first exactly.
    uninstall "$prefix" >/dev/null

    local lib=$prefix/lib/irqhint
    MANIFEST=$lib/install-manifest
    RECORD=$(mktemp)
    trap 'rm -f "$RECORD"' EXIT
    mkdir -p "$prefix"
    mkdir_m "$lib"
    mkdir_m "$lib/bin"
    install -m 755 "$qemu" "$lib/bin/qemu-system-x86_64"
    echo "$lib/bin/qemu-system-x86_64" >>"$RECORD"

    local data=$lib/share/qemu
    mkdir_m "$data/keymaps"
    for f in "$bundle"/keymaps/*; do
        install -m 644 "$(readlink -f "$f")" "$data/keymaps/$(basename "$f")"
        echo "$data/keymaps/$(basename "$f")" >>"$RECORD"
    done
    for d in $FW_DIRS; do
        for f in "$d"/*; do
            n=$(basename "$f")
            [ "$n" = keymaps ] && continue
            [ -e "$data/$n" ] || [ -L "$data/$n" ] && continue
            ln -s "$f" "$data/$n"
            echo "$data/$n" >>"$RECORD"
        done
    done

    mkdir_m "$prefix/bin"
    ln -sfn ../lib/irqhint/bin/qemu-system-x86_64 "$prefix/bin/qemu-system-x86_64-irqhint"
    echo "$prefix/bin/qemu-system-x86_64-irqhint" >>"$RECORD"
    echo "$MANIFEST" >>"$RECORD"
    install -m 644 "$RECORD" "$MANIFEST"

    # It must start as an unprivileged user (libvirt-qemu), finding its
    # firmware: SeaBIOS and the NIC's option rom load before QMP answers.
    local user=nobody out
    id libvirt-qemu >/dev/null 2>&1 && user=libvirt-qemu
    out=$(cd / && printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
          timeout 60 runuser -u "$user" -- "$prefix/bin/qemu-system-x86_64-irqhint" \
              -machine q35,accel=tcg -nodefaults -display none -S -qmp stdio \
              -netdev user,id=n0 -device virtio-net-pci,netdev=n0 -device irqhint 2>&1) ||
        die "the installed QEMU does not start as $user: $(echo "$out" | grep -v '^{' | head -3)"
    echo "install: $prefix/bin/qemu-system-x86_64-irqhint ($(wc -l <"$MANIFEST") paths in $MANIFEST)"
}

case ${1:-} in
install)
    { [ $# -ge 2 ] && [ $# -le 3 ]; } || die "usage: $0 install BUILD_DIR [PREFIX]"
    install_all "$2" "${3:-/usr/local}" ;;
uninstall)
    [ $# -le 2 ] || die "usage: $0 uninstall [PREFIX]"
    uninstall "${2:-/usr/local}" ;;
*)
    die "usage: $0 install BUILD_DIR [PREFIX] | uninstall [PREFIX]" ;;
esac
