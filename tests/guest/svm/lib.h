/*
 * Minimal freestanding library for the irqhint L1 test kernels.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_LIB_H
#define SVM_TEST_LIB_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline u64 rdtsc(void)
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((u64)hi << 32) | lo;
}
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void pause(void) { asm volatile("pause" ::: "memory"); }
static inline void barrier(void) { asm volatile("" ::: "memory"); }
/* Open an interrupt window in L1: pending interrupts are taken here. */
static inline void irq_window(void) { asm volatile("sti; nop; nop; cli" ::: "memory"); }
static inline void vmmcall(void) { asm volatile("vmmcall" ::: "memory"); }
static inline u32 read_cr0(void) { u32 v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 read_cr3(void) { u32 v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 read_cr4(void) { u32 v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

struct dtr { u16 limit; u32 base; } __attribute__((packed));
static inline void sidt(struct dtr *d) { asm volatile("sidt %0" : "=m"(*d)); }
static inline void lidt(const struct dtr *d) { asm volatile("lidt %0" :: "m"(*d)); }
static inline void sgdt(struct dtr *d) { asm volatile("sgdt %0" : "=m"(*d)); }

void *memset(void *p, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, u32 n);

/* COM1 */
void serial_init(void);
void putc(char c);
void puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, __builtin_va_list ap);
void exit_qemu(u32 code) __attribute__((noreturn));

/* xAPIC (MMIO at 0xfee00000; flat memory, no paging) */
#define APIC_BASE       0xfee00000u
#define APIC_ID         0x020
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ISR        0x100
#define APIC_IRR        0x200
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0
#define APIC_LVT_MASKED (1u << 16)
#define ICR_SELF        (1u << 18)
#define ICR_DM_NMI      (4u << 8)
#define ICR_ASSERT      (1u << 14)

static inline u32 apic_read(u32 reg) { return *(volatile u32 *)(APIC_BASE + reg); }
static inline void apic_write(u32 reg, u32 v) { *(volatile u32 *)(APIC_BASE + reg) = v; }
static inline void apic_eoi(void) { apic_write(APIC_EOI, 0); }
static inline bool apic_isr(u8 vec) { return (apic_read(APIC_ISR + 0x10 * (vec >> 5)) >> (vec & 31)) & 1; }
static inline bool apic_irr(u8 vec) { return (apic_read(APIC_IRR + 0x10 * (vec >> 5)) >> (vec & 31)) & 1; }
/* Fixed-mode self-IPI: our "assigned device" raising vector vec. */
static inline void apic_self_ipi(u8 vec) { apic_write(APIC_ICR_LO, ICR_SELF | ICR_ASSERT | vec); }
void apic_init(void);
/* One-shot LAPIC timer interrupt at vector vec after about ns ns. */
void apic_timer_oneshot(u8 vec, u32 ns);

/* IDTs: 256 gates; every vector enters isr_stub_table[v] (boot.S). */
struct idt_gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
extern u32 isr_stub_table[256];
void idt_fill(struct idt_gate *idt);

/* Interrupt frame built by boot.S's common entry. */
struct frame {
    u32 tsc_lo, tsc_hi;                            /* rdtsc at entry */
    u32 edi, esi, ebp, esp_, ebx, edx, ecx, eax;   /* pusha */
    u32 vector, error;
    u32 eip, cs, eflags;
};
/* Called by boot.S for every interrupt/exception, in whatever context
 * (L1 or an L2 guest) took it. */
void isr_dispatch(struct frame *f);

#endif
