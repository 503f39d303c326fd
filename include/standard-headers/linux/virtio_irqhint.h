/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-3-Clause) */
/*
 * virtio-irqhint: interrupt placement hints from the VMM to the guest.
 *
 * This is the guest ABI of the device, shared by QEMU
 * (hw/virtio/virtio-irqhint.c) and the Linux guest driver
 * (guest/linux/irqhint/).  It is documented in docs/specs/irqhint.rst.
 *
 * All multi-byte fields are little-endian.  The device has no virtqueues;
 * everything is in device-specific configuration space:
 *
 *   struct virtio_irqhint_config header;
 *   struct virtio_irqhint_entry  table[max_entries];
 *
 * Readers follow the generation protocol: read @generation, and if it is
 * odd (an update is in progress) retry; read the table; re-read
 * @generation and retry if it changed.  The device raises a configuration
 * change interrupt after every update.
 */
#ifndef _LINUX_VIRTIO_IRQHINT_H
#define _LINUX_VIRTIO_IRQHINT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "standard-headers/linux/types.h"
#endif

/* Not (yet) an OASIS-assigned ID; taken from the unassigned range. */
#define VIRTIO_ID_IRQHINT                       63

/*
 * Feature bits.
 * NEAREST: when no vCPU runs on the host CPU that raised an interrupt, the
 * device names the nearest vCPUs by host topology (reason tells which).
 * APPLIED: the driver writes the generation of each table it has acted
 * on to the config header's "applied" field, so that the host sees
 * whether and when its hints took effect.
 */
#define VIRTIO_IRQHINT_F_NEAREST                0
#define VIRTIO_IRQHINT_F_APPLIED                1

/* Source types (struct virtio_irqhint_entry.type). */
#define VIRTIO_IRQHINT_TYPE_MSI                 1
#define VIRTIO_IRQHINT_TYPE_MSIX                2

/* Why the hinted vCPUs were chosen (struct virtio_irqhint_entry.reason). */
#define VIRTIO_IRQHINT_REASON_NONE              0 /* no vCPU placement known */
#define VIRTIO_IRQHINT_REASON_COLOCATED         1 /* runs on the raising CPU */
#define VIRTIO_IRQHINT_REASON_SAME_CORE         2 /* SMT sibling of it */
#define VIRTIO_IRQHINT_REASON_SAME_PACKAGE      3 /* same socket */
#define VIRTIO_IRQHINT_REASON_SAME_NODE         4 /* same NUMA node */
#define VIRTIO_IRQHINT_REASON_MANAGEMENT        5 /* co-located, placement set
                                                   * by the management layer */
#define VIRTIO_IRQHINT_REASON_MAX               5

/* struct virtio_irqhint_entry.flags */
/* More vCPUs qualified than fit in apic_id[]. */
#define VIRTIO_IRQHINT_FLAG_TRUNCATED           (1u << 0)
/* The placement of a hinted vCPU comes from its thread's pinning. */
#define VIRTIO_IRQHINT_FLAG_PINNED              (1u << 1)
/* The placement of a hinted vCPU was last observed (may move). */
#define VIRTIO_IRQHINT_FLAG_OBSERVED            (1u << 2)
/*
 * Computed on the host this guest migrated from; recomputed when the
 * source next raises an interrupt here.
 */
#define VIRTIO_IRQHINT_FLAG_MIGRATED            (1u << 3)

/* APIC ID slots in one entry. */
#define VIRTIO_IRQHINT_MAX_VCPUS                4

struct virtio_irqhint_entry {
	__le16 segment;         /* PCI segment (domain) */
	__u8 bus;               /* PCI bus number */
	__u8 devfn;             /* PCI device << 3 | function */
	__le16 index;           /* MSI vector or MSI-X table index */
	__u8 type;              /* VIRTIO_IRQHINT_TYPE_* */
	__u8 reason;            /* VIRTIO_IRQHINT_REASON_* */
	__le16 flags;           /* VIRTIO_IRQHINT_FLAG_* */
	__u8 nr_vcpus;          /* valid entries in apic_id[] */
	__u8 reserved0;
	__le32 reserved1;
	__le32 apic_id[VIRTIO_IRQHINT_MAX_VCPUS]; /* hinted vCPUs */
};                              /* 32 bytes */

struct virtio_irqhint_config {
	__le32 generation;      /* odd while the device updates the table */
	__le16 num_entries;     /* valid entries in the table */
	__le16 max_entries;     /* entries the table has room for */
	__le16 entry_size;      /* sizeof(struct virtio_irqhint_entry) */
	__le16 max_vcpus;       /* VIRTIO_IRQHINT_MAX_VCPUS */
	__le32 applied;         /* driver-written with VIRTIO_IRQHINT_F_APPLIED:
				 * the last generation it acted on; else 0 */
	/* struct virtio_irqhint_entry table[max_entries] follows */
};                              /* 16 bytes */

#define VIRTIO_IRQHINT_TABLE_OFFSET     sizeof(struct virtio_irqhint_config)
#define VIRTIO_IRQHINT_ENTRY_OFFSET(i) \
	(VIRTIO_IRQHINT_TABLE_OFFSET + (i) * sizeof(struct virtio_irqhint_entry))

/* The table never grows past what a 4 KiB config window holds. */
#define VIRTIO_IRQHINT_MAX_ENTRIES      127

#endif /* _LINUX_VIRTIO_IRQHINT_H */
