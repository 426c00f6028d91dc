/* SPDX-License-Identifier: MIT */
/*
 * bpfsim's minimal BPF program header: section and map-definition macros with the conventions
 * libbpf's loader understands (SEC names, BTF-defined maps in ".maps", __ksym/__kconfig externs),
 * written for bpfsim from the documented conventions. Include this, then bpfsim_helpers.h.
 */
#ifndef BPFSIM_H
#define BPFSIM_H

#include <linux/types.h>
#include <linux/bpf.h>

/* Put a program, map or variable in a named ELF section. */
#define SEC(name) __attribute__((section(name), used))

/* BTF-defined map attributes: __uint encodes a number as the size of an array type,
 * __type a type as the pointee of a pointer, __array the value type of a map-in-map or
 * prog-array as a flexible array of pointers. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]


/* Map pinning (libbpf's LIBBPF_PIN_*): bpfsim records it but does not pin. */
enum { BPFSIM_PIN_NONE = 0, BPFSIM_PIN_BY_NAME = 1 };

#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))
#define __weak __attribute__((weak))
#define __hidden __attribute__((visibility("hidden")))

/* Externs: kernel symbols and kfuncs (resolved against the target BTF), and kernel config values. */
#define __ksym __attribute__((section(".ksyms")))
#define __kconfig __attribute__((section(".kconfig")))

/* Whether a weak __ksym resolved on this kernel. */
#define bpf_ksym_exists(sym) ({ _Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); !!sym; })

/* Kernel config tristate values, as libbpf's enum libbpf_tristate. */
enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 };

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* Byte order: BPF targets built with -target bpf are little-endian. */
#define bpf_htons(x) ((__be16)__builtin_bswap16(x))
#define bpf_ntohs(x) ((__u16)__builtin_bswap16(x))
#define bpf_htonl(x) ((__be32)__builtin_bswap32(x))
#define bpf_ntohl(x) ((__u32)__builtin_bswap32(x))

/* Stop the compiler from assuming a variable's value (for bounds the verifier must see). */
#define barrier_var(var) asm volatile("" : "+r"(var))

#endif
