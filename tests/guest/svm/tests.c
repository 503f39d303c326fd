/*
 * irqhint SVM test kernel: the L1 side of the IDT shadowing tests.
 * Booted by QEMU -kernel (multiboot); the command line names the test:
 *   direct | remap | masked | hlt | starve | held | virq | snapshot |
 *   migrate | baseline | bad-table | nmi | priority | cpuid
 * followed by options: n=N (interrupts per phase, default 100),
 * idts=0|1 (what CPUID 0x40000001 must say), magic (baseline: fill the
 * VMCB's shadowing fields anyway; with the feature off they must be
 * ignored), halt (on success, halt instead of exiting, so that the
 * host can read QEMU's counters).
 * Ends with "IDTS-RESULT: PASS|FAIL ..." on COM1 and exits QEMU through
 * isa-debug-exit: 0x10 (status 33) on pass, 0x11 (status 35) on failure.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include "hv.h"
#include "avic-tests.h"
#include "memmap-tests.h"
#include "gim-bench.h"
#include "msibench-tests.h"

#define V_DEV_A     0x40    /* guest A's assigned device (self-IPI) */
#define V_A         0x41    /* ... as guest A sees it */
#define V_DEV_B     0x50    /* guest B's assigned device (LAPIC timer) */
#define V_B         0x61    /* ... as guest B sees it */
#define V_VIRQ      0x42    /* a virtual interrupt L1 queues for A */
#define V_L1_TIMER  0x30    /* L1's own timer: in no table, below 0x40 */

struct idt_gate l1_idt[256] __attribute__((aligned(16)));

/*
 * How long after L1 arms the timer the "device" interrupt comes: long
 * enough for the guest to be running by then even on a loaded host under
 * TCG (20 us was not), short enough to keep each test under a second.
 */
#define REMAP_TIMER_NS 2000000
/* L1's own timer in test starve, as in the report: 20 ms. */
#define STARVE_TIMER_NS 20000000

static u8 hsave[4096] __attribute__((aligned(4096)));

u32 opt_n = 100;
static int opt_idts = -1;
static bool opt_magic;
bool opt_halt;            /* halt instead of exiting QEMU (monitor checks) */
int opt_avic = -1;        /* avic=0|1: what CPUID 8000_000A EDX[13] must say */
u64 ram_end;

static bool idts_cpuid(void)
{
    u32 a, b, c, d;
    char sig[13];

    cpuid(0x40000000, 0, &a, &b, &c, &d);
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    sig[12] = 0;
    for (int i = 0; i < 12; i++) {
        if (sig[i] < ' ' || sig[i] > '~') {
            sig[i] = '.';
        }
    }
    if (strcmp(sig, "TCGTCGTCGTCG") || a < IDTS_CPUID_LEAF) {
        printf("cpuid: 0x40000000: max %x signature \"%s\": no TCG leaves\n", a, sig);
        return false;
    }
    cpuid(IDTS_CPUID_LEAF, 0, &a, &b, &c, &d);
    printf("cpuid: 0x40000001 eax=%x: IDT shadowing %s\n", a,
           (a & IDTS_CPUID_EAX) ? "available" : "not available");
    return a & IDTS_CPUID_EAX;
}

static void svm_enable(void)
{
    u32 a, b, c, d;

    cpuid(0x80000001, 0, &a, &b, &c, &d);
    if (!(c & (1u << 2))) {
        printf("IDTS-RESULT: FAIL CPUID 0x80000001 ECX.SVM clear (need -cpu ...,svm=on)\n");
        exit_qemu(0x11);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (u32)hsave);
}

static void reset_world(void)
{
    memset((void *)routes, 0, sizeof(routes));
    memset((void *)l1_count, 0, sizeof(l1_count));
    l1_eois = 0;
    l1_irqs = 0;
}

static void print_stats(const char *test, struct guest *g, u32 vec, u32 n)
{
    u32 avg = g->lat_n ? g->lat_sum / g->lat_n : 0;

    printf("IDTS-STATS test=%s guest=%s n=%u deliveries=%u intr_exits=%u "
           "exits=%u injected=%u lat_n=%u lat_avg=%u lat_min=%u lat_max=%u\n",
           test, g->name, n, g->count[vec], g->intr_exits, g->exits,
           g->injected, g->lat_n, avg, g->lat_n ? g->lat_min : 0, g->lat_max);
}

/*
 * Run g until it reports with VMMCALL, handling INTR exits as a
 * hypervisor with shadowing (acked) or the classic way.  Returns false
 * (and says why) on any other exit or when it does not end.
 */
static bool run_to_vmmcall(struct guest *g, bool acked, u32 max_exits)
{
    for (u32 i = 0; i < max_exits; i++) {
        u64 info1;
        u64 code = run_guest(g, &info1);

        if (code == SVM_EXIT_VMMCALL) {
            advance_rip(g, 3);
            return true;
        }
        if (code == SVM_EXIT_INTR) {
            if (acked) {
                handle_acked_intr(g, info1);
            } else {
                handle_classic_intr(g, info1);
            }
            continue;
        }
        printf("FAIL: %s: unexpected exit %llx (%s) info1 %llx info2 %llx rip %llx\n",
               g->name, code, exit_name(code), info1,
               vmcb_r64(g->vmcb, VMCB_EXIT_INFO2), vmcb_r64(g->vmcb, VMCB_RIP));
        failures++;
        return false;
    }
    printf("FAIL: %s: no VMMCALL after %u exits\n", g->name, max_exits);
    failures++;
    return false;
}

/* g's assigned device raises dev_vec, DIRECT to the guest's vec. */
static void setup_guest(struct guest *g, const char *name,
                        enum guest_mode mode, u8 dev_vec, u8 vec)
{
    guest_init(g, name, mode);
    g->n = opt_n;
    g->raise_vec = dev_vec;
    g->expect_vec = vec;
    g->phys_of[vec] = dev_vec;
    g->table[dev_vec] = IDTS_ENTRY_DIRECT | vec;
    routes[dev_vec].g = g;
    routes[dev_vec].vec = vec;
}

static void setup_a(enum guest_mode mode)
{
    setup_guest(&guest_a, "A", mode, V_DEV_A, V_A);
}

static void setup_b(enum guest_mode mode)
{
    setup_guest(&guest_b, "B", mode, V_DEV_B, V_B);
}

static void shadow_on(struct guest *g)
{
    guest_shadow(g, IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE, (u32)g->table);
}

/* Let g halt: HLT not intercepted. */
static void allow_hlt(struct guest *g)
{
    vmcb_w64(g->vmcb, VMCB_INTERCEPT,
             vmcb_r64(g->vmcb, VMCB_INTERCEPT) & ~INTERCEPT_BIT(SVM_EXIT_HLT));
}

static bool need_idts(void)
{
    if (opt_idts == 0) {
        printf("FAIL: this test needs idts=1\n");
        failures++;
        return false;
    }
    return true;
}

/*
 * How a test of guest A alone starts: check that it can run (idts=1),
 * set A up for mode with shadowing on, say what the test does (fmt), and
 * run A until it reports, handling at most max_exits exits as a
 * hypervisor with shadowing does.  False when the test cannot run.
 */
static bool run_a(enum guest_mode mode, u32 max_exits, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool run_a(enum guest_mode mode, u32 max_exits, const char *fmt, ...)
{
    va_list ap;

    if (!need_idts()) {
        return false;
    }
    setup_a(mode);
    shadow_on(&guest_a);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    run_to_vmmcall(&guest_a, true, max_exits);
    return true;
}

/* 1. A's device vector goes straight to A's handler: no exits. */
static void test_direct(void)
{
    struct guest *a = &guest_a;
    u32 n = opt_n;

    if (!run_a(GM_SELF_IPI, 10 * n + 10, "direct: %u self-IPIs at 0x%x, "
               "table 0x%x -> DIRECT 0x%x, guest A running\n",
               n, V_DEV_A, V_DEV_A, V_A)) {
        return;
    }
    CHECK(a->count[V_A] == n, "A's handler ran at vector 0x%x %u times (expected %u)",
          V_A, a->count[V_A], n);
    CHECK(a->count[V_DEV_A] == 0, "A's vector 0x%x (untranslated) ran %u times (expected 0)",
          V_DEV_A, a->count[V_DEV_A]);
    CHECK(a->intr_exits == 0, "INTR exits: %u (expected 0)", a->intr_exits);
    CHECK(a->exits == 1 && a->vmmcall_exits == 1,
          "exits in all: %u, VMMCALL %u (expected only the final VMMCALL)",
          a->exits, a->vmmcall_exits);
    CHECK(a->eois == n, "A EOIed the LAPIC itself %u times (expected %u)", a->eois, n);
    CHECK(l1_count[V_DEV_A] == 0 && a->injected == 0,
          "L1 saw the vector %u times, injected %u (expected 0, 0)",
          l1_count[V_DEV_A], a->injected);
    CHECK(!apic_isr(V_DEV_A) && !apic_irr(V_DEV_A), "LAPIC: 0x%x neither in service nor pending",
          V_DEV_A);
    print_stats("direct", a, V_A, n);
}

/* 3. Without shadowing: exit with EXITINFO1 0, L1 takes it, injects. */
static void test_baseline(void)
{
    struct guest *a = &guest_a;
    u32 n = opt_n;

    setup_a(GM_SELF_IPI);
    if (opt_magic) {
        /* With the feature off these are just host-reserved bytes. */
        shadow_on(a);
        printf("baseline: VMCB shadowing fields filled in (must be ignored)\n");
    }
    printf("baseline: %u self-IPIs at 0x%x, intercepted, L1 injects 0x%x into A\n",
           n, V_DEV_A, V_A);
    run_to_vmmcall(a, false, 10 * n + 10);
    CHECK(a->count[V_A] == n, "A's handler ran at vector 0x%x %u times (expected %u)",
          V_A, a->count[V_A], n);
    CHECK(a->intr_exits == n, "INTR exits: %u (expected %u)", a->intr_exits, n);
    CHECK(l1_count[V_DEV_A] == n, "L1 took vector 0x%x %u times (expected %u)",
          V_DEV_A, l1_count[V_DEV_A], n);
    CHECK(a->injected == n, "L1 injected %u (expected %u)", a->injected, n);
    CHECK(a->eois == 0, "A's own EOIs: %u (expected 0: L1 EOIs)", a->eois);
    CHECK(a->other_exits == 0 && a->vmmcall_exits == 1, "other exits %u, VMMCALL %u (expected 0, 1)",
          a->other_exits, a->vmmcall_exits);
    print_stats("baseline", a, V_A, n);
}

/* 2. A vector of B's arriving while A runs: exit with its number, L1
 * remaps it to B's vector and injects it when B runs; the other way
 * round too; and B's own device goes direct to B. */
static void test_remap(void)
{
    struct guest *a = &guest_a, *b = &guest_b;
    u32 n = opt_n, bad = 0, a_ran = 0;

    if (!need_idts()) {
        return;
    }
    /* Phase 1: B's device (LAPIC timer, 0x50) fires while A runs. */
    setup_a(GM_SPIN);
    setup_b(GM_YIELD);
    shadow_on(a);
    shadow_on(b);
    printf("remap 1: %u timer interrupts at 0x%x (B's, not DIRECT in A's table) while A runs\n",
           n, V_DEV_B);
    for (u32 i = 0; i < n && !bad; i++) {
        u64 info1, code;
        u32 progress = a->progress;
        int vec;

        apic_timer_oneshot(V_DEV_B, REMAP_TIMER_NS);
        code = run_guest(a, &info1);
        if (code != SVM_EXIT_INTR) {
            printf("FAIL: A: exit %llx (%s), expected INTR\n", code, exit_name(code));
            bad++;
            break;
        }
        a_ran += a->progress != progress;
        vec = handle_acked_intr(a, info1);
        if (vec != V_DEV_B) {
            printf("FAIL: A: INTR exit %u: EXITINFO1 %llx, expected %llx\n",
                   i, info1, IDTS_EXITINFO_ACKED | V_DEV_B);
            bad++;
        }
        if (!run_to_vmmcall(b, true, 4)) {
            bad++;
        }
        if (b->count[V_B] != i + 1) {
            printf("FAIL: B: %u deliveries at 0x%x after %u injections\n",
                   b->count[V_B], V_B, i + 1);
            bad++;
        }
    }
    a->stop = 1;
    run_to_vmmcall(a, true, 4);
    CHECK(!bad, "every timer interrupt exited A with ACKED|0x%x and reached B (%u problems)",
          V_DEV_B, bad);
    CHECK(a->intr_exits == n, "A: INTR exits %u (expected %u)", a->intr_exits, n);
    CHECK(a_ran > 0, "A was running when the interrupts came (%u of %u)", a_ran, n);
    CHECK(b->count[V_B] == n && b->count[V_DEV_B] == 0,
          "B's handler saw vector 0x%x %u times, 0x%x %u times (expected %u, 0)",
          V_B, b->count[V_B], V_DEV_B, b->count[V_DEV_B], n);
    CHECK(b->injected == n && b->intr_exits == 0, "B: injected %u, INTR exits %u (expected %u, 0)",
          b->injected, b->intr_exits, n);
    CHECK(b->eois == 0 && l1_count[V_DEV_B] == 0,
          "B's EOIs %u, L1 IDT deliveries %u (expected 0, 0: acked exit, L1 EOIs)",
          b->eois, l1_count[V_DEV_B]);
    print_stats("remap-foreign", b, V_B, n);

    /* Phase 2: B's device while B runs: straight to B. */
    setup_b(GM_TIMER);
    shadow_on(b);
    printf("remap 2: %u timer interrupts at 0x%x while B runs (DIRECT -> 0x%x)\n",
           n, V_DEV_B, V_B);
    run_to_vmmcall(b, true, 10 * n + 10);
    CHECK(b->count[V_B] == n && b->intr_exits == 0 && b->eois == n,
          "B: %u deliveries at 0x%x, %u INTR exits, %u own EOIs (expected %u, 0, %u)",
          b->count[V_B], V_B, b->intr_exits, b->eois, n, n);
    print_stats("remap-own", b, V_B, n);

    /* Phase 3: A's device fires while B runs: remapped to A. */
    setup_a(GM_YIELD);
    setup_b(GM_SPIN);
    shadow_on(a);
    shadow_on(b);
    printf("remap 3: %u timer interrupts at 0x%x (A's) while B runs\n", n, V_DEV_A);
    bad = 0;
    for (u32 i = 0; i < n && !bad; i++) {
        u64 info1, code;

        apic_timer_oneshot(V_DEV_A, REMAP_TIMER_NS);
        code = run_guest(b, &info1);
        if (code != SVM_EXIT_INTR || handle_acked_intr(b, info1) != V_DEV_A) {
            printf("FAIL: B: exit %llx (%s) info1 %llx, expected INTR %llx\n",
                   code, exit_name(code), info1, IDTS_EXITINFO_ACKED | V_DEV_A);
            bad++;
            break;
        }
        if (!run_to_vmmcall(a, true, 4)) {
            bad++;
        }
    }
    b->stop = 1;
    run_to_vmmcall(b, true, 4);
    CHECK(!bad && b->intr_exits == n, "B: %u INTR exits with ACKED|0x%x (expected %u)",
          b->intr_exits, V_DEV_A, n);
    CHECK(a->count[V_A] == n && a->injected == n && a->eois == 0,
          "A's handler saw 0x%x %u times, injected %u, own EOIs %u (expected %u, %u, 0)",
          V_A, a->count[V_A], a->injected, a->eois, n, n);
}

/*
 * A DIRECT vector arriving while the guest cannot take it (IF=0, or an
 * interrupt shadow) stays pending, unacknowledged, and is delivered
 * directly once the guest can: no exit.
 */
static void test_masked(void)
{
    struct guest *a = &guest_a;

    if (!run_a(GM_MASKED, 10, "masked: A raises 0x%x (DIRECT) with IF=0\n",
               V_DEV_A)) {
        return;
    }
    CHECK(a->intr_exits == 0, "INTR exits: %u (expected 0: held pending)",
          a->intr_exits);
    CHECK(a->count[V_A] == 1 && a->delivered_step == 2,
          "A's handler ran %u times, at step %u (expected once, after sti: step 2)",
          a->count[V_A], a->delivered_step);
    CHECK(a->injected == 0 && a->eois == 1, "L1 injected %u, A's own EOIs %u (expected 0, 1)",
          a->injected, a->eois);

    /* The same in an interrupt shadow: IF=1 but the VMCB's int_state
     * says the guest is right after sti; 0x40 is pending at VMRUN. */
    setup_a(GM_YIELD);
    shadow_on(a);
    vmcb_w64(a->vmcb, VMCB_RFLAGS, 0x202);
    vmcb_w32(a->vmcb, VMCB_INT_STATE, 1);
    apic_self_ipi(V_DEV_A);
    printf("masked: 0x%x (DIRECT) pending at VMRUN into an interrupt shadow\n", V_DEV_A);
    run_to_vmmcall(a, true, 10);
    CHECK(a->intr_exits == 0 && a->count[V_A] == 1 && a->injected == 0 &&
          a->eois == 1,
          "after the shadow: %u exits, %u deliveries, %u injected, %u own EOIs "
          "(expected 0, 1, 0, 1)",
          a->intr_exits, a->count[V_A], a->injected, a->eois);

    /* Held with IF=0, then "sti; hlt" (HLT not intercepted): the held
     * vector wakes the guest once IF=1.  L1's timer is only a safety net
     * (an exit there is a failure). */
    setup_a(GM_MASKED_STIHLT);
    shadow_on(a);
    allow_hlt(a);
    apic_timer_oneshot(V_L1_TIMER, STARVE_TIMER_NS * 25);
    printf("masked: 0x%x (DIRECT) held with IF=0, then sti; hlt\n", V_DEV_A);
    run_to_vmmcall(a, true, 10);
    apic_write(APIC_TMICT, 0);
    CHECK(a->intr_exits == 0 && a->count[V_A] == 1 && a->delivered_step == 2 &&
          a->injected == 0 && a->eois == 1,
          "sti; hlt woke on the held vector: %u exits, %u deliveries at step %u, "
          "%u injected, %u own EOIs (expected 0, 1 at step 2, 0, 1)",
          a->intr_exits, a->count[V_A], a->delivered_step, a->injected, a->eois);
}

/*
 * Run A, set up for mode (GM_MASKED_HLT: allowed to halt) with shadowing
 * on, to its first exit, L1's own timer at timer_vec due in ns.  A host
 * so loaded that the timer beats A's first instructions makes the attempt
 * void (A at step 0): try again with a later timer, a few times.  Returns
 * the exit code, *info1 its EXITINFO1.
 */
static u64 run_a_until_timer(const char *test, enum guest_mode mode,
                             u8 timer_vec, u32 ns, u64 *info1)
{
    struct guest *a = &guest_a;
    u64 code = 0;

    for (int attempt = 0; attempt < 5; attempt++) {
        setup_a(mode);
        shadow_on(a);
        if (mode == GM_MASKED_HLT) {
            allow_hlt(a);
        }
        apic_timer_oneshot(timer_vec, ns << attempt);
        code = run_guest(a, info1);
        if (a->step != 0 || code != SVM_EXIT_INTR ||
            *info1 != (IDTS_EXITINFO_ACKED | timer_vec)) {
            break;
        }
        printf("%s: the timer came before A started; again\n", test);
        apic_eoi();
    }
    return code;
}

/*
 * A DIRECT vector the guest cannot take is held for it, out of the LAPIC,
 * so it blocks none of L1's interrupts: A raises 0x40 (DIRECT) with IF=0
 * and spins; L1's own timer at 0x30 (lower priority, in no table) must
 * exit while A still spins with IF=0, not after A's sti.  The held vector
 * goes back to L1's LAPIC at that exit and, at the next VMRUN, is held
 * again and delivered directly once A sets IF.
 */
static void test_starve(void)
{
    struct guest *a = &guest_a;
    u64 info1, code;

    if (!need_idts()) {
        return;
    }
    printf("starve: A raises 0x%x (DIRECT) with IF=0 and spins; L1's "
           "timer at 0x%x in 20 ms\n", V_DEV_A, V_L1_TIMER);
    code = run_a_until_timer("starve", GM_MASKED_SPIN, V_L1_TIMER,
                             STARVE_TIMER_NS, &info1);
    CHECK(code == SVM_EXIT_INTR && info1 == (IDTS_EXITINFO_ACKED | V_L1_TIMER),
          "first exit %llx info1 %llx (expected INTR, ACKED|0x%x: L1's timer)",
          code, info1, V_L1_TIMER);
    CHECK(a->step == 1 && a->late < MASKED_SPIN_LATE,
          "L1's timer exited while A spun with IF=0: step %u, %u of %u spins "
          "after the timer expired (expected step 1, not all)",
          a->step, a->late, MASKED_SPIN_LATE);
    CHECK(a->count[V_A] == 0, "A has not taken 0x%x yet (%u deliveries)",
          V_A, a->count[V_A]);
    CHECK(apic_irr(V_DEV_A) && !apic_isr(V_DEV_A),
          "the held 0x%x went back to L1's LAPIC: IRR %u ISR %u (expected 1, 0)",
          V_DEV_A, apic_irr(V_DEV_A), apic_isr(V_DEV_A));
    if (code == SVM_EXIT_INTR && (info1 & 0xff) == V_L1_TIMER) {
        apic_eoi();             /* acked for us; L1's own: nothing to route */
    }
    a->stop = 1;
    run_to_vmmcall(a, true, 10);
    CHECK(a->count[V_A] == 1 && a->delivered_step == 2 && a->injected == 0 &&
          a->eois == 1 && a->intr_exits == 1,
          "then: %u deliveries at 0x%x at step %u, %u injected, %u own EOIs, "
          "%u INTR exits (expected 1 at step 2, 0, 1, 1)", a->count[V_A], V_A,
          a->delivered_step, a->injected, a->eois, a->intr_exits);
    CHECK(!apic_isr(V_DEV_A) && !apic_irr(V_DEV_A),
          "LAPIC: 0x%x neither in service nor pending", V_DEV_A);
}

/*
 * For the monitor checks: A holds 0x40 (DIRECT) with IF=0 until an NMI
 * (QMP inject-nmi) comes, so that the host can see it held
 * (query-idt-shadow) and migrate it; then it is delivered directly.
 */
static void test_held(void)
{
    struct guest *a = &guest_a;

    if (!run_a(GM_HELD_NMI, 10, "held: A holds 0x%x (DIRECT) with IF=0 "
               "until an NMI\n", V_DEV_A)) {
        return;
    }
    CHECK(a->count[2] == 1, "the NMI reached A's IDT (%u)", a->count[2]);
    CHECK(a->count[V_A] == 1 && a->delivered_step == 2 && a->intr_exits == 0 &&
          a->injected == 0 && a->eois == 1,
          "the held 0x%x: %u deliveries at step %u, %u INTR exits, %u injected, "
          "%u own EOIs (expected 1 at step 2, 0, 0, 1)", V_DEV_A, a->count[V_A],
          a->delivered_step, a->intr_exits, a->injected, a->eois);
}

/*
 * A DIRECT vector held while the guest has IF=0 does not wake it from
 * HLT (HLT not intercepted here): only L1's own timer, a vector that is
 * not DIRECT, gets it out, as an exit.
 */
static void test_hlt(void)
{
    struct guest *a = &guest_a;
    u64 info1, code;

    if (!need_idts()) {
        return;
    }
    printf("hlt: A raises 0x%x (DIRECT) with IF=0, then halts\n", V_DEV_A);
    code = run_a_until_timer("hlt", GM_MASKED_HLT, V_DEV_B, REMAP_TIMER_NS,
                             &info1);
    CHECK(code == SVM_EXIT_INTR && info1 == (IDTS_EXITINFO_ACKED | V_DEV_B),
          "first exit %llx info1 %llx (expected INTR, ACKED|0x%x: L1's timer)",
          code, info1, V_DEV_B);
    CHECK(a->step == 1, "A still halted when L1's timer came: step %u "
          "(expected 1)", a->step);
    if (code == SVM_EXIT_INTR) {
        apic_eoi();             /* acked for us; nothing routes it */
    }
    run_to_vmmcall(a, true, 10);
    CHECK(a->count[V_A] == 1 && a->step == 2 && a->injected == 0,
          "after resuming: %u deliveries at 0x%x, step %u, %u injected "
          "(expected 1, 2, 0)", a->count[V_A], V_A, a->step, a->injected);
}

/* A virtual interrupt (V_IRQ) that L1 queued for the guest survives a
 * direct delivery: both reach the guest, the direct one first. */
static void test_virq(void)
{
    struct guest *a = &guest_a;

    if (!need_idts()) {
        return;
    }
    setup_a(GM_WAIT);
    a->expect_vec = V_VIRQ;
    a->n = 1;
    shadow_on(a);
    vmcb_w64(a->vmcb, VMCB_RFLAGS, 0x202);
    vmcb_w32(a->vmcb, VMCB_INT_VECTOR, V_VIRQ);
    vmcb_w32(a->vmcb, VMCB_INT_CTL, V_INTR_MASKING | (1u << 8) | (1u << 20));
    apic_self_ipi(V_DEV_A);     /* pending at VMRUN (L1 has IF=0) */
    printf("virq: V_IRQ 0x%x queued by L1 and 0x%x (DIRECT -> 0x%x) pending at VMRUN\n",
           V_VIRQ, V_DEV_A, V_A);
    run_to_vmmcall(a, true, 10);
    CHECK(a->count[V_A] == 1 && a->intr_exits == 0,
          "direct: %u deliveries at 0x%x, %u INTR exits (expected 1, 0)",
          a->count[V_A], V_A, a->intr_exits);
    CHECK(a->count[V_VIRQ] == 1, "virtual interrupt: %u deliveries at 0x%x (expected 1)",
          a->count[V_VIRQ], V_VIRQ);
    CHECK(!(vmcb_r32(a->vmcb, VMCB_INT_CTL) & (1u << 8)),
          "V_IRQ consumed (int_ctl %x)", vmcb_r32(a->vmcb, VMCB_INT_CTL));
}

/* The table is read at VMRUN: rewriting it while the guest runs (here
 * the guest itself does, as it shares L1's memory) changes nothing until
 * the next VMRUN, which then validates the new contents. */
static void test_snapshot(void)
{
    struct guest *a = &guest_a;
    u32 n = opt_n;
    u64 info1, code;

    if (!need_idts()) {
        return;
    }
    setup_a(GM_SELF_IPI);
    a->scribble = IDTS_ENTRY_RESERVED | V_A;
    shadow_on(a);
    printf("snapshot: A spoils its table entry 0x%x, then raises it %u times\n", V_DEV_A, n);
    run_to_vmmcall(a, true, 10 * n + 10);
    CHECK(a->table[V_DEV_A] == a->scribble, "the table in memory now holds %x", a->table[V_DEV_A]);
    CHECK(a->count[V_A] == n && a->intr_exits == 0,
          "still delivered direct: %u deliveries, %u INTR exits (expected %u, 0)",
          a->count[V_A], a->intr_exits, n);
    code = run_guest(a, &info1);
    CHECK(code == SVM_EXIT_ERR && info1 == (IDTS_ERR | IDTS_ERR_ENTRY),
          "next VMRUN validates it: exit %llx info1 %llx (expected ERR, %llx)",
          code, info1, IDTS_ERR | IDTS_ERR_ENTRY);

    setup_a(GM_SELF_IPI);
    shadow_on(a);
    a->scribble = 0;
    a->table[V_DEV_A] = 0;      /* no longer DIRECT: each one exits */
    a->n = 10;
    printf("snapshot: entry 0x%x cleared before VMRUN\n", V_DEV_A);
    run_to_vmmcall(a, true, 100);
    CHECK(a->count[V_A] == 10 && a->intr_exits == 10 && a->injected == 10,
          "%u deliveries, %u acked INTR exits, %u injected (expected 10, 10, 10)",
          a->count[V_A], a->intr_exits, a->injected);
}

/* Shadowing state survives migration in the middle of a VMRUN: guest A
 * raises interrupts until an NMI (QMP inject-nmi, sent by the host after
 * the migration) stops it; all of them must have gone direct. */
static void test_migrate(void)
{
    struct guest *a = &guest_a;

    if (!run_a(GM_UNTIL_NMI, 100, "IDTS-MIGRATE-READY: A raises 0x%x until "
               "an NMI comes\n", V_DEV_A)) {
        return;
    }
    CHECK(a->raised > 0 && a->count[V_A] == a->raised,
          "A's handler ran %u times for %u interrupts raised", a->count[V_A], a->raised);
    CHECK(a->intr_exits == 0, "INTR exits: %u (expected 0)", a->intr_exits);
    CHECK(a->count[2] == 1, "the NMI reached A's IDT (%u)", a->count[2]);
    print_stats("migrate", a, V_A, a->raised);
}

struct bad_case {
    const char *what;
    u32 magic, ctl;
    u64 table;          /* 0: A's good table */
    u32 entry, value;   /* entry to spoil (value != 0) */
    u64 err;            /* expected EXITINFO1; 0: the VMCB fields are ignored */
};

static bool stack_clean(struct guest *g)
{
    for (int i = 1; i <= 16; i++) {
        if (((u32 *)(g->stack + sizeof(g->stack)))[-i]) {
            return false;
        }
    }
    return true;
}

/* 4. Hostile controls and tables: VMRUN fails with a defined exit. */
static void test_bad_table(void)
{
    struct guest *a = &guest_a;
    const struct bad_case cases[] = {
        { "table not 4 KiB aligned", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE, 1, 0, 0,
          IDTS_ERR | IDTS_ERR_ALIGN },
        { "table at 0xf0000000 (beyond RAM)", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          0xf0000000u, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table on the LAPIC page 0xfee00000", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          0xfee00000u, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table just past the end of RAM", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          ram_end, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table at 64 GiB", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          0x1000000000ull, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table at 2^63", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          0x8000000000000000ull, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table in the BIOS ROM at 0xfffc0000", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE,
          0xfffc0000u, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "table in the read-only shadow of the BIOS at 0xf0000", IDTS_VMCB_MAGIC,
          IDTS_CTL_ENABLE, 0xf0000u, 0, 0, IDTS_ERR | IDTS_ERR_NOT_RAM },
        { "DIRECT entry with reserved bits", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE, 0,
          V_DEV_A, IDTS_ENTRY_DIRECT | 0x100 | V_A, IDTS_ERR | IDTS_ERR_ENTRY },
        { "non-DIRECT entry with reserved bits", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE, 0,
          0xff, 0x40000000u, IDTS_ERR | IDTS_ERR_ENTRY },
        { "unknown CTL bit", IDTS_VMCB_MAGIC, IDTS_CTL_ENABLE | 0x80000000u, 0, 0, 0,
          IDTS_ERR | IDTS_ERR_CTL },
        { "unknown CTL bit without ENABLE", IDTS_VMCB_MAGIC, 0x80000000u, 0, 0, 0,
          IDTS_ERR | IDTS_ERR_CTL },
        { "unknown CTL bit 1 without ENABLE", IDTS_VMCB_MAGIC, 0x2u, 0, 0, 0,
          IDTS_ERR | IDTS_ERR_CTL },
        /* Not enabled: no validation, classic behaviour. */
        { "no magic: CTL and table are ignored", 0x12345678u, 0xffffffffu,
          0xf0000000u, 0, 0, 0 },
        { "magic without ENABLE: table ignored", IDTS_VMCB_MAGIC, 0,
          0xf0000000u, 0, 0, 0 },
    };

    if (!need_idts()) {
        return;
    }
    for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_case *c = &cases[i];
        u64 table, info1, code;

        setup_a(GM_SELF_IPI);
        a->n = 1;
        table = c->table ? c->table : (u32)a->table;
        if (c->table == 1) {
            table = (u32)a->table + 64;
            memcpy((u8 *)a->table + 64, a->table, 64 * 4);
        }
        if (c->value) {
            a->table[c->entry] = c->value;
        }
        guest_shadow(a, c->magic, c->ctl, table);
        /* An event to inject, so that a guest entered anyway would
         * show it on its stack. */
        if (c->err) {
            vmcb_w64(a->vmcb, VMCB_RFLAGS, 0x202);
            queue_injection(a, V_A);
        }
        memset(a->stack + sizeof(a->stack) - 64, 0, 64);
        printf("bad-table: %s (magic %x ctl %x table %llx)\n", c->what, c->magic, c->ctl, table);
        if (c->err) {
            code = run_guest(a, &info1);
            CHECK(code == SVM_EXIT_ERR && info1 == c->err,
                  "VMRUN failed: exit %llx info1 %llx (expected %llx, %llx)",
                  code, info1, SVM_EXIT_ERR, c->err);
            CHECK(a->count[V_A] == 0 && !a->t_raise && stack_clean(a),
                  "the guest did not run: %u deliveries, stack %s",
                  a->count[V_A], stack_clean(a) ? "untouched" : "written");
            /* If it did run, clean up for the next case. */
            if (code == SVM_EXIT_INTR && (info1 & IDTS_EXITINFO_ACKED)) {
                apic_eoi();
            } else if (code == SVM_EXIT_INTR) {
                irq_window();
            }
        } else {
            bool ok = run_to_vmmcall(a, false, 10);
            CHECK(ok && a->count[V_A] == 1 && a->intr_exits == 1 && a->err_exits == 0,
                  "classic path: %u delivery, %u INTR exit (EXITINFO1 0), %u ERR (expected 1, 1, 0)",
                  a->count[V_A], a->intr_exits, a->err_exits);
        }
        /* The CPU is fine: a good VMRUN right after. */
        setup_a(GM_SELF_IPI);
        a->n = 1;
        shadow_on(a);
        run_to_vmmcall(a, true, 10);
        CHECK(a->count[V_A] == 1 && a->intr_exits == 0,
              "then a good VMRUN: %u direct delivery, %u INTR exits (expected 1, 0)",
              a->count[V_A], a->intr_exits);
    }
}

/* 5. NMI, exceptions and software interrupts keep their architectural
 * behaviour with shadowing on, even when the table names their vectors. */
static void test_nmi(void)
{
    struct guest *a = &guest_a;
    u32 ud_exits = 0, nmi_exits = 0, nmi_exit_step = 0, other = 0;
    bool done = false;

    if (!need_idts()) {
        return;
    }
    setup_a(GM_ARCH);
    a->table[0] = IDTS_ENTRY_DIRECT | V_A;
    a->table[2] = IDTS_ENTRY_DIRECT | V_A;
    a->table[6] = IDTS_ENTRY_DIRECT | V_A;
    a->table[0x80] = IDTS_ENTRY_DIRECT | V_A;
    shadow_on(a);
    vmcb_w32(a->vmcb, VMCB_INTERCEPT_EXC, 1u << 6);     /* #UD */
    printf("nmi: table entries 0, 2, 6, 0x80, 0x%x all DIRECT -> 0x%x\n", V_DEV_A, V_A);
    for (int i = 0; i < 20 && !done; i++) {
        u64 info1, code = run_guest(a, &info1);
        u64 icpt = vmcb_r64(a->vmcb, VMCB_INTERCEPT);

        switch (code) {
        case SVM_EXIT_EXCP_BASE + 6:
            ud_exits++;
            advance_rip(a, 2);
            break;
        case SVM_EXIT_NMI:
            nmi_exits++;
            nmi_exit_step = a->step;
            break;
        case SVM_EXIT_INTR:
            handle_acked_intr(a, info1);
            break;
        case SVM_EXIT_VMMCALL:
            advance_rip(a, 3);
            if (a->step == 4) {
                vmcb_w64(a->vmcb, VMCB_INTERCEPT, icpt | INTERCEPT_BIT(SVM_EXIT_NMI));
            } else if (a->step == 5) {
                vmcb_w64(a->vmcb, VMCB_INTERCEPT, icpt & ~INTERCEPT_BIT(SVM_EXIT_NMI));
            } else {
                done = true;
            }
            break;
        default:
            printf("FAIL: A: unexpected exit %llx (%s) info1 %llx rip %llx step %u\n",
                   code, exit_name(code), info1, vmcb_r64(a->vmcb, VMCB_RIP), a->step);
            other++;
            done = true;
        }
    }
    CHECK(done && !other && a->step == 6, "guest A completed every step (at step %u)", a->step);
    CHECK(a->count[0x80] == 1, "int $0x80 went through A's IDT at 0x80 (%u)", a->count[0x80]);
    CHECK(a->count[0] == 1, "#DE went through A's IDT at vector 0 (%u)", a->count[0]);
    CHECK(ud_exits == 1 && a->count[6] == 0, "#UD was intercepted: %u exits, %u in A's IDT (expected 1, 0)",
          ud_exits, a->count[6]);
    CHECK(a->count[2] == 1, "NMI without intercept went through A's IDT at vector 2 (%u)", a->count[2]);
    CHECK(nmi_exits == 1 && nmi_exit_step == 5, "NMI with intercept: %u NMI exits at step %u (expected 1, 5)",
          nmi_exits, nmi_exit_step);
    CHECK(l1_count[2] == 1, "the intercepted NMI was then taken by L1 (%u)", l1_count[2]);
    CHECK(a->count[V_A] == 1 && a->intr_exits == 0,
          "only the device went to 0x%x: %u deliveries, %u INTR exits (expected 1, 0)",
          V_A, a->count[V_A], a->intr_exits);
}

/* Test priority: A with its DIRECT vectors (prio_host[] -> prio_guest[]) */
static void setup_priority(enum guest_mode mode)
{
    struct guest *a = &guest_a;

    setup_a(mode);
    for (int i = 0; i < PRIO_NVEC; i++) {
        a->table[prio_host[i]] = IDTS_ENTRY_DIRECT | prio_guest[i];
        a->phys_of[prio_guest[i]] = prio_host[i];
    }
    a->isr_hook = prio_isr;
    shadow_on(a);
}

static bool prio_lapic_clean(void)
{
    for (int i = 0; i < PRIO_NVEC; i++) {
        if (apic_isr(prio_host[i]) || apic_irr(prio_host[i])) {
            return false;
        }
    }
    return true;
}

/*
 * Held DIRECT vectors follow the APIC's priority rules: one of equal or
 * lower class than the vector the guest services does not nest in its
 * handler, even with IF set there, until that handler's EOI; a higher one
 * does; the guest's V_TPR holds vectors back, held or arriving, until CR8
 * comes down, and a vector it holds back does not wake "sti; hlt";
 * without V_INTR_MASKING, the LAPIC's TPR (the guest's CR8) does the same
 * for the guest's vector.
 */
static void test_priority(void)
{
    static const u32 want_order[4] = { 0x59, 0x51, 0x71, 0x49 };
    /* bits of prio_guest[]: 0x49 0x51 0x59 0x61 0x38 0x71 */
    static const u32 want_snap[PRIO_NSNAP] = { 0x08, 0x08, 0x0e, 0x0f, 0x1f };
    static const char *const snap_what[PRIO_NSNAP] = {
        "CR8 5, after sti: only 0x61 (0x51, 0x49, 0x38 held)",
        "0x58 arrives with IF=1: held (class 5, CR8 5)",
        "CR8 4: 0x59 and 0x51 at once",
        "CR8 3: 0x49 at once; 0x38 (host 0x68, class 6) still held",
        "CR8 0: 0x38 at once",
    };
    struct guest *a = &guest_a;
    bool order_ok;
    u32 a_, b_, c_, d_;
    u64 info1, code = 0;

    if (!need_idts()) {
        return;
    }
    cpuid(0x80000001, 0, &a_, &b_, &c_, &d_);
    if (!(c_ & (1u << 4))) {
        printf("FAIL: CPUID 0x80000001 ECX.AltMovCr8 clear: this test needs "
               "-cpu ...,cr8legacy=on (CR8 from 32-bit code)\n");
        failures++;
        return;
    }

    setup_priority(GM_PRIORITY);
    printf("priority: A holds 0x48 (class 4), 0x50 and 0x58 (class 5) with "
           "IF=0, then sti; each handler sets IF before its EOI\n");
    run_to_vmmcall(a, true, 10);
    CHECK(a->timeouts == 0, "A's waits all ended (%u ran out)", a->timeouts);
    CHECK(a->bad_nest == 0, "no vector nested in the handler of an equal or "
          "higher class before its EOI: %u did (first 0x%x in 0x%x)",
          a->bad_nest, a->bad_pair & 0xff, a->bad_pair >> 8);
    order_ok = a->n_order >= 4;
    for (int i = 0; i < 4 && order_ok; i++) {
        order_ok = a->order[i] == want_order[i];
    }
    CHECK(order_ok, "deliveries in priority order: %x %x %x %x (expected "
          "59 51 71 49)", a->order[0], a->order[1], a->order[2], a->order[3]);
    CHECK(a->good_nest == 1, "0x71 (held while 0x51's handler had IF=0) "
          "nested in it before its EOI: %u higher nestings (expected 1)",
          a->good_nest);
    CHECK(a->after_eoi == 2, "0x51 and 0x49 came at the EOI that let them "
          "through, in the handler's window: %u (expected 2)", a->after_eoi);
    for (int i = 0; i < PRIO_NSNAP; i++) {
        CHECK(a->snap[i] == want_snap[i], "%s: delivered 0x%02x "
              "(expected 0x%02x)", snap_what[i], a->snap[i], want_snap[i]);
    }
    CHECK(a->intr_exits == 0 && a->injected == 0 && a->eois == 9,
          "%u INTR exits, %u injected, %u own EOIs (expected 0, 0, 9)",
          a->intr_exits, a->injected, a->eois);
    CHECK(prio_lapic_clean(), "LAPIC: none of A's vectors in service or "
          "pending");

    /* "sti; hlt" with CR8 5 and 0x50 held: stays halted until L1's timer */
    printf("priority: A holds 0x50 with CR8 5, then sti; hlt\n");
    for (int attempt = 0; attempt < 5; attempt++) {
        setup_priority(GM_PRIO_HLT);
        allow_hlt(a);
        apic_timer_oneshot(V_L1_TIMER, STARVE_TIMER_NS << attempt);
        code = run_guest(a, &info1);
        if (a->step != 0 || code != SVM_EXIT_INTR ||
            info1 != (IDTS_EXITINFO_ACKED | V_L1_TIMER)) {
            break;
        }
        printf("priority: the timer came before A started; again\n");
        apic_eoi();
    }
    apic_write(APIC_TMICT, 0);
    CHECK(code == SVM_EXIT_INTR && info1 == (IDTS_EXITINFO_ACKED | V_L1_TIMER)
          && a->step == 1 && a->count[0x51] == 0,
          "first exit %llx info1 %llx at step %u, %u deliveries of 0x51 "
          "(expected INTR, ACKED|0x%x: L1's timer, while halted: step 1, 0)",
          code, info1, a->step, a->count[0x51], V_L1_TIMER);
    CHECK(apic_irr(0x50) && !apic_isr(0x50), "the held 0x50 went back to "
          "L1's LAPIC: IRR %u ISR %u (expected 1, 0)", apic_irr(0x50),
          apic_isr(0x50));
    if (code == SVM_EXIT_INTR && info1 == (IDTS_EXITINFO_ACKED | V_L1_TIMER)) {
        apic_eoi();
    }
    run_to_vmmcall(a, true, 10);
    CHECK(a->snap[0] == 0x02 && a->count[0x51] == 1 && a->timeouts == 0,
          "held again and delivered at CR8 0: delivered 0x%02x, 0x51 %u "
          "times (expected 0x02, 1)", a->snap[0], a->count[0x51]);
    CHECK(prio_lapic_clean(), "LAPIC: none of A's vectors in service or "
          "pending");

    /* Without V_INTR_MASKING the guest's CR8 is the LAPIC's TPR. */
    setup_priority(GM_PRIO_TPR);
    vmcb_w32(a->vmcb, VMCB_INT_CTL, 0);
    printf("priority: no V_INTR_MASKING, CR8 5 (the LAPIC's TPR): 0x68 -> "
           "0x38 and 0x60 -> 0x61 arrive with IF=1\n");
    run_to_vmmcall(a, true, 10);
    CHECK(a->snap[0] == 0x08 && a->snap[1] == 0x18 && a->timeouts == 0,
          "0x61 at once, 0x38 (class 3) held until CR8 0: delivered 0x%02x "
          "then 0x%02x (expected 0x08, 0x18)", a->snap[0], a->snap[1]);
    CHECK(a->intr_exits == 0 && (apic_read(APIC_TPR) & 0xff) == 0,
          "%u INTR exits, LAPIC TPR 0x%x after the guest's CR8 0 "
          "(expected 0, 0)", a->intr_exits, apic_read(APIC_TPR) & 0xff);
    CHECK(prio_lapic_clean(), "LAPIC: none of A's vectors in service or "
          "pending");
}

static void test_cpuid(void)
{
    /* The check is kmain's idts= option. */
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    { "direct", test_direct },
    { "remap", test_remap },
    { "masked", test_masked },
    { "hlt", test_hlt },
    { "starve", test_starve },
    { "held", test_held },
    { "virq", test_virq },
    { "snapshot", test_snapshot },
    { "migrate", test_migrate },
    { "baseline", test_baseline },
    { "bad-table", test_bad_table },
    { "nmi", test_nmi },
    { "priority", test_priority },
    { "cpuid", test_cpuid },
    AVIC_TESTS
    MEMMAP_TESTS
    GIM_BENCH_TESTS
    MSIBENCH_TESTS
};

static const char *next_word(const char *s, char *buf, u32 size)
{
    u32 n = 0;

    while (*s == ' ') {
        s++;
    }
    while (*s && *s != ' ') {
        if (n + 1 < size) {
            buf[n++] = *s;
        }
        s++;
    }
    buf[n] = 0;
    return s;
}

static u32 parse_u32(const char *s)
{
    u32 v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
    }
    return v;
}

void kmain(u32 magic, u32 *mbi);

void kmain(u32 magic, u32 *mbi)
{
    const char *cmdline = "", *p;
    char test[32], word[32];
    struct dtr d;
    bool idts;

    serial_init();
    puts("\nirqhint SVM test kernel\n");
    if (magic != 0x2badb002) {
        printf("IDTS-RESULT: FAIL not booted by a multiboot loader (eax %x)\n", magic);
        exit_qemu(0x11);
    }
    if (mbi[0] & (1u << 2)) {
        cmdline = (const char *)mbi[4];
    }
    if (mbi[0] & 1) {
        /* mem_upper stops below the BIOS's tables at the top of RAM;
         * QEMU's RAM sizes are whole MiB. */
        ram_end = (((u64)mbi[2] + 1024) * 1024 + 0xfffff) & ~0xfffffull;
    }
    /* QEMU passes "<kernel file> <-append>". */
    p = next_word(cmdline, word, sizeof(word));
    p = next_word(p, test, sizeof(test));
    while (*p) {
        p = next_word(p, word, sizeof(word));
        if (!strncmp(word, "n=", 2)) {
            opt_n = parse_u32(word + 2);
        } else if (!strcmp(word, "idts=0")) {
            opt_idts = 0;
        } else if (!strcmp(word, "idts=1")) {
            opt_idts = 1;
        } else if (!strcmp(word, "magic")) {
            opt_magic = true;
        } else if (!strcmp(word, "halt")) {
            opt_halt = true;
        } else if (!strcmp(word, "avic=0")) {
            opt_avic = 0;
        } else if (!strcmp(word, "avic=1")) {
            opt_avic = 1;
        }
    }
    printf("test %s, n=%u, RAM ends at %x\n", test, opt_n, (u32)ram_end);

    idt_fill(l1_idt);
    d.limit = sizeof(l1_idt) - 1;
    d.base = (u32)l1_idt;
    lidt(&d);
    apic_init();
    svm_enable();
    reset_world();

    idts = idts_cpuid();
    if (opt_idts >= 0) {
        CHECK(idts == opt_idts, "CPUID 0x40000001 EAX bit 0 is %u (expected %u)", idts, opt_idts);
    }
    if (opt_idts == 1 && !idts) {
        printf("IDTS-RESULT: FAIL IDT shadowing not advertised in CPUID\n");
        exit_qemu(0x11);
    }

    for (u32 i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (!strcmp(test, tests[i].name)) {
            tests[i].fn();
            if (failures) {
                printf("IDTS-RESULT: FAIL %s: %u checks failed\n", test, failures);
                exit_qemu(0x11);
            }
            printf("IDTS-RESULT: PASS %s\n", test);
            if (opt_halt) {
                for (;;) {
                    asm volatile("cli; hlt");
                }
            }
            exit_qemu(0x10);
        }
    }
    printf("IDTS-RESULT: FAIL unknown test \"%s\"\n", test);
    exit_qemu(0x11);
}
