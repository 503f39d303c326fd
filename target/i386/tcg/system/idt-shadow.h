/*
 * IDT shadowing for nested SVM (TCG): the hooks
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_IDT_SHADOW_H
#define TARGET_I386_IDT_SHADOW_H

/* At VMRUN: load and check the VMCB's hypervisor IDT, if it has one. */
void idt_shadow_vmrun(CPUX86State *env, uintptr_t retaddr);

/*
 * An external interrupt in guest mode: hold it for the guest, deliver it
 * through the table, or exit with its vector.  Returns false when no
 * table is active.
 */
bool idt_shadow_interrupt(CPUX86State *env);

/* Halted in guest mode: hold DIRECT vectors the guest cannot take. */
void idt_shadow_halted(CPUX86State *env);

/* CPU_INTERRUPT_IDTS: deliver the highest held vector to the guest. */
void idt_shadow_deliver_held(CPUX86State *env);

/* At #VMEXIT: held vectors go back to the LAPIC; the table is inactive. */
void idt_shadow_vmexit(CPUX86State *env);

/*
 * For x86_cpu_pending_interrupt(): whether the guest can take a held
 * DIRECT vector now (CPU_INTERRUPT_IDTS).  Held vectors are not the
 * LAPIC's any more, so they block none of the host's interrupts.
 */
#ifdef CONFIG_TCG
bool idt_shadow_deliverable(CPUX86State *env);
#else
static inline bool idt_shadow_deliverable(CPUX86State *env)
{
    return false;
}
#endif

#endif
