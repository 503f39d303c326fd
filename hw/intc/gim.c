/*
 * GIM: guest interrupt manager
 *
 * An emulated interrupt-virtualization device that a hypervisor running in
 * the VM programs, as KVM programs AMD's AVIC or an ARM GICv4:
 *
 *   input messages (MSI data written to the doorbell window)
 *     -> a routing function per interrupt number (drop, deliver, remap,
 *        multicast, coalesce) -> outputs (guest, destination, vector)
 *     -> a bit in the pending table in guest memory (one 256-bit IRR per
 *        destination per guest), and then
 *     -> the list registers of the vCPU interface running that (guest,
 *        destination), with a doorbell MSI-X, or
 *     -> a record in the inactive log ring, with a log MSI-X.
 *
 * The register map is in include/standard-headers/misc/gim.h and
 * docs/specs/gim.rst.  Monitor commands: gim-qmp.c, gim-hmp.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "exec/memory.h"
#include "migration/vmstate.h"
#include "hw/intc/irq-post.h"
#include "gim-internal.h"
#include "trace.h"

#define GIM_DEFAULT_IFACES  4

QEMU_BUILD_BUG_ON(sizeof(struct gim_log_record) != GIM_LOG_RECORD_SIZE);

/* Why routing an input message gave no output. */
typedef enum GIMDrop {
    GIM_DROP_NONE,              /* routed */
    GIM_DROP_DISABLED,          /* GIM is disabled */
    GIM_DROP_IRQ,               /* interrupt number beyond the entries */
    GIM_DROP_FN,                /* the route's function is DROP */
    GIM_DROP_UNKNOWN_FN,        /* the route's function is unknown */
    GIM_DROP_TARGET,            /* no target inside the table */
} GIMDrop;

/* What one input message routes to (gim_route_input). */
typedef struct GIMOutputs {
    GIMDrop drop;
    unsigned irq;
    uint32_t fn;
    unsigned guest;
    unsigned dest;              /* the route's destination */
    uint32_t dest_mask;         /* the route's MULTICAST mask */
    uint32_t ignored;           /* MULTICAST destinations beyond the table */
    unsigned vector;
    bool coalesce;              /* COALESCE: not again while pending */
    /* The outputs: (guest, dests[n], vector) for n < nr_dests. */
    unsigned nr_dests;
    uint8_t dests[GIM_MULTICAST_DESTS];
} GIMOutputs;

bool gim_enabled(GIMState *s)
{
    return s->ctrl & GIM_CTRL_ENABLE;
}

/*
 * Guest RAM as the device sees it (bus mastering on), as DMA does: the
 * posting engine's rules (hw/intc/irq-post.c): writable RAM only, never a
 * bounce buffer or ROM; unmapping marks what was written dirty.
 */
static void *gim_ram_map(GIMState *s, uint64_t addr, hwaddr len,
                         MemoryRegionCache *c)
{
    return irq_post_map(pci_get_address_space(PCI_DEVICE(s)), addr, len, c);
}

/* The IRR of (@guest, @dest) for the posting engine. */
static IrqPostIRR gim_irr(GIMState *s, unsigned guest, unsigned dest)
{
    return (IrqPostIRR) {
        .as = pci_get_address_space(PCI_DEVICE(s)),
        .attrs = MEMTXATTRS_UNSPECIFIED,
        .base = s->table_base + GIM_IRR_OFFSET(guest, dest, s->table_dests),
        .stride = 4,
        .cache = s->table_cached ? &s->table_cache : NULL,
        .cache_base = s->table_base,
    };
}

static void gim_notify(GIMState *s, unsigned vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev)) {
        msix_notify(pdev, vector);
    }
}

/*
 * Set @vector's bit in the IRR of (@guest, @dest), atomically with respect
 * to vCPUs reading or clearing it.  Returns false when the table is not in
 * RAM; *@was_set tells whether the bit was already set.
 */
static bool gim_irr_set(GIMState *s, unsigned guest, unsigned dest,
                        unsigned vector, bool *was_set)
{
    IrqPostIRR irr = gim_irr(s, guest, dest);

    *was_set = false;
    if (!irq_post_irr_set(&irr, vector, was_set)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: pending table word 0x%" PRIx64
                      " is not in RAM\n", __func__,
                      (uint64_t)irr.base + GIM_IRR_WORD(vector) * 4);
        s->status |= GIM_STATUS_TABLE_ERROR;
        return false;
    }
    return true;
}

/* Read the IRR of (@guest, @dest) into @words; false when not in RAM. */
static bool gim_irr_read(GIMState *s, unsigned guest, unsigned dest,
                         uint32_t words[GIM_IRR_WORDS])
{
    IrqPostIRR irr = gim_irr(s, guest, dest);

    if (!irq_post_irr_read(&irr, words)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: pending table entry 0x%" PRIx64
                      " is not in RAM\n", __func__, (uint64_t)irr.base);
        s->status |= GIM_STATUS_TABLE_ERROR;
        return false;
    }
    return true;
}

static void gim_lr_add(GIMState *s, GIMIface *iface, unsigned vector)
{
    for (unsigned i = 0; i < iface->nr_lrs; i++) {
        if (GIM_LR_VECTOR(iface->lr[i]) == vector) {
            return;         /* already listed */
        }
    }
    if (iface->nr_lrs == GIM_NR_LRS) {
        /* Stays pending in the table; software rescans it. */
        iface->status |= GIM_IFACE_STATUS_LR_OVERFLOW;
        return;
    }
    iface->lr[iface->nr_lrs++] = GIM_LR_VALID | vector;
}

static void gim_log(GIMState *s, unsigned guest, unsigned dest,
                    unsigned vector)
{
    struct gim_log_record rec = {
        .guest = cpu_to_le16(guest),
        .dest = dest,
        .vector = vector,
        .seq = cpu_to_le32(s->cnt_out),
    };
    uint32_t next = (s->log_tail + 1) % s->log_size;
    MemoryRegionCache c;
    void *p;

    if (next == s->log_head) {
        /* Full: the IRR bit is set, so nothing is lost, only not logged. */
        s->status |= GIM_STATUS_LOG_OVERFLOW;
        s->log_lost++;
        trace_gim_log_overflow(s, guest, dest, vector, s->log_lost);
        return;
    }

    p = gim_ram_map(s, s->log_base + (uint64_t)s->log_tail * sizeof(rec),
                    sizeof(rec), &c);
    if (!p) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: log record %u is not in RAM\n",
                      __func__, s->log_tail);
        s->status |= GIM_STATUS_LOG_ERROR;
        s->log_lost++;
        return;
    }
    memcpy(p, &rec, sizeof(rec));
    irq_post_unmap(&c, sizeof(rec));
    /* The record before the tail that publishes it. */
    smp_wmb();
    trace_gim_log(s, guest, dest, vector, s->log_tail);
    s->log_tail = next;
    s->cnt_logged++;
    gim_notify(s, GIM_MSIX_LOG(s->nr_ifaces));
}

/* The interface running (@guest, @dest), or -1. */
static int gim_find_iface(GIMState *s, unsigned guest, unsigned dest)
{
    uint32_t want = GIM_RUNNING_VALID | GIM_TARGET(guest, dest);

    for (unsigned i = 0; i < s->nr_ifaces; i++) {
        if (s->ifaces[i].running == want) {
            return i;
        }
    }
    return -1;
}

/*
 * Deliver (@guest, @dest, @vector), whose geometry was checked.  With
 * @coalesce, an output already pending in the table is not produced again.
 * @count: this delivery is an output message of its own (a multicast
 * counts its message once, before its deliveries).
 */
static void gim_output(GIMState *s, unsigned guest, unsigned dest,
                       unsigned vector, bool coalesce, bool count)
{
    bool was_set;
    int i;

    if (!gim_irr_set(s, guest, dest, vector, &was_set)) {
        was_set = false;    /* still deliver: the table is the guest's bug */
    }
    if (coalesce && was_set) {
        s->cnt_coalesced++;
        trace_gim_coalesced(s, guest, dest, vector);
        return;
    }
    if (count) {
        s->cnt_out++;
    }

    i = gim_find_iface(s, guest, dest);
    trace_gim_output(s, guest, dest, vector, i);
    if (i >= 0) {
        GIMIface *iface = &s->ifaces[i];

        gim_lr_add(s, iface, vector);
        s->cnt_delivered++;
        /*
         * Like the ON bit of a posted-interrupt descriptor: the doorbell
         * rings when DOORBELL goes from clear to set; until the vCPU acks,
         * further deliveries only add list registers.
         */
        if (!(iface->status & GIM_IFACE_STATUS_DOORBELL)) {
            iface->status |= GIM_IFACE_STATUS_DOORBELL;
            gim_notify(s, i);
        }
    } else {
        gim_log(s, guest, dest, vector);
    }
}

/* GIM_ROUTE_DEST_MASK bits that name destinations inside the table. */
static uint32_t gim_multicast_valid(GIMState *s)
{
    return s->table_dests >= GIM_MULTICAST_DESTS ? ~0u :
           (1u << s->table_dests) - 1;
}

/*
 * Route @msg as it would be routed now: fill @o and return whether it
 * gives outputs.  Changes nothing and logs nothing (gim_post() does).
 */
static bool gim_route_input(GIMState *s, uint32_t msg, GIMOutputs *o)
{
    unsigned src_vector = (msg & GIM_MSG_VECTOR_MASK) >> GIM_MSG_VECTOR_SHIFT;
    uint32_t valid = gim_multicast_valid(s);
    GIMRoute *r;

    *o = (GIMOutputs) {
        .irq = msg & GIM_MSG_IRQ_MASK,
    };
    if (!gim_enabled(s)) {
        o->drop = GIM_DROP_DISABLED;
        return false;
    }
    if (o->irq >= s->nr_irqs) {
        o->drop = GIM_DROP_IRQ;
        return false;
    }

    r = &s->routes[o->irq];
    o->fn = r->ctrl;
    o->guest = GIM_TARGET_GUEST(r->target);
    o->dest = GIM_TARGET_DEST(r->target);
    o->dest_mask = r->dest_mask;
    o->vector = r->vector & GIM_VECTOR_MASK;

    switch (o->fn) {
    case GIM_FN_DELIVER:
    case GIM_FN_COALESCE:
    case GIM_FN_REMAP:
        if (o->guest >= s->table_guests || o->dest >= s->table_dests) {
            o->drop = GIM_DROP_TARGET;
            return false;
        }
        if (o->fn == GIM_FN_REMAP) {
            o->vector = (o->vector + src_vector) & GIM_VECTOR_MASK;
        }
        o->coalesce = o->fn == GIM_FN_COALESCE;
        o->dests[o->nr_dests++] = o->dest;
        return true;
    case GIM_FN_MULTICAST:
        if (o->guest >= s->table_guests || !(o->dest_mask & valid)) {
            o->drop = GIM_DROP_TARGET;
            return false;
        }
        o->ignored = o->dest_mask & ~valid;
        for (unsigned d = 0; d < GIM_MULTICAST_DESTS; d++) {
            if (o->dest_mask & valid & (1u << d)) {
                o->dests[o->nr_dests++] = d;
            }
        }
        return true;
    case GIM_FN_DROP:
        o->drop = GIM_DROP_FN;
        return false;
    default:
        o->drop = GIM_DROP_UNKNOWN_FN;
        return false;
    }
}

/* Input @msg gave no output: say why when it is the guest's mistake. */
static void gim_drop(GIMState *s, uint32_t msg, const GIMOutputs *o)
{
    switch (o->drop) {
    case GIM_DROP_DISABLED:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: message 0x%x while disabled\n",
                      __func__, msg);
        break;
    case GIM_DROP_IRQ:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: interrupt number %u >= %u\n",
                      __func__, o->irq, s->nr_irqs);
        break;
    case GIM_DROP_TARGET:
        if (o->fn == GIM_FN_MULTICAST) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: multicast route %u: guest %u,"
                          " mask 0x%x: no destination in the table\n",
                          __func__, o->irq, o->guest, o->dest_mask);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: route %u targets guest %u "
                          "dest %u outside the table (%u guests x %u dests)\n",
                          __func__, o->irq, o->guest, o->dest,
                          s->table_guests, s->table_dests);
        }
        break;
    case GIM_DROP_UNKNOWN_FN:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: route %u has unknown function %u"
                      "; dropped\n", __func__, o->irq, o->fn);
        break;
    case GIM_DROP_NONE:
    case GIM_DROP_FN:
        break;
    }
    s->cnt_dropped++;
}

/* Post one input message, as a doorbell write does. */
static void gim_post(GIMState *s, uint32_t msg)
{
    GIMOutputs o;
    bool routed;

    s->cnt_in++;
    routed = gim_route_input(s, msg, &o);
    if (o.drop != GIM_DROP_DISABLED && o.drop != GIM_DROP_IRQ) {
        trace_gim_input(s, msg, o.irq, o.fn);
    }
    if (!routed) {
        gim_drop(s, msg, &o);
        return;
    }
    if (o.fn != GIM_FN_MULTICAST) {
        gim_output(s, o.guest, o.dests[0], o.vector, o.coalesce, true);
        return;
    }
    if (o.ignored) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: multicast route %u: mask 0x%x"
                      " names destinations beyond %u; ignored\n",
                      __func__, o.irq, o.dest_mask, s->table_dests);
    }
    /* A multicast counts its message once, before its deliveries. */
    s->cnt_out++;
    for (unsigned n = 0; n < o.nr_dests; n++) {
        gim_output(s, o.guest, o.dests[n], o.vector, false, false);
    }
}

/*
 * Load what is pending in the IRR of the (guest, dest) that interface @i
 * runs into its list registers, in ascending order, and ring its doorbell
 * if it got any and DOORBELL was clear.
 */
static void gim_iface_load(GIMState *s, unsigned i)
{
    GIMIface *iface = &s->ifaces[i];
    unsigned guest = GIM_TARGET_GUEST(iface->running);
    unsigned dest = GIM_TARGET_DEST(iface->running);
    uint32_t irr[GIM_IRR_WORDS];

    if (!(iface->running & GIM_RUNNING_VALID)) {
        return;
    }
    if (!gim_enabled(s) || guest >= s->table_guests ||
        dest >= s->table_dests) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: interface %u runs guest %u dest"
                      " %u, outside the table or while disabled\n", __func__,
                      i, guest, dest);
        return;
    }
    if (!gim_irr_read(s, guest, dest, irr)) {
        return;
    }
    for (unsigned v = 0; v < GIM_NR_VECTORS; v++) {
        if (irr[GIM_IRR_WORD(v)] & GIM_IRR_BIT(v)) {
            gim_lr_add(s, iface, v);
        }
    }
    trace_gim_schedule(s, i, guest, dest, iface->nr_lrs);
    if (iface->nr_lrs && !(iface->status & GIM_IFACE_STATUS_DOORBELL)) {
        iface->status |= GIM_IFACE_STATUS_DOORBELL;
        gim_notify(s, i);
    }
}

static void gim_iface_empty(GIMIface *iface)
{
    iface->nr_lrs = 0;
    memset(iface->lr, 0, sizeof(iface->lr));
}

/* Schedule (or unschedule) a (guest, dest) on interface @i. */
static void gim_iface_run(GIMState *s, unsigned i, uint32_t running)
{
    GIMIface *iface = &s->ifaces[i];

    iface->running = running & (GIM_RUNNING_VALID | GIM_TARGET_MASK);
    gim_iface_empty(iface);
    if (!(running & GIM_RUNNING_VALID)) {
        trace_gim_schedule(s, i, -1, -1, 0);
        return;
    }
    gim_iface_load(s, i);
}

/*
 * ACK: software took the vectors it read from the list registers and
 * cleared their bits in the table.  An output that arrived after it read
 * them (appended to the list, or merged with a vector already listed) is
 * still set in the IRR: reload from the IRR, and ring again if anything
 * is still pending, so that nothing accepted is stranded.
 */
static void gim_iface_ack(GIMState *s, unsigned i)
{
    GIMIface *iface = &s->ifaces[i];

    gim_iface_empty(iface);
    iface->status &= ~GIM_IFACE_STATUS_DOORBELL;
    trace_gim_ack(s, i);
    gim_iface_load(s, i);
}

/*
 * Map the whole pending table once, when GIM is enabled and the table is
 * plain RAM; otherwise every access translates (and checks) its address.
 */
static void gim_table_cache_update(GIMState *s)
{
    uint64_t size = (uint64_t)s->table_guests * s->table_dests *
                    GIM_IRR_SIZE;

    if (s->table_cached) {
        address_space_cache_destroy(&s->table_cache);
        s->table_cached = false;
    }
    if (!gim_enabled(s)) {
        return;
    }
    if (address_space_cache_init(&s->table_cache,
                                 pci_get_address_space(PCI_DEVICE(s)),
                                 s->table_base, size, true) == size &&
        s->table_cache.ptr) {
        s->table_cached = true;
    } else {
        address_space_cache_destroy(&s->table_cache);
    }
}

static void gim_listener_commit(MemoryListener *listener)
{
    GIMState *s = container_of(listener, GIMState, listener);

    gim_table_cache_update(s);
}

/* Whether the table and log registers describe a usable geometry. */
static bool gim_config_valid(GIMState *s)
{
    uint64_t table_size;

    table_size = (uint64_t)s->table_guests * s->table_dests * GIM_IRR_SIZE;
    if (s->table_guests < 1 || s->table_guests > GIM_MAX_GUESTS ||
        s->table_dests < 1 || s->table_dests > GIM_MAX_DESTS ||
        (s->table_base & (GIM_TABLE_ALIGN - 1)) ||
        s->table_base + table_size < s->table_base) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad pending table: base 0x%"
                      PRIx64 ", %u guests x %u dests\n", __func__,
                      s->table_base, s->table_guests, s->table_dests);
        return false;
    }
    if (s->log_size < GIM_MIN_LOG_SIZE || s->log_size > GIM_MAX_LOG_SIZE ||
        (s->log_base & (GIM_LOG_ALIGN - 1)) ||
        s->log_base + (uint64_t)s->log_size * sizeof(struct gim_log_record) <
        s->log_base ||
        s->log_head >= s->log_size || s->log_tail >= s->log_size) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad log: base 0x%" PRIx64
                      ", %u records, head %u, tail %u\n", __func__,
                      s->log_base, s->log_size, s->log_head, s->log_tail);
        return false;
    }
    return true;
}

/* Enabling checks the table and log geometry once, here. */
static void gim_set_ctrl(GIMState *s, uint32_t val)
{
    if (!(val & GIM_CTRL_ENABLE)) {
        s->ctrl = 0;
        gim_table_cache_update(s);
        return;
    }
    if (gim_enabled(s)) {
        return;
    }
    if (!gim_config_valid(s)) {
        s->status |= GIM_STATUS_CONFIG_ERROR;
        return;
    }
    s->ctrl = GIM_CTRL_ENABLE;
    gim_table_cache_update(s);
}

static uint64_t gim_iface_read(GIMState *s, unsigned i, hwaddr reg)
{
    GIMIface *iface = &s->ifaces[i];

    switch (reg) {
    case GIM_IFACE_RUNNING:
        return iface->running;
    case GIM_IFACE_LR_COUNT:
        return iface->nr_lrs;
    case GIM_IFACE_STATUS:
        return iface->status;
    default:
        if (reg >= GIM_IFACE_LR(0) && reg < GIM_IFACE_LR_END) {
            return iface->lr[(reg - GIM_IFACE_LR(0)) / 4];
        }
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of interface %u reserved "
                      "register 0x%" HWADDR_PRIx "\n", __func__, i, reg);
        return 0;
    }
}

static void gim_iface_write(GIMState *s, unsigned i, hwaddr reg,
                            uint32_t val)
{
    GIMIface *iface = &s->ifaces[i];

    switch (reg) {
    case GIM_IFACE_RUNNING:
        gim_iface_run(s, i, val);
        break;
    case GIM_IFACE_STATUS:
        iface->status &= ~val;
        break;
    case GIM_IFACE_ACK:
        gim_iface_ack(s, i);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: interface %u register 0x%"
                      HWADDR_PRIx " is read-only or reserved\n", __func__,
                      i, reg);
    }
}

/* The global registers that read a 32-bit field as it is, by offset. */
static const size_t gim_reg_fields[GIM_REG_CNT_LOGGED / 4 + 1] = {
    [GIM_REG_CTRL / 4] = offsetof(GIMState, ctrl),
    [GIM_REG_STATUS / 4] = offsetof(GIMState, status),
    [GIM_REG_TABLE_GUESTS / 4] = offsetof(GIMState, table_guests),
    [GIM_REG_TABLE_DESTS / 4] = offsetof(GIMState, table_dests),
    [GIM_REG_LOG_SIZE / 4] = offsetof(GIMState, log_size),
    [GIM_REG_LOG_HEAD / 4] = offsetof(GIMState, log_head),
    [GIM_REG_LOG_TAIL / 4] = offsetof(GIMState, log_tail),
    [GIM_REG_LOG_LOST / 4] = offsetof(GIMState, log_lost),
    [GIM_REG_CNT_IN / 4] = offsetof(GIMState, cnt_in),
    [GIM_REG_CNT_OUT / 4] = offsetof(GIMState, cnt_out),
    [GIM_REG_CNT_DROPPED / 4] = offsetof(GIMState, cnt_dropped),
    [GIM_REG_CNT_COALESCED / 4] = offsetof(GIMState, cnt_coalesced),
    [GIM_REG_CNT_DELIVERED / 4] = offsetof(GIMState, cnt_delivered),
    [GIM_REG_CNT_LOGGED / 4] = offsetof(GIMState, cnt_logged),
};

static uint64_t gim_regs_read(void *opaque, hwaddr addr, unsigned size)
{
    GIMState *s = opaque;
    uint64_t val = 0;

    if (addr >= GIM_REG_ROUTE_BASE) {
        unsigned irq = (addr - GIM_REG_ROUTE_BASE) / GIM_ROUTE_SIZE;

        if (irq < s->nr_irqs) {
            GIMRoute *r = &s->routes[irq];
            const uint32_t fields[] = {
                r->ctrl, r->target, r->vector, r->dest_mask,
            };

            val = fields[(addr % GIM_ROUTE_SIZE) / 4];
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: route %u beyond the %u "
                          "interrupt numbers reads 0\n", __func__, irq,
                          s->nr_irqs);
        }
    } else if (addr >= GIM_REG_IFACE_BASE) {
        unsigned i = (addr - GIM_REG_IFACE_BASE) / GIM_IFACE_STRIDE;

        if (i < s->nr_ifaces) {
            val = gim_iface_read(s, i, (addr - GIM_REG_IFACE_BASE) %
                                       GIM_IFACE_STRIDE);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: interface %u beyond the %u "
                          "interfaces reads 0\n", __func__, i, s->nr_ifaces);
        }
    } else if (addr / 4 < ARRAY_SIZE(gim_reg_fields) &&
               gim_reg_fields[addr / 4]) {
        val = *(uint32_t *)((uint8_t *)s + gim_reg_fields[addr / 4]);
    } else {
        switch (addr) {
        case GIM_REG_ID:
            val = GIM_ID_MAGIC;
            break;
        case GIM_REG_CAPS:
            val = GIM_CAPS(s->nr_irqs, s->nr_ifaces, GIM_NR_LRS);
            break;
        case GIM_REG_TABLE_LO:
        case GIM_REG_TABLE_HI:
            val = extract64(s->table_base, (addr - GIM_REG_TABLE_LO) * 8, 32);
            break;
        case GIM_REG_LOG_LO:
        case GIM_REG_LOG_HI:
            val = extract64(s->log_base, (addr - GIM_REG_LOG_LO) * 8, 32);
            break;
        default:
            qemu_log_mask(LOG_GUEST_ERROR, "%s: read of reserved register 0x%"
                          HWADDR_PRIx "\n", __func__, addr);
        }
    }
    trace_gim_reg_read(s, addr, val);
    return val;
}

/* Geometry registers may only change while GIM is disabled. */
static void gim_set_geometry(GIMState *s, hwaddr addr, uint32_t val)
{
    if (gim_enabled(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: register 0x%" HWADDR_PRIx
                      " changed while enabled; ignored\n", __func__, addr);
        return;
    }
    switch (addr) {
    case GIM_REG_TABLE_LO:
    case GIM_REG_TABLE_HI:
        s->table_base = deposit64(s->table_base,
                                  (addr - GIM_REG_TABLE_LO) * 8, 32, val);
        break;
    case GIM_REG_TABLE_GUESTS:
        s->table_guests = val;
        break;
    case GIM_REG_TABLE_DESTS:
        s->table_dests = val;
        break;
    case GIM_REG_LOG_LO:
    case GIM_REG_LOG_HI:
        s->log_base = deposit64(s->log_base, (addr - GIM_REG_LOG_LO) * 8, 32,
                                val);
        break;
    case GIM_REG_LOG_SIZE:
        s->log_size = val;
        s->log_head = s->log_tail = 0;
        break;
    }
}

static void gim_regs_write(void *opaque, hwaddr addr, uint64_t val64,
                           unsigned size)
{
    GIMState *s = opaque;
    uint32_t val = val64;

    trace_gim_reg_write(s, addr, val);
    if (addr >= GIM_REG_ROUTE_BASE) {
        unsigned irq = (addr - GIM_REG_ROUTE_BASE) / GIM_ROUTE_SIZE;
        GIMRoute *r;

        if (irq >= s->nr_irqs) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: route %u beyond the %u "
                          "interrupt numbers\n", __func__, irq, s->nr_irqs);
            return;
        }
        r = &s->routes[irq];
        switch (addr % GIM_ROUTE_SIZE) {
        case GIM_ROUTE_CTRL:
            if (val > GIM_FN_MAX) {
                qemu_log_mask(LOG_GUEST_ERROR, "%s: route %u: unknown "
                              "function %u (acts as drop)\n", __func__, irq,
                              val);
            }
            r->ctrl = val;
            break;
        case GIM_ROUTE_TARGET:
            r->target = val & GIM_TARGET_MASK;
            break;
        case GIM_ROUTE_VECTOR:
            r->vector = val & GIM_VECTOR_MASK;
            break;
        case GIM_ROUTE_DEST_MASK:
            r->dest_mask = val;
            break;
        }
        return;
    }
    if (addr >= GIM_REG_IFACE_BASE) {
        unsigned i = (addr - GIM_REG_IFACE_BASE) / GIM_IFACE_STRIDE;

        if (i >= s->nr_ifaces) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: interface %u beyond the %u "
                          "interfaces\n", __func__, i, s->nr_ifaces);
            return;
        }
        gim_iface_write(s, i, (addr - GIM_REG_IFACE_BASE) % GIM_IFACE_STRIDE,
                        val);
        return;
    }

    switch (addr) {
    case GIM_REG_CTRL:
        gim_set_ctrl(s, val);
        break;
    case GIM_REG_STATUS:
        s->status &= ~val;
        break;
    case GIM_REG_TABLE_LO ... GIM_REG_LOG_SIZE:
        gim_set_geometry(s, addr, val);
        break;
    case GIM_REG_LOG_HEAD:
        if (gim_enabled(s) ? val >= s->log_size : val > GIM_MAX_LOG_SIZE) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: log head %u beyond the ring "
                          "(%u records)\n", __func__, val, s->log_size);
            break;
        }
        s->log_head = val;
        break;
    case GIM_REG_CNT_RESET:
        s->cnt_in = s->cnt_out = s->cnt_dropped = 0;
        s->cnt_coalesced = s->cnt_delivered = s->cnt_logged = 0;
        s->log_lost = 0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only or reserved "
                      "register 0x%" HWADDR_PRIx "\n", __func__, addr);
    }
}

static const MemoryRegionOps gim_regs_ops = {
    .read = gim_regs_read,
    .write = gim_regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/*
 * The doorbell behaves like memory-mapped MSI hardware: every write is
 * taken synchronously, whatever its offset; 1-, 2- and 4-byte writes are
 * one message, an 8-byte write two (low word first).
 */
static void gim_doorbell_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    GIMState *s = opaque;

    gim_post(s, (uint32_t)val);
    if (size == 8) {
        gim_post(s, val >> 32);
    }
}

static uint64_t gim_doorbell_read(void *opaque, hwaddr addr, unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "%s: the doorbell is write-only (read "
                  "at 0x%" HWADDR_PRIx ")\n", __func__, addr);
    return 0;
}

/* A message is one naturally aligned write: refuse split ones. */
static bool gim_doorbell_accepts(void *opaque, hwaddr addr, unsigned size,
                                 bool is_write, MemTxAttrs attrs)
{
    if (addr & (size - 1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: misaligned %u-byte doorbell "
                      "access at 0x%" HWADDR_PRIx " refused\n", __func__,
                      size, addr);
        return false;
    }
    return true;
}

static const MemoryRegionOps gim_doorbell_ops = {
    .read = gim_doorbell_read,
    .write = gim_doorbell_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        /* Seen whole, so that accepts() can refuse it rather than split. */
        .unaligned = true,
        .accepts = gim_doorbell_accepts,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

static void gim_realize(PCIDevice *pdev, Error **errp)
{
    GIMState *s = GIM(pdev);

    if (s->nr_irqs < 1 || s->nr_irqs > GIM_MAX_IRQS) {
        error_setg(errp, "irqs must be between 1 and %d", GIM_MAX_IRQS);
        return;
    }
    if (s->nr_ifaces < 1 || s->nr_ifaces > GIM_MAX_IFACES) {
        error_setg(errp, "interfaces must be between 1 and %d",
                   GIM_MAX_IFACES);
        return;
    }

    s->routes = g_new0(GIMRoute, s->nr_irqs);
    s->ifaces = g_new0(GIMIface, s->nr_ifaces);
    memory_region_init_io(&s->regs, OBJECT(s), &gim_regs_ops, s,
                          "gim-regs", GIM_REGS_SIZE);
    memory_region_init_io(&s->doorbell, OBJECT(s), &gim_doorbell_ops, s,
                          "gim-doorbell", GIM_DOORBELL_SIZE);
    pci_register_bar(pdev, GIM_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);
    pci_register_bar(pdev, GIM_BAR_DOORBELL, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->doorbell);
    if (msix_init_exclusive_bar(pdev, GIM_NR_MSIX(s->nr_ifaces), GIM_BAR_MSIX,
                                errp)) {
        g_free(s->ifaces);
        g_free(s->routes);
        return;
    }
    for (unsigned i = 0; i < GIM_NR_MSIX(s->nr_ifaces); i++) {
        msix_vector_use(pdev, i);
    }
    address_space_cache_init_empty(&s->table_cache);
    s->listener = (MemoryListener) {
        .name = "gim",
        .commit = gim_listener_commit,
    };
    memory_listener_register(&s->listener, pci_get_address_space(pdev));
}

static void gim_exit(PCIDevice *pdev)
{
    GIMState *s = GIM(pdev);

    memory_listener_unregister(&s->listener);
    if (s->table_cached) {
        address_space_cache_destroy(&s->table_cache);
        s->table_cached = false;
    }
    msix_uninit_exclusive_bar(pdev);
    g_free(s->ifaces);
    g_free(s->routes);
}

static void gim_reset_hold(Object *obj, ResetType type)
{
    GIMState *s = GIM(obj);

    s->ctrl = s->status = 0;
    s->table_base = s->log_base = 0;
    s->table_guests = s->table_dests = 0;
    s->log_size = s->log_head = s->log_tail = s->log_lost = 0;
    s->cnt_in = s->cnt_out = s->cnt_dropped = 0;
    s->cnt_coalesced = s->cnt_delivered = s->cnt_logged = 0;
    memset(s->routes, 0, s->nr_irqs * sizeof(*s->routes));
    memset(s->ifaces, 0, s->nr_ifaces * sizeof(*s->ifaces));
    gim_table_cache_update(s);
}

/*
 * The stream is input too: refuse what the registers could never hold,
 * and say why.
 */
static int gim_post_load(void *opaque, int version_id)
{
    GIMState *s = opaque;

    for (unsigned irq = 0; irq < s->nr_irqs; irq++) {
        GIMRoute *r = &s->routes[irq];

        if (r->target & ~GIM_TARGET_MASK || r->vector >= GIM_NR_VECTORS) {
            error_report("gim: migrated route %u is invalid (target 0x%x, "
                         "vector 0x%x)", irq, r->target, r->vector);
            return -EINVAL;
        }
    }
    for (unsigned i = 0; i < s->nr_ifaces; i++) {
        GIMIface *iface = &s->ifaces[i];

        if (iface->running & ~(GIM_RUNNING_VALID | GIM_TARGET_MASK) ||
            iface->status & ~(GIM_IFACE_STATUS_LR_OVERFLOW |
                              GIM_IFACE_STATUS_DOORBELL) ||
            iface->nr_lrs > GIM_NR_LRS) {
            error_report("gim: migrated interface %u is invalid (running "
                         "0x%x, status 0x%x, %u list registers)", i,
                         iface->running, iface->status, iface->nr_lrs);
            return -EINVAL;
        }
        for (unsigned n = 0; n < GIM_NR_LRS; n++) {
            uint32_t want = n < iface->nr_lrs ? GIM_LR_VALID : 0;

            if ((iface->lr[n] & ~(uint32_t)GIM_VECTOR_MASK) != want) {
                error_report("gim: migrated interface %u list register %u "
                             "is invalid (0x%x)", i, n, iface->lr[n]);
                return -EINVAL;
            }
        }
    }
    if (s->ctrl & ~GIM_CTRL_ENABLE) {
        error_report("gim: migrated CTRL 0x%x has unknown bits", s->ctrl);
        return -EINVAL;
    }
    if (s->status & ~(GIM_STATUS_LOG_OVERFLOW | GIM_STATUS_TABLE_ERROR |
                      GIM_STATUS_LOG_ERROR | GIM_STATUS_CONFIG_ERROR)) {
        error_report("gim: migrated STATUS 0x%x has unknown bits", s->status);
        return -EINVAL;
    }
    if (gim_enabled(s) ? !gim_config_valid(s) :
        s->log_head > GIM_MAX_LOG_SIZE || s->log_tail > GIM_MAX_LOG_SIZE) {
        error_report("gim: migrated table or log geometry is invalid "
                     "(table 0x%" PRIx64 ", %u guests x %u dests; log 0x%"
                     PRIx64 ", %u records, head %u, tail %u)", s->table_base,
                     s->table_guests, s->table_dests, s->log_base,
                     s->log_size, s->log_head, s->log_tail);
        return -EINVAL;
    }
    gim_table_cache_update(s);
    return 0;
}

static const VMStateDescription vmstate_gim_route = {
    .name = "gim-route",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, GIMRoute),
        VMSTATE_UINT32(target, GIMRoute),
        VMSTATE_UINT32(vector, GIMRoute),
        VMSTATE_UINT32(dest_mask, GIMRoute),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_gim_iface = {
    .name = "gim-iface",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(running, GIMIface),
        VMSTATE_UINT32(status, GIMIface),
        VMSTATE_UINT32(nr_lrs, GIMIface),
        VMSTATE_UINT32_ARRAY(lr, GIMIface, GIM_NR_LRS),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_gim = {
    .name = "gim",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = gim_post_load,
    .fields = (const VMStateField[]) {
        /* The MSI-X table and the arrays are sized by these: first. */
        VMSTATE_UINT32_EQUAL(nr_irqs, GIMState,
                             "start gim here with the source's 'irqs'"),
        VMSTATE_UINT32_EQUAL(nr_ifaces, GIMState,
                             "start gim here with the source's 'interfaces'"),
        VMSTATE_PCI_DEVICE(parent_obj, GIMState),
        VMSTATE_MSIX(parent_obj, GIMState),
        VMSTATE_UINT32(ctrl, GIMState),
        VMSTATE_UINT32(status, GIMState),
        VMSTATE_UINT64(table_base, GIMState),
        VMSTATE_UINT32(table_guests, GIMState),
        VMSTATE_UINT32(table_dests, GIMState),
        VMSTATE_UINT64(log_base, GIMState),
        VMSTATE_UINT32(log_size, GIMState),
        VMSTATE_UINT32(log_head, GIMState),
        VMSTATE_UINT32(log_tail, GIMState),
        VMSTATE_UINT32(log_lost, GIMState),
        VMSTATE_UINT32(cnt_in, GIMState),
        VMSTATE_UINT32(cnt_out, GIMState),
        VMSTATE_UINT32(cnt_dropped, GIMState),
        VMSTATE_UINT32(cnt_coalesced, GIMState),
        VMSTATE_UINT32(cnt_delivered, GIMState),
        VMSTATE_UINT32(cnt_logged, GIMState),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(routes, GIMState, nr_irqs,
                                             vmstate_gim_route, GIMRoute),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(ifaces, GIMState, nr_ifaces,
                                             vmstate_gim_iface, GIMIface),
        VMSTATE_END_OF_LIST()
    },
};

static const Property gim_properties[] = {
    DEFINE_PROP_UINT32("irqs", GIMState, nr_irqs, GIM_MAX_IRQS),
    DEFINE_PROP_UINT32("interfaces", GIMState, nr_ifaces, GIM_DEFAULT_IFACES),
};

static void gim_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = gim_realize;
    k->exit = gim_exit;
    k->vendor_id = GIM_PCI_VENDOR_ID;
    k->device_id = GIM_PCI_DEVICE_ID;
    k->revision = 1;
    k->class_id = PCI_CLASS_SYSTEM_OTHER;
    rc->phases.hold = gim_reset_hold;
    dc->vmsd = &vmstate_gim;
    dc->desc = "Guest interrupt manager (interrupt virtualization)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, gim_properties);
    object_class_property_set_description(klass, "irqs",
        "Interrupt numbers with a routing entry (1-256, default 256)");
    object_class_property_set_description(klass, "interfaces",
        "vCPU interrupt interfaces (1-16, default 4); MSI-X vector i is "
        "interface i's doorbell, the next one the log's");
}

static const TypeInfo gim_info = {
    .name = TYPE_GIM,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(GIMState),
    .class_init = gim_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void gim_register_types(void)
{
    type_register_static(&gim_info);
}

type_init(gim_register_types)
