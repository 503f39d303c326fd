#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every irqhint test through meson (tests/meson.build) and end with
# one line "N passed, N failed" (", N skipped" when something was
# skipped, each with its reason above).
#   scripts/run-tests.sh BUILD_DIR [MESON_TEST_ARGS...]
# e.g. scripts/run-tests.sh BUILD suite-guest-boot runs one test;
# `meson test -C BUILD/../check --list` lists them.
set -uo pipefail

BUILD=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECK=$(dirname "$BUILD")/check

# The test project lives beside the QEMU build; it is set up again when
# it belongs to another clone.
if [ "$(cat "$CHECK/irqhint-root" 2>/dev/null)" != "$ROOT" ]; then
    rm -rf "$CHECK"
fi
meson setup $([ -f "$CHECK/build.ninja" ] && echo --reconfigure) "$CHECK" "$ROOT/tests" \
    -Dqemu_build="$BUILD" >"$BUILD/irqhint-check-setup.log" 2>&1 ||
    { cat "$BUILD/irqhint-check-setup.log" >&2; echo; echo "0 passed, 1 failed"; exit 1; }
echo "$ROOT" >"$CHECK/irqhint-root"

rm -f "$CHECK/meson-logs/testlog.json"
meson test -C "$CHECK" --num-processes 1 "$@"
"$ROOT/scripts/check-summary.py" "$CHECK"
