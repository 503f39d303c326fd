/*
 * AVIC (AMD's Advanced Virtual Interrupt Controller, APM Vol. 2 15.29)
 * tests of the irqhint SVM test kernel: avic.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_AVIC_TESTS_H
#define SVM_TEST_AVIC_TESTS_H

#include "lib.h"

/* tests.c's options and what the multiboot loader said */
extern bool opt_halt;
extern int opt_avic;
extern u64 ram_end;

void test_avic_cpuid(void);
void test_avic_vmrun(void);
void test_avic_read(void);
void test_avic_write(void);
void test_avic_deliver(void);
void test_avic_ipi(void);
void test_avic_trap(void);
void test_avic_fetch(void);
void test_avic_migrate(void);

#define AVIC_TESTS \
    { "avic-cpuid", test_avic_cpuid }, \
    { "avic-vmrun", test_avic_vmrun }, \
    { "avic-read", test_avic_read }, \
    { "avic-write", test_avic_write }, \
    { "avic-deliver", test_avic_deliver }, \
    { "avic-ipi", test_avic_ipi }, \
    { "avic-trap", test_avic_trap }, \
    { "avic-fetch", test_avic_fetch }, \
    { "avic-migrate", test_avic_migrate },

#endif
