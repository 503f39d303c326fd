# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# AVIC (nested SVM under TCG, issue 13): bare-metal L1 tests.
# Sourced by scripts/run-tests.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).
#
# The kernel of tests/guest/svm/ (avic.c) is an L1 hypervisor that runs
# an L2 guest with AVIC and nested paging and checks every architected
# exit (exit codes, EXITINFO1/2, RIP) and the backing pages' contents
# (AMD APM Vol. 2 15.29).  Each test is one QEMU boot (-kernel, -append
# "<test> [options]"); the kernel ends with "IDTS-RESULT: PASS|FAIL" on
# COM1 and leaves through isa-debug-exit (status 33 on pass, 35 on
# fail).  tests/guest/svm/avic-monitor.py checks QEMU's counters
# (query-avic) and migrates a VM in the middle of an AVIC guest.
# Logs: $LOGDIR/avic-svm/.

avic_svm_suite() {
    local dir=$LOGDIR/avic-svm
    local qemu=$BUILD/qemu-system-x86_64
    local kernel=$dir/build/svm-tests.elf
    local fw=$BUILD/qemu-bundle/usr/local/share/qemu
    local on="qemu64,svm=on,npt=on,avic=on" off="qemu64,svm=on,npt=on"
    local -a boots=(
        # name @ -cpu @ -append
        "CPUID Fn8000_000A EDX[13] set with avic=on; the doorbell MSR for our own APIC ID outside guest mode is harmless@$on@avic-cpuid avic=1"
        "CPUID Fn8000_000A EDX[13] clear without avic=on; doorbell MSR RDMSR and WRMSR #GP; VMCB AVIC enable ignored@$off@avic-cpuid avic=0"
        "VMRUN: bad AVIC setups (no nested paging; backing page beyond RAM, MMIO, ROM, read-only RAM; tables not RAM; beyond the physical address width) fail with VMEXIT_INVALID, then a good VMRUN works@$on@avic-vmrun"
        "reads: accelerated registers from the backing page; others and non-4-byte/unaligned: AVIC_NOACCEL fault-style@$on@avic-read"
        "writes: TPR/EOI/ICR2 accelerated, level EOI and ID/LDR/DFR/SPIV/ESR/LVT/TMICT/TDCR trap-style, the rest fault-style@$on@avic-write"
        "delivery from the backing page: priority vs TPR/ISR, IF and V_INTR_MASKING, interrupt shadow, HLT, V_TPR, level EOI@$on@avic-deliver"
        "IPIs: accelerated self/physical/logical (flat, cluster); AVIC_INCOMPLETE_IPI for each cause@$on@avic-ipi"
    )
    local b name cpu args log rc line n=0

    rm -rf "$dir"
    mkdir -p "$dir"

    if ! make -C "$ROOT/tests/guest/svm" O="$dir/build" >"$dir/build.log" 2>&1 ||
       [ ! -f "$kernel" ]; then
        for b in "${boots[@]}"; do
            result "avic-svm: ${b%%@*}" fail "could not build the test kernel" "$dir/build.log"
        done
        result "avic-svm: monitor checks" fail "could not build the test kernel" "$dir/build.log"
        return
    fi
    for b in "${boots[@]}"; do
        IFS='@' read -r name cpu args <<<"$b"
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
            result "avic-svm: $name" pass
        elif [ -n "$line" ]; then
            result "avic-svm: $name" fail "${line#IDTS-RESULT: } (status $rc; log $log): $(grep -m3 '^  FAIL' "$log" | sed 's/^  FAIL //' | tr '\n' ';')" "$log"
        else
            result "avic-svm: $name" fail "the kernel did not report (status $rc; log $log)" "$log"
        fi
    done

    # QEMU's side: counters over QMP/HMP, migration mid-VMRUN.
    local -a mons=(
        "counters: query-avic after avic-vmrun (17 refused VMRUNs, 17 VMEXIT_INVALID)@counters avic-vmrun errors=17 exit--1=17"
        "counters: query-avic after avic-write (50 AVIC_NOACCEL)@counters avic-write noaccel=50 exit-402=50 incomplete-ipi=0 errors=0"
        "counters: query-avic after avic-ipi (13 AVIC_INCOMPLETE_IPI, 8 IPIs posted, 3 deliveries)@counters avic-ipi incomplete-ipi=13 exit-401=13 ipis=8 deliveries=3 noaccel=0 errors=0"
        "migration in the middle of an AVIC guest with IRR pending and ISR in service: delivered in order on the destination, no exit@migrate"
    )
    local m what
    for m in "${mons[@]}"; do
        name=${m%%@*}
        what=${m#*@}
        log=$dir/monitor-$(echo "${what%% *}-$(echo "$what" | cut -d' ' -f2)" | tr -c 'a-zA-Z0-9\n' '-').log
        # shellcheck disable=SC2086
        timeout -k 10 120 /usr/bin/python3 "$ROOT/tests/guest/svm/avic-monitor.py" \
            --qemu "$qemu" --kernel "$kernel" --fw "$fw" --dir "$dir/monitor" \
            $what >"$log" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then
            result "avic-svm: $name" pass
        else
            for f in "$dir"/monitor/*.stderr; do
                [ -s "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; } >>"$log"
            done
            result "avic-svm: $name" fail "$(grep -m1 '^FAILED' "$log" || echo "status $rc") (log $log)" "$log"
        fi
        rm -f "$dir"/monitor/*.stderr
    done
}

avic_svm_suite
