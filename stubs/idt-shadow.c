/*
 * IDT shadowing monitor commands for targets without it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-idt-shadow.h"

IdtShadowCpuList *qmp_query_idt_shadow(Error **errp)
{
    return NULL;
}
