/*
 * AMD IOMMU guest virtual APIC (GA) mode: guest-mode IRTEs and the GA log
 *
 * With -device amd-iommu,intremap=on,ga-vapic=on the IOMMU advertises
 * GAMSup and honours GuestMode=1 in 128-bit IRTEs: the interrupt's vector
 * is set in the vAPIC backing page the IRTE names (on the posting engine,
 * include/hw/intc/irq-post.h), the destination CPU is rung when the IRTE
 * says the vCPU runs, and otherwise a record with the IRTE's GATag goes to
 * the GA log and the IOMMU's MSI tells the hypervisor.
 * docs/specs/amd-iommu-ga.rst describes what is implemented.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_I386_AMD_IOMMU_GA_H
#define HW_I386_AMD_IOMMU_GA_H

#include "exec/hwaddr.h"

typedef struct AMDVIState AMDVIState;
struct irte_ga;

/* MMIO registers */
#define AMDVI_MMIO_GA_LOG_BASE          0x00e0
#define AMDVI_MMIO_GA_LOG_TAIL_ADDR     0x00e8
#define AMDVI_MMIO_GA_HEAD              0x2040
#define AMDVI_MMIO_GA_TAIL              0x2048

#define AMDVI_GA_LOG_BASE_MASK          0x000ffffffffff000ULL  /* 51:12 */
#define AMDVI_GA_LOG_LEN_SHIFT          56
#define AMDVI_GA_LOG_LEN_MASK           0xfULL
#define AMDVI_GA_LOG_LEN_MIN            8      /* 512 entries */
#define AMDVI_GA_TAIL_ADDR_MASK         0x000ffffffffffff8ULL  /* 51:3 */
#define AMDVI_GA_PTR_MASK               0x7fff8ULL             /* 18:3 */
#define AMDVI_GA_ENTRY_SIZE             8

/* Extended Feature Register */
#define AMDVI_FEATURE_GAM_VAPIC         (1ULL << 21)  /* GAMSup = 001b */

/* Control register */
#define AMDVI_CONTROL_GAM_SHIFT         25            /* GAMEn, 27:25 */
#define AMDVI_CONTROL_GAM_MASK          7ULL
#define AMDVI_CONTROL_GAM_VAPIC         1ULL
#define AMDVI_CONTROL_GALOG_EN          (1ULL << 28)
#define AMDVI_CONTROL_GAINT_EN          (1ULL << 29)

/* Status register */
#define AMDVI_STATUS_GALOG_RUN          (1ULL << 8)
#define AMDVI_STATUS_GALOG_OVF          (1ULL << 9)
#define AMDVI_STATUS_GALOG_INT          (1ULL << 10)

/* GA log entry: GATag 31:0, DeviceID 47:32, type 63:60 */
#define AMDVI_GA_LOG_GUEST_NR           1ULL

typedef struct AMDVIGAState {
    /* control bits as last seen, for the 0 -> 1 edges */
    bool log_en;
    bool int_en;
    bool used;                   /* the subsection is sent */

    /* counters, from the start of this QEMU process or the source's */
    uint64_t posted;             /* vectors set in a backing page */
    uint64_t doorbells;          /* running destinations rung */
    uint64_t doorbell_misses;    /* IsRun with no CPU of that APIC ID */
    uint64_t log_records;        /* GA log records written */
    uint64_t log_interrupts;     /* GA log interrupts raised */
    uint64_t overflows;          /* records lost to a full GA log */
    uint64_t unlogged;           /* not running, GALogIntr=0 */
    uint64_t errors;             /* interrupts lost to bad IRTEs/addresses */
} AMDVIGAState;

/* EFR bits the property adds. */
uint64_t amdvi_ga_features(AMDVIState *s);

/* Realize: refuse ga-vapic=on without intremap=on. */
bool amdvi_ga_realize(AMDVIState *s, Error **errp);

/* Reset: register masks of the GA registers; the counters stay. */
void amdvi_ga_reset(AMDVIState *s);

/* The control register was written. */
void amdvi_ga_control_write(AMDVIState *s, uint64_t control);

/* One of the GA registers (AMDVI_MMIO_GA_*) was written. */
void amdvi_ga_reg_write(AMDVIState *s, hwaddr reg);

/* Whether a guest-mode IRTE may be used (ga-vapic=on, GAEn, GAMEn=vAPIC). */
bool amdvi_ga_guest_mode_ok(AMDVIState *s);

/*
 * Check the IRTE's address before it is read, when ga-vapic=on: false
 * (logged, counted, an event in the event log) unless it is RAM.
 */
bool amdvi_ga_irte_addr_ok(AMDVIState *s, uint16_t devid, hwaddr addr);

/* Deliver an interrupt through a guest-mode IRTE (BQL held). */
void amdvi_ga_deliver(AMDVIState *s, const struct irte_ga *irte,
                      uint16_t devid);

extern const VMStateDescription vmstate_amdvi_ga;

#endif
