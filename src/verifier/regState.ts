/**
 * A register's abstract state, after the kernel's `struct bpf_reg_state`: what kind of value it
 * holds (`type`, with the MAYBE_NULL / RDONLY / RINGBUF / TRUSTED / RCU / UNTRUSTED flags), the
 * variable part as a `Scalar` (the whole value for a scalar, the variable offset for a pointer),
 * the fixed offset `off`, the `id` shared by copies (null checks and packet range checks propagate
 * through it), the reference it holds, the packet `range`, the map a map pointer refers to, the
 * size of a PTR_TO_MEM region, the stack frame a stack pointer points into, the BTF type of a
 * PTR_TO_BTF_ID, the state of an iterator or dynptr kept in stack slots, and whether precision tracking
 * decided that its exact value matters (`precise`).
 */
import { Scalar, copyScalar, markKnown, markUnknown } from './scalar.js';
import { formatScalar, formatScalarRanges, formatSnum, formatUnum } from './print.js';
import { tnumIsConst, tnumIsUnknown, tnumToString } from './tnum.js';

/** Base register types (the kernel's `enum bpf_reg_type`, the ones bpfsim tracks). */
export const RegType = {
  NOT_INIT: 0, SCALAR: 1, CTX: 2, CONST_MAP: 3, MAP_VALUE: 4, MAP_KEY: 5, STACK: 6,
  PKT_META: 7, PKT: 8, PKT_END: 9, MEM: 10, FUNC: 11, SOCKET: 12, SOCK_COMMON: 13, TCP_SOCK: 14, BTF_ID: 15,
  CONST_DYNPTR: 16,
} as const;

/** PTR_MAYBE_NULL: the pointer may be NULL until a null check. */
export const MAYBE_NULL = 1;
/** MEM_RDONLY: the memory may be read, not written. */
export const RDONLY = 2;
/** MEM_RINGBUF: the memory is a ring buffer record. */
export const RINGBUF = 4;
/** PTR_TRUSTED: a kernel pointer the program may pass to kfuncs that want trusted arguments. */
export const TRUSTED = 8;
/** MEM_RCU: a kernel pointer valid inside an RCU read-side section. */
export const RCU = 16;
/** PTR_UNTRUSTED: a kernel pointer only probe-read loads may follow. */
export const UNTRUSTED = 32;
/** MEM_USER: a pointer into user memory (a `__user` member), which loads may not follow. */
export const USER = 64;
/** MEM_PERCPU: a per-CPU kernel pointer (a `__percpu` member), which loads may not follow. */
export const PERCPU = 128;

/** An iterator's state in its stack slot (`enum bpf_iter_state`). */
export const IterState = { INVALID: 0, ACTIVE: 1, DRAINED: 2 } as const;

/** Names the BTF types a PTR_TO_BTF_ID may point to, for the log (the verifier's view of a target BTF). */
export interface BtfTypeNamer {
  /** The type's name (`task_struct`). */
  typeName(id: number): string;
}

/** What the verifier knows about a map a pointer refers to. */
export interface MapInfo {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /** Name as the log prints it (may be empty). */
  readonly name: string;
  /** `map_flags`. */
  readonly flags: number;
  /** For a frozen read-only array (`.rodata`): its value, which the verifier reads as constants. */
  readonly frozenValue?: Uint8Array;
  /** For a map of maps: what its inner maps are. */
  readonly inner?: MapInfo;
  /** Offset of the `struct bpf_spin_lock` in the value (from the value's BTF), if it has one. */
  readonly spinLockOff?: number;
  /** Offset of the `struct bpf_timer` in the value, if it has one. */
  readonly timerOff?: number;
}

const BASE_NAMES = [
  '?', 'scalar', 'ctx', 'map_ptr', 'map_value', 'map_key', 'fp', 'pkt_meta', 'pkt', 'pkt_end', 'mem', 'func', 'sock',
  'sock_common', 'tcp_sock', 'ptr_', 'dynptr_ptr',
];

/** reg_type_str: the log's name of a type with its flags (`map_value_or_null`, `ringbuf_mem`). */
export function regTypeName(type: number, flags = 0): string {
  const prefix = (flags & RDONLY ? 'rdonly_' : '') + (flags & RINGBUF ? 'ringbuf_' : '') + (flags & USER ? 'user_' : '') +
    (flags & PERCPU ? 'percpu_' : '') + (flags & RCU ? 'rcu_' : '') +
    (flags & UNTRUSTED ? 'untrusted_' : '') + (flags & TRUSTED ? 'trusted_' : '');
  const postfix = flags & MAYBE_NULL ? (type === RegType.BTF_ID ? 'or_null_' : '_or_null') : '';
  return prefix + BASE_NAMES[type] + postfix;
}

/** One register's abstract value; mutable, as the transfer functions update it in place. */
export class RegState {
  /** Base type (`RegType`). */
  type: number = RegType.NOT_INIT;
  /** MAYBE_NULL | RDONLY | RINGBUF | TRUSTED | RCU | UNTRUSTED | USER | PERCPU. */
  flags = 0;
  /** The variable part: the value of a scalar, the variable offset of a pointer. */
  readonly s: Scalar = new Scalar();
  /** Fixed offset of a pointer; for a linked scalar (`addConst`), the constant added since the copy. */
  off = 0;
  /** Id shared by copies (0: none). */
  id = 0;
  /** The scalar was copied then had a constant added (the kernel's BPF_ADD_CONST). */
  addConst = false;
  /** ... and that addition was 32-bit. */
  addConst32 = false;
  /** Id of the reference this pointer holds (ring buffer records), 0 for none. */
  refObjId = 0;
  /** Packet pointers: bytes known to be in the packet from the pointer on (or AT/BEYOND_PKT_END). */
  range = 0;
  /** Map pointers, map values and keys: the map. */
  map: MapInfo | null = null;
  /** PTR_TO_MEM: the region's size. */
  memSize = 0;
  /** PTR_TO_STACK: the frame it points into; PTR_TO_FUNC: the subprogram's first instruction. */
  frameno = 0;
  /** PTR_TO_BTF_ID: the type id in the target BTF; an iterator slot: the iterator's type. */
  btfId = 0;
  /** An iterator slot: ACTIVE or DRAINED (`IterState`). */
  iterState = 0;
  /** An iterator slot: how many iterations this path has simulated (infinite-loop detection only). */
  iterDepth = 0;
  /** A dynptr's stack slots: its kind (`DynptrType`, 0 for none); the slot carries the dynptr's `id` and `refObjId`. */
  dynptrType = 0;
  /** A dynptr's stack slots: this is its first (higher-addressed) slot. */
  dynptrFirst = false;
  /** Memory from bpf_dynptr_data: the id of the dynptr it came from (the slice dies with it). */
  dynptrId = 0;
  /** Precision tracking decided that this scalar's exact value matters (for pruning). */
  precise = false;
  /** The 32-bit cmpxchg (index + 1) that wrote the low half and no 64-bit read followed (the kernel's subreg_def, for cmpxchg only); 0 for none. */
  subregDef = 0;

  /** A copy of this register. */
  clone(): RegState {
    return copyReg(new RegState(), this);
  }
}

/** copy_register_state: every field of `src` into `dst`. */
export function copyReg(dst: RegState, src: RegState): RegState {
  dst.type = src.type; dst.flags = src.flags; copyScalar(dst.s, src.s);
  dst.off = src.off; dst.id = src.id; dst.addConst = src.addConst; dst.addConst32 = src.addConst32;
  dst.refObjId = src.refObjId; dst.range = src.range; dst.map = src.map; dst.memSize = src.memSize;
  dst.frameno = src.frameno; dst.btfId = src.btfId; dst.iterState = src.iterState; dst.iterDepth = src.iterDepth;
  dst.dynptrType = src.dynptrType; dst.dynptrFirst = src.dynptrFirst; dst.dynptrId = src.dynptrId;
  dst.precise = src.precise; dst.subregDef = src.subregDef;
  return dst;
}

function clearPtrFields(r: RegState): void {
  r.flags = 0; r.off = 0; r.id = 0; r.addConst = false; r.addConst32 = false; r.refObjId = 0;
  r.range = 0; r.map = null; r.memSize = 0; r.frameno = 0; r.btfId = 0; r.iterState = 0; r.iterDepth = 0;
  r.dynptrType = 0; r.dynptrFirst = false; r.dynptrId = 0;
}

/** __mark_reg_not_init. */
export function markNotInit(r: RegState): RegState {
  clearPtrFields(r);
  markUnknown(r.s);
  r.type = RegType.NOT_INIT;
  r.precise = false;
  r.subregDef = 0;
  return r;
}

/** __mark_reg_unknown: an unknown scalar (imprecise, as for a privileged program). */
export function markRegUnknown(r: RegState): RegState {
  clearPtrFields(r);
  markUnknown(r.s);
  r.type = RegType.SCALAR;
  r.precise = false;
  return r;
}

/** A known constant scalar (`hi`, `lo` halves). */
export function markRegKnown(r: RegState, hi: number, lo: number): RegState {
  clearPtrFields(r);
  markKnown(r.s, hi, lo);
  r.type = RegType.SCALAR;
  return r;
}

/** A pointer of `type` with a zero offset (mark_reg_known_zero then the type). */
export function markPtr(r: RegState, type: number, flags = 0): RegState {
  clearPtrFields(r);
  markKnown(r.s, 0, 0);
  r.type = type;
  r.flags = flags;
  return r;
}

/** Whether the register holds a pointer (anything initialised but a scalar). */
export function isPointer(r: RegState): boolean {
  return r.type !== RegType.SCALAR && r.type !== RegType.NOT_INIT;
}

/** Whether the register is a pointer into the packet (data or metadata). */
export function isPktPtr(r: RegState): boolean {
  return r.type === RegType.PKT || r.type === RegType.PKT_META;
}

/** Whether the register is the known constant 0 (register_is_null). */
export function isNullScalar(r: RegState): boolean {
  return r.type === RegType.SCALAR && tnumIsConst(r.s) && r.s.vlo === 0 && r.s.vhi === 0;
}

/** The log's text of a register (print_reg_state), `curFrame` being the frame it is printed in. */
export function formatReg(r: RegState, curFrame = 0, btf?: BtfTypeNamer): string {
  if (r.type === RegType.SCALAR) {
    return formatScalar(r.s, r.addConst ? { id: r.id, addConst: r.off, precise: r.precise } : { id: r.id, precise: r.precise });
  }
  const name = regTypeName(r.type, r.flags) + (r.type === RegType.BTF_ID ? btf?.typeName(r.btfId) ?? '' : '');
  const constOff = tnumIsConst(r.s);
  if (r.type === RegType.STACK) {
    const frame = r.frameno !== curFrame ? `[${r.frameno}]` : '';
    if (constOff) return `${name}${frame}${formatSnum(BigInt(r.off) + BigInt.asIntN(64, (BigInt(r.s.vhi >>> 0) << 32n) | BigInt(r.s.vlo >>> 0)))}`;
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === RegType.CONST_MAP || r.type === RegType.MAP_VALUE || r.type === RegType.MAP_KEY) && r.map) {
    if (r.map.name) parts.push(`map=${r.map.name}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.off) parts.push(`off=${formatSnum(BigInt(r.off))}`);
  if (isPktPtr(r)) parts.push(`r=${r.range < 0 ? r.range : formatUnum(BigInt(r.range))}`);
  if (r.type === RegType.MEM) parts.push(`sz=${formatUnum(BigInt(r.memSize))}`);
  if (r.type === RegType.CONST_DYNPTR) parts.push(`type=${DYNPTR_NAMES[r.dynptrType] ?? '?'}`);
  if (constOff) {
    if (r.s.vlo !== 0 || r.s.vhi !== 0) parts.push(`imm=${formatSnum(BigInt.asIntN(64, (BigInt(r.s.vhi >>> 0) << 32n) | BigInt(r.s.vlo >>> 0)))}`);
  } else {
    parts.push(...formatScalarRanges(r.s));
    if (!tnumIsUnknown(r.s)) parts.push(`var_off=${tnumToString(r.s)}`);
  }
  return `${name}(${parts.join(',')})`;
}

/** The log's text of a dynptr's first stack slot (`dynptr_ringbuf(id=1,ref_id=2)`). */
export function formatDynptrSlot(r: RegState): string {
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_id=${r.refObjId}`);
  // The kernel prints the slice field dynptr_id, which shares its bytes with first_slot: 1 here.
  if (r.dynptrFirst) parts.push('dynptr_id=1');
  return `dynptr_${DYNPTR_NAMES[r.dynptrType] ?? '?'}(${parts.join(',')})`;
}

/** dynptr_type_str, by `DynptrType`. */
export const DYNPTR_NAMES: readonly string[] = ['invalid', 'local', 'ringbuf'];
