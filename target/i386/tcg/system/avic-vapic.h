/*
 * AVIC for nested SVM (TCG): the guest's APIC page (avic-vapic.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_AVIC_VAPIC_H
#define TARGET_I386_AVIC_VAPIC_H

/* Realize: the vCPU's virtual APIC page address space (avic=on only). */
void avic_cpu_realize(X86CPU *cpu);

#endif
