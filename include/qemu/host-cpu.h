/*
 * The host CPU the calling thread runs on
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_HOST_CPU_H
#define QEMU_HOST_CPU_H

#include "qemu/atomic.h"

#ifdef CONFIG_RSEQ_CPU_ID
#include <sys/rseq.h>
#endif

/*
 * The number of the host CPU this thread runs on, or -1 when it cannot be
 * told.  Where glibc registered a restartable-sequences area for the
 * thread (CONFIG_RSEQ_CPU_ID), the kernel keeps the number up to date in
 * thread memory and this is one load instead of a system call: cheap
 * enough for paths that run for every interrupt.
 */
static inline int qemu_host_cpu(void)
{
#ifdef CONFIG_RSEQ_CPU_ID
    if (likely(__rseq_size > 0)) {
        const struct rseq *rs = (const struct rseq *)
            ((char *)__builtin_thread_pointer() + __rseq_offset);
        int cpu = (int)qatomic_read(&rs->cpu_id);

        if (likely(cpu >= 0)) {
            return cpu;
        }
    }
#endif
#ifdef CONFIG_LINUX
    return sched_getcpu();
#else
    return -1;
#endif
}

#endif
