/*
 * IDT shadowing for nested SVM (TCG): migration
 *
 * The hypervisor IDT checked at the last VMRUN, the DIRECT vectors held
 * for the guest and the counters travel in the "cpu/idt_shadow"
 * subsection of the CPU (target/i386/machine.c lists it).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "cpu.h"
#include "migration/vmstate.h"

static bool idt_shadow_needed(void *opaque)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;

    return env->idts_active || env->idts_held || env->idts_direct ||
           env->idts_exits || env->idts_errors;
}

/*
 * What arrives here was checked at VMRUN on the source, but the stream is
 * input: check it again, and refuse what the source could not have sent.
 */
static int idt_shadow_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;
    bool pending = false;
    int v;

    if (!cpu->idt_shadow) {
        error_report("cpu/idt_shadow: IDT shadowing state for a CPU "
                     "without it (start the destination with "
                     "-cpu ...,idt-shadow=on)");
        return -EINVAL;
    }
    if (env->idts_active && !(env->hflags & HF_GUEST_MASK)) {
        error_report("cpu/idt_shadow: hypervisor IDT active outside "
                     "guest mode");
        return -EINVAL;
    }
    for (v = 0; v < IDTS_TABLE_ENTRIES; v++) {
        if (env->idts_table[v] & IDTS_ENTRY_RESERVED) {
            error_report("cpu/idt_shadow: hypervisor IDT entry 0x%x has "
                         "reserved bits set (0x%08" PRIx32 ")", v,
                         env->idts_table[v]);
            return -EINVAL;
        }
        if (!(env->idts_pending[v / 32] & (1u << (v % 32)))) {
            continue;
        }
        pending = true;
        if (!env->idts_active || !(env->idts_table[v] & IDTS_ENTRY_DIRECT)) {
            error_report("cpu/idt_shadow: vector 0x%x held for the guest "
                         "%s", v, env->idts_active ?
                         "but not DIRECT in its hypervisor IDT" :
                         "with no hypervisor IDT active");
            return -EINVAL;
        }
    }
    if (pending) {
        CPU(cpu)->interrupt_request |= CPU_INTERRUPT_IDTS;
    }
    return 0;
}

const VMStateDescription vmstate_idt_shadow = {
    .name = "cpu/idt_shadow",
    .version_id = 2,
    .minimum_version_id = 1,
    .needed = idt_shadow_needed,
    .post_load = idt_shadow_post_load,
    .fields = (const VMStateField[]){
        VMSTATE_BOOL(env.idts_active, X86CPU),
        VMSTATE_UINT32_ARRAY(env.idts_table, X86CPU, IDTS_TABLE_ENTRIES),
        VMSTATE_UINT64(env.idts_direct, X86CPU),
        VMSTATE_UINT64(env.idts_exits, X86CPU),
        VMSTATE_UINT64(env.idts_errors, X86CPU),
        VMSTATE_UINT32_ARRAY_V(env.idts_pending, X86CPU,
                               IDTS_TABLE_ENTRIES / 32, 2),
        VMSTATE_UINT64_V(env.idts_held, X86CPU, 2),
        VMSTATE_END_OF_LIST()
    }
};
