# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# What the suites that boot this directory's test kernel share
# (tests/suites/idt-shadow.sh, tests/suites/avic-svm.sh).  Sourced by
# them, inside tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).
#
# svm_suite SUITE MONITOR-SCRIPT MONITOR-TIMEOUT BOOTS MONS
#   Build the kernel into $LOGDIR/SUITE/build, then report one result
#   "SUITE: NAME" per entry of the arrays named BOOTS and MONS (in that
#   order).
#   BOOTS: "NAME@-cpu@-append" entries, each one QEMU boot of the kernel
#   (-kernel, -append); it passes when QEMU exits with status 33
#   (isa-debug-exit) and the kernel reported "IDTS-RESULT: PASS" on COM1.
#   MONS: "NAME@ARGS" entries, each one run of MONITOR-SCRIPT (in this
#   directory: --qemu --kernel --fw --dir, then ARGS, split on blanks) that
#   passes when it exits with status 0, within MONITOR-TIMEOUT seconds.
#   Logs: $LOGDIR/SUITE/.  When the kernel does not build, every entry
#   fails and svm_suite returns 1.

svm_suite() {
    local suite=$1 script=$ROOT/tests/guest/svm/$2 mon_timeout=$3
    local -n svm_boots_=$4 svm_mons_=$5
    local dir=$LOGDIR/$suite
    local qemu=$BUILD/qemu-system-x86_64
    local kernel=$dir/build/svm-tests.elf
    local fw=$BUILD/qemu-bundle/usr/local/share/qemu
    local e name cpu args what log rc line n=0 f

    rm -rf "$dir"
    mkdir -p "$dir"

    if ! make -C "$ROOT/tests/guest/svm" O="$dir/build" >"$dir/build.log" 2>&1 ||
       [ ! -f "$kernel" ]; then
        for e in "${svm_boots_[@]}" "${svm_mons_[@]}"; do
            result "$suite: ${e%%@*}" fail "could not build the test kernel" "$dir/build.log"
        done
        return 1
    fi

    # The kernel's own checks: one boot per entry.
    for e in "${svm_boots_[@]}"; do
        IFS='@' read -r name cpu args <<<"$e"
        n=$((n + 1))
        log=$dir/$(printf '%02d' "$n")-$(echo "$args" | tr ' =' '--').log
        timeout -k 5 60 "$qemu" -machine pc -accel tcg -cpu "$cpu" -m 64 \
            -display none -nodefaults -monitor none -no-reboot \
            -L "$fw" -kernel "$kernel" -append "$args" \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -serial "file:$log.serial" >"$log.qemu" 2>&1
        rc=$?
        {
            echo "# -cpu $cpu -append \"$args\": exit status $rc"
            tr -d '\r' <"$log.serial" 2>/dev/null
            if [ -s "$log.qemu" ]; then
                echo "--- QEMU stderr"
                cat "$log.qemu"
            fi
        } >"$log"
        rm -f "$log.serial" "$log.qemu"
        line=$(grep -m1 '^IDTS-RESULT:' "$log")
        if [ $rc -eq 33 ] && [ "${line#IDTS-RESULT: PASS}" != "$line" ]; then
            result "$suite: $name" pass
        elif [ -n "$line" ]; then
            result "$suite: $name" fail "${line#IDTS-RESULT: } (status $rc; log $log): $(grep -m3 '^  FAIL' "$log" | sed 's/^  FAIL //' | tr '\n' ';')" "$log"
        else
            result "$suite: $name" fail "the kernel did not report (status $rc; log $log)" "$log"
        fi
    done

    # QEMU's side: counters over QMP/HMP, migration, through the monitor.
    for e in "${svm_mons_[@]}"; do
        name=${e%%@*}
        what=${e#*@}
        # The log is named after the first two words of ARGS.
        log=$dir/monitor-$(echo "$what" | cut -d' ' -f1-2 | tr -c 'a-zA-Z0-9\n' '-').log
        # shellcheck disable=SC2086
        timeout -k 10 "$mon_timeout" /usr/bin/python3 "$script" \
            --qemu "$qemu" --kernel "$kernel" --fw "$fw" --dir "$dir/monitor" \
            $what >"$log" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then
            result "$suite: $name" pass
        else
            for f in "$dir"/monitor/*.stderr; do
                [ -s "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; } >>"$log"
            done
            result "$suite: $name" fail "$(grep -m1 '^FAILED' "$log" || echo "status $rc") (log $log)" "$log"
        fi
        rm -f "$dir"/monitor/*.stderr
    done
}
