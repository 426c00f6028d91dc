/**
 * A typed program builder in the manner of cilium/ebpf's `asm` package: values that read like the
 * instruction they make (`Add.imm(R1, 22)`, `JEq.reg32(R1, R2, 'out')`, `storeMem(R10, -4, R0, 'w')`,
 * `call('map_lookup_elem')`, `exit()`), labels, and `program(...)` to lay them out and resolve
 * jump targets into offsets.
 */
import { BpfError } from '../errors.js';
import { insn, ldImm64, type Insn } from './insn.js';
import { helperId } from './helperIds.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT,
  BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST,
  BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_X, BPF_XCHG, BPF_XOR, LD_IMM64, sizeField,
} from './opcodes.js';
import type { MapRef } from './asm.js';

/** Register r0: return value, helper results. */
export const R0 = 0;
/** Register r1: first argument (the context on entry). */
export const R1 = 1;
/** Register r2: second argument. */
export const R2 = 2;
/** Register r3: third argument. */
export const R3 = 3;
/** Register r4: fourth argument. */
export const R4 = 4;
/** Register r5: fifth argument. */
export const R5 = 5;
/** Register r6: callee-saved. */
export const R6 = 6;
/** Register r7: callee-saved. */
export const R7 = 7;
/** Register r8: callee-saved. */
export const R8 = 8;
/** Register r9: callee-saved. */
export const R9 = 9;
/** Register r10: the read-only frame pointer. */
export const R10 = 10;

/** A register number, r0..r10. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
/** Access size: byte, half word, word, double word. */
export type Size = 'b' | 'h' | 'w' | 'dw';
/** A jump or call target: a label, or an offset relative to the next instruction. */
export type Target = string | number;

/** One element of a program under construction: an instruction, or a label marking the next one. */
export type AsmItem =
  | {
      readonly kind: 'insn';
      /** One slot, or two for LD_IMM64. */
      readonly slots: readonly Insn[];
      /** A label still to resolve into the `off` or `imm` field. */
      readonly target?: { readonly label: string; readonly field: 'off' | 'imm' };
      /** The map an LD_IMM64 refers to by name. */
      readonly mapRef?: string;
    }
  | { readonly kind: 'label'; readonly name: string };

/** Raised for builder input that makes no instruction: a bad register, size, immediate or label. */
export class BuilderError extends BpfError {
  constructor(message: string) {
    super('EBUILD', message);
  }
}

function r(x: number): number {
  if (!Number.isInteger(x) || x < 0 || x > 10) throw new BuilderError(`invalid register ${x}: registers are R0..R10`);
  return x;
}

function imm(x: number, what = 'immediate'): number {
  if (!Number.isInteger(x) || x < -0x80000000 || x > 0xffffffff) throw new BuilderError(`${what} ${x} does not fit in 32 bits`);
  return x | 0;
}

function off(x: number, what = 'offset'): number {
  if (!Number.isInteger(x) || x < -0x8000 || x > 0x7fff) throw new BuilderError(`${what} ${x} does not fit in 16 bits`);
  return x;
}

function size(s: Size): number {
  const bytes = { b: 1, h: 2, w: 4, dw: 8 }[s] as 1 | 2 | 4 | 8 | undefined;
  if (bytes === undefined) throw new BuilderError(`invalid size '${s}': use 'b', 'h', 'w' or 'dw'`);
  return sizeField(bytes);
}

function one(slot: Insn): AsmItem {
  return { kind: 'insn', slots: [slot] };
}

function targeted(code: number, dst: number, src: number, field: 'off' | 'imm', to: Target, k = 0): AsmItem {
  if (typeof to === 'string') return { kind: 'insn', slots: [insn(code, dst, src, 0, k)], target: { label: to, field } };
  const rel = field === 'off' ? off(to, 'jump offset') : imm(to, 'jump offset');
  return one(field === 'off' ? insn(code, dst, src, rel, k) : insn(code, dst, src, 0, rel));
}

/** A binary ALU operation: immediate or register source, 64-bit or 32-bit (`w`) registers. */
export interface AluOp {
  /** `dst op= k` on 64 bits. */
  imm(dst: Reg, k: number): AsmItem;
  /** `dst op= src` on 64 bits. */
  reg(dst: Reg, src: Reg): AsmItem;
  /** `wdst op= k`. */
  imm32(dst: Reg, k: number): AsmItem;
  /** `wdst op= wsrc`. */
  reg32(dst: Reg, src: Reg): AsmItem;
}

function aluOp(op: number, o = 0): AluOp {
  return {
    imm: (dst, k) => one(insn(BPF_ALU64 | op | BPF_K, r(dst), 0, o, imm(k))),
    reg: (dst, src) => one(insn(BPF_ALU64 | op | BPF_X, r(dst), r(src), o)),
    imm32: (dst, k) => one(insn(BPF_ALU | op | BPF_K, r(dst), 0, o, imm(k))),
    reg32: (dst, src) => one(insn(BPF_ALU | op | BPF_X, r(dst), r(src), o)),
  };
}

/** `dst += src`. */
export const Add = aluOp(BPF_ADD);
/** `dst -= src`. */
export const Sub = aluOp(BPF_SUB);
/** `dst *= src`. */
export const Mul = aluOp(BPF_MUL);
/** `dst /= src`, unsigned. */
export const Div = aluOp(BPF_DIV);
/** `dst s/= src`, signed (v4). */
export const SDiv = aluOp(BPF_DIV, 1);
/** `dst |= src`. */
export const Or = aluOp(BPF_OR);
/** `dst &= src`. */
export const And = aluOp(BPF_AND);
/** `dst <<= src`. */
export const LSh = aluOp(BPF_LSH);
/** `dst >>= src`, logical. */
export const RSh = aluOp(BPF_RSH);
/** `dst %= src`, unsigned. */
export const Mod = aluOp(BPF_MOD);
/** `dst s%= src`, signed (v4). */
export const SMod = aluOp(BPF_MOD, 1);
/** `dst ^= src`. */
export const Xor = aluOp(BPF_XOR);
/** `dst = src`. */
export const Mov = aluOp(BPF_MOV);
/** `dst s>>= src`, arithmetic. */
export const ArSh = aluOp(BPF_ARSH);

/** A sign-extending move (v4): `dst = (s8)src`. */
export interface MovSXOp {
  /** 64-bit destination. */
  reg(dst: Reg, src: Reg): AsmItem;
  /** 32-bit destination (not for 32-bit sources). */
  reg32(dst: Reg, src: Reg): AsmItem;
}

function movsx(bits: 8 | 16 | 32): MovSXOp {
  return {
    reg: (dst, src) => one(insn(BPF_ALU64 | BPF_MOV | BPF_X, r(dst), r(src), bits)),
    reg32: (dst, src) => {
      if (bits === 32) throw new BuilderError('MovSX32 has no 32-bit form');
      return one(insn(BPF_ALU | BPF_MOV | BPF_X, r(dst), r(src), bits));
    },
  };
}

/** `dst = (s8)src`. */
export const MovSX8 = movsx(8);
/** `dst = (s16)src`. */
export const MovSX16 = movsx(16);
/** `dst = (s32)src`. */
export const MovSX32 = movsx(32);

/** `dst = -dst`, on 64 bits (`reg`) or 32 bits (`reg32`). */
export const Neg = {
  /** `dst = -dst`. */
  reg: (dst: Reg): AsmItem => one(insn(BPF_ALU64 | BPF_NEG, r(dst))),
  /** `wdst = -wdst`. */
  reg32: (dst: Reg): AsmItem => one(insn(BPF_ALU | BPF_NEG, r(dst))),
};

/** A byte-order operation on one register. */
export interface EndOp {
  /** Converts or swaps `dst` in place. */
  reg(dst: Reg): AsmItem;
}

function end(code: number, bits: 16 | 32 | 64): EndOp {
  return { reg: (dst) => one(insn(code, r(dst), 0, 0, bits)) };
}

/** `dst = be16 dst`. */
export const Be16 = end(BPF_ALU | BPF_END | BPF_TO_BE, 16);
/** `dst = be32 dst`. */
export const Be32 = end(BPF_ALU | BPF_END | BPF_TO_BE, 32);
/** `dst = be64 dst`. */
export const Be64 = end(BPF_ALU | BPF_END | BPF_TO_BE, 64);
/** `dst = le16 dst`. */
export const Le16 = end(BPF_ALU | BPF_END | BPF_TO_LE, 16);
/** `dst = le32 dst`. */
export const Le32 = end(BPF_ALU | BPF_END | BPF_TO_LE, 32);
/** `dst = le64 dst`. */
export const Le64 = end(BPF_ALU | BPF_END | BPF_TO_LE, 64);
/** `dst = bswap16 dst` (v4). */
export const Bswap16 = end(BPF_ALU64 | BPF_END, 16);
/** `dst = bswap32 dst` (v4). */
export const Bswap32 = end(BPF_ALU64 | BPF_END, 32);
/** `dst = bswap64 dst` (v4). */
export const Bswap64 = end(BPF_ALU64 | BPF_END, 64);

/** A conditional jump: compare with an immediate or a register, on 64 or 32 bits. */
export interface JumpOp {
  /** `if dst op k goto to`. */
  imm(dst: Reg, k: number, to: Target): AsmItem;
  /** `if dst op src goto to`. */
  reg(dst: Reg, src: Reg, to: Target): AsmItem;
  /** `if wdst op k goto to`. */
  imm32(dst: Reg, k: number, to: Target): AsmItem;
  /** `if wdst op wsrc goto to`. */
  reg32(dst: Reg, src: Reg, to: Target): AsmItem;
}

function jumpOp(op: number): JumpOp {
  return {
    imm: (dst, k, to) => targeted(BPF_JMP | op | BPF_K, r(dst), 0, 'off', to, imm(k)),
    reg: (dst, src, to) => targeted(BPF_JMP | op | BPF_X, r(dst), r(src), 'off', to),
    imm32: (dst, k, to) => targeted(BPF_JMP32 | op | BPF_K, r(dst), 0, 'off', to, imm(k)),
    reg32: (dst, src, to) => targeted(BPF_JMP32 | op | BPF_X, r(dst), r(src), 'off', to),
  };
}

/** Jump if equal. */
export const JEq = jumpOp(BPF_JEQ);
/** Jump if not equal. */
export const JNE = jumpOp(BPF_JNE);
/** Jump if greater, unsigned. */
export const JGT = jumpOp(BPF_JGT);
/** Jump if greater or equal, unsigned. */
export const JGE = jumpOp(BPF_JGE);
/** Jump if lower, unsigned. */
export const JLT = jumpOp(BPF_JLT);
/** Jump if lower or equal, unsigned. */
export const JLE = jumpOp(BPF_JLE);
/** Jump if greater, signed. */
export const JSGT = jumpOp(BPF_JSGT);
/** Jump if greater or equal, signed. */
export const JSGE = jumpOp(BPF_JSGE);
/** Jump if lower, signed. */
export const JSLT = jumpOp(BPF_JSLT);
/** Jump if lower or equal, signed. */
export const JSLE = jumpOp(BPF_JSLE);
/** Jump if `dst & src` is not zero. */
export const JSet = jumpOp(BPF_JSET);

/** `goto to` (16-bit offset). */
export function ja(to: Target): AsmItem {
  return targeted(BPF_JMP | BPF_JA, 0, 0, 'off', to);
}

/** `gotol to` (32-bit offset, v4). */
export function gotol(to: Target): AsmItem {
  return targeted(BPF_JMP32 | BPF_JA, 0, 0, 'imm', to);
}

/** `may_goto to`: jump once the kernel's loop budget runs out. */
export function mayGoto(to: Target): AsmItem {
  return targeted(BPF_JMP | BPF_JCOND, 0, 0, 'off', to);
}

/** `dst = *(size *)(src + offset)`. */
export function loadMem(dst: Reg, src: Reg, offset: number, sz: Size): AsmItem {
  return one(insn(BPF_LDX | BPF_MEM | size(sz), r(dst), r(src), off(offset)));
}

/** `dst = *(s8/s16/s32 *)(src + offset)`, sign-extending (v4). */
export function loadMemSX(dst: Reg, src: Reg, offset: number, sz: 'b' | 'h' | 'w'): AsmItem {
  if (sz === ('dw' as Size)) throw new BuilderError('there is no sign-extending 8-byte load');
  return one(insn(BPF_LDX | BPF_MEMSX | size(sz), r(dst), r(src), off(offset)));
}

/** `*(size *)(dst + offset) = src`. */
export function storeMem(dst: Reg, offset: number, src: Reg, sz: Size): AsmItem {
  return one(insn(BPF_STX | BPF_MEM | size(sz), r(dst), r(src), off(offset)));
}

/** `*(size *)(dst + offset) = k`. */
export function storeImm(dst: Reg, offset: number, k: number, sz: Size): AsmItem {
  return one(insn(BPF_ST | BPF_MEM | size(sz), r(dst), 0, off(offset), imm(k)));
}

/** An atomic read-modify-write; the `fetch_` forms, `xchg` and `cmpxchg` return the old value. */
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg' | 'cmpxchg';

const ATOMIC_IMM: Record<AtomicOp, number> = {
  add: BPF_ADD, or: BPF_OR, and: BPF_AND, xor: BPF_XOR,
  fetch_add: BPF_ADD | BPF_FETCH, fetch_or: BPF_OR | BPF_FETCH, fetch_and: BPF_AND | BPF_FETCH, fetch_xor: BPF_XOR | BPF_FETCH,
  xchg: BPF_XCHG, cmpxchg: BPF_CMPXCHG,
};

/** An atomic operation on `*(size *)(dst + offset)` with `src` (cmpxchg compares with r0). */
export function atomic(op: AtomicOp, sz: 'w' | 'dw', dst: Reg, offset: number, src: Reg): AsmItem {
  const k = ATOMIC_IMM[op];
  if (k === undefined) throw new BuilderError(`unknown atomic operation '${op}'`);
  if (sz !== 'w' && sz !== 'dw') throw new BuilderError(`atomics are 'w' or 'dw', not '${sz}'`);
  return one(insn(BPF_STX | BPF_ATOMIC | size(sz), r(dst), r(src), off(offset), k));
}

/** `dst = value ll`: a 64-bit constant (taken modulo 2^64). */
export function loadImm64(dst: Reg, value: bigint | number): AsmItem {
  return { kind: 'insn', slots: ldImm64(r(dst), BigInt(value)) };
}

/** `dst = map[name]`: the map's address, filled in by the loader (BPF_PSEUDO_MAP_FD). */
export function loadMapPtr(dst: Reg, name: string): AsmItem {
  return { kind: 'insn', slots: ldImm64(r(dst), 0n, BPF_PSEUDO_MAP_FD), mapRef: name };
}

/** `dst = map_value[name] + offset`: an address inside the map's value (BPF_PSEUDO_MAP_VALUE). */
export function loadMapValue(dst: Reg, name: string, offset = 0): AsmItem {
  return { kind: 'insn', slots: [insn(LD_IMM64, r(dst), BPF_PSEUDO_MAP_VALUE), insn(0, 0, 0, 0, imm(offset, 'value offset'))], mapRef: name };
}

/** Calls a helper by id or by name (with or without `bpf_`). */
export function call(helper: number | string): AsmItem {
  const id = typeof helper === 'number' ? helper : helperId(helper);
  if (id === undefined) throw new BuilderError(`unknown helper '${helper}'`);
  return one(insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm(id, 'helper id')));
}

/** Calls a BPF function of the program (bpf-to-bpf call) at a label or relative offset. */
export function callLocal(to: Target): AsmItem {
  return targeted(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 'imm', to);
}

/** Calls a kernel function by BTF id; `btfFdIndex` selects a module's BTF in fd_array. */
export function callKfunc(btfId: number, btfFdIndex = 0): AsmItem {
  return one(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, off(btfFdIndex, 'BTF fd index'), imm(btfId, 'BTF id')));
}

/** `r0 = *(size *)skb[k]`: legacy packet load (socket filters). */
export function ldAbs(sz: 'b' | 'h' | 'w', k: number): AsmItem {
  if (sz === ('dw' as Size)) throw new BuilderError('legacy packet loads are 1, 2 or 4 bytes wide');
  return one(insn(BPF_LD | BPF_ABS | size(sz), 0, 0, 0, imm(k)));
}

/** `r0 = *(size *)skb[src + k]`: legacy packet load at a register offset. */
export function ldInd(sz: 'b' | 'h' | 'w', src: Reg, k: number): AsmItem {
  if (sz === ('dw' as Size)) throw new BuilderError('legacy packet loads are 1, 2 or 4 bytes wide');
  return one(insn(BPF_LD | BPF_IND | size(sz), 0, r(src), 0, imm(k)));
}

/** `exit`: return r0. */
export function exit(): AsmItem {
  return one(insn(BPF_JMP | BPF_EXIT));
}

/** Marks the next instruction as `name`. */
export function label(name: string): AsmItem {
  return { kind: 'label', name };
}

/** What `program` produces: the same shape as `assemble`'s result. */
export interface BuiltProgram {
  /** Instruction slots. */
  readonly insns: Insn[];
  /** Maps referenced by name, with the slot of their LD_IMM64. */
  readonly mapRefs: MapRef[];
  /** Every label and the slot it marks. */
  readonly labels: Map<string, number>;
}

/** Something `program` accepts: a builder item, a raw slot, or a (nested) list of them. */
export type ProgramPart = AsmItem | Insn | readonly ProgramPart[];

function flatten(parts: readonly ProgramPart[], out: AsmItem[]): AsmItem[] {
  for (const p of parts) {
    if (Array.isArray(p)) flatten(p, out);
    else if ('kind' in (p as object)) out.push(p as AsmItem);
    else out.push(one(p as Insn));
  }
  return out;
}

/** Lays out the items, resolves labels into offsets and collects map references. */
export function program(...parts: ProgramPart[]): BuiltProgram {
  const items = flatten(parts, []);
  const labels = new Map<string, number>();
  let at = 0;
  for (const item of items) {
    if (item.kind === 'insn') at += item.slots.length;
    else if (labels.has(item.name)) throw new BuilderError(`duplicate label '${item.name}'`);
    else labels.set(item.name, at);
  }
  const insns: Insn[] = [];
  const mapRefs: MapRef[] = [];
  for (const item of items) {
    if (item.kind === 'label') continue;
    const [first, ...rest] = item.slots;
    let head = first!;
    if (item.target) {
      const to = labels.get(item.target.label);
      if (to === undefined) throw new BuilderError(`undefined label '${item.target.label}'`);
      const rel = to - insns.length - 1;
      head = item.target.field === 'off'
        ? insn(head.code, head.dst, head.src, off(rel, `jump to '${item.target.label}'`), head.imm)
        : insn(head.code, head.dst, head.src, head.off, rel);
    }
    if (item.mapRef !== undefined) mapRefs.push({ index: insns.length, name: item.mapRef });
    insns.push(head, ...rest);
  }
  return { insns, mapRefs, labels };
}
