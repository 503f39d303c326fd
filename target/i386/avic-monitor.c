/*
 * AVIC for nested SVM (TCG): QMP query-avic, HMP info avic
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-avic-target.h"

/* The exit code a counter index of x86_svm_exit_code_index() stands for */
static int64_t avic_exit_code(unsigned i)
{
    if (i < 0x100) {
        return i;
    }
    if (i < 0x110) {
        return 0x400 + (i - 0x100);
    }
    return i == 0x110 ? -1 : 4096;
}

AvicCpuList *qmp_query_avic(Error **errp)
{
    AvicCpuList *head = NULL, **tail = &head;
    CPUState *cs;

    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);
        const X86SvmStats *s = &cpu->avic_stats;
        AvicCpu *c = g_new0(AvicCpu, 1);
        SvmExitCountList **codes = &c->vmexit_codes;

        c->cpu_index = cs->cpu_index;
        c->enabled = !!(cpu->env.features[FEAT_SVM] & CPUID_SVM_AVIC);
        c->active = cpu->env.avic_active;
        c->vmruns = s->vmruns;
        c->avic_vmruns = s->avic_vmruns;
        c->vmexits = s->vmexits;
        for (unsigned i = 0; i < X86_SVM_EXIT_CODES; i++) {
            if (s->exit_codes[i]) {
                SvmExitCount *e = g_new0(SvmExitCount, 1);

                e->code = avic_exit_code(i);
                e->count = s->exit_codes[i];
                QAPI_LIST_APPEND(codes, e);
            }
        }
        c->deliveries = s->deliveries;
        c->ipis = s->ipis;
        c->doorbells = qatomic_read(&s->doorbells);
        c->incomplete_ipi = s->incomplete_ipi;
        c->noaccel = s->noaccel;
        c->errors = s->errors;
        QAPI_LIST_APPEND(tail, c);
    }
    return head;
}

void hmp_info_avic(Monitor *mon, const QDict *qdict)
{
    g_autoptr(AvicCpuList) list = qmp_query_avic(NULL);
    AvicCpuList *l;

    for (l = list; l; l = l->next) {
        AvicCpu *c = l->value;
        SvmExitCountList *e;

        monitor_printf(mon, "CPU %" PRId64 ": AVIC %s%s; %" PRIu64 " VMRUNs ("
                       "%" PRIu64 " with AVIC, %" PRIu64 " refused), %"
                       PRIu64 " delivered, %" PRIu64 " IPIs, %" PRIu64
                       " doorbells, %" PRIu64 " incomplete IPI, %" PRIu64
                       " noaccel; %" PRIu64 " #VMEXITs:",
                       c->cpu_index, c->enabled ? "enabled" : "disabled",
                       c->active ? " (active)" : "", c->vmruns,
                       c->avic_vmruns, c->errors, c->deliveries, c->ipis,
                       c->doorbells, c->incomplete_ipi, c->noaccel,
                       c->vmexits);
        for (e = c->vmexit_codes; e; e = e->next) {
            monitor_printf(mon, " 0x%" PRIx64 "=%" PRIu64,
                           (uint64_t)e->value->code, e->value->count);
        }
        monitor_printf(mon, "\n");
    }
}
