#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what a fresh Debian 12 machine needs to build and test irqhint:
# QEMU's build dependencies, meson/pycotap from bookworm-backports, a
# deb-src entry for trixie (the pinned upstream source), firmware, and
# busybox for the boot tests' initramfs, dkms (the driver's dkms test) and
# pahole (kbuild of the 6.12 guest kernel, whose headers
# scripts/guest-kernel.sh unpacks rather than installs), and libvirt 9.0
# (the libvirt test, tests/suites/libvirt.sh: the daemon with its QEMU
# driver and virsh; the sysv flavour, since nothing here runs systemd; the
# test starts and stops the daemons itself).  bookworm-backports
# is enabled here; guest-kernel.sh takes the 6.12 guest kernel from it.
#
# --fuzz adds what `make fuzz` needs: Debian 12's clang (14) with its
# compiler-rt (libFuzzer, ASan, UBSan runtimes) and llvm (llvm-symbolizer
# for symbolized sanitizer reports).
# Sphinx with its theme for `make docs`.  gdb: the soak (make soak, and
# its short form in make check) saves a hung QEMU's thread stacks with it.
#
# Idempotent: a stamp file records the package set that was installed.
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "install-deps: must run as root (apt-get)" >&2; exit 1; }

SRC_LIST=/etc/apt/sources.list.d/irqhint.sources
BUILD_PKGS="build-essential pkg-config ninja-build flex bison dpkg-dev
  libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev libslirp-dev
  python3 python3-venv python3-setuptools python3-wheel
  seabios ipxe-qemu busybox-static cpio gzip xz-utils socat jq
  dkms pahole gdb
  libvirt-daemon-system libvirt-daemon-system-sysv libvirt-daemon-driver-qemu
  libvirt-clients
  python3-sphinx python3-sphinx-rtd-theme"
BPO_PKGS="meson python3-pycotap qemu-system-data qemu-system-common"
FUZZ_PKGS="clang llvm libclang-rt-dev"

for arg in "$@"; do
    case $arg in
    --fuzz) BUILD_PKGS="$BUILD_PKGS $FUZZ_PKGS" ;;
    *) echo "install-deps: unknown option '$arg' (usage: install-deps.sh [--fuzz])" >&2
       exit 2 ;;
    esac
done

want=$(printf '%s\n' "v4" $BUILD_PKGS $BPO_PKGS | sha256sum | cut -c1-16)
stamp=/var/lib/irqhint-deps.$want
if [ -e "$stamp" ]; then
    exit 0
fi

if [ ! -e "$SRC_LIST" ]; then
    cat > "$SRC_LIST" <<'SRC'
# Added by irqhint scripts/install-deps.sh
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

echo "install-deps: apt-get update" >&2
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD_PKGS
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends -t bookworm-backports $BPO_PKGS
touch "$stamp"
echo "install-deps: done" >&2
