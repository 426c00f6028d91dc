/**
 * The verifier's view of a target kernel's BTF (vmlinux, or bpfsim's own kernel BTF): what it
 * needs to type PTR_TO_BTF_ID registers. BTF is parsed above this layer (src/elf), which
 * implements this interface over a parsed `Btf`; the verifier only asks questions: the struct a
 * map type's kernel object is, a struct's id by name, what a load at an offset of a struct gives
 * (btf_struct_access), and the prototype a tracing program attaches to.
 */
import type { BtfTypeNamer } from './regState.js';

/** Pointer flags a walk through a struct produces (type tags and unions), as the kernel's bpf_type_flag. */
export const BtfPtrFlag = {
  /** The pointer was reached through a union with more than one member (PTR_UNTRUSTED). */
  UNTRUSTED: 1,
  /** The member is tagged `__rcu` (MEM_RCU). */
  RCU: 2,
  /** The member is tagged `__user` (MEM_USER). */
  USER: 4,
  /** The member is tagged `__percpu` (MEM_PERCPU). */
  PERCPU: 8,
} as const;

/** What a load of `size` bytes at `off` in a kernel struct gives (btf_struct_access's verdict). */
export type StructAccess =
  | { readonly kind: 'scalar' }
  | {
    readonly kind: 'ptr';
    /** The pointee struct's type id. */
    readonly id: number;
    /** BtfPtrFlag bits. */
    readonly flags: number;
    /** The pointer member's name (the trusted / RCU field tables are keyed by it). */
    readonly field: string;
  }
  | { readonly kind: 'mem' }
  | { readonly kind: 'error'; readonly errno: number; readonly message: string };

/**
 * How a tracing program's context slot is typed (btf_ctx_access's view of one argument or the
 * return value): a scalar, a pointer to something other than a struct (a scalar read whole), a
 * pointer to a struct, or a type that cannot be read.
 */
export type CtxArgType =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'pointer' }
  | { readonly kind: 'struct'; readonly id: number; readonly name: string; readonly kindName: string }
  | { readonly kind: 'other'; readonly name: string; readonly kindName: string };

/** The prototype a tracing program attaches to (attach_func_proto). */
export interface AttachProto {
  /** The function's or tracepoint's name (`tcp_v4_connect`, `sched_switch`). */
  readonly name: string;
  /** A BTF raw tracepoint (`btf_trace_*` typedef): its first parameter is the hidden `void *__data`. */
  readonly rawTp: boolean;
  /** Each parameter's type, `__data` included for a raw tracepoint. */
  readonly params: readonly CtxArgType[];
  /** Each parameter's bytes in the context (8 for a pointer, the size rounded up to 8 otherwise). */
  readonly paramBytes: readonly number[];
  /** The return type. */
  readonly ret: CtxArgType;
  /** Bytes of the return value in the context. */
  readonly retBytes: number;
  /** Whether the return type is an integer of at most 8 bytes (fmod_ret needs one). */
  readonly retSmallInt: boolean;
  /** The return type's kind, as btf_type_str prints it (`INT`, `PTR`, `UNKNOWN` for void). */
  readonly retKindName: string;
}

/** The target kernel's types, as the verifier asks about them. */
export interface KernelTypes extends BtfTypeNamer {
  /** map_btf_id: the struct a map of `mapType` is in the kernel (`bpf_array`), or undefined. */
  mapStructId(mapType: number): number | undefined;
  /** The id of the struct named `name`, or undefined. */
  structId(name: string): number | undefined;
  /** btf_struct_access: what a load of `size` bytes at `off` in struct `id` gives. */
  structAccess(id: number, off: number, size: number): StructAccess;
  /** The prototype behind `attach_btf_id` for `attachType`, or the kernel's message (EINVAL) when it is not a valid target. */
  attachProto(btfId: number, attachType: number): AttachProto | string;
}
