#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Obtain Debian 12's own, unmodified QEMU (qemu-system-x86 7.2 from
# bookworm, not a backport) for running *inside* an L1 guest as a real
# VMM (tests/guest/vmm/), idempotently, without installing it on the host.
#
# qemu-system-x86, the firmware its -kernel boot needs (qemu-system-data
# of the same source version: linuxboot_dma.bin; seabios: bios-256k.bin)
# and the closure of the library packages it depends on (libc6 included:
# the L1 initramfs has no libc) are fetched with `apt-get download` and
# unpacked with `dpkg -x` into one root in the cache.  Whatever version the
# archive offers is taken and recorded (DIR/packages.txt).  The result is
# checked: the unpacked dynamic loader resolves every shared library of
# the binary inside that root, and `qemu-system-x86_64 --version` runs.
#
# Usage: scripts/guest-vmm.sh [--refresh] [--get NAME] [--libs]
#
#   (no option)  print VMM_VERSION=, VMM_ROOT=, VMM_QEMU=, VMM_FW=,
#                VMM_LOADER=, VMM_LIBPATH= lines (shell syntax)
#   --get NAME   print only that value (version|root|qemu|fw|bios|loader|libpath)
#   --libs       print the shared libraries the binary loads (absolute
#                paths inside the root, the loader first), one a line
#   --refresh    forget the cached result and fetch again
#
# The result is written to $CACHE/vmm.env, where
# CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest; the .debs are test
# assets (scripts/debian-asset.sh: the functional-test asset cache, checked
# against apt's SHA-256).
set -euo pipefail

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest
ENV_FILE=$CACHE/vmm.env

die() { echo "guest-vmm: $*" >&2; exit 1; }
log() { echo "guest-vmm: $*" >&2; }

get=
libs=0
refresh=0
while [ $# -gt 0 ]; do
    case $1 in
    --get) [ $# -ge 2 ] || die "--get needs an argument"; get=$2; shift 2 ;;
    --libs) libs=1; shift ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done

# list_libs: the loader, then every library it maps for the binary.
list_libs() {
    local out
    out=$("$VMM_LOADER" --library-path "$VMM_LIBPATH" --list "$VMM_QEMU") ||
        die "$VMM_LOADER --list $VMM_QEMU failed"
    if grep -q 'not found' <<<"$out"; then
        die "libraries missing from $VMM_ROOT: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
    fi
    echo "$VMM_LOADER"
    sed -n 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' <<<"$out" | grep -vxF "$VMM_LOADER" || true
}

emit() {
    if [ "$libs" = 1 ]; then
        list_libs
    elif [ -n "$get" ]; then
        case $get in
        version) echo "$VMM_VERSION" ;;
        root) echo "$VMM_ROOT" ;;
        qemu) echo "$VMM_QEMU" ;;
        fw) echo "$VMM_FW" ;;
        bios) echo "$VMM_BIOS" ;;
        loader) echo "$VMM_LOADER" ;;
        libpath) echo "$VMM_LIBPATH" ;;
        *) die "--get: unknown name '$get' (version|root|qemu|fw|bios|loader|libpath)" ;;
        esac
    else
        cat "$ENV_FILE"
    fi
}

# Fast path: a previous run left a complete result.
if [ "$refresh" = 0 ] && [ -r "$ENV_FILE" ]; then
    VMM_VERSION='' VMM_ROOT='' VMM_QEMU='' VMM_FW='' VMM_BIOS='' VMM_LOADER='' VMM_LIBPATH=''
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    if [ -n "$VMM_VERSION" ] && [ -x "$VMM_QEMU" ] && [ -x "$VMM_LOADER" ] &&
       [ -f "$VMM_BIOS/bios-256k.bin" ] && [ -f "$VMM_ROOT/packages.txt" ]; then
        emit
        exit 0
    fi
fi

[ "$(id -u)" = 0 ] || die "must run as root (apt-get download, apt-get update)"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE"

apt_updated=0
apt_update() {
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}

# bookworm_version PKG: the newest version of PKG that is not a backport.
bookworm_version() {
    apt-cache madison "$1" 2>/dev/null |
        awk -F' *[|] *' -v p="$1" '$1 ~ p && $3 ~ /Packages$/ && $2 !~ /bpo/ {print $2}' |
        sort -V | tail -n1
}

QVER=$(bookworm_version qemu-system-x86)
if [ -z "$QVER" ]; then
    apt_update
    QVER=$(bookworm_version qemu-system-x86)
fi
[ -n "$QVER" ] || die "apt offers no qemu-system-x86 outside backports (Debian 12 sources?)"
case $QVER in
1:7.*) ;;
*) log "warning: qemu-system-x86 $QVER is not bookworm's 7.2" ;;
esac
# The source version (a binNMU's +bN dropped): the firmware package's.
SRCVER=$(apt-cache show --no-all-versions "qemu-system-x86=$QVER" |
         sed -n 's/^Source: qemu (\(.*\))$/\1/p')
[ -n "$SRCVER" ] || SRCVER=$QVER
DVER=$(apt-cache madison qemu-system-data |
       awk -F' *[|] *' -v v="$SRCVER" '$2 == v && $3 ~ /Packages$/ {print $2}' | head -n1)
[ -n "$DVER" ] || DVER=$(bookworm_version qemu-system-data)
[ -n "$DVER" ] || die "apt offers no qemu-system-data for $QVER"
SVER=$(bookworm_version seabios)
[ -n "$SVER" ] || die "apt offers no seabios outside backports"
log "qemu-system-x86 $QVER, qemu-system-data $DVER, seabios $SVER"

# pkg_deps PKG[=VER]: the packages PKG depends on (first alternative,
# without versions), that are libraries: lib*, zlib1g.
pkg_deps() {
    apt-cache show --no-all-versions "$1" 2>/dev/null |
        sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' | tr ',' '\n' |
        sed 's/|.*//; s/^ *\([^ :]*\).*/\1/' |
        grep -E '^(lib|zlib1g$)' || true
}

# The closure: qemu-system-x86's library dependencies, recursively.
declare -A seen
pkgs=("qemu-system-x86=$QVER" "qemu-system-data=$DVER" "seabios=$SVER")
mapfile -t queue < <(pkg_deps "qemu-system-x86=$QVER")
[ ${#queue[@]} -gt 0 ] || die "qemu-system-x86=$QVER: no dependencies found (apt-cache show)"
while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    [ -z "${seen[$p]:-}" ] || continue
    seen[$p]=1
    v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^  Candidate: //p')
    if [ -z "$v" ] || [ "$v" = "(none)" ]; then
        log "warning: no candidate for $p (virtual?); the library check decides"
        continue
    fi
    pkgs+=("$p=$v")
    mapfile -t -O "${#queue[@]}" queue < <(pkg_deps "$p=$v")
done

ROOT=$CACHE/vmm-${QVER//:/_}
rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
for pv in "${pkgs[@]}"; do
    p=${pv%%=*}
    v=${pv#*=}
    # Fetched with apt into the functional-test asset cache, checked
    # against apt's SHA-256 (scripts/debian-asset.sh).
    found=$("$(dirname "$0")/debian-asset.sh" "$pv") || die "no $pv"
    dpkg -x "$found" "$ROOT.tmp"
    echo "$p $v" >> "$ROOT.tmp/packages.txt"
done
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"

VMM_VERSION=$QVER
VMM_ROOT=$ROOT
VMM_QEMU=$ROOT/usr/bin/qemu-system-x86_64
VMM_FW=$ROOT/usr/share/qemu
VMM_BIOS=$ROOT/usr/share/seabios
VMM_LOADER=$ROOT/lib64/ld-linux-x86-64.so.2
[ -e "$VMM_LOADER" ] || VMM_LOADER=$ROOT/usr/lib64/ld-linux-x86-64.so.2
VMM_LIBPATH=$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu
[ -x "$VMM_QEMU" ] || die "$VMM_QEMU missing after unpacking"
[ -e "$VMM_LOADER" ] || die "no ld-linux-x86-64.so.2 in $ROOT (libc6 not unpacked?)"
# The loader is an absolute symlink into /lib/x86_64-linux-gnu: point it
# into the root.
if [ -L "$VMM_LOADER" ]; then
    t=$(readlink "$VMM_LOADER")
    case $t in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$VMM_LOADER")" "$ROOT$t")" "$VMM_LOADER" ;;
    esac
fi
# Firmware: bookworm's QEMU looks in /usr/share/qemu (qemu-system-data:
# linuxboot_dma.bin) and /usr/share/seabios (bios-256k.bin), its built-in
# firmware path; the L1 image puts both there.
[ -f "$VMM_FW/linuxboot_dma.bin" ] || die "$VMM_FW/linuxboot_dma.bin missing"
[ -f "$VMM_BIOS/bios-256k.bin" ] || die "$VMM_BIOS/bios-256k.bin missing"

list_libs >/dev/null
ver=$("$VMM_LOADER" --library-path "$VMM_LIBPATH" "$VMM_QEMU" --version | head -n1) ||
    die "$VMM_QEMU --version failed"
log "$ver ($(wc -l < "$ROOT/packages.txt") packages, $(list_libs | wc -l) libraries loaded)"

cat > "$ENV_FILE.tmp" <<EOF
VMM_VERSION=$VMM_VERSION
VMM_ROOT=$VMM_ROOT
VMM_QEMU=$VMM_QEMU
VMM_FW=$VMM_FW
VMM_BIOS=$VMM_BIOS
VMM_LOADER=$VMM_LOADER
VMM_LIBPATH=$VMM_LIBPATH
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
emit
