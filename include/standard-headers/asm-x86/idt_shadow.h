/*
 * IDT shadowing for nested SVM (TCG): guest-visible ABI
 *
 * An L1 hypervisor gives an L2 guest a "hypervisor IDT": a table in L1
 * memory with one entry per vector.  While that guest runs, an external
 * interrupt whose entry is DIRECT goes straight through the guest's own
 * IDT (translated to the entry's vector) with no #VMEXIT; any other vector
 * causes #VMEXIT(INTR) with the vector already acknowledged and reported in
 * EXITINFO1.  Documented in docs/specs/idt-shadow.rst.
 *
 * Used by QEMU (target/i386/tcg/system/idt-shadow.c) and by the L1 test
 * kernels (tests/guest/svm/); plain C, no QEMU types.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef STANDARD_HEADERS_ASM_X86_IDT_SHADOW_H
#define STANDARD_HEADERS_ASM_X86_IDT_SHADOW_H

/*
 * Discovery: QEMU's TCG hypervisor leaves.  CPUID 0x40000000 returns
 * "TCGTCGTCGTCG"; CPUID 0x40000001 EAX bit 0 says IDT shadowing is
 * available (-cpu ...,svm=on,idt-shadow=on).
 */
#define IDTS_CPUID_LEAF             0x40000001u
#define IDTS_CPUID_EAX              (1u << 0)

/*
 * Per-VMCB control, in the control area's bytes 0x3e0-0x3ff that AMD
 * reserves for host (hypervisor software) use.  Shadowing is on for a
 * VMRUN only when MAGIC holds IDTS_VMCB_MAGIC and CTL has ENABLE, so a
 * hypervisor that uses those bytes for itself is not affected by chance.
 * With the magic, CTL bits other than ENABLE must be zero, ENABLE or not
 * (else VMRUN fails, IDTS_ERR_CTL).
 */
#define IDTS_VMCB_MAGIC_OFF         0x3e0   /* u32 */
#define IDTS_VMCB_MAGIC             0x53544449u /* "IDTS" */
#define IDTS_VMCB_CTL_OFF           0x3e4   /* u32 */
#define IDTS_CTL_ENABLE             (1u << 0)
#define IDTS_VMCB_TABLE_OFF         0x3e8   /* u64: table address */

/*
 * The table: 256 little-endian u32 entries, 4 KiB aligned, in writable
 * L1 RAM (not ROM, not RAM mapped read-only, not MMIO).  It is read and
 * checked once, at VMRUN; changes take effect at the next VMRUN.
 */
#define IDTS_TABLE_ENTRIES          256
#define IDTS_TABLE_SIZE             (IDTS_TABLE_ENTRIES * 4)
#define IDTS_TABLE_ALIGN            4096
#define IDTS_ENTRY_DIRECT           (1u << 31)  /* deliver to the guest */
#define IDTS_ENTRY_VECTOR(e)        ((e) & 0xffu) /* ... at this vector */
#define IDTS_ENTRY_RESERVED         0x7fffff00u /* must be zero */

/*
 * Exits.  SVM_EXIT_INTR (0x60) with EXITINFO1 = ACKED | vector: the
 * interrupt was acknowledged on L1's behalf (L1 must not acknowledge it
 * again, and EOIs it as usual).
 *
 * A DIRECT vector that arrives while the guest cannot take it (RFLAGS.IF
 * clear, an interrupt shadow, or the APIC's priority rules: its class not
 * above the LAPIC's PPR, or its guest vector's class not above the
 * guest's TPR, V_TPR with V_INTR_MASKING, and DIRECT vectors in service)
 * is held for the guest: it leaves the LAPIC (out of the IRR, not in the
 * ISR, so it blocks none of L1's vectors) and is delivered with no exit,
 * highest first, once the guest can take it; a guest halted with IF=0,
 * or with the vector held back by its priority, does not wake for it.
 * A DIRECT vector is in service in the LAPIC from its delivery to the
 * guest until the guest's handler EOIs the LAPIC; L1 does not EOI it.
 * At #VMEXIT a vector still held goes back to the LAPIC's IRR, as if it
 * had arrived after the exit: L1 receives it like any other interrupt.
 *
 * A bad control or table makes VMRUN fail with SVM_EXIT_ERR (-1) and
 * EXITINFO1 = IDTS_ERR | reason; the guest does not run.
 */
#define IDTS_EXITINFO_ACKED         (1ull << 63)
#define IDTS_ERR                    (1ull << 62)
#define IDTS_ERR_ALIGN              1   /* table not 4 KiB aligned */
#define IDTS_ERR_NOT_RAM            2   /* table not entirely in RAM */
#define IDTS_ERR_ENTRY              3   /* reserved bits set in an entry */
#define IDTS_ERR_CTL                4   /* unknown CTL bits */

#endif
