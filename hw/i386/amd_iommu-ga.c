/*
 * AMD IOMMU guest virtual APIC (GA) mode: guest-mode IRTEs and the GA log
 *
 * A guest-mode IRTE (GuestMode=1 in the 128-bit format) names a vCPU's
 * vAPIC backing page (GARootPtr), a vector, the host APIC ID of the CPU
 * that runs the vCPU (Destination), whether it runs now (IsRun), and a
 * tag the hypervisor chose (GATag).  The vector's IRR bit is set in the
 * backing page through the posting engine; a running destination is rung
 * (AVIC re-reads its backing page with no #VMEXIT); for one that does not
 * run, a GA log record with the tag tells the hypervisor which vCPU to
 * wake, and the IOMMU's MSI says that there is one.
 *
 * Every address the guest gives (IRTE, backing page, GA log, its tail
 * address) is checked to be RAM before it is used; an interrupt lost to a
 * bad one is counted, logged with LOG_GUEST_ERROR and, where the
 * specification has one, reported in the event log.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "hw/i386/x86-iommu.h"
#include "hw/intc/irq-post.h"
#include "migration/vmstate.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "qom/object.h"
#include "qapi/qapi-commands-amd-iommu-ga-target.h"
#include "amd_iommu.h"
#include "trace.h"

/* IRTE, 128-bit format, guest virtual APIC mode */
#define IRTE_LO_VALID           (1ULL << 0)
#define IRTE_LO_GALOG_INTR      (1ULL << 2)
#define IRTE_LO_IS_RUN          (1ULL << 6)
#define IRTE_LO_GUEST_MODE      (1ULL << 7)
#define IRTE_HI_ROOT_MASK       0x000ffffffffff000ULL  /* GARootPtr 51:12 */
#define IRTE_HI_RSVD            (0xf00ULL | 0x00f0000000000000ULL)

#define VAPIC_IRR               0x200
#define VAPIC_PAGE_SIZE         4096

static uint64_t ga_reg(AMDVIState *s, hwaddr reg)
{
    return ldq_le_p(&s->mmior[reg]);
}

static void ga_reg_set(AMDVIState *s, hwaddr reg, uint64_t val)
{
    stq_le_p(&s->mmior[reg], val);
}

static void ga_status(AMDVIState *s, uint64_t set, uint64_t clear)
{
    ga_reg_set(s, AMDVI_MMIO_STATUS,
               (ga_reg(s, AMDVI_MMIO_STATUS) | set) & ~clear);
}

static uint32_t ga_log_bytes(AMDVIState *s)
{
    unsigned len = extract64(ga_reg(s, AMDVI_MMIO_GA_LOG_BASE),
                             AMDVI_GA_LOG_LEN_SHIFT, 4);

    if (len < AMDVI_GA_LOG_LEN_MIN) {
        return 0;   /* reserved encoding: no log */
    }
    return AMDVI_GA_ENTRY_SIZE << (len + 1);
}

static hwaddr ga_log_base(AMDVIState *s)
{
    return ga_reg(s, AMDVI_MMIO_GA_LOG_BASE) & AMDVI_GA_LOG_BASE_MASK;
}

uint64_t amdvi_ga_features(AMDVIState *s)
{
    return s->ga_vapic ? AMDVI_FEATURE_GAM_VAPIC : 0;
}

bool amdvi_ga_realize(AMDVIState *s, Error **errp)
{
    if (s->ga_vapic && !x86_iommu_ir_supported(X86_IOMMU_DEVICE(s))) {
        error_setg(errp, "amd-iommu: ga-vapic=on needs intremap=on");
        return false;
    }
    return true;
}

void amdvi_ga_reset(AMDVIState *s)
{
    s->ga.log_en = false;
    s->ga.int_en = false;
    if (!s->ga_vapic) {
        return;
    }
    /*
     * Status, read-only but for its write-1-to-clear bits (amdvi_init()):
     * GALogOverflow and GALogInt are write-1-to-clear like the event
     * log's bits; GALogRun is read-only.
     */
    stq_le_p(&s->w1cmask[AMDVI_MMIO_STATUS],
             ldq_le_p(&s->w1cmask[AMDVI_MMIO_STATUS]) |
             AMDVI_STATUS_GALOG_OVF | AMDVI_STATUS_GALOG_INT);
    stq_le_p(&s->romask[AMDVI_MMIO_GA_LOG_BASE],
             ~(AMDVI_GA_LOG_BASE_MASK |
               (AMDVI_GA_LOG_LEN_MASK << AMDVI_GA_LOG_LEN_SHIFT)));
    stq_le_p(&s->romask[AMDVI_MMIO_GA_LOG_TAIL_ADDR],
             ~AMDVI_GA_TAIL_ADDR_MASK);
    stq_le_p(&s->romask[AMDVI_MMIO_GA_HEAD], ~AMDVI_GA_PTR_MASK);
    stq_le_p(&s->romask[AMDVI_MMIO_GA_TAIL], ~AMDVI_GA_PTR_MASK);
}

void amdvi_ga_control_write(AMDVIState *s, uint64_t control)
{
    bool log_en = !!(control & AMDVI_CONTROL_GALOG_EN);

    if (!s->ga_vapic) {
        return;
    }
    if (control & (AMDVI_CONTROL_GALOG_EN | AMDVI_CONTROL_GAINT_EN |
                   (AMDVI_CONTROL_GAM_MASK << AMDVI_CONTROL_GAM_SHIFT))) {
        s->ga.used = true;
    }
    if (log_en && !s->ga.log_en && !ga_log_bytes(s)) {
        /* A reserved GALogLen (or no base yet): the log does not run. */
        qemu_log_mask(LOG_GUEST_ERROR, "%s: GA log enabled with a reserved "
                      "length (base register 0x%" PRIx64 "): not run\n",
                      __func__, ga_reg(s, AMDVI_MMIO_GA_LOG_BASE));
        ga_status(s, 0, AMDVI_STATUS_GALOG_RUN);
    } else if (log_en && !s->ga.log_en) {
        /* The log (re)starts: it runs until it overflows. */
        ga_status(s, AMDVI_STATUS_GALOG_RUN, 0);
    } else if (!log_en) {
        ga_status(s, 0, AMDVI_STATUS_GALOG_RUN);
    }
    s->ga.log_en = log_en;
    s->ga.int_en = !!(control & AMDVI_CONTROL_GAINT_EN);
    trace_amdvi_ga_control(control, log_en, s->ga.int_en,
                           amdvi_ga_guest_mode_ok(s));
}

void amdvi_ga_reg_write(AMDVIState *s, hwaddr reg)
{
    s->ga.used = true;
    trace_amdvi_ga_reg_write(reg, ga_reg(s, reg));
}

bool amdvi_ga_guest_mode_ok(AMDVIState *s)
{
    uint64_t control = ga_reg(s, AMDVI_MMIO_CONTROL);

    return s->ga_vapic && s->ga_enabled &&
           extract64(control, AMDVI_CONTROL_GAM_SHIFT, 3) ==
           AMDVI_CONTROL_GAM_VAPIC;
}

static void ga_event(AMDVIState *s, uint16_t devid, hwaddr addr,
                     uint16_t info)
{
    uint64_t evt[2];

    amdvi_encode_event(evt, devid, addr, info);
    amdvi_log_event(s, evt);
}

bool amdvi_ga_irte_addr_ok(AMDVIState *s, uint16_t devid, hwaddr addr)
{
    if (!s->ga_vapic ||
        irq_post_is_ram(&address_space_memory, addr, 16, false)) {
        return true;
    }
    s->ga.errors++;
    qemu_log_mask(LOG_GUEST_ERROR, "amd-iommu: the IRTE of device 0x%04x at"
                  " 0x%" HWADDR_PRIx " is not RAM: interrupt dropped\n",
                  devid, addr);
    trace_amdvi_ga_error("IRTE not RAM", devid, addr);
    ga_event(s, devid, addr, AMDVI_EVENT_PAGE_TAB_HW_ERROR);
    return false;
}

/* Append one GA log record; false when it was lost (counted). */
static bool ga_log_append(AMDVIState *s, uint32_t tag, uint16_t devid)
{
    uint32_t bytes = ga_log_bytes(s);
    hwaddr base = ga_log_base(s);
    hwaddr tail_addr = ga_reg(s, AMDVI_MMIO_GA_LOG_TAIL_ADDR) &
                       AMDVI_GA_TAIL_ADDR_MASK;
    uint32_t head = ga_reg(s, AMDVI_MMIO_GA_HEAD) & AMDVI_GA_PTR_MASK;
    uint32_t tail = ga_reg(s, AMDVI_MMIO_GA_TAIL) & AMDVI_GA_PTR_MASK;
    uint32_t mask = bytes ? bytes - 1 : 0;
    uint64_t rec = cpu_to_le64(tag | ((uint64_t)devid << 32) |
                               (AMDVI_GA_LOG_GUEST_NR << 60));
    uint32_t next;

    if (!(ga_reg(s, AMDVI_MMIO_STATUS) & AMDVI_STATUS_GALOG_RUN)) {
        /* Disabled, or stopped by an overflow that is not cleared. */
        s->ga.overflows++;
        trace_amdvi_ga_log_lost(tag, devid, head, tail);
        return false;
    }
    if (!bytes) {
        s->ga.errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "%s: reserved GA log length (base "
                      "register 0x%" PRIx64 "): record of tag 0x%x lost\n",
                      __func__, ga_reg(s, AMDVI_MMIO_GA_LOG_BASE), tag);
        trace_amdvi_ga_error("GA log length", devid, base);
        return false;
    }
    /* Head and tail are offsets into the ring, whatever software wrote. */
    head &= mask;
    tail &= mask;
    next = (tail + AMDVI_GA_ENTRY_SIZE) & mask;
    if (next == head) {
        /* Full: overflow stops the log until software restarts it. */
        s->ga.overflows++;
        ga_status(s, AMDVI_STATUS_GALOG_OVF, AMDVI_STATUS_GALOG_RUN);
        trace_amdvi_ga_log_overflow(tag, devid, head, tail);
        if (s->ga.int_en) {
            s->ga.log_interrupts++;
            amdvi_generate_msi_interrupt(s);
        }
        return false;
    }
    if (!irq_post_is_ram(&address_space_memory, base + tail,
                         AMDVI_GA_ENTRY_SIZE, true)) {
        s->ga.errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "amd-iommu: GA log entry at 0x%"
                      HWADDR_PRIx " is not RAM: record of tag 0x%x lost\n",
                      base + tail, tag);
        trace_amdvi_ga_error("GA log not RAM", devid, base + tail);
        return false;
    }
    address_space_write(&address_space_memory, base + tail,
                        MEMTXATTRS_UNSPECIFIED, &rec, sizeof(rec));
    ga_reg_set(s, AMDVI_MMIO_GA_TAIL, next);
    if (tail_addr) {
        uint64_t t = cpu_to_le64(next);

        if (irq_post_is_ram(&address_space_memory, tail_addr, 8, true)) {
            address_space_write(&address_space_memory, tail_addr,
                                MEMTXATTRS_UNSPECIFIED, &t, sizeof(t));
        } else {
            s->ga.errors++;
            qemu_log_mask(LOG_GUEST_ERROR, "amd-iommu: GA log tail address"
                          " 0x%" HWADDR_PRIx " is not RAM\n", tail_addr);
            trace_amdvi_ga_error("GA tail address not RAM", devid,
                                 tail_addr);
        }
    }
    s->ga.log_records++;
    trace_amdvi_ga_log_record(tag, devid, tail);
    return true;
}

typedef struct GADeliver {
    AMDVIState *s;
    uint32_t dest;
    uint32_t tag;
    uint16_t devid;
    bool log_intr;
} GADeliver;

static void ga_ring(void *opaque)
{
    GADeliver *g = opaque;

    if (irq_post_doorbell(g->dest)) {
        g->s->ga.doorbells++;
    } else {
        /* The bit is set; the vCPU sees it at its next VMRUN. */
        g->s->ga.doorbell_misses++;
    }
    trace_amdvi_ga_doorbell(g->dest, g->s->ga.doorbell_misses);
}

static void ga_notify(void *opaque)
{
    GADeliver *g = opaque;
    AMDVIState *s = g->s;

    if (!g->log_intr) {
        s->ga.unlogged++;
        return;
    }
    if (ga_log_append(s, g->tag, g->devid)) {
        ga_status(s, AMDVI_STATUS_GALOG_INT, 0);
        if (s->ga.int_en) {
            s->ga.log_interrupts++;
            amdvi_generate_msi_interrupt(s);
        }
    }
}

void amdvi_ga_deliver(AMDVIState *s, const struct irte_ga *irte,
                      uint16_t devid)
{
    uint64_t lo = irte->lo.val, hi = irte->hi.val;
    hwaddr page = hi & IRTE_HI_ROOT_MASK;
    unsigned vector = extract64(hi, 0, 8);
    GADeliver g = {
        .s = s,
        .dest = extract64(lo, 8, 24) | (extract64(hi, 56, 8) << 24),
        .tag = extract64(lo, 32, 32),
        .devid = devid,
        .log_intr = !!(lo & IRTE_LO_GALOG_INTR),
    };
    IrqPostDest d = {
        .irr = {
            .as = &address_space_memory,
            .attrs = MEMTXATTRS_UNSPECIFIED,
            .base = page + VAPIC_IRR,
            .stride = 16,
        },
        .running = !!(lo & IRTE_LO_IS_RUN),
        .ring = ga_ring,
        .notify = ga_notify,
        .opaque = &g,
    };

    s->ga.used = true;
    trace_amdvi_ga_deliver(devid, vector, page, g.dest, d.running, g.tag);
    if (!irq_post_is_ram(&address_space_memory, page, VAPIC_PAGE_SIZE,
                         true)) {
        s->ga.errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "amd-iommu: backing page 0x%"
                      HWADDR_PRIx " of device 0x%04x (vector 0x%x, tag 0x%x)"
                      " is not RAM: interrupt dropped\n", page, devid,
                      vector, g.tag);
        trace_amdvi_ga_error("backing page not RAM", devid, page);
        ga_event(s, devid, page,
                 AMDVI_EVENT_IOPF | AMDVI_EVENT_IOPF_I);
        return;
    }
    if (irq_post(&d, vector) == IRQ_POST_NOT_RAM) {
        s->ga.errors++;
        return;
    }
    s->ga.posted++;
}

static bool amdvi_ga_needed(void *opaque)
{
    AMDVIState *s = opaque;

    return s->ga_vapic && s->ga.used;
}

const VMStateDescription vmstate_amdvi_ga = {
    .name = "amd-iommu/ga",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = amdvi_ga_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(ga.log_en, AMDVIState),
        VMSTATE_BOOL(ga.int_en, AMDVIState),
        VMSTATE_BOOL(ga.used, AMDVIState),
        VMSTATE_UINT64(ga.posted, AMDVIState),
        VMSTATE_UINT64(ga.doorbells, AMDVIState),
        VMSTATE_UINT64(ga.doorbell_misses, AMDVIState),
        VMSTATE_UINT64(ga.log_records, AMDVIState),
        VMSTATE_UINT64(ga.log_interrupts, AMDVIState),
        VMSTATE_UINT64(ga.overflows, AMDVIState),
        VMSTATE_UINT64(ga.unlogged, AMDVIState),
        VMSTATE_UINT64(ga.errors, AMDVIState),
        VMSTATE_END_OF_LIST()
    }
};

/* QMP / HMP */

static AMDVIState *amdvi_ga_find(Error **errp)
{
    Object *o = object_resolve_path_type("", TYPE_AMD_IOMMU_DEVICE, NULL);

    if (!o) {
        error_setg(errp, "there is no amd-iommu device");
        return NULL;
    }
    return AMD_IOMMU_DEVICE(o);
}

AmdIommuGa *qmp_query_amd_iommu_ga(Error **errp)
{
    AMDVIState *s = amdvi_ga_find(errp);
    AmdIommuGa *r;

    if (!s) {
        return NULL;
    }
    r = g_new0(AmdIommuGa, 1);
    r->ga_vapic = s->ga_vapic;
    r->guest_mode = amdvi_ga_guest_mode_ok(s);
    r->log_running = !!(ga_reg(s, AMDVI_MMIO_STATUS) &
                        AMDVI_STATUS_GALOG_RUN);
    r->log_overflow = !!(ga_reg(s, AMDVI_MMIO_STATUS) &
                         AMDVI_STATUS_GALOG_OVF);
    r->log_entries = ga_log_bytes(s) / AMDVI_GA_ENTRY_SIZE;
    r->log_head = (ga_reg(s, AMDVI_MMIO_GA_HEAD) & AMDVI_GA_PTR_MASK) /
                  AMDVI_GA_ENTRY_SIZE;
    r->log_tail = (ga_reg(s, AMDVI_MMIO_GA_TAIL) & AMDVI_GA_PTR_MASK) /
                  AMDVI_GA_ENTRY_SIZE;
    r->posted = s->ga.posted;
    r->doorbells = s->ga.doorbells;
    r->doorbell_misses = s->ga.doorbell_misses;
    r->log_records = s->ga.log_records;
    r->log_interrupts = s->ga.log_interrupts;
    r->overflows = s->ga.overflows;
    r->unlogged = s->ga.unlogged;
    r->errors = s->ga.errors;
    return r;
}

void hmp_info_amd_iommu_ga(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(AmdIommuGa) r = qmp_query_amd_iommu_ga(&err);

    if (!r) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        return;
    }
    monitor_printf(mon, "amd-iommu GA: ga-vapic %s, guest mode %s, GA log %s"
                   "%s (%" PRIu32 " entries, head %" PRIu32 ", tail %"
                   PRIu32 ")\n", r->ga_vapic ? "on" : "off",
                   r->guest_mode ? "enabled" : "disabled",
                   r->log_running ? "running" : "stopped",
                   r->log_overflow ? ", overflow" : "", r->log_entries,
                   r->log_head, r->log_tail);
    monitor_printf(mon, "  posted %" PRIu64 ", doorbells %" PRIu64
                   " (%" PRIu64 " missed), GA log records %" PRIu64
                   ", interrupts %" PRIu64 ", overflows %" PRIu64
                   ", unlogged %" PRIu64 ", errors %" PRIu64 "\n",
                   r->posted, r->doorbells, r->doorbell_misses,
                   r->log_records, r->log_interrupts, r->overflows,
                   r->unlogged, r->errors);
}
