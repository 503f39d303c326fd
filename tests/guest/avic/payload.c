/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 guest of the AVIC VMM test: flat 64-bit code, identity-mapped,
 * the xAPIC by MMIO at 0xfee00000.  Every vCPU enters payload_main(cpu);
 * struct shared (shared.h) is how it talks to the VMM.  Each payload
 * counts every interrupt per vCPU and vector (the VMM checks the counts
 * afterwards: each interrupt exactly once, right vector, right vCPU) and
 * checks what it can on the way (order, TPR/PPR/ISR/IRR).
 *
 * Spin loops never use PAUSE (a hypervisor may intercept it) and touch
 * nothing but guest RAM, so a vCPU that waits costs no #VMEXIT.
 */
#include "shared.h"

#define SH ((struct shared *)(uintptr_t)SHARED_GPA)

/* xAPIC registers */
#define APIC_ID     0x20
#define APIC_TPR    0x80
#define APIC_PPR    0xa0
#define APIC_EOI    0xb0
#define APIC_SVR    0xf0
#define APIC_ISR    0x100
#define APIC_IRR    0x200
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVTT   0x320
#define APIC_LVT0   0x350
#define APIC_TMICT  0x380
#define APIC_TMCCT  0x390
#define APIC_TDCR   0x3e0

#define ICR_SELF    (1u << 18)  /* destination shorthand: self */
#define LVT_MASKED  (1u << 16)
#define LVTT_PERIODIC (1u << 17)

typedef __builtin_va_list va_list;
#define va_start __builtin_va_start
#define va_arg __builtin_va_arg
#define va_end __builtin_va_end

static inline uint32_t apic_read(uint32_t off)
{
    return *(volatile uint32_t *)(uintptr_t)(APIC_GPA + off);
}

static inline void apic_write(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(APIC_GPA + off) = v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void sti(void) { asm volatile("sti" : : : "memory"); }
static inline void cli(void) { asm volatile("cli" : : : "memory"); }
/* sti's interrupt shadow covers the hlt: an interrupt that arrives
 * between them wakes the hlt rather than being taken before it. */
static inline void sti_hlt(void) { asm volatile("sti; hlt" : : : "memory"); }

/* The vCPU we run on, from the stack we run on (no MMIO, no exit). */
static inline int this_cpu(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

    return (int)((sp - (STACK_GPA(0) - 0x10000u) - 1) / 0x10000u);
}

static void delay(uint32_t loops)
{
    for (volatile uint32_t i = 0; i < loops; i++) {
    }
}

/* --- failure report ------------------------------------------------ */

static char *put_str(char *p, char *end, const char *s)
{
    while (*s && p < end) {
        *p++ = *s++;
    }
    return p;
}

static char *put_num(char *p, char *end, uint64_t v, unsigned base)
{
    char tmp[24];
    int n = 0;

    if (base == 16) {
        p = put_str(p, end, "0x");
    }
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n && p < end) {
        *p++ = tmp[--n];
    }
    return p;
}

static void vformat(char *buf, int size, const char *fmt, va_list ap)
{
    char *p = buf, *end = buf + size - 1;

    for (; *fmt && p < end; fmt++) {
        if (*fmt != '%') {
            *p++ = *fmt;
            continue;
        }
        switch (*++fmt) {
        case 'u': p = put_num(p, end, va_arg(ap, uint32_t), 10); break;
        case 'x': p = put_num(p, end, va_arg(ap, uint32_t), 16); break;
        case 'U': p = put_num(p, end, va_arg(ap, uint64_t), 10); break;
        case 'X': p = put_num(p, end, va_arg(ap, uint64_t), 16); break;
        case 's': p = put_str(p, end, va_arg(ap, const char *)); break;
        default: *p++ = *fmt; break;
        }
    }
    *p = 0;
}

/* The vCPU stops here: the first failure's message goes to SH->msg. */
static void __attribute__((noreturn)) fail(int cpu, uint32_t code,
                                           const char *fmt, ...)
{
    uint32_t zero = 0;

    cli();
    if (__atomic_compare_exchange_n(&SH->failed, &zero, (uint32_t)cpu + 1,
                                    0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        va_list ap;

        SH->msg[0] = 'v';
        SH->msg[1] = 'C';
        SH->msg[2] = 'P';
        SH->msg[3] = 'U';
        SH->msg[4] = (char)('0' + cpu);
        SH->msg[5] = ':';
        SH->msg[6] = ' ';
        va_start(ap, fmt);
        vformat(SH->msg + 7, sizeof(SH->msg) - 7, fmt, ap);
        va_end(ap);
    }
    for (;;) {
        outl(PORT_DONE, code);
        asm volatile("hlt");
    }
}

#define CHECK(cpu, cond, ...) do {                          \
        if (!(cond)) {                                      \
            fail(cpu, ERR_CHECK, __VA_ARGS__);              \
        }                                                   \
    } while (0)

#define SPIN_UNTIL(cpu, cond) do {                          \
        while (!(cond)) {                                   \
            if (SH->abort) {                                \
                fail(cpu, ERR_ABORT, "aborted by the VMM at line %u", \
                     (uint32_t)__LINE__);                   \
            }                                               \
        }                                                   \
    } while (0)

/* --- IDT and interrupts ------------------------------------------- */

extern char isr_stubs[];

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static void fill_idt(void)
{
    struct idt_gate *idt = (struct idt_gate *)(uintptr_t)IDT_GPA;

    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)isr_stubs + 16u * v;

        idt[v].off_lo = (uint16_t)a;
        idt[v].sel = 8;
        idt[v].ist = 0;
        idt[v].type = 0x8e;     /* present, DPL 0, 64-bit interrupt gate */
        idt[v].off_mid = (uint16_t)(a >> 16);
        idt[v].off_hi = (uint32_t)(a >> 32);
        idt[v].zero = 0;
    }
}

/* A payload's hook for its vectors: runs in the handler (IF=0) after the
 * count; returns nonzero for an EOI afterwards. */
typedef int (*hook_fn)(int cpu, uint32_t vec);
static hook_fn hook;

struct frame {
    uint64_t error, rip, cs, rflags, rsp, ss;
};

void c_interrupt(uint64_t vec, struct frame *f);
void c_interrupt(uint64_t vec, struct frame *f)
{
    int cpu = this_cpu();
    struct vcpu_shared *c = &SH->cpu[cpu];
    uint32_t n;

    if (vec < 32) {
        c->exc_vector = (uint32_t)vec;
        c->exc_rip = f->rip;
        c->exc_error = f->error;
        fail(cpu, ERR_EXCEPTION, "exception %u at rip %X error %X",
             (uint32_t)vec, f->rip, f->error);
    }
    c->count[vec]++;
    n = c->norder;
    if (n < ORDER_MAX) {
        c->order[n] = (uint32_t)vec;
        c->norder = n + 1;
    }
    if (vec == V_SPURIOUS) {
        return;                 /* no EOI for the spurious vector */
    }
    if (hook && !hook(cpu, (uint32_t)vec)) {
        return;
    }
    apic_write(APIC_EOI, 0);
}

static void send_ipi(uint32_t dest, uint32_t vec)
{
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, vec);       /* fixed, physical, edge */
}

static void send_self(uint32_t vec)
{
    apic_write(APIC_ICR_LO, ICR_SELF | vec);
}

static int reg_bit(uint32_t base, uint32_t vec)
{
    return (apic_read(base + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

static void count_sent(void)
{
    __atomic_fetch_add(&SH->sent, 1, __ATOMIC_SEQ_CST);
}

/* Barriers around the measured part (the VMM reads QEMU's counters at
 * each: see avic-vmm.c). */
static void sync_ready(int cpu)
{
    SH->cpu[cpu].ready = 1;
    SPIN_UNTIL(cpu, SH->go);
}

static void sync_done(int cpu)
{
    SH->cpu[cpu].done = 1;
    SPIN_UNTIL(cpu, SH->release);
}

/* A vCPU the payload does not use: halted with IF=1; any interrupt it
 * gets is counted (and is a failure).  The VMM kicks it out at the end. */
static void spectator(int cpu)
{
    sti();
    SH->cpu[cpu].ready = 1;
    for (;;) {
        asm volatile("hlt" : : : "memory");
    }
}

/* --- self-IPI ------------------------------------------------------- */

static void p_self_ipi(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uint32_t vec = V_SELF0 + cpu;

    if (cpu > 1) {
        spectator(cpu);
    }
    sti();
    sync_ready(cpu);
    for (uint32_t i = 1; i <= SH->n; i++) {
        if (i & 1) {
            send_self(vec);
        } else {
            send_ipi(me->apic_id, vec);
        }
        count_sent();
        SPIN_UNTIL(cpu, me->count[vec] >= i);
        CHECK(cpu, me->count[vec] == i, "self-IPI %u: vector %x delivered %u times",
              i, vec, me->count[vec] - i + 1);
    }
    sync_done(cpu);
}

/* Wait for cond halted in the guest (HLT exits disabled by the VMM):
 * cli; test; sti; hlt, so that an interrupt after the test still wakes. */
#define HALT_UNTIL(cpu, cond) do {                          \
        for (;;) {                                          \
            cli();                                          \
            if ((cond) || SH->abort) {                      \
                break;                                      \
            }                                               \
            asm volatile("sti; hlt" : : : "memory");        \
        }                                                   \
        sti();                                              \
        SPIN_UNTIL(cpu, cond);                              \
    } while (0)

#define WAIT_UNTIL(cpu, halt, cond) do {                    \
        if (halt) {                                         \
            HALT_UNTIL(cpu, cond);                          \
        } else {                                            \
            SPIN_UNTIL(cpu, cond);                          \
        }                                                   \
    } while (0)

/* --- ping-pong between two running vCPUs ---------------------------- */

/* One send-to-handler latency (TSC ticks) into min/avg/max. */
static void record_latency(struct vcpu_shared *me, int64_t dt)
{
    me->t_ipi_sum += dt;
    if (me->t_ipi_n++ == 0 || dt < me->t_ipi_min) {
        me->t_ipi_min = dt;
    }
    if (dt > me->t_ipi_max) {
        me->t_ipi_max = dt;
    }
}

static int pp_hook(int cpu, uint32_t vec)
{
    if (vec == V_PING || vec == V_PONG) {
        struct vcpu_shared *me = &SH->cpu[cpu];
        /* Signed: the vCPUs' TSCs may be a little apart (not under
         * -icount, where both count the same instructions). */
        record_latency(me, (int64_t)(rdtsc() - SH->cpu[!cpu].t_send));
    }
    return 1;
}

/*
 * @halt: the waiting vCPU halts in the guest (the VMM turned HLT exits off)
 * instead of spinning.
 */
static void p_ping_pong(int cpu, int halt)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    struct vcpu_shared *peer = &SH->cpu[!cpu];
    uint32_t n = SH->n;

    if (cpu > 1) {
        spectator(cpu);
    }
    hook = pp_hook;
    sti();
    /* Warm-up (not measured): fault in whatever is faulted in lazily. */
    for (uint32_t i = 1; i <= PP_WARMUP; i++) {
        if (cpu == 0) {
            send_ipi(peer->apic_id, V_WARM_PING);
            SPIN_UNTIL(cpu, me->count[V_WARM_PONG] >= i);
        } else {
            SPIN_UNTIL(cpu, me->count[V_WARM_PING] >= i);
            send_ipi(peer->apic_id, V_WARM_PONG);
        }
    }
    sync_ready(cpu);
    if (cpu == 0) {
        SH->t_begin = rdtsc();
        for (uint32_t i = 1; i <= n; i++) {
            me->t_send = rdtsc();
            send_ipi(peer->apic_id, V_PING);
            count_sent();
            WAIT_UNTIL(cpu, halt, me->count[V_PONG] >= i);
            CHECK(cpu, me->count[V_PONG] == i, "round trip %u: %u pongs", i,
                  me->count[V_PONG]);
        }
        SH->t_end = rdtsc();
    } else {
        for (uint32_t i = 1; i <= n; i++) {
            WAIT_UNTIL(cpu, halt, me->count[V_PING] >= i);
            CHECK(cpu, me->count[V_PING] == i, "round trip %u: %u pings", i,
                  me->count[V_PING]);
            me->t_send = rdtsc();
            send_ipi(peer->apic_id, V_PONG);
            count_sent();
        }
    }
    sync_done(cpu);
}

/* --- IPI to a halted vCPU ------------------------------------------- */

static void halt_until(struct vcpu_shared *me, uint32_t vec, uint32_t i)
{
    cli();
    me->seq = i;
    while (me->count[vec] < i) {
        sti_hlt();
        cli();
    }
    sti();
}

static void p_ipi_halted(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    struct vcpu_shared *target = &SH->cpu[1];
    uint32_t n = SH->n;

    if (cpu > 1) {
        spectator(cpu);
    }
    sti();
    sync_ready(cpu);
    for (uint32_t i = 1; i <= n; i++) {
        if (cpu == 1) {
            halt_until(me, V_HALTED, i);
            CHECK(cpu, me->count[V_HALTED] == i, "wake-up %u: %u IPIs", i,
                  me->count[V_HALTED]);
            continue;
        }
        SPIN_UNTIL(cpu, target->seq == i);
        if (SH->flags & FLAG_HALT_CONFIRM) {
            SPIN_UNTIL(cpu, SH->halted_seq == i);
        } else {
            delay(200000);
        }
        send_ipi(target->apic_id, V_HALTED);
        count_sent();
        SPIN_UNTIL(cpu, target->count[V_HALTED] >= i);
    }
    sync_done(cpu);
}

/* --- LAPIC timer ---------------------------------------------------- */

static int timer_hook(int cpu, uint32_t vec)
{
    struct vcpu_shared *me = &SH->cpu[cpu];

    if ((vec == V_TIMER_PERIOD0 || vec == V_TIMER_PERIOD1) &&
        me->count[vec] == TIMER_TICKS) {
        apic_write(APIC_TMICT, 0);      /* stops the timer */
        apic_write(APIC_LVTT, LVT_MASKED | vec);
        /* A tick that fired again before the stop is legitimately
         * pending (periodic ticks coalesce in IRR): one more. */
        me->seq = reg_bit(APIC_IRR, vec);
    }
    return 1;
}

static void wait_ticks(int cpu, uint64_t ticks)
{
    uint64_t t = rdtsc();

    while (rdtsc() - t < ticks) {
        if (SH->abort) {
            fail(cpu, ERR_ABORT, "aborted by the VMM (timer)");
        }
    }
}

static void periodic(int cpu, uint32_t vec)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uint64_t t0, dt;

    apic_write(APIC_TDCR, 0xb);                 /* divide by 1 */
    apic_write(APIC_LVTT, LVTT_PERIODIC | vec);
    t0 = rdtsc();
    apic_write(APIC_TMICT, TIMER_PERIOD_NS);
    SPIN_UNTIL(cpu, me->count[vec] >= TIMER_TICKS);
    dt = rdtsc() - t0;
    for (int k = 0; k < TIMER_TICKS; k++) {
        count_sent();
    }
    /* Three more periods: no tick after the stop (one at most that was
     * pending when it stopped). */
    wait_ticks(cpu, 3 * dt / TIMER_TICKS);
    CHECK(cpu, me->count[vec] == TIMER_TICKS + me->seq,
          "periodic vector %x: %u ticks after stopping at %u (+%u pending)",
          vec, me->count[vec], TIMER_TICKS, me->seq);
    if (me->seq) {
        count_sent();
    }
}

static void p_timer(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];

    if (cpu > 1) {
        spectator(cpu);
    }
    hook = timer_hook;
    sti();
    sync_ready(cpu);
    if (cpu == 0) {
        apic_write(APIC_TDCR, 0xb);
        for (uint32_t i = 1; i <= TIMER_ONESHOTS; i++) {
            uint64_t t0, dt;

            apic_write(APIC_LVTT, V_TIMER_ONESHOT);     /* one-shot */
            t0 = rdtsc();
            apic_write(APIC_TMICT, TIMER_ONESHOT_NS);
            SPIN_UNTIL(cpu, me->count[V_TIMER_ONESHOT] >= i);
            dt = rdtsc() - t0;
            count_sent();
            wait_ticks(cpu, 2 * dt);
            CHECK(cpu, me->count[V_TIMER_ONESHOT] == i,
                  "one-shot %u: %u expiries", i, me->count[V_TIMER_ONESHOT]);
            CHECK(cpu, apic_read(APIC_TMCCT) == 0,
                  "one-shot %u: TMCCT %u after expiry", i, apic_read(APIC_TMCCT));
        }
        periodic(cpu, V_TIMER_PERIOD0);
    } else {
        periodic(cpu, V_TIMER_PERIOD1);
    }
    sync_done(cpu);
}

/* --- TPR, PPR, ISR and EOI order ------------------------------------ */

#define NEG_DELAY 100000        /* loops to wait for what must not come */

static int tpr_hook(int cpu, uint32_t vec)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uint32_t r = me->seq;       /* the round */

    switch (vec) {
    case 0x80:
        /* 0x60 and 0x40 are pending below PPR 0x80: IF=1 must not
         * deliver them before our EOI. */
        CHECK(cpu, reg_bit(APIC_ISR, 0x80), "round %u: ISR 0x80 clear in its handler", r);
        CHECK(cpu, (apic_read(APIC_PPR) & 0xf0) == 0x80, "round %u: PPR %x in 0x80's handler",
              r, apic_read(APIC_PPR));
        sti();
        delay(NEG_DELAY);
        cli();
        CHECK(cpu, me->count[0x60] == r - 1 && me->count[0x40] == r - 1,
              "round %u: 0x60/0x40 delivered during 0x80's service", r);
        return 1;
    case 0x60:
        /* A higher vector nests at once; a lower one waits for our EOI. */
        sti();
        send_self(0x90);
        count_sent();
        SPIN_UNTIL(cpu, me->count[0x90] >= r);
        cli();
        CHECK(cpu, !reg_bit(APIC_ISR, 0x90) && reg_bit(APIC_ISR, 0x60),
              "round %u: after the nested 0x90's EOI: ISR 0x90=%u 0x60=%u (EOI must clear "
              "the highest)", r, reg_bit(APIC_ISR, 0x90), reg_bit(APIC_ISR, 0x60));
        send_self(0x50);
        count_sent();
        sti();
        delay(NEG_DELAY);
        cli();
        CHECK(cpu, me->count[0x50] == r - 1, "round %u: 0x50 delivered during 0x60's service", r);
        CHECK(cpu, reg_bit(APIC_IRR, 0x50), "round %u: 0x50 not pending in IRR", r);
        return 1;
    case 0x90:
        CHECK(cpu, reg_bit(APIC_ISR, 0x90) && reg_bit(APIC_ISR, 0x60),
              "round %u: nested 0x90: ISR 0x90=%u 0x60=%u", r,
              reg_bit(APIC_ISR, 0x90), reg_bit(APIC_ISR, 0x60));
        return 1;
    }
    return 1;
}

static const uint32_t tpr_order[] = { 0x65, 0x55, 0x80, 0x60, 0x90, 0x50, 0x40 };

static void p_tpr(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uint32_t n = SH->n;

    if (cpu > 0) {
        spectator(cpu);
    }
    hook = tpr_hook;
    sti();
    sync_ready(cpu);
    for (uint32_t r = 1; r <= n; r++) {
        uint32_t base = me->norder;

        me->seq = r;
        /* TPR 0x50 masks class 5, not class 6. */
        apic_write(APIC_TPR, 0x50);
        send_self(0x55);
        count_sent();
        delay(NEG_DELAY);
        CHECK(cpu, me->count[0x55] == r - 1, "round %u: 0x55 delivered with TPR 0x50", r);
        CHECK(cpu, reg_bit(APIC_IRR, 0x55), "round %u: 0x55 not pending in IRR", r);
        CHECK(cpu, (apic_read(APIC_PPR) & 0xf0) == 0x50, "round %u: PPR %x with TPR 0x50", r,
              apic_read(APIC_PPR));
        send_self(0x65);
        count_sent();
        SPIN_UNTIL(cpu, me->count[0x65] >= r);
        CHECK(cpu, me->count[0x55] == r - 1, "round %u: 0x55 delivered with TPR 0x50", r);
        /* Lowering TPR delivers it. */
        apic_write(APIC_TPR, 0x40);
        SPIN_UNTIL(cpu, me->count[0x55] >= r);
        apic_write(APIC_TPR, 0);

        /* Three pending at once with IF=0, taken by priority; nesting
         * and EOI order in tpr_hook. */
        cli();
        send_self(0x40);
        send_self(0x80);
        send_self(0x60);
        count_sent();
        count_sent();
        count_sent();
        CHECK(cpu, reg_bit(APIC_IRR, 0x40) && reg_bit(APIC_IRR, 0x60) && reg_bit(APIC_IRR, 0x80),
              "round %u: IRR 0x40=%u 0x60=%u 0x80=%u with IF=0", r, reg_bit(APIC_IRR, 0x40),
              reg_bit(APIC_IRR, 0x60), reg_bit(APIC_IRR, 0x80));
        sti();
        SPIN_UNTIL(cpu, me->count[0x40] >= r);
        for (uint32_t k = 0; k < 8; k++) {
            CHECK(cpu, apic_read(APIC_ISR + 0x10 * k) == 0, "round %u: ISR[%u] = %x at the end",
                  r, k, apic_read(APIC_ISR + 0x10 * k));
            CHECK(cpu, apic_read(APIC_IRR + 0x10 * k) == 0, "round %u: IRR[%u] = %x at the end",
                  r, k, apic_read(APIC_IRR + 0x10 * k));
        }
        CHECK(cpu, apic_read(APIC_PPR) == 0, "round %u: PPR %x at the end", r,
              apic_read(APIC_PPR));
        if (base + 7 <= ORDER_MAX) {
            for (uint32_t k = 0; k < 7; k++) {
                CHECK(cpu, me->order[base + k] == tpr_order[k],
                      "round %u: delivery %u was %x, expected %x", r, k,
                      me->order[base + k], tpr_order[k]);
            }
        }
    }
    sync_done(cpu);
}

/* --- KVM_SIGNAL_MSI (driven by the VMM) ----------------------------- */

static void p_msi(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];

    if (cpu > 1) {
        spectator(cpu);
    }
    sti();
    sync_ready(cpu);
    if (cpu == 0) {
        SPIN_UNTIL(cpu, SH->vmm_done);      /* running, IF=1 */
    } else {
        for (uint32_t i = 1; i <= SH->n; i++) {
            halt_until(me, V_MSI_HALT, i);
            CHECK(cpu, me->count[V_MSI_HALT] == i, "MSI %u to the halted vCPU: %u deliveries",
                  i, me->count[V_MSI_HALT]);
        }
    }
    sync_done(cpu);
}

/* --- a device's interrupt, raised by the guest itself (--vfio) ------ */

static int dev_hook(int cpu, uint32_t vec)
{
    struct vcpu_shared *me = &SH->cpu[cpu];

    if (vec == V_DEV && me->count[V_DEV] > DEV_WARMUP) {
        record_latency(me, (int64_t)(rdtsc() - me->t_send));
    }
    return 1;
}

static inline void dev_write(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(DEV_GPA + off) = v;
}

/*
 * vCPU 0 writes the assigned device's "raise interrupt" register (edu's
 * BAR0 + 0x60, mapped into the guest by the VMM) N times; the device's MSI
 * is routed to vCPU 0 itself (vector V_DEV).  Under the IOMMU's guest mode
 * it is posted into our vAPIC page with no exit to L1; remapped, L1 gets
 * it and KVM injects it.  TSC from just before the write to the handler.
 * @halt: wait halted in the guest (HLT exits off) instead of spinning.
 */
static void p_dev_irq(int cpu, int halt)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uint32_t id, n = SH->n;

    if (cpu > 0) {
        spectator(cpu);
    }
    CHECK(cpu, SH->flags & FLAG_DEV_MAPPED, "the device's BAR0 is not mapped (--vfio)");
    id = *(volatile uint32_t *)(uintptr_t)DEV_GPA;
    CHECK(cpu, (id & 0xff) == 0xed, "the device's ID register reads %X, not edu's", id);
    hook = dev_hook;
    sti();
    /* Warm-up (not measured): the mapping, the route, KVM's bypass. */
    for (uint32_t i = 1; i <= DEV_WARMUP; i++) {
        dev_write(0x60, 1);
        WAIT_UNTIL(cpu, halt, me->count[V_DEV] >= i);
        dev_write(0x64, 1);
    }
    sync_ready(cpu);
    SH->t_begin = rdtsc();
    for (uint32_t i = 1; i <= n; i++) {
        me->t_send = rdtsc();
        dev_write(0x60, 1);
        count_sent();
        WAIT_UNTIL(cpu, halt, me->count[V_DEV] >= i + DEV_WARMUP);
        CHECK(cpu, me->count[V_DEV] == i + DEV_WARMUP, "device interrupt %u: %u deliveries",
              i, me->count[V_DEV] - DEV_WARMUP);
        dev_write(0x64, 1);
    }
    SH->t_end = rdtsc();
    sync_done(cpu);
}

extern char _data_start[], _payload_end[];
void payload_main(int cpu);
void payload_main(int cpu)
{
    struct vcpu_shared *me = &SH->cpu[cpu];
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

    /* Fault in (L1's nested page tables are built on demand: an #NPF
     * exit per first touch) what a measured part may reach first, e.g.
     * in its first interrupt handler: our whole stack (IF=0: nothing
     * lives below us yet), and, once, the code, the data and bss (a
     * locked OR of 0: written, value kept), the GDT and the shared page. */
    for (uintptr_t a = (sp & ~(uintptr_t)0xfff) - 0x1000;
         a >= STACK_GPA(cpu) - 0x10000u; a -= 0x1000) {
        *(volatile uint64_t *)a = 0;
    }
    if (cpu == 0) {
        for (uintptr_t a = PAYLOAD_GPA; a < (uintptr_t)_data_start; a += 0x1000) {
            (void)*(volatile uint8_t *)a;
        }
        for (uintptr_t a = (uintptr_t)_data_start & ~(uintptr_t)0xfff;
             a < (uintptr_t)_payload_end; a += 0x1000) {
            __atomic_fetch_or((uint32_t *)(a < (uintptr_t)_data_start ?
                                           (uintptr_t)_data_start : a), 0,
                              __ATOMIC_SEQ_CST);
        }
        /* The GDT: interrupt delivery reads the handler's CS descriptor. */
        (void)*(volatile uint64_t *)(uintptr_t)(GDT_GPA + 8);
        for (uintptr_t a = SHARED_GPA; a < SHARED_GPA + sizeof(struct shared); a += 0x1000) {
            __atomic_fetch_or((uint32_t *)a, 0, __ATOMIC_SEQ_CST);
        }
        fill_idt();
        __atomic_store_n(&SH->idt_ready, 1, __ATOMIC_SEQ_CST);
    } else {
        SPIN_UNTIL(cpu, SH->idt_ready);
    }
    /* APIC software-enabled, spurious vector 0xff; the BSP's LINT0
     * (ExtINT after reset) masked. */
    apic_write(APIC_SVR, 0x100 | V_SPURIOUS);
    if (cpu == 0) {
        apic_write(APIC_LVT0, LVT_MASKED);
    }
    me->apic_id = apic_read(APIC_ID) >> 24;
    /* Everyone's APIC ID is known before anyone sends. */
    __atomic_fetch_add(&SH->inited, 1, __ATOMIC_SEQ_CST);
    SPIN_UNTIL(cpu, SH->inited == SH->nvcpus);

    switch (SH->payload) {
    case P_SELF_IPI: p_self_ipi(cpu); break;
    case P_PING_PONG: p_ping_pong(cpu, 0); break;
    case P_PING_PONG_HLT: p_ping_pong(cpu, 1); break;
    case P_IPI_HALTED: p_ipi_halted(cpu); break;
    case P_TIMER: p_timer(cpu); break;
    case P_TPR: p_tpr(cpu); break;
    case P_MSI: p_msi(cpu); break;
    case P_DEV_IRQ: p_dev_irq(cpu, 0); break;
    case P_DEV_IRQ_HLT: p_dev_irq(cpu, 1); break;
    default: fail(cpu, ERR_PAYLOAD, "unknown payload %u", SH->payload);
    }
    cli();
    for (;;) {
        outl(PORT_DONE, ERR_NONE);
    }
}
