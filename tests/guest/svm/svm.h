/*
 * SVM definitions for the irqhint L1 test kernels (32-bit protected mode).
 * Offsets are the AMD APM vol. 2 appendix B VMCB layout.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_SVM_H
#define SVM_TEST_SVM_H

#include "lib.h"

/* VMCB control area */
#define VMCB_INTERCEPT_CR_READ   0x000  /* u16 */
#define VMCB_INTERCEPT_EXC       0x008  /* u32, bit per exception vector */
#define VMCB_INTERCEPT           0x00c  /* u64, bit (exit code - 0x60) */
#define VMCB_IOPM_BASE           0x040
#define VMCB_MSRPM_BASE          0x048
#define VMCB_TSC_OFFSET          0x050
#define VMCB_ASID                0x058  /* u32 */
#define VMCB_TLB_CTL             0x05c  /* u8 */
#define VMCB_INT_CTL             0x060  /* u32 */
#define VMCB_INT_VECTOR          0x064
#define VMCB_INT_STATE           0x068
#define VMCB_EXIT_CODE           0x070  /* u64 */
#define VMCB_EXIT_INFO1          0x078  /* u64 */
#define VMCB_EXIT_INFO2          0x080  /* u64 */
#define VMCB_EXIT_INT_INFO       0x088  /* u32 */
#define VMCB_NESTED_CTL          0x090
#define VMCB_EVENT_INJ           0x0a8  /* u32 */
#define VMCB_EVENT_INJ_ERR       0x0ac

/* VMCB state save area */
#define VMCB_ES                  0x400
#define VMCB_CS                  0x410
#define VMCB_SS                  0x420
#define VMCB_DS                  0x430
#define VMCB_FS                  0x440
#define VMCB_GS                  0x450
#define VMCB_GDTR                0x460
#define VMCB_LDTR                0x470
#define VMCB_IDTR                0x480
#define VMCB_TR                  0x490
#define VMCB_CPL                 0x4cb
#define VMCB_EFER                0x4d0
#define VMCB_CR4                 0x548
#define VMCB_CR3                 0x550
#define VMCB_CR0                 0x558
#define VMCB_DR7                 0x560
#define VMCB_DR6                 0x568
#define VMCB_RFLAGS              0x570
#define VMCB_RIP                 0x578
#define VMCB_RSP                 0x5d8
#define VMCB_RAX                 0x5f8
/* segment: selector u16, attrib u16, limit u32, base u64 */
#define SEG_SEL                  0
#define SEG_ATTR                 2
#define SEG_LIMIT                4
#define SEG_BASE                 8

#define V_INTR_MASKING           (1u << 24)

#define EVTINJ_VALID             (1u << 31)
#define EVTINJ_TYPE_INTR         (0u << 8)
#define EVTINJ_TYPE_NMI          (2u << 8)
#define EVTINJ_TYPE_EXEPT        (3u << 8)

#define SVM_EXIT_EXCP_BASE       0x040
#define SVM_EXIT_INTR            0x060
#define SVM_EXIT_NMI             0x061
#define SVM_EXIT_HLT             0x078
#define SVM_EXIT_SHUTDOWN        0x07f
#define SVM_EXIT_VMRUN           0x080
#define SVM_EXIT_VMMCALL         0x081
#define SVM_EXIT_ERR             0xffffffffffffffffull

#define INTERCEPT_BIT(exit)      (1ull << ((exit) - SVM_EXIT_INTR))

#define MSR_EFER                 0xc0000080u
#define EFER_SVME                (1u << 12)
#define MSR_VM_CR                0xc0010114u
#define MSR_VM_HSAVE_PA          0xc0010117u

static inline u32 vmcb_r32(void *vmcb, u32 off) { return *(volatile u32 *)((u8 *)vmcb + off); }
static inline u64 vmcb_r64(void *vmcb, u32 off) { return *(volatile u64 *)((u8 *)vmcb + off); }
static inline void vmcb_w8(void *vmcb, u32 off, u8 v) { *(volatile u8 *)((u8 *)vmcb + off) = v; }
static inline void vmcb_w16(void *vmcb, u32 off, u16 v) { *(volatile u16 *)((u8 *)vmcb + off) = v; }
static inline void vmcb_w32(void *vmcb, u32 off, u32 v) { *(volatile u32 *)((u8 *)vmcb + off) = v; }
static inline void vmcb_w64(void *vmcb, u32 off, u64 v) { *(volatile u64 *)((u8 *)vmcb + off) = v; }

/* General-purpose registers of an L2 guest that VMRUN does not switch. */
struct gprs {
    u32 ebx, ecx, edx, esi, edi, ebp;
};

/* boot.S: VMRUN the VMCB at vmcb (physical == virtual), with g loaded
 * into the GPRs and the guest's values saved back on #VMEXIT.  Runs with
 * GIF=0 around it and IF=1 for the guest's host-IF; returns with IF=0,
 * GIF=1. */
void svm_vmrun(void *vmcb, struct gprs *g);

#endif
