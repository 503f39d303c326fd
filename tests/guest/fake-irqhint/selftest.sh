#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side of the irqhint driver self-test against fake_irqhint (run by
# tests/guest/fake-irqhint/run.sh, which boots with fake_irqhint=1 and):
#   00:03.0 virtio-net-pci  (MSI-X, vectors 0..2 allocated, 4 in the table)
#   00:04.0 virtio-blk-pci  (MSI-X, managed affinity)
#   00:1f.2 q35 AHCI         (MSI, 1 vector) with the ahci module loaded
# Prints "PASS: ..." / "FAIL: ..." lines and exits with the failure count.

CTL=/sys/kernel/debug/fake-irqhint/ctl
NET=0000:00:03.0
BLK=0000:00:04.0
SATA=0000:00:1f.2
fails=0
dir=

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ctl() { echo "$*" > "$CTL" || fail "ctl $*"; }
stat() { sed -n "s/^$1 //p" "$dir/stats"; }

# irq of an entry in the table file, by entry number
entry_irq() { sed -n "s/^$1 .* irq=\([0-9-]*\) .*/\1/p" "$dir/table"; }
entry_status() { sed -n "s/^$1 .* status=\([^ ]*\)$/\1/p" "$dir/table"; }
affinity() { cat "/proc/irq/$1/smp_affinity_list"; }

# Run a command in the background and wait at most $2 tenths of a second
# for it: 0 if it finished (its status in $bg_rc), 1 if not (it is left
# behind, e.g. blocked on a lock of a livelocked driver).  $bg_waited:
# the tenths waited.  A marker file, not kill -0: a finished child stays
# a zombie until the shell reaps it.
bg_n=0
bounded() {
    bg_n=$((bg_n + 1))
    bg_done=/tmp/bounded.$bg_n
    (sh -c "$1"; echo $? > "$bg_done.tmp"; mv "$bg_done.tmp" "$bg_done") &
    bg_waited=0
    while [ ! -e "$bg_done" ]; do
        [ $bg_waited -ge "$2" ] && return 1
        usleep 100000
        bg_waited=$((bg_waited + 1))
    done
    bg_rc=$(cat "$bg_done")
    return 0
}

expect() {
    # expect WHAT ACTUAL WANTED
    if [ "$2" = "$3" ]; then
        pass "$1 = $3"
    else
        fail "$1 = '$2', expected '$3'"
    fi
}

# Raise a config change and wait for the driver to process it.
update() {
    before=$(stat updates)
    before_u=$(stat unsettled)
    ctl changed
    i=0
    while [ $i -lt 100 ]; do
        [ "$(stat updates)" != "$before" ] && return 0
        [ "$(stat unsettled)" != "$before_u" ] && return 0
        usleep 50000
        i=$((i + 1))
    done
    fail "no update after config change"
}

dir=$(echo /sys/kernel/debug/virtio-irqhint/*)
[ -f "$dir/stats" ] || { fail "no irqhint debugfs dir"; exit 1; }
echo "irqhint dir $dir"
lspci_irqs() {
    for f in "/sys/bus/pci/devices/$1/msi_irqs/"*; do
        [ -e "$f" ] && printf '%s ' "${f##*/}"
    done
}
echo "net msi_irqs: $(lspci_irqs $NET) blk: $(lspci_irqs $BLK) sata: $(lspci_irqs $SATA)"

# The probe read an empty table.
expect "probe: entries" "$(stat entries)" 0
expect "probe: updates" "$(stat updates)" 1

# 1. Valid entries are applied.
ctl clear
ctl header 3 127 32 4
ctl entry 0 $NET 1 2 1 0 1 2
ctl entry 1 $NET 2 2 3 0 2 1 3
ctl entry 2 $SATA 0 1 4 0 1 3
ctl gen 2
update
cat "$dir/table"
expect "valid: applied" "$(stat applied)" 3
expect "valid: skipped" "$(stat skipped)" 0
irq0=$(entry_irq 0)
irq1=$(entry_irq 1)
irq2=$(entry_irq 2)
expect "valid: net msix 1 affinity" "$(affinity "$irq0")" 2
expect "valid: net msix 2 affinity" "$(affinity "$irq1")" 1,3
expect "valid: sata msi 0 affinity" "$(affinity "$irq2")" 3
if dmesg | grep -q "irqhint: gen 2 entries 3 applied 3 skipped 0"; then
    pass "valid: summary line"
else
    fail "valid: summary line"
fi

# 2. Every kind of invalid entry is skipped with its reason; the good
# entries around them are applied, and what they aim at (net msix 1,
# applied to CPU 2 in 1.) is left alone.
ctl clear
ctl header 14 127 32 4
ctl entry 0 $SATA 0 1 1 0 1 1                # good, before the bad ones
ctl entry 1 $NET 1 9 1 0 1 0                 # type
ctl entry 2 $NET 1 2 9 0 1 0                 # reason
ctl entry 3 $NET 1 2 1 0 5 0 1 2 3           # nr_vcpus
ctl entry 4 $NET 1 2 0 0 0                   # empty
ctl entry 5 0000:00:09.0 0 2 1 0 1 0         # device
ctl entry 6 $NET 99 2 1 0 1 0                # index
ctl entry 7 $NET 3 2 1 0 1 0                 # vector (in table, not allocated)
ctl entry 8 $NET 1 2 1 0 2 0 9               # cpu (one of two)
ctl entry 9 $BLK 1 2 1 0 1 0                 # managed
ctl entry 10 $SATA 1 1 1 0 1 0               # index (MSI, 1 vector)
ctl entry 11 $NET 0 1 1 0 1 0                # index (no MSI capability)
ctl entry 12 $NET 1 2 1 0 1 9                # cpu (the only one)
ctl entry 13 $NET 2 2 1 0 1 3                # good, among the bad ones
ctl gen 4
update
cat "$dir/table"
expect "invalid: applied" "$(stat applied)" 2
expect "invalid: skipped" "$(stat skipped)" 12
for r in type reason nr_vcpus empty device vector managed; do
    expect "invalid: skipped_$r" "$(stat skipped_$r)" 1
done
expect "invalid: skipped_cpu" "$(stat skipped_cpu)" 2
expect "invalid: skipped_index" "$(stat skipped_index)" 3
expect "invalid: entry 8 status" "$(entry_status 8)" skipped:cpu
expect "invalid: entry 12 status" "$(entry_status 12)" skipped:cpu
expect "invalid: bad entries leave net msix 1 alone" "$(affinity "$irq0")" 2
expect "invalid: good entry 0 status" "$(entry_status 0)" applied
expect "invalid: good entry 0: sata msi 0 affinity" "$(affinity "$irq2")" 1
expect "invalid: good entry 13 status" "$(entry_status 13)" applied
expect "invalid: good entry 13: net msix 2 affinity" "$(affinity "$irq1")" 3
if dmesg | grep -q "irqhint: entry 5 .*skipped: device"; then
    pass "invalid: skipped entry logged"
else
    fail "invalid: skipped entry logged"
fi

# 3. Table-level errors.  An entry count past max_entries: the entries
# that fit are read, and the good ones among them applied.
ctl entry 13 $NET 2 2 1 0 1 0
ctl header 200 127 32 4
ctl gen 6
update
expect "num>max: read" "$(stat read)" 127
expect "num>max: skipped_table" "$(stat skipped_table)" 73
expect "num>max: applied" "$(stat applied)" 2
expect "num>max: net msix 2 affinity" "$(affinity "$irq1")" 0
ctl header 5 300 32 4
update
expect "max>window: read" "$(stat read)" 5
ctl header 5 127 16 4
update
expect "entry_size: read" "$(stat read)" 0
expect "entry_size: skipped_table" "$(stat skipped_table)" 5
ctl clear
ctl header 1 127 32 2
ctl entry 0 $NET 1 2 1 0 3 0 1 2
update
expect "max_vcpus 2: skipped_nr_vcpus" "$(stat skipped_nr_vcpus)" 1

# 4. Generation protocol.
ctl header 1 127 32 4
ctl entry 0 $NET 1 2 1 0 1 1
prev=$(stat generation)
ctl gen 7
update
expect "odd gen: unsettled" "$(stat unsettled)" 1
expect "odd gen: generation kept" "$(stat generation)" "$prev"
ctl gen 8
ctl unstable 3
update
expect "moving gen: settled at" "$(stat generation)" 14
expect "moving gen: applied" "$(stat applied)" 1
expect "moving gen: affinity" "$(affinity "$irq0")" 1
ctl unstable 1000
update
expect "always moving: unsettled" "$(stat unsettled)" 2
ctl unstable 0

# 5. observe_only: read and count, apply nothing.
echo 1 > /sys/module/irqhint/parameters/observe_only
ctl entry 0 $NET 1 2 1 0 1 3
ctl gen 20
update
expect "observe: observed" "$(stat observed)" 1
expect "observe: applied" "$(stat applied)" 0
expect "observe: affinity unchanged" "$(affinity "$irq0")" 1
echo 0 > /sys/module/irqhint/parameters/observe_only
update
expect "observe off: applied" "$(stat applied)" 1
expect "observe off: affinity" "$(affinity "$irq0")" 3

# 6. Garbage: random config contents never crash the guest.  A fixed
# linear congruential sequence, so that a failure reproduces.
seed=1
rnd() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); }
n=0
while [ $n -lt 200 ]; do
    rnd; off=$(((seed % 64) * 4)); rnd
    ctl raw $off $seed
    rnd; off=$(((seed % 1024) * 4)); rnd
    ctl raw $off $seed
    [ $((n % 10)) = 0 ] && update
    n=$((n + 1))
done
pass "fuzz: 400 pseudo-random writes survived"

# 7. Removing the driver restores what it changed.
ctl clear
ctl header 2 127 32 4
ctl entry 0 $NET 1 2 1 0 1 2
ctl entry 1 $SATA 0 1 1 0 1 1
ctl gen 40
update
expect "before remove: net" "$(affinity "$irq0")" 2
expect "before remove: sata" "$(affinity "$irq2")" 1
rmmod fake_irqhint || fail "rmmod fake_irqhint"
expect "after remove: net msix 1" "$(affinity "$irq0")" 0-3
expect "after remove: net msix 2" "$(affinity "$irq1")" 0-3
expect "after remove: sata msi 0" "$(affinity "$irq2")" 0-3
rmmod irqhint || fail "rmmod irqhint"
if [ -e /sys/kernel/debug/virtio-irqhint ]; then
    fail "debugfs left behind"
else
    pass "debugfs removed"
fi

# 8. A hostile transport: its configuration generation (config->generation,
# not the table's generation field) changes on every read.  The driver's
# reads are bounded by its own tries: the update gives up, counts it as
# unsettled and drops its lock, so debugfs stays readable and remove() is
# not held up; it tries again on the next config change.  (A reader that
# retries while the transport generation moves, as virtio_cread_bytes()
# does, spins forever with ih->lock held: soft lockup.)  Reads of stats go
# through "bounded", so that a livelocked driver fails the check instead of
# hanging the selftest.
H="hostile transport"
LOCKUP='soft lockup|stall on CPU|detected stalls'
hstat() { sed -n "s/^$1 //p" /tmp/hstats; }
# Wait up to 10 s for "unsettled" to leave $1; 1 if stats blocked.
hwait() {
    left=100
    while :; do
        bounded "cat $dir/stats > /tmp/hstats" $left || return 1
        left=$((left - bg_waited))
        [ "$(hstat unsettled)" != "$1" ] && return 0
        [ $left -le 0 ] && return 0
        usleep 100000
        left=$((left - 1))
    done
}
insmod /lib/modules/irqhint.ko || fail "$H: insmod irqhint"
insmod /lib/modules/fake_irqhint.ko || fail "$H: insmod fake_irqhint"
dir=$(echo /sys/kernel/debug/virtio-irqhint/*)
ctl clear
ctl header 1 127 32 4
ctl entry 0 $NET 1 2 1 0 1 2
ctl gen 2
update
expect "$H: before: applied" "$(stat applied)" 1
expect "$H: before: net affinity" "$(affinity "$irq0")" 2
u0=$(stat unsettled)
n0=$(stat updates)
ctl tunstable 0xffffffff
ctl changed
if hwait "$u0"; then
    pass "$H: update finished, stats readable within 10 s"
    expect "$H: unsettled" "$(hstat unsettled)" $((u0 + 1))
    expect "$H: updates" "$(hstat updates)" "$n0"
    expect "$H: generation kept" "$(hstat generation)" 2
    ctl changed
    hwait $((u0 + 1)) || fail "$H: stats blocked after a second change"
    expect "$H: next change: unsettled" "$(hstat unsettled)" $((u0 + 2))
    if bounded "cat $dir/table > /tmp/htable" 100; then
        pass "$H: table readable"
    else
        fail "$H: table not readable within 10 s"
    fi
    if bounded "rmmod fake_irqhint" 100 && [ "$bg_rc" = 0 ]; then
        pass "$H: rmmod fake_irqhint (remove) while hostile"
    else
        fail "$H: rmmod fake_irqhint while hostile: not done within 10 s"
    fi
    expect "$H: after remove: net affinity" "$(affinity "$irq0")" 0-3
else
    fail "$H: debugfs stats not readable within 10 s (update work livelocked with ih->lock held)"
    # What the kernel says about it: a soft lockup or an RCU stall on the
    # spinning CPU, reported after ~20 s.
    t=0
    while [ $t -lt 30 ] && ! dmesg | grep -qE "$LOCKUP"; do
        sleep 1
        t=$((t + 1))
    done
    dmesg | grep -E -A24 "$LOCKUP" | head -40
    fail "$H: unsettled not counted, rmmod while hostile not attempted"
    # Let the device settle so that the rest can go on.
    ctl tunstable 0
    bounded "cat $dir/stats > /tmp/hstats" 300 ||
        fail "$H: still livelocked after the transport settled"
    bounded "rmmod fake_irqhint" 300 || fail "$H: rmmod fake_irqhint"
fi
if ! bounded "rmmod irqhint" 100 || [ "$bg_rc" != 0 ]; then
    fail "$H: rmmod irqhint"
fi

if dmesg | grep -qE "BUG|WARNING|Oops|general protection|$LOCKUP"; then
    fail "kernel warnings:"
    dmesg | grep -E -A20 "BUG|WARNING|Oops|general protection|$LOCKUP"
else
    pass "no kernel warnings"
fi
echo "selftest: $fails failed"
exit $fails
