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

void pci_irq_observe_slow(PCIDevice *dev, bool msix, unsigned int vector)
{
    PCIIRQObserver *obs;

    RCU_READ_LOCK_GUARD();
    obs = qatomic_rcu_read(&pci_irq_observer);
    if (obs) {
        obs->fn(obs->opaque, dev, msix, vector);
    }
}

bool pci_irq_observer_install(PCIIRQObserver *obs)
{
    return qatomic_cmpxchg(&pci_irq_observer, NULL, obs) == NULL;
}

void pci_irq_observer_remove(PCIIRQObserver *obs)
{
    if (qatomic_cmpxchg(&pci_irq_observer, obs, NULL) == obs) {
        /* Let threads inside obs->fn (an RCU section) leave it first. */
        synchronize_rcu();
    }
}
