/*
 * HMP "info irqhint"
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-irqhint.h"
#include "qapi/qapi-visit-irqhint.h"

void hmp_info_irqhint(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(IrqhintInfo) info = qmp_query_irqhint(&err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    monitor_printf(mon, "irqhint %s: generation %" PRId64 ", %" PRId64
                   "/%" PRId64 " entries, %" PRId64 " dropped\n",
                   info->qdev, info->generation, info->entries,
                   info->max_entries, info->dropped);
    if (info->has_applied_generation) {
        monitor_printf(mon, "guest driver applied generation %" PRId64 "\n",
                       info->applied_generation);
    }
    monitor_printf(mon, "vCPU map:\n");
    for (IrqhintVcpuList *v = info->vcpus; v; v = v->next) {
        monitor_printf(mon, "  vcpu %" PRId64 " (apic %" PRId64 ") -> ",
                       v->value->cpu_index, v->value->apic_id);
        if (v->value->has_host_cpu) {
            monitor_printf(mon, "host cpu %" PRId64, v->value->host_cpu);
        } else {
            monitor_printf(mon, "host cpu ?");
        }
        monitor_printf(mon, " (%s)\n",
                       IrqhintPlacementSource_str(v->value->source));
    }
    monitor_printf(mon, "sources:\n");
    for (IrqhintSourceList *l = info->sources; l; l = l->next) {
        IrqhintSource *src = l->value;
        intList *h;

        monitor_printf(mon, "  %04" PRIx64 ":%02" PRIx64 ":%02" PRIx64
                       ".%" PRIx64 " %s %" PRId64 " (%s): ",
                       src->segment, src->bus, src->devfn >> 3,
                       src->devfn & 7, src->msix ? "msix" : "msi",
                       src->index, src->qdev);
        if (!src->observed && !src->migrated) {
            monitor_printf(mon, "not observed\n");
            continue;
        }
        if (src->migrated) {
            monitor_printf(mon, "carried by migration");
        } else if (src->has_host_cpu) {
            monitor_printf(mon, "host cpu %" PRId64, src->host_cpu);
        }
        monitor_printf(mon, ", %" PRId64 " events -> apic", src->events);
        for (h = src->hint; h; h = h->next) {
            monitor_printf(mon, " %" PRId64, h->value);
        }
        monitor_printf(mon, " (%s)%s\n", IrqhintReason_str(src->reason),
                       src->published ? "" : " [not published]");
    }
}
