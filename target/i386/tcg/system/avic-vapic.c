/*
 * AVIC for nested SVM (TCG): the guest's APIC page
 *
 * While a guest with AVIC runs, its data accesses to its APIC page
 * (AVIC_APIC_BAR; get_physical_address() marks them) go to the vCPU's
 * "cpu-avic" address space: the "avic-vapic" region, backed by the vAPIC
 * backing page.  Reads and the TPR, EOI and ICR writes are accelerated,
 * other writes are stored and then exit trap-style, the rest exit
 * fault-style (#VMEXIT AVIC_NOACCEL, avic-exit.c); an ICR write sends an
 * IPI (avic-ipi.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "hw/intc/irq-post.h"
#include "avic.h"
#include "avic-exit.h"
#include "avic-ipi.h"
#include "avic-vapic.h"
#include "../../trace.h"

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
