/*
 * IDT shadowing for nested SVM (TCG)
 *
 * An L1 hypervisor may give the guest of a VMCB a hypervisor IDT: one
 * entry per vector, saying whether an external interrupt taken while that
 * guest runs goes straight through the guest's own IDT (DIRECT, possibly
 * at another vector) or exits to L1 with the vector already acknowledged.
 * The control lives in the VMCB bytes AMD reserves for host use; the ABI
 * is include/standard-headers/asm-x86/idt_shadow.h, the spec
 * docs/specs/idt-shadow.rst.  Migration: ../../idt-shadow-migration.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/i386/apic.h"
#include "standard-headers/asm-x86/idt_shadow.h"
#include "tcg/helper-tcg.h"
#include "idt-shadow.h"
#include "../../trace.h"

/*
 * Copy the table at @addr into env->idts_table, or return the
 * IDTS_ERR_* reason it cannot be used.  The table is read once, here,
 * from writable RAM only (not ROM, not a read-only mapping of RAM, not
 * MMIO): L1's later writes take effect at the next VMRUN.
 */
static int idt_shadow_load_table(CPUX86State *env, uint64_t addr)
{
    CPUState *cs = env_cpu(env);
    AddressSpace *as = cpu_get_address_space(cs, X86ASIdx_MEM);
    uint32_t table[IDTS_TABLE_ENTRIES];
    MemoryRegionSection sec;
    bool ok;

    if (addr & (IDTS_TABLE_ALIGN - 1)) {
        return IDTS_ERR_ALIGN;
    }
    /* Aligned, so addr + sizeof(table) cannot wrap. */
    WITH_RCU_READ_LOCK_GUARD() {
        sec = memory_region_find(as->root, addr, sizeof(table));
        if (!sec.mr) {
            return IDTS_ERR_NOT_RAM;
        }
        ok = memory_region_is_ram(sec.mr) && !memory_region_is_rom(sec.mr) &&
             !memory_region_is_ram_device(sec.mr) && !sec.readonly &&
             int128_ge(sec.size, int128_make64(sizeof(table)));
        if (ok) {
            memcpy(table, (uint8_t *)memory_region_get_ram_ptr(sec.mr) +
                   sec.offset_within_region, sizeof(table));
        }
        memory_region_unref(sec.mr);
    }
    if (!ok) {
        return IDTS_ERR_NOT_RAM;
    }
    for (int v = 0; v < IDTS_TABLE_ENTRIES; v++) {
        uint32_t e = le32_to_cpu(table[v]);

        if (e & IDTS_ENTRY_RESERVED) {
            return IDTS_ERR_ENTRY;
        }
        env->idts_table[v] = e;
    }
    return 0;
}

void idt_shadow_vmrun(CPUX86State *env, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    uint64_t vmcb = env->vm_vmcb;
    uint32_t magic, ctl;
    uint64_t table;
    int err;

    env->idts_active = false;
    if (!cpu->idt_shadow) {
        return;
    }
    magic = x86_ldl_phys(cs, vmcb + IDTS_VMCB_MAGIC_OFF);
    if (magic != IDTS_VMCB_MAGIC) {
        return;
    }
    ctl = x86_ldl_phys(cs, vmcb + IDTS_VMCB_CTL_OFF);
    table = x86_ldq_phys(cs, vmcb + IDTS_VMCB_TABLE_OFF);
    /* With the magic, unknown control bits are refused, ENABLE or not. */
    if (ctl & ~IDTS_CTL_ENABLE) {
        err = IDTS_ERR_CTL;
    } else if (!(ctl & IDTS_CTL_ENABLE)) {
        return;
    } else {
        err = idt_shadow_load_table(env, table);
    }
    if (err) {
        env->idts_errors++;
        trace_idt_shadow_bad_table(cs->cpu_index, table, err);
        qemu_log_mask(LOG_GUEST_ERROR, "%s: VMRUN with a bad hypervisor IDT"
                      " at 0x%" PRIx64 " (control 0x%" PRIx32 ", reason %d)\n",
                      __func__, table, ctl, err);
        cpu_vmexit(env, SVM_EXIT_ERR, IDTS_ERR | err, retaddr);
    }
    env->idts_active = true;
    trace_idt_shadow_vmrun(cs->cpu_index, table);
}

/* RFLAGS.IF set and no interrupt shadow: the guest takes an interrupt. */
static bool idt_shadow_guest_can_take(CPUX86State *env)
{
    return (env->eflags & IF_MASK) && !(env->hflags & HF_INHIBIT_IRQ_MASK);
}

/*
 * The APIC's priority rules (Intel SDM 10.8.3.1, AMD APM 16.6), as posted
 * interrupts follow them: a DIRECT vector is taken only when its priority
 * class (vector[7:4]) is above the processor priority, on both sides of
 * the table:
 *
 * - host: the LAPIC's PPR (its TPR, and the highest vector in service,
 *   DIRECT vectors that the guest services included: they stay in
 *   service until the guest's handler EOIs the LAPIC), against the host
 *   vector, as for any vector the LAPIC hands out: a lower vector nested
 *   in a higher one would make the inner handler's EOI end the outer one;
 * - guest: the guest's processor priority (its TPR: V_TPR with
 *   V_INTR_MASKING, else the LAPIC's TPR, which its CR8 writes; and the
 *   guest vectors of the DIRECT vectors in service), against the guest
 *   vector of the entry.
 *
 * A PPR of 0 lets every vector through, as apic_irq_pending() does.
 */
typedef struct IdtsPriority {
    int host;       /* the LAPIC's PPR, class bits only */
    int guest;      /* the guest's processor priority, class bits only */
} IdtsPriority;

static void idt_shadow_priority(CPUX86State *env, IdtsPriority *p)
{
    DeviceState *apic = env_archcpu(env)->apic_state;
    uint32_t isr[IDTS_TABLE_ENTRIES / 32];
    int w;

    p->host = apic_get_ppr_isr(apic, isr) & 0xf0;
    if (env->hflags2 & HF2_VINTR_MASK) {
        p->guest = (env->int_ctl & V_TPR_MASK) << 4;
    } else {
        p->guest = (cpu_get_apic_tpr(apic) & 0xf) << 4;
    }
    for (w = 0; w < ARRAY_SIZE(isr); w++) {
        uint32_t bits = isr[w];

        while (bits) {
            int v = w * 32 + ctz32(bits);
            uint32_t e = env->idts_table[v];

            bits &= bits - 1;
            if (e & IDTS_ENTRY_DIRECT) {
                p->guest = MAX(p->guest, IDTS_ENTRY_VECTOR(e) & 0xf0);
            }
        }
    }
}

static bool idt_shadow_priority_allows(CPUX86State *env,
                                       const IdtsPriority *p, int v)
{
    int gv = IDTS_ENTRY_VECTOR(env->idts_table[v]);

    return (!p->host || (v & 0xf0) > p->host) &&
           (!p->guest || (gv & 0xf0) > p->guest);
}

/*
 * The held vector to deliver now: the highest one the guest can take by
 * the rules above, or -1 (none held, or none it can take now).
 */
static int idt_shadow_next_held(CPUX86State *env)
{
    IdtsPriority p;
    bool any = false;

    for (int w = 0; w < ARRAY_SIZE(env->idts_pending); w++) {
        any |= env->idts_pending[w] != 0;
    }
    if (!any || !idt_shadow_guest_can_take(env)) {
        return -1;
    }
    idt_shadow_priority(env, &p);
    for (int w = ARRAY_SIZE(env->idts_pending) - 1; w >= 0; w--) {
        uint32_t bits = env->idts_pending[w];

        while (bits) {
            int b = 31 - clz32(bits);
            int v = w * 32 + b;

            if (idt_shadow_priority_allows(env, &p, v)) {
                return v;
            }
            bits &= ~(1u << b);
        }
    }
    return -1;
}

bool idt_shadow_deliverable(CPUX86State *env)
{
    return env->idts_active && (env->hflags & HF_GUEST_MASK) &&
           idt_shadow_next_held(env) >= 0;
}

static int idt_shadow_highest_held(CPUX86State *env)
{
    for (int w = ARRAY_SIZE(env->idts_pending) - 1; w >= 0; w--) {
        if (env->idts_pending[w]) {
            return w * 32 + 31 - clz32(env->idts_pending[w]);
        }
    }
    return -1;
}

/*
 * Whether the guest takes DIRECT vector @v, which the LAPIC would hand
 * out now, right away: it can take an interrupt, the priority rules allow
 * @v, and no held vector is to go first (one above @v, or @v itself: two
 * arrivals of a vector while it is held are one, as in the IRR).
 */
static bool idt_shadow_takes(CPUX86State *env, int v)
{
    IdtsPriority p;

    if (!idt_shadow_guest_can_take(env) ||
        idt_shadow_next_held(env) >= v) {
        return false;
    }
    idt_shadow_priority(env, &p);
    return idt_shadow_priority_allows(env, &p, v);
}

/*
 * Take the vector the LAPIC would hand out now if it is DIRECT and the
 * guest does not take it at once (it cannot take an interrupt, or the
 * priority rules hold it back), and hold it for the guest: out of the
 * LAPIC's IRR, not in its ISR, so that it blocks none of L1's interrupts
 * (as posted interrupts leave the physical LAPIC for the PIR).  Returns
 * whether a vector was held.
 */
static bool idt_shadow_hold(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    int v;

    v = apic_peek_interrupt(cpu->apic_state);
    if (v < 0 || !(env->idts_table[v] & IDTS_ENTRY_DIRECT) ||
        idt_shadow_takes(env, v)) {
        return false;
    }
    apic_hold_interrupt(cpu->apic_state, v);
    env->idts_pending[v / 32] |= 1u << (v % 32);
    env->idts_held++;
    cs->interrupt_request |= CPU_INTERRUPT_IDTS;
    trace_idt_shadow_hold(cs->cpu_index, v);
    return true;
}

void idt_shadow_halted(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);

    if (!(env->hflags & HF_GUEST_MASK)) {
        return;
    }
    /* Each hold lowers the LAPIC's output unless more is pending. */
    while (x86_cpu_pending_interrupt(cs, cs->interrupt_request &
                                         CPU_INTERRUPT_HARD) ==
           CPU_INTERRUPT_HARD && idt_shadow_hold(env)) {
        /* nothing */
    }
}

void idt_shadow_deliver_held(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    int v = idt_shadow_next_held(env);
    uint32_t e;

    if (v >= 0) {
        env->idts_pending[v / 32] &= ~(1u << (v % 32));
    }
    /* Those the priority rules hold back stay, CPU_INTERRUPT_IDTS too. */
    if (idt_shadow_highest_held(env) < 0) {
        cs->interrupt_request &= ~CPU_INTERRUPT_IDTS;
    }
    if (v < 0) {
        return;
    }
    /* In service from now until the guest's handler EOIs it. */
    e = env->idts_table[v];
    apic_serve_held_interrupt(cpu->apic_state, v);
    env->idts_direct++;
    trace_idt_shadow_deliver_held(cs->cpu_index, v, IDTS_ENTRY_VECTOR(e));
    do_interrupt_x86_hardirq(env, IDTS_ENTRY_VECTOR(e), 1);
}

void idt_shadow_vmexit(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    int v;

    /* Vectors the guest did not take go back to L1's LAPIC: none is lost. */
    while ((v = idt_shadow_highest_held(env)) >= 0) {
        env->idts_pending[v / 32] &= ~(1u << (v % 32));
        trace_idt_shadow_return_held(cs->cpu_index, v);
        apic_return_held_interrupt(cpu->apic_state, v);
    }
    cs->interrupt_request &= ~CPU_INTERRUPT_IDTS;
    env->idts_active = false;
}

bool idt_shadow_interrupt(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint32_t e;
    int intno;

    if (!env->idts_active || !(env->hflags & HF_GUEST_MASK)) {
        return false;
    }
    if (idt_shadow_hold(env)) {
        return true;
    }

    /* A pending virtual interrupt (V_IRQ) stays pending. */
    cs->interrupt_request &= ~CPU_INTERRUPT_HARD;
    intno = cpu_get_pic_interrupt(env);
    if (intno < 0) {
        return true;        /* spurious: nothing to deliver */
    }
    /*
     * A DIRECT vector from the LAPIC gets here only when the guest takes
     * it (idt_shadow_hold()); one from the 8259 (ExtINT) ignores the
     * priority rules, as it does in the LAPIC, but cannot be held.
     */
    e = env->idts_table[intno & 0xff];
    if ((e & IDTS_ENTRY_DIRECT) && idt_shadow_guest_can_take(env)) {
        env->idts_direct++;
        trace_idt_shadow_direct(cs->cpu_index, intno,
                                IDTS_ENTRY_VECTOR(e));
        do_interrupt_x86_hardirq(env, IDTS_ENTRY_VECTOR(e), 1);
        return true;
    }
    /* Not DIRECT, or from the 8259 while the guest cannot take it. */
    env->idts_exits++;
    trace_idt_shadow_exit(cs->cpu_index, intno);
    cpu_vmexit(env, SVM_EXIT_INTR, IDTS_EXITINFO_ACKED | intno, 0);
}
