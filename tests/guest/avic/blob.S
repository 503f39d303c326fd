/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The L2 payload (payload.bin, built by the Makefile) inside the VMM. */
    .section .rodata
    .globl payload_bin, payload_bin_end
    .balign 16
payload_bin:
    .incbin PAYLOAD_BIN
payload_bin_end:
    .section .note.GNU-stack, "", @progbits
