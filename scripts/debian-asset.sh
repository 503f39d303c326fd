#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian package as a test asset: fetched with apt (the only network
# the project uses) into the asset cache of QEMU's functional-test
# framework, named by its SHA-256 as the framework's Asset class names
# its files ($QEMU_TEST_CACHE_DIR/download/SHA256, else
# ~/.cache/qemu/download/SHA256), and checked against the SHA-256 that
# apt's signed package lists give for it, every time it is used.
#
# Usage: scripts/debian-asset.sh PACKAGE[=VERSION]
#   prints the path of the verified .deb (the candidate version, or
#   VERSION); exits non-zero, saying why, if it cannot.
# Used by scripts/guest-kernel.sh (kernels, headers), scripts/guest-vmm.sh
# and guest/tools/mkinitramfs.sh (busybox-static).
set -euo pipefail

die() { echo "debian-asset: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 PACKAGE[=VERSION]"
spec=$1
pkg=${spec%%=*}
ver=
[ "$spec" = "$pkg" ] || ver=${spec#*=}

cache=${QEMU_TEST_CACHE_DIR:+$QEMU_TEST_CACHE_DIR/download}
cache=${cache:-$HOME/.cache/qemu/download}
mkdir -p "$cache"

# The SHA-256 apt's lists give for PACKAGE (at VERSION, else the
# candidate's).
sha_of() {
    local v=$ver
    [ -n "$v" ] || v=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p')
    [ -n "$v" ] && [ "$v" != "(none)" ] || return 1
    apt-cache show "$pkg=$v" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n1
}

sha=$(sha_of) || true
if [ -z "$sha" ]; then
    [ "$(id -u)" = 0 ] || die "no $spec in apt's lists (apt-get update, as root)"
    apt-get update -qq >&2
    sha=$(sha_of) || die "no $spec in apt's lists"
    [ -n "$sha" ] || die "apt gives no SHA256 for $spec"
fi

file=$cache/$sha
if [ -f "$file" ] && echo "$sha  $file" | sha256sum -c --status; then
    echo "$file"
    exit 0
fi

tmp=$(mktemp -d "$cache/.debian-asset.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As root: the _apt sandbox user may not write to $HOME.
if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$spec" >&2); then
    [ "$(id -u)" = 0 ] && apt-get update -qq >&2
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$spec" >&2) ||
        die "apt-get download $spec failed"
fi
deb=$(echo "$tmp"/*.deb)
[ -f "$deb" ] || die "apt-get download $spec left no .deb"
echo "$sha  $deb" | sha256sum -c --status ||
    die "$deb: SHA-256 $(sha256sum "$deb" | cut -d' ' -f1), apt's lists say $sha"
mv "$deb" "$file"
echo "$file"
