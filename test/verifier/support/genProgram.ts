/**
 * Random straight-line programs for the kernel-exactness test: two unknown 32-bit values from
 * `bpf_get_prandom_u32`, registers initialised from constants and from shifted or masked copies of
 * them (partial knowledge), then scalar ALU operations of every kind and conditional jumps, each
 * jump going to an `exit` of its own so that the kernel never prunes a path.
 */
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_CALL, BPF_DIV, BPF_END, BPF_EXIT, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT,
  BPF_JSLE, BPF_JSLT, BPF_K, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB,
  BPF_TO_BE, BPF_TO_LE, BPF_X, BPF_XOR, insn, ldImm64, type Insn,
} from '../../../src/isa/index.js';

/** A seeded 32-bit PRNG (mulberry32), so that a failing program can be regenerated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const EDGES = [
  0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
  0x10000, 0x7fffffff, -0x80000000, -2, -8, -16, -0x100, -0x10000, 1000, 4096, -4096,
];
const MASKS = [0xff, 0xffff, 0xf, 0x3f, 0xff0, 0x7fffffff, -16, -256, 0x80000001, 0x1ff, 7];
const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END];
const JMP_OPS = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET];

/** A generated program: its slots, and the seed that makes it again. */
export interface GenProgram {
  readonly seed: number;
  readonly insns: Insn[];
}

/** Generates the program for `seed` with about `length` body instructions. */
export function genProgram(seed: number, length = 14): GenProgram {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;
  const chance = (p: number): boolean => rnd() / 2 ** 32 < p;
  const imm = (): number => (chance(0.6) ? pick(EDGES) : chance(0.5) ? (rnd() % 2048) - 1024 : rnd() | 0);
  const body: Insn[] = [];
  const jumps: number[] = [];
  const call = insn(BPF_JMP | BPF_CALL, 0, 0, 0, 7);
  const alu = (cls: number, op: number, src: number, dst: number, s: number, off: number, k: number): Insn =>
    insn(cls | op | src, dst, s, off, k);

  // Two unknowns: r6 and r0.
  body.push(call, alu(BPF_ALU64, BPF_MOV, BPF_X, 6, 0, 0, 0), call);
  const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const r of [1, 2, 3, 4, 5, 7, 8, 9]) {
    const from = chance(0.5) ? 0 : 6;
    switch (rnd() % 7) {
      case 0: body.push(alu(BPF_ALU64, BPF_MOV, BPF_K, r, 0, 0, imm())); break;
      case 1: body.push(alu(BPF_ALU, BPF_MOV, BPF_K, r, 0, 0, imm())); break;
      case 2: body.push(...ldImm64(r, (BigInt(rnd()) << 32n) | BigInt(rnd()))); break;
      case 3:
        body.push(alu(BPF_ALU64, BPF_MOV, BPF_X, r, from, 0, 0), alu(BPF_ALU64, BPF_AND, BPF_K, r, 0, 0, pick(MASKS)));
        break;
      case 4:
        body.push(alu(BPF_ALU64, BPF_MOV, BPF_X, r, from, 0, 0), alu(BPF_ALU64, pick([BPF_RSH, BPF_LSH, BPF_ARSH]), BPF_K, r, 0, 0, rnd() % 64));
        break;
      case 5: body.push(alu(BPF_ALU, BPF_MOV, BPF_X, r, from, 0, 0)); break;
      default: body.push(alu(BPF_ALU64, BPF_MOV, BPF_X, r, from, 0, 0)); break;
    }
  }
  for (let n = 0; n < length; n++) {
    const dst = pick(regs);
    const src = pick(regs);
    if (chance(0.3)) {
      const cls = chance(0.5) ? BPF_JMP : BPF_JMP32;
      const op = pick(JMP_OPS);
      const ins = chance(0.5) ? insn(cls | op | BPF_X, dst, src, 0, 0) : insn(cls | op | BPF_K, dst, 0, 0, imm());
      jumps.push(body.length);
      body.push(ins);
      continue;
    }
    const cls = chance(0.5) ? BPF_ALU64 : BPF_ALU;
    const op = pick(ALU_OPS);
    const width = cls === BPF_ALU64 ? 64 : 32;
    if (op === BPF_NEG) { body.push(alu(cls, op, BPF_K, dst, 0, 0, 0)); continue; }
    if (op === BPF_END) {
      const size = pick([16, 32, 64]);
      body.push(cls === BPF_ALU64 ? alu(cls, op, BPF_TO_LE, dst, 0, 0, size) : alu(cls, op, pick([BPF_TO_LE, BPF_TO_BE]), dst, 0, 0, size));
      continue;
    }
    if (op === BPF_MOV && chance(0.4)) {
      const off = cls === BPF_ALU64 ? pick([8, 16, 32]) : pick([8, 16]);
      body.push(alu(cls, op, BPF_X, dst, src, off, 0));
      continue;
    }
    const off = (op === BPF_DIV || op === BPF_MOD) && chance(0.5) ? 1 : 0;
    if (chance(0.5)) {
      body.push(alu(cls, op, BPF_X, dst, src, off, 0));
      continue;
    }
    let k = imm();
    if (op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) k = rnd() % width;
    if ((op === BPF_DIV || op === BPF_MOD) && k === 0) k = 3;
    body.push(alu(cls, op, BPF_K, dst, 0, off, k));
  }
  // The main path's exit, then one exit per jump.
  body.push(insn(BPF_JMP | BPF_EXIT));
  const insns = [...body];
  jumps.forEach((at) => {
    const j = insns[at]!;
    insns[at] = insn(j.code, j.dst, j.src, insns.length - at - 1, j.imm);
    insns.push(insn(BPF_JMP | BPF_EXIT));
  });
  return { seed, insns };
}
