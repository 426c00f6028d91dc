import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ARENA_GUARD, Arena, ArenaExhaustedError } from '../../src/arena/index.js';
import type { Region } from '../../src/arena/index.js';

describe('Arena', () => {
  test('allocations are above the guard, aligned, zeroed and found by address', () => {
    const a = new Arena();
    const r = a.alloc(100, 'mem', 'm', { align: 16 });
    expect(r.start).toBeGreaterThanOrEqual(ARENA_GUARD);
    expect(r.start % 16).toBe(0);
    expect(a.find(r.start, 100)).toBe(r);
    expect(a.find(r.start + 99, 2)).toBeUndefined();
    expect(a.find(0, 1)).toBeUndefined();
    expect(a.read(r.start, 100).every((b) => b === 0)).toBe(true);
  });

  test('memory grows and views are re-taken', () => {
    const a = new Arena({ initialBytes: 65536 * 2 });
    const before = a.memory.buffer.byteLength;
    const r = a.alloc(1 << 20, 'mem', 'big');
    expect(a.memory.buffer.byteLength).toBeGreaterThan(before);
    a.u8[r.start + (1 << 20) - 1] = 7;
    expect(a.read(r.start + (1 << 20) - 1, 1)[0]).toBe(7);
  });

  test('the limit is enforced with a typed error', () => {
    const a = new Arena({ limit: 1 << 20 });
    expect(() => a.alloc(2 << 20, 'mem', 'too big')).toThrow(ArenaExhaustedError);
  });

  test('random alloc/release sequences never overlap and reuse freed space', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5000 })), { maxLength: 200 }), (ops) => {
      const a = new Arena();
      const live: Region[] = [];
      for (const [release, size] of ops) {
        if (release && live.length) a.release(live.splice(size % live.length, 1)[0]!);
        else live.push(a.alloc(size, 'mem', 'x'));
        const sorted = [...live].sort((x, y) => x.start - y.start);
        for (let i = 1; i < sorted.length; i++) {
          expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.start + Math.max(1, sorted[i - 1]!.size));
        }
      }
      for (const r of live.splice(0)) a.release(r);
      expect(a.list()).toHaveLength(0);
    }), { numRuns: 300 });
  });
});
