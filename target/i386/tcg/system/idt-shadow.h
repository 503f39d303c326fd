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
 * An external interrupt in guest mode: deliver it through the table, or
 * exit with its vector.  Returns false when no table is active.
 */
bool idt_shadow_interrupt(CPUX86State *env);

#endif
