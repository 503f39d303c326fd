/*
 * virtio-irqhint PCI binding
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-irqhint.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qom/object.h"

typedef struct VirtIOIrqhintPCI VirtIOIrqhintPCI;

#define TYPE_VIRTIO_IRQHINT_PCI "virtio-irqhint-pci-base"
DECLARE_INSTANCE_CHECKER(VirtIOIrqhintPCI, VIRTIO_IRQHINT_PCI,
                         TYPE_VIRTIO_IRQHINT_PCI)

struct VirtIOIrqhintPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOIrqhint vdev;
};

/* The transport's side of query-irqhint: see virtio-irqhint.h. */
bool virtio_irqhint_pci_vector_has_irqfd(Object *obj, int vector)
{
    VirtIOPCIProxy *proxy = (VirtIOPCIProxy *)
        object_dynamic_cast(obj, TYPE_VIRTIO_PCI);

    return proxy && proxy->vector_irqfd && vector >= 0 &&
           vector < proxy->pci_dev.msix_entries_nr &&
           proxy->vector_irqfd[vector].users;
}

static const Property virtio_irqhint_pci_properties[] = {
    /* Only the configuration-change interrupt: the device has no queues. */
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors, 1),
};

static void virtio_irqhint_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VirtIOIrqhintPCI *dev = VIRTIO_IRQHINT_PCI(vpci_dev);

    virtio_pci_force_virtio_1(vpci_dev);
    qdev_realize(DEVICE(&dev->vdev), BUS(&vpci_dev->bus), errp);
}

static void virtio_irqhint_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = virtio_irqhint_pci_realize;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, virtio_irqhint_pci_properties);
    dc->desc = "virtio interrupt placement hints (irqhint)";
    pcidev_k->class_id = PCI_CLASS_OTHERS;
}

static void virtio_irqhint_pci_instance_init(Object *obj)
{
    VirtIOIrqhintPCI *dev = VIRTIO_IRQHINT_PCI(obj);

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev),
                                TYPE_VIRTIO_IRQHINT);
}

static const VirtioPCIDeviceTypeInfo virtio_irqhint_pci_info = {
    .base_name     = TYPE_VIRTIO_IRQHINT_PCI,
    .generic_name  = "virtio-irqhint-pci",
    .instance_size = sizeof(VirtIOIrqhintPCI),
    .instance_init = virtio_irqhint_pci_instance_init,
    .class_init    = virtio_irqhint_pci_class_init,
};

static void virtio_irqhint_pci_register(void)
{
    virtio_pci_types_register(&virtio_irqhint_pci_info);
}

type_init(virtio_irqhint_pci_register)
