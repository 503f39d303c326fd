/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 guest of the AVIC VMM test (avic-vmm.c runs it on /dev/kvm in
 * an L1 Linux): guest-physical layout and the shared page through which
 * the payload (payload.c) and the VMM talk.  Included by both (the
 * payload is freestanding: only <stdint.h>).
 */
#ifndef AVIC_SHARED_H
#define AVIC_SHARED_H

#include <stdint.h>

/* Guest-physical layout (identity-mapped, 64-bit long mode). */
#define GUEST_MEM_SIZE  0x400000u       /* 4 MiB of RAM at 0 */
#define GDT_GPA         0x1000u
#define IDT_GPA         0x2000u
#define PML4_GPA        0x3000u
#define PDPT_GPA        0x4000u
#define PD_GPA          0x5000u         /* 4 pages: 4 GiB in 2 MiB pages */
#define SHARED_GPA      0x10000u        /* struct shared (< 64 KiB) */
#define PAYLOAD_GPA     0x100000u       /* payload.bin, entry first */
#define PAYLOAD_MAX     0x100000u
#define STACK_GPA(i)    (0x300000u + ((i) + 1) * 0x10000u)  /* top */
#define APIC_GPA        0xfee00000u
/* --vfio: the device's BAR0 (edu: 0x00 ID 0x010000ed, 0x60 raise its
 * interrupt, 0x64 acknowledge), mapped into the guest here. */
#define DEV_GPA         0xc0000000u

#define MAX_VCPUS       3

/* I/O port the payload writes (32 bits) when a vCPU is finished: 0 ok,
 * else an ERR_* code (details in shared.msg). */
#define PORT_DONE       0x10

enum {
    ERR_NONE = 0,
    ERR_CHECK = 1,      /* a payload check failed */
    ERR_EXCEPTION = 2,  /* CPU exception in the guest */
    ERR_ABORT = 3,      /* the VMM asked everyone to stop */
    ERR_PAYLOAD = 4,    /* unknown payload number */
};

enum {
    P_SELF_IPI = 0,
    P_PING_PONG,
    P_IPI_HALTED,
    P_TIMER,
    P_TPR,
    P_MSI,
    P_PING_PONG_HLT,
    P_DEV_IRQ,          /* --vfio: vCPU 0 raises the device's MSI itself */
    P_DEV_IRQ_HLT,      /* the same, waiting halted in the guest */
    P_COUNT,
};

/* Vectors the payloads use. */
#define V_SELF0         0x50    /* self-IPI, vCPU i uses V_SELF0 + i */
#define V_PING          0x41    /* vCPU 0 -> vCPU 1 */
#define V_PONG          0x42    /* vCPU 1 -> vCPU 0 */
#define V_WARM_PING     0x43
#define V_WARM_PONG     0x44
#define V_HALTED        0x47    /* vCPU 0 -> halted vCPU 1 */
#define V_TIMER_ONESHOT 0x60    /* vCPU 0 */
#define V_TIMER_PERIOD0 0x61    /* vCPU 0 */
#define V_TIMER_PERIOD1 0x62    /* vCPU 1 */
#define V_MSI_RUN       0x70    /* KVM_SIGNAL_MSI to running vCPU 0 */
#define V_MSI_HALT      0x71    /* KVM_SIGNAL_MSI to halted vCPU 1 */
#define V_DEV           0x72    /* dev-irq: the device's MSI to vCPU 0 */
#define V_SPURIOUS      0xff

/* Warm-up round trips of ping-pong before its measured phase. */
#define PP_WARMUP       4
/* Warm-up interrupts of dev-irq before its measured phase. */
#define DEV_WARMUP      4
/* Timer payload: one-shots on vCPU 0, then periodic ticks on vCPUs 0 and
 * 1 (at once); KVM's APIC bus runs at 1 GHz, divide by 1. */
#define TIMER_ONESHOTS  10
#define TIMER_ONESHOT_NS 1000000u
#define TIMER_TICKS     20
#define TIMER_PERIOD_NS 2000000u
/* TPR payload: rounds of the priority sequence (expected order below). */
#define TPR_ORDER_LEN   6       /* 0x65, 0x55, then 0x80 0x60 0x90 0x50 0x40 per round */

#define ORDER_MAX       64

struct vcpu_shared {
    volatile uint32_t count[256];       /* deliveries per vector */
    volatile uint32_t order[ORDER_MAX]; /* first vectors, in delivery order */
    volatile uint32_t norder;
    volatile uint32_t apic_id;          /* as read from the APIC ID register */
    volatile uint32_t ready;            /* at the start barrier */
    volatile uint32_t done;             /* finished the measured part */
    volatile uint32_t seq;              /* payload-specific progress */
    volatile uint32_t exc_vector;       /* ERR_EXCEPTION: which */
    volatile uint64_t exc_rip, exc_error;
    volatile int64_t t_ipi_sum;         /* ping-pong: send->handler TSC sum */
    volatile int64_t t_ipi_min, t_ipi_max;
    volatile uint32_t t_ipi_n;
    volatile uint64_t t_send;           /* TSC just before the last ICR write */
    uint32_t pad[7];
};

struct shared {
    /* Set by the VMM before the vCPUs start. */
    uint32_t payload;
    uint32_t n;                         /* iterations (payload-specific) */
    uint32_t nvcpus;
    uint32_t flags;
    /* Handshake */
    volatile uint32_t idt_ready;        /* vCPU 0 filled the IDT */
    volatile uint32_t inited;           /* vCPUs past their APIC set-up */
    volatile uint32_t go;               /* VMM: start the measured part */
    volatile uint32_t release;          /* VMM: leave */
    volatile uint32_t abort;            /* VMM: give up, leave now */
    volatile uint32_t halted_seq;       /* VMM: vCPU 1 is blocked in HLT at seq */
    volatile uint32_t vmm_done;         /* VMM: finished driving (msi) */
    volatile uint32_t sent;             /* interrupts sent by the guest */
    volatile uint32_t failed;           /* first failing vCPU + 1 */
    volatile uint64_t t_begin, t_end;   /* TSC around the measured part (vCPU 0) */
    char msg[256];                      /* first failure, NUL-terminated */
    struct vcpu_shared cpu[MAX_VCPUS];
};

#define FLAG_HALT_CONFIRM 1u    /* VMM confirms vCPU 1 is blocked (halted_seq) */
#define FLAG_DEV_MAPPED   2u    /* the device's BAR0 is at DEV_GPA */

#endif
