/*
 * libqos: the edu device (hw/misc/edu.c) as an MSI source
 *
 * Device tests use edu to send a real device's MSI: they point its MSI
 * at an address of their choice (the LAPIC, a doorbell) and raise it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_EDU_H
#define TESTS_LIBQOS_EDU_H

#include "pci.h"

/* BAR0 registers (docs/specs/edu.rst). */
#define QEDU_RAISE_IRQ      0x60    /* write: raise the interrupt */
#define QEDU_ACK_IRQ        0x64    /* write: acknowledge it */

typedef struct QEdu {
    QPCIDevice *dev;
    QPCIBar bar;            /* BAR0 */
} QEdu;

/*
 * Find edu at @devfn on @bus, enable it, map BAR0 and point its MSI at
 * @msi_addr with data @msi_data.
 */
void qedu_init(QEdu *edu, QPCIBus *bus, int devfn, uint64_t msi_addr,
               uint16_t msi_data);
/* Raise and acknowledge edu's interrupt @n times: @n MSIs. */
void qedu_raise(QEdu *edu, int n);
void qedu_destroy(QEdu *edu);

#endif
