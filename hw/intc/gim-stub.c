/*
 * gim QMP commands when the device is not built in
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-gim.h"

GimInfo *qmp_query_gim(const char *qdev, Error **errp)
{
    error_setg(errp, "gim support is not compiled into this binary");
    return NULL;
}

GimBenchResult *qmp_x_gim_bench(const char *qdev, int64_t irq, int64_t count,
                                bool has_ring, bool ring, Error **errp)
{
    error_setg(errp, "gim support is not compiled into this binary");
    return NULL;
}

GimStressResult *qmp_x_gim_stress(const char *qdev, int64_t count,
                                  int64_t seed, Error **errp)
{
    error_setg(errp, "gim support is not compiled into this binary");
    return NULL;
}
