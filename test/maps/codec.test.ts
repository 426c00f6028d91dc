import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { array, be16, be32, be64, bytes, i16, i32, i64, i8, perCpu, struct, u16, u32, u64, u8, type Codec } from '../../src/maps/index.js';

function roundTrip<T>(codec: Codec<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(fc.property(arb, (v) => {
    const b = codec.encode(v);
    expect(b.length).toBe(codec.size);
    expect(codec.decode(b)).toEqual(v);
  }));
}

describe('codecs', () => {
  test.each([
    { name: 'u8', codec: u8 as Codec<unknown>, arb: fc.integer({ min: 0, max: 255 }) as fc.Arbitrary<unknown> },
    { name: 'u16', codec: u16, arb: fc.integer({ min: 0, max: 0xffff }) },
    { name: 'u32', codec: u32, arb: fc.nat({ max: 0xffffffff }) },
    { name: 'i8', codec: i8, arb: fc.integer({ min: -128, max: 127 }) },
    { name: 'i16', codec: i16, arb: fc.integer({ min: -32768, max: 32767 }) },
    { name: 'i32', codec: i32, arb: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
    { name: 'u64', codec: u64, arb: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
    { name: 'i64', codec: i64, arb: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
    { name: 'be16', codec: be16, arb: fc.integer({ min: 0, max: 0xffff }) },
    { name: 'be32', codec: be32, arb: fc.nat({ max: 0xffffffff }) },
    { name: 'be64', codec: be64, arb: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
  ])('$name: decode ∘ encode is the identity', ({ codec, arb }) => {
    roundTrip(codec as Codec<unknown>, arb);
  });

  test('byte order: little-endian except the be types', () => {
    expect(u32.encode(0x01020304)).toEqual(Uint8Array.of(4, 3, 2, 1));
    expect(be32.encode(0x01020304)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(be16.encode(80)).toEqual(Uint8Array.of(0, 80));
    expect(i16.decode(Uint8Array.of(0xff, 0xff))).toBe(-1);
  });

  test('out-of-range values are refused', () => {
    expect(() => u8.encode(256)).toThrow(RangeError);
    expect(() => u32.encode(-1)).toThrow(RangeError);
    expect(() => i32.encode(1.5)).toThrow(RangeError);
    expect(() => u64.encode(-1n)).toThrow(RangeError);
    expect(() => u64.encode(1 as unknown as bigint)).toThrow(RangeError);
    expect(() => u32.decode(new Uint8Array(3))).toThrow(RangeError);
  });

  test('structs use natural alignment and padding, as clang lays them out', () => {
    const flow = struct({ saddr: 'u32', dport: 'u16', proto: 'u8' });
    expect(flow.size).toBe(8);
    expect(flow.offsets).toEqual({ saddr: 0, dport: 4, proto: 6 });
    expect(flow.encode({ saddr: 0x0a000001, dport: 443, proto: 6 })).toEqual(Uint8Array.of(1, 0, 0, 10, 187, 1, 6, 0));
    const mixed = struct({ a: 'u8', b: 'u64', c: 'u16' });
    expect([mixed.size, mixed.align, mixed.offsets.b, mixed.offsets.c]).toEqual([24, 8, 8, 16]);
    const nested = struct({ tag: 'u8', inner: flow, mac: bytes(6), ports: array(u16, 3) });
    expect(nested.offsets).toEqual({ tag: 0, inner: 4, mac: 12, ports: 18 });
    expect(nested.size).toBe(24);
  });

  test('struct, array, bytes and perCpu: decode ∘ encode is the identity', () => {
    const codec = struct({ a: 'u8', b: 'i64', c: array(struct({ x: 'u16', y: 'u8' }), 2), d: bytes(3), e: 'be32' });
    const arb = fc.record({
      a: fc.integer({ min: 0, max: 255 }),
      b: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      c: fc.array(fc.record({ x: fc.integer({ min: 0, max: 0xffff }), y: fc.integer({ min: 0, max: 255 }) }), { minLength: 2, maxLength: 2 }),
      d: fc.uint8Array({ minLength: 3, maxLength: 3 }),
      e: fc.nat({ max: 0xffffffff }),
    });
    roundTrip(codec, arb);
    roundTrip(perCpu(u32, 3), fc.array(fc.nat({ max: 0xffffffff }), { minLength: 3, maxLength: 3 }));
  });

  test('perCpu strides values by round_up(size, 8), as per-CPU maps return them', () => {
    expect(perCpu(u32, 2).size).toBe(16);
    expect(perCpu(u32, 2).decode(Uint8Array.of(1, 0, 0, 0, 9, 9, 9, 9, 2, 0, 0, 0, 9, 9, 9, 9))).toEqual([1, 2]);
  });

  test('struct fields must be known and present', () => {
    expect(() => struct({ a: 'u128' as 'u8' })).toThrow(/unknown type/);
    const s = struct({ a: 'u8', b: 'u8' });
    expect(() => s.encode({ a: 1 } as { a: number; b: number })).toThrow(/field b is missing/);
  });
});
