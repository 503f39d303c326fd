# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# IDT shadowing (nested SVM under TCG): bare-metal L1 test kernels.
# Run by tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).
#
# tests/guest/svm/ builds one multiboot kernel with the host gcc; each test
# is one QEMU boot (-kernel, -append "<test> [options]") in which the
# kernel is an L1 hypervisor running two L2 guests (VMCBs A and B) and
# checks, from the exits it sees and the deliveries the guests count,
# what the CPU did.  The kernel ends with "IDTS-RESULT: PASS|FAIL" on
# COM1 and leaves through isa-debug-exit (status 33 on pass, 35 on fail).
# The refusals (KVM, no SVM, other accelerators) are QEMU start-ups only.
# The loop that boots and reports: tests/guest/svm/suite-lib.sh.
# Logs: $LOGDIR/idt-shadow/.

# shellcheck source=tests/guest/svm/suite-lib.sh
. "$ROOT/tests/guest/svm/suite-lib.sh"

idts_suite() {
    local on="qemu64,svm=on,idt-shadow=on" off="qemu64,svm=on"
    # shellcheck disable=SC2034 # boots and mons: passed by name to svm_suite
    local -a boots=(
        # name @ -cpu @ -append
        "CPUID 0x40000001 advertises IDT shadowing with idt-shadow=on@$on@cpuid idts=1"
        "CPUID 0x40000001 does not advertise it by default@$off@cpuid idts=0"
        "direct: device vector straight to guest A's handler, 0 exits@$on@direct idts=1"
        "remap: guest B's vector exits A acked (EXITINFO1 = ACKED | vector), remapped and injected into B@$on@remap idts=1"
        "masked: a DIRECT vector with IF=0, in an interrupt shadow, or across sti; hlt is held and delivered directly, no exit@$on@masked idts=1"
        "hlt: a held DIRECT vector does not wake a guest halted with IF=0@$on@hlt idts=1"
        "starve: a DIRECT vector held for a guest spinning with IF=0 does not block L1's lower-priority timer: it exits on time@$on@starve idts=1"
        "virq: a virtual interrupt (V_IRQ) queued by L1 survives a direct delivery@$on@virq idts=1"
        "snapshot: the table is read at VMRUN; later writes count from the next VMRUN@$on@snapshot idts=1"
        "baseline: intercept-and-inject without the feature@$off@baseline idts=0"
        "baseline: feature on, VMCB not enabled: classic exits (EXITINFO1 0)@$on@baseline idts=1"
        "baseline: feature off, VMCB shadowing fields filled in are ignored@$off@baseline magic idts=0"
        "bad-table: bad tables/controls (beyond RAM, MMIO, ROM, read-only RAM, unknown CTL bits with or without ENABLE) fail VMRUN with SVM_EXIT_ERR, IDTS_ERR | reason; then a good VMRUN@$on@bad-table idts=1"
        "nmi: NMI, exceptions and INT n keep their architectural behaviour@$on@nmi idts=1"
        "priority: held/arriving DIRECT vectors follow the APIC's priority rules: no equal or lower class nests before the EOI (handler with IF=1), a higher one does, V_TPR (CR8), or the LAPIC's TPR without V_INTR_MASKING, holds them back, also across sti; hlt@$on,cr8legacy=on@priority idts=1"
    )
    # QEMU's side of it: counters over QMP and HMP, migration mid-VMRUN.
    # shellcheck disable=SC2034
    local -a mons=(
        "counters: query-idt-shadow / info idt-shadow after direct (100 direct, 0 exits)@counters direct 100 0 0"
        "counters: after remap (100 direct, 200 vectored exits)@counters remap 100 200 0"
        "counters: after bad-table (13 bad tables)@counters bad-table - - 13"
        "counters: after starve (1 held and delivered direct, 1 vectored exit: L1's timer)@counters starve 1 1 0"
        "migration in the middle of a VMRUN keeps shadowing (state, table, counters)@migrate"
        "held: query-idt-shadow / info idt-shadow show the DIRECT vector held for a guest with IF=0@held"
        "held: a held DIRECT vector migrates and is delivered directly after the migration@held migrate"
        "migration refused cleanly: cpu/idt_shadow into a CPU with idt-shadow=off@refuse off"
        "migration refused cleanly: cpu/idt_shadow with reserved bits in a table entry@refuse entry"
        "migration refused cleanly: cpu/idt_shadow holding a vector that is not DIRECT@refuse pending"
    )

    svm_suite idt-shadow monitor-check.py 180 boots mons

    # Refusals at start-up: exit status 1 and a message that says why.
    idts_refused "refused without SVM (-cpu qemu64,svm=off)" \
        "needs svm=on" -accel tcg -cpu qemu64,svm=off,idt-shadow=on
    idts_refused "refused under a non-TCG accelerator (qtest), naming posted interrupts / AVIC" \
        "posted interrupts.*AVIC" -accel qtest -cpu qemu64,svm=on,idt-shadow=on
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        idts_refused "refused under KVM, naming posted interrupts / AVIC" \
            "posted interrupts.*AVIC" -accel kvm -cpu host,idt-shadow=on
    else
        result "idt-shadow: refused under KVM, naming posted interrupts / AVIC" skip \
            "no usable /dev/kvm on this machine: KVM refusal not exercised"
    fi
}

# idts_refused NAME REGEX QEMU-ARGS...: QEMU must exit 1 at start-up with
# a message matching REGEX.
idts_refused() {
    local name=$1 re=$2 log
    shift 2
    log=$LOGDIR/idt-shadow/refused-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-' | cut -c1-40).log
    timeout -k 5 30 "$BUILD/qemu-system-x86_64" -machine pc "$@" -display none \
        -nodefaults -monitor none -L "$BUILD/qemu-bundle/usr/local/share/qemu" \
        >"$log" 2>&1 </dev/null
    local rc=$?
    echo "# $*: exit status $rc" >>"$log"
    if [ $rc -eq 1 ] && grep -Eqi "$re" "$log"; then
        result "idt-shadow: $name" pass
    else
        result "idt-shadow: $name" fail "expected exit status 1 and /$re/, got status $rc" "$log"
    fi
}

idts_suite
