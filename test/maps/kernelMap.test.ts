import { describe, expect, test } from 'vitest';
import { KernelBatchError, KernelError, KernelMap, kernelAvailable, ncpus } from '../../src/kernel/index.js';
import {
  BPF_F_NO_PREALLOC, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_SK_STORAGE, BPF_NOEXIST,
} from '../../src/uapi.js';
import { readU32, u32 } from './support/env.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping KernelMap tests: ${availability.reason}`);

describe.skipIf(!availability.ok)('KernelMap', () => {
  test('exposes the fd and the kernel\'s view; errors are KernelErrors with the errno', () => {
    const m = KernelMap.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: 'km' });
    try {
      expect(m.fd.raw).toBeGreaterThan(2);
      expect(m.info).toMatchObject({ type: BPF_MAP_TYPE_HASH, maxEntries: 1, name: 'km' });
      m.update(u32(1), u32(10));
      expect(readU32(m.lookup(u32(1)))).toBe(10);
      expect(m.lookup(u32(2))).toBeUndefined();
      expect(m.nextKey(u32(1))).toBeUndefined();
      let err: unknown;
      try {
        m.update(u32(1), u32(1), BPF_NOEXIST);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KernelError);
      expect(err).toMatchObject({ errnoName: 'EEXIST', op: 'BPF_MAP_UPDATE_ELEM' });
      let batchErr: unknown;
      try {
        m.updateBatch([u32(2), u32(3)], [u32(0), u32(0)]);
      } catch (e) {
        batchErr = e;
      }
      expect(batchErr).toBeInstanceOf(KernelBatchError);
      expect(batchErr).toMatchObject({ errnoName: 'E2BIG', count: 0 });
    } finally {
      m.close();
    }
  });

  test('per-CPU values span every possible CPU', () => {
    const m = KernelMap.create({ type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    try {
      expect(m.sysValueSize).toBe(8 * ncpus());
      const v = Uint8Array.from({ length: m.sysValueSize }, (_, i) => i);
      m.update(u32(0), v);
      expect(m.lookup(u32(0))).toEqual(v);
      expect(m.lookupBatch(null, 4)).toMatchObject({ done: true, values: [v] });
    } finally {
      m.close();
    }
  });

  test('bloom filters take the value to test in the key position; socket storage gets BTF', () => {
    const bloom = KernelMap.create({ type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 4 });
    bloom.update(null, u32(5));
    expect(bloom.lookup(u32(5))).toEqual(u32(5));
    expect(() => bloom.lookup(null)).toThrow(RangeError);
    bloom.close();
    const storage = KernelMap.create({ type: BPF_MAP_TYPE_SK_STORAGE, keySize: 4, valueSize: 12, maxEntries: 0, flags: BPF_F_NO_PREALLOC });
    expect(storage.info.valueSize).toBe(12);
    storage.close();
  });

  test('an array of maps is created from its template', () => {
    const m = KernelMap.create({ type: 12, keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 } });
    const inner = KernelMap.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    m.update(u32(0), u32(inner.fd.raw));
    expect(readU32(m.lookup(u32(0)))).toBe(inner.id);
    inner.close();
    m.close();
  });
});
