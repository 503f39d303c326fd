/*
 * TCG and memory map changes: test "memmap" of the irqhint SVM test
 * kernel (no SVM needed; -machine q35; host side: python/irqhint/svm.py).
 *
 * The kernel reads the HPET's capability register (a constant) n*1000
 * times while the host changes the memory map below 1 MiB as fast as it
 * can, writing the Q35 host bridge's PAM registers from the monitor
 * ("o" to ports 0xcf8/0xcfc: QEMU's main thread).  Each change builds a
 * new dispatch whose section numbers differ from the old one's, and the
 * vCPU's TLB is flushed only once the vCPU gets to its queued work.
 * QEMU 10.0 looked a TLB entry filled from the old dispatch up in the
 * new one: the read went to another region, or QEMU aborted in
 * iotlb_to_section() (as a Linux guest's PCI enumeration sometimes did
 * under load).  Every read must give the HPET's value.  Then, still
 * under map changes, n*10 self-IPIs through the xAPIC's ICR (MMIO), each
 * EOIed through MMIO by its handler: each must arrive once, and nothing
 * may stay in service.  A misrouted ICR or EOI write is a lost interrupt
 * or a vector stuck in service: a hung guest.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hv.h"
#include "memmap-tests.h"

#define HPET_CAP        0xfed00000u
#define V_MEMMAP        0x40

static volatile u32 memmap_irqs;

/*
 * Work without the BQL, in the same block as the MMIO access after it,
 * so that the access's TLB lookup falls anywhere in the host's map
 * change, not just after the BQL the previous access waited for.
 */
static inline u32 busy(u32 x)
{
    asm volatile(".rept 200\n\timul $3, %0, %0\n\t.endr" : "+r"(x));
    return x;
}

static bool memmap_isr(struct frame *f)
{
    if (f->vector != V_MEMMAP) {
        return false;
    }
    memmap_irqs++;
    busy(f->eip);
    apic_eoi();
    return true;
}

/* Self-IPIs, one at a time: how many were not delivered (from the first). */
static u32 memmap_ipis(u32 ipis)
{
    u32 i, spin, lost = 0;

    l1_hook = memmap_isr;
    for (i = 0; i < ipis; i++) {
        u32 before = memmap_irqs;

        busy(i);
        apic_self_ipi(V_MEMMAP);
        sti();
        for (spin = 0; memmap_irqs == before && spin < 1000000; spin++) {
            pause();
        }
        cli();
        if (memmap_irqs == before) {
            /* Lost, or stuck behind an EOI that was lost: stop here. */
            printf("  IPI %u: not delivered (IRR %u, ISR %u)\n", i,
                   apic_irr(V_MEMMAP), apic_isr(V_MEMMAP));
            lost = ipis - i;
            break;
        }
    }
    l1_hook = NULL;
    return lost;
}

extern u32 opt_n;

void test_memmap(void)
{
    volatile u32 *cap = (volatile u32 *)HPET_CAP;
    u32 want = *cap, reads = opt_n * 1000, bad = 0, lost, i;

    printf("MEMMAP-READY HPET capabilities %x, %u reads\n", want, reads);
    for (i = 0; i < reads; i++) {
        u32 v;

        busy(i);
        v = *cap;

        if (v != want && bad++ < 5) {
            printf("  read %u: %x\n", i, v);
        }
    }
    lost = memmap_ipis(opt_n * 10);
    printf("MEMMAP-DONE\n");
    CHECK(bad == 0, "%u HPET reads while the host changed the memory map: "
          "each gave %x (%u did not)", reads, want, bad);
    CHECK(lost == 0 && memmap_irqs == opt_n * 10 && !apic_isr(V_MEMMAP) &&
          !apic_irr(V_MEMMAP), "%u self-IPIs (ICR and EOI through MMIO) "
          "under map changes: %u handled, %u lost or not sent, in service %u, "
          "pending %u (expected all once, none left)", opt_n * 10,
          memmap_irqs, lost, apic_isr(V_MEMMAP), apic_irr(V_MEMMAP));
}
