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
/* How the observer hears of an interrupt. */
typedef enum PCIIRQOrigin {
    /* The calling thread sends the message (msi_notify, msix_notify). */
    PCI_IRQ_SENT,
    /*
     * The calling thread signals the vector's guest notifier (a virtio
     * device completing work in an iothread): the message is then sent by
     * KVM through an irqfd, or by QEMU's main loop, which reports it again
     * as PCI_IRQ_SENT.  The calling thread is the one that raised it.
     */
    PCI_IRQ_NOTIFIER,
} PCIIRQOrigin;

typedef void PCIIRQObserverFunc(void *opaque, PCIDevice *dev, bool msix,
                                unsigned int vector, PCIIRQOrigin origin);

typedef struct PCIIRQObserver {
    PCIIRQObserverFunc *fn;
    void *opaque;
} PCIIRQObserver;

/* Install @obs; fails (returns false) when another one is installed. */
bool pci_irq_observer_install(PCIIRQObserver *obs);
/* Remove @obs and wait until no thread runs it.  Under the BQL. */
void pci_irq_observer_remove(PCIIRQObserver *obs);

/* The hook: @dev sent the message of MSI (@msix false) or MSI-X @vector. */
void pci_irq_observe(PCIDevice *dev, bool msix, unsigned int vector);
/*
 * The hook for guest notifiers: the device @qdev, a virtio device whose
 * transport may be a PCI device with MSI-X, signalled the notifier of its
 * MSI-X @vector (out of range values, e.g. VIRTIO_NO_VECTOR, are ignored).
 */
void pci_irq_observe_notifier(DeviceState *qdev, unsigned int vector);

#endif
