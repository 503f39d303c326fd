/*
 * irqhint L1 test kernel: multiboot (v1) entry, GDT, interrupt stubs,
 * VMRUN wrapper and the L2 entry trampoline.  32-bit protected mode,
 * flat segments, no paging.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002     /* memory info; ELF layout (no a.out kludge) */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .data
    .align 16
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9b000000ffff        /* 0x08: code, flat 4G, 32-bit */
    .quad 0x00cf93000000ffff        /* 0x10: data, flat 4G */
gdt_end:
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .align 16
    .globl l1_stack_top
l1_stack:
    .skip 65536
l1_stack_top:

    .section .text
    .globl _start
_start:
    cli
    mov $l1_stack_top, %esp
    mov %eax, %esi                  /* multiboot magic */
    mov %ebx, %edi                  /* multiboot info */
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    push %edi
    push %esi
    call kmain
2:  cli
    hlt
    jmp 2b

/*
 * Interrupt entry.  Each stub pushes a dummy error code (unless the CPU
 * pushed one) and the vector; the common part saves the GPRs, then takes
 * the TSC first thing so that entry timestamps are comparable between
 * delivery paths.
 */
.macro STUB v
    .align 16
isr_stub_\v:
    .if (\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
    .else
    push $0
    .endif
    push $\v
    jmp isr_common
.endm

    .align 16
isr_stubs:
    .altmacro
    .set i, 0
    .rept 256
    STUB %i
    .set i, i + 1
    .endr

isr_common:
    pusha
    rdtsc
    push %edx
    push %eax
    mov %esp, %eax
    cld
    push %eax
    call isr_dispatch
    add $12, %esp
    popa
    add $8, %esp
    iret

.macro STUBADDR v
    .long isr_stub_\v
.endm
    .section .data
    .align 4
    .globl isr_stub_table
isr_stub_table:
    .set i, 0
    .rept 256
    STUBADDR %i
    .set i, i + 1
    .endr

    .section .bss
    .align 4
cur_gprs:
    .long 0

    .section .text
/*
 * void svm_vmrun(void *vmcb, struct gprs *g)
 * struct gprs { ebx, ecx, edx, esi, edi, ebp }
 * VMRUN saves/loads only RAX, RSP, RIP (and the rest of the VMCB state);
 * the other GPRs are swapped here.
 */
    .globl svm_vmrun
svm_vmrun:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 24(%esp), %ecx
    mov %ecx, cur_gprs
    mov 20(%esp), %eax
    clgi
    sti                             /* host IF=1: physical interrupts are */
                                    /* recognized in the guest (V_INTR_MASKING) */
    mov 0(%ecx), %ebx
    mov 8(%ecx), %edx
    mov 12(%ecx), %esi
    mov 16(%ecx), %edi
    mov 20(%ecx), %ebp
    mov 4(%ecx), %ecx
    vmrun
    /* #VMEXIT: GIF=0, host state (IF=1, ESP, EAX=vmcb) reloaded */
    push %ecx
    mov cur_gprs, %ecx
    mov %ebx, 0(%ecx)
    mov %edx, 8(%ecx)
    mov %esi, 12(%ecx)
    mov %edi, 16(%ecx)
    mov %ebp, 20(%ecx)
    pop %eax
    mov %eax, 4(%ecx)
    cli
    stgi
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

/*
 * L2 entry: ESP = the guest's stack, EAX = its struct guest *.
 * Calls guest_main(g); when that returns, reports with VMMCALL forever.
 */
    .globl guest_entry
guest_entry:
    push %eax
    call guest_main
1:  vmmcall
    jmp 1b

    .section .note.GNU-stack, "", @progbits
