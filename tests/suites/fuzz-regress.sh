# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Every crash and hang that `make fuzz` found stays fixed: each saved
# finding's qtest trace (tests/fuzz/TARGET/*.qtest, as scripts/fuzz.sh
# wrote it) is replayed on the build's qemu-system-x86_64 with the
# target's command line (scripts/fuzz-config.sh) and must run to its end,
# every command answered and a sentinel command after it too
# (scripts/fuzz-watchdog.py --replay).  The fuzzer itself replays the
# saved inputs (tests/fuzz/TARGET/*, no suffix) as seeds.  Sourced by
# tests/tap-suite.sh (which defines result, $BUILD, $ROOT, $LOGDIR).

fuzz_regress_suite() {
    local trace target name log args objects
    # shellcheck source=scripts/fuzz-config.sh
    . "$ROOT/scripts/fuzz-config.sh"
    for trace in "$ROOT"/tests/fuzz/*/*.qtest; do
        [ -e "$trace" ] || continue
        target=$(basename "$(dirname "$trace")")
        name=$(basename "$trace" .qtest)
        log=$LOGDIR/fuzz-regress-$target-$name.log
        args=
        fuzz_config "$target"
        if [ -z "$args" ]; then
            result "fuzz-regress: $target/$name" fail "no fuzz target '$target'"
            continue
        fi
        if FUZZ_REPLAY_DIR=$LOGDIR QEMU_FUZZ_ARGS=$args \
            PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}" \
            "$ROOT/scripts/fuzz-watchdog.py" --replay \
            "$BUILD/qemu-system-x86_64" "$trace" >"$log" 2>&1; then
            result "fuzz-regress: $target/$name runs to its end" pass
        else
            result "fuzz-regress: $target/$name runs to its end" fail "" "$log"
        fi
    done
}

fuzz_regress_suite
