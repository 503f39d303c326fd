/*
 * irqhint QMP commands when the device is not built in
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-irqhint.h"

static void virtio_irqhint_stub_error(Error **errp)
{
    error_setg(errp, "irqhint support is not compiled into this binary");
}

IrqhintInfo *qmp_query_irqhint(Error **errp)
{
    virtio_irqhint_stub_error(errp);
    return NULL;
}

void qmp_irqhint_set_placement(int64_t cpu_index, int64_t host_cpu,
                               Error **errp)
{
    virtio_irqhint_stub_error(errp);
}

void qmp_irqhint_clear_placement(bool has_cpu_index, int64_t cpu_index,
                                 Error **errp)
{
    virtio_irqhint_stub_error(errp);
}
