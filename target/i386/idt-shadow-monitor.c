/*
 * IDT shadowing: QMP query-idt-shadow, HMP info idt-shadow
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-idt-shadow-target.h"

IdtShadowCpuList *qmp_query_idt_shadow(Error **errp)
{
    IdtShadowCpuList *head = NULL, **tail = &head;
    CPUState *cs;

    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);
        IdtShadowCpu *c = g_new0(IdtShadowCpu, 1);
        uint8List **pend = &c->pending;

        c->cpu_index = cs->cpu_index;
        c->enabled = cpu->idt_shadow;
        c->active = cpu->env.idts_active;
        c->held = cpu->env.idts_held;
        for (int v = IDTS_TABLE_ENTRIES - 1; v >= 0; v--) {
            if (cpu->env.idts_pending[v / 32] & (1u << (v % 32))) {
                QAPI_LIST_APPEND(pend, v);
            }
        }
        c->direct = cpu->env.idts_direct;
        c->exits = cpu->env.idts_exits;
        c->errors = cpu->env.idts_errors;
        QAPI_LIST_APPEND(tail, c);
    }
    return head;
}

void hmp_info_idt_shadow(Monitor *mon, const QDict *qdict)
{
    g_autoptr(IdtShadowCpuList) list = qmp_query_idt_shadow(NULL);
    IdtShadowCpuList *l;

    for (l = list; l; l = l->next) {
        IdtShadowCpu *c = l->value;
        uint8List *p;

        monitor_printf(mon, "CPU %" PRId64 ": %s%s, %" PRId64 " direct, %"
                       PRId64 " exits, %" PRId64 " bad tables, %" PRId64
                       " held, pending:",
                       c->cpu_index, c->enabled ? "enabled" : "disabled",
                       c->active ? " (active)" : "", c->direct, c->exits,
                       c->errors, c->held);
        for (p = c->pending; p; p = p->next) {
            monitor_printf(mon, " 0x%02x", p->value);
        }
        monitor_printf(mon, "%s\n", c->pending ? "" : " none");
    }
}
