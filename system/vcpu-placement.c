/*
 * Notice where vCPU threads run, as they run
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/host-cpu.h"
#include "qemu/rcu.h"
#include "hw/boards.h"
#include "system/vcpu-placement.h"

typedef struct VcpuPlacementWatch {
    VcpuPlacementFunc *fn;
    void *opaque;
} VcpuPlacementWatch;

static VcpuPlacementWatch *vcpu_placement_watcher;
/*
 * The host CPU each vCPU thread last saw itself on, by cpu_index.  Sized
 * for the machine's maximum vCPUs once, when the first watcher comes, and
 * kept: vCPU threads read it without a lock.
 */
static int *vcpu_placement_seen;
static unsigned vcpu_placement_nr;

bool vcpu_placement_watch(VcpuPlacementFunc *fn, void *opaque)
{
    VcpuPlacementWatch *w;

    if (qatomic_read(&vcpu_placement_watcher)) {
        return false;
    }
    if (!vcpu_placement_seen) {
        unsigned nr = MAX(current_machine->smp.max_cpus, 1);
        int *seen = g_new(int, nr);

        for (unsigned i = 0; i < nr; i++) {
            seen[i] = -1;
        }
        vcpu_placement_nr = nr;
        qatomic_store_release(&vcpu_placement_seen, seen);
    }
    w = g_new(VcpuPlacementWatch, 1);
    w->fn = fn;
    w->opaque = opaque;
    qatomic_rcu_set(&vcpu_placement_watcher, w);
    return true;
}

void vcpu_placement_unwatch(void *opaque)
{
    VcpuPlacementWatch *w = qatomic_read(&vcpu_placement_watcher);

    if (!w || w->opaque != opaque) {
        return;
    }
    qatomic_rcu_set(&vcpu_placement_watcher, NULL);
    /* Let vCPU threads inside w->fn leave it before its owner goes. */
    drain_call_rcu();
    g_free(w);
}

int vcpu_placement_last(CPUState *cpu)
{
    int *seen = qatomic_load_acquire(&vcpu_placement_seen);

    if (!seen || cpu->cpu_index < 0 || cpu->cpu_index >= vcpu_placement_nr) {
        return -1;
    }
    return qatomic_read(&seen[cpu->cpu_index]);
}

void vcpu_placement_check(CPUState *cpu)
{
    VcpuPlacementWatch *w;
    int *seen;
    int now;

    /* Nobody watching: one load and a branch. */
    if (likely(!qatomic_read(&vcpu_placement_watcher))) {
        return;
    }
    seen = qatomic_load_acquire(&vcpu_placement_seen);
    now = qemu_host_cpu();
    if (cpu->cpu_index < 0 || cpu->cpu_index >= vcpu_placement_nr ||
        now < 0 || qatomic_read(&seen[cpu->cpu_index]) == now) {
        return;
    }
    qatomic_set(&seen[cpu->cpu_index], now);
    WITH_RCU_READ_LOCK_GUARD() {
        w = qatomic_rcu_read(&vcpu_placement_watcher);
        if (w) {
            w->fn(w->opaque, cpu, now);
        }
    }
}
