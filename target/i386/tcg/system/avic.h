/*
 * AVIC for nested SVM (TCG): the hooks of the core (avic.c), and what the
 * other AVIC files share with it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_AVIC_H
#define TARGET_I386_AVIC_H

#include "hw/intc/irq-post.h"

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

/* VMRUN, after int_ctl and the nested paging state are loaded. */
void avic_vmrun(CPUX86State *env, uintptr_t retaddr);

/* #VMEXIT: the backing page is no longer the vCPU's APIC. */
void avic_vmexit(CPUX86State *env);

/* Every #VMEXIT, for the counters. */
void avic_count_vmexit(CPUX86State *env, uint64_t exit_code);

/* get_physical_address(): whether this L2 guest physical page is its APIC. */
static inline bool avic_is_apic_page(CPUX86State *env, uint64_t gpa)
{
    return unlikely(env->avic_active) &&
           (gpa & ~(uint64_t)0xfff) == env->avic_bar;
}

/* CPU_INTERRUPT_AVIC: deliver the highest vector of the backing page. */
void avic_deliver(CPUX86State *env);

/* CPU_INTERRUPT_AVIC_DOORBELL: look at the backing page again. */
void avic_doorbell_received(CPUX86State *env);

/* MOV CR8 in a guest with AVIC: the backing page's TPR.  */
uint64_t avic_read_cr8(CPUX86State *env);
void avic_write_cr8(CPUX86State *env, uint64_t val);

/* For the other AVIC files: the backing page and the vCPU's requests. */
AddressSpace *avic_as(CPUX86State *env);
uint32_t avic_reg(CPUX86State *env, unsigned reg);
void avic_set_reg(CPUX86State *env, unsigned reg, uint32_t val);
/* One of the 256-bit registers (ISR, TMR, IRR) of the backing page @page */
IrqPostIRR avic_bits(CPUX86State *env, hwaddr page, unsigned reg);
int avic_highest(CPUX86State *env, unsigned reg);
bool avic_bit_test(CPUX86State *env, unsigned reg, int vector);
void avic_request(CPUState *cs, int mask, bool on);
/* Recompute the PPR and what the IRR requests above it. */
void avic_update(CPUX86State *env);
/* Drop a trap-style exit raised by an instruction that did not complete. */
void avic_trap_cancel(CPUX86State *env);
void avic_trap_clear(CPUX86State *env);

#endif
