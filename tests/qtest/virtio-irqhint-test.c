/*
 * QTest testcases for virtio-irqhint
 *
 * The interrupts come from real devices: edu's MSI and virtio-rng's
 * MSI-X, driven from the test.  QEMU is started pinned to one host CPU
 * (it inherits the test's affinity), so the host CPU that raises them is
 * known.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/host-cpu.h"
#include "qemu/module.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libqos/qgraph.h"
#include "libqos/pci-pc.h"
#include "libqos/virtio-irqhint.h"
#include "libqos/edu.h"
#include "qemu-cmdline.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_irqhint.h"

#define EDU_SLOT            5
#define EDU2_SLOT           7
#define RNG_SLOT            6
#define WAIT_US             (10 * G_USEC_PER_SEC)

static cpu_set_t saved_affinity;
static int pinned_cpu = -1;

static int host_cpus(void)
{
    return sysconf(_SC_NPROCESSORS_CONF);
}

/* Pin this process (and so the QEMU it starts) to the CPU it runs on. */
static void pin_self(void)
{
    cpu_set_t set;

    g_assert_cmpint(sched_getaffinity(0, sizeof(saved_affinity),
                                      &saved_affinity), ==, 0);
    pinned_cpu = qemu_host_cpu();
    g_assert_cmpint(pinned_cpu, >=, 0);
    CPU_ZERO(&set);
    CPU_SET(pinned_cpu, &set);
    g_assert_cmpint(sched_setaffinity(0, sizeof(set), &set), ==, 0);
}

static void unpin_self(void)
{
    sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
}

/* A host CPU other than the pinned one, or -1 on a one-CPU host. */
static int other_cpu(void)
{
    return host_cpus() > 1 ? (pinned_cpu + 1) % host_cpus() : -1;
}

static void *before_edu(GString *cmd_line, void *arg)
{
    pin_self();
    g_string_append_printf(cmd_line, " -smp 2 -device edu,addr=%02x.0",
                           EDU_SLOT);
    return arg;
}

static void *before_edu2(GString *cmd_line, void *arg)
{
    before_edu(cmd_line, arg);
    g_string_append_printf(cmd_line, " -device edu,addr=%02x.0", EDU2_SLOT);
    return arg;
}

static void *before_rng(GString *cmd_line, void *arg)
{
    pin_self();
    g_string_append_printf(cmd_line,
                           " -smp 2 -device virtio-rng-pci,addr=%02x.0",
                           RNG_SLOT);
    return arg;
}

/* Configuration space */

static struct virtio_irqhint_config read_header(QVirtioDevice *vdev)
{
    struct virtio_irqhint_config h = {
        .generation = qvirtio_config_readl(vdev, 0),
        .num_entries = qvirtio_config_readw(vdev, 4),
        .max_entries = qvirtio_config_readw(vdev, 6),
        .entry_size = qvirtio_config_readw(vdev, 8),
        .max_vcpus = qvirtio_config_readw(vdev, 10),
    };
    return h;
}

static struct virtio_irqhint_entry read_entry(QVirtioDevice *vdev, int i)
{
    struct virtio_irqhint_entry e;
    uint32_t *w = (uint32_t *)&e;

    for (int j = 0; j < sizeof(e) / 4; j++) {
        w[j] = cpu_to_le32(qvirtio_config_readl(
            vdev, VIRTIO_IRQHINT_ENTRY_OFFSET(i) + 4 * j));
    }
    return e;
}

/* Find the table entry for (devfn, type, index); fails the test if none. */
static struct virtio_irqhint_entry find_entry(QVirtioDevice *vdev,
                                              uint8_t devfn, uint8_t type,
                                              uint16_t index)
{
    struct virtio_irqhint_config h = read_header(vdev);

    g_assert_cmpint(h.generation % 2, ==, 0);
    g_assert_cmpint(h.num_entries, <=, h.max_entries);
    for (int i = 0; i < h.num_entries; i++) {
        struct virtio_irqhint_entry e = read_entry(vdev, i);

        if (e.bus == 0 && e.devfn == devfn && e.type == type &&
            le16_to_cpu(e.index) == index) {
            return e;
        }
    }
    g_test_message("no entry for devfn 0x%x type %d index %d in %d entries",
                   devfn, type, index, h.num_entries);
    g_assert_not_reached();
}

/* Wait until the table's generation moves past (above) @gen. */
static uint32_t wait_generation(QTestState *qts, QVirtioDevice *vdev,
                                uint32_t gen)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    uint32_t now;

    while ((now = qvirtio_config_readl(vdev, 0)) == gen) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        qtest_clock_step(qts, 100);
        g_usleep(1000);
    }
    g_assert_cmpint(now % 2, ==, 0);
    g_assert_cmpint(now, >, gen);
    return now;
}

/* QMP helpers */

static QDict *query(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-irqhint' }");
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_assert_nonnull(ret);
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

/* The query-irqhint source for (devfn, msix, index), or NULL. */
static QDict *find_source(QDict *info, int devfn, bool msix, int index)
{
    QList *sources = qdict_get_qlist(info, "sources");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(sources, e) {
        QDict *src = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(src, "devfn") == devfn &&
            qdict_get_bool(src, "msix") == msix &&
            qdict_get_int(src, "index") == index) {
            return src;
        }
    }
    return NULL;
}

static void set_placement(QTestState *qts, int vcpu, int host)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'irqhint-set-placement',"
                             " 'arguments': { 'cpu-index': %d,"
                             " 'host-cpu': %d } }", vcpu, host);
}

static void assert_hint(struct virtio_irqhint_entry *e, int reason,
                        int nr, const uint32_t *apic)
{
    g_assert_cmpint(e->reason, ==, reason);
    g_assert_cmpint(e->nr_vcpus, ==, nr);
    for (int i = 0; i < nr; i++) {
        g_assert_cmpint(le32_to_cpu(e->apic_id[i]), ==, apic[i]);
    }
}

/* Driver side: negotiate features, so the config interrupt is enabled. */
static void start_driver(QVirtioDevice *vdev)
{
    uint64_t f = qvirtio_get_features(vdev);

    g_assert(f & (1ull << VIRTIO_F_VERSION_1));
    g_assert(f & (1ull << VIRTIO_IRQHINT_F_NEAREST));
    qvirtio_set_features(vdev, f & ((1ull << VIRTIO_F_VERSION_1) |
                                    (1ull << VIRTIO_IRQHINT_F_NEAREST)));
    qvirtio_set_driver_ok(vdev);
}

/* edu's MSI: a fixed interrupt to the LAPIC, vector 0x41. */
static void edu_setup(QEdu *edu, QPCIBus *bus)
{
    qedu_init(edu, bus, QPCI_DEVFN(EDU_SLOT, 0), 0xfee00000, 0x41);
}

/* A test on the qos graph's virtio-irqhint node */
typedef struct IrqhintTest {
    QVirtioDevice *vdev;
    QVirtioPCIDevice *pv;       /* its PCI proxy */
    QTestState *qts;
} IrqhintTest;

static IrqhintTest irqhint_test(void *obj)
{
    QVirtioIrqhint *ih = obj;
    QVirtioPCIDevice *pv = &container_of(ih, QVirtioIrqhintPCI,
                                         irqhint)->pci_vdev;

    return (IrqhintTest) {
        .vdev = ih->vdev, .pv = pv, .qts = pv->pdev->bus->qts,
    };
}

/* Wait until query-irqhint shows @events on a source. */
static QDict *wait_source(QTestState *qts, int devfn, bool msix, int index,
                          int64_t events)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    for (;;) {
        QDict *info = query(qts);
        QDict *src = find_source(info, devfn, msix, index);

        if (src && qdict_get_int(src, "events") >= events &&
            qdict_get_bool(src, "published")) {
            return info;
        }
        qobject_unref(info);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/* Raise edu's MSI @n times; wait until query-irqhint counted @n events. */
static void edu_raise(QTestState *qts, QEdu *edu, int n)
{
    qedu_raise(edu, n);
    qobject_unref(wait_source(qts, QPCI_DEVFN(EDU_SLOT, 0), false, 0, n));
}

/*
 * Wait until the table's generation moves past *@gen (then updated) and
 * return edu's entry.
 */
static struct virtio_irqhint_entry edu_entry_next(QTestState *qts,
                                                  QVirtioDevice *vdev,
                                                  uint32_t *gen)
{
    *gen = wait_generation(qts, vdev, *gen);
    return find_entry(vdev, QPCI_DEVFN(EDU_SLOT, 0),
                      VIRTIO_IRQHINT_TYPE_MSI, 0);
}

/* Tests */

static void test_config_layout(void *obj, void *data, QGuestAllocator *alloc)
{
    QVirtioIrqhint *ih = obj;
    struct virtio_irqhint_config h;

    start_driver(ih->vdev);
    h = read_header(ih->vdev);
    g_assert_cmpint(ih->vdev->device_type, ==, VIRTIO_ID_IRQHINT);
    g_assert_cmpint(h.max_entries, ==, 64);
    g_assert_cmpint(h.entry_size, ==, sizeof(struct virtio_irqhint_entry));
    g_assert_cmpint(h.entry_size, ==, 32);
    g_assert_cmpint(h.max_vcpus, ==, VIRTIO_IRQHINT_MAX_VCPUS);
    g_assert_cmpint(h.generation % 2, ==, 0);
    g_assert_cmpint(h.num_entries, <=, h.max_entries);
}

static void test_msi_hint(void *obj, void *data, QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    uint8_t devfn = QPCI_DEVFN(EDU_SLOT, 0);
    struct virtio_irqhint_entry e;
    QEdu edu;
    QDict *info, *src;
    uint32_t gen;
    int other = other_cpu();

    start_driver(t.vdev);
    gen = qvirtio_config_readl(t.vdev, 0);
    edu_setup(&edu, t.pv->pdev->bus);

    /* The first event publishes an entry: both vCPUs sit on our CPU. */
    edu_raise(t.qts, &edu, 3);
    info = query(t.qts);
    src = find_source(info, devfn, false, 0);
    g_assert_cmpint(qdict_get_int(src, "host-cpu"), ==, pinned_cpu);
    g_assert_cmpint(qdict_get_int(src, "events"), ==, 3);
    g_assert_cmpstr(qdict_get_str(src, "reason"), ==, "colocated");
    g_assert_cmpint(qlist_size(qdict_get_qlist(src, "hint")), ==, 2);
    qobject_unref(info);

    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_COLOCATED, 2,
                (uint32_t[]){ 0, 1 });
    g_assert(le16_to_cpu(e.flags) & VIRTIO_IRQHINT_FLAG_PINNED);

    if (other < 0) {
        g_test_skip("one host CPU: cannot place a vCPU away from the "
                    "raising CPU");
        goto out;
    }

    /* Management placement: only vCPU 1 runs on the raising CPU. */
    set_placement(t.qts, 0, other);
    set_placement(t.qts, 1, pinned_cpu);
    qvirtio_wait_config_isr(t.vdev, WAIT_US);
    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_MANAGEMENT, 1, (uint32_t[]){ 1 });

    /* Re-placement moves the hint and bumps the generation again. */
    set_placement(t.qts, 1, other);
    set_placement(t.qts, 0, pinned_cpu);
    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_MANAGEMENT, 1, (uint32_t[]){ 0 });

    /* Clearing falls back to the pinned threads: both vCPUs again. */
    qtest_qmp_assert_success(t.qts,
                             "{ 'execute': 'irqhint-clear-placement' }");
    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_COLOCATED, 2,
                (uint32_t[]){ 0, 1 });
out:
    qedu_destroy(&edu);
    unpin_self();
}

static void test_msix_hint(void *obj, void *data, QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    uint8_t devfn = QPCI_DEVFN(RNG_SLOT, 0);
    QVirtioPCIDevice *rng;
    QVirtQueue *vq;
    struct virtio_irqhint_entry e;
    uint64_t buf, f;
    uint32_t head, gen;
    QDict *info;
    int other = other_cpu();

    start_driver(t.vdev);
    gen = qvirtio_config_readl(t.vdev, 0);

    rng = virtio_pci_new(t.pv->pdev->bus,
                         &(QPCIAddress) { .devfn = devfn });
    g_assert_nonnull(rng);
    qvirtio_pci_device_enable(rng);
    qvirtio_start_device(&rng->vdev);
    qpci_msix_enable(rng->pdev);
    qvirtio_pci_set_msix_configuration_vector(rng, alloc, 0);
    f = qvirtio_get_features(&rng->vdev);
    qvirtio_set_features(&rng->vdev, f & (1ull << VIRTIO_F_VERSION_1));
    vq = qvirtqueue_setup(&rng->vdev, alloc, 0);
    qvirtqueue_pci_msix_setup(rng, (QVirtQueuePCI *)vq, alloc, 1);
    qvirtio_set_driver_ok(&rng->vdev);

    /* Ask for entropy: the device answers with MSI-X vector 1. */
    buf = guest_alloc(alloc, 16);
    head = qvirtqueue_add(t.qts, vq, buf, 16, true, false);
    qvirtqueue_kick(t.qts, &rng->vdev, vq, head);
    qvirtio_wait_used_elem(t.qts, &rng->vdev, vq, head, NULL, WAIT_US);

    info = wait_source(t.qts, devfn, true, 1, 1);
    g_assert_cmpint(qdict_get_int(find_source(info, devfn, true, 1),
                                  "host-cpu"), ==, pinned_cpu);
    qobject_unref(info);
    gen = wait_generation(t.qts, t.vdev, gen);
    e = find_entry(t.vdev, devfn, VIRTIO_IRQHINT_TYPE_MSIX, 1);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_COLOCATED, 2,
                (uint32_t[]){ 0, 1 });

    if (other >= 0) {
        set_placement(t.qts, 0, other);
        set_placement(t.qts, 1, other);
        gen = wait_generation(t.qts, t.vdev, gen);
        e = find_entry(t.vdev, devfn, VIRTIO_IRQHINT_TYPE_MSIX, 1);
        /* No vCPU left on the raising CPU: nearest by topology, or none. */
        g_assert_cmpint(e.reason, !=, VIRTIO_IRQHINT_REASON_COLOCATED);
        g_assert_cmpint(e.reason, !=, VIRTIO_IRQHINT_REASON_MANAGEMENT);
        if (e.reason == VIRTIO_IRQHINT_REASON_NONE) {
            g_assert_cmpint(e.nr_vcpus, ==, 0);
        } else {
            assert_hint(&e, e.reason, 2, (uint32_t[]){ 0, 1 });
        }
    }

    guest_free(alloc, buf);
    qvirtqueue_cleanup(rng->vdev.bus, vq, alloc);
    qos_object_destroy((QOSGraphObject *)rng);
    unpin_self();
}

static void test_bad_qmp(void *obj, void *data, QGuestAllocator *alloc)
{
    QTestState *qts = irqhint_test(obj).qts;
    static const struct {
        int cpu_index;
        int host_cpu;       /* -1: irqhint-clear-placement */
        const char *msg;
    } bad[] = {
        { 99, 0, "names no vCPU" },
        { -1, 0, "names no vCPU" },
        { 0, 100000, "is not a CPU of this host" },
        { 0, -3, "is not a CPU of this host" },
        { 7, -1, "names no vCPU" },
    };

    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        QDict *rsp, *err;

        if (bad[i].host_cpu == -1) {
            rsp = qtest_qmp(qts, "{ 'execute': 'irqhint-clear-placement',"
                            " 'arguments': { 'cpu-index': %d } }",
                            bad[i].cpu_index);
        } else {
            rsp = qtest_qmp(qts, "{ 'execute': 'irqhint-set-placement',"
                            " 'arguments': { 'cpu-index': %d,"
                            " 'host-cpu': %d } }",
                            bad[i].cpu_index, bad[i].host_cpu);
        }
        err = qdict_get_qdict(rsp, "error");
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(qdict_get_str(err, "desc"), bad[i].msg));
        qobject_unref(rsp);
    }
    /* Still alive, and the placement untouched. */
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-irqhint' }");
}

/* The driver's report of the generation it applied (header offset 12). */
static void write_applied(IrqhintTest *t, uint32_t gen)
{
    qpci_io_writel(t->pv->pdev, t->pv->bar, t->pv->device_cfg_offset +
                   offsetof(struct virtio_irqhint_config, applied), gen);
}

/* query-irqhint's applied-generation, or -1 when it has none. */
static int64_t query_applied(QTestState *qts)
{
    QDict *info = query(qts);
    int64_t v = qdict_haskey(info, "applied-generation") ?
        qdict_get_int(info, "applied-generation") : -1;

    qobject_unref(info);
    return v;
}

/*
 * A table published, so that there is a generation to report: edu's MSI,
 * a new source.
 */
static uint32_t publish_one(IrqhintTest *t, QEdu *edu, uint32_t gen)
{
    edu_setup(edu, t->pv->pdev->bus);
    edu_raise(t->qts, edu, 1);
    return wait_generation(t->qts, t->vdev, gen);
}

static void test_applied(void *obj, void *data, QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    uint64_t f = qvirtio_get_features(t.vdev);
    QEdu edu;
    uint32_t gen;

    g_assert(f & (1ull << VIRTIO_IRQHINT_F_APPLIED));
    qvirtio_set_features(t.vdev, f & ((1ull << VIRTIO_F_VERSION_1) |
                                      (1ull << VIRTIO_IRQHINT_F_APPLIED)));
    qvirtio_set_driver_ok(t.vdev);
    g_assert_cmpint(query_applied(t.qts), ==, 0);
    gen = publish_one(&t, &edu, qvirtio_config_readl(t.vdev, 0));
    g_assert_cmpint(gen, >, 0);

    write_applied(&t, gen);
    g_assert_cmpint(query_applied(t.qts), ==, gen);
    g_assert_cmpint(qvirtio_config_readl(t.vdev, 12), ==, gen);

    /* Odd (mid-update) and not yet published generations are refused. */
    write_applied(&t, gen + 1);
    write_applied(&t, gen + 2);
    g_assert_cmpint(query_applied(t.qts), ==, gen);
    g_assert_cmpint(qvirtio_config_readl(t.vdev, 12), ==, gen);

    /* Writes elsewhere change nothing the driver reads back. */
    qpci_io_writel(t.pv->pdev, t.pv->bar, t.pv->device_cfg_offset, 0x1235);
    g_assert_cmpint(qvirtio_config_readl(t.vdev, 0), ==, gen);

    /* A reset forgets it (libqos reads config only once negotiated). */
    qvirtio_reset(t.vdev);
    g_assert_cmpint(query_applied(t.qts), ==, -1);
    g_assert_cmpint(qpci_io_readl(t.pv->pdev, t.pv->bar,
                                  t.pv->device_cfg_offset + 12), ==, 0);
    qedu_destroy(&edu);
    unpin_self();
}

static void test_applied_unoffered(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    QEdu edu;
    uint32_t gen;

    start_driver(t.vdev);       /* without VIRTIO_IRQHINT_F_APPLIED */
    gen = publish_one(&t, &edu, qvirtio_config_readl(t.vdev, 0));
    g_assert_cmpint(query_applied(t.qts), ==, -1);
    write_applied(&t, gen);
    g_assert_cmpint(qvirtio_config_readl(t.vdev, 12), ==, 0);
    qedu_destroy(&edu);
    unpin_self();
}

/*
 * A guest may aim irqhint's config interrupt at any MMIO: here at edu's
 * "raise interrupt" register, so that publishing raises edu's MSI, a new
 * source for the observer while irqhint is publishing.  QEMU must keep
 * answering (it once deadlocked on irqhint's own lock).  A watchdog kills
 * a QEMU that stops answering, so the test fails instead of hanging.
 * What publishes first is a second edu's MSI, a new source too.
 */
static pid_t watched_qemu;

static void kill_watched_qemu(int sig)
{
    if (watched_qemu > 0) {
        kill(watched_qemu, SIGKILL);
    }
}

static void test_msix_loop(void *obj, void *data, QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    QPCIDevice *pdev = t.pv->pdev;
    uint64_t off = pdev->msix_table_off;
    QEdu edu, edu2;

    edu_setup(&edu, pdev->bus);
    qedu_init(&edu2, pdev->bus, QPCI_DEVFN(EDU2_SLOT, 0), 0xfee00000, 0x41);
    qpci_msix_enable(pdev);
    qvirtio_pci_set_msix_configuration_vector(t.pv, alloc, 0);
    start_driver(t.vdev);
    /* Config vector 0 now writes 1 to edu's RAISE_IRQ register. */
    qpci_io_writel(pdev, pdev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_LOWER_ADDR,
                   edu.bar.addr + QEDU_RAISE_IRQ);
    qpci_io_writel(pdev, pdev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_UPPER_ADDR, edu.bar.addr >> 32);
    qpci_io_writel(pdev, pdev->msix_table_bar,
                   off + PCI_MSIX_ENTRY_DATA, 1);

    watched_qemu = qtest_pid(t.qts);
    sigaction(SIGALRM, &(struct sigaction) {
        .sa_handler = kill_watched_qemu }, NULL);
    alarm(20);
    /* The second edu's hint is published, with the config interrupt... */
    qedu_raise(&edu2, 1);
    /* ... edu's MSI arrives, is tracked and gets its hint published. */
    qobject_unref(wait_source(t.qts, QPCI_DEVFN(EDU_SLOT, 0), false, 0, 1));
    qobject_unref(wait_source(t.qts, QPCI_DEVFN(EDU2_SLOT, 0), false, 0, 1));
    alarm(0);
    watched_qemu = 0;
    qedu_destroy(&edu2);
    qedu_destroy(&edu);
    unpin_self();
}

/* The vCPU threads' IDs, by cpu-index. */
static int vcpu_tid(QTestState *qts, int cpu_index)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-cpus-fast' }");
    QList *cpus = qdict_get_qlist(rsp, "return");
    QListEntry *e;
    int tid = -1;

    QLIST_FOREACH_ENTRY(cpus, e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(c, "cpu-index") == cpu_index) {
            tid = qdict_get_int(c, "thread-id");
        }
    }
    qobject_unref(rsp);
    g_assert_cmpint(tid, >, 0);
    return tid;
}

/*
 * A re-pinned vCPU moves the hint as soon as its thread runs again, and a
 * query in between changes nothing of that (a query once consumed the
 * change, and the hint stayed stale for good).  The qtest accelerator's
 * vCPU threads only run when kicked: stop/cont kicks them.
 */
static void test_query_repin(void *obj, void *data, QGuestAllocator *alloc)
{
    IrqhintTest t = irqhint_test(obj);
    int other = other_cpu();
    struct virtio_irqhint_entry e;
    QEdu edu;
    cpu_set_t set;
    uint32_t gen;

    if (other < 0) {
        g_test_skip("one host CPU: cannot re-pin a vCPU elsewhere");
        unpin_self();
        return;
    }
    start_driver(t.vdev);
    edu_setup(&edu, t.pv->pdev->bus);
    gen = qvirtio_config_readl(t.vdev, 0);
    edu_raise(t.qts, &edu, 1);
    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_COLOCATED, 2,
                (uint32_t[]){ 0, 1 });

    /* Re-pin vCPU 1 away (as virsh vcpupin --live does), query at once. */
    CPU_ZERO(&set);
    CPU_SET(other, &set);
    g_assert_cmpint(sched_setaffinity(vcpu_tid(t.qts, 1), sizeof(set), &set),
                    ==, 0);
    qobject_unref(query(t.qts));
    qtest_qmp_assert_success(t.qts, "{ 'execute': 'stop' }");
    qtest_qmp_assert_success(t.qts, "{ 'execute': 'cont' }");

    /* vCPU 1's thread saw itself elsewhere: republished. */
    e = edu_entry_next(t.qts, t.vdev, &gen);
    assert_hint(&e, VIRTIO_IRQHINT_REASON_COLOCATED, 1, (uint32_t[]){ 0 });
    qedu_destroy(&edu);
    unpin_self();
}

/* Command-line behaviour, run as separate QEMU processes */

/*
 * Run QEMU with @args; it must exit with @status and print each of the
 * NULL-terminated strings that follow.
 */
static void expect_cmdline(const char *args, int status, ...)
{
    g_autofree char *out = NULL;
    const char *want;
    va_list ap;

    g_assert_cmpint(qos_run_qemu_cmdline(args, &out), ==, status);
    va_start(ap, status);
    while ((want = va_arg(ap, const char *))) {
        if (!strstr(out, want)) {
            g_test_message("'%s' not in: %s", want, out);
            g_assert_not_reached();
        }
    }
    va_end(ap);
}

static void test_twice(void)
{
    expect_cmdline("-device irqhint -device virtio-irqhint-pci", 1,
                   "only one irqhint device per machine", NULL);
}

static void test_bad_property(void)
{
    expect_cmdline("-device irqhint,max-entries=0", 1,
                   "max-entries must be between 1 and 127", NULL);
    expect_cmdline("-device irqhint,refresh-ms=3", 1,
                   "refresh-ms must be 0", NULL);
}

static void test_help(void)
{
    expect_cmdline("-device irqhint,help", 0, "max-entries=<uint16>",
                   "Room in the guest-visible hint table",
                   "refresh-ms=<uint32>", "nearest=<bool>", NULL);
}

static void test_no_device(void)
{
    QTestState *qts = qtest_init("-machine pc");
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-irqhint' }");

    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"),
                    ==, "DeviceNotFound");
    qobject_unref(rsp);
    qtest_quit(qts);
}

/* Migration: the table moves, is flagged, and republished. */

static QVirtioPCIDevice *irqhint_on(QTestState *qts, QPCIBus **bus)
{
    QVirtioPCIDevice *dev;

    *bus = qpci_new_pc(qts, NULL);
    dev = virtio_pci_new(*bus, &(QPCIAddress) {
        .devfn = QPCI_DEVFN(QVIRTIO_IRQHINT_SLOT, 0) });
    g_assert_nonnull(dev);
    qvirtio_pci_device_enable(dev);
    qvirtio_start_device(&dev->vdev);
    start_driver(&dev->vdev);
    return dev;
}

/*
 * edu's entry @e is the table's only one, and query-irqhint agrees: an
 * entry carried from the source host (@migrated), or one for an
 * interrupt observed here.
 */
static void expect_edu_only(QTestState *qts,
                            const struct virtio_irqhint_entry *e,
                            bool migrated)
{
    QDict *info = query(qts);
    QDict *src = find_source(info, QPCI_DEVFN(EDU_SLOT, 0), false, 0);

    g_assert_cmpint(!!(le16_to_cpu(e->flags) & VIRTIO_IRQHINT_FLAG_MIGRATED),
                    ==, migrated);
    g_assert_cmpint(qdict_get_int(info, "entries"), ==, 1);
    g_assert_nonnull(src);
    g_assert_cmpint(qdict_get_bool(src, "migrated"), ==, migrated);
    g_assert_cmpint(qdict_get_bool(src, "observed"), ==, !migrated);
    g_assert_true(qdict_get_bool(src, "published"));
    g_assert_cmpint(qlist_size(qdict_get_qlist(src, "hint")), ==,
                    e->nr_vcpus);
    g_assert_cmpstr(qdict_get_str(src, "qdev"), !=, "(not found)");
    qobject_unref(info);
}

static void test_migration(void)
{
    g_autofree char *sock = qos_tmp_path("sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    const char *args = "-machine pc -smp 2 "
        "-device virtio-irqhint-pci,addr=04.0 -device edu,addr=05.0";
    QTestState *src, *dst;
    QPCIBus *sbus, *dbus;
    QVirtioPCIDevice *sdev, *ddev;
    QEdu edu;
    struct virtio_irqhint_entry se, de;
    uint32_t sgen, dgen;

    pin_self();
    src = qtest_initf("%s", args);
    dst = qtest_initf("%s -incoming %s", args, uri);

    sdev = irqhint_on(src, &sbus);
    sgen = qvirtio_config_readl(&sdev->vdev, 0);
    edu_setup(&edu, sbus);
    edu_raise(src, &edu, 2);
    se = edu_entry_next(src, &sdev->vdev, &sgen);

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    qos_wait_running(dst);

    ddev = irqhint_on(dst, &dbus);
    dgen = sgen;
    de = edu_entry_next(dst, &ddev->vdev, &dgen);
    expect_edu_only(dst, &de, true);
    de.flags = se.flags;
    g_assert(memcmp(&se, &de, sizeof(se)) == 0);

    /* The source's next interrupt here replaces the carried entry. */
    qedu_destroy(&edu);
    edu_setup(&edu, dbus);
    edu_raise(dst, &edu, 1);
    de = edu_entry_next(dst, &ddev->vdev, &dgen);
    expect_edu_only(dst, &de, false);

    qedu_destroy(&edu);
    qos_object_destroy((QOSGraphObject *)sdev);
    qos_object_destroy((QOSGraphObject *)ddev);
    qpci_free_pc(sbus);
    qpci_free_pc(dbus);
    qtest_quit(dst);
    qtest_quit(src);
    unpin_self();
    qos_tmp_path_remove(sock);
}

/*
 * A migration stream is input too: a destination with another max-entries,
 * or a table caught mid-update (odd generation), is refused with a reason,
 * never loaded or aborted on.
 */
static void test_migration_bad_stream(void)
{
    g_autofree char *file = qos_tmp_path("state");
    /* irqhint last: max-entries=32 is appended to it below. */
    const char *dev = "-smp 2 -device edu,addr=05.0"
                      " -device virtio-irqhint-pci,addr=04.0";
    /* -nodefaults: what qos_load_file() starts must match. */
    g_autofree char *args = g_strdup_printf("-machine pc -nodefaults %s",
                                            dev);
    g_autofree char *small = g_strdup_printf("%s,max-entries=32", dev);
    QTestState *qts;
    QPCIBus *bus;
    QVirtioPCIDevice *vdev;
    QEdu edu;
    uint8_t find[18], repl[18];
    struct virtio_irqhint_config h;
    uint32_t gen;

    qts = qtest_initf("%s", args);
    vdev = irqhint_on(qts, &bus);
    gen = qvirtio_config_readl(&vdev->vdev, 0);
    /* A table of one entry: edu's MSI. */
    edu_setup(&edu, bus);
    edu_raise(qts, &edu, 1);
    wait_generation(qts, &vdev->vdev, gen);
    qos_migrate_to_file(qts, file);
    /*
     * The header as migrated: the VM is stopped now, and nothing raises
     * an MSI; the table may have been published again (a thread of QEMU
     * that moved to another host CPU) between the wait and the migration.
     */
    h = read_header(&vdev->vdev);
    gen = h.generation;

    /* The untouched stream loads. */
    qos_expect_loads(dev, file);

    /* Another max-entries here: refused before the table is read. */
    qos_expect_load_refused(small, file, "with the source's max-entries");

    /*
     * max-entries (big-endian in the stream), then the config header
     * (little-endian): generation, num-entries, max-entries, entry size,
     * max vCPUs, applied.  An applied generation never published, or an
     * odd generation (a table in mid-update), is refused.
     */
    stw_be_p(find, 64);
    stl_le_p(find + 2, gen);
    stw_le_p(find + 6, h.num_entries);
    stw_le_p(find + 8, 64);
    stw_le_p(find + 10, sizeof(struct virtio_irqhint_entry));
    stw_le_p(find + 12, VIRTIO_IRQHINT_MAX_VCPUS);
    stl_le_p(find + 14, 0);
    memcpy(repl, find, sizeof(find));
    stl_le_p(repl + 14, gen + 2);
    qos_patch_file(file, find, repl, sizeof(find));
    qos_expect_load_refused(dev, file, "applied generation");
    qos_patch_file(file, repl, find, sizeof(find));

    memcpy(repl, find, sizeof(find));
    stl_le_p(repl + 2, gen | 1);
    qos_patch_file(file, find, repl, sizeof(find));
    qos_expect_load_refused(dev, file, "odd generation");

    qedu_destroy(&edu);
    qos_object_destroy((QOSGraphObject *)vdev);
    qpci_free_pc(bus);
    qtest_quit(qts);
    qos_tmp_path_remove(file);
}

static void register_virtio_irqhint_test(void)
{
    QOSGraphTestOptions edu_opts = { .before = before_edu };
    QOSGraphTestOptions edu2_opts = { .before = before_edu2 };
    QOSGraphTestOptions rng_opts = { .before = before_rng };

    qos_add_test("config-layout", "virtio-irqhint", test_config_layout, NULL);
    qos_add_test("msi-hint", "virtio-irqhint", test_msi_hint, &edu_opts);
    qos_add_test("msix-hint", "virtio-irqhint", test_msix_hint, &rng_opts);
    qos_add_test("bad-qmp", "virtio-irqhint", test_bad_qmp, NULL);
    qos_add_test("applied", "virtio-irqhint", test_applied, &edu_opts);
    qos_add_test("applied-unoffered", "virtio-irqhint",
                 test_applied_unoffered, &edu_opts);
    qos_add_test("msix-loop", "virtio-irqhint", test_msix_loop, &edu2_opts);
    qos_add_test("query-repin", "virtio-irqhint", test_query_repin,
                 &edu_opts);

    if (!strcmp(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/virtio-irqhint/cmdline/twice", test_twice);
        qtest_add_func("/virtio-irqhint/cmdline/bad-property",
                       test_bad_property);
        qtest_add_func("/virtio-irqhint/cmdline/help", test_help);
        qtest_add_func("/virtio-irqhint/qmp/no-device", test_no_device);
        qtest_add_func("/virtio-irqhint/migration", test_migration);
        qtest_add_func("/virtio-irqhint/bad-stream",
                       test_migration_bad_stream);
    }
}

libqos_init(register_virtio_irqhint_test);
