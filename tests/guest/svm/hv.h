/*
 * The tiny L1 hypervisor of the irqhint SVM test kernels: two L2 guests,
 * exit accounting, interrupt routing and injection.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_HV_H
#define SVM_TEST_HV_H

#include "lib.h"
#include "svm.h"
#include "standard-headers/asm-x86/idt_shadow.h"

/* What an L2 guest's main function does (guest.c). */
enum guest_mode {
    GM_YIELD,       /* VMMCALL at once (and again each time it is resumed) */
    GM_SELF_IPI,    /* n times: raise raise_vec by self-IPI, wait for delivery */
    GM_TIMER,       /* n times: arm the LAPIC timer at raise_vec, wait */
    GM_SPIN,        /* spin with IF=1 until stop is set */
    GM_MASKED,      /* raise raise_vec with IF=0, then sti and wait */
    GM_MASKED_HLT,  /* raise raise_vec with IF=0, hlt, then sti and wait */
    GM_MASKED_STIHLT, /* raise raise_vec with IF=0, then "sti; hlt", wait */
    GM_ARCH,        /* exceptions, software interrupts, NMI (test nmi) */
    GM_WAIT,        /* sti, wait (bounded) for n deliveries at expect_vec */
    GM_UNTIL_NMI,   /* like GM_SELF_IPI until an NMI arrives (test migrate) */
    GM_MASKED_SPIN, /* raise raise_vec with IF=0, spin until L1's timer has
                     * expired and a bound more (or stop), then sti, wait */
    GM_HELD_NMI,    /* raise raise_vec with IF=0, say so on COM1, spin with
                     * IF=0 until an NMI arrives, then sti and wait */
    GM_PRIORITY,    /* test priority: nesting by priority class, V_TPR */
    GM_PRIO_HLT,    /* test priority: a vector V_TPR holds back, "sti; hlt" */
    GM_PRIO_TPR,    /* test priority, no V_INTR_MASKING: CR8 is the LAPIC's */
};

/*
 * Test priority: DIRECT vectors of guest A (host -> guest vector), all of
 * the same class on both sides but the fifth, which L1 remaps from class
 * 6 to class 3.  prio_isr() is A's handler (isr_hook) in that test.
 */
#define PRIO_NVEC 6
extern const u8 prio_host[PRIO_NVEC], prio_guest[PRIO_NVEC];
/* Checkpoints of GM_PRIORITY's TPR phase (bits: prio_guest[] delivered). */
#define PRIO_NSNAP 5

/* GM_MASKED_SPIN: how long the guest keeps IF=0 after L1's timer has
 * expired (pause loops; tens of milliseconds under TCG) */
#define MASKED_SPIN_LATE 2000000

struct guest {
    u8 vmcb[4096] __attribute__((aligned(4096)));
    u32 table[IDTS_TABLE_ENTRIES] __attribute__((aligned(4096)));
    struct idt_gate idt[256] __attribute__((aligned(16)));
    u8 stack[16384] __attribute__((aligned(16)));
    const char *name;
    struct gprs gprs;

    /* Shared with the guest (same physical memory, no NPT). */
    volatile u32 mode;
    volatile u32 n;             /* iterations for GM_SELF_IPI / GM_TIMER */
    volatile u32 raise_vec;     /* physical vector the guest's device raises */
    volatile u32 expect_vec;    /* vector its handler is expected to see */
    volatile u32 stop;
    volatile u32 raised;        /* GM_UNTIL_NMI: interrupts raised */
    volatile u32 scribble;      /* GM_SELF_IPI: first write this into table[raise_vec] */
    volatile u32 progress;
    volatile u32 count[256];    /* deliveries through this guest's IDT */
    volatile u32 eois;          /* EOIs done by the guest itself */
    volatile u32 phys_of[256];  /* guest vector -> physical vector to EOI */
    volatile u32 step;          /* GM_ARCH / GM_MASKED progress */
    volatile u32 delivered_step; /* step at the last delivery */
    volatile u32 late;          /* GM_MASKED_SPIN: spins after the timer expired */
    /* GM_PRIORITY / GM_PRIO_HLT (prio_isr() and the guest's checkpoints) */
    volatile u32 prio_sti;      /* the handler sets IF before its EOI */
    volatile u32 depth;         /* handlers running, nested */
    volatile u32 active[8];     /* their vectors, outermost first */
    volatile u32 order[8];      /* vectors in the order of delivery */
    volatile u32 n_order;
    volatile u32 bad_nest;      /* nested in a handler of equal or higher
                                 * class before its EOI */
    volatile u32 bad_pair;      /* the first: outer << 8 | inner */
    volatile u32 good_nest;     /* higher class nested before the EOI */
    volatile u32 after_eoi;     /* nested in a handler after its EOI */
    volatile u32 snap[PRIO_NSNAP]; /* GM_PRIORITY's checkpoints */
    volatile u32 timeouts;      /* bounded waits that ran out */
    /* Latency: rdtsc before raising -> rdtsc at handler entry. */
    volatile u64 t_raise;
    volatile u32 lat_n, lat_sum, lat_min, lat_max;

    /* L1 side. */
    u32 inject_pending[256];    /* remapped interrupts waiting for this guest */
    u32 pending_bits[8];        /* vectors with inject_pending != 0 */
    u32 exits, intr_exits, vmmcall_exits, other_exits, err_exits;
    u32 injected;
    /* When set, the guest's interrupts go here instead (avic.c). */
    void (*isr_hook)(struct guest *g, struct frame *f);
};

extern struct guest guest_a, guest_b;

/* L1's own interrupt accounting. */
extern volatile u32 l1_count[256];
extern volatile u32 l1_eois;
extern volatile u32 l1_irqs;        /* external interrupts L1 took */
/* When set, L1's interrupts and exceptions go here first; true: handled. */
extern bool (*l1_hook)(struct frame *f);

/* Routing of physical vectors to (guest, guest vector), as a hypervisor
 * that assigned devices would keep it. */
struct route { struct guest *g; u8 vec; };
extern struct route routes[256];

void guest_init(struct guest *g, const char *name, enum guest_mode mode);
void guest_shadow(struct guest *g, u32 magic, u32 ctl, u64 table);
void guest_isr(struct guest *g, struct frame *f);
void prio_isr(struct guest *g, struct frame *f);

/* One VMRUN of g (with a pending remapped interrupt injected, through
 * EVENTINJ when the guest can take it, else as a virtual interrupt).
 * Returns the exit code; exit_info1 in *info1 when non-NULL. */
u64 run_guest(struct guest *g, u64 *info1);
/* Handle an INTR exit the way a hypervisor with shadowing does:
 * EXITINFO1 = ACKED | vector.  Returns the vector or -1 on a bad info. */
int handle_acked_intr(struct guest *g, u64 info1);
/* Classic path: EXITINFO1 must be 0; take the interrupt in L1. */
int handle_classic_intr(struct guest *g, u64 info1);
/* Route a physical vector received by L1 to its owning guest. */
void route_vector(u8 vec);
void queue_injection(struct guest *g, u8 vec);
void advance_rip(struct guest *g, u32 len);

/* Checks */
extern u32 failures;
#define CHECK(cond, ...) check_((cond), #cond, __VA_ARGS__)
bool check_(bool ok, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *exit_name(u64 code);

#endif
