import { describe, expect, test } from 'vitest';
import type { BpfMap } from '../../src/maps/index.js';
import { BPF_ANY, BPF_EXIST, BPF_F_ZERO_SEED, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_NOEXIST } from '../../src/uapi.js';
import { TestEnv, errnoOf, readU32, u32 } from './support/env.js';

function make(type: number, maxEntries = 2, extra: { mapExtra?: bigint; flags?: number } = {}): { env: TestEnv; map: BpfMap } {
  const env = new TestEnv(2);
  return { env, map: env.createMap({ type, keySize: 0, valueSize: 4, maxEntries, ...extra }).map };
}

function drain(map: BpfMap): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (let v = map.lookupAndDelete(null); v; v = map.lookupAndDelete(null)) out.push(readU32(v));
  return out;
}

describe('QUEUE and STACK', () => {
  test.each([
    { type: BPF_MAP_TYPE_QUEUE, want: [3, 4, 5] },
    { type: BPF_MAP_TYPE_STACK, want: [5, 4, 3] },
  ])('type $type: BPF_EXIST on a full map drops the oldest element', ({ type, want }) => {
    const { map } = make(type, 3);
    for (let i = 1; i <= 5; i++) map.update(null, u32(i), BPF_EXIST);
    expect(drain(map)).toEqual(want);
  });

  test.each([BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK])('type %i: the kernel\'s errnos', (type) => {
    const { map } = make(type);
    expect(map.lookup(null)).toBeUndefined();
    expect(map.lookupAndDelete(null)).toBeUndefined();
    map.update(null, u32(1));
    map.update(null, u32(2));
    expect(errnoOf(() => map.update(null, u32(3)))).toBe('E2BIG');
    expect(errnoOf(() => map.update(null, u32(3), BPF_NOEXIST))).toBe('EINVAL');
    expect(errnoOf(() => map.update(null, u32(3), 3))).toBe('EINVAL');
    expect(errnoOf(() => map.lookup(null, 1))).toBe('EINVAL');
    expect(errnoOf(() => map.lookupAndDelete(null, 4))).toBe('EINVAL');
    expect(errnoOf(() => map.delete(null))).toBe('EINVAL');
    expect(errnoOf(() => map.nextKey(undefined))).toBe('EINVAL');
    expect(errnoOf(() => map.lookupBatch(null, 1))).toBe('ENOTSUPP');
    map.freeze();
    expect(errnoOf(() => map.lookupAndDelete(null))).toBe('EPERM');
    expect(map.lookup(null)).toBeDefined();
  });

  test('programs push, peek and pop through arena buffers', () => {
    const { env, map } = make(BPF_MAP_TYPE_QUEUE, 2);
    const buf = env.arena.alloc(4, 'stack', 'v').start;
    env.arena.view.setUint32(buf, 9, true);
    expect(map.pushElem(0, buf, BPF_ANY)).toBe(0);
    env.arena.view.setUint32(buf, 0, true);
    expect(map.peekElem(0, buf)).toBe(0);
    expect(env.arena.view.getUint32(buf, true)).toBe(9);
    expect(map.popElem(0, buf)).toBe(0);
    expect(map.popElem(0, buf)).toBe(-2);
    expect(map.lookupElem(0, buf)).toBe(0);
    expect(map.updateElem(0, 0, buf, 0)).toBe(-22);
  });
});

describe('BLOOM_FILTER', () => {
  test('pushed values test positive; flags other than BPF_ANY are refused', () => {
    const { map } = make(BPF_MAP_TYPE_BLOOM_FILTER, 100, { mapExtra: 3n });
    for (let i = 0; i < 100; i++) map.update(null, u32(i * 7));
    for (let i = 0; i < 100; i++) expect(map.lookup(u32(i * 7))).toBeDefined();
    let falsePositives = 0;
    for (let i = 0; i < 1000; i++) if (map.lookup(u32(100000 + i))) falsePositives++;
    expect(falsePositives).toBeLessThan(200);
    expect(errnoOf(() => map.update(null, u32(1), BPF_NOEXIST))).toBe('EINVAL');
    expect(errnoOf(() => map.update(null, u32(1), BPF_EXIST))).toBe('EINVAL');
    expect(errnoOf(() => map.delete(null))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => map.nextKey(undefined))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => map.lookupAndDelete(null))).toBe('ENOTSUPP');
    expect(() => map.lookup(null)).toThrow(RangeError);
  });

  test('with BPF_F_ZERO_SEED the bits (and false positives) are the same for every Machine', () => {
    const positives = (seed: number) => {
      const env = new TestEnv(2, seed);
      const m = env.createMap({ type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED, mapExtra: 1n }).map;
      m.update(null, u32(1));
      return Array.from({ length: 200 }, (_, i) => (m.lookup(u32(i)) ? i : -1)).filter((i) => i >= 0);
    };
    expect(positives(1)).toEqual(positives(99));
    expect(positives(1)).toContain(1);
  });

  test('programs push and peek; pop is not supported', () => {
    const { env, map } = make(BPF_MAP_TYPE_BLOOM_FILTER, 10);
    const buf = env.arena.alloc(4, 'stack', 'v').start;
    env.arena.view.setUint32(buf, 5, true);
    expect(map.peekElem(0, buf)).toBe(-2);
    expect(map.pushElem(0, buf, BPF_ANY)).toBe(0);
    expect(map.peekElem(0, buf)).toBe(0);
    expect(map.pushElem(0, buf, BPF_EXIST)).toBe(-22);
    expect(map.popElem(0, buf)).toBe(-95);
  });
});
