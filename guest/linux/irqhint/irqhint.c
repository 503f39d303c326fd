// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-irqhint guest driver: interrupt placement hints from the VMM.
 *
 * The device publishes, in its configuration space, a table that names for
 * each MSI/MSI-X source (PCI device + vector index) the vCPUs (by APIC ID)
 * that run on or near the host CPU raising it.  On probe and on every
 * configuration change this driver reads the table consistently (generation
 * protocol), resolves every entry to a Linux IRQ and a set of online CPUs,
 * and sets the IRQ's affinity to them.  Everything the device says is
 * validated; invalid entries are skipped, counted by reason and logged
 * (rate-limited).  Managed IRQs are reported, never forced.  With
 * observe_only=1 nothing is applied.  remove() restores every affinity this
 * driver changed.
 *
 * State: /sys/kernel/debug/virtio-irqhint/<virtio device>/{table,stats}.
 * The ABI is include/standard-headers/linux/virtio_irqhint.h, documented in
 * docs/specs/irqhint.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "standard-headers/linux/virtio_irqhint.h"
#include "irqhint_compat.h"

static bool observe_only;
module_param(observe_only, bool, 0644);
MODULE_PARM_DESC(observe_only,
		 "Read, validate and count hints, but change no IRQ affinity");

/* Attempts at a consistent table read before giving up ("unsettled"). */
#define IRQHINT_READ_TRIES	8

/* Largest table any transport can hold (the ABI's 4 KiB window). */
#define IRQHINT_TABLE_BYTES \
	VIRTIO_IRQHINT_ENTRY_OFFSET(VIRTIO_IRQHINT_MAX_ENTRIES)

/* What became of one table entry.  Keep irqhint_status_name[] in step. */
enum irqhint_status {
	IRQHINT_APPLIED,	/* affinity set (or already equal) */
	IRQHINT_OBSERVED,	/* valid, not applied: observe_only */
	IRQHINT_SKIP_TYPE,	/* unknown source type */
	IRQHINT_SKIP_REASON,	/* unknown reason */
	IRQHINT_SKIP_NR_VCPUS,	/* nr_vcpus beyond apic_id[] */
	IRQHINT_SKIP_EMPTY,	/* no vCPU hinted (nr_vcpus == 0) */
	IRQHINT_SKIP_DEVICE,	/* no such PCI device */
	IRQHINT_SKIP_INDEX,	/* index beyond the device's vectors */
	IRQHINT_SKIP_VECTOR,	/* vector not allocated by its driver */
	IRQHINT_SKIP_CPU,	/* APIC ID maps to no online CPU */
	IRQHINT_SKIP_MANAGED,	/* kernel-managed affinity: not forced */
	IRQHINT_SKIP_FAILED,	/* irq_set_affinity() or memory failed */
	IRQHINT_SKIP_TABLE,	/* beyond the table the device can hold */
	IRQHINT_NR_STATUS,
};

#define IRQHINT_FIRST_SKIP	IRQHINT_SKIP_TYPE

static const char * const irqhint_status_name[IRQHINT_NR_STATUS] = {
	[IRQHINT_APPLIED]	= "applied",
	[IRQHINT_OBSERVED]	= "observed",
	[IRQHINT_SKIP_TYPE]	= "type",
	[IRQHINT_SKIP_REASON]	= "reason",
	[IRQHINT_SKIP_NR_VCPUS]	= "nr_vcpus",
	[IRQHINT_SKIP_EMPTY]	= "empty",
	[IRQHINT_SKIP_DEVICE]	= "device",
	[IRQHINT_SKIP_INDEX]	= "index",
	[IRQHINT_SKIP_VECTOR]	= "vector",
	[IRQHINT_SKIP_CPU]	= "cpu",
	[IRQHINT_SKIP_MANAGED]	= "managed",
	[IRQHINT_SKIP_FAILED]	= "failed",
	[IRQHINT_SKIP_TABLE]	= "table",
};

static const char * const irqhint_reason_name[VIRTIO_IRQHINT_REASON_MAX + 1] = {
	[VIRTIO_IRQHINT_REASON_NONE]		= "none",
	[VIRTIO_IRQHINT_REASON_COLOCATED]	= "colocated",
	[VIRTIO_IRQHINT_REASON_SAME_CORE]	= "same_core",
	[VIRTIO_IRQHINT_REASON_SAME_PACKAGE]	= "same_package",
	[VIRTIO_IRQHINT_REASON_SAME_NODE]	= "same_node",
	[VIRTIO_IRQHINT_REASON_MANAGEMENT]	= "management",
};

/* One table entry, decoded from the device's copy and resolved. */
struct irqhint_res {
	/* As read (host byte order). */
	u16 segment;
	u8 bus;
	u8 devfn;
	u16 index;
	u8 type;
	u8 reason;
	u16 flags;
	u8 nr_vcpus;
	u32 apic_id[VIRTIO_IRQHINT_MAX_VCPUS];
	/* Resolution. */
	struct pci_dev *pdev;	/* held during an update only */
	int irq;		/* -1 until resolved */
	int cpu[VIRTIO_IRQHINT_MAX_VCPUS]; /* -1 until resolved */
	enum irqhint_status status;
	int err;		/* of irq_set_affinity() */
};

/* The affinity an IRQ had before this driver first changed it. */
struct irqhint_saved {
	struct pci_dev *pdev;	/* reference held */
	u16 index;
	u8 type;
	unsigned int irq;
	cpumask_var_t orig;
};

/* Counters describing the last table read. */
struct irqhint_last {
	u32 generation;
	u16 num_entries;	/* as the device reported it */
	u16 max_entries;
	u16 entry_size;
	u16 max_vcpus;
	u16 nread;		/* entries actually read */
	unsigned int count[IRQHINT_NR_STATUS];
};

struct irqhint {
	struct virtio_device *vdev;

	/* config_changed() queues update_work unless stop_update. */
	spinlock_t stop_lock;
	bool stop_update;
	struct work_struct update_work;

	/* lock protects everything below. */
	struct mutex lock;
	unsigned int capacity;	/* entries the config window can hold */
	struct virtio_irqhint_entry *rbuf; /* read buffer */
	struct irqhint_res *res;	   /* last table read, resolved */
	struct irqhint_last last;
	bool have_table;
	u64 updates;		/* tables read and processed */
	u64 unsettled;		/* reads given up on: a generation moving */
	u64 total[IRQHINT_NR_STATUS];
	struct xarray saved;	/* irq -> struct irqhint_saved */
	cpumask_var_t mask;	/* scratch: the hinted CPUs */
	cpumask_var_t cur;	/* scratch: the IRQ's requested affinity */

	struct dentry *debugfs;
};

static struct dentry *irqhint_debugfs_root;
static struct workqueue_struct *irqhint_wq;

static const char *irqhint_type_name(u8 type)
{
	switch (type) {
	case VIRTIO_IRQHINT_TYPE_MSI:
		return "msi";
	case VIRTIO_IRQHINT_TYPE_MSIX:
		return "msix";
	default:
		return "unknown";
	}
}

/*
 * Bytes of device configuration space the transport lets us read.  Reading
 * beyond it is a BUG() in virtio-pci (vp_get()), so it bounds the table no
 * matter what max_entries says.  For virtio-pci the window is the length of
 * the device-config capability, capped at PAGE_SIZE as virtio_pci_modern_dev
 * maps it; any other transport gets the ABI's own bound.
 */
static unsigned int irqhint_config_window(struct virtio_device *vdev)
{
	struct device *parent = vdev->dev.parent;
	struct pci_dev *pdev;
	u8 type, bar;
	u32 len;
	int pos;

	if (!parent || !dev_is_pci(parent))
		return IRQHINT_TABLE_BYTES;
	pdev = to_pci_dev(parent);

	for (pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR); pos > 0;
	     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
		pci_read_config_byte(pdev, pos +
				     offsetof(struct virtio_pci_cap, cfg_type),
				     &type);
		pci_read_config_byte(pdev, pos +
				     offsetof(struct virtio_pci_cap, bar),
				     &bar);
		if (type != VIRTIO_PCI_CAP_DEVICE_CFG || bar >= PCI_STD_NUM_BARS ||
		    !pci_resource_len(pdev, bar))
			continue;
		pci_read_config_dword(pdev, pos +
				      offsetof(struct virtio_pci_cap, length),
				      &len);
		return min_t(u32, len, PAGE_SIZE);
	}
	/* Legacy virtio-pci: no capability, reads are not bounds-checked. */
	return IRQHINT_TABLE_BYTES;
}

/*
 * Plain reads of device configuration space.  virtio_cread_bytes() and the
 * virtio_cread*() wrappers for wider fields retry for as long as the
 * transport's generation changes, with no bound: a device that changes it
 * on every read would hold us (and ih->lock) forever.  These are single
 * accesses of 1, 2 or 4 bytes, which every transport can do in one go;
 * consistency across them is irqhint_read_table()'s business.
 */
static u32 irqhint_get32(struct virtio_device *vdev, unsigned int offset)
{
	__le32 v;

	vdev->config->get(vdev, offset, &v, sizeof(v));
	return le32_to_cpu(v);
}

static u16 irqhint_get16(struct virtio_device *vdev, unsigned int offset)
{
	__le16 v;

	vdev->config->get(vdev, offset, &v, sizeof(v));
	return le16_to_cpu(v);
}

#define irqhint_get_hdr32(vdev, field) \
	irqhint_get32(vdev, offsetof(struct virtio_irqhint_config, field))
#define irqhint_get_hdr16(vdev, field) \
	irqhint_get16(vdev, offsetof(struct virtio_irqhint_config, field))

/* The transport's configuration generation; 0 where it keeps none. */
static u32 irqhint_transport_gen(struct virtio_device *vdev)
{
	return vdev->config->generation ? vdev->config->generation(vdev) : 0;
}

/*
 * Copy table entry @i, still in device (little-endian) byte order, one
 * 32-bit word at a time.  No field of an entry straddles a 32-bit
 * boundary, so each field comes from a single access.
 */
static void irqhint_read_entry(struct virtio_device *vdev, unsigned int i,
			       struct virtio_irqhint_entry *e)
{
	unsigned int offset = VIRTIO_IRQHINT_ENTRY_OFFSET(i);
	__le32 *w = (__le32 *)e;
	unsigned int k;

	BUILD_BUG_ON(sizeof(*e) % sizeof(*w));
	BUILD_BUG_ON(VIRTIO_IRQHINT_TABLE_OFFSET % sizeof(*w));

	for (k = 0; k < sizeof(*e) / sizeof(*w); k++)
		vdev->config->get(vdev, offset + k * sizeof(*w), &w[k],
				  sizeof(*w));
}

/*
 * Read header and table into ih->rbuf and @last under the generation
 * protocol: a snapshot counts when the device's generation field was even
 * and, like the transport's own generation, did not change across it.
 * Every attempt is a bounded number of plain reads and there are at most
 * IRQHINT_READ_TRIES of them, whatever the device does.  Returns 0, or
 * -EAGAIN when no consistent snapshot was seen.
 */
static int irqhint_read_table(struct irqhint *ih, struct irqhint_last *last)
{
	struct virtio_device *vdev = ih->vdev;
	unsigned int i, n, try;
	u32 gen, tgen;

	for (try = 0; try < IRQHINT_READ_TRIES; try++) {
		if (try)
			usleep_range(100, 200);

		tgen = irqhint_transport_gen(vdev);
		gen = irqhint_get_hdr32(vdev, generation);
		if (gen & 1)
			continue;

		memset(last, 0, sizeof(*last));
		last->generation = gen;
		last->num_entries = irqhint_get_hdr16(vdev, num_entries);
		last->max_entries = irqhint_get_hdr16(vdev, max_entries);
		last->entry_size = irqhint_get_hdr16(vdev, entry_size);
		last->max_vcpus = irqhint_get_hdr16(vdev, max_vcpus);

		/* Only a layout we know can be parsed at all. */
		if (last->entry_size != sizeof(struct virtio_irqhint_entry))
			n = 0;
		else
			n = min_t(unsigned int, ih->capacity,
				  min(last->num_entries, last->max_entries));

		for (i = 0; i < n; i++)
			irqhint_read_entry(vdev, i, &ih->rbuf[i]);
		last->nread = n;

		if (irqhint_get_hdr32(vdev, generation) == gen &&
		    irqhint_transport_gen(vdev) == tgen)
			return 0;
	}
	return -EAGAIN;
}

static void irqhint_decode(struct irqhint_res *r,
			   const struct virtio_irqhint_entry *e)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->segment = le16_to_cpu(e->segment);
	r->bus = e->bus;
	r->devfn = e->devfn;
	r->index = le16_to_cpu(e->index);
	r->type = e->type;
	r->reason = e->reason;
	r->flags = le16_to_cpu(e->flags);
	r->nr_vcpus = e->nr_vcpus;
	for (i = 0; i < VIRTIO_IRQHINT_MAX_VCPUS; i++) {
		r->apic_id[i] = le32_to_cpu(e->apic_id[i]);
		r->cpu[i] = -1;
	}
	r->irq = -1;
}

/*
 * The Linux IRQ of vector @index of @pdev, or a skip status.  Only a vector
 * that the device's driver allocated counts: pci_irq_vector() returns the
 * INTx line for index 0 when neither MSI nor MSI-X is enabled, so the
 * enable bit of the hinted type is checked first.  For MSI-X each index
 * has its own descriptor; for MSI, pci_irq_vector() bounds the index by
 * the vectors in use (nvec_used).
 */
static enum irqhint_status irqhint_vector(struct pci_dev *pdev, u8 type,
					  u16 index, int *irq)
{
	bool enabled;
	int nvec, ret;

	switch (type) {
	case VIRTIO_IRQHINT_TYPE_MSIX:
		nvec = pci_msix_vec_count(pdev);
		enabled = pdev->msix_enabled;
		break;
	case VIRTIO_IRQHINT_TYPE_MSI:
		nvec = pci_msi_vec_count(pdev);
		enabled = pdev->msi_enabled;
		break;
	default:
		return IRQHINT_SKIP_TYPE;
	}
	if (nvec <= 0 || index >= nvec)
		return IRQHINT_SKIP_INDEX;
	if (!enabled)
		return IRQHINT_SKIP_VECTOR;

	ret = pci_irq_vector(pdev, index);
	if (ret <= 0)
		return IRQHINT_SKIP_VECTOR;
	*irq = ret;
	return IRQHINT_APPLIED;
}

/* Checks that need neither a device nor the CPU map; then the device. */
static enum irqhint_status irqhint_resolve_source(struct irqhint_res *r,
						  u16 max_vcpus)
{
	struct pci_dev *pdev;
	enum irqhint_status st;

	if (r->type != VIRTIO_IRQHINT_TYPE_MSI &&
	    r->type != VIRTIO_IRQHINT_TYPE_MSIX)
		return IRQHINT_SKIP_TYPE;
	if (r->reason > VIRTIO_IRQHINT_REASON_MAX)
		return IRQHINT_SKIP_REASON;
	if (r->nr_vcpus > min_t(u16, max_vcpus, VIRTIO_IRQHINT_MAX_VCPUS))
		return IRQHINT_SKIP_NR_VCPUS;
	if (!r->nr_vcpus)
		return IRQHINT_SKIP_EMPTY;

	pdev = pci_get_domain_bus_and_slot(r->segment, r->bus, r->devfn);
	if (!pdev)
		return IRQHINT_SKIP_DEVICE;

	st = irqhint_vector(pdev, r->type, r->index, &r->irq);
	if (st != IRQHINT_APPLIED) {
		r->irq = -1;
		pci_dev_put(pdev);
		return st;
	}
	r->pdev = pdev;
	return IRQHINT_APPLIED;
}

/*
 * Online CPU whose APIC ID is @apic_id, or -1.  Called under
 * cpus_read_lock() so that the CPU stays online until the affinity is set.
 */
static int irqhint_apic_to_cpu(u32 apic_id)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		if (cpu >= nr_cpu_ids)
			break;
		if (cpu_physical_id(cpu) == apic_id)
			return cpu;
	}
	return -1;
}

/*
 * The affinity last requested for @d.  Where an IRQ cannot be moved in
 * process context (x86 MSI without interrupt remapping), a new affinity
 * waits in the descriptor's pending mask for the next interrupt, and the
 * affinity mask still shows the old one.
 */
static void irqhint_requested_mask(struct irq_data *d, struct cpumask *dst)
{
	struct irq_desc *desc = irq_data_to_desc(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&desc->lock, flags);
#ifdef CONFIG_GENERIC_PENDING_IRQ
	if (irqd_is_setaffinity_pending(d))
		cpumask_copy(dst, desc->pending_mask);
	else
#endif
		cpumask_copy(dst, irq_data_get_affinity_mask(d));
	raw_spin_unlock_irqrestore(&desc->lock, flags);
}

/* Remember @irq's affinity before the first change; 0 or -errno. */
static int irqhint_save(struct irqhint *ih, struct irqhint_res *r,
			struct irq_data *d)
{
	struct irqhint_saved *s = xa_load(&ih->saved, r->irq);
	int ret;

	if (s) {
		if (s->pdev == r->pdev && s->type == r->type &&
		    s->index == r->index)
			return 0;
		/* The IRQ number was reused by another source: start over. */
		pci_dev_put(s->pdev);
	} else {
		s = kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			return -ENOMEM;
		if (!alloc_cpumask_var(&s->orig, GFP_KERNEL)) {
			kfree(s);
			return -ENOMEM;
		}
		ret = xa_err(xa_store(&ih->saved, r->irq, s, GFP_KERNEL));
		if (ret) {
			free_cpumask_var(s->orig);
			kfree(s);
			return ret;
		}
	}
	s->pdev = pci_dev_get(r->pdev);
	s->type = r->type;
	s->index = r->index;
	s->irq = r->irq;
	irqhint_requested_mask(d, s->orig);
	return 0;
}

/* Map the hinted APIC IDs and apply.  Called with cpus_read_lock held. */
static enum irqhint_status irqhint_apply(struct irqhint *ih,
					 struct irqhint_res *r, bool observe)
{
	struct irq_data *d;
	unsigned int i;
	int cpu;

	cpumask_clear(ih->mask);
	for (i = 0; i < r->nr_vcpus; i++) {
		cpu = irqhint_apic_to_cpu(r->apic_id[i]);
		if (cpu < 0)
			return IRQHINT_SKIP_CPU;
		r->cpu[i] = cpu;
		cpumask_set_cpu(cpu, ih->mask);
	}

	d = irq_get_irq_data(r->irq);
	if (!d)
		return IRQHINT_SKIP_VECTOR;
	if (irqd_affinity_is_managed(d))
		return IRQHINT_SKIP_MANAGED;
	if (observe)
		return IRQHINT_OBSERVED;

	irqhint_requested_mask(d, ih->cur);
	if (cpumask_equal(ih->cur, ih->mask))
		return IRQHINT_APPLIED;

	r->err = irqhint_save(ih, r, d);
	if (r->err)
		return IRQHINT_SKIP_FAILED;
	r->err = irq_set_affinity(r->irq, ih->mask);
	if (r->err)
		return IRQHINT_SKIP_FAILED;
	return IRQHINT_APPLIED;
}

static void irqhint_log_skip(struct irqhint *ih, unsigned int i,
			     const struct irqhint_res *r)
{
	struct device *dev = &ih->vdev->dev;
	char src[32];	/* "ssss:bb:dd.f unknown iiiii" */

	if (r->status == IRQHINT_APPLIED || r->status == IRQHINT_OBSERVED)
		return;
	snprintf(src, sizeof(src), "%04x:%02x:%02x.%u %s %u", r->segment,
		 r->bus, PCI_SLOT(r->devfn), PCI_FUNC(r->devfn),
		 irqhint_type_name(r->type), r->index);

	switch (r->status) {
	case IRQHINT_SKIP_EMPTY:
		dev_dbg(dev, "irqhint: entry %u %s: no vCPU hinted\n", i, src);
		break;
	case IRQHINT_SKIP_MANAGED:
		dev_info_ratelimited(dev, "irqhint: entry %u %s: irq %d is managed, not forced\n",
				     i, src, r->irq);
		break;
	case IRQHINT_SKIP_FAILED:
		dev_warn_ratelimited(dev, "irqhint: entry %u %s: skipped: failed to set irq %d affinity: %d\n",
				     i, src, r->irq, r->err);
		break;
	default:
		dev_warn_ratelimited(dev, "irqhint: entry %u %s: skipped: %s\n",
				     i, src, irqhint_status_name[r->status]);
		break;
	}
}

/* Read the table and act on it.  Called with ih->lock held. */
static void irqhint_update(struct irqhint *ih)
{
	struct device *dev = &ih->vdev->dev;
	struct irqhint_last last;
	bool observe = READ_ONCE(observe_only);
	unsigned int i, skipped;

	lockdep_assert_held(&ih->lock);

	if (irqhint_read_table(ih, &last)) {
		ih->unsettled++;
		dev_warn_ratelimited(dev, "irqhint: table unsettled after %u reads, keeping generation %u\n",
				     IRQHINT_READ_TRIES, ih->last.generation);
		return;
	}

	if (last.entry_size != sizeof(struct virtio_irqhint_entry))
		dev_warn_ratelimited(dev, "irqhint: entry_size %u, expected %zu: table ignored\n",
				     last.entry_size,
				     sizeof(struct virtio_irqhint_entry));
	else if (last.nread < last.num_entries)
		dev_warn_ratelimited(dev, "irqhint: %u entries, read %u (max_entries %u, capacity %u)\n",
				     last.num_entries, last.nread,
				     last.max_entries, ih->capacity);

	/* Phase 1: decode and find device and IRQ (may sleep, no hotplug lock). */
	for (i = 0; i < last.nread; i++) {
		struct irqhint_res *r = &ih->res[i];

		irqhint_decode(r, &ih->rbuf[i]);
		r->status = irqhint_resolve_source(r, last.max_vcpus);
	}

	/* Phase 2: map APIC IDs to CPUs and apply, CPU set held stable. */
	cpus_read_lock();
	for (i = 0; i < last.nread; i++) {
		struct irqhint_res *r = &ih->res[i];

		if (r->status == IRQHINT_APPLIED)
			r->status = irqhint_apply(ih, r, observe);
	}
	cpus_read_unlock();

	for (i = 0; i < last.nread; i++) {
		struct irqhint_res *r = &ih->res[i];

		if (r->pdev) {
			pci_dev_put(r->pdev);
			r->pdev = NULL;
		}
		last.count[r->status]++;
		irqhint_log_skip(ih, i, r);
	}
	last.count[IRQHINT_SKIP_TABLE] += last.num_entries - last.nread;

	skipped = 0;
	for (i = 0; i < IRQHINT_NR_STATUS; i++) {
		ih->total[i] += last.count[i];
		if (i >= IRQHINT_FIRST_SKIP)
			skipped += last.count[i];
	}
	ih->last = last;
	ih->have_table = true;
	ih->updates++;

	dev_info(dev, "irqhint: gen %u entries %u applied %u skipped %u observed %u\n",
		 last.generation, last.num_entries,
		 last.count[IRQHINT_APPLIED], skipped,
		 last.count[IRQHINT_OBSERVED]);

	/* Tell the device which table took effect. */
	if (virtio_has_feature(ih->vdev, VIRTIO_IRQHINT_F_APPLIED)) {
		__le32 gen = cpu_to_le32(last.generation);

		ih->vdev->config->set(ih->vdev,
				      offsetof(struct virtio_irqhint_config,
					       applied),
				      &gen, sizeof(gen));
	}
}

static void irqhint_update_work(struct work_struct *work)
{
	struct irqhint *ih = container_of(work, struct irqhint, update_work);

	mutex_lock(&ih->lock);
	irqhint_update(ih);
	mutex_unlock(&ih->lock);
}

static void irqhint_config_changed(struct virtio_device *vdev)
{
	struct irqhint *ih = vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&ih->stop_lock, flags);
	if (!ih->stop_update)
		queue_work(irqhint_wq, &ih->update_work);
	spin_unlock_irqrestore(&ih->stop_lock, flags);
}

/* Put back every affinity this driver changed, if the IRQ is still ours. */
static void irqhint_restore(struct irqhint *ih)
{
	struct irqhint_saved *s;
	struct irq_data *d;
	unsigned long idx;
	int irq, ret;

	xa_for_each(&ih->saved, idx, s) {
		irq = -1;
		if (irqhint_vector(s->pdev, s->type, s->index, &irq) ==
		    IRQHINT_APPLIED && irq == s->irq) {
			d = irq_get_irq_data(irq);
			if (d && !irqd_affinity_is_managed(d)) {
				ret = irq_set_affinity(irq, s->orig);
				if (ret)
					dev_warn(&ih->vdev->dev,
						 "irqhint: restoring irq %d: %d\n",
						 irq, ret);
			}
		}
		xa_erase(&ih->saved, idx);
		pci_dev_put(s->pdev);
		free_cpumask_var(s->orig);
		kfree(s);
	}
	xa_destroy(&ih->saved);
}

static int irqhint_stats_show(struct seq_file *m, void *v)
{
	struct irqhint *ih = m->private;
	const struct irqhint_last *l = &ih->last;
	unsigned int i, skipped = 0;

	mutex_lock(&ih->lock);
	for (i = IRQHINT_FIRST_SKIP; i < IRQHINT_NR_STATUS; i++)
		skipped += l->count[i];

	/* The last table read ... */
	seq_printf(m, "generation %u\n", l->generation);
	seq_printf(m, "entries %u\n", l->num_entries);
	seq_printf(m, "max_entries %u\n", l->max_entries);
	seq_printf(m, "entry_size %u\n", l->entry_size);
	seq_printf(m, "max_vcpus %u\n", l->max_vcpus);
	seq_printf(m, "capacity %u\n", ih->capacity);
	seq_printf(m, "read %u\n", l->nread);
	seq_printf(m, "applied %u\n", l->count[IRQHINT_APPLIED]);
	seq_printf(m, "observed %u\n", l->count[IRQHINT_OBSERVED]);
	seq_printf(m, "skipped %u\n", skipped);
	for (i = IRQHINT_FIRST_SKIP; i < IRQHINT_NR_STATUS; i++)
		seq_printf(m, "skipped_%s %u\n", irqhint_status_name[i],
			   l->count[i]);

	/* ... and since probe. */
	seq_printf(m, "updates %llu\n", ih->updates);
	seq_printf(m, "unsettled %llu\n", ih->unsettled);
	for (i = 0; i < IRQHINT_NR_STATUS; i++)
		seq_printf(m, "total_%s %llu\n", irqhint_status_name[i],
			   ih->total[i]);
	seq_printf(m, "observe_only %d\n", READ_ONCE(observe_only));
	mutex_unlock(&ih->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(irqhint_stats);

static int irqhint_table_show(struct seq_file *m, void *v)
{
	struct irqhint *ih = m->private;
	const struct irqhint_last *l = &ih->last;
	unsigned int i, j;

	mutex_lock(&ih->lock);
	seq_printf(m, "# generation %u entries %u read %u\n",
		   l->generation, l->num_entries, l->nread);
	for (i = 0; ih->have_table && i < l->nread; i++) {
		const struct irqhint_res *r = &ih->res[i];
		unsigned int n = min_t(unsigned int, r->nr_vcpus,
				       VIRTIO_IRQHINT_MAX_VCPUS);

		seq_printf(m, "%u bdf=%04x:%02x:%02x.%u type=%s index=%u",
			   i, r->segment, r->bus, PCI_SLOT(r->devfn),
			   PCI_FUNC(r->devfn), irqhint_type_name(r->type),
			   r->index);
		if (r->irq >= 0)
			seq_printf(m, " irq=%d", r->irq);
		else
			seq_puts(m, " irq=-");

		seq_puts(m, " apic=");
		for (j = 0; j < n; j++)
			seq_printf(m, "%s%u", j ? "," : "", r->apic_id[j]);
		if (!n)
			seq_puts(m, "-");

		seq_puts(m, " cpus=");
		for (j = 0; j < n && r->cpu[j] >= 0; j++)
			seq_printf(m, "%s%d", j ? "," : "", r->cpu[j]);
		if (!n || r->cpu[0] < 0)
			seq_puts(m, "-");

		if (r->reason <= VIRTIO_IRQHINT_REASON_MAX)
			seq_printf(m, " reason=%s",
				   irqhint_reason_name[r->reason]);
		else
			seq_printf(m, " reason=%u", r->reason);
		seq_printf(m, " flags=%#x nr_vcpus=%u", r->flags, r->nr_vcpus);

		if (r->status < IRQHINT_FIRST_SKIP)
			seq_printf(m, " status=%s\n",
				   irqhint_status_name[r->status]);
		else
			seq_printf(m, " status=skipped:%s\n",
				   irqhint_status_name[r->status]);
	}
	mutex_unlock(&ih->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(irqhint_table);

static int irqhint_probe(struct virtio_device *vdev)
{
	struct irqhint *ih;
	unsigned int window;
	int err;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -ENODEV;

	ih = kzalloc(sizeof(*ih), GFP_KERNEL);
	if (!ih)
		return -ENOMEM;
	ih->vdev = vdev;
	vdev->priv = ih;
	spin_lock_init(&ih->stop_lock);
	INIT_WORK(&ih->update_work, irqhint_update_work);
	mutex_init(&ih->lock);
	xa_init(&ih->saved);

	window = irqhint_config_window(vdev);
	if (window < VIRTIO_IRQHINT_TABLE_OFFSET) {
		dev_err(&vdev->dev, "irqhint: config window %u bytes, need %zu\n",
			window, VIRTIO_IRQHINT_TABLE_OFFSET);
		err = -ENODEV;
		goto err_free;
	}
	ih->capacity = min_t(unsigned int, VIRTIO_IRQHINT_MAX_ENTRIES,
			     (window - VIRTIO_IRQHINT_TABLE_OFFSET) /
			     sizeof(struct virtio_irqhint_entry));

	err = -ENOMEM;
	ih->rbuf = kcalloc(VIRTIO_IRQHINT_MAX_ENTRIES, sizeof(*ih->rbuf),
			   GFP_KERNEL);
	if (!ih->rbuf)
		goto err_free;
	ih->res = kcalloc(VIRTIO_IRQHINT_MAX_ENTRIES, sizeof(*ih->res),
			  GFP_KERNEL);
	if (!ih->res)
		goto err_free_rbuf;
	if (!zalloc_cpumask_var(&ih->mask, GFP_KERNEL))
		goto err_free_res;
	if (!zalloc_cpumask_var(&ih->cur, GFP_KERNEL))
		goto err_free_mask;

	/* No virtqueues, but this sets up the config-change interrupt. */
	err = irqhint_compat_find_no_vqs(vdev);
	if (err)
		goto err_free_cur;

	ih->debugfs = debugfs_create_dir(dev_name(&vdev->dev),
					 irqhint_debugfs_root);
	debugfs_create_file("table", 0444, ih->debugfs, ih,
			    &irqhint_table_fops);
	debugfs_create_file("stats", 0444, ih->debugfs, ih,
			    &irqhint_stats_fops);

	virtio_device_ready(vdev);

	mutex_lock(&ih->lock);
	irqhint_update(ih);
	mutex_unlock(&ih->lock);
	return 0;

err_free_cur:
	free_cpumask_var(ih->cur);
err_free_mask:
	free_cpumask_var(ih->mask);
err_free_res:
	kfree(ih->res);
err_free_rbuf:
	kfree(ih->rbuf);
err_free:
	xa_destroy(&ih->saved);
	kfree(ih);
	vdev->priv = NULL;
	return err;
}

static void irqhint_remove(struct virtio_device *vdev)
{
	struct irqhint *ih = vdev->priv;

	spin_lock_irq(&ih->stop_lock);
	ih->stop_update = true;
	spin_unlock_irq(&ih->stop_lock);
	cancel_work_sync(&ih->update_work);

	debugfs_remove(ih->debugfs);

	mutex_lock(&ih->lock);
	irqhint_restore(ih);
	mutex_unlock(&ih->lock);

	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);

	free_cpumask_var(ih->cur);
	free_cpumask_var(ih->mask);
	kfree(ih->res);
	kfree(ih->rbuf);
	mutex_destroy(&ih->lock);
	kfree(ih);
}

static const unsigned int irqhint_features[] = {
	VIRTIO_IRQHINT_F_NEAREST,
	VIRTIO_IRQHINT_F_APPLIED,
};

static const struct virtio_device_id irqhint_id_table[] = {
	{ VIRTIO_ID_IRQHINT, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, irqhint_id_table);

static struct virtio_driver irqhint_driver = {
	.driver.name		= "virtio_irqhint",
	.driver.owner		= THIS_MODULE,
	.id_table		= irqhint_id_table,
	.feature_table		= irqhint_features,
	.feature_table_size	= ARRAY_SIZE(irqhint_features),
	.probe			= irqhint_probe,
	.remove			= irqhint_remove,
	.config_changed		= irqhint_config_changed,
};

static int __init irqhint_init(void)
{
	int err;

	/*
	 * High priority: a new table should take effect within milliseconds
	 * even on a vCPU busy with user work.  Freezable: no affinity changes
	 * while the system suspends.
	 */
	irqhint_wq = alloc_workqueue("irqhint", WQ_HIGHPRI | WQ_FREEZABLE, 0);
	if (!irqhint_wq)
		return -ENOMEM;
	irqhint_debugfs_root = debugfs_create_dir("virtio-irqhint", NULL);
	err = register_virtio_driver(&irqhint_driver);
	if (err) {
		debugfs_remove(irqhint_debugfs_root);
		destroy_workqueue(irqhint_wq);
	}
	return err;
}

static void __exit irqhint_exit(void)
{
	unregister_virtio_driver(&irqhint_driver);
	debugfs_remove(irqhint_debugfs_root);
	destroy_workqueue(irqhint_wq);
}

module_init(irqhint_init);
module_exit(irqhint_exit);

MODULE_DESCRIPTION("virtio-irqhint: interrupt placement hints from the VMM");
MODULE_LICENSE("GPL");
