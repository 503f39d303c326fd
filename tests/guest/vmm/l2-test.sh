#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of the L2 initramfs (tests/guest/vmm/mkimages.sh): runs the
# IPI workload /bin/ipiload with vmm.n=N (pipe round trips) and vmm.mb=M
# (membarrier calls) and vmm.rng=K (reads of /dev/hwrng: an assigned
# virtio-rng) from the kernel command line; the init prints
# "IRQHINT-TEST-EXIT: <status>" and powers the L2 off.
n=1000
mb=1000
rng=0
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    vmm.n=*) n=${arg#vmm.n=} ;;
    vmm.mb=*) mb=${arg#vmm.mb=} ;;
    vmm.rng=*) rng=${arg#vmm.rng=} ;;
    esac
done
if [ "$rng" -gt 0 ]; then
    h=/sys/class/misc/hw_random
    # Only our reads: no khwrngd filling the entropy pool meanwhile.
    [ -w $h/rng_quality ] && echo 0 > $h/rng_quality
    echo "IPILOAD: hwrng $(cat $h/rng_current 2>/dev/null)," \
        "quality $(cat $h/rng_quality 2>/dev/null)"
    grep -i virtio /proc/interrupts | sed 's/^/IPILOAD: irq /'
fi
echo "IPILOAD: start n=$n mb=$mb cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
/bin/ipiload "$n" "$mb" "$rng"
