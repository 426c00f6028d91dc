import { describe, expect, test } from 'vitest';
import { ArrayMap } from '../../src/maps/index.js';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST,
} from '../../src/uapi.js';
import { TestEnv, errnoOf, hex, readU32, u32 } from './support/env.js';

function array(opts: { valueSize?: number; maxEntries?: number; flags?: number; perCpu?: boolean } = {}): { env: TestEnv; map: ArrayMap } {
  const env = new TestEnv(2);
  const type = opts.perCpu ? BPF_MAP_TYPE_PERCPU_ARRAY : BPF_MAP_TYPE_ARRAY;
  const { map } = env.createMap({ type, keySize: 4, valueSize: opts.valueSize ?? 4, maxEntries: opts.maxEntries ?? 3, flags: opts.flags ?? 0 });
  return { env, map: map as ArrayMap };
}

describe('ARRAY from userspace', () => {
  test.each([
    { name: 'lookup in range', op: (m: ArrayMap) => hex(m.lookup(u32(2))), want: '00000000' },
    { name: 'lookup out of range (ENOENT)', op: (m: ArrayMap) => hex(m.lookup(u32(3))), want: undefined },
    { name: 'lookup with an unknown flag', op: (m: ArrayMap) => errnoOf(() => m.lookup(u32(0), 1)), want: 'EINVAL' },
    { name: 'lookup with BPF_F_LOCK (no spin lock)', op: (m: ArrayMap) => errnoOf(() => m.lookup(u32(0), BPF_F_LOCK)), want: 'EINVAL' },
    { name: 'update BPF_ANY', op: (m: ArrayMap) => errnoOf(() => m.update(u32(0), u32(7), BPF_ANY)), want: 'OK' },
    { name: 'update BPF_EXIST', op: (m: ArrayMap) => errnoOf(() => m.update(u32(0), u32(7), BPF_EXIST)), want: 'OK' },
    { name: 'update BPF_NOEXIST: every element exists', op: (m: ArrayMap) => errnoOf(() => m.update(u32(0), u32(7), BPF_NOEXIST)), want: 'EEXIST' },
    { name: 'update out of range', op: (m: ArrayMap) => errnoOf(() => m.update(u32(3), u32(7))), want: 'E2BIG' },
    { name: 'update with flags 3', op: (m: ArrayMap) => errnoOf(() => m.update(u32(3), u32(7), 3)), want: 'EINVAL' },
    { name: 'delete', op: (m: ArrayMap) => errnoOf(() => m.delete(u32(0))), want: 'EINVAL' },
    { name: 'lookup-and-delete', op: (m: ArrayMap) => errnoOf(() => m.lookupAndDelete(u32(0))), want: 'ENOTSUPP' },
    { name: 'lookup-and-delete with BPF_F_LOCK', op: (m: ArrayMap) => errnoOf(() => m.lookupAndDelete(u32(0), BPF_F_LOCK)), want: 'EINVAL' },
    { name: 'next key of nothing', op: (m: ArrayMap) => hex(m.nextKey(undefined)), want: '00000000' },
    { name: 'next key of the last', op: (m: ArrayMap) => hex(m.nextKey(u32(2))), want: undefined },
    { name: 'next key past the end restarts', op: (m: ArrayMap) => hex(m.nextKey(u32(99))), want: '00000000' },
    { name: 'delete batch', op: (m: ArrayMap) => errnoOf(() => m.deleteBatch([u32(0)])), want: 'ENOTSUPP' },
  ])('$name', ({ op, want }) => {
    expect(op(array().map)).toBe(want);
  });

  test('values round-trip; the bytes past value_size are not kept', () => {
    const { map } = array({ valueSize: 5 });
    map.update(u32(1), Uint8Array.of(1, 2, 3, 4, 5));
    expect(hex(map.lookup(u32(1)))).toBe('0102030405');
    expect(() => map.update(u32(1), Uint8Array.of(1))).toThrow(RangeError);
  });

  test('freeze: reads work, writes fail with EPERM, a second freeze too', () => {
    const { map } = array();
    map.update(u32(0), u32(9));
    map.freeze();
    expect(map.isFrozen).toBe(true);
    expect(readU32(map.lookup(u32(0)))).toBe(9);
    expect(errnoOf(() => map.update(u32(0), u32(1)))).toBe('EPERM');
    expect(errnoOf(() => map.update(u32(0), u32(1), 8))).toBe('EPERM');
    expect(errnoOf(() => map.delete(u32(0)))).toBe('EPERM');
    expect(errnoOf(() => map.freeze())).toBe('EPERM');
    expect(errnoOf(() => map.updateBatch([u32(0)], [u32(1)]))).toBe('EPERM');
    expect(map.lookupBatch(null, 3).keys).toHaveLength(3);
  });

  test('BPF_F_RDONLY and BPF_F_WRONLY govern userspace only', () => {
    const ro = array({ flags: BPF_F_RDONLY }).map;
    expect(errnoOf(() => ro.update(u32(0), u32(1)))).toBe('EPERM');
    expect(errnoOf(() => ro.freeze())).toBe('EPERM');
    expect(ro.mapFlags).toBe(0);
    const wo = array({ flags: BPF_F_WRONLY }).map;
    expect(errnoOf(() => wo.update(u32(0), u32(1)))).toBe('OK');
    expect(errnoOf(() => wo.lookup(u32(0)))).toBe('EPERM');
    expect(errnoOf(() => wo.nextKey(undefined))).toBe('EPERM');
    expect(errnoOf(() => wo.freeze())).toBe('OK');
    const rop = array({ flags: BPF_F_RDONLY_PROG }).map;
    expect(rop.mapFlags).toBe(BPF_F_RDONLY_PROG);
  });

  test('batches: the token is the last key, ENOENT ends the walk', () => {
    const { map } = array({ maxEntries: 5 });
    for (let i = 0; i < 5; i++) map.update(u32(i), u32(100 + i));
    const a = map.lookupBatch(null, 2);
    expect(a.keys.map((k) => readU32(k))).toEqual([0, 1]);
    expect(readU32(a.outBatch)).toBe(1);
    expect(a.done).toBe(false);
    const b = map.lookupBatch(a.outBatch, 2);
    const c = map.lookupBatch(b.outBatch, 2);
    expect(c.keys.map((k) => readU32(k))).toEqual([4]);
    expect(c.done).toBe(true);
    expect(map.lookupBatch(c.outBatch, 2)).toMatchObject({ keys: [], done: true });
    expect(map.updateBatch([u32(0), u32(1)], [u32(7), u32(8)])).toBe(2);
    expect(readU32(map.lookup(u32(1)))).toBe(8);
    expect(outcomeCount(() => map.updateBatch([u32(0), u32(9), u32(1)], [u32(1), u32(1), u32(1)]))).toEqual({ errno: 'E2BIG', count: 1 });
    expect(errnoOf(() => map.lookupAndDeleteBatch(null, 1))).toBe('ENOTSUPP');
  });
});

function outcomeCount(fn: () => unknown): { errno: string; count: number } | 'OK' {
  try {
    fn();
    return 'OK';
  } catch (err) {
    const e = err as { errnoName: string; count: number };
    return { errno: e.errnoName, count: e.count };
  }
}

describe('ARRAY from programs', () => {
  test('lookupElem returns the value address; the layout is inlinable', () => {
    const { env, map } = array({ valueSize: 12, maxEntries: 4 });
    const { bases, stride, maxEntries, perCpu } = map.inline;
    expect({ stride, maxEntries, perCpu, n: bases.length }).toEqual({ stride: 16, maxEntries: 4, perCpu: false, n: 1 });
    const key = env.arena.alloc(4, 'stack', 'key').start;
    env.arena.view.setUint32(key, 3, true);
    expect(map.lookupElem(0, key)).toBe(bases[0]! + 3 * 16);
    env.arena.view.setUint32(key, 4, true);
    expect(map.lookupElem(0, key)).toBe(0);
  });

  test('a program writes in place and userspace reads it; update/delete errnos are the kernel\'s', () => {
    const { env, map } = array();
    const key = env.arena.alloc(4, 'stack', 'key').start;
    const val = env.arena.alloc(4, 'stack', 'val').start;
    env.arena.view.setUint32(key, 1, true);
    env.arena.view.setUint32(map.lookupElem(0, key), 42, true);
    expect(readU32(map.lookup(u32(1)))).toBe(42);
    env.arena.view.setUint32(val, 7, true);
    expect(map.updateElem(0, key, val, BPF_ANY)).toBe(0);
    expect(readU32(map.lookup(u32(1)))).toBe(7);
    expect(map.updateElem(0, key, val, BPF_NOEXIST)).toBe(-17);
    expect(map.updateElem(0, key, val, BPF_F_LOCK)).toBe(-22);
    env.arena.view.setUint32(key, 3, true);
    expect(map.updateElem(0, key, val, BPF_ANY)).toBe(-7);
    expect(map.deleteElem(0, key)).toBe(-22);
  });

  test('forEachElem visits every index with a readable key until the callback stops', () => {
    const { env, map } = array({ maxEntries: 4 });
    const seen: number[] = [];
    expect(map.forEachElem(1, (k) => (seen.push(env.arena.view.getUint32(k, true)), 0))).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(map.forEachElem(0, (k) => (env.arena.view.getUint32(k, true) === 1 ? 1 : 0))).toBe(2);
  });
});

describe('PERCPU_ARRAY', () => {
  test('userspace sees round_up(value_size, 8) bytes per CPU, padding included', () => {
    const { map } = array({ perCpu: true, valueSize: 4 });
    expect(map.sysValueSize).toBe(16);
    const v = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    map.update(u32(0), v);
    expect(map.lookup(u32(0))).toEqual(v);
  });

  test('programs see their own CPU\'s copy; lookupPercpuElem any CPU\'s', () => {
    const { env, map } = array({ perCpu: true, valueSize: 8 });
    const key = env.arena.alloc(4, 'stack', 'key').start;
    env.arena.view.setUint32(key, 2, true);
    const cpu0 = map.lookupElem(0, key);
    const cpu1 = map.lookupElem(1, key);
    expect(cpu1 - cpu0).toBe(3 * 8);
    env.arena.view.setUint32(cpu1, 5, true);
    expect(map.lookupPercpuElem(key, 1)).toBe(cpu1);
    expect(map.lookupPercpuElem(key, 2)).toBe(0);
    expect(hex(map.lookup(u32(2)))).toBe('0000000000000000' + '0500000000000000');
    expect(map.inline.bases).toHaveLength(2);
  });
});
