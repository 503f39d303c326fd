# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The short soak (issue 20): tests/functional/test_x86_64_irqhint_soak.py
# on QEMU's functional-test framework: the soak harness's self-test (a
# silent run and a stopped QEMU are hangs, with their state saved; lost
# and duplicated interrupts fail a run; a driver without a result, or
# missing, is an error), then SOAK_SHORT_RUNS (default 2) runs of each
# cheap configuration, 3 at once, and SOAK_RACE_RUNS (default 6) of
# iommu-ga-off-tick (MSIs to a running L2 vCPU through VFIO, AVIC
# doorbells meeting L1's own interrupts: the lost kick of patch 0013a).  One result per test and one per
# configuration ("runs, hangs, lost, duplicated, errors, slowest").
# `make soak` is the long form.  Sourced by scripts/run-tests.sh (which
# defines result, $BUILD, $ROOT, $LOGDIR).  Logs: $LOGDIR/soak/.

soak_suite() {
    local dir=$LOGDIR/soak src log rc line t name row
    src=$(dirname "$BUILD")/src
    rm -rf "$dir"
    mkdir -p "$dir"
    log=$dir/functional.log
    (cd "$ROOT/tests/functional" &&
        SOAK_CHECK_DIR=$dir QEMU_TEST_QEMU_BINARY=$BUILD/qemu-system-x86_64 \
        QEMU_BUILD_ROOT=$BUILD \
        PYTHONPATH=$ROOT/python:$src/python:$src/tests/functional \
        timeout -k 10 900 /usr/bin/python3 test_x86_64_irqhint_soak.py) >"$log" 2>&1
    rc=$?
    for t in "selftest_hang:harness self-test: a silent run and a stopped QEMU are hangs, LAPIC/registers/QMP/stacks saved first" \
             "selftest_counts:harness self-test: lost/duplicated fail a run; no result, a contradicting or missing driver are errors" \
             "short_soak:short soak: a few runs of each cheap configuration, 3 at once, none hangs, loses or duplicates" \
             "msi_race:MSI race: iommu-ga-off-tick, 6 runs 3 at once, every MSI to the running L2 vCPU arrives"; do
        name=${t#*:}
        line=$(grep -E "^(ok|not ok) [0-9]+ .*\.test_${t%%:*}( |$)" "$log")
        case $line in
        ok*) result "soak: $name" pass ;;
        "not ok"*) result "soak: $name" fail "" "$log" ;;
        *) result "soak: $name" fail "did not run (status $rc)" "$log" ;;
        esac
    done
    for t in test_short_soak test_msi_race; do
        [ -f "$dir/$t/summary.json" ] || continue
        while IFS=$'\t' read -r name row; do
            case $row in
            ok*) result "soak $name: ${row#ok }" pass ;;
            *) result "soak $name: ${row#bad }" fail "" "$dir/$t/soak.log" ;;
            esac
        done < <(soak_rows "$dir/$t/summary.json")
    done
}

# One line per configuration of a soak's summary.json: "NAME<TAB>ok|bad ..."
soak_rows() {
    /usr/bin/python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    ok = r["runs"] and r["runs"] == r["pass"]
    print("%s\t%s %d runs, %d hangs, %d lost, %d duplicated, %d errors, %d fails, "
          "slowest %.1f s" % (r["config"], "ok" if ok else "bad", r["runs"], r["hangs"],
                              r["lost"], r["duplicated"], r["errors"], r["fails"],
                              r["slowest"]))
' "$1"
}

soak_suite
