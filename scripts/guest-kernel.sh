#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Obtain Debian's 6.1 kernel for the irqhint boot tests, idempotently.
#
# The kernel image package is downloaded with `apt-get download` and
# unpacked with `dpkg -x` into a cache directory, so no kernel is installed
# on the host.  The matching linux-headers package is installed (kbuild
# needs it at its installed path) so that guest/linux/irqhint/ can be built.
#
# Usage: scripts/guest-kernel.sh [--refresh] [--get kver|vmlinuz|moddir|kdir]
#
#   (no option)   print KVER=, VMLINUZ=, MODDIR=, KDIR= lines (shell syntax)
#   --get NAME    print only that value
#   --refresh     forget the cached choice and pick the newest version again
#
# Environment:
#   IRQHINT_GUEST_KVER   use this version (e.g. 6.1.0-56-amd64) instead of
#                        the newest one that apt offers
#
# The result is also written to $CACHE/kernel.env, where
# CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest.  A version once
# chosen is kept (no network needed on later runs) until --refresh.
set -euo pipefail

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest
ENV_FILE=$CACHE/kernel.env

die() { echo "guest-kernel: $*" >&2; exit 1; }
log() { echo "guest-kernel: $*" >&2; }

get=
refresh=0
while [ $# -gt 0 ]; do
    case $1 in
    --get) [ $# -ge 2 ] || die "--get needs an argument"; get=$2; shift 2 ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done

emit() {
    if [ -n "$get" ]; then
        case $get in
        kver) echo "$KVER" ;;
        vmlinuz) echo "$VMLINUZ" ;;
        moddir) echo "$MODDIR" ;;
        kdir) echo "$KDIR" ;;
        *) die "--get: unknown name '$get' (kver|vmlinuz|moddir|kdir)" ;;
        esac
    else
        cat "$ENV_FILE"
    fi
}

# Fast path: a previous run left a complete result.
if [ "$refresh" = 0 ] && [ -z "${IRQHINT_GUEST_KVER:-}" ] && [ -r "$ENV_FILE" ]; then
    KVER='' VMLINUZ='' MODDIR='' KDIR=''
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    if [ -n "$KVER" ] && [ -f "$VMLINUZ" ] && [ -f "$MODDIR/modules.dep" ] &&
       [ -f "$KDIR/Makefile" ]; then
        emit
        exit 0
    fi
fi

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install of linux-headers)"
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

# Packages called linux-image-6.1.0-N-amd64 whose matching headers package
# also has an install candidate; prints the newest N-amd64 suffix.
newest_kver() {
    local n best=-1
    for n in $(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
               sed -n 's/^linux-image-6\.1\.0-\([0-9][0-9]*\)-amd64$/\1/p' |
               sort -rn); do
        [ "$n" -gt "$best" ] || continue
        has_candidate "linux-image-6.1.0-$n-amd64" || continue
        has_candidate "linux-headers-6.1.0-$n-amd64" || continue
        best=$n
    done
    [ "$best" -ge 0 ] && echo "6.1.0-$best-amd64"
}

has_candidate() {
    local out
    out=$(apt-cache policy "$1" 2>/dev/null) || return 1
    grep -q '^  Candidate: [^(]' <<<"$out"
}

if [ -n "${IRQHINT_GUEST_KVER:-}" ]; then
    KVER=$IRQHINT_GUEST_KVER
    if ! has_candidate "linux-image-$KVER" && [ ! -f "$CACHE/linux-image-$KVER/boot/vmlinuz-$KVER" ]; then
        apt_update
    fi
else
    KVER=$(newest_kver) || true
    if [ -z "$KVER" ]; then
        apt_update
        KVER=$(newest_kver) || die "no linux-image-6.1.0-*-amd64 with matching headers in apt"
    fi
fi
log "guest kernel $KVER"

# Headers: installed, kbuild expects /usr/src/linux-headers-$KVER.
KDIR=/usr/src/linux-headers-$KVER
if [ ! -f "$KDIR/Makefile" ]; then
    log "apt-get install linux-headers-$KVER"
    if ! apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >&2; then
        apt_update
        apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >&2
    fi
fi
[ -f "$KDIR/Makefile" ] || die "$KDIR/Makefile missing after installing headers"

# Image: downloaded and unpacked into the cache, not installed.
ROOT=$CACHE/linux-image-$KVER
VMLINUZ=$ROOT/boot/vmlinuz-$KVER
MODDIR=$ROOT/lib/modules/$KVER
if [ ! -f "$VMLINUZ" ] || [ ! -f "$MODDIR/modules.dep" ]; then
    debdir=$CACHE/deb
    mkdir -p "$debdir"
    newest_deb() {
        local f found=
        for f in "$debdir"/linux-image-"$KVER"_*_amd64.deb; do
            [ -f "$f" ] && found=$f
        done
        echo "$found"
    }
    deb=$(newest_deb)
    if [ -z "$deb" ]; then
        log "apt-get download linux-image-$KVER"
        # Run as root: the _apt sandbox user may not write to $HOME.
        if ! (cd "$debdir" && apt-get download -qq -o APT::Sandbox::User=root \
                "linux-image-$KVER" >&2); then
            apt_update
            (cd "$debdir" && apt-get download -qq -o APT::Sandbox::User=root \
                "linux-image-$KVER" >&2)
        fi
        deb=$(newest_deb)
        [ -n "$deb" ] || die "apt-get download left no linux-image-$KVER .deb"
    fi
    log "unpacking $(basename "$deb")"
    rm -rf "$ROOT.tmp"
    dpkg -x "$deb" "$ROOT.tmp"
    # Newer packages may ship modules under usr/lib (merged /usr).
    if [ ! -d "$ROOT.tmp/lib/modules/$KVER" ] && [ -d "$ROOT.tmp/usr/lib/modules/$KVER" ]; then
        mkdir -p "$ROOT.tmp/lib/modules"
        mv "$ROOT.tmp/usr/lib/modules/$KVER" "$ROOT.tmp/lib/modules/"
    fi
    # The package ships no modules.dep (postinst runs depmod); make one.
    if [ ! -f "$ROOT.tmp/lib/modules/$KVER/modules.dep" ]; then
        command -v depmod >/dev/null || apt-get install -y -qq kmod >&2
        depmod -b "$ROOT.tmp" "$KVER"
    fi
    rm -rf "$ROOT"
    mv "$ROOT.tmp" "$ROOT"
fi
[ -f "$VMLINUZ" ] || die "$VMLINUZ missing after unpacking"
[ -f "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep missing after unpacking"

cat > "$ENV_FILE.tmp" <<EOF
KVER=$KVER
VMLINUZ=$VMLINUZ
MODDIR=$MODDIR
KDIR=$KDIR
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
emit
