import { describe, expect, expectTypeOf, test } from 'vitest';
import type { KernelMap } from '../../src/kernel/index.js';
import { MAP_DESCRIPTOR_SIZE, MapDescriptor, MapRegistry, type BpfMap, type RingbufMap, type UserMap } from '../../src/maps/index.js';
import type { BackendMap } from '../../src/vm/backend.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_RINGBUF } from '../../src/uapi.js';
import { TestEnv, errnoOf, u32 } from './support/env.js';

describe('MapRegistry', () => {
  test('numbers maps from 1 and finds them by id, name and pointer', () => {
    const env = new TestEnv();
    const reg = new MapRegistry(env);
    const a = reg.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'first' });
    const b = reg.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: 'second' });
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(reg.byId(2)).toBe(b);
    expect(reg.byName('first')).toBe(a);
    expect(reg.byName('nope')).toBeUndefined();
    expect(reg.byAddress(b.address)).toBe(b);
    expect(env.arena.find(a.address, MAP_DESCRIPTOR_SIZE)).toMatchObject({ kind: 'map', writable: false });
    expect(env.arena.view.getUint32(a.address + MapDescriptor.map_type, true)).toBe(BPF_MAP_TYPE_ARRAY);
    expect(env.arena.view.getUint32(b.address + MapDescriptor.id, true)).toBe(2);
    expect(reg.all()).toEqual([a, b]);
  });

  test('finds the ring buffer a record belongs to', () => {
    const env = new TestEnv();
    const reg = new MapRegistry(env);
    const rb = reg.create({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingbufMap;
    const rec = rb.reserve(8, 0);
    expect(reg.ringbufFor(rec)).toBe(rb);
    expect(reg.ringbufFor(rb.address)).toBeUndefined();
  });

  test('close releases every map and its memory', () => {
    const env = new TestEnv();
    const reg = new MapRegistry(env);
    const before = env.arena.list().length;
    const m = reg.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    m.update(u32(1), u32(1));
    expect(env.arena.list().length).toBeGreaterThan(before);
    reg.close();
    expect(reg.all()).toEqual([]);
    expect(env.arena.list().length).toBe(before);
    expect(errnoOf(() => m.lookup(u32(1)))).toBe('EBADF');
  });
});

test('simulated and kernel maps both offer BackendMap and the batch commands', () => {
  expectTypeOf<BpfMap>().toMatchTypeOf<BackendMap & UserMap>();
  expectTypeOf<KernelMap>().toMatchTypeOf<BackendMap & UserMap>();
});
