/*
 * Tests of the irqhint SVM test kernel that need no SVM: memmap.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_MEMMAP_TESTS_H
#define SVM_TEST_MEMMAP_TESTS_H

extern u32 opt_n;    /* tests.c: n=N */

void test_memmap(void);

#define MEMMAP_TESTS \
    { "memmap", test_memmap },

#endif
