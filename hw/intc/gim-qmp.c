/*
 * GIM: QMP query-gim
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-gim.h"
#include "hw/qdev-core.h"
#include "hw/sysbus.h"
#include "gim-internal.h"

static int gim_find_one(Object *obj, void *opaque)
{
    GIMState **found = opaque;

    if (!object_dynamic_cast(obj, TYPE_GIM)) {
        return 0;
    }
    if (*found) {
        return 1;           /* a second one: ambiguous */
    }
    *found = GIM(obj);
    return 0;
}

GIMState *gim_find(const char *qdev, Error **errp)
{
    GIMState *s = NULL;
    Object *obj;

    if (qdev) {
        obj = object_resolve_path_type(qdev, TYPE_GIM, NULL);
        if (!obj) {
            DeviceState *d = qdev_find_recursive(sysbus_get_default(), qdev);

            obj = d ? object_dynamic_cast(OBJECT(d), TYPE_GIM) : NULL;
        }
        if (!obj) {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "No gim device '%s'", qdev);
        }
        return obj ? GIM(obj) : NULL;
    }
    if (object_child_foreach_recursive(qdev_get_machine(), gim_find_one,
                                       &s)) {
        error_setg(errp, "More than one gim device: name one with 'qdev'");
        return NULL;
    }
    if (!s) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "No gim device found (add one with -device gim)");
    }
    return s;
}

GimInfo *qmp_query_gim(const char *qdev, Error **errp)
{
    GIMState *s = gim_find(qdev, errp);
    GimIfaceList **tail;
    GimInfo *info;

    if (!s) {
        return NULL;
    }
    info = g_new0(GimInfo, 1);
    info->qdev = object_get_canonical_path(OBJECT(s));
    info->enabled = gim_enabled(s);
    info->irqs = s->nr_irqs;
    info->interfaces = s->nr_ifaces;
    info->table_base = s->table_base;
    info->guests = s->table_guests;
    info->dests = s->table_dests;
    info->log_base = s->log_base;
    info->log_size = s->log_size;
    info->log_head = s->log_head;
    info->log_tail = s->log_tail;
    info->log_lost = s->log_lost;
    info->status = s->status;
    info->inputs = s->cnt_in;
    info->outputs = s->cnt_out;
    info->dropped = s->cnt_dropped;
    info->coalesced = s->cnt_coalesced;
    info->delivered = s->cnt_delivered;
    info->logged = s->cnt_logged;
    tail = &info->ifaces;
    for (unsigned i = 0; i < s->nr_ifaces; i++) {
        GIMIface *iface = &s->ifaces[i];
        GimIface *gi = g_new0(GimIface, 1);
        intList **ltail = &gi->lrs;

        gi->index = i;
        gi->running = iface->running & GIM_RUNNING_VALID;
        gi->guest = GIM_TARGET_GUEST(iface->running);
        gi->dest = GIM_TARGET_DEST(iface->running);
        gi->status = iface->status;
        for (unsigned n = 0; n < iface->nr_lrs; n++) {
            QAPI_LIST_APPEND(ltail, GIM_LR_VECTOR(iface->lr[n]));
        }
        QAPI_LIST_APPEND(tail, gi);
    }
    return info;
}
