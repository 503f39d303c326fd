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
           FAKE_KO=none "$ROOT/guest/tools/mkinitramfs.sh" \
               "$WORK/initrd.cpio.gz" "$script:test.sh" \
               "$ROOT/guest/tools/guest-lib.sh:lib/guest-lib.sh"; } \
            >"$WORK/prepare.log" 2>&1; then
        tail -20 "$WORK/prepare.log" >&2
        echo "$name: preparing the guest failed" >&2
        return 1
    fi
}

# irqhint_run_guest NAME TIMEOUT [QEMU ARGS]: boot it (-smp 4, -device
# irqhint, virtio-net, then QEMU ARGS) with irqhint.guest (python/irqhint/
# guest.py: QEMUMachine and the control channel); on failure show QEMU's
# output and the console's tail.  Returns the guest script's status.
irqhint_run_guest() {
    local name=$1 timeout=$2 rc
    shift 2

    set +e
    /usr/bin/python3 -m irqhint.guest --qemu "$QEMU" \
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
