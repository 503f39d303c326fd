/*
 * AVIC for nested SVM (TCG): the check of an AVIC setup
 *
 * avic_setup_error() is what VMRUN (tcg/system/avic.c) checks of the
 * VMCB's AVIC setup, and what the destination of a migration
 * (avic-migration.c) checks of the stream: it lives here, built with
 * every accelerator, because the stream is checked wherever it is loaded.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "hw/intc/irq-post.h"

const char *avic_setup_error(CPUX86State *env, uint64_t bar, uint64_t backing,
                             uint64_t logical, uint64_t physical,
                             unsigned max_index)
{
    AddressSpace *as = cpu_get_address_space(env_cpu(env), X86ASIdx_MEM);
    uint64_t limit = 1ULL << env_archcpu(env)->phys_bits;

    if (!(env->hflags2 & HF2_NPT_MASK)) {
        return "nested paging is off";
    }
    if ((bar | backing | logical | physical) & ~AVIC_ADDR_MASK) {
        return "address not page-aligned";
    }
    if (bar >= limit || backing >= limit || logical >= limit ||
        physical >= limit) {
        return "address beyond the physical address width";
    }
    if (max_index > AVIC_PHYSICAL_MAX_INDEX_MASK) {
        return "physical APIC ID table max index beyond 255";
    }
    if (!irq_post_is_ram(as, backing, TARGET_PAGE_SIZE, true)) {
        return "backing page is not writable RAM";
    }
    if (!irq_post_is_ram(as, logical, TARGET_PAGE_SIZE, false)) {
        return "logical APIC ID table is not RAM";
    }
    if (!irq_post_is_ram(as, physical, (max_index + 1) * 8, false)) {
        return "physical APIC ID table is not RAM";
    }
    return NULL;
}
