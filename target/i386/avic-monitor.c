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
#include "exec/address-spaces.h"
#include "exec/memory.h"

/* Backing page registers shown by "info avic" (APM vol. 2, AVIC) */
#define AVIC_MON_TPR    0x080
#define AVIC_MON_PPR    0x0a0
#define AVIC_MON_ISR    0x100
#define AVIC_MON_IRR    0x200

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

/* The vectors set in a 256-bit register of the backing page @page. */
static void avic_mon_vectors(Monitor *mon, const char *name,
                             const uint8_t *page, unsigned reg)
{
    monitor_printf(mon, " %s", name);
    for (int v = 0; v < 256; v++) {
        uint32_t w = ldl_le_p(page + reg + (v / 32) * 16);

        if (w & (1u << (v % 32))) {
            monitor_printf(mon, " 0x%02x", v);
        }
    }
}

/*
 * What an active vCPU's backing page holds, as a snapshot taken while the
 * vCPU runs: enough to tell a vector still pending in the IRR from one
 * delivered and not yet EOIed when a guest stalls.
 */
static void avic_mon_backing(Monitor *mon, CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    uint64_t backing = env->avic_backing;
    uint8_t page[0x400];
    MemTxResult r;

    r = address_space_read(cpu_get_address_space(cs, X86ASIdx_MEM), backing,
                           MEMTXATTRS_UNSPECIFIED, page, sizeof(page));
    if (r != MEMTX_OK) {
        monitor_printf(mon, "  backing page 0x%" PRIx64 ": unreadable\n",
                       backing);
        return;
    }
    monitor_printf(mon, "  backing page 0x%" PRIx64 ": TPR 0x%02x PPR 0x%02x",
                   backing, ldl_le_p(page + AVIC_MON_TPR) & 0xff,
                   ldl_le_p(page + AVIC_MON_PPR) & 0xff);
    avic_mon_vectors(mon, "IRR", page, AVIC_MON_IRR);
    avic_mon_vectors(mon, ";", page, AVIC_MON_ISR);
    monitor_printf(mon, " (ISR); ");
    if (env->avic_rvi >= 0) {
        monitor_printf(mon, "requests 0x%02x", env->avic_rvi);
    } else {
        monitor_printf(mon, "requests none");
    }
    monitor_printf(mon, ", IF %d, GIF %d, VGIF %d, V_INTR_MASKING %d, "
                   "host IF %d, shadow %d, halted %d, interrupt_request 0x%x, "
                   "exit request %d\n",
                   !!(env->eflags & IF_MASK),
                   !!(env->hflags2 & HF2_GIF_MASK),
                   !!(env->hflags2 & HF2_VGIF_MASK),
                   !!(env->hflags2 & HF2_VINTR_MASK),
                   !!(env->hflags2 & HF2_HIF_MASK),
                   !!(env->hflags & HF_INHIBIT_IRQ_MASK),
                   qatomic_read(&cs->halted),
                   qatomic_read(&cs->interrupt_request),
                   qatomic_read(&cs->neg.icount_decr.u16.high) ? 1 : 0);
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
        if (c->active) {
            avic_mon_backing(mon, qemu_get_cpu(c->cpu_index));
        }
    }
}
