/*
 * HMP "info gim"
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-gim.h"
#include "qapi/qapi-visit-gim.h"
#include "qobject/qdict.h"

void hmp_info_gim(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(GimInfo) info = qmp_query_gim(qdict_get_try_str(qdict, "qdev"),
                                            &err);
    GimIfaceList *l;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    monitor_printf(mon, "gim %s: %s, %" PRId64 " irqs, %" PRId64
                   " interfaces, status 0x%" PRIx64 "\n", info->qdev,
                   info->enabled ? "enabled" : "disabled", info->irqs,
                   info->interfaces, info->status);
    monitor_printf(mon, "  pending table 0x%" PRIx64 ": %" PRId64
                   " guests x %" PRId64 " dests\n", info->table_base,
                   info->guests, info->dests);
    monitor_printf(mon, "  log 0x%" PRIx64 ": %" PRId64 " records, head %"
                   PRId64 ", tail %" PRId64 ", lost %" PRId64 "\n",
                   info->log_base, info->log_size, info->log_head,
                   info->log_tail, info->log_lost);
    monitor_printf(mon, "  in %" PRId64 " out %" PRId64 " dropped %" PRId64
                   " coalesced %" PRId64 " delivered %" PRId64 " logged %"
                   PRId64 "\n", info->inputs, info->outputs, info->dropped,
                   info->coalesced, info->delivered, info->logged);
    for (l = info->ifaces; l; l = l->next) {
        GimIface *gi = l->value;
        intList *v;

        monitor_printf(mon, "  iface %" PRId64 ": ", gi->index);
        if (gi->running) {
            monitor_printf(mon, "guest %" PRId64 " dest %" PRId64,
                           gi->guest, gi->dest);
        } else {
            monitor_printf(mon, "idle");
        }
        monitor_printf(mon, ", status 0x%" PRIx64 ", lrs:", gi->status);
        for (v = gi->lrs; v; v = v->next) {
            monitor_printf(mon, " 0x%02" PRIx64, v->value);
        }
        monitor_printf(mon, "\n");
    }
}
