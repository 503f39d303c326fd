#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of tests/functional/test_x86_64_irqhint_iothread.py: disk
# completion interrupts raised by an iothread.  Booted through irqhint.guest
# with 2 vCPUs, irqhint.load=0, -device irqhint, -object iothread,id=io0
# and, both on io0 with vectors=2 (why: that test's doc),
#   virtio-blk-pci  at 00:04.0 (a disk: /dev/vdX)
#   virtio-scsi-pci at 00:05.0 (a scsi-hd: /dev/sdX)
# QEMU runs pinned to host CPU slot 0; the host pins io0 on request.
#
# vCPU 0 is placed (irqhint-set-placement) on host slot 0, where QEMU's main
# loop and vCPU threads run, vCPU 1 on slot 1.  Then, for each disk:
#   TAG-hint  io0 pinned to slot 1: QEMU sees the disk's queue vector raised
#             on slot 1's host CPU and hints vCPU 1 (query-irqhint), and the
#             driver's table has that entry applied
#   TAG-irq   the queue IRQ's affinity is CPU 1 and, during direct reads,
#             every completion interrupt is counted on CPU 1
#   TAG-move  io0 re-pinned to slot 0: hint, affinity and completions move
#             to vCPU 0
# Prints one "IRQHINT-RESULT: ID pass|fail [REASON]" line per check and
# exits with the number of failed checks.

. /lib/guest-lib.sh

KO=/lib/modules/irqhint.ko
READS=100               # direct reads per delivery count
CHECKS="blk-hint blk-irq scsi-hint scsi-irq blk-move scsi-move"

fail_all() {
    for id in $CHECKS; do
        echo "IRQHINT-RESULT: $id fail $*"
    done
    exit 9
}

# The disk a PCI device (virtio-blk or virtio-scsi) gives, as /dev/NAME.
pci_disk() {
    for _b in /sys/bus/pci/devices/"$1"/virtio*/block/* \
              /sys/bus/pci/devices/"$1"/virtio*/host*/target*/*/block/*; do
        [ -e "$_b" ] && { echo "/dev/${_b##*/}"; return 0; }
    done
    return 1
}

# queue_source SHORT: QEMU's entry for the device's queue vector (MSI-X 1)
# in the host's "sources" answer, "04.0/1@HOSTCPU->APICIDS" (or nothing).
queue_source() {
    for _s in $HOST_REPLY; do
        case $_s in "$1"/1@*) echo "$_s"; return ;; esac
    done
}

# hint_is TAG K: after a few reads from the disk, QEMU's hint for its queue
# vector names vCPU K (alone).  Sets $src (the entry), $src_cpu, $src_hint.
hint_is() {
    eval "_dev=\$${1}_dev _short=\$${1}_short"
    disk_io "$_dev" 10
    host sources || return 1
    src=$(queue_source "$_short")
    _r=${src#*@}
    src_cpu=${_r%%-*}
    src_hint=${src#*->}
    [ -n "$src" ] && [ "$src_hint" = "$2" ]
}

# expect_hint TAG K HOSTCPU: while io0 runs on HOSTCPU (the raising thread
# QEMU should see), the hint for the disk's queue vector names vCPU K, in
# QEMU and, applied, in the driver's table.
expect_hint() {
    eval "_pci=\$${1}_pci _irq=\$${1}_irq"
    _t0=$(now_cs)
    if wait_for 10 hint_is "$1" "$2"; then
        note "QEMU: $src (HOSTCPU->vCPUs) after $(( ($(now_cs) - _t0) * 10 )) ms of reads (guest time)"
    elif [ -z "$src" ]; then
        bad "QEMU publishes no entry for $_pci MSI-X 1 (sources: $HOST_REPLY)"
        return 1
    elif [ "$src_cpu" != "$3" ]; then
        bad "QEMU saw $_pci's queue vector raised on host CPU $src_cpu, io0 runs on $3: it does not see the iothread raise it (hint '$src_hint', want vCPU $2)"
        return 1
    else
        bad "QEMU saw $_pci's queue vector raised on host CPU $3 (io0's) but hints '$src_hint', want vCPU $2"
        return 1
    fi
    wait_for 10 table_has "bdf=$_pci type=msix index=1 irq=$_irq apic=$2 cpus=$2 .*status=applied" ||
        bad "the driver's table has no applied entry for $_pci MSI-X 1 (IRQ $_irq) naming vCPU $2"
    show_table
}

# expect_irq TAG K: the queue IRQ's affinity is CPU K and its completion
# interrupts during direct reads all land there.
expect_irq() {
    eval "_dev=\$${1}_dev _irq=\$${1}_irq"
    wait_for 10 affinity_is "$_irq" "$2" ||
        bad "queue IRQ $_irq affinity '$(affinity "$_irq")' (effective '$(cat /proc/irq/"$_irq"/effective_affinity_list)'), hinted CPU $2"
    # An x86 MSI moves with its next interrupt, which still lands on the
    # old CPU: let that happen before counting.
    disk_io "$_dev" 5
    _b=$(counts "$_irq")
    disk_io "$_dev" $READS
    _d=$(delta "$_b" "$(counts "$_irq")")
    _on=$(field "$2" "$_d")
    _off=$(sum_except "$2" "$_d")
    note "IRQ $_irq affinity $(affinity "$_irq"); completion interrupts per CPU during $READS direct reads from $_dev: $_d"
    [ "$_on" -ge $((READS / 2)) ] ||
        bad "only $_on completion interrupts on CPU $2 during $READS reads ($_d)"
    [ "$_off" -eq 0 ] ||
        bad "$_off completion interrupts on CPUs other than $2 ($_d)"
}

# --- setup ---
ctl_open || fail_all "no control channel to the host ($CTL_DEV)"
[ "$(ncpus)" = 2 ] || fail_all "expected 2 CPUs, have $(ncpus)"
for tag in blk scsi; do
    case $tag in blk) pci=0000:00:04.0 ;; scsi) pci=0000:00:05.0 ;; esac
    [ -d /sys/bus/pci/devices/$pci ] || fail_all "no $tag device at $pci"
    v=$(pci_virtio $pci)
    dev=$(pci_disk $pci) || fail_all "no disk on $tag device $pci ($v)"
    irq=$(irq_of "$v-virtqueues")
    [ -n "$irq" ] || fail_all "no shared queue IRQ $v-virtqueues: $(grep "$v-" /proc/interrupts | awk '{ printf "%s ", $NF }')"
    # vectors=2 leaves Linux no per-queue vectors, so nothing is managed.
    if echo 0 > /proc/irq/$irq/smp_affinity_list 2>/dev/null; then
        managed=no
    else
        managed=yes
    fi
    note "$tag $pci = $v, $dev: queue IRQ $irq ($v-virtqueues, managed: $managed, affinity $(affinity "$irq"))"
    [ $managed = no ] || fail_all "$tag queue IRQ $irq is managed: the driver may not move it"
    eval "${tag}_pci=$pci ${tag}_dev=$dev ${tag}_irq=$irq ${tag}_short=${pci#0000:00:}"
done

host place-one 0 0 || fail_all "host: $HOST_REPLY"
slot0=${HOST_REPLY#*@}
host place-one 1 1 || fail_all "host: $HOST_REPLY"
slot1=${HOST_REPLY#*@}
note "vCPU 0 placed on host CPU $slot0 (QEMU's main loop), vCPU 1 on host CPU $slot1"
insmod $KO || fail_all "insmod irqhint.ko failed"

# --- io0 on slot 1, with vCPU 1 ---
host pin-iothread io0 1 || fail_all "host: $HOST_REPLY"
note "host pinned iothread $HOST_REPLY"
for tag in blk scsi; do
    begin $tag-hint "$tag: io0 on host CPU $slot1: the hint names vCPU 1"
    expect_hint $tag 1 "$slot1"
    finish $tag-hint
    begin $tag-irq "$tag: the queue IRQ follows to CPU 1, completions land there"
    expect_irq $tag 1
    finish $tag-irq
done

# --- io0 re-pinned to slot 0, with vCPU 0 ---
host pin-iothread io0 0 || fail_all "host: $HOST_REPLY"
note "host re-pinned iothread $HOST_REPLY"
for tag in blk scsi; do
    begin $tag-move "$tag: io0 re-pinned to host CPU $slot0: hint, IRQ and completions move to vCPU 0"
    expect_hint $tag 0 "$slot0" && expect_irq $tag 0
    finish $tag-move
done

echo "  stats: $(tr '\n' ' ' < "$(irqhint_dir)/stats")"
echo "irqhint iothread test: $fails failed"
exit $fails
