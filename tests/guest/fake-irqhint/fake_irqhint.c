// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake_irqhint: a software virtio-irqhint device, for testing the guest
 * driver (guest/linux/irqhint/) without the QEMU device, and with tables
 * the real device never produces (odd or moving generations, a transport
 * generation that never settles, bad sizes, counts beyond the table,
 * garbage entries).
 *
 * It registers a virtio device (ID VIRTIO_ID_IRQHINT, no virtqueues, no
 * parent bus) whose configuration space is a 4 KiB buffer, edited through
 * /sys/kernel/debug/fake-irqhint/ctl, one command per write:
 *
 *   clear                      zero the whole config space
 *   gen N                      generation = N
 *   header NUM MAX SIZE VCPUS  num_entries, max_entries, entry_size,
 *                              max_vcpus
 *   entry I SSSS:BB:DD.F INDEX TYPE REASON FLAGS NR [APIC...]
 *                              table[I] (up to 4 APIC IDs)
 *   raw OFFSET VALUE           le32 VALUE at byte OFFSET
 *   unstable N                 the next N reads of generation each see it
 *                              advanced by 2 (a device updating under the
 *                              reader)
 *   tunstable N                the next N calls of the transport's
 *                              generation op (config->generation) each
 *                              return a new value; N = 0xffffffff: every
 *                              call, for all practical purposes (a hostile
 *                              transport that never settles)
 *   features HEX               device features for the next "add"
 *   changed                    raise a configuration change
 *   add | del                  register / unregister the device
 *
 * Without "tunstable" the transport's generation never changes, as for a
 * transport that keeps none.  Numbers take C prefixes (0x..).  A device
 * is added at load time unless autoadd=0.  Reads beyond the 4 KiB return
 * 0xff, as QEMU does beyond a device's config.  Test-only; never load it on a real system.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>

#include "standard-headers/linux/virtio_irqhint.h"
#include "irqhint_compat.h"

#define FAKE_CONFIG_SIZE	4096
#define FAKE_CMD_MAX		256

static bool autoadd = true;
module_param(autoadd, bool, 0444);
MODULE_PARM_DESC(autoadd, "Register a device when the module loads");

struct fake_dev {
	struct virtio_device vdev;
	u8 status;
};

static DEFINE_MUTEX(fake_lock);		/* ctl commands, add/del */
/* fake_cfg, fake_unstable, fake_tgen, fake_tunstable */
static DEFINE_SPINLOCK(fake_cfg_lock);
static u8 fake_cfg[FAKE_CONFIG_SIZE];
static unsigned int fake_unstable;
static u32 fake_tgen;			/* the transport's generation */
static unsigned int fake_tunstable;
static u64 fake_features = BIT_ULL(VIRTIO_F_VERSION_1) |
			   BIT_ULL(VIRTIO_IRQHINT_F_NEAREST);
static struct fake_dev *fake;
static struct dentry *fake_debugfs;

static struct fake_dev *to_fake(struct virtio_device *vdev)
{
	return container_of(vdev, struct fake_dev, vdev);
}

static void fake_get(struct virtio_device *vdev, unsigned int offset,
		     void *buf, unsigned int len)
{
	unsigned long flags;
	__le32 *gen = (__le32 *)fake_cfg;

	spin_lock_irqsave(&fake_cfg_lock, flags);
	if (offset == 0 && fake_unstable) {
		fake_unstable--;
		*gen = cpu_to_le32(le32_to_cpu(*gen) + 2);
	}
	if (offset > FAKE_CONFIG_SIZE || len > FAKE_CONFIG_SIZE - offset)
		memset(buf, 0xff, len);
	else
		memcpy(buf, fake_cfg + offset, len);
	spin_unlock_irqrestore(&fake_cfg_lock, flags);
}

static u32 fake_generation(struct virtio_device *vdev)
{
	unsigned long flags;
	u32 gen;

	spin_lock_irqsave(&fake_cfg_lock, flags);
	if (fake_tunstable) {
		fake_tunstable--;
		fake_tgen++;
	}
	gen = fake_tgen;
	spin_unlock_irqrestore(&fake_cfg_lock, flags);
	return gen;
}

static void fake_set(struct virtio_device *vdev, unsigned int offset,
		     const void *buf, unsigned int len)
{
	/* The device's config space is read-only for the driver. */
}

static u8 fake_get_status(struct virtio_device *vdev)
{
	return to_fake(vdev)->status;
}

static void fake_set_status(struct virtio_device *vdev, u8 status)
{
	to_fake(vdev)->status = status;
}

static void fake_reset(struct virtio_device *vdev)
{
	to_fake(vdev)->status = 0;
}

static void fake_del_vqs(struct virtio_device *vdev)
{
}

static u64 fake_get_features(struct virtio_device *vdev)
{
	return fake_features;
}

static int fake_finalize_features(struct virtio_device *vdev)
{
	return 0;
}

static const char *fake_bus_name(struct virtio_device *vdev)
{
	return "fake-irqhint";
}

static const struct virtio_config_ops fake_config_ops = {
	.get			= fake_get,
	.set			= fake_set,
	.generation		= fake_generation,
	.get_status		= fake_get_status,
	.set_status		= fake_set_status,
	.reset			= fake_reset,
	.find_vqs		= irqhint_compat_no_vqs_op,
	.del_vqs		= fake_del_vqs,
	.get_features		= fake_get_features,
	.finalize_features	= fake_finalize_features,
	.bus_name		= fake_bus_name,
};

static void fake_release(struct device *dev)
{
	kfree(to_fake(dev_to_virtio(dev)));
}

static int fake_add(void)
{
	struct fake_dev *f;
	int err;

	if (fake)
		return -EEXIST;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->vdev.id.device = VIRTIO_ID_IRQHINT;
	f->vdev.id.vendor = 0x1af4;
	f->vdev.config = &fake_config_ops;
	f->vdev.dev.release = fake_release;
	err = register_virtio_device(&f->vdev);
	if (err) {
		put_device(&f->vdev.dev);
		return err;
	}
	fake = f;
	return 0;
}

static void fake_del(void)
{
	if (fake) {
		unregister_virtio_device(&fake->vdev);
		fake = NULL;
	}
}

static void fake_put_le(unsigned int off, u32 val, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len && off + i < FAKE_CONFIG_SIZE; i++)
		fake_cfg[off + i] = val >> (8 * i);
}

static int fake_cmd_entry(const char *args)
{
	struct virtio_irqhint_entry e = {};
	unsigned int i, seg, bus, dev, fn, index, type, reason, flags, nr;
	unsigned int apic[VIRTIO_IRQHINT_MAX_VCPUS] = {};
	unsigned long irqf;
	int n;

	n = sscanf(args, "%u %x:%x:%x.%x %i %i %i %i %i %i %i %i %i",
		   &i, &seg, &bus, &dev, &fn, &index, &type, &reason, &flags,
		   &nr, &apic[0], &apic[1], &apic[2], &apic[3]);
	if (n < 10 || VIRTIO_IRQHINT_ENTRY_OFFSET(i + 1) > FAKE_CONFIG_SIZE)
		return -EINVAL;

	e.segment = cpu_to_le16(seg);
	e.bus = bus;
	e.devfn = PCI_DEVFN(dev, fn);
	e.index = cpu_to_le16(index);
	e.type = type;
	e.reason = reason;
	e.flags = cpu_to_le16(flags);
	e.nr_vcpus = nr;
	for (n = 0; n < VIRTIO_IRQHINT_MAX_VCPUS; n++)
		e.apic_id[n] = cpu_to_le32(apic[n]);

	spin_lock_irqsave(&fake_cfg_lock, irqf);
	memcpy(fake_cfg + VIRTIO_IRQHINT_ENTRY_OFFSET(i), &e, sizeof(e));
	spin_unlock_irqrestore(&fake_cfg_lock, irqf);
	return 0;
}

static int fake_cmd(char *cmd)
{
	unsigned int a, b, c, d;
	unsigned long flags;
	char *args;
	u64 feat;

	args = strim(cmd);
	cmd = strsep(&args, " \t");
	if (!args)
		args = "";

	if (!strcmp(cmd, "add"))
		return fake_add();
	if (!strcmp(cmd, "del")) {
		fake_del();
		return 0;
	}
	if (!strcmp(cmd, "changed")) {
		if (!fake)
			return -ENODEV;
		virtio_config_changed(&fake->vdev);
		return 0;
	}
	if (!strcmp(cmd, "features")) {
		if (kstrtou64(args, 16, &feat))
			return -EINVAL;
		fake_features = feat;
		return 0;
	}
	if (!strcmp(cmd, "entry"))
		return fake_cmd_entry(args);

	spin_lock_irqsave(&fake_cfg_lock, flags);
	if (!strcmp(cmd, "clear")) {
		memset(fake_cfg, 0, sizeof(fake_cfg));
	} else if (!strcmp(cmd, "gen") && !kstrtouint(args, 0, &a)) {
		fake_put_le(0, a, 4);
	} else if (!strcmp(cmd, "header") &&
		   sscanf(args, "%i %i %i %i", &a, &b, &c, &d) == 4) {
		fake_put_le(4, a, 2);
		fake_put_le(6, b, 2);
		fake_put_le(8, c, 2);
		fake_put_le(10, d, 2);
	} else if (!strcmp(cmd, "raw") &&
		   sscanf(args, "%i %i", &a, &b) == 2 &&
		   a <= FAKE_CONFIG_SIZE - 4) {
		fake_put_le(a, b, 4);
	} else if (!strcmp(cmd, "unstable") && !kstrtouint(args, 0, &a)) {
		fake_unstable = a;
	} else if (!strcmp(cmd, "tunstable") && !kstrtouint(args, 0, &a)) {
		fake_tunstable = a;
	} else {
		spin_unlock_irqrestore(&fake_cfg_lock, flags);
		return -EINVAL;
	}
	spin_unlock_irqrestore(&fake_cfg_lock, flags);
	return 0;
}

static ssize_t fake_ctl_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[FAKE_CMD_MAX];
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&fake_lock);
	err = fake_cmd(buf);
	mutex_unlock(&fake_lock);
	if (err)
		pr_warn("command failed (%d): %s\n", err, buf);
	return err ?: count;
}

static const struct file_operations fake_ctl_fops = {
	.owner	= THIS_MODULE,
	.open	= nonseekable_open,
	.write	= fake_ctl_write,
};

static int __init fake_init(void)
{
	int err = 0;

	fake_put_le(8, sizeof(struct virtio_irqhint_entry), 2);
	fake_put_le(6, VIRTIO_IRQHINT_MAX_ENTRIES, 2);
	fake_put_le(10, VIRTIO_IRQHINT_MAX_VCPUS, 2);

	fake_debugfs = debugfs_create_dir("fake-irqhint", NULL);
	debugfs_create_file("ctl", 0200, fake_debugfs, NULL, &fake_ctl_fops);
	if (autoadd) {
		mutex_lock(&fake_lock);
		err = fake_add();
		mutex_unlock(&fake_lock);
		if (err)
			debugfs_remove(fake_debugfs);
	}
	return err;
}

static void __exit fake_exit(void)
{
	debugfs_remove(fake_debugfs);
	mutex_lock(&fake_lock);
	fake_del();
	mutex_unlock(&fake_lock);
}

module_init(fake_init);
module_exit(fake_exit);

MODULE_DESCRIPTION("Software virtio-irqhint device for testing (do not use)");
MODULE_LICENSE("GPL");
