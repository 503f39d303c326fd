/*
 * GIM: guest interrupt manager (emulated interrupt-virtualization device)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INTC_GIM_H
#define HW_INTC_GIM_H

#include "exec/memory.h"
#include "hw/pci/pci_device.h"
#include "standard-headers/misc/gim.h"

#define TYPE_GIM "gim"
OBJECT_DECLARE_SIMPLE_TYPE(GIMState, GIM)

typedef struct GIMRoute {
    uint32_t ctrl;
    uint32_t target;
    uint32_t vector;
    uint32_t dest_mask;
} GIMRoute;

typedef struct GIMIface {
    uint32_t running;
    uint32_t status;
    uint32_t nr_lrs;
    uint32_t lr[GIM_NR_LRS];
} GIMIface;

struct GIMState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    MemoryRegion doorbell;

    /*
     * The pending table mapped once while GIM is enabled and the table
     * is plain RAM (@table_cached), refreshed when the memory map
     * changes.  Not migrated: rebuilt from the registers.
     */
    MemoryListener listener;
    MemoryRegionCache table_cache;
    bool table_cached;

    uint32_t ctrl;
    uint32_t status;
    uint64_t table_base;
    uint32_t table_guests;
    uint32_t table_dests;
    uint64_t log_base;
    uint32_t log_size;
    uint32_t log_head;
    uint32_t log_tail;
    uint32_t log_lost;

    uint32_t cnt_in;
    uint32_t cnt_out;
    uint32_t cnt_dropped;
    uint32_t cnt_coalesced;
    uint32_t cnt_delivered;
    uint32_t cnt_logged;

    GIMRoute *routes;           /* nr_irqs of them */
    GIMIface *ifaces;           /* nr_ifaces of them */

    /* config */
    uint32_t nr_irqs;
    uint32_t nr_ifaces;
};

#endif
