/*
 * Notice where vCPU threads run, as they run
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_VCPU_PLACEMENT_H
#define SYSTEM_VCPU_PLACEMENT_H

#include "hw/core/cpu.h"

/*
 * Each vCPU thread compares the host CPU it runs on with the one it ran
 * on last time, at points it passes anyway (every return to QEMU's vCPU
 * loop; under KVM, every exit): a re-pin (sched_setaffinity, a cgroup
 * cpuset change, the scheduler moving it) is seen the next time the vCPU
 * runs, with no polling.  When it moved, a watcher is called in the vCPU
 * thread, without the BQL: it must be cheap and thread-safe (set a flag,
 * schedule a bottom half).  At most one watcher is installed.
 */
typedef void VcpuPlacementFunc(void *opaque, CPUState *cpu, int host_cpu);

/* Install @fn; false when another watcher is installed.  Under the BQL. */
bool vcpu_placement_watch(VcpuPlacementFunc *fn, void *opaque);
/*
 * Remove the watcher installed with @opaque; on return no vCPU thread is
 * still inside it.  Under the BQL, which is dropped while waiting.
 */
void vcpu_placement_unwatch(void *opaque);

/* The host CPU @cpu's thread last ran on, as it saw it; -1 if unknown. */
int vcpu_placement_last(CPUState *cpu);

/* The hook: called by vCPU threads (system/cpus.c, accel/kvm). */
void vcpu_placement_check(CPUState *cpu);

#endif
