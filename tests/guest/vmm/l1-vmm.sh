#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of the L1 initramfs (tests/guest/vmm/mkimages.sh): Linux KVM
# (kvm_amd, loaded by the init with kvm_amd.avic=0|1 from the command
# line) runs Debian 12's own, unmodified qemu-system-x86_64 (7.2, in the
# image with its libraries and firmware at their usual paths) with
#
#   -enable-kvm -machine q35 -cpu host,x2apic=off,kvm-pv-ipi=off -smp 2
#   -m 256 -global kvm-pit.lost_tick_policy=discard
#
# booting the same Debian kernel as L2 with /l2/initrd.img (the IPI
# workload, l2-test.sh).  x2apic=off: this CPU has no x2AVIC, and KVM
# inhibits AVIC for a guest in x2APIC mode; kvm-pv-ipi=off: a 6.1 L2
# sends its IPIs by hypercall (VMMCALL) when KVM offers it, not through
# the APIC; lost_tick_policy=discard: KVM inhibits AVIC while the
# in-kernel PIT reinjects ticks.  Command
# line: vmm.n=N vmm.mb=M (passed to L2), vmm.cpu=MODEL (default above),
# vmm.rng=K (with an amd-iommu and a virtio-rng-pci in L1: bind the
# virtio-rng to vfio-pci, give it to L2 with -device vfio-pci,host=BDF
# and pass vmm.rng=K on, for K reads of /dev/hwrng), vmm.sync=1 (after
# "qemu exit", wait up to 120 s for a line on the console: the host
# samples QEMU's counters before L1 powers off).
#
# Every L2 console line is copied to this console as "L2| <line>".  Lines
# of this script start with "VMM-L1: ": kvm_amd's avic parameter, what
# dmesg says about AVIC, the QEMU command, KVM's AVIC tracepoint counts
# (kvm_avic_*, and kvm_apicv_inhibit_changed summarized as "inhibit
# <count> <event>"; "trace-overrun N": events lost), KVM's own statistics
# of the VM (debugfs, last sample before it ended: "kvmstat NAME VALUE")
# and "qemu exit <status>".
# Exit status: QEMU's.

say() { echo "VMM-L1: $*"; }

n=1000
mb=1000
cpu=host,x2apic=off,kvm-pv-ipi=off
rng=0
sync=0
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    vmm.n=*) n=${arg#vmm.n=} ;;
    vmm.mb=*) mb=${arg#vmm.mb=} ;;
    vmm.cpu=*) cpu=${arg#vmm.cpu=} ;;
    vmm.rng=*) rng=${arg#vmm.rng=} ;;
    vmm.sync=*) sync=${arg#vmm.sync=} ;;
    esac
done

[ "$sync" = 1 ] && stty -echo 2>/dev/null
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus"
if [ ! -c /dev/kvm ]; then
    say "no /dev/kvm"
    dmesg | grep -iE "kvm|svm" | sed 's/^/VMM-L1: dmesg: /'
    exit 3
fi
say "kvm_amd avic=$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null || echo '?')"
dmesg | grep -E "AVIC|SVM:|kvm_amd:|kvm:|AMD-Vi" | sed 's/^/VMM-L1: dmesg: /'
if dmesg | grep -q "AVIC enabled"; then
    say "dmesg-avic enabled"
else
    say "dmesg-avic absent"
fi

# The virtio-rng for L2: off its driver, onto vfio-pci.
vfio=
if [ "$rng" -gt 0 ]; then
    for d in /sys/bus/pci/devices/*; do
        case "$(cat "$d/vendor"):$(cat "$d/device")" in
        0x1af4:0x1044|0x1af4:0x1005) bdf=${d##*/} ;;
        *) continue ;;
        esac
        [ -e "$d/driver" ] && echo "$bdf" > "$d/driver/unbind"
        echo vfio-pci > "$d/driver_override"
        echo "$bdf" > /sys/bus/pci/drivers_probe
        say "virtio-rng $bdf: driver $(basename "$(readlink "$d/driver")")," \
            "iommu group $(basename "$(readlink "$d/iommu_group")")"
        vfio="-device vfio-pci,host=$bdf"
        break
    done
    if [ -z "$vfio" ]; then
        say "no virtio-rng to assign"
        exit 3
    fi
    for g in /sys/kernel/iommu_groups/*; do
        say "group ${g##*/}:" "$(cd "$g/devices" && echo *)"
    done
fi

T=/sys/kernel/tracing
mount -t tracefs tracefs $T 2>/dev/null
[ -d $T/events ] || T=/sys/kernel/debug/tracing
events=
for e in kvm_apicv_inhibit_changed kvm_avic_incomplete_ipi \
         kvm_avic_unaccelerated_access kvm_avic_doorbell \
         kvm_avic_kick_vcpu_slowpath kvm_avic_ga_log; do
    if [ -e $T/events/kvm/$e/enable ]; then
        echo 1 > $T/events/kvm/$e/enable && events="$events $e"
    fi
done
echo 4096 > $T/buffer_size_kb 2>/dev/null
: > $T/trace 2>/dev/null
say "tracing:${events:- none}"

# KVM's statistics of the VM, sampled while it lives (its debugfs
# directory goes with it).
(
    while :; do
        for d in /sys/kernel/debug/kvm/*-*; do
            [ -d "$d" ] || continue
            grep -H . "$d"/* 2>/dev/null > /tmp/kvmstat.new &&
                mv /tmp/kvmstat.new /tmp/kvmstat
        done
        sleep 5
    done
) &
sampler=$!

# shellcheck disable=SC2086
set -- /usr/bin/qemu-system-x86_64 -enable-kvm -machine q35 -cpu "$cpu" \
    -smp 2 -m 256 -nodefaults -display none -vga none -monitor none \
    -no-reboot -serial stdio -global kvm-pit.lost_tick_policy=discard \
    -kernel /l2/vmlinuz -initrd /l2/initrd.img $vfio \
    -append "console=ttyS0 panic=-1 loglevel=4 vmm.n=$n vmm.mb=$mb vmm.rng=$rng"
say "qemu $(/usr/bin/qemu-system-x86_64 --version | head -n1)"
say "$*"
{ "$@" </dev/null 2>&1; echo $? > /tmp/qemu.rc; } |
    awk '{ sub(/\r$/, ""); print "L2| " $0; fflush() }'
rc=$(cat /tmp/qemu.rc 2>/dev/null || echo 255)
kill "$sampler" 2>/dev/null

echo 0 > $T/tracing_on 2>/dev/null
for e in $events; do
    say "trace $e $(grep -c " $e:" $T/trace)"
done
# Events lost to a full buffer make the counts above short.
say "trace-overrun $(cat $T/per_cpu/cpu*/stats 2>/dev/null |
    awk '/^overrun:/ { n += $2 } END { print n + 0 }')"
grep " kvm_apicv_inhibit_changed:" $T/trace 2>/dev/null |
    sed 's/.* kvm_apicv_inhibit_changed: *//' | sort | uniq -c |
    sed 's/^ */VMM-L1: inhibit /'
[ -z "$vfio" ] || grep -iE "vfio|AMD-Vi" /proc/interrupts | sed 's/^/VMM-L1: irq: /'
if [ -f /tmp/kvmstat ]; then
    sed 's#^.*/\([^/:]*\):#VMM-L1: kvmstat \1 #' /tmp/kvmstat
fi
say "qemu exit $rc"
# vmm.sync=1 (the driver): wait for a console line, so that the host reads
# QEMU's counters before this L1 powers off.
if [ "$sync" = 1 ]; then
    # shellcheck disable=SC3045 # busybox sh has read -t
    read -r -t 120 _ack || say "no answer from the host"
fi
exit "$rc"
