/*
 * AVIC for nested SVM (TCG): AMD's Advanced Virtual Interrupt Controller
 * (APM Vol. 2, "Advanced Virtual Interrupt Controller") for an L1
 * hypervisor such as Linux KVM with kvm_amd avic=1.
 *
 * With AVIC enabled in the VMCB, the L2 guest's accesses to its APIC page
 * (AVIC_APIC_BAR) go to the vAPIC backing page that L1 named: reads and
 * the TPR, EOI and ICR writes are accelerated, other writes are stored and
 * then exit trap-style, the rest exit fault-style (#VMEXIT AVIC_NOACCEL).
 * Interrupts pending in the backing page's IRR are delivered to the guest
 * with no exit, by priority against its PPR.  An ICR write is resolved
 * through L1's physical and logical APIC ID tables: the target's IRR bit
 * is set in its backing page (the posting engine, hw/intc/irq-post.c)
 * and a running target gets a doorbell; a target that is not running, or
 * one that cannot be accelerated, exits #VMEXIT AVIC_INCOMPLETE_IPI.  L1
 * rings a doorbell itself through MSR C001_011Bh.
 *
 * Tables and pointers are checked once at VMRUN: a bad one fails VMRUN
 * (SVM_EXIT_ERR), never an access outside guest RAM.  Migration:
 * ../../avic-migration.c; monitor: ../../avic-monitor.c; the spec:
 * docs/specs/avic.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "exec/cputlb.h"
#include "exec/exec-all.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/translation-block.h"
#include "tcg/tcg.h"
#include "hw/intc/irq-post.h"
#include "tcg/helper-tcg.h"
#include "../seg_helper.h"
#include "avic.h"
#include "../../trace.h"

/* APIC registers in the backing page */
#define AVIC_REG_ID         0x020
#define AVIC_REG_VERSION    0x030
#define AVIC_REG_TPR        0x080
#define AVIC_REG_PPR        0x0a0
#define AVIC_REG_EOI        0x0b0
#define AVIC_REG_LDR        0x0d0
#define AVIC_REG_DFR        0x0e0
#define AVIC_REG_SPIV       0x0f0
#define AVIC_REG_ISR        0x100
#define AVIC_REG_TMR        0x180
#define AVIC_REG_IRR        0x200
#define AVIC_REG_ESR        0x280
#define AVIC_REG_ICR        0x300
#define AVIC_REG_ICR2       0x310
#define AVIC_REG_LVTT       0x320
#define AVIC_REG_LVTERR     0x370
#define AVIC_REG_TMICT      0x380
#define AVIC_REG_TDCR       0x3e0

#define AVIC_ICR_VECTOR     0xffu
#define AVIC_ICR_DM_SHIFT   8
#define AVIC_ICR_DM_FIXED   0
#define AVIC_ICR_LOGICAL    (1u << 11)
#define AVIC_ICR_BUSY       (1u << 12)
#define AVIC_ICR_LEVEL_TRIG (1u << 15)
#define AVIC_ICR_SH_SHIFT   18
#define AVIC_ICR_SH_NONE    0
#define AVIC_ICR_SH_SELF    1
#define AVIC_ICR_SH_ALL     2
#define AVIC_ICR_SH_OTHERS  3

#define AVIC_DFR_CLUSTER    0x0

/* Up to 255 physical IDs (xAVIC); 0xff is the broadcast destination. */
#define AVIC_MAX_TARGETS    256

static AddressSpace *avic_as(CPUX86State *env)
{
    return cpu_get_address_space(env_cpu(env), X86ASIdx_MEM);
}

static uint32_t avic_reg(CPUX86State *env, unsigned reg)
{
    return address_space_ldl_le(avic_as(env), env->avic_backing + reg,
                                MEMTXATTRS_UNSPECIFIED, NULL);
}

static void avic_set_reg(CPUX86State *env, unsigned reg, uint32_t val)
{
    address_space_stl_le(avic_as(env), env->avic_backing + reg, val,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* One of the backing page's 256-bit registers (ISR, TMR, IRR). */
static IrqPostIRR avic_bits(CPUX86State *env, hwaddr page, unsigned reg)
{
    return (IrqPostIRR) {
        .as = avic_as(env),
        .attrs = MEMTXATTRS_UNSPECIFIED,
        .base = page + reg,
        .stride = 16,
    };
}

static int avic_highest(CPUX86State *env, unsigned reg)
{
    IrqPostIRR r = avic_bits(env, env->avic_backing, reg);
    uint32_t words[IRQ_POST_IRR_WORDS];

    if (!irq_post_irr_read(&r, words)) {
        return -1;
    }
    return irq_post_highest(words);
}

static bool avic_bit_test(CPUX86State *env, unsigned reg, int vector)
{
    return avic_reg(env, reg + (vector / 32) * 16) & (1u << (vector % 32));
}

static void avic_request(CPUState *cs, int mask, bool on)
{
    if (!!(cs->interrupt_request & mask) == on) {
        return;
    }
    BQL_LOCK_GUARD();
    if (on) {
        cpu_interrupt(cs, mask);
    } else {
        cpu_reset_interrupt(cs, mask);
    }
}

/*
 * Recompute the PPR from TPR and ISR, and what the IRR requests above it:
 * env->avic_rvi and CPU_INTERRUPT_AVIC.  Only the vCPU itself runs this;
 * other vCPUs and devices only set IRR bits, then ring its doorbell.
 */
static void avic_update(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint32_t tpr, ppr;
    int isrv, irrv;

    if (!env->avic_active) {
        env->avic_rvi = -1;
        avic_request(cs, CPU_INTERRUPT_AVIC, false);
        return;
    }
    tpr = avic_reg(env, AVIC_REG_TPR) & 0xff;
    /* V_TPR mirrors the backing page's TPR (L1 reads it at #VMEXIT). */
    env->int_ctl = (env->int_ctl & ~V_TPR_MASK) | ((tpr >> 4) & V_TPR_MASK);
    isrv = avic_highest(env, AVIC_REG_ISR);
    ppr = (isrv < 0 || (tpr & 0xf0) >= (isrv & 0xf0)) ? tpr : (isrv & 0xf0);
    avic_set_reg(env, AVIC_REG_PPR, ppr);

    irrv = avic_highest(env, AVIC_REG_IRR);
    env->avic_rvi = (irrv >= 16 && (irrv & 0xf0) > (ppr & 0xf0)) ? irrv : -1;
    trace_avic_update(cs->cpu_index, ppr, irrv, env->avic_rvi);
    avic_request(cs, CPU_INTERRUPT_AVIC, env->avic_rvi >= 0);
}

void avic_deliver(CPUX86State *env)
{
    X86CPU *cpu = env_archcpu(env);
    int v = env->avic_rvi;
    IrqPostIRR irr, isr;

    if (!env->avic_active || v < 0) {
        avic_update(env);
        return;
    }
    irr = avic_bits(env, env->avic_backing, AVIC_REG_IRR);
    isr = avic_bits(env, env->avic_backing, AVIC_REG_ISR);
    irq_post_irr_clear(&irr, v);
    irq_post_irr_set(&isr, v, NULL);
    avic_update(env);
    cpu->avic_stats.deliveries++;
    trace_avic_deliver(env_cpu(env)->cpu_index, v);
    do_interrupt_x86_hardirq(env, v, 1);
}

void avic_doorbell_received(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    avic_request(cs, CPU_INTERRUPT_AVIC_DOORBELL, false);
    if (env->avic_active) {
        avic_update(env);
    }
}

static CPUState *avic_cpu_by_apic_id(uint32_t apic_id)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (X86_CPU(cs)->apic_id == apic_id) {
            return cs;
        }
    }
    return NULL;
}

/* Ring the doorbell of the vCPU with host APIC ID @apic_id.  BQL held. */
static void avic_ring(CPUX86State *env, uint32_t apic_id)
{
    CPUState *self = env_cpu(env);
    CPUState *cs = avic_cpu_by_apic_id(apic_id);

    if (!cs) {
        qemu_log_mask(LOG_GUEST_ERROR, "avic: doorbell for APIC ID %u: no "
                      "such CPU\n", apic_id);
        return;
    }
    qatomic_inc(&X86_CPU(cs)->avic_stats.doorbells);
    trace_avic_doorbell(self->cpu_index, cs->cpu_index);
    if (cs == self) {
        if (env->avic_active) {
            avic_update(env);
        }
        return;
    }
    cpu_interrupt(cs, CPU_INTERRUPT_AVIC_DOORBELL);
}

/* The posting engine's doorbell, for devices.  BQL held. */
static bool avic_device_doorbell(uint32_t apic_id)
{
    CPUState *cs = avic_cpu_by_apic_id(apic_id);

    if (!cs || !(X86_CPU(cs)->env.features[FEAT_SVM] & CPUID_SVM_AVIC)) {
        return false;
    }
    qatomic_inc(&X86_CPU(cs)->avic_stats.doorbells);
    trace_avic_doorbell(-1, cs->cpu_index);
    cpu_interrupt(cs, CPU_INTERRUPT_AVIC_DOORBELL);
    return true;
}

void avic_doorbell_write(CPUX86State *env, uint64_t val)
{
    BQL_LOCK_GUARD();
    avic_ring(env, val & AVIC_PHYSICAL_HOST_ID_MASK);
}

uint64_t avic_read_cr8(CPUX86State *env)
{
    return (avic_reg(env, AVIC_REG_TPR) >> 4) & 0xf;
}

void avic_write_cr8(CPUX86State *env, uint64_t val)
{
    avic_set_reg(env, AVIC_REG_TPR, (val & 0xf) << 4);
    avic_update(env);
}

/*
 * Exits from an access to the APIC page.  A fault-style exit leaves the
 * instruction undone (RIP at it); a trap-style one comes after it has
 * completed (RIP past it, its write in the backing page).
 *
 * A trap-style exit is raised in the middle of the instruction, by its
 * access, but taken at the next instruction boundary, as an internal
 * interrupt of the vCPU (CPU_INTERRUPT_AVIC_TRAP) that comes before every
 * other event there: nothing that the rest of the instruction does can
 * overwrite it, and it cannot stay pending while the guest runs on or
 * halts.  Against the other events of the same instruction:
 *  - a fault after the access (a later access of the instruction that
 *    faults, fault-style or with an exception) means the instruction did
 *    not complete: it will run again, and the trap is dropped with it;
 *  - a debug trap (single-step, data breakpoint) of the completed
 *    instruction comes after the #VMEXIT: it is reported in EXITINTINFO as
 *    the event that was being delivered, so that L1 injects it again;
 *  - a rep string instruction runs one iteration per translation block
 *    here, so that it exits after the iteration that made the access
 *    (RIP at the instruction, rCX counting what is left).
 */

static void avic_trap_clear(CPUX86State *env)
{
    env->avic_trap_pending = false;
    avic_request(env_cpu(env), CPU_INTERRUPT_AVIC_TRAP, false);
}

/* Drop a trap-style exit raised by an instruction that did not complete. */
static void avic_trap_cancel(CPUX86State *env)
{
    if (env->avic_trap_pending) {
        trace_avic_trap_cancel(env_cpu(env)->cpu_index, env->avic_trap_code);
    }
    avic_trap_clear(env);
}

static G_NORETURN void avic_fault(CPUX86State *env, uint64_t code,
                                  uint64_t info1, uint64_t info2)
{
    CPUState *cs = env_cpu(env);

    avic_trap_cancel(env);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2), info2);
    cpu_vmexit(env, code, info1, cs->mem_io_pc);
}

/*
 * A trap-style exit must come after the instruction: run the instruction
 * again alone in its translation block, one iteration of a rep string
 * instruction at most (CF_SINGLE_STEP: no loop inside the block), with no
 * interrupt before it, and do the access then.  Returns only when the
 * access is to be done now.  An access that does not come from translated
 * code (mem_io_pc 0: e.g. the CPU pushing an interrupt frame onto the
 * APIC page) faults instead.
 */
static bool avic_trap_begin(CPUX86State *env, unsigned off, bool write)
{
    CPUState *cs = env_cpu(env);
    TranslationBlock *tb;

    if (!cs->mem_io_pc) {
        return false;
    }
    tb = tcg_tb_lookup(cs->mem_io_pc);
    if (tb && tb->icount == 1 && (tb_cflags(tb) & CF_SINGLE_STEP)) {
        return true;
    }
    cs->cflags_next_tb = 1 | CF_NOIRQ | CF_SINGLE_STEP | cs->tcg_cflags;
    cpu_loop_exit_restore(cs, cs->mem_io_pc);
}

/*
 * Raise the trap-style exit @code, taken when the instruction (alone in
 * its block) completes.  An instruction that makes two such accesses (a
 * multi-word push or save to the APIC page) exits for the first.
 */
static void avic_trap_end(CPUX86State *env, uint64_t code, uint64_t info1,
                          uint64_t info2)
{
    CPUState *cs = env_cpu(env);

    if (env->avic_trap_pending) {
        return;
    }
    env->avic_trap_code = code;
    env->avic_trap_info1 = info1;
    env->avic_trap_info2 = info2;
    env->avic_trap_pending = true;
    trace_avic_trap_raise(cs->cpu_index, code, info1, info2);
    avic_request(cs, CPU_INTERRUPT_AVIC_TRAP, true);
}

void avic_trap_deliver(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint64_t code = env->avic_trap_code;

    if (!env->avic_trap_pending || !env->avic_active) {
        /* Nothing to take (dropped meanwhile): never exit for it. */
        avic_trap_cancel(env);
        cpu_loop_exit(cs);
    }
    avic_trap_clear(env);
    trace_avic_trap_take(cs->cpu_index, code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2),
                 env->avic_trap_info2);
    cpu_vmexit(env, code, env->avic_trap_info1, 0);
}

void avic_trap_exception(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint32_t event;

    if (cs->exception_index != EXCP01_DB || env->exception_is_int) {
        /* A fault: the instruction will run again, its access with it. */
        avic_trap_cancel(env);
        return;
    }
    /*
     * A debug trap of the instruction that completed: the #VMEXIT first,
     * with the #DB in EXITINTINFO (do_vmexit() copies EVENTINJ there).
     */
    event = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | EXCP01_DB;
    x86_stl_phys(cs, env->vm_vmcb + offsetof(struct vmcb, control.event_inj),
                 event);
    trace_avic_trap_take(cs->cpu_index, env->avic_trap_code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb, control.exit_code),
                 env->avic_trap_code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_1),
                 env->avic_trap_info1);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2),
                 env->avic_trap_info2);
    avic_count_vmexit(env, env->avic_trap_code);
    avic_trap_clear(env);
    env->old_exception = -1;
    cs->exception_index = EXCP_VMEXIT;
}

static uint64_t avic_noaccel_info1(unsigned off, bool write)
{
    return ((uint64_t)write << 32) | (off & 0xff0);
}

static G_NORETURN void avic_noaccel_fault(CPUX86State *env, hwaddr addr,
                                          bool write)
{
    env_archcpu(env)->avic_stats.noaccel++;
    trace_avic_noaccel(env_cpu(env)->cpu_index, addr, write, false);
    avic_fault(env, SVM_EXIT_AVIC_NOACCEL, avic_noaccel_info1(addr, write),
               0);
}

static void avic_noaccel_trap(CPUX86State *env, unsigned off, uint64_t info2)
{
    env_archcpu(env)->avic_stats.noaccel++;
    trace_avic_noaccel(env_cpu(env)->cpu_index, off, true, true);
    avic_trap_end(env, SVM_EXIT_AVIC_NOACCEL, avic_noaccel_info1(off, true),
                  info2);
}

static bool avic_read_accelerated(unsigned off)
{
    switch (off) {
    case AVIC_REG_ID:
    case AVIC_REG_VERSION:
    case AVIC_REG_TPR:
    case AVIC_REG_PPR:
    case AVIC_REG_LDR:
    case AVIC_REG_DFR:
    case AVIC_REG_SPIV:
    case AVIC_REG_ISR ... AVIC_REG_IRR + 0x70:
    case AVIC_REG_ESR:
    case AVIC_REG_ICR:
    case AVIC_REG_ICR2:
    case AVIC_REG_LVTT ... AVIC_REG_LVTERR:
    case AVIC_REG_TMICT:
    case AVIC_REG_TDCR:
        return true;
    }
    return false;
}

/* Writes that are stored in the backing page, then exit trap-style. */
static bool avic_write_traps(unsigned off)
{
    switch (off) {
    case AVIC_REG_ID:
    case AVIC_REG_LDR:
    case AVIC_REG_DFR:
    case AVIC_REG_SPIV:
    case AVIC_REG_ESR:
    case AVIC_REG_LVTT ... AVIC_REG_LVTERR:
    case AVIC_REG_TMICT:
    case AVIC_REG_TDCR:
        return true;
    }
    return false;
}

static void avic_eoi(CPUX86State *env, uint32_t val)
{
    int v = avic_highest(env, AVIC_REG_ISR);
    IrqPostIRR isr;

    if (v < 0) {
        return;
    }
    if (avic_bit_test(env, AVIC_REG_TMR, v)) {
        /* Level-triggered: L1 does the EOI (and its IOAPIC's part). */
        if (avic_trap_begin(env, AVIC_REG_EOI, true)) {
            avic_set_reg(env, AVIC_REG_EOI, val);
            avic_noaccel_trap(env, AVIC_REG_EOI, v);
            return;
        }
        avic_noaccel_fault(env, AVIC_REG_EOI, true);
    }
    isr = avic_bits(env, env->avic_backing, AVIC_REG_ISR);
    irq_post_irr_clear(&isr, v);
    trace_avic_eoi(env_cpu(env)->cpu_index, v);
    avic_update(env);
}

/* One resolved IPI target: a valid physical APIC ID table entry. */
typedef struct AvicTarget {
    unsigned index;
    uint64_t entry;
} AvicTarget;

static bool avic_physical_entry(CPUX86State *env, unsigned index,
                                uint64_t *entry)
{
    MemTxResult r;

    if (index > env->avic_max_index) {
        return false;
    }
    *entry = address_space_ldq_le(avic_as(env), env->avic_physical + index * 8,
                                  MEMTXATTRS_UNSPECIFIED, &r);
    return r == MEMTX_OK && (*entry & AVIC_PHYSICAL_VALID);
}

/*
 * The physical APIC IDs an ICR (@icrl, @icrh) names, from the sender's
 * own ID, LDR/DFR and L1's tables.  Returns the number of targets, or -1
 * with the failing table index in *@bad when one cannot be accelerated.
 */
static int avic_targets(CPUX86State *env, uint32_t icrl, uint32_t icrh,
                        AvicTarget *t, unsigned *bad)
{
    unsigned self = avic_reg(env, AVIC_REG_ID) >> 24;
    unsigned sh = (icrl >> AVIC_ICR_SH_SHIFT) & 3;
    unsigned dest = icrh >> 24;
    int n = 0;

    *bad = 0;
    if (sh == AVIC_ICR_SH_SELF) {
        sh = AVIC_ICR_SH_NONE;
        dest = self;
        icrl &= ~AVIC_ICR_LOGICAL;
    }
    if (sh == AVIC_ICR_SH_NONE && !(icrl & AVIC_ICR_LOGICAL) && dest != 0xff) {
        if (!avic_physical_entry(env, dest, &t[0].entry)) {
            *bad = dest;
            return -1;
        }
        t[0].index = dest;
        return 1;
    }
    if (sh != AVIC_ICR_SH_NONE || dest == 0xff) {
        /* Broadcast: every valid entry of the table. */
        for (unsigned i = 0; i <= env->avic_max_index && i < 0xff; i++) {
            if ((sh == AVIC_ICR_SH_OTHERS && i == self) ||
                !avic_physical_entry(env, i, &t[n].entry)) {
                continue;
            }
            t[n++].index = i;
        }
        return n;
    }

    /* Logical destination: flat (8 bits) or cluster (4 bits x 15). */
    bool cluster = (avic_reg(env, AVIC_REG_DFR) >> 28) == AVIC_DFR_CLUSTER;
    unsigned bits = cluster ? dest & 0xf : dest;
    unsigned base = cluster ? (dest >> 4) * 4 : 0;

    if (cluster && (dest >> 4) == 0xf) {
        *bad = 0;
        return -1;
    }
    for (unsigned b = 0; b < 8; b++) {
        unsigned li = base + b;
        MemTxResult r;
        uint32_t le;

        if (!(bits & (1u << b))) {
            continue;
        }
        le = address_space_ldl_le(avic_as(env), env->avic_logical + li * 4,
                                  MEMTXATTRS_UNSPECIFIED, &r);
        if (r != MEMTX_OK || !(le & AVIC_LOGICAL_VALID) ||
            !avic_physical_entry(env, le & AVIC_LOGICAL_ID_MASK,
                                 &t[n].entry)) {
            *bad = li;
            return -1;
        }
        t[n++].index = le & AVIC_LOGICAL_ID_MASK;
    }
    return n;
}

static void avic_incomplete_ipi(CPUX86State *env, uint32_t icrl,
                                uint32_t icrh, unsigned cause, unsigned index)
{
    env_archcpu(env)->avic_stats.incomplete_ipi++;
    trace_avic_incomplete_ipi(env_cpu(env)->cpu_index, icrl, icrh, cause,
                              index);
    avic_trap_end(env, SVM_EXIT_AVIC_INCOMPLETE_IPI,
                  ((uint64_t)icrh << 32) | icrl,
                  ((uint64_t)cause << 32) | index);
}

static void avic_icr_write(CPUX86State *env, uint32_t icrl)
{
    X86CPU *cpu = env_archcpu(env);
    uint32_t icrh = avic_reg(env, AVIC_REG_ICR2);
    unsigned dm = (icrl >> AVIC_ICR_DM_SHIFT) & 7;
    unsigned vector = icrl & AVIC_ICR_VECTOR;
    /* On the stack: the exits below leave by longjmp. */
    AvicTarget t[AVIC_MAX_TARGETS];
    unsigned bad, cause = AVIC_IPI_INVALID_INT_TYPE;
    int n = -1, stopped = -1;

    /* Only fixed, edge-triggered IPIs are accelerated. */
    if (dm == AVIC_ICR_DM_FIXED && !(icrl & AVIC_ICR_LEVEL_TRIG)) {
        n = avic_targets(env, icrl, icrh, t, &bad);
        cause = AVIC_IPI_INVALID_TARGET;
    } else {
        bad = 0;
    }
    for (int i = 0; i < n; i++) {
        hwaddr page = t[i].entry & AVIC_ADDR_MASK;

        if (!irq_post_is_ram(avic_as(env), page, TARGET_PAGE_SIZE, true)) {
            n = -1;
            bad = t[i].index;
            cause = AVIC_IPI_INVALID_BACKING_PAGE;
            qemu_log_mask(LOG_GUEST_ERROR, "avic: IPI target %u: backing "
                          "page 0x%" HWADDR_PRIx " is not RAM\n",
                          t[i].index, page);
        } else if (!(t[i].entry & AVIC_PHYSICAL_RUNNING)) {
            stopped = t[i].index;
        }
    }
    if (n < 0 || stopped >= 0) {
        /* Exits after the write: ICR holds the value, RIP is past it. */
        if (!avic_trap_begin(env, AVIC_REG_ICR, true)) {
            avic_noaccel_fault(env, AVIC_REG_ICR, true);
        }
    }
    avic_set_reg(env, AVIC_REG_ICR, icrl & ~AVIC_ICR_BUSY);
    if (n < 0) {
        avic_incomplete_ipi(env, icrl, icrh, cause, bad);
        return;
    }
    for (int i = 0; i < n; i++) {
        IrqPostDest d = {
            .irr = avic_bits(env, t[i].entry & AVIC_ADDR_MASK, AVIC_REG_IRR),
            .running = t[i].entry & AVIC_PHYSICAL_RUNNING,
        };

        if (irq_post(&d, vector) == IRQ_POST_RUNG) {
            avic_ring(env, t[i].entry & AVIC_PHYSICAL_HOST_ID_MASK);
        }
        cpu->avic_stats.ipis++;
        trace_avic_ipi(env_cpu(env)->cpu_index, vector, t[i].index,
                       !!(t[i].entry & AVIC_PHYSICAL_RUNNING));
    }
    if (stopped >= 0) {
        avic_incomplete_ipi(env, icrl, icrh, AVIC_IPI_TARGET_NOT_RUNNING,
                            stopped);
    }
}

static uint64_t avic_vapic_read(void *opaque, hwaddr addr, unsigned size)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;

    if (current_cpu != CPU(cpu) || !env->avic_active) {
        return 0;
    }
    if (size != 4 || (addr & 0xf) || !avic_read_accelerated(addr)) {
        avic_noaccel_fault(env, addr, false);
    }
    return avic_reg(env, addr);
}

static void avic_vapic_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;

    if (current_cpu != CPU(cpu) || !env->avic_active) {
        return;
    }
    if (size != 4 || (addr & 0xf)) {
        avic_noaccel_fault(env, addr, true);
    }
    switch (addr) {
    case AVIC_REG_TPR:
        avic_set_reg(env, AVIC_REG_TPR, val & 0xff);
        avic_update(env);
        return;
    case AVIC_REG_EOI:
        avic_eoi(env, val);
        return;
    case AVIC_REG_ICR:
        avic_icr_write(env, val);
        return;
    case AVIC_REG_ICR2:
        avic_set_reg(env, AVIC_REG_ICR2, val);
        return;
    }
    if (!avic_write_traps(addr) || !avic_trap_begin(env, addr, true)) {
        avic_noaccel_fault(env, addr, true);
    }
    avic_set_reg(env, addr, val);
    avic_noaccel_trap(env, addr, 0);
}

static const MemoryRegionOps avic_vapic_ops = {
    .read = avic_vapic_read,
    .write = avic_vapic_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

void avic_cpu_realize(X86CPU *cpu)
{
    CPUState *cs = CPU(cpu);

    cpu->avic_vapic = g_new(MemoryRegion, 1);
    memory_region_init_io(cpu->avic_vapic, OBJECT(cpu), &avic_vapic_ops,
                          cpu, "avic-vapic", TARGET_PAGE_SIZE);
    /*
     * Exits leave the access by longjmp: the device re-entrancy guard
     * (of the CPU, its owner) would stay engaged.
     */
    cpu->avic_vapic->disable_reentrancy_guard = true;
    irq_post_set_doorbell(avic_device_doorbell);
    cpu_address_space_init(cs, X86ASIdx_AVIC, "cpu-avic", cpu->avic_vapic);
}

void avic_vmrun(CPUX86State *env, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    uint64_t bar, backing, logical, physical;
    unsigned max_index;
    const char *why;

    cpu->avic_stats.vmruns++;
    env->avic_active = false;
    env->avic_trap_pending = false;
    env->avic_rvi = -1;
    avic_request(cs, CPU_INTERRUPT_AVIC | CPU_INTERRUPT_AVIC_DOORBELL |
                 CPU_INTERRUPT_AVIC_TRAP, false);
    if (!(env->int_ctl & AVIC_ENABLE_MASK) ||
        !(env->features[FEAT_SVM] & CPUID_SVM_AVIC)) {
        return;
    }

    bar = x86_ldq_phys(cs, env->vm_vmcb +
                       offsetof(struct vmcb, control.avic_vapic_bar));
    backing = x86_ldq_phys(cs, env->vm_vmcb +
                           offsetof(struct vmcb, control.avic_backing_page));
    logical = x86_ldq_phys(cs, env->vm_vmcb +
                           offsetof(struct vmcb, control.avic_logical_id));
    physical = x86_ldq_phys(cs, env->vm_vmcb +
                            offsetof(struct vmcb, control.avic_physical_id));
    max_index = physical & AVIC_PHYSICAL_MAX_INDEX_MASK;
    bar &= AVIC_ADDR_MASK;
    backing &= AVIC_ADDR_MASK;
    logical &= AVIC_ADDR_MASK;
    physical &= AVIC_ADDR_MASK;

    why = avic_setup_error(env, bar, backing, logical, physical, max_index);
    if (why) {
        cpu->avic_stats.errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "avic: VMRUN with AVIC enabled: %s "
                      "(APIC BAR 0x%" PRIx64 ", backing page 0x%" PRIx64
                      ", logical table 0x%" PRIx64 ", physical table 0x%"
                      PRIx64 " max index %u): VMRUN fails\n", why, bar,
                      backing, logical, physical, max_index);
        trace_avic_bad_vmcb(cs->cpu_index, why);
        cpu_vmexit(env, SVM_EXIT_ERR, 0, retaddr);
    }

    env->avic_active = true;
    env->avic_bar = bar;
    env->avic_backing = backing;
    env->avic_logical = logical;
    env->avic_physical = physical;
    env->avic_max_index = max_index;
    cpu->avic_stats.avic_vmruns++;
    trace_avic_vmrun(cs->cpu_index, bar, backing, physical, max_index);
    /* The guest's own APIC page must now miss in the TLB. */
    tlb_flush(cs);
    avic_update(env);
}

void avic_vmexit(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    /* Whatever #VMEXIT this is, no trap of the guest's survives it. */
    avic_trap_cancel(env);
    if (!env->avic_active) {
        return;
    }
    env->avic_active = false;
    env->avic_rvi = -1;
    avic_request(cs, CPU_INTERRUPT_AVIC | CPU_INTERRUPT_AVIC_DOORBELL, false);
    tlb_flush(cs);
}

void avic_count_vmexit(CPUX86State *env, uint64_t exit_code)
{
    X86SvmStats *s = &env_archcpu(env)->avic_stats;

    s->vmexits++;
    s->exit_codes[x86_svm_exit_code_index(exit_code)]++;
}
