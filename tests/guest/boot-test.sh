#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of tests/functional/test_x86_64_irqhint_guest.py (booted by it
# through irqhint.guest, with irqhint.load=0 so that this script
# loads the driver itself).  Expects 4 vCPUs, -device irqhint and
# virtio-net-pci (vectors=4) at 00:03.0 on slirp.
#
# Prints one "IRQHINT-RESULT: ID pass|fail [REASON]" line per check:
#   a  the driver binds and reads the device's entries for virtio-net
#   b  placement -> virtio-net IRQ affinity = hinted CPU, delivered there
#   c  re-placement moves it again
#   d  rmmod restores the original affinity, insmod re-applies the hint
# and exits with the number of failed checks.  Hostile tables, which the
# real device never publishes, are the driver self-test's business
# (tests/guest/fake-irqhint/selftest.sh).

. /lib/guest-lib.sh

NET=0000:00:03.0
KO=/lib/modules/irqhint.ko
DRV=/sys/bus/virtio/drivers/virtio_irqhint
PINGS=30

# deliver K: new virtio-net interrupts are all counted on CPU K.
deliver() {
    traffic 3
    _b=$(counts "$RX" "$TX")
    traffic $PINGS
    _a=$(counts "$RX" "$TX")
    _d=$(delta "$_b" "$_a")
    _on=$(field "$1" "$_d")
    _off=$(sum_except "$1" "$_d")
    note "virtio-net interrupts per CPU during $PINGS pings: $_d"
    [ "$_on" -ge $PINGS ] ||
        bad "only $_on virtio-net interrupts on CPU $1 during $PINGS pings ($_d)"
    [ "$_off" -eq 0 ] ||
        bad "$_off virtio-net interrupts on CPUs other than $1 ($_d)"
}

# place K: ask the host to put vCPU K where virtio-net's interrupts are
# raised, then expect both queue IRQs to follow.
place() {
    _t0=$(now_cs)
    host place "$1" || { bad "host: $HOST_REPLY"; return; }
    note "host placed vCPU $1 ($HOST_REPLY)"
    if wait_for 20 affinity_is "$RX" "$1"; then
        note "rx IRQ $RX affinity $1 after $(( ($(now_cs) - _t0) * 10 )) ms (guest time)"
    else
        bad "rx IRQ $RX affinity '$(affinity "$RX")', hinted CPU $1"
    fi
    wait_for 5 affinity_is "$TX" "$1" ||
        bad "tx IRQ $TX affinity '$(affinity "$TX")', hinted CPU $1"
    table_has "bdf=$NET type=msix index=1 irq=$RX apic=$1 cpus=$1 reason=management .*status=applied" ||
        bad "table has no applied management entry for rx naming APIC ID $1"
    show_table
    deliver "$1"
}

fail_all() {
    for id in a b c d; do
        echo "IRQHINT-RESULT: $id fail $*"
    done
    exit 5
}

# --- setup ---
ctl_open || fail_all "no control channel to the host ($CTL_DEV)"
[ "$(ncpus)" = 4 ] || fail_all "expected 4 CPUs, have $(ncpus)"
[ -d /sys/bus/pci/devices/$NET ] || fail_all "no virtio-net at $NET"
VNET=$(pci_virtio $NET)
net_up $NET || fail_all "cannot configure $(pci_netdev $NET)"
RX=$(irq_of "$VNET-input.0")
TX=$(irq_of "$VNET-output.0")
CFG=$(irq_of "$VNET-config")
[ -n "$RX" ] && [ -n "$TX" ] && [ -n "$CFG" ] ||
    fail_all "virtio-net ($VNET) MSI-X IRQs not found in /proc/interrupts"
orig_rx=$(affinity "$RX")
orig_tx=$(affinity "$TX")
orig_cfg=$(affinity "$CFG")
note "virtio-net $NET = $VNET: config IRQ $CFG, rx IRQ $RX, tx IRQ $TX;" \
     "affinity before the driver: $orig_cfg / $orig_rx / $orig_tx"
traffic 3 || fail_all "no ping reply from the slirp gateway 10.0.2.2"

# applied_seen: query-irqhint's applied-generation ($seen) is the
# generation the driver last acted on ($gen).
applied_seen() {
    gen=$(ihstat generation)
    host qmp query-irqhint || { seen="query failed: $HOST_REPLY"; return 1; }
    seen=$(echo "$HOST_REPLY" | sed -n 's/.*"applied-generation":\([0-9]*\).*/\1/p')
    [ -n "$seen" ] && [ "$seen" = "$gen" ]
}

# --- a ---
begin a "the driver binds and reads the device's table"
if insmod $KO; then
    dev=$(ls $DRV 2>/dev/null | grep '^virtio' | head -1)
    if [ -z "$dev" ]; then
        bad "virtio_irqhint is bound to no device"
    else
        pci=$(basename "$(readlink -f $DRV/$dev/..)")
        id=$(cat $DRV/$dev/../vendor):$(cat $DRV/$dev/../device)
        note "bound to $dev on $pci ($id)"
        [ "$id" = 0x1af4:0x107f ] || bad "bound device $pci is $id, not irqhint"
        dmesg | grep -q "virtio_irqhint $dev: irqhint: gen [0-9]* entries [0-9]* applied" ||
            bad "no summary line from the driver in dmesg"
        [ -f "$(irqhint_dir)/stats" ] || bad "no debugfs stats"
        # Traffic makes QEMU observe (and publish) virtio-net's vectors.
        traffic 5
        wait_for 20 table_has "bdf=$NET type=msix index=1 irq=$RX .*status=applied" ||
            bad "no applied entry for virtio-net rx (IRQ $RX) in the table"
        show_table
        # The driver reports the table it acted on (F_APPLIED): the host
        # sees the generation the driver shows.
        if wait_for 5 applied_seen; then
            note "the host sees applied-generation $seen, the driver's"
        else
            bad "the host sees applied-generation '${seen:-none}', the driver applied $gen"
        fi
    fi
else
    bad "insmod irqhint.ko failed"
fi
finish a

# --- b, c ---
begin b "placement: affinity = hinted CPU, interrupts counted there"
place 2
finish b

begin c "re-placement moves the IRQ again"
place 1
finish c
K=1

# --- d ---
begin d "rmmod restores the affinity, insmod re-applies the hint"
if rmmod irqhint; then
    [ ! -d "$(irqhint_dir)" ] || bad "debugfs directory left after rmmod"
    for v in "RX $RX $orig_rx" "TX $TX $orig_tx" "CFG $CFG $orig_cfg"; do
        set -- $v
        affinity_is "$2" "$3" ||
            bad "$1 IRQ $2 affinity '$(affinity "$2")' after rmmod, was '$3' before insmod"
    done
    note "after rmmod: config/rx/tx affinity $(affinity "$CFG") / $(affinity "$RX") / $(affinity "$TX")"
    if insmod $KO; then
        wait_for 20 affinity_is "$RX" $K ||
            bad "rx IRQ affinity '$(affinity "$RX")' after insmod, hinted CPU $K"
        wait_for 5 affinity_is "$TX" $K ||
            bad "tx IRQ affinity '$(affinity "$TX")' after insmod, hinted CPU $K"
        show_table
        deliver $K
    else
        bad "second insmod failed"
    fi
else
    bad "rmmod irqhint failed"
fi
finish d

echo "irqhint boot test: $fails failed"
exit $fails
