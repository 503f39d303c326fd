/*
 * Observe MSI and MSI-X messages as PCI devices send them
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/rcu.h"
#include "hw/pci/pci-irq-observer.h"
#include "hw/qdev-core.h"

/* The installed observer.  Only this file writes it. */
static PCIIRQObserver *pci_irq_observer;

bool pci_irq_observer_install(PCIIRQObserver *obs)
{
    /* A full barrier: @obs is set up before readers can see it. */
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

/*
 * Out of line so that the observer stays private to this file: next to
 * what msi_notify()/msix_notify() already call (message lookup,
 * msi_send_message() and the interrupt controller), one direct call and a
 * predictable branch are noise.
 */
void pci_irq_observe(PCIDevice *dev, bool msix, unsigned int vector)
{
    PCIIRQObserver *obs = qatomic_rcu_read(&pci_irq_observer);

    if (unlikely(obs)) {
        obs->fn(obs->opaque, dev, msix, vector, PCI_IRQ_SENT);
    }
}

void pci_irq_observe_notifier(DeviceState *qdev, unsigned int vector)
{
    BusState *bus;
    PCIDevice *pdev;

    WITH_RCU_READ_LOCK_GUARD() {
        PCIIRQObserver *obs = qatomic_rcu_read(&pci_irq_observer);

        if (likely(!obs)) {
            return;
        }
        bus = qdev_get_parent_bus(qdev);
        pdev = bus ? (PCIDevice *)object_dynamic_cast(OBJECT(bus->parent),
                                                      TYPE_PCI_DEVICE) :
                     NULL;
        if (pdev && vector < pdev->msix_entries_nr) {
            obs->fn(obs->opaque, pdev, true, vector, PCI_IRQ_NOTIFIER);
        }
    }
}
