/*
 * Test "gim-bench" of the irqhint SVM test kernel: gim-bench.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_GIM_BENCH_H
#define SVM_TEST_GIM_BENCH_H

extern u32 opt_n;    /* tests.c: n=N */

void test_gim_bench(void);

#define GIM_BENCH_TESTS \
    { "gim-bench", test_gim_bench },

#endif
