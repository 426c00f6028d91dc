/*
 * The BTF type model (include/uapi/linux/btf.h): kind numbers and one plain object per type, with
 * names resolved to strings. Type ids index `Btf.types`; id 0 is `void`.
 */

/** BTF magic number. */
export const BTF_MAGIC = 0xeb9f;
/** BTF version bpfsim reads and writes. */
export const BTF_VERSION = 1;

/** Kind: void (id 0 only). */
export const BTF_KIND_UNKN = 0;
/** Kind: integer. */
export const BTF_KIND_INT = 1;
/** Kind: pointer. */
export const BTF_KIND_PTR = 2;
/** Kind: array. */
export const BTF_KIND_ARRAY = 3;
/** Kind: struct. */
export const BTF_KIND_STRUCT = 4;
/** Kind: union. */
export const BTF_KIND_UNION = 5;
/** Kind: enumeration of 32-bit values. */
export const BTF_KIND_ENUM = 6;
/** Kind: forward declaration. */
export const BTF_KIND_FWD = 7;
/** Kind: typedef. */
export const BTF_KIND_TYPEDEF = 8;
/** Kind: volatile. */
export const BTF_KIND_VOLATILE = 9;
/** Kind: const. */
export const BTF_KIND_CONST = 10;
/** Kind: restrict. */
export const BTF_KIND_RESTRICT = 11;
/** Kind: function. */
export const BTF_KIND_FUNC = 12;
/** Kind: function prototype. */
export const BTF_KIND_FUNC_PROTO = 13;
/** Kind: variable. */
export const BTF_KIND_VAR = 14;
/** Kind: section of variables. */
export const BTF_KIND_DATASEC = 15;
/** Kind: floating point. */
export const BTF_KIND_FLOAT = 16;
/** Kind: declaration tag. */
export const BTF_KIND_DECL_TAG = 17;
/** Kind: type tag. */
export const BTF_KIND_TYPE_TAG = 18;
/** Kind: enumeration of 64-bit values. */
export const BTF_KIND_ENUM64 = 19;

/** INT encoding bit: signed. */
export const BTF_INT_SIGNED = 1 << 0;
/** INT encoding bit: char. */
export const BTF_INT_CHAR = 1 << 1;
/** INT encoding bit: bool. */
export const BTF_INT_BOOL = 1 << 2;

/** FUNC linkage: static. */
export const BTF_FUNC_STATIC = 0;
/** FUNC linkage: global. */
export const BTF_FUNC_GLOBAL = 1;
/** FUNC linkage: extern. */
export const BTF_FUNC_EXTERN = 2;

/** VAR linkage: static. */
export const BTF_VAR_STATIC = 0;
/** VAR linkage: global, allocated in this object. */
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
/** VAR linkage: extern. */
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** The name of each kind, as bpftool prints it. */
export const KIND_NAMES = [
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
] as const;

/** `void`, type id 0. */
export interface BtfVoid { readonly kind: typeof BTF_KIND_UNKN; readonly name: '' }

/** An integer type. */
export interface BtfInt {
  readonly kind: typeof BTF_KIND_INT;
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL. */
  readonly encoding: number;
  /** Bit offset (legacy bitfield integers; 0 in practice). */
  readonly offset: number;
  /** Number of value bits. */
  readonly bits: number;
}

/** A type that refers to one other type: pointer, typedef, modifiers, type tag. */
export interface BtfRef {
  readonly kind: typeof BTF_KIND_PTR | typeof BTF_KIND_TYPEDEF | typeof BTF_KIND_VOLATILE | typeof BTF_KIND_CONST
    | typeof BTF_KIND_RESTRICT | typeof BTF_KIND_TYPE_TAG;
  readonly name: string;
  /** The type referred to. */
  readonly type: number;
  /** A TYPE_TAG with kind_flag set: the name is an attribute (`address_space(1)`), not a btf_type_tag. */
  readonly attribute?: boolean;
}

/** An array. */
export interface BtfArray {
  readonly kind: typeof BTF_KIND_ARRAY;
  readonly name: '';
  /** Element type. */
  readonly type: number;
  /** Index type. */
  readonly indexType: number;
  /** Number of elements. */
  readonly nelems: number;
}

/** A member of a struct or union. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits (0: not a bitfield). */
  readonly bitfieldSize: number;
}

/** A struct or union. */
export interface BtfComposite {
  readonly kind: typeof BTF_KIND_STRUCT | typeof BTF_KIND_UNION;
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Whether members are encoded with bitfield sizes (kind_flag). */
  readonly bitfields: boolean;
  readonly members: readonly BtfMember[];
}

/** An enumerator. */
export interface BtfEnumValue {
  readonly name: string;
  /** Its value (as signed or unsigned per the enum's `signed`). */
  readonly value: bigint;
}

/** An enum (32-bit values) or enum64. */
export interface BtfEnum {
  readonly kind: typeof BTF_KIND_ENUM | typeof BTF_KIND_ENUM64;
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Whether values are signed (kind_flag). */
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}

/** A forward declaration. */
export interface BtfFwd {
  readonly kind: typeof BTF_KIND_FWD;
  readonly name: string;
  /** `union` (kind_flag set) rather than `struct`. */
  readonly union: boolean;
}

/** A function. */
export interface BtfFunc {
  readonly kind: typeof BTF_KIND_FUNC;
  readonly name: string;
  /** Its FUNC_PROTO. */
  readonly type: number;
  /** BTF_FUNC_STATIC, BTF_FUNC_GLOBAL or BTF_FUNC_EXTERN. */
  readonly linkage: number;
}

/** A function parameter. */
export interface BtfParam {
  readonly name: string;
  /** Its type (0 with an empty name: a trailing `...`). */
  readonly type: number;
}

/** A function prototype. */
export interface BtfFuncProto {
  readonly kind: typeof BTF_KIND_FUNC_PROTO;
  readonly name: '';
  /** Return type. */
  readonly type: number;
  readonly params: readonly BtfParam[];
}

/** A variable. */
export interface BtfVar {
  readonly kind: typeof BTF_KIND_VAR;
  readonly name: string;
  readonly type: number;
  /** BTF_VAR_STATIC, BTF_VAR_GLOBAL_ALLOCATED or BTF_VAR_GLOBAL_EXTERN. */
  readonly linkage: number;
}

/** A variable's place in a DATASEC. */
export interface BtfVarSecinfo {
  /** The VAR (or, for extern functions in `.ksyms`, FUNC). */
  readonly type: number;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/** A data section. */
export interface BtfDatasec {
  readonly kind: typeof BTF_KIND_DATASEC;
  readonly name: string;
  /** Size in bytes (0 in clang output until a loader fixes it up). */
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

/** A floating-point type. */
export interface BtfFloat {
  readonly kind: typeof BTF_KIND_FLOAT;
  readonly name: string;
  readonly size: number;
}

/** A declaration tag (`__attribute__((btf_decl_tag("...")))`). */
export interface BtfDeclTag {
  readonly kind: typeof BTF_KIND_DECL_TAG;
  /** The tag text. */
  readonly name: string;
  /** The tagged type, variable or function. */
  readonly type: number;
  /** -1 for the declaration itself, else the member or parameter index. */
  readonly componentIdx: number;
  /** kind_flag set: the name is an attribute, not a btf_decl_tag. */
  readonly attribute?: boolean;
}

/** Any BTF type. */
export type BtfType =
  | BtfVoid | BtfInt | BtfRef | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfFunc | BtfFuncProto
  | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

/** The kinds that only qualify or rename another type. */
export function isModifierKind(kind: number): boolean {
  return kind === BTF_KIND_TYPEDEF || kind === BTF_KIND_VOLATILE || kind === BTF_KIND_CONST
    || kind === BTF_KIND_RESTRICT || kind === BTF_KIND_TYPE_TAG;
}
