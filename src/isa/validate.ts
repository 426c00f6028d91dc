import { BpfError } from '../errors.js';
import { decodeInsns } from './encoding.js';
import type { Insn } from './insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV,
  BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32,
  BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR, BPF_PROBE_MEM, BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_W, BPF_X, BPF_XCHG, BPF_XOR, LD_IMM64, MAX_BPF_REG,
  insnClass, insnMode, insnOp, insnSize, insnSrc,
} from './opcodes.js';

/** Raised for an instruction that is not a valid encoding; names the slot index. */
export class InvalidInsnError extends BpfError {
  /** Index of the offending instruction slot. */
  readonly index: number;
  /** What is wrong with it, without the index. */
  readonly reason: string;

  constructor(index: number, reason: string) {
    super('EINSN', `insn ${index}: ${reason}`);
    this.index = index;
    this.reason = reason;
  }
}

/** Options for `checkInsn` and `validateProgram`. */
export interface ValidateOptions {
  /** Accept `call %rN` (JMP|CALL|X), which uBPF supports and Linux does not. Default true. */
  readonly allowCallx?: boolean;
  /** Accept LDX | BPF_PROBE_MEM, which a loader writes for the verifier's loads through kernel pointers. Default false. */
  readonly probeMem?: boolean;
}

function hex(code: number): string {
  return '0x' + code.toString(16).padStart(2, '0');
}

function reg(r: number, what: string): string | null {
  return r < MAX_BPF_REG ? null : `invalid ${what} register r${r}`;
}

function unused(ins: Insn, fields: { dst?: boolean; src?: boolean; off?: boolean; imm?: boolean }): string | null {
  if (fields.dst && ins.dst !== 0) return `opcode ${hex(ins.code)} has reserved dst field set to ${ins.dst}`;
  if (fields.src && ins.src !== 0) return `opcode ${hex(ins.code)} has reserved src field set to ${ins.src}`;
  if (fields.off && ins.off !== 0) return `opcode ${hex(ins.code)} has reserved off field set to ${ins.off}`;
  if (fields.imm && ins.imm !== 0) return `opcode ${hex(ins.code)} has reserved imm field set to ${ins.imm}`;
  return null;
}

function checkAlu(ins: Insn, is64: boolean): string | null {
  const op = insnOp(ins.code);
  const x = insnSrc(ins.code) === BPF_X;
  const bad = reg(ins.dst, 'destination');
  if (bad) return bad;
  switch (op) {
    case BPF_NEG:
      if (x) return `invalid opcode ${hex(ins.code)}: neg takes no source`;
      return unused(ins, { src: true, off: true, imm: true });
    case BPF_END: {
      if (is64 && x) return `invalid opcode ${hex(ins.code)}: 64-bit byte swap has no big-endian form`;
      if (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) return `invalid byte-swap width ${ins.imm}: must be 16, 32 or 64`;
      return unused(ins, { src: true, off: true });
    }
    case BPF_DIV:
    case BPF_MOD:
      if (ins.off !== 0 && ins.off !== 1) return `invalid off ${ins.off} for ${op === BPF_DIV ? 'div' : 'mod'}: must be 0 (unsigned) or 1 (signed)`;
      return x ? reg(ins.src, 'source') ?? unused(ins, { imm: true }) : unused(ins, { src: true });
    case BPF_MOV:
      if (x) {
        const sx = is64 ? [0, 8, 16, 32] : [0, 8, 16];
        if (!sx.includes(ins.off)) return `invalid off ${ins.off} for mov: must be 0 or a sign-extension width (${sx.slice(1).join(', ')})`;
        return reg(ins.src, 'source') ?? unused(ins, { imm: true });
      }
      return unused(ins, { src: true, off: true });
    case 0xe0:
    case 0xf0:
      return `invalid ALU opcode ${hex(ins.code)}`;
    default:
      return x ? reg(ins.src, 'source') ?? unused(ins, { off: true, imm: true }) : unused(ins, { src: true, off: true });
  }
}

function checkJmp(ins: Insn, is32: boolean, opts: ValidateOptions): string | null {
  const op = insnOp(ins.code);
  const x = insnSrc(ins.code) === BPF_X;
  switch (op) {
    case BPF_JA:
      if (x) return `invalid opcode ${hex(ins.code)}: ja takes no source register`;
      return is32 ? unused(ins, { dst: true, src: true, off: true }) : unused(ins, { dst: true, src: true, imm: true });
    case BPF_CALL:
      if (is32) return `invalid opcode ${hex(ins.code)}: call is a JMP-class instruction`;
      if (x) {
        if (opts.allowCallx === false) return `invalid opcode ${hex(ins.code)}: call through a register is not supported`;
        return reg(ins.dst, 'destination') ?? unused(ins, { src: true, off: true, imm: true });
      }
      if (ins.src === BPF_PSEUDO_KFUNC_CALL) return unused(ins, { dst: true });
      if (ins.src !== 0 && ins.src !== BPF_PSEUDO_CALL) return `invalid call source ${ins.src}: must be 0 (helper), 1 (BPF function) or 2 (kfunc)`;
      return unused(ins, { dst: true, off: true });
    case BPF_EXIT:
      if (is32 || x) return `invalid opcode ${hex(ins.code)}: exit is JMP|EXIT|K only`;
      return unused(ins, { dst: true, src: true, off: true, imm: true });
    case BPF_JCOND:
      if (is32 || x) return `invalid opcode ${hex(ins.code)}: may_goto is JMP|JCOND|K only`;
      return unused(ins, { dst: true, src: true, imm: true });
    case 0xf0:
      return `invalid jump opcode ${hex(ins.code)}`;
    default:
      return reg(ins.dst, 'destination') ?? (x ? reg(ins.src, 'source') ?? unused(ins, { imm: true }) : unused(ins, { src: true }));
  }
}

function checkLd(insns: readonly Insn[], i: number): string | null {
  const ins = insns[i]!;
  const mode = insnMode(ins.code);
  if (ins.code === LD_IMM64) {
    const next = insns[i + 1];
    if (!next) return 'LD_IMM64 is truncated: its second half is missing';
    if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) return 'LD_IMM64 second half has reserved fields set';
    if (ins.src > 6) return `invalid LD_IMM64 pseudo source ${ins.src}: must be 0..6`;
    return reg(ins.dst, 'destination') ?? unused(ins, { off: true });
  }
  if (mode === BPF_ABS || mode === BPF_IND) {
    if (insnSize(ins.code) === BPF_DW) return `invalid opcode ${hex(ins.code)}: LD_ABS/LD_IND have no 8-byte form`;
    if (mode === BPF_ABS) return unused(ins, { dst: true, src: true, off: true });
    return reg(ins.src, 'source') ?? unused(ins, { dst: true, off: true });
  }
  return `invalid LD opcode ${hex(ins.code)}`;
}

function checkMem(ins: Insn, opts: ValidateOptions): string | null {
  const cls = insnClass(ins.code);
  const mode = insnMode(ins.code);
  const size = insnSize(ins.code);
  const dst = reg(ins.dst, 'destination');
  if (dst) return dst;
  if (cls === BPF_LDX) {
    if (mode === BPF_MEMSX && size === BPF_DW) return `invalid opcode ${hex(ins.code)}: no sign-extending 8-byte load`;
    if (mode !== BPF_MEM && mode !== BPF_MEMSX && !(mode === BPF_PROBE_MEM && opts.probeMem)) return `invalid LDX opcode ${hex(ins.code)}`;
    return reg(ins.src, 'source') ?? unused(ins, { imm: true });
  }
  if (cls === BPF_ST) {
    if (mode !== BPF_MEM) return `invalid ST opcode ${hex(ins.code)}`;
    return unused(ins, { src: true });
  }
  if (mode === BPF_MEM) return reg(ins.src, 'source') ?? unused(ins, { imm: true });
  if (mode === BPF_ATOMIC) {
    if (size !== BPF_W && size !== BPF_DW) return `invalid opcode ${hex(ins.code)}: atomics are 4 or 8 bytes wide`;
    const op = ins.imm;
    const base = op & ~BPF_FETCH;
    const ok = op === BPF_XCHG || op === BPF_CMPXCHG || base === BPF_ADD || base === BPF_OR || base === BPF_AND || base === BPF_XOR;
    if (!ok || op < 0) return `invalid atomic operation 0x${(op >>> 0).toString(16)}`;
    return reg(ins.src, 'source');
  }
  return `invalid STX opcode ${hex(ins.code)}`;
}

/** Checks one slot in the context of its program; returns what is wrong with it, or null. */
export function checkInsn(insns: readonly Insn[], i: number, opts: ValidateOptions = {}): string | null {
  const ins = insns[i]!;
  switch (insnClass(ins.code)) {
    case BPF_ALU: return checkAlu(ins, false);
    case BPF_ALU64: return checkAlu(ins, true);
    case BPF_JMP: return checkJmp(ins, false, opts);
    case BPF_JMP32: return checkJmp(ins, true, opts);
    case BPF_LD: return checkLd(insns, i);
    default: return checkMem(ins, opts);
  }
}

/** The slot a jump at `i` lands on, or null when `i` is not a jump with a pc-relative target. */
export function jumpTarget(insns: readonly Insn[], i: number): number | null {
  const ins = insns[i]!;
  const cls = insnClass(ins.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return null;
  const op = insnOp(ins.code);
  if (op === BPF_EXIT) return null;
  if (op === BPF_CALL) return insnSrc(ins.code) === BPF_K && ins.src === BPF_PSEUDO_CALL ? i + 1 + ins.imm : null;
  if (cls === BPF_JMP32 && op === BPF_JA) return i + 1 + ins.imm;
  return i + 1 + ins.off;
}

/**
 * Validates every slot of a program: opcodes, registers, reserved fields, LD_IMM64 pairs and jump
 * targets (in range, never into the second half of an LD_IMM64). Throws `InvalidInsnError` naming
 * the first bad slot.
 */
export function validateProgram(insns: readonly Insn[], opts: ValidateOptions = {}): void {
  const n = insns.length;
  if (n === 0) throw new InvalidInsnError(0, 'the program is empty');
  const second = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (insns[i]!.code === LD_IMM64) {
      const problem = checkInsn(insns, i, opts);
      if (problem) throw new InvalidInsnError(i, problem);
      second[i + 1] = 1;
      i++;
    }
  }
  for (let i = 0; i < n; i++) {
    if (second[i]) continue;
    const problem = checkInsn(insns, i, opts);
    if (problem) throw new InvalidInsnError(i, problem);
    const t = jumpTarget(insns, i);
    if (t !== null && (t < 0 || t >= n)) throw new InvalidInsnError(i, `jump out of range: target ${t} is outside 0..${n - 1}`);
    if (t !== null && second[t]) throw new InvalidInsnError(i, `jump into the middle of the LD_IMM64 at ${t - 1}`);
  }
}

/** Decodes and validates bytecode; the entry point for untrusted programs. */
export function decodeProgram(bytes: Uint8Array, opts: ValidateOptions = {}): Insn[] {
  const insns = decodeInsns(bytes);
  validateProgram(insns, opts);
  return insns;
}
