/*
 * virtio-irqhint: interrupt placement hints for the guest
 *
 * The device watches the MSI and MSI-X messages every PCI device sends,
 * notes the host CPU of the thread that raised each (device, vector), finds
 * the guest vCPUs that run on that host CPU (or the nearest ones by host
 * topology), and publishes the result in its configuration space so that a
 * guest driver can steer the interrupt to those vCPUs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "qapi/qapi-types-irqhint.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/host-cpu.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "hw/core/cpu.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio-irqhint.h"
#include "migration/vmstate.h"
#include "system/vcpu-placement.h"
#include "trace.h"

#define IRQHINT_DEFAULT_ENTRIES 64
#define IRQHINT_DEFAULT_REFRESH_MS 0

static VirtIOIrqhint *virtio_irqhint_instance;

/* Host topology */

static int virtio_irqhint_read_sysfs_int(int cpu, const char *file)
{
    g_autofree char *path = g_strdup_printf(
        "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, file);
    g_autofree char *text = NULL;
    int64_t val;

    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        qemu_strtoi64(g_strstrip(text), NULL, 10, &val) < 0 ||
        val < 0 || val > INT_MAX) {
        return -1;
    }
    return val;
}

static int virtio_irqhint_read_node(int cpu)
{
    g_autofree char *path = g_strdup_printf("/sys/devices/system/cpu/cpu%d",
                                            cpu);
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;
    int node = -1;

    if (!dir) {
        return -1;
    }
    while ((name = g_dir_read_name(dir))) {
        int n;

        if (g_str_has_prefix(name, "node") &&
            qemu_strtoi(name + 4, NULL, 10, &n) == 0) {
            node = n;
            break;
        }
    }
    g_dir_close(dir);
    return node;
}

static void virtio_irqhint_read_topology(VirtIOIrqhint *s)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);

    s->nr_host_cpus = MAX(n, 1);
    s->host_core = g_new(int, s->nr_host_cpus);
    s->host_package = g_new(int, s->nr_host_cpus);
    s->host_node = g_new(int, s->nr_host_cpus);
    for (int i = 0; i < s->nr_host_cpus; i++) {
        int core = virtio_irqhint_read_sysfs_int(i, "core_id");

        s->host_package[i] = virtio_irqhint_read_sysfs_int(
            i, "physical_package_id");
        s->host_core[i] = core < 0 || s->host_package[i] < 0 ? -1 :
                          (s->host_package[i] << 16) | (core & 0xffff);
        s->host_node[i] = virtio_irqhint_read_node(i);
    }
}

/* How close host CPU @b is to host CPU @a, as a VIRTIO_IRQHINT_REASON_*. */
static int virtio_irqhint_relation(VirtIOIrqhint *s, int a, int b)
{
    if (a == b) {
        return VIRTIO_IRQHINT_REASON_COLOCATED;
    }
    if (a < 0 || b < 0 || a >= s->nr_host_cpus || b >= s->nr_host_cpus) {
        return VIRTIO_IRQHINT_REASON_NONE;
    }
    if (s->host_core[a] >= 0 && s->host_core[a] == s->host_core[b]) {
        return VIRTIO_IRQHINT_REASON_SAME_CORE;
    }
    if (s->host_package[a] >= 0 && s->host_package[a] == s->host_package[b]) {
        return VIRTIO_IRQHINT_REASON_SAME_PACKAGE;
    }
    if (s->host_node[a] >= 0 && s->host_node[a] == s->host_node[b]) {
        return VIRTIO_IRQHINT_REASON_SAME_NODE;
    }
    return VIRTIO_IRQHINT_REASON_NONE;
}

/* The vCPU -> host CPU map */

static int virtio_irqhint_thread_last_cpu(int tid)
{
    g_autofree char *path = g_strdup_printf("/proc/self/task/%d/stat", tid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    const char *rest;
    int cpu;

    if (tid <= 0 || !g_file_get_contents(path, &text, NULL, NULL)) {
        return -1;
    }
    /* The command name may hold spaces: fields restart after its ')'. */
    rest = strrchr(text, ')');
    if (!rest) {
        return -1;
    }
    fields = g_strsplit(rest + 2, " ", 0);
    /* "processor" is field 39 of stat(5); fields[0] is field 3. */
    if (g_strv_length(fields) < 37 ||
        qemu_strtoi(fields[36], NULL, 10, &cpu) < 0) {
        return -1;
    }
    return cpu;
}

static int virtio_irqhint_thread_pinned_cpu(CPUState *cpu)
{
    cpu_set_t set;

    if (!cpu->thread ||
        pthread_getaffinity_np(cpu->thread->thread, sizeof(set), &set) ||
        CPU_COUNT(&set) != 1) {
        return -1;
    }
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &set)) {
            return i;
        }
    }
    return -1;
}

static void virtio_irqhint_grow_map(VirtIOIrqhint *s, int nr)
{
    if (nr <= s->nr_vcpus) {
        return;
    }
    s->map = g_renew(IrqhintVcpuPlacement, s->map, nr);
    s->mgmt = g_renew(int, s->mgmt, nr);
    for (int i = s->nr_vcpus; i < nr; i++) {
        s->map[i].host_cpu = -1;
        s->map[i].source = IRQHINT_PLACEMENT_SOURCE_UNKNOWN;
        s->mgmt[i] = -1;
    }
    s->nr_vcpus = nr;
}

/* Re-read where every vCPU runs; returns true when the map changed. */
static bool virtio_irqhint_refresh_map(VirtIOIrqhint *s)
{
    bool changed = false;
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        IrqhintVcpuPlacement p = { -1, IRQHINT_PLACEMENT_SOURCE_UNKNOWN };
        IrqhintVcpuPlacement *old;
        int pinned = virtio_irqhint_thread_pinned_cpu(cpu);
        int last = pinned < 0 ? vcpu_placement_last(cpu) : -1;

        virtio_irqhint_grow_map(s, cpu->cpu_index + 1);
        if (s->mgmt[cpu->cpu_index] >= 0) {
            p.host_cpu = s->mgmt[cpu->cpu_index];
            p.source = IRQHINT_PLACEMENT_SOURCE_MANAGEMENT;
        } else if (pinned >= 0) {
            p.host_cpu = pinned;
            p.source = IRQHINT_PLACEMENT_SOURCE_PINNED;
        } else {
            /* Where it saw itself last; /proc if it has not run yet. */
            if (last < 0) {
                last = virtio_irqhint_thread_last_cpu(cpu->thread_id);
            }
            if (last >= 0) {
                p.host_cpu = last;
                p.source = IRQHINT_PLACEMENT_SOURCE_LAST_RAN;
            }
        }
        old = &s->map[cpu->cpu_index];
        if (old->host_cpu != p.host_cpu || old->source != p.source) {
            trace_virtio_irqhint_vcpu_moved(s, cpu->cpu_index, old->host_cpu,
                                            p.host_cpu, p.source);
            *old = p;
            changed = true;
        }
    }
    return changed;
}

/* Hints */

/* Compute @slot's hint from its last host CPU and the map.  Under lock. */
static void virtio_irqhint_compute(VirtIOIrqhint *s, IrqhintSlot *slot)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    bool nearest = virtio_vdev_has_feature(vdev, VIRTIO_IRQHINT_F_NEAREST);
    int host = qatomic_read(&slot->host_cpu);
    int best = VIRTIO_IRQHINT_REASON_NONE;
    bool all_mgmt = true;
    uint16_t flags = 0;
    CPUState *cpu;

    slot->nr_hint = 0;
    CPU_FOREACH(cpu) {
        IrqhintVcpuPlacement *p;
        int rel;

        if (cpu->cpu_index >= s->nr_vcpus) {
            continue;
        }
        p = &s->map[cpu->cpu_index];
        if (p->host_cpu < 0) {
            continue;
        }
        rel = virtio_irqhint_relation(s, host, p->host_cpu);
        if (rel == VIRTIO_IRQHINT_REASON_NONE ||
            (rel != VIRTIO_IRQHINT_REASON_COLOCATED && !nearest) ||
            (best != VIRTIO_IRQHINT_REASON_NONE && rel > best)) {
            continue;
        }
        if (rel < best || best == VIRTIO_IRQHINT_REASON_NONE) {
            /* A closer level: start over. */
            best = rel;
            slot->nr_hint = 0;
            flags = 0;
            all_mgmt = true;
        }
        if (slot->nr_hint == VIRTIO_IRQHINT_MAX_VCPUS) {
            flags |= VIRTIO_IRQHINT_FLAG_TRUNCATED;
            continue;
        }
        slot->hint[slot->nr_hint++] = cpu->cc->get_arch_id(cpu);
        if (p->source != IRQHINT_PLACEMENT_SOURCE_MANAGEMENT) {
            all_mgmt = false;
        }
        if (p->source == IRQHINT_PLACEMENT_SOURCE_PINNED) {
            flags |= VIRTIO_IRQHINT_FLAG_PINNED;
        } else if (p->source == IRQHINT_PLACEMENT_SOURCE_LAST_RAN) {
            flags |= VIRTIO_IRQHINT_FLAG_OBSERVED;
        }
    }
    if (best == VIRTIO_IRQHINT_REASON_COLOCATED && all_mgmt) {
        best = VIRTIO_IRQHINT_REASON_MANAGEMENT;
    }

    if (slot->dev && !slot->gone) {
        /* QEMU's x86 machines put every PCI host bridge in segment 0. */
        slot->entry.segment = cpu_to_le16(0);
        slot->entry.bus = pci_dev_bus_num(slot->dev);
        slot->entry.devfn = slot->dev->devfn;
    }
    slot->entry.index = cpu_to_le16(slot->vector);
    slot->entry.type = slot->msix ? VIRTIO_IRQHINT_TYPE_MSIX :
                                    VIRTIO_IRQHINT_TYPE_MSI;
    slot->entry.reason = best;
    slot->entry.flags = cpu_to_le16(flags);
    slot->entry.nr_vcpus = slot->nr_hint;
    for (int i = 0; i < VIRTIO_IRQHINT_MAX_VCPUS; i++) {
        slot->entry.apic_id[i] = cpu_to_le32(i < slot->nr_hint ?
                                             slot->hint[i] : 0);
    }
    trace_virtio_irqhint_hint(s, slot->entry.bus, slot->entry.devfn,
                              slot->msix, slot->vector, host, best,
                              slot->nr_hint,
                              slot->nr_hint ? slot->hint[0] : 0);
}

static bool virtio_irqhint_same_source(const struct virtio_irqhint_entry *a,
                                       const struct virtio_irqhint_entry *b)
{
    return a->segment == b->segment && a->bus == b->bus &&
           a->devfn == b->devfn && a->type == b->type && a->index == b->index;
}

/*
 * Rebuild the table from the tracked sources (first seen first) and what
 * migration carried, and publish it when it changed.  Under BQL.
 *
 * s->lock only guards the copy of the sources' entries: the config
 * interrupt below may be aimed at any MMIO (another device whose write
 * raises an MSI, GIM's doorbell) and come back through the observer,
 * which takes s->lock.
 */
static void virtio_irqhint_publish(VirtIOIrqhint *s)
{
    struct virtio_irqhint_config *hdr = virtio_irqhint_header(s);
    g_autofree struct virtio_irqhint_entry *table =
        g_new0(struct virtio_irqhint_entry, s->max_entries);
    uint16_t n = 0;

    qemu_mutex_lock(&s->lock);
    for (int i = 0; i < s->nr_sources && n < s->max_entries; i++) {
        IrqhintSlot *slot = &s->slots[s->order[i]];

        if (!slot->gone) {
            table[n++] = slot->entry;
        }
    }
    qemu_mutex_unlock(&s->lock);

    for (int c = 0; c < s->nr_carried && n < s->max_entries; c++) {
        bool replaced = false;

        for (int i = 0; i < n; i++) {
            replaced |= virtio_irqhint_same_source(&table[i], &s->carried[c]);
        }
        if (!replaced) {
            table[n] = s->carried[c];
            table[n].flags |= cpu_to_le16(VIRTIO_IRQHINT_FLAG_MIGRATED);
            n++;
        }
    }

    if (le16_to_cpu(hdr->num_entries) == n &&
        !memcmp(virtio_irqhint_table(s), table,
                s->max_entries * sizeof(*table))) {
        return;
    }

    /* Generation protocol: odd while the table is inconsistent. */
    hdr->generation = cpu_to_le32(++s->generation);
    memcpy(virtio_irqhint_table(s), table, s->max_entries * sizeof(*table));
    hdr->num_entries = cpu_to_le16(n);
    /* Table before the even generation, for readers outside the BQL. */
    smp_wmb();
    hdr->generation = cpu_to_le32(++s->generation);
    trace_virtio_irqhint_publish(s, s->generation, n);
    virtio_notify_config(VIRTIO_DEVICE(s));
}

static void virtio_irqhint_bh(void *opaque)
{
    VirtIOIrqhint *s = opaque;
    bool all;

    if (qatomic_xchg(&s->vcpus_moved, false) &&
        virtio_irqhint_refresh_map(s)) {
        s->map_changed = true;
    }
    qemu_mutex_lock(&s->lock);
    all = s->map_changed;
    s->map_changed = false;
    for (int i = 0; i < s->nr_sources; i++) {
        IrqhintSlot *slot = &s->slots[s->order[i]];

        if (!slot->gone && !DEVICE(slot->dev)->realized) {
            slot->gone = true;
            trace_virtio_irqhint_source_gone(s, slot->entry.bus,
                                             slot->entry.devfn, slot->vector);
        }
        if ((slot->dirty || all) && !slot->gone) {
            slot->dirty = false;
            virtio_irqhint_compute(s, slot);
        }
    }
    qemu_mutex_unlock(&s->lock);
    virtio_irqhint_publish(s);
}

static void virtio_irqhint_refresh_timer(void *opaque)
{
    VirtIOIrqhint *s = opaque;

    if (virtio_irqhint_refresh_map(s)) {
        s->map_changed = true;
        qemu_bh_schedule(s->bh);
    }
    timer_mod(s->refresh_timer,
              qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + s->refresh_ms);
}

/*
 * A vCPU thread saw itself on another host CPU (it was re-pinned, or the
 * scheduler moved it), in that thread.  Under TCG it holds the BQL here:
 * re-read the map and publish at once, rather than wait for the main
 * loop (which may share a host CPU with this busy vCPU, or wait for the
 * BQL).  Under KVM it does not: the bottom half does it.
 */
static void virtio_irqhint_vcpu_moved(void *opaque, CPUState *cpu,
                                      int host_cpu)
{
    VirtIOIrqhint *s = opaque;
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;

    trace_virtio_irqhint_vcpu_ran(s, cpu->cpu_index, host_cpu);
    qatomic_set(&s->vcpus_moved, true);
    if (bql_locked() && !guard->engaged_in_io) {
        /* The bottom half's reentrancy guard, as if it ran. */
        guard->engaged_in_io = true;
        virtio_irqhint_bh(s);
        guard->engaged_in_io = false;
    } else {
        qemu_bh_schedule(s->bh);
    }
}

/* The observer: the hot path */

static inline unsigned virtio_irqhint_hash(PCIDevice *dev, bool msix,
                                           unsigned int vector)
{
    uintptr_t h = (uintptr_t)dev >> 4;

    h ^= vector * 0x9e3779b1u + msix;
    return (h ^ (h >> 8)) & (IRQHINT_SLOTS - 1);
}

static void virtio_irqhint_observe_slow(VirtIOIrqhint *s, PCIDevice *dev,
                                        bool msix, unsigned int vector,
                                        int cpu, bool notifier)
{
    unsigned h = virtio_irqhint_hash(dev, msix, vector);
    IrqhintSlot *slot = NULL;

    if (dev == s->self_pci || vector > UINT16_MAX) {
        return;
    }

    qemu_mutex_lock(&s->lock);
    for (unsigned i = 0; i < IRQHINT_SLOTS; i++) {
        IrqhintSlot *cand = &s->slots[(h + i) & (IRQHINT_SLOTS - 1)];

        if (!cand->dev) {
            if (s->nr_sources == IRQHINT_SLOTS - 1) {
                break;      /* keep one empty slot to end every probe */
            }
            cand->msix = msix;
            cand->vector = vector;
            cand->host_cpu = -1;
            object_ref(OBJECT(dev));
            qatomic_store_release(&cand->dev, dev);
            s->order[s->nr_sources++] = cand - s->slots;
            trace_virtio_irqhint_source_new(s, dev->devfn, msix, vector);
            slot = cand;
            break;
        }
        if (cand->dev == dev && cand->msix == msix &&
            cand->vector == vector) {
            slot = cand;
            break;
        }
    }
    if (!slot) {
        s->dropped++;
        qemu_mutex_unlock(&s->lock);
        return;
    }
    if (notifier && !slot->notifier) {
        trace_virtio_irqhint_source_notifier(s, dev->devfn, vector);
        qatomic_set(&slot->notifier, true);
    } else if (!notifier && slot->notifier) {
        qemu_mutex_unlock(&s->lock);
        return;     /* the main loop sends what a notifier raised */
    }
    if (slot->host_cpu != cpu) {
        trace_virtio_irqhint_source_moved(s, dev->devfn, msix, vector,
                                          slot->host_cpu, cpu);
        qatomic_set(&slot->host_cpu, cpu);
        slot->dirty = true;
    }
    qatomic_set(&slot->events, qatomic_read(&slot->events) + 1);
    qemu_mutex_unlock(&s->lock);
    qemu_bh_schedule(s->bh);
}

/*
 * A source raised through its guest notifier (an iothread completing
 * virtio requests) is attributed to the thread that signals the notifier:
 * the message QEMU's main loop then sends for it (under TCG; KVM sends it
 * itself) is counted there, not attributed again.
 */
static void virtio_irqhint_observe(void *opaque, PCIDevice *dev, bool msix,
                                   unsigned int vector, PCIIRQOrigin origin)
{
    VirtIOIrqhint *s = opaque;
    int cpu = qemu_host_cpu();
    unsigned h = virtio_irqhint_hash(dev, msix, vector);

    /* Known source, same host CPU: a compare and a branch. */
    for (unsigned i = 0; i < IRQHINT_SLOTS; i++) {
        IrqhintSlot *slot = &s->slots[(h + i) & (IRQHINT_SLOTS - 1)];
        PCIDevice *key = qatomic_load_acquire(&slot->dev);

        if (!key) {
            break;
        }
        if (key == dev && slot->msix == msix && slot->vector == vector) {
            if (unlikely(qatomic_read(&slot->notifier))) {
                if (origin == PCI_IRQ_SENT) {
                    return;     /* counted when its notifier was raised */
                }
            } else if (origin == PCI_IRQ_NOTIFIER) {
                break;          /* first time through a notifier */
            }
            if (likely(qatomic_read(&slot->host_cpu) == cpu)) {
                qatomic_set(&slot->events, qatomic_read(&slot->events) + 1);
                return;
            }
            break;
        }
    }
    virtio_irqhint_observe_slow(s, dev, msix, vector, cpu,
                                origin == PCI_IRQ_NOTIFIER);
}

/* Internal interface, for the monitor commands */

VirtIOIrqhint *virtio_irqhint_find(Error **errp)
{
    if (!virtio_irqhint_instance) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "No irqhint device found (add one with -device irqhint)");
    }
    return virtio_irqhint_instance;
}

void virtio_irqhint_set_placement(VirtIOIrqhint *s, int cpu_index,
                                  int host_cpu)
{
    virtio_irqhint_grow_map(s, cpu_index + 1);
    s->mgmt[cpu_index] = host_cpu;
    trace_virtio_irqhint_placement(s, cpu_index, host_cpu);
}

void virtio_irqhint_map_changed(VirtIOIrqhint *s)
{
    virtio_irqhint_refresh_map(s);
    s->map_changed = true;
    qemu_bh_schedule(s->bh);
}

/* Virtio device */

static void virtio_irqhint_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(vdev);

    memcpy(config, s->config, s->config_size);
}

/*
 * The driver writes only the header's "applied" field, and only with
 * VIRTIO_IRQHINT_F_APPLIED: the generation of the last table it acted on.
 * @config is the transport's copy of the config space as last read, with
 * the guest's write in it: its other fields may be stale, and writes to
 * them have no effect (the device's own copy is the one read back).
 */
static void virtio_irqhint_set_config(VirtIODevice *vdev,
                                      const uint8_t *config)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(vdev);
    struct virtio_irqhint_config *hdr = virtio_irqhint_header(s);
    const size_t at = offsetof(struct virtio_irqhint_config, applied);
    uint32_t applied = ldl_le_p(config + at);

    if (applied == le32_to_cpu(hdr->applied)) {
        return;
    }
    if (!virtio_vdev_has_feature(vdev, VIRTIO_IRQHINT_F_APPLIED)) {
        qemu_log_mask(LOG_GUEST_ERROR, "virtio-irqhint: applied generation "
                      "written without VIRTIO_IRQHINT_F_APPLIED; ignored\n");
        return;
    }
    /* Generations only grow (32 bits wrap after years of updates). */
    if ((applied & 1) || applied > s->generation) {
        qemu_log_mask(LOG_GUEST_ERROR, "virtio-irqhint: applied generation "
                      "%u is not one published (last %u); ignored\n",
                      applied, s->generation);
        return;
    }
    hdr->applied = cpu_to_le32(applied);
    trace_virtio_irqhint_applied(s, applied, s->generation);
}

static uint64_t virtio_irqhint_get_features(VirtIODevice *vdev, uint64_t f,
                                            Error **errp)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(vdev);

    return f | s->host_features;
}

static void virtio_irqhint_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(vdev);

    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        /* The negotiated features decide which hints may be published. */
        s->map_changed = true;
        qemu_bh_schedule(s->bh);
    }
}

static void virtio_irqhint_init_header(VirtIOIrqhint *s)
{
    struct virtio_irqhint_config *hdr = virtio_irqhint_header(s);

    hdr->max_entries = cpu_to_le16(s->max_entries);
    hdr->entry_size = cpu_to_le16(sizeof(struct virtio_irqhint_entry));
    hdr->max_vcpus = cpu_to_le16(VIRTIO_IRQHINT_MAX_VCPUS);
}

/* Undo what realize set up, in reverse. */
static void virtio_irqhint_teardown(VirtIOIrqhint *s)
{
    g_free(s->carried);
    g_free(s->mgmt);
    g_free(s->map);
    timer_free(s->refresh_timer);
    qemu_bh_delete(s->bh);
    g_free(s->host_node);
    g_free(s->host_package);
    g_free(s->host_core);
    qemu_mutex_destroy(&s->lock);
    virtio_cleanup(VIRTIO_DEVICE(s));
    g_free(s->config);
}

static void virtio_irqhint_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOIrqhint *s = VIRTIO_IRQHINT(dev);
    BusState *bus = qdev_get_parent_bus(dev);

    if (virtio_irqhint_instance) {
        error_setg(errp, "only one irqhint device per machine: %s exists",
                   object_get_canonical_path(OBJECT(virtio_irqhint_instance)));
        return;
    }
    if (s->max_entries < 1 || s->max_entries > VIRTIO_IRQHINT_MAX_ENTRIES) {
        error_setg(errp, "max-entries must be between 1 and %d",
                   VIRTIO_IRQHINT_MAX_ENTRIES);
        return;
    }
    if (s->refresh_ms > 0 && s->refresh_ms < 10) {
        error_setg(errp, "refresh-ms must be 0 (off) or at least 10");
        return;
    }

    s->config_size = VIRTIO_IRQHINT_ENTRY_OFFSET(s->max_entries);
    s->config = g_malloc0(s->config_size);
    s->generation = 0;
    virtio_irqhint_init_header(s);
    virtio_init(vdev, VIRTIO_ID_IRQHINT, s->config_size);

    s->self_pci = (PCIDevice *)object_dynamic_cast(OBJECT(bus->parent),
                                                   TYPE_PCI_DEVICE);
    qemu_mutex_init(&s->lock);
    virtio_irqhint_read_topology(s);
    s->bh = qemu_bh_new_guarded(virtio_irqhint_bh, s,
                                &dev->mem_reentrancy_guard);
    if (s->refresh_ms) {
        s->refresh_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                        virtio_irqhint_refresh_timer, s);
        timer_mod(s->refresh_timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME));
    }

    s->observer.fn = virtio_irqhint_observe;
    s->observer.opaque = s;
    if (!pci_irq_observer_install(&s->observer)) {
        error_setg(errp, "another PCI interrupt observer is installed");
        goto fail;
    }
    if (!vcpu_placement_watch(virtio_irqhint_vcpu_moved, s)) {
        error_setg(errp, "another vCPU placement watcher is installed");
        goto fail_observer;
    }
    virtio_irqhint_instance = s;
    return;

fail_observer:
    pci_irq_observer_remove(&s->observer);
fail:
    virtio_irqhint_teardown(s);
}

static void virtio_irqhint_unrealize(DeviceState *dev)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(dev);

    virtio_irqhint_instance = NULL;
    vcpu_placement_unwatch(s);
    pci_irq_observer_remove(&s->observer);
    for (int i = 0; i < s->nr_sources; i++) {
        object_unref(OBJECT(s->slots[s->order[i]].dev));
    }
    virtio_irqhint_teardown(s);
}

static void virtio_irqhint_reset(VirtIODevice *vdev)
{
    VirtIOIrqhint *s = VIRTIO_IRQHINT(vdev);

    virtio_irqhint_header(s)->applied = 0;
    /*
     * The sources and the map describe the host, not the guest: they
     * survive a reset.  Recompute so that the features the next driver
     * negotiates apply.
     */
    s->map_changed = true;
    qemu_bh_schedule(s->bh);
}

static int virtio_irqhint_post_load(void *opaque, int version_id)
{
    VirtIOIrqhint *s = opaque;
    struct virtio_irqhint_config *hdr = virtio_irqhint_header(s);
    uint16_t n = le16_to_cpu(hdr->num_entries);

    if (le16_to_cpu(hdr->max_entries) != s->max_entries || n > s->max_entries ||
        le16_to_cpu(hdr->entry_size) != sizeof(struct virtio_irqhint_entry) ||
        le16_to_cpu(hdr->max_vcpus) != VIRTIO_IRQHINT_MAX_VCPUS) {
        error_report("virtio-irqhint: migrated table does not fit "
                     "(max-entries %u here, %u on the source; %u entries, "
                     "entry size %u, max vCPUs %u)", s->max_entries,
                     le16_to_cpu(hdr->max_entries), n,
                     le16_to_cpu(hdr->entry_size),
                     le16_to_cpu(hdr->max_vcpus));
        return -EINVAL;
    }
    if (le32_to_cpu(hdr->generation) & 1) {
        error_report("virtio-irqhint: migrated table is mid-update "
                     "(odd generation %u)", le32_to_cpu(hdr->generation));
        return -EINVAL;
    }
    s->generation = le32_to_cpu(hdr->generation) & ~1u;
    if ((le32_to_cpu(hdr->applied) & 1) ||
        le32_to_cpu(hdr->applied) > s->generation) {
        error_report("virtio-irqhint: migrated applied generation %u is not "
                     "one published (last %u)", le32_to_cpu(hdr->applied),
                     s->generation);
        return -EINVAL;
    }
    /*
     * The hints were computed for the source host.  Keep them published
     * until this host's sources replace them, and republish at once.
     */
    g_free(s->carried);
    s->carried = g_memdup2(virtio_irqhint_table(s), n * sizeof(*s->carried));
    s->nr_carried = n;
    virtio_irqhint_map_changed(s);
    return 0;
}

static const VMStateDescription vmstate_virtio_irqhint_device = {
    .name = "virtio-irqhint-device",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = virtio_irqhint_post_load,
    .fields = (const VMStateField[]) {
        /* The buffer is sized by max-entries, which must match. */
        VMSTATE_UINT16_EQUAL(max_entries, VirtIOIrqhint,
                             "start irqhint here with the source's "
                             "max-entries"),
        VMSTATE_VBUFFER_UINT32(config, VirtIOIrqhint, 1, NULL, config_size),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_virtio_irqhint = {
    .name = "virtio-irqhint",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_VIRTIO_DEVICE,
        VMSTATE_END_OF_LIST()
    },
};

static const Property virtio_irqhint_properties[] = {
    DEFINE_PROP_UINT16("max-entries", VirtIOIrqhint, max_entries,
                       IRQHINT_DEFAULT_ENTRIES),
    DEFINE_PROP_UINT32("refresh-ms", VirtIOIrqhint, refresh_ms,
                       IRQHINT_DEFAULT_REFRESH_MS),
    DEFINE_PROP_BIT64("nearest", VirtIOIrqhint, host_features,
                      VIRTIO_IRQHINT_F_NEAREST, true),
    DEFINE_PROP_BIT64("applied", VirtIOIrqhint, host_features,
                      VIRTIO_IRQHINT_F_APPLIED, true),
};

static void virtio_irqhint_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, virtio_irqhint_properties);
    object_class_property_set_description(klass, "max-entries",
        "Room in the guest-visible hint table (1-127, default 64)");
    object_class_property_set_description(klass, "refresh-ms",
        "Also re-read where vCPU threads run every this many ms (0: never, "
        "the default: vCPU threads report when they move)");
    object_class_property_set_description(klass, "nearest",
        "Offer VIRTIO_IRQHINT_F_NEAREST: hint the nearest vCPUs by host "
        "topology when none runs on the raising CPU (default on)");
    object_class_property_set_description(klass, "applied",
        "Offer VIRTIO_IRQHINT_F_APPLIED: the driver reports the generation "
        "of each table it acted on (query-irqhint; default on)");
    dc->vmsd = &vmstate_virtio_irqhint;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = virtio_irqhint_realize;
    vdc->unrealize = virtio_irqhint_unrealize;
    vdc->get_config = virtio_irqhint_get_config;
    vdc->set_config = virtio_irqhint_set_config;
    vdc->get_features = virtio_irqhint_get_features;
    vdc->set_status = virtio_irqhint_set_status;
    vdc->reset = virtio_irqhint_reset;
    vdc->vmsd = &vmstate_virtio_irqhint_device;
}

static const TypeInfo virtio_irqhint_info = {
    .name = TYPE_VIRTIO_IRQHINT,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtIOIrqhint),
    .class_init = virtio_irqhint_class_init,
};

static void virtio_irqhint_register_types(void)
{
    type_register_static(&virtio_irqhint_info);
}

type_init(virtio_irqhint_register_types)
