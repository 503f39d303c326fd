# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Host-side helpers shared by the demo and the benchmarks that boot the
# irqhint test guest.  Source it with ROOT, QEMU and WORK set.

# irqhint_prepare_guest NAME GUEST_SCRIPT: fetch the guest kernel, build
# irqhint.ko and an initramfs in $WORK that runs GUEST_SCRIPT.
irqhint_prepare_guest() {
    local name=$1 script=$2

    if ! { "$ROOT/scripts/guest-kernel.sh" &&
           FAKE_KO=none "$ROOT/tests/guest/mkinitramfs.sh" \
               "$WORK/initrd.cpio.gz" "$script:test.sh" \
               "$ROOT/tests/guest/guest-lib.sh:lib/guest-lib.sh"; } \
            >"$WORK/prepare.log" 2>&1; then
        tail -20 "$WORK/prepare.log" >&2
        echo "$name: preparing the guest failed" >&2
        return 1
    fi
}

# irqhint_run_guest NAME TIMEOUT [QEMU ARGS]: boot it (-smp 4, -device
# irqhint, virtio-net, then QEMU ARGS) under irqhint_host.py; on failure
# show the boot log and the console's tail.  Returns the guest script's
# status.
irqhint_run_guest() {
    local name=$1 timeout=$2 rc
    shift 2

    set +e
    /usr/bin/python3 "$ROOT/tests/guest/irqhint_host.py" --qemu "$QEMU" \
        --initrd "$WORK/initrd.cpio.gz" --log "$WORK/console.log" \
        --transcript "$WORK/control.log" --boot-log "$WORK/boot.log" \
        --append irqhint.load=0 --timeout "$timeout" -- \
        -device irqhint \
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=03.0,romfile= \
        "$@"
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        cat "$WORK/boot.log" >&2
        echo "$name: the guest failed (status $rc); console tail:" >&2
        tr -d '\r' <"$WORK/console.log" | tail -30 >&2
    fi
    return $rc
}

# irqhint_usable_cpus: how many host CPUs this process may run on.
irqhint_usable_cpus() {
    /usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))' 2>/dev/null
}

# irqhint_suite_boot DIR LIMIT [irqhint_host.py OPTIONS] -- QEMU ARGS: for
# the guest boot suites, boot DIR/initrd.cpio.gz with $QTEST_QEMU_BINARY
# (irqhint.load=0: the guest script loads the driver) under
# irqhint_host.py, killed after LIMIT seconds; the console, then the host's
# messages, end up in DIR/console.txt.  Returns irqhint_host.py's status.
irqhint_suite_boot() {
    local dir=$1 limit=$2 rc
    shift 2
    timeout -k 10 "$limit" /usr/bin/python3 "$ROOT/tests/guest/irqhint_host.py" \
        --qemu "$QTEST_QEMU_BINARY" --initrd "$dir/initrd.cpio.gz" \
        --log "$dir/console.log" --transcript "$dir/control.log" \
        --append irqhint.load=0 --timeout $((limit - 40)) "$@" \
        >"$dir/host.log" 2>&1
    rc=$?
    tr -d '\r' <"$dir/console.log" >"$dir/console.txt" 2>/dev/null
    cat "$dir/host.log" >>"$dir/console.txt"
    return $rc
}

# irqhint_guest_results DIR STATUS ID NAME [ID NAME]...: for the guest
# boot suites (Run by tests/tap-suite.sh, which defines result): one
# result line NAME per check ID that the guest script reported
# ("IRQHINT-RESULT: ID pass|fail [REASON]" in DIR/console.txt).  A failed
# check's log is its own section of the console ("== check ID:" up to its
# result, in DIR/check-ID.log); a check that never reported fails with the
# console's tail (shown once) and STATUS (irqhint_host.py's).
irqhint_guest_results() {
    local dir=$1 rc=$2 id name line status reason tail_shown=
    shift 2
    while [ $# -ge 2 ]; do
        id=$1 name=$2
        shift 2
        line=$(grep -m1 "^IRQHINT-RESULT: $id " "$dir/console.txt")
        status=$(echo "$line" | cut -d' ' -f3)
        reason=$(echo "$line" | cut -d' ' -f4-)
        case $status in
        pass)
            result "$name" pass ;;
        fail)
            sed -n "/^== check $id:/,/^IRQHINT-RESULT: $id /p" "$dir/console.txt" \
                >"$dir/check-$id.log"
            result "$name" fail "$reason" "$dir/check-$id.log" ;;
        *)
            result "$name" fail "the guest did not report (status $rc; console: $dir/console.log)" \
                "${tail_shown:-$dir/console.txt}"
            tail_shown=/nonexistent ;;
        esac
    done
}
