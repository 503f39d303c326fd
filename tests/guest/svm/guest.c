/*
 * L2 guest code of the irqhint SVM test kernels.  Both guests run this
 * code (in L1's memory: no NPT, flat 32-bit), each with its own stack,
 * IDT and struct guest; a handler counts deliveries per vector, takes the
 * latency from the raise to its entry, and EOIs the LAPIC itself when
 * its interrupt came straight from the (assigned) device, i.e. when the
 * physical vector is in service; an interrupt that L1 injected was
 * already EOIed by L1.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hv.h"

void guest_main(struct guest *g);

void guest_isr(struct guest *g, struct frame *f)
{
    u32 v = f->vector;
    u32 phys;

    if (g->isr_hook) {
        g->isr_hook(g, f);
        return;
    }
    if (g->t_raise) {
        u64 t = ((u64)f->tsc_hi << 32) | f->tsc_lo;
        u32 d = (u32)(t - g->t_raise);
        g->t_raise = 0;
        g->lat_n++;
        g->lat_sum += d;
        if (d < g->lat_min) {
            g->lat_min = d;
        }
        if (d > g->lat_max) {
            g->lat_max = d;
        }
    }
    switch (v) {
    case 0:     /* #DE from GM_ARCH's "divl %ecx" (2 bytes) */
    case 6:     /* #UD from ud2, should it not be intercepted */
        f->eip += 2;
        break;
    }
    phys = g->phys_of[v];
    if (v >= 32 && phys && apic_isr(phys)) {
        apic_eoi();
        g->eois++;
    }
    g->delivered_step = g->step;
    g->count[v]++;
}

static void wait_count(struct guest *g, u32 vec, u32 n)
{
    while (g->count[vec] < n) {
        pause();
    }
}

static void arch_checks(struct guest *g)
{
    u32 eax = 1;

    sti();
    g->step = 1;                            /* software interrupt */
    asm volatile("int $0x80" ::: "memory");
    g->step = 2;                            /* #DE, through the guest's IDT */
    asm volatile("xor %%edx, %%edx\n\t.byte 0xf7, 0xf1" /* divl %%ecx */
                 : "+a"(eax) : "c"(0) : "edx", "memory");
    g->step = 3;                            /* #UD, intercepted by L1 */
    asm volatile("ud2" ::: "memory");
    g->step = 4;                            /* NMI, not intercepted */
    apic_write(APIC_ICR_LO, ICR_SELF | ICR_ASSERT | ICR_DM_NMI);
    wait_count(g, 2, 1);
    vmmcall();                              /* L1 now intercepts NMI */
    g->step = 5;                            /* NMI, intercepted */
    apic_write(APIC_ICR_LO, ICR_SELF | ICR_ASSERT | ICR_DM_NMI);
    for (int i = 0; i < 1000; i++) {
        pause();
    }
    vmmcall();
    g->step = 6;                            /* the device still goes direct */
    apic_self_ipi(g->raise_vec);
    wait_count(g, g->expect_vec, 1);
}

/*
 * The modes that raise raise_vec with IF=0: step 1 once it is raised,
 * while the mode's way keeps IF=0; step 2 as IF is set (by "sti; hlt" for
 * GM_MASKED_STIHLT, step 3 after it); then wait for the delivery.
 */
static void masked(struct guest *g)
{
    cli();
    apic_self_ipi(g->raise_vec);
    g->step = 1;
    switch (g->mode) {
    case GM_MASKED:
    case GM_MASKED_STIHLT:
        for (int i = 0; i < 1000; i++) {
            g->progress++;
        }
        break;
    case GM_MASKED_HLT:
        asm volatile("hlt");
        break;
    case GM_MASKED_SPIN:
        /* until L1's timer has expired, and a bound more */
        while (apic_read(APIC_TMCCT) && !g->stop) {
            g->progress++;
            pause();
        }
        while (g->late < MASKED_SPIN_LATE && !g->stop) {
            g->late++;
            pause();
        }
        break;
    case GM_HELD_NMI:
        printf("IDTS-HELD-READY: A holds 0x%x with IF=0 until an NMI\n",
               g->raise_vec);
        while (!g->count[2]) {
            g->progress++;
            pause();
        }
        break;
    default:
        break;
    }
    g->step = 2;
    if (g->mode == GM_MASKED_STIHLT) {
        asm volatile("sti; hlt" ::: "memory");
        g->step = 3;
    } else {
        sti();
    }
    wait_count(g, g->expect_vec, 1);
}

void guest_main(struct guest *g)
{
    switch (g->mode) {
    case GM_YIELD:
        sti();
        return;
    case GM_SELF_IPI:
        if (g->scribble) {
            g->table[g->raise_vec] = g->scribble;
        }
        sti();
        for (u32 i = 0; i < g->n; i++) {
            g->t_raise = rdtsc();
            apic_self_ipi(g->raise_vec);
            wait_count(g, g->expect_vec, i + 1);
        }
        return;
    case GM_TIMER:
        sti();
        for (u32 i = 0; i < g->n; i++) {
            g->t_raise = rdtsc();
            apic_timer_oneshot(g->raise_vec, 2000);
            wait_count(g, g->expect_vec, i + 1);
        }
        return;
    case GM_SPIN:
        sti();
        while (!g->stop) {
            g->progress++;
            pause();
        }
        return;
    case GM_MASKED:
    case GM_MASKED_HLT:
    case GM_MASKED_STIHLT:
    case GM_MASKED_SPIN:
    case GM_HELD_NMI:
        masked(g);
        return;
    case GM_ARCH:
        arch_checks(g);
        return;
    case GM_UNTIL_NMI:
        sti();
        while (!g->count[2]) {
            g->t_raise = rdtsc();
            apic_self_ipi(g->raise_vec);
            wait_count(g, g->expect_vec, ++g->raised);
        }
        return;
    case GM_WAIT:
        sti();
        for (u32 i = 0; i < 100000 && g->count[g->expect_vec] < g->n; i++) {
            pause();
        }
        return;
    }
}
