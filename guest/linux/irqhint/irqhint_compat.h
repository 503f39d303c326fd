/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel API differences across the kernels the virtio-irqhint guest driver
 * supports: Debian 12's 6.1 and the 6.12 of bookworm-backports (tested),
 * and what lies between.  Every LINUX_VERSION_CODE test of the driver, and
 * of its test device tests/guest/fake-irqhint/, is in this file.
 */

#ifndef IRQHINT_COMPAT_H
#define IRQHINT_COMPAT_H

#include <linux/version.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "virtio-irqhint needs Linux 6.1 or later"
#endif

/*
 * Linux 6.11 replaced find_vqs()' parallel callbacks[], names[] and ctx[]
 * arrays with one array of struct virtqueue_info, in virtio_find_vqs() and
 * in the transport's find_vqs op alike.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)

/* A driver's find_vqs() for no virtqueue: sets up the config interrupt. */
static inline int irqhint_compat_find_no_vqs(struct virtio_device *vdev)
{
	return virtio_find_vqs(vdev, 0, NULL, NULL, NULL);
}

/* A transport's find_vqs op for a device that has no virtqueue. */
static inline int irqhint_compat_no_vqs_op(struct virtio_device *vdev,
					   unsigned int nvqs,
					   struct virtqueue *vqs[],
					   struct virtqueue_info vqs_info[],
					   struct irq_affinity *desc)
{
	return nvqs ? -ENOENT : 0;
}

#else

static inline int irqhint_compat_find_no_vqs(struct virtio_device *vdev)
{
	return virtio_find_vqs(vdev, 0, NULL, NULL, NULL, NULL);
}

static inline int irqhint_compat_no_vqs_op(struct virtio_device *vdev,
					   unsigned int nvqs,
					   struct virtqueue *vqs[],
					   vq_callback_t *callbacks[],
					   const char * const names[],
					   const bool *ctx,
					   struct irq_affinity *desc)
{
	return nvqs ? -ENOENT : 0;
}

#endif

#endif /* IRQHINT_COMPAT_H */
