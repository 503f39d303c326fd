/*
 * libqos driver framework: virtio-irqhint
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "qgraph.h"
#include "virtio-irqhint.h"
#include "../qemu-cmdline.h"

static void *qvirtio_irqhint_pci_get_driver(void *object,
                                            const char *interface)
{
    QVirtioIrqhintPCI *v = object;

    if (!g_strcmp0(interface, "pci-device")) {
        return v->pci_vdev.pdev;
    }
    if (!g_strcmp0(interface, "virtio-irqhint")) {
        return &v->irqhint;
    }
    if (!g_strcmp0(interface, "virtio")) {
        return v->irqhint.vdev;
    }
    fprintf(stderr, "%s not present in virtio-irqhint-pci\n", interface);
    g_assert_not_reached();
}

static void *qvirtio_irqhint_pci_create(void *pci_bus,
                                        QGuestAllocator *t_alloc, void *addr)
{
    QVirtioIrqhintPCI *v = g_new0(QVirtioIrqhintPCI, 1);
    QOSGraphObject *obj = &v->pci_vdev.obj;

    virtio_pci_init(&v->pci_vdev, pci_bus, addr);
    v->irqhint.vdev = &v->pci_vdev.vdev;
    obj->get_driver = qvirtio_irqhint_pci_get_driver;
    return obj;
}

static void qvirtio_irqhint_register_nodes(void)
{
    qos_create_pci_driver_node("virtio-irqhint-pci", QVIRTIO_IRQHINT_SLOT,
                               qvirtio_irqhint_pci_create);
    qos_node_produces("virtio-irqhint-pci", "virtio");
    qos_node_produces("virtio-irqhint-pci", "virtio-irqhint");
}

libqos_init(qvirtio_irqhint_register_nodes);
