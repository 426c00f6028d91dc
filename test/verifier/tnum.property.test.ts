/**
 * Soundness of every tnum operation: for random tnums and concrete members of them, the concrete
 * result is a member of the abstract result. Plus tnum_range, tnum_step and the predicates.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type Tnum, tnumAdd, tnumAnd, tnumArshift, tnumBswap16, tnumBswap32, tnumBswap64, tnumCast, tnumContains,
  tnumIn, tnumIntersect, tnumLshift, tnumMul, tnumNeg, tnumOf, tnumOr, tnumOverlap, tnumRange, tnumRshift,
  tnumStep, tnumSub, tnumUnion, tnumValue, tnumXor, tnumOfHalves,
} from '../../src/verifier/index.js';
import { arbU64, halves } from './support/arbScalar.js';

const M64 = (1n << 64n) - 1n;
const RUNS = { numRuns: 5000 };

/** A tnum and one of its members. */
const arbTnumMember = fc.tuple(arbU64, fc.oneof(arbU64, fc.constant(0n), fc.constant(M64)))
  .map(([x, m]) => ({ x, t: tnumOf(x & ~m, m) }));

const has = (t: Tnum, v: bigint): boolean => tnumContains(t, ...halves(BigInt.asUintN(64, v)));
const out = (): Tnum => tnumOfHalves(0, 0, 0, 0);
const swap = (v: bigint, bytes: number): bigint => {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return r;
};

type Binary = [string, (o: Tnum, a: Tnum, b: Tnum) => Tnum, (a: bigint, b: bigint) => bigint];
const binaries: Binary[] = [
  ['add', tnumAdd, (a, b) => a + b],
  ['sub', tnumSub, (a, b) => a - b],
  ['mul', tnumMul, (a, b) => a * b],
  ['and', tnumAnd, (a, b) => a & b],
  ['or', tnumOr, (a, b) => a | b],
  ['xor', tnumXor, (a, b) => a ^ b],
  ['union (either)', tnumUnion, (a) => a],
];

describe('tnum soundness', () => {
  test.each(binaries)('%s', (_name, op, ref) => {
    fc.assert(fc.property(arbTnumMember, arbTnumMember, ({ x: a, t: ta }, { x: b, t: tb }) => {
      expect(has(op(out(), ta, tb), ref(a, b))).toBe(true);
      expect(has(op(ta, ta, tb), ref(a, b))).toBe(true);
    }), RUNS);
  });

  test('union contains both sides', () => {
    fc.assert(fc.property(arbTnumMember, arbTnumMember, ({ x: a, t: ta }, { x: b, t: tb }) => {
      const u = tnumUnion(out(), ta, tb);
      expect(has(u, a) && has(u, b)).toBe(true);
    }), RUNS);
  });

  test('intersect of two tnums holding x holds x; in and overlap agree', () => {
    fc.assert(fc.property(arbU64, arbU64, arbU64, (x, m1, m2) => {
      const a = tnumOf(x & ~m1, m1);
      const b = tnumOf(x & ~m2, m2);
      const i = tnumIntersect(out(), a, b);
      expect(has(i, x)).toBe(true);
      expect(tnumOverlap(a, b)).toBe(true);
      expect(tnumIn(a, i) && tnumIn(b, i)).toBe(true);
    }), RUNS);
  });

  test('neg, shifts, casts and byte swaps', () => {
    fc.assert(fc.property(arbTnumMember, fc.integer({ min: 0, max: 63 }), ({ x, t }, n) => {
      expect(has(tnumNeg(out(), t), -x)).toBe(true);
      expect(has(tnumLshift(out(), t, n), x << BigInt(n))).toBe(true);
      expect(has(tnumRshift(out(), t, n), x >> BigInt(n))).toBe(true);
      expect(has(tnumArshift(out(), t, n, 64), BigInt.asIntN(64, x) >> BigInt(n))).toBe(true);
      expect(has(tnumArshift(out(), t, n & 31, 32), BigInt.asUintN(32, BigInt.asIntN(32, x) >> BigInt(n & 31)))).toBe(true);
      for (const size of [1, 2, 4, 8]) expect(has(tnumCast(out(), t, size), x & ((1n << BigInt(8 * size)) - 1n))).toBe(true);
      expect(has(tnumBswap16(out(), t), swap(x, 2))).toBe(true);
      expect(has(tnumBswap32(out(), t), swap(x, 4))).toBe(true);
      expect(has(tnumBswap64(out(), t), swap(x, 8))).toBe(true);
    }), RUNS);
  });

  test('range holds every value between its ends', () => {
    fc.assert(fc.property(arbU64, arbU64, fc.bigInt({ min: 0n, max: M64 }), (p, q, r) => {
      const [min, max] = p <= q ? [p, q] : [q, p];
      const x = min + (r % (max - min + 1n));
      const t = tnumRange(out(), ...halves(min), ...halves(max));
      expect(has(t, min) && has(t, max) && has(t, x)).toBe(true);
    }), RUNS);
  });

  test('step finds the next member', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0x100 }), (v, m, z) => {
      const t = tnumOf(BigInt(v & ~m), BigInt(m));
      const members = Array.from({ length: 256 }, (_, i) => i).filter((i) => (i & ~m) === (v & ~m));
      const max = members[members.length - 1]!;
      const want = z >= max ? max : members.find((i) => i > z)!;
      expect(tnumValue(tnumStep(out(), t, 0, z))).toBe(BigInt(want));
    }), RUNS);
  });
});
