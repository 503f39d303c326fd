# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# TCG and memory map changes (patches/0024a): the SVM test kernel's
# "memmap" test on -machine q35 -smp 2, three boots.  The kernel reads the
# HPET 10^6 times while tests/guest/svm/memmap-race.py rewrites Q35's PAM registers
# from the monitor (QEMU's main thread), between the map with the fewest
# sections and the one with the most.  Every read must give the HPET's
# value, QEMU must not abort, and enough map changes must have happened
# during the reads for the run to count.  Without the fix a run saw about
# 7 reads of 0 (a TLB entry of the old map looked up in the new one) or
# QEMU aborted in iotlb_to_section().  Run by tests/tap-suite.sh.
# Logs: $LOGDIR/tcg-memmap/.

# shellcheck source=tests/guest/svm/suite-lib.sh
. "$ROOT/tests/guest/svm/suite-lib.sh"

tcg_memmap_suite() {
    # shellcheck disable=SC2034 # boots and mons: passed by name to svm_suite
    local -a boots=()
    local -a mons=(
        "memory map changes under MMIO: 3 boots, each 10^6 HPET reads (every one the HPET's value) and 10^4 self-IPIs with ICR and EOI through MMIO (each once), no abort@race --n 1000 --runs 3"
    )
    svm_suite tcg-memmap memmap-race.py 300 boots mons
}

tcg_memmap_suite
