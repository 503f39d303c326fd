#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of the L2 initramfs (tests/guest/vmm/mkimages.sh): runs the
# IPI workload /bin/ipiload with vmm.n=N (pipe round trips) and vmm.mb=M
# (membarrier calls) from the kernel command line; the init prints
# "IRQHINT-TEST-EXIT: <status>" and powers the L2 off.
n=1000
mb=1000
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    vmm.n=*) n=${arg#vmm.n=} ;;
    vmm.mb=*) mb=${arg#vmm.mb=} ;;
    esac
done
echo "IPILOAD: start n=$n mb=$mb cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
/bin/ipiload "$n" "$mb"
