/*
 * Minimal freestanding library for the irqhint L1 test kernels.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include "lib.h"

void *memset(void *p, int c, u32 n)
{
    u8 *d = p;
    while (n--) {
        *d++ = c;
    }
    return p;
}

void *memcpy(void *d, const void *s, u32 n)
{
    u8 *dd = d;
    const u8 *ss = s;
    while (n--) {
        *dd++ = *ss++;
    }
    return d;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++, b++;
    }
    return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, u32 n)
{
    while (n && *a && *a == *b) {
        a++, b++, n--;
    }
    return n ? (u8)*a - (u8)*b : 0;
}

#define COM1 0x3f8

void serial_init(void)
{
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);   /* 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8n1 */
    outb(COM1 + 2, 0xc7);
    outb(COM1 + 4, 0x03);
}

void putc(char c)
{
    if (c == '\n') {
        putc('\r');
    }
    while (!(inb(COM1 + 5) & 0x20)) {
    }
    outb(COM1, c);
}

void puts(const char *s)
{
    while (*s) {
        putc(*s++);
    }
}

static void put_u32(u32 v, u32 base, int width, char pad)
{
    char buf[16];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width) {
        buf[n++] = pad;
    }
    while (n) {
        putc(buf[--n]);
    }
}

/* %d %u %x %s %c %llx, with an optional zero-pad width ("%08x"). */
void vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        int width = 0, lng = 0;
        char pad = ' ';
        if (*fmt != '%') {
            putc(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            s32 v = va_arg(ap, s32);
            if (v < 0) {
                putc('-');
                v = -v;
            }
            put_u32(v, 10, width, pad);
            break;
        }
        case 'u':
            put_u32(va_arg(ap, u32), 10, width, pad);
            break;
        case 'x':
            if (lng >= 2) {
                u64 v = va_arg(ap, u64);
                if (v >> 32) {
                    put_u32(v >> 32, 16, width > 8 ? width - 8 : 0, pad);
                    put_u32((u32)v, 16, 8, '0');
                } else {
                    put_u32((u32)v, 16, width, pad);
                }
            } else {
                put_u32(va_arg(ap, u32), 16, width, pad);
            }
            break;
        case 's':
            puts(va_arg(ap, const char *));
            break;
        case 'c':
            putc(va_arg(ap, int));
            break;
        case '%':
            putc('%');
            break;
        default:
            putc('?');
            break;
        }
    }
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* isa-debug-exit at 0xf4: QEMU exits with status (code << 1) | 1. */
void exit_qemu(u32 code)
{
    outl(0xf4, code);
    for (;;) {
        asm volatile("cli; hlt");
    }
}

void apic_init(void)
{
    /* The BIOS left the 8259s programmed (timer at vector 8): mask them. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x100 | 0xff);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | 0xfe);
    apic_write(APIC_TDCR, 0xb);     /* divide by 1 */
}

void apic_timer_oneshot(u8 vec, u32 ns)
{
    apic_write(APIC_LVT_TIMER, vec);  /* one-shot, unmasked */
    apic_write(APIC_TMICT, ns);
}

void idt_fill(struct idt_gate *idt)
{
    for (int v = 0; v < 256; v++) {
        u32 off = isr_stub_table[v];
        idt[v].off_lo = off & 0xffff;
        idt[v].off_hi = off >> 16;
        idt[v].sel = KERNEL_CS;
        idt[v].zero = 0;
        idt[v].type = 0x8e;     /* present, DPL 0, 32-bit interrupt gate */
    }
}
