#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every irqhint test and end with one line "N passed, N failed"
# (", N skipped" when something was skipped, each with its reason above).
#   scripts/run-tests.sh BUILD_DIR
# Each qtest runs in its own qos-test process, so one failure (qtest
# aborts on a failed assertion) does not hide the others.
set -uo pipefail

BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export QTEST_QEMU_BINARY=$BUILD/qemu-system-x86_64
QOS=$BUILD/tests/qtest/qos-test
LOGDIR=$BUILD/irqhint-test-logs
mkdir -p "$LOGDIR"

passed=0 failed=0 skipped=0
declare -a skips=()

# result NAME pass|fail|skip [REASON] [LOG]
result() {
    case $2 in
    pass) passed=$((passed + 1)); echo "PASS $1" ;;
    skip) skipped=$((skipped + 1)); skips+=("$1: $3"); echo "SKIP $1: $3" ;;
    fail) failed=$((failed + 1)); echo "FAIL $1${3:+: $3}"
          if [ -n "${4:-}" ] && [ -f "$4" ]; then
              sed 's/^/    | /' "$4" | tail -40
          fi ;;
    esac
}

# run_qtest PATH [BINARY]: BINARY defaults to qos-test
run_qtest() {
    local path=$1 bin=${2:-$QOS} log
    log=$LOGDIR/$(echo "$path" | tr '/' '_').log
    timeout 300 "$bin" --tap -p "$path" >"$log" 2>&1
    local rc=$?
    if grep -q "^not ok" "$log"; then
        result "$path" fail "" "$log"
    elif grep -q "^ok .*# SKIP" "$log"; then
        result "$path" skip "$(sed -n 's/^ok .*# SKIP *//p' "$log" | head -1)"
    elif [ $rc -eq 0 ] && grep -q "^ok " "$log"; then
        result "$path" pass
    else
        result "$path" fail "exit status $rc" "$log"
    fi
}

# qtests: every qos-test path that belongs to our devices.
mapfile -t paths < <("$QOS" -l 2>/dev/null | grep -E "^/.*(irqhint|/gim|/amd-iommu-ga)" || true)
if [ ${#paths[@]} -eq 0 ]; then
    result "qtest discovery" fail "qos-test lists no irqhint test"
fi
for p in "${paths[@]}"; do
    run_qtest "$p"
done

# Upstream's own qtests that our fixes to upstream code extend.
for bin in amd-iommu-test; do
    if [ ! -x "$BUILD/tests/qtest/$bin" ]; then
        result "$bin" fail "not built"
        continue
    fi
    mapfile -t paths < <("$BUILD/tests/qtest/$bin" -l 2>/dev/null | grep "^/" || true)
    for p in "${paths[@]}"; do
        run_qtest "$p" "$BUILD/tests/qtest/$bin"
    done
done

# Further suites register themselves here.
for suite in "$ROOT"/tests/suites/*.sh; do
    [ -e "$suite" ] || continue
    # shellcheck source=/dev/null
    . "$suite"
done

echo
if [ "$skipped" -gt 0 ]; then
    echo "skipped:"
    printf '  %s\n' "${skips[@]}"
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
