# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# AVIC (nested SVM under TCG, issue 13): bare-metal L1 tests.
# Run by tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).
#
# The kernel of tests/guest/svm/ (avic.c) is an L1 hypervisor that runs
# an L2 guest with AVIC and nested paging and checks every architected
# exit (exit codes, EXITINFO1/2, RIP) and the backing pages' contents
# (AMD APM Vol. 2 15.29).  Each test is one QEMU boot (-kernel, -append
# "<test> [options]"); the kernel ends with "IDTS-RESULT: PASS|FAIL" on
# COM1 and leaves through isa-debug-exit (status 33 on pass, 35 on
# fail).  tests/guest/svm/avic-monitor.py checks QEMU's counters
# (query-avic) and migrates a VM in the middle of an AVIC guest.
# The loop that boots and reports: tests/guest/svm/suite-lib.sh.
# Logs: $LOGDIR/avic-svm/.

# shellcheck source=tests/guest/svm/suite-lib.sh
. "$ROOT/tests/guest/svm/suite-lib.sh"

avic_svm_suite() {
    local on="qemu64,svm=on,npt=on,avic=on" off="qemu64,svm=on,npt=on"
    # shellcheck disable=SC2034 # boots and mons: passed by name to svm_suite
    local -a boots=(
        # name @ -cpu @ -append
        "CPUID Fn8000_000A EDX[13] set with avic=on; the doorbell MSR for our own APIC ID outside guest mode is harmless@$on@avic-cpuid avic=1"
        "CPUID Fn8000_000A EDX[13] clear without avic=on; doorbell MSR RDMSR and WRMSR #GP; VMCB AVIC enable ignored@$off@avic-cpuid avic=0"
        "VMRUN: bad AVIC setups (no nested paging; backing page beyond RAM, MMIO, ROM, read-only RAM; tables not RAM; beyond the physical address width) fail with VMEXIT_INVALID, then a good VMRUN works@$on@avic-vmrun"
        "reads: accelerated registers from the backing page; others and non-4-byte/unaligned: AVIC_NOACCEL fault-style@$on@avic-read"
        "writes: TPR/EOI/ICR2 accelerated, level EOI and ID/LDR/DFR/SPIV/ESR/LVT/TMICT/TDCR trap-style, the rest fault-style@$on@avic-write"
        "delivery from the backing page: priority vs TPR/ISR, IF and V_INTR_MASKING, interrupt shadow, HLT, V_TPR, level EOI@$on@avic-deliver"
        "IPIs: accelerated self/physical/logical (flat, cluster); AVIC_INCOMPLETE_IPI for each cause@$on@avic-ipi"
        "trap-style exits at the instruction boundary: AVIC_NOACCEL and AVIC_INCOMPLETE_IPI before a single-step #DB (in EXITINTINFO, injected again by L1); rep stos exits after the iteration that made the access@$on@avic-trap"
        "an instruction fetch from the APIC page: later reads and writes still go to the backing page@$on@avic-fetch"
    )
    # QEMU's side: counters over QMP/HMP, migration mid-VMRUN.
    # shellcheck disable=SC2034
    local -a mons=(
        "counters: query-avic after avic-vmrun (17 refused VMRUNs, 17 VMEXIT_INVALID)@counters avic-vmrun errors=17 exit--1=17"
        "counters: query-avic after avic-write (50 AVIC_NOACCEL)@counters avic-write noaccel=50 exit-402=50 incomplete-ipi=0 errors=0"
        "counters: query-avic after avic-ipi (13 AVIC_INCOMPLETE_IPI, 8 IPIs posted, 3 deliveries)@counters avic-ipi incomplete-ipi=13 exit-401=13 ipis=8 deliveries=3 noaccel=0 errors=0"
        "counters: query-avic after avic-trap (3 AVIC_NOACCEL, 1 AVIC_INCOMPLETE_IPI, each exit once)@counters avic-trap noaccel=3 exit-402=3 incomplete-ipi=1 exit-401=1 errors=0"
        "migration in the middle of an AVIC guest with IRR pending and ISR in service: delivered in order on the destination, no exit@migrate"
        "a cpu/avic stream with the backing page on the LAPIC (MMIO) is refused: not writable RAM@refuse lapic"
        "a cpu/avic stream with the physical APIC ID table on the HPET is refused@refuse hpet"
        "a cpu/avic stream with an unaligned logical table is refused@refuse unaligned"
        "a cpu/avic stream with a pending trap-style exit that is not AVIC's is refused@refuse trap"
    )

    svm_suite avic-svm avic-monitor.py 120 boots mons
}

avic_svm_suite
