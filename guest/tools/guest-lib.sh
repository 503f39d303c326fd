# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Guest-side helpers for the irqhint boot tests, demo and benchmark
# (busybox sh).  Sourced by the guest scripts; the initramfs holds it as
# /lib/guest-lib.sh.  The host side is python/irqhint/guest.py, reached
# over the control channel on /dev/ttyS1 (see its protocol).

CTL_DEV=/dev/ttyS1
HOST_REPLY=
_ctl_seq=0

# Quiet the console (kernel messages go to dmesg only; panics still show),
# and open the control channel as fd 3.
ctl_open() {
    echo 1 > /proc/sys/kernel/printk
    exec 3<>"$CTL_DEV" || return 1
    stty raw -echo <&3
}

# host COMMAND [ARGS]: ask the host, wait for its answer (in $HOST_REPLY).
# Returns 0 for OK, 1 for ERR or no answer within 60 s.
host() {
    _ctl_seq=$((_ctl_seq + 1))
    echo "REQ $_ctl_seq $*" >&3
    while read -r -t 60 _kind _seq HOST_REPLY <&3; do
        [ "$_seq" = "$_ctl_seq" ] || continue
        [ "$_kind" = OK ] && return 0
        return 1
    done
    HOST_REPLY="no answer from the host to: $*"
    return 1
}

# Checks of the guest boot tests: begin ID TITLE, then note/bad, then
# finish ID prints "IRQHINT-RESULT: ID pass|fail [FIRST REASON]" (what the
# host's suite reads) and counts failures in $fails.
fails=0
_check_bad=
note() { echo "  $*"; }
begin() { _check_bad=; echo "== check $1: $2"; }
bad() { [ -n "$_check_bad" ] || _check_bad="$*"; echo "  FAIL: $*"; }
finish() {
    if [ -z "$_check_bad" ]; then
        echo "IRQHINT-RESULT: $1 pass"
    else
        echo "IRQHINT-RESULT: $1 fail $_check_bad"
        fails=$((fails + 1))
    fi
}

# out TEXT: a line for the host to print (the demo's output).
out() {
    echo "OUT $*" >&3
}

# Guest time in centiseconds.
now_cs() {
    read -r _up _idle < /proc/uptime
    echo "${_up%.*}${_up#*.}" | sed 's/^0*\([0-9]\)/\1/'
}

# The network interface and virtio device name of a PCI device.
pci_netdev() { basename "$(echo /sys/bus/pci/devices/"$1"/virtio*/net/*)"; }
pci_virtio() { basename "$(echo /sys/bus/pci/devices/"$1"/virtio*)"; }

# irq_of NAME: the IRQ whose /proc/interrupts action is NAME.
irq_of() {
    awk -v n="$1" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts
}

# affinity IRQ: its smp_affinity_list.
affinity() { cat "/proc/irq/$1/smp_affinity_list" 2>/dev/null; }

ncpus() { grep -c '^processor' /proc/cpuinfo; }

# counts IRQ...: per-CPU interrupt counts, summed over the IRQs given.
counts() {
    awk -v irqs=" $* " -v n="$(ncpus)" '
        { i = $1; sub(":", "", i) }
        index(irqs, " " i " ") { for (k = 0; k < n; k++) c[k] += $(k + 2) }
        END { s = ""; for (k = 0; k < n; k++) s = s (k ? " " : "") c[k] + 0; print s }
    ' /proc/interrupts
}

# delta "A0 A1 .." "B0 B1 ..": per-CPU B - A.
delta() {
    echo "$1 / $2" | awk '{ n = (NF - 1) / 2; s = "";
        for (k = 1; k <= n; k++) s = s (k > 1 ? " " : "") $(n + 1 + k) - $k;
        print s }'
}

# field N "WORDS": the Nth word (0-based).
field() { echo "$2" | awk -v n="$1" '{ print $(n + 1) }'; }

# sum_except N "WORDS": sum of all words but the Nth (0-based).
sum_except() {
    echo "$2" | awk -v n="$1" '{ s = 0; for (k = 1; k <= NF; k++) if (k != n + 1) s += $k; print s }'
}

# wait_for SECS COMMAND...: poll (10 ms) until COMMAND succeeds.
wait_for() {
    _deadline=$(( $(now_cs) + $1 * 100 ))
    shift
    while ! "$@"; do
        [ "$(now_cs)" -lt "$_deadline" ] || return 1
        usleep 10000
    done
}

# affinity_is IRQ LIST
affinity_is() { [ "$(affinity "$1")" = "$2" ]; }

# disk_io DEV N: N direct 4 KiB reads from block device DEV, one at a time
# (each one request, so one completion interrupt).
disk_io() {
    dd if="$1" of=/dev/null bs=4k count="$2" iflag=direct 2>/dev/null
}

# Traffic over virtio-net: N pings to the slirp gateway, each sent as soon
# as the previous reply arrived.
traffic() {
    ping -q -A -c "$1" -W 2 10.0.2.2 >/dev/null 2>&1
}

# net_up PCI-ADDRESS: configure the slirp address on the device's netdev.
net_up() {
    _if=$(pci_netdev "$1")
    ip link set lo up
    ip link set "$_if" up &&
    ip addr add 10.0.2.15/24 dev "$_if"
}

# The irqhint debugfs directory of the (first) bound device.
irqhint_dir() { echo /sys/kernel/debug/virtio-irqhint/virtio*; }

# ihstat NAME: a counter from the driver's debugfs stats.
ihstat() { sed -n "s/^$1 //p" "$(irqhint_dir)/stats" 2>/dev/null; }

# table_has PATTERN: a line of the driver's table matches (grep -E).
table_has() { grep -qE "$1" "$(irqhint_dir)/table" 2>/dev/null; }

# show_table: the driver's table, indented.
show_table() { sed 's/^/    /' "$(irqhint_dir)/table" 2>/dev/null; }
