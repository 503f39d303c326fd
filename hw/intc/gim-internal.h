/*
 * GIM: the interface that GIM's monitor commands use
 *
 * Private to hw/intc/gim*.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INTC_GIM_INTERNAL_H
#define HW_INTC_GIM_INTERNAL_H

#include "hw/intc/gim.h"

/* gim.c */
bool gim_enabled(GIMState *s);

/* gim-qmp.c */
/* The gim device named @qdev, or the only one when @qdev is NULL. */
GIMState *gim_find(const char *qdev, Error **errp);

#endif
