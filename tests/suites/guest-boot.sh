# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Guest boot tests of the irqhint guest driver against the real device.
# Sourced by scripts/run-tests.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR, $QTEST_QEMU_BINARY).
#
# Runs once per guest kernel, Debian 12's 6.1 and bookworm-backports' 6.12
# (scripts/guest-kernel.sh --series), each result line naming its kernel
# ("guest-boot [6.12]: ...").
#
# One boot: the Debian kernel and our initramfs under TCG, -smp 4,
# -device irqhint and virtio-net-pci (slirp) at 00:03.0.  QEMU runs pinned
# to one host CPU, so virtio-net's interrupts are raised there; the guest
# script (tests/guest/boot-test.sh) asks the host, through
# tests/guest/irqhint_host.py, to place vCPU K on that CPU and the others
# elsewhere (irqhint-set-placement), and checks from inside the guest what
# the driver did.  A second boot runs the driver's self-test against
# fake_irqhint, a software device that plays what QEMU cannot be made to
# (hostile entries of every kind, entry counts past the table, a generation
# that never settles, tables under concurrent change); its "hostile transport"
# checks (a transport config generation that changes on every read: the
# driver must stay responsive) are reported on a line of their own.
# Logs: $LOGDIR/guest-boot/SERIES/.

# shellcheck source=tests/guest/host-lib.sh
. "$ROOT/tests/guest/host-lib.sh"

# guest_boot_suite SERIES
guest_boot_suite() {
    local series=$1
    local dir=$LOGDIR/guest-boot/$series
    local t="guest-boot [$series]"
    local -a ids=(a b c d)
    local -A names=(
        [a]="$t: driver binds and reads the table"
        [b]="$t: placement sets IRQ affinity and delivery"
        [c]="$t: re-placement moves the IRQ"
        [d]="$t: rmmod restores, insmod re-applies"
    )
    local id ncpu rc
    local -a checks=()
    local selftest="$t: driver selftest with fake_irqhint"
    local hostile="$t: driver stays responsive to a hostile transport generation"
    # Everything below (guest-kernel.sh, mkinitramfs.sh, boot.sh, the
    # modules' Makefiles) follows it.
    local -x IRQHINT_GUEST_SERIES=$series

    rm -rf "$dir"
    mkdir -p "$dir"

    ncpu=$(irqhint_usable_cpus)
    if [ "${ncpu:-0}" -lt 2 ]; then
        for id in "${ids[@]}"; do
            result "${names[$id]}" skip "needs 2 usable host CPUs (placement puts vCPUs on different ones), have ${ncpu:-?}"
        done
        result "$selftest" skip "runs with the other guest boot tests"
        result "$hostile" skip "runs with the other guest boot tests"
        return
    fi

    # Kernel, headers, busybox; the module; the initramfs.
    if ! WORK=$dir irqhint_prepare_guest "$t" "$ROOT/tests/guest/boot-test.sh" 2>/dev/null; then
        for id in "${ids[@]}"; do
            result "${names[$id]}" fail "could not build the guest kernel/module/initramfs" "$dir/prepare.log"
        done
        result "$selftest" fail "could not build the guest kernel/module/initramfs" "$dir/prepare.log"
        result "$hostile" fail "could not build the guest kernel/module/initramfs" "$dir/prepare.log"
        return
    fi

    irqhint_suite_boot "$dir" 240 -- \
        -device irqhint \
        -netdev user,id=n0 \
        -device virtio-net-pci,netdev=n0,addr=03.0,vectors=4,romfile=
    rc=$?

    for id in "${ids[@]}"; do
        checks+=("$id" "${names[$id]}")
    done
    irqhint_guest_results "$dir" $rc "${checks[@]}"

    # The driver against fake_irqhint (its own initramfs and boot).
    timeout -k 10 240 env QEMU="$QTEST_QEMU_BINARY" \
        "$ROOT/tests/guest/fake-irqhint/run.sh" "$dir/fake" >"$dir/fake.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^PASS:' "$dir/fake.log" && ! grep -q '^FAIL:' "$dir/fake.log"; then
        result "$selftest" pass
    else
        {
            grep '^FAIL:' "$dir/fake.log"
            echo "--- console tail"
            tr -d '\r' <"$dir/fake/console.log" 2>/dev/null | tail -25
        } >"$dir/fake-failures.log"
        result "$selftest" fail "status $rc, $(grep -c '^FAIL:' "$dir/fake.log") checks failed (log: $dir/fake.log)" \
            "$dir/fake-failures.log"
    fi

    # Its hostile-transport section (selftest.sh section 8), on its own.
    if grep -q '^PASS: hostile transport:' "$dir/fake.log" &&
       ! grep -q '^FAIL: hostile transport:' "$dir/fake.log"; then
        result "$hostile" pass
    else
        {
            grep '^FAIL: hostile transport:' "$dir/fake.log"
            grep -q '^PASS: hostile transport:' "$dir/fake.log" ||
                echo "(the selftest did not reach its hostile transport checks: status $rc)"
            echo "--- console at the first soft lockup or RCU stall, if any"
            tr -d '\r' <"$dir/fake/console.log" 2>/dev/null |
                grep -m1 -E -A24 'soft lockup|stall on CPU|detected stalls'
        } >"$dir/fake-hostile.log"
        result "$hostile" fail "$(grep -c '^FAIL: hostile transport:' "$dir/fake.log") checks failed, status $rc (log: $dir/fake.log)" \
            "$dir/fake-hostile.log"
    fi
}

rm -rf "$LOGDIR/guest-boot"
for guest_boot_series in 6.1 6.12; do
    guest_boot_suite "$guest_boot_series"
done
unset guest_boot_series
