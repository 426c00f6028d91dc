/**
 * The `llvm-objdump -d` text (LLVM 14) of one valid instruction, or null for the instructions
 * LLVM 14 cannot print without losing a field (v4 additions, `mod`, `jset`, store-immediate,
 * local and kfunc calls, …), which the caller prints in kernel style instead.
 */
import type { Insn } from './insn.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_JSET, BPF_LD, BPF_LDX,
  BPF_MEM, BPF_MOD, BPF_MOV, BPF_STX, BPF_X, BPF_XCHG, insnClass, insnMode, insnOp, insnSize, insnSrc,
} from './opcodes.js';
import { imm64Operand, kernelText, mapNameOf, type NameResolvers } from './disasmKernel.js';
import { ALU_OPERATORS, ATOMIC_OPS, JMP_OPERATORS, SIZE_BITS, joinImm64, signed } from './syntax.js';

/** `(r10 - 8)`-style address as LLVM prints it, without the parentheses. */
function addr(reg: number, off: number): string {
  return `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
}

function aluText(ins: Insn): string | null {
  const op = insnOp(ins.code);
  if (op === BPF_MOD || (op === BPF_END && insnClass(ins.code) === BPF_ALU64)) return null;
  if ((op === BPF_DIV || op === BPF_MOV) && ins.off !== 0) return null;
  return kernelText([ins], 0);
}

function jmpText(ins: Insn): string | null {
  const op = insnOp(ins.code);
  if (ins.code === (BPF_JMP | BPF_CALL | BPF_X)) return `callx r${ins.dst}`;
  if (ins.code === (BPF_JMP | BPF_CALL)) return ins.src === 0 ? `call ${ins.imm}` : null;
  if (ins.code === (BPF_JMP | BPF_EXIT)) return 'exit';
  if (ins.code === (BPF_JMP | BPF_JA)) return `goto ${signed(ins.off)}`;
  const operator = JMP_OPERATORS[op];
  if (operator === undefined || op === BPF_JSET) return null;
  const r = insnClass(ins.code) === BPF_JMP32 ? 'w' : 'r';
  const rhs = insnSrc(ins.code) === BPF_X ? `${r}${ins.src}` : String(ins.imm);
  return `if ${r}${ins.dst} ${operator} ${rhs} goto ${signed(ins.off)}`;
}

function atomicText(ins: Insn, alu32: boolean): string | null {
  const dw = insnSize(ins.code) === BPF_DW;
  if (!dw && !alu32) return ins.imm === 0 ? `lock *(u32 *)(${addr(ins.dst, ins.off)}) += r${ins.src}` : null;
  const r = dw ? 'r' : 'w';
  const at = addr(ins.dst, ins.off);
  if (ins.imm === BPF_XCHG) return dw ? `r${ins.src} = xchg_64(${at}, r${ins.src})` : `w${ins.src} = xchg32_32(${at}, w${ins.src})`;
  if (ins.imm === BPF_CMPXCHG) return dw ? `r0 = cmpxchg_64(${at}, r0, r${ins.src})` : `w0 = cmpxchg32_32(${at}, w0, w${ins.src})`;
  const name = ATOMIC_OPS[ins.imm & ~BPF_FETCH]!;
  const bits = SIZE_BITS[insnSize(ins.code)];
  if (ins.imm & BPF_FETCH) return `${r}${ins.src} = atomic_fetch_${name}((u${bits} *)(${at}), ${r}${ins.src})`;
  return `lock *(u${bits} *)(${at}) ${ALU_OPERATORS[ins.imm]} ${r}${ins.src}`;
}

function memText(ins: Insn, alu32: boolean): string | null {
  const size = insnSize(ins.code);
  const r = alu32 && size !== BPF_DW ? 'w' : 'r';
  const type = `u${SIZE_BITS[size]}`;
  if (insnClass(ins.code) === BPF_LDX) {
    return insnMode(ins.code) === BPF_MEM ? `${r}${ins.dst} = *(${type} *)(${addr(ins.src, ins.off)})` : null;
  }
  if (insnClass(ins.code) !== BPF_STX) return null;
  if (insnMode(ins.code) === BPF_ATOMIC) return atomicText(ins, alu32);
  return `*(${type} *)(${addr(ins.dst, ins.off)}) = ${r}${ins.src}`;
}

function ldText(insns: readonly Insn[], i: number, names: NameResolvers): string | null {
  const ins = insns[i]!;
  const type = `u${SIZE_BITS[insnSize(ins.code)]}`;
  switch (insnMode(ins.code)) {
    case BPF_ABS: return `r0 = *(${type} *)skb[${ins.imm}]`;
    case BPF_IND: return ins.imm === 0 ? `r0 = *(${type} *)skb[r${ins.src}]` : null;
    case BPF_IMM: {
      const hi = insns[i + 1]!.imm;
      if (ins.src === 0) return `r${ins.dst} = ${BigInt.asIntN(64, joinImm64(ins.imm, hi))} ll`;
      if (hi !== 0 || mapNameOf(ins, names) !== undefined) return `r${ins.dst} = ${imm64Operand(insns, i, names)}`;
      return `ld_pseudo\tr${ins.dst}, ${ins.src}, ${ins.imm >>> 0}`;
    }
    default: return null;
  }
}

/** The llvm-objdump text of the valid instruction at slot `i`, or null when LLVM 14 has none. */
export function llvmText(insns: readonly Insn[], i: number, alu32: boolean, names: NameResolvers): string | null {
  const ins = insns[i]!;
  switch (insnClass(ins.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return aluText(ins);
    case BPF_JMP:
    case BPF_JMP32:
      return jmpText(ins);
    case BPF_LD:
      return ldText(insns, i, names);
    default:
      return memText(ins, alu32);
  }
}
