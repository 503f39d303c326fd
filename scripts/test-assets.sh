#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test project (tests/meson.build) beside the QEMU build, set up (or
# set up again when it belongs to another clone), and its test assets.
#   scripts/test-assets.sh [--setup] BUILD_DIR   set up; print its directory
#   scripts/test-assets.sh BUILD_DIR TARGET...   also build the meson
#       targets (svm-tests.elf, avic-vmm) and print each one's path
# A project already set up for this clone is set up again only with
# --setup (make check does that before it runs the tests; the soak and
# bench/ may run while make check does, and leave it alone).
# make check (scripts/run-tests.sh), make bench and the soak take the
# bare-metal SVM test kernel and the L1 VMM from here: one recipe each.
set -euo pipefail

setup=
if [ "${1:-}" = --setup ]; then
    setup=1
    shift
fi
BUILD=${1:?usage: $0 [--setup] BUILD_DIR [TARGET...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECK=$(dirname "$BUILD")/check

if [ "$(cat "$CHECK/irqhint-root" 2>/dev/null)" != "$ROOT" ]; then
    rm -rf "$CHECK"
fi
if { [ -n "$setup" ] || [ ! -f "$CHECK/build.ninja" ]; } &&
   ! meson setup $([ -f "$CHECK/build.ninja" ] && echo --reconfigure) "$CHECK" "$ROOT/tests" \
        -Dqemu_build="$BUILD" >"$BUILD/irqhint-check-setup.log" 2>&1; then
    cat "$BUILD/irqhint-check-setup.log" >&2
    echo "test-assets: meson setup of tests/meson.build failed" >&2
    exit 1
fi
echo "$ROOT" >"$CHECK/irqhint-root"

if [ $# -eq 0 ]; then
    echo "$CHECK"
    exit 0
fi
ninja -C "$CHECK" "$@" >"$CHECK/assets.log" 2>&1 ||
    { cat "$CHECK/assets.log" >&2; echo "test-assets: could not build $*" >&2; exit 1; }
for t in "$@"; do
    echo "$CHECK/$t"
done
