/**
 * Soundness of the scalar domain: reg_bounds_sync keeps every member, every ALU and ALU64
 * operation's abstract result holds the concrete result, and both outcomes of every conditional
 * jump keep the concrete values that take them.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET,
  BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB,
  BPF_XOR,
} from '../../src/isa/index.js';
import {
  type Scalar, boundsViolation, branchTaken, coerceRegToSize, refineBranch, scalarAlu, scalarContains,
  scalarEnd, scalarFields, scalarMov,
} from '../../src/verifier/index.js';
import { aluReference, arbConstMember, arbMember, halves, type Member } from './support/arbScalar.js';

const RUNS = { numRuns: 3000 };
const has = (s: Scalar, v: bigint): boolean => scalarContains(s, ...halves(BigInt.asUintN(64, v)));
const show = (s: Scalar): string => JSON.stringify(scalarFields(s), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));

const ALU_OPS: [string, number][] = [
  ['add', BPF_ADD], ['sub', BPF_SUB], ['mul', BPF_MUL], ['div', BPF_DIV], ['mod', BPF_MOD], ['or', BPF_OR],
  ['and', BPF_AND], ['xor', BPF_XOR], ['lsh', BPF_LSH], ['rsh', BPF_RSH], ['arsh', BPF_ARSH],
];
const JMP_OPS: [string, number, (a: bigint, b: bigint, bits: number) => boolean][] = [
  ['jeq', BPF_JEQ, (a, b) => a === b],
  ['jne', BPF_JNE, (a, b) => a !== b],
  ['jgt', BPF_JGT, (a, b) => a > b],
  ['jge', BPF_JGE, (a, b) => a >= b],
  ['jlt', BPF_JLT, (a, b) => a < b],
  ['jle', BPF_JLE, (a, b) => a <= b],
  ['jsgt', BPF_JSGT, (a, b, n) => BigInt.asIntN(n, a) > BigInt.asIntN(n, b)],
  ['jsge', BPF_JSGE, (a, b, n) => BigInt.asIntN(n, a) >= BigInt.asIntN(n, b)],
  ['jslt', BPF_JSLT, (a, b, n) => BigInt.asIntN(n, a) < BigInt.asIntN(n, b)],
  ['jsle', BPF_JSLE, (a, b, n) => BigInt.asIntN(n, a) <= BigInt.asIntN(n, b)],
  ['jset', BPF_JSET, (a, b) => (a & b) !== 0n],
];
const arbSource: fc.Arbitrary<Member> = fc.oneof(arbMember, arbConstMember);

describe('scalar soundness', () => {
  test('generated scalars hold their value and are consistent', () => {
    fc.assert(fc.property(arbMember, ({ x, s }) => {
      expect(has(s, x), show(s)).toBe(true);
      expect(boundsViolation(s)).toBeNull();
    }), RUNS);
  });

  describe.each(ALU_OPS)('%s', (_name, op) => {
    test.each([true, false])('alu64=%s', (alu64) => {
      fc.assert(fc.property(arbMember, arbSource, fc.constantFrom(0, 1), (a, b, off) => {
        const want = aluReference(op, a.x, b.x, alu64, off);
        const got = scalarAlu(a.s.clone(), b.s, op, alu64);
        expect(has(got, want), `${show(a.s)} op ${show(b.s)} = ${show(got)} misses ${want.toString(16)}`).toBe(true);
      }), RUNS);
    });
  });

  test('neg, both widths; the source may be the destination', () => {
    fc.assert(fc.property(arbMember, fc.boolean(), ({ x, s }, alu64) => {
      const got = s.clone();
      scalarAlu(got, got, BPF_NEG, alu64);
      expect(has(got, aluReference(BPF_NEG, x, 0n, alu64))).toBe(true);
      const twice = s.clone();
      scalarAlu(twice, twice, BPF_ADD, alu64);
      expect(has(twice, aluReference(BPF_ADD, x, x, alu64))).toBe(true);
    }), RUNS);
  });

  test('mov, movsx, narrowing loads and byte swaps', () => {
    const sext = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
    fc.assert(fc.property(arbMember, ({ x, s }) => {
      expect(has(scalarMov(s.clone(), s, true), x)).toBe(true);
      expect(has(scalarMov(s.clone(), s, false), x & 0xffffffffn)).toBe(true);
      for (const off of [8, 16, 32]) expect(has(scalarMov(s.clone(), s, true, off), sext(x, off))).toBe(true);
      for (const off of [8, 16]) expect(has(scalarMov(s.clone(), s, false, off), BigInt.asUintN(32, sext(x, off)))).toBe(true);
      for (const size of [1, 2, 4] as const) expect(has(coerceRegToSize(s.clone(), size), x & ((1n << BigInt(8 * size)) - 1n))).toBe(true);
      const swap = (v: bigint, bytes: number): bigint => {
        let r = 0n;
        for (let i = 0; i < bytes; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
        return r;
      };
      for (const size of [16, 32, 64] as const) {
        const mask = (1n << BigInt(size)) - 1n;
        expect(has(scalarEnd(s.clone(), size, true, false), swap(x, size / 8))).toBe(true);
        expect(has(scalarEnd(s.clone(), size, false, true), swap(x, size / 8))).toBe(true);
        expect(has(scalarEnd(s.clone(), size, false, false), x & mask)).toBe(true);
      }
    }), RUNS);
  });

  describe.each(JMP_OPS)('%s', (_name, op, holds) => {
    test.each([false, true])('jmp32=%s', (jmp32) => {
      fc.assert(fc.property(arbMember, arbSource, fc.boolean(), (a, b, same) => {
        const bits = jmp32 ? 32 : 64;
        const x = BigInt.asUintN(bits, a.x);
        const y = same ? x : BigInt.asUintN(bits, b.x);
        const taken = holds(x, y, bits);
        const sa = a.s.clone();
        const sb = same ? sa : b.s.clone();
        const outcome = branchTaken(sa, sb, op, jmp32);
        if (outcome !== -1) expect(outcome === 1).toBe(taken);
        refineBranch(sa, sb, op, jmp32, taken);
        expect(has(sa, a.x), `${show(a.s)} refined to ${show(sa)}`).toBe(true);
        expect(has(sb, same ? a.x : b.x), `${show(b.s)} refined to ${show(sb)}`).toBe(true);
      }), RUNS);
    });
  });
});
