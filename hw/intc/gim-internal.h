/*
 * GIM: the interface that GIM's monitor commands and test aids use
 *
 * Private to hw/intc/gim*.c.  The test aids (gim-testaids.c) act as a
 * hypervisor would: through the registers and the pending table in guest
 * memory, plus the device's own routing, so that they check the device
 * against itself rather than against a copy of it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INTC_GIM_INTERNAL_H
#define HW_INTC_GIM_INTERNAL_H

#include "hw/intc/gim.h"

/* Why routing an input message gave no output. */
typedef enum GIMDrop {
    GIM_DROP_NONE,              /* routed */
    GIM_DROP_DISABLED,          /* GIM is disabled */
    GIM_DROP_IRQ,               /* interrupt number beyond the entries */
    GIM_DROP_FN,                /* the route's function is DROP */
    GIM_DROP_UNKNOWN_FN,        /* the route's function is unknown */
    GIM_DROP_TARGET,            /* no target inside the table */
} GIMDrop;

/* What one input message routes to (gim_route_input). */
typedef struct GIMOutputs {
    GIMDrop drop;
    unsigned irq;
    uint32_t fn;
    unsigned guest;
    unsigned dest;              /* the route's destination */
    uint32_t dest_mask;         /* the route's MULTICAST mask */
    uint32_t ignored;           /* MULTICAST destinations beyond the table */
    unsigned vector;
    bool coalesce;              /* COALESCE: not again while pending */
    /* The outputs: (guest, dests[n], vector) for n < nr_dests. */
    unsigned nr_dests;
    uint8_t dests[GIM_MULTICAST_DESTS];
} GIMOutputs;

/* gim.c */
bool gim_enabled(GIMState *s);
/*
 * Route @msg as it would be routed now: fill @o and return whether it
 * gives outputs.  Changes nothing and logs nothing (gim_post() does).
 */
bool gim_route_input(GIMState *s, uint32_t msg, GIMOutputs *o);
/* Post one input message, as a doorbell write does. */
void gim_post(GIMState *s, uint32_t msg);
/* The interface running (@guest, @dest), or -1. */
int gim_find_iface(GIMState *s, unsigned guest, unsigned dest);
/* BAR0 register accesses, as the guest makes them. */
uint32_t gim_reg_read(GIMState *s, hwaddr addr);
void gim_reg_write(GIMState *s, hwaddr addr, uint32_t val);

/* gim-qmp.c */
/* The gim device named @qdev, or the only one when @qdev is NULL. */
GIMState *gim_find(const char *qdev, Error **errp);

#endif
