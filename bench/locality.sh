#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Locality benchmark (not part of make check): the share of virtio-net
# interrupts handled on the vCPU co-located with the host CPU that raises
# them, with the irqhint guest driver applying hints vs the kernel's own
# affinity (driver in observe_only=1 mode), side by side in one boot; and
# the time from a placement change to the new affinity, in guest time.
#
# Usage: bench/locality.sh BUILD_DIR        (PINGS=N per measurement [200],
#                                            REPINS=N re-pins timed [20])
#
# Setup: Debian's 6.1 kernel under TCG, -smp 4, -device irqhint,
# virtio-net on slirp.  QEMU runs on host CPU 0 of this process's CPUs,
# where it raises virtio-net's interrupts; per round, one vCPU thread is
# pinned there and the three others to a second host CPU, and irqhint
# finds the placement by itself (vCPU threads pinned to one CPU each).
# With two host CPUs, three vCPUs share one: the benchmark measures where
# interrupts land, not throughput.
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QEMU=$BUILD/qemu-system-x86_64
WORK=$BUILD/irqhint-bench-locality
mkdir -p "$WORK"
# shellcheck source=guest/tools/host-lib.sh
. "$ROOT/guest/tools/host-lib.sh"

[ -x "$QEMU" ] || { echo "locality: no $QEMU (run make first)" >&2; exit 1; }
ncpu=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
[ "$ncpu" -ge 2 ] || { echo "locality: needs 2 host CPUs, may use $ncpu" >&2; exit 1; }

sed -e "s/^PINGS=.*/PINGS=${PINGS:-200}/" -e "s/^REPINS=.*/REPINS=${REPINS:-20}/" \
    "$ROOT/bench/locality-guest.sh" >"$WORK/guest.sh"
chmod +x "$WORK/guest.sh"
irqhint_prepare_guest locality "$WORK/guest.sh" || exit 1

echo "locality: -smp 4 -device irqhint virtio-net, TCG; ${PINGS:-200} pings per measurement (console: $WORK/console.log)"
rc=0
# QEMU's trace log, on the wall clock, shows when the guest driver reports
# a table applied: locality-host.py times the re-pins with it.
rm -f "$WORK/trace.log"
# As root, QEMU runs at nice -10 (this script's children inherit it): the
# host's own daemons then do not take its host CPUs for milliseconds in the
# middle of a measurement.
if [ "$(id -u)" = 0 ] && renice -n -10 -p $$ >/dev/null; then
    echo "locality: QEMU at nice -10"
fi
irqhint_run_guest locality 400 -trace virtio_irqhint_applied -D "$WORK/trace.log" \
    -msg timestamp=on | tee "$WORK/output.log" || rc=$?
[ $rc -ne 0 ] ||
    /usr/bin/python3 "$ROOT/bench/locality-host.py" "$WORK/trace.log" \
        "$WORK/output.log" || rc=$?
exit $rc
