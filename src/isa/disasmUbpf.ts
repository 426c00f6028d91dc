/**
 * The uBPF / bpf_conformance assembler text of one valid instruction (`mov %r0, 1`,
 * `ldxw %r0, [%r1+4]`, `lock fetch add32 [%r10-8], %r1`, `call local +3`), so that programs can be
 * exported as conformance tests. Extensions for what that dialect has no words for: `ldabsw 12`,
 * `ldindw %r1, 12`, `may_goto +2` and the pseudo operands of `lddw` (`lddw %r1, map[fd:3]`).
 */
import type { Insn } from './insn.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_END, BPF_EXIT,
  BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_MOD,
  BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_W, BPF_X, BPF_XCHG,
  insnClass, insnMode, insnOp, insnSize, insnSrc,
} from './opcodes.js';
import { imm64Operand, kfuncOff, type NameResolvers } from './disasmKernel.js';
import { ATOMIC_OPS, UBPF_ALU, UBPF_JMP, UBPF_SIZE, signed } from './syntax.js';

/** `[%r1+4]`, `[%r10-8]`, or `[%r1]` for offset 0. */
function mem(reg: number, off: number): string {
  return off === 0 ? `[%r${reg}]` : `[%r${reg}${signed(off)}]`;
}

function aluText(ins: Insn): string {
  const is32 = insnClass(ins.code) === BPF_ALU;
  const op = insnOp(ins.code);
  const x = insnSrc(ins.code) === BPF_X;
  const dst = `%r${ins.dst}`;
  if (op === BPF_END) return is32 ? `${x ? 'be' : 'le'}${ins.imm} ${dst}` : `bswap${ins.imm} ${dst}`;
  const suffix = is32 ? '32' : '';
  if (op === BPF_NEG) return `neg${suffix} ${dst}`;
  if (op === BPF_MOV && ins.off !== 0) return `movsx${ins.off}${is32 ? '32' : '64'} ${dst}, %r${ins.src}`;
  const signedOp = ins.off === 1 && (op === BPF_DIV || op === BPF_MOD);
  const name = signedOp ? (op === BPF_DIV ? 'sdiv' : 'smod') : UBPF_ALU[op]!;
  return `${name}${suffix} ${dst}, ${x ? `%r${ins.src}` : ins.imm}`;
}

function jmpText(ins: Insn): string {
  const op = insnOp(ins.code);
  if (ins.code === (BPF_JMP | BPF_EXIT)) return 'exit';
  if (ins.code === (BPF_JMP | BPF_JA)) return `ja ${signed(ins.off)}`;
  if (ins.code === (BPF_JMP32 | BPF_JA)) return `ja32 ${signed(ins.imm)}`;
  if (ins.code === (BPF_JMP | BPF_JCOND)) return `may_goto ${signed(ins.off)}`;
  if (op === BPF_CALL) {
    if (insnSrc(ins.code) === BPF_X) return `call %r${ins.dst}`;
    if (ins.src === BPF_PSEUDO_CALL) return `call local ${signed(ins.imm)}`;
    return ins.src === BPF_PSEUDO_KFUNC_CALL ? `call runtime ${ins.imm}${kfuncOff(ins)}` : `call ${ins.imm}`;
  }
  const name = UBPF_JMP[op]! + (insnClass(ins.code) === BPF_JMP32 ? '32' : '');
  const rhs = insnSrc(ins.code) === BPF_X ? `%r${ins.src}` : String(ins.imm);
  return `${name} %r${ins.dst}, ${rhs}, ${signed(ins.off)}`;
}

function atomicText(ins: Insn): string {
  const suffix = insnSize(ins.code) === BPF_W ? '32' : '';
  const operands = `${mem(ins.dst, ins.off)}, %r${ins.src}`;
  if (ins.imm === BPF_XCHG) return `lock xchg${suffix} ${operands}`;
  if (ins.imm === BPF_CMPXCHG) return `lock cmpxchg${suffix} ${operands}`;
  const fetch = ins.imm & BPF_FETCH ? 'fetch ' : '';
  return `lock ${fetch}${ATOMIC_OPS[ins.imm & ~BPF_FETCH]}${suffix} ${operands}`;
}

function ldText(insns: readonly Insn[], i: number, names: NameResolvers): string {
  const ins = insns[i]!;
  const size = UBPF_SIZE[insnSize(ins.code)];
  switch (insnMode(ins.code)) {
    case BPF_ABS: return `ldabs${size} ${ins.imm}`;
    case BPF_IND: return `ldind${size} %r${ins.src}, ${ins.imm}`;
    default: return `lddw %r${ins.dst}, ${imm64Operand(insns, i, names)}`;
  }
}

/** The uBPF-dialect text of the valid instruction at slot `i`. */
export function ubpfText(insns: readonly Insn[], i: number, names: NameResolvers): string {
  const ins = insns[i]!;
  const size = UBPF_SIZE[insnSize(ins.code)];
  switch (insnClass(ins.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return aluText(ins);
    case BPF_JMP:
    case BPF_JMP32:
      return jmpText(ins);
    case BPF_LD:
      return ldText(insns, i, names);
    case BPF_LDX:
      return `ldx${insnMode(ins.code) === BPF_MEM ? '' : 's'}${size} %r${ins.dst}, ${mem(ins.src, ins.off)}`;
    case BPF_ST:
      return `st${size} ${mem(ins.dst, ins.off)}, ${ins.imm}`;
    default:
      return insnMode(ins.code) === BPF_ATOMIC ? atomicText(ins) : `stx${size} ${mem(ins.dst, ins.off)}, %r${ins.src}`;
  }
}
