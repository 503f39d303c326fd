/*
 * Benchmarks of the irqhint SVM test kernel that need no SVM: msibench.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_MSIBENCH_TESTS_H
#define SVM_TEST_MSIBENCH_TESTS_H

extern u32 opt_n;    /* tests.c: n=N */

void test_msi_bench(void);

#define MSIBENCH_TESTS \
    { "msi-bench", test_msi_bench },

#endif
