/*
 * AVIC for nested SVM (TCG): the hooks
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_AVIC_H
#define TARGET_I386_AVIC_H

/* Realize: the vCPU's virtual APIC page address space (avic=on only). */
void avic_cpu_realize(X86CPU *cpu);

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

/* CPU_INTERRUPT_AVIC_TRAP: take the trap-style #VMEXIT of the last insn. */
G_NORETURN void avic_trap_deliver(CPUX86State *env);

/*
 * An exception raised by the instruction that raised a trap-style
 * #VMEXIT, after its access (cs->exception_index, not EXCP_VMEXIT).
 */
void avic_trap_exception(CPUX86State *env);

/* CPU_INTERRUPT_AVIC: deliver the highest vector of the backing page. */
void avic_deliver(CPUX86State *env);

/* CPU_INTERRUPT_AVIC_DOORBELL: look at the backing page again. */
void avic_doorbell_received(CPUX86State *env);

/* WRMSR to the AVIC doorbell MSR (C001_011Bh). */
void avic_doorbell_write(CPUX86State *env, uint64_t val);

/* MOV CR8 in a guest with AVIC: the backing page's TPR.  */
uint64_t avic_read_cr8(CPUX86State *env);
void avic_write_cr8(CPUX86State *env, uint64_t val);

#endif
