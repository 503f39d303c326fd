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

/*
 * Test priority.  prio_host[i] is DIRECT to prio_guest[i]; each is of the
 * same class on both sides but 0x68, which L1 remaps to 0x38 (class 6 to
 * class 3): the guest's TPR applies to the guest's vector.
 */
const u8 prio_host[PRIO_NVEC] = { 0x48, 0x50, 0x58, 0x60, 0x68, 0x70 };
const u8 prio_guest[PRIO_NVEC] = { 0x49, 0x51, 0x59, 0x61, 0x38, 0x71 };

/* Loop iterations a handler runs with IF=1 before and after its EOI:
 * plain increments, no pause, so that nothing but an interrupt the CPU
 * finds deliverable leaves the translated loop. */
#define PRIO_WINDOW 20000
/* Bound on the guest's waits (pause loops) */
#define PRIO_WAIT 200000

/*
 * A's handler in test priority: logs the order of deliveries and, for
 * each, whether it nested in a handler that had not EOIed yet, its vector
 * still in service in the LAPIC (allowed only for a higher class), or in
 * one that had (allowed: the EOI lowered the priority).  With prio_sti, the handler sets IF before its EOI and
 * runs a window on each side of it; the handler of 0x51 first raises 0x70
 * (DIRECT, class 7) while it still has IF=0, so that 0x70 is held and
 * must then nest.
 */
void prio_isr(struct guest *g, struct frame *f)
{
    u32 v = f->vector, d = g->depth;

    if (g->n_order < 8) {
        g->order[g->n_order] = v;
    }
    g->n_order++;
    if (d >= 8) {
        g->bad_nest++;      /* runaway nesting */
        g->count[v]++;
        return;
    }
    if (d) {
        u32 outer = g->active[d - 1];

        /* The outer handler's vector still in service: not EOIed yet. */
        if (!apic_isr(g->phys_of[outer])) {
            g->after_eoi++;
        } else if ((v >> 4) > (outer >> 4)) {
            g->good_nest++;
        } else {
            if (!g->bad_nest) {
                g->bad_pair = outer << 8 | v;
            }
            g->bad_nest++;
        }
    }
    g->active[d] = v;
    g->depth = d + 1;
    if (g->prio_sti) {
        if (v == 0x51) {
            apic_self_ipi(0x70);
        }
        sti();
        for (u32 i = 0; i < PRIO_WINDOW; i++) {
            g->progress++;
        }
    }
    apic_eoi();
    g->eois++;
    if (g->prio_sti) {
        for (u32 i = 0; i < PRIO_WINDOW; i++) {
            g->progress++;
        }
        cli();
    }
    g->depth = d;
    g->count[v]++;
}

/* mov %eax, %cr8 in 32-bit code: AMD's lock mov cr0 (CPUID cr8legacy) */
static void set_cr8(u32 v)
{
    asm volatile(".byte 0xf0\n\tmov %0, %%cr0" :: "r"(v) : "memory");
}

/* Which of prio_guest[] have been delivered (bit i: prio_guest[i]) */
static u32 prio_seen(struct guest *g)
{
    u32 m = 0;

    for (int i = 0; i < PRIO_NVEC; i++) {
        m |= (g->count[prio_guest[i]] != 0) << i;
    }
    return m;
}

static void prio_wait(struct guest *g, u32 vec)
{
    for (u32 i = 0; g->count[vec] == 0; i++) {
        if (i == PRIO_WAIT) {
            g->timeouts++;
            return;
        }
        pause();
    }
}

static void prio_spin(void)
{
    for (u32 i = 0; i < 1000; i++) {
        pause();
    }
}

static void priority(struct guest *g)
{
    /* 1: held with IF=0: 0x58 and 0x50 (class 5), 0x48 (class 4); each
     * handler sets IF before its EOI. */
    g->prio_sti = 1;
    cli();
    apic_self_ipi(0x48);
    apic_self_ipi(0x50);
    apic_self_ipi(0x58);
    sti();
    prio_wait(g, 0x49);
    prio_wait(g, 0x71);
    cli();

    /* 2: V_TPR (V_INTR_MASKING) at 5: 0x60 goes, 0x58/0x50/0x48 and 0x68
     * (guest 0x38) wait, held or arriving, until CR8 comes down. */
    g->prio_sti = 0;
    for (int i = 0; i < PRIO_NVEC; i++) {
        g->count[prio_guest[i]] = 0;
    }
    set_cr8(5);
    apic_self_ipi(0x50);
    apic_self_ipi(0x48);
    apic_self_ipi(0x60);
    apic_self_ipi(0x68);
    sti();
    prio_wait(g, 0x61);
    prio_spin();
    g->snap[0] = prio_seen(g);
    apic_self_ipi(0x58);        /* arrives with IF=1 */
    prio_spin();
    g->snap[1] = prio_seen(g);
    set_cr8(4);
    g->snap[2] = prio_seen(g);
    set_cr8(3);
    g->snap[3] = prio_seen(g);
    set_cr8(0);
    g->snap[4] = prio_seen(g);
}

/* A vector V_TPR holds back does not wake "sti; hlt" (HLT not
 * intercepted); L1's own timer exits; then CR8 comes down. */
static void prio_hlt(struct guest *g)
{
    cli();
    set_cr8(5);
    apic_self_ipi(0x50);
    g->step = 1;
    asm volatile("sti; hlt" ::: "memory");
    g->step = 2;
    set_cr8(0);
    g->snap[0] = prio_seen(g);
    prio_wait(g, 0x51);
}

/* Without V_INTR_MASKING CR8 is the LAPIC's TPR: the LAPIC hands out
 * 0x68 (class 6) with CR8 5, but its guest vector 0x38 (class 3) is held
 * until CR8 comes down; 0x60 (guest 0x61) goes. */
static void prio_tpr(struct guest *g)
{
    sti();
    set_cr8(5);
    apic_self_ipi(0x68);
    apic_self_ipi(0x60);
    prio_wait(g, 0x61);
    prio_spin();
    g->snap[0] = prio_seen(g);
    set_cr8(0);
    g->snap[1] = prio_seen(g);
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
    case GM_PRIORITY:
        priority(g);
        return;
    case GM_PRIO_HLT:
        prio_hlt(g);
        return;
    case GM_PRIO_TPR:
        prio_tpr(g);
        return;
    case GM_WAIT:
        sti();
        for (u32 i = 0; i < 100000 && g->count[g->expect_vec] < g->n; i++) {
            pause();
        }
        return;
    }
}
