# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Interrupts raised by an iothread: a guest boot test (Debian 12's 6.1
# kernel) with virtio-blk and virtio-scsi on `-object iothread,id=io0`.
# Run by tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR, $QTEST_QEMU_BINARY).
#
# With an iothread a disk's requests complete in that thread, so the host
# CPU that raises the completion interrupt is the iothread's, not the main
# loop's nor a vCPU's.  QEMU runs pinned to host CPU slot 0 (main loop,
# vCPU threads); vCPU 0 is placed there and vCPU 1 on slot 1
# (irqhint-set-placement), so exactly one vCPU shares each host CPU.  The
# host (tests/guest/irqhint_host.py, "pin-iothread") pins io0's thread
# (query-iothreads' thread-id, sched_setaffinity) to slot 1, then back to
# slot 0.  The guest (tests/guest/iothread-test.sh) reads each disk with
# O_DIRECT and checks that the hint (query-irqhint and the driver's table)
# names the vCPU sharing io0's host CPU, that the disk's completion IRQ
# affinity follows, that its completions are counted on that CPU
# (/proc/interrupts), and that all of it moves when io0 is re-pinned.
# Slot 1 differs from the main loop's CPU, so a QEMU that saw the main loop
# (not io0) raise the interrupt fails the first check.
#
# Why vectors=2 on both devices: Linux gives virtio queues with a vector of
# their own *managed* IRQs (virtio_pci requests per-queue vectors with
# PCI_IRQ_AFFINITY): the kernel owns their affinity, writes to
# smp_affinity fail with EIO, and the irqhint driver reports such an entry
# ("skipped:managed") instead of forcing it.  That holds for virtio-blk's
# req.N vectors, num-queues=1 included (config + one queue vector fit), and
# for virtio-scsi's request queues.  With fewer MSI-X vectors than 1 + the
# queues (virtio-blk num-queues=2,vectors=2; virtio-scsi, whose control and
# event queues count too, vectors=2), virtio_pci falls back to one shared
# "virtioN-virtqueues" vector requested without affinity spreading: an
# ordinary IRQ whose affinity the driver applies.  The guest checks that
# the IRQ is unmanaged before anything else.
#
# Needs 2 usable host CPUs (skips loudly otherwise).  Logs:
# $LOGDIR/iothread/.

# shellcheck source=tests/guest/host-lib.sh
. "$ROOT/tests/guest/host-lib.sh"

iothread_suite() {
    local series=6.1
    local dir=$LOGDIR/iothread
    local t="iothread [$series]"
    local -a checks=(
        blk-hint "$t: virtio-blk: the hint names the vCPU on the iothread's host CPU"
        blk-irq "$t: virtio-blk: completion IRQ affinity and delivery follow the hint"
        scsi-hint "$t: virtio-scsi: the hint names the vCPU on the iothread's host CPU"
        scsi-irq "$t: virtio-scsi: completion IRQ affinity and delivery follow the hint"
        blk-move "$t: virtio-blk: re-pinning the iothread moves hint, IRQ and completions"
        scsi-move "$t: virtio-scsi: re-pinning the iothread moves hint, IRQ and completions"
    )
    local i ncpu rc
    local -x IRQHINT_GUEST_SERIES=$series

    rm -rf "$dir"
    mkdir -p "$dir"

    ncpu=$(irqhint_usable_cpus)
    if [ "${ncpu:-0}" -lt 2 ]; then
        echo "iothread: SKIPPING: the iothread and the main loop must run on different host CPUs; this process may use ${ncpu:-?}" >&2
        for ((i = 1; i < ${#checks[@]}; i += 2)); do
            result "${checks[$i]}" skip "needs 2 usable host CPUs (iothread and main loop apart), have ${ncpu:-?}"
        done
        return
    fi

    if ! EXTRA_MODULES="virtio_scsi sd_mod" WORK=$dir \
            irqhint_prepare_guest "$t" "$ROOT/tests/guest/iothread-test.sh" 2>/dev/null ||
       ! truncate -s 16M "$dir/blk.img" "$dir/scsi.img" 2>>"$dir/prepare.log"; then
        for ((i = 1; i < ${#checks[@]}; i += 2)); do
            result "${checks[$i]}" fail "could not build the guest kernel/module/initramfs" "$dir/prepare.log"
        done
        return
    fi

    irqhint_suite_boot "$dir" 150 --smp 2 -- \
        -device irqhint \
        -object iothread,id=io0 \
        -blockdev "driver=file,filename=$dir/blk.img,node-name=blk" \
        -device virtio-blk-pci,drive=blk,iothread=io0,num-queues=2,vectors=2,addr=04.0 \
        -blockdev "driver=file,filename=$dir/scsi.img,node-name=scsi" \
        -device virtio-scsi-pci,id=scsi0,iothread=io0,num_queues=2,vectors=2,addr=05.0 \
        -device scsi-hd,drive=scsi,bus=scsi0.0
    rc=$?
    irqhint_guest_results "$dir" $rc "${checks[@]}"
}

iothread_suite
