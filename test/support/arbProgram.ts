/**
 * fast-check generators of random *valid* BPF programs: every instruction kind the ISA has
 * (ALU and ALU32 with immediate and register sources, signed div/mod, movsx, byte swaps, every
 * conditional jump in both classes, goto, gotol, may_goto, helper/local/kfunc calls, callx, exit,
 * LD_IMM64 with every pseudo source, LD_ABS/LD_IND, loads, sign-extending loads, stores, atomics),
 * with jump and call targets that land on an instruction. Every program passes `validateProgram`.
 */
import fc from 'fast-check';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE,
  BPF_JSLT, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG,
  BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE,
  BPF_W, BPF_X, BPF_XCHG, BPF_XOR, LD_IMM64, insn, type Insn,
} from '../../src/isa/index.js';

/** One instruction before layout: its slots, and which field (if any) holds a relative target. */
interface Spec {
  readonly slots: Insn[];
  readonly target?: { readonly field: 'off' | 'imm'; readonly pick: number };
}

const reg = fc.integer({ min: 0, max: 10 });
const imm = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const off = fc.integer({ min: -0x8000, max: 0x7fff });
const pick = fc.nat();
const plain = (slots: Insn[]): Spec => ({ slots });

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH];
const JMP_OPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE];
const SIZES = [BPF_B, BPF_H, BPF_W, BPF_DW];
const ATOMIC_OPS = [BPF_ADD, BPF_OR, BPF_AND, BPF_XOR].flatMap((op) => [op, op | BPF_FETCH]).concat(BPF_XCHG, BPF_CMPXCHG);

const aluClass = fc.constantFrom(BPF_ALU, BPF_ALU64);

const aluImm = fc.tuple(aluClass, fc.constantFrom(...ALU_OPS), reg, imm, fc.boolean()).map(([cls, op, dst, k, sgn]) =>
  plain([insn(cls | op | BPF_K, dst, 0, sgn && (op === BPF_DIV || op === BPF_MOD) ? 1 : 0, k)]));

const aluReg = fc.tuple(aluClass, fc.constantFrom(...ALU_OPS), reg, reg, fc.nat()).map(([cls, op, dst, src, n]) => {
  let o = 0;
  if (op === BPF_DIV || op === BPF_MOD) o = n % 2;
  if (op === BPF_MOV) o = (cls === BPF_ALU64 ? [0, 8, 16, 32] : [0, 8, 16])[n % (cls === BPF_ALU64 ? 4 : 3)]!;
  return plain([insn(cls | op | BPF_X, dst, src, o)]);
});

const neg = fc.tuple(aluClass, reg).map(([cls, dst]) => plain([insn(cls | BPF_NEG, dst)]));

const byteSwap = fc.tuple(fc.constantFrom(BPF_ALU | BPF_END, BPF_ALU | BPF_END | BPF_TO_BE, BPF_ALU64 | BPF_END), reg,
  fc.constantFrom(16, 32, 64)).map(([code, dst, width]) => plain([insn(code, dst, 0, 0, width)]));

const condJump = fc.tuple(fc.constantFrom(BPF_JMP, BPF_JMP32), fc.constantFrom(...JMP_OPS), fc.boolean(), reg, reg, imm, pick)
  .map(([cls, op, x, dst, src, k, p]): Spec => ({
    slots: [insn(cls | op | (x ? BPF_X : BPF_K), dst, x ? src : 0, 0, x ? 0 : k)],
    target: { field: 'off', pick: p },
  }));

const otherJump = fc.tuple(fc.constantFrom('ja', 'gotol', 'may_goto', 'call'), pick).map(([kind, p]): Spec => {
  switch (kind) {
    case 'ja': return { slots: [insn(BPF_JMP | BPF_JA)], target: { field: 'off', pick: p } };
    case 'gotol': return { slots: [insn(BPF_JMP32 | BPF_JA)], target: { field: 'imm', pick: p } };
    case 'may_goto': return { slots: [insn(BPF_JMP | BPF_JCOND)], target: { field: 'off', pick: p } };
    default: return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL)], target: { field: 'imm', pick: p } };
  }
});

const callOther = fc.oneof(
  imm.map((k) => plain([insn(BPF_JMP | BPF_CALL, 0, 0, 0, k)])),
  fc.integer({ min: 0, max: 211 }).map((k) => plain([insn(BPF_JMP | BPF_CALL, 0, 0, 0, k)])),
  fc.tuple(imm, off).map(([k, o]) => plain([insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, o, k)])),
  reg.map((r) => plain([insn(BPF_JMP | BPF_CALL | BPF_X, r)])),
  fc.constant(plain([insn(BPF_JMP | BPF_EXIT)])),
);

const ldImm64 = fc.tuple(fc.integer({ min: 0, max: 6 }), reg, imm, imm, pick).map(([src, dst, lo, hi, p]): Spec => ({
  slots: [insn(LD_IMM64, dst, src, 0, lo), insn(0, 0, 0, 0, hi)],
  ...(src === 4 && { target: { field: 'imm', pick: p } }),
}));

const packet = fc.tuple(fc.constantFrom(BPF_B, BPF_H, BPF_W), fc.boolean(), reg, imm).map(([size, ind, src, k]) =>
  plain([insn(BPF_LD | (ind ? BPF_IND : BPF_ABS) | size, 0, ind ? src : 0, 0, k)]));

const memory = fc.tuple(fc.constantFrom('ldx', 'ldxs', 'st', 'stx', 'atomic'), fc.constantFrom(...SIZES), reg, reg, off, imm, fc.nat())
  .map(([kind, size, dst, src, o, k, n]) => {
    switch (kind) {
      case 'ldx': return plain([insn(BPF_LDX | BPF_MEM | size, dst, src, o)]);
      case 'ldxs': return plain([insn(BPF_LDX | BPF_MEMSX | (size === BPF_DW ? BPF_W : size), dst, src, o)]);
      case 'st': return plain([insn(BPF_ST | BPF_MEM | size, dst, 0, o, k)]);
      case 'stx': return plain([insn(BPF_STX | BPF_MEM | size, dst, src, o)]);
      default: return plain([insn(BPF_STX | BPF_ATOMIC | (n % 2 ? BPF_W : BPF_DW), dst, src, o, ATOMIC_OPS[n % ATOMIC_OPS.length]!)]);
    }
  });

/** Which instruction kinds `arbProgram` may use; all by default. */
export interface ArbProgramOptions {
  /** Fewest instructions (not slots); default 1. */
  readonly minLength?: number;
  /** Most instructions (not slots); default 40. */
  readonly maxLength?: number;
  /** Include `call %rN` (uBPF's callx, which Linux refuses); default true. */
  readonly callx?: boolean;
}

const spec = (callx: boolean): fc.Arbitrary<Spec> => fc.oneof(
  aluImm, aluReg, neg, byteSwap, condJump, otherJump,
  callx ? callOther : callOther.filter((s) => s.slots[0]!.code !== (BPF_JMP | BPF_CALL | BPF_X)),
  ldImm64, packet, memory,
);

/** Lays the instructions out and points every relative target at an instruction start. */
function layout(specs: readonly Spec[]): Insn[] {
  const starts: number[] = [];
  let at = 0;
  for (const s of specs) {
    starts.push(at);
    at += s.slots.length;
  }
  return specs.flatMap((s, i) => {
    if (!s.target) return s.slots;
    const [first, ...rest] = s.slots;
    const rel = starts[s.target.pick % starts.length]! - starts[i]! - 1;
    const patched = s.target.field === 'off'
      ? insn(first!.code, first!.dst, first!.src, rel, first!.imm)
      : insn(first!.code, first!.dst, first!.src, first!.off, rel);
    return [patched, ...rest];
  });
}

/** A random valid program: every slot passes `checkInsn` and every target is in range. */
export function arbProgram(opts: ArbProgramOptions = {}): fc.Arbitrary<Insn[]> {
  const length = { minLength: opts.minLength ?? 1, maxLength: opts.maxLength ?? 40, size: 'medium' as const };
  return fc.array(spec(opts.callx ?? true), length).map(layout);
}
