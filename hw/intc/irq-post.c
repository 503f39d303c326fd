/*
 * The posting engine: see include/hw/intc/irq-post.h
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "exec/memory.h"
#include "hw/intc/irq-post.h"
#include "trace.h"

void *irq_post_map(AddressSpace *as, hwaddr addr, hwaddr len,
                   MemoryRegionCache *c)
{
    /*
     * The section, not only the RAM behind it: a read-only mapping of RAM
     * (e.g. the BIOS shadow once PAM made it read-only) is not writable.
     */
    if (address_space_cache_init(c, as, addr, len, true) < len || !c->ptr ||
        c->mrs.readonly) {
        address_space_cache_destroy(c);
        return NULL;
    }
    return c->ptr;
}

void irq_post_unmap(MemoryRegionCache *c, hwaddr written)
{
    if (written) {
        address_space_cache_invalidate(c, 0, written);
    }
    address_space_cache_destroy(c);
}

bool irq_post_is_ram(AddressSpace *as, hwaddr addr, hwaddr len, bool write)
{
    MemoryRegionCache c;

    if (addr + len < addr) {
        return false;
    }
    if (write) {
        if (!irq_post_map(as, addr, len, &c)) {
            return false;
        }
        irq_post_unmap(&c, 0);
        return true;
    }
    if (address_space_cache_init(&c, as, addr, len, false) < len || !c.ptr) {
        address_space_cache_destroy(&c);
        return false;
    }
    address_space_cache_destroy(&c);
    return true;
}

/*
 * One atomic operation, in an if/else: Debian 12's GCC 12.2 at -O2 drops
 * the OR of a fetch-or followed by a conditional fetch-and on the same
 * word (it writes the old value back).
 */
static uint32_t irq_post_word_op(uint32_t *word, uint32_t set,
                                 uint32_t clear)
{
    if (set) {
        return le32_to_cpu(qatomic_fetch_or(word, cpu_to_le32(set)));
    }
    return le32_to_cpu(qatomic_fetch_and(word, cpu_to_le32(~clear)));
}

bool irq_post_word_update(AddressSpace *as, hwaddr addr, uint32_t set,
                          uint32_t clear, uint32_t *old)
{
    MemoryRegionCache c;
    uint32_t *word;
    uint32_t was;

    if (addr & 3) {
        return false;
    }
    word = irq_post_map(as, addr, 4, &c);
    if (!word) {
        return false;
    }
    was = irq_post_word_op(word, set, clear);
    irq_post_unmap(&c, 4);
    if (old) {
        *old = was;
    }
    return true;
}

/* The word at @addr through @irr's cache, if the cache holds it. */
static bool irq_post_cached_update(const IrqPostIRR *irr, hwaddr addr,
                                   uint32_t set, uint32_t clear,
                                   uint32_t *old)
{
    hwaddr off = addr - irr->cache_base;

    if (!irr->cache || addr < irr->cache_base || (addr & 3) ||
        off + 4 > irr->cache->len || off + 4 < off) {
        return false;
    }
    *old = irq_post_word_op((uint32_t *)((uint8_t *)irr->cache->ptr + off),
                            set, clear);
    address_space_cache_invalidate(irr->cache, off, 4);
    return true;
}

static bool irq_post_irr_update(const IrqPostIRR *irr, hwaddr addr,
                                uint32_t set, uint32_t clear, uint32_t *old)
{
    return irq_post_cached_update(irr, addr, set, clear, old) ||
           irq_post_word_update(irr->as, addr, set, clear, old);
}

static hwaddr irq_post_word_addr(const IrqPostIRR *irr, unsigned vector)
{
    return irr->base + (vector / 32) * irr->stride;
}

bool irq_post_irr_set(const IrqPostIRR *irr, unsigned vector, bool *was_set)
{
    uint32_t bit = 1u << (vector % 32), old;

    if (!irq_post_irr_update(irr, irq_post_word_addr(irr, vector), bit, 0,
                             &old)) {
        return false;
    }
    if (was_set) {
        *was_set = old & bit;
    }
    return true;
}

bool irq_post_irr_clear(const IrqPostIRR *irr, unsigned vector)
{
    uint32_t old;

    return irq_post_irr_update(irr, irq_post_word_addr(irr, vector), 0,
                               1u << (vector % 32), &old);
}

bool irq_post_irr_read(const IrqPostIRR *irr,
                       uint32_t words[IRQ_POST_IRR_WORDS])
{
    MemoryRegionCache c;
    hwaddr len = (IRQ_POST_IRR_WORDS - 1) * irr->stride + 4;
    uint8_t *p;

    if (address_space_cache_init(&c, irr->as, irr->base, len, false) < len ||
        !c.ptr) {
        address_space_cache_destroy(&c);
        return false;
    }
    p = c.ptr;
    for (int i = 0; i < IRQ_POST_IRR_WORDS; i++) {
        words[i] = le32_to_cpu(qatomic_read((uint32_t *)(p + i * irr->stride)));
    }
    address_space_cache_destroy(&c);
    return true;
}

int irq_post_highest(const uint32_t words[IRQ_POST_IRR_WORDS])
{
    for (int i = IRQ_POST_IRR_WORDS - 1; i >= 0; i--) {
        if (words[i]) {
            return i * 32 + 31 - clz32(words[i]);
        }
    }
    return -1;
}

IrqPostResult irq_post(const IrqPostDest *d, unsigned vector)
{
    bool was_set;

    if (!irq_post_irr_set(&d->irr, vector, &was_set)) {
        trace_irq_post_not_ram(d->irr.base, vector);
        return IRQ_POST_NOT_RAM;
    }
    if (was_set && d->coalesce) {
        trace_irq_post_pending(d->irr.base, vector);
        return IRQ_POST_PENDING;
    }
    if (d->running) {
        trace_irq_post_ring(d->irr.base, vector);
        if (d->ring) {
            d->ring(d->opaque);
        }
        return IRQ_POST_RUNG;
    }
    trace_irq_post_notify(d->irr.base, vector);
    if (d->notify) {
        d->notify(d->opaque);
    }
    return IRQ_POST_NOTIFIED;
}

static IrqPostDoorbellFn *irq_post_doorbell_fn;

void irq_post_set_doorbell(IrqPostDoorbellFn *fn)
{
    irq_post_doorbell_fn = fn;
}

bool irq_post_doorbell(uint32_t apic_id)
{
    return irq_post_doorbell_fn && irq_post_doorbell_fn(apic_id);
}
