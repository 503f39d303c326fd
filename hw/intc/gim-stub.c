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
