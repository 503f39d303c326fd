/*
 * Observe MSI and MSI-X messages as PCI devices send them
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_PCI_IRQ_OBSERVER_H
#define HW_PCI_PCI_IRQ_OBSERVER_H

#include "hw/pci/pci_device.h"

/*
 * An observer is told about every MSI or MSI-X message a PCI device sends
 * (not those it only marks pending), with the vector it was sent for.  It
 * runs in the thread that raises the interrupt, possibly without the BQL,
 * so it must be cheap and thread-safe.  At most one observer is installed
 * at a time; with none installed, the hook costs a call and one
 * predictable branch.
 *
 * Lifetime: MSI senders hold the BQL or run inside an RCU read-side
 * critical section (a TCG vCPU thread in cpu_exec()), so removing the
 * observer under the BQL and then waiting for an RCU grace period
 * guarantees nobody is still inside it.
 */
typedef void PCIIRQObserverFunc(void *opaque, PCIDevice *dev, bool msix,
                                unsigned int vector);

typedef struct PCIIRQObserver {
    PCIIRQObserverFunc *fn;
    void *opaque;
} PCIIRQObserver;

/* Install @obs; fails (returns false) when another one is installed. */
bool pci_irq_observer_install(PCIIRQObserver *obs);
/* Remove @obs and wait until no thread runs it.  Under the BQL. */
void pci_irq_observer_remove(PCIIRQObserver *obs);

/*
 * Stop or restart calling the installed observer @obs, which stays owned
 * by its installer: no other observer can be installed meanwhile, and no
 * grace period is waited for (@obs must outlive the suspension, as it
 * does while installed).  Under the BQL.
 */
void pci_irq_observer_suspend(PCIIRQObserver *obs, bool suspend);

/* The hook: @dev sent the message of MSI (@msix false) or MSI-X @vector. */
void pci_irq_observe(PCIDevice *dev, bool msix, unsigned int vector);

#endif
