#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Obtain a Debian guest kernel for the irqhint boot tests, idempotently:
# Debian 12's 6.1 (the default) or the 6.12 of bookworm-backports.
#
# The kernel image package is downloaded with `apt-get download` and
# unpacked with `dpkg -x` into a cache directory, so no kernel is installed
# on the host.  Kbuild needs the matching headers:
#   6.1   linux-headers-KVER is installed (it lives at /usr/src/...);
#   6.12  its headers package depends on the kernel image itself, so it is
#         not installed: linux-headers-KVER, its -common package and
#         linux-kbuild-* are unpacked into the cache instead (their one
#         absolute include is made relative) and pahole, which kbuild runs
#         for the modules' BTF, is installed.
#
# Usage: scripts/guest-kernel.sh [--series 6.1|6.12] [--refresh]
#                                [--get kver|vmlinuz|moddir|kdir|series]
#
#   (no option)   print KVER=, VMLINUZ=, MODDIR=, KDIR= lines (shell syntax)
#   --series S    which kernel [$IRQHINT_GUEST_SERIES, else 6.1]
#   --get NAME    print only that value
#   --refresh     forget the cached choice and pick the newest version again
#
# Environment:
#   IRQHINT_GUEST_SERIES  the series when --series is not given; everything
#                         that calls this script (irqhint.guest, mkinitramfs.sh,
#                         the driver's Makefile) follows it
#   IRQHINT_GUEST_KVER    use this version (e.g. 6.1.0-56-amd64 or
#                         6.12.95+deb12-amd64) instead of the newest one
#                         that apt offers; it names its series itself
#
# The result is also written to $CACHE/kernel.env (6.1) or
# $CACHE/kernel-6.12.env, where CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest.
# A version once chosen is kept (no network needed on later runs) until
# --refresh.  For 6.12 a bookworm-backports build is preferred to one from
# another suite.
set -euo pipefail

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/irqhint/guest

die() { echo "guest-kernel: $*" >&2; exit 1; }
log() { echo "guest-kernel: $*" >&2; }

get=
refresh=0
series=
while [ $# -gt 0 ]; do
    case $1 in
    --get) [ $# -ge 2 ] || die "--get needs an argument"; get=$2; shift 2 ;;
    --series) [ $# -ge 2 ] || die "--series needs an argument"; series=$2; shift 2 ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done

if [ -z "$series" ]; then
    case ${IRQHINT_GUEST_KVER:-} in
    6.1.0-*) series=6.1 ;;
    6.12.*) series=6.12 ;;
    *) series=${IRQHINT_GUEST_SERIES:-6.1} ;;
    esac
fi
case $series in
6.1) ENV_FILE=$CACHE/kernel.env ;;
6.12) ENV_FILE=$CACHE/kernel-6.12.env ;;
*) die "unknown kernel series '$series' (6.1 or 6.12)" ;;
esac

emit() {
    if [ -n "$get" ]; then
        case $get in
        kver) echo "$KVER" ;;
        vmlinuz) echo "$VMLINUZ" ;;
        moddir) echo "$MODDIR" ;;
        kdir) echo "$KDIR" ;;
        series) echo "$series" ;;
        *) die "--get: unknown name '$get' (kver|vmlinuz|moddir|kdir|series)" ;;
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
       [ -f "$KDIR/Makefile" ] &&
       { [ "$series" = 6.1 ] || command -v pahole >/dev/null; }; then
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

has_candidate() {
    local out
    out=$(apt-cache policy "$1" 2>/dev/null) || return 1
    grep -q '^  Candidate: [^(]' <<<"$out"
}

candidate_version() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^  Candidate: //p'
}

# The newest KVER of the series whose image and headers packages both have
# an install candidate (6.12: from bookworm-backports if any is).
newest_kver() {
    local kver best='' bpo=''
    case $series in
    6.1)
        for kver in $(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
                      sed -n 's/^linux-image-\(6\.1\.0-[0-9][0-9]*-amd64\)$/\1/p' |
                      sort -rV); do
            has_candidate "linux-image-$kver" || continue
            has_candidate "linux-headers-$kver" || continue
            best=$kver
            break
        done ;;
    6.12)
        for kver in $(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
                      sed -n 's/^linux-image-\(6\.12\.[0-9][0-9]*+deb12-amd64\)$/\1/p' |
                      sort -rV); do
            has_candidate "linux-image-$kver" || continue
            has_candidate "linux-headers-$kver" || continue
            [ -n "$best" ] || best=$kver
            case $(candidate_version "linux-image-$kver") in
            *~bpo*) bpo=$kver; break ;;
            esac
        done
        [ -z "$bpo" ] || best=$bpo ;;
    esac
    [ -n "$best" ] && echo "$best"
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
        KVER=$(newest_kver) || die "no $series kernel (linux-image-$series*-amd64) with matching headers in apt"
    fi
fi
log "guest kernel $KVER"

# download PACKAGE: its .deb (the candidate version), fetched with apt into
# the functional-test framework's asset cache and checked against the
# SHA-256 of apt's lists (scripts/debian-asset.sh).
download() {
    log "asset $1"
    "$(dirname "$0")/debian-asset.sh" "$1"
}

if [ "$series" = 6.1 ]; then
    # Headers: installed, kbuild expects /usr/src/linux-headers-$KVER.
    KDIR=/usr/src/linux-headers-$KVER
    if [ ! -f "$KDIR/Makefile" ]; then
        log "apt-get install linux-headers-$KVER"
        if ! apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >&2; then
            apt_update
            apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >&2
        fi
    fi
else
    # Headers: unpacked into the cache with the packages they depend on.
    HROOT=$CACHE/linux-headers-$KVER
    KDIR=$HROOT/usr/src/linux-headers-$KVER
    if [ ! -f "$KDIR/Makefile" ]; then
        deps=$(apt-cache show --no-all-versions "linux-headers-$KVER" 2>/dev/null |
               sed -n 's/^Depends: //p' | tr ',|' '\n' | sed 's/^ *\([^ ]*\).*/\1/')
        common=$(grep -m1 '^linux-headers-.*-common$' <<<"$deps") ||
            die "linux-headers-$KVER names no -common package"
        kbuild=$(grep -m1 '^linux-kbuild-' <<<"$deps") ||
            die "linux-headers-$KVER names no linux-kbuild package"
        rm -rf "$HROOT.tmp"
        for pkg in "linux-headers-$KVER" "$common" "$kbuild"; do
            deb=$(download "$pkg")
            log "unpacking $(basename "$deb")"
            dpkg -x "$deb" "$HROOT.tmp"
        done
        # Its Makefile includes the -common tree by absolute path.
        mk=$HROOT.tmp/usr/src/linux-headers-$KVER/Makefile
        grep -q "^include /usr/src/$common/Makefile\$" "$mk" ||
            die "unexpected $mk: $(head -c 200 "$mk")"
        echo "include \$(dir \$(lastword \$(MAKEFILE_LIST)))../$common/Makefile" >"$mk"
        rm -rf "$HROOT"
        mv "$HROOT.tmp" "$HROOT"
    fi
    # linux-kbuild runs pahole for the modules' BTF (a dependency of it).
    if ! command -v pahole >/dev/null; then
        log "apt-get install pahole"
        apt-get install -y -qq --no-install-recommends pahole >&2 ||
            { apt_update && apt-get install -y -qq --no-install-recommends pahole >&2; }
    fi
fi
[ -f "$KDIR/Makefile" ] || die "$KDIR/Makefile missing after installing headers"

# Image: downloaded and unpacked into the cache, not installed.
ROOT=$CACHE/linux-image-$KVER
VMLINUZ=$ROOT/boot/vmlinuz-$KVER
MODDIR=$ROOT/lib/modules/$KVER
if [ ! -f "$VMLINUZ" ] || [ ! -f "$MODDIR/modules.dep" ]; then
    deb=$(download "linux-image-$KVER")
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
