/**
 * fast-check arbitraries for the soundness properties: a concrete 64-bit value together with an
 * abstract scalar that contains it (random known bits, random bounds of each kind around it, then
 * reg_bounds_sync), and BigInt reference semantics of the ALU operations (RFC 9669, as the
 * interpreter runs them).
 */
import fc from 'fast-check';
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_LSH, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB,
  BPF_XOR,
} from '../../../src/isa/index.js';
import { Scalar, boundsSync, tnumOf } from '../../../src/verifier/index.js';

const M64 = (1n << 64n) - 1n;
const hi = (v: bigint): number => Number(BigInt.asIntN(32, v >> 32n));
const lo = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** A u64 biased towards the values where bounds arithmetic has edges. */
export const arbU64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
    (1n << 63n) - 1n, 1n << 63n, M64, M64 - 1n, 0xffffffff80000000n),
  fc.bigInt({ min: 0n, max: 0xffffn }),
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 0xffffn }).map((v) => (M64 - v)),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
);

/** A concrete value and an abstract scalar containing it. */
export interface Member {
  readonly x: bigint;
  readonly s: Scalar;
}

function widen(x: bigint, below: bigint, above: bigint, min: bigint, max: bigint): [bigint, bigint] {
  const a = x - below < min ? min : x - below;
  const b = x + above > max ? max : x + above;
  return [a, b];
}

/** A value and a scalar containing it: random unknown bits, random bounds of every kind around it. */
export const arbMember: fc.Arbitrary<Member> = fc.record({
  x: arbU64,
  mask: fc.oneof(fc.constant(0n), fc.constant(M64), arbU64),
  du: fc.tuple(arbU64, arbU64),
  ds: fc.tuple(arbU64, arbU64),
  d32: fc.tuple(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.bigInt({ min: 0n, max: 0xffffffffn })),
  which: fc.integer({ min: 0, max: 15 }),
}).map(({ x, mask, du, ds, d32, which }) => {
  const s = new Scalar();
  const t = tnumOf(x & ~mask, mask);
  s.vlo = t.vlo; s.vhi = t.vhi; s.mlo = t.mlo; s.mhi = t.mhi;
  if (which & 1) {
    const [a, b] = widen(x, du[0], du[1], 0n, M64);
    s.uminHi = hi(a); s.uminLo = lo(a); s.umaxHi = hi(b); s.umaxLo = lo(b);
  }
  if (which & 2) {
    const sx = BigInt.asIntN(64, x);
    const [a, b] = widen(sx, ds[0], ds[1], -(1n << 63n), (1n << 63n) - 1n);
    s.sminHi = hi(a); s.sminLo = lo(a); s.smaxHi = hi(b); s.smaxLo = lo(b);
  }
  if (which & 4) {
    const [a, b] = widen(x & 0xffffffffn, d32[0], d32[1], 0n, 0xffffffffn);
    s.u32min = Number(a); s.u32max = Number(b);
  }
  if (which & 8) {
    const [a, b] = widen(BigInt.asIntN(32, x), d32[1], d32[0], -(1n << 31n), (1n << 31n) - 1n);
    s.s32min = Number(a); s.s32max = Number(b);
  }
  boundsSync(s);
  return { x, s };
});

/** A constant member (the kernel's fake register for an immediate), biased to small values. */
export const arbConstMember: fc.Arbitrary<Member> = fc.oneof(arbU64, fc.integer({ min: -64, max: 64 }).map(BigInt))
  .map((v) => ({ x: BigInt.asUintN(64, v), s: Scalar.known(v) }));

/** The result of `a op b` as the BPF ISA defines it (`alu64` false: on the low 32 bits, zero-extended). */
export function aluReference(op: number, a: bigint, b: bigint, alu64: boolean, off = 0): bigint {
  const bits = alu64 ? 64 : 32;
  const wrap = (v: bigint): bigint => BigInt.asUintN(bits, v);
  const sign = (v: bigint): bigint => BigInt.asIntN(bits, v);
  const x = wrap(a);
  const y = wrap(b);
  switch (op) {
    case BPF_ADD: return wrap(x + y);
    case BPF_SUB: return wrap(x - y);
    case BPF_MUL: return wrap(x * y);
    case BPF_DIV:
      if (y === 0n) return 0n;
      return off === 1 ? wrap(sign(x) / sign(y)) : x / y;
    case BPF_MOD:
      if (y === 0n) return x;
      return off === 1 ? wrap(sign(x) % sign(y)) : x % y;
    case BPF_OR: return x | y;
    case BPF_AND: return x & y;
    case BPF_XOR: return x ^ y;
    case BPF_LSH: return wrap(x << (y & BigInt(bits - 1)));
    case BPF_RSH: return x >> (y & BigInt(bits - 1));
    case BPF_ARSH: return wrap(sign(x) >> (y & BigInt(bits - 1)));
    case BPF_NEG: return wrap(-x);
    default: throw new Error(`no reference for op ${op}`);
  }
}

/** Halves of a u64, for `scalarContains`. */
export function halves(v: bigint): [number, number] {
  return [hi(v), lo(v)];
}
