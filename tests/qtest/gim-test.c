/*
 * QTest testcases for gim (guest interrupt manager)
 *
 * The tests play the hypervisor: they program GIM through its registers,
 * keep the pending table, the log ring and the MSI-X targets in guest RAM
 * (from the test's allocator), post input messages through the doorbell
 * (or from a real device's MSI) and check what lands where.  The layout
 * they check is include/standard-headers/misc/gim.h; the model,
 * docs/specs/gim.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "qemu/module.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "libqos/qgraph.h"
#include "libqos/pci-pc.h"
#include "libqos/edu.h"
#include "libqos/gim.h"
#include "qemu-cmdline.h"
#include "standard-headers/misc/gim.h"
#include "standard-headers/linux/pci_regs.h"

#define EDU_SLOT            5
#define WAIT_US             (10 * G_USEC_PER_SEC)

#define NR_IFACES           4   /* the default */
#define LOG_MSIX            NR_IFACES
#define CANARY              4096    /* bytes checked after the table */

/* The hypervisor's view: where the table and the log ring are. */
typedef struct GimEnv {
    QGim *gim;
    QTestState *qts;
    uint64_t table;
    uint32_t guests, dests;
    uint64_t log;
    uint32_t log_size;
    uint32_t head;          /* next record this test reads */
} GimEnv;

/* Helpers */

static uint64_t table_size(uint32_t guests, uint32_t dests)
{
    return (uint64_t)guests * dests * GIM_IRR_SIZE;
}

/*
 * Allocate and clear a table of @guests x @dests (with CANARY bytes of
 * slack after it), a log ring of @log_size records and the MSI-X slots,
 * program GIM with them and enable it.
 */
static void env_init(GimEnv *e, QGim *gim, QGuestAllocator *alloc,
                     uint32_t guests, uint32_t dests, uint32_t log_size)
{
    uint64_t tsize = table_size(guests, dests);

    *e = (GimEnv) {
        .gim = gim, .qts = qgim_qts(gim),
        .guests = guests, .dests = dests, .log_size = log_size,
    };
    e->table = guest_alloc(alloc, tsize + CANARY);
    g_assert_cmphex(e->table % GIM_IRR_SIZE, ==, 0);
    qtest_memset(e->qts, e->table, 0, tsize + CANARY);
    e->log = guest_alloc(alloc, log_size * sizeof(struct gim_log_record));
    qtest_memset(e->qts, e->log, 0xee,
                 log_size * sizeof(struct gim_log_record));
    qgim_msix_enable(gim, guest_alloc(alloc, 4 * (NR_IFACES + 1)));

    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, 0);
    qgim_set_geometry(gim, e->table, guests, dests, e->log, log_size);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    g_assert_cmpint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, 0);
    g_assert_cmpint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 0);
}

static uint64_t irr_byte_addr(GimEnv *e, uint32_t guest, uint32_t dest,
                              uint32_t vector)
{
    return e->table + GIM_IRR_OFFSET(guest, dest, e->dests) + vector / 8;
}

static bool irr_test(GimEnv *e, uint32_t guest, uint32_t dest,
                     uint32_t vector)
{
    return qtest_readb(e->qts, irr_byte_addr(e, guest, dest, vector)) &
           (1u << (vector % 8));
}

/* Software takes a vector: clear its bit in the table. */
static void irr_clear(GimEnv *e, uint32_t guest, uint32_t dest,
                      uint32_t vector)
{
    uint64_t a = irr_byte_addr(e, guest, dest, vector);

    qtest_writeb(e->qts, a, qtest_readb(e->qts, a) & ~(1u << (vector % 8)));
}

/* Bits set in the whole table, and check the canary after it is intact. */
static int table_popcount(GimEnv *e)
{
    uint64_t size = table_size(e->guests, e->dests);
    g_autofree uint8_t *buf = g_malloc(size + CANARY);
    int n = 0;

    qtest_memread(e->qts, e->table, buf, size + CANARY);
    for (uint64_t i = 0; i < size; i++) {
        n += ctpop8(buf[i]);
    }
    for (uint64_t i = size; i < size + CANARY; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    return n;
}

static void check_counters(QGim *gim, uint32_t in, uint32_t out,
                           uint32_t dropped, uint32_t coalesced,
                           uint32_t delivered, uint32_t logged)
{
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, in);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_OUT), ==, out);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_DROPPED), ==, dropped);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_COALESCED), ==, coalesced);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_DELIVERED), ==, delivered);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_LOGGED), ==, logged);
}

/* Consume the next log record and check it. */
static void expect_record(GimEnv *e, uint16_t guest, uint8_t dest,
                          uint8_t vector, uint32_t seq)
{
    struct gim_log_record r;

    g_assert_cmpuint(qgim_readl(e->gim, GIM_REG_LOG_TAIL), !=, e->head);
    qtest_memread(e->qts, e->log + e->head * sizeof(r), &r, sizeof(r));
    g_assert_cmpuint(le16_to_cpu(r.guest), ==, guest);
    g_assert_cmpuint(r.dest, ==, dest);
    g_assert_cmphex(r.vector, ==, vector);
    g_assert_cmpuint(le32_to_cpu(r.seq), ==, seq);
    e->head = (e->head + 1) % e->log_size;
    qgim_writel(e->gim, GIM_REG_LOG_HEAD, e->head);
    g_assert_cmpuint(qgim_readl(e->gim, GIM_REG_LOG_HEAD), ==, e->head);
}

static void expect_no_record(GimEnv *e)
{
    g_assert_cmpuint(qgim_readl(e->gim, GIM_REG_LOG_TAIL), ==, e->head);
}

/* Forget the MSI-X vectors fired so far. */
static void msix_clear(QGim *gim)
{
    for (int v = 0; v < gim->nr_vectors; v++) {
        qgim_msix_fired(gim, v);
    }
}

/* No MSI-X vector fired since the last check. */
static void expect_no_msix(QGim *gim)
{
    for (int v = 0; v < gim->nr_vectors; v++) {
        g_assert_false(qgim_msix_fired(gim, v));
    }
}

static uint32_t running(uint16_t guest, uint8_t dest)
{
    return GIM_RUNNING_VALID | GIM_TARGET(guest, dest);
}

/* The table and log registers read back what qgim_set_geometry() set. */
static void expect_geometry(QGim *gim, uint64_t table, uint32_t guests,
                            uint32_t dests, uint64_t log, uint32_t log_size)
{
    g_assert_cmphex(qgim_readl(gim, GIM_REG_TABLE_LO), ==, (uint32_t)table);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_TABLE_HI), ==, table >> 32);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_TABLE_GUESTS), ==, guests);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_TABLE_DESTS), ==, dests);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_LOG_LO), ==, (uint32_t)log);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_LOG_HI), ==, log >> 32);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_SIZE), ==, log_size);
}

/* Interface @i holds exactly the @n vectors in @vec, in that order. */
static void expect_lrs(QGim *gim, int i, int n, const uint8_t *vec)
{
    g_assert_cmpuint(qgim_iface_readl(gim, i, GIM_IFACE_LR_COUNT), ==, n);
    for (int k = 0; k < GIM_NR_LRS; k++) {
        uint32_t lr = qgim_iface_readl(gim, i, GIM_IFACE_LR(k));

        if (k < n) {
            g_assert_cmphex(lr, ==, GIM_LR_VALID | vec[k]);
        } else {
            g_assert_cmphex(lr & GIM_LR_VALID, ==, 0);
        }
    }
}

/*
 * The hypervisor takes the @n vectors @vec pending for (@guest, @dest)
 * (clears their bits) and acknowledges interface @i: its list registers
 * empty and DOORBELL clears.
 */
static void take_and_ack(GimEnv *e, int i, uint32_t guest, uint32_t dest,
                         int n, const uint8_t *vec)
{
    for (int k = 0; k < n; k++) {
        irr_clear(e, guest, dest, vec[k]);
    }
    qgim_iface_writel(e->gim, i, GIM_IFACE_ACK, 1);
    expect_lrs(e->gim, i, 0, NULL);
    g_assert_cmphex(qgim_iface_readl(e->gim, i, GIM_IFACE_STATUS), ==, 0);
}

static QDict *query_gim(QTestState *qts)
{
    return qtest_qmp_assert_success_ref(qts, "{ 'execute': 'query-gim' }");
}

static void check_alive(QGim *gim)
{
    QDict *info = query_gim(qgim_qts(gim));

    qobject_unref(info);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ID), ==, GIM_ID_MAGIC);
}

static uint64_t ram_size(QTestState *qts)
{
    QDict *ret = qtest_qmp_assert_success_ref(qts,
                     "{ 'execute': 'query-memory-size-summary' }");
    uint64_t size = qdict_get_int(ret, "base-memory");

    qobject_unref(ret);
    return size;
}

/* Tests: registers */

static void test_registers(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    uint32_t caps = qgim_readl(gim, GIM_REG_CAPS);
    GimEnv e;

    g_assert_cmphex(qgim_readl(gim, GIM_REG_ID), ==, GIM_ID_MAGIC);
    g_assert_cmpuint(GIM_CAPS_NR_IRQS(caps), ==, GIM_MAX_IRQS);
    g_assert_cmpuint(GIM_CAPS_NR_IFACES(caps), ==, NR_IFACES);
    g_assert_cmpuint(GIM_CAPS_NR_LRS(caps), ==, GIM_NR_LRS);

    /* Everything is zero out of reset. */
    for (uint32_t r = GIM_REG_CTRL; r <= GIM_REG_CNT_LOGGED; r += 4) {
        g_assert_cmphex(qgim_readl(gim, r), ==, 0);
    }
    for (uint32_t r = GIM_REG_IFACE_BASE; r < GIM_REG_ROUTE_BASE; r += 4) {
        g_assert_cmphex(qgim_readl(gim, r), ==, 0);
    }
    for (uint32_t r = GIM_REG_ROUTE_BASE; r < GIM_REGS_SIZE; r += 4) {
        g_assert_cmphex(qgim_readl(gim, r), ==, 0);
    }

    /* Read/write registers hold what is written, reserved bits read 0. */
    qgim_set_geometry(gim, 0x912345660, 17, 3, 0x10abcdef8, 100);
    expect_geometry(gim, 0x912345660, 17, 3, 0x10abcdef8, 100);

    qgim_writel(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_CTRL, GIM_FN_REMAP);
    qgim_writel(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_TARGET, 0xffffffff);
    qgim_writel(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_VECTOR, 0xffffffff);
    qgim_writel(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_DEST_MASK, 0xffffffff);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_CTRL), ==,
                    GIM_FN_REMAP);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_TARGET),
                    ==, 0x00ffffff);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(255) + GIM_ROUTE_VECTOR),
                    ==, 0xff);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(255) +
                               GIM_ROUTE_DEST_MASK), ==, 0xffffffff);
    /* The neighbouring entry did not change. */
    for (uint32_t r = 0; r < GIM_ROUTE_SIZE; r += 4) {
        g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(254) + r), ==, 0);
    }

    /* RUNNING keeps VALID, guest and dest; list registers are read-only. */
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, 0x7fffffff);
    g_assert_cmphex(qgim_iface_readl(gim, 3, GIM_IFACE_RUNNING), ==,
                    0x00ffffff);
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, running(0xfff, 7));
    g_assert_cmphex(qgim_iface_readl(gim, 3, GIM_IFACE_RUNNING), ==,
                    running(0xfff, 7));
    qgim_iface_writel(gim, 3, GIM_IFACE_LR(0), GIM_LR_VALID | 5);
    qgim_iface_writel(gim, 3, GIM_IFACE_LR_COUNT, 1);
    g_assert_cmphex(qgim_iface_readl(gim, 3, GIM_IFACE_LR(0)), ==, 0);
    g_assert_cmphex(qgim_iface_readl(gim, 3, GIM_IFACE_LR_COUNT), ==, 0);
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, 0);

    /* Geometry is locked while enabled. */
    env_init(&e, gim, alloc, 2, 2, 4);
    qgim_set_geometry(gim, 0x100001000, 1000, 100, 0x2000, 1000);
    expect_geometry(gim, e.table, 2, 2, e.log, 4);

    /* Disabling keeps the configuration; enabling again works. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_TABLE_GUESTS), ==, 2);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
}

/* Tests: routing functions */

static void test_deliver(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    env_init(&e, gim, alloc, 4, 4, 16);
    check_counters(gim, 0, 0, 0, 0, 0, 0);
    qgim_route(gim, 7, GIM_FN_DELIVER, 2, 3, 0x41, 0);

    qgim_doorbell(gim, 7);
    g_assert_true(irr_test(&e, 2, 3, 0x41));
    g_assert_cmpint(table_popcount(&e), ==, 1);
    check_counters(gim, 1, 1, 0, 0, 0, 1);
    expect_record(&e, 2, 3, 0x41, 1);
    expect_no_record(&e);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));
    expect_no_msix(gim);

    /* DELIVER does not coalesce; the source vector does not matter. */
    qgim_doorbell(gim, 7 | (0x55 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpint(table_popcount(&e), ==, 1);
    check_counters(gim, 2, 2, 0, 0, 0, 2);
    expect_record(&e, 2, 3, 0x41, 2);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));

    /* The bit is ORed in: other bits of the same word stay. */
    irr_clear(&e, 2, 3, 0x41);
    qtest_writel(e.qts, irr_byte_addr(&e, 2, 3, 0x40), 0x80000001);
    qgim_doorbell(gim, 7);
    g_assert_cmphex(qtest_readl(e.qts, irr_byte_addr(&e, 2, 3, 0x40)), ==,
                    0x80000003);
    expect_record(&e, 2, 3, 0x41, 3);

    /* A second route to another (guest, dest). */
    qgim_route(gim, 0, GIM_FN_DELIVER, 0, 0, 0x20, 0);
    qgim_doorbell(gim, 0);
    g_assert_true(irr_test(&e, 0, 0, 0x20));
    expect_record(&e, 0, 0, 0x20, 4);
    check_counters(gim, 4, 4, 0, 0, 0, 4);
}

static void test_drop(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    /* While disabled, every input is dropped. */
    qgim_route(gim, 1, GIM_FN_DELIVER, 1, 1, 0x31, 0);
    qgim_doorbell(gim, 1);
    check_counters(gim, 1, 0, 1, 0, 0, 0);

    env_init(&e, gim, alloc, 2, 2, 8);
    qgim_writel(gim, GIM_REG_CNT_RESET, 0);
    check_counters(gim, 0, 0, 0, 0, 0, 0);

    qgim_route(gim, 2, GIM_FN_DROP, 1, 1, 0x32, 1);
    qgim_doorbell(gim, 2);
    check_counters(gim, 1, 0, 1, 0, 0, 0);
    /* An entry never programmed drops. */
    qgim_doorbell(gim, 3);
    check_counters(gim, 2, 0, 2, 0, 0, 0);
    /* Functions past GIM_FN_MAX act as drop. */
    qgim_route(gim, 4, GIM_FN_MAX + 1, 1, 1, 0x34, 1);
    qgim_route(gim, 5, 0xffffffff, 1, 1, 0x35, 1);
    qgim_doorbell(gim, 4);
    qgim_doorbell(gim, 5);
    check_counters(gim, 4, 0, 4, 0, 0, 0);
    /* Interrupt numbers past the routing entries drop. */
    qgim_doorbell(gim, GIM_MAX_IRQS);
    qgim_doorbell(gim, GIM_MSG_IRQ_MASK);
    check_counters(gim, 6, 0, 6, 0, 0, 0);

    g_assert_cmpint(table_popcount(&e), ==, 0);
    expect_no_record(&e);
    expect_no_msix(gim);

    /* Disabling again drops; the DELIVER route still works once enabled. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_doorbell(gim, 1);
    check_counters(gim, 7, 0, 7, 0, 0, 0);
    g_assert_cmpint(table_popcount(&e), ==, 0);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    qgim_doorbell(gim, 1);
    check_counters(gim, 8, 1, 7, 0, 0, 1);
    g_assert_true(irr_test(&e, 1, 1, 0x31));
    expect_record(&e, 1, 1, 0x31, 1);
}

static void test_remap(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    env_init(&e, gim, alloc, 4, 2, 16);
    qgim_route(gim, 9, GIM_FN_REMAP, 3, 1, 0x10, 0);
    qgim_route(gim, 10, GIM_FN_REMAP, 0, 0, 0xf0, 0);

    qgim_doorbell(gim, 9 | (3 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 9);
    qgim_doorbell(gim, 9 | (0xef << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 10 | (0x20 << GIM_MSG_VECTOR_SHIFT));  /* wraps */
    qgim_doorbell(gim, 10 | (0x0f << GIM_MSG_VECTOR_SHIFT));
    check_counters(gim, 5, 5, 0, 0, 0, 5);
    expect_record(&e, 3, 1, 0x13, 1);
    expect_record(&e, 3, 1, 0x10, 2);
    expect_record(&e, 3, 1, 0xff, 3);
    expect_record(&e, 0, 0, 0x10, 4);
    expect_record(&e, 0, 0, 0xff, 5);
    g_assert_true(irr_test(&e, 3, 1, 0x13));
    g_assert_true(irr_test(&e, 3, 1, 0x10));
    g_assert_true(irr_test(&e, 3, 1, 0xff));
    g_assert_true(irr_test(&e, 0, 0, 0x10));
    g_assert_true(irr_test(&e, 0, 0, 0xff));
    g_assert_cmpint(table_popcount(&e), ==, 5);
}

static void test_multicast(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    const uint8_t v44[] = { 0x44 };

    env_init(&e, gim, alloc, 2, 8, 16);
    qgim_route(gim, 20, GIM_FN_MULTICAST, 1, 0, 0x44, 0x8b); /* 0,1,3,7 */

    qgim_doorbell(gim, 20);
    check_counters(gim, 1, 1, 0, 0, 0, 4);     /* one output, 4 records */
    for (int d = 0; d < 8; d++) {
        g_assert_cmpint(irr_test(&e, 1, d, 0x44), ==, !!(0x8b & (1 << d)));
    }
    g_assert_cmpint(table_popcount(&e), ==, 4);
    expect_record(&e, 1, 0, 0x44, 1);
    expect_record(&e, 1, 1, 0x44, 1);
    expect_record(&e, 1, 3, 0x44, 1);
    expect_record(&e, 1, 7, 0x44, 1);
    expect_no_record(&e);

    /* One of the destinations runs: it gets it, the others are logged. */
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(1, 3));
    qgim_doorbell(gim, 20);
    check_counters(gim, 2, 2, 0, 0, 1, 7);
    expect_lrs(gim, 2, 1, v44);
    g_assert_true(qgim_msix_fired(gim, 2));
    expect_record(&e, 1, 0, 0x44, 2);
    expect_record(&e, 1, 1, 0x44, 2);
    expect_record(&e, 1, 7, 0x44, 2);
    expect_no_record(&e);

    /* Destinations past the table's are not written. */
    qtest_memset(e.qts, e.table, 0, table_size(2, 8));
    qgim_route(gim, 21, GIM_FN_MULTICAST, 0, 0, 0x45, 0xffffff01);
    qgim_doorbell(gim, 21);
    g_assert_true(irr_test(&e, 0, 0, 0x45));
    g_assert_cmpint(table_popcount(&e), ==, 1);
    expect_record(&e, 0, 0, 0x45, 3);
    expect_no_record(&e);
    check_counters(gim, 3, 3, 0, 0, 1, 8);

    /* An empty mask, or one with no destination in the table, drops. */
    qgim_route(gim, 22, GIM_FN_MULTICAST, 0, 0, 0x46, 0);
    qgim_route(gim, 23, GIM_FN_MULTICAST, 0, 0, 0x47, 0xffffff00);
    qgim_route(gim, 24, GIM_FN_MULTICAST, 2, 0, 0x48, 1);   /* no guest 2 */
    qgim_doorbell(gim, 22);
    qgim_doorbell(gim, 23);
    qgim_doorbell(gim, 24);
    check_counters(gim, 6, 3, 3, 0, 1, 8);
    g_assert_cmpint(table_popcount(&e), ==, 1);
    expect_no_record(&e);
}

static void test_coalesce(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    env_init(&e, gim, alloc, 2, 2, 16);
    qgim_route(gim, 30, GIM_FN_COALESCE, 1, 1, 0x99, 0);

    qgim_doorbell(gim, 30);
    qgim_doorbell(gim, 30);
    qgim_doorbell(gim, 30);
    check_counters(gim, 3, 1, 0, 2, 0, 1);
    g_assert_true(irr_test(&e, 1, 1, 0x99));
    expect_record(&e, 1, 1, 0x99, 1);
    expect_no_record(&e);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));
    expect_no_msix(gim);

    /* Once software takes the vector, the next input is an output again. */
    irr_clear(&e, 1, 1, 0x99);
    qgim_doorbell(gim, 30);
    check_counters(gim, 4, 2, 0, 2, 0, 2);
    expect_record(&e, 1, 1, 0x99, 2);

    /* Coalescing is per key: another vector of the same IRR is output. */
    qgim_route(gim, 31, GIM_FN_COALESCE, 1, 1, 0x98, 0);
    qgim_doorbell(gim, 31);
    check_counters(gim, 5, 3, 0, 2, 0, 3);
    expect_record(&e, 1, 1, 0x98, 3);

    /* A bit set by DELIVER coalesces too; DELIVER itself never does. */
    qgim_route(gim, 32, GIM_FN_DELIVER, 1, 1, 0x99, 0);
    qgim_doorbell(gim, 32);
    qgim_doorbell(gim, 30);
    check_counters(gim, 7, 4, 0, 3, 0, 4);
    expect_record(&e, 1, 1, 0x99, 4);
    expect_no_record(&e);

    /*
     * Running: the pending vectors are listed; a coalesced input lists
     * nothing new and rings no doorbell.
     */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(1, 1));
    expect_lrs(gim, 0, 2, (const uint8_t[]){ 0x98, 0x99 });
    qgim_iface_writel(gim, 0, GIM_IFACE_STATUS, 0xffffffff);
    msix_clear(gim);
    qgim_doorbell(gim, 30);
    check_counters(gim, 8, 4, 0, 4, 0, 4);
    expect_lrs(gim, 0, 2, (const uint8_t[]){ 0x98, 0x99 });
    expect_no_msix(gim);
}

/* Q inputs become M <= Q outputs; a small model of the routing functions. */
static void test_q_to_m(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    uint32_t q = 0, m = 0, dropped = 0, coalesced = 0, logged = 0;
    bool pending = false;
    QDict *info;

    env_init(&e, gim, alloc, 4, 4, 256);
    qgim_route(gim, 0, GIM_FN_DROP, 0, 0, 0, 0);
    qgim_route(gim, 1, GIM_FN_DELIVER, 1, 0, 0x30, 0);
    qgim_route(gim, 2, GIM_FN_COALESCE, 2, 1, 0x31, 0);
    qgim_route(gim, 3, GIM_FN_MULTICAST, 3, 0, 0x32, 0x7);
    qgim_route(gim, 4, GIM_FN_REMAP, 0, 2, 0x40, 0);

    for (int i = 0; i < 60; i++) {
        int irq = (i * 7 + i / 5) % 6;         /* 5: not programmed */

        qgim_doorbell(gim, irq | ((i & 0xf) << GIM_MSG_VECTOR_SHIFT));
        q++;
        switch (irq) {
        case 1:
        case 4:
            m++, logged++;
            break;
        case 2:
            if (pending) {
                coalesced++;
            } else {
                m++, logged++;
                pending = true;
            }
            break;
        case 3:
            m++, logged += 3;
            break;
        default:
            dropped++;
        }
    }
    check_counters(gim, q, m, dropped, coalesced, 0, logged);
    g_assert_cmpuint(m, <=, q);
    g_assert_cmpuint(m, >, 0);
    g_assert_cmpuint(dropped, >, 0);
    g_assert_cmpuint(coalesced, >, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, logged);

    info = query_gim(e.qts);
    g_assert_cmpuint(qdict_get_int(info, "inputs"), ==, q);
    g_assert_cmpuint(qdict_get_int(info, "outputs"), ==, m);
    g_assert_cmpuint(qdict_get_int(info, "dropped"), ==, dropped);
    g_assert_cmpuint(qdict_get_int(info, "coalesced"), ==, coalesced);
    g_assert_cmpuint(qdict_get_int(info, "delivered"), ==, 0);
    g_assert_cmpuint(qdict_get_int(info, "logged"), ==, logged);
    qobject_unref(info);

    /* CNT_RESET zeroes every counter, LOG_LOST too, and nothing else. */
    qgim_writel(gim, GIM_REG_CNT_RESET, 0x1234);
    check_counters(gim, 0, 0, 0, 0, 0, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, logged);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    qgim_doorbell(gim, 1);
    check_counters(gim, 1, 1, 0, 0, 0, 1);
}

/* Tests: the pending table */

static void post_at(GimEnv *e, uint16_t guest, uint8_t dest, uint8_t vector)
{
    qgim_route(e->gim, 50, GIM_FN_DELIVER, guest, dest, vector, 0);
    qgim_doorbell(e->gim, 50);
}

/* Exactly the byte for (guest, dest, vector) holds its bit. */
static void check_bit_alone(GimEnv *e, uint16_t guest, uint8_t dest,
                            uint8_t vector)
{
    uint64_t a = e->table + GIM_IRR_OFFSET(guest, dest, e->dests) +
                 vector / 8;

    g_assert_cmphex(qtest_readb(e->qts, a), ==, 1u << (vector % 8));
    qtest_writeb(e->qts, a, 0);
}

static void test_table_layout(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    static const struct { uint16_t g; uint8_t d, v; } edges[] = {
        { 0, 0, 0 }, { 0, 0, 255 }, { 0, 4, 0 }, { 1, 0, 7 }, { 1, 2, 8 },
        { 2, 4, 0 }, { 2, 4, 255 }, { 2, 0, 128 }, { 1, 3, 31 },
        { 1, 3, 32 },
    };

    /* An odd geometry: the stride is dests * 32 bytes. */
    env_init(&e, gim, alloc, 3, 5, 64);
    for (int i = 0; i < ARRAY_SIZE(edges); i++) {
        post_at(&e, edges[i].g, edges[i].d, edges[i].v);
        g_assert_cmpint(table_popcount(&e), ==, 1);
        check_bit_alone(&e, edges[i].g, edges[i].d, edges[i].v);
        expect_record(&e, edges[i].g, edges[i].d, edges[i].v, i + 1);
    }
    /* All of them together. */
    for (int i = 0; i < ARRAY_SIZE(edges); i++) {
        post_at(&e, edges[i].g, edges[i].d, edges[i].v);
    }
    g_assert_cmpint(table_popcount(&e), ==, ARRAY_SIZE(edges));
    for (int i = 0; i < ARRAY_SIZE(edges); i++) {
        g_assert_true(irr_test(&e, edges[i].g, edges[i].d, edges[i].v));
    }
    check_counters(gim, 2 * ARRAY_SIZE(edges), 2 * ARRAY_SIZE(edges), 0, 0,
                   0, 2 * ARRAY_SIZE(edges));
}

/* The largest geometry: 4096 guests x 256 destinations (32 MiB). */
static void test_table_max(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    uint64_t end;

    env_init(&e, gim, alloc, 4096, 256, 8);
    end = e.table + table_size(4096, 256);

    post_at(&e, 4095, 255, 255);
    g_assert_cmphex(qtest_readb(e.qts, end - 1), ==, 0x80);
    g_assert_cmphex(qtest_readb(e.qts, end - 2), ==, 0);
    g_assert_cmphex(qtest_readl(e.qts, end), ==, 0);
    check_bit_alone(&e, 4095, 255, 255);

    post_at(&e, 4095, 255, 0);
    g_assert_cmphex(qtest_readb(e.qts, end - 32), ==, 0x01);
    check_bit_alone(&e, 4095, 255, 0);

    post_at(&e, 4095, 0, 0);
    g_assert_cmphex(qtest_readb(e.qts, end - 256 * 32), ==, 0x01);
    check_bit_alone(&e, 4095, 0, 0);

    post_at(&e, 0, 255, 255);
    g_assert_cmphex(qtest_readb(e.qts, e.table + 256 * 32 - 1), ==, 0x80);
    check_bit_alone(&e, 0, 255, 255);

    post_at(&e, 0, 0, 0);
    g_assert_cmphex(qtest_readb(e.qts, e.table), ==, 0x01);
    check_bit_alone(&e, 0, 0, 0);

    post_at(&e, 2048, 128, 100);
    g_assert_cmphex(qtest_readb(e.qts, e.table + (2048ull * 256 + 128) * 32 +
                                12), ==, 0x10);
    check_bit_alone(&e, 2048, 128, 100);

    check_counters(gim, 6, 6, 0, 0, 0, 6);
    /* Nothing else in the last and first IRRs, nothing after the table. */
    for (uint64_t a = e.table; a < e.table + 64; a += 4) {
        g_assert_cmphex(qtest_readl(e.qts, a), ==, 0);
    }
    for (uint64_t a = end - 64; a < end + CANARY; a += 4) {
        g_assert_cmphex(qtest_readl(e.qts, a), ==, 0);
    }
}

/* Tests: vCPU interfaces */

static void test_running(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    const uint8_t v30[] = { 0x30 }, v30_31[] = { 0x30, 0x31 };
    uint8_t many[GIM_NR_LRS];

    env_init(&e, gim, alloc, 4, 2, 32);
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, running(2, 1));
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_RUNNING), ==,
                    running(2, 1));
    expect_lrs(gim, 1, 0, NULL);
    expect_no_msix(gim);
    qgim_route(gim, 40, GIM_FN_REMAP, 2, 1, 0x30, 0);

    /* Output for the running (guest, dest): list register + doorbell. */
    qgim_doorbell(gim, 40);
    check_counters(gim, 1, 1, 0, 0, 1, 0);
    expect_lrs(gim, 1, 1, v30);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);
    g_assert_true(irr_test(&e, 2, 1, 0x30));
    g_assert_true(qgim_msix_fired(gim, 1));
    expect_no_msix(gim);
    expect_no_record(&e);
    for (int i = 0; i < NR_IFACES; i++) {
        if (i != 1) {
            expect_lrs(gim, i, 0, NULL);
            g_assert_cmphex(qgim_iface_readl(gim, i, GIM_IFACE_STATUS), ==, 0);
        }
    }

    /*
     * The same vector again is listed once; another one is added.  The
     * doorbell is still pending (not acked): it does not ring again.
     */
    qgim_doorbell(gim, 40);
    qgim_doorbell(gim, 40 | (1 << GIM_MSG_VECTOR_SHIFT));
    check_counters(gim, 3, 3, 0, 0, 3, 0);
    expect_lrs(gim, 1, 2, v30_31);
    g_assert_false(qgim_msix_fired(gim, 1));

    /*
     * Software takes both (clears their bits) and acks: the list
     * registers empty and DOORBELL clears.
     */
    take_and_ack(&e, 1, 2, 1, 2, v30_31);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_RUNNING), ==,
                    running(2, 1));

    /* The same guest's other destination and another guest are logged. */
    qgim_route(gim, 41, GIM_FN_DELIVER, 2, 0, 0x50, 0);
    qgim_route(gim, 42, GIM_FN_DELIVER, 3, 1, 0x51, 0);
    qgim_doorbell(gim, 41);
    qgim_doorbell(gim, 42);
    check_counters(gim, 5, 5, 0, 0, 3, 2);
    expect_record(&e, 2, 0, 0x50, 4);
    expect_record(&e, 3, 1, 0x51, 5);
    expect_lrs(gim, 1, 0, NULL);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));
    expect_no_msix(gim);

    /* More vectors than list registers: LR_OVERFLOW, all in the table. */
    for (int k = 0; k <= GIM_NR_LRS; k++) {
        qgim_doorbell(gim, 40 | ((0x20 + k) << GIM_MSG_VECTOR_SHIFT));
        if (k < GIM_NR_LRS) {
            many[k] = 0x50 + k;
        }
    }
    expect_lrs(gim, 1, GIM_NR_LRS, many);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL | GIM_IFACE_STATUS_LR_OVERFLOW);
    for (int k = 0; k <= GIM_NR_LRS; k++) {
        g_assert_true(irr_test(&e, 2, 1, 0x50 + k));
    }
    check_counters(gim, 14, 14, 0, 0, 12, 2);
    /* STATUS is write-1-to-clear. */
    qgim_iface_writel(gim, 1, GIM_IFACE_STATUS, GIM_IFACE_STATUS_LR_OVERFLOW);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);

    /* Descheduled: logged again. */
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, 0);
    expect_lrs(gim, 1, 0, NULL);
    qgim_msix_fired(gim, 1);
    qgim_doorbell(gim, 40);
    check_counters(gim, 15, 15, 0, 0, 12, 3);
    expect_record(&e, 2, 1, 0x30, 15);
    expect_lrs(gim, 1, 0, NULL);
    g_assert_false(qgim_msix_fired(gim, 1));

    /* Two interfaces running different guests each get their own. */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(3, 1));
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, running(2, 0));
    qgim_iface_writel(gim, 0, GIM_IFACE_ACK, 1);
    qgim_iface_writel(gim, 3, GIM_IFACE_ACK, 1);
    qgim_doorbell(gim, 41);
    qgim_doorbell(gim, 42);
    g_assert_cmphex(qgim_iface_readl(gim, 3, GIM_IFACE_LR(0)), ==,
                    GIM_LR_VALID | 0x50);
    g_assert_cmphex(qgim_iface_readl(gim, 0, GIM_IFACE_LR(0)), ==,
                    GIM_LR_VALID | 0x51);
    g_assert_true(qgim_msix_fired(gim, 0));
    g_assert_true(qgim_msix_fired(gim, 3));
    expect_no_record(&e);
}

static void test_schedule(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    const uint8_t three[] = { 3, 7, 200 };
    const uint8_t eight[] = { 0, 3, 7, 9, 10, 11, 12, 13 };
    const uint8_t after[] = { 3, 7, 14, 200 };

    env_init(&e, gim, alloc, 2, 4, 64);
    qgim_route(gim, 60, GIM_FN_REMAP, 1, 2, 0, 0);

    /* Pending while not running: logged. */
    qgim_doorbell(gim, 60 | (200 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 60 | (3 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 60 | (7 << GIM_MSG_VECTOR_SHIFT));
    check_counters(gim, 3, 3, 0, 0, 0, 3);
    qgim_msix_fired(gim, LOG_MSIX);

    /* Another (guest, dest) has something pending too. */
    irr_clear(&e, 1, 1, 0);
    qtest_writeb(e.qts, irr_byte_addr(&e, 1, 1, 100), 1u << (100 % 8));
    qtest_writeb(e.qts, irr_byte_addr(&e, 0, 2, 101), 1u << (101 % 8));

    /* Scheduling loads the pending vectors, in ascending order. */
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(1, 2));
    expect_lrs(gim, 2, 3, three);
    g_assert_cmphex(qgim_iface_readl(gim, 2, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);
    g_assert_true(qgim_msix_fired(gim, 2));
    expect_no_msix(gim);
    check_counters(gim, 3, 3, 0, 0, 0, 3);

    /* Rescheduling replaces the list; software took vector 200. */
    qgim_iface_writel(gim, 2, GIM_IFACE_ACK, 1);
    irr_clear(&e, 1, 2, 200);
    for (int v = 9; v <= 14; v++) {
        qtest_writeb(e.qts, irr_byte_addr(&e, 1, 2, v),
                     qtest_readb(e.qts, irr_byte_addr(&e, 1, 2, v)) |
                     1u << (v % 8));
    }
    qtest_writeb(e.qts, irr_byte_addr(&e, 1, 2, 0),
                 qtest_readb(e.qts, irr_byte_addr(&e, 1, 2, 0)) | 1);
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(1, 2));
    expect_lrs(gim, 2, GIM_NR_LRS, eight);
    g_assert_cmphex(qgim_iface_readl(gim, 2, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL | GIM_IFACE_STATUS_LR_OVERFLOW);
    g_assert_true(qgim_msix_fired(gim, 2));

    /* Software took 0 and 9-13; scheduled again after an ACK. */
    qgim_iface_writel(gim, 2, GIM_IFACE_ACK, 1);
    qgim_iface_writel(gim, 2, GIM_IFACE_STATUS, 0xffffffff);
    irr_clear(&e, 1, 2, 0);
    for (int v = 9; v <= 13; v++) {
        irr_clear(&e, 1, 2, v);
    }
    qtest_writeb(e.qts, irr_byte_addr(&e, 1, 2, 200), 1u << (200 % 8));
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(1, 2));
    expect_lrs(gim, 2, 4, after);
    g_assert_cmphex(qgim_iface_readl(gim, 2, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);

    /* New output while running is added after the loaded ones. */
    qgim_doorbell(gim, 60 | (100 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_iface_readl(gim, 2, GIM_IFACE_LR_COUNT), ==, 5);
    g_assert_cmphex(qgim_iface_readl(gim, 2, GIM_IFACE_LR(4)), ==,
                    GIM_LR_VALID | 100);
    check_counters(gim, 4, 4, 0, 0, 1, 3);

    /* Nothing pending: no list registers, no doorbell. */
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, running(0, 3));
    expect_lrs(gim, 1, 0, NULL);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_STATUS), ==, 0);
    g_assert_false(qgim_msix_fired(gim, 1));

    /* The other pending IRRs load on their own interfaces. */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(1, 1));
    g_assert_cmpuint(qgim_iface_readl(gim, 0, GIM_IFACE_LR_COUNT), ==, 1);
    g_assert_cmphex(qgim_iface_readl(gim, 0, GIM_IFACE_LR(0)), ==,
                    GIM_LR_VALID | 100);
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(0, 2));
    g_assert_cmpuint(qgim_iface_readl(gim, 0, GIM_IFACE_LR_COUNT), ==, 1);
    g_assert_cmphex(qgim_iface_readl(gim, 0, GIM_IFACE_LR(0)), ==,
                    GIM_LR_VALID | 101);

    /* RUNNING without VALID schedules nothing. */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, GIM_TARGET(1, 2));
    expect_lrs(gim, 0, 0, NULL);
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, 0);
    qgim_doorbell(gim, 60 | (5 << GIM_MSG_VECTOR_SHIFT));
    expect_lrs(gim, 0, 0, NULL);
    expect_lrs(gim, 2, 0, NULL);
    expect_record(&e, 1, 2, 200, 1);
    expect_record(&e, 1, 2, 3, 2);
    expect_record(&e, 1, 2, 7, 3);
    expect_record(&e, 1, 2, 5, 5);
    expect_no_record(&e);
}

/*
 * The ACK race: outputs that arrive after the hypervisor read the list
 * registers and before it acknowledged them are not stranded.  One is a
 * new vector (appended to the list), one the vector it is taking (merged
 * with its list register after it cleared the bit); with COALESCE, a
 * stranded vector would swallow every later input too.
 */
static void test_ack_race(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    const uint8_t v30[] = { 0x30 }, both[] = { 0x30, 0x31 };

    env_init(&e, gim, alloc, 4, 2, 32);
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, running(2, 1));
    qgim_route(gim, 40, GIM_FN_COALESCE, 2, 1, 0x30, 0);
    qgim_route(gim, 41, GIM_FN_COALESCE, 2, 1, 0x31, 0);
    qgim_doorbell(gim, 40);
    g_assert_true(qgim_msix_fired(gim, 1));

    /* The hypervisor reads one list register and takes 0x30... */
    expect_lrs(gim, 1, 1, v30);
    irr_clear(&e, 2, 1, 0x30);
    /* ... while 0x31 and 0x30 again arrive ... */
    qgim_doorbell(gim, 41);
    qgim_doorbell(gim, 40);
    check_counters(gim, 3, 3, 0, 0, 3, 0);
    g_assert_false(qgim_msix_fired(gim, 1));
    /* ... and then acknowledges: both are listed again, and it rang. */
    qgim_iface_writel(gim, 1, GIM_IFACE_ACK, 1);
    expect_lrs(gim, 1, 2, both);
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);
    g_assert_true(qgim_msix_fired(gim, 1));

    /* Taken whole and acknowledged: empty, quiet. */
    take_and_ack(&e, 1, 2, 1, 2, both);
    expect_no_msix(gim);

    /* COALESCE is not stuck: the next input is delivered and rings. */
    qgim_doorbell(gim, 41);
    expect_lrs(gim, 1, 1, both + 1);
    g_assert_true(qgim_msix_fired(gim, 1));
    check_counters(gim, 4, 4, 0, 0, 4, 0);
    expect_no_record(&e);
}

/*
 * Stress: a seeded random hypervisor and devices, checked after every step
 * against a model of the specification (docs/specs/gim.rst).
 *
 * The test plays the L1 hypervisor through GIM's guest-visible interface
 * only: it programs random routes, schedules and deschedules (guest, dest)
 * pairs on the vCPU interfaces, takes what the list registers show (clears
 * those bits in the table, then acknowledges, sometimes several steps
 * later) and drains the log ring, all through BAR0 and guest RAM; devices
 * post 2-, 4- and 8-byte messages through the doorbell.  It keeps what the
 * specification says must follow (the pending table, each interface's list
 * registers and status, the records in the ring, the counters, the MSI-X
 * messages) and after every step compares it with what it can see: the
 * table and ring in RAM, the registers, the MSI-X slots and query-gim.
 * Nothing accepted may be lost (a bit missing from the table, a vector
 * neither listed nor overflowed for a running guest, a record or LOG_LOST
 * missing for one that is not running) or duplicated (a record, list
 * register or count too many).
 *
 * GIM_STRESS_SEED (default 1) and GIM_STRESS_COUNT (steps, default 1000: a
 * few seconds) come from the environment; the soak (tests/guest/soak,
 * gim-stress) runs it with random seeds and a big count and reads the line
 * it prints.
 */

#define ST_GUESTS       3
#define ST_DESTS        4
#define ST_LOG_SIZE     16
#define ST_ROUTES       24      /* routes the test programs */
#define ST_STEPS        1000
#define ST_STEPS_MAX    100000000
#define ST_TABLE_SIZE   (ST_GUESTS * ST_DESTS * GIM_IRR_SIZE)
#define ST_REGS_END     GIM_REG_CNT_RESET
#define ST_IFACE_REGS   (NR_IFACES * GIM_IFACE_STRIDE)

enum {
    ST_CNT_IN, ST_CNT_OUT, ST_CNT_DROPPED, ST_CNT_COALESCED,
    ST_CNT_DELIVERED, ST_CNT_LOGGED, ST_LOG_LOST, ST_NR_CNT
};

static const struct {
    uint32_t reg;
    const char *qmp;
} st_counters[ST_NR_CNT] = {
    [ST_CNT_IN] = { GIM_REG_CNT_IN, "inputs" },
    [ST_CNT_OUT] = { GIM_REG_CNT_OUT, "outputs" },
    [ST_CNT_DROPPED] = { GIM_REG_CNT_DROPPED, "dropped" },
    [ST_CNT_COALESCED] = { GIM_REG_CNT_COALESCED, "coalesced" },
    [ST_CNT_DELIVERED] = { GIM_REG_CNT_DELIVERED, "delivered" },
    [ST_CNT_LOGGED] = { GIM_REG_CNT_LOGGED, "logged" },
    [ST_LOG_LOST] = { GIM_REG_LOG_LOST, "log-lost" },
};

typedef struct StIface {
    uint32_t running;
    uint32_t status;
    unsigned nr_lrs;
    uint8_t lr[GIM_NR_LRS];
    bool taken;             /* took the list registers, not yet acked */
} StIface;

typedef struct StRoute {
    uint32_t ctrl, target, vector, dest_mask;
} StRoute;

/* What the specification says GIM holds now. */
typedef struct Stress {
    GimEnv *e;
    uint64_t rng;
    uint32_t seed;
    uint64_t step;
    const char *action;
    StRoute routes[GIM_MAX_IRQS];
    StIface ifaces[NR_IFACES];
    uint8_t table[ST_TABLE_SIZE];
    uint32_t cnt[ST_NR_CNT];
    uint32_t status;
    uint32_t tail;                          /* e->head is LOG_HEAD */
    struct gim_log_record ring[ST_LOG_SIZE];
    bool fired[NR_IFACES + 1];              /* MSI-X since the last check */
    uint64_t taken;                         /* vectors the hypervisor took */
} Stress;

/* Report the first difference and stop. */
#define ST_CHECK(t, cond, fmt, ...) do { \
    if (!(cond)) { \
        g_test_message("gim stress seed %u: MISMATCH at step %" PRIu64 \
                       " (%s): " fmt, (t)->seed, (t)->step, (t)->action, \
                       ## __VA_ARGS__); \
        fprintf(stderr, "gim stress seed %u: MISMATCH at step %" PRIu64 \
                " (%s): " fmt "\n", (t)->seed, (t)->step, (t)->action, \
                ## __VA_ARGS__); \
        g_assert_true(cond); \
    } \
} while (0)

/* xorshift64*: reproducible from the seed. */
static uint32_t st_rand(Stress *t)
{
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (t->rng * 0x2545f4914f6cdd1dull) >> 32;
}

static uint8_t *st_irr(Stress *t, unsigned guest, unsigned dest)
{
    return &t->table[GIM_IRR_OFFSET(guest, dest, ST_DESTS)];
}

static bool st_pending(Stress *t, unsigned guest, unsigned dest,
                       unsigned vector)
{
    return st_irr(t, guest, dest)[vector / 8] & (1u << (vector % 8));
}

static void st_lr_add(StIface *f, unsigned vector)
{
    for (unsigned n = 0; n < f->nr_lrs; n++) {
        if (f->lr[n] == vector) {
            return;
        }
    }
    if (f->nr_lrs == GIM_NR_LRS) {
        f->status |= GIM_IFACE_STATUS_LR_OVERFLOW;
        return;
    }
    f->lr[f->nr_lrs++] = vector;
}

/* Load what is pending for the (guest, dest) interface @i runs. */
static void st_iface_load(Stress *t, unsigned i)
{
    StIface *f = &t->ifaces[i];
    unsigned guest = GIM_TARGET_GUEST(f->running);
    unsigned dest = GIM_TARGET_DEST(f->running);

    if (!(f->running & GIM_RUNNING_VALID) || guest >= ST_GUESTS ||
        dest >= ST_DESTS) {
        return;
    }
    for (unsigned v = 0; v < GIM_NR_VECTORS; v++) {
        if (st_pending(t, guest, dest, v)) {
            st_lr_add(f, v);
        }
    }
    if (f->nr_lrs && !(f->status & GIM_IFACE_STATUS_DOORBELL)) {
        f->status |= GIM_IFACE_STATUS_DOORBELL;
        t->fired[i] = true;
    }
}

static int st_find_iface(Stress *t, uint32_t target)
{
    for (unsigned i = 0; i < NR_IFACES; i++) {
        if (t->ifaces[i].running == (GIM_RUNNING_VALID | target)) {
            return i;
        }
    }
    return -1;
}

/* One output to (@guest, @dest, @vector), as the specification says. */
static void st_output(Stress *t, unsigned guest, unsigned dest,
                      unsigned vector, bool coalesce, bool count)
{
    uint8_t *irr = st_irr(t, guest, dest);
    bool was_set = irr[vector / 8] & (1u << (vector % 8));
    int i;

    irr[vector / 8] |= 1u << (vector % 8);
    if (coalesce && was_set) {
        t->cnt[ST_CNT_COALESCED]++;
        return;
    }
    if (count) {
        t->cnt[ST_CNT_OUT]++;
    }
    i = st_find_iface(t, GIM_TARGET(guest, dest));
    if (i >= 0) {
        StIface *f = &t->ifaces[i];

        st_lr_add(f, vector);
        t->cnt[ST_CNT_DELIVERED]++;
        if (!(f->status & GIM_IFACE_STATUS_DOORBELL)) {
            f->status |= GIM_IFACE_STATUS_DOORBELL;
            t->fired[i] = true;
        }
    } else if ((t->tail + 1) % ST_LOG_SIZE == t->e->head) {
        t->status |= GIM_STATUS_LOG_OVERFLOW;
        t->cnt[ST_LOG_LOST]++;
    } else {
        t->ring[t->tail] = (struct gim_log_record) {
            .guest = guest, .dest = dest, .vector = vector,
            .seq = t->cnt[ST_CNT_OUT],
        };
        t->tail = (t->tail + 1) % ST_LOG_SIZE;
        t->cnt[ST_CNT_LOGGED]++;
        t->fired[LOG_MSIX] = true;
    }
}

/* One input message, as the specification routes it. */
static void st_input(Stress *t, uint32_t msg)
{
    unsigned irq = msg & GIM_MSG_IRQ_MASK;
    unsigned src = (msg & GIM_MSG_VECTOR_MASK) >> GIM_MSG_VECTOR_SHIFT;
    StRoute *r = &t->routes[irq % GIM_MAX_IRQS];
    unsigned guest = GIM_TARGET_GUEST(r->target);
    unsigned dest = GIM_TARGET_DEST(r->target);
    uint32_t dests = r->dest_mask & ((1u << ST_DESTS) - 1);

    t->cnt[ST_CNT_IN]++;
    if (irq >= GIM_MAX_IRQS) {
        t->cnt[ST_CNT_DROPPED]++;
        return;
    }
    switch (r->ctrl) {
    case GIM_FN_DELIVER:
    case GIM_FN_REMAP:
    case GIM_FN_COALESCE:
        if (guest >= ST_GUESTS || dest >= ST_DESTS) {
            break;
        }
        st_output(t, guest, dest, r->ctrl == GIM_FN_REMAP ?
                  (r->vector + src) & GIM_VECTOR_MASK : r->vector,
                  r->ctrl == GIM_FN_COALESCE, true);
        return;
    case GIM_FN_MULTICAST:
        if (guest >= ST_GUESTS || !dests) {
            break;
        }
        t->cnt[ST_CNT_OUT]++;
        for (unsigned d = 0; d < ST_DESTS; d++) {
            if (dests & (1u << d)) {
                st_output(t, guest, d, r->vector, false, false);
            }
        }
        return;
    }
    t->cnt[ST_CNT_DROPPED]++;
}

/* A device posts one, two (an 8-byte write) or a 16-bit MSI's message. */
static void st_post(Stress *t)
{
    uint32_t x = st_rand(t), y = st_rand(t);
    uint32_t irq = x % 64 ? x % ST_ROUTES : y & GIM_MSG_IRQ_MASK;
    uint32_t src = y % 4 ? (x >> 8) % 8 : (x >> 8) & 0xff;
    uint32_t msg = irq | src << GIM_MSG_VECTOR_SHIFT;

    if (y % 16 == 0) {
        msg |= y & 0xff000000;          /* ignored bits */
    }
    switch (x >> 28) {
    case 0:
        t->action = "post 2 bytes";
        qtest_writew(t->e->qts, t->e->gim->doorbell_addr + (y >> 16) % 0x800 *
                     2, msg & 0xffff);
        st_input(t, msg & 0xffff);
        break;
    case 1: {
        uint32_t msg2 = (y >> 4) % ST_ROUTES;

        t->action = "post 8 bytes";
        qtest_writeq(t->e->qts, t->e->gim->doorbell_addr,
                     msg | (uint64_t)msg2 << 32);
        st_input(t, msg);
        st_input(t, msg2);
        break;
    }
    default:
        t->action = "post";
        qgim_doorbell(t->e->gim, msg);
        st_input(t, msg);
    }
}

/*
 * The hypervisor programs route @irq: target, vector and mask, then CTRL.
 * Mostly a function that routes, to a target inside the table.
 */
static void st_route_irq(Stress *t, unsigned irq)
{
    uint32_t x = st_rand(t), y = st_rand(t);
    StRoute *r = &t->routes[irq];

    r->target = GIM_TARGET((x >> 8) % 8 ? (x >> 11) % ST_GUESTS : ST_GUESTS,
                           (x >> 14) % 8 ? (x >> 17) % ST_DESTS : ST_DESTS);
    r->vector = y % 4 ? 0x30 + (y >> 8) % 12 : (y >> 8) & 0xff;
    r->dest_mask = y % 8 ? (y >> 16) & 0xf : st_rand(t);
    r->ctrl = x % 16 ? ((x >> 20) % 8 ? 1 + (x >> 24) % GIM_FN_MAX :
                        GIM_FN_DROP) : st_rand(t);
    qgim_writel(t->e->gim, GIM_REG_ROUTE(irq) + GIM_ROUTE_TARGET,
                r->target | (x % 8 ? 0 : y & 0xff000000));
    qgim_writel(t->e->gim, GIM_REG_ROUTE(irq) + GIM_ROUTE_VECTOR, r->vector);
    qgim_writel(t->e->gim, GIM_REG_ROUTE(irq) + GIM_ROUTE_DEST_MASK,
                r->dest_mask);
    qgim_writel(t->e->gim, GIM_REG_ROUTE(irq) + GIM_ROUTE_CTRL, r->ctrl);
}

static void st_route(Stress *t)
{
    t->action = "route";
    st_route_irq(t, st_rand(t) % ST_ROUTES);
}

/* Write RUNNING of interface @i: empties it, then loads what is pending. */
static void st_run(Stress *t, unsigned i, uint32_t running)
{
    StIface *f = &t->ifaces[i];

    qgim_iface_writel(t->e->gim, i, GIM_IFACE_RUNNING, running);
    f->running = running & (GIM_RUNNING_VALID | GIM_TARGET_MASK);
    f->nr_lrs = 0;
    f->taken = false;
    st_iface_load(t, i);
}

/*
 * The hypervisor schedules a (guest, dest) that no interface runs on
 * interface @i (one outside the table now and then), or deschedules it.
 */
static void st_schedule(Stress *t)
{
    uint32_t x = st_rand(t);
    unsigned i = x % NR_IFACES;
    uint32_t target = GIM_TARGET((x >> 8) % 64 ? (x >> 8) % ST_GUESTS :
                                 ST_GUESTS, (x >> 16) % ST_DESTS);

    if (x >> 28 < 4 || st_find_iface(t, target) >= 0) {
        t->action = "deschedule";
        st_run(t, i, 0);
    } else {
        t->action = "schedule";
        st_run(t, i, GIM_RUNNING_VALID | target);
    }
}

/*
 * The hypervisor of interface @i: on its doorbell it takes what the list
 * registers show (clears those bits in the table, and LR_OVERFLOW); some
 * steps later it acknowledges.  Now and then it acknowledges for nothing.
 */
static void st_hypervisor(Stress *t, unsigned i, bool spurious)
{
    StIface *f = &t->ifaces[i];
    uint32_t running = f->running;

    if (f->taken || spurious) {
        t->action = f->taken ? "ack" : "spurious ack";
        qgim_iface_writel(t->e->gim, i, GIM_IFACE_ACK, 1);
        f->nr_lrs = 0;
        f->status &= ~GIM_IFACE_STATUS_DOORBELL;
        f->taken = false;
        st_iface_load(t, i);
        return;
    }
    if (!(f->status & GIM_IFACE_STATUS_DOORBELL)) {
        return;
    }
    t->action = "take";
    /* What it read, the list registers, matched the model at the last check. */
    for (unsigned n = 0; n < f->nr_lrs; n++) {
        unsigned guest = GIM_TARGET_GUEST(running);
        unsigned dest = GIM_TARGET_DEST(running);
        unsigned v = f->lr[n];

        irr_clear(t->e, guest, dest, v);
        st_irr(t, guest, dest)[v / 8] &= ~(1u << (v % 8));
        t->taken++;
    }
    if (f->status & GIM_IFACE_STATUS_LR_OVERFLOW) {
        qgim_iface_writel(t->e->gim, i, GIM_IFACE_STATUS,
                          GIM_IFACE_STATUS_LR_OVERFLOW);
        f->status &= ~GIM_IFACE_STATUS_LR_OVERFLOW;
    }
    f->taken = true;
}

/* The hypervisor reads log records (some or all) and moves LOG_HEAD. */
static void st_drain(Stress *t, bool all)
{
    GimEnv *e = t->e;
    uint32_t avail = (t->tail + ST_LOG_SIZE - e->head) % ST_LOG_SIZE;
    uint32_t n = all || !avail ? avail : 1 + st_rand(t) % avail;

    t->action = "drain log";
    for (uint32_t k = 0; k < n; k++) {
        struct gim_log_record r, *want = &t->ring[e->head];

        qtest_memread(e->qts, e->log + e->head * sizeof(r), &r, sizeof(r));
        ST_CHECK(t, le16_to_cpu(r.guest) == want->guest &&
                 r.dest == want->dest && r.vector == want->vector &&
                 le32_to_cpu(r.seq) == want->seq,
                 "log record %u is guest %u dest %u vector 0x%x seq %u, "
                 "expected guest %u dest %u vector 0x%x seq %u", e->head,
                 le16_to_cpu(r.guest), r.dest, r.vector, le32_to_cpu(r.seq),
                 want->guest, want->dest, want->vector, want->seq);
        e->head = (e->head + 1) % ST_LOG_SIZE;
    }
    qgim_writel(e->gim, GIM_REG_LOG_HEAD, e->head);
    if (t->status & GIM_STATUS_LOG_OVERFLOW) {
        /* A real hypervisor would now rescan the table. */
        qgim_writel(e->gim, GIM_REG_STATUS, GIM_STATUS_LOG_OVERFLOW);
        t->status &= ~GIM_STATUS_LOG_OVERFLOW;
    }
}

static uint32_t st_word(const uint8_t *buf, uint32_t off)
{
    return ldl_le_p(buf + off);
}

/* Compare everything visible with the model. */
static void st_check(Stress *t)
{
    GimEnv *e = t->e;
    QGim *gim = e->gim;
    uint8_t regs[ST_REGS_END], ifr[ST_IFACE_REGS];
    uint8_t table[ST_TABLE_SIZE + CANARY], slots[4 * (NR_IFACES + 1)];
    QDict *info;
    QList *ifaces;
    bool any_fired = false;

    /* Registers, as the hypervisor reads them. */
    qpci_memread(&gim->dev, gim->regs, 0, regs, sizeof(regs));
    for (unsigned c = 0; c < ST_NR_CNT; c++) {
        ST_CHECK(t, st_word(regs, st_counters[c].reg) == t->cnt[c],
                 "register %s is %u, expected %u", st_counters[c].qmp,
                 st_word(regs, st_counters[c].reg), t->cnt[c]);
    }
    ST_CHECK(t, st_word(regs, GIM_REG_STATUS) == t->status,
             "STATUS 0x%x, expected 0x%x", st_word(regs, GIM_REG_STATUS),
             t->status);
    ST_CHECK(t, st_word(regs, GIM_REG_LOG_TAIL) == t->tail &&
             st_word(regs, GIM_REG_LOG_HEAD) == e->head,
             "LOG_HEAD %u LOG_TAIL %u, expected %u %u",
             st_word(regs, GIM_REG_LOG_HEAD), st_word(regs, GIM_REG_LOG_TAIL),
             e->head, t->tail);

    qpci_memread(&gim->dev, gim->regs, GIM_REG_IFACE_BASE, ifr, sizeof(ifr));
    for (unsigned i = 0; i < NR_IFACES; i++) {
        const uint8_t *r = ifr + i * GIM_IFACE_STRIDE;
        StIface *f = &t->ifaces[i];

        ST_CHECK(t, st_word(r, GIM_IFACE_RUNNING) == f->running &&
                 st_word(r, GIM_IFACE_STATUS) == f->status &&
                 st_word(r, GIM_IFACE_LR_COUNT) == f->nr_lrs,
                 "interface %u: RUNNING 0x%x STATUS 0x%x LR_COUNT %u, "
                 "expected 0x%x 0x%x %u", i, st_word(r, GIM_IFACE_RUNNING),
                 st_word(r, GIM_IFACE_STATUS),
                 st_word(r, GIM_IFACE_LR_COUNT), f->running, f->status,
                 f->nr_lrs);
        for (unsigned n = 0; n < GIM_NR_LRS; n++) {
            uint32_t want = n < f->nr_lrs ? GIM_LR_VALID | f->lr[n] : 0;

            ST_CHECK(t, st_word(r, GIM_IFACE_LR(n)) == want,
                     "interface %u LR(%u) 0x%x, expected 0x%x", i, n,
                     st_word(r, GIM_IFACE_LR(n)), want);
        }
    }

    /* The table, and nothing written after it. */
    qtest_memread(e->qts, e->table, table, sizeof(table));
    for (unsigned off = 0; off < ST_TABLE_SIZE; off++) {
        ST_CHECK(t, table[off] == t->table[off],
                 "table guest %u dest %u vectors 0x%x-0x%x: 0x%02x, "
                 "expected 0x%02x (bits set: pending)",
                 off / GIM_IRR_SIZE / ST_DESTS, off / GIM_IRR_SIZE % ST_DESTS,
                 off % GIM_IRR_SIZE * 8, off % GIM_IRR_SIZE * 8 + 7,
                 table[off], t->table[off]);
    }
    for (unsigned off = ST_TABLE_SIZE; off < sizeof(table); off++) {
        ST_CHECK(t, table[off] == 0, "byte 0x%x after the table written",
                 off - ST_TABLE_SIZE);
    }

    /*
     * Nothing accepted is stranded: each vector pending for a running
     * (guest, dest) is listed, or LR_OVERFLOW says to rescan, or the
     * hypervisor took the list and will acknowledge.
     */
    for (unsigned i = 0; i < NR_IFACES; i++) {
        StIface *f = &t->ifaces[i];
        unsigned guest = GIM_TARGET_GUEST(f->running);
        unsigned dest = GIM_TARGET_DEST(f->running);
        const uint8_t *r = ifr + i * GIM_IFACE_STRIDE;

        if (!(f->running & GIM_RUNNING_VALID) || guest >= ST_GUESTS ||
            f->taken ||
            (st_word(r, GIM_IFACE_STATUS) & GIM_IFACE_STATUS_LR_OVERFLOW)) {
            continue;
        }
        for (unsigned v = 0; v < GIM_NR_VECTORS; v++) {
            const uint8_t *irr = table + GIM_IRR_OFFSET(guest, dest, ST_DESTS);
            bool listed = false;

            if (!(irr[v / 8] & (1u << (v % 8)))) {
                continue;
            }
            for (unsigned n = 0; n < st_word(r, GIM_IFACE_LR_COUNT); n++) {
                listed |= GIM_LR_VECTOR(st_word(r, GIM_IFACE_LR(n))) == v;
            }
            ST_CHECK(t, listed, "vector 0x%x pending for guest %u dest %u "
                     "on interface %u: not listed, no LR_OVERFLOW", v, guest,
                     dest, i);
        }
    }

    /* MSI-X: the doorbells and log interrupts the model raised, no more. */
    qtest_memread(e->qts, gim->msix_slots, slots, sizeof(slots));
    for (unsigned v = 0; v <= NR_IFACES; v++) {
        uint32_t got = st_word(slots, 4 * v);

        ST_CHECK(t, got == (t->fired[v] ? QGIM_MSIX_DATA(v) : 0),
                 "MSI-X vector %u %s, expected %s", v,
                 got ? "raised" : "not raised",
                 t->fired[v] ? "raised" : "not raised");
        any_fired |= got;
        t->fired[v] = false;
    }
    if (any_fired) {
        qtest_memset(e->qts, gim->msix_slots, 0, sizeof(slots));
    }

    /* gim's own view: query-gim. */
    info = query_gim(e->qts);
    for (unsigned c = 0; c < ST_NR_CNT; c++) {
        ST_CHECK(t, qdict_get_int(info, st_counters[c].qmp) == t->cnt[c],
                 "query-gim %s %" PRId64 ", expected %u", st_counters[c].qmp,
                 qdict_get_int(info, st_counters[c].qmp), t->cnt[c]);
    }
    ST_CHECK(t, qdict_get_int(info, "log-head") == e->head &&
             qdict_get_int(info, "log-tail") == t->tail &&
             qdict_get_int(info, "status") == t->status,
             "query-gim log-head %" PRId64 " log-tail %" PRId64 " status %"
             PRId64 ", expected %u %u %u", qdict_get_int(info, "log-head"),
             qdict_get_int(info, "log-tail"), qdict_get_int(info, "status"),
             e->head, t->tail, t->status);
    ifaces = qdict_get_qlist(info, "ifaces");
    for (unsigned i = 0; i < NR_IFACES; i++) {
        QDict *f = qobject_to(QDict, qlist_peek(ifaces));
        QList *lrs = qdict_get_qlist(f, "lrs");
        StIface *m = &t->ifaces[i];
        unsigned n = 0;

        ST_CHECK(t, qdict_get_int(f, "index") == i &&
                 qdict_get_bool(f, "running") ==
                 !!(m->running & GIM_RUNNING_VALID) &&
                 qdict_get_int(f, "status") == m->status,
                 "query-gim interface %u differs", i);
        for (const QListEntry *l = qlist_first(lrs); l;
             l = qlist_next(l), n++) {
            ST_CHECK(t, n < m->nr_lrs &&
                     qnum_get_int(qobject_to(QNum, qlist_entry_obj(l))) ==
                     m->lr[n], "query-gim interface %u lrs[%u] differs", i, n);
        }
        ST_CHECK(t, n == m->nr_lrs, "query-gim interface %u: %u lrs, "
                 "expected %u", i, n, m->nr_lrs);
        qobject_unref(qlist_pop(ifaces));
    }
    qobject_unref(info);
}

/*
 * At the end, the hypervisor drains the log and runs every (guest, dest)
 * until it took everything: the table must end empty.
 */
static void st_finish(Stress *t)
{
    st_drain(t, true);
    st_check(t);
    for (unsigned i = 0; i < NR_IFACES; i++) {
        t->action = "deschedule all";
        st_run(t, i, 0);
    }
    st_check(t);
    for (unsigned g = 0; g < ST_GUESTS; g++) {
        for (unsigned d = 0; d < ST_DESTS; d++) {
            t->action = "final schedule";
            st_run(t, 0, GIM_RUNNING_VALID | GIM_TARGET(g, d));
            st_check(t);
            for (int k = 0; k < GIM_NR_VECTORS / GIM_NR_LRS + 2 &&
                 (t->ifaces[0].status & GIM_IFACE_STATUS_DOORBELL); k++) {
                st_hypervisor(t, 0, false);
                st_check(t);
                st_hypervisor(t, 0, false);
                st_check(t);
            }
        }
    }
    st_run(t, 0, 0);
    st_check(t);
    for (unsigned off = 0; off < ST_TABLE_SIZE; off++) {
        ST_CHECK(t, t->table[off] == 0, "table byte 0x%x still pending "
                 "after the hypervisor took everything", off);
    }
}

static uint64_t st_env(const char *name, uint64_t def, uint64_t max)
{
    const char *env = getenv(name);
    uint64_t v;

    if (!env || qemu_strtou64(env, NULL, 10, &v) < 0 || v < 1 || v > max) {
        return def;
    }
    return v;
}

static void test_stress(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    g_autofree Stress *t = g_new0(Stress, 1);
    uint64_t steps = st_env("GIM_STRESS_COUNT", ST_STEPS, ST_STEPS_MAX);

    t->seed = st_env("GIM_STRESS_SEED", 1, UINT32_MAX);
    t->rng = t->seed;
    t->e = &e;
    t->action = "enable";
    env_init(&e, gim, alloc, ST_GUESTS, ST_DESTS, ST_LOG_SIZE);
    for (unsigned irq = 0; irq < ST_ROUTES; irq++) {
        st_route_irq(t, irq);
    }
    st_check(t);

    for (t->step = 1; t->step <= steps; t->step++) {
        uint32_t x = st_rand(t);

        switch (x % 100) {
        case 0 ... 54:
            st_post(t);
            break;
        case 55 ... 62:
            st_route(t);
            break;
        case 63 ... 74:
            st_schedule(t);
            break;
        case 75 ... 91:
            st_hypervisor(t, (x >> 8) % NR_IFACES, (x >> 16) % 16 == 0);
            break;
        default:
            st_drain(t, (x >> 8) % 2);
        }
        st_check(t);
    }
    st_finish(t);
    g_test_message("gim stress seed %u: steps=%" PRIu64 " inputs=%u "
                   "outputs=%u dropped=%u coalesced=%u delivered=%u "
                   "logged=%u log-lost=%u taken=%" PRIu64 " lost=0",
                   t->seed, steps, t->cnt[ST_CNT_IN], t->cnt[ST_CNT_OUT],
                   t->cnt[ST_CNT_DROPPED], t->cnt[ST_CNT_COALESCED],
                   t->cnt[ST_CNT_DELIVERED], t->cnt[ST_CNT_LOGGED],
                   t->cnt[ST_LOG_LOST], t->taken);
    g_assert_cmpuint(t->cnt[ST_CNT_DELIVERED], >, 0);
    g_assert_cmpuint(t->cnt[ST_CNT_LOGGED], >, 0);
}

/* Tests: the inactive log */

static void test_log_overflow(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    /* Two records: the ring holds one (full when tail + 1 == head). */
    env_init(&e, gim, alloc, 1, 1, 2);
    qgim_route(gim, 70, GIM_FN_REMAP, 0, 0, 0, 0);

    qgim_doorbell(gim, 70 | (1 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));

    qgim_doorbell(gim, 70 | (2 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 70 | (3 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_LOG_OVERFLOW);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 2);
    check_counters(gim, 3, 3, 0, 0, 0, 1);
    /* Nothing lost: the bits are in the table. */
    g_assert_true(irr_test(&e, 0, 0, 1));
    g_assert_true(irr_test(&e, 0, 0, 2));
    g_assert_true(irr_test(&e, 0, 0, 3));
    /* The one record there is intact; the slot after it not written. */
    {
        struct gim_log_record r;

        qtest_memread(e.qts, e.log + 8, &r, sizeof(r));
        g_assert_cmphex(le32_to_cpu(r.seq), ==, 0xeeeeeeee);
    }
    expect_record(&e, 0, 0, 1, 1);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, 1);

    /* Room again: records go on, the tail wraps. */
    qgim_doorbell(gim, 70 | (4 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 0);
    expect_record(&e, 0, 0, 4, 4);
    qgim_doorbell(gim, 70 | (5 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 1);
    expect_record(&e, 0, 0, 5, 5);
    check_counters(gim, 5, 5, 0, 0, 0, 3);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 2);

    /* STATUS is write-1-to-clear: another bit written leaves it. */
    qgim_writel(gim, GIM_REG_STATUS, GIM_STATUS_TABLE_ERROR);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_LOG_OVERFLOW);
    qgim_writel(gim, GIM_REG_STATUS, GIM_STATUS_LOG_OVERFLOW);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);

    /* HEAD beyond the ring is refused. */
    qgim_writel(gim, GIM_REG_LOG_HEAD, 2);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, e.head);
    qgim_writel(gim, GIM_REG_LOG_HEAD, 0xffffffff);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, e.head);
}

static void test_log_ring(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    const uint32_t size = 5;

    env_init(&e, gim, alloc, 1, 1, size);
    qgim_route(gim, 71, GIM_FN_REMAP, 0, 0, 0, 0);

    /* Fill it: size - 1 records, then one lost. */
    for (uint32_t i = 0; i < size; i++) {
        qgim_doorbell(gim, 71 | (i << GIM_MSG_VECTOR_SHIFT));
    }
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, size - 1);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_LOG_OVERFLOW);
    for (uint32_t i = 0; i < size - 1; i++) {
        expect_record(&e, 0, 0, i, i + 1);
    }
    expect_no_record(&e);
    g_assert_true(irr_test(&e, 0, 0, size - 1));

    /* Around the ring several times, consuming as it goes. */
    for (uint32_t i = size; i < 4 * size; i++) {
        qgim_doorbell(gim, 71 | (i << GIM_MSG_VECTOR_SHIFT));
        expect_record(&e, 0, 0, i, i + 1);
    }
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 1);
    check_counters(gim, 4 * size, 4 * size, 0, 0, 0, 4 * size - 1);

    /* The largest ring is accepted. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, GIM_REG_LOG_LO,
                guest_alloc(alloc, GIM_MAX_LOG_SIZE *
                                   sizeof(struct gim_log_record)));
    qgim_writel(gim, GIM_REG_LOG_HI, 0);
    qgim_writel(gim, GIM_REG_LOG_SIZE, GIM_MAX_LOG_SIZE);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 0);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    qgim_writel(gim, GIM_REG_LOG_HEAD, GIM_MAX_LOG_SIZE - 1);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==,
                     GIM_MAX_LOG_SIZE - 1);
}

/* Tests: bad configuration, addresses and indices */

typedef struct BadConfig {
    const char *what;
    uint32_t reg, val;
} BadConfig;

/*
 * Enabling with the geometry programmed now is refused: GIM stays disabled
 * and sets CONFIG_ERROR, which this clears.
 */
static void expect_enable_refused(QGim *gim)
{
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, 0);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_CONFIG_ERROR);
    qgim_writel(gim, GIM_REG_STATUS, GIM_STATUS_CONFIG_ERROR);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
}

static void test_bad_config(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    uint64_t table, log;
    static const BadConfig bad[] = {
        { "table unaligned by 8", GIM_REG_TABLE_LO, 8 },
        { "table unaligned by 16", GIM_REG_TABLE_LO, 16 },
        { "table unaligned by 1", GIM_REG_TABLE_LO, 1 },
        { "no guests", GIM_REG_TABLE_GUESTS, 0 },
        { "4097 guests", GIM_REG_TABLE_GUESTS, 4097 },
        { "huge guests", GIM_REG_TABLE_GUESTS, 0xffffffff },
        { "no dests", GIM_REG_TABLE_DESTS, 0 },
        { "257 dests", GIM_REG_TABLE_DESTS, 257 },
        { "huge dests", GIM_REG_TABLE_DESTS, 0x80000000 },
        { "log unaligned by 4", GIM_REG_LOG_LO, 4 },
        { "log unaligned by 1", GIM_REG_LOG_LO, 1 },
        { "empty log", GIM_REG_LOG_SIZE, 0 },
        { "one-record log", GIM_REG_LOG_SIZE, 1 },
        { "65537-record log", GIM_REG_LOG_SIZE, 65537 },
        { "huge log", GIM_REG_LOG_SIZE, 0xffffffff },
    };

    env_init(&e, gim, alloc, 4, 4, 8);
    table = e.table;
    log = e.log;
    qgim_route(gim, 80, GIM_FN_DELIVER, 1, 1, 0x80, 0);

    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        uint32_t good;

        g_test_message("bad config: %s", bad[i].what);
        qgim_writel(gim, GIM_REG_CTRL, 0);
        good = qgim_readl(gim, bad[i].reg);
        qgim_writel(gim, bad[i].reg,
                    bad[i].reg == GIM_REG_TABLE_LO ? table + bad[i].val :
                    bad[i].reg == GIM_REG_LOG_LO ? log + bad[i].val :
                    bad[i].val);
        expect_enable_refused(gim);
        /* Disabled: dropped, nothing written. */
        qgim_doorbell(gim, 80);
        g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_DROPPED), ==, i + 1);
        g_assert_false(irr_test(&e, 1, 1, 0x80));
        check_alive(gim);

        qgim_writel(gim, bad[i].reg, good);
        qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
        g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
        g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
    }
    check_counters(gim, ARRAY_SIZE(bad), 0, ARRAY_SIZE(bad), 0, 0, 0);

    /* A table or ring that wraps the 64-bit address space is refused. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, GIM_REG_TABLE_LO, 0xffffffe0);
    qgim_writel(gim, GIM_REG_TABLE_HI, 0xffffffff);
    expect_enable_refused(gim);
    qgim_writel(gim, GIM_REG_TABLE_LO, table);
    qgim_writel(gim, GIM_REG_TABLE_HI, table >> 32);
    qgim_writel(gim, GIM_REG_LOG_LO, 0xfffffff8);
    qgim_writel(gim, GIM_REG_LOG_HI, 0xffffffff);
    expect_enable_refused(gim);
    qgim_writel(gim, GIM_REG_LOG_LO, log);
    qgim_writel(gim, GIM_REG_LOG_HI, log >> 32);

    /*
     * A head beyond the ring is taken while disabled (up to 65536, see
     * LOG_HEAD in docs/specs/gim.rst) and refused on enable.
     */
    qgim_writel(gim, GIM_REG_LOG_SIZE, 4);
    qgim_writel(gim, GIM_REG_LOG_HEAD, 6);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_HEAD), ==, 6);
    expect_enable_refused(gim);
    qgim_writel(gim, GIM_REG_LOG_HEAD, 0);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);

    /* The good configuration works. */
    qgim_doorbell(gim, 80);
    g_assert_true(irr_test(&e, 1, 1, 0x80));
    check_alive(gim);
}

/* Program the table (or log) base while disabled, then enable. */
static void rebase(QGim *gim, uint32_t lo_reg, uint64_t addr)
{
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, lo_reg, addr);
    qgim_writel(gim, lo_reg + 4, addr >> 32);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
}

static void test_bad_addresses(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    uint64_t ram = ram_size(qgim_qts(gim));
    uint64_t regs_addr = gim->regs.addr;
    uint32_t in;
    const uint8_t v81[] = { 0x81 };

    env_init(&e, gim, alloc, 2, 2, 8);
    qgim_route(gim, 81, GIM_FN_DELIVER, 1, 1, 0x81, 0);

    /* Table beyond RAM: TABLE_ERROR, still logged. */
    rebase(gim, GIM_REG_TABLE_LO, 0x4000000000ull);
    qgim_doorbell(gim, 81);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_TABLE_ERROR);
    check_counters(gim, 1, 1, 0, 0, 0, 1);
    expect_record(&e, 1, 1, 0x81, 1);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);

    /* ... and still delivered to a running interface. */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(1, 1));
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_TABLE_ERROR);   /* its IRR cannot be read */
    expect_lrs(gim, 0, 0, NULL);
    qgim_doorbell(gim, 81);
    expect_lrs(gim, 0, 1, v81);
    check_counters(gim, 2, 2, 0, 0, 1, 1);
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, 0);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);

    /* Table on GIM's own registers or doorbell: refused, no recursion. */
    rebase(gim, GIM_REG_TABLE_LO, regs_addr);
    qgim_doorbell(gim, 81);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_TABLE_ERROR);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ID), ==, GIM_ID_MAGIC);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);
    in = qgim_readl(gim, GIM_REG_CNT_IN);
    rebase(gim, GIM_REG_TABLE_LO, gim->doorbell_addr);
    qgim_doorbell(gim, 81);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, in + 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_TABLE_ERROR);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);
    expect_record(&e, 1, 1, 0x81, 3);
    expect_record(&e, 1, 1, 0x81, 4);

    /* A table straddling the end of RAM: the part in RAM works. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, GIM_REG_TABLE_DESTS, 1);
    rebase(gim, GIM_REG_TABLE_LO, MIN(ram, 0x80000000ull) - GIM_IRR_SIZE);
    qgim_route(gim, 82, GIM_FN_DELIVER, 0, 0, 0xff, 0);
    qgim_doorbell(gim, 82);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
    qgim_route(gim, 82, GIM_FN_DELIVER, 1, 0, 0, 0);
    qgim_doorbell(gim, 82);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==,
                    GIM_STATUS_TABLE_ERROR);
    expect_record(&e, 0, 0, 0xff, 5);
    expect_record(&e, 1, 0, 0, 6);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, GIM_REG_TABLE_DESTS, 2);
    rebase(gim, GIM_REG_TABLE_LO, e.table);

    /* Log beyond RAM: LOG_ERROR, lost, tail stays, the table bit is set. */
    rebase(gim, GIM_REG_LOG_LO, 0x4000000000ull);
    qgim_doorbell(gim, 81);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, GIM_STATUS_LOG_ERROR);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, e.head);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_LOST), ==, 1);
    g_assert_true(irr_test(&e, 1, 1, 0x81));
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);

    /* Log on the doorbell: no message from it. */
    in = qgim_readl(gim, GIM_REG_CNT_IN);
    rebase(gim, GIM_REG_LOG_LO, gim->doorbell_addr);
    qgim_doorbell(gim, 81);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, in + 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, GIM_STATUS_LOG_ERROR);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);

    /* Bus mastering off: GIM cannot reach the table. */
    rebase(gim, GIM_REG_LOG_LO, e.log);
    irr_clear(&e, 1, 1, 0x81);
    qpci_config_writew(&gim->dev, PCI_COMMAND,
                       qpci_config_readw(&gim->dev, PCI_COMMAND) &
                       ~PCI_COMMAND_MASTER);
    qgim_doorbell(gim, 81);
    g_assert_false(irr_test(&e, 1, 1, 0x81));
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS) & GIM_STATUS_TABLE_ERROR,
                    ==, GIM_STATUS_TABLE_ERROR);
    qgim_enable(gim);
    qgim_writel(gim, GIM_REG_STATUS, 0xffffffff);
    qgim_doorbell(gim, 81);
    g_assert_true(irr_test(&e, 1, 1, 0x81));
    g_assert_cmphex(qgim_readl(gim, GIM_REG_STATUS), ==, 0);
    check_alive(gim);
}

static void test_bad_indices(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;
    uint32_t in;

    env_init(&e, gim, alloc, 3, 5, 8);

    /* Targets outside the table's geometry: dropped, nothing written. */
    qgim_route(gim, 90, GIM_FN_DELIVER, 3, 0, 1, 0);
    qgim_route(gim, 91, GIM_FN_DELIVER, 0, 5, 1, 0);
    qgim_route(gim, 92, GIM_FN_REMAP, 0xffff, 0xff, 1, 0);
    qgim_route(gim, 93, GIM_FN_COALESCE, 2, 5, 1, 0);
    for (int irq = 90; irq <= 93; irq++) {
        qgim_doorbell(gim, irq);
    }
    check_counters(gim, 4, 0, 4, 0, 0, 0);
    g_assert_cmpint(table_popcount(&e), ==, 0);
    expect_no_record(&e);
    expect_no_msix(gim);

    /* Interrupt numbers past the routing entries. */
    qgim_doorbell(gim, 256);
    qgim_doorbell(gim, 0x1ff | (5 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(gim, 0xffffffff);
    check_counters(gim, 7, 0, 7, 0, 0, 0);

    /* Interfaces past the last read 0 and ignore writes. */
    for (int i = NR_IFACES; i < GIM_MAX_IFACES; i++) {
        qgim_iface_writel(gim, i, GIM_IFACE_RUNNING, running(0, 0));
        qgim_iface_writel(gim, i, GIM_IFACE_ACK, 1);
        for (uint32_t r = 0; r < GIM_IFACE_STRIDE; r += 4) {
            g_assert_cmphex(qgim_iface_readl(gim, i, r), ==, 0);
        }
    }
    /* A guest scheduled outside the table: no list registers. */
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(3, 0));
    expect_lrs(gim, 0, 0, NULL);
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, running(0xffff, 0xff));
    expect_lrs(gim, 0, 0, NULL);
    qgim_iface_writel(gim, 0, GIM_IFACE_RUNNING, 0);

    /* Reserved registers read 0; writes there change nothing. */
    qgim_writel(gim, 0x38, 0xffffffff);
    qgim_writel(gim, 0x3fc, 0xffffffff);
    qgim_writel(gim, GIM_REG_ID, 0);
    qgim_writel(gim, GIM_REG_CAPS, 0);
    qgim_writel(gim, GIM_REG_LOG_TAIL, 3);
    qgim_writel(gim, GIM_REG_CNT_IN, 0);
    g_assert_cmphex(qgim_readl(gim, 0x38), ==, 0);
    g_assert_cmphex(qgim_readl(gim, 0x3fc), ==, 0);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ID), ==, GIM_ID_MAGIC);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CAPS), ==,
                    GIM_MAX_IRQS | NR_IFACES << 16 | GIM_NR_LRS << 24);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_LOG_TAIL), ==, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, 7);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_RESET), ==, 0);

    /* Bad access sizes and alignment on BAR0 are refused. */
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qtest_writeb(e.qts, gim->regs.addr + GIM_REG_CTRL, 1);
    qtest_writew(e.qts, gim->regs.addr + GIM_REG_CTRL, 1);
    qtest_writel(e.qts, gim->regs.addr + GIM_REG_CTRL + 1, 1);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CTRL), ==, 0);
    qtest_readb(e.qts, gim->regs.addr + GIM_REG_ID);
    qtest_readw(e.qts, gim->regs.addr + GIM_REG_ID + 2);
    qtest_readq(e.qts, gim->regs.addr + GIM_REG_ID);
    qtest_readl(e.qts, gim->regs.addr + GIM_REG_ID + 3);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);

    /* Reading the doorbell posts nothing. */
    in = qgim_readl(gim, GIM_REG_CNT_IN);
    g_assert_cmphex(qtest_readl(e.qts, gim->doorbell_addr), ==, 0);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, in);
    check_alive(gim);
}

/*
 * Every guest mistake is reported: GIM's own checks with -d guest_errors,
 * bad access sizes to BAR0 (refused by the memory core) with -d invalid_mem.
 */

static void *before_guest_errors(GString *cmd_line, void *arg)
{
    char *path = g_strdup_printf("%s/gim-guest-errors-%d.log",
                                 g_get_tmp_dir(), getpid());

    unlink(path);
    g_string_append_printf(cmd_line, " -d guest_errors,invalid_mem -D %s",
                           path);
    return path;
}

/* Whether the log grew since *@seen; moves *@seen to its end. */
static bool logged(const char *path, goffset *seen)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    bool grew;

    g_assert(g_file_get_contents(path, &text, &len, NULL));
    grew = len > *seen;
    if (grew) {
        g_test_message("logged: %.*s", (int)(len - *seen), text + *seen);
    }
    *seen = len;
    return grew;
}

static void test_guest_errors(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    g_autofree char *path = data;
    goffset seen = 0;
    GimEnv e;

    logged(path, &seen);
    qgim_doorbell(gim, 1);                           /* while disabled */
    g_assert_true(logged(path, &seen));
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE); /* no table set up */
    g_assert_true(logged(path, &seen));
    qgim_writel(gim, GIM_REG_STATUS, GIM_STATUS_CONFIG_ERROR);

    env_init(&e, gim, alloc, 2, 2, 4);
    g_assert_false(logged(path, &seen));            /* a good setup is quiet */
    qgim_route(gim, 1, GIM_FN_DELIVER, 0, 0, 1, 0);
    qgim_doorbell(gim, 1);
    g_assert_false(logged(path, &seen));

    qgim_doorbell(gim, GIM_MAX_IRQS);                /* no such entry */
    g_assert_true(logged(path, &seen));
    qgim_route(gim, 2, GIM_FN_MAX + 1, 0, 0, 1, 0);  /* unknown function */
    g_assert_true(logged(path, &seen));
    qgim_doorbell(gim, 2);
    g_assert_true(logged(path, &seen));
    qgim_route(gim, 3, GIM_FN_DELIVER, 2, 0, 1, 0);  /* guest outside */
    qgim_doorbell(gim, 3);
    g_assert_true(logged(path, &seen));
    qgim_route(gim, 4, GIM_FN_MULTICAST, 0, 0, 1, 0x4); /* dest outside */
    qgim_doorbell(gim, 4);
    g_assert_true(logged(path, &seen));
    qgim_writel(gim, GIM_REG_ID, 0);                 /* read-only */
    g_assert_true(logged(path, &seen));
    qgim_readl(gim, 0x3c);                           /* reserved */
    g_assert_true(logged(path, &seen));
    qgim_iface_writel(gim, NR_IFACES, GIM_IFACE_RUNNING, 0); /* no such */
    g_assert_true(logged(path, &seen));
    qgim_iface_writel(gim, 0, GIM_IFACE_LR(0), 0);   /* read-only */
    g_assert_true(logged(path, &seen));
    qgim_iface_readl(gim, 0, GIM_IFACE_ACK);        /* write-only */
    g_assert_true(logged(path, &seen));
    qgim_iface_readl(gim, 0, GIM_IFACE_LR_END);     /* reserved */
    g_assert_true(logged(path, &seen));
    qgim_iface_readl(gim, NR_IFACES, GIM_IFACE_RUNNING); /* no such */
    g_assert_true(logged(path, &seen));
    qgim_writel(gim, GIM_REG_TABLE_GUESTS, 1);       /* while enabled */
    g_assert_true(logged(path, &seen));
    qgim_writel(gim, GIM_REG_LOG_HEAD, 4);           /* beyond the ring */
    g_assert_true(logged(path, &seen));
    qtest_writeb(e.qts, gim->regs.addr + GIM_REG_CTRL, 0); /* bad size */
    g_assert_true(logged(path, &seen));
    qtest_readl(e.qts, gim->doorbell_addr);         /* write-only */
    g_assert_true(logged(path, &seen));

    rebase(gim, GIM_REG_TABLE_LO, 0x4000000000ull); /* table not in RAM */
    g_assert_false(logged(path, &seen));
    qgim_doorbell(gim, 1);
    g_assert_true(logged(path, &seen));
    rebase(gim, GIM_REG_TABLE_LO, e.table);
    rebase(gim, GIM_REG_LOG_LO, 0x4000000000ull);   /* log not in RAM */
    qgim_doorbell(gim, 1);
    g_assert_true(logged(path, &seen));

    check_alive(gim);
    unlink(path);
}

/* Tests: the doorbell */

static void test_doorbell(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    uint64_t db = gim->doorbell_addr;
    GimEnv e;

    env_init(&e, gim, alloc, 1, 1, 16);
    for (int irq = 1; irq <= 6; irq++) {
        qgim_route(gim, irq, GIM_FN_REMAP, 0, 0, irq * 0x10, 0);
    }

    qtest_writeb(e.qts, db, 1);                         /* one message */
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, 1);
    qtest_writew(e.qts, db + 0x10, 2);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, 2);
    qtest_writel(e.qts, db + GIM_DOORBELL_SIZE - 4,
                 3 | (1 << GIM_MSG_VECTOR_SHIFT));
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, 3);
    qtest_writeq(e.qts, db + 0x100,                     /* two messages */
                 4 | (uint64_t)(5 | (2 << GIM_MSG_VECTOR_SHIFT)) << 32);
    g_assert_cmpuint(qgim_readl(gim, GIM_REG_CNT_IN), ==, 5);
    qgim_doorbell(gim, 6);
    check_counters(gim, 6, 6, 0, 0, 0, 6);

    /* Misaligned writes are refused whole, never split into messages. */
    qtest_writel(e.qts, db + 1, 0x01020304);
    qtest_writew(e.qts, db + 3, 1);
    qtest_writeq(e.qts, db + 4, 1);
    check_counters(gim, 6, 6, 0, 0, 0, 6);

    expect_record(&e, 0, 0, 0x10, 1);
    expect_record(&e, 0, 0, 0x20, 2);
    expect_record(&e, 0, 0, 0x31, 3);
    expect_record(&e, 0, 0, 0x40, 4);   /* the low word first */
    expect_record(&e, 0, 0, 0x52, 5);
    expect_record(&e, 0, 0, 0x60, 6);
    expect_no_record(&e);
}

/* Tests: a real device's MSI retargeted to the doorbell */

static void *before_edu(GString *cmd_line, void *arg)
{
    g_string_append_printf(cmd_line, " -device edu,addr=%02x.0", EDU_SLOT);
    return arg;
}

static void test_edu_msi(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    QEdu edu;
    GimEnv e;
    const uint8_t v77[] = { 0x77 };

    env_init(&e, gim, alloc, 2, 2, 16);
    qgim_route(gim, 42, GIM_FN_DELIVER, 1, 0, 0x77, 0);
    /* edu's MSI goes to the doorbell: its data is the interrupt number. */
    qedu_init(&edu, gim->dev.bus, QPCI_DEVFN(EDU_SLOT, 0),
              gim->doorbell_addr, 42);

    qedu_raise(&edu, 1);
    check_counters(gim, 1, 1, 0, 0, 0, 1);
    g_assert_true(irr_test(&e, 1, 0, 0x77));
    g_assert_cmpint(table_popcount(&e), ==, 1);
    expect_record(&e, 1, 0, 0x77, 1);
    g_assert_true(qgim_msix_fired(gim, LOG_MSIX));

    /* Each MSI is one input; with the guest running it reaches its LRs. */
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, running(1, 0));
    qgim_iface_writel(gim, 3, GIM_IFACE_ACK, 1);
    qedu_raise(&edu, 2);
    check_counters(gim, 3, 3, 0, 0, 2, 1);
    expect_lrs(gim, 3, 1, v77);
    g_assert_true(qgim_msix_fired(gim, 3));
    expect_no_record(&e);

    /* The route decides: COALESCE folds the device's repeated MSIs. */
    qgim_route(gim, 42, GIM_FN_COALESCE, 1, 1, 0x78, 0);
    qedu_raise(&edu, 5);
    check_counters(gim, 8, 4, 0, 4, 2, 2);
    g_assert_true(irr_test(&e, 1, 1, 0x78));
    expect_record(&e, 1, 1, 0x78, 4);

    qedu_destroy(&edu);
}

/* Tests: QMP and reset */

static void test_query(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    QTestState *qts = qgim_qts(gim);
    GimEnv e;
    QDict *info;
    QList *ifaces, *lrs;
    QListEntry *ent;
    int n = 0;
    g_autofree char *hmp = NULL;

    info = query_gim(qts);
    g_assert_false(qdict_get_bool(info, "enabled"));
    g_assert_cmpint(qdict_get_int(info, "irqs"), ==, GIM_MAX_IRQS);
    g_assert_cmpint(qdict_get_int(info, "interfaces"), ==, NR_IFACES);
    qobject_unref(info);

    env_init(&e, gim, alloc, 3, 2, 4);
    qgim_route(gim, 1, GIM_FN_REMAP, 2, 1, 0x10, 0);
    qgim_route(gim, 2, GIM_FN_COALESCE, 0, 0, 0x20, 0);
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(2, 1));
    for (int i = 0; i < 3; i++) {
        qgim_doorbell(gim, 1 | (i << GIM_MSG_VECTOR_SHIFT));
    }
    for (int i = 0; i < 5; i++) {
        qgim_doorbell(gim, 2);
    }
    qgim_doorbell(gim, 0);
    qgim_writel(gim, GIM_REG_STATUS, 0);
    qgim_writel(gim, GIM_REG_CTRL, 0);
    qgim_writel(gim, GIM_REG_LOG_HEAD, 1);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);

    info = query_gim(qts);
    g_assert_true(qdict_get_bool(info, "enabled"));
    g_assert_cmpuint(qdict_get_int(info, "table-base"), ==, e.table);
    g_assert_cmpuint(qdict_get_int(info, "guests"), ==, 3);
    g_assert_cmpuint(qdict_get_int(info, "dests"), ==, 2);
    g_assert_cmpuint(qdict_get_int(info, "log-base"), ==, e.log);
    g_assert_cmpuint(qdict_get_int(info, "log-size"), ==, 4);
    g_assert_cmpuint(qdict_get_int(info, "log-head"), ==, 1);
    g_assert_cmpuint(qdict_get_int(info, "log-tail"), ==, 1);
    g_assert_cmpuint(qdict_get_int(info, "log-lost"), ==, 0);
    g_assert_cmpuint(qdict_get_int(info, "status"), ==, 0);
    g_assert_cmpuint(qdict_get_int(info, "inputs"), ==, 9);
    g_assert_cmpuint(qdict_get_int(info, "outputs"), ==, 4);
    g_assert_cmpuint(qdict_get_int(info, "dropped"), ==, 1);
    g_assert_cmpuint(qdict_get_int(info, "coalesced"), ==, 4);
    g_assert_cmpuint(qdict_get_int(info, "delivered"), ==, 3);
    g_assert_cmpuint(qdict_get_int(info, "logged"), ==, 1);
    ifaces = qdict_get_qlist(info, "ifaces");
    QLIST_FOREACH_ENTRY(ifaces, ent) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(ent));

        g_assert_cmpint(qdict_get_int(d, "index"), ==, n);
        g_assert_cmpint(qdict_get_bool(d, "running"), ==, n == 2);
        lrs = qdict_get_qlist(d, "lrs");
        if (n == 2) {
            g_assert_cmpint(qdict_get_int(d, "guest"), ==, 2);
            g_assert_cmpint(qdict_get_int(d, "dest"), ==, 1);
            g_assert_cmpint(qdict_get_int(d, "status"), ==,
                            GIM_IFACE_STATUS_DOORBELL);
            g_assert_cmpint(qlist_size(lrs), ==, 3);
            for (int k = 0; k < 3; k++) {
                QObject *o = qlist_pop(lrs);

                g_assert_cmpint(qnum_get_int(qobject_to(QNum, o)), ==,
                                0x10 + k);
                qobject_unref(o);
            }
        } else {
            g_assert_cmpint(qlist_size(lrs), ==, 0);
            g_assert_cmpint(qdict_get_int(d, "status"), ==, 0);
        }
        n++;
    }
    g_assert_cmpint(n, ==, NR_IFACES);
    qobject_unref(info);

    hmp = qtest_hmp(qts, "info gim");
    g_assert_nonnull(strstr(hmp, "enabled"));
    g_assert_nonnull(strstr(hmp, "in 9 out 4 dropped 1 coalesced 4 "
                            "delivered 3 logged 1"));
    g_assert_nonnull(strstr(hmp, "iface 2: guest 2 dest 1"));
}

static void test_reset(void *obj, void *data, QGuestAllocator *alloc)
{
    QGim *gim = obj;
    GimEnv e;

    env_init(&e, gim, alloc, 2, 2, 4);
    qgim_route(gim, 255, GIM_FN_DELIVER, 1, 1, 0x55, 0);
    qgim_iface_writel(gim, 3, GIM_IFACE_RUNNING, running(1, 1));
    qgim_doorbell(gim, 255);
    qgim_doorbell(gim, 254);
    g_assert_cmpuint(qgim_iface_readl(gim, 3, GIM_IFACE_LR_COUNT), ==, 1);

    qtest_qmp_assert_success(e.qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(e.qts, "RESET");
    qgim_remap(gim);

    for (uint32_t r = GIM_REG_CTRL; r <= GIM_REG_CNT_LOGGED; r += 4) {
        g_assert_cmphex(qgim_readl(gim, r), ==, 0);
    }
    for (uint32_t r = GIM_REG_IFACE_BASE; r < GIM_REGS_SIZE; r += 4) {
        g_assert_cmphex(qgim_readl(gim, r), ==, 0);
    }
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ID), ==, GIM_ID_MAGIC);
}

/* Plain tests: properties and the command line */

static QGim *gim_on(QTestState *qts, QPCIBus **bus, int slot)
{
    QGim *gim = g_new0(QGim, 1);

    *bus = qpci_new_pc(qts, NULL);
    qgim_init(gim, *bus, &(QPCIAddress) { .devfn = QPCI_DEVFN(slot, 0) });
    qgim_enable(gim);
    return gim;
}

static void gim_off(QGim *gim, QPCIBus *bus)
{
    qgim_destroy(gim);
    g_free(gim);
    qpci_free_pc(bus);
}

static void test_properties(void)
{
    QTestState *qts;
    QPCIBus *bus;
    QGim *gim;
    QDict *info;
    uint8_t cap;

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    qts = qtest_init("-machine pc -device gim,addr=04.0,irqs=16,interfaces=2");
    gim = gim_on(qts, &bus, 4);
    g_assert_cmphex(qgim_readl(gim, GIM_REG_CAPS), ==,
                    16 | 2 << 16 | GIM_NR_LRS << 24);
    cap = qpci_find_capability(&gim->dev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmpint(cap, !=, 0);
    g_assert_cmpint((qpci_config_readw(&gim->dev, cap + PCI_MSIX_FLAGS) &
                     PCI_MSIX_FLAGS_QSIZE) + 1, ==, 3);

    /* Entries past irqs and interfaces past the second read 0. */
    qgim_route(gim, 16, GIM_FN_DELIVER, 0, 0, 1, 1);
    qgim_route(gim, 15, GIM_FN_DELIVER, 0, 0, 2, 0);
    for (uint32_t r = 0; r < GIM_ROUTE_SIZE; r += 4) {
        g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(16) + r), ==, 0);
    }
    g_assert_cmphex(qgim_readl(gim, GIM_REG_ROUTE(15) + GIM_ROUTE_CTRL), ==,
                    GIM_FN_DELIVER);
    qgim_iface_writel(gim, 2, GIM_IFACE_RUNNING, running(0, 0));
    g_assert_cmphex(qgim_iface_readl(gim, 2, GIM_IFACE_RUNNING), ==, 0);
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, running(0, 0));
    g_assert_cmphex(qgim_iface_readl(gim, 1, GIM_IFACE_RUNNING), ==,
                    running(0, 0));
    qgim_iface_writel(gim, 1, GIM_IFACE_RUNNING, 0);

    /* Interrupt 16 is beyond the entries: dropped; 15 is routed. */
    qtest_memset(qts, 0x100000, 0, 64);
    qgim_set_geometry(gim, 0x100000, 1, 1, 0x101000, 4);
    qgim_writel(gim, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    qgim_doorbell(gim, 16);
    qgim_doorbell(gim, 15);
    check_counters(gim, 2, 1, 1, 0, 0, 1);
    g_assert_cmphex(qtest_readb(qts, 0x100000), ==, 0x04);

    info = query_gim(qts);
    g_assert_cmpint(qdict_get_int(info, "irqs"), ==, 16);
    g_assert_cmpint(qdict_get_int(info, "interfaces"), ==, 2);
    g_assert_cmpint(qlist_size(qdict_get_qlist(info, "ifaces")), ==, 2);
    qobject_unref(info);

    gim_off(gim, bus);
    qtest_quit(qts);
}

static void test_bad_properties(void)
{
    static const struct {
        const char *prop;
        const char *named;      /* the property the error names */
    } bad[] = {
        { "irqs=0", "irqs" },
        { "irqs=257", "irqs" },
        { "irqs=-1", "irqs" },
        { "interfaces=0", "interfaces" },
        { "interfaces=17", "interfaces" },
    };

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *args = g_strdup_printf("-device gim,%s",
                                                bad[i].prop);
        g_autofree char *out = NULL;
        int rc = qos_run_qemu_cmdline(args, &out);

        g_test_message("%s: rc %d: %s", bad[i].prop, rc, out);
        g_assert_cmpint(rc, ==, 1);
        g_assert_nonnull(strstr(out, bad[i].named));
    }
}

static void test_help(void)
{
    g_autofree char *out = NULL;

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    g_assert_cmpint(qos_run_qemu_cmdline("-device gim,help", &out), ==, 0);
    g_assert_nonnull(strstr(out, "irqs=<uint32>"));
    g_assert_nonnull(strstr(out, "interfaces=<uint32>"));
}

static void test_no_device(void)
{
    QTestState *qts;
    QDict *rsp;

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    qts = qtest_init("-machine pc");
    rsp = qtest_qmp(qts, "{ 'execute': 'query-gim' }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"),
                    ==, "DeviceNotFound");
    qobject_unref(rsp);
    qtest_quit(qts);
}

static void test_two_devices(void)
{
    QTestState *qts;
    QDict *rsp, *ret;

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    qts = qtest_init("-machine pc -device gim,addr=04.0,id=g0 "
                     "-device gim,addr=05.0,id=g1,irqs=8");

    /* Which one is meant must be said. */
    rsp = qtest_qmp(qts, "{ 'execute': 'query-gim' }");
    g_assert_nonnull(qdict_get_qdict(rsp, "error"));
    qobject_unref(rsp);

    ret = qtest_qmp_assert_success_ref(qts, "{ 'execute': 'query-gim',"
                                       " 'arguments': { 'qdev': 'g0' } }");
    g_assert_cmpint(qdict_get_int(ret, "irqs"), ==, GIM_MAX_IRQS);
    qobject_unref(ret);
    ret = qtest_qmp_assert_success_ref(qts, "{ 'execute': 'query-gim',"
                                       " 'arguments': { 'qdev': 'g1' } }");
    g_assert_cmpint(qdict_get_int(ret, "irqs"), ==, 8);
    qobject_unref(ret);
    rsp = qtest_qmp(qts, "{ 'execute': 'query-gim',"
                    " 'arguments': { 'qdev': 'nope' } }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"),
                    ==, "DeviceNotFound");
    qobject_unref(rsp);
    qtest_quit(qts);
}

/* Plain tests: migration */

#define MIG_TABLE   0x200000
#define MIG_LOG     0x300000
#define MIG_MSIX    0x400000
#define MIG_GUESTS  4
#define MIG_DESTS   4
#define MIG_LOGSZ   8

/* Every readable register of BAR0 (CNT_RESET is write-only, reads 0). */
static uint32_t *snapshot(QGim *gim)
{
    uint32_t *regs = g_new(uint32_t, GIM_REGS_SIZE / 4);

    for (uint32_t r = 0; r < GIM_REGS_SIZE; r += 4) {
        regs[r / 4] = qgim_readl(gim, r);
    }
    return regs;
}

static void test_migration(void)
{
    g_autofree char *uri = NULL;
    g_autofree char *sock = NULL;
    const char *args = "-machine pc -device gim,addr=04.0";
    QTestState *src, *dst;
    QPCIBus *sbus, *dbus;
    QGim *sg, *dg;
    GimEnv e;
    g_autofree uint32_t *before = NULL, *after = NULL;
    uint8_t stab[MIG_GUESTS * MIG_DESTS * GIM_IRR_SIZE];
    uint8_t dtab[sizeof(stab)];
    uint8_t slog[MIG_LOGSZ * sizeof(struct gim_log_record)];
    uint8_t dlog[sizeof(slog)];
    const uint8_t lrs[] = { 0xfe, 0x10 };
    QDict *info;

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    sock = qos_tmp_path("sock");
    uri = g_strdup_printf("unix:%s", sock);
    src = qtest_initf("%s", args);
    dst = qtest_initf("%s -incoming %s", args, uri);

    /* The source hypervisor programs GIM and takes some interrupts. */
    sg = gim_on(src, &sbus, QGIM_SLOT);
    qtest_memset(src, MIG_TABLE, 0, sizeof(stab));
    qtest_memset(src, MIG_LOG, 0, sizeof(slog));
    qgim_msix_enable(sg, MIG_MSIX);
    qgim_set_geometry(sg, MIG_TABLE, MIG_GUESTS, MIG_DESTS, MIG_LOG,
                      MIG_LOGSZ);
    qgim_writel(sg, GIM_REG_CTRL, GIM_CTRL_ENABLE);
    g_assert_cmphex(qgim_readl(sg, GIM_REG_CTRL), ==, GIM_CTRL_ENABLE);
    qgim_route(sg, 1, GIM_FN_DELIVER, 1, 2, 0x21, 0);
    qgim_route(sg, 2, GIM_FN_REMAP, 3, 0, 0x80, 0);
    qgim_route(sg, 3, GIM_FN_MULTICAST, 2, 0, 0x33, 0x5);
    qgim_route(sg, 4, GIM_FN_COALESCE, 0, 3, 0xfe, 0);
    qgim_route(sg, 5, GIM_FN_DELIVER, 0, 3, 0x10, 0);
    qgim_route(sg, 255, GIM_FN_MAX + 3, 3, 3, 0xab, 0x12345678);
    qgim_iface_writel(sg, 2, GIM_IFACE_RUNNING, running(0, 3));
    qgim_iface_writel(sg, 0, GIM_IFACE_RUNNING, running(3, 3));
    qgim_doorbell(sg, 1);
    qgim_doorbell(sg, 2 | (5 << GIM_MSG_VECTOR_SHIFT));
    qgim_doorbell(sg, 3);
    qgim_doorbell(sg, 4);
    qgim_doorbell(sg, 4);
    qgim_doorbell(sg, 255);
    qgim_writel(sg, GIM_REG_LOG_HEAD, 1);        /* read one record */
    check_counters(sg, 6, 4, 1, 1, 1, 4);
    expect_lrs(sg, 2, 1, lrs);
    g_assert_true(qgim_msix_fired(sg, 2));
    g_assert_true(qgim_msix_fired(sg, LOG_MSIX));
    before = snapshot(sg);
    qtest_memread(src, MIG_TABLE, stab, sizeof(stab));
    qtest_memread(src, MIG_LOG, slog, sizeof(slog));

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    qos_wait_migrated(src);
    qos_wait_running(dst);

    /* The destination has the same registers, table and log. */
    dg = g_new0(QGim, 1);
    dbus = qpci_new_pc(dst, NULL);
    *dg = *sg;
    dg->dev.bus = dbus;
    after = snapshot(dg);
    for (uint32_t r = 0; r < GIM_REGS_SIZE; r += 4) {
        if (before[r / 4] != after[r / 4]) {
            g_test_message("register 0x%x: 0x%x before, 0x%x after", r,
                           before[r / 4], after[r / 4]);
        }
        g_assert_cmphex(before[r / 4], ==, after[r / 4]);
    }
    g_assert_cmphex(after[GIM_REG_CTRL / 4], ==, GIM_CTRL_ENABLE);
    g_assert_cmpuint(after[GIM_REG_LOG_TAIL / 4], ==, 4);
    qtest_memread(dst, MIG_TABLE, dtab, sizeof(dtab));
    qtest_memread(dst, MIG_LOG, dlog, sizeof(dlog));
    g_assert(memcmp(stab, dtab, sizeof(stab)) == 0);
    g_assert(memcmp(slog, dlog, sizeof(slog)) == 0);

    e = (GimEnv) {
        .gim = dg, .qts = dst, .table = MIG_TABLE, .guests = MIG_GUESTS,
        .dests = MIG_DESTS, .log = MIG_LOG, .log_size = MIG_LOGSZ,
        .head = 1,
    };
    g_assert_true(irr_test(&e, 1, 2, 0x21));
    g_assert_true(irr_test(&e, 3, 0, 0x85));
    g_assert_true(irr_test(&e, 2, 0, 0x33));
    g_assert_true(irr_test(&e, 2, 2, 0x33));
    g_assert_true(irr_test(&e, 0, 3, 0xfe));
    expect_record(&e, 3, 0, 0x85, 2);
    expect_record(&e, 2, 0, 0x33, 3);
    expect_record(&e, 2, 2, 0x33, 3);
    expect_no_record(&e);

    /*
     * And it goes on where the source stopped.  Interface 2's doorbell
     * was raised and not acked there: it stays pending, so it does not
     * ring again (it does after an ACK, below).
     */
    qgim_doorbell(dg, 5);
    expect_lrs(dg, 2, 2, lrs);
    g_assert_cmphex(qgim_iface_readl(dg, 2, GIM_IFACE_STATUS), ==,
                    GIM_IFACE_STATUS_DOORBELL);
    g_assert_false(qgim_msix_fired(dg, 2));
    qgim_doorbell(dg, 1);
    expect_record(&e, 1, 2, 0x21, 6);
    g_assert_true(qgim_msix_fired(dg, LOG_MSIX));
    qgim_doorbell(dg, 4);
    check_counters(dg, 9, 6, 1, 2, 2, 5);
    qgim_iface_writel(dg, 1, GIM_IFACE_RUNNING, running(2, 2));
    g_assert_cmpuint(qgim_iface_readl(dg, 1, GIM_IFACE_LR_COUNT), ==, 1);
    g_assert_cmphex(qgim_iface_readl(dg, 1, GIM_IFACE_LR(0)), ==,
                    GIM_LR_VALID | 0x33);

    info = query_gim(dst);
    g_assert_true(qdict_get_bool(info, "enabled"));
    g_assert_cmpuint(qdict_get_int(info, "inputs"), ==, 9);
    g_assert_cmpuint(qdict_get_int(info, "table-base"), ==, MIG_TABLE);
    qobject_unref(info);

    /*
     * The hypervisor takes both (clears their bits) and acks: nothing is
     * left, so nothing rings until the next delivery.
     */
    irr_clear(&e, 0, 3, 0xfe);
    irr_clear(&e, 0, 3, 0x10);
    qgim_iface_writel(dg, 2, GIM_IFACE_ACK, 1);
    expect_lrs(dg, 2, 0, NULL);
    g_assert_false(qgim_msix_fired(dg, 2));
    qgim_doorbell(dg, 5);
    g_assert_true(qgim_msix_fired(dg, 2));

    g_free(dg);
    qpci_free_pc(dbus);
    gim_off(sg, sbus);
    qtest_quit(dst);
    qtest_quit(src);
    qos_tmp_path_remove(sock);
}

/*
 * A migration stream is input too: a destination configured with other
 * array sizes, or a route no register write could produce, is refused
 * with a reason.
 */
static void test_migration_bad_stream(void)
{
    const char *dev = "-device gim,addr=04.0";
    g_autofree char *file = NULL;
    QTestState *qts;
    QPCIBus *bus;
    QGim *gim;
    /* Route 7 in the stream: CTRL, TARGET, VECTOR, DEST_MASK, big-endian */
    const uint8_t route[16] = {
        0, 0, 0, GIM_FN_DELIVER, 0x00, 0xab, 0xcd, 0xef, 0, 0, 0, 0x5a,
        0, 0, 0, 0,
    };
    uint8_t bad[16];

    if (!qtest_has_device("gim")) {
        g_test_skip("no gim device in this QEMU");
        return;
    }
    /* -nodefaults: what qos_load_file() starts must match. */
    qts = qtest_initf("-machine pc -nodefaults %s", dev);
    gim = gim_on(qts, &bus, QGIM_SLOT);
    qgim_route(gim, 7, GIM_FN_DELIVER, 0xcdef, 0xab, 0x5a, 0);
    file = qos_tmp_path("state");
    qos_migrate_to_file(qts, file);

    qos_expect_loads(dev, file);
    qos_expect_load_refused("-device gim,addr=04.0,irqs=16", file,
                            "with the source's 'irqs'");
    qos_expect_load_refused("-device gim,addr=04.0,interfaces=2", file,
                            "with the source's 'interfaces'");

    memcpy(bad, route, sizeof(bad));
    bad[4] = 0xff;          /* target bits 31:24 are not a register's */
    qos_patch_file(file, route, bad, sizeof(route));
    qos_expect_load_refused(dev, file, "migrated route 7 is invalid");

    gim_off(gim, bus);
    qtest_quit(qts);
    qos_tmp_path_remove(file);
}

static void register_gim_test(void)
{
    QOSGraphTestOptions edu_opts = { .before = before_edu };
    QOSGraphTestOptions log_opts = { .before = before_guest_errors };

    qos_add_test("registers", "gim", test_registers, NULL);
    qos_add_test("deliver", "gim", test_deliver, NULL);
    qos_add_test("drop", "gim", test_drop, NULL);
    qos_add_test("remap", "gim", test_remap, NULL);
    qos_add_test("multicast", "gim", test_multicast, NULL);
    qos_add_test("coalesce", "gim", test_coalesce, NULL);
    qos_add_test("q-to-m", "gim", test_q_to_m, NULL);
    qos_add_test("table-layout", "gim", test_table_layout, NULL);
    qos_add_test("table-max", "gim", test_table_max, NULL);
    qos_add_test("running", "gim", test_running, NULL);
    qos_add_test("schedule", "gim", test_schedule, NULL);
    qos_add_test("ack-race", "gim", test_ack_race, NULL);
    qos_add_test("stress", "gim", test_stress, NULL);
    qos_add_test("log-overflow", "gim", test_log_overflow, NULL);
    qos_add_test("log-ring", "gim", test_log_ring, NULL);
    qos_add_test("bad-config", "gim", test_bad_config, NULL);
    qos_add_test("bad-addresses", "gim", test_bad_addresses, NULL);
    qos_add_test("bad-indices", "gim", test_bad_indices, NULL);
    qos_add_test("guest-errors", "gim", test_guest_errors, &log_opts);
    qos_add_test("doorbell", "gim", test_doorbell, NULL);
    qos_add_test("edu-msi", "gim", test_edu_msi, &edu_opts);
    qos_add_test("query", "gim", test_query, NULL);
    qos_add_test("reset", "gim", test_reset, NULL);

    if (!strcmp(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/gim/cmdline/properties", test_properties);
        qtest_add_func("/gim/cmdline/bad-properties", test_bad_properties);
        qtest_add_func("/gim/cmdline/help", test_help);
        qtest_add_func("/gim/qmp/no-device", test_no_device);
        qtest_add_func("/gim/qmp/two-devices", test_two_devices);
        qtest_add_func("/gim/migration", test_migration);
        qtest_add_func("/gim/bad-stream",
                       test_migration_bad_stream);
    }
}

libqos_init(register_gim_test);
