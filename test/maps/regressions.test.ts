import { afterAll, describe, expect, test } from 'vitest';
import { KernelMap, kernelAvailable } from '../../src/kernel/index.js';
import { createMap, type MapSpec } from '../../src/maps/index.js';
import {
  BPF_F_LOCK, BPF_F_TOKEN_FD, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_BLOOM_FILTER,
  BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE,
} from '../../src/uapi.js';
import type { DiffMap } from './support/diff.js';
import { TestEnv, errnoOf, u32 } from './support/env.js';

/*
 * Each case is a mismatch the kernel differential tests found, kept here as a plain test of the
 * simulator; when the kernel is available it is checked against the kernel too.
 */

const availability = kernelAvailable();
const inner: MapSpec = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 };

const cases: { name: string; spec: MapSpec; run: (m: DiffMap) => string; want: string }[] = [
  {
    name: 'a delete batch with elem_flags BPF_F_LOCK is EINVAL without a spin lock',
    spec: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 2 },
    run: (m) => errnoOf(() => m.deleteBatch([], { elemFlags: BPF_F_LOCK })), want: 'EINVAL',
  },
  {
    name: 'a key for a map without keys is EINVAL (queue update)',
    spec: { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 },
    run: (m) => errnoOf(() => m.update(u32(0), u32(1))), want: 'EINVAL',
  },
  {
    name: 'a key for a map without keys is EINVAL (queue peek)',
    spec: { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 },
    run: (m) => errnoOf(() => m.lookup(u32(0))), want: 'EINVAL',
  },
  {
    name: 'a key for a map without keys is EINVAL (bloom filter push)',
    spec: { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 2, flags: BPF_F_ZERO_SEED },
    run: (m) => errnoOf(() => m.update(u32(0), u32(1))), want: 'EINVAL',
  },
  {
    name: 'a lookup batch passes over the empty slots of an array of maps',
    spec: { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 3, innerMap: inner },
    run: (m) => {
      const r = m.lookupBatch(null, 2);
      return `n=${r.keys.length} done=${r.done}`;
    },
    want: 'n=0 done=true',
  },
  {
    name: 'a hash of maps replaces an inner map in place: the element keeps its place in iteration order',
    spec: { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED, innerMap: inner },
    run: (m) => {
      // Keys 0 and 16 share a bucket of 4; the newer element is listed first.
      const fd = innerFd(m);
      for (const k of [0, 16, 0]) m.update(u32(k), u32(fd));
      const keys: number[] = [];
      for (let k = m.nextKey(undefined); k; k = m.nextKey(k)) keys.push(k[0]!);
      return keys.join(',');
    },
    want: '16,0',
  },
  {
    name: 'lookup-and-delete with BPF_F_LOCK is EINVAL before ENOTSUPP',
    spec: { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner },
    run: (m) => errnoOf(() => m.lookupAndDelete(u32(0), BPF_F_LOCK)), want: 'EINVAL',
  },
];

/** An fd of an inner map matching `inner`, on the side `m` belongs to. */
function innerFd(m: DiffMap): number {
  if (m instanceof KernelMap) {
    const k = KernelMap.create(inner);
    kernelInners.push(k);
    return k.fd.raw;
  }
  return simEnv.createMap(inner).fd;
}

const simEnv = new TestEnv();
const kernelInners: KernelMap[] = [];

describe('regressions found by the kernel differential tests', () => {
  afterAll(() => kernelInners.forEach((k) => k.close()));

  test.each(cases)('$name', ({ spec, run, want }) => {
    expect(run(createMap(simEnv, spec))).toBe(want);
    if (availability.ok) {
      const kernel = KernelMap.create(spec);
      try {
        expect(run(kernel)).toBe(want);
      } finally {
        kernel.close();
      }
    }
  });

  test.each([
    { name: 'a bloom filter checks its value size before anything else', spec: { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4194305, maxEntries: 0, flags: 1 }, want: 'E2BIG' },
    { name: 'BPF_F_TOKEN_FD is set aside for the type\'s checks', spec: { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 65000, maxEntries: 4, flags: BPF_F_TOKEN_FD | 8 }, want: 'E2BIG' },
    { name: 'the token is resolved before the checks made at allocation', spec: { type: BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize: 4, maxEntries: 257, flags: BPF_F_TOKEN_FD }, want: 'EINVAL' },
    { name: 'the name is checked after the inner-map template', spec: { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 6, valueSize: 4, maxEntries: 2, name: 'bad-name', innerMap: { ...inner, type: BPF_MAP_TYPE_PROG_ARRAY } }, want: 'ENOTSUPP' },
    { name: 'an inner-map template is only read for maps of maps', spec: { type: BPF_MAP_TYPE_HASH, keySize: 13, valueSize: 8, maxEntries: 63, innerMap: { ...inner, valueSize: 0 } }, want: 'OK' },
  ])('$name', ({ spec, want }) => {
    expect(errnoOf(() => createMap(new TestEnv(), spec))).toBe(want);
    if (availability.ok) expect(errnoOf(() => KernelMap.create(spec).close())).toBe(want);
  });
});
