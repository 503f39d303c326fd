/*
 * Observe MSI and MSI-X messages as PCI devices send them
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/rcu.h"
#include "hw/pci/pci-irq-observer.h"

PCIIRQObserver *pci_irq_observer;

bool pci_irq_observer_install(PCIIRQObserver *obs)
{
    return qatomic_cmpxchg(&pci_irq_observer, NULL, obs) == NULL;
}

/* Called with the BQL held, which is dropped while waiting. */
void pci_irq_observer_remove(PCIIRQObserver *obs)
{
    if (qatomic_cmpxchg(&pci_irq_observer, obs, NULL) == obs) {
        /* Let threads inside obs->fn leave it before its owner goes. */
        drain_call_rcu();
    }
}
