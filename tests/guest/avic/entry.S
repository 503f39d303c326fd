/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 payload's entry and interrupt stubs (64-bit, linked at
 * PAYLOAD_GPA by payload.ld).  The VMM enters at _start with RSP at the
 * vCPU's stack top and RDI = the vCPU index.
 */
    .section .text.entry, "ax"
    .code64
    .globl _start
_start:
    call payload_main
1:  cli
    hlt
    jmp 1b

/* One 16-byte stub per vector: an error code (0 where the CPU pushes
 * none), the vector, then the common path. */
    .text
    .globl isr_stubs
    .balign 16
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    mov 72(%rsp), %rdi          /* vector */
    lea 80(%rsp), %rsi          /* error code, then the CPU's frame */
    cld
    call c_interrupt
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    add $16, %rsp
    iretq

    .section .note.GNU-stack, "", @progbits
