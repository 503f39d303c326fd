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
 * (SVM_EXIT_ERR), never an access outside guest RAM.
 *
 * This file: VMRUN and #VMEXIT, the backing page as the guest's APIC
 * state (PPR, delivery by priority, CR8) and the counters.  The exits of
 * an APIC page access: avic-exit.c; IPIs and doorbells: avic-ipi.c; the
 * APIC page itself: avic-vapic.c; the setup check: ../../avic-setup.c;
 * migration: ../../avic-migration.c; monitor: ../../avic-monitor.c; the
 * spec: docs/specs/avic.rst.
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
#include "hw/intc/irq-post.h"
#include "tcg/helper-tcg.h"
#include "../seg_helper.h"
#include "avic.h"
#include "../../trace.h"

AddressSpace *avic_as(CPUX86State *env)
{
    return cpu_get_address_space(env_cpu(env), X86ASIdx_MEM);
}

uint32_t avic_reg(CPUX86State *env, unsigned reg)
{
    return address_space_ldl_le(avic_as(env), env->avic_backing + reg,
                                MEMTXATTRS_UNSPECIFIED, NULL);
}

void avic_set_reg(CPUX86State *env, unsigned reg, uint32_t val)
{
    address_space_stl_le(avic_as(env), env->avic_backing + reg, val,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* One of the backing page's 256-bit registers (ISR, TMR, IRR). */
IrqPostIRR avic_bits(CPUX86State *env, hwaddr page, unsigned reg)
{
    return (IrqPostIRR) {
        .as = avic_as(env),
        .attrs = MEMTXATTRS_UNSPECIFIED,
        .base = page + reg,
        .stride = 16,
    };
}

int avic_highest(CPUX86State *env, unsigned reg)
{
    IrqPostIRR r = avic_bits(env, env->avic_backing, reg);
    uint32_t words[IRQ_POST_IRR_WORDS];

    if (!irq_post_irr_read(&r, words)) {
        return -1;
    }
    return irq_post_highest(words);
}

bool avic_bit_test(CPUX86State *env, unsigned reg, int vector)
{
    return avic_reg(env, reg + (vector / 32) * 16) & (1u << (vector % 32));
}

void avic_request(CPUState *cs, int mask, bool on)
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
void avic_update(CPUX86State *env)
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
 * A trap-style #VMEXIT (avic-exit.c) that the instruction being executed
 * raised is pending until the next instruction boundary; a #VMEXIT or a
 * VMRUN drops it.
 */
void avic_trap_clear(CPUX86State *env)
{
    env->avic_trap_pending = false;
    avic_request(env_cpu(env), CPU_INTERRUPT_AVIC_TRAP, false);
}

void avic_trap_cancel(CPUX86State *env)
{
    if (env->avic_trap_pending) {
        trace_avic_trap_cancel(env_cpu(env)->cpu_index, env->avic_trap_code);
    }
    avic_trap_clear(env);
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
