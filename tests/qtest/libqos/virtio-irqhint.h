/*
 * libqos driver framework: virtio-irqhint
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_VIRTIO_IRQHINT_H
#define TESTS_LIBQOS_VIRTIO_IRQHINT_H

#include "qgraph.h"
#include "virtio.h"
#include "virtio-pci.h"

/* Where the qos graph puts the device, and its second PCI device. */
#define QVIRTIO_IRQHINT_SLOT 4

typedef struct QVirtioIrqhint QVirtioIrqhint;
typedef struct QVirtioIrqhintPCI QVirtioIrqhintPCI;

struct QVirtioIrqhint {
    QVirtioDevice *vdev;
};

struct QVirtioIrqhintPCI {
    QVirtioPCIDevice pci_vdev;
    QVirtioIrqhint irqhint;
};

#endif
