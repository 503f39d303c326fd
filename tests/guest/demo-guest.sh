#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of the demo (scripts/guest-demo.sh).  Everything it shows
# goes to the host over the control channel ("out"), in order with what
# the host prints itself (the hint table), so the demo reads top to bottom.
# Booted with irqhint.load=0: the "before" picture has no driver.

. /lib/guest-lib.sh

NET=0000:00:03.0
PINGS=20

ctl_open || exit 1
VNET=$(pci_virtio $NET)
net_up $NET || { out "cannot configure the network"; exit 1; }
RX=$(irq_of "$VNET-input.0")
TX=$(irq_of "$VNET-output.0")
CFG=$(irq_of "$VNET-config")

# show: virtio-net's IRQs, their affinity, and where their interrupts
# land during $PINGS pings to the slirp gateway.
show() {
    # On x86 an MSI moves with its next interrupt, which still lands on
    # the old CPU: let that happen before counting.
    traffic 2
    b_cfg=$(counts "$CFG") b_rx=$(counts "$RX") b_tx=$(counts "$TX")
    traffic $PINGS
    out "   IRQ  /proc/interrupts name  affinity   interrupts during $PINGS pings"
    out "                                           CPU0  CPU1  CPU2  CPU3"
    for row in "$CFG $VNET-config $b_cfg" "$RX $VNET-input.0 $b_rx" \
               "$TX $VNET-output.0 $b_tx"; do
        set -- $row
        irq=$1 name=$2
        shift 2
        d=$(delta "$*" "$(counts "$irq")")
        set -- $d
        out "$(printf '  %4s  %-21s %-9s %6s%6s%6s%6s' "$irq" "$name" \
               "$(affinity "$irq")" "$1" "$2" "$3" "$4")"
    done
}

# place K: the management layer moves vCPU K to the raising host CPU.
place() {
    host place "$1" || { out "host: $HOST_REPLY"; exit 1; }
    raise=${HOST_REPLY#raise=}
    raise=${raise%% *}
    other=${HOST_REPLY#*other=}
    others=$(for c in 0 1 2 3; do [ $c = "$1" ] || printf '%s ' $c; done)
    out ""
    out ">>> host: management pins vCPU $1 to host CPU $raise, where QEMU raises"
    out "    virtio-net's interrupts, and vCPUs ${others% } to host CPU $other"
    out "    (QMP irqhint-set-placement).  The hint table irqhint publishes:"
    out ""
    host hmp info irqhint
}

out "guest: Linux $(uname -r), $(ncpus) vCPUs, virtio-net $NET ($VNET) on slirp"
traffic 5        # QEMU sees virtio-net's vectors raised

place 2
out ""
out "=== guest, no irqhint driver: virtio-net's IRQs"
show

out ""
out "=== guest: insmod irqhint.ko"
insmod /lib/modules/irqhint.ko || { out "insmod failed"; exit 1; }
wait_for 10 affinity_is "$RX" 2
out "  dmesg: $(dmesg | grep 'virtio_irqhint .*irqhint: gen' | tail -1 | sed 's/^\[[^]]*\] //')"
out "  driver's view (/sys/kernel/debug/virtio-irqhint/*/table):"
while read -r line; do
    out "    $line"
done < "$(irqhint_dir)/table"
out ""
out "=== guest, with the driver: the hint is applied"
show

place 1
wait_for 10 affinity_is "$RX" 1
out ""
out "=== guest: the driver followed the new hint (config change interrupt)"
show

rmmod irqhint
out ""
out "=== guest: rmmod irqhint puts the affinity back"
out "  rx IRQ $RX: $(affinity "$RX"), tx IRQ $TX: $(affinity "$TX")"
exit 0
