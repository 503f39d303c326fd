/*
 * The tiny L1 hypervisor of the irqhint SVM test kernels.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include "hv.h"

struct guest guest_a, guest_b;
volatile u32 l1_count[256];
volatile u32 l1_eois;
volatile u32 l1_irqs;
bool (*l1_hook)(struct frame *f);
struct route routes[256];
u32 failures;

extern struct dtr gdt_desc;
extern void guest_entry(void);
extern struct idt_gate l1_idt[256];

static void seg(void *vmcb, u32 off, u16 sel, u16 attr)
{
    vmcb_w16(vmcb, off + SEG_SEL, sel);
    vmcb_w16(vmcb, off + SEG_ATTR, attr);
    vmcb_w32(vmcb, off + SEG_LIMIT, sel ? 0xffffffff : 0);
    vmcb_w64(vmcb, off + SEG_BASE, 0);
}

/*
 * A fresh L2 guest: 32-bit flat protected mode, L1's GDT, its own IDT and
 * stack, entering guest_entry with EAX = g.  Intercepts: VMRUN (required),
 * VMMCALL, HLT, INTR, SHUTDOWN; V_INTR_MASKING.
 */
void guest_init(struct guest *g, const char *name, enum guest_mode mode)
{
    void *v = g->vmcb;
    u8 *p = (u8 *)&g->mode;

    /* Reset the shared part and the L1 bookkeeping (not the pages). */
    memset(p, 0, (u8 *)(g + 1) - p);
    g->name = name;
    g->mode = mode;
    g->lat_min = 0xffffffff;
    memset(&g->gprs, 0, sizeof(g->gprs));
    memset(g->table, 0, sizeof(g->table));
    idt_fill(g->idt);

    memset(v, 0, 4096);
    vmcb_w64(v, VMCB_INTERCEPT,
             INTERCEPT_BIT(SVM_EXIT_INTR) | INTERCEPT_BIT(SVM_EXIT_HLT) |
             INTERCEPT_BIT(SVM_EXIT_SHUTDOWN) | INTERCEPT_BIT(SVM_EXIT_VMRUN) |
             INTERCEPT_BIT(SVM_EXIT_VMMCALL));
    vmcb_w32(v, VMCB_ASID, 1);
    vmcb_w32(v, VMCB_INT_CTL, V_INTR_MASKING);

    seg(v, VMCB_CS, KERNEL_CS, 0xc9b);
    seg(v, VMCB_SS, KERNEL_DS, 0xc93);
    seg(v, VMCB_DS, KERNEL_DS, 0xc93);
    seg(v, VMCB_ES, KERNEL_DS, 0xc93);
    seg(v, VMCB_FS, KERNEL_DS, 0xc93);
    seg(v, VMCB_GS, KERNEL_DS, 0xc93);
    vmcb_w32(v, VMCB_GDTR + SEG_LIMIT, gdt_desc.limit);
    vmcb_w64(v, VMCB_GDTR + SEG_BASE, gdt_desc.base);
    vmcb_w32(v, VMCB_IDTR + SEG_LIMIT, sizeof(g->idt) - 1);
    vmcb_w64(v, VMCB_IDTR + SEG_BASE, (u32)g->idt);
    vmcb_w8(v, VMCB_CPL, 0);
    vmcb_w64(v, VMCB_EFER, EFER_SVME);
    vmcb_w64(v, VMCB_CR0, read_cr0());
    vmcb_w64(v, VMCB_CR3, read_cr3());
    vmcb_w64(v, VMCB_CR4, read_cr4());
    vmcb_w64(v, VMCB_DR6, 0xffff0ff0);
    vmcb_w64(v, VMCB_DR7, 0x400);
    vmcb_w64(v, VMCB_RFLAGS, 0x2);          /* the guest does sti itself */
    vmcb_w64(v, VMCB_RIP, (u32)guest_entry);
    vmcb_w64(v, VMCB_RSP, (u32)(g->stack + sizeof(g->stack)));
    vmcb_w64(v, VMCB_RAX, (u32)g);
}

void guest_shadow(struct guest *g, u32 magic, u32 ctl, u64 table)
{
    vmcb_w32(g->vmcb, IDTS_VMCB_MAGIC_OFF, magic);
    vmcb_w32(g->vmcb, IDTS_VMCB_CTL_OFF, ctl);
    vmcb_w64(g->vmcb, IDTS_VMCB_TABLE_OFF, table);
}

void advance_rip(struct guest *g, u32 len)
{
    vmcb_w64(g->vmcb, VMCB_RIP, vmcb_r64(g->vmcb, VMCB_RIP) + len);
}

void queue_injection(struct guest *g, u8 vec)
{
    g->inject_pending[vec]++;
    g->pending_bits[vec >> 5] |= 1u << (vec & 31);
}

static void prepare_injection(struct guest *g)
{
    void *v = g->vmcb;
    u32 int_ctl;
    int vec = -1;

    vmcb_w32(v, VMCB_EVENT_INJ, 0);
    for (int w = 7; w >= 1; w--) {
        if (g->pending_bits[w]) {
            vec = w * 32 + 31 - __builtin_clz(g->pending_bits[w]);
            break;
        }
    }
    if (vec < 0) {
        return;
    }
    int_ctl = vmcb_r32(v, VMCB_INT_CTL);
    if (int_ctl & (1u << 8)) {
        return;                 /* a virtual interrupt is still pending */
    }
    if (--g->inject_pending[vec] == 0) {
        g->pending_bits[vec >> 5] &= ~(1u << (vec & 31));
    }
    g->injected++;
    if (vmcb_r64(v, VMCB_RFLAGS) & 0x200) {
        /* The guest can take it now. */
        vmcb_w32(v, VMCB_EVENT_INJ, EVTINJ_VALID | EVTINJ_TYPE_INTR | vec);
    } else {
        /* Deliver it when the guest sets IF: V_IRQ, ignoring V_TPR. */
        vmcb_w32(v, VMCB_INT_VECTOR, vec);
        vmcb_w32(v, VMCB_INT_CTL, int_ctl | (1u << 8) | (1u << 20));
    }
}

u64 run_guest(struct guest *g, u64 *info1)
{
    u64 code;

    prepare_injection(g);
    svm_vmrun(g->vmcb, &g->gprs);
    code = vmcb_r64(g->vmcb, VMCB_EXIT_CODE);
    g->exits++;
    if (code == SVM_EXIT_INTR) {
        g->intr_exits++;
    } else if (code == SVM_EXIT_VMMCALL) {
        g->vmmcall_exits++;
    } else if (code == SVM_EXIT_ERR) {
        g->err_exits++;
    } else {
        g->other_exits++;
    }
    if (info1) {
        *info1 = vmcb_r64(g->vmcb, VMCB_EXIT_INFO1);
    }
    return code;
}

void route_vector(u8 vec)
{
    struct route *r = &routes[vec];

    if (r->g) {
        queue_injection(r->g, r->vec);
    } else {
        printf("FAIL: L1 got vector 0x%x that no guest owns\n", vec);
        failures++;
    }
}

int handle_acked_intr(struct guest *g, u64 info1)
{
    u8 vec = info1 & 0xff;
    u32 before;

    if ((info1 & ~0xffull) != IDTS_EXITINFO_ACKED) {
        printf("FAIL: %s: INTR exit with EXITINFO1 %llx, expected ACKED (%llx) | vector\n",
               g->name, info1, IDTS_EXITINFO_ACKED);
        failures++;
        return -1;
    }
    /* Acknowledged on our behalf: in service, no longer requested. */
    if (!apic_isr(vec) || apic_irr(vec)) {
        printf("FAIL: %s: vector 0x%x reported acked but ISR=%u IRR=%u\n",
               g->name, vec, apic_isr(vec), apic_irr(vec));
        failures++;
    }
    apic_eoi();
    l1_eois++;
    /* No extra acknowledge: nothing of that vector is left for L1. */
    before = l1_count[vec];
    irq_window();
    if (l1_count[vec] != before) {
        printf("FAIL: %s: vector 0x%x was delivered to L1 again after the acked exit\n",
               g->name, vec);
        failures++;
    }
    route_vector(vec);
    return vec;
}

int handle_classic_intr(struct guest *g, u64 info1)
{
    u32 before = l1_irqs;

    if (info1 != 0) {
        printf("FAIL: %s: classic INTR exit with EXITINFO1 %llx, expected 0\n",
               g->name, info1);
        failures++;
    }
    /* The interrupt is still pending: take it through L1's IDT. */
    irq_window();
    if (l1_irqs == before) {
        printf("FAIL: %s: classic INTR exit but no interrupt pending for L1\n", g->name);
        failures++;
        return -1;
    }
    return 0;
}

/* L1's own interrupts: count, EOI, route to the owning guest. */
static void l1_isr(struct frame *f)
{
    u32 v = f->vector;

    if (l1_hook && l1_hook(f)) {
        return;
    }
    l1_count[v]++;
    if (v < 32 && v != 2) {
        printf("FAIL: L1 exception %u error %x at eip %x\n", v, f->error, f->eip);
        printf("IDTS-RESULT: FAIL unexpected exception in L1\n");
        exit_qemu(0x11);
    }
    if (v >= 32 && v != 0xff) {
        l1_irqs++;
        if (apic_isr(v)) {
            apic_eoi();
            l1_eois++;
        }
        route_vector(v);
    }
}

void isr_dispatch(struct frame *f)
{
    struct dtr d;

    sidt(&d);
    if (d.base == (u32)guest_a.idt) {
        guest_isr(&guest_a, f);
    } else if (d.base == (u32)guest_b.idt) {
        guest_isr(&guest_b, f);
    } else {
        l1_isr(f);
    }
}

bool check_(bool ok, const char *expr, const char *fmt, ...)
{
    va_list ap;
    (void)expr;

    if (!ok) {
        failures++;
    }
    puts(ok ? "  ok   " : "  FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putc('\n');
    return ok;
}

const char *exit_name(u64 code)
{
    switch (code) {
    case SVM_EXIT_INTR: return "INTR";
    case SVM_EXIT_NMI: return "NMI";
    case SVM_EXIT_HLT: return "HLT";
    case SVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case SVM_EXIT_VMRUN: return "VMRUN";
    case SVM_EXIT_VMMCALL: return "VMMCALL";
    case SVM_EXIT_ERR: return "ERR";
    case SVM_EXIT_EXCP_BASE + 6: return "EXCP#UD";
    default: return "other";
    }
}
