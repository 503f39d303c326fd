#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of bench/locality.sh.  Per round, vCPU K is pinned (host side)
# to the host CPU where QEMU raises virtio-net's interrupts and the other
# vCPUs to another; irqhint finds that by itself (placement "pinned") and
# hints vCPU K.  The round then counts virtio-net's interrupts during
# $PINGS pings with the driver applying hints and with the driver in
# observe_only=1 mode (the kernel's own affinity), side by side, and
# measures in guest time how long after the re-pin the driver applied the
# new hint.  Output goes to the host ("out").

. /lib/guest-lib.sh

NET=0000:00:03.0
KO=/lib/modules/irqhint.ko
PINGS=${PINGS:-200}
REPINS=${REPINS:-20}
ORDER="2 1 3 0"

ctl_open || exit 1
VNET=$(pci_virtio $NET)
net_up $NET || { out "cannot configure the network"; exit 1; }
RX=$(irq_of "$VNET-input.0")
TX=$(irq_of "$VNET-output.0")
traffic 5
# Where the kernel put them (no irqbalance here): the "without" baseline.
# An x86 MSI whose affinity mask still holds its current CPU stays there,
# so rmmod (which restores the mask, 0-3) would leave it on the hinted
# CPU; the baseline sets these CPUs again instead.
boot_rx=$(cat /proc/irq/$RX/effective_affinity_list)
boot_tx=$(cat /proc/irq/$TX/effective_affinity_list)
out "kernel's own choice at boot: rx IRQ $RX on CPU $boot_rx, tx IRQ $TX on CPU $boot_tx (mask $(affinity "$RX"))"
insmod $KO || { out "insmod failed"; exit 1; }

# The times come from timestamps, read once at the end: reading the
# kernel log (or forking at all) is slow under TCG and would load the vCPUs
# while the next change travels.
MARKS=/tmp/locality-marks
: > $MARKS
IDLE=/tmp/locality-idle
mkfifo $IDLE || exit 1

# from_request: "MARK MS" for each "MARK GEN" line of $MARKS, the guest
# time from the kernel log mark MARK (made before the request) to the
# driver's log line for generation GEN.
from_request() {
    [ -s $MARKS ] || return 0
    dmesg | awk 'NR == FNR { gen[$1] = $2; next }
        { ts = $0; sub(/^\[ */, "", ts); sub(/\].*/, "", ts) }
        /irqhint-bench: / { m = $NF; if (m in gen) { t0[m] = ts; open_[m] = 1 }; next }
        /irqhint: gen / { g = $0; sub(/.*irqhint: gen /, "", g); sub(/ .*/, "", g)
            for (m in open_) if (g == gen[m]) {
                printf "%s %.1f\n", m, (ts - t0[m]) * 1000; delete open_[m] } }' \
        "$MARKS" -
}

# lats PREFIX: the from_request times of the marks PREFIX-N.
lats() { echo "$FROM_REQUEST" | awk -v p="$1-" 'index($1, p) == 1 { print $2 }'; }

# timed MARK REQUEST ARG [CPUS]: make kernel log mark MARK, ask the host
# for REQUEST ARG (pin or place vCPU ARG, or pin-main to host CPU slot
# ARG), wait until both IRQs have affinity CPUS (default: ARG); note MARK
# and the generation of that table in $MARKS and print the host's wall
# clock when it re-pinned ("-" for place) and the generation.  Fails if
# not applied.
timed() {
    _want=${4:-$3}
    echo "irqhint-bench: $1" > /dev/kmsg
    host "$2" "$3" || { out "host: $HOST_REPLY"; return 1; }
    # Then 50 ms without forking (read times out on a FIFO nobody writes):
    # forks are slow under TCG, and this script's own would compete with
    # the driver's work for the vCPUs and their host CPUs while the change
    # travels.
    read -t 0.05 _ <> $IDLE
    wait_for 20 affinity_is "$RX" "$_want" &&
        wait_for 5 affinity_is "$TX" "$_want" || return 1
    _gen=$(ihstat generation)
    echo "$1 $_gen" >> $MARKS
    _at=${HOST_REPLY##* at=}
    [ "$_at" != "$HOST_REPLY" ] || _at=-
    echo "$_at $_gen"
}

# measure K: "ON TOTAL" virtio-net interrupts (on CPU K, all) in $PINGS pings.
measure() {
    traffic 3        # an MSI moves with its next interrupt; let it
    _b=$(counts "$RX" "$TX")
    traffic $PINGS
    _d=$(delta "$_b" "$(counts "$RX" "$TX")")
    echo "$(field "$1" "$_d") $(echo "$_d" | awk '{ s = 0; for (k = 1; k <= NF; k++) s += $k; print s }')"
}

out "$(printf '%-5s %-26s %-24s %-24s %s' round "hint (rx, tx)" \
    "without driver" "with driver" "re-pin applied")"
on_w=0 tot_w=0 on_o=0 tot_o=0 lats=
n=0
for K in $ORDER; do
    n=$((n + 1))
    # Re-pin with the driver applying; timed from a kernel log mark.
    if lat=$(timed "round-$n" pin "$K"); then
        lat="generation ${lat#* }"
    else
        lat="not applied in 20 s (rx $(affinity "$RX"), tx $(affinity "$TX"))"
    fi
    host sources
    src=$HOST_REPLY
    hint=$(awk '$2 ~ /bdf=0000:00:03.0/ && $4 ~ /index=[12]/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^(apic|reason)=/) h = h " " $i
           } END { print h }' "$(irqhint_dir)/table")

    set -- $(measure "$K")
    w_on=$1 w_tot=$2
    rmmod irqhint || { out "rmmod failed"; exit 1; }
    echo "$boot_rx" > /proc/irq/$RX/smp_affinity_list
    echo "$boot_tx" > /proc/irq/$TX/smp_affinity_list
    insmod $KO observe_only=1 || { out "observe-only insmod failed"; exit 1; }
    set -- $(measure "$K")
    o_on=$1 o_tot=$2
    rmmod irqhint && insmod $KO || { out "reload failed"; exit 1; }

    on_w=$((on_w + w_on)) tot_w=$((tot_w + w_tot))
    on_o=$((on_o + o_on)) tot_o=$((tot_o + o_tot))
    out "$(printf '%-5s %-26s %-24s %-24s %s' "$n" "vCPU $K" \
        "$o_on/$o_tot on vCPU $K" "$w_on/$w_tot on vCPU $K" "$lat")"
    out "      table:$hint; QEMU: $src"
done

# Re-pins alone, REPINS of them (at least 20): vCPU thread K pinned to
# the raising host CPU, the others away, K cycling.  Each is timed twice:
# in guest time from a kernel log mark made before the request (an upper
# bound: it includes the request's way through the guest's serial driver
# and the host's control program), and from the host's re-pin to the
# driver's report that it applied that table (VIRTIO_IRQHINT_F_APPLIED),
# which the host reads in QEMU's trace log afterwards (one "REPIN-AT"
# line per re-pin).
i=0
while [ $i -lt "$REPINS" ]; do
    K=$(( (i + 1) % 4 ))
    i=$((i + 1))
    if lat=$(timed "repin-$i" pin "$K"); then
        set -- $lat
        out "REPIN-AT $i vcpu $K host-time $1 generation $2"
    else
        out "re-pin $i to vCPU $K: not applied in 20 s"
    fi
done

# Re-pins of the main loop, which raises virtio-net's interrupts: with
# vCPU 0 alone on the raising host CPU and the others on the second one,
# the main loop moves to the second (the hint becomes vCPUs 1-3) and back
# (vCPU 0), $REPINS times.  A raising thread's move is noticed with its
# next interrupt: a ping every 2 ms meanwhile.
if timed "main-start" pin 0 >/dev/null; then
    ping -q -i 0.002 10.0.2.2 >/dev/null 2>&1 &
    pinger=$!
    i=0
    while [ $i -lt "$REPINS" ]; do
        i=$((i + 1))
        if [ $((i % 2)) = 1 ]; then slot=1 want=1-3; else slot=0 want=0; fi
        if lat=$(timed "main-$i" pin-main $slot $want); then
            set -- $lat
            out "MAIN-AT $i slot $slot host-time $1 generation $2"
        else
            out "main loop re-pin $i to slot $slot: not applied in 20 s"
        fi
    done
    kill $pinger
    wait $pinger 2>/dev/null
    host pin-main 0 >/dev/null
else
    out "could not pin vCPU 0 alone for the main loop re-pins"
fi

# Placement by the management layer (QMP), which irqhint applies at once.
for K in 1 3 0 2; do
    timed "place-$K" place "$K" >/dev/null
done
FROM_REQUEST=$(from_request)

# summary VALUES...: "min A, median B, max C ms (N changes)"
summary() {
    echo "$*" | tr ' ' '\n' | grep . | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "min %s, median %s, max %s ms (%d changes)", v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

share() { echo "$1 $2" | awk '{ printf "%.1f", $2 ? 100 * $1 / $2 : 0 }'; }
sw=$(share $on_w $tot_w)
so=$(share $on_o $tot_o)
ratio=$(echo "$sw $so" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "inf" }')
out ""
out "share of virtio-net interrupts on the hinted vCPU:"
out "$(printf '  %-52s %6s%% (%s)' "without driver (observe_only=1; kernel's boot CPUs):" "$so" "$on_o/$tot_o")"
out "$(printf '  %-52s %6s%% (%s)  goal >= 99%%' "with driver:" "$sw" "$on_w/$tot_w")"
out "$(printf '  %-52s %6s' "ratio with/without:" "$ratio")"
out "placement change -> affinity applied, guest time (driver's log line):"
out "  re-pin of vCPU threads (the threads notice it), rounds above: $(summary $(lats round))"
out "  re-pin of vCPU threads, $REPINS re-pins alone, from the request:   $(summary $(lats repin))"
out "  re-pin of the main loop, $REPINS re-pins, from the request:       $(summary $(lats main))"
out "  QMP irqhint-set-placement, 4 vCPUs, from the request:    $(summary $(lats place))"
exit 0
