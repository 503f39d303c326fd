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

# The test project lives beside the QEMU build (scripts/test-assets.sh).
"$ROOT/scripts/test-assets.sh" --setup "$BUILD" >/dev/null ||
    { echo; echo "0 passed, 1 failed"; exit 1; }

rm -f "$CHECK/meson-logs/testlog.json"
meson test -C "$CHECK" --num-processes 1 "$@"
"$ROOT/scripts/check-summary.py" "$CHECK"
