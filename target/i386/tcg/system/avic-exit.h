/*
 * AVIC for nested SVM (TCG): the #VMEXITs of an access to the APIC page
 * (avic-exit.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_AVIC_EXIT_H
#define TARGET_I386_AVIC_EXIT_H

/* CPU_INTERRUPT_AVIC_TRAP: take the trap-style #VMEXIT of the last insn. */
G_NORETURN void avic_trap_deliver(CPUX86State *env);

/*
 * An exception raised by the instruction that raised a trap-style
 * #VMEXIT, after its access (cs->exception_index, not EXCP_VMEXIT).
 */
void avic_trap_exception(CPUX86State *env);

/*
 * Before an access that exits trap-style: whether to do it now (the
 * instruction runs alone in its block); false when it must fault instead.
 */
bool avic_trap_begin(CPUX86State *env, unsigned off, bool write);

/* Raise the trap-style exit @code, taken when the instruction completes. */
void avic_trap_end(CPUX86State *env, uint64_t code, uint64_t info1,
                   uint64_t info2);

/* AVIC_NOACCEL, fault-style (the access is not done) */
G_NORETURN void avic_noaccel_fault(CPUX86State *env, hwaddr addr,
                                   bool write);

/* AVIC_NOACCEL, trap-style (after avic_trap_begin() and the write) */
void avic_noaccel_trap(CPUX86State *env, unsigned off, uint64_t info2);

#endif
