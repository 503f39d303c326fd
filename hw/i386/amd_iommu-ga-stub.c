/*
 * AMD IOMMU guest virtual APIC mode: monitor commands without amd-iommu
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "qapi/qapi-commands-amd-iommu-ga-target.h"

AmdIommuGa *qmp_query_amd_iommu_ga(Error **errp)
{
    error_setg(errp, "this QEMU has no amd-iommu device");
    return NULL;
}

void hmp_info_amd_iommu_ga(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "this QEMU has no amd-iommu device\n");
}
