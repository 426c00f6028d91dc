import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fromU64, mul64, sdivmod64, toU64, udivmod64 } from '../../src/vm/int64.js';

const edge = fc.constantFrom(
  0n, 1n, 2n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
  0xffffffffffffffffn, 0xfffffffffffffffen, 0x1fffffffffffffn, 0x20000000000000n, 0x80000000n,
);
const u64 = fc.oneof(edge, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 0xffffffffn }),
  fc.bigInt({ min: 0n, max: 1n << 40n }));

function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

describe('64-bit arithmetic on halves', () => {
  test('mul64 is the low 64 bits of the product', () => {
    const out = new Int32Array(4);
    fc.assert(fc.property(u64, u64, (a, b) => {
      const [al, ah] = fromU64(a);
      const [bl, bh] = fromU64(b);
      mul64(al, ah, bl, bh, out);
      expect(toU64(out[0]!, out[1]!)).toBe(BigInt.asUintN(64, a * b));
    }), { numRuns: 20000 });
  });

  test('udivmod64 matches BigInt division', () => {
    const out = new Int32Array(4);
    fc.assert(fc.property(u64, u64.filter((b) => b !== 0n), (a, b) => {
      const [al, ah] = fromU64(a);
      const [bl, bh] = fromU64(b);
      udivmod64(al, ah, bl, bh, out);
      expect(toU64(out[0]!, out[1]!)).toBe(a / b);
      expect(toU64(out[2]!, out[3]!)).toBe(a % b);
    }), { numRuns: 20000 });
  });

  test('sdivmod64 truncates toward zero, remainder takes the dividend sign, INT64_MIN / -1 wraps', () => {
    const out = new Int32Array(4);
    fc.assert(fc.property(u64, u64.filter((b) => b !== 0n), (a, b) => {
      const [al, ah] = fromU64(a);
      const [bl, bh] = fromU64(b);
      sdivmod64(al, ah, bl, bh, out);
      expect(toU64(out[0]!, out[1]!)).toBe(BigInt.asUintN(64, s64(a) / s64(b)));
      expect(toU64(out[2]!, out[3]!)).toBe(BigInt.asUintN(64, s64(a) % s64(b)));
    }), { numRuns: 20000 });
  });
});
