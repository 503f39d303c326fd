/*
 * The fixed-size types of QEMU's standard-headers, for the freestanding
 * test kernel (gim-bench.c includes standard-headers/misc/gim.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SVM_TEST_STANDARD_HEADERS_LINUX_TYPES_H
#define SVM_TEST_STANDARD_HEADERS_LINUX_TYPES_H

#include <stdint.h>

typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef uint16_t __le16;
typedef uint32_t __le32;

#endif
