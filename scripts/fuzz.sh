#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make fuzz`: build QEMU's generic-fuzz target (clang, libFuzzer, ASan,
# UBSan) in the cache (./configure --fuzz) and fuzz each of our devices
# for FUZZ_SECONDS under scripts/fuzz-watchdog.py, which catches hangs
# (libFuzzer's -timeout cannot fire in QEMU) and turns every crash or hang
# into a qtest trace reproducer.
#
#   scripts/fuzz.sh [TARGET...]      targets: irqhint gim amd-iommu (default: all)
#   scripts/fuzz.sh --selftest       prove the watchdog on deliberate hangs
#
# Environment: FUZZ_SECONDS (per target, default 300), FUZZ_HANG_SECONDS
# (no new input for this long = hang, default 20), FUZZ_OUT (corpus and
# findings, default the cache's fuzz/), FUZZ_SEED (a directory of inputs
# to start from, read-only), FUZZ_ARGS (more libFuzzer flags).
# Exit status: 0 nothing found, 1 a crash or hang was found, 2 other error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-300}
HANG=${FUZZ_HANG_SECONDS:-20}

selftest=
targets=()
for arg in "$@"; do
    case $arg in
    --selftest) selftest=1 ;;
    irqhint|gim|amd-iommu) targets+=("$arg") ;;
    *) echo "fuzz: unknown target '$arg' (irqhint, gim, amd-iommu, --selftest)" >&2; exit 2 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(irqhint gim amd-iommu)

BUILD=$("$ROOT/configure" --fuzz) || exit 2
SRC=$(dirname "$BUILD")/src
OUT=${FUZZ_OUT:-$(dirname "$BUILD")/fuzz}
echo "fuzz: building qemu-fuzz-x86_64 in $BUILD"
ninja -C "$BUILD" qemu-fuzz-x86_64 qemu-system-x86_64 >"$BUILD/irqhint-build.log" 2>&1 || {
    grep -A30 '^FAILED' "$BUILD/irqhint-build.log" | cut -c1-300 | head -60 >&2
    echo "fuzz: build failed (full log: $BUILD/irqhint-build.log)" >&2
    exit 2; }

# What each target fuzzes: fuzz_config TARGET sets $args and $objects.
# shellcheck source=scripts/fuzz-config.sh
. "$ROOT/scripts/fuzz-config.sh"

watchdog() {
    local name=$1; shift
    fuzz_config "$name"
    # shellcheck disable=SC2086
    QEMU_FUZZ_ARGS=$args QEMU_FUZZ_OBJECTS=$objects \
        PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}" \
        "$ROOT/scripts/fuzz-watchdog.py" --name "$name" \
        --fuzzer "$BUILD/qemu-fuzz-x86_64" --qemu "$BUILD/qemu-system-x86_64" \
        --src "$SRC" "$@" -- ${FUZZ_ARGS:-}
}

if [ -n "$selftest" ]; then
    fail=0
    # One hang is one finding wherever its loop was caught: three reports
    # of the command buffer hang (tests/fuzz/watchdog/), caught in three
    # places, are one; the event log's division by zero is another.
    wd=(env PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
        "$ROOT/scripts/fuzz-watchdog.py" --same-finding)
    if "${wd[@]}" "$ROOT"/tests/fuzz/watchdog/hang-cmdbuf-*.report >/dev/null &&
       ! "${wd[@]}" "$ROOT"/tests/fuzz/watchdog/hang-cmdbuf-a.report \
           "$ROOT"/tests/fuzz/watchdog/crash-evtlog-fpe.report >/dev/null; then
        echo "fuzz: selftest dedup: PASS (one hang caught in 3 places is one finding, a crash another)"
    else
        echo "fuzz: selftest dedup: FAIL"
        "${wd[@]}" "$ROOT"/tests/fuzz/watchdog/*.report || true
        fail=1
    fi
    # A deadlock (a mutex locked twice) and a busy loop on the fuzzing
    # thread, with QEMU's signal mask: each must be reported as a hang
    # whose saved input is the one that hung.
    for mode in lock spin; do
        out=$(mktemp -d)
        mkdir -p "$out/seed"
        printf 'HANG-TEST %s' "$mode" > "$out/seed/hang-input"
        rc=0
        QEMU_FUZZ_SELFTEST_HANG=$mode watchdog selftest --out "$out" \
            --seconds 120 --hang-seconds 5 --max-findings 1 --no-repro \
            --seed "$out/seed" || rc=$?
        saved=$(ls "$out"/findings/hang-* 2>/dev/null | head -1)
        if [ "$rc" = 1 ] && [ -n "$saved" ] &&
           cmp -s "$saved" "$out/seed/hang-input"; then
            echo "fuzz: selftest $mode: PASS (hang caught, the hung input saved as $(basename "$saved"))"
            rm -rf "$out"
        else
            echo "fuzz: selftest $mode: FAIL (rc $rc, saved '${saved:-none}'; log $out/fuzz.log)"
            fail=1
        fi
    done
    exit $fail
fi

found=0
for t in "${targets[@]}"; do
    # Seeds that set the device up (scripts/fuzz-seeds.py), the inputs of
    # what was found and fixed (tests/fuzz/TARGET/, the files without a
    # suffix: each must stay fixed), and FUZZ_SEED.
    "$ROOT/scripts/fuzz-seeds.py" "$t" "$OUT/$t/seeds"
    for f in "$ROOT/tests/fuzz/$t"/*; do
        case $f in *.*) continue ;; esac
        if [ -f "$f" ]; then cp "$f" "$OUT/$t/seeds/"; fi
    done
    seed=(--seed "$OUT/$t/seeds")
    [ -z "${FUZZ_SEED:-}" ] || seed+=(--seed "$FUZZ_SEED")
    rc=0
    watchdog "$t" --out "$OUT/$t" --seconds "$SECONDS_EACH" \
        --hang-seconds "$HANG" "${seed[@]}" || rc=$?
    case $rc in
    0) ;;
    1) found=1 ;;
    *) echo "fuzz: $t: watchdog failed ($rc)" >&2; exit 2 ;;
    esac
done
exit $found
