/*
 * qtests for the AMD IOMMU's guest virtual APIC mode (ga-vapic=on)
 *
 * The test plays an L1 hypervisor: it programs the device table, a
 * 128-bit IRTE table with guest-mode entries, the event log and the GA
 * log through the IOMMU's registers, and raises edu's MSI (remapped by
 * the IOMMU) to post into a vAPIC backing page or into the GA log.  The
 * IOMMU's own MSI is aimed at RAM, so that the test can see it fire.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu-cmdline.h"
#include "qobject/qdict.h"
#include "libqos/pci-pc.h"
#include "libqos/edu.h"
#include "standard-headers/linux/pci_regs.h"

#define MMIO            0xfed80000ULL
#define R_DEVTAB        0x0000
#define R_CMDBUF        0x0008
#define R_EVTLOG        0x0010
#define R_CONTROL       0x0018
#define R_EFR           0x0030
#define R_GA_BASE       0x00e0
#define R_GA_TAIL_ADDR  0x00e8
#define R_CMD_HEAD      0x2000
#define R_CMD_TAIL      0x2008
#define R_EVT_HEAD      0x2010
#define R_EVT_TAIL      0x2018
#define R_STATUS        0x2020
#define R_GA_HEAD       0x2040
#define R_GA_TAIL       0x2048

#define CTL_IOMMU_EN    (1ULL << 0)
#define CTL_EVTLOG_EN   (1ULL << 2)
#define CTL_EVTINT_EN   (1ULL << 3)
#define CTL_CMDBUF_EN   (1ULL << 12)
#define CTL_GA_EN       (1ULL << 17)
#define CTL_GAM_VAPIC   (1ULL << 25)
#define CTL_GALOG_EN    (1ULL << 28)
#define CTL_GAINT_EN    (1ULL << 29)
#define CTL_ALL         (CTL_IOMMU_EN | CTL_EVTLOG_EN | CTL_EVTINT_EN | \
                         CTL_GA_EN | CTL_GAM_VAPIC | CTL_GALOG_EN | \
                         CTL_GAINT_EN)

#define ST_EVT_INT      (1ULL << 1)
#define ST_EVT_RUN      (1ULL << 3)
#define ST_CMDBUF_RUN   (1ULL << 4)
#define ST_GALOG_RUN    (1ULL << 8)
#define ST_GALOG_OVF    (1ULL << 9)
#define ST_GALOG_INT    (1ULL << 10)

#define EFR_GA          (1ULL << 7)
#define EFR_GAM_VAPIC   (1ULL << 21)

/* Guest memory */
#define DEVTAB          0x100000
#define IRT             0x200000
#define PAGE            0x300000
#define GALOG           0x400000
#define GATAIL          0x401000
#define EVTLOG          0x500000
#define IOMMU_MSI       0x600000
#define NOT_RAM         0x40000000ULL   /* above -m 128M, unassigned */

#define EDU_SLOT        4
#define EDU_DEVID       (EDU_SLOT << 3)
#define GALOG_BYTES     4096            /* 512 entries */

#define ARGS "-machine q35 -m 128M -nodefaults " \
             "-device amd-iommu,intremap=on,ga-vapic=on " \
             "-device edu,addr=04.0"

typedef struct Env {
    QTestState *qts;
    QPCIBus *bus;
    QEdu edu;
    QPCIDevice *iommu;
} Env;

static uint64_t rd(Env *e, uint32_t reg)
{
    return qtest_readq(e->qts, MMIO + reg);
}

static void wr(Env *e, uint32_t reg, uint64_t val)
{
    qtest_writeq(e->qts, MMIO + reg, val);
}

static void find_iommu(QPCIDevice *dev, int devfn, void *opaque)
{
    QPCIDevice **found = opaque;

    if (!*found) {
        *found = dev;
    } else {
        g_free(dev);
    }
}

/* Aim the IOMMU's MSI at RAM, so that its firing is a memory write. */
static void iommu_msi_to_ram(Env *e)
{
    uint8_t cap;
    uint16_t flags;

    qpci_device_foreach(e->bus, 0x1022, 0x1419, find_iommu, &e->iommu);
    g_assert_nonnull(e->iommu);
    cap = qpci_find_capability(e->iommu, PCI_CAP_ID_MSI, 0);
    g_assert_cmpint(cap, !=, 0);
    flags = qpci_config_readw(e->iommu, cap + PCI_MSI_FLAGS);
    qpci_config_writel(e->iommu, cap + PCI_MSI_ADDRESS_LO, IOMMU_MSI);
    g_assert_true(flags & PCI_MSI_FLAGS_64BIT);
    qpci_config_writel(e->iommu, cap + PCI_MSI_ADDRESS_HI, 0);
    qpci_config_writew(e->iommu, cap + PCI_MSI_DATA_64, 0x1234);
    qpci_config_writew(e->iommu, cap + PCI_MSI_FLAGS,
                       flags | PCI_MSI_FLAGS_ENABLE);
}

static bool iommu_msi_fired(Env *e)
{
    uint32_t v = qtest_readl(e->qts, IOMMU_MSI);

    qtest_writel(e->qts, IOMMU_MSI, 0);
    return v == 0x1234;
}

static void set_irte(Env *e, unsigned idx, bool running, bool log_intr,
                     uint8_t vector, uint32_t dest, uint32_t tag,
                     uint64_t page)
{
    uint64_t lo = 1 | (1ULL << 7) | ((uint64_t)(dest & 0xffffff) << 8) |
                  ((uint64_t)tag << 32);
    uint64_t hi = vector | (page & 0x000ffffffffff000ULL) |
                  ((uint64_t)(dest >> 24) << 56);

    lo |= running ? 1ULL << 6 : 0;
    lo |= log_intr ? 1ULL << 2 : 0;
    qtest_writeq(e->qts, IRT + idx * 16, lo);
    qtest_writeq(e->qts, IRT + idx * 16 + 8, hi);
}

/* edu's DTE: remapped interrupts, a table at @irt of 2^@len entries */
static void set_dte_len(Env *e, uint64_t irt, unsigned len)
{
    uint64_t a = DEVTAB + EDU_DEVID * 32;

    qtest_writeq(e->qts, a, 1);
    qtest_writeq(e->qts, a + 8, 0);
    qtest_writeq(e->qts, a + 16, irt | ((uint64_t)len << 1) | 1 |
                 (2ULL << 60));
    qtest_writeq(e->qts, a + 24, 0);
}

static void set_dte(Env *e, uint64_t irt)
{
    set_dte_len(e, irt, 9);
}

/* As env_init(), but the event log base is never written when !@evtlog */
static void env_init_evtlog(Env *e, QTestState *qts, bool evtlog)
{
    e->qts = qts;
    e->bus = qpci_new_pc(qts, NULL);
    e->iommu = NULL;
    iommu_msi_to_ram(e);
    qtest_memset(qts, DEVTAB, 0, 4096);
    qtest_memset(qts, IRT, 0, 4096);
    qtest_memset(qts, PAGE, 0, 4096);
    qtest_memset(qts, GALOG, 0, 2 * 4096);
    qtest_memset(qts, EVTLOG, 0, 4096);
    set_dte(e, IRT);
    wr(e, R_DEVTAB, DEVTAB);
    if (evtlog) {
        wr(e, R_EVTLOG, EVTLOG | (8ULL << 56));
    }
    wr(e, R_GA_BASE, GALOG | (8ULL << 56));
    wr(e, R_GA_TAIL_ADDR, GATAIL);
    wr(e, R_GA_HEAD, 0);
    wr(e, R_GA_TAIL, 0);
    wr(e, R_CONTROL, CTL_ALL);
    g_assert_true(rd(e, R_STATUS) & ST_GALOG_RUN);
    qedu_init(&e->edu, e->bus, QPCI_DEVFN(EDU_SLOT, 0), 0xfee00000, 0);
}

static void env_init(Env *e, QTestState *qts, bool program)
{
    if (program) {
        env_init_evtlog(e, qts, true);
        return;
    }
    e->qts = qts;
    e->bus = qpci_new_pc(qts, NULL);
    e->iommu = NULL;
    iommu_msi_to_ram(e);
    qedu_init(&e->edu, e->bus, QPCI_DEVFN(EDU_SLOT, 0), 0xfee00000, 0);
}

static void env_free(Env *e)
{
    g_free(e->iommu);
    qedu_destroy(&e->edu);
    qpci_free_pc(e->bus);
}

/* Raise edu's interrupt through IRTE @idx. */
static void edu_fire(Env *e, unsigned idx, int n)
{
    uint8_t cap = qpci_find_capability(e->edu.dev, PCI_CAP_ID_MSI, 0);

    qpci_config_writew(e->edu.dev, cap + PCI_MSI_DATA_64, idx);
    qedu_raise(&e->edu, n);
}

static QDict *query(Env *e)
{
    return qtest_qmp_assert_success_ref(e->qts,
                                        "{ 'execute': 'query-amd-iommu-ga' }");
}

static uint64_t counter(Env *e, const char *name)
{
    g_autoptr(QDict) r = query(e);

    return qdict_get_int(r, name);
}

static bool irr_bit(Env *e, uint64_t page, uint8_t v)
{
    uint32_t w = qtest_readl(e->qts, page + 0x200 + (v / 32) * 16);

    return w & (1u << (v % 32));
}

static uint64_t ga_record(uint32_t tag)
{
    return tag | ((uint64_t)EDU_DEVID << 32) | (1ULL << 60);
}

static void test_efr(void)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults "
                                 "-device amd-iommu,intremap=on");
    QDict *r;

    g_assert_true(qtest_readq(qts, MMIO + R_EFR) & EFR_GA);
    g_assert_false(qtest_readq(qts, MMIO + R_EFR) & EFR_GAM_VAPIC);
    r = qtest_qmp_assert_success_ref(qts,
                                     "{ 'execute': 'query-amd-iommu-ga' }");
    g_assert_false(qdict_get_bool(r, "ga-vapic"));
    qobject_unref(r);
    /* GA registers are not there without the property. */
    qtest_writeq(qts, MMIO + R_GA_BASE, GALOG | (8ULL << 56));
    g_assert_cmphex(qtest_readq(qts, MMIO + R_GA_BASE), ==, 0);
    qtest_quit(qts);

    qts = qtest_init(ARGS);
    g_assert_true(qtest_readq(qts, MMIO + R_EFR) & EFR_GAM_VAPIC);
    qtest_quit(qts);
}

static void test_running(void)
{
    Env e;
    g_autoptr(QDict) r = NULL;

    env_init(&e, qtest_init(ARGS), true);
    set_irte(&e, 3, true, true, 0x41, 0, 0xabcd, PAGE);
    edu_fire(&e, 3, 1);
    g_assert_true(irr_bit(&e, PAGE, 0x41));
    r = query(&e);
    g_assert_true(qdict_get_bool(r, "guest-mode"));
    g_assert_cmpint(qdict_get_int(r, "posted"), ==, 1);
    /* Rung, or no CPU offers a doorbell (qtest): one of the two. */
    g_assert_cmpint(qdict_get_int(r, "doorbells") +
                    qdict_get_int(r, "doorbell-misses"), ==, 1);
    g_assert_cmpint(qdict_get_int(r, "log-records"), ==, 0);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 0);
    g_assert_false(iommu_msi_fired(&e));
    env_free(&e);
    qtest_quit(e.qts);
}

static void test_log(void)
{
    Env e;
    g_autoptr(QDict) r = NULL;

    env_init(&e, qtest_init(ARGS), true);
    set_irte(&e, 5, false, true, 0x52, 1, 0x10002, PAGE);
    edu_fire(&e, 5, 1);
    g_assert_true(irr_bit(&e, PAGE, 0x52));
    g_assert_cmphex(qtest_readq(e.qts, GALOG), ==, ga_record(0x10002));
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 8);
    g_assert_cmpint(qtest_readq(e.qts, GATAIL), ==, 8);
    g_assert_true(rd(&e, R_STATUS) & ST_GALOG_INT);
    g_assert_true(iommu_msi_fired(&e));
    /* GALogInt is write-1-to-clear. */
    wr(&e, R_STATUS, ST_GALOG_INT);
    g_assert_false(rd(&e, R_STATUS) & ST_GALOG_INT);
    g_assert_true(rd(&e, R_STATUS) & ST_GALOG_RUN);

    /* GALogIntr clear: set in the page, nothing logged. */
    set_irte(&e, 6, false, false, 0x53, 1, 0x10003, PAGE);
    edu_fire(&e, 6, 1);
    g_assert_true(irr_bit(&e, PAGE, 0x53));
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 8);
    g_assert_false(iommu_msi_fired(&e));

    /* GAIntEn clear: the record, no interrupt. */
    wr(&e, R_CONTROL, CTL_ALL & ~CTL_GAINT_EN);
    edu_fire(&e, 5, 1);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 16);
    g_assert_false(iommu_msi_fired(&e));

    r = query(&e);
    g_assert_cmpint(qdict_get_int(r, "posted"), ==, 3);
    g_assert_cmpint(qdict_get_int(r, "log-records"), ==, 2);
    g_assert_cmpint(qdict_get_int(r, "log-interrupts"), ==, 1);
    g_assert_cmpint(qdict_get_int(r, "unlogged"), ==, 1);
    g_assert_cmpint(qdict_get_int(r, "log-tail"), ==, 2);
    g_assert_cmpint(qdict_get_int(r, "log-entries"), ==, 512);
    env_free(&e);
    qtest_quit(e.qts);
}

static void test_wrap_overflow(void)
{
    Env e;
    uint32_t last = GALOG_BYTES - 16;

    env_init(&e, qtest_init(ARGS), true);
    set_irte(&e, 1, false, true, 0x30, 2, 0x77, PAGE);
    /* Start near the end: two records, then the wrap to 0. */
    wr(&e, R_CONTROL, CTL_ALL & ~CTL_GALOG_EN);
    wr(&e, R_GA_HEAD, last);
    wr(&e, R_GA_TAIL, last);
    wr(&e, R_CONTROL, CTL_ALL);
    edu_fire(&e, 1, 3);
    g_assert_cmphex(qtest_readq(e.qts, GALOG + last), ==, ga_record(0x77));
    g_assert_cmphex(qtest_readq(e.qts, GALOG + last + 8), ==,
                    ga_record(0x77));
    g_assert_cmphex(qtest_readq(e.qts, GALOG), ==, ga_record(0x77));
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 8);
    g_assert_false(rd(&e, R_STATUS) & ST_GALOG_OVF);

    /* Software read up to 16 bytes before the tail's next: one fits. */
    wr(&e, R_GA_HEAD, 24);
    iommu_msi_fired(&e);
    edu_fire(&e, 1, 1);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 16);
    edu_fire(&e, 1, 1);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 16);
    g_assert_true(rd(&e, R_STATUS) & ST_GALOG_OVF);
    g_assert_false(rd(&e, R_STATUS) & ST_GALOG_RUN);
    g_assert_true(iommu_msi_fired(&e));
    /* Stopped: more records are lost, and counted. */
    edu_fire(&e, 1, 2);
    g_assert_cmpint(counter(&e, "overflows"), ==, 3);
    g_assert_cmpint(counter(&e, "log-records"), ==, 4);
    g_assert_true(irr_bit(&e, PAGE, 0x30));

    /*
     * Linux's restart: GALogEn off, clear the overflow, GALogEn on.  A
     * head past the ring is taken modulo its size.
     */
    wr(&e, R_GA_HEAD, GALOG_BYTES + 16);
    wr(&e, R_CONTROL, CTL_ALL & ~(CTL_GALOG_EN | CTL_GAINT_EN));
    wr(&e, R_STATUS, ST_GALOG_OVF);
    wr(&e, R_CONTROL, CTL_ALL);
    g_assert_false(rd(&e, R_STATUS) & ST_GALOG_OVF);
    g_assert_true(rd(&e, R_STATUS) & ST_GALOG_RUN);
    edu_fire(&e, 1, 1);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 24);
    g_assert_cmpint(counter(&e, "log-records"), ==, 5);
    env_free(&e);
    qtest_quit(e.qts);
}

static uint64_t event_type(Env *e, unsigned n)
{
    return qtest_readq(e->qts, EVTLOG + n * 16) >> 60;
}

static void test_bad_addresses(void)
{
    Env e;
    g_autoptr(QDict) r = NULL;

    env_init(&e, qtest_init(ARGS), true);

    /* A backing page outside RAM: dropped, an IO_PAGE_FAULT event. */
    set_irte(&e, 2, true, true, 0x60, 0, 0x1, NOT_RAM);
    edu_fire(&e, 2, 1);
    g_assert_cmpint(counter(&e, "errors"), ==, 1);
    g_assert_cmpint(counter(&e, "posted"), ==, 0);
    g_assert_cmpint(rd(&e, R_EVT_TAIL), ==, 16);
    g_assert_cmpint(event_type(&e, 0), ==, 2);
    g_assert_cmphex(qtest_readq(e.qts, EVTLOG + 8), ==, NOT_RAM);
    g_assert_true(rd(&e, R_STATUS) & ST_EVT_INT);
    g_assert_true(iommu_msi_fired(&e));

    /* An IRTE table outside RAM: a PAGE_TAB_HARDWARE_ERROR event. */
    set_dte(&e, NOT_RAM);
    edu_fire(&e, 2, 1);
    g_assert_cmpint(counter(&e, "errors"), ==, 2);
    g_assert_cmpint(rd(&e, R_EVT_TAIL), ==, 32);
    g_assert_cmpint(event_type(&e, 1), ==, 4);
    g_assert_cmphex(qtest_readq(e.qts, EVTLOG + 24), ==, NOT_RAM + 2 * 16);
    set_dte(&e, IRT);

    /* A GA log outside RAM: the record is lost and counted. */
    set_irte(&e, 2, false, true, 0x61, 0, 0x2, PAGE);
    wr(&e, R_GA_BASE, NOT_RAM | (8ULL << 56));
    edu_fire(&e, 2, 1);
    g_assert_true(irr_bit(&e, PAGE, 0x61));
    g_assert_cmpint(counter(&e, "errors"), ==, 3);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 0);

    /* A reserved log length: no log, counted. */
    wr(&e, R_GA_BASE, GALOG | (2ULL << 56));
    edu_fire(&e, 2, 1);
    g_assert_cmpint(counter(&e, "errors"), ==, 4);

    /* A tail address outside RAM: the record is written, counted. */
    wr(&e, R_GA_BASE, GALOG | (8ULL << 56));
    wr(&e, R_GA_TAIL_ADDR, NOT_RAM);
    edu_fire(&e, 2, 1);
    g_assert_cmpint(rd(&e, R_GA_TAIL), ==, 8);
    r = query(&e);
    g_assert_cmpint(qdict_get_int(r, "errors"), ==, 5);
    g_assert_cmpint(qdict_get_int(r, "log-records"), ==, 1);

    /* Guest mode off (GAMEn = 0): the entry is refused, as upstream. */
    wr(&e, R_CONTROL, CTL_ALL & ~CTL_GAM_VAPIC);
    edu_fire(&e, 2, 1);
    g_assert_cmpint(counter(&e, "posted"), ==, 3);
    env_free(&e);
    qtest_quit(e.qts);
}

/*
 * A register write that makes QEMU loop never returns: a test that would
 * wait for ever fails instead, long before the harness's timeout.
 */
#define HANG_GUARD_SECONDS 60

static void hang_guard_fired(int sig)
{
    static const char msg[] = "QEMU stopped answering: hung\n";

    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to do */
    }
    abort();    /* libqtest's abort handler kills QEMU */
}

static void hang_guard(unsigned seconds)
{
    signal(SIGALRM, seconds ? hang_guard_fired : SIG_DFL);
    alarm(seconds);
}

/*
 * IOMMUEn and EventLogEn before the event log base was ever written: the
 * log has no length and does not run.  The first event (here the
 * IO_PAGE_FAULT of a backing page outside RAM) divided by that length:
 * SIGFPE.
 */
static void test_evtlog_no_base(void)
{
    Env e;

    env_init_evtlog(&e, qtest_init(ARGS), false);
    hang_guard(HANG_GUARD_SECONDS);
    set_irte(&e, 2, true, true, 0x60, 0, 0x1, NOT_RAM);
    edu_fire(&e, 2, 1);
    /* QEMU is alive; the interrupt was refused, and no event written */
    g_assert_cmpint(counter(&e, "errors"), ==, 1);
    g_assert_cmpint(counter(&e, "posted"), ==, 0);
    g_assert_cmpint(rd(&e, R_EVT_TAIL), ==, 0);
    g_assert_false(rd(&e, R_STATUS) & (ST_EVT_RUN | ST_EVT_INT));

    /* the base written: the log runs, the next event is logged */
    wr(&e, R_EVTLOG, EVTLOG | (8ULL << 56));
    g_assert_true(rd(&e, R_STATUS) & ST_EVT_RUN);
    edu_fire(&e, 2, 1);
    g_assert_cmpint(rd(&e, R_EVT_TAIL), ==, 16);
    g_assert_cmpint(event_type(&e, 0), ==, 2);
    hang_guard(0);
    env_free(&e);
    qtest_quit(e.qts);
}

/*
 * CmdBufEn (and GALogEn, EventLogEn) before the base registers are
 * written: no loop, nothing runs.
 */
static void test_cmdbuf_no_base(void)
{
    QTestState *qts = qtest_init(ARGS);

    hang_guard(HANG_GUARD_SECONDS);
    qtest_writeq(qts, MMIO + R_CONTROL,
                 (CTL_ALL & ~CTL_EVTLOG_EN) | CTL_CMDBUF_EN);
    qtest_writeq(qts, MMIO + R_CMD_TAIL, 0x40);
    g_assert_cmphex(qtest_readq(qts, MMIO + R_CMD_HEAD), ==, 0);
    g_assert_false(qtest_readq(qts, MMIO + R_STATUS) & ST_CMDBUF_RUN);
    /* neither does the GA log */
    g_assert_false(qtest_readq(qts, MMIO + R_STATUS) & ST_GALOG_RUN);

    /* nor with the event log enabled (no base either) */
    qtest_writeq(qts, MMIO + R_CONTROL, CTL_ALL | CTL_CMDBUF_EN);
    qtest_writeq(qts, MMIO + R_CMD_TAIL, 0x80);
    g_assert_cmphex(qtest_readq(qts, MMIO + R_CMD_HEAD), ==, 0);
    g_assert_false(qtest_readq(qts, MMIO + R_STATUS) &
                   (ST_CMDBUF_RUN | ST_EVT_RUN | ST_GALOG_RUN));
    hang_guard(0);
    qtest_quit(qts);
}

/*
 * A guest-mode IRTE past the DTE's IntTabLen is never used: the interrupt
 * is target aborted with an IO_PAGE_FAULT event (I = 1); it used to be
 * posted into the backing page that the memory after the table names.
 */
static void test_inttablen(void)
{
    Env e;

    env_init(&e, qtest_init(ARGS), true);
    set_dte_len(&e, IRT, 1);                    /* 2 entries */
    set_irte(&e, 1, true, true, 0x41, 0, 0x11, PAGE);
    set_irte(&e, 2, true, true, 0x42, 0, 0x12, PAGE);
    edu_fire(&e, 1, 1);
    g_assert_true(irr_bit(&e, PAGE, 0x41));
    edu_fire(&e, 2, 1);
    g_assert_false(irr_bit(&e, PAGE, 0x42));
    g_assert_cmpint(counter(&e, "posted"), ==, 1);
    g_assert_cmpint(rd(&e, R_EVT_TAIL), ==, 16);
    g_assert_cmpint(event_type(&e, 0), ==, 2);
    g_assert_true(qtest_readq(e.qts, EVTLOG) & (1ULL << 51));
    g_assert_cmphex(qtest_readq(e.qts, EVTLOG + 8), ==, 0xfee00000);
    env_free(&e);
    qtest_quit(e.qts);
}

static void test_migration(void)
{
    g_autofree char *sock = qos_tmp_path("sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    QTestState *src = qtest_init(ARGS);
    QTestState *dst = qtest_initf("%s -incoming %s", ARGS, uri);
    Env s, d;
    uint8_t slog[64], dlog[64];
    g_autoptr(QDict) before = NULL, after = NULL;

    env_init(&s, src, true);
    set_irte(&s, 7, false, true, 0x70, 3, 0x4242, PAGE);
    edu_fire(&s, 7, 3);
    wr(&s, R_GA_HEAD, 8);               /* one read, two pending */
    g_assert_cmpint(rd(&s, R_GA_TAIL), ==, 24);
    qtest_memread(src, GALOG, slog, sizeof(slog));
    before = query(&s);

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    qos_wait_migrated(src);
    qos_wait_running(dst);

    env_init(&d, dst, false);
    after = query(&d);
    g_assert_true(qdict_get_bool(after, "guest-mode"));
    g_assert_true(qdict_get_bool(after, "log-running"));
    g_assert_cmpint(qdict_get_int(after, "log-head"), ==, 1);
    g_assert_cmpint(qdict_get_int(after, "log-tail"), ==, 3);
    g_assert_cmpint(qdict_get_int(after, "log-records"), ==,
                    qdict_get_int(before, "log-records"));
    g_assert_cmpint(qdict_get_int(after, "posted"), ==,
                    qdict_get_int(before, "posted"));
    qtest_memread(dst, GALOG, dlog, sizeof(dlog));
    g_assert(memcmp(slog, dlog, sizeof(slog)) == 0);
    g_assert_cmphex(rd(&d, R_CONTROL), ==, CTL_ALL);

    /* The destination goes on appending after the pending records. */
    edu_fire(&d, 7, 1);
    g_assert_cmpint(rd(&d, R_GA_TAIL), ==, 32);
    g_assert_cmphex(qtest_readq(dst, GALOG + 24), ==, ga_record(0x4242));
    g_assert_true(iommu_msi_fired(&d));
    g_assert_cmpint(counter(&d, "log-records"), ==, 4);

    env_free(&s);
    env_free(&d);
    qtest_quit(src);
    qtest_quit(dst);
    qos_tmp_path_remove(sock);
}

static void test_no_migration_without_ga(void)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults "
                                 "-device amd-iommu,intremap=on");
    g_autoptr(QDict) r = NULL;

    r = qtest_qmp(qts, "{ 'execute': 'migrate',"
                  " 'arguments': { 'uri': 'exec:cat >/dev/null' } }");
    g_assert_true(qdict_haskey(r, "error"));
    qtest_quit(qts);
}

static void register_amd_iommu_ga_test(void)
{
    if (strcmp(qtest_get_arch(), "x86_64")) {
        return;
    }
    qtest_add_func("/amd-iommu-ga/efr", test_efr);
    qtest_add_func("/amd-iommu-ga/running", test_running);
    qtest_add_func("/amd-iommu-ga/log", test_log);
    qtest_add_func("/amd-iommu-ga/wrap-overflow", test_wrap_overflow);
    qtest_add_func("/amd-iommu-ga/bad-addresses", test_bad_addresses);
    qtest_add_func("/amd-iommu-ga/evtlog-no-base", test_evtlog_no_base);
    qtest_add_func("/amd-iommu-ga/cmdbuf-no-base", test_cmdbuf_no_base);
    qtest_add_func("/amd-iommu-ga/inttablen", test_inttablen);
    qtest_add_func("/amd-iommu-ga/migration", test_migration);
    qtest_add_func("/amd-iommu-ga/no-migration-without-ga",
                   test_no_migration_without_ga);
}

libqos_init(register_amd_iommu_ga_test);
