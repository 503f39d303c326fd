/*
 * irqhint SVM test kernel: AVIC (AMD's Advanced Virtual Interrupt
 * Controller for nested SVM, APM Vol. 2 15.29), seen from a bare-metal
 * L1 hypervisor.  Tests (-append "<test> ..."):
 *
 *   avic-cpuid avic=0|1  CPUID Fn8000_000A EDX[13]; the doorbell MSR
 *                        (C001_011Bh): #GP without AVIC, harmless with
 *                        it; without AVIC the VMCB's AVIC fields are
 *                        ignored
 *   avic-vmrun           bad AVIC setups fail VMRUN (VMEXIT_INVALID),
 *                        then a good VMRUN works
 *   avic-read            L2 reads of its APIC page: accelerated from the
 *                        backing page, or AVIC_NOACCEL fault-style
 *   avic-write           L2 writes: accelerated (TPR, EOI, ICR2), stored
 *                        then trap-style AVIC_NOACCEL, or fault-style
 *   avic-deliver         interrupts from the backing page's IRR: priority
 *                        against the PPR, IF/V_INTR_MASKING, interrupt
 *                        shadow, HLT, V_TPR, level-triggered EOI
 *   avic-ipi             ICR writes: accelerated IPIs and
 *                        AVIC_INCOMPLETE_IPI for each cause
 *   avic-trap            trap-style exits against the other events of the
 *                        same instruction: a single-step #DB after it (in
 *                        EXITINTINFO, L1 injects it again), a rep string
 *                        instruction (exits after the iteration that made
 *                        the access)
 *   avic-fetch           an instruction fetch from the APIC page does not
 *                        bypass AVIC for the data accesses after it
 *   avic-migrate         an L2 with vectors pending and one in service,
 *                        held with IF=0 until an NMI (the host migrates
 *                        meanwhile; tests/functional/test_x86_64_avic_svm.py)
 *
 * L1 turns on PAE paging (2 MiB pages, identity) so that nested paging
 * has a format (that of the host at VMRUN).  The L2 guest uses
 * L1's page tables and nested page tables that map everything 1:1, but
 * its APIC page (GPA 0xfee00000, AVIC_APIC_BAR) to a dummy page filled
 * with 0xa5: what L2 finds there without AVIC.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include "hv.h"
#include "avic-tests.h"

#define AVIC_BAR            0xfee00000u
#define VMCB_AVIC_BAR       0x098
#define VMCB_NCR3           0x0b0
#define VMCB_AVIC_BACKING   0x0e0
#define VMCB_AVIC_LOGICAL   0x0f0
#define VMCB_AVIC_PHYSICAL  0x0f8
#define NP_ENABLE           1ull
#define AVIC_ENABLE         (1u << 31)
#define V_TPR_MASK          0xfu
#define EXIT_INCOMPLETE_IPI 0x401ull
#define EXIT_NOACCEL        0x402ull
#define MSR_AVIC_DOORBELL   0xc001011bu
#define PHYS_VALID          (1ull << 63)
#define PHYS_RUNNING        (1ull << 62)
#define LOG_VALID           (1u << 31)
#define MAX_INDEX           4
#define BIOS_SHADOW         0xf0000u   /* RAM, read-only (PAM) after POST */
#define HPET_BASE           0xfed00000u
#define DUMMY               0xa5a5a5a5u
#define POISON              0x5a5a5a5au
#define V_L1_TIMER          0x30
/* VER in the backing pages: not the LAPIC's own (0x00050014) */
#define BP_VER              0x80050015u

/* APIC registers (offsets in the APIC page and the backing page) */
#define R_ID        0x020
#define R_VER       0x030
#define R_TPR       0x080
#define R_APR       0x090
#define R_PPR       0x0a0
#define R_EOI       0x0b0
#define R_RRD       0x0c0
#define R_LDR       0x0d0
#define R_DFR       0x0e0
#define R_SPIV      0x0f0
#define R_ISR       0x100
#define R_TMR       0x180
#define R_IRR       0x200
#define R_ESR       0x280
#define R_CMCI      0x2f0
#define R_ICR       0x300
#define R_ICR2      0x310
#define R_LVTT      0x320
#define R_LVTERR    0x370
#define R_TMICT     0x380
#define R_TMCCT     0x390
#define R_TDCR      0x3e0

#define ICR_LOGICAL     (1u << 11)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)
#define ICR_SH_SELF     (1u << 18)
#define ICR_DM(m)       ((u32)(m) << 8)

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

static u64 l1_pdpt[4] __attribute__((aligned(32)));
static u64 l1_pd[4][512] __attribute__((aligned(4096)));
static u64 npt_pdpt[4] __attribute__((aligned(4096)));
static u64 npt_pd[4][512] __attribute__((aligned(4096)));
static u64 npt_pt[512] __attribute__((aligned(4096)));
static u8 apic_dummy[4096] __attribute__((aligned(4096)));
static u8 bp0[4096] __attribute__((aligned(4096)));     /* L2's, physical ID 0 */
static u8 bp1[4096] __attribute__((aligned(4096)));     /* physical ID 1 */
static u32 logical_tbl[1024] __attribute__((aligned(4096)));
static u64 phys_tbl[512] __attribute__((aligned(4096)));
static u8 want0[4096], want1[4096];
static u32 host_apic_id;
static struct guest *const G = &guest_a;

/* ------------------------------------------------------------------ */
/* L2 code                                                            */

/*
 * The probe engine: L1 points RIP at one access instruction, with EAX =
 * the address and EBX = the value to write; when the access completes
 * it goes on to VMMCALL at avic_probe_loop, EDX holding what it read.
 */
#define PROBE(name, insn) \
    "    .globl avic_" name ", avic_" name "_end\n" \
    "avic_" name ":\n" \
    "    " insn "\n" \
    "avic_" name "_end:\n" \
    "    jmp avic_probe_loop\n"

asm(
    "    .text\n"
    "    .globl avic_probe_loop\n"
    "avic_probe_loop:\n"
    "    vmmcall\n"
    "    jmp avic_probe_loop\n"
    PROBE("r4", "movl (%eax), %edx")
    PROBE("w4", "movl %ebx, (%eax)")
    PROBE("r1", "movb (%eax), %dl")
    PROBE("w1", "movb %bl, (%eax)")
    PROBE("r2", "movw (%eax), %dx")
    PROBE("w2", "movw %bx, (%eax)")
    /* A write with IF=1: what it raises is taken right after it. */
    "    .globl avic_w4i, avic_w4i_end\n"
    "avic_w4i_sti:\n"
    "    sti\n"
    "avic_w4i:\n"
    "    movl %ebx, (%eax)\n"
    "avic_w4i_end:\n"
    "    movl $2000, %ecx\n"
    "1:  pause\n"
    "    loop 1b\n"
    "    cli\n"
    "    jmp avic_probe_loop\n"
    /* rep stosl (EDI, ECX, EAX, DF as L1 sets them), then cld. */
    "    .globl avic_rep, avic_rep_end\n"
    "avic_rep:\n"
    "    rep stosl\n"
    "avic_rep_end:\n"
    "    cld\n"
    "    jmp avic_probe_loop\n"
    /* Call code at ECX (a ret on the APIC page), then read EAX, write ESI. */
    "    .globl avic_fetch\n"
    "avic_fetch:\n"
    "    call *%ecx\n"
    "    movl (%eax), %edx\n"
    "    movl %ebx, (%esi)\n"
    "    jmp avic_probe_loop\n"
    /* The entry of the scenarios in C: avic_l2_main(), then VMMCALL. */
    "    .globl avic_l2_entry\n"
    "avic_l2_entry:\n"
    "    call avic_l2_main\n"
    "1:  vmmcall\n"
    "    jmp 1b\n"
    /* Two steps, then VMMCALL (interrupt shadow at entry). */
    "    .globl avic_shadow_entry\n"
    "avic_shadow_entry:\n"
    "    movl $1, avic_step\n"
    "    movl $2, avic_step\n"
    "1:  vmmcall\n"
    "    jmp 1b\n"
);

extern u8 avic_probe_loop[], avic_r4[], avic_r4_end[], avic_w4[], avic_w4_end[],
    avic_r1[], avic_r1_end[], avic_w1[], avic_w1_end[], avic_r2[], avic_r2_end[],
    avic_w2[], avic_w2_end[], avic_w4i_sti[], avic_w4i[], avic_w4i_end[],
    avic_l2_entry[], avic_shadow_entry[], avic_eoi_insn[], avic_eoi_end[],
    avic_rep[], avic_rep_end[], avic_fetch[];

enum { OP_R4, OP_W4, OP_R1, OP_W1, OP_R2, OP_W2, OP_W4I, NOPS };
static u8 *const op_entry[NOPS] = {
    avic_r4, avic_w4, avic_r1, avic_w1, avic_r2, avic_w2, avic_w4i_sti,
};
static u8 *const op_insn[NOPS] = {
    avic_r4, avic_w4, avic_r1, avic_w1, avic_r2, avic_w2, avic_w4i,
};
static u8 *const op_end[NOPS] = {
    avic_r4_end, avic_w4_end, avic_r1_end, avic_w1_end, avic_r2_end,
    avic_w2_end, avic_w4i_end,
};
static const char *const op_name[NOPS] = {
    "read", "write", "1-byte read", "1-byte write", "2-byte read",
    "2-byte write", "write (IF=1)",
};
static bool op_write(int op)
{
    return op == OP_W4 || op == OP_W1 || op == OP_W2 || op == OP_W4I;
}

/* What the L2 guest's interrupt handler saw, per delivery. */
struct l2rec {
    u32 vec, ppr, in_isr, in_irr, step;
};

enum {
    L2_PRIO = 1, L2_ISRBLOCK, L2_IFMASK, L2_HLT, L2_HLT_TPR, L2_LEVEL,
    L2_MIGRATE,
};

static struct {
    volatile u32 mode;
    volatile u32 eoi;           /* handler EOIs: 1 plain write, 2 l2_eoi() */
    volatile u32 n;
    volatile u32 nmi;
    volatile u32 exc, exc_eip;  /* an unexpected exception in L2 */
    volatile struct l2rec rec[32];
} l2;
volatile u32 avic_step;

static inline u32 l2_read(u32 off) { return *(volatile u32 *)(AVIC_BAR + off); }
static inline void l2_write(u32 off, u32 v) { *(volatile u32 *)(AVIC_BAR + off) = v; }
static inline bool l2_bit(u32 base, u32 v)
{
    return (l2_read(base + (v >> 5) * 16) >> (v & 31)) & 1;
}
static void spin(u32 n)
{
    for (u32 i = 0; i < n; i++) {
        pause();
    }
}

/* Step STEP: a while with IF as it is (after sti: what is pending comes
 * in), then cli. */
static void l2_settle(u32 step)
{
    avic_step = step;
    spin(1000);
    cli();
}

/* Step STEP: a window with IF=1 for what is pending to come in. */
static void l2_window(u32 step)
{
    avic_step = step;
    sti();
    spin(1000);
    cli();
}

/* EOI with a known instruction address (level-triggered: trap exit). */
static void __attribute__((noinline, noclone)) l2_eoi(void)
{
    asm volatile(".globl avic_eoi_insn, avic_eoi_end\n"
                 "avic_eoi_insn: movl %0, %1\n"
                 "avic_eoi_end:\n"
                 :: "r"(0u), "m"(*(volatile u32 *)(AVIC_BAR + R_EOI))
                 : "memory");
}

static void l2_isr(struct guest *g, struct frame *f)
{
    u32 v = f->vector;

    g->count[v]++;
    if (v == 2) {
        l2.nmi++;
        return;
    }
    if (v < 32) {
        /* Report to L1 and stop here. */
        l2.exc = v;
        l2.exc_eip = f->eip;
        for (;;) {
            vmmcall();
        }
    }
    if (l2.n < 32) {
        volatile struct l2rec *r = &l2.rec[l2.n];

        r->vec = v;
        r->step = avic_step;
        r->ppr = l2_read(R_PPR);
        r->in_isr = l2_bit(R_ISR, v);
        r->in_irr = l2_bit(R_IRR, v);
        l2.n++;
    }
    if (l2.eoi == 1) {
        l2_write(R_EOI, 0);
    } else if (l2.eoi == 2) {
        l2_eoi();
    }
}

void avic_l2_main(void);
void avic_l2_main(void)
{
    switch (l2.mode) {
    case L2_PRIO:
        /* TPR 0x60: 0x94 and 0x73 come, 0x65 and below wait. */
        l2_window(1);
        avic_step = 2;
        l2_write(R_TPR, 0);
        l2_window(3);
        avic_step = 4;
        l2_write(R_TPR, 0x20);
        break;
    case L2_ISRBLOCK:
        /* 0x80 in service: 0x92 comes, 0x75 waits for the EOI of 0x80. */
        l2_window(1);
        avic_step = 2;
        l2_write(R_EOI, 0);
        l2_window(3);
        break;
    case L2_IFMASK:
        avic_step = 1;
        spin(1000);
        avic_step = 2;
        asm volatile("sti; nop" ::: "memory");
        l2_settle(3);
        break;
    case L2_HLT:
        avic_step = 1;
        asm volatile("sti; hlt" ::: "memory");
        l2_settle(2);
        break;
    case L2_HLT_TPR:
        avic_step = 1;
        asm volatile("sti; hlt" ::: "memory");
        avic_step = 2;
        l2_write(R_TPR, 0);
        l2_settle(3);
        break;
    case L2_LEVEL:
        l2_window(1);
        avic_step = 2;
        break;
    case L2_MIGRATE:
        printf("AVIC-MIGRATE-READY: L2 holds IRR 0x50 0x70 0x90 and ISR 0x80 "
               "with IF=0 until an NMI\n");
        avic_step = 1;
        while (!l2.nmi) {
            pause();
        }
        l2_window(2);
        avic_step = 3;
        l2_write(R_EOI, 0);
        l2_window(4);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* L1 side                                                            */

static u32 *reg(u8 *bp, u32 off) { return (u32 *)(bp + off); }
static void set_bit(u8 *bp, u32 base, u32 v) { *reg(bp, base + (v >> 5) * 16) |= 1u << (v & 31); }
static void clear_bit(u8 *bp, u32 base, u32 v) { *reg(bp, base + (v >> 5) * 16) &= ~(1u << (v & 31)); }
static bool test_bit(u8 *bp, u32 base, u32 v) { return (*reg(bp, base + (v >> 5) * 16) >> (v & 31)) & 1; }

static int highest(u8 *bp, u32 base)
{
    for (int w = 7; w >= 0; w--) {
        u32 x = *reg(bp, base + w * 16);
        if (x) {
            return w * 32 + 31 - __builtin_clz(x);
        }
    }
    return -1;
}

static u32 ppr_of(u8 *bp)
{
    u32 tpr = *reg(bp, R_TPR) & 0xff;
    int isrv = highest(bp, R_ISR);

    return (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0)) ? tpr : ((u32)isrv & 0xf0);
}

/* Make the backing page's PPR what its TPR and ISR say. */
static void fix_ppr(u8 *bp)
{
    *reg(bp, R_PPR) = ppr_of(bp);
}

static void bp_init(u8 *bp, u32 id)
{
    memset(bp, 0, 4096);
    *reg(bp, R_ID) = id << 24;
    *reg(bp, R_VER) = BP_VER;
    *reg(bp, R_DFR) = 0xffffffff;
    *reg(bp, R_SPIV) = 0x1ff;
    for (u32 off = R_LVTT; off <= R_LVTERR; off += 0x10) {
        *reg(bp, off) = 0x10000;
    }
}

/*
 * PAE paging, 2 MiB pages, identity: L1's own tables and, in the same
 * format (the host's at VMRUN), the nested ones.  (Not 32-bit paging:
 * QEMU derives the nested paging format from the host's paging mode but
 * masks off PG_MODE_PG, so with a non-PAE host it ignores the nested
 * tables altogether and maps guest physical = host physical.)
 */
static void paging_on(void)
{
    u32 x;

    for (u32 i = 0; i < 4; i++) {
        l1_pdpt[i] = (u32)l1_pd[i] | 1;
        for (u32 j = 0; j < 512; j++) {
            l1_pd[i][j] = ((u64)i << 30) + ((u64)j << 21) + 0x83;  /* P RW PS */
        }
    }
    asm volatile("mov %%cr4, %0; or $0x20, %0; mov %0, %%cr4" : "=&r"(x) :: "memory");
    asm volatile("mov %0, %%cr3" :: "r"(l1_pdpt) : "memory");
    asm volatile("mov %%cr0, %0; or $0x80000000, %0; mov %0, %%cr0; jmp 1f; 1:"
                 : "=&r"(x) :: "memory");
}

static void npt_init(void)
{
    u32 pd = AVIC_BAR >> 30, pde = (AVIC_BAR >> 21) & 0x1ff;
    u32 base = AVIC_BAR & ~0x1fffffu;

    for (u32 i = 0; i < 4; i++) {
        npt_pdpt[i] = (u32)npt_pd[i] | 1;
        for (u32 j = 0; j < 512; j++) {
            npt_pd[i][j] = ((u64)i << 30) + ((u64)j << 21) + 0xe7;  /* P RW US A D PS */
        }
    }
    for (u32 j = 0; j < 512; j++) {
        npt_pt[j] = (base + (j << 12)) | 0x67;              /* P RW US A D */
    }
    npt_pt[(AVIC_BAR >> 12) & 0x1ff] = (u32)apic_dummy | 0x67;
    npt_pd[pd][pde] = (u32)npt_pt | 0x27;
    memset(apic_dummy, 0xa5, sizeof(apic_dummy));
}

static void tables_init(void)
{
    u64 h = host_apic_id;

    memset(logical_tbl, 0, sizeof(logical_tbl));
    memset(phys_tbl, 0, sizeof(phys_tbl));
    phys_tbl[0] = (u32)bp0 | PHYS_RUNNING | PHYS_VALID | h;
    phys_tbl[1] = (u32)bp1 | PHYS_VALID | h;            /* not running */
    phys_tbl[2] = (u32)bp1 | PHYS_RUNNING | h;          /* not valid */
    phys_tbl[3] = HPET_BASE | PHYS_RUNNING | PHYS_VALID | h; /* page not RAM */
    phys_tbl[4] = BIOS_SHADOW | PHYS_RUNNING | PHYS_VALID | h; /* read-only */
    phys_tbl[5] = (u32)bp1 | PHYS_RUNNING | PHYS_VALID | h;  /* > max index */
    logical_tbl[0] = LOG_VALID | 0;     /* flat bit 0 -> physical 0 */
    logical_tbl[1] = LOG_VALID | 1;     /* flat bit 1 -> physical 1 */
    logical_tbl[2] = 0;                 /* flat bit 2: not valid */
    logical_tbl[4] = LOG_VALID | 0;     /* cluster 1 bit 0 -> physical 0 */
    logical_tbl[5] = 1;                 /* cluster 1 bit 1: not valid */
}

static void pages_init(void)
{
    bp_init(bp0, 0);
    bp_init(bp1, 1);
    tables_init();
}

/* A backing page to start from: TPR, vectors in IRR, ISR, TMR (0 ends). */
struct bp_state {
    u32 tpr;
    u8 irr[6], isr[2], tmr[2];
};

static void bp_prepare(const struct bp_state *st)
{
    pages_init();
    *reg(bp0, R_TPR) = st->tpr;
    for (u32 i = 0; i < sizeof(st->irr) && st->irr[i]; i++) {
        set_bit(bp0, R_IRR, st->irr[i]);
    }
    for (u32 i = 0; i < sizeof(st->isr) && st->isr[i]; i++) {
        set_bit(bp0, R_ISR, st->isr[i]);
    }
    for (u32 i = 0; i < sizeof(st->tmr) && st->tmr[i]; i++) {
        set_bit(bp0, R_TMR, st->tmr[i]);
    }
    fix_ppr(bp0);
}

/* Guest A as an L2 with AVIC on and nested paging, entering at rip. */
static void avic_guest(void *rip)
{
    void *v = G->vmcb;

    guest_init(G, "L2", GM_YIELD);
    G->isr_hook = l2_isr;
    vmcb_w64(v, VMCB_RIP, (u32)rip);
    vmcb_w64(v, VMCB_NESTED_CTL, NP_ENABLE);
    vmcb_w64(v, VMCB_NCR3, (u32)npt_pdpt);
    vmcb_w32(v, VMCB_INT_CTL, V_INTR_MASKING | AVIC_ENABLE);
    vmcb_w64(v, VMCB_AVIC_BAR, AVIC_BAR);
    vmcb_w64(v, VMCB_AVIC_BACKING, (u32)bp0);
    vmcb_w64(v, VMCB_AVIC_LOGICAL, (u32)logical_tbl);
    vmcb_w64(v, VMCB_AVIC_PHYSICAL, (u32)phys_tbl | MAX_INDEX);
    memset((void *)&l2, 0, sizeof(l2));
    avic_step = 0;
}

static volatile u32 gp_count, gp_expected, timer_count;

static bool avic_l1_hook(struct frame *f)
{
    if (f->vector == 13 && gp_expected) {
        gp_count++;
        f->eip += 2;                /* rdmsr / wrmsr */
        return true;
    }
    if (f->vector == V_L1_TIMER) {
        timer_count++;
        apic_eoi();
        return true;
    }
    return false;
}

static void avic_setup(void)
{
    host_apic_id = apic_read(APIC_ID) >> 24;
    l1_hook = avic_l1_hook;
    paging_on();
    npt_init();
    pages_init();
}

/* One access of the L2 guest to its APIC page. */
struct acc {
    u64 code, info1, info2;
    u32 rip, edx;
};

static void access_rf(int op, u32 off, u32 val, u32 rflags, struct acc *r)
{
    void *v = G->vmcb;

    vmcb_w64(v, VMCB_RIP, (u32)op_entry[op]);
    vmcb_w64(v, VMCB_RAX, AVIC_BAR + off);
    vmcb_w64(v, VMCB_RFLAGS, rflags);
    vmcb_w64(v, VMCB_EXIT_INFO1, 0xdeadull);
    vmcb_w64(v, VMCB_EXIT_INFO2, 0xdeadull);
    G->gprs.ebx = val;
    G->gprs.edx = POISON;
    r->code = run_guest(G, &r->info1);
    r->info2 = vmcb_r64(v, VMCB_EXIT_INFO2);
    r->rip = (u32)vmcb_r64(v, VMCB_RIP);
    r->edx = G->gprs.edx;
}

static void access(int op, u32 off, u32 val, struct acc *r)
{
    access_rf(op, off, val, 0x2, r);
}

static u32 nbad;

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
    va_list ap;

    nbad++;
    failures++;
    puts("  FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putc('\n');
}

/* Compare a backing page with what it should hold; report differences. */
static bool page_is(u8 *bp, u8 *want, const char *what)
{
    u32 n = 0;

    for (u32 off = 0; off < 4096; off += 4) {
        u32 got = *reg(bp, off), exp = *reg(want, off);
        if (got != exp) {
            if (n++ < 4) {
                bad("%s: backing page 0x%x at 0x%03x: 0x%08x (expected 0x%08x)",
                    what, (u32)bp, off, got, exp);
            }
        }
    }
    return n == 0;
}

static const char *describe(int op, u32 off)
{
    static char buf[64];
    char *p = buf;
    const char *s = op_name[op];
    const char *hex = "0123456789abcdef";

    while (*s) {
        *p++ = *s++;
    }
    *p++ = ' ';
    *p++ = '0';
    *p++ = 'x';
    *p++ = hex[(off >> 8) & 0xf];
    *p++ = hex[(off >> 4) & 0xf];
    *p++ = hex[off & 0xf];
    *p = 0;
    return buf;
}

/* The access completes in the guest: no exit but the VMMCALL after it. */
static bool expect_done(int op, u32 off, struct acc *r)
{
    if (r->code != SVM_EXIT_VMMCALL || r->rip != (u32)avic_probe_loop) {
        bad("%s: exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x (expected no "
            "exit: VMMCALL at 0x%x after it)", describe(op, off), r->code,
            r->info1, r->info2, r->rip, (u32)avic_probe_loop);
        return false;
    }
    return true;
}

/* Fault-style AVIC_NOACCEL: RIP at the instruction, nothing stored. */
static void expect_fault(int op, u32 off, u32 val)
{
    bool w = op_write(op);
    u64 info1 = ((u64)w << 32) | (off & 0xff0);
    struct acc r;

    memcpy(want0, bp0, 4096);
    memcpy(want1, bp1, 4096);
    access(op, off, val, &r);
    if (r.code != EXIT_NOACCEL || r.info1 != info1 || r.info2 != 0 ||
        r.rip != (u32)op_insn[op]) {
        bad("%s: exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x (expected "
            "AVIC_NOACCEL 0x402, 0x%llx, 0, rip 0x%x at the instruction)",
            describe(op, off), r.code, r.info1, r.info2, r.rip, info1,
            (u32)op_insn[op]);
    }
    if (!w && r.edx != POISON) {
        bad("%s: the faulting read loaded 0x%x", describe(op, off), r.edx);
    }
    page_is(bp0, want0, describe(op, off));
    page_is(bp1, want1, describe(op, off));
}

/* One fault-style access per case (expect_fault). */
struct fault_case {
    int op;
    u32 off, val;
};

static void expect_faults(const struct fault_case *c, u32 n)
{
    for (u32 i = 0; i < n; i++) {
        expect_fault(c[i].op, c[i].off, c[i].val);
    }
}

/* The same access (OP, VAL) to each of N registers at OFFS: fault-style. */
static u32 expect_faults_at(int op, const u32 *offs, u32 n, u32 val)
{
    for (u32 i = 0; i < n; i++) {
        expect_fault(op, offs[i], val);
    }
    return n;
}

/* Trap-style AVIC_NOACCEL write: stored, then the exit, RIP after it. */
static void expect_trap(u32 off, u32 val)
{
    struct acc r;

    memcpy(want0, bp0, 4096);
    *reg(want0, off) = val;
    access(OP_W4, off, val, &r);
    if (r.code != EXIT_NOACCEL || r.info1 != ((1ull << 32) | off) ||
        r.info2 != 0 || r.rip != (u32)op_end[OP_W4]) {
        bad("%s: exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x (expected "
            "AVIC_NOACCEL 0x402, 0x%llx, 0, rip 0x%x after the instruction)",
            describe(OP_W4, off), r.code, r.info1, r.info2, r.rip,
            (1ull << 32) | off, (u32)avic_w4_end);
    }
    page_is(bp0, want0, describe(OP_W4, off));
}

/* An accelerated read: the backing page's value, no exit. */
static void expect_read(u32 off, u32 want)
{
    struct acc r;

    memcpy(want0, bp0, 4096);
    access(OP_R4, off, 0, &r);
    if (expect_done(OP_R4, off, &r) && r.edx != want) {
        bad("%s: 0x%08x (expected 0x%08x from the backing page)",
            describe(OP_R4, off), r.edx, want);
    }
    page_is(bp0, want0, describe(OP_R4, off));
}

static bool accel_read_reg(u32 off)
{
    return off == R_ID || off == R_VER || off == R_TPR || off == R_PPR ||
           off == R_LDR || off == R_DFR || off == R_SPIV ||
           (off >= R_ISR && off <= R_IRR + 0x70) || off == R_ESR ||
           off == R_ICR || off == R_ICR2 || (off >= R_LVTT && off <= R_LVTERR) ||
           off == R_TMICT || off == R_TDCR;
}

static bool trap_write_reg(u32 off)
{
    return off == R_ID || off == R_LDR || off == R_DFR || off == R_SPIV ||
           off == R_ESR || (off >= R_LVTT && off <= R_LVTERR) ||
           off == R_TMICT || off == R_TDCR;
}

/* ------------------------------------------------------------------ */

void test_avic_cpuid(void)
{
    u32 a, b, c, d;
    bool avic;
    struct acc r;

    cpuid(0x8000000a, 0, &a, &b, &c, &d);
    avic = (d >> 13) & 1;
    printf("avic-cpuid: CPUID 0x8000000a edx=0x%x: NPT %u, AVIC %u\n", d, d & 1, avic);
    CHECK(d & 1, "nested paging advertised (EDX[0])");
    if (opt_avic < 0) {
        CHECK(false, "give avic=0|1");
        return;
    }
    CHECK(avic == opt_avic, "AVIC (EDX[13]) is %u (expected %u)", avic, opt_avic);

    avic_setup();
    gp_expected = 1;
    gp_count = 0;
    wrmsr(MSR_AVIC_DOORBELL, host_apic_id);
    if (opt_avic) {
        u32 before = l1_irqs;

        CHECK(gp_count == 0, "WRMSR C001_011Bh (doorbell) with our own APIC ID "
              "%u outside guest mode: no #GP (%u)", host_apic_id, gp_count);
        irq_window();
        CHECK(l1_irqs == before && timer_count == 0,
              "... and nothing happens (%u interrupts)", l1_irqs - before);
        gp_count = 0;
        (void)rdmsr(MSR_AVIC_DOORBELL);
        printf("  info RDMSR C001_011Bh with AVIC: %s\n", gp_count ? "#GP" : "no #GP");
    } else {
        CHECK(gp_count == 1, "WRMSR C001_011Bh without AVIC: #GP (%u)", gp_count);
        gp_count = 0;
        (void)rdmsr(MSR_AVIC_DOORBELL);
        CHECK(gp_count == 1, "RDMSR C001_011Bh without AVIC: #GP (%u)", gp_count);
    }
    gp_expected = 0;

    if (!opt_avic) {
        /* The VMCB's AVIC fields are ignored: the APIC page is whatever
         * nested paging maps there, even with a bad backing page. */
        avic_guest(avic_probe_loop);
        vmcb_w64(G->vmcb, VMCB_AVIC_BACKING, 1ull << 45);
        access(OP_R4, R_VER, 0, &r);
        CHECK(r.code == SVM_EXIT_VMMCALL && r.edx == DUMMY,
              "without AVIC, int_ctl bit 31 is ignored: exit 0x%llx, the L2 "
              "read 0x%x at its APIC page (expected VMMCALL, 0x%x, nested "
              "paging's page)", r.code, r.edx, DUMMY);
    } else {
        avic_guest(avic_probe_loop);
        access(OP_R4, R_VER, 0, &r);
        CHECK(r.code == SVM_EXIT_VMMCALL && r.edx == BP_VER,
              "with AVIC: exit 0x%llx, the L2 read 0x%x at its APIC page "
              "(expected VMMCALL, 0x80050015 from the backing page)", r.code, r.edx);
    }
}

/* ------------------------------------------------------------------ */

struct vmrun_case {
    const char *what;
    u64 np, bar, backing, logical, physical;    /* ~0: the good one */
};

#define GOOD (~0ull)

void test_avic_vmrun(void)
{
    const u64 far = 1ull << 40;     /* qemu64: 40 physical address bits */
    const struct vmrun_case cases[] = {
        { "nested paging off", 0, GOOD, GOOD, GOOD, GOOD },
        { "backing page just past the end of RAM", GOOD, GOOD, ram_end, GOOD, GOOD },
        { "backing page at 0xf0000000 (beyond RAM, unassigned)", GOOD, GOOD, 0xf0000000u, GOOD, GOOD },
        { "backing page at 64 GiB (beyond RAM)", GOOD, GOOD, 0x1000000000ull, GOOD, GOOD },
        { "backing page on the LAPIC (MMIO)", GOOD, GOOD, 0xfee00000u, GOOD, GOOD },
        { "backing page on the HPET (MMIO)", GOOD, GOOD, HPET_BASE, GOOD, GOOD },
        { "backing page in the BIOS ROM at 0xfffc0000", GOOD, GOOD, 0xfffc0000u, GOOD, GOOD },
        { "backing page in the read-only BIOS shadow at 0xf0000", GOOD, GOOD, 0xf0000u, GOOD, GOOD },
        { "logical table on the HPET (MMIO)", GOOD, GOOD, GOOD, HPET_BASE, GOOD },
        { "logical table past the end of RAM", GOOD, GOOD, GOOD, ram_end, GOOD },
        { "physical table on the HPET (MMIO)", GOOD, GOOD, GOOD, GOOD, HPET_BASE | MAX_INDEX },
        { "physical table past the end of RAM (max index 255)", GOOD, GOOD, GOOD, GOOD, ram_end | 0xff },
        { "APIC BAR beyond the physical address width (2^40)", GOOD, far, GOOD, GOOD, GOOD },
        { "backing page beyond the physical address width (2^40)", GOOD, GOOD, far, GOOD, GOOD },
        { "backing page at 2^51", GOOD, GOOD, 1ull << 51, GOOD, GOOD },
        { "logical table beyond the physical address width (2^40)", GOOD, GOOD, GOOD, far, GOOD },
        { "physical table beyond the physical address width (2^40)", GOOD, GOOD, GOOD, GOOD, far | MAX_INDEX },
    };
    struct acc r;
    volatile u8 *rom = (volatile u8 *)BIOS_SHADOW;
    u8 was = *rom;

    avic_setup();
    *rom = was ^ 0xff;
    CHECK(*rom == was, "precondition: 0xf0000 is read-only for L1 (0x%x after "
          "writing 0x%x over 0x%x)", *rom, was ^ 0xff, was);
    for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct vmrun_case *c = &cases[i];
        void *v = G->vmcb;

        avic_guest(avic_probe_loop);
        if (c->np != GOOD) {
            vmcb_w64(v, VMCB_NESTED_CTL, c->np);
        }
        if (c->bar != GOOD) {
            vmcb_w64(v, VMCB_AVIC_BAR, c->bar);
        }
        if (c->backing != GOOD) {
            vmcb_w64(v, VMCB_AVIC_BACKING, c->backing);
        }
        if (c->logical != GOOD) {
            vmcb_w64(v, VMCB_AVIC_LOGICAL, c->logical);
        }
        if (c->physical != GOOD) {
            vmcb_w64(v, VMCB_AVIC_PHYSICAL, c->physical);
        }
        printf("avic-vmrun: %s\n", c->what);
        access(OP_R4, R_VER, 0, &r);
        CHECK(r.code == SVM_EXIT_ERR && r.edx == POISON,
              "VMRUN fails: exit 0x%llx (expected VMEXIT_INVALID, -1), the guest "
              "%s", r.code, r.edx == POISON ? "did not run" : "ran");
        /* Then a good VMRUN. */
        avic_guest(avic_probe_loop);
        access(OP_R4, R_VER, 0, &r);
        CHECK(r.code == SVM_EXIT_VMMCALL && r.edx == BP_VER,
              "then a good VMRUN: exit 0x%llx, the guest read 0x%x at its APIC "
              "page (expected VMMCALL, 0x80050015)", r.code, r.edx);
    }
    /* A good VMRUN with the tables at the very end of RAM. */
    avic_guest(avic_probe_loop);
    vmcb_w64(G->vmcb, VMCB_AVIC_PHYSICAL, (ram_end - 4096) | 0xff);
    vmcb_w64(G->vmcb, VMCB_AVIC_LOGICAL, ram_end - 4096);
    access(OP_R4, R_VER, 0, &r);
    CHECK(r.code == SVM_EXIT_VMMCALL && r.edx == BP_VER,
          "tables in the last page of RAM (max index 255): exit 0x%llx, read "
          "0x%x (expected VMMCALL, 0x80050015)", r.code, r.edx);
    /* Bits 63:52 of the pointers are not part of the address. */
    avic_guest(avic_probe_loop);
    vmcb_w64(G->vmcb, VMCB_AVIC_BACKING, (u32)bp0 | 0xfff);
    access(OP_R4, R_VER, 0, &r);
    CHECK(r.code == SVM_EXIT_VMMCALL && r.edx == BP_VER,
          "backing page pointer with bits 11:0 set (ignored): exit 0x%llx, "
          "read 0x%x (expected VMMCALL, 0x80050015)", r.code, r.edx);
}

/* ------------------------------------------------------------------ */

static void read_setup(void)
{
    pages_init();
    for (u32 off = 0; off < 0x400; off += 0x10) {
        if (accel_read_reg(off) || off == R_APR || off == R_EOI ||
            off == R_RRD || off == R_TMCCT || off == R_CMCI) {
            *reg(bp0, off) = 0x0c000000 | (off << 8) | 0x5;
        }
    }
    *reg(bp0, R_TPR) = 0x42;
    memset(bp0 + R_ISR, 0, 0x80);
    set_bit(bp0, R_ISR, 0x31);
    set_bit(bp0, R_ISR, 0x45);
    set_bit(bp0, R_ISR, 0x6a);
    fix_ppr(bp0);               /* 0x60 */
    memset(bp0 + 0x400, 0x3c, 4096 - 0x400);
}

void test_avic_read(void)
{
    static const u32 noaccel[] = {
        0x000, 0x010, 0x040, 0x050, 0x060, 0x070, R_APR, R_EOI, R_RRD,
        0x290, 0x2a0, 0x2b0, 0x2c0, 0x2d0, 0x2e0, R_CMCI, R_TMCCT, 0x3a0,
        0x3b0, 0x3c0, 0x3d0, 0x3f0, 0x400, 0x800, 0xff0,
    };
    static const struct fault_case odd[] = {
        { OP_R1, R_ID, 0 }, { OP_R1, R_ID + 3, 0 }, { OP_R1, R_TPR, 0 },
        { OP_R2, R_TPR, 0 }, { OP_R2, R_ICR2 + 2, 0 }, { OP_R2, R_ISR + 0x10, 0 },
        { OP_R4, R_TPR + 4, 0 },            /* unaligned */
        { OP_R4, R_ID + 2, 0 },
        { OP_R4, R_VER + 0xe, 0 },          /* crosses into 0x40 */
        { OP_R4, R_IRR + 1, 0 },
    };
    u32 n = 0;

    avic_setup();
    read_setup();
    avic_guest(avic_probe_loop);
    printf("avic-read: accelerated reads (TPR 0x42, ISR 0x31 0x45 0x6a: PPR 0x%x)\n",
           *reg(bp0, R_PPR));
    nbad = 0;
    for (u32 off = 0; off < 0x400; off += 0x10) {
        if (accel_read_reg(off)) {
            expect_read(off, *reg(bp0, off));
            n++;
        }
    }
    CHECK(nbad == 0 && *reg(bp0, R_PPR) == 0x60,
          "%u accelerated reads: the backing page's values, no exit, nothing "
          "changed (PPR 0x%x)", n, *reg(bp0, R_PPR));
    CHECK(vmcb_r32(G->vmcb, VMCB_INT_CTL) == (V_INTR_MASKING | AVIC_ENABLE | 4),
          "int_ctl at #VMEXIT: 0x%x (V_TPR = TPR >> 4 = 4)",
          vmcb_r32(G->vmcb, VMCB_INT_CTL));

    nbad = 0;
    n = expect_faults_at(OP_R4, noaccel, ARRAY_SIZE(noaccel), 0);
    CHECK(nbad == 0, "%u other reads (reserved, APR, EOI, RRD, CMCI, TMCCT, "
          "0x400+): AVIC_NOACCEL fault-style, EXITINFO1 = offset, RIP at the "
          "instruction", n);

    nbad = 0;
    expect_faults(odd, ARRAY_SIZE(odd));
    CHECK(nbad == 0, "1- and 2-byte and unaligned 4-byte reads: AVIC_NOACCEL "
          "fault-style, EXITINFO1 = offset & 0xff0, nothing loaded");
}

/* ------------------------------------------------------------------ */

static void write_setup(void)
{
    pages_init();
    fix_ppr(bp0);
}

/* An accelerated write: no exit, the backing page as want0 says. */
static void expect_accel_write(u32 off, u32 val, const char *what)
{
    struct acc r;

    access(OP_W4, off, val, &r);
    expect_done(OP_W4, off, &r);
    page_is(bp0, want0, what);
}

/* TPR = TPR, accelerated: the backing page's TPR and PPR change. */
static void expect_tpr_write(u32 tpr, u32 ppr, const char *what)
{
    memcpy(want0, bp0, 4096);
    *reg(want0, R_TPR) = tpr;
    *reg(want0, R_PPR) = ppr;
    expect_accel_write(R_TPR, tpr, what);
}

/* An accelerated EOI of VEC (-1: nothing in service): PPR then PPR. */
static void expect_eoi(int vec, u32 ppr, const char *what)
{
    memcpy(want0, bp0, 4096);
    if (vec >= 0) {
        clear_bit(want0, R_ISR, vec);
        *reg(want0, R_PPR) = ppr;
    }
    expect_accel_write(R_EOI, 0, what);
}

void test_avic_write(void)
{
    static const u32 fault_regs[] = {
        0x000, 0x010, R_VER, 0x040, 0x050, 0x060, 0x070, R_APR, R_PPR, R_RRD,
        R_ISR, R_ISR + 0x70, R_TMR, R_TMR + 0x30, R_IRR, R_IRR + 0x10, R_IRR + 0x70,
        0x290, 0x2e0, R_CMCI, R_TMCCT, 0x3a0, 0x3d0, 0x3f0, 0x400, 0x800, 0xff0,
    };
    static const struct fault_case odd[] = {
        { OP_W1, R_TPR, 0x20 }, { OP_W2, R_TPR, 0x20 }, { OP_W1, R_ID + 3, 0x5 },
        { OP_W2, R_ICR2 + 2, 0x0100 }, { OP_W1, R_EOI, 0 }, { OP_W1, R_ICR, 0x40 },
        { OP_W4, R_TPR + 1, 0x20 },         /* unaligned */
        { OP_W4, R_ICR + 2, 0x4 },
        { OP_W4, R_LDR + 4, 0x1 },
    };
    struct acc r;
    u32 n;

    avic_setup();
    write_setup();
    avic_guest(avic_probe_loop);

    /* TPR: accelerated; PPR follows; V_TPR at #VMEXIT. */
    nbad = 0;
    expect_tpr_write(0x35, 0x35, "TPR = 0x35");
    CHECK(nbad == 0 && (vmcb_r32(G->vmcb, VMCB_INT_CTL) & V_TPR_MASK) == 3,
          "TPR write 0x35: accelerated, TPR 0x%x PPR 0x%x, V_TPR %u at #VMEXIT "
          "(expected 0x35, 0x35, 3)", *reg(bp0, R_TPR), *reg(bp0, R_PPR),
          vmcb_r32(G->vmcb, VMCB_INT_CTL) & V_TPR_MASK);
    nbad = 0;
    set_bit(bp0, R_ISR, 0x60);
    fix_ppr(bp0);
    expect_tpr_write(0x7c, 0x7c, "TPR = 0x7c over ISR 0x60");
    expect_tpr_write(0x10, 0x60, "TPR = 0x10 under ISR 0x60");
    CHECK(nbad == 0 && (vmcb_r32(G->vmcb, VMCB_INT_CTL) & V_TPR_MASK) == 1,
          "with 0x60 in service: TPR 0x7c -> PPR 0x7c, TPR 0x10 -> PPR 0x%x "
          "(expected 0x60), V_TPR %u (expected 1)", *reg(bp0, R_PPR),
          vmcb_r32(G->vmcb, VMCB_INT_CTL) & V_TPR_MASK);

    /* EOI: the highest ISR bit, accelerated for edge vectors. */
    nbad = 0;
    bp_prepare(&(struct bp_state){ .isr = { 0x40, 0x60 } });
    expect_eoi(0x60, 0x40, "EOI with 0x40, 0x60 in service");
    expect_eoi(0x40, 0, "EOI with 0x40 in service");
    expect_eoi(-1, 0, "EOI with nothing in service");
    CHECK(nbad == 0, "EOI (edge): clears 0x60, then 0x40 (PPR 0x40, then 0), "
          "then nothing; no exit");

    /* EOI of a level-triggered vector: trap, EXITINFO2 = the vector. */
    nbad = 0;
    bp_prepare(&(struct bp_state){ .isr = { 0x40, 0x60 }, .tmr = { 0x60 } });
    memcpy(want0, bp0, 4096);
    access(OP_W4, R_EOI, 0, &r);
    CHECK(r.code == EXIT_NOACCEL && r.info1 == ((1ull << 32) | R_EOI) &&
          r.info2 == 0x60 && r.rip == (u32)avic_w4_end,
          "EOI with 0x60 (TMR set) highest in service: exit 0x%llx info1 "
          "0x%llx info2 0x%llx rip 0x%x (expected AVIC_NOACCEL 0x402, "
          "0x1000000b0, 0x60, 0x%x after the instruction)", r.code, r.info1,
          r.info2, r.rip, (u32)avic_w4_end);
    CHECK(page_is(bp0, want0, "level EOI") && test_bit(bp0, R_ISR, 0x60),
          "... ISR untouched (0x40 and 0x60 still in service)");
    nbad = 0;
    bp_prepare(&(struct bp_state){ .isr = { 0x40, 0x60 }, .tmr = { 0x40 } });
    expect_eoi(0x60, 0x40, "EOI with 0x60 (edge) over 0x40 (level)");
    CHECK(nbad == 0, "EOI of edge 0x60 above level 0x40: accelerated, clears 0x60 only");

    /* ICR2: stored, no exit. */
    nbad = 0;
    write_setup();
    memcpy(want0, bp0, 4096);
    *reg(want0, R_ICR2) = 0x03000000;
    expect_accel_write(R_ICR2, 0x03000000, "ICR2");
    CHECK(nbad == 0, "ICR2 write: stored, no exit");

    /* Trap-style: stored, then the exit, RIP after. */
    nbad = 0;
    n = 0;
    for (u32 off = 0; off < 0x400; off += 0x10) {
        if (trap_write_reg(off)) {
            write_setup();
            expect_trap(off, off == R_ID ? 0x05000000 : 0x00010000 | (off << 4) | 0x3f);
            n++;
        }
    }
    CHECK(nbad == 0, "%u trap-style writes (ID, LDR, DFR, SPIV, ESR, LVTs, "
          "TMICT, TDCR): stored, AVIC_NOACCEL, EXITINFO1 = 1 << 32 | offset, "
          "RIP after", n);

    /* Fault-style: nothing stored. */
    nbad = 0;
    write_setup();
    n = expect_faults_at(OP_W4, fault_regs, ARRAY_SIZE(fault_regs), 0xffffffff);
    CHECK(nbad == 0, "%u other writes (VER, APR, PPR, RRD, ISR/TMR/IRR, CMCI, "
          "TMCCT, reserved): AVIC_NOACCEL fault-style, EXITINFO1 = 1 << 32 | "
          "offset, RIP at the instruction, nothing stored", n);

    nbad = 0;
    expect_faults(odd, ARRAY_SIZE(odd));
    CHECK(nbad == 0, "1- and 2-byte and unaligned 4-byte writes (TPR, ID, "
          "ICR2, EOI, ICR, LDR): AVIC_NOACCEL fault-style, EXITINFO1 = 1 << "
          "32 | offset & 0xff0, nothing stored, no IPI");
}

/* ------------------------------------------------------------------ */

struct exits {
    u32 vmmcall, intr, level_eoi, other;
    u32 intr_step, intr_count;      /* at the first INTR exit */
    u64 eoi_info1, eoi_info2;
    u32 eoi_rip;
    bool eoi_isr_kept;
};

/*
 * Run the L2 until its final VMMCALL.  INTR exits (L1's timer): take the
 * interrupt.  AVIC_NOACCEL for a level-triggered EOI: do the EOI as a
 * hypervisor would (clear the highest ISR bit and its TMR bit) and go on.
 */
static void run_l2(struct exits *e, u32 watch_vec)
{
    memset(e, 0, sizeof(*e));
    for (u32 i = 0; i < 20; i++) {
        u64 info1, code = run_guest(G, &info1);
        int v;

        if (code == SVM_EXIT_VMMCALL) {
            e->vmmcall++;
            return;
        }
        if (code == SVM_EXIT_INTR) {
            if (!e->intr++) {
                e->intr_step = avic_step;
                e->intr_count = G->count[watch_vec];
            }
            irq_window();
            continue;
        }
        if (code == EXIT_NOACCEL && (info1 >> 32) == 1 && (info1 & 0xff0) == R_EOI) {
            e->level_eoi++;
            e->eoi_info1 = info1;
            e->eoi_info2 = vmcb_r64(G->vmcb, VMCB_EXIT_INFO2);
            e->eoi_rip = (u32)vmcb_r64(G->vmcb, VMCB_RIP);
            v = highest(bp0, R_ISR);
            e->eoi_isr_kept = v == (int)e->eoi_info2;
            if (v >= 0) {
                clear_bit(bp0, R_ISR, v);
                clear_bit(bp0, R_TMR, v);
                fix_ppr(bp0);
            }
            continue;
        }
        e->other++;
        bad("unexpected exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x",
            code, info1, vmcb_r64(G->vmcb, VMCB_EXIT_INFO2),
            (u32)vmcb_r64(G->vmcb, VMCB_RIP));
        return;
    }
    e->other++;
    bad("no VMMCALL after 20 exits");
}

/* The deliveries the L2 saw, as "vector@step/ppr" */
static void print_recs(void)
{
    puts("    deliveries:");
    for (u32 i = 0; i < l2.n; i++) {
        printf(" 0x%x@%u/ppr 0x%x%s%s", l2.rec[i].vec, l2.rec[i].step,
               l2.rec[i].ppr, l2.rec[i].in_isr ? "" : "/not-in-ISR",
               l2.rec[i].in_irr ? "/still-in-IRR" : "");
    }
    puts("\n");
}

struct want_rec {
    u32 vec, step, ppr;
};

static bool recs_are(const struct want_rec *w, u32 n)
{
    bool ok = l2.n == n && !l2.exc;

    for (u32 i = 0; ok && i < n; i++) {
        ok = l2.rec[i].vec == w[i].vec && l2.rec[i].step == w[i].step &&
             l2.rec[i].ppr == w[i].ppr && l2.rec[i].in_isr && !l2.rec[i].in_irr;
    }
    if (!ok) {
        puts("    expected:   ");
        for (u32 i = 0; i < n; i++) {
            printf(" 0x%x@%u/ppr 0x%x", w[i].vec, w[i].step, w[i].ppr);
        }
        puts("\n");
        if (l2.exc) {
            printf("    L2 took exception %u at 0x%x\n", l2.exc, l2.exc_eip);
        }
    }
    print_recs();
    return ok;
}

static bool nothing_pending(void)
{
    return highest(bp0, R_IRR) < 0 && highest(bp0, R_ISR) < 0;
}

/* The L2 runs scenario MODE of avic_l2_main, with plain EOIs. */
static void l2_start(u32 mode)
{
    avic_guest(avic_l2_entry);
    l2.mode = mode;
    l2.eoi = 1;
}

static void check_no_exit(const struct exits *e)
{
    CHECK(e->vmmcall == 1 && e->intr + e->other + e->level_eoi == 0 && nothing_pending(),
          "no exit but the final VMMCALL; IRR and ISR empty");
}

static void no_hlt_intercept(void)
{
    vmcb_w64(G->vmcb, VMCB_INTERCEPT,
             vmcb_r64(G->vmcb, VMCB_INTERCEPT) & ~INTERCEPT_BIT(SVM_EXIT_HLT));
}

void test_avic_deliver(void)
{
    struct exits e;
    u32 ictl;

    avic_setup();

    /* Priority against TPR; TPR lowered by the guest; V_TPR. */
    bp_prepare(&(struct bp_state){ .tpr = 0x60,
                                   .irr = { 0x34, 0x52, 0x65, 0x73, 0x94 } });
    l2_start(L2_PRIO);
    printf("avic-deliver: IRR 0x34 0x52 0x65 0x73 0x94, TPR 0x60; L2: sti, cli, "
           "TPR = 0, sti, cli, TPR = 0x20\n");
    run_l2(&e, 0);
    {
        static const struct want_rec w[] = {
            { 0x94, 1, 0x90 }, { 0x73, 1, 0x70 }, { 0x65, 3, 0x60 },
            { 0x52, 3, 0x50 }, { 0x34, 3, 0x30 },
        };
        CHECK(recs_are(w, 5), "by priority: 0x94, 0x73 above TPR 0x60 (not "
              "0x65: same class), the rest once TPR is 0; each in ISR, out of "
              "IRR, PPR = its class");
    }
    ictl = vmcb_r32(G->vmcb, VMCB_INT_CTL);
    CHECK(e.vmmcall == 1 && e.intr + e.other + e.level_eoi == 0,
          "no exit but the final VMMCALL (%u INTR, %u other)", e.intr, e.other);
    CHECK(nothing_pending() && *reg(bp0, R_TPR) == 0x20 && *reg(bp0, R_PPR) == 0x20 &&
          (ictl & V_TPR_MASK) == 2,
          "then: IRR and ISR empty, TPR 0x%x PPR 0x%x, V_TPR %u at #VMEXIT "
          "(expected 0x20, 0x20, 2)", *reg(bp0, R_TPR), *reg(bp0, R_PPR),
          ictl & V_TPR_MASK);

    /* A vector in service blocks its class and below until its EOI. */
    bp_prepare(&(struct bp_state){ .irr = { 0x75, 0x92 }, .isr = { 0x80 } });
    l2_start(L2_ISRBLOCK);
    printf("avic-deliver: ISR 0x80, IRR 0x75 0x92; L2: sti, cli, EOI, sti\n");
    run_l2(&e, 0);
    {
        static const struct want_rec w[] = { { 0x92, 1, 0x90 }, { 0x75, 3, 0x70 } };
        CHECK(recs_are(w, 2), "0x92 at once (above 0x80 in service), its EOI "
              "clears 0x92 only; 0x75 after the guest's EOI of 0x80");
    }
    check_no_exit(&e);

    /* IF=0 with V_INTR_MASKING: held until sti (and the sti shadow). */
    bp_prepare(&(struct bp_state){ .irr = { 0x50 } });
    l2_start(L2_IFMASK);
    printf("avic-deliver: IRR 0x50, L2 with IF=0 (V_INTR_MASKING), then sti; nop\n");
    run_l2(&e, 0);
    {
        static const struct want_rec w[] = { { 0x50, 2, 0x50 } };
        CHECK(recs_are(w, 1), "0x50 not taken with IF=0; taken after sti; nop");
    }
    check_no_exit(&e);

    /* Interrupt shadow at VMRUN: one instruction first. */
    for (u32 shadow = 0; shadow < 2; shadow++) {
        bp_prepare(&(struct bp_state){ .irr = { 0x50 } });
        avic_guest(avic_shadow_entry);
        l2.eoi = 1;
        vmcb_w64(G->vmcb, VMCB_RFLAGS, 0x202);
        vmcb_w32(G->vmcb, VMCB_INT_STATE, shadow);
        printf("avic-deliver: IRR 0x50, VMRUN with IF=1%s\n",
               shadow ? " in an interrupt shadow" : "");
        run_l2(&e, 0);
        {
            const struct want_rec w[] = { { 0x50, shadow, 0x50 } };
            CHECK(recs_are(w, 1), "0x50 delivered %s", shadow ?
                  "after the first instruction (step 1)" : "before the first instruction");
        }
        check_no_exit(&e);
    }

    /* HLT (not intercepted) with a deliverable vector: woken. */
    bp_prepare(&(struct bp_state){ .irr = { 0x50 } });
    l2_start(L2_HLT);
    no_hlt_intercept();
    timer_count = 0;
    apic_timer_oneshot(V_L1_TIMER, 500000000);  /* safety net: 0.5 s */
    printf("avic-deliver: IRR 0x50, L2 with IF=0: sti; hlt\n");
    run_l2(&e, 0);
    apic_write(APIC_TMICT, 0);
    {
        static const struct want_rec w[] = { { 0x50, 1, 0x50 } };
        CHECK(recs_are(w, 1), "0x50 wakes the halted guest");
    }
    CHECK(e.vmmcall == 1 && e.intr + e.other + e.level_eoi == 0 && nothing_pending(),
          "no exit but the final VMMCALL (%u INTR); IRR and ISR empty", e.intr);

    /* HLT with a vector below the TPR: not woken; L1's timer exits. */
    bp_prepare(&(struct bp_state){ .tpr = 0x60, .irr = { 0x50 } });
    l2_start(L2_HLT_TPR);
    no_hlt_intercept();
    timer_count = 0;
    apic_timer_oneshot(V_L1_TIMER, 20000000);   /* 20 ms */
    printf("avic-deliver: IRR 0x50, TPR 0x60, L2: sti; hlt; TPR = 0\n");
    run_l2(&e, 0x50);
    apic_write(APIC_TMICT, 0);
    CHECK(e.intr == 1 && e.intr_step == 1 && e.intr_count == 0 && timer_count == 1,
          "the guest stays halted: L1's timer exits it (%u INTR exits, at step "
          "%u, 0x50 delivered %u times then; expected 1, 1, 0)", e.intr,
          e.intr_step, e.intr_count);
    {
        static const struct want_rec w[] = { { 0x50, 2, 0x50 } };
        CHECK(recs_are(w, 1), "then 0x50 right after the guest's TPR write "
              "(before its next instruction: step 2)");
    }
    CHECK(e.vmmcall == 1 && e.other + e.level_eoi == 0 && nothing_pending(),
          "then no exit but the final VMMCALL; IRR and ISR empty");

    /* Level-triggered: the EOI exits to L1 (trap), with the vector. */
    bp_prepare(&(struct bp_state){ .irr = { 0x60 }, .tmr = { 0x60 } });
    l2_start(L2_LEVEL);
    l2.eoi = 2;
    printf("avic-deliver: IRR 0x60 with TMR 0x60 (level); the guest EOIs it\n");
    run_l2(&e, 0);
    {
        static const struct want_rec w[] = { { 0x60, 1, 0x60 } };
        CHECK(recs_are(w, 1), "0x60 delivered with no exit");
    }
    CHECK(e.level_eoi == 1 && e.eoi_info1 == ((1ull << 32) | R_EOI) &&
          e.eoi_info2 == 0x60 && e.eoi_rip == (u32)avic_eoi_end && e.eoi_isr_kept,
          "its EOI: AVIC_NOACCEL trap, EXITINFO1 0x%llx EXITINFO2 0x%llx rip "
          "0x%x, ISR kept %u (expected 0x1000000b0, 0x60, 0x%x after the "
          "instruction, 1)", e.eoi_info1, e.eoi_info2, e.eoi_rip,
          e.eoi_isr_kept, (u32)avic_eoi_end);
    CHECK(e.vmmcall == 1 && e.intr + e.other == 0 && nothing_pending(),
          "then no exit but the final VMMCALL; IRR and ISR empty");
}

/* ------------------------------------------------------------------ */

struct ipi_case {
    const char *what;
    u32 dfr, icr2, icr;
    u32 cause;              /* ~0: delivered, no exit */
    u32 index;
    u8 *target;             /* backing page that gets the IRR bit, or NULL */
};

#define DELIVERED (~0u)

void test_avic_ipi(void)
{
    const u32 flat = 0xffffffff, cluster = 0x0fffffff;
    const struct ipi_case cases[] = {
        { "self shorthand", flat, 0, ICR_SH_SELF | ICR_ASSERT | 0x55, DELIVERED, 0, bp0 },
        { "physical destination 0 (itself: valid, running, our APIC ID)", flat,
          0 << 24, ICR_ASSERT | 0x56, DELIVERED, 0, bp0 },
        { "logical flat destination 0x01 (logical 0 -> physical 0)", flat,
          0x01u << 24, ICR_LOGICAL | ICR_ASSERT | 0x57, DELIVERED, 0, bp0 },
        { "logical cluster destination 0x11 (logical 4 -> physical 0)", cluster,
          0x11u << 24, ICR_LOGICAL | ICR_ASSERT | 0x58, DELIVERED, 0, bp0 },
        { "NMI delivery mode", flat, 0, ICR_DM(4) | ICR_ASSERT, 0, 0, NULL },
        { "INIT delivery mode", flat, 0, ICR_DM(5) | ICR_ASSERT, 0, 0, NULL },
        { "lowest-priority delivery mode", flat, 0, ICR_DM(1) | ICR_ASSERT | 0x59, 0, 0, NULL },
        { "fixed, level-triggered", flat, 0, ICR_LEVEL | ICR_ASSERT | 0x59, 0, 0, NULL },
        { "physical 1: valid, not running", flat, 1u << 24, ICR_ASSERT | 0x5a, 1, 1, bp1 },
        { "logical flat 0x02 (logical 1 -> physical 1, not running)", flat,
          0x02u << 24, ICR_LOGICAL | ICR_ASSERT | 0x5b, 1, 1, bp1 },
        { "physical 2: entry without the valid bit", flat, 2u << 24, ICR_ASSERT | 0x5c, 2, 2, NULL },
        { "physical 5: beyond the max index (4)", flat, 5u << 24, ICR_ASSERT | 0x5c, 2, 5, NULL },
        { "physical 0x20: beyond the max index (4)", flat, 0x20u << 24, ICR_ASSERT | 0x5c, 2, 0x20, NULL },
        { "logical flat 0x04 (logical 2: not valid)", flat, 0x04u << 24,
          ICR_LOGICAL | ICR_ASSERT | 0x5d, 2, 2, NULL },
        { "logical cluster 0x12 (logical 5: not valid)", cluster, 0x12u << 24,
          ICR_LOGICAL | ICR_ASSERT | 0x5d, 2, 5, NULL },
        { "physical 3: backing page on the HPET (not RAM)", flat, 3u << 24, ICR_ASSERT | 0x5e, 3, 3, NULL },
        { "physical 4: backing page in the read-only BIOS shadow at 0xf0000", flat,
          4u << 24, ICR_ASSERT | 0x5f, 3, 4, NULL },
    };
    u32 shadow_before = *(volatile u32 *)(BIOS_SHADOW + R_IRR + 0x20);
    struct acc r;

    avic_setup();
    avic_guest(avic_probe_loop);
    for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct ipi_case *c = &cases[i];
        u32 vec = c->icr & 0xff;

        pages_init();
        *reg(bp0, R_DFR) = c->dfr;
        *reg(bp0, R_ICR2) = c->icr2;
        memcpy(want0, bp0, 4096);
        memcpy(want1, bp1, 4096);
        *reg(want0, R_ICR) = c->icr;
        if (c->target) {
            set_bit(c->target == bp0 ? want0 : want1, R_IRR, vec);
        }
        printf("avic-ipi: %s: ICR2 0x%08x ICR 0x%08x\n", c->what, c->icr2, c->icr);
        nbad = 0;
        access(OP_W4, R_ICR, c->icr, &r);
        if (c->cause == DELIVERED) {
            CHECK(r.code == SVM_EXIT_VMMCALL && r.rip == (u32)avic_probe_loop,
                  "no exit (exit 0x%llx info1 0x%llx info2 0x%llx)", r.code,
                  r.info1, r.info2);
        } else {
            u64 info1 = ((u64)c->icr2 << 32) | c->icr;
            u64 info2 = ((u64)c->cause << 32) | c->index;

            CHECK(r.code == EXIT_INCOMPLETE_IPI && r.info1 == info1 &&
                  r.info2 == info2 && r.rip == (u32)avic_w4_end,
                  "exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x (expected "
                  "AVIC_INCOMPLETE_IPI 0x401, 0x%llx, 0x%llx, 0x%x after the "
                  "instruction)", r.code, r.info1, r.info2, r.rip, info1, info2,
                  (u32)avic_w4_end);
        }
        page_is(bp0, want0, "sender's page");
        page_is(bp1, want1, "physical 1's page");
        CHECK(*(volatile u32 *)(BIOS_SHADOW + R_IRR + 0x20) == shadow_before,
              "the read-only BIOS shadow is untouched");
        CHECK(nbad == 0, "backing pages: ICR stored; IRR 0x%x set %s", vec,
              c->target == bp0 ? "in the sender's (its own) page" :
              c->target == bp1 ? "in physical 1's page" : "nowhere");
    }

    /* With IF=1: the IPI to itself is taken at once, no exit. */
    for (u32 i = 0; i < 2; i++) {
        u32 icr = i ? ICR_ASSERT | 0x62 : ICR_SH_SELF | ICR_ASSERT | 0x61;

        pages_init();
        avic_guest(avic_probe_loop);
        l2.eoi = 1;
        printf("avic-ipi: L2 with IF=1 sends ICR 0x%08x (%s)\n", icr,
               i ? "physical destination 0" : "self");
        access(OP_W4I, R_ICR, icr, &r);
        {
            const struct want_rec w[] = { { icr & 0xff, 0, icr & 0xf0 } };
            CHECK(recs_are(w, 1), "delivered to the guest at once");
        }
        CHECK(r.code == SVM_EXIT_VMMCALL && r.rip == (u32)avic_probe_loop &&
              nothing_pending(), "no exit (exit 0x%llx info1 0x%llx); IRR and "
              "ISR empty", r.code, r.info1);
    }

    /* The doorbell MSR rung by L1 for itself between VMRUNs. */
    pages_init();
    set_bit(bp0, R_IRR, 0x63);
    wrmsr(MSR_AVIC_DOORBELL, host_apic_id);
    CHECK(l1_irqs == 0, "doorbell for our own APIC ID from L1: nothing for L1 (%u)",
          l1_irqs);
    avic_guest(avic_probe_loop);
    l2.eoi = 1;
    access(OP_W4I, R_TPR, 0, &r);
    {
        static const struct want_rec w[] = { { 0x63, 0, 0x60 } };
        CHECK(recs_are(w, 1) && r.code == SVM_EXIT_VMMCALL,
              "the IRR bit L1 set is delivered at the next VMRUN (exit 0x%llx)",
              r.code);
    }
}

/* ------------------------------------------------------------------ */

void test_avic_migrate(void)
{
    struct exits e;

    avic_setup();
    bp_prepare(&(struct bp_state){ .irr = { 0x50, 0x70, 0x90 }, .isr = { 0x80 } });
    l2_start(L2_MIGRATE);
    run_l2(&e, 0);
    {
        static const struct want_rec w[] = {
            { 0x90, 2, 0x90 }, { 0x70, 4, 0x70 }, { 0x50, 4, 0x50 },
        };
        CHECK(recs_are(w, 3), "after the NMI: 0x90 (above 0x80 in service), "
              "then, after the EOI of 0x80, 0x70 and 0x50");
    }
    CHECK(l2.nmi == 1, "the NMI reached the guest (%u)", l2.nmi);
    CHECK(e.vmmcall == 1 && e.intr + e.other + e.level_eoi == 0 && nothing_pending(),
          "no exit but the final VMMCALL (%u INTR, %u other); IRR and ISR empty",
          e.intr, e.other);
}

/* ------------------------------------------------------------------ */

#define RFLAGS_TF           0x100u
#define RFLAGS_DF           0x400u
#define EVT_VALID           (1u << 31)
#define EVT_EXCEPTION       (3u << 8)
#define EXITINTINFO_DB      (EVT_VALID | EVT_EXCEPTION | 1)

/*
 * After a trap-style exit that came with a #DB in EXITINTINFO: inject it
 * again, as L1 hypervisors do (KVM: svm_complete_interrupts()), and see
 * the guest's handler take it right after the instruction.
 */
static void expect_db_reinjected(const char *what)
{
    u64 code;

    /* run_guest() would clear EVENTINJ: VMRUN here. */
    vmcb_w32(G->vmcb, VMCB_EVENT_INJ, vmcb_r32(G->vmcb, VMCB_EXIT_INT_INFO));
    l2.exc = 0;
    svm_vmrun(G->vmcb, &G->gprs);
    code = vmcb_r64(G->vmcb, VMCB_EXIT_CODE);
    CHECK(code == SVM_EXIT_VMMCALL && l2.exc == 1 &&
          l2.exc_eip == (u32)avic_w4_end,
          "%s: L1 injects the #DB again: the guest takes it after the "
          "instruction (exit 0x%llx, exception %u at 0x%x; expected VMMCALL, "
          "1 at 0x%x)", what, code, l2.exc, l2.exc_eip, (u32)avic_w4_end);
}

void test_avic_trap(void)
{
    const u32 lvt = 0x10045, icr = ICR_ASSERT | 0x5a;
    struct acc r;
    u32 eii;

    avic_setup();
    write_setup();
    avic_guest(avic_probe_loop);

    /* Single-step (TF) over a trap-style write (LVT timer). */
    printf("avic-trap: L2 with TF=1 writes LVTT 0x%x\n", lvt);
    memcpy(want0, bp0, 4096);
    *reg(want0, R_LVTT) = lvt;
    nbad = 0;
    access_rf(OP_W4, R_LVTT, lvt, 0x2 | RFLAGS_TF, &r);
    eii = vmcb_r32(G->vmcb, VMCB_EXIT_INT_INFO);
    CHECK(r.code == EXIT_NOACCEL && r.info1 == ((1ull << 32) | R_LVTT) &&
          r.info2 == 0 && r.rip == (u32)avic_w4_end && eii == EXITINTINFO_DB,
          "trap-style AVIC_NOACCEL first, the single-step #DB in EXITINTINFO "
          "(exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x EXITINTINFO 0x%x; "
          "expected 0x402, 0x1%08x, 0, 0x%x after the instruction, 0x%x)",
          r.code, r.info1, r.info2, r.rip, eii, R_LVTT, (u32)avic_w4_end,
          EXITINTINFO_DB);
    CHECK(page_is(bp0, want0, "LVTT with TF") && nbad == 0,
          "the write is in the backing page");
    expect_db_reinjected("LVTT");

    /* Single-step over an IPI to a vCPU that is not running. */
    pages_init();
    avic_guest(avic_probe_loop);
    *reg(bp0, R_ICR2) = 1u << 24;
    printf("avic-trap: L2 with TF=1 sends ICR 0x%08x to physical 1 (not "
           "running)\n", icr);
    access_rf(OP_W4, R_ICR, icr, 0x2 | RFLAGS_TF, &r);
    eii = vmcb_r32(G->vmcb, VMCB_EXIT_INT_INFO);
    CHECK(r.code == EXIT_INCOMPLETE_IPI &&
          r.info1 == (((u64)1 << 56) | icr) &&
          r.info2 == (((u64)1 << 32) | 1) && r.rip == (u32)avic_w4_end &&
          eii == EXITINTINFO_DB,
          "AVIC_INCOMPLETE_IPI (target not running) first, the #DB in "
          "EXITINTINFO (exit 0x%llx info1 0x%llx info2 0x%llx rip 0x%x "
          "EXITINTINFO 0x%x)", r.code, r.info1, r.info2, r.rip, eii);
    CHECK(test_bit(bp1, R_IRR, 0x5a), "the IPI is in physical 1's IRR: L1 "
          "has only to wake it");
    expect_db_reinjected("ICR");

    /*
     * rep stosl, DF=1, from LVT thermal (0x330, trap-style) down to 0x32c
     * (unaligned: fault-style, EXITINFO1 offset 0x320).
     */
    pages_init();
    avic_guest(avic_rep);
    memcpy(want0, bp0, 4096);
    *reg(want0, 0x330) = lvt;
    printf("avic-trap: L2 rep stosl with DF=1, ECX=2, from 0x330 (trap) "
           "to 0x32c (fault)\n");
    vmcb_w64(G->vmcb, VMCB_RFLAGS, 0x2 | RFLAGS_DF);
    vmcb_w64(G->vmcb, VMCB_RAX, lvt);
    G->gprs.ecx = 2;
    G->gprs.edi = AVIC_BAR + 0x330;
    r.code = run_guest(G, &r.info1);
    r.info2 = vmcb_r64(G->vmcb, VMCB_EXIT_INFO2);
    r.rip = (u32)vmcb_r64(G->vmcb, VMCB_RIP);
    CHECK(r.code == EXIT_NOACCEL && r.info1 == ((1ull << 32) | 0x330) &&
          r.rip == (u32)avic_rep && G->gprs.ecx == 1 &&
          G->gprs.edi == AVIC_BAR + 0x32c,
          "the first iteration exits trap-style, before the second (exit "
          "0x%llx info1 0x%llx rip 0x%x ECX %u EDI 0x%x; expected 0x402, "
          "0x100000330, 0x%x at the instruction, 1, 0x%x)", r.code, r.info1,
          r.rip, G->gprs.ecx, G->gprs.edi, (u32)avic_rep, AVIC_BAR + 0x32c);
    nbad = 0;
    CHECK(page_is(bp0, want0, "rep stosl, first iteration") && nbad == 0,
          "only the first iteration's write is in the backing page");
    r.code = run_guest(G, &r.info1);
    r.rip = (u32)vmcb_r64(G->vmcb, VMCB_RIP);
    CHECK(r.code == EXIT_NOACCEL && r.info1 == ((1ull << 32) | 0x320) &&
          r.rip == (u32)avic_rep && G->gprs.ecx == 1,
          "resumed, the second iteration exits fault-style (exit 0x%llx info1 "
          "0x%llx rip 0x%x ECX %u; expected 0x402, 0x100000320, 0x%x, 1)",
          r.code, r.info1, r.rip, G->gprs.ecx, (u32)avic_rep);
    nbad = 0;
    CHECK(page_is(bp0, want0, "rep stosl, second iteration") && nbad == 0,
          "the faulting iteration stored nothing");
}

void test_avic_fetch(void)
{
    struct acc r;

    avic_setup();
    write_setup();
    apic_dummy[0x800] = 0xc3;           /* ret */
    for (u32 i = 0; i < 2; i++) {
        const u32 tpr = 0x20 + 0x10 * i;

        avic_guest(avic_fetch);
        memcpy(want0, bp0, 4096);
        *reg(want0, R_TPR) = tpr;
        *reg(want0, R_PPR) = tpr;
        printf("avic-fetch: L2 calls a ret at APIC page offset 0x800, then "
               "reads VER and writes TPR 0x%x\n", tpr);
        vmcb_w64(G->vmcb, VMCB_RAX, AVIC_BAR + R_VER);
        G->gprs.ecx = AVIC_BAR + 0x800;
        G->gprs.esi = AVIC_BAR + R_TPR;
        G->gprs.ebx = tpr;
        G->gprs.edx = POISON;
        r.code = run_guest(G, &r.info1);
        r.rip = (u32)vmcb_r64(G->vmcb, VMCB_RIP);
        CHECK(r.code == SVM_EXIT_VMMCALL && r.rip == (u32)avic_probe_loop &&
              G->gprs.edx == BP_VER,
              "after the fetch, the read is accelerated: 0x%x from the backing "
              "page (exit 0x%llx rip 0x%x; expected 0x%x, VMMCALL)",
              G->gprs.edx, r.code, r.rip, BP_VER);
        nbad = 0;
        CHECK(page_is(bp0, want0, "TPR after a fetch") && nbad == 0 &&
              *(u32 *)(apic_dummy + R_TPR) == DUMMY,
              "the TPR write is accelerated into the backing page; nested "
              "paging's page keeps 0x%x at TPR (0x%x)", DUMMY,
              *(u32 *)(apic_dummy + R_TPR));
    }
}
