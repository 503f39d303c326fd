/*
 * AVIC for nested SVM (TCG): IPIs and doorbells
 *
 * A guest's ICR write (avic-vapic.c) is resolved through L1's physical
 * and logical APIC ID tables: the target's IRR bit is set in its backing
 * page (the posting engine, hw/intc/irq-post.c) and a running target gets
 * a doorbell; a target that is not running, or one that cannot be
 * accelerated, exits #VMEXIT AVIC_INCOMPLETE_IPI (trap-style,
 * avic-exit.c).  L1 rings a doorbell itself through MSR C001_011Bh, and
 * devices (the AMD IOMMU's guest mode) through the posting engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "hw/intc/irq-post.h"
#include "avic.h"
#include "avic-exit.h"
#include "avic-ipi.h"
#include "../../trace.h"

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
bool avic_device_doorbell(uint32_t apic_id)
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

void avic_icr_write(CPUX86State *env, uint32_t icrl)
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
