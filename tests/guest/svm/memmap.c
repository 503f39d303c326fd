/*
 * TCG and memory map changes: test "memmap" of the irqhint SVM test
 * kernel (no SVM needed; -machine q35; host side: memmap-race.py).
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
 * under load).  Every read must give the HPET's value.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hv.h"
#include "memmap-tests.h"

#define HPET_CAP        0xfed00000u

extern u32 opt_n;

void test_memmap(void)
{
    volatile u32 *cap = (volatile u32 *)HPET_CAP;
    u32 want = *cap, reads = opt_n * 1000, bad = 0, i;

    printf("MEMMAP-READY HPET capabilities %x, %u reads\n", want, reads);
    for (i = 0; i < reads; i++) {
        u32 v, x = i;

        /*
         * Work without the BQL first, in the same block as the read, so
         * that the read's TLB lookup falls anywhere in the host's map
         * change, not just after the BQL the previous read waited for.
         */
        asm volatile(".rept 200\n\timul $3, %0, %0\n\t.endr"
                     : "+r"(x));
        v = *cap;

        if (v != want && bad++ < 5) {
            printf("  read %u: %x\n", i, v);
        }
    }
    printf("MEMMAP-DONE\n");
    CHECK(bad == 0, "%u HPET reads while the host changed the memory map: "
          "each gave %x (%u did not)", reads, want, bad);
}
