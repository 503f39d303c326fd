/*
 * libqos driver framework: gim (guest interrupt manager)
 *
 * The node "gim" is the PCI device at 04.0 with its register BAR (BAR0)
 * and doorbell BAR (BAR2) mapped, memory decoding and bus mastering on.
 * Register layout: include/standard-headers/misc/gim.h; programming model:
 * docs/specs/gim.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_GIM_H
#define TESTS_LIBQOS_GIM_H

#include "qgraph.h"
#include "pci.h"

/* Where the qos graph puts the device. */
#define QGIM_SLOT 4

/* The data GIM's MSI-X vector @v writes, once qgim_msix_enable() ran. */
#define QGIM_MSIX_DATA(v)   (0x61a00000u | (v))

typedef struct QGim QGim;

struct QGim {
    QOSGraphObject obj;
    QPCIDevice dev;
    QPCIBar regs;           /* BAR0 */
    QPCIBar doorbell;       /* BAR2 */
    uint64_t doorbell_addr; /* guest-physical address of the doorbell */
    uint64_t msix_slots;    /* vector v writes at msix_slots + 4 * v */
    int nr_vectors;         /* MSI-X vectors: interfaces + 1 */
};

/* Set up @gim for the device at @addr on @bus and map its BARs. */
void qgim_init(QGim *gim, QPCIBus *bus, QPCIAddress *addr);
/* Map the BARs again (after a reset cleared them) and enable. */
void qgim_remap(QGim *gim);
/* Enable memory decoding and bus mastering. */
void qgim_enable(QGim *gim);
/* Unmap the BARs (and MSI-X, if enabled). */
void qgim_destroy(QGim *gim);

/*
 * Enable MSI-X and point vector v at the 4 bytes of guest RAM at
 * @slots + 4 * v, with data QGIM_MSIX_DATA(v); @slots must have room for
 * one slot per vector.
 */
void qgim_msix_enable(QGim *gim, uint64_t slots);
/* Whether vector @v wrote its slot since the last call; clears the slot. */
bool qgim_msix_fired(QGim *gim, int v);

QTestState *qgim_qts(QGim *gim);
uint32_t qgim_readl(QGim *gim, uint32_t reg);
void qgim_writel(QGim *gim, uint32_t reg, uint32_t val);
/* Registers of vCPU interface @i. */
uint32_t qgim_iface_readl(QGim *gim, int i, uint32_t reg);
void qgim_iface_writel(QGim *gim, int i, uint32_t reg, uint32_t val);
/* Program the routing entry of @irq (function last). */
void qgim_route(QGim *gim, int irq, uint32_t fn, uint16_t guest,
                uint8_t dest, uint8_t vector, uint32_t dest_mask);
/*
 * Program the table (@guests x @dests at @table) and the log ring
 * (@log_size records at @log); CTRL is left alone.
 */
void qgim_set_geometry(QGim *gim, uint64_t table, uint32_t guests,
                       uint32_t dests, uint64_t log, uint32_t log_size);
/* Post one input message through the doorbell (a 4-byte write). */
void qgim_doorbell(QGim *gim, uint32_t msg);

#endif
