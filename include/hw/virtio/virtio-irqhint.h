/*
 * virtio-irqhint: interrupt placement hints for the guest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_VIRTIO_IRQHINT_H
#define QEMU_VIRTIO_IRQHINT_H

#include "hw/virtio/virtio.h"
#include "hw/pci/pci-irq-observer.h"
#include "qemu/thread.h"
#include "standard-headers/linux/virtio_irqhint.h"

#define TYPE_VIRTIO_IRQHINT "virtio-irqhint-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOIrqhint, VIRTIO_IRQHINT)

/* Interrupt sources tracked (a power of two, above the table's maximum). */
#define IRQHINT_SLOTS 256

/* One (PCI device, MSI or MSI-X vector) that raised an interrupt. */
typedef struct IrqhintSlot {
    /*
     * The key: written once under VirtIOIrqhint.lock (@dev last, with
     * release semantics) and read by the observer without the lock.  The
     * slot holds a reference on @dev so that its address is never reused.
     */
    PCIDevice *dev;
    bool msix;
    uint16_t vector;

    int host_cpu;           /* last raising host CPU; atomic */
    bool notifier;          /* raised through its guest notifier; atomic */
    uint64_t events;        /* relaxed counter */

    /* Below: under VirtIOIrqhint.lock. */
    bool dirty;             /* hint must be recomputed */
    bool gone;              /* the device was unplugged */
    struct virtio_irqhint_entry entry;  /* its hint, in guest layout */
    uint8_t nr_hint;        /* vCPUs hinted, may exceed the entry's room */
    uint32_t hint[VIRTIO_IRQHINT_MAX_VCPUS];
} IrqhintSlot;

typedef struct IrqhintVcpuPlacement {
    int host_cpu;           /* -1: unknown */
    int source;             /* IrqhintPlacementSource */
} IrqhintVcpuPlacement;

struct VirtIOIrqhint {
    VirtIODevice parent_obj;

    /* Properties. */
    uint16_t max_entries;
    uint32_t refresh_ms;
    uint64_t host_features;

    /* Guest-visible configuration space (header + table), migrated. */
    uint8_t *config;
    uint32_t config_size;
    uint32_t generation;

    /*
     * Entries loaded by migration that no source on this host has
     * replaced yet; they stay published (flagged MIGRATED) until the
     * source's next interrupt recomputes them.
     */
    struct virtio_irqhint_entry *carried;
    uint16_t nr_carried;

    /* Not migrated: all of the below describes this host. */
    PCIIRQObserver observer;
    PCIDevice *self_pci;    /* our own proxy, never observed */
    QemuMutex lock;
    IrqhintSlot slots[IRQHINT_SLOTS];
    uint16_t order[IRQHINT_SLOTS];  /* slot indices in first-seen order */
    uint16_t nr_sources;
    uint64_t dropped;
    QEMUBH *bh;
    QEMUTimer *refresh_timer;
    bool map_changed;
    bool vcpus_moved;       /* set by vCPU threads (atomic) */

    int nr_vcpus;           /* entries in @map and @mgmt */
    IrqhintVcpuPlacement *map;
    int *mgmt;              /* host CPU set by management, or -1 */

    int nr_host_cpus;
    int *host_core;         /* package << 16 | core id, or -1 */
    int *host_package;
    int *host_node;
};

static inline struct virtio_irqhint_config *
virtio_irqhint_header(VirtIOIrqhint *s)
{
    return (struct virtio_irqhint_config *)s->config;
}

static inline struct virtio_irqhint_entry *
virtio_irqhint_table(VirtIOIrqhint *s)
{
    return (struct virtio_irqhint_entry *)(s->config +
                                           VIRTIO_IRQHINT_TABLE_OFFSET);
}

/*
 * The internal interface of the device, for its monitor commands
 * (virtio-irqhint-qmp.c).
 * All of it runs under the BQL.
 */

/* The irqhint device of this machine; NULL and @errp set when none. */
VirtIOIrqhint *virtio_irqhint_find(Error **errp);

/*
 * Set (@host_cpu >= 0) or clear (-1) the management placement of vCPU
 * @cpu_index; virtio_irqhint_map_changed() then republishes.
 */
void virtio_irqhint_set_placement(VirtIOIrqhint *s, int cpu_index,
                                  int host_cpu);
/* Re-read where every vCPU runs and recompute every hint (soon). */
void virtio_irqhint_map_changed(VirtIOIrqhint *s);

/*
 * Whether KVM signals MSI-X @vector of @obj through an irqfd that QEMU
 * never writes (vhost, the kernel): false unless @obj is a virtio-pci
 * proxy.  In virtio-irqhint-pci.c, which knows the transport.
 */
bool virtio_irqhint_pci_vector_has_irqfd(Object *obj, int vector);

#endif
