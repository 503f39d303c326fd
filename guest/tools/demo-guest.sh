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
# The driver reports each table it applied (VIRTIO_IRQHINT_F_APPLIED).
if host qmp query-irqhint; then
    gen=$(echo "$HOST_REPLY" | sed -n 's/.*"generation":\([0-9]*\).*/\1/p')
    app=$(echo "$HOST_REPLY" | sed -n 's/.*"applied-generation":\([0-9]*\).*/\1/p')
    out ">>> host: query-irqhint: generation $gen published, applied-generation ${app:-?} reported by the driver"
fi

rmmod irqhint
out ""
out "=== guest: rmmod irqhint puts the affinity back"
out "  rx IRQ $RX: $(affinity "$RX"), tx IRQ $TX: $(affinity "$TX")"

# --- disk I/O completed by an iothread ---
BLK=0000:00:04.0
VBLK=$(pci_virtio $BLK)
DISK=/dev/$(basename "$(echo /sys/bus/pci/devices/$BLK/virtio*/block/*)")
QIRQ=$(irq_of "$VBLK-virtqueues")
READS=100

# blk_hint K: QEMU's hint for virtio-blk's queue vector names vCPUs K
# (after a few reads: QEMU notices where the raising thread runs on its
# next interrupt).
blk_hint() {
    disk_io "$DISK" 10
    host sources || return 1
    for s in $HOST_REPLY; do
        case $s in 04.0/1@*) [ "${s#*->}" = "$1" ]; return ;; esac
    done
    return 1
}

# show_disk: virtio-blk's queue IRQ, its affinity, and where its
# completion interrupts land during $READS direct reads.
show_disk() {
    disk_io "$DISK" 5
    b=$(counts "$QIRQ")
    disk_io "$DISK" $READS
    set -- $(delta "$b" "$(counts "$QIRQ")")
    out "   IRQ  /proc/interrupts name  affinity   interrupts during $READS reads"
    out "                                           CPU0  CPU1  CPU2  CPU3"
    out "$(printf '  %4s  %-21s %-9s %6s%6s%6s%6s' "$QIRQ" "$VBLK-virtqueues" \
           "$(affinity "$QIRQ")" "$1" "$2" "$3" "$4")"
}

# pin_io0 SLOT HINT AFFINITY: the host pins the iothread to host CPU slot
# SLOT; the hint should become vCPUs HINT, the IRQ's affinity AFFINITY.
pin_io0() {
    host pin-iothread io0 "$1" || { out "host: $HOST_REPLY"; exit 1; }
    tid=${HOST_REPLY#io0:}
    out ""
    out ">>> host: pins iothread io0 (thread ${tid%@*}) to host CPU ${tid#*@}"
    if wait_for 10 blk_hint "$2"; then
        wait_for 10 affinity_is "$QIRQ" "$3"
    else
        why=" (expected vCPU $2: QEMU did not see io0 raise it)"
    fi
    e=
    for s in $HOST_REPLY; do
        case $s in 04.0/1@*) e=$s ;; esac
    done
    r=${e#*@}
    out "    query-irqhint: virtio-blk's queue vector (MSI-X 1) raised on host"
    out "    CPU ${r%%-*}, hint vCPU ${e#*->}${why:-}"
    why=
    out ""
    out "=== guest: virtio-blk's completion IRQ during dd if=$DISK iflag=direct"
    show_disk
}

out ""
out "=== disk I/O from an iothread: virtio-blk $BLK ($VBLK, $DISK) with iothread=io0"
for k in 0 1 2; do
    host place-one $k 0 || { out "host: $HOST_REPLY"; exit 1; }
done
host place-one 3 1 || { out "host: $HOST_REPLY"; exit 1; }
out ">>> host: places vCPUs 0-2 on host CPU ${raise} (with QEMU's main loop) and"
out "    vCPU 3 on host CPU ${other}; virtio-blk's requests complete in iothread io0,"
out "    which raises their interrupts"
insmod /lib/modules/irqhint.ko || { out "insmod failed"; exit 1; }
pin_io0 1 3 3
pin_io0 0 0,1,2 0-2
rmmod irqhint
exit 0
