/*
 * GIM: test aids x-gim-bench and x-gim-stress (bench/gim.py, gim-test)
 *
 * They act as the hypervisor that owns GIM would: through its registers
 * and the pending table in guest memory.  Posting and checking what a
 * post must give use the device's own routing (gim-internal.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-gim.h"
#include "qemu/host-utils.h"
#include "qemu/timer.h"
#include "hw/pci/pci.h"
#include "gim-internal.h"

#define GIM_AID_BENCH_ROUNDS        10
#define GIM_AID_BENCH_MAX           10000000
#define GIM_AID_STRESS_MAX          100000000
/* A fixed, edge MSI to APIC 0, vector 0x40: what a plain MSI costs. */
#define GIM_AID_MSI_ADDR            0xfee00000
#define GIM_AID_MSI_DATA            0x40
/* Every so many posts, the stress reprograms and reschedules ... */
#define GIM_AID_RESCHEDULE_MASK     63
/* ... and consumes the log. */
#define GIM_AID_LOG_CONSUME_MASK    1023

/* The hypervisor's view of GIM's geometry, read from its registers. */
typedef struct GIMAidView {
    GIMState *s;
    AddressSpace *as;
    bool enabled;               /* the geometry is fixed while enabled */
    unsigned nr_irqs;
    unsigned nr_ifaces;
    uint64_t table_base;
    unsigned guests;
    unsigned dests;
} GIMAidView;

/* The counter registers. */
typedef struct GIMAidCounters {
    uint32_t in;
    uint32_t out;
    uint32_t dropped;
    uint32_t coalesced;
    uint32_t delivered;
    uint32_t logged;
    uint32_t log_lost;
} GIMAidCounters;

/* Look @qdev up and read its geometry. */
static GIMState *gim_aid_view(GIMAidView *v, const char *qdev, Error **errp)
{
    GIMState *s = gim_find(qdev, errp);
    uint32_t caps;

    if (!s) {
        return NULL;
    }
    caps = gim_reg_read(s, GIM_REG_CAPS);
    *v = (GIMAidView) {
        .s = s,
        .as = pci_get_address_space(PCI_DEVICE(s)),
        .enabled = gim_reg_read(s, GIM_REG_CTRL) & GIM_CTRL_ENABLE,
        .nr_irqs = GIM_CAPS_NR_IRQS(caps),
        .nr_ifaces = GIM_CAPS_NR_IFACES(caps),
        .table_base = gim_reg_read(s, GIM_REG_TABLE_LO) |
                      (uint64_t)gim_reg_read(s, GIM_REG_TABLE_HI) << 32,
        .guests = gim_reg_read(s, GIM_REG_TABLE_GUESTS),
        .dests = gim_reg_read(s, GIM_REG_TABLE_DESTS),
    };
    return s;
}

static uint32_t gim_aid_iface_read(GIMAidView *v, unsigned i, hwaddr reg)
{
    return gim_reg_read(v->s, GIM_REG_IFACE(i) + reg);
}

static void gim_aid_iface_write(GIMAidView *v, unsigned i, hwaddr reg,
                                uint32_t val)
{
    gim_reg_write(v->s, GIM_REG_IFACE(i) + reg, val);
}

/*
 * Benchmark (bench/): post @count messages through GIM and, side by side,
 * @count plain MSIs to the LAPIC.
 */
GimBenchResult *qmp_x_gim_bench(const char *qdev, int64_t irq, int64_t count,
                                bool has_ring, bool ring, Error **errp)
{
    GIMAidView v;
    GimBenchResult *res;
    double best[2] = { DBL_MAX, DBL_MAX };

    if (!gim_aid_view(&v, qdev, errp)) {
        return NULL;
    }
    if (!v.enabled || irq < 0 || irq >= v.nr_irqs) {
        error_setg(errp, "gim must be enabled and irq below %u", v.nr_irqs);
        return NULL;
    }
    if (count < 1 || count > GIM_AID_BENCH_MAX) {
        error_setg(errp, "count must be between 1 and %d", GIM_AID_BENCH_MAX);
        return NULL;
    }
    for (int r = 0; r < GIM_AID_BENCH_ROUNDS; r++) {
        bool through_gim = r & 1;
        int64_t t0 = get_clock();

        for (int64_t i = 0; i < count; i++) {
            if (!through_gim) {
                address_space_stl_le(v.as, GIM_AID_MSI_ADDR, GIM_AID_MSI_DATA,
                                     MEMTXATTRS_UNSPECIFIED, NULL);
                continue;
            }
            if (ring) {
                /* Acked at once: every delivery rings its doorbell. */
                for (unsigned k = 0; k < v.nr_ifaces; k++) {
                    gim_aid_iface_write(&v, k, GIM_IFACE_STATUS,
                                        GIM_IFACE_STATUS_DOORBELL);
                }
            }
            gim_post(v.s, irq);
        }
        best[through_gim] = MIN(best[through_gim],
                                (double)(get_clock() - t0) / count);
    }
    res = g_new0(GimBenchResult, 1);
    res->gim_ns = best[1];
    res->msi_ns = best[0];
    return res;
}

/* xorshift64*: reproducible, good enough to pick routes. */
static uint64_t gim_aid_rand(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

static void gim_aid_counters(GIMAidView *v, GIMAidCounters *c)
{
    *c = (GIMAidCounters) {
        .in = gim_reg_read(v->s, GIM_REG_CNT_IN),
        .out = gim_reg_read(v->s, GIM_REG_CNT_OUT),
        .dropped = gim_reg_read(v->s, GIM_REG_CNT_DROPPED),
        .coalesced = gim_reg_read(v->s, GIM_REG_CNT_COALESCED),
        .delivered = gim_reg_read(v->s, GIM_REG_CNT_DELIVERED),
        .logged = gim_reg_read(v->s, GIM_REG_CNT_LOGGED),
        .log_lost = gim_reg_read(v->s, GIM_REG_LOG_LOST),
    };
}

static hwaddr gim_aid_irr_addr(GIMAidView *v, unsigned guest, unsigned dest)
{
    return v->table_base + GIM_IRR_OFFSET(guest, dest, v->dests);
}

/* Read the IRR of (@guest, @dest) from the table; false when it can't. */
static bool gim_aid_irr_read(GIMAidView *v, unsigned guest, unsigned dest,
                             uint32_t irr[GIM_IRR_WORDS])
{
    if (address_space_read(v->as, gim_aid_irr_addr(v, guest, dest),
                           MEMTXATTRS_UNSPECIFIED, irr,
                           GIM_IRR_SIZE) != MEMTX_OK) {
        return false;
    }
    for (unsigned w = 0; w < GIM_IRR_WORDS; w++) {
        irr[w] = le32_to_cpu(irr[w]);
    }
    return true;
}

static bool gim_aid_irr_test(GIMAidView *v, unsigned guest, unsigned dest,
                             unsigned vector)
{
    uint32_t irr[GIM_IRR_WORDS];

    return gim_aid_irr_read(v, guest, dest, irr) &&
           (irr[GIM_IRR_WORD(vector)] & GIM_IRR_BIT(vector));
}

/* What the hypervisor does when it takes a vector: clear its IRR bit. */
static void gim_aid_irr_clear(GIMAidView *v, unsigned guest, unsigned dest,
                              unsigned vector)
{
    hwaddr addr = gim_aid_irr_addr(v, guest, dest) + GIM_IRR_WORD(vector) * 4;
    uint32_t word = address_space_ldl_le(v->as, addr, MEMTXATTRS_UNSPECIFIED,
                                         NULL);

    address_space_stl_le(v->as, addr, word & ~GIM_IRR_BIT(vector),
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/*
 * Vectors pending for what interface @i runs that software was not told
 * about: set in the IRR but in no list register while LR_OVERFLOW is
 * clear, or list registers without DOORBELL.  Nothing may be stranded.
 */
static unsigned gim_aid_stranded(GIMAidView *v, unsigned i)
{
    uint32_t running = gim_aid_iface_read(v, i, GIM_IFACE_RUNNING);
    uint32_t status = gim_aid_iface_read(v, i, GIM_IFACE_STATUS);
    uint32_t nr_lrs = gim_aid_iface_read(v, i, GIM_IFACE_LR_COUNT);
    unsigned guest = GIM_TARGET_GUEST(running);
    unsigned dest = GIM_TARGET_DEST(running);
    uint32_t irr[GIM_IRR_WORDS];
    unsigned stranded = 0;

    if (!(running & GIM_RUNNING_VALID) ||
        gim_find_iface(v->s, guest, dest) != i ||
        !gim_aid_irr_read(v, guest, dest, irr)) {
        return 0;   /* outputs for it go elsewhere (or to the log) */
    }
    if (nr_lrs && !(status & GIM_IFACE_STATUS_DOORBELL)) {
        stranded++;
    }
    if (status & GIM_IFACE_STATUS_LR_OVERFLOW) {
        return stranded;
    }
    for (unsigned n = 0; n < nr_lrs; n++) {
        unsigned vec = GIM_LR_VECTOR(gim_aid_iface_read(v, i,
                                                        GIM_IFACE_LR(n)));

        irr[GIM_IRR_WORD(vec)] &= ~GIM_IRR_BIT(vec);
    }
    for (unsigned w = 0; w < GIM_IRR_WORDS; w++) {
        stranded += ctpop32(irr[w]);
    }
    return stranded;
}

/*
 * The hypervisor of interface @i, at a random point between posts: it
 * either takes what the list registers show (injects the vectors and
 * clears their IRR bits, and LR_OVERFLOW to have the IRR rescanned), or,
 * having taken them, acknowledges through the ACK register.
 */
static unsigned gim_aid_hypervisor(GIMAidView *v, unsigned i, bool *taken)
{
    uint32_t running = gim_aid_iface_read(v, i, GIM_IFACE_RUNNING);
    uint32_t nr_lrs;

    if (*taken) {
        gim_aid_iface_write(v, i, GIM_IFACE_ACK, 1);
        *taken = false;
        return gim_aid_stranded(v, i);
    }
    if (!(gim_aid_iface_read(v, i, GIM_IFACE_STATUS) &
          GIM_IFACE_STATUS_DOORBELL)) {
        return 0;
    }
    nr_lrs = gim_aid_iface_read(v, i, GIM_IFACE_LR_COUNT);
    for (unsigned n = 0; n < nr_lrs; n++) {
        gim_aid_irr_clear(v, GIM_TARGET_GUEST(running),
                          GIM_TARGET_DEST(running),
                          GIM_LR_VECTOR(gim_aid_iface_read(v, i,
                                                           GIM_IFACE_LR(n))));
    }
    gim_aid_iface_write(v, i, GIM_IFACE_STATUS, GIM_IFACE_STATUS_LR_OVERFLOW);
    *taken = true;
    return 0;
}

/* The hypervisor reprograms a random route and reschedules an interface. */
static void gim_aid_reprogram(GIMAidView *v, uint64_t *rng, bool *taken)
{
    uint64_t x = gim_aid_rand(rng);
    hwaddr route = GIM_REG_ROUTE(x % v->nr_irqs);
    unsigned i = (x >> 16) % v->nr_ifaces;
    uint32_t target = GIM_TARGET((x >> 28) % v->guests,
                                 (x >> 40) % v->dests);
    uint32_t mask = (uint32_t)gim_aid_rand(rng) |
                    (1u << (GIM_TARGET_DEST(target) % GIM_MULTICAST_DESTS));

    gim_reg_write(v->s, route + GIM_ROUTE_TARGET, target);
    gim_reg_write(v->s, route + GIM_ROUTE_VECTOR, (x >> 48) & GIM_VECTOR_MASK);
    gim_reg_write(v->s, route + GIM_ROUTE_DEST_MASK, mask);
    gim_reg_write(v->s, route + GIM_ROUTE_CTRL, (x >> 24) % (GIM_FN_MAX + 1));
    gim_aid_iface_write(v, i, GIM_IFACE_RUNNING,
                        x & (1ull << 56) ? GIM_RUNNING_VALID | target : 0);
    taken[i] = false;
}

/*
 * Post @msg and check it: every input is accounted for exactly once, and
 * every output is in the table and went to an interface or the log.
 * Returns how many checks failed.
 */
static unsigned gim_aid_post_checked(GIMAidView *v, uint32_t msg)
{
    GIMAidCounters a, b;
    GIMOutputs o;
    unsigned lost = 0;

    gim_route_input(v->s, msg, &o);
    gim_aid_counters(v, &a);
    gim_post(v->s, msg);
    gim_aid_counters(v, &b);

    if (b.out + b.dropped + b.coalesced !=
        a.out + a.dropped + a.coalesced + 1) {
        return 1;
    }
    if (b.out == a.out) {
        return 0;       /* dropped or coalesced, both legitimate */
    }
    for (unsigned n = 0; n < o.nr_dests; n++) {
        lost += !gim_aid_irr_test(v, o.guest, o.dests[n], o.vector);
    }
    if (b.delivered + b.logged + b.log_lost !=
        a.delivered + a.logged + a.log_lost + o.nr_dests) {
        lost++;
    }
    return lost;
}

/*
 * Stress (bench/, gim-test): @count posts with random routing, random
 * rescheduling and a hypervisor that takes and acknowledges list
 * registers at random points, each post checked.
 */
GimStressResult *qmp_x_gim_stress(const char *qdev, int64_t count,
                                  int64_t seed, Error **errp)
{
    GIMAidView v;
    GIMAidCounters c0, c1;
    GimStressResult *res;
    uint64_t rng = seed ? seed : 1;
    uint64_t lost = 0;
    bool taken[GIM_MAX_IFACES] = { };

    if (!gim_aid_view(&v, qdev, errp)) {
        return NULL;
    }
    if (!v.enabled) {
        error_setg(errp, "gim must be enabled");
        return NULL;
    }
    if (count < 1 || count > GIM_AID_STRESS_MAX) {
        error_setg(errp, "count must be between 1 and %d",
                   GIM_AID_STRESS_MAX);
        return NULL;
    }
    gim_aid_counters(&v, &c0);

    for (int64_t n = 0; n < count; n++) {
        unsigned irq = gim_aid_rand(&rng) % v.nr_irqs;
        uint32_t src = gim_aid_rand(&rng) & GIM_VECTOR_MASK;
        uint64_t h = gim_aid_rand(&rng);

        if ((n & GIM_AID_RESCHEDULE_MASK) == 0) {
            gim_aid_reprogram(&v, &rng, taken);
        }
        if ((n & GIM_AID_LOG_CONSUME_MASK) == 0) {
            gim_reg_write(v.s, GIM_REG_LOG_HEAD,
                          gim_reg_read(v.s, GIM_REG_LOG_TAIL));
        }
        /* A hypervisor takes or acks between any two posts. */
        if ((h & 3) == 0) {
            unsigned i = (h >> 8) % v.nr_ifaces;

            lost += gim_aid_hypervisor(&v, i, &taken[i]);
        }
        lost += gim_aid_post_checked(&v,
                                     irq | (src << GIM_MSG_VECTOR_SHIFT));
    }
    /* At the end, whatever is pending for a running guest was told. */
    for (unsigned i = 0; i < v.nr_ifaces; i++) {
        lost += taken[i] ? gim_aid_hypervisor(&v, i, &taken[i]) :
                           gim_aid_stranded(&v, i);
    }

    gim_aid_counters(&v, &c1);
    res = g_new0(GimStressResult, 1);
    res->inputs = (uint32_t)(c1.in - c0.in);
    res->outputs = (uint32_t)(c1.out - c0.out);
    res->dropped = (uint32_t)(c1.dropped - c0.dropped);
    res->coalesced = (uint32_t)(c1.coalesced - c0.coalesced);
    res->delivered = (uint32_t)(c1.delivered - c0.delivered);
    res->logged = (uint32_t)(c1.logged - c0.logged);
    res->log_lost = (uint32_t)(c1.log_lost - c0.log_lost);
    res->lost = lost;
    return res;
}
