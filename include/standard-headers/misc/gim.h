/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GIM (guest interrupt manager): guest-visible ABI
 *
 * Register map, routing entry and record formats of the "gim" PCI device,
 * shared by QEMU (hw/intc/gim.c), its tests and guest software (a guest
 * driver or an L1 hypervisor includes this file as it is; it uses no QEMU
 * type).  The programming model is documented in docs/specs/gim.rst.
 *
 * All registers are 32 bits wide, little-endian; BAR0 takes 4-byte
 * accesses only.
 */

#ifndef STANDARD_HEADERS_MISC_GIM_H
#define STANDARD_HEADERS_MISC_GIM_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "standard-headers/linux/types.h"
#endif

#define GIM_PCI_VENDOR_ID           0x1234
#define GIM_PCI_DEVICE_ID           0x11f0

/*
 * BARs.  BAR0: registers (8 KiB).  BAR2: the doorbell window (4 KiB): a
 * write of 1, 2 or 4 bytes anywhere in it is one input message (MSI data),
 * an 8-byte write is two (low word first).  BAR4: MSI-X, with one vector
 * per vCPU interface (doorbells) and then one for the inactive log.
 */
#define GIM_BAR_REGS                0
#define GIM_BAR_DOORBELL            2
#define GIM_BAR_MSIX                4
#define GIM_REGS_SIZE               0x2000
#define GIM_DOORBELL_SIZE           0x1000

/* Input message (MSI data / doorbell write). */
#define GIM_MSG_IRQ_MASK            0x0000ffffu /* interrupt number */
#define GIM_MSG_VECTOR_SHIFT        16          /* source vector, for REMAP */
#define GIM_MSG_VECTOR_MASK         0x00ff0000u

/* Global registers (BAR0). */
#define GIM_REG_ID                  0x000   /* RO: GIM_ID_MAGIC */
#define GIM_ID_MAGIC                0x314d4947  /* "GIM1" */
#define GIM_REG_CAPS                0x004   /* RO: see GIM_CAPS_* */
#define GIM_CAPS(irqs, ifaces, lrs) \
    ((irqs) | ((ifaces) << 16) | ((lrs) << 24))
#define GIM_CAPS_NR_IRQS(c)         ((c) & 0xffff)
#define GIM_CAPS_NR_IFACES(c)       (((c) >> 16) & 0xff)
#define GIM_CAPS_NR_LRS(c)          (((c) >> 24) & 0xff)
#define GIM_REG_CTRL                0x008   /* RW */
#define GIM_CTRL_ENABLE             (1u << 0)
#define GIM_REG_STATUS              0x00c   /* RO, write 1 to clear */
#define GIM_STATUS_LOG_OVERFLOW     (1u << 0)  /* records were lost */
#define GIM_STATUS_TABLE_ERROR      (1u << 1)  /* bad table address */
#define GIM_STATUS_LOG_ERROR        (1u << 2)  /* bad log address */
#define GIM_STATUS_CONFIG_ERROR     (1u << 3)  /* enable refused */
#define GIM_REG_TABLE_LO            0x010   /* pending table base, */
#define GIM_REG_TABLE_HI            0x014   /* 32-byte aligned */
#define GIM_REG_TABLE_GUESTS        0x018   /* guests in the table, 1..4096 */
#define GIM_REG_TABLE_DESTS         0x01c   /* destinations per guest, 1..256 */
#define GIM_REG_LOG_LO              0x020   /* inactive log ring base, */
#define GIM_REG_LOG_HI              0x024   /* 8-byte aligned */
#define GIM_REG_LOG_SIZE            0x028   /* records in the ring, 2..65536 */
#define GIM_REG_LOG_HEAD            0x02c   /* RW: next record software reads */
#define GIM_REG_LOG_TAIL            0x030   /* RO: next record GIM writes */
#define GIM_REG_LOG_LOST            0x034   /* RO: records not logged */

/* Limits that enabling checks (GIM_STATUS_CONFIG_ERROR otherwise). */
#define GIM_MAX_GUESTS              4096
#define GIM_MAX_DESTS               256
#define GIM_MIN_LOG_SIZE            2
#define GIM_MAX_LOG_SIZE            65536
#define GIM_TABLE_ALIGN             GIM_IRR_SIZE
#define GIM_LOG_ALIGN               GIM_LOG_RECORD_SIZE

/* Counters (RO, wrap at 2^32; write anything to GIM_REG_CNT_RESET). */
#define GIM_REG_CNT_IN              0x040   /* input messages (Q) */
#define GIM_REG_CNT_OUT             0x044   /* output messages (M) */
#define GIM_REG_CNT_DROPPED         0x048   /* inputs dropped */
#define GIM_REG_CNT_COALESCED       0x04c   /* outputs already pending */
#define GIM_REG_CNT_DELIVERED       0x050   /* deliveries to interfaces */
#define GIM_REG_CNT_LOGGED          0x054   /* records logged */
#define GIM_REG_CNT_RESET           0x058   /* WO */

/*
 * Routing table: one 16-byte entry per interrupt number at
 * GIM_REG_ROUTE(irq).
 */
#define GIM_REG_ROUTE_BASE          0x1000
#define GIM_ROUTE_SIZE              16
#define GIM_REG_ROUTE(irq) \
    (GIM_REG_ROUTE_BASE + (irq) * GIM_ROUTE_SIZE)
#define GIM_MAX_IRQS                256
#define GIM_ROUTE_CTRL              0x0     /* function, see GIM_FN_* */
#define GIM_ROUTE_TARGET            0x4     /* guest [15:0], dest [23:16] */
#define GIM_ROUTE_VECTOR            0x8     /* vector [7:0] */
#define GIM_ROUTE_DEST_MASK         0xc     /* MULTICAST: destinations 0..31 */
#define GIM_MULTICAST_DESTS         32      /* bits in GIM_ROUTE_DEST_MASK */

#define GIM_FN_DROP                 0   /* discard the input */
#define GIM_FN_DELIVER              1   /* (guest, dest, vector) */
#define GIM_FN_REMAP                2   /* vector += source vector */
#define GIM_FN_MULTICAST            3   /* (guest, each dest in mask, vector) */
#define GIM_FN_COALESCE             4   /* DELIVER, unless already pending */
#define GIM_FN_MAX                  4

#define GIM_TARGET_GUEST_MASK       0xffffu
#define GIM_TARGET_DEST_SHIFT       16
#define GIM_TARGET_DEST_MASK        0xffu
#define GIM_TARGET(guest, dest) \
    (((guest) & GIM_TARGET_GUEST_MASK) | \
     (((dest) & GIM_TARGET_DEST_MASK) << GIM_TARGET_DEST_SHIFT))
#define GIM_TARGET_MASK             GIM_TARGET(GIM_TARGET_GUEST_MASK, \
                                               GIM_TARGET_DEST_MASK)
#define GIM_TARGET_GUEST(t)         ((t) & GIM_TARGET_GUEST_MASK)
#define GIM_TARGET_DEST(t) \
    (((t) >> GIM_TARGET_DEST_SHIFT) & GIM_TARGET_DEST_MASK)

/* Vectors are 8 bits: a REMAP sum wraps. */
#define GIM_NR_VECTORS              256
#define GIM_VECTOR_MASK             (GIM_NR_VECTORS - 1)

/*
 * MSI-X (BAR4): vector i (i < interfaces) is interface i's doorbell, the
 * next one the inactive log's.
 */
#define GIM_MSIX_LOG(nr_ifaces)     (nr_ifaces)
#define GIM_NR_MSIX(nr_ifaces)      ((nr_ifaces) + 1)

/*
 * vCPU interrupt interfaces: GIM_REG_IFACE(i) + register.  Writing RUNNING
 * with GIM_RUNNING_VALID schedules (guest, dest) on the interface: GIM loads
 * its list registers with the vectors pending for it in the table.
 */
#define GIM_REG_IFACE_BASE          0x400
#define GIM_IFACE_STRIDE            0x40
#define GIM_REG_IFACE(i) \
    (GIM_REG_IFACE_BASE + (i) * GIM_IFACE_STRIDE)
#define GIM_MAX_IFACES              16
#define GIM_NR_LRS                  8
#define GIM_IFACE_RUNNING           0x00    /* RW: guest [15:0] dest [23:16] */
#define GIM_RUNNING_VALID           (1u << 31)
#define GIM_IFACE_LR_COUNT          0x04    /* RO: valid list registers */
#define GIM_IFACE_STATUS            0x08    /* RO, write 1 to clear */
#define GIM_IFACE_STATUS_LR_OVERFLOW (1u << 0) /* pending vectors did not fit */
/*
 * Doorbell raised, not acked.  The doorbell MSI-X rings only when this
 * bit goes from clear to set (like a posted-interrupt ON bit).
 */
#define GIM_IFACE_STATUS_DOORBELL   (1u << 1)
/*
 * ACK (any value): software took the vectors it read from the list
 * registers and cleared their bits in the table.  GIM empties the list
 * registers and clears DOORBELL, then reloads whatever is still pending in
 * the IRR (outputs that arrived after software read the list) and, if it
 * loaded any, sets DOORBELL and rings again.
 */
#define GIM_IFACE_ACK               0x0c    /* WO */
#define GIM_IFACE_LR(n)             (0x10 + (n) * 4)  /* RO */
#define GIM_IFACE_LR_END            GIM_IFACE_LR(GIM_NR_LRS)
#define GIM_LR_VALID                (1u << 31)
#define GIM_LR_VECTOR(lr)           ((lr) & GIM_VECTOR_MASK)

/*
 * Pending table: one 256-bit IRR (32 bytes) per (guest, destination), as
 * little-endian 32-bit words; vector v is bit GIM_IRR_BIT(v) of word
 * GIM_IRR_WORD(v).
 */
#define GIM_IRR_SIZE                32
#define GIM_IRR_WORDS               (GIM_IRR_SIZE / 4)
#define GIM_IRR_WORD(vector)        ((vector) / 32)
#define GIM_IRR_BIT(vector)         (1u << ((vector) % 32))
#define GIM_IRR_OFFSET(guest, dest, nr_dests) \
    (((uint64_t)(guest) * (nr_dests) + (dest)) * GIM_IRR_SIZE)

/* Inactive log record (8 bytes, little-endian). */
#define GIM_LOG_RECORD_SIZE         8
struct gim_log_record {
    uint16_t guest;
    uint8_t dest;
    uint8_t vector;
    uint32_t seq;               /* sequence number of the output */
};

#endif
