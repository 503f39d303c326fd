/*
 * AVIC for nested SVM (TCG): the #VMEXITs of an access to the APIC page
 *
 * An access that AVIC does not accelerate exits AVIC_NOACCEL, fault-style
 * or trap-style; an IPI that cannot be completed exits
 * AVIC_INCOMPLETE_IPI, trap-style (avic-ipi.c).  The accesses themselves
 * are avic-vapic.c's.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/translation-block.h"
#include "tcg/tcg.h"
#include "tcg/helper-tcg.h"
#include "avic.h"
#include "avic-exit.h"
#include "../../trace.h"

/*
 * Exits from an access to the APIC page.  A fault-style exit leaves the
 * instruction undone (RIP at it); a trap-style one comes after it has
 * completed (RIP past it, its write in the backing page).
 *
 * A trap-style exit is raised in the middle of the instruction, by its
 * access, but taken at the next instruction boundary, as an internal
 * interrupt of the vCPU (CPU_INTERRUPT_AVIC_TRAP) that comes before every
 * other event there: nothing that the rest of the instruction does can
 * overwrite it, and it cannot stay pending while the guest runs on or
 * halts.  Against the other events of the same instruction:
 *  - a fault after the access (a later access of the instruction that
 *    faults, fault-style or with an exception) means the instruction did
 *    not complete: it will run again, and the trap is dropped with it;
 *  - a debug trap (single-step, data breakpoint) of the completed
 *    instruction comes after the #VMEXIT: it is reported in EXITINTINFO as
 *    the event that was being delivered, so that L1 injects it again;
 *  - a rep string instruction runs one iteration per translation block
 *    here, so that it exits after the iteration that made the access
 *    (RIP at the instruction, rCX counting what is left).
 */

static G_NORETURN void avic_fault(CPUX86State *env, uint64_t code,
                                  uint64_t info1, uint64_t info2)
{
    CPUState *cs = env_cpu(env);

    avic_trap_cancel(env);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2), info2);
    cpu_vmexit(env, code, info1, cs->mem_io_pc);
}

/*
 * A trap-style exit must come after the instruction: run the instruction
 * again alone in its translation block, one iteration of a rep string
 * instruction at most (CF_SINGLE_STEP: no loop inside the block), with no
 * interrupt before it, and do the access then.  Returns only when the
 * access is to be done now.  An access that does not come from translated
 * code (mem_io_pc 0: e.g. the CPU pushing an interrupt frame onto the
 * APIC page) faults instead.
 */
bool avic_trap_begin(CPUX86State *env, unsigned off, bool write)
{
    CPUState *cs = env_cpu(env);
    TranslationBlock *tb;

    if (!cs->mem_io_pc) {
        return false;
    }
    tb = tcg_tb_lookup(cs->mem_io_pc);
    if (tb && tb->icount == 1 && (tb_cflags(tb) & CF_SINGLE_STEP)) {
        return true;
    }
    cs->cflags_next_tb = 1 | CF_NOIRQ | CF_SINGLE_STEP | cs->tcg_cflags;
    cpu_loop_exit_restore(cs, cs->mem_io_pc);
}

/*
 * Raise the trap-style exit @code, taken when the instruction (alone in
 * its block) completes.  An instruction that makes two such accesses (a
 * multi-word push or save to the APIC page) exits for the first.
 */
void avic_trap_end(CPUX86State *env, uint64_t code, uint64_t info1,
                   uint64_t info2)
{
    CPUState *cs = env_cpu(env);

    if (env->avic_trap_pending) {
        return;
    }
    env->avic_trap_code = code;
    env->avic_trap_info1 = info1;
    env->avic_trap_info2 = info2;
    env->avic_trap_pending = true;
    trace_avic_trap_raise(cs->cpu_index, code, info1, info2);
    avic_request(cs, CPU_INTERRUPT_AVIC_TRAP, true);
}

void avic_trap_deliver(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint64_t code = env->avic_trap_code;

    if (!env->avic_trap_pending || !env->avic_active) {
        /* Nothing to take (dropped meanwhile): never exit for it. */
        avic_trap_cancel(env);
        cpu_loop_exit(cs);
    }
    avic_trap_clear(env);
    trace_avic_trap_take(cs->cpu_index, code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2),
                 env->avic_trap_info2);
    cpu_vmexit(env, code, env->avic_trap_info1, 0);
}

void avic_trap_exception(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint32_t event;

    if (cs->exception_index != EXCP01_DB || env->exception_is_int) {
        /* A fault: the instruction will run again, its access with it. */
        avic_trap_cancel(env);
        return;
    }
    /*
     * A debug trap of the instruction that completed: the #VMEXIT first,
     * with the #DB in EXITINTINFO (do_vmexit() copies EVENTINJ there).
     */
    event = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | EXCP01_DB;
    x86_stl_phys(cs, env->vm_vmcb + offsetof(struct vmcb, control.event_inj),
                 event);
    trace_avic_trap_take(cs->cpu_index, env->avic_trap_code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb, control.exit_code),
                 env->avic_trap_code);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_1),
                 env->avic_trap_info1);
    x86_stq_phys(cs, env->vm_vmcb + offsetof(struct vmcb,
                                             control.exit_info_2),
                 env->avic_trap_info2);
    avic_count_vmexit(env, env->avic_trap_code);
    avic_trap_clear(env);
    env->old_exception = -1;
    cs->exception_index = EXCP_VMEXIT;
}

static uint64_t avic_noaccel_info1(unsigned off, bool write)
{
    return ((uint64_t)write << 32) | (off & 0xff0);
}

void avic_noaccel_fault(CPUX86State *env, hwaddr addr, bool write)
{
    env_archcpu(env)->avic_stats.noaccel++;
    trace_avic_noaccel(env_cpu(env)->cpu_index, addr, write, false);
    avic_fault(env, SVM_EXIT_AVIC_NOACCEL, avic_noaccel_info1(addr, write),
               0);
}

void avic_noaccel_trap(CPUX86State *env, unsigned off, uint64_t info2)
{
    env_archcpu(env)->avic_stats.noaccel++;
    trace_avic_noaccel(env_cpu(env)->cpu_index, off, true, true);
    avic_trap_end(env, SVM_EXIT_AVIC_NOACCEL, avic_noaccel_info1(off, true),
                  info2);
}
