/*
 * AVIC for nested SVM (TCG): IPIs and doorbells (avic-ipi.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_AVIC_IPI_H
#define TARGET_I386_AVIC_IPI_H

/* A guest's write of the low ICR word to its APIC page: send the IPI. */
void avic_icr_write(CPUX86State *env, uint32_t icrl);

/* The posting engine's doorbell, for devices.  BQL held. */
bool avic_device_doorbell(uint32_t apic_id);

/* WRMSR to the AVIC doorbell MSR (C001_011Bh). */
void avic_doorbell_write(CPUX86State *env, uint64_t val);

#endif
