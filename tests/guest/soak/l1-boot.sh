#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test.sh of the soak's plain L1 boot (tests/guest/soak/drivers.py
# --kind l1-boot; the initramfs is guest/tools/mkinitramfs.sh with
# EXTRA_MODULES="kvm kvm-amd", whose /init loads kvm_amd with the
# kvm_amd.PARAM=VALUE of the kernel command line).  A few seconds of timer
# and IPI work on both CPUs, then the /init powers off:
#   - a sleep loop pinned to each CPU (LAPIC timer interrupts: hrtimer
#     wake-ups of an idle CPU);
#   - soak.rounds=N round trips between a process pinned to CPU 0 and one
#     pinned to CPU 1 over two FIFOs (each wake-up of the halted other CPU
#     is a reschedule IPI).
# Lines for the host start with "SOAK-L1: "; the last one is
#   SOAK-L1: result sent=N received=M
# (round trips started and answered).  The LOC/RES/CAL lines are
# /proc/interrupts as the guest reports it (not a QEMU counter).
# Exit status: 0 when every round trip came back, 1 when not, 2 when
# kvm_amd is not loaded.

say() { echo "SOAK-L1: $*"; }

rounds=200
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
    case $arg in
    soak.rounds=*) rounds=${arg#soak.rounds=} ;;
    esac
done

irqs() {
    grep -E '^ *(LOC|RES|CAL):' /proc/interrupts | tr -s ' ' | tr '\n' ';'
}

say "kernel $(uname -r), $(nproc) cpus"
if [ ! -d /sys/module/kvm_amd ]; then
    say "kvm_amd not loaded"
    dmesg | grep -iE "kvm|svm" | sed 's/^/SOAK-L1: dmesg: /'
    exit 2
fi
say "kvm_amd loaded, avic=$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null || echo '?')"
say "interrupts before: $(irqs)"

# Timer work: each CPU sleeps 40 times 50 ms.
# shellcheck disable=SC2016 # expanded by the inner sh
for c in 0 1; do
    taskset -c "$c" sh -c 'i=0; while [ $i -lt 40 ]; do usleep 50000; i=$((i + 1)); done' &
done

# IPI work: ping-pong over two FIFOs between CPU 0 and CPU 1.
mkfifo /tmp/ping /tmp/pong
# shellcheck disable=SC2016 # expanded by the inner sh
taskset -c 1 sh -c 'while read -r x; do echo "$x"; done </tmp/ping >/tmp/pong' &
taskset -c 0 sh -c "
    exec 3>/tmp/ping 4</tmp/pong
    i=0 got=0
    while [ \$i -lt $rounds ]; do
        echo \$i >&3
        read -r x <&4 && [ \"\$x\" = \$i ] && got=\$((got + 1))
        i=\$((i + 1))
        [ \$((i % 50)) = 0 ] && echo \"SOAK-L1: round trips \$i\"
    done
    exec 3>&-
    echo \$got >/tmp/received
"
wait
received=$(cat /tmp/received 2>/dev/null || echo 0)
say "interrupts after: $(irqs)"
say "result sent=$rounds received=$received"
[ "$received" = "$rounds" ]
