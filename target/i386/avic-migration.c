/*
 * AVIC for nested SVM (TCG): migration
 *
 * The AVIC setup checked at the last VMRUN travels in the "cpu/avic"
 * subsection of the CPU (target/i386/machine.c lists it), sent only while
 * a guest with AVIC runs.  The backing pages and tables themselves are
 * guest RAM and travel with it; what the backing page requests is looked
 * at again on the destination (a doorbell to itself).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "cpu.h"
#include "migration/vmstate.h"

static bool avic_needed(void *opaque)
{
    X86CPU *cpu = opaque;

    return cpu->env.avic_active;
}

/* The stream is input: check it as VMRUN checks the VMCB. */
static int avic_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;
    uint64_t limit = 1ULL << cpu->phys_bits;

    if (!env->avic_active) {
        return 0;
    }
    if (!(env->features[FEAT_SVM] & CPUID_SVM_AVIC)) {
        error_report("cpu/avic: AVIC state for a CPU without AVIC (start "
                     "the destination with -cpu ...,svm=on,avic=on)");
        return -EINVAL;
    }
    if (!(env->hflags & HF_GUEST_MASK) || !(env->hflags2 & HF2_NPT_MASK)) {
        error_report("cpu/avic: AVIC active outside a guest with nested "
                     "paging");
        return -EINVAL;
    }
    if ((env->avic_bar | env->avic_backing | env->avic_logical |
         env->avic_physical) & ~AVIC_ADDR_MASK ||
        env->avic_bar >= limit || env->avic_backing >= limit ||
        env->avic_logical >= limit || env->avic_physical >= limit ||
        env->avic_max_index > AVIC_PHYSICAL_MAX_INDEX_MASK) {
        error_report("cpu/avic: bad AVIC pointers (APIC page 0x%" PRIx64
                     ", backing page 0x%" PRIx64 ", tables 0x%" PRIx64
                     " 0x%" PRIx64 ", max index %u)", env->avic_bar,
                     env->avic_backing, env->avic_logical,
                     env->avic_physical, env->avic_max_index);
        return -EINVAL;
    }
    env->avic_rvi = -1;
    env->avic_trap_pending = false;
    CPU(cpu)->interrupt_request |= CPU_INTERRUPT_AVIC_DOORBELL;
    return 0;
}

const VMStateDescription vmstate_avic = {
    .name = "cpu/avic",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = avic_needed,
    .post_load = avic_post_load,
    .fields = (const VMStateField[]){
        VMSTATE_BOOL(env.avic_active, X86CPU),
        VMSTATE_UINT64(env.avic_bar, X86CPU),
        VMSTATE_UINT64(env.avic_backing, X86CPU),
        VMSTATE_UINT64(env.avic_logical, X86CPU),
        VMSTATE_UINT64(env.avic_physical, X86CPU),
        VMSTATE_UINT32(env.avic_max_index, X86CPU),
        VMSTATE_END_OF_LIST()
    }
};
