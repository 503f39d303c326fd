#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of an L1 booted with -device amd-iommu,intremap=on,ga-vapic=on
# (guest/tools/mkinitramfs.sh, EXTRA_MODULES="kvm kvm-amd vfio
# vfio-iommu-type1 vfio-pci-core vfio-pci"): what Linux's amd_iommu and
# kvm_amd say about interrupt remapping, guest vAPIC mode and AVIC, and
# where the assignable devices are.  With iommu.n=N on the kernel command
# line it then binds edu to vfio-pci and runs /bin/avic-vmm --sync --vfio
# BDF msi:N: edu's MSI, through VFIO and a KVM irqfd, to a running and to a
# halted L2 vCPU (iommu.payload=P runs payload P instead, e.g.
# dev-irq-hlt; iommu.irqcpu=C pins edu's IRQ in L1 to CPU C; iommu.tick=C
# loads L1 CPU C with a thread that wakes every 50 us).  With --sync
# the VMM prints AVIC-PHASE lines and waits for a line on the console
# after each (the host reads QEMU's counters in between).  Every other
# line starts with "IOMMU-L1: ".

say() { echo "IOMMU-L1: $*"; }
edu=

echo 1 > /proc/sys/kernel/printk
say "kernel $(uname -r)"
dmesg | grep -E "AMD-Vi|iommu|AVIC|kvm_amd|SVM" | sed 's/^/IOMMU-L1: dmesg: /'
dmesg | grep -q "AMD-Vi: Interrupt remapping enabled" &&
    say "interrupt-remapping enabled"
dmesg | grep -q "AMD-Vi: Virtual APIC enabled" && say "guest-vapic enabled"
dmesg | grep -qE "(SVM|kvm_amd): AVIC enabled" && say "kvm-avic enabled"
for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    say "group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')"
done
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ]; then
        edu=${d##*/}
        say "edu $edu"
    fi
done
n=
payload=msi
irqcpu=
tick=
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    iommu.n=*) n=${arg#iommu.n=} ;;
    iommu.payload=*) payload=${arg#iommu.payload=} ;;
    iommu.irqcpu=*) irqcpu="--irq-cpu ${arg#iommu.irqcpu=}" ;;
    iommu.tick=*) tick="--tick ${arg#iommu.tick=}" ;;
    esac
done
[ -n "$n" ] || exit 0
[ -n "$edu" ] || { say "no edu device"; exit 2; }
echo 0 > /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null
echo "1234 11e8" > /sys/bus/pci/drivers/vfio-pci/new_id
say "edu driver: $(basename "$(readlink /sys/bus/pci/devices/$edu/driver)")"
stty -echo 2>/dev/null
# shellcheck disable=SC2086
/bin/avic-vmm --sync --vfio "$edu" --vcpus 3 --timeout 120 $irqcpu $tick "$payload:$n"
rc=$?
cat /proc/interrupts | grep -iE "AMD-Vi|vfio" | sed 's/^/IOMMU-L1: irq: /'
say "vmm exit $rc"
exit $rc
