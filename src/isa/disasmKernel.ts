/**
 * The kernel verifier-log text of one instruction: what Linux 6.18's `print_bpf_insn`
 * (kernel/bpf/disasm.c) prints after the `N: (code) ` prefix, reproduced from its format strings.
 * Deviations, each because the kernel's text loses information the assembler needs: LD_IMM64 with
 * a pseudo source prints `map[fd:5]`-style operands (the kernel prints the resolved kernel
 * address), and `call %rN` (uBPF's callx, which Linux refuses) prints `callx rN`.
 */
import type { Insn } from './insn.js';
import { helperName } from './helperIds.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX,
  BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST,
  BPF_STX, BPF_X, BPF_XCHG, insnClass, insnMode, insnOp, insnSize, insnSrc,
} from './opcodes.js';
import { ALU_OPERATORS, ATOMIC_OPS, JMP_OPERATORS, SIZE_BITS, hex2, joinImm64, pseudoOperand, signed } from './syntax.js';

/** Callbacks that name what the bare encoding only numbers. */
export interface NameResolvers {
  /** Names the map an LD_IMM64 with pseudo source `src` (1, 2, 5 or 6) and first immediate `imm` refers to. */
  readonly mapName?: (src: number, imm: number) => string | undefined;
  /** Names a kfunc by its BTF id, as the verifier does from the kernel's BTF. */
  readonly kfuncName?: (btfId: number) => string | undefined;
}

const BPF_LOAD_ACQ = 0x100;
const BPF_STORE_REL = 0x110;
const BPF_NOSPEC = 0xc0;
const MOVSX_CAST: Readonly<Record<number, string>> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };

/** `(r1 +4)`: the kernel's register-plus-offset operand. */
function mem(reg: number, off: number): string {
  return `(r${reg} ${signed(off)})`;
}

function u(size: number): string {
  return `u${SIZE_BITS[size]}`;
}

function aluText(ins: Insn): string {
  const cls = insnClass(ins.code);
  const op = insnOp(ins.code);
  const r = cls === BPF_ALU ? 'w' : 'r';
  if (op === BPF_END) {
    if (cls === BPF_ALU64) return `r${ins.dst} = bswap${ins.imm} r${ins.dst}`;
    return `r${ins.dst} = ${insnSrc(ins.code) === BPF_X ? 'be' : 'le'}${ins.imm} r${ins.dst}`;
  }
  if (op === BPF_NEG) return `${r}${ins.dst} = -${r}${ins.dst}`;
  if (ins.code === (BPF_ALU64 | BPF_MOV | BPF_X) && ins.off === 1) {
    return `r${ins.dst} = addr_space_cast(r${ins.src}, ${ins.imm >>> 16}, ${ins.imm & 0xffff})`;
  }
  if (ins.code === (BPF_ALU64 | BPF_MOV | BPF_X) && ins.off === -1) return `r${ins.dst} = &(void __percpu *)(r${ins.src})`;
  const signedDivMod = (op === BPF_DIV || op === BPF_MOD) && ins.off === 1;
  const operator = signedDivMod ? (op === BPF_DIV ? 's/=' : 's%=') : ALU_OPERATORS[op] ?? '(null)';
  if (insnSrc(ins.code) === BPF_X) {
    const cast = op === BPF_MOV ? MOVSX_CAST[ins.off] ?? '' : '';
    return `${r}${ins.dst} ${operator} ${cast}${r}${ins.src}`;
  }
  return `${r}${ins.dst} ${operator} ${ins.imm}`;
}

function stxText(ins: Insn): string {
  const size = insnSize(ins.code);
  const mode = insnMode(ins.code);
  const at = mem(ins.dst, ins.off);
  if (mode === BPF_MEM) return `*(${u(size)} *)${at} = r${ins.src}`;
  if (mode !== BPF_ATOMIC) return `BUG_${hex2(ins.code)}`;
  const bits = size === BPF_DW ? '64' : '';
  const name = ATOMIC_OPS[ins.imm & ~BPF_FETCH];
  if (name !== undefined) {
    if (!(ins.imm & BPF_FETCH)) return `lock *(${u(size)} *)${at} ${ALU_OPERATORS[ins.imm]} r${ins.src}`;
    return `r${ins.src} = atomic${bits}_fetch_${name}((${u(size)} *)${at}, r${ins.src})`;
  }
  switch (ins.imm) {
    case BPF_CMPXCHG: return `r0 = atomic${bits}_cmpxchg((${u(size)} *)${at}, r0, r${ins.src})`;
    case BPF_XCHG: return `r${ins.src} = atomic${bits}_xchg((${u(size)} *)${at}, r${ins.src})`;
    case BPF_LOAD_ACQ: return `r${ins.dst} = load_acquire((${u(size)} *)${mem(ins.src, ins.off)})`;
    case BPF_STORE_REL: return `store_release((${u(size)} *)${at}, r${ins.src})`;
    default: return `BUG_${hex2(ins.code)}`;
  }
}

function ldText(insns: readonly Insn[], i: number, names: NameResolvers): string {
  const ins = insns[i]!;
  const size = insnSize(ins.code);
  switch (insnMode(ins.code)) {
    case BPF_ABS: return `r0 = *(${u(size)} *)skb[${ins.imm}]`;
    case BPF_IND: return `r0 = *(${u(size)} *)skb[r${ins.src} + ${ins.imm}]`;
    case BPF_IMM:
      if (size === BPF_DW) return `r${ins.dst} = ${imm64Operand(insns, i, names)}`;
      return `BUG_ld_${hex2(ins.code)}`;
    default: return `BUG_ld_${hex2(ins.code)}`;
  }
}

/** The name `names.mapName` gives the map an LD_IMM64 slot refers to, if it is a map reference. */
export function mapNameOf(ins: Insn, names: NameResolvers): string | undefined {
  const isMap = ins.src === 1 || ins.src === 2 || ins.src === 5 || ins.src === 6;
  return isMap ? names.mapName?.(ins.src, ins.imm) : undefined;
}

/**
 * The right-hand side of an LD_IMM64: `0x…` for a plain constant, else the pseudo-source form
 * (`map[fd:5]`, `map_value[name] + 8`, `btf_id[7]`, `subprog[+3]`, `map[idx:0]`) with the
 * second immediate as a `+ N` suffix when it is not zero.
 */
export function imm64Operand(insns: readonly Insn[], i: number, names: NameResolvers): string {
  const ins = insns[i]!;
  const hi = insns[i + 1]?.imm ?? 0;
  const pseudo = pseudoOperand(ins.src, ins.imm, mapNameOf(ins, names));
  if (pseudo === null) return '0x' + joinImm64(ins.imm, hi).toString(16);
  return hi === 0 ? pseudo : `${pseudo} + ${hi >>> 0}`;
}

/**
 * A kfunc call's `off` (the fd_array index of the BTF that defines it, 0 for vmlinux) as an
 * ` off:N` suffix, which the kernel's log omits; nothing when it is 0.
 */
export function kfuncOff(ins: Insn): string {
  return ins.off === 0 ? '' : ` off:${ins.off}`;
}

function callText(ins: Insn, names: NameResolvers): string {
  if (ins.code === (BPF_JMP | BPF_CALL | BPF_X)) return `callx r${ins.dst}`;
  if (ins.src === BPF_PSEUDO_CALL) return `call pc${signed(ins.imm)}`;
  if (ins.src === BPF_PSEUDO_KFUNC_CALL) return `call ${names.kfuncName?.(ins.imm) ?? 'kernel-function'}#${ins.imm}${kfuncOff(ins)}`;
  return `call ${(ins.src === 0 && helperName(ins.imm)) || 'unknown'}#${ins.imm}`;
}

function jmpText(ins: Insn, names: NameResolvers): string {
  const cls = insnClass(ins.code);
  const op = insnOp(ins.code);
  if (op === BPF_CALL) return callText(ins, names);
  if (ins.code === (BPF_JMP | BPF_JA)) return `goto pc${signed(ins.off)}`;
  if (ins.code === (BPF_JMP | BPF_JCOND) && ins.src === 0) return `may_goto pc${signed(ins.off)}`;
  if (ins.code === (BPF_JMP32 | BPF_JA)) return `gotol pc${signed(ins.imm)}`;
  if (ins.code === (BPF_JMP | BPF_EXIT)) return 'exit';
  const r = cls === BPF_JMP32 ? 'w' : 'r';
  const operator = op === BPF_JA ? 'jmp' : op === BPF_CALL ? 'call' : op === BPF_EXIT ? 'exit' : JMP_OPERATORS[op] ?? '(null)';
  const rhs = insnSrc(ins.code) === BPF_X ? `${r}${ins.src}` : `0x${(ins.imm >>> 0).toString(16)}`;
  return `if ${r}${ins.dst} ${operator} ${rhs} goto pc${signed(ins.off)}`;
}

/** The kernel verifier-log text of the instruction at slot `i`, without the `N: (code) ` prefix. */
export function kernelText(insns: readonly Insn[], i: number, names: NameResolvers = {}): string {
  const ins = insns[i]!;
  const size = insnSize(ins.code);
  switch (insnClass(ins.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return aluText(ins);
    case BPF_STX:
      return stxText(ins);
    case BPF_ST:
      if (insnMode(ins.code) === BPF_MEM) return `*(${u(size)} *)${mem(ins.dst, ins.off)} = ${ins.imm}`;
      return insnMode(ins.code) === BPF_NOSPEC ? 'nospec' : `BUG_st_${hex2(ins.code)}`;
    case BPF_LDX: {
      const mode = insnMode(ins.code);
      if (mode !== BPF_MEM && mode !== BPF_MEMSX) return `BUG_ldx_${hex2(ins.code)}`;
      const type = mode === BPF_MEM ? u(size) : `s${SIZE_BITS[size]}`;
      return `r${ins.dst} = *(${type} *)${mem(ins.src, ins.off)}`;
    }
    case BPF_LD:
      return ldText(insns, i, names);
    default:
      return jmpText(ins, names);
  }
}
