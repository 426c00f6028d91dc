import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { KernelMap, kernelAvailable, ncpus } from '../../src/kernel/index.js';
import { createMap, type MapSpec } from '../../src/maps/index.js';
import {
  BPF_F_NO_PREALLOC, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS,
  BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_RINGBUF,
} from '../../src/uapi.js';
import { TestEnv, outcome } from './support/env.js';

/*
 * BPF_MAP_CREATE on random specs of every simulated map type: the simulator must refuse exactly
 * what the kernel refuses, with the same errno, and agree on max_entries and flags as the kernel
 * keeps them. Specs stay small enough that the kernel never allocates much.
 */

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

const TYPES = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 22, 23, 24, 25, 27, 30];
const KEY_SIZES = [0, 1, 3, 4, 5, 6, 8, 13, 260, 261, 512, 513];
const VALUE_SIZES = [0, 1, 3, 4, 8, 12, 32768, 32769, 65000, 4194024, 4194025, 4194252, 4194304, 4194305, 0x7fffffff, 0x80000000, 0xffffffff];
const MAX_ENTRIES = [0, 1, 2, 3, 4, 5, 7, 63, 256, 257, 4096, 8192, 12288, 65536];
const NAMES = ['', 'counts', 'a.b_c', 'bad-name', 'x'.repeat(20)];
const INNER: MapSpec[] = [
  { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 },
  { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 3, flags: BPF_F_NO_PREALLOC },
  { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 },
  { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 },
  { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 0, maxEntries: 2 },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
  { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 2, flags: BPF_F_NO_PREALLOC },
];

/** Flags: mostly one or two bits, sometimes any of the 19 defined bits. */
const flagsArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 18 }).map((b) => 1 << b),
  fc.tuple(fc.integer({ min: 0, max: 18 }), fc.integer({ min: 0, max: 18 })).map(([a, b]) => (1 << a) | (1 << b)),
  fc.integer({ min: 0, max: (1 << 19) - 1 }),
);

/** Sizes each type accepts, so that half the specs are plausible and get past the first checks. */
const PLAUSIBLE: Record<number, { keySize: number[]; valueSize: number[]; maxEntries: number[]; flags: number[] }> = {
  1: { keySize: [1, 4, 13], valueSize: [1, 8, 32769], maxEntries: [1, 5, 63], flags: [0, 1, 2, 64, 128, 256, 4, 8, 16] },
  2: { keySize: [4], valueSize: [1, 4, 12], maxEntries: [1, 5, 63], flags: [0, 4, 8, 16, 128, 256, 1024, 4096, 1] },
  3: { keySize: [4], valueSize: [4], maxEntries: [1, 4], flags: [0, 4, 8, 128] },
  4: { keySize: [4], valueSize: [4], maxEntries: [1, 4], flags: [0, 2048, 8, 1] },
  5: { keySize: [4, 6], valueSize: [4, 32768, 32769], maxEntries: [1, 5], flags: [0, 1, 4, 64] },
  6: { keySize: [4], valueSize: [4, 32768, 32769], maxEntries: [1, 5], flags: [0, 4, 8, 128] },
  7: { keySize: [4, 8], valueSize: [8, 12, 32, 1016, 1024], maxEntries: [1, 3, 5], flags: [0, 32, 4, 8, 1] },
  9: { keySize: [4], valueSize: [4, 8], maxEntries: [1, 3, 5, 7], flags: [0, 1, 2, 64, 4, 6] },
  10: { keySize: [4], valueSize: [4, 32769], maxEntries: [1, 3, 5], flags: [0, 1, 2, 4, 6] },
  11: { keySize: [4, 5, 8, 260, 261], valueSize: [1, 4, 4194024, 4194025], maxEntries: [1, 5], flags: [1, 0, 5, 65, 129] },
  12: { keySize: [4], valueSize: [4], maxEntries: [1, 3], flags: [0, 4, 128] },
  13: { keySize: [4, 8], valueSize: [4], maxEntries: [1, 3], flags: [0, 1, 64, 128] },
  14: { keySize: [4], valueSize: [4, 8, 12], maxEntries: [1, 3], flags: [0, 128, 8] },
  15: { keySize: [4], valueSize: [4, 8], maxEntries: [1, 3], flags: [0, 8, 128] },
  16: { keySize: [4], valueSize: [4, 8], maxEntries: [1, 3, 256, 257], flags: [0, 4, 8] },
  17: { keySize: [4], valueSize: [4, 8], maxEntries: [1, 3], flags: [0, 8, 128] },
  18: { keySize: [1, 4, 512, 513], valueSize: [4, 8], maxEntries: [1, 3], flags: [0, 8, 1] },
  22: { keySize: [0], valueSize: [1, 4, 4194305], maxEntries: [1, 3], flags: [0, 128, 1, 64] },
  23: { keySize: [0], valueSize: [1, 4, 4194305], maxEntries: [1, 3], flags: [0, 128, 1, 64] },
  24: { keySize: [4], valueSize: [1, 8, 65000, 65535], maxEntries: [0, 1], flags: [1, 513, 0, 3] },
  25: { keySize: [4], valueSize: [4, 8], maxEntries: [1, 3], flags: [0, 8, 128] },
  27: { keySize: [0], valueSize: [0], maxEntries: [4096, 8192, 12288, 2048], flags: [0, 4, 8] },
  30: { keySize: [0], valueSize: [1, 4, 4194304, 4194305], maxEntries: [1, 63], flags: [0, 64, 1] },
};

const plausibleArb: fc.Arbitrary<MapSpec> = fc.constantFrom(...TYPES).chain((type) => {
  const p = PLAUSIBLE[type]!;
  return fc.record({
    type: fc.constant(type),
    keySize: fc.constantFrom(...p.keySize),
    valueSize: fc.constantFrom(...p.valueSize),
    maxEntries: fc.constantFrom(...p.maxEntries),
    flags: fc.oneof(fc.constantFrom(...p.flags), flagsArb),
    mapExtra: type === 30 ? fc.constantFrom(0n, 3n, 15n, 16n) : fc.constant(0n),
    innerMap: fc.constantFrom(...INNER),
  });
});

const randomArb: fc.Arbitrary<MapSpec> = fc.record({
  type: fc.constantFrom(...TYPES),
  keySize: fc.constantFrom(...KEY_SIZES),
  valueSize: fc.constantFrom(...VALUE_SIZES),
  maxEntries: fc.constantFrom(...MAX_ENTRIES),
  flags: flagsArb,
  name: fc.constantFrom(...NAMES),
  numaNode: fc.constantFrom(0, 0, 1),
  mapExtra: fc.constantFrom(0n, 0n, 1n, 5n, 16n),
  innerMap: fc.option(fc.constantFrom(...INNER), { nil: undefined }),
}).map((s) => (s.innerMap ? s : { ...s, innerMap: undefined }));

const specArb = fc.oneof(plausibleArb, randomArb);

/** Whether the kernel might allocate a lot for this spec if it accepted it. */
function large(spec: MapSpec, cpus: number): boolean {
  return (spec.keySize + Math.min(spec.valueSize, 0x7fffffff) + 64) * Math.max(spec.maxEntries, 1) * cpus > 16 << 20;
}

function describeSpec(s: MapSpec): string {
  return JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

describe.skipIf(!availability.ok)('BPF_MAP_CREATE matches the kernel', () => {
  const cpus = availability.ok ? ncpus() : 2;
  let compared = 0;
  let accepted = 0;

  test('on random specs of every map type', () => {
    const env = new TestEnv(cpus, 3, 256 << 20);
    fc.assert(fc.property(specArb, (spec) => {
      fc.pre(!large(spec, cpus));
      const sim = outcome(() => createMap(env, spec));
      const kernel = outcome(() => KernelMap.create(spec));
      compared++;
      const render = (o: typeof sim | typeof kernel) => ('errno' in o ? o.errno : 'OK');
      expect(render(sim), describeSpec(spec)).toBe(render(kernel));
      if ('ok' in sim && 'ok' in kernel) {
        accepted++;
        expect({ maxEntries: sim.ok.maxEntries, mapFlags: sim.ok.mapFlags }, describeSpec(spec))
          .toEqual({ maxEntries: kernel.ok.info.maxEntries, mapFlags: kernel.ok.info.mapFlags });
      }
      if ('ok' in sim) sim.ok.close();
      if ('ok' in kernel) kernel.ok.close();
    }), { numRuns: 10000 });
    console.log(`differential BPF_MAP_CREATE: ${compared} specs compared, ${accepted} accepted by both`);
  });

  test.each([
    { name: 'hash buckets at the limit', spec: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 2 ** 27 + 1, flags: BPF_F_NO_PREALLOC } },
    { name: 'hash buckets past u32', spec: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 0xffffffff, flags: BPF_F_NO_PREALLOC } },
    { name: 'hash key + value at the kmalloc limit', spec: { type: BPF_MAP_TYPE_HASH, keySize: 100, valueSize: 4194156, maxEntries: 1, flags: BPF_F_NO_PREALLOC } },
    { name: 'hash key + value below the kmalloc limit', spec: { type: BPF_MAP_TYPE_HASH, keySize: 100, valueSize: 4194155, maxEntries: 1, flags: BPF_F_NO_PREALLOC } },
    { name: 'devmap hash past 2^31 buckets', spec: { type: 25, keySize: 4, valueSize: 4, maxEntries: 2 ** 31 + 1 } },
    { name: 'cpumap past NR_CPUS', spec: { type: 16, keySize: 4, valueSize: 4, maxEntries: 100000 } },
    { name: 'LPM with u32-max entries', spec: { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 0xffffffff, flags: BPF_F_NO_PREALLOC } },
    { name: 'array of maps without a template', spec: { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1 } },
    { name: 'hash of maps without a template', spec: { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1 } },
  ])('$name', ({ spec }) => {
    const sim = outcome(() => createMap(new TestEnv(cpus), spec));
    const kernel = outcome(() => KernelMap.create(spec));
    expect('errno' in sim ? sim.errno : 'OK').toBe('errno' in kernel ? kernel.errno : 'OK');
    if ('ok' in kernel) kernel.ok.close();
  });
});
