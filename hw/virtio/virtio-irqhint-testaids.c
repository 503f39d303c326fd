/*
 * virtio-irqhint test aids: x-irqhint-inject publishes raw entries (to
 * test guest drivers against a hostile table), x-irqhint-bench measures
 * what the observer adds to the MSI path.  They use the device through
 * the internal interface in virtio-irqhint.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-irqhint.h"
#include "qemu/timer.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/qdev-core.h"
#include "hw/sysbus.h"
#include "hw/virtio/virtio-irqhint.h"

void qmp_x_irqhint_inject(IrqhintRawEntryList *entries, bool has_num_entries,
                          int64_t num_entries, Error **errp)
{
    VirtIOIrqhint *s = virtio_irqhint_find(errp);
    struct virtio_irqhint_entry *table;
    IrqhintRawEntryList *l;
    uint16_t n = 0;

    if (!s) {
        return;
    }
    if (has_num_entries && (num_entries < 0 || num_entries > UINT16_MAX)) {
        error_setg(errp, "num-entries must be between 0 and 65535");
        return;
    }
    for (l = entries; l; l = l->next) {
        if (++n > s->max_entries) {
            error_setg(errp, "at most %u entries fit", s->max_entries);
            return;
        }
    }

    table = g_new0(struct virtio_irqhint_entry, n);
    n = 0;
    for (l = entries; l; l = l->next, n++) {
        IrqhintRawEntry *r = l->value;
        struct virtio_irqhint_entry *e = &table[n];
        intList *a;
        int i = 0;

        e->bus = r->bus;
        e->devfn = r->devfn;
        e->type = r->type;
        e->index = cpu_to_le16(r->index);
        e->reason = r->has_reason ? r->reason :
                                    VIRTIO_IRQHINT_REASON_COLOCATED;
        e->flags = cpu_to_le16(r->has_flags ? r->flags : 0);
        for (a = r->apic_ids; a && i < VIRTIO_IRQHINT_MAX_VCPUS; a = a->next) {
            e->apic_id[i++] = cpu_to_le32(a->value);
        }
        e->nr_vcpus = r->has_nr_vcpus ? r->nr_vcpus : i;
    }
    virtio_irqhint_inject(s, table, n, has_num_entries ? num_entries : -1);
}

#define VIRTIO_IRQHINT_BENCH_ROUNDS 7

IrqhintBenchResult *qmp_x_irqhint_bench(const char *qdev, bool msix,
                                        int64_t vector, int64_t count,
                                        Error **errp)
{
    VirtIOIrqhint *s = virtio_irqhint_find(errp);
    IrqhintBenchResult *res;
    PCIDevice *dev;
    Object *obj;
    double best[2] = { DBL_MAX, DBL_MAX };

    if (!s) {
        return NULL;
    }
    obj = object_resolve_path(qdev, NULL);
    if (!obj) {
        DeviceState *ds = qdev_find_recursive(sysbus_get_default(), qdev);

        obj = ds ? OBJECT(ds) : NULL;
    }
    dev = obj ? (PCIDevice *)object_dynamic_cast(obj, TYPE_PCI_DEVICE) : NULL;
    if (!dev) {
        error_setg(errp, "'%s' is not a PCI device", qdev);
        return NULL;
    }
    if (msix ? !msix_enabled(dev) : !msi_enabled(dev)) {
        error_setg(errp, "'%s' does not have %s enabled", qdev,
                   msix ? "MSI-X" : "MSI");
        return NULL;
    }
    if (vector < 0 || vector >= (msix ? dev->msix_entries_nr :
                                 msi_nr_vectors_allocated(dev))) {
        error_setg(errp, "vector %" PRId64 " out of range", vector);
        return NULL;
    }
    if (count < 1 || count > 10000000) {
        error_setg(errp, "count must be between 1 and 10000000");
        return NULL;
    }

    for (int r = 0; r < VIRTIO_IRQHINT_BENCH_ROUNDS * 2; r++) {
        bool on = !(r & 1);
        int64_t t0;
        double ns;

        virtio_irqhint_observe_enable(s, on);
        t0 = get_clock();
        for (int64_t i = 0; i < count; i++) {
            if (msix) {
                msix_notify(dev, vector);
            } else {
                msi_notify(dev, vector);
            }
        }
        ns = (double)(get_clock() - t0) / count;
        best[on] = MIN(best[on], ns);
    }
    virtio_irqhint_observe_enable(s, true);

    res = g_new0(IrqhintBenchResult, 1);
    res->on_ns = best[1];
    res->off_ns = best[0];
    res->rounds = VIRTIO_IRQHINT_BENCH_ROUNDS;
    return res;
}

