/*
 * AVIC for nested SVM (TCG): migration
 *
 * The AVIC setup checked at the last VMRUN travels in the "cpu/avic"
 * subsection of the CPU (target/i386/machine.c lists it), sent only while
 * a guest with AVIC runs, with a trap-style #VMEXIT not yet taken
 * (version 2).  The destination checks it as VMRUN does (avic-setup.c).
 * The backing pages and tables themselves are guest RAM and travel with
 * it; what the backing page requests is looked at again on the
 * destination (a doorbell to itself).
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
    const char *why;

    if (!env->avic_active) {
        if (env->avic_trap_pending) {
            error_report("cpu/avic: a trap-style #VMEXIT pending without "
                         "AVIC");
            return -EINVAL;
        }
        return 0;
    }
    if (!(env->features[FEAT_SVM] & CPUID_SVM_AVIC)) {
        error_report("cpu/avic: AVIC state for a CPU without AVIC (start "
                     "the destination with -cpu ...,svm=on,avic=on)");
        return -EINVAL;
    }
    if (!(env->hflags & HF_GUEST_MASK)) {
        error_report("cpu/avic: AVIC active outside a guest");
        return -EINVAL;
    }
    why = avic_setup_error(env, env->avic_bar, env->avic_backing,
                           env->avic_logical, env->avic_physical,
                           env->avic_max_index);
    if (why) {
        error_report("cpu/avic: bad AVIC setup: %s (APIC page 0x%" PRIx64
                     ", backing page 0x%" PRIx64 ", tables 0x%" PRIx64
                     " 0x%" PRIx64 ", max index %u)", why, env->avic_bar,
                     env->avic_backing, env->avic_logical,
                     env->avic_physical, env->avic_max_index);
        return -EINVAL;
    }
    if (env->avic_trap_pending &&
        env->avic_trap_code != SVM_EXIT_AVIC_NOACCEL &&
        env->avic_trap_code != SVM_EXIT_AVIC_INCOMPLETE_IPI) {
        error_report("cpu/avic: pending trap-style #VMEXIT with exit code "
                     "0x%" PRIx64 ", not an AVIC one", env->avic_trap_code);
        return -EINVAL;
    }
    env->avic_rvi = -1;
    if (env->avic_trap_pending) {
        /* Taken before the guest's next instruction, as on the source. */
        CPU(cpu)->interrupt_request |= CPU_INTERRUPT_AVIC_TRAP;
    }
    CPU(cpu)->interrupt_request |= CPU_INTERRUPT_AVIC_DOORBELL;
    return 0;
}

static int avic_pre_load(void *opaque)
{
    X86CPU *cpu = opaque;

    /* A version 1 stream has no trap: none is pending. */
    cpu->env.avic_trap_pending = false;
    return 0;
}

const VMStateDescription vmstate_avic = {
    .name = "cpu/avic",
    .version_id = 2,
    .minimum_version_id = 1,
    .needed = avic_needed,
    .pre_load = avic_pre_load,
    .post_load = avic_post_load,
    .fields = (const VMStateField[]){
        VMSTATE_BOOL(env.avic_active, X86CPU),
        VMSTATE_UINT64(env.avic_bar, X86CPU),
        VMSTATE_UINT64(env.avic_backing, X86CPU),
        VMSTATE_UINT64(env.avic_logical, X86CPU),
        VMSTATE_UINT64(env.avic_physical, X86CPU),
        VMSTATE_UINT32(env.avic_max_index, X86CPU),
        VMSTATE_BOOL_V(env.avic_trap_pending, X86CPU, 2),
        VMSTATE_UINT64_V(env.avic_trap_code, X86CPU, 2),
        VMSTATE_UINT64_V(env.avic_trap_info1, X86CPU, 2),
        VMSTATE_UINT64_V(env.avic_trap_info2, X86CPU, 2),
        VMSTATE_END_OF_LIST()
    }
};
