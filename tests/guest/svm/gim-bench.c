/*
 * GIM posting cost: test "gim-bench" of the irqhint SVM test kernel (no
 * SVM needed; -device gim; run by bench/gim.py).
 *
 * The kernel is the L1 hypervisor and the device at once, through GIM's
 * guest-visible interface only.  It finds gim on PCI bus 0 (BARs as the
 * firmware assigned them), turns on memory decoding and bus mastering,
 * points MSI-X vector 0 (interface 0's doorbell) at the LAPIC, puts a
 * pending table and log ring in its RAM, routes interrupt 0 to (guest 0,
 * dest 0, vector 0x30), schedules guest 0 dest 0 on interface 0 and
 * enables GIM.  Then, with IF=0, it times with the TSC n stores of each
 * kind, in rounds that alternate the kinds, and keeps each kind's best
 * round:
 *   msi      a plain MSI: data 0x40 stored at 0xfee00000 (QEMU takes a
 *            CPU store at offset 0 of the LAPIC page as an MSI);
 *   gim      the same store, message 0, to GIM's doorbell: IRR bit set in
 *            the table, vector merged with its list register; DOORBELL is
 *            still set, so no MSI-X (a posted-interrupt ON bit);
 *   ring     interface 0's STATUS.DOORBELL cleared (write 1 to clear, as
 *            a vCPU that acks at once), then the doorbell store, which
 *            now rings the MSI-X doorbell too;
 *   clear    the STATUS store alone (DOORBELL already clear): "ring" less
 *            this is the cost of a post that rings.
 * Every store is a TCG MMIO store from the same loop, so what differs is
 * what QEMU does behind it.  The TSC under TCG is the host's.  Output:
 * "GIM-BENCH n=N rounds=R msi=... gim=... ring=... clear=...", each the
 * host TSC cycles of the best round of n, then GIM's counters are checked
 * against the stores made.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hv.h"
#include "gim-bench.h"
#include "standard-headers/misc/gim.h"

#define GB_ROUNDS       10
#define GB_VECTOR       0x30
#define GB_MSI_VECTOR   0x40
#define GB_DOORBELL_VEC 0x41

static u8 gb_table[GIM_IRR_SIZE] __attribute__((aligned(GIM_IRR_SIZE)));
static struct gim_log_record gb_log[16] __attribute__((aligned(8)));

static u32 pci_addr(u32 slot, u32 off)
{
    return 0x80000000u | slot << 11 | (off & 0xfc);
}

static u32 pci_read(u32 slot, u32 off)
{
    outl(0xcf8, pci_addr(slot, off));
    return inl(0xcfc);
}

static void pci_write(u32 slot, u32 off, u32 v)
{
    outl(0xcf8, pci_addr(slot, off));
    outl(0xcfc, v);
}

static volatile u32 *gb_regs;
static volatile u32 *gb_doorbell;

static u32 reg_read(u32 off) { return gb_regs[off / 4]; }
static void reg_write(u32 off, u32 v) { gb_regs[off / 4] = v; }

/* Find gim, enable it and its MSI-X vector 0; false when it is not there. */
static bool gb_setup(void)
{
    u32 slot, cap, msix = 0, bir, table;
    volatile u32 *entry;

    for (slot = 0; slot < 32; slot++) {
        if (pci_read(slot, 0) == (GIM_PCI_DEVICE_ID << 16 | GIM_PCI_VENDOR_ID)) {
            break;
        }
    }
    if (slot == 32) {
        printf("gim-bench: no gim on PCI bus 0\n");
        return false;
    }
    gb_regs = (volatile u32 *)(pci_read(slot, 0x10) & ~0xfu);
    gb_doorbell = (volatile u32 *)(pci_read(slot, 0x18) & ~0xfu);
    pci_write(slot, 0x04, pci_read(slot, 0x04) | 0x6);   /* memory, master */
    for (cap = pci_read(slot, 0x34) & 0xfc; cap; cap = (pci_read(slot, cap) >> 8) & 0xfc) {
        if ((pci_read(slot, cap) & 0xff) == 0x11) {
            msix = cap;
            break;
        }
    }
    if (!msix || !gb_regs || !gb_doorbell) {
        printf("gim-bench: BARs %x %x, MSI-X capability at %x\n",
               (u32)gb_regs, (u32)gb_doorbell, msix);
        return false;
    }
    table = pci_read(slot, msix + 4);
    bir = table & 7;
    entry = (volatile u32 *)((pci_read(slot, 0x10 + 4 * bir) & ~0xfu) + (table & ~7u));
    entry[0] = APIC_BASE;               /* vector 0: APIC 0, fixed, edge */
    entry[1] = 0;
    entry[2] = GB_DOORBELL_VEC;
    entry[3] = 0;                       /* unmasked */
    pci_write(slot, msix, (pci_read(slot, msix) | 1u << 31) & ~(1u << 30));
    printf("gim-bench: gim at 00:%02x.0, registers %x, doorbell %x\n", slot,
           (u32)gb_regs, (u32)gb_doorbell);

    if (reg_read(GIM_REG_ID) != GIM_ID_MAGIC) {
        printf("gim-bench: ID %x\n", reg_read(GIM_REG_ID));
        return false;
    }
    reg_write(GIM_REG_TABLE_LO, (u32)gb_table);
    reg_write(GIM_REG_TABLE_HI, 0);
    reg_write(GIM_REG_TABLE_GUESTS, 1);
    reg_write(GIM_REG_TABLE_DESTS, 1);
    reg_write(GIM_REG_LOG_LO, (u32)gb_log);
    reg_write(GIM_REG_LOG_HI, 0);
    reg_write(GIM_REG_LOG_SIZE, 16);
    reg_write(GIM_REG_ROUTE(0) + GIM_ROUTE_TARGET, GIM_TARGET(0, 0));
    reg_write(GIM_REG_ROUTE(0) + GIM_ROUTE_VECTOR, GB_VECTOR);
    reg_write(GIM_REG_ROUTE(0) + GIM_ROUTE_CTRL, GIM_FN_DELIVER);
    reg_write(GIM_REG_CTRL, GIM_CTRL_ENABLE);
    reg_write(GIM_REG_IFACE(0) + GIM_IFACE_RUNNING,
              GIM_RUNNING_VALID | GIM_TARGET(0, 0));
    if (reg_read(GIM_REG_CTRL) != GIM_CTRL_ENABLE || reg_read(GIM_REG_STATUS)) {
        printf("gim-bench: CTRL %x STATUS %x\n", reg_read(GIM_REG_CTRL),
               reg_read(GIM_REG_STATUS));
        return false;
    }
    return true;
}

static u64 gb_stores(volatile u32 *p, u32 v, u32 n)
{
    u64 t0 = rdtsc();

    for (u32 i = 0; i < n; i++) {
        *p = v;
    }
    return rdtsc() - t0;
}

static u64 gb_ring(volatile u32 *status, volatile u32 *db, u32 n)
{
    u64 t0 = rdtsc();

    for (u32 i = 0; i < n; i++) {
        *status = GIM_IFACE_STATUS_DOORBELL;
        *db = 0;
    }
    return rdtsc() - t0;
}

static u64 min64(u64 a, u64 b) { return a < b ? a : b; }

/* A round's cycles, for printing (%u); no round takes 2^32. */
static u32 cyc32(u64 cycles) { return cycles >> 32 ? ~0u : (u32)cycles; }

void test_gim_bench(void)
{
    volatile u32 *msi = (volatile u32 *)APIC_BASE;
    volatile u32 *status = gb_regs;
    u64 best_msi = ~0ull, best_gim = ~0ull, best_ring = ~0ull, best_clear = ~0ull;
    u32 n = opt_n, posts = 0, in, out, delivered, lrs, lr0;

    cli();
    if (!gb_setup()) {
        CHECK(false, "gim found and enabled");
        return;
    }
    status = gb_regs + (GIM_REG_IFACE(0) + GIM_IFACE_STATUS) / 4;
    *gb_doorbell = 0;                   /* listed, DOORBELL set */
    posts++;
    for (u32 r = 0; r < GB_ROUNDS; r++) {
        best_msi = min64(best_msi, gb_stores(msi, GB_MSI_VECTOR, n));
        best_gim = min64(best_gim, gb_stores(gb_doorbell, 0, n));
        best_ring = min64(best_ring, gb_ring(status, gb_doorbell, n));
        *status = GIM_IFACE_STATUS_DOORBELL;
        best_clear = min64(best_clear, gb_stores(status, GIM_IFACE_STATUS_DOORBELL, n));
        posts += 2 * n;
    }
    in = reg_read(GIM_REG_CNT_IN);
    out = reg_read(GIM_REG_CNT_OUT);
    delivered = reg_read(GIM_REG_CNT_DELIVERED);
    lrs = reg_read(GIM_REG_IFACE(0) + GIM_IFACE_LR_COUNT);
    lr0 = reg_read(GIM_REG_IFACE(0) + GIM_IFACE_LR(0));
    printf("GIM-BENCH n=%u rounds=%u msi=%u gim=%u ring=%u clear=%u "
           "posts=%u in=%u delivered=%u\n", n, GB_ROUNDS,
           cyc32(best_msi), cyc32(best_gim), cyc32(best_ring),
           cyc32(best_clear), posts, in, delivered);
    CHECK(in == posts && out == posts && delivered == posts &&
          reg_read(GIM_REG_CNT_DROPPED) == 0 && reg_read(GIM_REG_CNT_LOGGED) == 0,
          "every post an output delivered to interface 0: in %u out %u "
          "delivered %u for %u posts", in, out, delivered, posts);
    CHECK(lrs == 1 && lr0 == (GIM_LR_VALID | GB_VECTOR) &&
          (gb_table[GB_VECTOR / 8] & (1u << (GB_VECTOR % 8))),
          "vector 0x%x pending in the table and listed once (LR_COUNT %u, "
          "LR(0) %x)", GB_VECTOR, lrs, lr0);
    CHECK(apic_irr(GB_MSI_VECTOR) && apic_irr(GB_DOORBELL_VEC),
          "the plain MSI (0x%x) and GIM's doorbell MSI-X (0x%x) reached the LAPIC",
          GB_MSI_VECTOR, GB_DOORBELL_VEC);
}
