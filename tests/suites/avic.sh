# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# AVIC under TCG driven by an unmodified Linux KVM (issue 13): Debian's
# 6.1 and 6.12 kernels as the L1 hypervisor (kvm_amd avic=1) under our
# QEMU, -cpu max,svm=on,avic=on and -cpu max,svm=on, with our small VMM
# (tests/guest/avic/avic-vmm.c) running L2 payloads in it.  Each boot is
# tests/guest/avic/avic_host.py, which reads QEMU's AVIC counters
# (query-avic) around each payload and reports its checks in
# DIR/results.tsv; see its header for what is checked.
# Run by tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).  Logs: $LOGDIR/avic/.
#
# AVIC_SERIES and AVIC_MODES (environment) narrow the runs (default "6.1
# 6.12" and "on off").

# shellcheck source=/dev/null
. "$ROOT/tests/guest/avic/suite-lib.sh"

avic_suite() {
    local dir=$LOGDIR/avic
    local qemu=$BUILD/qemu-system-x86_64
    local fw=$BUILD/qemu-bundle/usr/local/share/qemu
    local series mode out rc t0 t1

    rm -rf "$dir"
    mkdir -p "$dir"
    if ! make -C "$ROOT/tests/guest/avic" O="$dir/build" >"$dir/build.log" 2>&1 ||
       [ ! -x "$dir/build/avic-vmm" ]; then
        result "avic: build the VMM (tests/guest/avic)" fail "make failed" "$dir/build.log"
        return
    fi
    for series in ${AVIC_SERIES:-6.1 6.12}; do
        if ! "$ROOT/scripts/guest-kernel.sh" --series "$series" \
                >"$dir/kernel-$series.log" 2>&1; then
            result "avic $series: the guest kernel" fail \
                "scripts/guest-kernel.sh --series $series failed" "$dir/kernel-$series.log"
            continue
        fi
        for mode in ${AVIC_MODES:-on off}; do
            out=$dir/$series-avic-$mode
            t0=$(date +%s)
            # Per payload 20 s at most (a healthy one takes 5 at most), and
            # avic_host.py gives up on an L1 that makes no progress for 60
            # s, so that a broken AVIC costs minutes, not the whole check.
            timeout -k 10 250 /usr/bin/python3 "$ROOT/tests/guest/avic/avic_host.py" \
                --qemu "$qemu" --fw "$fw" --series "$series" --avic "$mode" \
                --dir "$out" --initrd "$dir/initrd-$series.cpio.gz" \
                --vmm "$dir/build/avic-vmm" --vmm-timeout 20 --timeout 230 \
                --label "avic $series avic=$mode" >"$out.log" 2>&1
            rc=$?
            t1=$(date +%s)
            echo "$series avic=$mode: $((t1 - t0)) s (status $rc)" >>"$dir/timing.txt"
            avic_report "$out/results.tsv" "$out.log"
            if [ "$AVIC_REPORTED" -eq 0 ]; then
                result "avic $series avic=$mode: boot L1 KVM with the VMM" fail \
                    "avic_host.py reported nothing (status $rc)" "$out.log"
            fi
        done
    done
    avic_icount "$dir"
}

# Nested SVM under -icount (no AVIC): an interrupt L1 KVM injects with
# EVENTINJ is delivered once (QEMU left the vector as a pending exception
# and delivered it again when -icount's budget ended the execution loop).
avic_icount() {
    local dir=$1 out=$1/6.1-icount status name reason n=0 rc
    [[ " ${AVIC_SERIES:-6.1 6.12} " == *" 6.1 "* ]] || return 0
    timeout -k 10 250 /usr/bin/python3 "$ROOT/tests/guest/avic/avic_host.py" \
        --qemu "$BUILD/qemu-system-x86_64" \
        --fw "$BUILD/qemu-bundle/usr/local/share/qemu" --series 6.1 \
        --avic off --icount --payloads ping-pong:300,self-ipi,tpr \
        --dir "$out" --initrd "$dir/initrd-6.1.cpio.gz" \
        --vmm "$dir/build/avic-vmm" --vmm-timeout 60 --timeout 230 \
        --label "avic 6.1 -icount" >"$out.log" 2>&1
    rc=$?
    if [ -f "$out/results.tsv" ]; then
        while IFS=$'\t' read -r status name reason; do
            case $name in
            *"payload "*) n=$((n + 1)); result "$name" "$status" "$reason" "$out.log" ;;
            esac
        done <"$out/results.tsv"
    fi
    if [ "$n" -eq 0 ]; then
        result "avic 6.1 -icount: boot L1 KVM with the VMM" fail \
            "avic_host.py reported nothing (status $rc)" "$out.log"
    fi
}

avic_suite
