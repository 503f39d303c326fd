/*
 * virtio-irqhint monitor commands: query-irqhint, irqhint-set-placement
 * and irqhint-clear-placement
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-irqhint.h"
#include "qemu/lockable.h"
#include "hw/core/cpu.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/qdev-core.h"
#include "hw/virtio/virtio-irqhint.h"

static bool virtio_irqhint_qmp_check_vcpu(int64_t index, Error **errp)
{
    if (index < 0 || index > INT_MAX || !qemu_get_cpu(index)) {
        error_setg(errp, "cpu-index %" PRId64 " names no vCPU", index);
        return false;
    }
    return true;
}

void qmp_irqhint_set_placement(int64_t cpu_index, int64_t host_cpu,
                               Error **errp)
{
    VirtIOIrqhint *s = virtio_irqhint_find(errp);

    if (!s || !virtio_irqhint_qmp_check_vcpu(cpu_index, errp)) {
        return;
    }
    if (host_cpu < 0 || host_cpu >= s->nr_host_cpus) {
        error_setg(errp, "host-cpu %" PRId64 " is not a CPU of this host "
                   "(it has %d)", host_cpu, s->nr_host_cpus);
        return;
    }
    virtio_irqhint_set_placement(s, cpu_index, host_cpu);
    virtio_irqhint_map_changed(s);
}

void qmp_irqhint_clear_placement(bool has_cpu_index, int64_t cpu_index,
                                 Error **errp)
{
    VirtIOIrqhint *s = virtio_irqhint_find(errp);

    if (!s || (has_cpu_index &&
               !virtio_irqhint_qmp_check_vcpu(cpu_index, errp))) {
        return;
    }
    for (int i = 0; i < s->nr_vcpus; i++) {
        if (!has_cpu_index || i == cpu_index) {
            virtio_irqhint_set_placement(s, i, -1);
        }
    }
    virtio_irqhint_map_changed(s);
}

/*
 * Where KVM signals a guest through an irqfd that vhost (or the kernel)
 * writes, QEMU never sees the interrupt.  Report such vectors of every
 * virtio-pci device as sources that are not observed.
 */
static int virtio_irqhint_qmp_add_unobserved(Object *obj, void *opaque)
{
    IrqhintSourceList ***tail = opaque;
    PCIDevice *dev = (PCIDevice *)object_dynamic_cast(obj, TYPE_PCI_DEVICE);

    if (!dev || !msix_enabled(dev)) {
        return 0;
    }
    for (int v = 0; v < dev->msix_entries_nr; v++) {
        IrqhintSource *src;

        if (!virtio_irqhint_pci_vector_has_irqfd(obj, v)) {
            continue;
        }
        src = g_new0(IrqhintSource, 1);
        src->qdev = object_get_canonical_path(obj);
        src->bus = pci_dev_bus_num(dev);
        src->devfn = dev->devfn;
        src->msix = true;
        src->index = v;
        src->observed = false;
        src->reason = IRQHINT_REASON_NONE;
        QAPI_LIST_APPEND(*tail, src);
    }
    return 0;
}

/*
 * Entries migration carried that are still published (no source of this
 * host has replaced them yet): they are in the guest's table, so they are
 * listed too, flagged as migrated.
 */
static void virtio_irqhint_qmp_add_carried(VirtIOIrqhint *s,
                                           IrqhintSourceList ***tail)
{
    struct virtio_irqhint_config *hdr = virtio_irqhint_header(s);
    struct virtio_irqhint_entry *table = virtio_irqhint_table(s);
    uint16_t n = MIN(le16_to_cpu(hdr->num_entries), s->max_entries);
    PCIBus *root = s->self_pci ? pci_device_root_bus(s->self_pci) : NULL;

    for (int i = 0; i < n; i++) {
        struct virtio_irqhint_entry *e = &table[i];
        IrqhintSource *src;
        PCIDevice *dev;
        intList **htail;

        if (!(le16_to_cpu(e->flags) & VIRTIO_IRQHINT_FLAG_MIGRATED)) {
            continue;
        }
        src = g_new0(IrqhintSource, 1);
        dev = root ? pci_find_device(root, e->bus, e->devfn) : NULL;
        src->qdev = dev ? object_get_canonical_path(OBJECT(dev)) :
                          g_strdup("(not found)");
        src->segment = le16_to_cpu(e->segment);
        src->bus = e->bus;
        src->devfn = e->devfn;
        src->msix = e->type == VIRTIO_IRQHINT_TYPE_MSIX;
        src->index = le16_to_cpu(e->index);
        src->observed = false;
        src->migrated = true;
        src->reason = e->reason < IRQHINT_REASON__MAX ? e->reason :
                                                        IRQHINT_REASON_NONE;
        src->published = true;
        htail = &src->hint;
        for (int j = 0; j < MIN(e->nr_vcpus, VIRTIO_IRQHINT_MAX_VCPUS); j++) {
            QAPI_LIST_APPEND(htail, le32_to_cpu(e->apic_id[j]));
        }
        QAPI_LIST_APPEND(*tail, src);
    }
}

IrqhintInfo *qmp_query_irqhint(Error **errp)
{
    VirtIOIrqhint *s = virtio_irqhint_find(errp);
    struct virtio_irqhint_config *hdr;
    IrqhintInfo *info;
    IrqhintVcpuList **vtail;
    IrqhintSourceList **stail;
    CPUState *cpu;

    if (!s) {
        return NULL;
    }
    hdr = virtio_irqhint_header(s);
    /*
     * No refresh here: the map shown is the one the published hints were
     * computed from.  A query must not consume a placement change that
     * the refresh (and so the guest) has not seen yet.
     */

    info = g_new0(IrqhintInfo, 1);
    info->qdev = object_get_canonical_path(OBJECT(s));
    info->generation = le32_to_cpu(hdr->generation);
    info->has_applied_generation =
        virtio_vdev_has_feature(VIRTIO_DEVICE(s), VIRTIO_IRQHINT_F_APPLIED);
    info->applied_generation = le32_to_cpu(hdr->applied);
    info->entries = le16_to_cpu(hdr->num_entries);
    info->max_entries = s->max_entries;

    vtail = &info->vcpus;
    CPU_FOREACH(cpu) {
        IrqhintVcpu *v = g_new0(IrqhintVcpu, 1);
        IrqhintVcpuPlacement *p = &s->map[cpu->cpu_index];

        v->cpu_index = cpu->cpu_index;
        v->apic_id = cpu->cc->get_arch_id(cpu);
        v->has_host_cpu = p->host_cpu >= 0;
        v->host_cpu = p->host_cpu;
        v->source = p->source;
        QAPI_LIST_APPEND(vtail, v);
    }

    QEMU_LOCK_GUARD(&s->lock);
    info->dropped = s->dropped;
    stail = &info->sources;
    for (int i = 0; i < s->nr_sources; i++) {
        IrqhintSlot *slot = &s->slots[s->order[i]];
        IrqhintSource *src = g_new0(IrqhintSource, 1);
        int host = qatomic_read(&slot->host_cpu);
        intList **htail = &src->hint;

        src->qdev = slot->gone ? g_strdup("(unplugged)") :
                    object_get_canonical_path(OBJECT(slot->dev));
        src->segment = le16_to_cpu(slot->entry.segment);
        src->bus = slot->entry.bus;
        src->devfn = slot->entry.devfn;
        src->msix = slot->msix;
        src->index = slot->vector;
        src->observed = true;
        src->events = qatomic_read(&slot->events);
        src->has_host_cpu = host >= 0;
        src->host_cpu = host;
        src->reason = slot->entry.reason;
        src->published = !slot->gone && i < s->max_entries;
        for (int j = 0; j < slot->nr_hint; j++) {
            QAPI_LIST_APPEND(htail, slot->hint[j]);
        }
        QAPI_LIST_APPEND(stail, src);
    }
    virtio_irqhint_qmp_add_carried(s, &stail);
    object_child_foreach_recursive(qdev_get_machine(),
                                   virtio_irqhint_qmp_add_unobserved, &stail);
    return info;
}

