import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_END, BPF_FETCH, BPF_JMP,
  BPF_JMP32, BPF_MOD, BPF_MOV, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_STX, BPF_X, BPF_XCHG,
  LD_IMM64, insnClass, insnMode, insnOp, insnSrc, jumpTarget,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';

/**
 * The interpreter's pre-decoded program: four 32-bit words per slot —
 * `[op | dst << 16 | src << 20, off, imm, aux]` — where `op` is the BPF opcode plus a variant in
 * bits 8..11 for instructions whose meaning also depends on `off` or `imm` (signed division,
 * sign-extending moves, byte-swap widths, atomic operations, call kinds), and `aux` holds the
 * absolute target of a jump or call, or the high half of an LD_IMM64 constant.
 */
export const STRIDE = 4;

/** Internal op for a paused slot (a debugger breakpoint). */
export const OP_BREAK = 0xfff;

/** Variant of an atomic operation, keyed by the instruction's imm. */
export function atomicVariant(imm: number): number {
  switch (imm) {
    case 0x00: return 1;
    case 0x40: return 2;
    case 0x50: return 3;
    case 0xa0: return 4;
    case 0x00 | BPF_FETCH: return 5;
    case 0x40 | BPF_FETCH: return 6;
    case 0x50 | BPF_FETCH: return 7;
    case 0xa0 | BPF_FETCH: return 8;
    case BPF_XCHG: return 9;
    case BPF_CMPXCHG: return 10;
    default: return 0;
  }
}

function widthVariant(imm: number): number {
  return imm === 16 ? 1 : imm === 32 ? 2 : imm === 64 ? 3 : 0;
}

/** The internal op of slot `i`. */
export function internalOp(insns: readonly Insn[], i: number): number {
  const ins = insns[i]!;
  const code = ins.code;
  const cls = insnClass(code);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const op = insnOp(code);
    if ((op === BPF_DIV || op === BPF_MOD) && ins.off === 1) return code | 0x100;
    if (op === BPF_MOV && insnSrc(code) === BPF_X && ins.off !== 0) {
      return code | ((ins.off === 8 ? 1 : ins.off === 16 ? 2 : 3) << 8);
    }
    if (op === BPF_END) return code | (widthVariant(ins.imm) << 8);
    return code;
  }
  if (cls === BPF_STX && insnMode(code) === BPF_ATOMIC) return code | (atomicVariant(ins.imm) << 8);
  if (cls === BPF_JMP && insnOp(code) === BPF_CALL && insnSrc(code) !== BPF_X) {
    if (ins.src === BPF_PSEUDO_CALL) return code | 0x100;
    if (ins.src === BPF_PSEUDO_KFUNC_CALL) return code | 0x200;
  }
  return code;
}

/** Pre-decodes validated instruction slots for the interpreter. */
export function predecode(insns: readonly Insn[]): Int32Array {
  const p = new Int32Array(insns.length * STRIDE);
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const b = i * STRIDE;
    p[b] = internalOp(insns, i) | (ins.dst << 16) | (ins.src << 20);
    p[b + 1] = ins.off;
    p[b + 2] = ins.imm;
    const cls = insnClass(ins.code);
    // A function reference (LD_IMM64 src 4) becomes the callee's absolute pc, as a callback value.
    if (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC) {
      p[b + 2] = i + 1 + ins.imm;
      p[b + 3] = 0;
    } else if (ins.code === LD_IMM64) p[b + 3] = insns[i + 1]?.imm ?? 0;
    else if (cls === BPF_JMP || cls === BPF_JMP32) p[b + 3] = jumpTarget(insns, i) ?? -1;
  }
  return p;
}
