/*
 * The cost of an MSI notification, as a guest sees it: test "msi-bench"
 * of the irqhint SVM test kernel (no SVM needed; host side:
 * bench/msi-notify.py, which boots it in two QEMUs, one with -device
 * irqhint and one without).
 *
 * edu (-device edu,addr=05.0, BAR0 as the BIOS assigned it) gets its MSI
 * pointed at the LAPIC, fixed, vector 0x41.  The LAPIC's task priority
 * (0xf0) holds it pending in the IRR, and IF is clear too: the MSI is
 * accepted and never delivered, so nothing but the message itself is
 * timed (no exit from the vCPU's translated code to deliver it).  Each
 * write to edu's "raise interrupt" register sends the MSI again
 * (msi_notify(): the message, the PCI interrupt observer, the LAPIC);
 * each write to its card liveness register takes the same MMIO path and
 * sends nothing.  A round is n chunks of 1000 writes of each, in turn,
 * each chunk timed with the TSC, and ends with the line
 *   MSIB-ROUND <k> raise=<hex> plain=<hex> diff=<D> writes=<N>
 * with the fastest chunk of each (host interrupts and preemption only
 * ever add), and D the median over the chunks of the raise writes' time
 * minus the plain ones', all in TSC ticks per N=1000 writes.  The kernel
 * prints MSIB-READY, then runs a round for each NMI the host sends (QMP
 * inject-nmi); in between it waits in HLT, so that an idle QEMU takes no
 * host CPU from the other one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hv.h"
#include "msibench-tests.h"

#define EDU_BDF         (5 << 11)       /* 00:05.0 */
#define EDU_ID          0x11e81234u
#define EDU_LIVENESS    0x04
#define EDU_RAISE_IRQ   0x60
#define MSIB_VECTOR     0x41
#define MSIB_CHUNK      1000

static volatile u32 msib_nmis;

static bool msib_isr(struct frame *f)
{
    if (f->vector != 2) {
        return false;
    }
    msib_nmis++;
    return true;
}

static u32 cfg_read(u32 off)
{
    outl(0xcf8, 0x80000000u | EDU_BDF | (off & 0xfc));
    return inl(0xcfc);
}

static void cfg_write(u32 off, u32 v)
{
    outl(0xcf8, 0x80000000u | EDU_BDF | (off & 0xfc));
    outl(0xcfc, v);
}

static void msib_fail(const char *why)
{
    printf("IDTS-RESULT: FAIL msi-bench: %s\n", why);
    exit_qemu(0x11);
}

/* Enable edu's BAR0, bus mastering and MSI; BAR0's address, or 0. */
static volatile u32 *edu_setup(void)
{
    u32 bar, cap, ctl;

    if (cfg_read(0x00) != EDU_ID) {
        msib_fail("no edu at 00:05.0");
    }
    bar = cfg_read(0x10) & ~0xfu;
    if (!bar) {
        msib_fail("edu's BAR0 is not assigned");
    }
    cfg_write(0x04, (cfg_read(0x04) & 0xffff) | 0x6); /* memory, master */
    for (cap = cfg_read(0x34) & 0xfc; cap; cap = (cfg_read(cap) >> 8) & 0xfc) {
        if ((cfg_read(cap) & 0xff) == 0x05) {
            break;
        }
    }
    if (!cap) {
        msib_fail("edu has no MSI capability");
    }
    ctl = cfg_read(cap) >> 16;
    cfg_write(cap + 4, APIC_BASE);
    if (ctl & 0x80) {                   /* 64-bit address */
        cfg_write(cap + 8, 0);
        cfg_write(cap + 12, MSIB_VECTOR);
    } else {
        cfg_write(cap + 8, MSIB_VECTOR);
    }
    cfg_write(cap, cfg_read(cap) | (1u << 16));
    return (volatile u32 *)bar;
}

#define MSIB_MAX_CHUNKS 1000

/* Per chunk: TSC ticks of its raise writes minus those of its plain ones. */
static s32 msib_diff[MSIB_MAX_CHUNKS];

static s32 msib_median(s32 *v, u32 n)
{
    for (u32 i = 1; i < n; i++) {
        s32 x = v[i];
        u32 j = i;

        for (; j > 0 && v[j - 1] > x; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
    return v[n / 2];
}

void test_msi_bench(void)
{
    volatile u32 *edu = edu_setup();
    u32 round = 0, seen;

    if (opt_n < 1 || opt_n > MSIB_MAX_CHUNKS) {
        msib_fail("n must be 1 to 1000");
    }

    cli();
    apic_write(APIC_TPR, 0xf0);
    l1_hook = msib_isr;
    printf("MSIB-READY writes=%u\n", opt_n * MSIB_CHUNK);
    for (;;) {
        u64 raise = ~0ull, plain = ~0ull;

        seen = msib_nmis;
        while (msib_nmis == seen) {
            asm volatile("hlt" ::: "memory");
        }
        for (u32 c = 0; c < opt_n; c++) {
            u64 t0, t1, t2;

            t0 = rdtsc();
            for (u32 i = 0; i < MSIB_CHUNK; i++) {
                edu[EDU_RAISE_IRQ / 4] = 1;
            }
            t1 = rdtsc();
            for (u32 i = 0; i < MSIB_CHUNK; i++) {
                edu[EDU_LIVENESS / 4] = i;
            }
            t2 = rdtsc();
            raise = t1 - t0 < raise ? t1 - t0 : raise;
            plain = t2 - t1 < plain ? t2 - t1 : plain;
            msib_diff[c] = (s32)(t1 - t0) - (s32)(t2 - t1);
        }
        printf("MSIB-ROUND %u raise=%llx plain=%llx diff=%d writes=%u\n",
               round++, raise, plain, msib_median(msib_diff, opt_n),
               MSIB_CHUNK);
    }
}
