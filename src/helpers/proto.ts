/**
 * Helper prototypes in the form the verifier checks them: the kernel's `bpf_func_proto` argument
 * and return types (`ARG_*`, `RET_*`), named for what they mean. A later verifier reads these; the
 * runtime ignores them.
 */

/** What an argument register must hold at the call (the kernel's `enum bpf_arg_type`). */
export type ArgType =
  /** ARG_ANYTHING: any initialised scalar (or pointer, where leaks are allowed). */
  | 'anything'
  /** ARG_CONST_MAP_PTR: a map pointer from LD_IMM64. */
  | 'const_map_ptr'
  /** ARG_PTR_TO_MAP_KEY: readable memory of the map's key size. */
  | 'map_key'
  /** ARG_PTR_TO_MAP_VALUE: readable memory of the map's value size. */
  | 'map_value'
  /** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT: writable memory of the map's value size. */
  | 'uninit_map_value'
  /** ARG_PTR_TO_MEM: readable memory whose size is the next argument. */
  | 'mem'
  /** ARG_PTR_TO_MEM | PTR_MAYBE_NULL: as `mem`, or NULL with a zero size. */
  | 'mem_or_null'
  /** ARG_PTR_TO_UNINIT_MEM: writable memory whose size is the next argument. */
  | 'uninit_mem'
  /** ARG_PTR_TO_MEM_OR_NULL (without MEM_RDONLY): memory the helper writes, or NULL with a zero size. */
  | 'writable_mem_or_null'
  /** ARG_CONST_SIZE: a known-range scalar > 0, the size of the previous memory argument. */
  | 'const_size'
  /** ARG_CONST_SIZE_OR_ZERO: as `const_size`, 0 allowed. */
  | 'const_size_or_zero'
  /** ARG_CONST_ALLOC_SIZE_OR_ZERO: the size of memory the helper returns (ringbuf reserve). */
  | 'const_alloc_size_or_zero'
  /** ARG_PTR_TO_CTX: the program's context pointer. */
  | 'ctx'
  /** ARG_PTR_TO_CTX_OR_NULL. */
  | 'ctx_or_null'
  /** ARG_PTR_TO_FUNC: a BPF function (LD_IMM64 src 4) used as a callback. */
  | 'func'
  /** ARG_PTR_TO_STACK_OR_NULL: the callback's context, on the stack. */
  | 'stack_or_null'
  /** ARG_PTR_TO_LONG (uninitialised): 8 bytes the helper writes. */
  | 'long'
  /** ARG_PTR_TO_INT (uninitialised): 4 bytes the helper writes. */
  | 'int'
  /** ARG_PTR_TO_SPIN_LOCK: a `struct bpf_spin_lock` in a map value. */
  | 'spin_lock'
  /** ARG_PTR_TO_TIMER: a `struct bpf_timer` in a map value. */
  | 'timer'
  /** ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: memory from bpf_ringbuf_reserve, released by the call. */
  | 'ringbuf_mem'
  /** ARG_PTR_TO_SOCK_COMMON: a `struct bpf_sock_common` pointer. */
  | 'sock_common'
  /** ARG_PTR_TO_SOCKET | OBJ_RELEASE: a referenced socket the call releases. */
  | 'socket_release'
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON: a socket as a BTF pointer or sock_common. */
  | 'btf_id_sock_common'
  /** ARG_PTR_TO_CONST_STR: a NUL-terminated string in a read-only map value. */
  | 'const_str'
  /** ARG_PTR_TO_BTF_ID: a typed kernel pointer (e.g. task_struct). */
  | 'btf_id'
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT: 16 bytes of stack the helper makes a local dynptr. */
  | 'dynptr_local_uninit'
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT: 16 bytes of stack the helper makes a ring buffer dynptr (a reference). */
  | 'dynptr_ringbuf_uninit'
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE: a ring buffer dynptr the call releases. */
  | 'dynptr_ringbuf_release'
  /** ARG_PTR_TO_DYNPTR | MEM_RDONLY: an initialised dynptr of any kind, left as it is. */
  | 'dynptr_rdonly';

/** What a helper leaves in r0 (the kernel's `enum bpf_return_type`). */
export type RetType =
  /** RET_INTEGER: a scalar. */
  | 'integer'
  /** RET_VOID: nothing (r0 unknown). */
  | 'void'
  /** RET_PTR_TO_MAP_VALUE_OR_NULL: a value of the map argument, or NULL. */
  | 'map_value_or_null'
  /** RET_PTR_TO_SOCKET_OR_NULL, acquiring a reference. */
  | 'socket_or_null'
  /** RET_PTR_TO_TCP_SOCK_OR_NULL. */
  | 'tcp_sock_or_null'
  /** RET_PTR_TO_SOCK_COMMON_OR_NULL, acquiring a reference when from a lookup. */
  | 'sock_common_or_null'
  /** RET_PTR_TO_RINGBUF_MEM_OR_NULL (RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL), acquiring a reference. */
  | 'ringbuf_mem_or_null'
  /** RET_PTR_TO_MEM_OR_BTF_ID: a typed kernel pointer (per-CPU pointers, current task). */
  | 'btf_id'
  /** RET_PTR_TO_BTF_ID_OR_NULL. */
  | 'btf_id_or_null'
  /** RET_PTR_TO_DYNPTR_MEM_OR_NULL: memory of the size argument inside a dynptr, or NULL. */
  | 'dynptr_mem_or_null';

/** A helper's prototype: return type, argument types (r1 first), and flags the verifier uses. */
export interface HelperProto {
  /** What r0 holds after the call. */
  readonly ret: RetType;
  /** Types of r1.. (at most five). */
  readonly args: readonly ArgType[];
  /** Only programs with a GPL-compatible license may call it. */
  readonly gplOnly?: boolean;
  /** The call may change packet data, so packet pointers are invalidated (`bpf_helper_changes_pkt_data`). */
  readonly changesPktData?: boolean;
  /** Only sleepable programs may call it (`might_sleep`: "helper call might sleep in a non-sleepable prog"). */
  readonly mightSleep?: boolean;
}
