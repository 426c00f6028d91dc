/* CO-RE relocation kinds (enum bpf_core_relo_kind in include/uapi/linux/bpf.h). */

/** Field: byte offset. */
export const BPF_CORE_FIELD_BYTE_OFFSET = 0;
/** Field: byte size. */
export const BPF_CORE_FIELD_BYTE_SIZE = 1;
/** Field: existence in the target (1 or 0). */
export const BPF_CORE_FIELD_EXISTS = 2;
/** Field: signedness (1 or 0). */
export const BPF_CORE_FIELD_SIGNED = 3;
/** Field: bitfield left shift for a 64-bit read. */
export const BPF_CORE_FIELD_LSHIFT_U64 = 4;
/** Field: bitfield right shift for a 64-bit read. */
export const BPF_CORE_FIELD_RSHIFT_U64 = 5;
/** Type: the local type id. */
export const BPF_CORE_TYPE_ID_LOCAL = 6;
/** Type: the target type id. */
export const BPF_CORE_TYPE_ID_TARGET = 7;
/** Type: existence in the target (1 or 0). */
export const BPF_CORE_TYPE_EXISTS = 8;
/** Type: size in the target. */
export const BPF_CORE_TYPE_SIZE = 9;
/** Enum value: existence in the target (1 or 0). */
export const BPF_CORE_ENUMVAL_EXISTS = 10;
/** Enum value: its value in the target. */
export const BPF_CORE_ENUMVAL_VALUE = 11;
/** Type: the target type matches the local one structurally (1 or 0). */
export const BPF_CORE_TYPE_MATCHES = 12;

/** libbpf's short name of each kind (`byte_off`, `field_exists`, …). */
export const CORE_KIND_NAMES: readonly string[] = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
];

/** Whether a kind relocates a field access. */
export function isFieldKind(kind: number): boolean {
  return kind >= BPF_CORE_FIELD_BYTE_OFFSET && kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

/** Whether a kind is about a whole type. */
export function isTypeKind(kind: number): boolean {
  return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) || kind === BPF_CORE_TYPE_MATCHES;
}

/** Whether a kind is about an enumerator. */
export function isEnumvalKind(kind: number): boolean {
  return kind === BPF_CORE_ENUMVAL_EXISTS || kind === BPF_CORE_ENUMVAL_VALUE;
}
