/*
 * The posting engine: set a vector in a memory-resident IRR, then ring the
 * running destination or tell the hypervisor about one that is not
 *
 * One act shared by every interrupt virtualizer of ours: -device gim's
 * pending table, AVIC's IPIs into vAPIC backing pages (nested SVM under
 * TCG), and the AMD IOMMU's guest virtual APIC mode.  The IRR lives in
 * guest RAM; it is only ever written with an atomic OR (to set) or AND (to
 * clear), so that a vCPU that reads and clears its own IRR never loses a
 * bit that a device or another vCPU sets at the same time.
 *
 * Guest-memory rules: the IRR must be writable RAM as its bus master sees
 * it (never MMIO, ROM or a bounce buffer); anything else is refused with
 * IRQ_POST_NOT_RAM, and the caller logs and counts it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INTC_IRQ_POST_H
#define HW_INTC_IRQ_POST_H

#include "exec/memory.h"

/* A 256-bit IRR: eight 32-bit little-endian words, @stride bytes apart. */
typedef struct IrqPostIRR {
    AddressSpace *as;           /* as its bus master sees it */
    MemTxAttrs attrs;
    hwaddr base;                /* the first word */
    unsigned stride;            /* 4: packed; 16: an APIC register page */
    /*
     * Optional: a writable cache of the RAM that holds the IRR, from
     * @cache_base (kept valid by its owner across memory map changes).
     */
    MemoryRegionCache *cache;
    hwaddr cache_base;
} IrqPostIRR;

#define IRQ_POST_IRR_WORDS      8

typedef enum IrqPostResult {
    IRQ_POST_RUNG,              /* set; the running destination was rung */
    IRQ_POST_NOTIFIED,          /* set; the hypervisor was told */
    IRQ_POST_PENDING,           /* already set (coalesced): nothing else */
    IRQ_POST_NOT_RAM,           /* the IRR is not writable RAM: refused */
} IrqPostResult;

/* Where a posted vector goes once its bit is set. */
typedef struct IrqPostDest {
    IrqPostIRR irr;
    bool running;               /* ring it, or notify the hypervisor */
    bool coalesce;              /* nothing more when the bit was set */
    void (*ring)(void *opaque);
    void (*notify)(void *opaque);
    void *opaque;
} IrqPostDest;

/*
 * Map @len bytes of guest RAM at @addr in @as for writing; NULL (with
 * nothing to undo) unless it is writable RAM that can be accessed
 * directly.  irq_post_unmap() marks what was written dirty.
 */
void *irq_post_map(AddressSpace *as, hwaddr addr, hwaddr len,
                   MemoryRegionCache *c);
void irq_post_unmap(MemoryRegionCache *c, hwaddr written);

/* Whether [@addr, @addr + @len) is RAM, writable when @write. */
bool irq_post_is_ram(AddressSpace *as, hwaddr addr, hwaddr len, bool write);

/*
 * Atomically OR @set into the 32-bit LE word at @addr, or AND ~@clear out
 * of it (one of the two); *@old (may be NULL) gets its value before.
 * False when it is not writable RAM.
 */
bool irq_post_word_update(AddressSpace *as, hwaddr addr, uint32_t set,
                          uint32_t clear, uint32_t *old);

/* Set / clear @vector in @irr; *@was_set (may be NULL): its old value. */
bool irq_post_irr_set(const IrqPostIRR *irr, unsigned vector, bool *was_set);
bool irq_post_irr_clear(const IrqPostIRR *irr, unsigned vector);

/* Read the IRR into @words; false when it is not RAM. */
bool irq_post_irr_read(const IrqPostIRR *irr,
                       uint32_t words[IRQ_POST_IRR_WORDS]);

/* The highest vector set in @words, or -1. */
int irq_post_highest(const uint32_t words[IRQ_POST_IRR_WORDS]);

/*
 * The doorbell of a CPU that runs guests from memory-resident IRRs
 * (AVIC: target/i386/tcg/system/avic-vapic.c registers it): make the
 * vCPU whose host APIC ID is @apic_id look at its backing page again.
 * A device (the AMD IOMMU's guest mode) rings it for a running
 * destination.  Returns false when no CPU offers a doorbell or none has
 * that APIC ID.  BQL held.
 */
typedef bool IrqPostDoorbellFn(uint32_t apic_id);
void irq_post_set_doorbell(IrqPostDoorbellFn *fn);
bool irq_post_doorbell(uint32_t apic_id);

/*
 * The act itself: set @vector in @d's IRR, then ring the running
 * destination or notify the hypervisor.  No lock of the engine's is held
 * across the callbacks.
 */
IrqPostResult irq_post(const IrqPostDest *d, unsigned vector);

#endif
