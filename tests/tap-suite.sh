#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run one suite of tests/suites/ and report its results as TAP, for meson
# (tests/meson.build).  A suite calls
#   result NAME pass|fail|skip [REASON] [LOG]
# once per check; the last 40 lines of LOG go with a failure, as TAP
# comments.  The suite sees $BUILD, $ROOT, $LOGDIR and
# $QTEST_QEMU_BINARY, set from the environment meson gives
# (IRQHINT_BUILD, IRQHINT_ROOT, IRQHINT_LOGDIR).
#   tests/tap-suite.sh tests/suites/NAME.sh
set -uo pipefail

BUILD=${IRQHINT_BUILD:?}
ROOT=${IRQHINT_ROOT:?}
LOGDIR=${IRQHINT_LOGDIR:-$BUILD/irqhint-test-logs}
export QTEST_QEMU_BINARY=${QTEST_QEMU_BINARY:-$BUILD/qemu-system-x86_64}
mkdir -p "$LOGDIR"
cd "$ROOT" || exit 1

# TAP on fd 3; whatever else the suite prints goes to stderr (meson's log).
exec 3>&1 1>&2

tap_n=0
tap_failed=0

# TAP forbids '#' in a description only before the directive; keep names
# on one line.
result() {
    local name=${1//$'\n'/ } reason=${3:-}
    reason=${reason//$'\n'/ }
    tap_n=$((tap_n + 1))
    case $2 in
    pass) echo "ok $tap_n - ${name//#/No.}" >&3 ;;
    skip) echo "ok $tap_n - ${name//#/No.} # SKIP $reason" >&3 ;;
    *)    tap_failed=$((tap_failed + 1))
          echo "not ok $tap_n - ${name//#/No.}${reason:+: ${reason//#/No.}}" >&3
          if [ -n "${4:-}" ] && [ -f "$4" ]; then
              tail -40 "$4" | sed 's/^/# | /' >&3
          fi ;;
    esac
}

# shellcheck source=/dev/null
. "$1"

if [ "$tap_n" -eq 0 ]; then
    tap_n=1
    tap_failed=1
    echo "not ok 1 - $(basename "$1" .sh): the suite reported nothing" >&3
fi
echo "1..$tap_n" >&3
[ "$tap_failed" -eq 0 ]
