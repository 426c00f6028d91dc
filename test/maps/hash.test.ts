import { describe, expect, test } from 'vitest';
import { HashMap, jhash } from '../../src/maps/index.js';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_NOEXIST,
} from '../../src/uapi.js';
import { TestEnv, errnoOf, hex, readU32, u32 } from './support/env.js';

function hash(type: number, opts: { maxEntries?: number; flags?: number; valueSize?: number; keySize?: number } = {}) {
  const env = new TestEnv(2);
  const map = env.createMap({ type, keySize: opts.keySize ?? 4, valueSize: opts.valueSize ?? 4, maxEntries: opts.maxEntries ?? 4, flags: opts.flags ?? 0 }).map as HashMap;
  const keyAddr = env.arena.alloc(8, 'stack', 'key').start;
  const valAddr = env.arena.alloc(16, 'stack', 'value').start;
  /** Stages a u32 key and value for program-side calls. */
  const at = (k: number, v = 0) => {
    env.arena.view.setUint32(keyAddr, k, true);
    env.arena.view.setUint32(valAddr, v, true);
    return { keyAddr, valAddr };
  };
  return { env, map, at };
}

function keys(map: HashMap): number[] {
  const out: number[] = [];
  for (let k = map.nextKey(undefined); k; k = map.nextKey(k)) out.push(readU32(k)!);
  return out;
}

describe('HASH', () => {
  test.each([
    { name: 'BPF_EXIST on a missing key', run: (m: HashMap) => errnoOf(() => m.update(u32(1), u32(1), BPF_EXIST)), want: 'ENOENT' },
    { name: 'BPF_NOEXIST on a new key', run: (m: HashMap) => errnoOf(() => m.update(u32(1), u32(1), BPF_NOEXIST)), want: 'OK' },
    { name: 'BPF_NOEXIST on an existing key', run: (m: HashMap) => (m.update(u32(1), u32(1)), errnoOf(() => m.update(u32(1), u32(1), BPF_NOEXIST))), want: 'EEXIST' },
    { name: 'flags 3', run: (m: HashMap) => errnoOf(() => m.update(u32(1), u32(1), 3)), want: 'EINVAL' },
    { name: 'BPF_F_LOCK without a spin lock', run: (m: HashMap) => errnoOf(() => m.update(u32(1), u32(1), BPF_F_LOCK)), want: 'EINVAL' },
    { name: 'delete of a missing key', run: (m: HashMap) => errnoOf(() => m.delete(u32(1))), want: 'ENOENT' },
    { name: 'lookup-and-delete with BPF_F_LOCK', run: (m: HashMap) => errnoOf(() => m.lookupAndDelete(u32(1), BPF_F_LOCK)), want: 'EINVAL' },
    { name: 'a full map refuses new keys', run: (m: HashMap) => {
      for (let i = 0; i < 4; i++) m.update(u32(i), u32(i));
      return [errnoOf(() => m.update(u32(9), u32(9))), errnoOf(() => m.update(u32(9), u32(9), BPF_NOEXIST)),
        errnoOf(() => m.update(u32(9), u32(9), BPF_EXIST)), errnoOf(() => m.update(u32(2), u32(5)))].join(' ');
    }, want: 'E2BIG E2BIG ENOENT OK' },
  ])('$name', ({ run, want }) => {
    expect(run(hash(BPF_MAP_TYPE_HASH).map)).toBe(want);
  });

  test('with BPF_F_ZERO_SEED, iteration is bucket order as in Linux (measured: 0 4 2 1 5 3 in 8 buckets)', () => {
    const { map } = hash(BPF_MAP_TYPE_HASH, { maxEntries: 8, flags: BPF_F_ZERO_SEED });
    for (let i = 0; i < 6; i++) map.update(u32(i), u32(100 + i));
    expect(keys(map)).toEqual([0, 4, 2, 1, 5, 3]);
    expect([0, 1, 2, 3, 4, 5].map((i) => jhash(u32(i), 0, 4, 0) & 7)).toEqual([0, 3, 2, 7, 1, 6]);
  });

  test('the next key of a missing key is the first key; of the last, none', () => {
    const { map } = hash(BPF_MAP_TYPE_HASH, { flags: BPF_F_ZERO_SEED });
    map.update(u32(1), u32(1));
    map.update(u32(2), u32(2));
    const first = map.nextKey(undefined);
    expect(map.nextKey(u32(77))).toEqual(first);
    expect(map.nextKey(map.nextKey(first))).toBeUndefined();
  });

  test('a random seed still keeps iteration deterministic for a given Machine seed', () => {
    const order = (seed: number) => {
      const env = new TestEnv(2, seed);
      const m = env.createMap({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 64 }).map;
      for (let i = 0; i < 40; i++) m.update(u32(i), u32(i));
      return keys(m as HashMap);
    };
    expect(order(5)).toEqual(order(5));
    expect(order(5)).not.toEqual(order(6));
  });

  test('batch lookups take whole buckets: ENOSPC when the first bucket does not fit', () => {
    const { map } = hash(BPF_MAP_TYPE_HASH, { maxEntries: 2, flags: BPF_F_ZERO_SEED });
    // Keys 0 and 2 share bucket 0 of 2 (jhash & 1).
    expect([0, 2].map((i) => jhash(u32(i), 0, 4, 0) & 1)).toEqual([0, 0]);
    map.update(u32(0), u32(1));
    map.update(u32(2), u32(1));
    expect(errnoOf(() => map.lookupBatch(null, 1))).toBe('ENOSPC');
    const all = map.lookupBatch(null, 2);
    expect(all.keys.map((k) => readU32(k))).toEqual([2, 0]);
    expect(all.done).toBe(true);
    expect(readU32(all.outBatch)).toBe(2);
  });

  test('a program\'s value pointer survives delete and replacement (preallocated elements)', () => {
    const { env, map, at } = hash(BPF_MAP_TYPE_HASH);
    map.update(u32(1), u32(11));
    const { keyAddr } = at(1);
    const ptr = map.lookupElem(0, keyAddr);
    expect(env.arena.view.getUint32(ptr, true)).toBe(11);
    map.update(u32(1), u32(22));
    expect(env.arena.view.getUint32(ptr, true)).toBe(11);
    expect(env.arena.find(ptr, 4)).toBeDefined();
    expect(env.arena.view.getUint32(map.lookupElem(0, keyAddr), true)).toBe(22);
    map.delete(u32(1));
    expect(env.arena.find(ptr, 4)).toBeDefined();
    expect(map.lookupElem(0, keyAddr)).toBe(0);
  });

  test('BPF_F_NO_PREALLOC allocates on demand and still limits to max_entries', () => {
    const { map } = hash(BPF_MAP_TYPE_HASH, { maxEntries: 100, flags: BPF_F_NO_PREALLOC });
    for (let i = 0; i < 100; i++) map.update(u32(i), u32(i));
    expect(errnoOf(() => map.update(u32(100), u32(0)))).toBe('E2BIG');
    expect(map.size).toBe(100);
  });

  test('program-side update, delete and for-each', () => {
    const { env, map, at } = hash(BPF_MAP_TYPE_HASH, { flags: BPF_F_ZERO_SEED });
    let { keyAddr, valAddr } = at(5, 50);
    expect(map.updateElem(0, keyAddr, valAddr, BPF_NOEXIST)).toBe(0);
    expect(map.updateElem(0, keyAddr, valAddr, BPF_NOEXIST)).toBe(-17);
    expect(map.updateElem(0, keyAddr, valAddr, BPF_F_LOCK)).toBe(-22);
    ({ keyAddr, valAddr } = at(6, 60));
    expect(map.updateElem(0, keyAddr, valAddr, BPF_EXIST)).toBe(-2);
    expect(map.updateElem(0, keyAddr, valAddr, BPF_ANY)).toBe(0);
    const seen: number[] = [];
    expect(map.forEachElem(0, (k, v) => (seen.push(env.arena.view.getUint32(k, true) * 1000 + env.arena.view.getUint32(v, true)), 0))).toBe(2);
    expect(seen.sort()).toEqual([5050, 6060]);
    expect(map.deleteElem(0, keyAddr)).toBe(0);
    expect(map.deleteElem(0, keyAddr)).toBe(-2);
  });
});

describe('PERCPU_HASH', () => {
  test('a program\'s update sets its CPU\'s copy; a new element starts zeroed on the others', () => {
    const { env, map, at } = hash(BPF_MAP_TYPE_PERCPU_HASH, { valueSize: 4 });
    const { keyAddr, valAddr } = at(3, 0xaabbccdd);
    expect(map.updateElem(1, keyAddr, valAddr, BPF_ANY)).toBe(0);
    expect(hex(map.lookup(u32(3)))).toBe('00000000' + '00000000' + 'ddccbbaa' + '00000000');
    env.arena.view.setUint32(valAddr, 1, true);
    map.updateElem(0, keyAddr, valAddr, BPF_ANY);
    expect(hex(map.lookup(u32(3)))).toBe('01000000' + '00000000' + 'ddccbbaa' + '00000000');
    expect(map.lookupElem(1, keyAddr)).toBe(map.lookupPercpuElem(keyAddr, 1));
    expect(map.lookupPercpuElem(keyAddr, 2)).toBe(0);
  });
});

describe('LRU_HASH: what the kernel guarantees', () => {
  test.each([
    { name: 'common LRU', type: BPF_MAP_TYPE_LRU_HASH, flags: 0 },
    { name: 'per-CPU lists', type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_NO_COMMON_LRU },
    { name: 'LRU_PERCPU_HASH', type: BPF_MAP_TYPE_LRU_PERCPU_HASH, flags: 0 },
  ])('$name: updates of a full map succeed, evict, and never exceed max_entries', ({ type, flags }) => {
    const { map } = hash(type, { maxEntries: 64, flags, valueSize: 8 });
    const v = new Uint8Array(map.sysValueSize);
    for (let i = 0; i < 1000; i++) {
      map.update(u32(i), v);
      expect(map.lookup(u32(i))).toBeDefined();
      expect(map.size).toBeLessThanOrEqual(64);
    }
    expect(map.size).toBeGreaterThan(0);
  });

  test('elements a program keeps looking up survive a modest number of inserts', () => {
    const { map, at } = hash(BPF_MAP_TYPE_LRU_HASH, { maxEntries: 256, valueSize: 8 });
    const v = new Uint8Array(8);
    for (let i = 0; i < 256; i++) map.update(u32(i), v);
    const hot = [3, 50, 100, 200];
    for (let round = 0; round < 8; round++) {
      for (const h of hot) expect(map.lookupElem(0, at(h).keyAddr)).not.toBe(0);
      for (let i = 0; i < 16; i++) map.update(u32(1000 + round * 16 + i), v);
    }
    for (const h of hot) expect(map.lookup(u32(h))).toBeDefined();
  });

  test('max_entries with BPF_F_NO_COMMON_LRU is rounded to a multiple of the CPU count (measured: 3 → 4)', () => {
    expect(hash(BPF_MAP_TYPE_LRU_HASH, { maxEntries: 3, flags: BPF_F_NO_COMMON_LRU }).map.maxEntries).toBe(4);
    expect(hash(BPF_MAP_TYPE_LRU_HASH, { maxEntries: 3 }).map.maxEntries).toBe(3);
  });

  test('with per-CPU lists, one CPU can only fill its share, and a full share frees several nodes at once', () => {
    const { map } = hash(BPF_MAP_TYPE_LRU_HASH, { maxEntries: 8, flags: BPF_F_NO_COMMON_LRU });
    for (let i = 0; i < 20; i++) map.update(u32(i), u32(i));
    expect(keys(map).sort((a, b) => a - b)).toEqual([16, 17, 18, 19]);
    // The kernel measured the same: NOEXIST on key 19 succeeds, because taking a node evicted 19 itself.
    expect(errnoOf(() => map.update(u32(19), u32(0), BPF_NOEXIST))).toBe('OK');
    expect(keys(map)).toEqual([19]);
  });
});
