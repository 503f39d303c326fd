/*
 * IDT shadowing for nested SVM (TCG)
 *
 * An L1 hypervisor may give the guest of a VMCB a hypervisor IDT: one
 * entry per vector, saying whether an external interrupt taken while that
 * guest runs goes straight through the guest's own IDT (DIRECT, possibly
 * at another vector) or exits to L1 with the vector already acknowledged.
 * The control lives in the VMCB bytes AMD reserves for host use; the ABI
 * is include/hw/i386/idt-shadow.h, the spec docs/specs/idt-shadow.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/i386/idt-shadow.h"
#include "tcg/helper-tcg.h"
#include "idt-shadow.h"
#include "../../trace.h"

/*
 * Copy the table at @addr into env->idts_table, or return the
 * IDTS_ERR_* reason it cannot be used.  The table is read once, here,
 * from RAM only: L1's later writes take effect at the next VMRUN.
 */
static int idt_shadow_load_table(CPUX86State *env, uint64_t addr)
{
    CPUState *cs = env_cpu(env);
    AddressSpace *as = cpu_get_address_space(cs, X86ASIdx_MEM);
    uint32_t table[IDTS_TABLE_ENTRIES];
    hwaddr len = sizeof(table), xlat;
    MemoryRegion *mr;

    if (addr & (IDTS_TABLE_ALIGN - 1)) {
        return IDTS_ERR_ALIGN;
    }
    WITH_RCU_READ_LOCK_GUARD() {
        mr = address_space_translate(as, addr, &xlat, &len, false,
                                     MEMTXATTRS_UNSPECIFIED);
        if (!memory_region_is_ram(mr) || len < sizeof(table)) {
            return IDTS_ERR_NOT_RAM;
        }
        memcpy(table, (uint8_t *)memory_region_get_ram_ptr(mr) + xlat,
               sizeof(table));
    }
    for (int v = 0; v < IDTS_TABLE_ENTRIES; v++) {
        uint32_t e = le32_to_cpu(table[v]);

        if (e & IDTS_ENTRY_RESERVED) {
            return IDTS_ERR_ENTRY;
        }
        env->idts_table[v] = e;
    }
    return 0;
}

void idt_shadow_vmrun(CPUX86State *env, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    X86CPU *cpu = env_archcpu(env);
    uint64_t vmcb = env->vm_vmcb;
    uint32_t magic, ctl;
    uint64_t table;
    int err;

    env->idts_active = false;
    if (!cpu->idt_shadow) {
        return;
    }
    magic = x86_ldl_phys(cs, vmcb + IDTS_VMCB_MAGIC_OFF);
    if (magic != IDTS_VMCB_MAGIC) {
        return;
    }
    ctl = x86_ldl_phys(cs, vmcb + IDTS_VMCB_CTL_OFF);
    if (!(ctl & IDTS_CTL_ENABLE)) {
        return;
    }
    table = x86_ldq_phys(cs, vmcb + IDTS_VMCB_TABLE_OFF);
    err = ctl & ~IDTS_CTL_ENABLE ? IDTS_ERR_CTL :
                                   idt_shadow_load_table(env, table);
    if (err) {
        env->idts_errors++;
        trace_idt_shadow_bad_table(cs->cpu_index, table, err);
        qemu_log_mask(LOG_GUEST_ERROR, "%s: VMRUN with a bad hypervisor IDT"
                      " at 0x%" PRIx64 " (reason %d)\n", __func__, table, err);
        cpu_vmexit(env, SVM_EXIT_ERR, IDTS_ERR | err, retaddr);
    }
    env->idts_active = true;
    trace_idt_shadow_vmrun(cs->cpu_index, table);
}

static bool idt_shadow_guest_can_take(CPUX86State *env)
{
    return (env->eflags & IF_MASK) && !(env->hflags & HF_INHIBIT_IRQ_MASK);
}

bool idt_shadow_interrupt(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    uint32_t e;
    int intno;

    if (!env->idts_active || !(env->hflags & HF_GUEST_MASK)) {
        return false;
    }
    /*
     * A DIRECT vector the guest cannot take yet stays pending in the
     * LAPIC, unacknowledged, as with posted interrupts: it is delivered
     * once the guest sets IF or leaves its interrupt shadow.
     * x86_cpu_pending_interrupt() already holds it back; this is for
     * callers that get here all the same.
     */
    if (x86_cpu_idt_shadow_holds(env)) {
        return true;
    }

    /* A pending virtual interrupt (V_IRQ) stays pending. */
    cs->interrupt_request &= ~CPU_INTERRUPT_HARD;
    intno = cpu_get_pic_interrupt(env);
    if (intno < 0) {
        return true;        /* spurious: nothing to deliver */
    }
    e = env->idts_table[intno & 0xff];
    if ((e & IDTS_ENTRY_DIRECT) && idt_shadow_guest_can_take(env)) {
        env->idts_direct++;
        trace_idt_shadow_direct(cs->cpu_index, intno,
                                IDTS_ENTRY_VECTOR(e));
        do_interrupt_x86_hardirq(env, IDTS_ENTRY_VECTOR(e), 1);
        return true;
    }
    env->idts_exits++;
    trace_idt_shadow_exit(cs->cpu_index, intno);
    cpu_vmexit(env, SVM_EXIT_INTR, IDTS_EXITINFO_ACKED | intno, 0);
}
