#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The L1 side of the AVIC test: /test.sh of the initramfs that
# python/irqhint/avic.py builds (guest/tools/mkinitramfs.sh with
# EXTRA_MODULES="kvm kvm-amd"; its /init loads kvm_amd with the
# kvm_amd.PARAM=VALUE found on the kernel command line, e.g.
# kvm_amd.avic=1).  Reports what KVM says about AVIC, runs /bin/avic-vmm
# with the arguments of avic.vmm=ARG,ARG,... on the kernel command line
# (commas for spaces), then summarizes KVM's AVIC tracepoints.  Every line
# for the host starts with "AVIC-L1: " (the VMM's with "AVIC-VMM: " and
# "AVIC-PHASE ").  Exit status: the VMM's.

say() { echo "AVIC-L1: $*"; }

vmm_args=all
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    avic.vmm=*) vmm_args=$(echo "${arg#avic.vmm=}" | tr ',' ' ') ;;
    esac
done

# Kernel messages to dmesg only; the host writes phase handshake lines to
# the console: no echo.
echo 1 > /proc/sys/kernel/printk
stty -echo 2>/dev/null

say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus"
if [ ! -d /sys/module/kvm_amd ]; then
    say "kvm_amd not loaded"
    dmesg | grep -iE "kvm|svm" | sed 's/^/AVIC-L1: dmesg: /'
    exit 2
fi
say "kvm_amd avic=$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null || echo '?')"
dmesg | grep -E "AVIC|SVM:|kvm_amd:|kvm:" | sed 's/^/AVIC-L1: dmesg: /'
if dmesg | grep -q "AVIC enabled"; then
    say "dmesg-avic enabled"
else
    say "dmesg-avic absent"
fi
# HLT blocks at once (no halt polling): a halted vCPU is really blocked
# when the VMM sees its thread sleep.
[ -w /sys/module/kvm/parameters/halt_poll_ns ] &&
    echo 0 > /sys/module/kvm/parameters/halt_poll_ns

# KVM's AVIC tracepoints (those this kernel has).
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

# shellcheck disable=SC2086
/bin/avic-vmm $vmm_args
rc=$?

echo 0 > $T/tracing_on 2>/dev/null
for e in $events; do
    say "trace $e $(grep -c " $e:" $T/trace)"
done
# Inhibit changes, counted: "set reason=R, inhibits=0x.." / "cleared ...".
grep " kvm_apicv_inhibit_changed:" $T/trace 2>/dev/null |
    sed 's/.* kvm_apicv_inhibit_changed: *//' | sort | uniq -c |
    sed 's/^ */AVIC-L1: inhibit /'
say "vmm exit $rc"
exit $rc
