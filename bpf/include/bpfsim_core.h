/* SPDX-License-Identifier: MIT */
/*
 * CO-RE (compile once, run everywhere) macros over clang's BPF builtins: each expands to a
 * constant that the loader relocates against the target kernel's BTF (field offsets and sizes,
 * field and type existence, type sizes and ids, enum values). Structs declared with
 * __attribute__((preserve_access_index)) get their field accesses relocated too.
 */
#ifndef BPFSIM_CORE_H
#define BPFSIM_CORE_H

enum bpf_field_info_kind {
	BPF_FIELD_BYTE_OFFSET = 0,
	BPF_FIELD_BYTE_SIZE = 1,
	BPF_FIELD_EXISTS = 2,
	BPF_FIELD_SIGNED = 3,
	BPF_FIELD_LSHIFT_U64 = 4,
	BPF_FIELD_RSHIFT_U64 = 5,
};

enum bpf_type_id_kind {
	BPF_TYPE_ID_LOCAL = 0,
	BPF_TYPE_ID_TARGET = 1,
};

enum bpf_type_info_kind {
	BPF_TYPE_EXISTS = 0,
	BPF_TYPE_SIZE = 1,
	BPF_TYPE_MATCHES = 2,
};

enum bpf_enum_value_kind {
	BPF_ENUMVAL_EXISTS = 0,
	BPF_ENUMVAL_VALUE = 1,
};

#define __core_field(src, field, info) __builtin_preserve_field_info((src)->field, BPF_FIELD_##info)

#define bpf_core_field_exists(field) __builtin_preserve_field_info(field, BPF_FIELD_EXISTS)
#define bpf_core_field_size(field) __builtin_preserve_field_info(field, BPF_FIELD_BYTE_SIZE)
#define bpf_core_field_offset(field) __builtin_preserve_field_info(field, BPF_FIELD_BYTE_OFFSET)
#define bpf_core_field_signed(field) __builtin_preserve_field_info(field, BPF_FIELD_SIGNED)

#define bpf_core_type_exists(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_EXISTS)
#define bpf_core_type_size(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_SIZE)
#define bpf_core_type_matches(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_MATCHES)
#define bpf_core_type_id_local(type) __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_LOCAL)
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_TARGET)

#define bpf_core_enum_value_exists(enum_type, value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)value, BPF_ENUMVAL_EXISTS)
#define bpf_core_enum_value(enum_type, value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)value, BPF_ENUMVAL_VALUE)

/* Reads a bitfield through a pointer the program may dereference directly (packet, map value,
 * BTF pointer), with offset, load size and shifts relocated for the target. */
#define BPF_CORE_READ_BITFIELD(s, field) ({ \
	const void *__p = (const void *)(s) + __core_field(s, field, BYTE_OFFSET); \
	unsigned long long __v = 0; \
	asm volatile("" : "=r"(__p) : "0"(__p)); \
	switch (__core_field(s, field, BYTE_SIZE)) { \
	case 1: __v = *(const unsigned char *)__p; break; \
	case 2: __v = *(const unsigned short *)__p; break; \
	case 4: __v = *(const unsigned int *)__p; break; \
	case 8: __v = *(const unsigned long long *)__p; break; \
	} \
	__v <<= __core_field(s, field, LSHIFT_U64); \
	if (__core_field(s, field, SIGNED)) \
		__v = (unsigned long long)((long long)__v >> __core_field(s, field, RSHIFT_U64)); \
	else \
		__v = __v >> __core_field(s, field, RSHIFT_U64); \
	__v; \
})

#endif
