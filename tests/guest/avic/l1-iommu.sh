#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of an L1 booted with -device amd-iommu,intremap=on,ga-vapic=on
# (tests/guest/mkinitramfs.sh, EXTRA_MODULES="kvm kvm-amd vfio
# vfio-iommu-type1 vfio-pci-core vfio-pci"): what Linux's amd_iommu and
# kvm_amd say about interrupt remapping, guest vAPIC mode and AVIC, and
# where the assignable devices are.  Every line starts with "IOMMU-L1: ".

say() { echo "IOMMU-L1: $*"; }

echo 1 > /proc/sys/kernel/printk
say "kernel $(uname -r)"
dmesg | grep -E "AMD-Vi|iommu|AVIC|kvm_amd|SVM" | sed 's/^/IOMMU-L1: dmesg: /'
dmesg | grep -q "AMD-Vi: Interrupt remapping enabled" &&
    say "interrupt-remapping enabled"
dmesg | grep -q "AMD-Vi: Virtual APIC enabled" && say "guest-vapic enabled"
dmesg | grep -q "AVIC enabled" && say "kvm-avic enabled"
for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    say "group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')"
done
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] &&
        say "edu ${d##*/}"
done
exit 0
